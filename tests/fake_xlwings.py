"""A recorded fake of exactly the xlwings calls kefu_xl.excel.adapter makes (see its
docstring): a Book whose sheets are grids loaded from an .xlsx, recording every write."""
from __future__ import annotations

from pathlib import Path

import openpyxl


class FakeCell:
    def __init__(self, row: int, column: int):
        self.row, self.column = row, column


class FakeRange:
    def __init__(self, sheet: "FakeSheet", first: tuple[int, int], last: tuple[int, int]):
        self.sheet, self.first, self.last = sheet, first, last

    def options(self, ndim=None):
        assert ndim == 2
        return self

    def _cells(self):
        (r0, c0), (r1, c1) = self.first, self.last
        return [[self.sheet.get(r, c) for c in range(c0, c1 + 1)] for r in range(r0, r1 + 1)]

    @property
    def value(self):      # Excel gives computed values; for formula cells the fake has none
        return [[None if isinstance(v, str) and v.startswith("=") else v for v in row] for row in self._cells()]

    @property
    def formula(self):    # Excel gives formulas, and constants as their text
        return [["" if v is None else v if isinstance(v, str) else str(v) for v in row] for row in self._cells()]

    def _write(self, rows, kind):
        (r0, c0) = self.first
        for i, row in enumerate(rows):
            for j, v in enumerate(row):
                self.sheet.set(r0 + i, c0 + j, v)
                self.sheet.book.writes.append((self.sheet.name, r0 + i, c0 + j, v, kind))

    @value.setter
    def value(self, rows):
        self._write(rows, "value")

    @formula.setter
    def formula(self, rows):
        self._write(rows, "formula")


class FakeUsedRange:
    def __init__(self, sheet):
        self.sheet = sheet

    @property
    def last_cell(self):
        return FakeCell(max(1, self.sheet.max_row), max(1, self.sheet.max_column))


class FakeSheet:
    def __init__(self, book, name: str, cells: dict):
        self.book, self.name, self.cells = book, name, cells

    @property
    def max_row(self):
        return max((r for r, _ in self.cells), default=0)

    @property
    def max_column(self):
        return max((c for _, c in self.cells), default=0)

    def get(self, r, c):
        return self.cells.get((r, c))

    def set(self, r, c, v):
        if v in (None, ""):
            self.cells.pop((r, c), None)
        else:
            self.cells[(r, c)] = v

    @property
    def used_range(self):
        return FakeUsedRange(self)

    def range(self, first, last):
        return FakeRange(self, first, last)


class FakeSheets(list):
    def __init__(self, book):
        super().__init__()
        self.book = book

    def __getitem__(self, key):
        if isinstance(key, str):
            return next(s for s in self if s.name == key)
        return list.__getitem__(self, key)

    def add(self, name, after=None):
        sheet = FakeSheet(self.book, name, {})
        self.append(sheet)
        self.book.added.append(name)
        return sheet


class FakeApp:
    def __init__(self):
        self.status_bar = None
        self.alerts = []

    def alert(self, prompt, title=None):
        self.alerts.append((title, prompt))


class FakeBook:
    def __init__(self, path: Path):
        self.fullname = str(path)
        self.app = FakeApp()
        self.writes, self.added = [], []
        self.sheets = FakeSheets(self)
        wb = openpyxl.load_workbook(path)
        for ws in wb.worksheets:
            cells = {(c.row, c.column): c.value for row in ws.iter_rows() for c in row if c.value not in (None, "")}
            self.sheets.append(FakeSheet(self, ws.title, cells))

    def grid(self, name):
        return self.sheets[name].cells
