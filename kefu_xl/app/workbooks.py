"""Recalc/check of a workbook file by its _meta kind (kinds/registry.py), and the writes that
change an existing workbook or put a new one in place."""
from __future__ import annotations

import os
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..calendar import WorkCalendar
from ..config import Config, ValidRules, config_for, find_workspace
from ..errors import InputFileError, KefuError, NotKefuWorkbookError
from ..io.guard import check_zip
from ..io.heap import without_cycle_collection
from ..io.safe_write import (
    atomic_write,
    check_droppable,
    check_no_loss,
    check_not_open,
    check_package,
    check_writable,
    file_stamp,
    temp_path,
)
from ..io.sheet_api import as_book
from ..io.tables import open_workbook
from ..io.values import id_texts, parse_texts
from ..io.xlsx import PatchBook, Unsupported
from ..kinds import roster
from ..kinds.base import Kind, RecalcContext, RecalcResult, RowColumns
from ..kinds.registry import REGISTRY
from ..month import Month
from ..records import Problem, Severity
from ..rules import valid
from ..sheets.build import read_meta
from ..sheets.layout import find_layout
from ..sheets.spec import HELPER_SUFFIX, Role, Type, is_helper
from .collect import personal_source
from .facts import WorkspaceFacts

KINDS = REGISTRY


@dataclass
class RecalcOutcome:
    path: Path
    result: RecalcResult
    backup: Path | None
    written: bool
    warnings: list[str]
    patched: bool = False        # written by patching the changed cells (else through openpyxl)
    why_full: str = ""           # why the openpyxl path was taken
    unchanged: bool = False      # the recalc changed nothing: the file was left as it was (no backup)


def load_roster_near(path: Path, problems: list[Problem], config: Config | None = None):
    """名册.xlsx of the workspace the file lives in, or None when there is none (read with
    `config`'s header aliases when given)."""
    ws = find_workspace(path.parent)
    candidates = [ws / roster.FILE_NAME] if ws else []
    candidates += [path.parent / roster.FILE_NAME, path.parent.parent / roster.FILE_NAME]
    for candidate in candidates:
        if candidate.exists():
            staff, found = roster.read_roster(candidate, config.headers if config is not None else None)
            problems.extend(found)
            return staff
    problems.append(Problem(path.name, "", None, "", "NO_ROSTER",
                            "没有找到名册.xlsx（应在工作区根目录）：无法检查客服姓名，星级沿用客服汇总表中的值。",
                            Severity.WARNING))
    return None


def month_config(config: Config, meta: dict, wb, rules: ValidRules | None = None) -> Config:
    """The workspace's settings with the month's rules of valid work: those the workbook was
    opened with (rules/valid.py), or `rules` when a caller asks for others (report --compare)."""
    if rules is None:          # only a file made before rules were recorded is looked into (its 工作记录)
        work = "工作记录"
        recorded = meta.get(valid.META_VERSION) not in (None, "")
        rules = valid.from_meta(meta, not recorded and work in wb.sheetnames
                                and valid.has_column(wb[work], valid.DUPLICATE_KEY))
    return valid.with_rules(config, rules)


def recalc_open_workbook(wb, path: Path, *, as_of: date | None = None, write: bool = True,
                         now=None, rules: ValidRules | None = None,
                         config: Config | None = None) -> tuple[RecalcResult, list[str]]:
    """Recalculate an openpyxl workbook (loaded with formulas) that lives at `path`, by the
    month's rules of valid work (or `rules`)."""
    meta = read_meta(wb)
    kind = KINDS.get(str(meta.get("kind", "")))
    if kind is None:
        what = f"类型为「{meta['kind']}」，不支持重算" if meta.get("kind") else "不是 kefu-xl 生成的工作簿（没有 _meta 工作表）"
        raise NotKefuWorkbookError(f"{path.name} {what}；kefu-xl 没有修改它。")
    config = month_config(config or config_for(path), meta, wb, rules)
    as_of = as_of or date.today()
    month = Month.parse(str(meta["month"])) if meta.get("month") else Month.of(as_of)
    pre_problems: list[Problem] = []
    staff = load_roster_near(path, pre_problems, config) if kind.needs_roster else None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        workspace = find_workspace(path.parent)
        personal = personal_source(workspace, month, config, write, now, kind.collects_months) if kind.collects else None
        if personal is not None and kind.collects == "records":
            personal.read_ahead()
        facts = WorkspaceFacts(workspace, month, config) if kind.judges_work else None
        ctx = RecalcContext(path.name, config, WorkCalendar(config), month, as_of, staff, write=write,
                            workspace=workspace, path=path, now=now, personal=personal, facts=facts)
        try:
            result = kind.recalc(as_book(wb), ctx)
        finally:
            if personal is not None:
                personal.discard()         # (a read ahead the recalc did not get to)
    result.problems[:0] = pre_problems
    result.context = ctx
    return result, [str(w.message) for w in caught]


def python_values(kind: Kind, result: RecalcResult) -> dict[str, dict]:
    """The kind's Python value of every derived cell ({sheet: {row or key: {header: value}}})."""
    return kind.python_values(result)


def declaration(kind: Kind, result: RecalcResult):
    """The kind's declaration for the month the result was computed for."""
    return kind.declaration(result.context.config, result.context.month)


def cache_values(book: PatchBook, kind: Kind, result: RecalcResult) -> int:
    """Give every derived cell Python's value as its cached value (issue 17): Excel, WPS,
    previewers and pandas then show right figures before anyone recalculates. Returns cells."""
    wspec = declaration(kind, result)
    return cache_keyed(book, wspec, kind.python_values(result)) + cache_trimmed(book, wspec)


def cache_trimmed(book: PatchBook, wspec) -> int:
    """The hidden （去空格） helper columns (sheets/spec.trimmed) show the typed text trimmed,
    as Python reads it (io.values.parse_text). Returns cells."""
    n = 0
    for sheet in wspec.sheets:
        helpers = [c.header for c in sheet.columns if is_helper(c.header)]
        if not helpers or sheet.name not in book.sheetnames:
            continue
        ws = book[sheet.name]
        layout, _ = find_layout(ws, sheet)
        if layout is None:
            continue
        first, last = layout.first_data_row, ws.max_row
        columns = {}
        for header in helpers:
            source, col = layout.columns.get(header[:-len(HELPER_SUFFIX)]), layout.columns.get(header)
            if source is None or col is None:
                continue
            read = id_texts if sheet.column(header[:-len(HELPER_SUFFIX)]).type is Type.ID else parse_texts
            raws = ws.column(source, first, last)
            columns[col] = {r: text for r, raw, text in zip(range(first, last + 1), raws, read(raws))
                            if raw is not None and raw != ""}
        book.set_cached_columns(sheet.name, columns)
        n += sum(map(len, columns.values()))
    return n


def _by_header(at_rows: list[tuple[int, dict]], headers) -> dict[str, dict[int, object]]:
    """{header: {row: value}} of `headers` from [(row, {header: value})]: when every row names
    the same headers in the same order (a tracker's 100,000 records), turned over at once."""
    shapes = set(map(tuple, map(dict.keys, (values for _, values in at_rows))))
    if len(shapes) == 1:
        keys = shapes.pop()
        rows = [r for r, _ in at_rows]
        turned = dict(zip(keys, zip(*(values.values() for _, values in at_rows))))
        return {h: dict(zip(rows, turned[h])) if h in turned else {} for h in headers}
    return {h: {r: values[h] for r, values in at_rows if h in values} for h in headers}


def cache_keyed(book: PatchBook, wspec, values: dict[str, dict]) -> int:
    """Write `values` ({sheet: {row or key: {header: value}}}, as python_values gives them)
    as the cached values of the derived cells they name. Rows are found by number, or by
    what the sheet declares names them (SheetSpec.key_of: 客服 for a summary, 品类 + 品牌,
    序号 — a number itself — for a plan). Returns cells."""
    n = 0
    for name, by_row in values.items():
        if name not in book.sheetnames:
            continue
        sheet = wspec.sheet(name)
        ws = book[name]
        layout, _ = find_layout(ws, sheet)
        if layout is None:
            continue
        derived = {c.header: layout.columns[c.header] for c in sheet.columns
                   if c.role is Role.DERIVED and c.header in layout.columns}
        rows: dict = {}
        key_type = next((c.type for c in sheet.columns if c.header == sheet.key), None)
        by_key = bool(sheet.row_key) or key_type is Type.INT or any(not isinstance(k, int) for k in by_row)
        if by_key:
            key_cols = {h: layout.columns.get(h) for h in sheet.key_headers}
            for r in range(layout.first_data_row, ws.max_row + 1):
                key = sheet.key_of({h: ws.value(r, c) if c else None for h, c in key_cols.items()})
                if key in by_row and key not in rows:
                    rows[key] = r
        if isinstance(by_row, RowColumns) and not by_key:       # given as columns already
            turned = by_row.by_header()
            by_header = {h: turned.get(h, {}) for h in derived}
        else:
            by_header = _by_header([(rows[key], values) for key, values in by_row.items() if key in rows]
                                   if by_key else list(by_row.items()), derived)
        columns = {}
        for header, column in by_header.items():
            if column:
                columns[derived[header]] = column
        book.set_cached_columns(name, columns)
        n += sum(map(len, columns.values()))
    return n


def _open_patched(path: Path) -> PatchBook:
    """The file as a PatchBook; Unsupported when the patcher cannot read it (the openpyxl path
    then decides), InputFileError when it is no workbook at all."""

    if not path.exists() or path.stat().st_size == 0 or not zipfile.is_zipfile(path):
        raise Unsupported("不是 xlsx 文件")
    check_zip(path)
    try:
        return PatchBook(path)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as e:
        raise Unsupported(f"无法直接读取（{type(e).__name__}）") from e


def _recalc_patched(path: Path, write: bool, as_of: date | None, edit=None,
                    unchanged_since: tuple[int, int] | None = None, now=None,
                    rules: ValidRules | None = None, config: Config | None = None) -> RecalcOutcome:
    """Recalc through PatchBook: only what recalc owns (and what `edit(book)` adds) is written."""
    book = _open_patched(path)
    try:
        if edit is not None:
            edit(book)
        result, caught = recalc_open_workbook(book, path, as_of=as_of, write=write, now=now, rules=rules,
                                              config=config)
        structural = any(p.code in ("MISSING_HEADER", "MISSING_SHEET") for p in result.problems)
        backup = None
        if write and not structural:
            cache_values(book, KINDS[result.kind], result)
            if not book.changed_parts():     # anything unsupported shows up before the file is touched
                return RecalcOutcome(path, result, None, False, caught, patched=True, unchanged=True)

            def save(tmp):
                book.save(tmp)
                book.close()
            backup = atomic_write(path, save, unchanged_since)
        return RecalcOutcome(path, result, backup, write and not structural, caught, patched=True)
    finally:
        book.close()


def _replace_with(book: PatchBook, path: Path) -> None:
    """Write `book` over `path` through a temp file beside it (no backup: the file was made
    moments ago by kefu-xl itself)."""

    tmp = temp_path(path)
    try:
        book.save(tmp)
        book.close()
        check_package(tmp, path)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def add_keyed_values(path: Path, wspec, values: dict[str, dict], cells: dict[str, dict] | None = None) -> None:
    """A workbook kefu-xl has just written through openpyxl that no kind recalculates (the
    statement): `values` (as cache_keyed takes them) and `cells` ({sheet: {(row, column):
    value}}) are patched in as its formulas' cached values."""
    book = PatchBook(path)
    try:
        cache_keyed(book, wspec, values)
        for sheet, by_cell in (cells or {}).items():
            book.set_cached(sheet, by_cell)
        _replace_with(book, path)
    finally:
        book.close()


def add_cached_values(path: Path, result: RecalcResult | None = None, *, as_of: date | None = None) -> bool:
    """A workbook kefu-xl has just written through openpyxl (which cannot store a formula's
    value): Python's values — from `result`, or from a check-only recalc (month open) — are
    patched in as the formulas' cached values. False when the patcher cannot handle the file."""
    try:
        book = PatchBook(path)
    except Unsupported:
        return False
    try:
        if result is None:
            result, _ = recalc_open_workbook(book, path, as_of=as_of, write=False)
            if any(p.code in ("MISSING_HEADER", "MISSING_SHEET") for p in result.problems):
                return False
        cache_values(book, KINDS[result.kind], result)
        _replace_with(book, path)
    except Unsupported:
        return False
    finally:
        book.close()
    return True


def new_from_blank(path: Path, blank: bytes, stamp, *, as_of: date | None = None) -> RecalcResult | None:
    """A new workbook at `path` from the bytes of a blank one built once (month open writes a
    hundred personal workbooks): `stamp(book)` writes what differs (the owner), the recalc
    fills the rest, the file is written once. None when the patcher cannot (build it whole)."""
    tmp = temp_path(path)
    tmp.write_bytes(blank)
    try:
        book = PatchBook(tmp)
        try:
            stamp(book)
            result, _ = recalc_open_workbook(book, path, as_of=as_of)
            cache_values(book, KINDS[result.kind], result)
            _replace_with(book, path)
        finally:
            book.close()
    except Unsupported:
        return None
    finally:
        tmp.unlink(missing_ok=True)
    return result


def save_recalculated(wb, path: Path, result: RecalcResult, *, force: bool = False,
                      unchanged_since: tuple[int, int] | None = None) -> Path | None:
    """Save a workbook recalculated through openpyxl (a file the patcher cannot read), with its
    cached values patched in; refused when the rewrite would lose what a person added
    (their drop-downs, conditional formats, filter criteria…), unless `force`
    (`unchanged_since`: see safe_write.staged_write)."""
    check_not_open(path)
    check_droppable(path, force)

    def write(tmp):
        wb.save(tmp)
        add_cached_values(Path(tmp), result)
        check_no_loss(path, Path(tmp), force)
    return atomic_write(path, write, unchanged_since)


def create_file(path: Path, wb, *, as_of: date | None = None) -> RecalcOutcome:
    """A new workbook built with openpyxl, written to `path`: saved once as it was built,
    then recalculated by the same engine that changes existing files (cached values
    included), then put in place. A file already there is refused (callers decide first)."""
    check_not_open(path)
    if path.exists():
        raise KefuError(f"{path.name} 已存在，kefu-xl 没有覆盖它。")
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = temp_path(path)
    try:
        wb.save(scratch)
        outcome = None
        try:
            book = _open_patched(scratch)
        except Unsupported:
            book = None
        if book is not None:
            try:
                result, caught = recalc_open_workbook(book, path, as_of=as_of)
                cache_values(book, KINDS[result.kind], result)

                def save(tmp):
                    book.save(tmp)
                    book.close()
                atomic_write(path, save)
                outcome = RecalcOutcome(path, result, None, True, caught, patched=True)
            finally:
                book.close()
        if outcome is None:                      # our own openpyxl output: not expected
            result, caught = recalc_open_workbook(wb, path, as_of=as_of)
            save_recalculated(wb, path, result)
            outcome = RecalcOutcome(path, result, None, True, caught)
        return outcome
    finally:
        scratch.unlink(missing_ok=True)


def update_file(path: Path, edit, *, as_of: date | None = None, force: bool = False,
                unchanged_since: tuple[int, int] | None = None, config: Config | None = None) -> RecalcOutcome:
    """Change an existing kefu-xl workbook: `edit(book)` appends rows or sets cells through the
    sheet interface, then the book's recalc, then one safe write — the same way a recalc
    writes (only what changed), so nothing a person added is lost."""
    return recalc_file(path, force=force, as_of=as_of, edit=edit, unchanged_since=unchanged_since, config=config)


@without_cycle_collection()
def recalc_file(path: Path, *, write: bool = True, force: bool = False, as_of: date | None = None,
                edit=None, unchanged_since: tuple[int, int] | None = None, now=None,
                rules: ValidRules | None = None, config: Config | None = None) -> RecalcOutcome:
    """Recalculate a kefu-xl workbook file in place (or only check it when write=False);
    `edit(book)` first changes it (update_file).

    The cells recalc owns are patched into the file (PatchBook) and everything else stays
    as it was; a workbook the patcher cannot handle goes through openpyxl instead — refused
    when that would lose anything a person added, unless `force`. `unchanged_since`
    (safe_write.file_stamp of the version to recalc; by default the version found when it
    starts): when the file is saved or opened while it is being recalculated, nothing is
    written (ChangedOnDiskError, FileLockedError) — for every command, not only serve.
    `rules`: judge valid work by these instead of the month's own (and write them into _meta:
    month open --rules current). `config`: settings to use instead of reading the workspace's
    kefu-xl.toml (serve keeps its last good ones while the file is broken)."""
    path = Path(path)
    if write:
        check_not_open(path)
        check_writable(path)
        if unchanged_since is None:      # every writer: a save made while this runs is never written over
            unchanged_since = file_stamp(path)
    try:
        try:
            return _recalc_patched(path, write, as_of, edit, unchanged_since, now, rules, config)
        except Unsupported as e:
            why = str(e)
        if write:
            check_droppable(path, force)
        wb = open_workbook(path, data_only=False)
        if edit is not None:
            edit(wb)
        result, caught = recalc_open_workbook(wb, path, as_of=as_of, write=write, now=now, rules=rules,
                                              config=config)
        structural = any(p.code in ("MISSING_HEADER", "MISSING_SHEET") for p in result.problems)
        backup = None
        written = False
        if write and not structural:
            backup = save_recalculated(wb, path, result, force=force, unchanged_since=unchanged_since)
            written = True
        return RecalcOutcome(path, result, backup, written, caught, why_full=why)
    except (zipfile.BadZipFile, zlib.error, EOFError) as e:
        raise InputFileError(f"{path.name} 已损坏，无法读取（{e}）：kefu-xl 没有修改它。"
                             f"请从 .kefu-backup/ 中的备份恢复，或在 Excel/WPS 中打开后另存为 .xlsx。") from None
