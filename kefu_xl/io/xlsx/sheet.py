"""One sheet of a patched workbook: its values as a grid (formulas as "=…" text, as openpyxl
shows them), the few Worksheet/Cell operations the declaration engine uses, and the cells
written since it was read."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from openpyxl.utils import get_column_letter

from ..grid import GridSheet
from ..values import stays_text
from .cells import _formula_texts, _formulas_by_end
from .common import (
    _CHILD_TAG,
    _COLUMNS,
    _FORMULA_CELL,
    _FORMULA_CELL_PLAIN,
    _REF_ATTR,
    _ROW_R,
    _SI,
    CachedValues,
    Unsupported,
    _Block,
    _col,
    _Write,
)
from .features import (
    FeaturesMixin,
    _AutoFilter,
    _ColumnDimensions,
    _RowDimensions,
    _SheetProperties,
)
from .scan import ScanMixin
from .shared import SharedMixin
from .write import WriteMixin

if TYPE_CHECKING:
    from .book import PatchBook

class PatchCell:
    """The Cell attributes the declaration engine reads and sets."""
    __slots__ = ("sheet", "row", "column")

    _SETTABLE = frozenset(("value", "data_type", "style", "font", "fill"))

    def __init__(self, sheet: PatchSheet, row: int, column: int):
        set_ = object.__setattr__
        set_(self, "sheet", sheet)
        set_(self, "row", row)
        set_(self, "column", column)

    def __getattr__(self, name):
        raise Unsupported(f"单元格属性 {name}")

    def __setattr__(self, name, value):
        if name not in PatchCell._SETTABLE:
            raise Unsupported(f"单元格设置 {name}")
        object.__setattr__(self, name, value)

    @property
    def coordinate(self) -> str:
        return f"{get_column_letter(self.column)}{self.row}"

    @property
    def value(self):
        return self.sheet.value(self.row, self.column)

    @value.setter
    def value(self, value) -> None:
        self.sheet.set_value(self.row, self.column, value)

    @property
    def data_type(self) -> str:
        w = self.sheet.writes.get((self.row, self.column))
        return "s" if w is not None and w.text else "n"

    @data_type.setter
    def data_type(self, value: str) -> None:
        if value == "s":
            self.sheet._write(self.row, self.column).text = True

    @property
    def style(self) -> str:
        w = self.sheet.writes.get((self.row, self.column))
        if w is not None and w.style:
            return w.style
        return self.sheet.book.styles.name_of(self.sheet.original_style(self.row, self.column))

    @style.setter
    def style(self, name: str) -> None:
        self.sheet.set_style(self.row, self.column, name)

    @property
    def font(self):
        raise Unsupported("读取单元格字体")

    @font.setter
    def font(self, font) -> None:
        self.sheet._write(self.row, self.column).font = font

    @property
    def fill(self):
        raise Unsupported("读取单元格填充")

    @fill.setter
    def fill(self, fill) -> None:
        self.sheet._write(self.row, self.column).fill = fill



class SheetScan:
    """What a sheet's XML alone tells — its parts around <sheetData>, its last row, its formula
    cells and their texts, how many cells name a shared group —, read before the sheet's
    values: PatchBook scans a sheet's XML while calamine is still parsing it in the background
    (a 100,000-record 工作记录: ~1 s of each)."""

    def __init__(self, name: str, xml: bytes):
        m = re.search(rb"<sheetData\s*/>|<sheetData>", xml)
        if m is None:
            raise Unsupported(f"「{name}」的 XML 用了命名空间前缀")
        end = xml.find(b"</sheetData>", m.end()) if not m.group(0).endswith(b"/>") else m.end()
        self.head = xml[:m.start()]
        self.body = body = xml[m.end():end] if not m.group(0).endswith(b"/>") else b""
        self.tail = xml[end + len(b"</sheetData>"):] if not m.group(0).endswith(b"/>") else xml[m.end():]
        at = body.rfind(b"<row")
        last_tag = _ROW_R.search(body, at, body.find(b">", at)) if at >= 0 else None
        if at >= 0 and last_tag is None:
            raise Unsupported(f"「{name}」有不带行号的行")
        self.last = int(last_tag.group(1)) if last_tag else 0      # rows are in ascending order (OOXML)
        spelled = body.count(b"</f>")
        found = _formulas_by_end(body) if spelled * 1000 < len(body) else _FORMULA_CELL_PLAIN.findall(body)
        if len(found) != spelled:
            found = _FORMULA_CELL.findall(body)
        self.found = found
        self.texts = _formula_texts([t for *_, t in found])
        # how many cells name a shared group (si="…"), and how many of them are spelled as
        # kefu-xl and Excel write a group's other cells; None when the sheet has none
        self.shared = (body.count(b' si="'), body.count(_CHILD_TAG)) if b't="shared"' in body else None


def _blanks_as_none(grid: list[list]) -> None:
    """calamine's "" for a blank cell becomes None, in place. Done after the formula cells took
    their places (most of a tracker's blanks are formulas showing ""): only the typed cells
    left blank are looked for, each found by list.index rather than comparing every cell."""
    for row in grid:
        n = row.count("")
        at = -1
        for _ in range(n):
            at = row.index("", at + 1)
            row[at] = None


class PatchSheet(ScanMixin, SharedMixin, WriteMixin, FeaturesMixin, GridSheet):
    """One sheet: values as a grid (formulas as "=…" text, as openpyxl shows them) and the
    cells written since it was read. It is io.sheet_api's Sheet: the file keeps its own
    drop-downs, formats and filter (their ranges grow: extend_features)."""
    keeps_features = True

    def __init__(self, book: PatchBook, name: str, part: str, xml: bytes, grid: list[list],
                 scanned: SheetScan | None = None, from_calamine: bool = False):
        scanned = scanned or SheetScan(name, xml)
        self.head, self.body, self.tail = scanned.head, scanned.body, scanned.tail
        self.book, self.part, self.xml = book, part, xml
        body = self.body
        last = scanned.last
        self.last_in_file = last
        while len(grid) < last:
            grid.append([])
        found = scanned.found
        stored = [list(row) for row in grid] if found else []      # the values the file stores (blank: "" or None)
        known, col = _COLUMNS, _col
        number_before, row = None, None
        self.masters: dict[int, tuple[int, int, str]] = {}      # si -> (row, column, text) of the file's
        self.children: dict[int, list | _Block] = {}              # shared groups; si -> cells besides the master
        refs: dict[int, re.Match | None] = {}
        for (letters, number, attrs, _), text in zip(found, scanned.texts):
            if number != number_before:          # a row's formula cells come one after another
                number_before, r = number, int(number)
                if r > len(grid):        # a writer that did not keep its rows in order
                    grid.extend([] for _ in range(r - len(grid)))
                row = grid[r - 1]
            c = known.get(letters) or col(letters)
            n = len(row)
            if c > n:
                row.extend([None] * (c - n))
            if attrs and b't="shared"' in attrs:
                m = _SI.search(attrs)
                if m is None:
                    raise Unsupported(f"「{name}」有不带编号的共享公式")
                si = int(m.group(1))
                self.masters[si] = (r, c, text)
                refs[si] = _REF_ATTR.search(attrs)
            row[c - 1] = text
        if scanned.shared is not None:
            self._find_children(name, body, grid, refs, scanned.shared)
        if from_calamine:
            _blanks_as_none(grid)
        super().__init__(name, grid)
        self.origin: list[int | None] = list(range(1, len(grid) + 1))
        self.writes: dict[tuple[int, int], _Write] = {}
        self.runs: list[tuple] = []        # (column, first, last, for_row, style, template) of new cells (put_formula_run)
        self._run_si: list[int] = []       # the shared groups the runs were written as
        self.cached = CachedValues()
        self.stored = stored               # each formula cell's value as the file stores it
        self.features: dict[str, object] = {}
        self._cells: dict[int, dict[int, bytes]] = {}
        self.auto_filter = _AutoFilter(self)
        self.heights: dict[int, float] = {}          # row heights set since the sheet was read
        self.row_dimensions = _RowDimensions(self)
        self.sheet_properties = _SheetProperties(self)
        self.column_dimensions = _ColumnDimensions(self)
        self._holds: dict[tuple[int, int], bool] = {}
        self.held: dict[tuple[int, int], str] = {}     # formula cells already right -> their template
        self._last_columns: dict[int, int | None] = {}  # a file row's start -> its last cell's column

    def __getattr__(self, name):
        raise Unsupported(f"工作表操作 {name}")

    def __setattr__(self, name, value):
        if name == "sheet_state":
            if value != self.book.sheet_state(self.title):
                raise Unsupported("改变工作表的显示状态")
            return
        if name == "print_area":            # a defined name in workbook.xml: PatchBook writes it
            self.features["printArea"] = value
            return
        if name not in self._OWN:
            raise Unsupported(f"工作表设置 {name}")
        object.__setattr__(self, name, value)

    @staticmethod
    def _put(grid, r: int, c: int, value) -> None:
        while len(grid) < r:
            grid.append([])
        row = grid[r - 1]
        if len(row) < c:
            row.extend([None] * (c - len(row)))
        row[c - 1] = value

    def _set_grid(self, r: int, c: int, value) -> None:
        self._put(self.grid, r, c, value)
        while len(self.origin) < len(self.grid):
            self.origin.append(None)

    def _write(self, r: int, c: int) -> _Write:
        w = self.writes.get((r, c))
        if w is None:
            w = self.writes[(r, c)] = _Write()
            if r > len(self.grid):
                self._set_grid(r, c, self.value(r, c))
        return w

    def put_row(self, r: int, values: tuple, style: str, texts: tuple) -> None:
        """What `set_cell(ws.cell(r, c), value, style)` does for cells 1, 2, … of row r, written
        anew (the 问题 rows: thousands when many records are wrong) without a PatchCell or a look
        at the file's own style; texts[i]: value i looks like a formula and stays text."""
        self._set_grid(r, len(values), values[-1])         # the row, long enough
        row, writes = self.grid[r - 1], self.writes
        for c, value in enumerate(values, 1):
            row[c - 1] = value
            w = writes.get((r, c))
            if w is None:
                w = writes[(r, c)] = _Write()
            w.value, w.style, w.run, w.text = value, style, None, texts[c - 1]

    def set_cells(self, r: int, cells: list[tuple[int, object, str | None]]) -> None:
        """What `set_cell(ws.cell(r, c), value, style)` does for each (column, value, named
        style) of row r — a cell whose value and style already are the file's stays as it is —
        without a PatchCell each (a 日志 sheet rebuilt at every recalc: tens of thousands)."""
        for c, value, style in cells:
            self.set_value(r, c, value)
            if stays_text(value):
                self._write(r, c).text = True
            if style:
                self.set_style(r, c, style)

    def set_value(self, r: int, c: int, value) -> None:
        """Cell (r, c) holds `value`; the same value of the same type as the file's (not a
        formula) leaves the cell as it is in the file."""
        current = self.value(r, c)
        if (r, c) not in self.writes and type(current) is type(value) and current == value \
                and not (isinstance(value, str) and value.startswith("=")):
            return
        w = self._write(r, c)
        w.value, w.run = value, None
        self._set_grid(r, c, value)

    def set_style(self, r: int, c: int, name: str) -> None:
        """Cell (r, c) in named style `name`; a cell of the file already in it stays as it is."""
        w = self.writes.get((r, c))
        if w is None and self.book.styles.name_of(self.original_style(r, c)) == name:
            return
        (w or self._write(r, c)).style = name

    def put_cells(self, r: int, cells: list[tuple[int, object, str]]) -> None:
        """Cells (column, value, named style) of row r written anew (settle's register lines:
        hundreds of thousands a month) without a PatchCell each; text that looks like a
        formula stays text."""
        self._set_grid(r, max(c for c, _, _ in cells), None)
        row, writes = self.grid[r - 1], self.writes
        for c, value, style in cells:
            row[c - 1] = value
            w = writes.get((r, c))
            if w is None:
                w = writes[(r, c)] = _Write()
            w.value, w.style, w.run = value, style, None
            w.text = isinstance(value, str) and value[:1] in ("=", "+", "-", "@")

    def _write_anew(self, r: int, c: int, value) -> _Write:
        """Cell (r, c)'s write, with `value` put in the grid (put_formula)."""
        w = self.writes.get((r, c))
        if w is None:
            w = self.writes[(r, c)] = _Write()
        grid = self.grid
        if r <= len(grid) and c <= len(grid[r - 1]):
            grid[r - 1][c - 1] = value
        else:
            self._set_grid(r, c, value)
        return w

    def put_formula(self, r: int, c: int, formula: str, style: str, run=None) -> None:
        """What `cell.value = formula; cell.style = style` does, without a PatchCell (recalc
        writes a formula into every new row of a sheet). `run` names the template the formula
        was made from (its declared text): new cells of consecutive rows from one template
        are written as one shared formula, as Excel writes a filled-down column."""
        w = self._write_anew(r, c, formula)
        w.value, w.style, w.run = formula, style, run

    def put_formula_run(self, c: int, first: int, last: int, for_row, style: str, run: str) -> None:
        """put_formula for rows first..last of column c, cells the file does not have (new
        records' rows, thousands at a time): kept as one run and written as one shared formula
        straight into the rows' XML (_run_cells), not a write per cell."""
        for i, (c0, first0, last0, for_row0, style0, run0) in enumerate(self.runs):
            if c0 == c and run0 == run and last0 == first - 1:      # the buffer rows after the records
                self.runs[i] = (c, first0, last, for_row0, style0, run0)
                break
        else:
            self.runs.append((c, first, last, for_row, style, run))
        self._set_grid(first, c, for_row(first))
        if last != first:
            self._set_grid(last, c, for_row(last))

    def _runs_to_writes(self) -> None:
        """Every run as cell writes (rows are about to move, or a run's cell was written too)."""
        for c, first, last, for_row, style, run in self.runs:
            for r in range(first, last + 1):
                if (r, c) not in self.writes:
                    self.put_formula(r, c, for_row(r), style, run)
        self.runs = []

    def keep_formula(self, r: int, c: int, run: str | None, style: str) -> None:
        """Cell (r, c) already holds its formula: its look stays the file's own; with `run`, the
        formula is named to its column's shared group (hold_formula)."""
        if run is not None:
            self.hold_formula(r, c, run)

    def hold_formula(self, r: int, c: int, run: str) -> None:
        """Cell (r, c) of the file already holds its formula, made from template `run`. When the
        sheet is written anyway, runs of such cells are written again as one shared formula (as
        new cells are, `_share_runs`): a sheet built with every formula spelled out — a month's
        accounts, a template's first rows — is then read through its masters only."""
        self.held[(r, c)] = run

    def cell(self, row: int, column: int, value=None) -> PatchCell:
        c = PatchCell(self, row, column)
        if value is not None:
            c.value = value
        return c

    def iter_rows(self, min_row: int = 1, max_row: int | None = None, min_col: int = 1,
                  max_col: int | None = None, values_only: bool = True):
        if not values_only:
            raise Unsupported("按单元格遍历")
        for row in super().iter_rows(min_row, max_row, max_col, values_only=True):
            yield row[min_col - 1:] if min_col > 1 else row

    def delete_rows(self, idx: int, amount: int = 1) -> None:
        """Remove rows and move the ones below up, as openpyxl does (formulas are not rewritten)."""
        if self.runs:
            self._runs_to_writes()
        lo, hi = idx - 1, idx - 1 + amount
        del self.origin[lo:hi]
        del self.grid[lo:hi]
        moved = {}
        for (r, c), w in self.writes.items():
            if r < idx:
                moved[(r, c)] = w
            elif r >= idx + amount:
                moved[(r - amount, c)] = w
        self.writes = moved
        self.heights = {(r if r < idx else r - amount): h for r, h in self.heights.items()
                        if not idx <= r < idx + amount}
        self._holds = {}
        self.held = {}

    # --- what the file holds -------------------------------------------------------------

    def extend_features(self, first_row: int, validation_end: int, filter_ref: str,
                        own: frozenset[str] = frozenset(), own_end: int = 0) -> None:
        """apply_sheet_features on a sheet that has them: the filter and kefu-xl's own
        validation / highlight ranges — in a column it declares (letters `own`), from the first
        data row down to at least `own_end` — reach the new last row. A person's own
        drop-down or format (a spare column, or a shorter range) stays exactly as it is."""
        self.auto_filter.ref = filter_ref
        self.features["validation"] = (first_row, validation_end, own, own_end)

    # --- writing -------------------------------------------------------------------------

