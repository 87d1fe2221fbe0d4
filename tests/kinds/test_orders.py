"""订单台账: the book register (continuity, exclusivity), issue/return figures, merchant
totals, add-books, and LibreOffice agreement."""
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from click.testing import CliRunner
from helpers import same

from kefu_xl.app.workbooks import recalc_file
from kefu_xl.cli import cli
from kefu_xl.config import load_config
from kefu_xl.demo.typist import type_rows
from kefu_xl.io.libreoffice import recalculate
from kefu_xl.kinds import orders
from kefu_xl.records import BookIssue, OrderBook
from kefu_xl.rules import ledger
from kefu_xl.sheets.layout import find_layout

C = load_config()
SPEC = orders.spec(C)


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def book(book_id, start, end, count=None, row=None):
    return OrderBook(book_id, start, end, end - start + 1 if count is None else count, None, row)


def test_register_findings_name_the_books():
    books = [book("B1", 1, 50, row=3), book("B2", 51, 100, row=4), book("B3", 90, 140, row=5),
             book("B4", 151, 200, row=6), book("B5", 201, 250, count=49, row=7), book("B2", 251, 300, row=8)]
    found = {(code, tuple(b.book_id for b in involved)) for code, involved, _ in ledger.register_findings(books)}
    assert found == {("BOOK_OVERLAP", ("B2", "B3")), ("BOOK_GAP", ("B3", "B4")),
                     ("BOOK_SIZE_MISMATCH", ("B5",)), ("DUPLICATE_BOOK", ("B2", "B2"))}
    gap = next(m for c, _, m in ledger.register_findings(books) if c == "BOOK_GAP")
    assert "141–150" in gap


def issue(returned=date(2026, 11, 20), opened=40, unopened=5, voided=1, recovered=None, deposit=None):
    return BookIssue("秋季家博会", "B1", "好家居", "王经理", date(2026, 11, 1), deposit, returned,
                     opened, unopened, voided, recovered, 3)


@pytest.mark.parametrize("kw, expected", [
    ({"returned": None}, (None, None, None, None, "未回收")),
    ({}, (4, 4, Decimal(400), Decimal(0), "有缺失")),
    ({"recovered": 4}, (4, 0, Decimal(0), Decimal(200), "已回收")),
    ({"recovered": 3, "deposit": Decimal(300)}, (4, 1, Decimal(100), Decimal(0), "有缺失")),
    ({"opened": 44, "recovered": None, "deposit": Decimal(300)}, (0, 0, Decimal(0), Decimal(300), "已回收")),
])
def test_issue_figures(kw, expected):
    f = ledger.issue_figures(issue(**kw), 50, C.deposit, C.fine_per_missing)
    assert (f.missing, f.unrecovered, f.fine, f.deposit_back, f.status) == expected


def test_book_issued_again_before_return():
    first = BookIssue("场1", "B1", "甲", "", date(2026, 11, 1), None, None, None, None, None, None, 3)
    again = BookIssue("场1", "B1", "乙", "", date(2026, 11, 5), None, None, None, None, None, None, 4)
    returned = BookIssue("场2", "B2", "甲", "", date(2026, 11, 1), None, date(2026, 11, 3), 50, 0, 0, None, 5)
    later = BookIssue("场2", "B2", "丙", "", date(2026, 11, 4), None, None, None, None, None, None, 6)
    assert [(a.row, b.row) for a, b in ledger.open_issues_twice([first, again, returned, later])] == [(3, 4)]


@pytest.fixture
def ledger_file(workspace):
    result = run("orders", "add-books", "--dir", workspace, "--start", 100001, "--books", 6, "--size", 50,
                 "--date", "2026-10-20")
    assert result.exit_code == 0, result.output
    path = workspace / orders.FILE_NAME
    type_rows(path, SPEC.sheet(orders.ISSUES), [
        {"活动场次": "秋季家博会", "订单本号": "DB0001", "商家": "好家居", "领用日期": date(2026, 11, 1),
         "回收日期": date(2026, 11, 20), "已开": 40, "未开": 5, "作废": 1},                      # 4 missing
        {"活动场次": "秋季家博会", "订单本号": "DB0002", "商家": "好家居", "领用日期": date(2026, 11, 1), "押金": 300,
         "回收日期": date(2026, 11, 20), "已开": 30, "未开": 17, "作废": 1, "追回": 2},           # 2 missing, both back
        {"活动场次": "秋季家博会", "订单本号": "DB0003", "商家": "美家居", "领用日期": date(2026, 11, 2)},  # not returned
        {"活动场次": "冬季家博会", "订单本号": "DB0004", "商家": "好家居", "领用日期": date(2026, 11, 3),
         "回收日期": date(2026, 11, 25), "已开": 50, "未开": 0, "作废": 0},
        {"活动场次": "冬季家博会", "订单本号": "DB0003", "商家": "新家居", "领用日期": date(2026, 11, 4)},  # issued twice
        {"活动场次": "冬季家博会", "订单本号": "DB0099", "商家": "新家居", "领用日期": date(2026, 11, 4)},  # unknown book
        {"活动场次": "冬季家博会", "订单本号": "DB0005", "商家": "美家居", "领用日期": date(2026, 11, 4),
         "回收日期": date(2026, 11, 25), "已开": 45, "未开": 4, "作废": 0, "追回": 3},           # recovered > missing
    ])
    return path


def test_add_books_continues_numbers_and_refuses_gaps(ledger_file, workspace):
    result = run("orders", "add-books", "--dir", workspace, "--books", 2, "--size", 25)
    assert result.exit_code == 0 and "DB0007（100301 起）" in result.output and "止于 100350" in result.output
    before = ledger_file.read_bytes()
    result = run("orders", "add-books", "--dir", workspace, "--books", 1, "--size", 25, "--start", 100400)
    assert result.exit_code == 1 and "应从 100351 号开始" in result.output and "缺号" in result.output
    result = run("orders", "add-books", "--dir", workspace, "--books", 1, "--size", 25, "--start", 100001)
    assert result.exit_code == 1 and "重叠" in result.output
    assert ledger_file.read_bytes() == before


def test_recalc_lists_problems_and_totals(ledger_file):
    outcome = recalc_file(ledger_file, as_of=date(2026, 11, 26))
    codes = {(p.row, p.code) for p in outcome.result.problems}
    assert {(7, "BOOK_ISSUED_TWICE"), (8, "BOOK_NOT_IN_REGISTER"), (9, "RECOVERED_EXCEEDS_MISSING")} <= codes
    totals = outcome.result.figures.totals
    assert totals[("秋季家博会", "好家居")] == {"领用本数": 2, "押金合计": Decimal(500), "已开": 70, "缺失": 6,
                                          "罚款": Decimal(400), "退押金": Decimal(300)}
    wb = openpyxl.load_workbook(ledger_file)
    ws = wb[orders.MERCHANTS]
    assert [c.value for c in ws[2]] == ["活动场次", "商家", "领用本数", "押金合计", "已开", "缺失", "罚款", "退押金"]
    assert ws.max_row == 2 + len(totals)


def test_register_breaks_are_problems(ledger_file):
    wb = openpyxl.load_workbook(ledger_file)
    ws = wb[orders.REGISTER]
    ws["B6"] = 100140          # DB0004 now overlaps DB0003
    ws["D7"] = 49              # DB0005's 张数 no longer matches its range
    wb.save(ledger_file)
    outcome = recalc_file(ledger_file, as_of=date(2026, 11, 26))
    messages = [p.message for p in outcome.result.problems if p.sheet == orders.REGISTER]
    assert any("DB0003" in m and "DB0004" in m and "重叠" in m for m in messages)
    assert any("DB0005" in m and "49" in m for m in messages)


@pytest.mark.libreoffice
def test_ledger_formulas_equal_python(ledger_file, tmp_path):
    outcome = recalc_file(ledger_file, as_of=date(2026, 11, 26))
    python = orders.python_values(outcome.result)
    wb = openpyxl.load_workbook(recalculate(ledger_file, tmp_path / "lo"), data_only=True)
    compared = 0
    for name in (orders.ISSUES, orders.MERCHANTS):
        ws = wb[name]
        layout, _ = find_layout(ws, SPEC.sheet(name))
        for r, row in enumerate(ws.iter_rows(min_row=layout.first_data_row, values_only=True), layout.first_data_row):
            values = {h: row[c - 1] for h, c in layout.columns.items()}
            key = r if name == orders.ISSUES else (values["活动场次"], values["商家"])
            for header, expected in python[name].get(key, {}).items():
                compared += 1
                assert same(expected, values[header]), (name, key, header, expected, values[header])
    assert compared == 7 * 7 + 5 * 6       # 7 领用 rows (with the hidden 张数, 押金额); 5 (场次, 商家) pairs


def test_book_dropdown_comes_from_the_register(workspace):
    wb = openpyxl.load_workbook(workspace / orders.FILE_NAME)
    lists = [dv.formula1 for dv in wb[orders.ISSUES].data_validations.dataValidation if dv.type == "list"]
    assert any(f.startswith("'空白订单'!$A$3:$A$") for f in lists)
    assert wb["_meta"].sheet_state == "hidden"
    assert {"空白订单", "领用", "商家汇总", "已结算", "问题", "说明"} <= set(wb.sheetnames)
