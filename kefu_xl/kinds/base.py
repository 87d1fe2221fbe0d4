"""What every workbook kind shares: the recalc context and result, and cell readers that
mirror how a spreadsheet formula sees a value (a date typed as text is not a date)."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from ..calendar import WorkCalendar
from ..config import Config
from ..errors import DataProblemsError, KefuError
from ..io.sheet_api import as_book
from ..io.tables import read_sheets_fast
from ..io.values import (
    EXCEL_EPOCH,
    PLAUSIBLE_SERIAL,
    mistyped_date,
    parse_datetime,
    parse_text,
)
from ..month import Month
from ..records import Problem, Severity, StaffMember
from ..sheets.build import (
    add_missing_columns,
    apply_sheet_features,
    build_sheet,
    register_styles,
    set_cell,
    style_name,
    write_formulas,
    write_meta,
    write_rows,
)
from ..sheets.layout import find_layout
from ..sheets.read import read_sheet, write_problem_sheet
from ..sheets.spec import Column, Role, SheetSpec, Type, split_missing


@dataclass
class PersonLine:
    """One person's collection: what was read, from where, and how their day looks."""
    owner: str
    file: str
    saved_at: datetime | None = None      # as the workbook says (io.doc_props: the person's save)
    saved_by: str = ""                    # docProps lastModifiedBy
    records: int = 0
    problems: int = 0
    plan_done: int | None = None
    plan_total: int | None = None
    plan_day: date | None = None          # the day of the plan those figures are about
    note: str = ""
    skipped: bool = False


@dataclass
class Collected:
    """The month's personal workbooks' 工作记录 as the team tracker takes them."""
    lines: list[PersonLine] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)        # team 工作记录 rows, 来源 set
    problems: list[Problem] = field(default_factory=list)
    origins: list[tuple[str, int]] = field(default_factory=list)   # (personal file, its row) of each row
    kept: list[str] = field(default_factory=list)      # personal files whose last collected rows stay (missing, or only a copy)
    journal: list[dict] = field(default_factory=list)   # the 日志 events this collect appended (app/journal)
    journal_shown: list[dict] = field(default_factory=list)   # the month's 补录/改动/删除 of every person
    follow_ups: dict[str, list[dict]] = field(default_factory=dict)   # personal file -> its follow-up cells (日志)
    inquiries: list = field(default_factory=list)      # every person's 咨询 rows (kinds/inquiries.Inquiry)

    def origin_of(self, team_rows: list[int]) -> dict[int, tuple[str, int]]:
        """{team row: (personal file, row there)} given the team rows that hold the collected
        records, in order (replace_collected_rows keeps them in the order of `rows`)."""
        return dict(zip(team_rows, self.origins))


@dataclass
class FollowUps:
    """What people typed in their own copy of a team sheet (我的续费, 我的新客户): the personal
    sheet's name and, per usable personal workbook, (owner, file, [(row, values)])."""
    sheet: str
    people: list[tuple[str, str, list[tuple[int, dict]]]] = field(default_factory=list)


class PersonalSource(Protocol):
    """The month's personal workbooks as a team tracker's recalc takes from them. The use-case
    layer (app/collect.py) reads them and hands this to the recalc in RecalcContext.personal."""

    def work_records(self, team_ids: set[str], roster_names: list[str] | None,
                     typed_here: list[tuple[int, dict]] = ()) -> Collected:
        """Every personal workbook's 工作记录, checked against the team's account ids;
        `typed_here`: the team file's own rows (blank 来源), journalled with them."""

    def follow_ups(self, kind: str) -> FollowUps:
        """The personal sheet that holds `kind`'s staff-owned columns, as each person typed it."""


class FactsSource(Protocol):
    """What the rules of valid work read from the team's other files (rules/outcomes): the
    use-case layer (app/facts.py) reads them and hands this to the recalc in RecalcContext.facts."""

    def received(self) -> dict[str, list] | None:
        """{id_key: [到帐日期 of each of the account's rows]} of the month's 续费跟踪; None when
        the team keeps none ([workbooks] monthly without renewal: 续费完成 counts as typed)."""

    def meetings(self) -> list[tuple]:
        """(见面会日期, id_key, 到会) of the workspace's 见面会."""

    def late(self) -> dict[str, frozenset]:
        """{客服: identities (rules/journal.identity) of the month's records the 日志 judged 补录}."""


@dataclass
class RecalcContext:
    """What a recalc needs besides the workbook: rules, calendar, roster, the as-of date."""
    file: str
    config: Config
    calendar: WorkCalendar
    month: Month
    as_of: date
    roster: list[StaffMember] | None = None
    write: bool = True          # False for `check`: compute and validate, touch nothing
    workspace: Path | None = None   # the workspace the file lives in, for cross-file checks
    path: Path | None = None        # the file itself
    now: datetime | None = None     # the moment of the recalc (a plan's made-at); None: the clock's
    personal: PersonalSource | None = None   # the month's personal workbooks (a kind that collects them)
    facts: FactsSource | None = None          # the team's other files the outcome rules read


@dataclass
class RecalcResult:
    """What a recalc found and did: problems, formulas restored, a summary table to print."""
    kind: str
    problems: list[Problem] = field(default_factory=list)
    restored: dict[str, int] = field(default_factory=dict)     # "sheet/column" -> cells put back
    summary_headers: list[str] = field(default_factory=list)
    summary_rows: list[list[str]] = field(default_factory=list)
    figures: Any = None          # the kind's figures (a dataclass per kind): Python's values of the recalc
    context: RecalcContext | None = None                        # what it was computed with

    @property
    def restored_total(self) -> int:
        return sum(self.restored.values())

    def note_restored(self, file: str, sheet: str, column: str, count: int) -> None:
        if count:
            self.restored[f"{sheet}/{column}"] = self.restored.get(f"{sheet}/{column}", 0) + count
            self.problems.append(Problem(file, sheet, None, column, "FORMULA_RESTORED",
                                         f"有 {count} 个公式单元格被改成了数值或被清空，已恢复为公式"
                                         f"（这一列是自动计算的，请不要手工填写）。", Severity.INFO))


class RowColumns(Mapping):
    """python_values of a sheet with one entry per row ({row: {header: value}}) held as
    columns ({header: [the value of each row]}): a tracker's 100,000 records without a dict
    each; cache_keyed writes the columns as they are (by_header), anything else reads rows."""

    def __init__(self, rows: list[int], columns: dict[str, list]):
        self.rows, self.columns = rows, columns
        self._at: dict[int, int] | None = None

    def __getitem__(self, row: int) -> dict:
        if self._at is None:
            self._at = {r: i for i, r in enumerate(self.rows)}
        i = self._at[row]
        return {h: values[i] for h, values in self.columns.items()}

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def by_header(self) -> dict[str, dict[int, object]]:
        """{header: {row: value}}."""
        return {h: dict(zip(self.rows, values)) for h, values in self.columns.items()}


@dataclass(frozen=True)
class Kind:
    """One kind of workbook, declared once (the registry lists them: kinds/registry.py).

    Attributes:
      name: the kind as _meta names it.  title: what people call the workbook.
      declaration(config, month): its sheets and columns (sheets/spec).
      recalc(book, ctx): validate, compute and write back; a RecalcResult.
      python_values(result): Python's value of every derived cell ({sheet: {row or key: {header: value}}}).
      needs_roster: the recalc checks names against 名册.xlsx.
      collects: what its recalc takes from the month's personal workbooks (RecalcContext.personal):
        "records" their 工作记录, "follow_ups" their own columns of its rows, "" nothing.
      judges_work: it judges 工作记录 by the rules of valid work, which read the team's other
        files (RecalcContext.facts).
      collects_months: how many months of personal workbooks it collects from, this one and the
        ones before (商务出访: 2 — a prospect outlives the month it was visited in).
    """
    name: str
    title: str
    declaration: Callable[[Config, Month], object]
    recalc: Callable[[object, RecalcContext], RecalcResult]
    python_values: Callable[[RecalcResult], dict]
    needs_roster: bool = False
    collects: str = ""
    judges_work: bool = False
    collects_months: int = 1


def calendar_span(month: Month, calendar: WorkCalendar, dates=()) -> tuple[date, date]:
    """Days a hidden 工作日历 sheet must cover: the month with margins (kept inside years whose
    statutory calendar is known, so a margin alone never triggers the fallback warning),
    and every date in use (None ignored)."""
    first, last = month.first - timedelta(days=62), month.last + timedelta(days=92)
    if not calendar.knows(first.year):
        first = date(month.year, 1, 1)
    if not calendar.knows(last.year):
        last = date(month.year, 12, 31)
    for d in dates:
        if d is not None:
            first, last = min(first, d), max(last, d)
    return first, last


def monthly_files(workspace: Path, stem: str, month: Month) -> list[Path]:
    """Every month's `stem`_YYYY-MM.xlsx in the workspace up to `month`, oldest first."""
    found = []
    for path in workspace.glob(f"*/{stem}_*.xlsx"):
        try:
            other = Month.parse(path.stem.split("_")[-1])
        except KefuError:
            continue
        if other <= month:
            found.append((other, path))
    return [p for _, p in sorted(found)]


cell_text = parse_text              # a cell's text as typed, trimmed (io.values.parse_text)


def cell_date(value) -> date | None:
    """A date as a formula sees it: real dates and serial numbers; text is not a date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 1 <= value < 2958466:
        return EXCEL_EPOCH + timedelta(days=int(value))
    return None


def date_typo(header: str, raw, near: date) -> str | None:
    """What to tell a person whose date cell holds something typed for a date that is not one
    (12.2, 12/2, 2026.12.2 …): the value as typed and the date it most likely means; None when
    the cell is blank or a real date."""
    typo = mistyped_date(raw, near)
    if typo is None:
        return None
    shown, likely = typo
    if likely is None:
        return f"{header}「{shown}」不是日期（可能是文字），请输入日期，例如 {near.isoformat()}"
    return (f"{header}「{shown}」不是日期，像是 {likely.isoformat()}：请输入日期 {likely.isoformat()}"
            f"（Excel/WPS 中右对齐、显示为日期即为输入正确）")


def typed_as_number(day: date) -> bool:
    """Whether a formula made this date of a small number (12.2 → 1900-01-11): a typing slip
    date_typo has already reported as typed."""
    return (day - EXCEL_EPOCH).days < PLAUSIBLE_SERIAL


def typed_date(values: dict, header: str, where: tuple[str, str, int | None],
               problems: list[Problem] | None, near: date | None = None) -> date | None:
    """cell_date of a typed cell (as a formula sees it); text that is not a date, or a number
    too small to be one (12.2), is a warning naming (file, sheet, row) with the likely date
    (its year nearest `near`, default today)."""
    d = cell_date(values[header])
    if problems is not None:
        message = date_typo(header, values[header], near or date.today())
        if message:
            file, sheet, row = where
            problems.append(Problem(file, sheet, row, header, "NOT_A_DATE", message + "。", Severity.WARNING))
    return d


def cell_datetime(value) -> datetime | None:
    """A date-time as a formula sees it: real date-times, dates (midnight) and serial numbers."""
    if isinstance(value, (datetime, date)) or (isinstance(value, (int, float)) and not isinstance(value, bool)):
        try:
            return parse_datetime(value)
        except ValueError:
            return None
    return None


def cell_number(value) -> Decimal | None:
    """A number as a formula sees it: numeric cells only; text is not a number."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return None
    return value if isinstance(value, Decimal) else Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def read_sheets(wb, wspec, ctx: RecalcContext, problems: list[Problem], rebuilt: tuple[str, ...] = ()):
    """Layouts of every declared sheet and the data rows of those not rebuilt by recalc.
    A workbook an earlier version made gains the sheets and columns this one declares (in
    memory; saved only by a writing recalc), said once (UPGRADED).

    Returns (layouts, datas) or None when a sheet or header is missing (a structural
    problem: nothing is computed and nothing written)."""
    layouts, datas, ok = {}, {}, True
    upgraded: list[str] = []
    for sheet in wspec.sheets:
        if sheet.name not in wb.sheetnames and sheet.added_later:
            _add_sheet(wb, wspec, sheet)
            upgraded.append(f"「{sheet.name}」表")
        if sheet.name not in wb.sheetnames:
            problems.append(Problem(ctx.file, sheet.name, None, "", "MISSING_SHEET",
                                    f"缺少工作表「{sheet.name}」：请从 .kefu-backup/ 中的备份恢复，或重新生成。"))
            ok = False
            continue
        added = add_missing_columns(wb[sheet.name], sheet)
        shown = [h for h in added if not sheet.column(h).hidden]
        pieces = ["".join(f"「{h}」" for h in shown) + "列"] if shown else []
        if len(added) > len(shown):
            pieces.append(f"{len(added) - len(shown)} 个隐藏的辅助列")
        if pieces:
            upgraded.append(f"「{sheet.name}」的{' ' if pieces[0][0].isdigit() else ''}" + "和".join(pieces))
        if sheet.name in rebuilt:
            layout, missing = find_layout(wb[sheet.name], sheet)
            refused = split_missing(sheet, missing)[1] if layout is not None else missing
            if refused:
                problems.append(Problem(ctx.file, sheet.name, None, "、".join(refused), "MISSING_HEADER",
                                        f"找不到「{'」「'.join(refused)}」，请把表头改回原样。"))
                ok = False
                continue
            layouts[sheet.name] = layout
            continue
        data = read_sheet(wb[sheet.name], sheet, ctx.file, problems)
        if data is None:
            ok = False
            continue
        data.added = tuple(added)
        layouts[sheet.name], datas[sheet.name] = data.layout, data
    if upgraded:
        problems.append(Problem(ctx.file, "", None, "", "UPGRADED",
                                f"这个工作簿由旧版本生成，已补上{'、'.join(upgraded)}（新列由 kefu-xl 填写或留空待填，"
                                f"原有内容不变）。", Severity.INFO))
    return (layouts, datas) if ok else None


def _add_sheet(wb, wspec, sheet) -> None:
    """An empty `sheet` into a workbook made before the sheet existed, after the declared
    sheet it follows (in memory; saved only by a writing recalc)."""
    names = [s.name for s in wspec.sheets]
    present = [n for n in names[:names.index(sheet.name)] if n in wb.sheetnames]
    index = wb.sheetnames.index(present[-1]) + 1 if present else 0

    layouts: dict = {}                   # the other sheets' layouts: a drop-down may list one of them
    for other in wspec.sheets:
        if other.name != sheet.name and other.name in wb.sheetnames:
            found, _ = find_layout(wb[other.name], other)
            if found is not None:
                layouts[other.name] = found

    def build(ws, book) -> None:
        register_styles(book)
        layout = build_sheet(ws, sheet, sheet.title, [], {}, layouts)
        apply_sheet_features(ws, layout, sheet, layouts, layout.first_data_row)

    as_book(wb).add_sheet(sheet.name, index, build)


def restore_formulas(wb, sheet, layouts, data, result: RecalcResult, file: str) -> int:
    """Put every derived formula of `sheet` back on its data rows and buffer rows; report
    cells a person had typed over. Returns the last row that carries formulas."""
    layout = layouts[sheet.name]
    ws = wb[sheet.name]
    data_last = data.last_row
    last = max(data_last, layout.header_row) + sheet.buffer_rows
    for column in sheet.columns:
        if column.role is not Role.DERIVED:
            continue
        single = SheetSpec(sheet.name, sheet.title, (column,), sheet.key)
        restored = write_formulas(ws, layout, single, layouts, layout.first_data_row, data_last)
        write_formulas(ws, layout, single, layouts, data_last + 1, last)
        if column.header not in data.added:           # a column just added to an older file was empty
            result.note_restored(file, sheet.name, column.header, restored)
    apply_sheet_features(ws, layout, sheet, layouts, last, data_last)
    return last


def clear_rows(ws, layout, first: int, last: int, keep: int = 0) -> None:
    """Empty rows first..last of what kefu-xl owns there (its declared columns), the first
    `keep` of them about to be written again. When a person typed into a column kefu-xl does
    not own, every row stays where it is (their text with it) and only kefu-xl's cells past
    the first `keep` rows are cleared; otherwise the rows are simply deleted."""
    owned = set(layout.columns.values())
    rows = list(ws.iter_rows(min_row=first, max_row=last, values_only=True))
    if not any(v not in (None, "") for row in rows for c, v in enumerate(row, 1) if c not in owned):
        ws.delete_rows(first, last - first + 1)
        return
    for offset, row in enumerate(rows[keep:], keep):
        for c in owned:
            if c <= len(row) and row[c - 1] not in (None, ""):
                ws.cell(first + offset, c).value = None


WORKDAYS = "工作日历"        # the hidden sheet of working days a workbook's deadline formulas read


def workdays_sheet(use: str, title: str = "法定工作日", added_later: bool = False) -> SheetSpec:
    """The hidden 工作日历 sheet (statutory working days, 调休 Saturdays included) a workbook's
    formulas count working days by; `use`: what they count (its column's help). Each recalc
    writes its days (rewrite_workdays)."""
    return SheetSpec(name=WORKDAYS, title=title, key="日期", buffer_rows=0, protect=False, hidden=True,
                     added_later=added_later, columns=(Column("日期", Role.COMPUTED, Type.DATE, help=use),))


def rewrite_workdays(wb, wspec, layouts, days) -> None:
    """The 工作日历 sheet (workdays_sheet) listing `days`."""
    rebuild_rows(wb, wspec.sheet(WORKDAYS), layouts, [{"日期": d} for d in days])


def rebuild_rows(wb, sheet, layouts, rows: list[dict]) -> int:
    """Replace every row under the header of a sheet kefu-xl fills by itself (summaries,
    calendars) with `rows` and their formulas; returns the last row written."""
    ws, layout = wb[sheet.name], layouts[sheet.name]
    if ws.max_row >= layout.first_data_row:
        clear_rows(ws, layout, layout.first_data_row, ws.max_row, keep=len(rows))
    write_rows(ws, layout, sheet, rows, layout.first_data_row)
    last = layout.first_data_row + len(rows) - 1
    write_formulas(ws, layout, sheet, layouts, layout.first_data_row, last, share=False)   # its rows go next time
    apply_sheet_features(ws, layout, sheet, layouts, max(last, layout.first_data_row))
    return last


def read_tracker(path: Path, spec_of, sheets: tuple[str, ...], *, month=None,
                 problems: list[Problem] | None = None, grid=None):
    """(month, {sheet: SheetData or None}) of a monthly workbook, read fast (values only).
    `spec_of(month)` gives its declaration; the month comes from _meta unless given; header
    problems go to `problems` when the caller wants them; `grid`: the file as the caller has
    already read it (read_sheets_fast), not parsed again."""
    grid = read_sheets_fast(path) if grid is None else grid
    if month is None:
        meta = dict(row[:2] for row in grid["_meta"].grid if row and row[0]) if "_meta" in grid else {}
        month = Month.parse(str(meta.get("month")))
    wspec = spec_of(month)
    found = [] if problems is None else problems
    return month, {name: read_sheet(grid[name], wspec.sheet(name), path.name, found) if name in grid else None
                   for name in sheets}


def collected(config: Config) -> bool:
    """Personal workbooks are on (docs/plan.md): the staff-owned columns of the team trackers
    are collected from them — locked in the team file, written only by recalc."""
    return config.personal and "maintenance" in config.monthly


def plain_value(value):
    """A value copied from last month's workbook: dates without their midnight time."""
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        return value.date()
    return value


def read_ledger_rows(path: Path, spec_of, sheet: str, reader) -> tuple[Month, list[tuple[object, dict]]]:
    """(month, [(record, its typed cells)]) of one sheet of a monthly workbook, read fast;
    `reader(data, file)` turns the sheet's rows into records."""
    month, datas = read_tracker(path, spec_of, (sheet,))
    data = datas[sheet]
    if data is None:
        raise KefuError(f"{path.name} 的「{sheet}」表头不完整，无法读取。")
    return month, list(zip(reader(data, path.name), (v for _, v in data.rows)))


def carried_rows(previous: list[tuple[object, dict]], sheet, keep, label: str = "遗留") -> list[dict]:
    """Next month's rows for the records `keep` accepts: every typed (input) cell of the
    declared `sheet` kept, 来源 set to 遗留."""
    inputs = [c.header for c in sheet.columns if c.role is Role.INPUT]
    return [{**{h: plain_value(values.get(h)) for h in inputs}, "来源": label}
            for record, values in previous if keep(record)]


def staff_names(roster: list[StaffMember] | None, people: list[str]) -> list[str]:
    """Summary rows: active roster staff first, then anyone else met in the rows."""
    names = [m.name for m in roster or [] if m.active]
    for name in people:
        if name and name not in names:
            names.append(name)
    return names


def sheets_to_append(book, path: Path, wspec, names: tuple[str, ...], what: str = "没有写入") -> dict:
    """{sheet: SheetData} of the sheets `names` of an existing workbook a command appends rows
    to (inside update_file's edit); DataProblemsError (nothing written) when one is missing or
    its headers are broken."""
    found: list[Problem] = []
    datas = {n: read_sheet(book[n], wspec.sheet(n), path.name, found) if n in book.sheetnames else None
             for n in names}
    broken = [n for n, data in datas.items() if data is None]
    if broken:
        raise DataProblemsError(f"{path.name} 的「{'」「'.join(broken)}」表缺失或表头不完整，{what}。", found or [
            Problem(path.name, "", None, "", "MISSING_SHEET", f"缺少「{'」「'.join(broken)}」表。")])
    return datas


def start_recalc(wb, ctx: RecalcContext, kind: str, wspec, rebuilt: tuple[str, ...] = ()):
    """The first steps every kind's recalc shares: a result, our named styles in the workbook,
    and the sheets read back by header (None when the structure is broken)."""
    result = RecalcResult(kind)
    register_styles(wb)
    return result, read_sheets(wb, wspec, ctx, result.problems, rebuilt)


def mark_ledger_rows(wb, sheet: str, layout, rows: list[tuple[int, str]], current: str, as_of: date) -> None:
    """A ledger's write-back first step: 来源 of each row (blank means this month's) and the
    截至日期 anchor its lateness formulas compare with."""
    ws = wb[sheet]
    source_col = layout.columns["来源"]
    for row, source in rows:
        set_cell(ws.cell(row, source_col), source or current, style_name(Role.COMPUTED, Type.TEXT))
    row, col = layout.anchors["截至日期"]
    set_cell(ws.cell(row, col), as_of, style_name(Role.INPUT, Type.DATE))


def finish_recalc(wb, wspec, ctx: RecalcContext, problems: list[Problem]) -> None:
    """The last steps every kind's write-back shares: _meta stamp and the 问题 sheet."""
    write_meta(wb, wspec, {"recalculated_at": ctx.as_of.isoformat()})
    write_problem_sheet(wb, problems, before="说明")
