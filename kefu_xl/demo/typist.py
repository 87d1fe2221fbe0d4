"""The demo's hands: typing rows into workbooks as a person does in Excel, then saving."""
from __future__ import annotations

from pathlib import Path

import openpyxl

from ..config import load_config
from ..io.safe_write import save_workbook
from ..kinds import maintenance
from ..month import Month
from ..sheets.layout import find_layout


class Typist:
    """The demo's hands: the workbooks it types into, each loaded once and saved (safely) once
    when the batch ends, as a person saves after typing rather than after every row. Steps
    that type into the same file share one load: an openpyxl load and save of a tracker costs
    0.2–0.6 s, and the demo types into 20 files."""

    def __init__(self):
        self.books: dict[Path, openpyxl.Workbook] = {}

    def book(self, path: Path) -> openpyxl.Workbook:
        path = Path(path)
        if path not in self.books:
            self.books[path] = openpyxl.load_workbook(path)
        return self.books[path]

    def rows(self, path: Path, sheet, rows: list[dict]) -> None:
        """Type rows into the first empty rows of a declared sheet, input columns only, as a
        person would in Excel."""
        ws = self.book(path)[sheet.name]
        layout, _ = find_layout(ws, sheet)
        markers = [layout.columns[h] for h in sheet.markers]
        r = layout.first_data_row
        while any(ws.cell(r, c).value not in (None, "") for c in markers):
            r += 1
        for values in rows:
            for header, value in values.items():
                ws.cell(r, layout.columns[header]).value = value
            r += 1

    def save(self) -> None:
        for path, wb in self.books.items():
            save_workbook(wb, path)
        self.books.clear()

    def __enter__(self) -> Typist:
        return self

    def __exit__(self, kind, *_) -> None:
        if kind is None:
            self.save()


def type_rows(path: Path, sheet, rows: list[dict]) -> None:
    """Type rows into the first empty rows of a declared sheet, input columns only, as a
    person would in Excel; then save safely."""
    with Typist() as typist:
        typist.rows(path, sheet, rows)


def type_work_records(path: Path, records: list[dict]) -> None:
    type_rows(path, maintenance.spec(load_config(), Month(2000, 1)).sheet(maintenance.WORK), records)
