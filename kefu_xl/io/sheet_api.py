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
from copy import copy
from typing import Protocol
from weakref import WeakKeyDictionary

from openpyxl.styles.styleable import StyleableObject
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
        set_style(cell, style)

    def keep_formula(self, r: int, c: int, run: str | None, style: str) -> None:
        cell = self._cell(r, c)
        shown = cell._style.xfId if cell._style is not None else 0      # (None: the default look)
        if shown != _look(cell, style).xfId:                             # another named style
            set_style(cell, style)

    def shared_holds(self, si: int, col: int, for_row) -> bool:
        return False                   # openpyxl spells every shared formula out: no group to prove

    def put_row(self, r: int, values: tuple, style: str, texts: tuple) -> None:
        for c, (value, text) in enumerate(zip(values, texts), 1):
            cell = self.ws.cell(r, c)
            cell.value = value
            if text:
                cell.data_type = "s"
            set_style(cell, style)

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


_LOOKS: WeakKeyDictionary = WeakKeyDictionary()     # workbook -> {named style: its StyleArray}


def _look(cell, name: str):
    """The look (openpyxl's StyleArray: font, fill, border… and the named style) a cell of
    `cell`'s workbook takes from named style `name`, found once per workbook."""
    looks = _LOOKS.setdefault(cell.parent.parent, {})
    look = looks.get(name)
    if look is None:
        keep = cell._style
        cell.style = name                           # (adds a built-in style the workbook lacks)
        look = looks[name] = copy(cell._style)
        cell._style = keep
    return look


def set_style(cell, name: str) -> None:
    """`cell.style = name` for a cell of an openpyxl workbook or a PatchCell. openpyxl looks
    the name up among every named style of the workbook at each cell (a month open styles tens
    of thousands): here once per workbook, then the look is copied, as openpyxl's docs copy a
    cell's style (`cell._style = copy(other._style)`)."""
    if isinstance(cell, StyleableObject):
        cell._style = copy(_look(cell, name))
    else:                                           # a PatchCell: the patch engine's own
        cell.style = name


def styled_like(cell, looks: dict, key, style: Callable) -> None:
    """`style(cell)` (fonts, fills… set one by one) once per `key` in `looks`; every other cell
    of that key is given the look it made (openpyxl registers each Font or Border it is given
    by hashing all its fields: a 说明 sheet of 100 rows spent most of its time there)."""
    look = looks.get(key)
    if look is None:
        style(cell)
        looks[key] = copy(cell._style)
    else:
        cell._style = copy(look)
