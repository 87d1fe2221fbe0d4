"""A sheet built with openpyxl in a scratch workbook, moved into an existing file without
rewriting the file: its XML (shared strings made inline, style and differential-format
indices mapped onto the file's own styles.xml) becomes a new part, and workbook.xml, its
relationships and the content types learn of it. This is how the patch engine adds the
问题 sheet or a sheet a newer version declares, instead of rewriting the whole file through
openpyxl (which would drop what a person added: x14 data bars, their drop-downs…)."""
from __future__ import annotations

import copy
import io
import re
import zipfile
from html import escape

from lxml import etree

from .package import MAIN

_N = f"{{{MAIN}}}"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_SHARED_CELL = re.compile(rb'<c\b([^>]*?)\st="s"([^>]*)><v>(\d+)</v></c>')
_CELL_STYLE = re.compile(rb'(<c\b[^>]*?\ss=")(\d+)(")')
_ROW_STYLE = re.compile(rb'(<row\b[^>]*?\ss=")(\d+)(")')
_COL_STYLE = re.compile(rb'(<col\b[^>]*?\sstyle=")(\d+)(")')
_DXF = re.compile(rb'(\sdxfId=")(\d+)(")')
# CT_Stylesheet order: where <dxfs> goes when the file has none
_AFTER_DXFS = ("tableStyles", "colors", "extLst")


def scratch_sheet(name: str, build) -> tuple[bytes, bytes, list[str], bytes, list[list]]:
    """(sheet XML, styles.xml, shared strings, workbook.xml, values) of a one-sheet workbook
    whose sheet `name` `build(ws, wb)` fills with openpyxl."""
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    ws.title = name
    build(ws, wb)
    if ws.sheet_state != "visible":          # openpyxl saves no book whose only sheet is hidden;
        wb.create_sheet("_")                 # the placeholder after it is not transplanted
    values = [list(row) for row in ws.iter_rows(values_only=True)]
    buffer = io.BytesIO()
    wb.save(buffer)
    with zipfile.ZipFile(buffer) as z:
        names = set(z.namelist())
        strings: list[str] = []
        if "xl/sharedStrings.xml" in names:
            root = etree.fromstring(z.read("xl/sharedStrings.xml"))
            strings = ["".join(t.text or "" for t in si.iter(f"{_N}t")) for si in root.iter(f"{_N}si")]
        return (z.read("xl/worksheets/sheet1.xml"), z.read("xl/styles.xml"), strings, z.read("xl/workbook.xml"),
                values)


def inline_strings(xml: bytes, strings: list[str]) -> bytes:
    """Cells that point into the scratch workbook's shared strings hold their text inline."""
    def fix(m: re.Match) -> bytes:
        text = escape(strings[int(m.group(3))], quote=False)
        space = ' xml:space="preserve"' if text != text.strip() else ""
        return b'<c%s t="inlineStr"%s><is><t%s>%s</t></is></c>' % (
            m.group(1), m.group(2), space.encode(), text.encode("utf-8"))
    return _SHARED_CELL.sub(fix, xml)


def map_styles(xml: bytes, scratch_styles: bytes, target) -> bytes:
    """`xml` with every cell, row and column format index of the scratch styles.xml replaced by
    an equal format in `target` (a Styles), appended there when it has none; conditional
    formats' dxfId likewise."""
    scratch = etree.fromstring(scratch_styles)

    def section(tag):
        el = scratch.find(f"{_N}{tag}")
        return list(el) if el is not None else []

    fonts, fills, borders = section("fonts"), section("fills"), section("borders")
    formats = {f.get("numFmtId"): f.get("formatCode") for f in section("numFmts")}
    style_names = {s.get("xfId"): s.get("name") for s in section("cellStyles")}
    cell_xfs = section("cellXfs")
    mapped: dict[int, int] = {}

    def xf_index(i: int) -> int:
        if i not in mapped:
            xf = copy.deepcopy(cell_xfs[i])
            xf.set("fontId", str(target._component("fonts", copy.deepcopy(fonts[int(xf.get("fontId", 0))]))))
            xf.set("fillId", str(target._component("fills", copy.deepcopy(fills[int(xf.get("fillId", 0))]))))
            xf.set("borderId", str(target._component("borders", copy.deepcopy(borders[int(xf.get("borderId", 0))]))))
            number = xf.get("numFmtId", "0")
            if number in formats:
                xf.set("numFmtId", str(target._num_fmt(formats[number])))
            name = style_names.get(xf.get("xfId", "0"), "Normal")
            xf.set("xfId", str(target.named.get(name, 0)))
            mapped[i] = target._find_or_append(target.cell_xfs, xf, exact=True)
        return mapped[i]

    dxfs = section("dxfs")
    dxf_mapped: dict[int, int] = {}

    def dxf_index(i: int) -> int:
        if i not in dxf_mapped:
            dxf_mapped[i] = target._find_or_append(target_dxfs(target), copy.deepcopy(dxfs[i]), exact=True)
        return dxf_mapped[i]

    def sub(pattern, index):
        return lambda data: pattern.sub(lambda m: m.group(1) + str(index(int(m.group(2)))).encode() + m.group(3), data)

    for fix in (sub(_CELL_STYLE, xf_index), sub(_ROW_STYLE, xf_index), sub(_COL_STYLE, xf_index),
                sub(_DXF, dxf_index)):
        xml = fix(xml)
    return xml


def target_dxfs(target):
    """The <dxfs> of a Styles, made (in its place) when the file has none."""
    root = target.root
    el = root.find(f"{_N}dxfs")
    if el is None:
        el = etree.Element(f"{_N}dxfs", count="0")
        after = next((root.find(f"{_N}{t}") for t in _AFTER_DXFS if root.find(f"{_N}{t}") is not None), None)
        if after is not None:
            after.addprevious(el)
        else:
            root.append(el)
        target.dirty = True
    return el


def local_names(scratch_workbook: bytes) -> list[tuple[str, str]]:
    """(name, text) of the scratch workbook's sheet-level defined names (print titles,
    filter range) — openpyxl keeps them in workbook.xml, not in the sheet."""
    root = etree.fromstring(scratch_workbook)
    return [(d.get("name"), d.text or "") for d in root.iter(f"{_N}definedName") if d.get("localSheetId") == "0"]


# --------------------------------------------------------------------------- the package

_SHEET_EL = re.compile(rb"<sheet\b[^>]*?/>")
_SHEETS_END = re.compile(rb"</sheets>")
_LOCAL_ID = re.compile(rb'(\blocalSheetId=")(\d+)(")')
_DEFINED = re.compile(rb"<definedName\b[^>]*>[^<]*</definedName>|<definedName\b[^>]*/>")
_ACTIVE = re.compile(rb'(\b(?:activeTab|firstSheet)=")(\d+)(")')


def first_sheet_state(workbook: bytes) -> str:
    """The state (visible / hidden / veryHidden) of a scratch workbook's first sheet."""
    first = re.search(rb"<sheet\b[^>]*>", workbook)
    state = re.search(rb'\bstate="(\w+)"', first.group(0)) if first else None
    return state.group(1).decode() if state else "visible"


def insert_sheet(workbook: bytes, rels: bytes, types: bytes, name: str, index: int, part: str,
                 names: list[tuple[str, str]], state: str = "visible") -> tuple[bytes, bytes, bytes]:
    """workbook.xml, its relationships and [Content_Types].xml with a new sheet `name` at
    position `index` held in `part` (`state` hidden: a helper sheet); sheet-level names
    (`names`, for the new sheet) added, those of later sheets and the active tab moved along."""
    ids = [int(x) for x in re.findall(rb'\bId="rId(\d+)"', rels)]
    rid = f"rId{max(ids, default=0) + 1}"
    target = part[len("xl/"):] if part.startswith("xl/") else "/" + part
    rels = rels.replace(b"</Relationships>", (
        f'<Relationship Id="{rid}" Type="{REL_NS}/worksheet" Target="{target}"/></Relationships>').encode())
    types = types.replace(b"</Types>", (
        f'<Override PartName="/{part}" ContentType="application/vnd.openxmlformats-officedocument.'
        f'spreadsheetml.worksheet+xml"/></Types>').encode())
    sheet_ids = [int(x) for x in re.findall(rb'<sheet\b[^>]*?\bsheetId="(\d+)"', workbook)]
    element = b'<sheet xmlns:r="%s" name="%s" sheetId="%d"%s r:id="%s"/>' % (   # declared here: writers
        REL_NS.encode(), escape(name, quote=True).encode("utf-8"),           # differ in where they do
        max(sheet_ids, default=0) + 1, b' state="%s"' % state.encode() if state != "visible" else b"", rid.encode())
    sheets = list(_SHEET_EL.finditer(workbook))
    at = sheets[index].start() if index < len(sheets) else _SHEETS_END.search(workbook).start()
    workbook = workbook[:at] + element + workbook[at:]

    def shift(m: re.Match) -> bytes:
        n = int(m.group(2))
        return m.group(1) + str(n + 1 if n >= index else n).encode() + m.group(3)
    head, sep, tail = workbook.partition(b"<definedNames>")
    if sep:
        tail = _LOCAL_ID.sub(shift, tail)
    workbook = _ACTIVE.sub(shift, head) + sep + tail
    return add_local_names(workbook, index, names), rels, types


def replace_local_names(workbook: bytes, index: int, names: list[tuple[str, str]]) -> bytes:
    """workbook.xml with sheet `index`'s print titles / filter range replaced by `names`."""
    def keep(m: re.Match) -> bytes:
        local = _LOCAL_ID.search(m.group(0))
        own = local is not None and int(local.group(2)) == index and any(
            f'name="{n}"'.encode() in m.group(0) for n, _ in names)
        return b"" if own else m.group(0)
    return add_local_names(_DEFINED.sub(keep, workbook), index, names)


def add_local_names(workbook: bytes, index: int, names: list[tuple[str, str]]) -> bytes:
    if not names:
        return workbook
    new = b"".join(b'<definedName name="%s" localSheetId="%d"%s>%s</definedName>' % (
        n.encode(), index, b' hidden="1"' if n == "_xlnm._FilterDatabase" else b"",
        escape(text, quote=False).encode("utf-8")) for n, text in names)
    if b"<definedNames/>" in workbook:
        return workbook.replace(b"<definedNames/>", b"<definedNames>" + new + b"</definedNames>", 1)
    if b"</definedNames>" in workbook:
        return workbook.replace(b"</definedNames>", new + b"</definedNames>", 1)
    at = workbook.index(b"</sheets>") + len(b"</sheets>")
    for after in (b"</functionGroups>", b"</externalReferences>"):
        found = workbook.find(after)
        if found >= 0:
            at = max(at, found + len(after))
    return workbook[:at] + b"<definedNames>" + new + b"</definedNames>" + workbook[at:]
