"""Changing a few cells of a large workbook without loading it through openpyxl: the
sheet's XML part is edited with lxml and every other part is copied byte for byte. Used by
settle to update the register in 订单台账.xlsx, which grows every month. Nothing else in the
file is touched, so content openpyxl would drop (images, charts) survives as well."""
from __future__ import annotations

import re
import zipfile
from decimal import Decimal
from pathlib import Path

from lxml import etree
from openpyxl.utils import get_column_letter

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_N = f"{{{MAIN}}}"
_CELL_REF = re.compile(r"([A-Z]+)(\d+)")


def sheet_parts(z: zipfile.ZipFile) -> dict[str, str]:
    """{sheet name: zip part} from workbook.xml and its relationships."""
    workbook = etree.fromstring(z.read("xl/workbook.xml"))
    rels = etree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target") for r in rels}
    out = {}
    for sheet in workbook.iter(f"{_N}sheet"):
        target = targets[sheet.get(f"{{{REL}}}id")]
        out[sheet.get("name")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return out


def _col_index(ref: str) -> int:
    letters = _CELL_REF.match(ref).group(1)
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _cell(row: int, col: int, value, style: str | None):
    c = etree.Element(f"{_N}c", r=f"{get_column_letter(col)}{row}")
    if style:
        c.set("s", style)
    _put(c, value)
    return c


def _put(c, value) -> None:
    for child in list(c):
        c.remove(child)
    for attr in ("t",):
        c.attrib.pop(attr, None)
    if value is None:
        return
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        etree.SubElement(c, f"{_N}v").text = str(value)
    else:
        c.set("t", "inlineStr")
        is_ = etree.SubElement(c, f"{_N}is")
        t = etree.SubElement(is_, f"{_N}t")
        t.text = str(value)
        if t.text != t.text.strip():
            t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")


def replace_rows(xml: bytes, first_row: int, rows: list[dict[int, object]]) -> bytes:
    """Drop every row from first_row on and write `rows` ({column: value}) there instead,
    keeping the style of the first data row that was there."""
    root = etree.fromstring(xml)
    data = root.find(f"{_N}sheetData")
    styles: dict[int, str] = {}
    for row in list(data):
        r = int(row.get("r"))
        if r >= first_row:
            if not styles:
                styles = {_col_index(c.get("r")): c.get("s") for c in row if c.get("s")}
            data.remove(row)
    for i, values in enumerate(rows):
        r = first_row + i
        row = etree.SubElement(data, f"{_N}row", r=str(r))
        for col in sorted(values):
            row.append(_cell(r, col, values[col], styles.get(col)))
    dim = root.find(f"{_N}dimension")
    if dim is not None:
        last_col = max([c for values in rows for c in values] or [1])
        dim.set("ref", f"A1:{get_column_letter(last_col)}{max(first_row + len(rows) - 1, first_row)}")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def set_cells(xml: bytes, cells: dict[tuple[int, int], object]) -> bytes:
    """Set (row, column) cells to values (None clears the value, keeping the cell's style)."""
    root = etree.fromstring(xml)
    data = root.find(f"{_N}sheetData")
    rows = {int(r.get("r")): r for r in data}
    for (r, col), value in sorted(cells.items()):
        row = rows.get(r)
        if row is None:
            if value is None:
                continue
            row = etree.Element(f"{_N}row", r=str(r))
            later = [x for x in data if int(x.get("r")) > r]
            (later[0].addprevious(row) if later else data.append(row))
            rows[r] = row
        ref = f"{get_column_letter(col)}{r}"
        existing = next((c for c in row if c.get("r") == ref), None)
        if existing is not None:
            _put(existing, value)
        elif value is not None:
            cell = _cell(r, col, value, None)
            after = [c for c in row if _col_index(c.get("r")) > col]
            (after[0].addprevious(cell) if after else row.append(cell))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def rewrite_parts(source: Path, target: Path, changes: dict[str, bytes]) -> None:
    """Copy the zip, replacing the given parts; calcChain stays valid (no formula moved)."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info, changes.get(info.filename, zin.read(info.filename)))
