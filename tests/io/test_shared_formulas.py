"""Issue 17: new rows of a column are written as one shared formula (a master that spells the
formula out, children that name it by `si`), as Excel writes a filled-down column. A shared
group whose master is the template's is proven for every child without reading the children's
text. Both rest on one fact, checked here for every declared formula: a row formula moved to
another row is exactly what a spreadsheet makes of a shared formula moved there."""
from __future__ import annotations

import re
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from helpers import NOV, assert_engines_agree, libreoffice_values, open_november
from openpyxl.formula.translate import Translator
from openpyxl.utils import get_column_letter
from python_calamine import CalamineWorkbook

from kefu_xl.app.workbooks import KINDS, add_cached_values, python_values, recalc_file
from kefu_xl.config import load_config
from kefu_xl.demo.typist import type_work_records
from kefu_xl.io.xlsx.package import sheet_parts
from kefu_xl.kinds import maintenance
from kefu_xl.sheets.build import build_workbook
from kefu_xl.sheets.layout import RowFormula, find_layout
from kefu_xl.sheets.spec import Role

C = load_config()
SHARED = re.compile(rb'<f t="shared" ref="([A-Z]+)(\d+):([A-Z]+)(\d+)" si="(\d+)">')


def test_a_row_formula_moves_like_a_shared_formula():
    """For every derived column of every kind: the template for row r equals its formula for
    the first row translated to row r the way Excel/LibreOffice/openpyxl translate a shared
    formula (relative row references shift, nothing else does)."""
    checked = 0
    for kind in KINDS.values():
        wspec = kind.declaration(C, NOV)
        _, layouts = build_workbook(wspec, {s.name: s.title for s in wspec.sheets}, {}, {}, {})
        for sheet in wspec.sheets:
            layout = layouts[sheet.name]
            for column in sheet.columns:
                if column.role is not Role.DERIVED:
                    continue
                template = RowFormula(column.formula, layouts, sheet.name)
                letter, first = layout.letter(column.header), layout.first_data_row
                master = template.for_row(first)
                for r in (first + 1, first + 37, first + 20_000):
                    moved = Translator(master, origin=f"{letter}{first}").translate_formula(f"{letter}{r}")
                    assert moved == template.for_row(r), (kind.KIND, sheet.name, column.header, r)
                    checked += 1
    assert checked > 3 * 150                   # 184 derived columns in 11 kinds


def records(n: int) -> list[dict]:
    """n work records over the test accounts and the month's working days."""
    days = [date(2026, 11, d) for d in (2, 3, 4, 5, 6, 9, 10, 11, 12, 13, 16, 17)]
    who = [("张敏", "C1"), ("张敏", "C2"), ("李娜", "C3"), ("王芳", "C4")]
    kinds = ["电话拜访", "报表发送", "上门拜访", "帐户优化"]
    return [{"日期": days[i % len(days)], "客服": who[i % 4][0], "帐户ID": who[i % 4][1], "工作类型": kinds[i % 3],
             "沟通对象": "决策人" if i % 5 else "其他人员", "内容摘要": f"第 {i + 1} 次"} for i in range(n)]


def work_sheet_xml(path) -> bytes:
    with zipfile.ZipFile(path) as z:
        return z.read(sheet_parts(z)[maintenance.WORK])


@pytest.fixture
def grown(workspace):
    """A tracker with more records than its 1,000 formula rows: recalc adds the rows after."""
    path = open_november(workspace)
    type_work_records(path, records(1_030))
    return path


@pytest.mark.libreoffice
def test_new_rows_are_one_shared_formula_per_column_that_every_reader_understands(grown, tmp_path):
    outcome = recalc_file(grown, as_of=date(2026, 11, 20))
    assert outcome.patched and outcome.written
    xml = work_sheet_xml(grown)
    wspec = maintenance.spec(C, NOV)
    sheet = wspec.sheet(maintenance.WORK)
    derived = [c for c in sheet.columns if c.role is Role.DERIVED]
    groups = {m[1].decode(): (int(m[2]), int(m[4])) for m in SHARED.finditer(xml)}
    wb = openpyxl.load_workbook(grown)          # openpyxl (and the full-rewrite path) translates the children
    layout, _ = find_layout(wb[maintenance.WORK], sheet)
    layouts = {maintenance.WORK: layout, **{s.name: find_layout(wb[s.name], s)[0] for s in wspec.sheets
                                            if s.name != maintenance.WORK}}
    assert set(groups) == {layout.letter(c.header) for c in derived}
    first, last = groups[layout.letter("有效")]
    # the template's 1,000 formula rows were already right: the sheet is written anyway, so they
    # join the new rows' group (hold_formula) and the whole column is one shared formula
    assert first == layout.first_data_row and last >= layout.first_data_row + 1_029
    children = xml.count(b'<f t="shared" si="')
    assert children == sum(b - a for a, b in groups.values())
    ws = wb[maintenance.WORK]
    for c in derived:
        template = RowFormula(c.formula, layouts, maintenance.WORK)
        for r in (first, first + 1, last):
            assert ws.cell(r, layout.columns[c.header]).value == template.for_row(r), (c.header, r)
    # LibreOffice computes what Python does, in the shared rows too
    python = python_values(maintenance, outcome.result)
    office = libreoffice_values(grown, tmp_path / "lo")
    assert assert_engines_agree(python, office) > 1_000 * 7
    # pandas / previewers see Python's values cached in the children
    grid = CalamineWorkbook.from_path(str(grown)).get_sheet_by_name(maintenance.WORK).to_python()
    valid_col = layout.columns["有效"] - 1
    assert all(grid[r - 1][valid_col] == python[maintenance.WORK][r]["有效"] for r in range(first, first + 30))


def test_a_shared_group_is_proven_by_its_master_and_kept_when_values_change(grown):
    first_recalc = recalc_file(grown, as_of=date(2026, 11, 20))
    before = work_sheet_xml(grown)
    again = recalc_file(grown, as_of=date(2026, 11, 20))
    assert again.unchanged                    # no child rewritten: the master proves them all
    # a record inside the group changes (typed through the patcher, which keeps the groups):
    # its cached 有效 / 无效原因 change, its formulas and the groups stay as they were
    from kefu_xl.io.xlsx import PatchBook
    layout = find_layout(openpyxl.load_workbook(grown, read_only=True)[maintenance.WORK],
                         maintenance.spec(C, NOV).sheet(maintenance.WORK))[0]
    f = first_recalc.result.figures
    row = next(r.row for r, v in zip(f.records, f.verdicts)
               if v.valid and r.row > layout.first_data_row + 1_001)        # a valid record, a child's row
    book = PatchBook(grown)
    book[maintenance.WORK].cell(row, layout.columns["沟通对象"]).value = "其他人员"
    book.save(grown.with_name("typed.xlsx"))
    book.close()
    grown.with_name("typed.xlsx").replace(grown)
    later = recalc_file(grown, as_of=date(2026, 11, 20))
    assert later.patched and later.written
    verdicts = {r.row: v for r, v in zip(later.result.figures.records, later.result.figures.verdicts)}
    assert not verdicts[row].valid
    after = work_sheet_xml(grown)
    assert SHARED.findall(after) == SHARED.findall(before)
    assert after.count(b'<f t="shared" si="') == before.count(b'<f t="shared" si="')
    grid = CalamineWorkbook.from_path(str(grown)).get_sheet_by_name(maintenance.WORK).to_python()
    assert grid[row - 1][layout.columns["有效"] - 1] == "否"       # the child's new cached value


def test_a_master_typed_over_is_put_back_and_its_group_is_spelled_out(grown):
    """Someone typed a value over a shared master (the file keeps its children, orphaned):
    the master's formula comes back and every child of the group is written out in full."""
    recalc_file(grown, as_of=date(2026, 11, 20))
    xml = work_sheet_xml(grown)
    m = next(SHARED.finditer(xml))
    letter, first, si = m[1].decode(), int(m[2]), m[5]
    cell = re.search(rb'<c r="%s%d"[^>]*>.*?</c>' % (letter.encode(), first), xml, re.S)
    typed = xml[:cell.start()] + b'<c r="%s%d" t="inlineStr"><is><t>x</t></is></c>' % (letter.encode(), first) \
        + xml[cell.end():]
    with zipfile.ZipFile(grown) as z:
        part = sheet_parts(z)[maintenance.WORK]
        items = [(i, typed if i.filename == part else z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(grown, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in items:
            z.writestr(info, data)
    outcome = recalc_file(grown, as_of=date(2026, 11, 20))
    assert outcome.patched and outcome.written
    after = work_sheet_xml(grown)
    assert b'si="%s"' % si not in after                       # no child left without its master
    ws = openpyxl.load_workbook(grown)[maintenance.WORK]
    wspec = maintenance.spec(C, NOV)
    layout, _ = find_layout(ws, wspec.sheet(maintenance.WORK))
    header = next(h for h, c in layout.columns.items() if get_column_letter(c) == letter)
    column = wspec.sheet(maintenance.WORK).column(header)
    layouts = {s.name: find_layout(ws.parent[s.name], s)[0] for s in wspec.sheets}
    template = RowFormula(column.formula, layouts, maintenance.WORK)
    for r in (first, first + 1, first + 29):
        assert ws[f"{letter}{r}"].value == template.for_row(r)


@pytest.mark.libreoffice
def test_rows_deleted_above_and_inside_a_group_keep_it_whole(grown, tmp_path):
    """Records removed (as collect removes a record deleted from a personal workbook): the
    rows below move up, a group's master is written again for its new place and range, its
    children follow it, and every reader still sees the template's formulas. A value typed
    over 有效 in row 10 (put back as a formula of its own) splits that column into a group
    above it and one below, so rows are deleted both inside a group and above one."""
    from openpyxl.utils import get_column_letter

    from kefu_xl.io.xlsx import PatchBook
    book = PatchBook(grown)
    valid = find_layout(book[maintenance.WORK], maintenance.spec(C, NOV).sheet(maintenance.WORK))[0].columns["有效"]
    letter = get_column_letter(valid).encode()
    book[maintenance.WORK].cell(10, valid).value = "是"
    book.save(grown.with_name("typed.xlsx"))
    book.close()
    grown.with_name("typed.xlsx").replace(grown)
    recalc_file(grown, as_of=date(2026, 11, 20))
    before = sorted((m[1], int(m[2]), int(m[4])) for m in SHARED.finditer(work_sheet_xml(grown)))
    assert [(a, b) for col, a, b in before if col == letter] == [(3, 9), (11, 2032)]
    book = PatchBook(grown)
    ws = book[maintenance.WORK]
    ws.delete_rows(1_010, 3)                        # three records inside the groups
    ws.delete_rows(5, 2)                            # two above the lower group of 有效
    book.save(grown.with_name("cut.xlsx"))
    book.close()
    grown.with_name("cut.xlsx").replace(grown)
    outcome = recalc_file(grown, as_of=date(2026, 11, 20))
    assert outcome.patched and outcome.written
    xml = work_sheet_xml(grown)
    after = sorted((m[1], int(m[2]), int(m[4])) for m in SHARED.finditer(xml))
    deleted = (5, 6, 1_010, 1_011, 1_012)
    assert after == [(letter, a - sum(d < a for d in deleted), b - sum(d <= b for d in deleted))
                     for letter, a, b in before]
    assert (letter, 9, 2027) in after               # the lower master moved up two rows
    assert xml.count(b'<f t="shared" si="') == sum(b - a for _, a, b in after)
    wb = openpyxl.load_workbook(grown)
    wspec = maintenance.spec(C, NOV)
    layouts = {s.name: find_layout(wb[s.name], s)[0] for s in wspec.sheets}
    ws = wb[maintenance.WORK]
    for c in (c for c in wspec.sheet(maintenance.WORK).columns if c.role is Role.DERIVED):
        template = RowFormula(c.formula, layouts, maintenance.WORK)
        col = layouts[maintenance.WORK].columns[c.header]
        first, last = next((a, b) for letter, a, b in reversed(after) if letter == get_column_letter(col).encode())
        for r in (5, first, first + 1, 1_009, last):
            assert ws.cell(r, col).value == template.for_row(r), (c.header, r)
    office = libreoffice_values(grown, tmp_path / "lo")
    assert assert_engines_agree(python_values(maintenance, outcome.result), office) > 1_000 * 7


@pytest.mark.libreoffice
def test_right_formulas_join_a_group_only_when_their_sheet_is_written_anyway(workspace, tmp_path):
    """A tracker with every formula spelled out (as another program, here openpyxl, saves it).
    A recalc that changes nothing in a sheet leaves it byte for byte; once a sheet is written
    anyway (a record typed), the formula cells that were already right are written again as
    one shared group per column — the accounts' and the buffer rows' too — so later reads parse
    one master per column. Every reader still sees the template's formula and Python's value
    in every cell."""
    path = open_november(workspace)
    openpyxl.load_workbook(path).save(path)          # every formula spelled out, no cached values:
    add_cached_values(path, as_of=date(2026, 11, 20))   # Python's patched in (nothing else written)

    def parts() -> dict[str, bytes]:
        with zipfile.ZipFile(path) as z:
            names = sheet_parts(z)
            return {name: z.read(names[name]) for name in (maintenance.ACCOUNTS, maintenance.WORK)}

    opened = parts()
    assert all(b't="shared"' not in xml for xml in opened.values())
    recalc_file(path, as_of=date(2026, 11, 20))
    assert parts() == opened                  # nothing to write there: nothing rewritten
    type_work_records(path, records(1))
    outcome = recalc_file(path, as_of=date(2026, 11, 20))
    assert outcome.written
    wspec = maintenance.spec(C, NOV)
    wb = openpyxl.load_workbook(path)
    layouts = {s.name: find_layout(wb[s.name], s)[0] for s in wspec.sheets}
    for name, xml in parts().items():
        sheet, layout = wspec.sheet(name), layouts[name]
        derived = [c for c in sheet.columns if c.role is Role.DERIVED]
        groups = {m[1].decode(): (int(m[2]), int(m[4])) for m in SHARED.finditer(xml)}
        assert set(groups) == {layout.letter(c.header) for c in derived}, name
        assert xml.count(b"</f>") == len(derived)          # only the masters spell a formula out
        assert len(xml) < len(opened[name]) * 0.6, name
        for c in derived:
            first, last = groups[layout.letter(c.header)]
            assert first == layout.first_data_row, (name, c.header)
            template = RowFormula(c.formula, layouts, name)
            for r in (first, first + 1, last):
                assert wb[name].cell(r, layout.columns[c.header]).value == template.for_row(r), (name, c.header, r)
    assert recalc_file(path, as_of=date(2026, 11, 20)).unchanged
    office = libreoffice_values(path, tmp_path / "lo")
    assert assert_engines_agree(python_values(maintenance, outcome.result), office) > 20


def test_the_fast_formula_finders_find_what_the_general_one_does(grown):
    """PatchSheet finds spelled-out formulas with a regex for the plain form, or back from each
    </f> when most are shared children; whenever either finds fewer than the sheet's </f>
    count, the general regex is used. Both equal the general regex on a real tracker, before
    and after its columns became shared groups; a writer's unusual cell is left to the general one."""
    from kefu_xl.io.xlsx.cells import _formulas_by_end
    from kefu_xl.io.xlsx.common import _FORMULA_CELL, _FORMULA_CELL_PLAIN

    def sheets():
        with zipfile.ZipFile(grown) as z:
            return [z.read(part) for part in sheet_parts(z).values()]
    checked = 0
    for _ in range(2):
        for xml in sheets():
            general = _FORMULA_CELL.findall(xml)
            assert _FORMULA_CELL_PLAIN.findall(xml) == general
            assert _formulas_by_end(xml) == general
            checked += len(general)
        recalc_file(grown, as_of=date(2026, 11, 20))
    assert checked > 7_000
    odd = b'<row r="1"><c s="1" r="A1"><f>1+1</f><v>2</v></c><c r="B1">\n<f>A1*2</f><v>4</v></c></row>'
    assert len(_FORMULA_CELL.findall(odd)) == 2 == odd.count(b"</f>")
    assert len(_formulas_by_end(odd)) < 2 and len(_FORMULA_CELL_PLAIN.findall(odd)) < 2


def test_new_cells_put_among_a_rows_own_are_what_taking_the_row_apart_gives(grown, tmp_path, monkeypatch):
    """A new record's row gets its formulas put among what was typed (客户名称 after 帐户ID, the
    rest after the last typed cell) without being cut into cells: the same bytes as cutting it
    into cells, adding the new ones and joining them in column order."""
    import shutil

    from kefu_xl.io.xlsx.write import WriteMixin
    office = grown.parent.parent
    other = Path(shutil.copytree(office, tmp_path / "taken_apart")) / grown.relative_to(office)
    used, among = [], WriteMixin._row_among

    def counted(self, i, span, *new):
        row = among(self, i, span, *new)
        if row is not None:
            used.append(i)
        return row
    monkeypatch.setattr(WriteMixin, "_row_among", counted)
    recalc_file(grown, as_of=date(2026, 11, 20), now=datetime(2026, 11, 20, 18, 0))
    assert len(used) > 20                                        # the records past the template's rows
    monkeypatch.setattr(WriteMixin, "_row_among", lambda self, *a: None)          # (the old way)
    recalc_file(other, as_of=date(2026, 11, 20), now=datetime(2026, 11, 20, 18, 0))
    with zipfile.ZipFile(grown) as a, zipfile.ZipFile(other) as b:
        sheets = [n for n in a.namelist() if n.startswith("xl/worksheets/")]
        assert sheets and [n for n in sheets if a.read(n) != b.read(n)] == []


def test_a_runs_cells_made_a_column_at_a_time_are_those_made_one_by_one():
    """_column_cells escapes a column of text at once and encodes it in one piece: the same
    bytes as each cell made on its own (_shown), for text with & < >, characters XML forbids,
    line breaks, blanks, numbers among text and Chinese."""
    from kefu_xl.io.xlsx.cells import _master_f, _shown
    from kefu_xl.io.xlsx.write import _column_cells

    def one_by_one(values, master, child):
        cells = []
        for r, v in enumerate(values, 5):
            t, shown = _shown(v)
            cells.append(f'<c r="P{r}" s="9"{t}>{master if r == 5 else child}{shown}</c>'.encode())
        return cells

    master, child = _master_f("P", 5, 9, 3, '=IF(C5="","",C5&"|"&E5)'), '<f t="shared" si="3"/>'
    columns = [["A1|电话拜访", "a & b", "<x>", None, ""],
               ["客服001", "line\nbreak", "bell\x07", "tab\there", "终"],
               ["是", 3, 2.5, None, "否"],
               [None] * 5]
    for values in columns:
        shows = dict(enumerate(values, 5))
        assert _column_cells("P", ' s="9"', 5, 9, master, child, shows) == one_by_one(values, master, child)


def test_new_rows_built_as_one_text_are_what_building_each_cell_gives(grown, tmp_path, monkeypatch):
    """The 问题 sheet's rows, written anew at each recalc (a fill on 级别, a height where 说明
    wraps), are built as one text per row: the same bytes as each cell built on its own."""
    import shutil

    from kefu_xl.io.xlsx.write import WriteMixin
    office = grown.parent.parent
    other = Path(shutil.copytree(office, tmp_path / "cell_by_cell")) / grown.relative_to(office)
    used, new_row = [], WriteMixin._new_row

    def counted(self, i, writes):
        row = new_row(self, i, writes)
        used.append((self.title, row))
        return row
    monkeypatch.setattr(WriteMixin, "_new_row", counted)
    recalc_file(grown, as_of=date(2026, 11, 20), now=datetime(2026, 11, 20, 18, 0))
    problem_rows = [row for title, row in used if title == "问题"]
    assert len(problem_rows) > 20 and any(b" ht=" in row for row in problem_rows)
    levels = {re.search(rb'<c r="D\d+"( s="\d+")?', row).group(1) for row in problem_rows}
    assert len(levels) > 1                                      # 级别 filled by its severity: a format of its own
    monkeypatch.setattr(WriteMixin, "_new_row", lambda self, *a: None)          # (cell by cell)
    recalc_file(other, as_of=date(2026, 11, 20), now=datetime(2026, 11, 20, 18, 0))
    with zipfile.ZipFile(grown) as a, zipfile.ZipFile(other) as b:
        parts = [n for n in a.namelist() if n.startswith("xl/")]
        assert parts and [n for n in parts if a.read(n) != b.read(n)] == []
