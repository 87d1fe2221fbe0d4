"""退订台账: statutory working-day notice (National Day 2026, make-up Saturday, 2027
fallback), status, petty cash balance and matching, reconciliation, daily report,
problems, and LibreOffice agreement."""
import warnings
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from conftest import write_status
from helpers import same

from kefu_xl.app.workbooks import recalc_file
from kefu_xl.app.workspace import open_month
from kefu_xl.calendar import CalendarFallbackWarning, WorkCalendar
from kefu_xl.config import load_config
from kefu_xl.demo.typist import type_rows
from kefu_xl.io.libreoffice import recalculate
from kefu_xl.kinds import orders, refunds
from kefu_xl.month import Month
from kefu_xl.records import Refund
from kefu_xl.rules import refunds as rules
from kefu_xl.sheets.layout import find_layout

C = load_config()
OCT = Month(2026, 10)


def refund(booked, planned, **kw):
    base = dict(booking_id="Y1", booked=booked, order_no="100001", customer="", phone="", merchant="",
                order_amount=None, refund_amount=None, planned=planned, merchant_decision="", refusal_reason="",
                crm_updated="", refunded_on=None, refunded_filled=False, paid=None, petty_cash=False, row=3)
    base.update(kw)
    return Refund(**base)


@pytest.mark.parametrize("booked, planned, days", [
    (date(2026, 9, 29), date(2026, 10, 9), 3),     # 9-30, 10-8, 10-9: National Day 10-1..10-7 not counted
    (date(2026, 10, 9), date(2026, 10, 12), 2),    # Saturday 10-10 is a make-up working day
    (date(2026, 11, 2), date(2026, 11, 5), 3),
    (date(2026, 11, 5), date(2026, 11, 5), 0),
])
def test_notice_days_on_the_statutory_calendar(booked, planned, days):
    assert rules.notice_days(refund(booked, planned), WorkCalendar(C)) == days


def test_2027_falls_back_to_weekdays_with_a_warning():
    with pytest.warns(CalendarFallbackWarning, match="2027"):
        assert rules.notice_days(refund(date(2026, 12, 30), date(2027, 1, 5)), WorkCalendar(C)) == 4


@pytest.mark.parametrize("kw, expected", [
    ({}, "待确认"), ({"merchant_decision": "可退"}, "可退订"), ({"merchant_decision": "不可退"}, "不可退"),
    ({"merchant_decision": "可退", "refunded_filled": True}, "已退款"),
])
def test_status(kw, expected):
    assert rules.status(refund(None, None, **kw)) == expected


@pytest.fixture
def october(workspace):
    """October ledger with bookings across the National Day holiday and a 2027 date."""
    write_status(workspace, "2026-10", [["C1", "甲", "张敏", "建材", 100, 100, date(2027, 1, 1), date(2024, 1, 1)]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalendarFallbackWarning)
        open_month(workspace, OCT, as_of=date(2026, 10, 31))
    (workspace / "2026-10" / "维护跟踪_2026-10.xlsx").unlink()
    from click.testing import CliRunner

    from kefu_xl.cli import cli
    CliRunner().invoke(cli, ["orders", "add-books", "--dir", str(workspace), "--start", "100001", "--books", "2",
                             "--size", "50", "--date", "2026-09-01"])
    type_rows(workspace / orders.FILE_NAME, orders.spec(C).sheet(orders.ISSUES), [
        {"活动场次": "秋季家博会", "订单本号": "DB0001", "商家": "好家居", "领用日期": date(2026, 9, 10)}])
    path = workspace / "2026-10" / refunds.file_name(OCT)
    spec = refunds.spec(C, OCT)
    d = date
    type_rows(path, spec.sheet(refunds.REFUNDS), [
        {"预约编号": "Y01", "预约日期": d(2026, 9, 29), "订单号": "100001", "网友姓名": "刘女士", "手机": "13812341234",
         "商家": "好家居", "订单金额": 5000, "退订金额": 5000, "计划退订日期": d(2026, 10, 9), "商家确认": "可退",
         "退款日期": d(2026, 10, 9), "退款金额": 5000, "备用金支出": "是"},
        {"预约编号": "Y02", "预约日期": d(2026, 10, 9), "订单号": "100002", "商家": "好家居", "订单金额": 800,
         "退订金额": 900, "计划退订日期": d(2026, 10, 12), "商家确认": "不可退"},                     # late, no reason, > order
        {"预约编号": "Y03", "预约日期": d(2026, 10, 12), "订单号": "100003", "商家": "好家居", "订单金额": 1200,
         "退订金额": 1200, "计划退订日期": d(2026, 10, 15), "商家确认": "可退"},
        {"预约编号": "Y04", "预约日期": d(2026, 10, 12), "订单号": "100001", "商家": "好家居", "订单金额": 5000,
         "退订金额": 5000, "计划退订日期": d(2026, 10, 16), "退款日期": d(2026, 10, 16), "退款金额": 5000},  # twice
        {"预约编号": "Y05", "预约日期": d(2026, 10, 20), "订单号": "200001", "计划退订日期": d(2027, 1, 5),
         "订单金额": 300, "退款金额": 100},                                                            # not issued; no date
        {"预约编号": "Y06", "预约日期": d(2026, 10, 21), "订单号": "100004", "订单金额": 700, "退订金额": 700,
         "计划退订日期": d(2026, 10, 26), "商家确认": "可退", "退款日期": d(2026, 10, 26), "退款金额": 700,
         "备用金支出": "是"},                                                                          # no cash entry
    ])
    type_rows(path, spec.sheet(refunds.CASH), [
        {"日期": d(2026, 10, 8), "类型": "财务拨入", "金额": 6000, "经手人": "出纳"},
        {"日期": d(2026, 10, 9), "类型": "退款支出", "金额": 5000, "经手人": "小周", "备注": "Y01"},
        {"日期": d(2026, 10, 20), "类型": "退款支出", "金额": 1500, "经手人": "小周", "备注": "Y99"},      # stray, negative
        {"日期": d(2026, 10, 30), "类型": "交回财务", "金额": 100, "经手人": "小周"},
    ])
    return path


def test_recalc_finds_every_problem(october):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalendarFallbackWarning)
        outcome = recalc_file(october, as_of=date(2026, 10, 31))
    codes = {(p.sheet, p.row, p.code) for p in outcome.result.problems}
    expected = {("退订", 4, "LATE_BOOKING"), ("退订", 4, "REFUSAL_WITHOUT_REASON"), ("退订", 4, "REFUND_EXCEEDS_ORDER"),
                ("退订", 6, "ALREADY_REFUNDED"), ("退订", 7, "ORDER_NOT_ISSUED"), ("退订", 7, "REFUND_WITHOUT_DATE"),
                ("退订", 8, "CASH_ENTRY_MISSING"), ("备用金", 5, "CASH_ENTRY_UNMATCHED"), ("备用金", 5, "NEGATIVE_CASH"),
                ("对账", None, "CASH_NOT_COUNTED")}
    assert expected <= codes, expected - codes
    f = outcome.result.figures
    # 10-21..10-31: 8, Nov: 21, Dec: 23, 2027-01-01..05 by the weekday fallback: 3
    assert f.days[:3] == [3, 2, 3] and f.days[4] == 55
    assert f.balances == [Decimal(6000), Decimal(1000), Decimal(-500), Decimal(-600)]
    assert f.recon["期末应有"] == Decimal(-600)
    assert f.daily[date(2026, 10, 12)] == {"新预约": 2, "可退订": 1, "不可退": 0, "已退款": 0, "退款金额": Decimal(0)}
    assert "2027" in " ".join(outcome.warnings)


def test_next_month_opens_with_last_months_closing_cash(october, workspace):
    write_status(workspace, "2026-11", [["C1", "甲", "张敏", "建材", 100, 100, date(2027, 1, 1), date(2024, 1, 1)]])
    outcome = open_month(workspace, Month(2026, 11), as_of=date(2026, 11, 2))
    assert any("-600.00" in n for n in outcome.notes)
    wb = openpyxl.load_workbook(workspace / "2026-11" / refunds.file_name(Month(2026, 11)))
    assert wb[refunds.RECON]["A3"].value == -600


@pytest.mark.libreoffice
def test_ledger_formulas_equal_python(october, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalendarFallbackWarning)
        outcome = recalc_file(october, as_of=date(2026, 10, 31))
    python = refunds.python_values(outcome.result)
    wb = openpyxl.load_workbook(recalculate(october, tmp_path / "lo"), data_only=True)
    spec = refunds.spec(C, OCT)
    compared = 0
    for name in (refunds.REFUNDS, refunds.CASH, refunds.RECON, refunds.DAILY):
        ws = wb[name]
        layout, _ = find_layout(ws, spec.sheet(name))
        for r, row in enumerate(ws.iter_rows(min_row=layout.first_data_row, values_only=True), layout.first_data_row):
            values = {h: row[c - 1] for h, c in layout.columns.items()}
            if name == refunds.DAILY:
                key = values["日期"].date() if values["日期"] else None
            else:
                key = r
            for header, expected in python[name].get(key, {}).items():
                compared += 1
                assert same(expected, values[header]), (name, key, header, expected, values[header])
    assert compared == 6 * 3 + 4 + 5 + 31 * 5
