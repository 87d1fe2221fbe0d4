"""The settlement scenario several test files share: a workspace with a month of orders, the CRM
export, settlement forms, refunds and complaints (make_office), and the writers of its inputs."""
from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import openpyxl
from click.testing import CliRunner
from conftest import write_xlsx
from helpers import once

from kefu_xl.app.workspace import open_month
from kefu_xl.cli import cli
from kefu_xl.config import load_config
from kefu_xl.demo.typist import type_rows
from kefu_xl.kinds import orders, refunds
from kefu_xl.month import Month

NOV, DEC = Month(2026, 11), Month(2026, 12)


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


C = load_config()


CRM_HEADERS = ["订单号", "商家", "类目", "活动场次", "网友姓名", "手机", "成交金额", "订单状态", "下单日期"]


LINE_HEADERS = ["商家", "订单号", "商家联", "网友联", "申报金额"]


def crm_row(order, amount, status="成交", merchant="好家居"):
    return [order, merchant, "家具", "秋季家博会", "王先生", "13812345678", amount, status, "2026-10-20"]


def write_crm(ws_dir: Path, month: str, rows, encoding="utf-8-sig"):
    path = ws_dir / month / "inputs" / "CRM订单.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(CRM_HEADERS)
        w.writerows(rows)
    return path


def write_lines(ws_dir, month, name, rows):
    return write_xlsx(ws_dir / month / "inputs" / "结算流转单" / name, [LINE_HEADERS, *rows], title="结算流转单")


def make_office(workspace):
    """The settlement scenario of these tests, built in an initialised workspace (once: each
    later test gets a copy)."""
    once(workspace, ("settle office",), lambda: _make_office(workspace))
    return workspace


def _make_office(workspace):
    (workspace / "kefu-xl.toml").write_text('[workbooks]\nmonthly = ["refunds"]\n', "utf-8")
    assert run("orders", "add-books", "--dir", workspace, "--start", 100001, "--books", 4, "--size", 50).exit_code == 0
    ledger = workspace / orders.FILE_NAME
    type_rows(ledger, orders.spec(C).sheet(orders.ISSUES), [
        {"活动场次": "秋季家博会", "订单本号": "DB0001", "商家": "好家居", "领用日期": date(2026, 10, 1)},
        {"活动场次": "秋季家博会", "订单本号": "DB0002", "商家": "美家居", "领用日期": date(2026, 10, 1)},
        {"活动场次": "秋季家博会", "订单本号": "DB0003", "商家": "好家居", "领用日期": date(2026, 10, 1),
         "回收日期": date(2026, 10, 30), "已开": 40, "未开": 6, "作废": 1},                       # 3 missing: fine 300
        {"活动场次": "秋季家博会", "订单本号": "DB0004", "商家": "新家居", "领用日期": date(2026, 10, 1),
         "回收日期": date(2026, 10, 30), "已开": 48, "未开": 0, "作废": 0},                       # 2 missing: fine 200
    ])
    wb = openpyxl.load_workbook(ledger)
    ws = wb[orders.SETTLED]
    ws.append(["100012", "好家居", "2026-10", 5000])
    wb.save(ledger)
    open_month(workspace, NOV, as_of=date(2026, 11, 1))
    type_rows(workspace / "2026-11" / refunds.file_name(NOV), refunds.spec(C, NOV).sheet(refunds.REFUNDS), [
        {"预约编号": "T1", "预约日期": date(2026, 11, 2), "订单号": "100009", "计划退订日期": date(2026, 11, 6),
         "商家确认": "可退", "退款日期": date(2026, 11, 6), "退款金额": 300},
        {"预约编号": "T2", "预约日期": date(2026, 11, 2), "订单号": "100010", "计划退订日期": date(2026, 11, 6)},
        {"预约编号": "T3", "预约日期": date(2026, 11, 2), "订单号": "100001", "计划退订日期": date(2026, 11, 6),
         "商家确认": "不可退", "不可退原因": "已安装"},
    ])
    write_crm(workspace, "2026-11", [
        crm_row("100001", "1,000"), crm_row("100002", "¥2000"), crm_row("100003", 300, "已退订"),
        crm_row("100004", 400, "预约退订"), crm_row("100005", 500), crm_row("100006", 800), crm_row("100007", 900),
        crm_row("100008", 600), crm_row("100009", 300), crm_row("100010", 400), crm_row("100011", 1200),
        crm_row("100052", "700元", merchant="美家居"), crm_row("100060", 100), crm_row("100012", 5000),
        crm_row("100002", "2000.00"),                                    # listed twice, same amount: fine
    ])
    write_lines(workspace, "2026-11", "A_王经理.xlsx", [
        ["好家居", "100001", "有", "有", 1000], ["好家居", "100002", "是", "是", "2,000"], ["好家居", "100003", "有", "有", 300],
        ["好家居", "100004", "有", "有", 400], ["好家居", "100005", "有", "有", 500], ["好家居", "100006", "有", "无", 800],
        ["好家居", "100007", "无", "有", 900], ["好家居", "100008", None, None, 600], ["好家居", "100009", "有", "有", 300],
        ["好家居", "100010", "✓", "✓", 400], ["好家居", "100011", "有", "有", "¥1,300"], ["好家居", "100999", "有", "有", 50],
        ["好家居", "100060", "有", "有", 100], ["好家居", "100012", "有", "有", 5000],
    ])
    write_lines(workspace, "2026-11", "B_孙经理.xlsx", [
        ["美家居", "100 052", "有", "有", 700], ["好家居", 100001, "有", "有", 1000], ["美家居", "100001", "有", "有", 1000],
    ])
    write_xlsx(workspace / "2026-11" / "inputs" / "投诉.xlsx", [
        ["投诉编号", "订单号", "商家", "投诉日期", "状态"], ["TS1", "100005", "好家居", date(2026, 11, 3), "处理中"],
        ["TS2", "100002", "好家居", date(2026, 11, 3), "已解决"]])
    write_xlsx(workspace / "2026-11" / "inputs" / "回访核实.xlsx", [
        ["订单号", "核实结果", "核实金额", "核实日期"], ["100006", "成交", 750, date(2026, 11, 8)],
        ["100007", "未成交", None, date(2026, 11, 8)]])
    return workspace
