"""The one interface sheets/ and kinds/ use on a workbook, whichever engine holds it.

An existing file is changed by the patch engine (io.xlsx: PatchBook, PatchSheet); a new file is
built with openpyxl, and a file the patch engine cannot read goes through openpyxl as a whole.
Code above io sees `Book` and `Sheet` only: `as_book` / `as_sheet` put an openpyxl workbook or
worksheet behind the same interface (OpenpyxlBook, OpenpyxlSheet), so nobody asks which one
it holds. What differs is said by the interface itself: a sheet that `keeps_features` has its
own drop-downs, formats and filter, whose ranges only grow; a `values_only` sheet was read
without formulas."""
from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet


class Sheet(Protocol):
    """One worksheet, as sheets/ and kinds/ read and change it."""
    title: str
    keeps_features: bool       # drop-downs, formats, filter are the file's: extend_features grows their ranges
    values_only: bool          # read without formulas: a column kefu-xl computes may read as blank

    @property
    def max_row(self) -> int: ...

    def cell(self, row: int, column: int): ...

    def value(self, row: int, column: int): ...

    def column(self, col: int, first: int, last: int) -> list: ...

    def iter_rows(self, min_row: int = 1, max_row: int | None = None, min_col: int = 1,
                  max_col: int | None = None, values_only: bool = False): ...

    def delete_rows(self, idx: int, amount: int = 1) -> None: ...

    def put_formula(self, r: int, c: int, formula: str, style: str, run: str | None = None) -> None:
        """The formula of cell (r, c), in named style `style`; `run`: the column's formula template
        (cells of one template may share one formula)."""

    def keep_formula(self, r: int, c: int, run: str | None, style: str) -> None:
        """Cell (r, c) already holds its formula: it stays (in `style` where the sheet sets styles)."""

    def shared_holds(self, si: int, col: int, for_row: Callable[[int], str]) -> bool: ...

    def put_row(self, r: int, values: tuple, style: str, texts: tuple) -> None:
        """Row r's cells from column A; `texts`: which values stay text though they look like formulas."""

    def extend_features(self, first_row: int, validation_end: int, filter_ref: str, own_columns: frozenset,
                        own_end: int) -> None: ...


class Book(Protocol):
    """A workbook, as sheets/ and kinds/ see it."""
    sheetnames: list[str]

    def __getitem__(self, name: str) -> Sheet: ...

    def __contains__(self, name: str) -> bool: ...

    def add_sheet(self, name: str, index: int, build: Callable) -> Sheet:
        """A sheet `name` at `index` (replacing one of that name), made by build(worksheet, workbook)
        on openpyxl objects."""


class OpenpyxlSheet:
    """An openpyxl Worksheet behind the Sheet interface; everything else is the worksheet's own."""
    keeps_features = False
    values_only = False

    def __init__(self, ws: Worksheet):
        object.__setattr__(self, "ws", ws)

    def __getattr__(self, name):
        return getattr(self.ws, name)

    def __setattr__(self, name, value) -> None:
        setattr(self.ws, name, value)

    def value(self, row: int, column: int):
        return self.ws.cell(row, column).value

    def column(self, col: int, first: int, last: int) -> list:
        """The values of column `col`, rows first..last; the cells are held for the writes that
        follow (write_formulas reads a column, then writes it: one cell lookup per row)."""
        cells = [self.ws.cell(r, col) for r in range(first, last + 1)]
        object.__setattr__(self, "_held", (col, first, cells))
        return [cell.value for cell in cells]

    def _cell(self, r: int, c: int):
        held = self.__dict__.get("_held")
        if held is not None and held[0] == c and 0 <= r - held[1] < len(held[2]):
            return held[2][r - held[1]]
        return self.ws.cell(r, c)

    def put_formula(self, r: int, c: int, formula: str, style: str, run: str | None = None) -> None:
        cell = self._cell(r, c)
        cell.value = formula
        cell.style = style

    def keep_formula(self, r: int, c: int, run: str | None, style: str) -> None:
        cell = self._cell(r, c)
        try:
            current = cell.style
        except IndexError:             # a style table that does not name it (re-saved by LibreOffice)
            current = None
        if current != style:
            cell.style = style

    def shared_holds(self, si: int, col: int, for_row) -> bool:
        return False                   # openpyxl spells every shared formula out: no group to prove

    def put_row(self, r: int, values: tuple, style: str, texts: tuple) -> None:
        for c, (value, text) in enumerate(zip(values, texts), 1):
            cell = self.ws.cell(r, c)
            cell.value = value
            if text:
                cell.data_type = "s"
            cell.style = style

    def extend_features(self, *args) -> None:
        raise TypeError("an openpyxl sheet is built with its features, not extended")


class OpenpyxlBook:
    """An openpyxl Workbook behind the Book interface; everything else is the workbook's own."""

    def __init__(self, wb: Workbook):
        object.__setattr__(self, "wb", wb)
        object.__setattr__(self, "_sheets", {})

    def __getattr__(self, name):
        return getattr(self.wb, name)

    def __setattr__(self, name, value) -> None:
        setattr(self.wb, name, value)

    def __getitem__(self, name: str) -> OpenpyxlSheet:
        ws = self.wb[name]
        held = self._sheets.get(name)
        if held is None or held.ws is not ws:
            held = self._sheets[name] = OpenpyxlSheet(ws)
        return held

    def __contains__(self, name: str) -> bool:
        return name in self.wb.sheetnames

    def __delitem__(self, name: str) -> None:
        del self.wb[name]
        self._sheets.pop(name, None)

    def __iter__(self):
        return (self[name] for name in self.wb.sheetnames)

    def add_sheet(self, name: str, index: int, build) -> OpenpyxlSheet:
        if name in self.wb.sheetnames:
            del self[name]
        build(self.wb.create_sheet(name, index), self.wb)
        return self[name]


def as_book(wb) -> Book:
    """`wb` behind the Book interface (a PatchBook already is one)."""
    return OpenpyxlBook(wb) if isinstance(wb, Workbook) else wb


def as_sheet(ws) -> Sheet:
    """`ws` behind the Sheet interface (a PatchSheet, a GridSheet, an OpenpyxlSheet already are)."""
    return OpenpyxlSheet(ws) if isinstance(ws, Worksheet) else ws
