"""商务出访.xlsx (kind prospects, one per workspace) and the personal workbook's 商务回访 sheet
(docs/prospects.md, 未签客户的回访): the 商务 type each visit and the 客服 it is assigned to;
that 客服 calls the prospect, records 意向 and the three summaries in their own 商务回访 and
feeds them back to 商务. Recalc of the team file collects the callbacks back (the newest
personal workbook holding the row wins) and rebuilds the per-商务 summary 商务汇总; a
personal recalc adds the person's unfinished prospects to 商务回访 (typed cells never touched).
状态 is a live formula in both sheets, mirrored by rules/prospects.state."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from ..config import Config
from ..io.values import is_blank
from ..month import Month
from ..records import Problem, Severity
from ..rules import prospects as rules
from ..rules.completion import id_key
from ..rules.plan import PlanProspect
from ..sheets.build import (
    build_workbook,
    set_cell,
    style_name,
    write_rows,
    write_total_row,
)
from ..sheets.read import read_sheet, write_problem_sheet
from ..sheets.spec import Anchor, Column, Highlight, Role, SheetSpec, Type, WorkbookSpec
from .base import (
    Kind,
    RecalcContext,
    RecalcResult,
    calendar_span,
    cell_text,
    collected,
    finish_recalc,
    plain_value,
    read_tracker,
    rebuild_rows,
    restore_formulas,
    rewrite_workdays,
    start_recalc,
    typed_date,
    workdays_sheet,
)

KIND = "prospects"
FILE_NAME = "商务出访.xlsx"
TITLE = "商务出访"
VISITS, SUMMARY, STAFF_LIST, CALENDAR = "商务出访", "商务汇总", "客服名单", "工作日历"
CALLBACKS = "商务回访"                   # the personal workbook's sheet
AS_OF = "截至日期"
IDENTIFYING = ("出访编号", "出访日期", "客户名称", "联系人", "电话")       # 商务出访 → 商务回访
CALLBACK_INPUTS = ("回访日期", "客户意向", "合作期望", "能否作主", "犹豫原因", "反馈商务日期", "下次跟进日期")
DATES = ("回访日期", "反馈商务日期", "下次跟进日期")
CALL_BY, REPORT_BY, COUNTED, SALES_KEY = "回访时限", "反馈时限", "出访计数", "商务键"
RED, ORANGE, GREEN = "FFC7CE", "FFEB9C", "C6EFCE"
TOTALS = {h: "sum" for h in ("出访数", "已回访", "意向高", "意向中", "意向低", "无意向", "未回访", "逾期")}
SHEET_ORDER = {VISITS: 0, SUMMARY: 1, CALLBACKS: 7}


def path_of(workspace: Path) -> Path:
    return workspace / FILE_NAME


# --------------------------------------------------------------------------- declarations

def _deadline(source: str, n: int) -> str:
    """The n-th working day after a date column, by the sheet's hidden 工作日历 (rules.listed_after)."""
    if n <= 0:
        return f'IF(ISNUMBER([{source}]),[{source}],"")'
    cal = f"[{CALENDAR}!日期]"
    return f'IF(NOT(ISNUMBER([{source}])),"",IFERROR(SMALL({cal},COUNTIF({cal},"<="&[{source}])+{n}),""))'


def deadline_columns(config: Config) -> tuple[Column, ...]:
    """The two hidden deadlines 状态 reads, the same in 商务出访 and 商务回访 (declared before the
    visible columns that end the sheet: the title row's 截至日期 sits over the last two)."""
    n = config.prospects.callback_days
    return (
        Column(CALL_BY, Role.DERIVED, Type.DATE, _deadline("出访日期", n), hidden=True,
               help=f"辅助列（隐藏）：出访日期之后第 {n} 个法定工作日（节假日不算，调休上班日算）。"),
        Column(REPORT_BY, Role.DERIVED, Type.DATE, _deadline("回访日期", rules.REPORT_DAYS), hidden=True,
               help="辅助列（隐藏）：回访日期之后的下一个法定工作日。"),
    )


def state_column(config: Config) -> Column:
    """状态, the same in 商务出访 and 商务回访 (rules.state)."""
    n = config.prospects.callback_days
    as_of = f"N([@{AS_OF}])"
    return Column("状态", Role.DERIVED, Type.TEXT,
               f'IF([出访编号]="","",IF(NOT(ISNUMBER([回访日期])),'
               f'IF(AND(ISNUMBER([{CALL_BY}]),{as_of}>[{CALL_BY}]),"{rules.CALL_LATE}","{rules.TO_CALL}"),'
               f'IF(OR(NOT(ISNUMBER([反馈商务日期])),[反馈商务日期]<[回访日期]),'
               f'IF(AND(ISNUMBER([{REPORT_BY}]),{as_of}>[{REPORT_BY}]),"{rules.REPORT_LATE}","{rules.TO_REPORT}"),'
               f'IF(AND(ISNUMBER([下次跟进日期]),[下次跟进日期]>[回访日期]),'
               f'IF({as_of}>[下次跟进日期],"{rules.FOLLOW_LATE}","{rules.FOLLOWING}"),"{rules.DONE}"))))',
               width=10,
               help=f"待回访 / 回访逾期（出访日期后 {n} 个工作日内回访）→ 待反馈 / 反馈逾期（回访后 1 个工作日内反馈商务）"
                    f"→ 跟进中 / 跟进逾期（下次跟进日期当天跟进）→ 完成（已反馈、没有以后的下次跟进日期）。")


def callback_columns(role: Role, by: str = "") -> tuple[Column, ...]:
    """The seven callback columns; typed in 商务回访, collected (or typed, without personal
    workbooks) in 商务出访."""
    return (
        Column("回访日期", role, Type.DATE, help=f"{by}给客户打回访电话的日期（以后每次跟进打电话，改成那一天）。"),
        Column("客户意向", role, Type.TEXT, dropdown=rules.INTENTIONS, help=f"{by}高 / 中 / 低 / 无意向。"),
        Column("合作期望", role, Type.TEXT, width=24, help=f"{by}客户期望多大（预算、效果、合作方式）。"),
        Column("能否作主", role, Type.TEXT, dropdown=rules.DECIDES, help=f"{by}接电话的人能否作主：是 / 否 / 需请示。"),
        Column("犹豫原因", role, Type.TEXT, width=24, help=f"{by}客户犹豫的原因（写得简短、同样的原因用同样的说法，便于汇总）。"),
        Column("反馈商务日期", role, Type.DATE, help=f"{by}把回访结果反馈给商务的日期（每次回访后都要反馈）。"),
        Column("下次跟进日期", role, Type.DATE, help=f"{by}约好下次跟进的日期；不再跟进就留空（已反馈即完成）。"),
    )


def _highlights() -> tuple[Highlight, ...]:
    late = ",".join(f'[状态]="{s}"' for s in rules.LATE_STATES)
    return (Highlight(f"OR({late})", RED, ("出访编号", "状态")),
            Highlight(f'[状态]="{rules.DONE}"', GREEN, ("状态",)))


def spec(config: Config, month: Month | None = None) -> WorkbookSpec:
    n = config.prospects.callback_days
    follow = Role.COMPUTED if collected(config) else Role.INPUT
    by = "（由指派客服的个人工作簿「商务回访」汇总）" if collected(config) else ""
    visits = SheetSpec(
        name=VISITS, title="商务出访（商务填写）", key="出访编号", buffer_rows=300,
        row_markers=("出访编号", "出访日期", "客户名称"),
        anchors=(Anchor(AS_OF, Type.DATE, "判断逾期的日期：重算时设为当天。"),),
        help=f"商务每出访一个未签客户登记一行，指派一位客服：客服在出访后 {n} 个工作日内回访，"
             "回访后 1 个工作日内把结果反馈给商务。",
        columns=(
            Column("出访编号", Role.INPUT, Type.ID, help="出访编号，唯一（例如 2026-11-001）。"),
            Column("出访日期", Role.INPUT, Type.DATE, help="商务拜访客户的日期。"),
            Column("商务", Role.INPUT, Type.TEXT, help="出访的商务（商务汇总按它分人）。"),
            Column("客户名称", Role.INPUT, Type.TEXT, width=22, help="客户（公司）名称。"),
            Column("联系人", Role.INPUT, Type.TEXT, help="客户的联系人。"),
            Column("电话", Role.INPUT, Type.ID, width=14, help="联系人电话（按文字保存，开头的 0 不会丢）。"),
            Column("指派客服", Role.INPUT, Type.TEXT, dropdown_source=f"{STAFF_LIST}!客服",
                   help="负责回访的客服（从下拉列表选择，与名册一致）。"),
            *deadline_columns(config),
            Column(COUNTED, Role.DERIVED, Type.INT, 'IF([状态]="","",1)', hidden=True,
                   help="辅助列（隐藏）：1 = 一个出访客户（有出访编号），「商务汇总」按它统计。"),
            Column(SALES_KEY, Role.DERIVED, Type.TEXT, "[商务]", hidden=True,
                   help="辅助列（隐藏）：商务（去掉首尾空格），「商务汇总」按它找行。"),
            *callback_columns(follow, by),
            state_column(config),
        ),
        highlights=_highlights(),
    )
    v = f"[{VISITS}!"
    mine = f"{v}{SALES_KEY}],[商务]"

    def count_states(states) -> str:
        return "+".join(f'COUNTIFS({mine},{v}状态],"{s}")' for s in states)
    summary = SheetSpec(
        name=SUMMARY, title="商务汇总", key="商务", buffer_rows=0, row_markers=("商务",),
        help="每位商务一行：出访了多少客户、客服回访了多少、客户意向分布、还没回访的、逾期的、客户主要的犹豫原因"
             "（可以打印或复制发给商务）。",
        columns=(
            Column("商务", Role.COMPUTED, Type.TEXT, help="商务（「商务出访」中出现的）。"),
            Column("出访数", Role.DERIVED, Type.INT, f"SUMIFS({v}{COUNTED}],{mine})", help="出访的客户数（有出访编号的行）。"),
            Column("已回访", Role.DERIVED, Type.INT, "[出访数]-[未回访]", help="客服已经回访（填了回访日期）的客户数。"),
            *(Column(f"意向{i}" if i != "无意向" else i, Role.DERIVED, Type.INT,
                     f'SUMIFS({v}{COUNTED}],{mine},{v}客户意向],"{i}")', help=f"客户意向为「{i}」的客户数。")
              for i in rules.INTENTIONS),
            Column("未回访", Role.DERIVED, Type.INT, count_states(rules.NOT_CALLED), help="还没有回访的客户数（待回访、回访逾期）。"),
            Column("逾期", Role.DERIVED, Type.INT, count_states(rules.LATE_STATES),
                   help="回访、反馈商务或跟进逾期的客户数。"),
            Column("主要犹豫原因", Role.COMPUTED, Type.TEXT, width=40, wrap=True,
                   help="客户最常说的犹豫原因（最多三条，括号里是客户数），重算时填写。"),
        ),
        highlights=(Highlight("N([逾期])>0", ORANGE, ("逾期",)),),
    )
    staff = SheetSpec(
        name=STAFF_LIST, title="在职客服（重算时更新）", key="客服", buffer_rows=0, hidden=True, protect=False,
        row_markers=("客服",), columns=(Column("客服", Role.COMPUTED, Type.TEXT, help="名册中在职的客服。"),),
    )
    calendar = workdays_sheet("法定工作日（回访时限、反馈时限按它计算）。")
    notes = (
        "商务一人填写蓝色表头的前七列（出访编号、出访日期、商务、客户名称、联系人、电话、指派客服）；其他人只看。",
        "指派的客服在自己的个人工作簿「商务回访」表里填写回访结果，重算或 kefu-xl collect 时汇总到这里（灰色表头的列）。",
        f"时限：出访日期后 {n} 个工作日内回访，回访后 1 个工作日内反馈商务，下次跟进日期当天跟进；逾期的标红，列在「问题」表。",
        "「商务汇总」每位商务一行，可以打印或复制发给商务。",
    )
    return WorkbookSpec(kind=KIND, title=TITLE, sheets=(visits, summary, staff, calendar), notes=notes)


def personal_sheets(config: Config, month: Month) -> tuple[SheetSpec, SheetSpec]:
    """商务回访 and its hidden 工作日历, for the personal workbook (kinds/personal.py); a workbook
    made before them gains both at its next recalc."""
    callbacks = SheetSpec(
        name=CALLBACKS, title=f"{month.label} 商务回访", key="出访编号", buffer_rows=0, row_markers=("出访编号",),
        anchors=(Anchor(AS_OF, Type.DATE, "判断逾期的日期：重算时设为当天。"),), added_later=True,
        help=f"商务出访后指派给我的客户：出访后 {config.prospects.callback_days} 个工作日内打电话回访，填写意向和三总结"
             "（合作期望、能否作主、犹豫原因），1 个工作日内反馈商务；约了下次跟进就填下次跟进日期。",
        columns=(
            Column("出访编号", Role.COMPUTED, Type.ID, help="商务出访.xlsx 中的出访编号。"),
            Column("出访日期", Role.COMPUTED, Type.DATE, help="商务拜访客户的日期。"),
            Column("客户名称", Role.COMPUTED, Type.TEXT, width=22, help="客户名称。"),
            Column("联系人", Role.COMPUTED, Type.TEXT, help="联系人。"),
            Column("电话", Role.COMPUTED, Type.ID, width=14, help="联系人电话。"),
            *deadline_columns(config),
            *callback_columns(Role.INPUT),
            state_column(config),
        ),
        highlights=_highlights(),
    )
    calendar = workdays_sheet("法定工作日（商务回访的时限按它计算）。", added_later=True)
    return callbacks, calendar


def build(config: Config, meta: dict | None = None):
    wspec = spec(config)
    wb, _ = build_workbook(wspec, {s.name: s.title for s in wspec.sheets}, {}, {}, dict(meta or {}))
    write_problem_sheet(wb, [], before="说明")
    return wb


# --------------------------------------------------------------------------- reading

def read_prospects(data, file: str, sheet: str, problems: list[Problem] | None, near: date,
                   owner: str = "") -> list[rules.Prospect]:
    """The rows of 商务出访 or 商务回访 (`owner`: the personal workbook's, its 指派客服)."""
    out = []
    for row, v in data.rows:
        def day(header):
            return typed_date(v, header, (file, sheet, row), problems, near) if header in v else None
        p = rules.Prospect(
            cell_text(v["出访编号"]), day("出访日期"), cell_text(v["客户名称"]), cell_text(v["联系人"]),
            cell_text(v["电话"]), cell_text(v.get("商务")), owner or cell_text(v.get("指派客服")), day("回访日期"),
            cell_text(v["客户意向"]), cell_text(v["合作期望"]), cell_text(v["能否作主"]), cell_text(v["犹豫原因"]),
            day("反馈商务日期"), day("下次跟进日期"), row)
        if problems is not None:
            for header, value, allowed in (("客户意向", p.intention, rules.INTENTIONS), ("能否作主", p.decides, rules.DECIDES)):
                if value and value not in allowed:
                    problems.append(Problem(file, sheet, row, header, "BAD_VALUE",
                                            f"{header}「{value}」应为 {' / '.join(allowed)}（从下拉列表选择）：汇总时不计入意向分布。",
                                            Severity.WARNING))
        out.append(p)
    return out


def team_prospects(workspace: Path | None, config: Config) -> tuple[list[tuple[rules.Prospect, dict]], bool]:
    """([(prospect, its typed cells)] of the workspace's 商务出访, whether the file was readable):
    what a personal recalc takes its rows from (read only)."""
    path = path_of(workspace) if workspace else None
    if path is None or not path.exists():
        return [], False
    _, datas = read_tracker(path, lambda m: spec(config), (VISITS,), month=Month(2000, 1))
    data = datas[VISITS]
    if data is None:
        return [], False
    prospects = read_prospects(data, path.name, VISITS, None, date.today())
    return [(p, values) for p, (_, values) in zip(prospects, data.rows)], True


def sheet_days(ctx: RecalcContext, prospects: list[rules.Prospect]) -> list[date]:
    """The working days a sheet's hidden 工作日历 lists: the month with margins and every date in
    use (plausible ones: within two years of the recalc), with room after each."""
    near = [d for p in prospects for d in (p.visited, p.called) if d and abs((d - ctx.as_of).days) < 730]
    first, last = calendar_span(Month.of(ctx.as_of), ctx.calendar, [*near, *(d + timedelta(days=20) for d in near)])
    return ctx.calendar.workdays_between(first, last)


@dataclass
class Judged:
    """Prospects with their 状态 and hidden deadlines, as Python computes the formulas."""
    prospects: list[rules.Prospect] = field(default_factory=list)
    states: list[str] = field(default_factory=list)
    deadlines: list[tuple[date | None, date | None]] = field(default_factory=list)


def judge(prospects: list[rules.Prospect], days: list[date], as_of: date, callback_days: int) -> Judged:
    after = rules.listed_after(days)
    return Judged(prospects, [rules.state(p, as_of, after, callback_days) for p in prospects],
                  [rules.deadlines(p, after, callback_days) for p in prospects])


def late_problems(judged: Judged, file: str, sheet: str, after, callback_days: int, who: bool) -> list[Problem]:
    """One warning per late prospect, naming the step and its day (and the 客服 in the team file)."""
    out = []
    for p, s in zip(judged.prospects, judged.states):
        if s not in rules.LATE_STATES:
            continue
        _, due = rules.step_due(p, after, callback_days)
        by = f"（{p.staff or '未指派'}）" if who else ""
        what = {rules.CALL_LATE: "回访", rules.REPORT_LATE: "反馈商务", rules.FOLLOW_LATE: "跟进"}[s]
        column = {rules.CALL_LATE: "回访日期", rules.REPORT_LATE: "反馈商务日期", rules.FOLLOW_LATE: "下次跟进日期"}[s]
        out.append(Problem(file, sheet, p.row, column, "PROSPECT_LATE",
                           f"{s}{by}：出访 {p.number}（{p.client or '—'}）应在 {due.isoformat() if due else '—'} 前{what}。",
                           Severity.WARNING))
    return out


# --------------------------------------------------------------------------- team file recalc

def merge_callbacks(wb, sheet: SheetSpec, layout, data, ctx: RecalcContext, problems: list[Problem]) -> int:
    """The callback columns of each assigned 客服's 商务回访 into 商务出访, matched by 指派客服 and
    出访编号. People come oldest month first: the newest personal workbook holding a row
    gives all seven cells, blanks too (clearing 下次跟进日期 finishes a prospect). Returns cells written."""
    follow = ctx.personal.follow_ups(KIND)
    team = {}
    for r, v in data.rows:
        key = (cell_text(v["指派客服"]), id_key(cell_text(v["出访编号"])))
        if key[1]:
            team.setdefault(key, (r, v))
    newest: dict[tuple[str, str], dict] = {}
    for owner, file, rows in follow.people:
        for row, v in rows:
            number = cell_text(v["出访编号"])
            if not number:
                continue
            if (owner, id_key(number)) not in team:
                problems.append(Problem(ctx.file, f"个人/{file}", row, "出访编号", "NOT_ASSIGNED",
                                        f"{file}「{CALLBACKS}」第 {row} 行的出访「{number}」在商务出访中不是指派给{owner}的："
                                        f"没有汇总，请商务核对指派客服。", Severity.WARNING))
                continue
            newest[(owner, id_key(number))] = v
    ws, written = wb[sheet.name], 0
    for key, v in newest.items():
        team_row, team_values = team[key]
        for header in CALLBACK_INPUTS:
            value = plain_value(v[header])
            have = plain_value(team_values[header])
            if (is_blank(value) and is_blank(have)) or value == have:
                continue
            set_cell(ws.cell(team_row, layout.columns[header]), None if is_blank(value) else value,
                     style_name(Role.COMPUTED, sheet.column(header).type))
            written += 1
    return written


def check_visits(prospects: list[rules.Prospect], ctx: RecalcContext, problems: list[Problem]) -> None:
    seen: dict[str, int] = {}
    known = {m.name for m in ctx.roster if m.active} if ctx.roster is not None else None
    for p in prospects:
        def add(column, code, message, severity=Severity.WARNING):
            problems.append(Problem(ctx.file, VISITS, p.row, column, code, message, severity))
        if not p.number:
            add("出访编号", "NO_NUMBER", "出访编号没有填写：这一行不会派给客服回访，也不计入商务汇总。请填写唯一的编号。")
            continue
        if id_key(p.number) in seen:
            add("出访编号", "DUPLICATE_NUMBER", f"出访编号「{p.number}」与第 {seen[id_key(p.number)]} 行重复：请改成唯一的编号"
                                                "（客服的回访按编号对应）。", Severity.ERROR)
            continue
        seen[id_key(p.number)] = p.row
        if p.visited is None:
            add("出访日期", "NO_DATE", "出访日期没有填写：算不出回访时限。")
        if not p.sales:
            add("商务", "NO_SALES", "商务没有填写：这一行不计入商务汇总。")
        if not p.staff:
            add("指派客服", "NOT_ASSIGNED", "还没有指派客服：没有人会回访这个客户。请从下拉列表选择。")
        elif known is not None and p.staff not in known:
            add("指派客服", "UNKNOWN_STAFF", f"指派客服「{p.staff}」不是名册中在职的客服：没有人会回访这个客户。")


@dataclass
class ProspectsFigures:
    judged: Judged
    summary: list[rules.SalesSummary]


def summary_row_values(s: rules.SalesSummary) -> dict:
    high, mid, low, none = s.intentions
    return {"出访数": s.prospects, "已回访": s.reached, "意向高": high, "意向中": mid, "意向低": low, "无意向": none,
            "未回访": s.not_called, "逾期": s.late}


def recalc(wb, ctx: RecalcContext) -> RecalcResult:
    config = ctx.config
    wspec = spec(config)
    n = config.prospects.callback_days
    result, found = start_recalc(wb, ctx, KIND, wspec, rebuilt=(SUMMARY, STAFF_LIST, CALENDAR))
    problems = result.problems
    if found is None:
        return result
    layouts, datas = found
    sheet = wspec.sheet(VISITS)
    if collected(config) and ctx.personal is not None and \
            merge_callbacks(wb, sheet, layouts[VISITS], datas[VISITS], ctx, problems):
        datas[VISITS] = read_sheet(wb[VISITS], sheet, ctx.file, problems)
    prospects = read_prospects(datas[VISITS], ctx.file, VISITS, problems, ctx.as_of)
    check_visits(prospects, ctx, problems)
    days = sheet_days(ctx, prospects)
    judged = judge(prospects, days, ctx.as_of, n)
    problems.extend(late_problems(judged, ctx.file, VISITS, rules.listed_after(days), n, who=True))
    sales = list(dict.fromkeys(p.sales for p, s in zip(prospects, judged.states) if p.sales and s))
    summary = [rules.sales_summary(name, prospects, judged.states) for name in sales]
    if ctx.write:
        row, col = layouts[VISITS].anchors[AS_OF]
        set_cell(wb[VISITS].cell(row, col), ctx.as_of, style_name(Role.INPUT, Type.DATE))
        restore_formulas(wb, sheet, layouts, datas[VISITS], result, ctx.file)
        rebuild_rows(wb, wspec.sheet(SUMMARY), layouts,
                     [{"商务": s.sales, "主要犹豫原因": s.hesitations} for s in summary])
        write_total_row(wb[SUMMARY], layouts[SUMMARY], wspec.sheet(SUMMARY), len(summary), TOTALS)
        set_cell(wb[SUMMARY].cell(1, 1), f"商务汇总（截至 {ctx.as_of.isoformat()}）")
        staff = [m.name for m in ctx.roster or [] if m.active]
        rebuild_rows(wb, wspec.sheet(STAFF_LIST), layouts, [{"客服": name} for name in staff])
        rewrite_workdays(wb, wspec, layouts, days)
        finish_recalc(wb, wspec, ctx, sorted(problems, key=lambda p: (SHEET_ORDER.get(p.sheet, 9), p.row or 0)))
    result.summary_headers = ["商务", "出访数", "已回访", "未回访", "逾期", "主要犹豫原因"]
    result.summary_rows = [[s.sales, str(s.prospects), str(s.reached), str(s.not_called), str(s.late),
                            s.hesitations or "—"] for s in summary]
    result.figures = ProspectsFigures(judged, summary)
    return result


def state_values(judged: Judged) -> dict[int, dict]:
    return {p.row: {"状态": s, CALL_BY: call_by, REPORT_BY: report_by}
            for p, s, (call_by, report_by) in zip(judged.prospects, judged.states, judged.deadlines)}


def python_values(result: RecalcResult) -> dict[str, dict]:
    f = result.figures
    visits = state_values(f.judged)
    for p, s in zip(f.judged.prospects, f.judged.states):
        visits[p.row].update({COUNTED: 1 if s else "", SALES_KEY: p.sales})
    summary = {s.sales: summary_row_values(s) for s in f.summary}
    summary["合计"] = {h: sum(v[h] for v in summary.values()) for h in TOTALS}
    return {VISITS: visits, SUMMARY: summary}


KIND_DEF = Kind(KIND, TITLE, spec, recalc, python_values, needs_roster=True, collects="follow_ups",
                collects_months=2)


# --------------------------------------------------------------------------- the personal sheet

@dataclass
class MyProspects:
    """商务回访 of one personal workbook as its recalc judged it (PersonalFigures.prospects)."""
    judged: Judged
    callback_days: int


def _row_of(p: rules.Prospect, values: dict) -> dict:
    """A new 商务回访 row: identifying values and the callbacks the team file holds (copied once)."""
    return {"出访编号": p.number, "出访日期": p.visited, "客户名称": p.client or None, "联系人": p.contact or None,
            "电话": p.phone or None, **{h: plain_value(values.get(h)) for h in CALLBACK_INPUTS}}


def recalc_personal(wb, wspec: WorkbookSpec, layouts, datas, owner: str, ctx: RecalcContext,
                    result: RecalcResult) -> MyProspects:
    """The person's 商务回访: rows of 商务出访 assigned to them and not finished there are added
    (with the callbacks the team file already holds), identifying values kept up to date, typed
    cells never touched; a row no longer assigned to them stays, with a warning. Then 截至日期,
    the hidden 工作日历 and the formulas. Without the team file (or away from the workspace)
    the sheet is judged as it is."""
    problems, n = result.problems, ctx.config.prospects.callback_days
    sheet = wspec.sheet(CALLBACKS)
    data, layout = datas[CALLBACKS], layouts[CALLBACKS]
    team, found = team_prospects(ctx.workspace, ctx.config)
    existing = {id_key(cell_text(v["出访编号"])): (r, v) for r, v in data.rows if cell_text(v["出访编号"])}
    ws = wb[CALLBACKS]
    next_row = max(data.last_row, layout.header_row) + 1
    assigned = set()
    for p, values in team:
        key = id_key(p.number)
        if not p.number or p.staff != owner:
            continue
        assigned.add(key)
        if key in existing:
            row, v = existing[key]
            for h in IDENTIFYING[1:]:
                want = _row_of(p, values)[h]
                if plain_value(v[h]) != want and not (is_blank(v[h]) and is_blank(want)) and ctx.write:
                    set_cell(ws.cell(row, layout.columns[h]), want, style_name(Role.COMPUTED, sheet.column(h).type))
        elif not rules.finished(p) and ctx.write:
            write_rows(ws, layout, sheet, [_row_of(p, values)], next_row)
            next_row += 1
    if found:
        for key, (row, v) in existing.items():
            if key not in assigned:
                problems.append(Problem(ctx.file, CALLBACKS, row, "出访编号", "NOT_ASSIGNED",
                                        f"出访「{cell_text(v['出访编号'])}」在商务出访.xlsx 中已不是指派给你的：这一行不会汇总"
                                        f"（填写的内容保留），请问商务。", Severity.WARNING))
    if ctx.write:
        data = read_sheet(ws, sheet, ctx.file, []) or data
        data.added = datas[CALLBACKS].added
    prospects = read_prospects(data, ctx.file, CALLBACKS, problems, ctx.as_of, owner)
    days = sheet_days(ctx, prospects)
    judged = judge(prospects, days, ctx.as_of, n)
    problems.extend(late_problems(judged, ctx.file, CALLBACKS, rules.listed_after(days), n, who=False))
    if ctx.write:
        row, col = layout.anchors[AS_OF]
        set_cell(ws.cell(row, col), ctx.as_of, style_name(Role.COMPUTED, Type.DATE))
        rewrite_workdays(wb, wspec, layouts, days)
        restore_formulas(wb, sheet, layouts, data, result, ctx.file)
    return MyProspects(judged, n)


def personal_values(mine: MyProspects | None) -> dict[str, dict]:
    """Python's values of 商务回访's formulas (by row)."""
    return {} if mine is None else {CALLBACKS: state_values(mine.judged)}


def called_days(prospects: list[rules.Prospect]) -> dict[str, set]:
    """{出访编号 (id_key): the days of its 回访日期 and 反馈商务日期} — what marks 今日's 商务回访 line done."""
    out: dict[str, set] = {}
    for p in prospects:
        if p.number:
            out.setdefault(id_key(p.number), set()).update(d for d in (p.called, p.reported) if d is not None)
    return out


def plan_inputs(mine: "MyProspects | None", day: date, calendar) -> list:
    """The person's prospect callbacks due or late on `day`, for 今日's 未联系上 block."""
    if mine is None:
        return []
    return [PlanProspect(c.prospect.number, c.prospect.client, c.what, c.reason, c.late)
            for c in rules.callbacks_due(mine.judged.prospects, day, calendar, mine.callback_days)]
