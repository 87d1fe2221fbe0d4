"""The 9:00 spend watch (docs/watch.md): yesterday's export against the earlier ones, anomalies into 消耗监控_YYYY-MM.xlsx, the latest balances into 续费跟踪."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from ..config import Config, load_config
from ..errors import DataProblemsError, FileLockedError, InputMissingError, KefuError
from ..hints import command
from ..inputs import cell_value, export_id, read_account_status
from ..io.safe_write import file_stamp
from ..io.tables import find_input, read_table
from ..io.values import is_blank, parse_decimal
from ..kinds import maintenance, renewal
from ..kinds.base import (
    RecalcResult,
    cell_date,
    cell_number,
    cell_text,
    read_tracker,
    sheets_to_append,
)
from ..kinds.watch import (
    ANOMALIES,
    COMPUTED_VALUES,
    EXPORT_HEADERS,
    FOLDER,
    build,
    file_name,
    spec,
)
from ..month import Month
from ..records import Problem, Severity, has_errors
from ..rules import spendwatch as rules
from ..rules.completion import id_key
from ..sheets.build import write_rows
from .workbooks import create_file, update_file


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
        account_id = export_id(table, row, v["帐户ID"])
        if account_id is None:
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
    path = workspace / str(month) / maintenance.file_name(month)
    if path.exists():
        _, datas = read_tracker(path, lambda m: maintenance.spec(config, m), (maintenance.ACCOUNTS,), month=month)
        if datas[maintenance.ACCOUNTS] is not None:
            return {id_key(cell_text(v["帐户ID"])): (cell_text(v["客户名称"]), cell_text(v["客服"]))
                    for _, v in datas[maintenance.ACCOUNTS].rows if cell_text(v["帐户ID"])}
    try:
        statuses, _ = read_account_status(find_input(workspace / str(month) / "inputs", "帐户状态"))
    except KefuError:
        return {}
    return {id_key(s.account_id): (s.client, s.staff) for s in statuses}


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
    urgent: list[dict] = field(default_factory=list)    # per anomaly: 客服, 帐户ID, 客户名称, 异常


def anomaly_row(a: rules.Anomaly, owners: dict[str, tuple[str, str]]) -> dict:
    client, staff = owners.get(id_key(a.account_id), ("", ""))
    return dict(zip(COMPUTED_VALUES, (a.day, a.account_id, client, staff, a.spend, a.average, a.exports, a.balance)))


def watch_day(workspace: Path, day: date, config: Config | None = None) -> WatchOutcome:
    """Judge `day`'s export and append its anomalies to 消耗监控_YYYY-MM.xlsx; nothing typed
    is touched and a day already watched adds no row twice. `config`: instead of reading
    kefu-xl.toml (serve's last good settings)."""
    config = config or load_config(workspace / "kefu-xl.toml")
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
        if id_key(a.account_id) not in owners:
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
        outcome = update_file(target, append, as_of=day, unchanged_since=seen, config=config)
    else:
        outcome = create_file(target, build(config, month, rows), as_of=day)
        added.update(new=len(rows), kept=0)
    notes = []
    if max(export_files(workspace, [month]), default=day) <= day:         # the newest export of the month
        notes.append(renewal_balances(workspace, month, today, day, config))
    urgent = [{"客服": r["客服"], "帐户ID": r["帐户ID"], "客户名称": r["客户名称"], "异常": rules.label(a.reasons)}
              for a, r in zip(found, rows)]
    return WatchOutcome(target, day, found, added["new"], added["kept"], min(len(earlier), config.watch.exports),
                        problems, outcome.result, outcome.backup, [n for n in notes if n], urgent)


def renewal_balances(workspace: Path, month: Month, export: rules.Export, day: date,
                     config: Config | None = None) -> str:
    """One figure, one value (docs/plan.md): the newest daily export's 余额 goes into 续费跟踪 (as
    month open --refresh does with 帐户状态), so 可投放天数 in 续费跟踪, 我的续费, 今日 and the
    reminder text all come from the latest balance. A tracker open in Excel is left for later."""
    path = workspace / str(month) / renewal.file_name(month)
    if not path.exists():
        return ""
    config = config or load_config(workspace / "kefu-xl.toml")
    wspec = renewal.spec(config, month)
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
        update_file(path, balances, as_of=day, unchanged_since=file_stamp(path), config=config)
    except (FileLockedError, KefuError) as e:
        return f"{path.name} 的余额没有按 {day} 的导出更新（{e}）：关闭文件后再运行一次 {command(f'watch {day}', workspace)}。"
    return f"{path.name}：按 {day} 的导出更新了 {len(changed)} 个帐户的余额（可投放天数随之更新）。" if changed else ""


def latest_balances(folder: Path, month: Month) -> tuple[date | None, dict[str, Decimal]]:
    """(day, {account key: 余额}) of the month's newest daily spend export, read for the balance
    it carries: newer than 帐户状态's, so one balance is shown everywhere (docs/plan.md)."""
    files = export_files(folder, [month])
    if not files:
        return None, {}
    day = max(files)
    export, problems = read_export(files[day], day)
    if has_errors(problems):
        return None, {}
    return day, {key: row.balance for key, row in export.rows.items() if row.balance is not None}
