"""Assembling the team's 工作记录 from the personal workbooks (docs/plan.md, single writer).

Every personal workbook of YYYY-MM/个人/ is read — read only, values as last saved (an open
one is read as last saved, and the line says so) — and its records replace the team
tracker's collected rows (those with a 来源); rows typed straight into the team file (blank
来源) stay where they are. The maintenance recalc calls this first, so `kefu-xl collect`,
`kefu-xl recalc 维护跟踪…` and the ribbon button all collect the same way. Nothing is ever
written to a personal workbook."""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

from ..config import ValidRules
from ..errors import KefuError
from ..hints import command
from ..io.doc_props import last_saved
from ..io.read_cache import keep as keep_read
from ..io.read_cache import prune as prune_kept
from ..io.safe_write import clean_stale_temps, is_temp_name
from ..io.tables import read_sheets_kept
from ..io.values import is_blank, parse_texts
from ..kinds import inquiries, maintenance, newclient, personal, prospects, renewal
from ..kinds.base import (
    Collected,
    FollowUps,
    PersonLine,
    cell_date,
    cell_number,
    cell_text,
    plain_value,
)
from ..month import Month
from ..records import Problem, Severity, Targets, WorkRecord
from ..rules import completion, outcomes
from ..rules import journal as journal_rules
from ..sheets.read import read_sheet
from .journal import Reading, follow_up_records, read_ahead, record_collect, records_of, shown_events

READERS = max(1, min(4, os.cpu_count() or 1))      # personal workbooks parsed at once (a workbook not read before)
INPUTS = ("日期", "客服", "帐户ID", "工作类型", "沟通对象", "内容摘要", outcomes.SATISFACTION_COLUMN,
          outcomes.ACCEPTED_COLUMN)


def personal_files(workspace: Path, month: Month) -> list[Path]:
    folder = workspace / str(month) / personal.FOLDER
    if not folder.is_dir():
        return []
    clean_stale_temps(folder)                # a killed run's temp file is no one's workbook
    return sorted(p for p in folder.glob("*.xlsx") if not is_temp_name(p.name) and not p.name.startswith("."))


def collected_sheets(plan: bool = False) -> tuple[str, ...]:
    """The sheets of a personal workbook that collection reads; with `plan`, also those the
    plan figure reads (今日 and what finishes its lines: the biggest sheet, and nothing a
    team recalc writes needs it — `kefu-xl collect`'s table and the 周报 do, add_plans)."""
    sheets = (personal.WORK, personal.MY_RENEWALS, personal.MY_CLIENTS, inquiries.SHEET)
    return (*sheets, personal.TODAY, personal.VISITS, prospects.CALLBACKS) if plan else sheets


def open_personal(path: Path, month: Month, sheets: tuple[str, ...],
                  later: list | None = None) -> tuple[PersonLine, dict | None, list[Problem]]:
    """(its line, {sheet: GridSheet} or None when skipped, problems) of one personal workbook,
    read only: is it a workbook, a personal one, of this month, still under its own name.
    `later`: io.read_cache's (what it would keep of the read, put aside)."""
    saved, by = last_saved(path)          # the person's save, not kefu-xl's recalc of it
    line = PersonLine(owner="", file=path.name, saved_at=saved, saved_by=by)
    problems: list[Problem] = []
    try:
        grid = read_sheets_kept(path, ("_meta", *sheets), later)
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
    if (path.parent / f"~${path.name}").exists():
        line.note = "正在被打开：按最后保存的内容汇总"
    return line, grid, problems


def open_all(files: list[Path], month: Month, sheets: tuple[str, ...], later: list | None = None) -> list[tuple]:
    """open_personal of each file, READERS at once (calamine parses without the GIL)."""
    with ThreadPoolExecutor(max_workers=READERS, thread_name_prefix="kefu-personal") as pool:
        return list(pool.map(lambda p: open_personal(p, month, sheets, later), files))


def usable_personal(workspace: Path, month: Month, sheets: tuple[str, ...], files: list[Path] | None = None,
                    kept: list[str] | None = None, opened: list[tuple] | None = None):
    """[(line, grid)] of the month's personal workbooks that can be collected, and the
    problems. In 个人/ the file named exactly 客服名_YYYY-MM.xlsx is the person's: another file
    claiming the same person (「张敏_2026-11 - 副本.xlsx」, a colleague's file copied under her
    name) is skipped with one warning naming both. When the person's own file is missing and
    only such a copy is there, nothing of hers is collected and her own file's name goes to
    `kept`: the team tracker keeps her last collected records (a copy never zeroes a person).
    `opened`: open_all of those files, when it was read ahead."""
    if opened is None:
        files = personal_files(workspace, month) if files is None else files
        opened = open_all(files, month, sheets)
    owners: dict[str, list[str]] = {}
    for line, grid, _ in opened:
        if grid is not None:
            owners.setdefault(line.owner, []).append(line.file)
    out, problems = [], []
    for line, grid, found in opened:
        problems.extend(found)
        if grid is not None and line.file != personal.file_name(line.owner, month):
            own = personal.file_name(line.owner, month)
            line.skipped = True
            if own in owners[line.owner]:
                line.note = f"是 {own} 的另一本：按 {own} 汇总"
                problems.append(Problem(line.file, "_meta", None, "", "SECOND_FILE_SKIPPED",
                                        f"{line.file} 也是{line.owner}的个人工作簿：按 {own} 汇总，{line.file} 没有汇总"
                                        f"（是副本的话请删除；里面有新填的记录，请复制到 {own}）。", Severity.WARNING))
            else:
                line.note = f"{line.owner}的工作簿应叫 {own}：没有汇总，保留上次汇总的记录"
                if kept is not None and own not in kept:
                    kept.append(own)
                problems.append(Problem(line.file, "_meta", None, "", "OWN_FILE_MISSING",
                                        f"没有 {own}，只有 {'、'.join(f for f in owners[line.owner] if f != own)}"
                                        f"（也是{line.owner}的个人工作簿）：没有汇总，团队表中{line.owner}上次汇总的记录保留。"
                                        f"请把要用的那一本改名为 {own}。"))
            grid = None
        out.append((line, grid))
    return out, problems


def read_records(line: PersonLine, grid, month: Month, wspec, known: dict,
                 origins: list[tuple[str, int]] | None = None, rules: ValidRules | None = None) -> list[dict]:
    """Team 工作记录 rows (来源 = the file) of one personal workbook; fills the line's counts.
    `wspec`: the month's personal workbook declaration (built once for every file);
    `known`: the team's account ids (id_key) that records are checked against; `rules`: the
    month's rules of valid work."""
    rules = rules or ValidRules()
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
                                  cell_text(v["工作类型"]), cell_text(v["沟通对象"]), cell_text(v["内容摘要"]), row,
                                  satisfaction=cell_text(v.get(outcomes.SATISFACTION_COLUMN)),
                                  accepted=cell_text(v.get(outcomes.ACCEPTED_COLUMN))))
    line.records = len(rows)
    # as the person's workbook judged them at its last recalc (its 团队核对 cells)
    checks = [cell_text(v.get(outcomes.CHECK_COLUMN)) for _, v in data.rows]
    verdicts = completion.classify_work(records, known, month.first, month.last, over_plan=False,
                                        duplicates_once=rules.duplicates,
                                        outcome=outcomes.judge(rules, checks, personal=True))
    line.problems = sum(1 for v in verdicts if not v.valid)
    today = parsed(grid, wspec, personal.TODAY, line.file)
    if today is not None and personal.PLAN_DAY in today.layout.anchors:

        day = cell_date(grid[personal.TODAY].value(*today.layout.anchors[personal.PLAN_DAY]))
        items = [{h: cell_text(v.get(h)) for h in personal.PLAN_FIELDS} for _, v in today.rows]
        line.plan_day = day
        own = {}
        for name, reader in ((personal.MY_RENEWALS, renewal.read_rows), (personal.MY_CLIENTS, newclient.read_rows)):
            data = parsed(grid, wspec, name, line.file)
            own[name] = reader(SimpleNamespace(rows=[(r, {**v, "客服": line.owner}) for r, v in data.rows]),
                               line.file, []) if data else []
        reminded, steps = personal.follow_up_days(own[personal.MY_RENEWALS], own[personal.MY_CLIENTS])
        visits = personal.visit_inputs(parsed(grid, wspec, personal.VISITS, line.file), line.file, [], None)
        asked = parsed(grid, wspec, inquiries.SHEET, line.file)
        answered = inquiries.answered_days(inquiries.read_rows(asked, line.file, [])) if asked else {}
        mine = parsed(grid, wspec, prospects.CALLBACKS, line.file)
        called = prospects.called_days(prospects.read_prospects(mine, line.file, prospects.CALLBACKS, None, month.first)) \
            if mine else {}
        done = personal.plan_done(items, records, verdicts, day, reminded, steps, personal.booked_days(visits), answered,
                                  called)
        line.plan_done, line.plan_total = personal.plan_figure(items, done)      # the plan's one figure
    return rows


def collect(workspace: Path, month: Month, config, team_ids: set[str], roster_names: list[str] | None,
            files: list[Path] | None = None, opened: list[tuple] | None = None) -> Collected:
    """Every personal workbook's 工作记录; a roster member without a file is named. `opened`:
    open_all(files, month, collected_sheets()), when it was read ahead."""
    _PARSED.clear()
    out = Collected()
    known = dict.fromkeys(team_ids, Targets())
    files = personal_files(workspace, month) if files is None else files
    prune_kept(workspace / str(month) / personal.FOLDER, {p.stem for p in files})
    usable, out.problems = usable_personal(workspace, month, collected_sheets(), files, out.kept, opened)
    wspec = personal.spec(config, month)
    for line, grid in usable:
        if grid is not None:
            out.rows.extend(read_records(line, grid, month, wspec, known, out.origins, config.valid))
            out.follow_ups[line.file] = [r for name in journal_rules.FOLLOW_UPS if name in grid
                                         for r in follow_up_records(name, _rows(grid, wspec, name, line.file), month)]
            data = parsed(grid, wspec, inquiries.SHEET, line.file)
            for item in inquiries.read_rows(data, line.file, []) if data else []:   # (its own recalc says what is wrong)
                item.staff, item.source = line.owner, line.file
                out.inquiries.append(item)
        out.lines.append(line)
    present = {line.owner for line, grid in usable if grid is not None}
    for name in roster_names or []:
        if name not in present:          # deleted, renamed, moved: what was collected of her stays
            own = personal.file_name(name, month)
            if own not in out.kept:
                out.kept.append(own)
            out.problems.append(Problem("", "", None, "", "NO_PERSONAL_FILE",
                                        f"{name} 没有个人工作簿（{month}/个人/{own}）：本次没有读到{name}的新记录，"
                                        f"团队表中{name}上次汇总的记录保留。"
                                        f"开月时会自动生成；可运行 {command(f'month open {month} --refresh', workspace)} 补上。", Severity.WARNING))
    return out


_PARSED: dict[int, tuple] = {}        # id(a personal sheet's grid) -> (the grid, its rows): one parse a collect


def parsed(grid, wspec, name: str, file: str):
    """read_sheet of sheet `name` of a personal workbook's grid (None when it has none), parsed
    once however many readers ask (the plan figure, the follow-ups, the 日志, the 咨询)."""
    if name not in grid:
        return None
    sheet = grid[name]
    known = _PARSED.get(id(sheet))
    if known is None or known[0] is not sheet:
        known = _PARSED[id(sheet)] = (sheet, read_sheet(sheet, wspec.sheet(name), file, []))
    return known[1]


def _rows(grid, wspec, name: str, file: str) -> list[tuple[int, dict]]:
    data = parsed(grid, wspec, name, file)
    return data.rows if data else []


def add_plans(workspace: Path, month: Month, config, collected: Collected, account_ids: list[str]) -> None:
    """Each collected line's plan figure (plan_done / plan_total of the plan in its 今日), as
    `kefu-xl collect` shows it: read from the same workbooks, kept reads where they are."""
    _PARSED.clear()
    wspec = personal.spec(config, month)
    known = dict.fromkeys((completion.id_key(a) for a in account_ids), Targets())
    folder = workspace / str(month) / personal.FOLDER
    for line in collected.lines:
        if line.skipped or not line.owner:
            continue
        try:
            grid = read_sheets_kept(folder / line.file, ("_meta", *collected_sheets(plan=True)))
        except KefuError:
            continue                  # gone since the recalc: its line stays without a plan
        again = replace(line)         # (its counts stay those of the records collected)
        read_records(again, grid, month, wspec, known, rules=config.valid)
        line.plan_day, line.plan_done, line.plan_total = again.plan_day, again.plan_done, again.plan_total


def saved_at(line: PersonLine) -> str:
    return line.saved_at.strftime("%m-%d %H:%M") if line.saved_at else "—"


class PersonalWorkbooks:
    """The month's personal workbooks as a team recalc takes from them (kinds/base.PersonalSource)."""

    def __init__(self, workspace: Path, month: Month, config, files: list[Path], journal: bool = False, now=None):
        self.workspace, self.month, self.config, self.files = workspace, month, config, files
        self.journal, self.now = journal, now      # a writing collect appends what it read to the 日志
        self._ahead = None
        self._opened, self._kept_later = None, []

    def read_ahead(self) -> None:
        """Start reading the personal workbooks and the month's 日志 while the team tracker is
        read (a team recalc that collects records: work_records then finds them read). The
        tracker's biggest sheet keeps a core busy for seconds, the workbooks not read before
        are as many calamine parses."""
        if self._opened is None:     # (what it would keep in .kefu-cache waits: a recalc that refuses writes nothing)
            pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kefu-personal-ahead")
            self._kept_later = []
            self._opened = pool.submit(open_all, self.files, self.month, collected_sheets(), self._kept_later)
            pool.shutdown(wait=False)
        if self.journal and self._ahead is None:
            self._ahead = read_ahead(self.workspace, self.month)

    def discard(self) -> None:
        """Drop a read ahead that work_records did not use (a recalc that refused the tracker):
        nothing of it goes to .kefu-cache, and the recalc's outcome does not hold its grids."""
        if self._opened is not None:
            self._opened.cancel()
        self._opened, self._kept_later = None, []

    def work_records(self, team_ids: set[str], roster_names: list[str] | None,
                     typed_here: list[tuple[int, dict]] = ()) -> Collected:
        opened = self._opened.result() if self._opened is not None else None
        if opened is not None:
            keep_read(self._kept_later)
        self._opened = None           # (read once: a second collect reads the files again)
        out = collect(self.workspace, self.month, self.config, team_ids, roster_names, self.files, opened)
        if self._ahead is not None:
            self._ahead.join()
        if self.journal:
            people = {*(roster_names or ()), *(line.owner for line in out.lines if line.owner)}
            team = self.workspace / str(self.month) / maintenance.file_name(self.month)
            out.journal = record_collect(self.workspace, self.month,
                                         readings(out) + team_readings(team, typed_here, people), self.config, self.now)
        out.journal_shown = shown_events(self.workspace, self.month)
        return out

    def follow_ups(self, kind: str) -> FollowUps:
        """Each person's own sheet of `kind`; 商务回访 of last month's workbooks too, oldest first
        (a prospect outlives its month: the newest workbook holding a row is the one that counts)."""
        mine = {"renewal": personal.MY_RENEWALS, "newclient": personal.MY_CLIENTS, prospects.KIND: prospects.CALLBACKS}[kind]
        mine_spec = personal.spec(self.config, self.month).sheet(mine)
        out = FollowUps(mine)
        months = (self.month.previous(), self.month) if kind == prospects.KIND else (self.month,)
        for month in months:
            usable, _ = usable_personal(self.workspace, month, (mine,), self.files if month == self.month else None)
            for line, grid in usable:
                if grid is None or mine not in grid:
                    continue
                rows = read_sheet(grid[mine], mine_spec, line.file, [])
                out.people.append((line.owner, line.file, rows.rows if rows else []))
        return out


def personal_source(workspace: Path | None, month: Month, config, write: bool = False,
                    now=None, months: int = 1) -> PersonalWorkbooks | None:
    """The month's personal workbooks for a team recalc (`write`: one that saves, and so
    journals what it read); None when personal workbooks are off or the month has none (nor,
    for a kind that reads `months` 2, the month before: 商务出访 at month open)."""
    if not config.personal or workspace is None:
        return None
    files = personal_files(workspace, month)
    earlier = months > 1 and not files and personal_files(workspace, month.previous())
    return PersonalWorkbooks(workspace, month, config, files, journal=write, now=now) if files or earlier else None


def readings(collected: Collected) -> list[Reading]:
    """Each collected person's records with their rows in the personal workbook, for the 日志."""
    by_file: dict[str, list[dict]] = {}
    for record, (file, _) in zip(records_of(collected.rows, [r for _, r in collected.origins]), collected.origins):
        by_file.setdefault(file, []).append(record)
    return [Reading(line.owner, line.file, line.saved_at,
                    by_file.get(line.file, []) + collected.follow_ups.get(line.file, []), line.saved_by)
            for line in collected.lines if not line.skipped and line.owner]


def team_readings(team: Path, typed_here: list[tuple[int, dict]], people: set[str]) -> list[Reading]:
    """The rows typed straight into the team tracker (blank 来源), per person they name (only
    people of the roster or with a workbook: a journal is named after its person), judged
    by the team file's own saved-at."""
    if not typed_here:
        return []
    saved, by = last_saved(team)
    named = [(r, v) for (r, v), person in zip(typed_here, parse_texts([v.get("客服") for _, v in typed_here]))
             if person in people]
    by_person: dict[str, list[dict]] = {}
    for record in records_of([v for _, v in named], [r for r, _ in named], 来源=journal_rules.TEAM):
        by_person.setdefault(record["客服"], []).append(record)
    return [Reading(person, team.name, saved, records, by, scope=journal_rules.TEAM)
            for person, records in sorted(by_person.items())]


def plan_days(workspace: Path, month: Month, config, team_ids: set[str], ours, add) -> None:
    """计划项数 / 完成计划项 per person per day, as each personal workbook's 每日小结 keeps them
    (the morning plan's size, the count finished when the next plan replaced it); for the plan
    still in 今日, the items finished now, counted as `kefu-xl collect` counts them. `ours(day)`:
    the days wanted; `add(source, row, day, person, item, value)` takes each figure (计划项数, 完成计划项):
    the 周报's and the statement's plan figure."""
    _PARSED.clear()
    if not config.personal:
        return
    sheets = (*collected_sheets(plan=True), personal.DAILY)
    usable, _ = usable_personal(workspace, month, sheets)
    wspec = personal.spec(config, month)
    known = dict.fromkeys(team_ids, Targets())
    for line, grid in usable:
        if grid is None or personal.DAILY not in grid:
            continue
        read_records(line, grid, month, wspec, known, rules=config.valid)
        from_sheet = read_sheet(grid[personal.DAILY], wspec.sheet(personal.DAILY), line.file, [])
        for row, v in (from_sheet.rows if from_sheet else []):
            day, planned = cell_date(v["日期"]), cell_number(v["计划项数"])
            if not ours(day) or planned is None:
                continue
            done = line.plan_done if day == line.plan_day else cell_number(v["完成记录"])
            source = f"{personal.FOLDER}/{line.file}"
            add(source, row, day, line.owner, "计划项数", int(planned))
            add(source, row, day, line.owner, "完成计划项", int(done or 0))
