"""投诉台账: reply deadlines over the 2026 National Day holiday and its make-up Saturday,
lateness, status, handling days, merchant ranking and 黑榜/红榜, category/brand table,
weekly report, carry-over, validation, settlement holds, and LibreOffice agreement."""
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from helpers import (
    assert_engines_agree,
    assert_ribbon_matches_file,
    day_of,
    office_values,
)

from kefu_xl.app.workbooks import recalc_file
from kefu_xl.app.workspace import open_month
from kefu_xl.calendar import WorkCalendar
from kefu_xl.config import load_config, parse_config
from kefu_xl.demo.typist import type_rows
from kefu_xl.kinds import complaints
from kefu_xl.month import Month
from kefu_xl.records import Complaint
from kefu_xl.rules import complaints as rules
from kefu_xl.sheets.layout import find_layout

C = load_config()
CAL = WorkCalendar(C)
OCT, NOV = Month(2026, 10), Month(2026, 11)
d = date


def complaint(registered, channel="论坛", replied=None, resolved=None, **kw):
    base = dict(complaint_id="TS1", source="", registered=registered, channel=channel, order_no="", merchant="好家居",
                category="", brand="", major=False, forwarded=None, replied=replied, replied_filled=replied is not None,
                resolved=resolved, resolved_filled=resolved is not None, row=3)
    base.update(kw)
    return Complaint(**base)


@pytest.mark.parametrize("registered, deadline", [
    (d(2026, 9, 30), d(2026, 10, 8)),     # Wednesday before National Day: 10-1..10-7 are holidays
    (d(2026, 10, 9), d(2026, 10, 10)),    # Friday: Saturday 10-10 is a make-up working day
    (d(2026, 10, 10), d(2026, 10, 12)),   # registered on the make-up Saturday: next is Monday
    (d(2026, 10, 3), d(2026, 10, 8)),     # registered during the holiday
    (d(2026, 11, 6), d(2026, 11, 9)),     # an ordinary Friday
])
def test_reply_deadline_is_the_next_statutory_working_day(registered, deadline):
    assert rules.reply_deadline(complaint(registered), C.reply_working_days, CAL) == deadline


def test_reply_days_per_channel_from_the_config():
    config = parse_config({**_defaults(), "complaints": {"reply_working_days": 1, "blacklist_size": 3,
                                                         "redlist_size": 3,
                                                         "reply_working_days_by_channel": {"电话": 3}}}, "测试")
    assert rules.reply_deadline(complaint(d(2026, 9, 30), "电话"), config.reply_working_days, CAL) == d(2026, 10, 10)
    assert rules.reply_deadline(complaint(d(2026, 9, 30), "微信"), config.reply_working_days, CAL) == d(2026, 10, 8)
    assert rules.reply_deadline(complaint(d(2026, 9, 30), "传真"), config.reply_working_days, CAL) == d(2026, 10, 8)


def _defaults():
    import tomllib

    from kefu_xl.config import default_config_text
    return tomllib.loads(default_config_text())


@pytest.mark.parametrize("kw, as_of, late", [
    ({"replied": d(2026, 10, 8)}, d(2026, 10, 31), False),     # on the deadline day
    ({"replied": d(2026, 10, 9)}, d(2026, 10, 31), True),
    ({}, d(2026, 10, 8), False),                               # not replied, deadline not passed
    ({}, d(2026, 10, 9), True),                                # not replied, 截至日期 past the deadline
])
def test_late_reply(kw, as_of, late):
    c = complaint(d(2026, 9, 30), **kw)
    assert rules.late_reply(c, rules.reply_deadline(c, C.reply_working_days, CAL), as_of) is late


def test_status_and_handling_days():
    resolved = complaint(d(2026, 9, 30), resolved=d(2026, 10, 9))
    assert rules.status(resolved) == "已解决"
    assert rules.handling_days(resolved, d(2026, 10, 31), CAL) == 2                  # 10-8, 10-9
    still_open = complaint(d(2026, 10, 9))
    assert rules.status(still_open) == "处理中"
    assert rules.handling_days(still_open, d(2026, 10, 31), CAL) == 16               # 10-10 + three full weeks
    assert rules.handling_days(complaint(d(2026, 10, 30)), d(2026, 10, 31), CAL) == 0


# The October ledger of the tests below. Hand-computed (reply within 1 working day, 截至 10-31):
#   row 3 TS01 好家居 09-30 → 时限 10-08, replied 10-08 (否), resolved 10-09, 2 days
#   row 4 TS02 好家居 10-09 major → 时限 10-10 (make-up Sat), replied 10-12 (是), open, 16 days
#   row 5 TS03 美居   10-16 → 时限 10-19, no reply by 10-31 (是), resolved 10-20, 2 days
#   row 6 TS04 美居   10-30 → 时限 11-02, not yet late (否), open, 0 days
#   row 7 TS05 (no merchant) 10-20, replied 10-19 (before registration), open
#   row 8 TS01 again: 星辉 10-21 → 时限 10-22, replied 10-22 (否), open, 7 days
#   row 9 TS07 星辉 "10月21日" (text: no date), open
#   row 10 TS08 新锐 10-26, replied and resolved 10-26, 0 days
LEDGER = [
    {"投诉编号": "TS01", "登记日期": d(2026, 9, 30), "渠道": "论坛", "网友姓名": "刘女士", "手机": "13812341234",
     "订单号": "100001", "商家": "好家居", "品类": "地板", "品牌": "大自然", "投诉内容": "安装延期", "重大": "否",
     "转交商家日期": d(2026, 9, 30), "商家回复日期": d(2026, 10, 8), "处理结果": "已重新安装", "解决日期": d(2026, 10, 9)},
    {"投诉编号": "TS02", "登记日期": d(2026, 10, 9), "渠道": "微博", "订单号": "100002", "商家": "好家居", "品类": "地板",
     "品牌": "大自然", "投诉内容": "质量问题，媒体关注", "重大": "是", "商家回复日期": d(2026, 10, 12)},
    {"投诉编号": "TS03", "登记日期": d(2026, 10, 16), "渠道": "微信", "订单号": "100051", "商家": "美居", "品类": "橱柜",
     "品牌": "欧派", "投诉内容": "少送配件", "解决日期": d(2026, 10, 20)},
    {"投诉编号": "TS04", "登记日期": d(2026, 10, 30), "渠道": "电话", "订单号": "100052", "商家": "美居", "品类": "橱柜",
     "投诉内容": "=HYPERLINK(\"x\")"},
    {"投诉编号": "TS05", "登记日期": d(2026, 10, 20), "渠道": "电话", "品类": "卫浴", "品牌": "九牧",
     "投诉内容": "态度差", "商家回复日期": d(2026, 10, 19)},
    {"投诉编号": "TS01", "登记日期": d(2026, 10, 21), "渠道": "QQ群", "订单号": "100101", "商家": "星辉", "品类": "卫浴",
     "品牌": "九牧", "投诉内容": "漏水", "商家回复日期": d(2026, 10, 22)},
    {"投诉编号": "TS07", "登记日期": "10月21日", "渠道": "其他", "商家": "星辉", "投诉内容": "发票"},
    {"投诉编号": "TS08", "登记日期": d(2026, 10, 26), "渠道": "论坛", "订单号": "100151", "商家": "新锐", "品类": "灯具",
     "品牌": "欧普", "投诉内容": "色差", "商家回复日期": d(2026, 10, 26), "解决日期": d(2026, 10, 26)},
]


@pytest.fixture
def october(workspace):
    (workspace / "kefu-xl.toml").write_text('[workbooks]\nmonthly = ["refunds", "complaints"]\n', "utf-8")
    open_month(workspace, OCT, as_of=d(2026, 10, 1))
    path = workspace / "2026-10" / complaints.file_name(OCT)
    sheet = complaints.spec(C, OCT).sheet(complaints.COMPLAINTS)
    type_rows(path, sheet, LEDGER)
    # TS04's text was typed with a leading apostrophe: text that looks like a formula
    wb = openpyxl.load_workbook(path)
    layout, _ = find_layout(wb[sheet.name], sheet)
    wb[sheet.name].cell(6, layout.columns["投诉内容"]).data_type = "s"
    wb.save(path)
    return path


def test_ledger_figures_by_hand(october):
    outcome = recalc_file(october, as_of=d(2026, 10, 31))
    f = outcome.result.figures
    by_row = {j.complaint.row: j for j in f.judged}
    assert [(by_row[r].deadline, by_row[r].late, by_row[r].status, by_row[r].days) for r in (3, 4, 5, 6, 8, 9, 10)] == [
        (d(2026, 10, 8), False, "已解决", 2), (d(2026, 10, 10), True, "处理中", 16),
        (d(2026, 10, 19), True, "已解决", 2), (d(2026, 11, 2), False, "处理中", 0),
        (d(2026, 10, 22), False, "处理中", 7), (None, None, "处理中", None), (d(2026, 10, 27), False, "已解决", 0)]
    ranking = {r["商家"]: r for r in f.ranking}
    assert [r["商家"] for r in f.ranking] == ["好家居", "美居", "星辉", "新锐"]
    assert ranking["好家居"] == {"商家": "好家居", "投诉数": 2, "重大": 1, "已解决": 1, "回复超时": 1,
                               "平均处理工作日": Decimal(9), "配合度": Decimal("0.5"), "排名": 1}
    assert ranking["美居"]["平均处理工作日"] == 1 and ranking["星辉"]["平均处理工作日"] == 7
    assert ranking["星辉"]["配合度"] == 1
    # 黑榜: ≥ 2 complaints or a major one, the first three; 新锐 has one minor complaint
    assert [(r["商家"], r["提名"]) for r in f.named] == [("好家居", "黑榜"), ("美居", "黑榜"), ("星辉", "黑榜"),
                                                          ("新锐", "")]
    assert f.settled is None
    assert [(r["品类"], r["品牌"], r["投诉数"], r["重大"], r["处理中"]) for r in f.categories] == [
        ("卫浴", "九牧", 2, 0, 2), ("地板", "大自然", 2, 1, 1), ("橱柜", "欧派", 1, 0, 0), ("橱柜", "（未填）", 1, 0, 1),
        ("灯具", "欧普", 1, 0, 0), ("（未填）", "（未填）", 1, 0, 1)]
    assert [(w["周一"], w["新投诉"], w["已解决"], w["处理中重大"], w["回复超时"], w["配合度"]) for w in f.weekly] == [
        (d(2026, 9, 28), 1, 0, 0, 0, 1), (d(2026, 10, 5), 1, 1, 1, 1, 0), (d(2026, 10, 12), 1, 0, 1, 1, 0),
        (d(2026, 10, 19), 2, 1, 1, 0, 1), (d(2026, 10, 26), 2, 1, 1, 0, 1)]


def test_validation_names_every_problem(october):
    outcome = recalc_file(october, as_of=d(2026, 10, 31))
    codes = {(p.row, p.column, p.code) for p in outcome.result.problems}
    assert {(7, "商家", "NO_MERCHANT"), (7, "商家回复日期", "DATE_BEFORE_REGISTERED"),
            (8, "投诉编号", "DUPLICATE_COMPLAINT"), (8, "渠道", "BAD_CHANNEL"), (9, "登记日期", "NOT_A_DATE"),
            (9, "登记日期", "NO_REGISTER_DATE"), (4, "重大", "MAJOR_OPEN"), (None, "提名", "NOT_SETTLED_YET"),
            (5, "商家回复日期", "REPLY_OVERDUE")} <= codes
    assert not any(p.code == "REPLY_OVERDUE" and p.row == 4 for p in outcome.result.problems)   # replied, if late
    duplicate = next(p for p in outcome.result.problems if p.code == "DUPLICATE_COMPLAINT")
    assert "第 3 行" in duplicate.message
    wb = openpyxl.load_workbook(october)
    ws = wb[complaints.COMPLAINTS]
    layout, _ = find_layout(ws, complaints.spec(C, OCT).sheet(complaints.COMPLAINTS))
    assert ws.cell(6, layout.columns["投诉内容"]).value == '=HYPERLINK("x")'
    assert ws.cell(6, layout.columns["投诉内容"]).data_type == "s"          # typed text stays text
    assert ws.cell(3, layout.columns["来源"]).value == "当月"


def test_order_not_in_the_months_crm_export_is_a_warning(october, workspace):
    from settle_office import crm_row, write_crm
    write_crm(workspace, "2026-10", [crm_row("100001", 100), crm_row("100002", 100)])
    outcome = recalc_file(october, as_of=d(2026, 10, 31))
    missing = {p.row for p in outcome.result.problems if p.code == "ORDER_NOT_IN_CRM"}
    assert missing == {5, 6, 8, 10}                 # 09-30's row 3 is last month's; 100001/100002 are there


def test_next_month_carries_open_complaints_with_every_typed_cell(october, workspace):
    recalc_file(october, as_of=d(2026, 10, 31))
    outcome = open_month(workspace, NOV, as_of=d(2026, 11, 2))
    assert outcome.counts["遗留投诉"] == 5
    path = workspace / "2026-11" / complaints.file_name(NOV)
    wb = openpyxl.load_workbook(path)
    ws = wb[complaints.COMPLAINTS]
    layout, _ = find_layout(ws, complaints.spec(C, NOV).sheet(complaints.COMPLAINTS))
    rows = [{h: ws.cell(r, c).value for h, c in layout.columns.items()} for r in range(3, 8)]
    assert [r["投诉编号"] for r in rows] == ["TS02", "TS04", "TS05", "TS01", "TS07"]
    assert {r["来源"] for r in rows} == {"遗留"}
    assert rows[0]["商家回复日期"].date() == d(2026, 10, 12) and rows[0]["重大"] == "是"
    assert rows[1]["投诉内容"] == '=HYPERLINK("x")' and ws.cell(4, layout.columns["投诉内容"]).data_type == "s"
    assert rows[4]["登记日期"] == "10月21日"
    assert ws.cell(8, layout.columns["投诉编号"]).value is None
    november = recalc_file(path, as_of=d(2026, 11, 30)).result.figures
    # TS02 is still open at the end of every November week; TS04 (10-30) is late since 11-02
    assert [w["处理中重大"] for w in november.weekly] == [1, 1, 1, 1, 1, 1]
    assert next(j for j in november.judged if j.complaint.complaint_id == "TS04").late is True


def test_red_list_from_the_months_settlement(october, workspace):
    from kefu_xl.io.safe_write import save_workbook
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "明细"
    ws.append(["订单号", "商家", "结果", "原因代码", "原因", "申报金额", "结算金额"])
    for i, merchant in enumerate(["好家居"] * 5 + ["佳美"] * 3 + ["新锐"] * 9 + ["安居"] * 3 + ["乐家"] * 2 + ["旺家"]):
        ws.append([str(200000 + i), merchant, "结算", "OK", "", 100, 100])
    ws.append(["300000", "旺家", "暂缓", "COMPLAINT_OPEN", "", 100, 0])
    ws.append(["300001", "旺家", "不结算", "NOT_IN_CRM", "", 100, 0])
    save_workbook(wb, workspace / "2026-10" / "结算_2026-10.xlsx")
    f = recalc_file(october, as_of=d(2026, 10, 31)).result.figures
    # 新锐 and 好家居 settled most but have complaints; 安居 and 佳美 tie at 3 (by name), then 乐家
    assert [(r["商家"], r["提名"], r["说明"]) for r in f.named if r["提名"] == "红榜"] == [
        ("佳美", "红榜", "本月结算 3 单，没有投诉"), ("安居", "红榜", "本月结算 3 单，没有投诉"),
        ("乐家", "红榜", "本月结算 2 单，没有投诉")]


def test_settlement_holds_orders_of_open_complaints_by_the_latest_ledger(october, workspace):
    from settle_office import make_office

    from kefu_xl.app.settle import settle_month
    recalc_file(october, as_of=d(2026, 10, 31))
    make_office(workspace)         # opens November (ledger carried) and writes November's settlement inputs
    (workspace / "kefu-xl.toml").write_text('[workbooks]\nmonthly = ["refunds", "complaints"]\n', "utf-8")
    open_month(workspace, NOV, as_of=d(2026, 11, 2))
    (workspace / "2026-11" / "inputs" / "投诉.xlsx").unlink()
    nov = workspace / "2026-11" / complaints.file_name(NOV)
    sheet = complaints.spec(C, NOV).sheet(complaints.COMPLAINTS)
    # TS04 (order 100052, 美家居's book) gets resolved in November's ledger; a new open complaint on 100005
    wb = openpyxl.load_workbook(nov)
    layout, _ = find_layout(wb[sheet.name], sheet)
    wb[sheet.name].cell(4, layout.columns["解决日期"]).value = d(2026, 11, 3)
    wb.save(nov)
    type_rows(nov, sheet, [{"投诉编号": "TS20", "登记日期": d(2026, 11, 4), "订单号": "100005", "商家": "好家居",
                            "投诉内容": "延期"}])
    outcome = settle_month(workspace, NOV, dry_run=True, explain_order="100005")
    codes = {r.line.order_no: r.code for r in outcome.results}
    assert codes["100005"] == "COMPLAINT_OPEN"
    assert codes["100052"] == "OK"            # October's row is still 处理中, but November's decides
    held = next(r for r in outcome.results if r.line.order_no == "100005")
    assert "TS20" in held.reason and "投诉台账_2026-11.xlsx" in held.reason and "第 8 行" in held.reason
    assert any("投诉台账_2026-10.xlsx、投诉台账_2026-11.xlsx" in n for n in outcome.inputs.notes)


@pytest.mark.libreoffice
def test_every_derived_cell_equals_python(october, workspace, tmp_path):
    from settle_office import crm_row, write_crm
    write_crm(workspace, "2026-10", [crm_row("100001", 100)])
    outcome = recalc_file(october, as_of=d(2026, 10, 31))
    python = complaints.python_values(outcome.result)
    office = office_values(october, complaints.spec(C, OCT), {
        complaints.COMPLAINTS: lambda r, v: r, complaints.RANKING: lambda r, v: v["商家"],
        complaints.CATEGORIES: lambda r, v: complaints.spec(C, OCT).sheet(complaints.CATEGORIES).key_of(v),
        complaints.WEEKLY: lambda r, v: day_of(v["周一"])}, tmp_path / "lo")
    assert assert_engines_agree(python, office) > 90


def test_ribbon_button_recalcs_the_ledger_like_the_file_path(october):
    assert_ribbon_matches_file(october, (complaints.COMPLAINTS, complaints.RANKING, complaints.CATEGORIES,
                                         complaints.WEEKLY), d(2026, 10, 31))
