"""A team tracker's rows taken from the personal workbooks (docs/plan.md): the collected 工作记录
rows put in place, and the staff-owned columns of 续费跟踪 / 新客户跟踪 copied from each person's
own sheet. The personal workbooks themselves are read by the use-case layer (app/collect.py)
and reach the recalc as RecalcContext.personal."""
from __future__ import annotations

from ..io.values import is_blank
from ..records import Problem, Severity
from ..rules import completion
from ..sheets.build import set_cell, style_name, write_rows
from ..sheets.read import read_sheet
from ..sheets.spec import Role
from .base import FollowUps, RecalcContext, cell_text, collected, plain_value


def replace_collected_rows(ws, layout, sheet, rows: list[dict], data) -> bool:
    """In the team 工作记录: the rows that came from personal workbooks (with a 来源) take
    `rows` in place — an unchanged record is an unchanged row, so a second collection writes
    nothing it does not change — extra records go after the last row, rows left over are
    deleted; typed rows (blank 来源) stay where they are. Returns whether any row changed
    (else `data` still reads the sheet as it is)."""
    slots = sorted(r for r, v in data.rows if not is_blank(v.get("来源")))
    cols = [(c.header, layout.columns[c.header]) for c in sheet.columns
            if c.role in (Role.INPUT, Role.COMPUTED) and c.header in layout.columns]
    changed = len(rows) != len(slots)
    for slot, values in zip(slots, rows):
        if not all(_same_value(ws.value(slot, c), values.get(h)) for h, c in cols):
            write_rows(ws, layout, sheet, [values], slot)
            changed = True
    if len(rows) > len(slots):
        write_rows(ws, layout, sheet, rows[len(slots):], data.last_row + 1)
    left = slots[len(rows):]
    owned = set(layout.columns.values())
    runs: list[list[int]] = []
    for r in left:                               # contiguous blocks, deleted bottom-up
        row = ws.iter_rows(min_row=r, max_row=r, values_only=True)
        if any(v not in (None, "") for c, v in enumerate(next(row, ()), 1) if c not in owned):
            for c in owned:                      # a person's note beside it stays: only ours goes
                if ws.value(r, c) not in (None, ""):
                    ws.cell(r, c).value = None
            continue
        if runs and runs[-1][1] == r - 1:
            runs[-1][1] = r
        else:
            runs.append([r, r])
    for first, last in reversed(runs):
        ws.delete_rows(first, last - first + 1)
    return changed


def _same_value(have, want) -> bool:
    """Whether a cell already holds what collect would write (then the row is left as it is)."""
    if is_blank(have) and is_blank(want):
        return True
    return type(have) is type(want) and have == want


def merge_follow_ups(wb, sheet, layout, data, ctx: RecalcContext, follow_ups: FollowUps,
                     headers: tuple[str, ...], problems: list[Problem]) -> int:
    """Copy the staff-owned columns (`headers`) of each person's own sheet (我的续费 / 我的新客户)
    into their rows of the team sheet, matched by 客服 and 帐户ID. A blank in the personal
    workbook never erases a value already in the team file. Returns cells written."""
    team_rows = {(cell_text(v["客服"]), completion.id_key(cell_text(v["帐户ID"]))): (r, v) for r, v in data.rows}
    mine = follow_ups.sheet
    ws = wb[sheet.name]
    written = 0
    for owner, file, rows in follow_ups.people:
        for row, v in rows:
            key = (owner, completion.id_key(cell_text(v["帐户ID"])))
            if key not in team_rows:
                problems.append(Problem(ctx.file, f"个人/{file}", row, "帐户ID", "NOT_IN_TEAM_TRACKER",
                                        f"{file}「{mine}」第 {row} 行的帐户「{cell_text(v['帐户ID'])}」不在本表{owner}"
                                        f"的行中：没有汇总，请核对帐户ID或联系客服经理。", Severity.WARNING))
                continue
            team_row, team_values = team_rows[key]
            for header in headers:
                value = plain_value(v[header])
                if is_blank(value) or value == plain_value(team_values[header]):
                    continue
                column = sheet.column(header)
                set_cell(ws.cell(team_row, layout.columns[header]), value, style_name(Role.COMPUTED, column.type))
                written += 1
    return written


def collect_into_team(wb, wspec, kind: str, sheet_name: str, headers: tuple[str, ...], layouts, datas,
                      ctx: RecalcContext, problems: list[Problem]) -> int | None:
    """The renewal / new-client recalc's first step when personal workbooks are on: their
    follow-up columns come from each person's own sheet. None when there is nothing to collect."""
    if not collected(ctx.config) or ctx.personal is None:
        return None
    sheet = wspec.sheet(sheet_name)
    written = merge_follow_ups(wb, sheet, layouts[sheet_name], datas[sheet_name], ctx, ctx.personal.follow_ups(kind),
                               headers, problems)
    if written:                     # else the rows read before still are the sheet's
        datas[sheet_name] = read_sheet(wb[sheet_name], sheet, ctx.file, problems)
    return written
