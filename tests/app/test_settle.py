"""kefu-xl settle: every reason code by hand, deductions, idempotency, three months,
bad inputs, --explain / --dry-run, the lock, and LibreOffice agreement of 汇总."""
import os
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import snapshot, write_xlsx
from helpers import same
from settle_office import (
    CRM_HEADERS,
    DEC,
    NOV,
    crm_row,
    make_office,
    write_crm,
    write_lines,
)

from kefu_xl.app.settle import LOCK_NAME, settle_month
from kefu_xl.cli import cli
from kefu_xl.io.libreoffice import recalculate
from kefu_xl.kinds import orders
from kefu_xl.month import Month


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def office(workspace):
    return make_office(workspace)


EXPECTED = {
    ("A_王经理.xlsx", 3): ("结算", "OK", 1000), ("A_王经理.xlsx", 4): ("结算", "OK", 2000),
    ("A_王经理.xlsx", 5): ("不结算", "REFUNDED", 0), ("A_王经理.xlsx", 6): ("不结算", "REFUND_PENDING", 0),
    ("A_王经理.xlsx", 7): ("暂缓", "COMPLAINT_OPEN", 0), ("A_王经理.xlsx", 8): ("结算", "OK_CALLBACK", 750),
    ("A_王经理.xlsx", 9): ("不结算", "CALLBACK_NO_DEAL", 0), ("A_王经理.xlsx", 10): ("暂缓", "NEEDS_CALLBACK", 0),
    ("A_王经理.xlsx", 11): ("不结算", "REFUNDED", 0), ("A_王经理.xlsx", 12): ("不结算", "REFUND_PENDING", 0),
    ("A_王经理.xlsx", 13): ("结算", "OK", 1200), ("A_王经理.xlsx", 14): ("不结算", "NOT_IN_CRM", 0),
    ("A_王经理.xlsx", 15): ("不结算", "NOT_ISSUED_TO_MERCHANT", 0), ("A_王经理.xlsx", 16): ("不结算", "ALREADY_SETTLED", 0),
    ("B_孙经理.xlsx", 3): ("结算", "OK", 700), ("B_孙经理.xlsx", 4): ("不结算", "DUPLICATE", 0),
    ("B_孙经理.xlsx", 5): ("不结算", "NOT_ISSUED_TO_MERCHANT", 0),
}


def test_every_reason_code_by_hand(office):
    outcome = settle_month(office, NOV)
    got = {(r.line.file, r.line.row): (r.result, r.code, r.amount) for r in outcome.results}
    assert got == {k: (a, b, Decimal(c)) for k, (a, b, c) in EXPECTED.items()}
    assert [(r.line.order_no) for r in outcome.mismatches] == ["100011"]
    assert [r.line.order_no for r in outcome.callbacks] == ["100008"]
    s = outcome.summary
    assert s["好家居"] == {"申报单数": 15, "结算单数": 4, "结算金额": Decimal(4950), "暂缓单数": 2, "不结算单数": 9,
                        "罚款扣除": Decimal(300), "应结金额": Decimal(4650)}
    assert s["美家居"]["应结金额"] == Decimal(700) and s["美家居"]["不结算单数"] == 1
    assert s["新家居"] == {"申报单数": 0, "结算单数": 0, "结算金额": 0, "暂缓单数": 0, "不结算单数": 0,
                        "罚款扣除": Decimal(200), "应结金额": Decimal(-200)}
    # every line has exactly one result; money is conserved by bucket
    assert len(outcome.results) == 17
    wb = openpyxl.load_workbook(office / "2026-11" / "结算_2026-11.xlsx")
    assert wb.sheetnames[:5] == ["汇总", "明细", "待回访", "异常", "说明"]
    assert [c.value for c in wb["汇总"][2]] == ["商家", "申报单数", "结算单数", "结算金额", "暂缓单数", "不结算单数", "罚款扣除", "应结金额"]
    assert [c.value for c in wb["明细"][2]][:7] == ["订单号", "商家", "结果", "原因代码", "原因", "申报金额", "结算金额"]
    assert wb["待回访"]["D3"].value == "13812345678"
    ledger = openpyxl.load_workbook(office / orders.FILE_NAME)
    register = [r for r in ledger[orders.SETTLED].iter_rows(min_row=3, values_only=True) if r[0]]
    assert sorted(r[0] for r in register if r[2] == "2026-11") == ["100001", "100002", "100006", "100011", "100052"]
    marks = {r[1]: r[18] for r in ledger[orders.ISSUES].iter_rows(min_row=3, values_only=True) if r[1]}
    assert marks == {"DB0001": None, "DB0002": None, "DB0003": "2026-11", "DB0004": "2026-11"}


def test_running_twice_is_identical_and_a_late_callback_is_picked_up(office):
    settle_month(office, NOV)
    out = office / "2026-11" / "结算_2026-11.xlsx"
    first = [r for r in openpyxl.load_workbook(out)["明细"].iter_rows(values_only=True)]
    register = list(openpyxl.load_workbook(office / orders.FILE_NAME)[orders.SETTLED].iter_rows(values_only=True))
    settle_month(office, NOV)
    assert [r for r in openpyxl.load_workbook(out)["明细"].iter_rows(values_only=True)] == first
    assert list(openpyxl.load_workbook(office / orders.FILE_NAME)[orders.SETTLED].iter_rows(values_only=True)) == register
    # the callback for 100008 arrives after the first run
    write_xlsx(office / "2026-11" / "inputs" / "回访核实.xlsx", [
        ["订单号", "核实结果", "核实金额", "核实日期"], ["100006", "成交", 750, date(2026, 11, 8)],
        ["100007", "未成交", None, date(2026, 11, 8)], ["100008", "成交", 580, date(2026, 11, 12)]])
    outcome = settle_month(office, NOV)
    assert next(r for r in outcome.results if r.line.order_no == "100008").code == "OK_CALLBACK"
    rows = [r for r in openpyxl.load_workbook(office / orders.FILE_NAME)[orders.SETTLED].iter_rows(min_row=3, values_only=True)
            if r[0] and r[2] == "2026-11"]
    assert len(rows) == 6 and len({r[0] for r in rows}) == 6
    assert outcome.summary["好家居"]["罚款扣除"] == 300          # re-run deducts the same fines, once


def test_without_fork_the_files_are_written_one_after_the_other_with_the_same_result(office, monkeypatch):
    """Windows and macOS have no (safe) fork: the settlement workbook is then written first,
    in the same process. The files must be the same as with the second process."""
    import kefu_xl.io.parallel
    out = office / "2026-11" / "结算_2026-11.xlsx"

    def contents():
        return ([list(ws.iter_rows(values_only=True)) for ws in openpyxl.load_workbook(out) if ws.title != "_meta"],
                list(openpyxl.load_workbook(office / orders.FILE_NAME)[orders.SETTLED].iter_rows(values_only=True)))
    settle_month(office, NOV)
    forked = contents()
    monkeypatch.setattr(kefu_xl.io.parallel, "can_fork", lambda: False)
    settle_month(office, NOV)
    assert contents() == forked


def test_three_months_already_settled_complaint_callback_and_fines_once(office):
    # October: 100013 settled for real (not just a register row)
    write_crm(office, "2026-10", [crm_row("100013", 650)])
    write_lines(office, "2026-10", "A_王经理.xlsx", [["好家居", "100013", "有", "有", 650]])
    october = settle_month(office, Month(2026, 10))
    assert [r.code for r in october.results] == ["OK"]
    assert october.summary["好家居"]["罚款扣除"] == 300 and october.summary["新家居"]["罚款扣除"] == 200
    # November: the fines were deducted in October, so not again
    november = settle_month(office, NOV)
    assert november.summary["好家居"]["罚款扣除"] == 0 and "新家居" not in november.summary
    # December: 100013 again -> ALREADY_SETTLED (October); the November complaint is resolved
    write_crm(office, "2026-12", [crm_row("100005", 500), crm_row("100013", 650)])
    write_lines(office, "2026-12", "A_王经理.xlsx", [["好家居", "100005", "有", "有", 500],
                                                    ["好家居", "100013", "有", "有", 650]])
    write_xlsx(office / "2026-12" / "inputs" / "投诉.xlsx", [
        ["投诉编号", "订单号", "商家", "投诉日期", "状态"], ["TS1", "100005", "好家居", date(2026, 11, 3), "已解决"]])
    december = settle_month(office, DEC)
    assert {r.line.order_no: r.code for r in december.results} == {"100005": "OK", "100013": "ALREADY_SETTLED"}
    assert "2026-10" in next(r.reason for r in december.results if r.code == "ALREADY_SETTLED")


def test_next_month_complaint_resolved_and_fines_not_deducted_twice(office):
    settle_month(office, NOV)
    write_crm(office, "2026-12", [crm_row("100005", 500), crm_row("100001", 1000), crm_row("100013", 650)])
    write_lines(office, "2026-12", "A_王经理.xlsx", [
        ["好家居", "100005", "有", "有", 500], ["好家居", "100001", "有", "有", 1000], ["好家居", "100013", "有", "有", 650]])
    write_xlsx(office / "2026-12" / "inputs" / "投诉.xlsx", [
        ["投诉编号", "订单号", "商家", "投诉日期", "状态"], ["TS1", "100005", "好家居", date(2026, 11, 3), "已解决"]])
    outcome = settle_month(office, DEC)
    codes = {r.line.order_no: r.code for r in outcome.results}
    assert codes == {"100005": "OK", "100001": "ALREADY_SETTLED", "100013": "OK"}
    assert outcome.summary["好家居"]["罚款扣除"] == 0 and "新家居" not in outcome.summary


def test_dry_run_and_explain_write_nothing(office):
    before = snapshot(office)
    result = run("settle", "2026-11", "--dir", office, "--dry-run")
    assert result.exit_code == 0, result.output and "没有写任何文件" in result.output
    result = run("settle", "2026-11", "--dir", office, "--explain", "100008")
    assert result.exit_code == 0 and "规则 8 回访核实：没有核实结果" in result.output 
    assert snapshot(office) == before


def test_the_rule_path_is_kept_for_the_explained_order_only(office):
    outcome = settle_month(office, NOV, dry_run=True, explain_order=" 100008 ")
    paths = {r.line.order_no: [step for step, _ in r.path] for r in outcome.results}
    assert paths.pop("100008") == ["1 CRM", "2 订单本", "3 已结算登记", "4 重复", "5 退订", "6 投诉", "7 联单", "8 回访核实"]
    assert not any(paths.values())


def test_cli_prints_the_summary_and_what_changes(office):
    result = run("settle", "2026-11", "--dir", office)
    assert result.exit_code == 0, result.output
    assert "将写入" in result.output and "新增 5 行" in result.output and "好家居" in result.output


@pytest.mark.parametrize("mutate, needle", [
    (lambda ws: (ws / "2026-11" / "inputs" / "CRM订单.csv").unlink(), "CRM订单.xlsx 或 CRM订单.csv"),
    (lambda ws: write_lines(ws, "2026-11", "C.xlsx", [["好家居", None, "有", "有", 1], ["好家居", "ABC", "有", "有", 1]]),
     "C.xlsx"),
    (lambda ws: write_crm(ws, "2026-11", [crm_row("100001", 1000), crm_row("100001", 1100)]), "金额不同"),
    (lambda ws: (ws / "2026-11" / "inputs" / "CRM订单.csv").write_bytes(
        ((",".join(CRM_HEADERS) + "\n100001,好家居,家具,场,\"王").encode("utf-8"))), "截断"),
    (lambda ws: (ws / f"~${orders.FILE_NAME}").write_bytes(b"x"), "正在被"),
])
def test_bad_input_changes_nothing(office, mutate, needle):
    mutate(office)
    before = snapshot(office)
    result = run("settle", "2026-11", "--dir", office)
    assert result.exit_code == 1 and needle in result.output, result.output
    assert "Traceback" not in result.output
    assert snapshot(office) == before


def test_bad_order_numbers_name_file_row_and_column(office):
    write_lines(office, "2026-11", "C.xlsx", [["好家居", None, "有", "有", 1], ["好家居", "ABC", "有", "有", 1]])
    result = run("settle", "2026-11", "--dir", office)
    assert "C.xlsx 工作表「Sheet1」 第3行 列「订单号」" in result.output
    assert "C.xlsx 工作表「Sheet1」 第4行 列「订单号」" in result.output


def test_gbk_crm_export(office):
    write_crm(office, "2026-11", [crm_row("100001", "1,000"), crm_row("100052", 700, merchant="美家居")], encoding="gbk")
    outcome = settle_month(office, NOV, dry_run=True)
    assert {(r.line.file, r.line.order_no): r.code for r in outcome.results}[("A_王经理.xlsx", "100001")] == "OK"


def test_a_second_settle_waits_its_turn(office):
    (office / LOCK_NAME).write_text(f"{os.getppid()} now")        # a live process holds the lock
    result = run("settle", "2026-11", "--dir", office)
    assert result.exit_code == 1 and "另一个结算正在进行" in result.output
    (office / LOCK_NAME).write_text("999999999 then")              # a dead one: the lock is taken over
    assert run("settle", "2026-11", "--dir", office).exit_code == 0
    assert not (office / LOCK_NAME).exists()


@pytest.mark.libreoffice
def test_summary_formulas_equal_python(office, tmp_path):
    outcome = settle_month(office, NOV)
    wb = openpyxl.load_workbook(recalculate(outcome.output, tmp_path / "lo"), data_only=True)
    ws = wb["汇总"]
    header = [c.value for c in ws[2]]
    compared = 0
    for row in ws.iter_rows(min_row=3, values_only=True):
        values = dict(zip(header, row))
        if values["商家"] == "合计":
            expected = {k: sum(t[k] for t in outcome.summary.values()) for k in header[1:]}
        else:
            expected = outcome.summary[values["商家"]]
        for k in header[1:]:
            compared += 1
            assert same(Decimal(expected[k]), values[k]), (values["商家"], k, expected[k], values[k])
    assert compared == 4 * 7


def test_merchant_statements_mask_phones(office):
    result = run("settle", "2026-11", "--dir", office, "--statements")
    assert result.exit_code == 0, result.output
    folder = office / "2026-11" / "商家对帐单_2026-11"
    files = sorted(p.name for p in folder.glob("*.xlsx"))
    assert files == ["好家居.xlsx", "新家居.xlsx", "美家居.xlsx"]
    ws = openpyxl.load_workbook(folder / "好家居.xlsx").active
    texts = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    assert "138****5678" in texts and "13812345678" not in " ".join(texts)
    assert any(t.startswith("商家确认") for t in texts) and "应结金额" in texts
    assert 4650 in [c.value for row in ws.iter_rows() for c in row]
    from kefu_xl.io.libreoffice import soffice
    if soffice():
        assert len(list(folder.glob("*.pdf"))) == 3


def test_mask_phone():
    from kefu_xl.io.values import mask_phone
    assert mask_phone("13812341234") == "138****1234" and mask_phone("１３８ 1234 1234") == "138****1234"
    assert mask_phone("") == ""


def test_a_register_moved_aside_still_counts_as_settled(office):
    """已结算 full: the user renames it 已结算_归档1 and starts a new one; orders in the archive
    are never settled again."""
    ledger = office / orders.FILE_NAME
    wb = openpyxl.load_workbook(ledger)
    archive = wb.copy_worksheet(wb[orders.SETTLED])
    archive.title = "已结算_归档1"
    archive.append(["100005", "好家居", "2026-09", 800])
    wb.save(ledger)
    codes = {r.line.order_no: r.code for r in settle_month(office, NOV).results}
    assert codes["100005"] == "ALREADY_SETTLED" and codes["100012"] == "ALREADY_SETTLED"
    settled = openpyxl.load_workbook(ledger)
    assert [r[0] for r in settled["已结算_归档1"].iter_rows(min_row=3, values_only=True)] == ["100012", "100005"]
    assert "100005" not in [r[0] for r in settled[orders.SETTLED].iter_rows(min_row=3, values_only=True)]


def test_a_register_that_would_outgrow_an_excel_sheet_is_refused(office, monkeypatch):
    import kefu_xl.app.settle
    monkeypatch.setattr(kefu_xl.app.settle, "EXCEL_MAX_ROWS", 7)     # header rows 1–2, one old row, five new ones
    before = snapshot(office)
    result = run("settle", "2026-11", "--dir", office)
    assert result.exit_code == 1 and "已用到第 3 行，再登记本月 5 行将超过" in result.output, result.output
    assert "已结算_归档1" in result.output
    assert snapshot(office) == before
    monkeypatch.setattr(kefu_xl.app.settle, "EXCEL_MAX_ROWS", 8)
    assert run("settle", "2026-11", "--dir", office).exit_code == 0
    assert run("settle", "2026-11", "--dir", office).exit_code == 0   # a re-run replaces its own rows: still fits
