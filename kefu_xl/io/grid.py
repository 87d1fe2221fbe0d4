"""A sheet held as a grid of values, with the few Worksheet methods the declaration engine
reads through. Lets the same reading code serve openpyxl sheets, fast calamine reads and
the xlwings adapter (which hands over each sheet's used range as a grid)."""
from __future__ import annotations

import re
import zipfile
from html import unescape
from operator import itemgetter


class GridSheet:
    """A sheet's values, read without formulas (io.tables.read_sheets_fast)."""
    keeps_features = False
    values_only = True

    def __init__(self, title: str, grid: list[list], merged: list[str] = ()):
        self.title = title
        self.grid = grid
        self.merged = list(merged)

    @property
    def max_row(self) -> int:
        return len(self.grid)

    @property
    def max_column(self) -> int:
        return max((len(r) for r in self.grid), default=0)

    def value(self, row: int, col: int):
        if row - 1 < len(self.grid) and col - 1 < len(self.grid[row - 1]):
            return self.grid[row - 1][col - 1]
        return None

    def column(self, col: int, first: int, last: int) -> list:
        """The values of column `col` in rows first..last (None past the grid)."""
        rows = self.grid[first - 1:last]
        out = list(map(itemgetter(col - 1), rows)) if rows and min(map(len, rows)) >= col else \
            [row[col - 1] if col <= len(row) else None for row in rows]
        return out + [None] * (last - first + 1 - len(out))

    def iter_rows(self, min_row: int = 1, max_row: int | None = None, max_col: int | None = None,
                  values_only: bool = True):
        last = self.max_row if max_row is None else min(max_row, self.max_row)
        width = max_col or self.max_column
        for r in range(min_row, last + 1):
            row = self.grid[r - 1]
            yield tuple(row[:width]) if len(row) >= width else (*row, *(None,) * (width - len(row)))


_CELL_ERROR = re.compile(rb'<c r="([A-Z]+)(\d+)"[^>]*?t="e"[^>]*>(?:<f[^>]*>.*?</f>|<f[^>]*/>)?<v>([^<]*)</v>', re.S)


def error_cells(path, only: tuple[str, ...] | None = None) -> dict[str, list[tuple[int, int, str]]]:
    """{sheet name: [(row, column, "#N/A"), …]}: calamine reads error cells as blanks, and a
    person must hear that a cell holds #N/A or #REF!, not that it is empty."""
    from openpyxl.utils import column_index_from_string
    out: dict[str, list] = {}
    with zipfile.ZipFile(path) as z:
        try:
            workbook = z.read("xl/workbook.xml")
            rels = z.read("xl/_rels/workbook.xml.rels")
        except KeyError:
            return out
        targets = dict(re.findall(rb'Id="([^"]+)"[^>]*Target="([^"]+)"', rels))
        targets.update({k: v for v, k in re.findall(rb'Target="([^"]+)"[^>]*Id="([^"]+)"', rels)})
        for name, rid in re.findall(rb'<sheet [^>]*name="([^"]+)"[^>]*r:id="([^"]+)"', workbook):
            if only is not None and unescape(name.decode()) not in only:
                continue
            target = targets.get(rid, b"").decode()
            part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            try:
                data = z.read(part)
            except KeyError:
                continue
            if b't="e"' not in data:
                continue
            found = [(int(r), column_index_from_string(c.decode()), v.decode())
                     for c, r, v in _CELL_ERROR.findall(data)]
            if found:
                out[unescape(name.decode())] = found
    return out


def calamine_sheets(path, only: tuple[str, ...] | None = None) -> dict[str, GridSheet]:
    """Every sheet of an xlsx (or those named in `only`) as a GridSheet (values only; blanks
    as None), read by calamine; error cells (#N/A, #REF!…) are put back as their text.
    `path`: a file's path or its bytes as a binary file object."""
    from python_calamine import CalamineWorkbook
    if hasattr(path, "read"):
        wb = CalamineWorkbook.from_filelike(path)
        path.seek(0)
    else:
        wb = CalamineWorkbook.from_path(str(path))
    errors = error_cells(path, only)
    out = {}
    for name in wb.sheet_names:
        if only is not None and name not in only:
            continue
        sheet = wb.get_sheet_by_name(name)
        grid = [[None if v == "" else v for v in row] if "" in row else row
                for row in sheet.to_python(skip_empty_area=False)]
        for r, c, text in errors.get(name, []):
            while len(grid) < r:
                grid.append([])
            while len(grid[r - 1]) < c:
                grid[r - 1].append(None)
            grid[r - 1][c - 1] = text
        merged = list(sheet.merged_cell_ranges or [])   # ((row0, col0), (row1, col1)), 0-based
        out[name] = GridSheet(name, grid, merged)
    return out
