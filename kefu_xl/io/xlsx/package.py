"""The package around the sheets of an .xlsx: workbook.xml, its relationships, the content
types and calcChain. What a patched file must look like for Excel to open it without a
repair (docs/reliability.md): no calcChain entry on a cell without a formula (so calcChain goes,
Excel rebuilds it), fullCalcOnLoad set, at most four pane selections per sheet view."""
from __future__ import annotations

import re
import zipfile
from urllib.parse import unquote

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


# --------------------------------------------------------------------------- the package check
# Before any file replaces a workbook (io.safe_write), its package is checked: a part that Excel
# or Microsoft's validator cannot resolve means a repair prompt or a file that does not open.

def _rels_source(rels_part: str) -> str:
    """The folder a .rels part's relative targets start from: xl/_rels/workbook.xml.rels → xl/."""
    folder, _, _ = rels_part.rpartition("_rels/")
    return folder


def _resolve(base: str, target: str) -> str:
    target = unquote(target.split("#", 1)[0])
    path = target.lstrip("/") if target.startswith("/") else base + target
    parts: list[str] = []
    for piece in path.split("/"):
        if piece == "..":
            if parts:
                parts.pop()
        elif piece not in ("", "."):
            parts.append(piece)
    return "/".join(parts)


def package_problems(z: zipfile.ZipFile) -> list[str]:
    """What makes the package `z` one Excel cannot open as it is, each naming the part (Chinese):
    a part name twice, a relationship whose target is not in the package, a part without a
    content type, a sheet of workbook.xml not backed by a part. Empty when sound."""
    problems: list[str] = []
    names = [i.filename for i in z.infolist()]
    seen: set[str] = set()
    for name in names:
        if name.lower() in seen:
            problems.append(f"部件 {name} 出现了两次")
        seen.add(name.lower())
    parts = {n.lower(): n for n in names if not n.endswith("/")}
    if CONTENT_TYPES.lower() not in parts:
        return problems + [f"缺少 {CONTENT_TYPES}"]
    try:
        types = etree.fromstring(z.read(CONTENT_TYPES))
        defaults = {d.get("Extension", "").lower() for d in types if d.tag.endswith("}Default")}
        overrides = {(o.get("PartName") or "").lstrip("/").lower() for o in types if o.tag.endswith("}Override")}
    except etree.XMLSyntaxError:
        return problems + [f"{CONTENT_TYPES} 不是有效的 XML"]
    for low, name in parts.items():
        if low == CONTENT_TYPES.lower():
            continue
        # every part of the workbook's own XML (sheets, styles, strings…) has its own type: the
        # generic Default for .xml ("application/xml") is no worksheet's, Excel would not load it
        own_xml = low.startswith("xl/") and low.endswith(".xml")
        if low not in overrides and (own_xml or low.rpartition(".")[2] not in defaults):
            problems.append(f"部件 {name} 没有声明内容类型")
    sheet_targets: dict[str, str] = {}
    for low, name in parts.items():
        if not low.endswith(".rels"):
            continue
        try:
            rels = etree.fromstring(z.read(name))
        except etree.XMLSyntaxError:
            problems.append(f"关系部件 {name} 不是有效的 XML")
            continue
        base = _rels_source(name)
        for rel in rels:
            if rel.get("TargetMode") == "External" or not rel.get("Target"):
                continue
            target = _resolve(base, rel.get("Target"))
            if name == WORKBOOK_RELS:
                sheet_targets[rel.get("Id")] = target
            if target.lower() not in parts:
                problems.append(f"{name} 中的关系 {rel.get('Id')} 指向不存在的部件 {target}")
    if WORKBOOK.lower() in parts:
        try:
            workbook = etree.fromstring(z.read(parts[WORKBOOK.lower()]))
        except etree.XMLSyntaxError:
            return problems + [f"{WORKBOOK} 不是有效的 XML"]
        for sheet in workbook.iter(f"{{{MAIN}}}sheet"):
            target = sheet_targets.get(sheet.get(f"{{{REL}}}id"))
            if target is None or target.lower() not in parts:
                problems.append(f"工作表「{sheet.get('name')}」没有对应的部件")
    return problems
