"""Issue 17, item 2: every formula of every workbook kefu-xl writes carries, as its cached
value, what a spreadsheet computes from it — so Excel, WPS, file previewers and
pandas.read_excel show the right figures before anyone recalculates. The whole demo workspace
(every kind, the personal workbooks, the statement, the spend watch, settlement) is
recalculated by LibreOffice in one run and compared cell by cell with the files as written."""
from datetime import date, datetime

import pytest
from python_calamine import CalamineWorkbook

from kefu_xl.io.libreoffice import recalculate_all

pytestmark = pytest.mark.libreoffice


def formula_cells(path) -> dict[str, list[tuple[int, int]]]:
    """{sheet: [(row, column)]} of every formula cell (0-based)."""
    import openpyxl
    wb = openpyxl.load_workbook(path, read_only=True)
    out = {}
    for ws in wb.worksheets:
        cells = [(c.row - 1, c.column - 1) for row in ws.iter_rows() for c in row
                 if getattr(c, "data_type", None) == "f"]
        if cells:
            out[ws.title] = cells
    wb.close()
    return out


def agree(mine, theirs) -> bool:
    if mine == theirs:
        return True
    if isinstance(mine, (int, float)) and isinstance(theirs, (int, float)) and not isinstance(mine, bool):
        return abs(mine - theirs) < 1e-9 * max(1, abs(theirs))
    if isinstance(mine, (date, datetime)) and isinstance(theirs, (date, datetime)):
        as_dt = [v if isinstance(v, datetime) else datetime.combine(v, datetime.min.time()) for v in (mine, theirs)]
        return as_dt[0] == as_dt[1]
    return False


def test_every_formula_the_demo_wrote_caches_what_libreoffice_computes(demo, tmp_path):
    books = [p for p in sorted(demo.rglob("*.xlsx"))
             if ".kefu-backup" not in p.parts and "inputs" not in p.parts and not p.name.startswith(".~")]
    office = recalculate_all(books, tmp_path / "lo")
    diffs, compared, kinds = {}, 0, set()
    for path, lo in zip(books, office):
        mine, theirs = CalamineWorkbook.from_path(str(path)), CalamineWorkbook.from_path(str(lo))
        for sheet, cells in formula_cells(path).items():
            a = mine.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
            b = theirs.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
            for r, c in cells:
                va = a[r][c] if r < len(a) and c < len(a[r]) else ""
                vb = b[r][c] if r < len(b) and c < len(b[r]) else ""
                compared += 1
                kinds.add(path.name)
                if not agree(va, vb):
                    diffs.setdefault(f"{path.relative_to(demo)}「{sheet}」", []).append(
                        f"{r + 1}:{c + 1} cached={va!r} libreoffice={vb!r}")
    assert not diffs, "\n".join(f"{where}: {len(d)} cells, e.g. {'; '.join(d[:3])}" for where, d in diffs.items())
    assert compared > 50_000 and len(kinds) >= 30          # about 90,000 cells in 37 workbooks
