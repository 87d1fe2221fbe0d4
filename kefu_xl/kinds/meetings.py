"""见面会与培训.xlsx (kind meetings, one per workspace): the 培训师's file — the monthly client
meetings with who came (seed: 月度客户见面会计划, 「以客户实际到会为准」) and the staff trainings with
their test scores (月度培训计划). One writer: the 培训师. A 电话邀约 counts when its client is
marked 到会 = 是 at the first meeting on or after the call (rules/outcomes.invitation_check).
Recalc checks the rows and refreshes the hidden 帐户 list the 客户名称 formula looks up (the
accounts of the newest month's team 维护跟踪)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from ..config import Config
from ..month import Month
from ..records import Problem, Severity
from ..rules import completion
from ..rules.outcomes import ACCEPTED, REFUSED
from ..sheets.build import build_workbook
from ..sheets.read import write_problem_sheet
from ..sheets.spec import Column, Highlight, Role, SheetSpec, Type, WorkbookSpec
from . import maintenance
from .base import (
    Kind,
    RecalcContext,
    RecalcResult,
    cell_number,
    cell_text,
    finish_recalc,
    read_tracker,
    rebuild_rows,
    restore_formulas,
    start_recalc,
    typed_date,
)

KIND = "meetings"
FILE_NAME = "见面会与培训.xlsx"
TITLE = "见面会与培训"
MEETINGS, TRAININGS, ACCOUNTS = "见面会", "培训", "帐户"
NOT_AN_ACCOUNT = "（不在维护帐户中）"
RED = "FFC7CE"
SHEET_ORDER = {MEETINGS: 0, TRAININGS: 1}


def path_of(workspace: Path) -> Path:
    return workspace / FILE_NAME


def spec(config: Config, month: Month | None = None) -> WorkbookSpec:
    meetings = SheetSpec(
        name=MEETINGS, title="月度客户见面会（到会登记）", key="见面会日期", buffer_rows=300,
        row_markers=("见面会日期", "帐户ID"),
        help="每场见面会每位受邀客户一行：见面会后由培训师填「到会」。电话邀约以客户实际到会为准：之后第一场见面会到会 = 是，"
             "那次邀约才算有效工作。",
        columns=(
            Column("见面会日期", Role.INPUT, Type.DATE, help="见面会的日期。"),
            Column("主题", Role.INPUT, Type.TEXT, width=24, help="见面会主题。"),
            Column("地点", Role.INPUT, Type.TEXT, width=16, help="地点。"),
            Column("帐户ID", Role.INPUT, Type.ID, dropdown_source=f"{ACCOUNTS}!帐户ID",
                   help="受邀客户的帐户ID（可从下拉列表选择）。"),
            Column("客户名称", Role.DERIVED, Type.TEXT,
                   f'IF([帐户ID]="","",IFERROR(INDEX([{ACCOUNTS}!客户名称],MATCH([帐户ID],[{ACCOUNTS}!帐户ID],0)),'
                   f'"{NOT_AN_ACCOUNT}"))', width=22, help="帐户ID对应的客户（最新一个月的维护跟踪表），核对没有填错。"),
            Column("到会", Role.INPUT, Type.TEXT, dropdown=(ACCEPTED, REFUSED),
                   help="见面会后填写：是 = 客户到会（邀约有效），否 = 没来。"),
        ),
        highlights=(Highlight(f'[到会]="{REFUSED}"', RED, ("到会",)),),
    )
    trainings = SheetSpec(
        name=TRAININGS, title="月度培训与考试", key="日期", buffer_rows=200, row_markers=("日期", "客服"),
        help="每次培训每位参加的客服一行；有考试的填分数（考核表取当月平均分）。",
        columns=(
            Column("日期", Role.INPUT, Type.DATE, help="培训日期。"),
            Column("主题", Role.INPUT, Type.TEXT, width=24, help="培训主题。"),
            Column("客服", Role.INPUT, Type.TEXT, help="参加的客服（与名册一致）。"),
            Column("考试分数", Role.INPUT, Type.NUMBER, help="考试分数（0–100）；没有考试留空。"),
        ),
    )
    accounts = SheetSpec(
        name=ACCOUNTS, title="维护帐户（重算时更新）", key="帐户ID", buffer_rows=0, hidden=True, protect=False,
        row_markers=("帐户ID",),
        columns=(Column("帐户ID", Role.COMPUTED, Type.ID, help="最新一个月维护跟踪表中的帐户。"),
                 Column("客户名称", Role.COMPUTED, Type.TEXT, help="客户名称。")),
    )
    notes = ("培训师一人填写这个文件（见面会的到会、培训和考试）；其他人只看。",
             "电话邀约算有效工作的条件：客户在邀约之后的第一场见面会上「到会」= 是。见面会之前显示「等待到会」，之后没来为「客户未到会」。",
             "点 客服工具 → 重算（或 kefu-xl recalc 见面会与培训.xlsx）检查日期、到会和帐户ID，并更新帐户下拉列表。")
    return WorkbookSpec(kind=KIND, title=TITLE, sheets=(meetings, trainings, accounts), notes=notes)


def build(config: Config, meta: dict | None = None):
    wspec = spec(config)
    wb, _ = build_workbook(wspec, {s.name: s.title for s in wspec.sheets}, {}, {}, dict(meta or {}))
    write_problem_sheet(wb, [], before="说明")
    return wb


# --------------------------------------------------------------------------- reading

@dataclass(frozen=True)
class Meeting:
    day: date | None
    account_id: str
    attended: str
    row: int


@dataclass(frozen=True)
class Training:
    day: date | None
    topic: str
    staff: str
    score: Decimal | None
    row: int


def read_meetings(data, where, problems: list[Problem] | None, near: date) -> list[Meeting]:
    out = []
    for row, v in data.rows:
        day = typed_date(v, "见面会日期", (*where, row), problems, near)
        attended = cell_text(v["到会"])
        if problems is not None and attended and attended not in (ACCEPTED, REFUSED):
            problems.append(Problem(where[0], MEETINGS, row, "到会", "BAD_ATTENDED",
                                    f"到会「{attended}」应为 是 或 否（从下拉列表选择）：这一行按没有到会计。", Severity.WARNING))
        if problems is not None and day is None:
            problems.append(Problem(where[0], MEETINGS, row, "见面会日期", "NO_DATE",
                                    "见面会日期没有填写：这一行不会让任何邀约有效。请填日期。", Severity.WARNING))
        out.append(Meeting(day, cell_text(v["帐户ID"]), attended, row))
    return out


def read_trainings(data, where, problems: list[Problem] | None, near: date) -> list[Training]:
    out = []
    for row, v in data.rows:
        day = typed_date(v, "日期", (where[0], TRAININGS, row), problems, near)
        score = cell_number(v["考试分数"])
        if problems is not None and score is None and cell_text(v["考试分数"]):
            problems.append(Problem(where[0], TRAININGS, row, "考试分数", "NOT_A_NUMBER",
                                    f"考试分数「{v['考试分数']}」不是数字：这一行不计入平均分。", Severity.WARNING))
        out.append(Training(day, cell_text(v["主题"]), cell_text(v["客服"]), score, row))
    return out


def meeting_rows(workspace: Path | None, config: Config) -> list[tuple[date, str, str]]:
    """(见面会日期, id_key of 帐户ID, 到会) of the workspace's 见面会 (empty when no file): what a
    电话邀约's outcome is judged by (rules/outcomes.invitation_check)."""
    path = path_of(workspace) if workspace else None
    if path is None or not path.exists():
        return []
    _, datas = read_tracker(path, lambda m: spec(config, m), (MEETINGS,), month=Month(2000, 1))
    data = datas[MEETINGS]
    if data is None:
        return []
    return [(m.day, completion.id_key(m.account_id), m.attended)
            for m in read_meetings(data, (path.name, MEETINGS), None, date.today()) if m.day and m.account_id]


def newest_accounts(workspace: Path | None, config: Config, as_of: date) -> list[dict]:
    """帐户ID and 客户名称 of the newest month's team 维护跟踪 up to `as_of`'s month."""
    if workspace is None:
        return []
    months = sorted((Month.parse(p.name) for p in workspace.glob("[0-9][0-9][0-9][0-9]-[0-9][0-9]")
                     if (p / maintenance.file_name(Month.parse(p.name))).exists()), reverse=True)
    for month in [m for m in months if m <= Month.of(as_of)] or months:
        path = workspace / str(month) / maintenance.file_name(month)
        _, datas = read_tracker(path, lambda m: maintenance.spec(config, m), (maintenance.ACCOUNTS,), month=month)
        if datas[maintenance.ACCOUNTS] is not None:
            return [{"帐户ID": cell_text(v["帐户ID"]), "客户名称": cell_text(v["客户名称"])}
                    for _, v in datas[maintenance.ACCOUNTS].rows if cell_text(v["帐户ID"])]
    return []


# --------------------------------------------------------------------------- recalc

@dataclass
class MeetingsFigures:
    meetings: list[Meeting]
    trainings: list[Training]
    names: dict[str, str]


def recalc(wb, ctx: RecalcContext) -> RecalcResult:
    config = ctx.config
    wspec = spec(config)
    result, found = start_recalc(wb, ctx, KIND, wspec, rebuilt=(ACCOUNTS,))
    problems = result.problems
    if found is None:
        return result
    layouts, datas = found
    meetings = read_meetings(datas[MEETINGS], (ctx.file, MEETINGS), problems, ctx.as_of)
    trainings = read_trainings(datas[TRAININGS], (ctx.file, TRAININGS), problems, ctx.as_of)
    accounts = newest_accounts(ctx.workspace, config, ctx.as_of)
    names = {completion.id_key(a["帐户ID"]): a["客户名称"] for a in accounts}
    if accounts:
        for m in meetings:
            if m.account_id and completion.id_key(m.account_id) not in names:
                problems.append(Problem(ctx.file, MEETINGS, m.row, "帐户ID", "UNKNOWN_ACCOUNT",
                                        f"帐户ID「{m.account_id}」不在最新的维护跟踪表中：请核对（从下拉列表选择）。",
                                        Severity.WARNING))
    else:
        problems.append(Problem(ctx.file, ACCOUNTS, None, "", "NO_TRACKER",
                                "工作区里还没有维护跟踪表：帐户下拉列表为空，客户名称显示不出来。开月后再重算。", Severity.INFO))
    if roster := ctx.roster:
        known = {m.name for m in roster}
        for t in trainings:
            if t.staff and t.staff not in known:
                problems.append(Problem(ctx.file, TRAININGS, t.row, "客服", "UNKNOWN_STAFF",
                                        f"客服「{t.staff}」不在名册中：请核对姓名。", Severity.WARNING))
    if ctx.write:
        rebuild_rows(wb, wspec.sheet(ACCOUNTS), layouts, accounts)
        for name in (MEETINGS, TRAININGS):
            restore_formulas(wb, wspec.sheet(name), layouts, datas[name], result, ctx.file)
        finish_recalc(wb, wspec, ctx, sorted(problems, key=lambda p: (SHEET_ORDER.get(p.sheet, 9), p.row or 0)))
    attended = sum(1 for m in meetings if m.attended == ACCEPTED)
    result.summary_headers = ["见面会", "受邀", "到会", "培训", "考试人次"]
    result.summary_rows = [[str(len({m.day for m in meetings if m.day})), str(len(meetings)), str(attended),
                            str(len({(t.day, t.topic) for t in trainings if t.day})),
                            str(sum(1 for t in trainings if t.score is not None))]]
    result.figures = MeetingsFigures(meetings, trainings, names)
    return result


def python_values(result: RecalcResult) -> dict[str, dict]:
    f = result.figures
    return {MEETINGS: {m.row: {"客户名称": "" if not m.account_id else f.names.get(completion.id_key(m.account_id),
                                                                                   NOT_AN_ACCOUNT)}
                       for m in f.meetings}}


KIND_DEF = Kind(KIND, TITLE, spec, recalc, python_values, needs_roster=True)
