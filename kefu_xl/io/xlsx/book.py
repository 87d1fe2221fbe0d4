"""A workbook opened for a change without loading it through openpyxl (issue 17).

`PatchBook(path)` reads each sheet's values with python-calamine and its formulas with one
scan of the sheet XML, and offers the few Worksheet/Cell operations the declaration engine
uses. `save(target)` writes the file back with only what changed: a row nobody touched is
copied byte for byte, a cell nobody touched inside a changed row too, and every part of the
zip other than the changed sheets (and styles.xml when a style had to be added) is the
original part. Formula cells get Python's value as their cached value (`set_cached`).
Anything the engine does not handle raises `Unsupported`.
"""
from __future__ import annotations

import re
import zipfile
from concurrent.futures import ThreadPoolExecutor
from html import unescape
from pathlib import Path

from ..grid import _CELL_ERROR
from . import package, transplant
from .common import _KEEP, Unsupported, _col
from .features import _filter_database, _print_areas
from .package import sheet_parts
from .sheet import PatchSheet, SheetScan
from .styles import Styles


def _sheet_grid(calamine, name: str) -> list[list]:
    """The sheet's values as calamine reads them: a blank is "" (PatchSheet makes it None once
    the formula cells, read from the XML, have taken their places)."""
    return calamine.result().get_sheet_by_name(name).to_python(skip_empty_area=False)


class PatchBook:
    """The Workbook attributes the declaration engine uses, over the file at `path`."""

    def __init__(self, path: Path):
        from python_calamine import CalamineWorkbook
        self.path = Path(path)
        self.zip = zipfile.ZipFile(self.path)
        names = set(self.zip.namelist())
        if "xl/styles.xml" not in names:
            raise Unsupported("没有 styles.xml")
        self.parts = sheet_parts(self.zip)
        self.sheetnames = list(self.parts)
        self.styles = Styles(self.zip.read("xl/styles.xml"))
        # every sheet's values parsed by calamine in a background thread, in sheet order, while
        # this thread scans the XML of the sheets already parsed (calamine releases the GIL)
        self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kefu-sheets")
        calamine = self._reader.submit(CalamineWorkbook.from_path, str(self.path))
        # _meta first: every recalc reads it before anything else (it names the kind)
        order = sorted(self.sheetnames, key=lambda name: name != "_meta")
        self._grids = {name: self._reader.submit(_sheet_grid, calamine, name) for name in order}
        self._sheets: dict[str, PatchSheet] = {}
        self._changed: dict[str, bytes] | None = None
        self._pending: dict[str, bytes] = {}          # package parts changed by add_sheet
        self._new_parts: set[str] = set()             # sheet parts add_sheet made
        self._states = dict(re.findall(r'<sheet\b[^>]*?name="([^"]+)"[^>]*?state="(\w+)"',
                                       self.zip.read("xl/workbook.xml").decode("utf-8")))
        self._states = {unescape(k): v for k, v in self._states.items()}

    def __getitem__(self, name: str) -> PatchSheet:
        sheet = self._sheets.get(name)
        if sheet is None:
            if name not in self.parts:
                raise KeyError(name)
            xml = self.zip.read(self.parts[name])
            scanned = SheetScan(name, xml)          # while calamine may still be parsing it
            try:
                grid = self._grids[name].result()
            except Exception as e:  # noqa: BLE001 - calamine's own errors: the openpyxl path says what is wrong
                raise Unsupported(f"calamine 无法读取「{name}」（{type(e).__name__}）") from e
            if b't="e"' in xml:          # calamine reads #N/A, #REF!… as blanks
                for c, r, text in _CELL_ERROR.findall(xml):
                    PatchSheet._put(grid, int(r), _col(c), text.decode())
            sheet = PatchSheet(self, name, self.parts[name], xml, grid, scanned, from_calamine=True)
            self._sheets[name] = sheet
        return sheet

    def __contains__(self, name: str) -> bool:
        return name in self.parts

    def __getattr__(self, name):
        raise Unsupported(f"工作簿操作 {name}")

    def __delitem__(self, name):
        raise Unsupported("删除工作表")

    def _part(self, name: str) -> bytes:
        return self._pending[name] if name in self._pending else self.zip.read(name)

    def add_sheet(self, name: str, index: int, build) -> PatchSheet:
        """A sheet `build(ws, wb)` makes with openpyxl in a scratch workbook, put in at position
        `index` — or in place of the sheet of that name (a kefu-xl sheet whose layout changed) —
        without rewriting anything else of the file (transplant)."""
        xml, styles, strings, scratch_workbook, values = transplant.scratch_sheet(name, build)
        xml = transplant.map_styles(transplant.inline_strings(xml, strings), styles, self.styles)
        names = transplant.local_names(scratch_workbook)
        if name in self.parts:
            part, at = self.parts[name], self.sheetnames.index(name)
            self._pending[package.WORKBOOK] = transplant.replace_local_names(self._part(package.WORKBOOK), at, names)
        else:
            used = set(self.zip.namelist()) | self._new_parts
            n = 1
            while f"xl/worksheets/sheet{n}.xml" in used:
                n += 1
            part = f"xl/worksheets/sheet{n}.xml"
            index = min(index, len(self.sheetnames))
            state = transplant.first_sheet_state(scratch_workbook)
            workbook, rels, types = transplant.insert_sheet(
                self._part(package.WORKBOOK), self._part(package.WORKBOOK_RELS), self._part(package.CONTENT_TYPES),
                name, index, part, names, state)
            if state != "visible":
                self._states[name] = state
            self._pending.update({package.WORKBOOK: workbook, package.WORKBOOK_RELS: rels,
                                  package.CONTENT_TYPES: types})
            self.sheetnames.insert(index, name)
            self.parts = {n: self.parts[n] if n != name else part for n in self.sheetnames}
        self._new_parts.add(part)
        sheet = self._sheets[name] = PatchSheet(self, name, part, xml, values)
        return sheet

    @property
    def style_names(self) -> list[str]:
        return self.styles.names

    def add_named_style(self, style) -> None:
        self.styles.add_named_style(style)

    def sheet_state(self, name: str) -> str:
        return self._states.get(name, "visible")

    def set_cached(self, sheet: str, values: dict[tuple[int, int], object]) -> None:
        """Python's values for formula cells of `sheet`, written as their cached values."""
        self[sheet].cached.update(values)

    def set_cached_columns(self, sheet: str, columns: dict[int, dict[int, object]]) -> None:
        """set_cached, column by column ({column: {row: value}})."""
        cached = self[sheet].cached
        for c, values in columns.items():
            cached.set_column(c, values)

    def changed_parts(self) -> dict[str, bytes | None]:
        """{zip part: new bytes, or None for a part to drop} of what recalc changed (computed
        once; nothing may change after). Empty when the file would be written as it is; else
        the package is made fit for Excel too (package): calcChain dropped,
        fullCalcOnLoad set, no sheet view with more selections than the schema allows."""
        if self._changed is not None:
            return self._changed
        out: dict[str, bytes | None] = {}
        for s in self._sheets.values():
            if s.writes or s.runs or s.cached or s.features or s.heights or s.origin != list(range(1, len(s.origin) + 1)):
                data = s.to_bytes()
                if data != s.xml or s.part in self._new_parts:   # a sheet rebuilt exactly as it
                    out[s.part] = data                           # was is not a change
            elif s.part in self._new_parts:
                out[s.part] = s.xml
        out.update(self._pending)
        if self.styles.dirty:
            out["xl/styles.xml"] = self.styles.to_bytes()
        filters = {self.sheetnames.index(s.title): s.auto_filter.ref for s in self._sheets.values()}
        original = self.zip.read(package.WORKBOOK)
        workbook = self._part(package.WORKBOOK)
        named = _filter_database(workbook, {i: ref for i, ref in filters.items() if ref})
        named = _print_areas(named, {self.sheetnames.index(s.title): (s.title, s.features["printArea"])
                                     for s in self._sheets.values() if s.features.get("printArea")})
        if named != original:
            out[package.WORKBOOK] = named
        if out:
            out[package.WORKBOOK] = package.full_calc_on_load(out.get(package.WORKBOOK) or workbook)
            names = set(self.zip.namelist())
            if package.CALC_CHAIN in names:
                out.update(package.without_calc_chain(
                    {n: self._part(n) for n in (package.WORKBOOK_RELS, package.CONTENT_TYPES) if n in names}))
            for part in self.parts.values():
                if part in out or part not in names:
                    continue
                with self.zip.open(part) as fh:
                    head = fh.read(1 << 16)
                if b"<selection" in head and package.too_many_selections(head):
                    out[part] = package.capped_selections(self.zip.read(part))
        self._changed = out
        return out

    def save(self, target) -> None:
        changes = self.changed_parts()
        with zipfile.ZipFile(target, "w") as zout:
            for info in self.zip.infolist():
                data = changes.get(info.filename, _KEEP)
                if data is None:
                    continue                     # a part dropped (calcChain)
                if data is _KEEP:
                    data = self.zip.read(info.filename)
                zout.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=1)
            for name in sorted(self._new_parts - set(self.zip.namelist())):   # a sheet made anew in place
                zout.writestr(name, changes[name], compress_type=zipfile.ZIP_DEFLATED, compresslevel=1)  # was written above

    def close(self) -> None:
        """Release the file: on Windows it cannot be replaced while calamine or the zip holds it."""
        for future in self._grids.values():
            future.cancel()
        self._reader.shutdown(wait=True)
        self._grids = {}                 # the last references to calamine's workbook: its file closes
        self.zip.close()
        self._sheets = {}                # each sheet names its book: without this cycle its grids (a
                                         # 100,000-record tracker: millions of objects) go at once, not
                                         # at the next run of the cycle collector (paused: io.heap)
