"""The patch engine one XML element at a time (as XlsxWriter tests `_write_num_fmt`): each job
of kefu_xl/io/xlsx/ given a small piece of XML or a value, and the exact XML it gives back."""
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

from lxml import etree

from kefu_xl.io.xlsx import package, transplant
from kefu_xl.io.xlsx.cells import _kept_formula_xml, _same, _shown, _value_xml
from kefu_xl.io.xlsx.features import _filter_database, _with_columns
from kefu_xl.io.xlsx.sheet import PatchSheet
from kefu_xl.io.xlsx.styles import Styles

MAIN = package.MAIN


# --------------------------------------------------------------------------- cells

def test_value_xml_of_each_kind_of_value():
    assert _value_xml("A1", "", 12, False, None) == '<c r="A1"><v>12</v></c>'
    assert _value_xml("A1", ' s="3"', Decimal("12.50"), False, None) == '<c r="A1" s="3"><v>12.50</v></c>'
    assert _value_xml("B2", "", True, False, None) == '<c r="B2" t="b"><v>1</v></c>'
    assert _value_xml("C3", "", date(2026, 11, 3), False, None) == '<c r="C3"><v>46329.0</v></c>'
    assert _value_xml("D4", "", None, False, None) == '<c r="D4"/>'
    assert _value_xml("E5", "", "a<b & c", False, None) == '<c r="E5" t="inlineStr"><is><t>a&lt;b &amp; c</t></is></c>'
    assert _value_xml("E5", "", " 前后 ", False, None) == \
        '<c r="E5" t="inlineStr"><is><t xml:space="preserve"> 前后 </t></is></c>'


def test_a_formula_cell_shows_pythons_value_and_text_that_looks_like_a_formula_stays_text():
    assert _value_xml("F6", "", '=IF(A1>0,"是","否")', False, "是") == \
        '<c r="F6" t="str"><f>IF(A1&gt;0,"是","否")</f><v>是</v></c>'
    assert _value_xml("F6", "", "=SUM(A1:A3)", False, 7) == '<c r="F6"><f>SUM(A1:A3)</f><v>7</v></c>'
    assert _value_xml("F6", "", "=已提醒", True, None) == '<c r="F6" t="inlineStr"><is><t>=已提醒</t></is></c>'


def test_shown_gives_the_type_and_value_a_formula_cell_caches():
    assert _shown("否") == (' t="str"', "<v>否</v>")
    assert _shown(3) == ("", "<v>3</v>")
    assert _shown(None) == (' t="str"', "<v></v>")
    assert _shown(False) == (' t="b"', "<v>0</v>")
    assert _shown(Decimal("0.5")) == ("", "<v>0.5</v>")
    assert _shown(date(2026, 11, 30)) == ("", "<v>46356.0</v>")


def test_a_kept_formula_cell_keeps_its_own_formula_and_takes_a_new_value():
    shared = b'<c r="G9" s="4" t="str"><f t="shared" si="2"/><v>old</v></c>'
    assert _kept_formula_xml(shared, 5) == b'<c r="G9" s="4"><f t="shared" si="2"/><v>5</v></c>'
    master = b'<c r="G3" s="4"><f>A3*2</f><v>1</v></c>'
    assert _kept_formula_xml(master, "x", '<f t="shared" ref="G3:G9" si="0">A3*2</f>') == \
        b'<c r="G3" s="4" t="str"><f t="shared" ref="G3:G9" si="0">A3*2</f><v>x</v></c>'


def test_same_compares_as_calamine_reads_back():
    assert _same(3.0, 3) and _same(None, "") and _same("是", "是") and not _same("是", "否")
    assert _same(46356.0, date(2026, 11, 30)) and not _same(1, True)


# --------------------------------------------------------------------------- package

def test_full_calc_on_load_is_set_or_added_in_its_place():
    assert package.full_calc_on_load(b'<workbook><calcPr calcId="191029"/></workbook>') == \
        b'<workbook><calcPr calcId="191029" fullCalcOnLoad="1"/></workbook>'
    assert package.full_calc_on_load(b'<workbook><calcPr fullCalcOnLoad="0"></calcPr></workbook>') == \
        b'<workbook><calcPr fullCalcOnLoad="1"></calcPr></workbook>'
    assert package.full_calc_on_load(b"<workbook><sheets/><definedNames/><extLst/></workbook>") == \
        b'<workbook><sheets/><definedNames/><calcPr calcId="191029" fullCalcOnLoad="1"/><extLst/></workbook>'


def test_calc_chain_goes_with_its_relationship_and_content_type():
    rels = (b'<Relationships><Relationship Id="rId1" Type="x/worksheet" Target="worksheets/sheet1.xml"/>'
            b'<Relationship Id="rId9" Type="x/calcChain" Target="calcChain.xml"/></Relationships>')
    types = b'<Types><Override PartName="/xl/calcChain.xml" ContentType="c"/><Default Extension="xml"/></Types>'
    out = package.without_calc_chain({package.WORKBOOK_RELS: rels, package.CONTENT_TYPES: types})
    assert out[package.CALC_CHAIN] is None
    assert out[package.WORKBOOK_RELS] == (b'<Relationships><Relationship Id="rId1" Type="x/worksheet" '
                                          b'Target="worksheets/sheet1.xml"/></Relationships>')
    assert out[package.CONTENT_TYPES] == b'<Types><Default Extension="xml"/></Types>'


def test_a_sheet_view_keeps_one_selection_per_pane():
    view = (b'<sheetViews><sheetView workbookViewId="0"><pane ySplit="2" state="frozen"/>'
            b'<selection pane="topRight"/><selection pane="bottomLeft"/><selection pane="bottomRight"/>'
            b'<selection pane="bottomLeft" activeCell="A1"/><selection pane="bottomRight" activeCell="B3"/>'
            b'</sheetView></sheetViews>')
    assert package.too_many_selections(view)
    assert package.capped_selections(view) == (
        b'<sheetViews><sheetView workbookViewId="0"><pane ySplit="2" state="frozen"/>'
        b'<selection pane="topRight"/><selection pane="bottomLeft" activeCell="A1"/>'
        b'<selection pane="bottomRight" activeCell="B3"/></sheetView></sheetViews>')
    ok = b'<sheetViews><sheetView workbookViewId="0"><selection pane="bottomLeft"/></sheetView></sheetViews>'
    assert not package.too_many_selections(ok) and package.capped_selections(ok) == ok


# --------------------------------------------------------------------------- features

def test_a_new_column_width_splits_a_range_entry_around_it():
    head = b'<sheetFormatPr baseColWidth="8"/><cols><col min="1" max="5" width="9" customWidth="1"/></cols>'
    assert _with_columns(head, {3: {"width": 20, "hidden": True}}) == (
        b'<sheetFormatPr baseColWidth="8"/><cols><col min="1" max="2" width="9" customWidth="1"/>'
        b'<col min="3" max="3" width="20" customWidth="1" hidden="1"/>'
        b'<col min="4" max="5" width="9" customWidth="1"/></cols>')
    assert _with_columns(b'<sheetFormatPr baseColWidth="8"/>', {26: {"width": 12}}) == \
        b'<sheetFormatPr baseColWidth="8"/><cols><col min="26" max="26" width="12" customWidth="1"/></cols>'


def test_the_hidden_filter_name_follows_the_filter():
    workbook = (b'<definedNames><definedName name="_xlnm._FilterDatabase" localSheetId="1" hidden="1">'
                b"'\xe5\xb7\xa5\xe4\xbd\x9c'!$A$2:$N$20</definedName></definedNames>")
    assert _filter_database(workbook, {1: "A2:N99"}).endswith(b"!$A$2:$N$99</definedName></definedNames>")
    assert _filter_database(workbook, {0: "A2:N99"}) == workbook


def sheet(tail: bytes = b"") -> PatchSheet:
    xml = (f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>标题</t></is></c></row>'
           f'<row r="3"><c r="A3"><v>1</v></c><c r="B3"><f>A3*2</f><v>2</v></c></row></sheetData>').encode() + tail \
        + b"</worksheet>"
    book = SimpleNamespace(styles=Styles(STYLES))
    return PatchSheet(book, "表", "xl/worksheets/sheet1.xml", xml, [["标题"], [], [1, 2]])


def test_a_filter_keeps_its_criteria_when_its_range_grows():
    ws = sheet(b'<autoFilter ref="A2:B3"><filterColumn colId="1"><filters><filter val="x"/></filters>'
               b'</filterColumn></autoFilter>')
    ws.auto_filter.ref = "A2:B9"
    assert ws._patched_tail(ws.tail) == (b'<autoFilter ref="A2:B9"><filterColumn colId="1"><filters>'
                                         b'<filter val="x"/></filters></filterColumn></autoFilter></worksheet>')
    ws.auto_filter.ref = None                     # the 问题 sheet with no problems: no filter
    assert ws._patched_tail(ws.tail) == b"</worksheet>"


def test_only_kefu_xls_own_ranges_grow():
    ws = sheet(b'<dataValidations count="2"><dataValidation type="list" sqref="A3:A5003"/>'
               b'<dataValidation type="list" sqref="Z3:Z200"/></dataValidations>')
    ws.extend_features(3, 6000, "A2:B9", frozenset({"A", "B"}), 5003)
    assert b'sqref="A3:A6000"' in ws._patched_tail(ws.tail) and b'sqref="Z3:Z200"' in ws._patched_tail(ws.tail)


def test_a_new_formula_row_is_written_after_the_kept_rows():
    ws = sheet()
    ws.put_formula(4, 2, "=A4*2", "")
    ws.cell(4, 1).value = 5
    ws.cached[(4, 2)] = 10
    xml = ws.to_bytes()
    assert b'<row r="3"><c r="A3"><v>1</v></c><c r="B3"><f>A3*2</f><v>2</v></c></row>' in xml
    assert b'<row r="4"><c r="A4"><v>5</v></c><c r="B4"><f>A4*2</f><v>10</v></c></row>' in xml


# --------------------------------------------------------------------------- styles

STYLES = (f'<styleSheet xmlns="{MAIN}"><fonts count="1"><font><sz val="11"/></font></fonts>'
          '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
          '<borders count="1"><border/></borders><cellStyleXfs count="2"><xf numFmtId="0" fontId="0"/>'
          '<xf numFmtId="49" fontId="0"/></cellStyleXfs><cellXfs count="1"><xf numFmtId="0" fontId="0" xfId="0"/></cellXfs>'
          '<cellStyles count="2"><cellStyle name="Normal" xfId="0"/><cellStyle name="kefu-in-id" xfId="1"/></cellStyles>'
          '</styleSheet>').encode()


def test_a_named_style_gets_one_cell_format_appended_once():
    styles = Styles(STYLES)
    assert styles.attribute("kefu-in-id") == ' s="1"' and styles.attribute("kefu-in-id") == ' s="1"'
    root = etree.fromstring(styles.to_bytes())
    xfs = root.find(f"{{{MAIN}}}cellXfs")
    assert xfs.get("count") == "2" and xfs[1].get("xfId") == "1" and xfs[1].get("numFmtId") == "49"
    assert styles._num_fmt("0.0") == 164 and styles._num_fmt("0.0") == 164 and styles._num_fmt("0.00") == 2



def test_a_fill_given_again_finds_its_cell_format_and_an_equal_one_the_same():
    """index_of keeps a fill's repr by the object (the 问题 rows share one per 级别): the same
    object, or an equal one made anew, finds the format appended once; another colour another."""
    from openpyxl.styles import PatternFill
    styles = Styles(STYLES)
    red = PatternFill("solid", fgColor="FFC7CE")
    first = styles.index_of("kefu-in-id", fill=red)
    assert styles.index_of("kefu-in-id", fill=red) == first
    assert styles.index_of("kefu-in-id", fill=PatternFill("solid", fgColor="FFC7CE")) == first
    yellow = styles.index_of("kefu-in-id", fill=PatternFill("solid", fgColor="FFEB9C"))
    assert yellow != first and styles.index_of("kefu-in-id") not in (first, yellow)
    fills = etree.fromstring(styles.to_bytes()).find(f"{{{MAIN}}}fills")
    assert [f.find(f"{{{MAIN}}}patternFill/{{{MAIN}}}fgColor").get("rgb") for f in fills[-2:]] == ["00FFC7CE", "00FFEB9C"]


# --------------------------------------------------------------------------- transplant

def test_a_scratch_sheets_shared_strings_are_made_inline():
    xml = b'<row r="1"><c r="A1" s="2" t="s"><v>1</v></c><c r="B1" t="s"><v>0</v></c></row>'
    assert transplant.inline_strings(xml, [" a ", "问题"]) == (
        b'<row r="1"><c r="A1" s="2" t="inlineStr"><is><t>\xe9\x97\xae\xe9\xa2\x98</t></is></c>'
        b'<c r="B1" t="inlineStr"><is><t xml:space="preserve"> a </t></is></c></row>')


def test_a_sheet_put_in_moves_the_later_sheets_names_along():
    workbook = (b'<workbook><bookViews><workbookView activeTab="1"/></bookViews><sheets>'
                b'<sheet name="A" sheetId="1" r:id="rId1"/><sheet name="B" sheetId="2" r:id="rId2"/></sheets>'
                b'<definedNames><definedName name="_xlnm.Print_Titles" localSheetId="1">B!$2:$2</definedName>'
                b'</definedNames></workbook>')
    rels = b"<Relationships></Relationships>"
    types = b"<Types></Types>"
    wb, rels, types = transplant.insert_sheet(workbook, rels, types, "问题", 1, "xl/worksheets/sheet9.xml",
                                              [("_xlnm.Print_Titles", "'问题'!$2:$2")])
    assert b'<sheet xmlns:r="' in wb and wb.index("问题".encode()) < wb.index(b'name="B"')
    assert b'activeTab="2"' in wb
    assert b'<definedName name="_xlnm.Print_Titles" localSheetId="2">B!$2:$2</definedName>' in wb
    assert "<definedName name=\"_xlnm.Print_Titles\" localSheetId=\"1\">'问题'!$2:$2</definedName>".encode() in wb
    assert b'Target="worksheets/sheet9.xml"' in rels and b'PartName="/xl/worksheets/sheet9.xml"' in types
