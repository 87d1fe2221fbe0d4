"""消耗监控_YYYY-MM.xlsx (kind watch): the agency's 9:00 routine (docs/watch.md) —
yesterday's spend of every client against its recent average; `kefu-xl watch YYYY-MM-DD`
appends the day's anomalies (rows of earlier days and everything typed stay), the owner
types the cause and whether the client was told. 变化, 可投放天数 and 异常 are live formulas
over the row's figures; Python judges with the same rule (rules/spendwatch.py)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from ..config import Config
from ..month import Month
from ..records import Problem, Severity
from ..rules import spendwatch as rules
from ..sheets.build import build_workbook
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


@dataclass
class WatchFigures:
    """What the watch recalc computed, as Python values (python_values writes them as the
    cached values of the formula cells; tests compare them with LibreOffice's)."""
    rows: list[WatchRow]
    staff: list[str]
    counts: dict[str, int]
    watch: Any


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
    result.figures = WatchFigures(rows=rows, staff=staff, counts=counts, watch=config.watch)
    return result


def python_values(result: RecalcResult) -> dict[str, dict]:
    f = result.figures
    watch = f.watch
    out: dict[str, dict] = {ANOMALIES: {}, SUMMARY: {}}
    for r in f.rows:
        change, short = judged(r, watch)
        out[ANOMALIES][r.row] = {"变化": rules.change_ratio(r.spend, r.average) if r.spend is not None else None,
                                 "可投放天数": rules.days_left(r.balance, r.average), "异常": rules.label((change, short)),
                                 "消耗判断": change, "余额判断": short}
    for s, (n, t) in f.counts.items():
        out[SUMMARY][s] = {"异常数": n, "已通知": t, "未通知": n - t}
    return out


KIND_DEF = Kind(KIND, TITLE, spec, recalc, python_values, needs_roster=True)
