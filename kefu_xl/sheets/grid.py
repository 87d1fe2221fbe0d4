"""A sheet held as a grid of values, with the few Worksheet methods the declaration engine
reads through. Lets the same reading code serve openpyxl sheets, fast calamine reads and
the xlwings adapter (which hands over each sheet's used range as a grid)."""
from __future__ import annotations


class GridSheet:
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

    def iter_rows(self, min_row: int = 1, max_row: int | None = None, max_col: int | None = None,
                  values_only: bool = True):
        last = self.max_row if max_row is None else min(max_row, self.max_row)
        width = max_col or self.max_column
        for r in range(min_row, last + 1):
            row = self.grid[r - 1]
            yield tuple(row[c] if c < len(row) else None for c in range(width))


def calamine_sheets(path) -> dict[str, GridSheet]:
    """Every sheet of an xlsx as a GridSheet (values only; blanks as None), read by calamine."""
    from python_calamine import CalamineWorkbook
    wb = CalamineWorkbook.from_path(str(path))
    out = {}
    for name in wb.sheet_names:
        sheet = wb.get_sheet_by_name(name)
        grid = [[None if v == "" else v for v in row] for row in sheet.to_python(skip_empty_area=False)]
        merged = list(sheet.merged_cell_ranges or [])   # ((row0, col0), (row1, col1)), 0-based
        out[name] = GridSheet(name, grid, merged)
    return out
