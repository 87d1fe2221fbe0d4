"""Settlement refuses what it cannot trust (issue 33): the checks before money moves — a
second sheet on a form, a merchant 领用 does not know, held orders missing from the CRM
export (解决后下月再结 across months), 订单台账 errors and unreturned books, a month re-run after
a later one — and statements a merchant and finance understand. Built on the scenario of
test_settle.py (make_office), with real workbooks and CSVs in tmp_path."""
import subprocess
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import snapshot, write_xlsx
from settle_office import (
    LINE_HEADERS,
    NOV,
    crm_row,
    make_office,
    write_crm,
    write_lines,
)

from kefu_xl.app.settle import settle_month
from kefu_xl.cli import cli
from kefu_xl.config import load_config
from kefu_xl.demo.typist import type_rows
from kefu_xl.errors import DataProblemsError
from kefu_xl.kinds import orders
from kefu_xl.month import Month

C = load_config()
DEC, JAN = Month(2026, 12), Month(2027, 1)


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def office(workspace):
    return make_office(workspace)


def refused(office, month="2026-11"):
    """Run settle through the CLI, assert it refused and changed nothing; its output."""
    before = snapshot(office)
    result = run("settle", month, "--dir", office)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "没有结算，也没有修改任何文件" in result.output, result.output
    assert snapshot(office) == before
    return result.output


def problems_of(office, month=NOV):
    with pytest.raises(DataProblemsError) as e:
        settle_month(office, month, dry_run=True)
    return e.value.problems


def codes(outcome) -> dict[str, str]:
    return {r.line.order_no: r.code for r in outcome.results}


def issue_rows(office) -> dict[str, int]:
    wb = openpyxl.load_workbook(office / orders.FILE_NAME)
    return {r[1].value: r[1].row for r in wb[orders.ISSUES].iter_rows(min_row=3) if r[1].value}


def set_issue(office, book, **values):
    """Type into the 领用 row of `book`, as a person would."""
    ledger = office / orders.FILE_NAME
    wb = openpyxl.load_workbook(ledger)
    ws = wb[orders.ISSUES]
    header = {c.value: c.column for c in ws[2]}
    row = issue_rows(office)[book]
    for h, v in values.items():
        ws.cell(row, header[h]).value = v
    wb.save(ledger)
    return row


# ------------------------------------------------------------------ forms

def add_sheet(path, title, rows):
    wb = openpyxl.load_workbook(path)
    ws = wb.create_sheet(title)
    for r in rows:
        ws.append(r)
    wb.save(path)


def test_lines_on_a_second_sheet_are_refused_with_file_sheet_and_row(office):
    form = office / "2026-11" / "inputs" / "结算流转单" / "A_王经理.xlsx"
    add_sheet(form, "第二页", [["索菲亚 11 月（续）"], LINE_HEADERS, ["好家居", "100020", "有", "有", 90000],
                             ["好家居", "100021", "有", "有", 51700]])
    out = refused(office)
    assert "A_王经理.xlsx 工作表「第二页」 第3行" in out and "kefu-xl 只读这个文件的" in out
    assert "也有 2 行申报（第 3–4 行）" in out and "移到「Sheet1」" in out


def test_a_notes_sheet_with_order_numbers_is_refused_and_one_without_is_passed_over(office):
    form = office / "2026-11" / "inputs" / "结算流转单" / "A_王经理.xlsx"
    add_sheet(form, "备注", [["本月补报"], ["订单", "金额"], [100021, 800]])
    out = refused(office)
    assert "工作表「备注」 第3行" in out and "订单号 100021（订单本 DB0001）" in out
    wb = openpyxl.load_workbook(form)
    wb["备注"].delete_rows(2, 2)
    wb.save(form)
    result = run("settle", "2026-11", "--dir", office, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "提示：A_王经理.xlsx 工作表「备注」：不是申报表（没有订单号），没有读取" in result.output


def test_a_cover_sheet_in_front_of_the_form_is_passed_over(office):
    path = office / "2026-11" / "inputs" / "结算流转单" / "C_李经理.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "填表说明"
    wb.active.append(["商家联、网友联填 有/无"])
    ws = wb.create_sheet("流转单")
    ws.append(LINE_HEADERS)
    ws.append(["好家居", "100013", "有", "有", 650])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    write_crm(office, "2026-11", [crm_row("100013", 650), crm_row("100001", 1000)])
    outcome = settle_month(office, NOV, dry_run=True)
    line = next(r for r in outcome.results if r.line.file == "C_李经理.xlsx")
    assert (line.line.sheet, line.line.row, line.code) == ("流转单", 2, "OK")


# ------------------------------------------------------------------ merchants

def test_a_merchant_unknown_to_the_ledger_is_refused_with_the_nearest_name(office):
    write_lines(office, "2026-11", "C_李经理.xlsx", [["好家", "100020", "有", "有", 100],
                                                    ["好家", "100021", "有", "有", 100],
                                                    ["好家", "100022", "有", "有", 100]])
    out = refused(office)
    assert "C_李经理.xlsx 工作表「Sheet1」 第3行 列「商家」" in out and "不在订单台账「领用」中" in out
    assert "商家「好家」不在订单台账「领用」中（3 行：第 3–5 行）" in out and "最接近的是「好家居」" in out


def test_nearest_names():
    from kefu_xl.app.settle_checks import nearest_names
    known = ["欧派橱柜", "索菲亚家居", "科勒卫浴", "美家居"]
    assert nearest_names("欧派", known) == ["欧派橱柜"]
    assert nearest_names("科勒 卫浴", known)[0] == "科勒卫浴"
    assert nearest_names("完全不同", known) == []


# ------------------------------------------------------------------ held orders, next month

def december(office, crm_rows, lines, callbacks=(), complaints=()):
    write_crm(office, "2026-12", crm_rows)
    write_lines(office, "2026-12", "A_王经理.xlsx", lines)
    write_xlsx(office / "2026-12" / "inputs" / "投诉.xlsx",
               [["投诉编号", "订单号", "商家", "投诉日期", "状态"], *complaints])
    write_xlsx(office / "2026-12" / "inputs" / "回访核实.xlsx",
               [["订单号", "核实结果", "核实金额", "核实日期"], *callbacks])


DEC_LINES = [["好家居", "100005", "有", "有", 500], ["好家居", "100008", "无", "无", 600],
             ["好家居", "100001", "有", "有", 1000], ["好家居", "100013", "有", "有", 650]]


def test_held_orders_resolved_are_settled_next_month_from_last_months_export(office):
    """解决后下月再结: December's CRM export lists December's orders only; November's held
    orders come back on December's form and are found in November's export."""
    november = settle_month(office, NOV)
    assert {o: c for o, c in codes(november).items() if o in ("100005", "100008")} == {
        "100005": "COMPLAINT_OPEN", "100008": "NEEDS_CALLBACK"}
    december(office, [crm_row("100013", 650)], DEC_LINES,
             callbacks=[["100008", "成交", 580, date(2026, 12, 3)]],
             complaints=[["TS1", "100005", "好家居", date(2026, 11, 3), "已解决"]])
    result = run("settle", "2026-12", "--dir", office)
    assert result.exit_code == 0, result.output
    assert "本月 CRM 导出中没有的 3 个申报订单取自 2026-11 的 CRM 导出" in result.output
    outcome = settle_month(office, DEC, dry_run=True)
    got = {r.line.order_no: (r.code, r.amount) for r in outcome.results}
    assert got == {"100005": ("OK", Decimal(500)), "100008": ("OK_CALLBACK", Decimal(580)),
                   "100001": ("ALREADY_SETTLED", Decimal(0)), "100013": ("OK", Decimal(650))}
    assert "2026-11 已结算" in next(r.reason for r in outcome.results if r.code == "ALREADY_SETTLED")


def test_held_orders_missing_from_every_export_name_the_export_needed(office):
    settle_month(office, NOV)
    december(office, [crm_row("100013", 650)], DEC_LINES)
    (office / "2026-11" / "inputs" / "CRM订单.csv").unlink()
    out = refused(office, "2026-12")
    for order, row in (("100005", 3), ("100008", 4)):
        assert f"A_王经理.xlsx 工作表「Sheet1」 第{row}行 列「订单号」" in out
        assert f"订单 {order} 在 2026-11 结算时暂缓" in out
    assert "本月的 CRM 导出" in out and "请把 2026-11 的 CRM 导出放回 2026-11/inputs/" in out
    # the one settled in November is a warning: it is not paid either way
    problems = problems_of(office, DEC)
    settled = [p for p in problems if p.code == "SETTLED_ORDER_NOT_IN_CRM"]
    assert [(p.row, p.severity.value) for p in settled] == [(5, "警告")] and "已在 2026-11 结算" in settled[0].message


# ------------------------------------------------------------------ rule 3: earlier months only

def test_rerunning_a_month_after_a_later_one_keeps_its_held_orders_held(office):
    """December holds 100020 (complaint) and 100021 (no callback); January settles both. Re-run
    December: they stay 暂缓 (rule 3 counts earlier months only); one that December could now
    pay is ALREADY_SETTLED (January paid it), never paid twice."""
    settle_month(office, NOV)
    dec_crm = [crm_row("100020", 900), crm_row("100021", 700)]
    dec_lines = [["好家居", "100020", "有", "有", 900], ["好家居", "100021", "无", "无", 700]]
    december(office, dec_crm, dec_lines, complaints=[["TS9", "100020", "好家居", date(2026, 12, 2), "处理中"]])
    first = settle_month(office, DEC)
    assert codes(first) == {"100020": "COMPLAINT_OPEN", "100021": "NEEDS_CALLBACK"}
    write_crm(office, "2027-01", [crm_row("100022", 400)])
    write_lines(office, "2027-01", "A_王经理.xlsx", [*dec_lines, ["好家居", "100022", "有", "有", 400]])
    write_xlsx(office / "2027-01" / "inputs" / "回访核实.xlsx",
               [["订单号", "核实结果", "核实金额", "核实日期"], ["100021", "成交", 700, date(2027, 1, 5)]])
    january = settle_month(office, JAN)
    assert codes(january) == {"100020": "OK", "100021": "OK_CALLBACK", "100022": "OK"}

    result = run("settle", "2026-12", "--dir", office)
    assert result.exit_code == 0, result.output
    assert "已有以后月份" in result.output and "2027-01" in result.output
    again = settle_month(office, DEC, dry_run=True)
    assert codes(again) == {"100020": "COMPLAINT_OPEN", "100021": "NEEDS_CALLBACK"}

    # December's callback result arrives late: December could now pay 100021, January did
    write_xlsx(office / "2026-12" / "inputs" / "回访核实.xlsx",
               [["订单号", "核实结果", "核实金额", "核实日期"], ["100021", "成交", 700, date(2026, 12, 20)]])
    outcome = settle_month(office, DEC, explain_order="100021")
    line = next(r for r in outcome.results if r.line.order_no == "100021")
    assert (line.result, line.code, line.amount) == ("不结算", "ALREADY_SETTLED", 0)
    assert "2027-01 已结算" in line.reason and line.path[-1][0].startswith("3 已结算登记")
    register = [r[0] for r in openpyxl.load_workbook(office / orders.FILE_NAME)[orders.SETTLED].iter_rows(
        min_row=3, values_only=True) if r[0]]
    assert register.count("100021") == 1 and register.count("100020") == 1


def test_rule_3_compares_months_not_text():
    from kefu_xl.records import BookIssue, CrmOrder, OrderBook, SubmittedLine
    from kefu_xl.rules import settle as rules
    ctx = rules.SettleContext("2026-12", {"100001": CrmOrder("100001", "甲", "", "", "", Decimal(5), "成交")},
                              [OrderBook("B1", 100001, 100050, 50)],
                              [BookIssue("场", "B1", "甲", "", None, None, None, None, None, None, None, 1)],
                              {"100001": "2026-9"}, {}, {})
    line = SubmittedLine("a.xlsx", 3, "甲", "100001", True, True, Decimal(5))
    assert rules.settle_lines([line], ctx)[0].code == "ALREADY_SETTLED"
    ctx.settled["100001"] = ""                       # in the register without a month: never paid again
    assert rules.settle_lines([line], ctx)[0].code == "ALREADY_SETTLED"
    ctx.settled["100001"] = "2026-12"                # this month's own row: a re-run replaces it
    assert rules.settle_lines([line], ctx)[0].code == "OK"


# ------------------------------------------------------------------ 订单台账

def test_counts_exceeding_a_book_of_a_merchant_being_settled_are_refused(office):
    row = set_issue(office, "DB0003", 已开=48, 未开=6, 作废=1)           # 55 of 50
    out = refused(office)
    assert f"订单台账.xlsx 工作表「领用」 第{row}行 列「已开」" in out and "超过本内张数" in out
    assert "罚款会按 0 计" in out and "好家居" in out
    assert "None" not in out and "RECOVERED_EXCEEDS_MISSING" not in out


def test_a_ledger_error_touching_no_merchant_being_settled_is_a_warning(office):
    set_issue(office, "DB0004", 已开=50, 未开=6, 作废=0)      # 新家居: now no fine, no lines this month
    result = run("settle", "2026-11", "--dir", office)
    assert result.exit_code == 0, result.output
    assert "超过本内张数" in result.output and "不影响本月结算的商家" in result.output


def test_a_book_issued_twice_is_refused(office):
    type_rows(office / orders.FILE_NAME, orders.spec(C).sheet(orders.ISSUES), [
        {"活动场次": "冬季家博会", "订单本号": "DB0001", "商家": "美家居", "领用日期": date(2026, 10, 20)}])
    out = refused(office)
    assert "两个商家都能申报这本的订单" in out
    assert "好家居" in out and "美家居" in out


def test_a_return_without_counts_is_refused_before_a_whole_book_is_fined(office):
    set_issue(office, "DB0001", 回收日期=date(2026, 10, 30))
    out = refused(office)
    assert "已开/未开/作废都没有填写" in out and "按整本罚款" in out


def test_unreturned_books_are_warned_about_and_listed_in_the_workbook(office):
    result = run("settle", "2026-11", "--dir", office)
    assert result.exit_code == 0, result.output
    assert "商家「好家居」有 1 本订单本未回收（DB0001" in result.output
    ws = openpyxl.load_workbook(office / "2026-11" / "结算_2026-11.xlsx")["异常"]
    rows = [r for r in ws.iter_rows(min_row=3, values_only=True) if r[2]]
    assert [r[2] for r in rows] == ["AMOUNT_MISMATCH", "BOOK_NOT_RETURNED", "BOOK_NOT_RETURNED"]
    assert "押金 200.00 元在回收前不退" in rows[1][3] and "第 3 行" in rows[1][3]


def test_a_recovered_count_with_counts_over_the_book_says_nothing_about_none():
    from kefu_xl.kinds.orders import check
    from kefu_xl.records import BookIssue, OrderBook
    from kefu_xl.rules import ledger
    books = [OrderBook("B1", 1, 50, 50, None, 3)]
    issue = BookIssue("场", "B1", "甲", "", date(2026, 10, 1), None, date(2026, 10, 30), 50, 2, 0, None, 3)
    figures = [ledger.issue_figures(issue, 50, Decimal(200), Decimal(100))]
    found = []
    check(books, [issue], figures, {"b1": 50}, "订单台账.xlsx", found)
    assert [p.code for p in found] == ["COUNTS_EXCEED_BOOK"] and "None" not in found[0].message


# ------------------------------------------------------------------ CSV

@pytest.mark.parametrize("body, needle", [
    ("100001,好家居,家具,场,王,138,1000,成交,2026-11-01\n100002,好家居,家具,场,王,138,1,000,成交,2026-11-01\n",
     "第 3 行有 10 列，表头只有 9 列"),
    ('100001,好家居,家具,场,"王,138,1000,成交,2026-11-01\n', "第 2 行有一个引号"),
])
def test_a_malformed_csv_gets_a_chinese_message(office, body, needle):
    (office / "2026-11" / "inputs" / "CRM订单.csv").write_text(
        "订单号,商家,类目,活动场次,网友姓名,手机,成交金额,订单状态,下单日期\n" + body, "utf-8")
    before = snapshot(office)
    result = run("settle", "2026-11", "--dir", office)
    assert result.exit_code == 1 and needle in result.output and "CRM订单.csv" in result.output, result.output
    assert "Error tokenizing" not in result.output and "Traceback" not in result.output
    assert snapshot(office) == before


# ------------------------------------------------------------------ statements

def statement_texts(office, merchant):
    ws = openpyxl.load_workbook(office / "2026-11" / "商家对帐单_2026-11" / f"{merchant}.xlsx").active
    return ws, [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]


def test_statements_speak_to_the_merchant(office):
    result = run("settle", "2026-11", "--dir", office, "--statements")
    assert result.exit_code == 0, result.output
    ws, texts = statement_texts(office, "好家居")
    joined = "\n".join(texts)
    # no internal file names, paths, sheet rows or codes
    for internal in (".xlsx", "A_王经理", "B_孙经理", "退订台账", "第 ", "NOT_", "OK", "CRM订单"):
        assert internal not in joined, internal
    rows = {r[0].value: [c.value for c in r] for r in ws.iter_rows(min_row=6) if str(r[0].value).isdigit()}
    # 100060 is in 美家居's book: 好家居's statement shows the claim, not 美家居's customer
    assert rows["100060"][1:3] == [None, None] and "不在贵司领用的订单本中" in rows["100060"][4]
    assert rows["100999"][1:3] == [None, None]
    assert rows["100002"][1:3] == ["王先生", "138****5678"]
    # the claimed amount differs: explained, with both amounts
    assert "申报 1,300.00 元，订单系统成交金额 1,200.00 元，相差 100.00 元" in rows["100011"][4]
    assert "申报 800.00 元，核实金额 750.00 元" in rows["100006"][4]
    assert "投诉编号 TS1" in rows["100005"][4] and "下月再结" in rows["100005"][4]
    assert "已在 2026-10 结算过" in rows["100012"][4]
    # totals: held and not settled amounts, the fine with the deposit kept, the book still out
    totals = {r[0].value: r[6].value for r in ws.iter_rows() if r[0].value and r[6].value is not None}
    assert totals["暂缓 2 单：下月再结，申报金额合计"] == 1100            # 100005 500 + 100008 600
    assert totals["罚款扣除（未追回的缺失订单）"] == 300 and totals["应结金额"] == 4650
    assert any("订单本 DB0003" in t and "罚款 300.00 元" in t and "押金 200.00 元 不退" in t for t in texts)
    assert any("未交回的订单本 1 本（DB0001）" in t for t in texts)
    # 美家居 claimed 好家居's 100001: its statement names none of 好家居's customers
    ws, texts = statement_texts(office, "美家居")
    assert "王先生" not in texts[texts.index("100001"):texts.index("100001") + 4]


def test_a_merchant_who_only_owes_a_fine_gets_a_statement_that_says_so(office):
    run("settle", "2026-11", "--dir", office, "--statements")
    ws, texts = statement_texts(office, "新家居")
    assert "本月没有申报。" in texts
    assert any("应结金额为负数" in t for t in texts)
    assert any("订单本 DB0004" in t and "缺失 2 张" in t for t in texts)


@pytest.mark.libreoffice
def test_the_printed_statement_shows_every_reason_whole(office, tmp_path):
    """Rendered to PDF by LibreOffice: every reason of the statement is in the text of the
    page, whole (wrapped over lines, not cut at the column's edge)."""
    from kefu_xl.app.settle import settle_month
    from kefu_xl.app.statements import (
        merchant_reason,
        statements_to_pdf,
        write_statements,
    )
    outcome = settle_month(office, NOV, dry_run=True)
    files = write_statements(outcome, tmp_path / "st")
    pdfs = statements_to_pdf([p for p in files if p.stem == "好家居"], tmp_path / "st")
    assert pdfs
    text = subprocess.run(["pdftotext", "-layout", str(pdfs[0]), "-"], capture_output=True, text=True).stdout
    flat = "".join(text.split())
    reasons = [merchant_reason(r, outcome.inputs.context) for r in outcome.results if r.line.merchant == "好家居"]
    assert len(reasons) == 15
    for reason in reasons:
        # a wrapped reason's later lines come after the amounts of its first line: every
        # character must be there, in order, within a short stretch after its start
        wanted = "".join(reason.split())
        starts = [i for i in range(len(flat)) if flat.startswith(wanted[:8], i)]
        assert any(is_subsequence(wanted, flat[i:i + len(wanted) + 40]) for i in starts), reason


def is_subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)
