"""Make a workbook kefu-xl wrote look as if a person opened it in Excel, added their own things
and saved it (DOMAIN §20): a calcChain of every formula cell, no fullCalcOnLoad, shared strings
instead of inline text, and on one sheet a data bar with its x14 extension, their own drop-down
in a spare column, a filter with criteria and a note. `ExcelSaved.added` returns the pieces a
person added, to check they come through a command byte for byte."""
from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from html import escape, unescape
from pathlib import Path

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
X14 = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"
XM = "http://schemas.microsoft.com/office/excel/2006/main"
BAR_ID = "{8C1A93E1-2F0B-4F4C-9D1E-6E5A4B3C2D10}"
SPARE = "Z"                     # the person's spare column

DATA_BAR = (f'<conditionalFormatting sqref="{SPARE}3:{SPARE}200"><cfRule type="dataBar" priority="99">'
            '<dataBar><cfvo type="min"/><cfvo type="max"/><color rgb="FF638EC6"/></dataBar>'
            f'<extLst><ext uri="{{B025F937-C7B1-47D3-B67F-A62EFF666E3E}}" xmlns:x14="{X14}"><x14:id>{BAR_ID}</x14:id>'
            '</ext></extLst></cfRule></conditionalFormatting>')
X14_BAR = (f'<ext uri="{{78C0D931-6437-407d-A8EE-F0AAD7539E65}}" xmlns:x14="{X14}"><x14:conditionalFormattings>'
           f'<x14:conditionalFormatting xmlns:xm="{XM}"><x14:cfRule type="dataBar" id="{BAR_ID}">'
           '<x14:dataBar minLength="0" maxLength="100" gradient="0"><x14:cfvo type="autoMin"/><x14:cfvo type="autoMax"/>'
           '<x14:negativeFillColor rgb="FFFF0000"/><x14:axisColor rgb="FF000000"/></x14:dataBar></x14:cfRule>'
           f'<xm:sqref>{SPARE}3:{SPARE}200</xm:sqref></x14:conditionalFormatting></x14:conditionalFormattings></ext>')
DROP_DOWN = (f'<dataValidation type="list" allowBlank="1" showInputMessage="1" showErrorMessage="1" '
             f'sqref="{SPARE}3:{SPARE}200"><formula1>"已回电,待回电,不用回"</formula1></dataValidation>')
NOTE_TEXT = "客户说下周再联系（张敏）"

# CT_Worksheet: what may follow each element we add
_AFTER_CF = ("<dataValidations", "<hyperlinks", "<printOptions", "<pageMargins", "<pageSetup", "<headerFooter",
             "<rowBreaks", "<colBreaks", "<customProperties", "<cellWatches", "<ignoredErrors", "<smartTags",
             "<drawing", "<legacyDrawing", "<legacyDrawingHF", "<picture", "<oleObjects", "<controls",
             "<webPublishItems", "<tableParts", "<extLst", "</worksheet>")
_AFTER_DV = _AFTER_CF[1:]
_AFTER_LEGACY = ("<legacyDrawingHF", "<picture", "<oleObjects", "<controls", "<webPublishItems", "<tableParts",
                 "<extLst", "</worksheet>")


def _insert_before(xml: str, element: str, after: tuple[str, ...]) -> str:
    """`element` placed before the first of the worksheet's elements `after` (an <extLst>
    inside a conditional format is not the worksheet's own, which is its last element)."""
    tail = xml.index("</sheetData>")

    def at(tag: str) -> int:
        if tag == "<extLst":
            return xml.rfind("<extLst>") if xml.endswith("</extLst></worksheet>") else -1
        return xml.find(tag, tail)
    where = min((i for i in map(at, after) if i >= 0), default=len(xml))
    return xml[:where] + element + xml[where:]


def _sheet_parts(z: zipfile.ZipFile) -> list[tuple[str, str]]:
    """[(sheet name, part)] in workbook order."""
    workbook = z.read("xl/workbook.xml").decode()
    rels = z.read("xl/_rels/workbook.xml.rels").decode()
    targets = {}
    for rel in re.findall(r"<Relationship\b[^>]*/>", rels):
        rid, target = re.search(r'Id="([^"]+)"', rel).group(1), re.search(r'Target="([^"]+)"', rel).group(1)
        targets[rid] = target.lstrip("/") if target.startswith("/") else "xl/" + target
    out = []
    for el in re.findall(r"<sheet\b[^>]*/>", workbook):
        name = unescape(re.search(r'name="([^"]*)"', el).group(1))
        out.append((name, targets[re.search(r'\bid="([^"]+)"', el).group(1)]))
    return out


@dataclass
class ExcelSaved:
    path: Path
    sheet: str          # the sheet the person added things to
    part: str

    def added(self) -> dict[str, bytes]:
        """The person's additions as they are in the file now (what must come through)."""
        with zipfile.ZipFile(self.path) as z:
            xml = z.read(self.part)
            names = set(z.namelist())
            out = {"x14 data bar": _one(X14_BAR.encode(), xml), "data bar": _one(DATA_BAR.encode(), xml),
                   "drop-down": _one(DROP_DOWN.encode(), xml),
                   "filter criteria": _one(rb'<filterColumn colId="1"><filters><filter val="[^"]*"/></filters></filterColumn>',
                                           xml, regex=True)}
            out["note"] = z.read("xl/comments_person.xml") if "xl/comments_person.xml" in names else b""
            out["note drawing"] = z.read("xl/drawings/vmlDrawing_person.vml") \
                if "xl/drawings/vmlDrawing_person.vml" in names else b""
        return out


def _one(piece: bytes, xml: bytes, regex: bool = False) -> bytes:
    if regex:
        m = re.search(piece, xml)
        return m.group(0) if m else b""
    return piece if piece in xml else b""


def excel_saved(path: Path, sheet: str, filter_value: str = "张敏") -> ExcelSaved:
    """Rewrite `path` in place as Excel would have saved it after a person's edits on `sheet`."""
    with zipfile.ZipFile(path) as z:
        items = {i.filename: z.read(i) for i in z.infolist()}
        parts = _sheet_parts(z)
    part = dict(parts)[sheet]
    strings: list[str] = []
    index: dict[str, int] = {}

    def shared(m: re.Match) -> str:
        text = unescape(m.group(3))
        if text not in index:
            index[text] = len(strings)
            strings.append(text)
        return f'<c{m.group(1)} t="s"{m.group(2)}><v>{index[text]}</v></c>'

    chain = []
    for i, (name, sheet_part) in enumerate(parts, 1):
        xml = items[sheet_part].decode("utf-8")
        xml = re.sub(r'<c\b([^>]*?)\st="inlineStr"([^>]*)><is><t(?:\s[^>]*)?>([^<]*)</t></is></c>', shared, xml)
        for ref in re.findall(r'<c r="([A-Z]+\d+)"[^>]*>\s*<f\b', xml):
            chain.append(f'<c r="{ref}" i="{i}"/>')
        if sheet_part == part:
            xml = _person_edits(xml, filter_value)
        items[sheet_part] = xml.encode("utf-8")
    preserve = ' xml:space="preserve"'
    sst = "".join(f"<si><t{preserve if s != s.strip() else ''}>{escape(s, quote=False)}</t></si>" for s in strings)
    items["xl/sharedStrings.xml"] = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="{MAIN}" '
                                     f'count="{len(strings)}" uniqueCount="{len(strings)}">{sst}</sst>').encode()
    items["xl/calcChain.xml"] = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<calcChain xmlns="{MAIN}">'
                                 + "".join(chain) + "</calcChain>").encode()
    rels = items["xl/_rels/workbook.xml.rels"].decode()
    ids = [int(x) for x in re.findall(r'Id="rId(\d+)"', rels)]
    for n, (kind, target) in enumerate((("sharedStrings", "sharedStrings.xml"), ("calcChain", "calcChain.xml")), 1):
        if f'/{kind}"' not in rels:
            rels = rels.replace("</Relationships>", f'<Relationship Id="rId{max(ids) + n}" '
                                f'Type="{REL}/{kind}" Target="{target}"/></Relationships>')
    items["xl/_rels/workbook.xml.rels"] = rels.encode()
    types = items["[Content_Types].xml"].decode()
    for name, kind in (("/xl/sharedStrings.xml", "sharedStrings"), ("/xl/calcChain.xml", "calcChain"),
                       ("/xl/comments_person.xml", "comments")):
        if name not in types:
            types = types.replace("</Types>", f'<Override PartName="{name}" ContentType="application/'
                                  f'vnd.openxmlformats-officedocument.spreadsheetml.{kind}+xml"/></Types>')
    if 'Extension="vml"' not in types:
        types = types.replace("</Types>", '<Default Extension="vml" ContentType="application/'
                              'vnd.openxmlformats-officedocument.vmlDrawing"/></Types>')
    items["[Content_Types].xml"] = types.encode()
    workbook = items["xl/workbook.xml"].decode()
    workbook = re.sub(r'\sfullCalcOnLoad="[^"]*"', "", workbook)
    if "<calcPr" not in workbook:
        workbook = workbook.replace("</workbook>", '<calcPr calcId="191029"/></workbook>')
    items["xl/workbook.xml"] = workbook.encode()
    _add_note(items, part)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in items.items():
            z.writestr(name, data)
    return ExcelSaved(path, sheet, part)


def _person_edits(xml: str, filter_value: str) -> str:
    """A data bar (with its x14 half), a drop-down in the spare column, filter criteria."""
    xml = _insert_before(xml, DATA_BAR, _AFTER_CF)
    if "<dataValidations" in xml:
        xml = re.sub(r'<dataValidations count="(\d+)"', lambda m: f'<dataValidations count="{int(m.group(1)) + 1}"',
                     xml, count=1)
        xml = xml.replace("</dataValidations>", DROP_DOWN + "</dataValidations>", 1)
    else:
        xml = _insert_before(xml, f'<dataValidations count="1">{DROP_DOWN}</dataValidations>', _AFTER_DV)
    criteria = f'<filterColumn colId="1"><filters><filter val="{escape(filter_value)}"/></filters></filterColumn>'
    xml = re.sub(r'(<autoFilter\b[^>]*?)/>', lambda m: m.group(1) + ">" + criteria + "</autoFilter>", xml, count=1)
    if xml.endswith("</extLst></worksheet>"):
        xml = xml.replace("</extLst></worksheet>", X14_BAR + "</extLst></worksheet>")
    else:
        xml = xml.replace("</worksheet>", f"<extLst>{X14_BAR}</extLst></worksheet>")
    return xml


def _add_note(items: dict[str, bytes], part: str) -> None:
    """A classic note on cell A3 (comments part, its VML shape, the sheet's legacyDrawing)."""
    items["xl/comments_person.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<comments xmlns="{MAIN}"><authors><author>张敏</author>'
        f'</authors><commentList><comment ref="A3" authorId="0"><text><r><t>{NOTE_TEXT}</t></r></text></comment>'
        f'</commentList></comments>').encode()
    items["xl/drawings/vmlDrawing_person.vml"] = (
        '<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
        'xmlns:x="urn:schemas-microsoft-com:office:excel"><o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="1"/>'
        '</o:shapelayout><v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe">'
        '<v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>'
        '<v:shape id="_x0000_s1025" type="#_x0000_t202" style="position:absolute;margin-left:59pt;margin-top:1.5pt;'
        'width:108pt;height:59pt;z-index:1;visibility:hidden" fillcolor="#ffffe1" o:insetmode="auto">'
        '<v:fill color2="#ffffe1"/><v:shadow on="t" color="black" obscured="t"/><v:path o:connecttype="none"/>'
        '<v:textbox style="mso-direction-alt:auto"><div style="text-align:left"></div></v:textbox>'
        '<x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/><x:AutoFill>False</x:AutoFill>'
        '<x:Row>2</x:Row><x:Column>0</x:Column></x:ClientData></v:shape></xml>').encode()
    rels_name = part.replace("worksheets/", "worksheets/_rels/") + ".rels"
    rels = items.get(rels_name, f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                                f'<Relationships xmlns="{PKG_REL}"></Relationships>'.encode()).decode()
    rels = rels.replace("</Relationships>",
                        f'<Relationship Id="rIdPersonNote" Type="{REL}/comments" Target="../comments_person.xml"/>'
                        f'<Relationship Id="rIdPersonVml" Type="{REL}/vmlDrawing" '
                        f'Target="../drawings/vmlDrawing_person.vml"/></Relationships>')
    items[rels_name] = rels.encode()
    xml = items[part].decode("utf-8")
    if "xmlns:r=" not in xml[:xml.index(">")]:
        xml = xml.replace("<worksheet ", f'<worksheet xmlns:r="{REL}" ', 1)
    items[part] = _insert_before(xml, '<legacyDrawing r:id="rIdPersonVml"/>', _AFTER_LEGACY).encode("utf-8")


def calc_chain_problems(path: Path) -> list[str]:
    """calcChain entries on cells that hold no formula (Excel's "Removed Records" repair)."""
    with zipfile.ZipFile(path) as z:
        if "xl/calcChain.xml" not in z.namelist():
            return []
        chain = re.findall(r'<c r="([A-Z]+\d+)"(?: i="(\d+)")?', z.read("xl/calcChain.xml").decode())
        parts = _sheet_parts(z)
        formulas = {}
        for i, (_, part) in enumerate(parts, 1):
            xml = z.read(part).decode("utf-8")
            formulas[i] = set(re.findall(r'<c r="([A-Z]+\d+)"[^>]*>\s*<f\b', xml))
    out, sheet = [], 1
    for ref, i in chain:
        sheet = int(i) if i else sheet
        if ref not in formulas.get(sheet, set()):
            out.append(f"{parts[sheet - 1][0]}!{ref}")
    return out


def most_selections(path: Path) -> int:
    with zipfile.ZipFile(path) as z:
        counts = [len(re.findall(rb"<selection\b", view))
                  for _, part in _sheet_parts(z) for view in re.findall(rb"<sheetView\b.*?</sheetView>", z.read(part), re.S)]
    return max(counts, default=0)
