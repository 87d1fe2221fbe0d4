"""Printed, every sheet fits (DOMAIN §21): LibreOffice turns a month's maintenance tracker, its
spend watch and the statement into PDF, and the pages say that each sheet prints one A4
landscape page wide, that no page holds only the empty formula rows kept below the data, that
问题 prints each code beside its whole 说明, and that each chart of the statement sits whole
on a page of its own."""
from __future__ import annotations

import re
import subprocess
from datetime import date

import openpyxl
import pytest
from conftest import write_xlsx
from helpers import WORK, d, open_november
from openpyxl.utils import get_column_letter

from kefu_xl.app import spend_watch
from kefu_xl.app.report import write_report
from kefu_xl.app.workbooks import recalc_file
from kefu_xl.demo.typist import type_work_records
from kefu_xl.io.libreoffice import convert_all
from kefu_xl.kinds import watch


def squash(text) -> str:
    return re.sub(r"\s+", "", str(text or ""))


def pdf_pages(pdf) -> list[str]:
    """Each page's text, in the order the content was drawn (a wrapped cell's lines together)."""
    text = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = text.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def page_sizes(pdf) -> list[tuple[float, float]]:
    n = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                                                        check=True).stdout)[1])
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", str(n), str(pdf)], capture_output=True, text=True).stdout
    return [(float(w), float(h)) for w, h in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info)]


def visible_sheets(xlsx) -> list[tuple[str, str, list[str]]]:
    """(name, title in A1, visible header texts of row 2) of each sheet that prints."""
    wb = openpyxl.load_workbook(xlsx)
    out = []
    for ws in wb.worksheets:
        if ws.sheet_state != "visible":
            continue
        hidden = {letter for letter, dim in ws.column_dimensions.items() if dim.hidden}
        header = [squash(c.value) for i, c in enumerate(ws[2], 1)
                  if c.value not in (None, "") and get_column_letter(i) not in hidden]
        out.append((ws.title, squash(ws.cell(1, 1).value), header))
    return out


def sheet_pages(xlsx, pdf) -> dict[str, list[str]]:
    """{sheet: its pages' text}: sheets print in order, each beginning with its title."""
    sheets = visible_sheets(xlsx)
    out: dict[str, list[str]] = {}
    at = -1
    for text in pdf_pages(pdf):
        flat = squash(text)
        at = next((j for j in range(at + 1, len(sheets)) if sheets[j][1] and sheets[j][1][:20] in flat), at)
        assert at >= 0, f"{pdf.name}: a page before any sheet's title"
        out.setdefault(sheets[at][0], []).append(flat)
    return out


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    """A November with records, a watched day and the statement, printed to PDF."""
    from conftest import ROSTER

    from kefu_xl.app.workspace import init_workspace
    workspace = tmp_path_factory.mktemp("print") / "office"
    init_workspace(workspace, staff=ROSTER)
    tracker = open_november(workspace)
    type_work_records(tracker, WORK)
    recalc_file(tracker, as_of=d(30))
    for day in (d(2), d(3), d(4), d(6), d(9), d(10), d(11)):
        write_xlsx(workspace / "2026-11" / "inputs" / "消耗" / f"{day.isoformat()}.xlsx",
                   [["帐户ID", "消耗", "余额"], ["C1", 800, 10000], ["C2", 200, 900], ["C4", 200, 5000]])
    write_xlsx(workspace / "2026-11" / "inputs" / "消耗" / "2026-11-12.xlsx",
               [["帐户ID", "消耗", "余额"], ["C1", 0, 10000], ["C2", 260, 900], ["C4", 700, 5000]])
    watched = spend_watch.watch_day(workspace, d(12)).path
    made = write_report(workspace, "2026-11")
    statement, data = made.path, made.data
    books = [tracker, watched, statement]
    pdfs = convert_all(books, tmp_path_factory.mktemp("pdf"), "pdf")
    return {book.stem: (book, pdf) for book, pdf in zip(books, pdfs)}, data, workspace


@pytest.mark.libreoffice
def test_every_page_is_a4_landscape_one_sheet_wide(printed):
    books, _, _ = printed
    for book, pdf in books.values():
        sizes = [(round(w), round(h)) for w, h in page_sizes(pdf)]
        portrait = len(sheet_pages(book, pdf).get("考核", []))      # the scorecard: one A4 portrait page a person
        assert sizes.count((842, 595)) == len(sizes) - portrait and sizes.count((595, 842)) == portrait, pdf.name
        headers = {name: header for name, _, header in visible_sheets(book)}
        for sheet, pages in sheet_pages(book, pdf).items():
            if sheet == "图表" or len(headers[sheet]) < 2:      # charts, and sheets without a header row
                continue
            first, last = headers[sheet][0], headers[sheet][-1]
            for n, text in enumerate(pages, 1):        # the header row repeats on every page, whole
                assert first in text and last in text, (pdf.name, sheet, n, first, last)


@pytest.mark.libreoffice
def test_no_page_of_empty_formula_rows(printed):
    books, _, _ = printed
    tracker, tracker_pdf = books["维护跟踪_2026-11"]
    pages = sheet_pages(tracker, tracker_pdf)
    # 帐户 has 5 accounts and 50 formula rows below, 工作记录 20 records and 1,000, 抽查 none
    assert {s: len(pages[s]) for s in ("帐户", "工作记录", "抽查", "客服汇总")} == \
        {"帐户": 1, "工作记录": 1, "抽查": 1, "客服汇总": 1}
    assert "C5" in pages["帐户"][0] and "孙某" in pages["工作记录"][0]
    watched, watched_pdf = books["消耗监控_2026-11"]
    anomalies = sheet_pages(watched, watched_pdf)[watch.ANOMALIES]
    assert len(anomalies) == 1 and "C1" in anomalies[0]          # 100 formula rows below it do not print
    wb = openpyxl.load_workbook(tracker)
    last = get_column_letter(wb["工作记录"].max_column)              # every column, hidden helpers included
    assert wb["工作记录"].print_area == f"'工作记录'!$A$1:${last}$22"   # title, header, 20 records


@pytest.mark.libreoffice
def test_problems_print_with_their_whole_explanation(printed):
    books, _, _ = printed
    tracker, pdf = books["维护跟踪_2026-11"]
    pages = sheet_pages(tracker, pdf)["问题"]
    rows = list(openpyxl.load_workbook(tracker)["问题"].iter_rows(min_row=3, values_only=True))
    assert len(rows) > 5 and any(len(r[4]) > 40 for r in rows)         # some wrap onto a second line
    for sheet, row, column, level, message in rows:
        assert any(level in text and squash(message) in text for text in pages), (level, message)


@pytest.mark.libreoffice
def test_each_chart_is_whole_on_a_page_of_its_own(printed):
    books, data, _ = printed
    statement, pdf = books[next(k for k in books if k.startswith("绩效提成"))]
    pages = sheet_pages(statement, pdf)["图表"]
    charts = {"维护完成率（含100%线）": data.staff[-1], "当月续费率": data.staff[-1],
              "团队维护完成率（近六个月）": "2026-11"}
    at = {}
    for title, last_label in charts.items():
        holding = [n for n, text in enumerate(pages) if title in text]
        assert len(holding) == 1, (title, holding)                       # its title is whole on one page
        assert last_label in pages[holding[0]], title                     # and so is its axis
        at[title] = holding[0]
    assert sorted(at.values()) == list(range(len(charts))) == list(range(len(pages)))


@pytest.mark.libreoffice
def test_a_recalc_keeps_the_print_area_on_the_data(printed, tmp_path):
    """Records typed later are printed after the next recalc; a person's own print area stays."""
    books, _, workspace = printed
    tracker, _ = books["维护跟踪_2026-11"]
    copy = tmp_path / tracker.name
    copy.write_bytes(tracker.read_bytes())
    type_work_records(copy, [{"日期": d(23), "客服": "王芳", "帐户ID": "C5", "工作类型": "电话拜访", "满意度": "满意",
                              "沟通对象": "决策人"}])
    recalc_file(copy, as_of=date(2026, 11, 30))
    ws = openpyxl.load_workbook(copy)["工作记录"]
    assert ws.print_area == f"'工作记录'!$A$1:${get_column_letter(ws.max_column)}$23"


WORKBOOK = ('<workbook><sheets><sheet name="帐户" sheetId="1"/><sheet name="工作记录" sheetId="2"/>'
            '<sheet name="O\'Neil &amp; 客服" sheetId="3"/></sheets>{names}<calcPr/></workbook>')


def test_print_areas_follow_the_data_and_leave_a_persons_own():
    from kefu_xl.io.xlsx.features import _print_areas
    names = ('<definedNames><definedName name="_xlnm.Print_Area" localSheetId="0">\'帐户\'!$A$1:$X$302</definedName>'
             '<definedName name="_xlnm.Print_Area" localSheetId="1">工作记录!$C$3:$F$40</definedName></definedNames>')
    before = WORKBOOK.format(names=names).encode()
    after = _print_areas(before, {0: ("帐户", "A1:X310"), 1: ("工作记录", "A1:Q99"), 2: ("O'Neil & 客服", "A1:C4")})
    assert after.decode() == WORKBOOK.format(names=(
        '<definedNames><definedName name="_xlnm.Print_Area" localSheetId="0">\'帐户\'!$A$1:$X$310</definedName>'
        '<definedName name="_xlnm.Print_Area" localSheetId="1">工作记录!$C$3:$F$40</definedName>'
        '<definedName name="_xlnm.Print_Area" localSheetId="2">\'O\'\'Neil &amp; 客服\'!$A$1:$C$4</definedName>'
        '</definedNames>'))
    assert _print_areas(after, {0: ("帐户", "A1:X310")}) == after              # nothing to change: same bytes
    bare = WORKBOOK.format(names="").encode()
    assert _print_areas(bare, {1: ("工作记录", "A1:Q22")}).decode() == WORKBOOK.format(names=(
        '<definedNames><definedName name="_xlnm.Print_Area" localSheetId="1">\'工作记录\'!$A$1:$Q$22</definedName>'
        '</definedNames>'))
