"""新客户跟踪_YYYY-MM.xlsx (kind newclient): onboarding of accounts opened this month, and
of last month's not yet finished (docs/newclients.md)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ..config import Config
from ..io.tables import read_sheets_fast
from ..io.values import is_blank
from ..month import Month
from ..records import AccountStatus, NewClientRow, Problem, Severity, StaffMember
from ..rules import renewal as rules
from ..rules.completion import id_key, percent
from ..sheets.build import (
    build_workbook,
    set_cell,
    style_name,
    total_values,
    write_total_row,
)
from ..sheets.read import write_problem_sheet
from ..sheets.spec import Anchor, Column, Highlight, Role, SheetSpec, Type, WorkbookSpec
from .base import (
    Kind,
    RecalcContext,
    RecalcResult,
    cell_date,
    cell_number,
    cell_text,
    collected,
    finish_recalc,
    read_tracker,
    rebuild_rows,
    restore_formulas,
    start_recalc,
    typed_date,
)
from .base import staff_names as base_staff_names
from .team_rows import collect_into_team

KIND = "newclient"
TITLE = "新客户跟踪表"
CLIENTS, SUMMARY = "新客户", "客服汇总"
AS_OF = "截至日期"
RED, GREEN = "FFC7CE", "C6EFCE"
STEPS = rules.ONBOARDING_STEPS
FOLLOW_UP = (*STEPS, "关键词数")                 # typed in the personal workbook
TOTALS = {"新客户数": "sum", "已上线": "sum", "逾期数": "sum"}
STEP_HELP = {
    "告知帐户信息": "把帐户、密码、后台使用方法告知客户的日期。",
    "确认推广负责人": "确认客户方推广负责人（决策人）的日期。",
    "沟通投放意向": "沟通推广产品、地域、预算等投放意向的日期。",
    "方案确认": "推广方案（关键词、创意）经客户确认的日期。",
    "广告上线": "广告上线日期（上线标准：至少 50 个关键词）。",
    "首次回访": "上线后首次回访的日期。",
    "满月回访": "开户满一个月的回访日期。",
}


def file_name(month: Month) -> str:
    return f"新客户跟踪_{month}.xlsx"


def spec(config: Config, month: Month) -> WorkbookSpec:
    done = "+".join(f"ISNUMBER([{s}])" for s in STEPS)
    follow = Role.COMPUTED if collected(config) else Role.INPUT
    by = "（由各人的个人工作簿「我的新客户」汇总）" if collected(config) else ""
    clients = SheetSpec(
        name=CLIENTS, title=f"{month.label} {TITLE}", key="帐户ID", buffer_rows=50, row_markers=("帐户ID",),
        anchors=(Anchor(AS_OF, Type.DATE, "判断逾期的日期：重算时设为当天（不超过月末），可手改。"),),
        columns=(
            Column("帐户ID", Role.INPUT, Type.ID, help="新开帐户ID。"),
            Column("客户名称", Role.INPUT, Type.TEXT, width=22, help="客户名称。"),
            Column("客服", Role.INPUT, Type.TEXT, help="负责新客户辅导的客服。"),
            Column("开户日期", Role.INPUT, Type.DATE, help="开户日期。"),
            Column("推广类型", Role.INPUT, Type.TEXT, help="推广类型（搜索、展示……）。"),
            Column("入资金额", Role.INPUT, Type.MONEY, help="首次入资金额（元）。"),
            *(Column(s, follow, Type.DATE, help=by + STEP_HELP[s]) for s in STEPS),
            Column("关键词数", follow, Type.INT, help=f"{by}上线时的关键词数。"),
            Column("上线达标", Role.DERIVED, Type.TEXT,
                   f'IF([帐户ID]="","",IF(AND(ISNUMBER([广告上线]),N([关键词数])>={rules.MIN_KEYWORDS}),"是","否"))',
                   help=f"广告已上线且关键词 ≥ {rules.MIN_KEYWORDS} 个。"),
            Column("上线天数", Role.DERIVED, Type.INT,
                   'IF(AND(ISNUMBER([广告上线]),ISNUMBER([开户日期])),[广告上线]-[开户日期],"")',
                   help="广告上线 − 开户日期（天）。"),
            Column("辅导期结束", Role.DERIVED, Type.DATE,
                   f'IF(ISNUMBER([开户日期]),[开户日期]+{rules.COACHING_DAYS},"")', help="开户日期 + 30 天（一个月的重点服务）。"),
            Column("完成项数", Role.DERIVED, Type.INT, f'IF([帐户ID]="","",{done})', help="七个步骤中已填日期的个数。"),
            Column("完成率", Role.DERIVED, Type.RATIO, f'IF([帐户ID]="","",[完成项数]/{len(STEPS)})', help="完成项数 ÷ 7。"),
            Column("状态", Role.DERIVED, Type.TEXT,
                   f'IF([帐户ID]="","",IF([完成项数]={len(STEPS)},"{rules.DONE}",IF(AND(ISNUMBER([辅导期结束]),'
                   f'[@{AS_OF}]>[辅导期结束]),"{rules.OVERDUE}","{rules.COACHING}")))',
                   help="已完成：七步都有日期；逾期：截至日期已过辅导期结束仍未完成；否则辅导中。"),
        ),
        highlights=(Highlight(f'[状态]="{rules.OVERDUE}"', RED, ("状态",)),
                    Highlight(f'[状态]="{rules.DONE}"', GREEN, ("状态",))),
    )
    c = CLIENTS
    summary = SheetSpec(
        name=SUMMARY, title=f"{month.label} 新客户汇总", key="客服", buffer_rows=0, row_markers=("客服",),
        columns=(
            Column("客服", Role.COMPUTED, Type.TEXT, help="客服。"),
            Column("新客户数", Role.DERIVED, Type.INT, f"COUNTIF([{c}!客服],[客服])", help="本表中该客服的新客户数。"),
            Column("已上线", Role.DERIVED, Type.INT, f'COUNTIFS([{c}!客服],[客服],[{c}!广告上线],">0")', help="已上线的数量。"),
            Column("上线达标率", Role.DERIVED, Type.RATIO,
                   f'IF(N([新客户数])=0,"",COUNTIFS([{c}!客服],[客服],[{c}!上线达标],"是")/[新客户数])',
                   help="上线达标的新客户 ÷ 新客户数。"),
            Column("平均上线天数", Role.DERIVED, Type.NUMBER,
                   f'IFERROR(AVERAGEIFS([{c}!上线天数],[{c}!客服],[客服]),"")', help="已上线新客户的平均上线天数。"),
            Column("逾期数", Role.DERIVED, Type.INT, f'COUNTIFS([{c}!客服],[客服],[{c}!状态],"{rules.OVERDUE}")',
                   help="辅导期结束仍未完成的数量。"),
        ),
    )
    notes = ("新签客户流程：告知帐户信息 → 确认推广负责人 → 沟通投放意向 → 方案确认 → 广告上线（≥50 个关键词）→ 首次回访 → 满月回访。",
             "开户后一个月为重点服务期；未完成的新客户自动结转到下月的新客户跟踪表，开户次月起同时进入维护跟踪表。")
    return WorkbookSpec(kind=KIND, title=TITLE, sheets=(clients, summary), notes=notes)


def row_values(r: NewClientRow) -> dict:
    return {"帐户ID": r.account_id, "客户名称": r.client, "客服": r.staff, "开户日期": r.opened,
            "推广类型": r.promotion or None, "入资金额": r.deposit, **dict(zip(STEPS, r.steps)), "关键词数": r.keywords}


def read_rows(data, file: str, problems: list[Problem]) -> list[NewClientRow]:
    out = []
    for row, v in data.rows:
        keywords = cell_number(v["关键词数"])
        if keywords is None and not is_blank(v["关键词数"]):
            problems.append(Problem(file, CLIENTS, row, "关键词数", "NOT_A_NUMBER", f"关键词数「{v['关键词数']}」不是数字。"))
        deposit = cell_number(v["入资金额"])
        out.append(NewClientRow(cell_text(v["帐户ID"]), cell_text(v["客户名称"]), cell_text(v["客服"]),
                                cell_date(v["开户日期"]), cell_text(v["推广类型"]), deposit,
                                tuple(typed_date(v, s, (file, CLIENTS, row), problems) for s in STEPS),
                                None if keywords is None else int(keywords), row))
    return out


def read_file(path: Path, config: Config) -> tuple[Month, list[NewClientRow], date | None]:
    """(month, rows, the 截至日期 it was last judged on) of a new-client tracker."""
    month, datas = read_tracker(path, lambda m: spec(config, m), (CLIENTS,))
    data = datas[CLIENTS]
    as_of = None
    if data is not None and AS_OF in data.layout.anchors:
        as_of = cell_date(read_sheets_fast(path)[CLIENTS].value(*data.layout.anchors[AS_OF]))
    return month, (read_rows(data, path.name, []) if data else []), as_of


def opening_rows(statuses: list[AccountStatus], previous: list[NewClientRow], previous_as_of: date | None,
                 month: Month) -> list[NewClientRow]:
    """Last month's unfinished rows, then accounts opened this month."""
    rows, taken = [], set()
    for r in previous:
        if rules.onboarding(r, previous_as_of or month.first)["状态"] != rules.DONE:
            rows.append(r)
            taken.add(id_key(r.account_id))
    for s in statuses:
        if month.contains(s.opened) and id_key(s.account_id) not in taken:
            rows.append(NewClientRow(s.account_id, s.client, s.staff, s.opened, "", None,
                                     (None,) * len(STEPS), None))
    return rows


def staff_names(roster: list[StaffMember] | None, rows: list[NewClientRow]) -> list[str]:
    return base_staff_names(roster, [r.staff for r in rows])


def build(config: Config, month: Month, rows: list[NewClientRow], roster: list[StaffMember], as_of: date,
          meta: dict | None = None):
    wspec = spec(config, month)
    staff = staff_names(roster, rows)
    titles = {s.name: s.title for s in wspec.sheets}
    wb, layouts = build_workbook(wspec, titles, {CLIENTS: [row_values(r) for r in rows],
                                                 SUMMARY: [{"客服": n} for n in staff]},
                                 {CLIENTS: {AS_OF: as_of}}, {"month": str(month), **(meta or {})})
    write_total_row(wb[SUMMARY], layouts[SUMMARY], wspec.sheet(SUMMARY), len(staff), TOTALS)
    write_problem_sheet(wb, [], before="说明")
    return wb


def check(rows: list[NewClientRow], ctx: RecalcContext, problems: list[Problem]) -> None:
    for r in rows:
        def add(column, code, message, severity=Severity.ERROR):
            problems.append(Problem(ctx.file, CLIENTS, r.row, column, code, message, severity))
        launched = r.steps[rules.LAUNCH]
        if r.opened is None:
            add("开户日期", "NOT_A_DATE", "开户日期没有填写或不是日期。")
        if launched and r.opened and launched < r.opened:
            add("广告上线", "LAUNCH_BEFORE_OPENING", f"广告上线 {launched} 早于开户日期 {r.opened}。")
        if launched and (r.keywords or 0) < rules.MIN_KEYWORDS:
            add("关键词数", "LAUNCH_BELOW_STANDARD",
                f"已上线但关键词只有 {r.keywords or 0} 个（上线标准至少 {rules.MIN_KEYWORDS} 个）。", Severity.WARNING)
        if r.deposit is not None and r.deposit < 0:
            add("入资金额", "NEGATIVE", "入资金额不能为负数。")
        if r.keywords is not None and r.keywords < 0:
            add("关键词数", "NEGATIVE", "关键词数不能为负数。")


@dataclass
class NewClientFigures:
    """What the newclient recalc computed, as Python values (python_values writes them as the
    cached values of the formula cells; tests compare them with LibreOffice's)."""
    rows: Any
    figures: Any
    staff: Any
    as_of: Any


def recalc(wb, ctx: RecalcContext) -> RecalcResult:
    config, month = ctx.config, ctx.month
    wspec = spec(config, month)
    result, found = start_recalc(wb, ctx, KIND, wspec, rebuilt=(SUMMARY,))
    problems = result.problems
    if found is None:
        return result
    layouts, datas = found
    collect_into_team(wb, wspec, KIND, CLIENTS, FOLLOW_UP, layouts, datas, ctx, problems)
    rows = read_rows(datas[CLIENTS], ctx.file, problems)
    as_of = month.clamp(ctx.as_of)
    figures = [rules.onboarding(r, as_of) for r in rows]
    check(rows, ctx, problems)
    for r, f in zip(rows, figures):
        if f["状态"] == rules.OVERDUE:
            problems.append(Problem(ctx.file, CLIENTS, r.row, "状态", "ONBOARDING_OVERDUE",
                                    f"辅导期已于 {f['辅导期结束']} 结束，还有 {len(STEPS) - f['完成项数']} 个步骤未完成。",
                                    Severity.WARNING))
    staff = staff_names(ctx.roster, rows)
    per_staff = {n: rules.staff_newclients(n, rows, figures) for n in staff}
    if ctx.write:
        restore_formulas(wb, wspec.sheet(CLIENTS), layouts, datas[CLIENTS], result, ctx.file)
        row, col = layouts[CLIENTS].anchors[AS_OF]
        set_cell(wb[CLIENTS].cell(row, col), as_of, style_name(Role.INPUT, Type.DATE))
        rebuild_rows(wb, wspec.sheet(SUMMARY), layouts, [{"客服": n} for n in staff])
        write_total_row(wb[SUMMARY], layouts[SUMMARY], wspec.sheet(SUMMARY), len(staff), TOTALS)
        finish_recalc(wb, wspec, ctx, problems)
    result.summary_headers = ["客服", "新客户数", "已上线", "上线达标率", "平均上线天数", "逾期数"]
    result.summary_rows = [[n, str(s["新客户数"]), str(s["已上线"]), percent(s["上线达标率"]),
                            "—" if s["平均上线天数"] is None else f"{s['平均上线天数']:.1f}", str(s["逾期数"])]
                           for n, s in per_staff.items()]
    result.figures = NewClientFigures(rows=rows, figures=figures, staff=per_staff, as_of=as_of)
    return result


def python_values(result: RecalcResult) -> dict[str, dict]:
    f = result.figures
    staff = dict(f.staff)
    return {CLIENTS: {r.row: dict(fig) for r, fig in zip(f.rows, f.figures)},
            SUMMARY: {**staff, "合计": total_values(staff.values(), TOTALS)}}


KIND_DEF = Kind(KIND, TITLE, spec, recalc, python_values, needs_roster=True, collects="follow_ups")
