"""客户档案.xlsx (kind archive, one per workspace): every client's little file and the
callback cadence (docs/archive.md: 客户档案资料的建立 / 商务交接 / 老客户回访
跟踪记录). People type 档案 (one row per contact person; month open adds a row for each new
account); recalc checks the handover and the decision-maker contact and rebuilds 回访节奏
from the month's 工作记录 (rules/cadence.py), which also feeds the personal plan."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ..calendar import WorkCalendar
from ..config import Config
from ..month import Month
from ..records import AccountStatus, Problem, Severity
from ..rules import cadence as rules
from ..rules import completion
from ..sheets.build import build_workbook, set_cell, style_name
from ..sheets.read import write_problem_sheet
from ..sheets.spec import Anchor, Column, Highlight, Role, SheetSpec, Type, WorkbookSpec
from .base import (
    Kind,
    RecalcContext,
    RecalcResult,
    cell_date,
    cell_text,
    finish_recalc,
    rebuild_rows,
    restore_formulas,
    rewrite_workdays,
    start_recalc,
    workdays_sheet,
)
from .team_view import team_snapshot

KIND = "archive"
FILE_NAME = "客户档案.xlsx"
TITLE = "客户档案"
FILES, CADENCE, CALENDAR = "档案", "回访节奏", "工作日历"
AS_OF = "截至日期"
YES, NO = "是", "否"
HANDED, WAITING, LATE = "已交接", "待交接", "逾期未交接"
RED, ORANGE, GREEN = "FFC7CE", "FFEB9C", "C6EFCE"
SHEET_ORDER = {FILES: 0, CADENCE: 1}


def path_of(workspace: Path) -> Path:
    return workspace / FILE_NAME


def spec(config: Config, month: Month | None = None) -> WorkbookSpec:
    a = config.archive
    cal = f"[{CALENDAR}!日期]"
    as_of = f"[{FILES}!@{AS_OF}]"
    files = SheetSpec(
        name=FILES, title="客户档案", key="帐户ID", buffer_rows=200, row_markers=("帐户ID",),
        anchors=(Anchor(AS_OF, Type.DATE, "交接和回访节奏按这一天判断：重算时设为当天。"),),
        help="每个客户的联系人一行（同一帐户可以有几行）：联系方式、合同、商务交接时承诺的内容。开月时自动添加新帐户。",
        columns=(
            Column("帐户ID", Role.INPUT, Type.ID, help="广告平台帐户ID。"),
            Column("客户名称", Role.INPUT, Type.TEXT, width=22, help="客户（公司）名称。"),
            Column("类别", Role.INPUT, Type.TEXT, help="客户类别（行业、规模等，按团队习惯）。"),
            Column("联系人", Role.INPUT, Type.TEXT, help="联系人姓名（节日问候的称呼）。"),
            Column("职务", Role.INPUT, Type.TEXT, help="联系人的职务。"),
            Column("决策人", Role.INPUT, Type.TEXT, dropdown=(YES, NO), help="是：广告负责人/决策人（只有与决策人的沟通有效）。"),
            Column("手机", Role.INPUT, Type.ID, width=13, help="联系人手机。"),
            Column("地址", Role.INPUT, Type.TEXT, width=28, help="上门拜访的地址。"),
            Column("商务", Role.INPUT, Type.TEXT, help="签单的商务（销售）。"),
            Column("合同开始", Role.INPUT, Type.DATE, help="合同开始日期。"),
            Column("合同到期", Role.INPUT, Type.DATE, help="合同到期日期（开月时从帐户状态表带入）。"),
            Column("承诺内容", Role.INPUT, Type.TEXT, width=36, help="商务交接时对客户承诺的服务、优惠等。"),
            Column("交接日期", Role.INPUT, Type.DATE, help="商务把客户交接给客服的日期。"),
            Column("商务确认", Role.INPUT, Type.TEXT, dropdown=(YES, NO), help="是：商务已确认交接内容。"),
            Column("交接", Role.DERIVED, Type.TEXT,
                   f'IF(OR([帐户ID]="",NOT(ISNUMBER([合同开始]))),"",IF(AND(ISNUMBER([交接日期]),[商务确认]="{YES}"),'
                   f'"{HANDED}",IF(COUNTIFS({cal},">"&[合同开始],{cal},"<="&[@{AS_OF}])>{a.handover_days},'
                   f'"{LATE}","{WAITING}")))',
                   help=f"已交接：有交接日期且商务确认；合同开始后超过 {a.handover_days} 个工作日还没有的为逾期未交接。"),
            Column("有决策人", Role.DERIVED, Type.TEXT,
                   f'IF([帐户ID]="","",IF(COUNTIFS([{FILES}!帐户ID],[帐户ID],[{FILES}!决策人],"{YES}")>0,"{YES}","{NO}"))',
                   help="这个帐户的联系人中有没有决策人（没有的要补上：只有与决策人的沟通有效）。"),
        ),
        highlights=(Highlight(f'[交接]="{LATE}"', RED, ("合同开始", "交接日期", "商务确认", "交接")),
                    Highlight(f'[有决策人]="{NO}"', ORANGE, ("联系人", "决策人", "有决策人"))),
    )
    cadence = SheetSpec(
        name=CADENCE, title="回访节奏（本月）", key="帐户ID", buffer_rows=0, row_markers=("帐户ID",),
        help=f"重算时按本月维护跟踪表的有效工作记录生成：超过 {a.max_gap} 个工作日没联系，或剩下的工作日不够本月联系 "
             f"{a.min_contacts} 次的，应联系（列入负责客服的今日计划）。",
        columns=(
            Column("帐户ID", Role.COMPUTED, Type.ID, help="档案中、本月维护跟踪表里有的帐户。"),
            Column("客服", Role.COMPUTED, Type.TEXT, help="负责的客服（本月维护跟踪表）。"),
            Column("本月联系次数", Role.COMPUTED, Type.INT, help="本月有有效工作记录（与决策人沟通）的天数，到截至日期为止。"),
            Column("上次联系", Role.COMPUTED, Type.DATE, help="本月最近一次有效联系的日期。"),
            Column("间隔工作日", Role.DERIVED, Type.INT,
                   f'IF([帐户ID]="","",IF(NOT(ISNUMBER([上次联系])),COUNTIFS({cal},"<="&{as_of}),'
                   f'COUNTIFS({cal},">"&[上次联系],{cal},"<="&{as_of})))',
                   help="上次联系之后到截至日期的工作日数（本月没联系过的，从 1 日算起）。"),
            Column("应联系", Role.DERIVED, Type.TEXT,
                   f'IF([帐户ID]="","",IF(OR([间隔工作日]>{a.max_gap},AND({a.min_contacts}-[本月联系次数]>0,'
                   f'{a.min_contacts}-[本月联系次数]>=COUNTIFS({cal},">="&{as_of}))),"{YES}","{NO}"))',
                   help=f"是：间隔超过 {a.max_gap} 个工作日，或还差的联系次数（每月至少 {a.min_contacts} 次）"
                        "已不少于剩下的工作日（含当天）。"),
        ),
        highlights=(Highlight(f'[应联系]="{YES}"', ORANGE, ("间隔工作日", "应联系")),),
    )
    calendar = workdays_sheet("本月的法定工作日；交接检查还包括合同开始以来的工作日。", title="法定工作日（本月）")
    notes = (
        "「档案」每个联系人一行，蓝色表头的列手工填写；开月时新帐户自动加一行（帐户ID、客户名称、合同到期）。",
        f"商务交接：合同开始后 {a.handover_days} 个工作日内填写交接日期并由商务确认，否则重算时列为问题；"
        "每个客户至少要有一位决策人联系人。",
        f"回访节奏：每 {a.max_gap} 个工作日内至少联系一次、每月至少 {a.min_contacts} 次（每 10–15 天回访一次，"
        "每月至少两次）；应联系的客户列入负责客服的「今日」计划。kefu-xl greet YYYY-MM 生成节日问候。",
    )
    return WorkbookSpec(kind=KIND, title=TITLE, sheets=(files, cadence, calendar), notes=notes)


# --------------------------------------------------------------------------- build / month open

def new_rows(statuses: list[AccountStatus], present: set[str]) -> list[dict]:
    """档案 rows for accounts of the month's 帐户状态 not in the archive yet."""
    out, seen = [], set(present)
    for s in statuses:
        key = completion.id_key(s.account_id)
        if key in seen or not s.account_id:
            continue
        seen.add(key)
        out.append({"帐户ID": s.account_id, "客户名称": s.client, "合同到期": s.contract_end})
    return out


def build(config: Config, rows: list[dict], meta: dict | None = None):
    wspec = spec(config)
    titles = {s.name: s.title for s in wspec.sheets}
    wb, _ = build_workbook(wspec, titles, {FILES: rows}, {}, dict(meta or {}))
    write_problem_sheet(wb, [], before="说明")
    return wb


# --------------------------------------------------------------------------- recalc

@dataclass(frozen=True)
class FileRow:
    row: int
    account_id: str
    client: str
    contact: str
    decision_maker: bool
    phone: str
    start: date | None
    handed: date | None
    confirmed: bool


def read_files(data, file: str, problems: list[Problem]) -> list[FileRow]:
    out = []
    for row, v in data.rows:
        for header in ("决策人", "商务确认"):
            value = cell_text(v[header])
            if value and value not in (YES, NO):
                problems.append(Problem(file, FILES, row, header, "BAD_YES_NO", f"{header}「{value}」应为 是/否。"))
        out.append(FileRow(row, cell_text(v["帐户ID"]), cell_text(v["客户名称"]), cell_text(v["联系人"]),
                           cell_text(v["决策人"]) == YES, cell_text(v["手机"]), cell_date(v["合同开始"]),
                           cell_date(v["交接日期"]), cell_text(v["商务确认"]) == YES))
    return out


def handover(r: FileRow, as_of: date, calendar: WorkCalendar, days: int) -> str:
    """交接: 已交接 / 逾期未交接 / 待交接 ("" without 合同开始)."""
    if not r.account_id or r.start is None:
        return ""
    if r.handed is not None and r.confirmed:
        return HANDED
    elapsed = calendar.count(r.start + timedelta(days=1), as_of) if as_of > r.start else 0
    return LATE if elapsed > days else WAITING


def decision_makers(rows: list[FileRow]) -> set[str]:
    return {completion.id_key(r.account_id) for r in rows if r.account_id and r.decision_maker}


def month_contacts(workspace: Path | None, month: Month, config: Config):
    """({account key: 客服}, {account key: set of contact days}) of the month's team tracker,
    or None when the month has none."""
    if workspace is None:
        return None
    snapshot = team_snapshot(workspace / str(month), month, config)
    if snapshot is None:
        return None
    accounts, valid = snapshot[0], snapshot[1]
    owners = {completion.id_key(a["帐户ID"]): a["客服"] for a in accounts}
    days: dict[str, set] = {}
    for rec, _ in valid:
        if rec.day is not None:
            days.setdefault(completion.id_key(rec.account_id), set()).add(rec.day)
    return owners, days


@dataclass
class ArchiveFigures:
    """What the archive recalc computed, as Python values (python_values writes them as the
    cached values of the formula cells; tests compare them with LibreOffice's)."""
    rows: Any
    states: Any
    with_dm: Any
    cadence: Any
    month: Any


def recalc(wb, ctx: RecalcContext) -> RecalcResult:
    config, month = ctx.config, Month.of(ctx.as_of)
    wspec = spec(config)
    result, found = start_recalc(wb, ctx, KIND, wspec, rebuilt=(CADENCE, CALENDAR))
    problems = result.problems
    if found is None:
        return result
    layouts, datas = found
    rows = read_files(datas[FILES], ctx.file, problems)
    as_of, a = ctx.as_of, config.archive
    states = [handover(r, as_of, ctx.calendar, a.handover_days) for r in rows]
    with_dm = decision_makers(rows)
    flagged: set[str] = set()
    for r, state in zip(rows, states):
        if state == LATE:
            missing = "、".join(x for x, ok in (("交接日期", r.handed is not None), ("商务确认", r.confirmed)) if not ok)
            problems.append(Problem(ctx.file, FILES, r.row, "交接日期", "HANDOVER_LATE",
                                    f"合同 {r.start} 开始已超过 {a.handover_days} 个工作日，还没有{missing}：请商务尽快交接"
                                    "（承诺内容写清楚）。", Severity.WARNING))
        key = completion.id_key(r.account_id)
        if r.account_id and key not in with_dm and key not in flagged:
            flagged.add(key)
            problems.append(Problem(ctx.file, FILES, r.row, "决策人", "NO_DECISION_MAKER",
                                    f"帐户「{r.account_id}」（{r.client or '—'}）的联系人中没有决策人：请补上广告负责人的联系方式。",
                                    Severity.WARNING))
    contacts = month_contacts(ctx.workspace, month, config)
    cadence_rows = []
    if contacts is None:
        problems.append(Problem(ctx.file, CADENCE, None, "", "NO_TRACKER",
                                f"没有 {month} 的维护跟踪表：回访节奏为空。开月后再重算。", Severity.INFO))
    else:
        owners, days = contacts
        seen: set[str] = set()
        for r in rows:
            key = completion.id_key(r.account_id)
            if not r.account_id or key in seen or key not in owners:
                continue
            seen.add(key)
            c = rules.cadence(days.get(key, set()), as_of, month, ctx.calendar, max_gap=a.max_gap,
                              min_contacts=a.min_contacts)
            cadence_rows.append((r.account_id, owners[key], c))
    first = min([month.first, *(r.start for r, state in zip(rows, states) if state and state != HANDED)])
    if ctx.write:
        restore_formulas(wb, wspec.sheet(FILES), layouts, datas[FILES], result, ctx.file)
        row, col = layouts[FILES].anchors[AS_OF]
        set_cell(wb[FILES].cell(row, col), as_of, style_name(Role.INPUT, Type.DATE))
        rebuild_rows(wb, wspec.sheet(CADENCE), layouts,
                     [{"帐户ID": i, "客服": s, "本月联系次数": c.contacts, "上次联系": c.last} for i, s, c in cadence_rows])
        rewrite_workdays(wb, wspec, layouts, ctx.calendar.workdays_between(first, month.last))
        finish_recalc(wb, wspec, ctx, sorted(problems, key=lambda p: (SHEET_ORDER.get(p.sheet, 9), p.row or 0)))
    due = [(i, s, c) for i, s, c in cadence_rows if c.due]
    result.summary_headers = ["档案行", "帐户", "逾期未交接", "缺决策人", "回访节奏", "应联系"]
    result.summary_rows = [[str(len(rows)), str(len({completion.id_key(r.account_id) for r in rows if r.account_id})),
                            str(states.count(LATE)), str(len(flagged)), str(len(cadence_rows)), str(len(due))]]
    result.figures = ArchiveFigures(rows=rows, states=states, with_dm=with_dm, cadence=cadence_rows,
                                    month=month)
    return result


def python_values(result: RecalcResult) -> dict[str, dict]:
    f = result.figures
    out: dict[str, dict] = {FILES: {}, CADENCE: {}}
    for r, state in zip(f.rows, f.states):
        out[FILES][r.row] = {"交接": state, "有决策人": "" if not r.account_id else
                             (YES if completion.id_key(r.account_id) in f.with_dm else NO)}
    for account_id, _, c in f.cadence:
        out[CADENCE][account_id] = {"间隔工作日": c.gap, "应联系": YES if c.due else NO}
    return out


KIND_DEF = Kind(KIND, TITLE, spec, recalc, python_values)
