"""The package around the sheets of an .xlsx: workbook.xml, its relationships, the content
types and calcChain. What a patched file must look like for Excel to open it without a
repair (docs/reliability.md): no calcChain entry on a cell without a formula (so calcChain goes,
Excel rebuilds it), fullCalcOnLoad set, at most four pane selections per sheet view."""
from __future__ import annotations

import re
import zipfile

from lxml import etree

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CALC_CHAIN = "xl/calcChain.xml"
WORKBOOK = "xl/workbook.xml"
WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
CONTENT_TYPES = "[Content_Types].xml"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
SHEET_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"

_CALC_PR = re.compile(rb"<calcPr\b[^>]*?(/?)>")
_FULL_CALC = re.compile(rb'\sfullCalcOnLoad="[^"]*"')
# the elements that may follow calcPr in a workbook (CT_Workbook order)
_AFTER_CALC_PR = (b"<oleSize", b"<customWorkbookViews", b"<pivotCaches", b"<smartTagPr", b"<smartTagTypes",
                  b"<webPublishing", b"<fileRecoveryPr", b"<webPublishObjects", b"<extLst", b"</workbook>")
_CALC_CHAIN_REL = re.compile(rb'<Relationship\b[^>]*?Target="/?(?:xl/)?calcChain\.xml"[^>]*?/>')
_CALC_CHAIN_TYPE = re.compile(rb'<Override\b[^>]*?PartName="/xl/calcChain\.xml"[^>]*?/>')
_SHEET_VIEW = re.compile(rb"(<sheetView\b[^>]*>)(.*?)(</sheetView>)", re.S)
_SELECTION = re.compile(rb"<selection\b[^>]*?/>")
_PANE_ATTR = re.compile(rb'\bpane="([^"]*)"')
MAX_SELECTIONS = 4


def full_calc_on_load(workbook: bytes) -> bytes:
    """workbook.xml with <calcPr fullCalcOnLoad="1">: Excel, WPS and LibreOffice recalculate
    every formula when they open the file (the cached values kefu-xl wrote are its own)."""
    m = _CALC_PR.search(workbook)
    if m is None:
        at = min((i for i in (workbook.find(t) for t in _AFTER_CALC_PR) if i >= 0), default=len(workbook))
        return workbook[:at] + b'<calcPr calcId="191029" fullCalcOnLoad="1"/>' + workbook[at:]
    tag = m.group(0)
    if b'fullCalcOnLoad="1"' in tag:
        return workbook
    end = len(tag) - (2 if m.group(1) else 1)
    new = _FULL_CALC.sub(b"", tag[:end]) + b' fullCalcOnLoad="1"' + tag[end:]
    return workbook[:m.start()] + new + workbook[m.end():]


def without_calc_chain(parts: dict[str, bytes]) -> dict[str, bytes | None]:
    """The changes that drop calcChain.xml with its relationship and content type (given the
    current relationship and content-type parts): Excel rebuilds the chain on load, while a
    stale one — cells that no longer hold formulas — makes it offer a repair."""
    out: dict[str, bytes | None] = {CALC_CHAIN: None}
    rels = parts.get(WORKBOOK_RELS)
    if rels is not None:
        out[WORKBOOK_RELS] = _CALC_CHAIN_REL.sub(b"", rels)
    types = parts.get(CONTENT_TYPES)
    if types is not None:
        out[CONTENT_TYPES] = _CALC_CHAIN_TYPE.sub(b"", types)
    return out


def capped_selections(sheet_head: bytes) -> bytes:
    """A sheet's XML (its start suffices) with at most one selection per pane in each sheet
    view, the last of each kept: openpyxl adds selections every time freeze panes are set
    again, and more than four is invalid (the schema's maximum)."""
    def fix(m: re.Match) -> bytes:
        inner = m.group(2)
        selections = _SELECTION.findall(inner)
        if len(selections) <= 1:
            return m.group(0)
        last: dict[bytes, bytes] = {}
        for s in selections:
            pane = _PANE_ATTR.search(s)
            key = pane.group(1) if pane else b"topLeft"
            last.pop(key, None)
            last[key] = s
        kept = list(last.values())[-MAX_SELECTIONS:]
        if kept == selections:
            return m.group(0)
        rest = _SELECTION.sub(b"", inner)
        at = rest.find(b"<pivotSelection")
        at = at if at >= 0 else rest.find(b"<extLst")
        at = at if at >= 0 else len(rest)
        return m.group(1) + rest[:at] + b"".join(kept) + rest[at:] + m.group(3)
    return _SHEET_VIEW.sub(fix, sheet_head)


def too_many_selections(sheet_head: bytes) -> bool:
    return any(len(_SELECTION.findall(m.group(2))) > 1 and capped_selections(m.group(0)) != m.group(0)
               for m in _SHEET_VIEW.finditer(sheet_head))


def sheet_parts(z: zipfile.ZipFile) -> dict[str, str]:
    """{sheet name: zip part} from workbook.xml and its relationships."""
    workbook = etree.fromstring(z.read(WORKBOOK))
    rels = etree.fromstring(z.read(WORKBOOK_RELS))
    targets = {r.get("Id"): r.get("Target") for r in rels}
    out = {}
    for sheet in workbook.iter(f"{{{MAIN}}}sheet"):
        target = targets[sheet.get(f"{{{REL}}}id")]
        out[sheet.get("name")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return out
