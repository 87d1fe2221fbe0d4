"""xlwings adapter: the open workbook's sheets in (values and formulas of each used range),
the same recalc as `kefu-xl recalc`, only the cells that changed back out. No rules here:
everything the recalc decides comes from kefu_xl.workbooks.recalc_open_workbook.

xlwings calls made (and faked in tests): Book.fullname, Book.sheets, Sheet.name,
Sheet.used_range.last_cell.(row|column), Sheet.range(a, b).options(ndim=2).value / .formula
(read), Sheet.range(a, b).value / .formula (write), Book.sheets.add(name, after=...),
Book.app.status_bar, Book.app.alert.
"""
from __future__ import annotations

import time
from datetime import date, datetime
from pathlib import Path

import openpyxl

from ..app.workbooks import recalc_open_workbook
from ..errors import KefuError
from ..io.heap import without_cycle_collection
from ..records import Severity

PROBLEM_SHEET = "问题"


def read_book(book) -> dict[str, list[list]]:
    """{sheet: grid} with formulas where a cell holds one, values elsewhere (A1-anchored)."""
    grids = {}
    for sheet in book.sheets:
        last = sheet.used_range.last_cell
        rng = sheet.range((1, 1), (last.row, last.column)).options(ndim=2)
        values, formulas = rng.value, rng.formula
        grids[sheet.name] = [[f if isinstance(f, str) and f.startswith("=") else v for v, f in zip(vr, fr)]
                             for vr, fr in zip(values, formulas)]
    return grids


def to_openpyxl(grids: dict[str, list[list]]):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, grid in grids.items():
        ws = wb.create_sheet(name)
        for r, row in enumerate(grid, 1):
            for c, v in enumerate(row, 1):
                if v not in (None, ""):
                    ws.cell(r, c).value = v
    return wb


def _same(a, b) -> bool:
    if a in (None, "") and b in (None, ""):
        return True
    if isinstance(a, datetime) and isinstance(b, date) and not isinstance(b, datetime):
        return a.date() == b
    if isinstance(b, datetime) and isinstance(a, date) and not isinstance(a, datetime):
        return b.date() == a
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return float(a) == float(b)
    return a == b


def changes(before: dict[str, list[list]], wb) -> dict[str, list[tuple[int, int, object]]]:
    """Cells whose content differs after the recalc: (row, column, new content) per sheet."""
    out: dict[str, list] = {}
    for ws in wb.worksheets:
        old = before.get(ws.title, [])
        grid = list(ws.iter_rows(values_only=True))     # once: openpyxl's max_column scans every cell
        rows = max(len(grid), len(old))
        cols = max(max((len(r) for r in grid), default=0), max((len(r) for r in old), default=0))
        diff = []
        for r in range(1, rows + 1):
            old_row = old[r - 1] if r - 1 < len(old) else ()
            new_row = grid[r - 1] if r - 1 < len(grid) else ()
            for c in range(1, cols + 1):
                new = new_row[c - 1] if c - 1 < len(new_row) else None
                was = old_row[c - 1] if c - 1 < len(old_row) else None
                if not _same(was, new):
                    diff.append((r, c, new))
        if diff:
            out[ws.title] = diff
    return out


def write_changes(book, diff: dict[str, list[tuple[int, int, object]]]) -> int:
    """Write changed cells back, a row span at a time; formulas as formulas."""
    names = [s.name for s in book.sheets]
    written = 0
    for sheet_name, cells in diff.items():
        if sheet_name not in names:
            book.sheets.add(sheet_name, after=book.sheets[len(names) - 1])
            names.append(sheet_name)
        sheet = book.sheets[sheet_name]
        spans: list[list] = []
        for r, c, v in sorted(cells):
            is_formula = isinstance(v, str) and v.startswith("=")
            if spans and spans[-1][0] == r and spans[-1][1] + len(spans[-1][3]) == c and spans[-1][2] == is_formula:
                spans[-1][3].append(v)
            else:
                spans.append([r, c, is_formula, [v]])
        for r, c, is_formula, values in spans:
            target = sheet.range((r, c), (r, c + len(values) - 1))
            if is_formula:
                target.formula = [values]
            else:
                target.value = [values]
            written += len(values)
    return written


@without_cycle_collection()
def recalc_book(book, as_of: date | None = None):
    """Run the file path's recalc on an open workbook; return (result, cells written, seconds)."""
    start = time.perf_counter()
    path = Path(book.fullname)
    before = read_book(book)
    wb = to_openpyxl(before)
    result, _ = recalc_open_workbook(wb, path, as_of=as_of)
    if any(p.code in ("MISSING_HEADER", "MISSING_SHEET") for p in result.problems):
        return result, 0, time.perf_counter() - start
    written = write_changes(book, changes(before, wb))
    return result, written, time.perf_counter() - start


def run_button(book, as_of: date | None = None) -> None:
    """What 客服工具 → 重算 does: recalc, then a short Chinese summary; never a traceback."""
    app = book.app
    try:
        app.status_bar = "kefu-xl 正在重算……"
        result, written, seconds = recalc_book(book, as_of)
        serious = [p for p in result.problems if p.severity is not Severity.INFO]
        summary = (f"kefu-xl 重算完成：问题 {len(serious)} 条，恢复公式 {result.restored_total} 个，"
                   f"更新 {written} 个单元格，用时 {seconds:.1f} 秒。")
        app.status_bar = summary
        if serious:
            app.alert(summary + f"\n请查看「{PROBLEM_SHEET}」表。", title="客服工具")
    except KefuError as e:
        app.status_bar = False
        app.alert(str(e), title="客服工具")
    except Exception as e:  # a bug: say so plainly in Excel, keep the workbook untouched
        app.status_bar = False
        app.alert(f"kefu-xl 内部错误（{type(e).__name__}: {e}），工作簿没有被修改。请把这条信息发给维护人员。",
                  title="客服工具")
