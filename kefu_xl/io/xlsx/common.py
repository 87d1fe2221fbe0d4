"""What every part of the patch engine shares: the regular expressions that find rows, cells
and formulas in a sheet's XML, column letters, and the engine's own exceptions and markers."""
from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from lxml import etree
from openpyxl.utils import column_index_from_string

from .package import MAIN

_N = f"{{{MAIN}}}"
_REF = re.compile(rb'\br="([A-Z]+)(\d+)"')
_ROW_R = re.compile(rb'\br="(\d+)"')
_ROW_START = re.compile(rb"<row\b")
_ROW_OPEN = re.compile(rb'<row\b[^>]*?\br="(\d+)"[^>]*>')
_STYLE = re.compile(rb'\bs="(\d+)"')
# formula cells that spell their formula out (a shared group's other cells are found by _find_children)
_FORMULA_CELL = re.compile(rb'<c\b[^>]*?\br="([A-Z]+)(\d+)"[^>]*>\s*<f\b([^>]*)>([^<]*)</f>')
# the same for cells whose address is their first attribute and whose <f> follows at once — what
# Excel, LibreOffice, openpyxl and kefu-xl write; twice as fast (the general one when it misses one)
_FORMULA_CELL_PLAIN = re.compile(rb'<c r="([A-Z]+)(\d+)"[^>]*><f([^>]*)>([^<]*)</f>')
_CHILD_CELL = re.compile(rb'<c\b[^>]*?\br="([A-Z]+)(\d+)"[^>]*>\s*<f\b([^>]*?)/>')
_SI = re.compile(rb'\bsi="(\d+)"')
_CHILD_TAG = b'<f t="shared" si="'      # a shared group's other cell as Excel and kefu-xl write it
_REF_ATTR = re.compile(rb'\bref="\$?([A-Z]+)\$?(\d+)(?::\$?([A-Z]+)\$?(\d+))?"')
_F_ELEMENT = re.compile(rb"<f\b[^>]*?(?:/>|>[^<]*</f>)")
_CELL_COL = re.compile(rb'(<c\b[^>]*?\br="([A-Z]+)\d+"[^>]*?(?:/>|>.*?</c>))', re.S)
_SEP = "\ue000"
_HUGE = etree.XMLParser(huge_tree=True)
_UNCHANGED = object()
_KEEP = object()



class _Block:
    """The cells of a shared group's ref range other than its master (top left), as (row,
    column) pairs when iterated: a group of 100,000 rows is not kept as 100,000 tuples."""
    __slots__ = ("r1", "r2", "c1", "c2")

    def __init__(self, r1: int, r2: int, c1: int, c2: int):
        self.r1, self.r2, self.c1, self.c2 = r1, r2, c1, c2

    def __iter__(self):
        for c in range(self.c1, self.c2 + 1):
            for r in range(self.r1 + (c == self.c1), self.r2 + 1):
                yield r, c


class SharedChild(str):
    """A cell of a shared formula group other than its master (`<f t="shared" si="n"/>`: the
    formula is the master's, moved to this row). It reads as "=" — a formula whose text the
    file does not spell out; `PatchSheet.shared_holds` tells whether the group is a template's."""
    __slots__ = ("si",)

    def __new__(cls, si: int):
        child = super().__new__(cls, "=")
        child.si = si
        return child


_NO_VALUES: Mapping = MappingProxyType({})


class CachedValues:
    """Python's values for a sheet's formula cells, kept by column ({column: {row: value}}): a
    column whose values the file already stores is found so in one comparison of two lists
    (to_bytes), not cell by cell — a tracker of 100,000 records has over a million."""
    __slots__ = ("columns",)

    def __init__(self):
        self.columns: dict[int, dict[int, object]] = {}

    def __bool__(self) -> bool:
        return any(self.columns.values())

    def __contains__(self, cell: tuple[int, int]) -> bool:
        return cell[0] in self.columns.get(cell[1], _NO_VALUES)

    def __setitem__(self, cell: tuple[int, int], value) -> None:
        r, c = cell
        self.columns.setdefault(c, {})[r] = value

    def at(self, r: int, c: int):
        return self.columns.get(c, _NO_VALUES).get(r)

    def column(self, c: int) -> Mapping[int, object]:
        """{row: value} of column c (set_column changes it)."""
        return self.columns.get(c, _NO_VALUES)

    def set_column(self, c: int, values: dict[int, object]) -> None:
        self.columns.setdefault(c, {}).update(values)

    def update(self, values: dict[tuple[int, int], object]) -> None:
        columns = self.columns
        for (r, c), value in values.items():
            column = columns.get(c)
            if column is None:
                column = columns[c] = {}
            column[r] = value


class Unsupported(Exception):
    """The workbook needs the full openpyxl path for this recalc (the message says why)."""



_COLUMNS: dict[bytes, int] = {}


def _col(letters: bytes) -> int:
    c = _COLUMNS.get(letters)
    if c is None:
        c = _COLUMNS[letters] = column_index_from_string(letters.decode())
    return c




class _Write:
    # run: the formula's template when it was written for a whole column (write_formulas), so
    # new rows of one template become a shared formula group; f: that group's <f> element.
    # keep: only the cached value changes, the file's own <f> element stays.
    # held: a formula cell of the file already right (hold_formula), written only as part of a run.
    __slots__ = ("value", "style", "text", "font", "fill", "run", "f", "keep", "held")

    def __init__(self):
        self.value = _UNCHANGED
        self.style = None
        self.text = False
        self.font = self.fill = None
        self.run = self.f = None
        self.keep = self.held = False
