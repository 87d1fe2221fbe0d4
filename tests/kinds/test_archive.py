"""客户档案.xlsx: month open adds new accounts and keeps typed cells, the handover and
decision-maker checks, the callback cadence by hand (gap and minimum contacts), LibreOffice
agreeing with Python, and cadence calls in the owner's plan."""
from datetime import date

import openpyxl
import pytest
from conftest import write_status
from helpers import (
    NOV,
    WORK,
    assert_engines_agree,
    assert_ribbon_matches_file,
    d,
    office_values,
    open_november,
    outcome_of,
)

from kefu_xl.app.workbooks import python_values, recalc_file
from kefu_xl.app.workspace import open_month
from kefu_xl.calendar import WorkCalendar
from kefu_xl.config import load_config
from kefu_xl.demo.typist import type_work_records
from kefu_xl.kinds import archive, personal
from kefu_xl.month import Month
from kefu_xl.rules import cadence as rules
from kefu_xl.rules import plan as planning
from kefu_xl.sheets.layout import find_layout

C = load_config()
CAL = WorkCalendar(C)


def type_files(path, cells: dict[tuple[int, str], object]) -> None:
    wb = openpyxl.load_workbook(path)
    ws = wb[archive.FILES]
    layout, _ = find_layout(ws, archive.spec(C).sheet(archive.FILES))
    for (r, header), value in cells.items():
        ws.cell(r, layout.columns[header]).value = value
    wb.save(path)


@pytest.fixture
def office(workspace):
    tracker = open_november(workspace)
    type_work_records(tracker, WORK)
    path = archive.path_of(workspace)
    # rows 3–7 are C1…C5 (month open); row 8 a second contact of C1
    type_files(path, {
        (3, "联系人"): "陈总", (3, "决策人"): "否", (3, "合同开始"): d(2),
        (8, "帐户ID"): "C1", (8, "联系人"): "陈董", (8, "决策人"): "是", (8, "手机"): "13800001111",
        (4, "联系人"): "刘经理", (4, "决策人"): "否", (4, "合同开始"): d(16),
        (5, "决策人"): "是", (5, "合同开始"): d(2), (5, "交接日期"): d(3), (5, "商务确认"): "是",
        (6, "决策人"): "是", (7, "决策人"): "是",
    })
    return workspace


def test_month_open_adds_new_accounts_and_keeps_what_was_typed(office):
    path = archive.path_of(office)
    ws = openpyxl.load_workbook(path)[archive.FILES]
    assert [ws.cell(r, 1).value for r in range(3, 9)] == ["C1", "C2", "C3", "C4", "C5", "C1"]
    assert ws.cell(3, 11).value.date() == date(2027, 1, 1)               # 合同到期 from 帐户状态
    write_status(office, "2026-12", [
        ["C1", "甲建材", "张敏", "建材", 100, 100, date(2027, 1, 1), date(2024, 1, 1)],
        ["C6", "己食品", "李娜", "食品", 500, 100, date(2027, 6, 1), date(2026, 12, 2)],
    ])
    outcome = open_month(office, Month(2026, 12), as_of=date(2026, 12, 1))
    assert any("客户档案：新增 1 个帐户" in n for n in outcome.notes)
    ws = openpyxl.load_workbook(path)[archive.FILES]
    assert [ws.cell(r, 1).value for r in range(3, 10)] == ["C1", "C2", "C3", "C4", "C5", "C1", "C6"]
    assert (ws.cell(3, 4).value, ws.cell(8, 4).value, ws.cell(8, 7).value) == ("陈总", "陈董", "13800001111")


def test_handover_and_decision_maker_checks(office):
    result = recalc_file(archive.path_of(office), as_of=d(20)).result
    states = dict(zip((r.row for r in result.figures.rows), result.figures.states))
    # C1 started 11-02: 14 working days to 11-20 (> 5) without 交接日期 → late; C2 started 11-16:
    # 4 working days → still waiting; C3 handed over and confirmed
    assert (states[3], states[4], states[5], states[6]) == ("逾期未交接", "待交接", "已交接", "")
    codes = [(p.row, p.code) for p in result.problems if p.sheet == archive.FILES]
    assert codes == [(3, "HANDOVER_LATE"), (4, "NO_DECISION_MAKER")]        # C1 has 陈董 in row 8


def test_cadence_rule_by_hand():
    def due(days, day):
        return rules.cadence(set(days), day, NOV, CAL, max_gap=10, min_contacts=2)
    c = due([d(9)], d(25))                 # 11-10 … 11-25: 12 working days
    assert (c.contacts, c.last, c.gap, c.due) == (1, d(9), 12, True)
    assert c.reason == "已 12 个工作日未联系（上次 2026-11-09）"
    assert not due([d(16)], d(25)).due     # gap 7; one more contact needed, 4 working days left
    c = due([d(16)], d(30))                # gap 10 (not more than 10), one missing, one day left
    assert (c.gap, c.due, c.reason) == (10, True, "本月联系 1 次，至少 2 次，仅剩 1 个工作日")
    assert not due([d(16), d(20)], d(30)).due
    c = due([], d(17))                     # never this month: counted from the 1st
    assert (c.gap, c.due) == (12, True) and c.reason == "本月已 12 个工作日未联系"
    assert due([d(2), d(30)], d(25)).contacts == 1          # a later date is not a contact yet


def test_cadence_sheet_by_hand(office):
    result = recalc_file(archive.path_of(office), as_of=d(25)).result
    rows = {i: (s, c.contacts, c.last, c.gap, c.due) for i, s, c in result.figures.cadence}
    # valid contact days from WORK: C1 2,3,4,5,6,10,19 (11-11 超计划, 11-12 非决策人); C2 9;
    # C3 16 (11-17 超计划, 11-18 is text); C4 20 and Saturday 21; C5 20
    assert rows == {"C1": ("张敏", 7, d(19), 4, False), "C2": ("张敏", 1, d(9), 12, True),
                    "C3": ("李娜", 1, d(16), 7, False), "C4": ("李娜", 2, d(21), 3, False),
                    "C5": ("王芳", 1, d(20), 3, False)}


@pytest.mark.libreoffice
def test_libreoffice_agrees_with_python(office, tmp_path):
    path = archive.path_of(office)
    outcome = recalc_file(path, as_of=d(30))
    values = office_values(path, archive.spec(C), {archive.FILES: lambda r, v: r,
                                                   archive.CADENCE: lambda r, v: v["帐户ID"]}, tmp_path / "lo")
    assert values[archive.CADENCE]["C5"]["应联系"] == "是"
    assert assert_engines_agree(python_values(archive, outcome.result), values) >= 6 * 2 + 5 * 2


def test_the_ribbon_button_recalcs_like_the_file_path(office):
    assert_ribbon_matches_file(archive.path_of(office), (archive.FILES, archive.CADENCE), d(25))


def test_cadence_calls_go_into_the_owners_plan(office):
    # 李娜 finishes C3's 三级 targets on 11-16: no maintenance line is left for it, yet by 11-30
    # it has one contact day of the two a month needs and one working day left
    type_work_records(office / "2026-11" / "维护跟踪_2026-11.xlsx",
                      [{"日期": d(16), "客服": "李娜", "帐户ID": "C3", "工作类型": t, "沟通对象": "决策人", **outcome_of(t)}
                       for t in ("报表发送", "帐户优化")])
    plan = recalc_file(personal.path_of(office, "李娜", NOV), as_of=d(30)).result.figures.plan_rows
    assert [(r["优先级"], r["事项"], r["原因"]) for r in plan if r["帐户ID"] == "C3"] == [
        ("3 回访", "回访", "回访节奏：本月联系 1 次，至少 2 次，仅剩 1 个工作日")]
    # C5 is due too, but 王芳's plan already reaches it (续费提醒 at 10:00, its 新客户 step at 16:00 —
    # a line per block, DOMAIN §23): no 回访 item
    wang = recalc_file(personal.path_of(office, "王芳", NOV), as_of=d(30)).result.figures.plan_rows
    c5 = [r for r in wang if r["帐户ID"] == "C5"]
    assert [(r["时间段"], r["优先级"]) for r in c5] == [("10:00-10:30 续费", "1 续费"), ("16:00-17:00 新开客户", "2 新客户")]
    assert not any("回访" in r["事项"] for r in c5) and c5[0]["事项"] == "续费提醒"


def test_cadence_items_skip_accounts_the_plan_already_reaches():
    rows = [planning.PlanCadence("A", "甲", "一级", "已 12 个工作日未联系", 12),
            planning.PlanCadence("B", "乙", "三级", "已 11 个工作日未联系", 11),
            planning.PlanCadence("C", "丙", "三级", "已 14 个工作日未联系", 14)]
    items = planning.cadence_items(rows, {"a"})
    assert [(i.account_id, i.priority_label) for i in items] == [("C", "3 回访"), ("B", "3 回访")]
