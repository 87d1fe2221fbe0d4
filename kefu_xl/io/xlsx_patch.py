"""Changing a few cells of a large workbook without loading it through openpyxl: the
sheet's XML part is edited with lxml and every other part is copied byte for byte. Used by
settle to update the register in 订单台账.xlsx, which grows every month. Nothing else in the
file is touched, so content openpyxl would drop (images, charts) survives as well."""
from __future__ import annotations

import re
import zipfile
from decimal import Decimal
from html import escape
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


def _cell_xml(ref: str, value, style: str | None, prefix: str) -> str:
    s = f' s="{style}"' if style else ""
    if value is None:
        return f'<{prefix}c r="{ref}"{s}/>'
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return f'<{prefix}c r="{ref}"{s}><{prefix}v>{value}</{prefix}v></{prefix}c>'
    text = escape(str(value), quote=False)
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f'<{prefix}c r="{ref}"{s} t="inlineStr"><{prefix}is><{prefix}t{space}>{text}</{prefix}t></{prefix}is></{prefix}c>'


def replace_month_rows(xml: bytes, first_row: int, drop: set[int], rows: list[dict[int, object]]) -> bytes:
    """Remove the rows numbered in `drop` and append `rows` ({column: value}) after the last
    remaining data row, in the style of the first data row. Other rows are left exactly as
    they are (a re-run of the latest month touches only its own rows at the end). New rows
    are written as text and spliced in: building hundreds of thousands of elements is slow."""
    root = etree.fromstring(xml)
    data = root.find(f"{_N}sheetData")
    styles: dict[int, str] = {}
    last = first_row - 1
    for row in list(data):
        r = int(row.get("r"))
        if r >= first_row and not styles:
            styles = {_col_index(c.get("r")): c.get("s") for c in row if c.get("s")}
        if r in drop:
            data.remove(row)
        elif r >= first_row and len(row):
            last = r
    dim = root.find(f"{_N}dimension")
    if dim is not None:
        ref = dim.get("ref", "A1")
        last_col = ref.split(":")[-1].rstrip("0123456789") if ":" in ref else "A"
        dim.set("ref", f"A1:{last_col}{max(last + len(rows), first_row)}")
    out = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True).decode("utf-8")
    m = re.search(r"<(\w+:)?sheetData\s*/>|</(\w+:)?sheetData>", out)
    prefix = (m.group(1) or m.group(2) or "")
    letters = {c: get_column_letter(c) for values in rows for c in values}
    parts = []
    for i, values in enumerate(rows):
        r = last + 1 + i
        cells = "".join(_cell_xml(f"{letters[c]}{r}", values[c], styles.get(c), prefix) for c in sorted(values))
        parts.append(f'<{prefix}row r="{r}">{cells}</{prefix}row>')
    body = "".join(parts)
    if m.group(0).endswith("/>"):
        spliced = f"<{prefix}sheetData>{body}</{prefix}sheetData>"
    else:
        spliced = body + m.group(0)
    return (out[:m.start()] + spliced + out[m.end():]).encode("utf-8")


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
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        for info in zin.infolist():
            # fast deflate: the register grows every month and most of the time went to recompressing
            zout.writestr(info, changes.get(info.filename, zin.read(info.filename)),
                          compress_type=zipfile.ZIP_DEFLATED, compresslevel=1)
