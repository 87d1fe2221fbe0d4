"""消耗监控_YYYY-MM.xlsx (kind watch): the agency's 9:00 routine (docs/watch.md) —
yesterday's spend of every client against its recent average; `kefu-xl watch YYYY-MM-DD`
appends the day's anomalies (rows of earlier days and everything typed stay), the owner
types the cause and whether the client was told. 变化, 可投放天数 and 异常 are live formulas
over the row's figures; Python judges with the same rule (rules/spendwatch.py)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ..config import Config, load_config
from ..errors import DataProblemsError, InputMissingError, KefuError
from ..hints import command
from ..inputs import cell_value
from ..io.safe_write import file_stamp
from ..io.tables import read_table
from ..io.values import is_blank, parse_decimal, parse_export_id
from ..month import Month
from ..records import Problem, Severity, has_errors
from ..rules import spendwatch as rules
from ..sheets.build import build_workbook, write_rows
from ..sheets.read import write_problem_sheet
from ..sheets.spec import Column, Highlight, Role, SheetSpec, Type, WorkbookSpec
from .base import (
    Kind,
    RecalcContext,
    RecalcResult,
    cell_date,
    cell_number,
    cell_text,
    finish_recalc,
    rebuild_rows,
    restore_formulas,
    sheets_to_append,
    staff_names,
    start_recalc,
)

KIND = "watch"
TITLE = "每日消耗监控"
ANOMALIES, SUMMARY = "异常", "汇总"
FOLDER = "消耗"
EXPORT_HEADERS = ["帐户ID", "消耗", "余额"]
YES, NO = "是", "否"
RED, ORANGE, GREEN = "FFC7CE", "FFEB9C", "C6EFCE"
COMPUTED_VALUES = ("日期", "帐户ID", "客户名称", "客服", "消耗", "前7次平均", "平均次数", "余额")


def file_name(month: Month) -> str:
    return f"消耗监控_{month}.xlsx"


def spec(config: Config, month: Month) -> WorkbookSpec:
    w = config.watch
    avg = "[前7次平均]"
    a = f"[{ANOMALIES}!"
    anomalies = SheetSpec(
        name=ANOMALIES, title=f"{month.label} 消耗异常（每天 9:00 查看前一天的消耗）", key="日期", buffer_rows=100,
        row_markers=("日期", "帐户ID"),
        help="kefu-xl watch 每天追加前一天的异常帐户；负责的客服查找原因、电话通知客户，填写原因、已通知客户和处理记录。",
        columns=(
            Column("日期", Role.COMPUTED, Type.DATE, help="消耗日期（导出文件的日期）。"),
            Column("帐户ID", Role.COMPUTED, Type.ID, help="帐户ID。"),
            Column("客户名称", Role.COMPUTED, Type.TEXT, width=22, help="来自本月维护跟踪表（或帐户状态表）。"),
            Column("客服", Role.COMPUTED, Type.TEXT, help="负责的客服（来自本月维护跟踪表）。"),
            Column("消耗", Role.COMPUTED, Type.MONEY, help="当天消耗（元）。"),
            Column("前7次平均", Role.COMPUTED, Type.MONEY,
                   help=f"该帐户在之前最近 {w.exports} 次导出中的平均消耗（缺了的日子不算；不足 {w.exports} 次按已有的），"
                        "保留到分。"),
            Column("平均次数", Role.COMPUTED, Type.INT, help="平均用了几次导出。"),
            Column("变化", Role.DERIVED, Type.RATIO, f'IF(N({avg})<=0,"",[消耗]/{avg}-1)',
                   help="消耗 ÷ 前7次平均 − 1。"),
            Column("余额", Role.COMPUTED, Type.MONEY, help="当天余额（元）。"),
            Column("可投放天数", Role.DERIVED, Type.DAYS,
                   f'IF(OR(N({avg})<=0,NOT(ISNUMBER([余额]))),"",[余额]/{avg})', help="余额 ÷ 前7次平均。"),
            Column("异常", Role.DERIVED, Type.TEXT,
                   'IF(AND([消耗判断]<>"",[余额判断]<>""),[消耗判断]&"、"&[余额判断],[消耗判断]&[余额判断])',
                   width=18,
                   help=f"消耗降为0；或与平均相差超过 {w.ratio:.0%} 且至少 {w.minimum} 元（消耗突增/消耗骤降）；"
                        f"或余额按平均可投放不足 {w.balance_days} 天（余额不足）。"),
            Column("原因", Role.INPUT, Type.TEXT, width=30, help="查到的原因（预算用完、被拒登、客户调整……）。"),
            Column("已通知客户", Role.INPUT, Type.TEXT, dropdown=(YES, NO), help="是：已电话通知客户。"),
            Column("处理记录", Role.INPUT, Type.TEXT, width=36, help="怎么处理的、客户怎么说。"),
            Column("消耗判断", Role.DERIVED, Type.TEXT,
                   f'IF(OR([帐户ID]="",NOT(ISNUMBER({avg}))),"",IF(AND([消耗]=0,{avg}>0),"{rules.DROPPED}",'
                   f'IF(AND(ABS([消耗]-{avg})>{w.ratio}*{avg},ABS([消耗]-{avg})>={w.minimum}),'
                   f'IF([消耗]>{avg},"{rules.ROSE}","{rules.FELL}"),"")))',
                   hidden=True, help="辅助列（隐藏）：消耗部分的判断。"),
            Column("余额判断", Role.DERIVED, Type.TEXT,
                   f'IF(OR([帐户ID]="",N({avg})<=0,NOT(ISNUMBER([余额]))),"",'
                   f'IF([余额]<{w.balance_days}*{avg},"{rules.LOW_BALANCE}",""))',
                   hidden=True, help="辅助列（隐藏）：余额部分的判断。"),
        ),
        highlights=(Highlight(f'AND([帐户ID]<>"",[已通知客户]<>"{YES}")', ORANGE, ("异常", "已通知客户")),
                    Highlight(f'[已通知客户]="{YES}"', GREEN, ("已通知客户",))),
    )
    summary = SheetSpec(
        name=SUMMARY, title=f"{month.label} 消耗异常汇总", key="客服", buffer_rows=0, row_markers=("客服",),
        columns=(
            Column("客服", Role.COMPUTED, Type.TEXT, help="名册中在职的客服，以及异常中出现的其他姓名。"),
            Column("异常数", Role.DERIVED, Type.INT, f"COUNTIF({a}客服],[客服])", help="本月该客服帐户的异常条数。"),
            Column("已通知", Role.DERIVED, Type.INT, f'COUNTIFS({a}客服],[客服],{a}已通知客户],"{YES}")',
                   help="其中已通知客户的条数。"),
            Column("未通知", Role.DERIVED, Type.INT, "[异常数]-[已通知]", help="还没有通知客户的条数。"),
        ),
        highlights=(Highlight("[未通知]>0", ORANGE, ("未通知",)),),
    )
    notes = (
        "每天 9:00：把广告平台前一天的消耗导出（帐户ID · 消耗 · 余额）存为 YYYY-MM/inputs/消耗/YYYY-MM-DD.xlsx（或 .csv），"
        "运行 kefu-xl watch YYYY-MM-DD；异常帐户追加到「异常」表，已有的行和填写的内容不变。",
        "负责的客服查找原因、电话通知客户，填写 原因 / 已通知客户 / 处理记录；未通知的异常列在自己工作簿「今日」计划的最前面。",
    )
    return WorkbookSpec(kind=KIND, title=TITLE, sheets=(anomalies, summary), notes=notes)


# --------------------------------------------------------------------------- daily exports

def export_folder(workspace: Path, month: Month) -> Path:
    return workspace / str(month) / "inputs" / FOLDER


def export_files(workspace: Path, months: list[Month], problems: list[Problem] | None = None) -> dict[date, Path]:
    """{day: file} of the daily exports of `months` (names YYYY-MM-DD.xlsx|csv); an export
    saved in another format is named in `problems` (it is not read)."""
    out = {}
    for month in months:
        folder = export_folder(workspace, month)
        if not folder.is_dir():
            continue
        for p in sorted(folder.iterdir()):
            if p.name.startswith(("~$", ".")):
                continue
            try:
                day = date.fromisoformat(p.stem)
            except ValueError:
                continue
            if p.suffix.lower() in (".xls", ".et", ".ods"):
                if problems is not None:
                    problems.append(Problem(p.name, "", None, "", "NOT_XLSX",
                                            f"{p.name} 不是 .xlsx 或 .csv，没有读取（这一天不参与平均）："
                                            f"请在 Excel/WPS 中另存为 .xlsx。", Severity.WARNING))
                continue
            if p.suffix.lower() in (".xlsx", ".csv"):
                out.setdefault(day, p)
    return out


def read_export(path: Path, day: date) -> tuple[rules.Export, list[Problem]]:
    table = read_table(path, EXPORT_HEADERS)
    rows: dict[str, rules.SpendRow] = {}
    seen: dict[str, int] = {}
    for row, v in table.rows:
        try:
            account_id = parse_export_id(v["帐户ID"])
        except ValueError as e:
            table.problem(row, "帐户ID", "ID_ROUNDED", f"帐户ID「{v['帐户ID']}」{e}。")
            continue
        if not account_id:
            if not is_blank(v["消耗"]):
                table.problem(row, "帐户ID", "MISSING_ID", "帐户ID为空。")
            continue
        key = account_id.casefold()
        if key in seen:
            table.problem(row, "帐户ID", "DUPLICATE_ACCOUNT", f"帐户ID「{account_id}」与第 {seen[key]} 行重复：请只保留一行。")
            continue
        seen[key] = row
        spend = cell_value(table, row, "消耗", v["消耗"], parse_decimal)
        balance = cell_value(table, row, "余额", v["余额"], parse_decimal)
        if spend is None:
            if is_blank(v["消耗"]):
                table.problem(row, "消耗", "BLANK", "消耗为空：没有消耗请填 0。")
            continue
        if spend < 0:
            table.problem(row, "消耗", "NEGATIVE", f"消耗 {spend} 是负数。")
            continue
        rows[key] = rules.SpendRow(account_id, spend, balance, row)
    return rules.Export(day, rows, path.name), table.problems


def earlier_exports(workspace: Path, day: date, config: Config, problems: list[Problem]) -> list[rules.Export]:
    """The exports before `day` that an average can use (this month and the one before)."""
    month = Month.of(day)
    files = export_files(workspace, [month.previous(), month], problems)
    chosen = sorted(d for d in files if d < day)[-config.watch.exports * 4:]
    out = []
    for d in chosen:
        export, found = read_export(files[d], d)
        if has_errors(found):
            problems.append(Problem(files[d].name, "", None, "", "EARLIER_EXPORT_PROBLEMS",
                                    f"这个较早的导出有 {len(found)} 个问题，有问题的行不参与平均：{found[0].message}",
                                    Severity.WARNING))
        out.append(export)
    return out


def account_owners(workspace: Path, month: Month, config: Config) -> dict[str, tuple[str, str]]:
    """{account key: (客户名称, 客服)} from the month's 维护跟踪 帐户, else its 帐户状态 export."""
    from ..inputs import read_account_status
    from ..io.tables import find_input
    from . import maintenance
    from .base import read_tracker
    path = workspace / str(month) / maintenance.file_name(month)
    if path.exists():
        _, datas = read_tracker(path, lambda m: maintenance.spec(config, m), (maintenance.ACCOUNTS,), month=month)
        if datas[maintenance.ACCOUNTS] is not None:
            return {cell_text(v["帐户ID"]).casefold(): (cell_text(v["客户名称"]), cell_text(v["客服"]))
                    for _, v in datas[maintenance.ACCOUNTS].rows if cell_text(v["帐户ID"])}
    try:
        statuses, _ = read_account_status(find_input(workspace / str(month) / "inputs", "帐户状态"))
    except KefuError:
        return {}
    return {s.account_id.casefold(): (s.client, s.staff) for s in statuses}


@dataclass
class WatchOutcome:
    path: Path
    day: date
    found: list[rules.Anomaly]
    added: int
    kept: int
    exports_used: int
    problems: list[Problem] = field(default_factory=list)
    result: RecalcResult | None = None
    backup: Path | None = None
    notes: list[str] = field(default_factory=list)


def anomaly_row(a: rules.Anomaly, owners: dict[str, tuple[str, str]]) -> dict:
    client, staff = owners.get(a.account_id.casefold(), ("", ""))
    return dict(zip(COMPUTED_VALUES, (a.day, a.account_id, client, staff, a.spend, a.average, a.exports, a.balance)))


def watch_day(workspace: Path, day: date) -> WatchOutcome:
    """Judge `day`'s export and append its anomalies to 消耗监控_YYYY-MM.xlsx; nothing typed
    is touched and a day already watched adds no row twice."""
    from ..app.workbooks import create_file, update_file
    from ..io.tables import find_input
    config = load_config(workspace / "kefu-xl.toml")
    month = Month.of(day)
    notes: list[str] = []
    try:
        path_in = find_input(export_folder(workspace, month), day.isoformat(), notes)
    except InputMissingError:
        raise KefuError(f"没有 {day} 的消耗导出：请把广告平台的导出（帐户ID · 消耗 · 余额）存为 "
                        f"{export_folder(workspace, month) / (day.isoformat() + '.xlsx')}（或 .csv）后再运行。") from None
    today, problems = read_export(path_in, day)
    problems[:0] = [Problem(path_in.name, "", None, "", "TWO_EXPORTS", n, Severity.WARNING) for n in notes]
    if has_errors(problems):
        raise DataProblemsError(f"{path_in.name} 有错误，没有写任何文件。", problems)
    earlier = earlier_exports(workspace, day, config, problems)
    found = rules.anomalies(today, earlier, config.watch)
    owners = account_owners(workspace, month, config)
    for a in found:
        if a.account_id.casefold() not in owners:
            problems.append(Problem(path_in.name, "", today.rows[a.account_id.casefold()].row, "帐户ID", "UNKNOWN_ACCOUNT",
                                    f"帐户「{a.account_id}」不在本月维护跟踪表（或帐户状态表）中：异常已记下，但没有负责的客服。",
                                    Severity.WARNING))
    rows = [anomaly_row(a, owners) for a in found]
    target = workspace / str(month) / file_name(month)
    wspec = spec(config, month)
    added: dict[str, int] = {}
    seen = file_stamp(target)          # a save while this runs is not written over (ChangedOnDiskError)
    if target.exists():
        def append(book) -> None:
            data = sheets_to_append(book, target, wspec, (ANOMALIES,))[ANOMALIES]
            present = {(cell_date(v["日期"]), cell_text(v["帐户ID"]).casefold()) for _, v in data.rows}
            new = [r for r in rows if (r["日期"], r["帐户ID"].casefold()) not in present]
            write_rows(book[ANOMALIES], data.layout, wspec.sheet(ANOMALIES), new, data.last_row + 1)
            added.update(new=len(new), kept=len(present))
        outcome = update_file(target, append, as_of=day, unchanged_since=seen)
    else:
        outcome = create_file(target, build(config, month, rows), as_of=day)
        added.update(new=len(rows), kept=0)
    notes = []
    if max(export_files(workspace, [month]), default=day) <= day:         # the newest export of the month
        notes.append(renewal_balances(workspace, month, today, day))
    return WatchOutcome(target, day, found, added["new"], added["kept"], min(len(earlier), config.watch.exports),
                        problems, outcome.result, outcome.backup, [n for n in notes if n])


def renewal_balances(workspace: Path, month: Month, export: rules.Export, day: date) -> str:
    """One figure, one value (docs/plan.md): the newest daily export's 余额 goes into 续费跟踪 (as
    month open --refresh does with 帐户状态), so 可投放天数 in 续费跟踪, 我的续费, 今日 and the
    reminder text all come from the latest balance. A tracker open in Excel is left for later."""
    from ..app.workbooks import update_file
    from ..errors import FileLockedError
    from . import renewal
    path = workspace / str(month) / renewal.file_name(month)
    if not path.exists():
        return ""
    wspec = renewal.spec(load_config(workspace / "kefu-xl.toml"), month)
    changed: list[int] = []

    def balances(book) -> None:
        changed.clear()
        data = sheets_to_append(book, path, wspec, (renewal.RENEWALS,), "没有更新余额")[renewal.RENEWALS]
        ws, col = book[renewal.RENEWALS], data.layout.columns["余额"]
        for r, v in data.rows:
            row = export.rows.get(cell_text(v["帐户ID"]).casefold())
            if row is not None and row.balance is not None and cell_number(v["余额"]) != row.balance:
                ws.cell(r, col).value = row.balance
                changed.append(r)
    try:
        update_file(path, balances, as_of=day, unchanged_since=file_stamp(path))
    except (FileLockedError, KefuError) as e:
        return f"{path.name} 的余额没有按 {day} 的导出更新（{e}）：关闭文件后再运行一次 {command(f'watch {day}', workspace)}。"
    return f"{path.name}：按 {day} 的导出更新了 {len(changed)} 个帐户的余额（可投放天数随之更新）。" if changed else ""


def build(config: Config, month: Month, rows: list[dict], meta: dict | None = None):
    wspec = spec(config, month)
    titles = {s.name: s.title for s in wspec.sheets}
    wb, _ = build_workbook(wspec, titles, {ANOMALIES: rows}, {}, {"month": str(month), **(meta or {})})
    write_problem_sheet(wb, [], before="说明")
    return wb


# --------------------------------------------------------------------------- recalc

@dataclass(frozen=True)
class WatchRow:
    row: int
    day: date | None
    account_id: str
    client: str
    staff: str
    spend: object
    average: object
    balance: object
    told: str
    cause: str
    exports: int | None = None       # 平均次数: how many earlier exports the average is over


def read_rows(data, file: str, problems: list[Problem]) -> list[WatchRow]:
    out = []
    for row, v in data.rows:
        told = cell_text(v["已通知客户"])
        if told and told not in (YES, NO):
            problems.append(Problem(file, ANOMALIES, row, "已通知客户", "BAD_YES_NO", f"已通知客户「{told}」应为 是/否。"))
        out.append(WatchRow(row, cell_date(v["日期"]), cell_text(v["帐户ID"]), cell_text(v["客户名称"]),
                            cell_text(v["客服"]), cell_number(v["消耗"]), cell_number(v["前7次平均"]),
                            cell_number(v["余额"]), told, cell_text(v["原因"]),
                            int(cell_number(v["平均次数"])) if cell_number(v["平均次数"]) is not None else None))
    return out


def judged(r: WatchRow, watch) -> tuple[str, str]:
    """(消耗判断, 余额判断) of a row, from its figures as the sheet's formulas judge them."""
    change = rules.spend_change(r.spend, r.average, watch) if r.spend is not None else ""
    return change, rules.balance_short(r.balance, r.average, watch)


def open_rows(rows: list[WatchRow]) -> list[WatchRow]:
    """Anomalies the client has not been told of (the plan's priority 1)."""
    return [r for r in rows if r.account_id and r.told != YES]


def recalc(wb, ctx: RecalcContext) -> RecalcResult:
    config, month = ctx.config, ctx.month
    wspec = spec(config, month)
    result, found = start_recalc(wb, ctx, KIND, wspec, rebuilt=(SUMMARY,))
    problems = result.problems
    if found is None:
        return result
    layouts, datas = found
    rows = read_rows(datas[ANOMALIES], ctx.file, problems)
    for r in open_rows(rows):
        if r.day is not None and r.day < ctx.as_of:
            problems.append(Problem(ctx.file, ANOMALIES, r.row, "已通知客户", "NOT_TOLD",
                                    f"{r.day} {r.account_id}（{r.client or '—'}）的消耗异常还没有通知客户"
                                    f"（客服 {r.staff or '未知'}）。", Severity.WARNING))
    staff = staff_names(ctx.roster, [r.staff for r in rows])
    if ctx.write:
        restore_formulas(wb, wspec.sheet(ANOMALIES), layouts, datas[ANOMALIES], result, ctx.file)
        rebuild_rows(wb, wspec.sheet(SUMMARY), layouts, [{"客服": s} for s in staff])
        finish_recalc(wb, wspec, ctx, problems)
    counts = {s: [0, 0] for s in staff}
    for r in rows:
        if r.account_id and r.staff in counts:
            counts[r.staff][0] += 1
            counts[r.staff][1] += r.told == YES
    result.summary_headers = ["客服", "异常数", "已通知", "未通知"]
    result.summary_rows = [[s, str(n), str(t), str(n - t)] for s, (n, t) in counts.items()]
    result.figures = {"rows": rows, "staff": staff, "counts": counts, "watch": config.watch}
    return result


def python_values(result: RecalcResult) -> dict[str, dict]:
    f = result.figures
    watch = f["watch"]
    out: dict[str, dict] = {ANOMALIES: {}, SUMMARY: {}}
    for r in f["rows"]:
        change, short = judged(r, watch)
        out[ANOMALIES][r.row] = {"变化": rules.change_ratio(r.spend, r.average) if r.spend is not None else None,
                                 "可投放天数": rules.days_left(r.balance, r.average), "异常": rules.label((change, short)),
                                 "消耗判断": change, "余额判断": short}
    for s, (n, t) in f["counts"].items():
        out[SUMMARY][s] = {"异常数": n, "已通知": t, "未通知": n - t}
    return out


KIND_DEF = Kind(KIND, TITLE, spec, recalc, python_values, needs_roster=True)
