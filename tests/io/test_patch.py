"""Recalc patches only what it owns (issue 17): typed cells and every other part stay byte for
byte, formula cells carry Python's value as their cached value, content openpyxl would drop
survives, and a workbook the patcher cannot handle still goes through openpyxl."""
from __future__ import annotations

import re
import shutil
import zipfile
from datetime import date
from decimal import Decimal

import openpyxl
import pandas as pd
import pytest
from helpers import WORK, add_chart, open_november, same

from kefu_xl.app.workbooks import python_values, recalc_file
from kefu_xl.config import load_config
from kefu_xl.demo.typist import type_work_records
from kefu_xl.io.libreoffice import recalculate
from kefu_xl.io.xlsx import PatchBook, PatchSheet, Unsupported
from kefu_xl.kinds import maintenance
from kefu_xl.month import Month
from kefu_xl.sheets.layout import find_layout
from kefu_xl.sheets.spec import Role

NOV = Month(2026, 11)


@pytest.fixture
def tracker(workspace):
    path = open_november(workspace)
    type_work_records(path, WORK)
    return path


def parts(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def sheet_part(path, name: str) -> str:
    from kefu_xl.io.xlsx.package import sheet_parts
    with zipfile.ZipFile(path) as z:
        return sheet_parts(z)[name]


def cell_xml(xml: bytes) -> dict[str, bytes]:
    """{"C5": the <c> element's bytes} of a sheet part."""
    return {m.group(1).decode(): m.group(0)
            for m in re.finditer(rb'<c r="([A-Z]+\d+)"[^>]*?(?:/>|>.*?</c>)', xml, re.S)}


def assert_styles_only_appended(old: bytes, new: bytes) -> None:
    """The first 问题 rows need formats the new workbook had no cell in: those are appended;
    every existing font, fill, border and cell format keeps its index and meaning."""
    from lxml import etree
    a, b = etree.fromstring(old), etree.fromstring(new)
    for tag in ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles"):
        x, y = a.find(f"{{*}}{tag}"), b.find(f"{{*}}{tag}")
        if x is None:
            continue
        assert [etree.tostring(e) for e in x] == [etree.tostring(e) for e in y][:len(x)], tag


def input_columns(path, sheet: str) -> set[str]:
    spec = maintenance.spec(load_config(), NOV).sheet(sheet)
    ws = openpyxl.load_workbook(path)[sheet]
    layout, _ = find_layout(ws, spec)
    return {layout.letter(c.header) for c in spec.columns if c.role is Role.INPUT}


def test_recalc_leaves_every_part_and_typed_cell_it_does_not_own_byte_identical(tracker):
    before = parts(tracker)
    outcome = recalc_file(tracker, as_of=date(2026, 11, 30))
    assert outcome.patched and outcome.written
    after = parts(tracker)
    assert after.keys() == before.keys()
    owned = {sheet_part(tracker, n) for n in (maintenance.ACCOUNTS, maintenance.WORK, maintenance.SUMMARY,
                                              maintenance.CALENDAR, "问题", "_meta",
                                              "日志", "咨询")}      # (rewritten from the journal, the 咨询 collected)
    for name in before:
        if name not in owned and name not in ("xl/styles.xml", "xl/workbook.xml"):
            assert after[name] == before[name], name
    # the filter ranges follow the filters, the print areas the data
    filter_ranges = re.compile(rb'(_xlnm\.(?:_FilterDatabase|Print_Area)"[^>]*>[^<]*!)[^<]*')
    assert filter_ranges.sub(rb"\1", after["xl/workbook.xml"]) == filter_ranges.sub(rb"\1", before["xl/workbook.xml"])
    assert_styles_only_appended(before["xl/styles.xml"], after["xl/styles.xml"])
    for sheet in (maintenance.ACCOUNTS, maintenance.WORK):
        part = sheet_part(tracker, sheet)
        old, new = cell_xml(before[part]), cell_xml(after[part])
        letters = input_columns(tracker, sheet)
        typed = [ref for ref in old if re.match(r"[A-Z]+", ref).group(0) in letters and int(re.sub(r"[A-Z]+", "", ref)) > 2]
        assert len(typed) > 20
        for ref in typed:
            assert new[ref] == old[ref], (sheet, ref)
    # a second recalc with nothing typed since changes no row of 帐户 or 工作记录
    again = parts(tracker)
    recalc_file(tracker, as_of=date(2026, 11, 30))
    final = parts(tracker)
    for sheet in (maintenance.ACCOUNTS, maintenance.WORK):
        part = sheet_part(tracker, sheet)
        assert cell_xml(final[part]) == cell_xml(again[part])


def test_a_recalc_that_changes_nothing_leaves_the_file_alone(tracker):
    """Recalc twice with nothing typed between: the second finds every formula, cached value,
    filter range and 问题 row already right, and neither rewrites the file nor backs it up."""
    from click.testing import CliRunner

    from kefu_xl.cli import cli
    first = recalc_file(tracker, as_of=date(2026, 11, 30))
    assert first.written and first.backup is not None
    content, stamp = tracker.read_bytes(), tracker.stat().st_mtime_ns
    backups = sorted((tracker.parent / ".kefu-backup").iterdir())
    again = recalc_file(tracker, as_of=date(2026, 11, 30))
    assert again.unchanged and not again.written and again.backup is None
    assert tracker.read_bytes() == content and tracker.stat().st_mtime_ns == stamp
    assert sorted((tracker.parent / ".kefu-backup").iterdir()) == backups
    result = CliRunner().invoke(cli, ["recalc", str(tracker), "--as-of", "2026-11-30"])
    assert result.exit_code == 0 and "已是最新" in result.output
    assert tracker.read_bytes() == content
    # a different 截至日期 is a change again
    moved = recalc_file(tracker, as_of=date(2026, 11, 27))
    assert moved.written and tracker.read_bytes() != content


def test_the_hidden_filter_range_names_grow_with_the_filters(tracker):
    """LibreOffice and WPS filter the rows a sheet's _xlnm._FilterDatabase name covers: after a
    recalc that grows 工作记录's filter (new records and their buffer rows), the name says so too."""
    recalc_file(tracker, as_of=date(2026, 11, 30))
    with zipfile.ZipFile(tracker) as z:
        workbook = z.read("xl/workbook.xml").decode()
        names = dict(re.findall(r'<definedName name="_xlnm._FilterDatabase" localSheetId="(\d+)"[^>]*>[^<]*!([^<]*)<',
                                workbook))
        sheets = re.findall(r'<sheet [^>]*name="([^"]+)"', workbook)
        checked = 0
        for i, name in enumerate(sheets):
            found = re.search(r'<autoFilter ref="([^"]+)"', z.read(sheet_part(tracker, name)).decode())
            if found and str(i) in names:
                assert names[str(i)] == re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", found.group(1)), name
                checked += 1
    work = sheets.index(maintenance.WORK)
    assert checked >= 4 and int(names[str(work)].rsplit("$", 1)[1]) > 1002


def test_unescaping_formula_text_handles_named_and_numeric_references():
    from kefu_xl.io.xlsx.cells import _formula_texts
    texts = [b"A1&lt;&gt;&quot;x&quot;", b"COUNTIF('&#24037;&#20316;'!$K:$K,&quot;&lt;&quot;&amp;$L5)",
             b"SUM(B2:B9)", b"&amp;lt;", b"IF($E5&lt;&gt;\"\xe5\x86\xb3\",1)", b""]
    want = ['=A1<>"x"', "=COUNTIF('工作'!$K:$K,\"<\"&$L5)", "=SUM(B2:B9)", "=&lt;", '=IF($E5<>"决",1)', "="]
    assert _formula_texts(texts) == want
    assert _formula_texts([t for t in texts if b"&#" not in t]) == [w for w in want if "工作" not in w]
    odd = "\ue000".encode()                    # the separator inside a formula: one text at a time
    assert _formula_texts([b"A" + odd, b"&#24037;"]) == ["=A\ue000", "=工"]
    assert _formula_texts([b"&#x5de5;&amp;#1;"]) == ["=工&#1;"]
    assert len(_formula_texts([b"A", b"&#55296;"])) == 2       # no such character: not a crash
    assert _formula_texts([]) == []


def test_formula_cells_carry_pythons_values_for_readers_that_do_not_calculate(tracker):
    """A previewer, pandas or calamine shows the figures straight after recalc (no spreadsheet
    has calculated anything): 消耗档, 建议级别, every target, 有效 and the 客服汇总 figures."""
    outcome = recalc_file(tracker, as_of=date(2026, 11, 30))
    want = python_values(maintenance, outcome.result)
    accounts = pd.read_excel(tracker, sheet_name=maintenance.ACCOUNTS, header=1, engine="calamine")
    by_id = accounts.set_index("帐户ID")
    rows = {a.account_id: a.row for a in outcome.result.figures.accounts}
    assert by_id.loc["C2", "消耗档"] == want[maintenance.ACCOUNTS][rows["C2"]]["消耗档"] == "B"      # 900 ≥ 775
    assert by_id.loc["C4", "消耗档"] == "I"
    assert by_id.loc["C1", "电话拜访目标"] == want[maintenance.ACCOUNTS][rows["C1"]]["电话拜访目标"] == 4
    assert by_id.loc["C1", "电话拜访完成"] == want[maintenance.ACCOUNTS][rows["C1"]]["电话拜访完成"] == 4
    wb = openpyxl.load_workbook(tracker, data_only=True)          # openpyxl shows cached values too
    compared = 0
    for sheet, by_key in want.items():
        ws = wb[sheet]
        layout, _ = find_layout(ws, maintenance.spec(load_config(), NOV).sheet(sheet))
        keys = {ws.cell(r, layout.columns["客服"]).value: r for r in range(3, ws.max_row + 1)} \
            if sheet == maintenance.SUMMARY else None
        for key, values in by_key.items():
            r = keys[key] if keys is not None else key
            for header, value in values.items():
                got = ws.cell(r, layout.columns[header]).value
                assert same(value, got), (sheet, key, header, value, got)
                compared += 1
    assert compared > 150


@pytest.mark.libreoffice
def test_cached_values_equal_libreoffice_recalculation(tracker, tmp_path):
    """The cached values kefu-xl writes are what a spreadsheet computes from the formulas."""
    outcome = recalc_file(tracker, as_of=date(2026, 11, 30))
    data_rows = {sheet: set(rows) for sheet, rows in python_values(maintenance, outcome.result).items()}
    cached = openpyxl.load_workbook(tracker, data_only=True)
    office = openpyxl.load_workbook(recalculate(tracker, tmp_path / "lo"), data_only=True)
    compared = 0
    for sheet in (maintenance.ACCOUNTS, maintenance.WORK, maintenance.SUMMARY):
        spec = maintenance.spec(load_config(), NOV).sheet(sheet)
        ws, lo = cached[sheet], office[sheet]
        layout, _ = find_layout(ws, spec)
        for r in range(layout.first_data_row, ws.max_row + 1):
            key = ws.cell(r, layout.columns["客服"]).value if sheet == maintenance.SUMMARY else r
            if key not in data_rows[sheet]:
                continue                 # blank formula rows below the data carry no cached value
            for column in spec.columns:
                if column.role is not Role.DERIVED or column.hidden:
                    continue
                c = layout.columns[column.header]
                mine, theirs = ws.cell(r, c).value, lo.cell(r, c).value
                assert same(mine, theirs) or (isinstance(theirs, float) and isinstance(mine, (int, float)) and
                                              abs(Decimal(repr(theirs)) - Decimal(repr(mine))) < Decimal("1e-9")), \
                    (sheet, r, column.header, mine, theirs)
                compared += 1
    assert compared > 150


def test_a_chart_someone_added_survives_recalc_without_force(tracker):
    charts = add_chart(tracker, maintenance.SUMMARY)
    assert charts
    outcome = recalc_file(tracker, as_of=date(2026, 11, 30))
    assert outcome.patched and outcome.written
    after = parts(tracker)
    assert all(after[n] == b for n, b in charts.items())


def test_a_deleted_problem_sheet_is_made_again_by_the_patcher(tracker):
    wb = openpyxl.load_workbook(tracker)
    del wb["问题"]                     # someone deleted the problem sheet
    wb.save(tracker)
    outcome = recalc_file(tracker, as_of=date(2026, 11, 30))
    assert outcome.patched and outcome.written
    again = openpyxl.load_workbook(tracker)
    assert again.sheetnames.index("问题") == again.sheetnames.index("说明") - 1
    assert [c.value for c in again["问题"][2]] == ["工作表", "行", "列", "级别", "说明"]
    assert again["问题"].cell(3, 5).value     # the problems are listed
    accounts = pd.read_excel(tracker, sheet_name=maintenance.ACCOUNTS, header=1, engine="calamine")
    assert accounts.set_index("帐户ID").loc["C4", "消耗档"] == "I"
    assert recalc_file(tracker, as_of=date(2026, 11, 30)).patched        # and the next one is patched again


def test_a_workbook_saved_by_libreoffice_is_patched_too(tracker, tmp_path):
    """A file another program saved (shared strings, its own XML) is patched the same way."""
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) not installed")
    direct = tracker.with_name("direct.xlsx")
    shutil.copy(tracker, direct)
    expected = recalc_file(direct, as_of=date(2026, 11, 30)).result.figures.staff
    resaved = recalculate(tracker, tmp_path / "lo")
    shutil.copy(resaved, tracker)
    before = parts(tracker)
    outcome = recalc_file(tracker, as_of=date(2026, 11, 30))
    assert outcome.patched, outcome.why_full
    part = sheet_part(tracker, maintenance.WORK)
    old, new = cell_xml(before[part]), cell_xml(parts(tracker)[part])
    letters = input_columns(tracker, maintenance.WORK)
    typed = [ref for ref in old if re.match(r"[A-Z]+", ref).group(0) in letters and int(re.sub(r"[A-Z]+", "", ref)) > 2]
    assert typed and all(new[ref] == old[ref] for ref in typed)
    assert outcome.result.figures.staff == expected


# --- the patch engine itself -----------------------------------------------------------------

def small_book(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "表"
    ws.append(["标题"])
    ws.append(["名称", "数量", "公式"])
    for i in range(1, 6):
        ws.append([f"行{i}", i, f"=B{i + 2}*2"])
    path = tmp_path / "small.xlsx"
    wb.save(path)
    return path


def test_patch_sheet_writes_values_deletes_rows_and_keeps_text_that_looks_like_a_formula(tmp_path):
    from kefu_xl.sheets.build import set_cell
    path = small_book(tmp_path)
    book = PatchBook(path)
    ws = book["表"]
    assert ws.value(3, 3) == "=B3*2" and ws.value(3, 2) == 1
    ws.delete_rows(4, 2)                        # 行2 and 行3 gone, 行4 moves to row 4
    assert ws.value(4, 1) == "行4"
    set_cell(ws.cell(4, 2), Decimal("12.50"))
    set_cell(ws.cell(5, 1), "=cmd|' /C calc'!A0")      # typed text starting with = stays text
    ws.cell(8, 1).value = date(2026, 11, 23)
    book.set_cached("表", {(3, 3): 2})
    out = tmp_path / "out.xlsx"
    book.save(out)
    book.close()
    check = openpyxl.load_workbook(out)["表"]
    assert [check.cell(r, 1).value for r in range(3, 6)] == ["行1", "行4", "=cmd|' /C calc'!A0"]
    assert check.cell(5, 1).data_type == "s"
    assert check.cell(4, 2).value == 12.5 and check.cell(3, 3).value == "=B3*2"
    assert check.cell(8, 1).value in (46349, date(2026, 11, 23)) or check.cell(8, 1).value.date() == date(2026, 11, 23)
    assert openpyxl.load_workbook(out, data_only=True)["表"].cell(3, 3).value == 2


def test_formula_cells_of_the_file_are_rewritten_in_place_and_the_rest_of_the_row_kept(tmp_path, monkeypatch):
    """Rows whose written cells are all formula cells of the file (a new cached value, a new
    shared <f>) are spliced: each such cell replaced where it stands, every other byte of the
    row kept; a cell that is not the plain `<c r="…">` form (row 4 here) takes the general
    path and comes out the same."""
    path = small_book(tmp_path)
    with zipfile.ZipFile(path) as z:
        files = {n: z.read(n) for n in z.namelist()}
    part = next(n for n in files if n.startswith("xl/worksheets/sheet"))
    files[part] = files[part].replace(b'<c r="C4">', b'<c s="0" r="C4">')     # another writer's attribute order
    with zipfile.ZipFile(path, "w") as z:
        for n, data in files.items():
            z.writestr(n, data)
    before = cell_xml(files[part])
    taken_apart = []                              # rows that went the general way
    row_cells = PatchSheet._row_cells
    monkeypatch.setattr(PatchSheet, "_row_cells", lambda self, orig: taken_apart.append(orig) or row_cells(self, orig))
    book = PatchBook(path)
    ws = book["表"]
    for r in range(3, 8):
        ws.hold_formula(r, 3, "B{r}*2")
    book.set_cached("表", {(r, 3): (r - 2) * 2 for r in range(3, 8)})
    out = tmp_path / "out.xlsx"
    book.save(out)
    book.close()
    assert taken_apart == [4]
    after = cell_xml(parts(out)[part])
    assert {ref: after[ref] for ref in before if ref[0] in "AB"} == {ref: x for ref, x in before.items() if ref[0] in "AB"}
    assert after["C3"].startswith(b'<c r="C3"><f t="shared" ref="C3:C7" si="0">B3*2</f><v>2</v>')
    assert [after[f"C{r}"] for r in range(4, 8)] == \
        [b'<c r="C%d"><f t="shared" si="0"/><v>%d</v></c>' % (r, (r - 2) * 2) for r in range(4, 8)]
    check = openpyxl.load_workbook(out)["表"]
    assert [check.cell(r, 3).value for r in range(3, 8)] == [f"=B{r}*2" for r in range(3, 8)]
    assert [c.value for c in openpyxl.load_workbook(out, data_only=True)["表"]["C"][2:7]] == [2, 4, 6, 8, 10]


def test_patch_book_refuses_what_it_cannot_do(tmp_path):
    book = PatchBook(small_book(tmp_path))
    with pytest.raises(Unsupported):
        book.create_sheet("新")
    with pytest.raises(Unsupported):
        book["表"].merge_cells("A1:C1")
    with pytest.raises(Unsupported):
        book["表"].freeze_panes = "A3"
    book.close()


def test_month_open_writes_cached_values_too(workspace):
    """A tracker fresh from month open, before any recalc, already shows its figures."""
    from kefu_xl.kinds import personal
    path = open_november(workspace)
    accounts = pd.read_excel(path, sheet_name=maintenance.ACCOUNTS, header=1, engine="calamine").set_index("帐户ID")
    assert accounts.loc["C2", "消耗档"] == "B" and accounts.loc["C4", "消耗档"] == "I"
    assert accounts.loc["C2", "建议级别"] == "一级"
    summary = pd.read_excel(path, sheet_name=maintenance.SUMMARY, header=1, engine="calamine").set_index("客服")
    assert summary.loc["张敏", "帐户数"] == 2 and summary.loc["李娜", "帐户数"] == 2
    mine = personal.path_of(workspace, "李娜", NOV)             # written from one blank, stamped per person
    today = pd.read_excel(mine, sheet_name=personal.TODAY, header=None, engine="calamine")
    assert "李娜" in str(today.iloc[0, 0])
    book = PatchBook(mine)
    assert dict(book["_meta"].iter_rows(max_col=2))["owner"] == "李娜"
    book.close()


def test_problem_rows_written_straight_into_the_sheet_keep_formula_looking_text(tracker, tmp_path):
    """The patched 问题 rows (put_row): each problem's six values with the problem style, and
    a value that looks like a formula stays text — openpyxl, pandas and LibreOffice read it back
    as written."""
    from kefu_xl.records import Problem, Severity
    from kefu_xl.sheets.read import write_problem_sheet
    problems = [Problem("a.xlsx", "工作记录", 7, "日期", "BAD_DATE", "=HYPERLINK(\"x\") 不是日期"),
                Problem("a.xlsx", "帐户", 3, "帐户ID", "UNKNOWN", "@SUM(A1) 看起来像公式", Severity.WARNING)]
    book = PatchBook(tracker)
    write_problem_sheet(book, problems)
    book.save(tmp_path / "p.xlsx")
    book.close()
    ws = openpyxl.load_workbook(tmp_path / "p.xlsx")["问题"]
    rows = [[ws.cell(r, c).value for c in range(1, 6)] for r in (3, 4)]
    assert rows == [["工作记录", 7, "日期", "错误", "=HYPERLINK(\"x\") 不是日期"],
                    ["帐户", 3, "帐户ID", "警告", "@SUM(A1) 看起来像公式"]]
    assert ws.cell(3, 5).data_type == "s" and ws.cell(4, 1).style == ws.cell(3, 1).style
    assert ws.max_row == 4
    shown = pd.read_excel(tmp_path / "p.xlsx", sheet_name="问题", header=None, engine="calamine")
    assert shown.iloc[2, 4] == "=HYPERLINK(\"x\") 不是日期"


@pytest.mark.parametrize("row", [
    b'<c r="A5" s="2"><v>46328</v></c><c r="B5" t="inlineStr"><is><t>&lt;c r="Z9"</t></is></c><c r="AA5"/>',
    b'<c r="A5"><f>IF(B5="","",1)</f><v></v></c><c r="C5" t="s"><v>3</v></c>',
    b' <c r="A5"><v>1</v></c>\n<c r="B5"><v>2</v></c>',             # whitespace between: matched cell by cell
    b'<c s="1" r="A5"><v>1</v></c><c r="B5"><v>2</v></c>',           # r not first: matched cell by cell
    b'<c r="A5"><v>1</v></c><c r="B5" t="inlineStr"><is><t><![CDATA[<c r="Z9">]]></t></is></c>',   # CDATA: the same
    b'<c r="A5"><v>1</v></c><!-- <c r="C5"> --><c r="B5"><v>2</v></c>',                               # a comment: too
])
def test_a_rows_cells_are_cut_as_the_full_match_cuts_them(row):
    """scan._split_cells (cut at each cell's start) gives each column the XML the full match gives
    (up to what lies between two cells)."""
    from kefu_xl.io.xlsx.common import _CELL_COL, _col
    from kefu_xl.io.xlsx.scan import _split_cells
    body = b"<row r=\"5\">" + row + b"</row>"
    start, end = len(b"<row r=\"5\">"), len(body) - len(b"</row>")
    full = {_col(letters): xml for xml, letters in _CELL_COL.findall(body, start, end)}
    cut = _split_cells(body, start, end)
    assert sorted(cut) == sorted(full) and all(cut[c].strip() == full[c] for c in full)
    if b"<!" not in row and row.startswith(b'<c r="'):          # the cut itself, not the fallback
        assert all(cut[c] == full[c] for c in full)




@pytest.mark.parametrize("shown, written", [
    ({3: 1, 4: 4, 5: 6, 6: 8, 7: 10}, []),                        # what the file shows: nothing to write
    ({3: 1, 4: 4, 5: 7, 6: 8, 7: 10}, ["C5"]),                    # one value differs: that cell only
    ({3: 1.0, 4: Decimal(4), 5: 6, 6: 8, 7: 10}, []),           # the same numbers of other types
    ({3: True, 4: 4, 5: 6, 6: 8, 7: 10}, ["C3"]),                 # TRUE is not the number 1
    ({3: "", 4: 4, 5: 6, 6: 8, 7: 10, 9: 1}, ["C3"]),             # a blank where the file has 1; row 9: no formula
])
def test_a_column_already_shown_is_found_at_once_and_otherwise_cell_by_cell(tmp_path, monkeypatch, shown, written):
    """Cached values are compared a column at a time (write._stored_already); whatever that
    decides, the sheet comes out as the cell-by-cell comparison writes it."""
    from kefu_xl.io.xlsx import write
    first = PatchBook(small_book(tmp_path))
    first.set_cached("表", {(r, 3): 1 if r == 3 else (r - 2) * 2 for r in range(3, 8)})   # shows 1, 4, 6, 8, 10
    first.save(tmp_path / "shown.xlsx")
    first.close()
    part, made = "xl/worksheets/sheet1.xml", {}
    for how, whole in (("column", write._stored_already), ("cells", lambda *a: False)):
        monkeypatch.setattr(write, "_stored_already", whole)
        book = PatchBook(tmp_path / "shown.xlsx")
        book.set_cached_columns("表", {3: shown})
        made[how] = book.changed_parts()
        book.close()
    assert made["column"] == made["cells"]
    cells = re.compile(rb'<c r="(C\d+)".*?</c>')
    was = {m.group(1): m.group(0) for m in cells.finditer(parts(tmp_path / "shown.xlsx")[part])}
    now = {m.group(1): m.group(0) for m in cells.finditer(made["column"].get(part, b""))} or was
    assert [ref.decode() for ref, x in now.items() if was.get(ref) != x] == written
    assert bool(made["column"]) == bool(written)


def test_cells_set_a_row_at_a_time_come_out_as_set_one_by_one(tmp_path):
    """write_rows gives a patched sheet each row at once (PatchSheet.set_cells): the same bytes
    as set_cell on each cell — a value and style the file has stays unwritten, typed text that
    starts with = stays text, a new style alone is written."""
    from kefu_xl.sheets.build import PROBLEM_STYLE, register_styles, set_cell
    wb = openpyxl.load_workbook(small_book(tmp_path))
    register_styles(wb)
    for r in range(3, 8):
        wb["表"].cell(r, 1).style = PROBLEM_STYLE
    wb.save(tmp_path / "styled.xlsx")
    rows = {3: [(1, "行1", PROBLEM_STYLE), (2, 1.0, None)],               # what the file holds: nothing written
            4: [(1, "行二", PROBLEM_STYLE), (2, 7, None)],                # new values
            5: [(1, "=cmd|' /C calc'!A0", PROBLEM_STYLE)],              # typed text that looks like a formula
            6: [(1, "行4", "Normal")],                                   # the style alone
            9: [(1, "新行", PROBLEM_STYLE), (4, Decimal("2.50"), None)]}  # a row below the last
    made = []
    for one_by_one in (True, False):
        book = PatchBook(tmp_path / "styled.xlsx")
        ws = book["表"]
        for r, cells in rows.items():
            if one_by_one:
                for c, value, style in cells:
                    set_cell(ws.cell(r, c), value, style)
            else:
                ws.set_cells(r, cells)
        made.append((sorted(ws.writes), book.changed_parts()))
        book.close()
    assert made[0] == made[1]
    assert (3, 1) not in made[1][0] and (3, 2) not in made[1][0] and (6, 1) in made[1][0]


def test_a_column_with_new_rows_shows_every_value_where_it_belongs(tmp_path):
    """Rows 3-7 hold the file's formulas, rows 8-11 get theirs as one run (put_formula_run):
    the run's cells show their cached values through the run, the file's rows are compared as
    always (write.to_bytes looks only outside the run), a stale one rewritten, the rest kept."""
    from python_calamine import CalamineWorkbook
    path = small_book(tmp_path)
    first = PatchBook(path)
    first.set_cached("表", {(r, 3): (r - 2) * 2 for r in range(3, 8)})        # shows 2, 4, 6, 8, 10
    first.save(tmp_path / "shown.xlsx")
    first.close()
    book = PatchBook(tmp_path / "shown.xlsx")
    ws = book["表"]
    for r in range(8, 12):
        ws.set_cells(r, [(1, f"行{r - 2}", None), (2, r - 2, None)])
    ws.put_formula_run(3, 8, 11, lambda r: f"=B{r}*2", None, "=[数量]*2")
    shown = {r: (r - 2) * 2 for r in range(3, 12)}
    shown[5] = 99                                                              # stale in the file
    book.set_cached_columns("表", {3: shown})
    book.save(tmp_path / "out.xlsx")
    book.close()
    grid = CalamineWorkbook.from_path(str(tmp_path / "out.xlsx")).get_sheet_by_name("表").to_python()
    assert [row[2] for row in grid[2:11]] == [2, 4, 99, 8, 10, 12, 14, 16, 18]
    was, now = (cell_xml(parts(p)[sheet_part(p, "表")]) for p in (tmp_path / "shown.xlsx", tmp_path / "out.xlsx"))
    assert [ref for ref in was if was[ref] != now[ref]] == ["C5"]
    assert now["C8"].count(b"<f") == 1 and b'si="' in now["C9"] and b"<v>16</v>" in now["C10"]


def test_a_blank_cell_reads_as_none_and_a_formula_showing_blank_is_not_written_again(tmp_path):
    """calamine reads a blank (and a cell holding empty text) as "": PatchBook gives None for
    each typed cell left so — not for 0, False or text — once the formula cells, shared ones
    included, took their places; a formula whose file value is blank, asked to show "" or
    None, leaves the sheet as it is."""
    path = tmp_path / "blank.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "表"
    ws.append(["名", "空", "零", "否", "公式"])
    for r in range(2, 6):
        ws.append([f"行{r}", "" if r % 2 else None, 0, False, f'=IF(C{r}>0,"Y","")'])
    wb.save(path)
    with zipfile.ZipFile(path) as z:       # the formulas as Excel writes them: one shared group
        names = z.namelist()
        data = {n: z.read(n) for n in names}
    sheet = next(n for n in names if n.startswith("xl/worksheets/sheet"))
    xml = data[sheet].decode()
    xml = xml.replace('<f>IF(C2&gt;0,"Y","")</f><v></v>', '<f t="shared" ref="E2:E5" si="0">IF(C2&gt;0,"Y","")</f><v></v>')
    for r in range(3, 6):
        xml = xml.replace(f'<f>IF(C{r}&gt;0,"Y","")</f><v></v>', '<f t="shared" si="0"/><v></v>')
    assert xml.count('si="0"') == 4
    data[sheet] = xml.replace("<v></v>", "").replace('"><f', '" t="str"><f').encode()
    with zipfile.ZipFile(path, "w") as z:
        for n in names:
            z.writestr(n, data[n])
    book = PatchBook(path)
    ws = book["表"]
    assert [[ws.value(r, c) for c in range(1, 5)] for r in range(2, 6)] == \
        [[f"行{r}", None, 0, False] for r in range(2, 6)]
    assert ws.value(2, 5).startswith("=IF(") and all(ws.stored[r - 1][4] == "" for r in range(2, 6))
    book.set_cached_columns("表", {5: {2: "", 3: None, 4: "", 5: ""}})
    assert book.changed_parts() == {}
    book.close()


def _shared_file(path, cells: dict[str, str]) -> None:
    """A sheet 表 with 名 in A2:A7 and, in column B, the XML of each cell named in `cells`
    (its <f> and <v>), written into the part as Excel would write them."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "表"
    ws.append(["名", "公式"])
    for r in range(2, 8):
        ws.append([f"行{r}", f"B{r}"])
    wb.save(path)
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        data = {n: z.read(n) for n in names}
    sheet = next(n for n in names if n.startswith("xl/worksheets/sheet"))
    xml = data[sheet].decode()
    for r in range(2, 8):
        typed = re.search(rf'<c r="B{r}"[^>]*>.*?</c>', xml).group(0)
        xml = xml.replace(typed, f'<c r="B{r}" t="str">{cells[f"B{r}"]}</c>' if f"B{r}" in cells
                          else f'<c r="B{r}" t="inlineStr"><is><t>打的字</t></is></c>')
    data[sheet] = xml.encode()
    with zipfile.ZipFile(path, "w") as z:
        for n in names:
            z.writestr(n, data[n])


MASTER = '<f t="shared" ref="B2:B7" si="0">A2&amp;"!"</f><v>行2!</v>'
CHILD = '<f t="shared" si="0"/><v>x</v>'


@pytest.mark.parametrize("shape", ["whole", "hole", "respelled", "two groups"])
def test_a_shared_groups_cells_are_taken_from_its_range_only_when_the_counts_prove_it(tmp_path, shape):
    """A shared group whose cells fill its master's range is marked without finding each
    cell (a 100,000-record 工作记录 has 1.2 million): the cells naming a group are counted. A
    range with a cell typed over (a hole) is read cell by cell, so the typed text stays text;
    so is a sheet where a child spells its tag otherwise."""
    cells = {"B2": MASTER} | {f"B{r}": CHILD for r in range(3, 8)}
    if shape == "hole":
        del cells["B5"]
    elif shape == "respelled":
        cells["B6"] = '<f si="0" t="shared"/><v>x</v>'
    elif shape == "two groups":           # B6:B7 a second group, B5 typed over
        del cells["B5"]
        cells["B6"] = '<f t="shared" ref="B6:B7" si="1">A6</f><v>行6</v>'
        cells["B7"] = '<f t="shared" si="1"/><v>x</v>'
    path = tmp_path / "shared.xlsx"
    _shared_file(path, cells)
    book = PatchBook(path)
    ws = book["表"]
    column = [ws.value(r, 2) for r in range(2, 8)]
    assert column[0] == '=A2&"!"'
    children = {r: v.si for r, v in enumerate(column, 2) if type(v).__name__ == "SharedChild"}
    if shape == "whole":
        assert children == dict.fromkeys(range(3, 8), 0)
        assert type(ws.children[0]).__name__ == "_Block"
    elif shape == "respelled":
        assert children == dict.fromkeys(range(3, 8), 0)
        assert ws.children[0] == [(r, 2) for r in range(3, 8)]
    elif shape == "hole":
        assert column[3] == "打的字" and children == {3: 0, 4: 0, 6: 0, 7: 0}
    else:
        assert column[3] == "打的字" and column[4] == "=A6" and children == {3: 0, 4: 0, 7: 1}
    book.close()
