"""Assembling the team's 工作记录 from the personal workbooks (docs/plan.md, single writer).

Every personal workbook of YYYY-MM/个人/ is read — read only, values as last saved (an open
one is read as last saved, and the line says so) — and its records replace the team
tracker's collected rows (those with a 来源); rows typed straight into the team file (blank
来源) stay where they are. The maintenance recalc calls this first, so `kefu-xl collect`,
`kefu-xl recalc 维护跟踪…` and the ribbon button all collect the same way. Nothing is ever
written to a personal workbook."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from ..errors import KefuError
from ..hints import command
from ..io.values import is_blank
from ..month import Month
from ..records import Problem, Severity
from ..rules import completion

INPUTS = ("日期", "客服", "帐户ID", "工作类型", "沟通对象", "内容摘要")


@dataclass
class PersonLine:
    """One person's collection: what was read, from where, and how their day looks."""
    owner: str
    file: str
    saved_at: datetime | None = None
    records: int = 0
    problems: int = 0
    plan_done: int | None = None
    plan_total: int | None = None
    plan_day: date | None = None          # the day of the plan those figures are about
    note: str = ""
    skipped: bool = False


@dataclass
class Collected:
    lines: list[PersonLine] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)        # team 工作记录 rows, 来源 set
    problems: list[Problem] = field(default_factory=list)
    origins: list[tuple[str, int]] = field(default_factory=list)   # (personal file, its row) of each row

    def origin_of(self, team_rows: list[int]) -> dict[int, tuple[str, int]]:
        """{team row: (personal file, row there)} given the team rows that hold the collected
        records, in order (replace_collected_rows keeps them in the order of `rows`)."""
        return dict(zip(team_rows, self.origins))


def personal_files(workspace: Path, month: Month) -> list[Path]:
    from ..io.safe_write import clean_stale_temps, is_temp_name
    from ..kinds import personal
    folder = workspace / str(month) / personal.FOLDER
    if not folder.is_dir():
        return []
    clean_stale_temps(folder)                # a killed run's temp file is no one's workbook
    return sorted(p for p in folder.glob("*.xlsx") if not is_temp_name(p.name) and not p.name.startswith("."))


def collected_sheets() -> tuple[str, ...]:
    """The sheets of a personal workbook that collection reads."""
    from ..kinds import personal
    return personal.WORK, personal.TODAY, personal.MY_RENEWALS, personal.MY_CLIENTS


def reads_ahead(ctx) -> tuple[list[Path], tuple[str, ...]]:
    """The personal workbooks a team recalc will collect (and the sheets it reads), to be read
    in the background while the team file is parsed."""
    if not ctx.config.personal or ctx.workspace is None:
        return [], ()
    return personal_files(ctx.workspace, ctx.month), ("_meta", *collected_sheets())


def open_personal(path: Path, month: Month, sheets: tuple[str, ...]) -> tuple[PersonLine, dict | None, list[Problem]]:
    """(its line, {sheet: GridSheet} or None when skipped, problems) of one personal workbook,
    read only: is it a workbook, a personal one, of this month, still under its own name."""
    from ..io.tables import read_sheets_fast
    from ..kinds import personal
    line = PersonLine(owner="", file=path.name, saved_at=datetime.fromtimestamp(path.stat().st_mtime))
    problems: list[Problem] = []
    try:
        grid = read_sheets_fast(path, only=("_meta", *sheets))
    except KefuError as e:
        line.skipped, line.note = True, f"无法读取：{e}"
        problems.append(Problem(path.name, "", None, "", "NOT_A_WORKBOOK", f"{path.name} 不是可读取的工作簿，已跳过：{e}"))
        return line, None, problems
    meta = dict(row[:2] for row in grid["_meta"].grid if row and row[0]) if "_meta" in grid else {}
    if meta.get("kind") != personal.KIND:
        line.skipped, line.note = True, "不是个人工作簿"
        problems.append(Problem(path.name, "_meta", None, "kind", "NOT_PERSONAL",
                                f"{path.name} 不是 kefu-xl 生成的个人工作簿，已跳过（个人文件夹里只放个人工作簿）。"))
        return line, None, problems
    line.owner = str(meta.get("owner") or "")
    if str(meta.get("month")) != str(month):
        line.skipped, line.note = True, f"是 {meta.get('month')} 的工作簿"
        problems.append(Problem(path.name, "_meta", None, "month", "WRONG_MONTH",
                                f"{path.name} 是 {meta.get('month')} 的个人工作簿，却放在 {month} 的文件夹里：已跳过，"
                                f"请把它放回 {meta.get('month')}/{personal.FOLDER}/。"))
        return line, None, problems
    if path.name != personal.file_name(line.owner, month):
        line.note = f"文件名应为 {personal.file_name(line.owner, month)}"
        problems.append(Problem(path.name, "_meta", None, "owner", "RENAMED",
                                f"{path.name} 被改过名：它是{line.owner}的工作簿（按{line.owner}汇总）。"
                                f"请改回 {personal.file_name(line.owner, month)}。", Severity.WARNING))
    if (path.parent / f"~${path.name}").exists():
        line.note = "正在被打开：按最后保存的内容汇总"
    return line, grid, problems


def usable_personal(workspace: Path, month: Month, sheets: tuple[str, ...]):
    """[(line, grid)] of the month's personal workbooks that can be collected, and the
    problems: two files claiming one person are both skipped (their rows would count twice)."""
    opened = [open_personal(p, month, sheets) for p in personal_files(workspace, month)]
    owners: dict[str, list[str]] = {}
    for line, grid, _ in opened:
        if grid is not None:
            owners.setdefault(line.owner, []).append(line.file)
    out, problems = [], []
    for line, grid, found in opened:
        problems.extend(found)
        if grid is not None and len(owners[line.owner]) > 1:
            line.skipped, line.note = True, f"与 {'、'.join(f for f in owners[line.owner] if f != line.file)} 是同一个人的"
            problems.append(Problem(line.file, "_meta", None, "owner", "TWO_FILES_ONE_PERSON",
                                    f"{'、'.join(owners[line.owner])} 都是{line.owner}的个人工作簿：都没有汇总，"
                                    f"请只保留一本（把另一本的记录复制过去后删除）。"))
            grid = None
        out.append((line, grid))
    return out, problems


def read_records(line: PersonLine, grid, month: Month, wspec, known: dict,
                 origins: list[tuple[str, int]] | None = None) -> list[dict]:
    """Team 工作记录 rows (来源 = the file) of one personal workbook; fills the line's counts.
    `wspec`: the month's personal workbook declaration (built once for every file);
    `known`: the team's account ids (id_key) that records are checked against."""
    from ..kinds import personal
    from ..kinds.base import cell_date, cell_text, plain_value
    from ..records import WorkRecord
    from ..sheets.read import read_sheet
    found: list[Problem] = []
    data = read_sheet(grid[personal.WORK], wspec.sheet(personal.WORK), line.file, found) \
        if personal.WORK in grid else None
    if data is None:
        line.skipped, line.note = True, "「工作记录」表头不完整"
        return []
    rows, records = [], []
    for row, v in data.rows:
        values = {h: plain_value(v[h]) for h in INPUTS}
        if is_blank(values["客服"]):
            values["客服"] = line.owner
        rows.append({**values, "来源": line.file})
        if origins is not None:
            origins.append((line.file, row))
        records.append(WorkRecord(cell_date(v["日期"]), cell_text(values["客服"]), cell_text(v["帐户ID"]),
                                  cell_text(v["工作类型"]), cell_text(v["沟通对象"]), "", row))
    line.records = len(rows)
    verdicts = completion.classify_work(records, known, month.first, month.last, over_plan=False)
    line.problems = sum(1 for v in verdicts if not v.valid)
    today = read_sheet(grid[personal.TODAY], wspec.sheet(personal.TODAY), line.file, []) \
        if personal.TODAY in grid else None
    if today is not None and personal.PLAN_DAY in today.layout.anchors:
        from types import SimpleNamespace

        from ..kinds import newclient, renewal
        day = cell_date(grid[personal.TODAY].value(*today.layout.anchors[personal.PLAN_DAY]))
        items = [{h: cell_text(v.get(h)) for h in personal.PLAN_FIELDS} for _, v in today.rows]
        morning = [i for i in items if i["计划内"] == personal.PLANNED]
        items = morning if morning or any(i["计划内"] for i in items) else items     # (older files: every line)
        line.plan_day = day
        own = {}
        for name, reader in ((personal.MY_RENEWALS, renewal.read_rows), (personal.MY_CLIENTS, newclient.read_rows)):
            data = read_sheet(grid[name], wspec.sheet(name), line.file, []) if name in grid else None
            own[name] = reader(SimpleNamespace(rows=[(r, {**v, "客服": line.owner}) for r, v in data.rows]),
                               line.file, []) if data else []
        reminded, steps = personal.follow_up_days(own[personal.MY_RENEWALS], own[personal.MY_CLIENTS])
        done = personal.plan_done(items, records, verdicts, day, reminded, steps)
        line.plan_done, line.plan_total = sum(done), len(items)
    return rows


def collect(workspace: Path, month: Month, config, team_ids: set[str], roster_names: list[str] | None) -> Collected:
    """Every personal workbook's 工作记录; a roster member without a file is named."""
    from ..kinds import personal
    from ..records import Targets
    out = Collected()
    known = dict.fromkeys(team_ids, Targets())
    usable, out.problems = usable_personal(workspace, month, collected_sheets())
    wspec = personal.spec(config, month)
    for line, grid in usable:
        if grid is not None:
            out.rows.extend(read_records(line, grid, month, wspec, known, out.origins))
        out.lines.append(line)
    present = {line.owner for line, grid in usable if grid is not None}
    for name in roster_names or []:
        if name not in present:
            out.problems.append(Problem("", "", None, "", "NO_PERSONAL_FILE",
                                        f"{name} 没有个人工作簿（{month}/个人/{name}_{month}.xlsx）：本次没有汇总到{name}的记录。"
                                        f"开月时会自动生成；可运行 {command(f'month open {month} --refresh', workspace)} 补上。", Severity.WARNING))
    return out


def collect_follow_ups(wb, sheet, layout, data, ctx, mine: str, headers: tuple[str, ...],
                       problems: list[Problem]) -> int:
    """Copy the staff-owned columns (`headers`) of each person's `mine` sheet (我的续费 /
    我的新客户) into their rows of the team sheet, matched by 客服 and 帐户ID. A blank in the
    personal workbook never erases a value already in the team file. Returns cells written."""
    from ..kinds import personal
    from ..kinds.base import cell_text, plain_value
    from ..sheets.build import set_cell, style_name
    from ..sheets.read import read_sheet
    from ..sheets.spec import Role
    usable, _ = usable_personal(ctx.workspace, ctx.month, (mine,))
    team_rows = {(cell_text(v["客服"]), completion.id_key(cell_text(v["帐户ID"]))): (r, v) for r, v in data.rows}
    mine_spec = personal.spec(ctx.config, ctx.month).sheet(mine)
    ws = wb[sheet.name]
    written = 0
    for line, grid in usable:
        if grid is None or mine not in grid:
            continue
        rows = read_sheet(grid[mine], mine_spec, line.file, [])
        for row, v in (rows.rows if rows else []):
            key = (line.owner, completion.id_key(cell_text(v["帐户ID"])))
            if key not in team_rows:
                problems.append(Problem(ctx.file, f"个人/{line.file}", row, "帐户ID", "NOT_IN_TEAM_TRACKER",
                                        f"{line.file}「{mine}」第 {row} 行的帐户「{cell_text(v['帐户ID'])}」不在本表{line.owner}"
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


def replace_collected_rows(ws, layout, sheet, rows: list[dict], data) -> bool:
    """In the team 工作记录: the rows that came from personal workbooks (with a 来源) take
    `rows` in place — an unchanged record is an unchanged row, so a second collection writes
    nothing it does not change — extra records go after the last row, rows left over are
    deleted; typed rows (blank 来源) stay where they are. Returns whether any row changed
    (else `data` still reads the sheet as it is)."""
    from ..sheets.build import write_rows
    from ..sheets.spec import Role
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


def saved_at(line: PersonLine) -> str:
    return line.saved_at.strftime("%m-%d %H:%M") if line.saved_at else "—"



def collect_into_team(wb, wspec, sheet_name: str, mine: str, headers: tuple[str, ...], layouts, datas, ctx,
                      problems: list[Problem]) -> int | None:
    """The renewal / new-client recalc's first step when personal workbooks are on: their
    follow-up columns come from each person's own sheet. None when there is nothing to collect."""
    from ..kinds.base import collected
    from ..sheets.read import read_sheet
    if not collected(ctx.config) or ctx.workspace is None or not personal_files(ctx.workspace, ctx.month):
        return None
    sheet = wspec.sheet(sheet_name)
    written = collect_follow_ups(wb, sheet, layouts[sheet_name], datas[sheet_name], ctx, mine, headers, problems)
    if written:                     # else the rows read before still are the sheet's
        datas[sheet_name] = read_sheet(wb[sheet_name], sheet, ctx.file, problems)
    return written
