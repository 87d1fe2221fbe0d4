"""商务出访.xlsx and the personal 商务回访 sheet (DOMAIN §25, issue 40): due dates worked out by
hand around National Day 2026 (10-01…10-07 off, Saturday 10-10 a 调休 working day, 09-25 off),
a prospect due, late and followed up, the callbacks collected back (the newest workbook wins,
a cleared 下次跟进日期 too), the per-商务 summary against hand counts, LibreOffice agreeing with
Python in both files, the carry into next month, and a personal workbook made before 商务回访
gaining it without losing anything typed."""
from datetime import date

import openpyxl
import pytest
from conftest import write_status
from helpers import assert_engines_agree, office_values, once

from kefu_xl.app.team import collect_team
from kefu_xl.app.workbooks import python_values, recalc_file
from kefu_xl.app.workspace import open_month
from kefu_xl.calendar import WorkCalendar
from kefu_xl.config import load_config
from kefu_xl.kinds import personal, prospects
from kefu_xl.month import Month
from kefu_xl.rules import prospects as rules
from kefu_xl.sheets.layout import find_layout

C = load_config()
CAL = WorkCalendar(C)
OCT, NOV = Month(2026, 10), Month(2026, 11)
d = date
STATUS = [
    ["C1", "甲建材", "张敏", "建材", 2500, 90000, d(2027, 6, 1), d(2024, 1, 1)],
    ["C3", "丙教育", "李娜", "教育", 50, 90000, d(2027, 6, 1), d(2024, 1, 1)],
]
VISIT_HEADERS = ("出访编号", "出访日期", "商务", "客户名称", "联系人", "电话", "指派客服")
VISITS = [
    ("P1", d(2026, 9, 30), "周强", "甲公司", "陈总", "0755-88886666", "张敏"),    # due 10-08 (after the holiday)
    ("P2", d(2026, 10, 9), "周强", "乙公司", "刘总", "=13800001111", "张敏"),     # due Saturday 10-10 (调休)
    ("P3", d(2026, 10, 9), "吴磊", "丙公司", "王总", "13900002222", "李娜"),
    ("P4", d(2026, 10, 12), "吴磊", "丁公司", "赵总", "13700003333", "张敏"),
    ("P5", d(2026, 10, 12), "周强", "戊公司", "钱总", "", "李娜"),
]


def P(number="P", visited=None, called=None, reported=None, next_call=None, **kw):
    return rules.Prospect(number, visited, called=called, reported=reported, next_call=next_call, **kw)


def state(p, day, n=1):
    return rules.state(p, day, rules.workdays_after(CAL), n)


# --------------------------------------------------------------------------- the rule, by hand

def test_callback_due_after_the_holiday_and_on_a_working_saturday():
    p1 = P("P1", d(2026, 9, 30))            # Wed; 10-01…10-07 off: the 1st working day after is Thu 10-08
    assert rules.deadlines(p1, rules.workdays_after(CAL), 1) == (d(2026, 10, 8), None)
    assert [state(p1, day) for day in (d(2026, 9, 30), d(2026, 10, 8), d(2026, 10, 9))] == ["待回访", "待回访", "回访逾期"]
    assert rules.deadlines(p1, rules.workdays_after(CAL), 2)[0] == d(2026, 10, 9)
    p2 = P("P2", d(2026, 10, 9))            # Fri; Saturday 10-10 is a 调休 working day
    assert rules.deadlines(p2, rules.workdays_after(CAL), 1)[0] == d(2026, 10, 10)
    assert (state(p2, d(2026, 10, 10)), state(p2, d(2026, 10, 11))) == ("待回访", "回访逾期")


def test_feedback_due_the_next_working_day_after_the_call():
    # called Thu 09-24; Fri 09-25 is off (中秋), the weekend too: feedback due Mon 09-28
    p = P("P", d(2026, 9, 23), called=d(2026, 9, 24))
    assert rules.deadlines(p, rules.workdays_after(CAL), 1) == (d(2026, 9, 24), d(2026, 9, 28))
    assert (state(p, d(2026, 9, 28)), state(p, d(2026, 9, 29))) == ("待反馈", "反馈逾期")
    # called the day before the holiday: feedback due 10-08
    assert rules.deadlines(P("P", d(2026, 9, 29), called=d(2026, 9, 30)), rules.workdays_after(CAL), 1)[1] == d(2026, 10, 8)


def test_a_prospect_followed_up_until_it_is_finished():
    p = P("P4", d(2026, 10, 12), called=d(2026, 10, 13), reported=d(2026, 10, 13), next_call=d(2026, 10, 20))
    assert (state(p, d(2026, 10, 20)), state(p, d(2026, 10, 21))) == ("跟进中", "跟进逾期")
    called_again = P("P4", d(2026, 10, 12), called=d(2026, 10, 20), reported=d(2026, 10, 13), next_call=d(2026, 10, 20))
    assert state(called_again, d(2026, 10, 21)) == "待反馈"         # each call owes 商务 a feedback
    assert state(called_again, d(2026, 10, 22)) == "反馈逾期"
    done = P("P4", d(2026, 10, 12), called=d(2026, 10, 20), reported=d(2026, 10, 21), next_call=d(2026, 10, 20))
    assert state(done, d(2026, 12, 31)) == "完成" and rules.finished(done)
    assert state(P("", d(2026, 10, 12)), d(2026, 10, 12)) == ""


def test_the_callbacks_the_plan_lists_on_a_day():
    ps = [P("P1", d(2026, 9, 30), client="甲公司"), P("P2", d(2026, 10, 9)), P("P3", d(2026, 10, 12)),
          P("P4", d(2026, 10, 12), called=d(2026, 10, 13), reported=d(2026, 10, 13), next_call=d(2026, 10, 20)),
          P("P5", d(2026, 9, 29), called=d(2026, 9, 30))]
    assert rules.callbacks_due(ps, d(2026, 9, 30), CAL, 1) == []
    on_8 = rules.callbacks_due(ps, d(2026, 10, 8), CAL, 1)
    assert [(c.prospect.number, c.what, c.due, c.late) for c in on_8] == [
        ("P1", "回访", d(2026, 10, 8), False), ("P5", "反馈商务", d(2026, 10, 8), False)]
    assert on_8[0].reason == "商务 09-30 出访，应 10-08 前回访"
    # Monday 10-12: P1 late by 10-09, 10-10 (Saturday, 调休) and 10-12 = 3 working days; P2 by 1 (10-12)
    on_12 = rules.callbacks_due(ps, d(2026, 10, 12), CAL, 1)
    assert [(c.prospect.number, c.late, c.late_days) for c in on_12] == [
        ("P1", True, 3), ("P5", True, 3), ("P2", True, 1)]
    assert on_12[1].reason == "09-30 已回访，应 10-08 前反馈商务（已逾期 3 个工作日）"
    assert [c.prospect.number for c in rules.callbacks_due(ps[3:4], d(2026, 10, 20), CAL, 1)] == ["P4"]
    assert rules.callbacks_due(ps[3:4], d(2026, 10, 19), CAL, 1) == []


def test_main_hesitations_most_frequent_first():
    assert rules.main_hesitations(["价格高", "", "效果担心", "价格高", "没预算", "效果担心", "价格高", "别的"]) == \
        "价格高（3）、效果担心（2）、没预算（1）"


# --------------------------------------------------------------------------- the workbooks

def type_into(path, sheet_spec, rows: dict[str, dict], key="出访编号", first_free: list | None = None) -> None:
    """Type values into the rows named by 出访编号 (and new rows from `first_free`), as a person in
    Excel would: text starting with = typed into a text cell stays text."""
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet_spec.name]
    layout, _ = find_layout(ws, sheet_spec)
    by_key = {ws.cell(r, layout.columns[key]).value: r for r in range(layout.first_data_row, ws.max_row + 1)}

    def put(r, header, value):
        cell = ws.cell(r, layout.columns[header])
        cell.value = value
        if isinstance(value, str) and value.startswith("="):
            cell.data_type = "s"
    for number, values in rows.items():
        for header, value in values.items():
            put(by_key[number], header, value)
    for i, values in enumerate(first_free or []):
        for header, value in values.items():
            put(layout.first_data_row + i, header, value)
    wb.save(path)


def team_sheet():
    return prospects.spec(C).sheet(prospects.VISITS)


def my_sheet(month=OCT):
    return personal.spec(C, month).sheet(prospects.CALLBACKS)


def mine(workspace, who="张敏", month=OCT):
    return personal.path_of(workspace, who, month)


def values_of(path, sheet_spec):
    ws = openpyxl.load_workbook(path)[sheet_spec.name]
    layout, _ = find_layout(ws, sheet_spec)
    out = {}
    for r in range(layout.first_data_row, ws.max_row + 1):
        row = {h: ws.cell(r, c).value for h, c in layout.columns.items()}
        if row["出访编号"]:
            out[row["出访编号"]] = row
    return out


@pytest.fixture
def office(workspace):
    write_status(workspace, "2026-10", STATUS)
    once(workspace, ("prospects office",), lambda: _visits_typed(workspace))
    return workspace


def _visits_typed(workspace):
    open_month(workspace, OCT, as_of=d(2026, 10, 8))
    type_into(prospects.path_of(workspace), team_sheet(), {},
              first_free=[dict(zip(VISIT_HEADERS, v)) for v in VISITS])


def test_init_and_month_open_make_the_file_with_the_roster_drop_down(office):
    path = prospects.path_of(office)
    recalc_file(path, as_of=d(2026, 10, 8))
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[:2] == ["商务出访", "商务汇总"] and wb["客服名单"].sheet_state == "hidden"
    assert [wb["客服名单"].cell(r, 1).value for r in (3, 4, 5)] == ["张敏", "李娜", "王芳"]       # 赵离 is not 在职
    assert any("客服名单" in (v.formula1 or "") for v in wb["商务出访"].data_validations.dataValidation)


def test_a_personal_recalc_lists_the_persons_prospects_and_keeps_the_phone_as_text(office):
    out = recalc_file(mine(office), as_of=d(2026, 10, 9)).result
    rows = values_of(mine(office), my_sheet())
    assert list(rows) == ["P1", "P2", "P4"]                 # P3, P5 are 李娜's
    assert rows["P1"]["电话"] == "0755-88886666" and rows["P2"]["电话"] == "=13800001111"
    assert python_values(personal.KIND_DEF, out)["商务回访"] == {
        3: {"状态": "回访逾期", "回访时限": d(2026, 10, 8), "反馈时限": None},
        4: {"状态": "待回访", "回访时限": d(2026, 10, 10), "反馈时限": None},
        5: {"状态": "待回访", "回访时限": d(2026, 10, 13), "反馈时限": None}}
    assert [p.code for p in out.problems if p.sheet == "商务回访"] == ["PROSPECT_LATE"]
    callbacks = rules.callbacks_due(out.figures.prospects.judged.prospects, d(2026, 10, 9), CAL, 1)
    assert [(c.prospect.number, c.late) for c in callbacks] == [("P1", True)]


def summary_of(path):
    """商务汇总 as a previewer shows it before anyone recalculates: the cached values Python wrote."""
    ws = openpyxl.load_workbook(path, data_only=True)["商务汇总"]
    return [[c.value for c in row] for row in ws.iter_rows(min_row=3) if row[0].value]


@pytest.fixture
def called_back(office):
    """张敏 and 李娜 call back on 10-13 / 10-14 (as_of 10-14) in their October workbooks."""
    for who in ("张敏", "李娜"):
        recalc_file(mine(office, who), as_of=d(2026, 10, 12))
    type_into(mine(office), my_sheet(), {
        "P1": {"回访日期": d(2026, 10, 9), "客户意向": "高", "合作期望": "月投 5 万", "能否作主": "是", "犹豫原因": "价格高",
               "反馈商务日期": d(2026, 10, 9), "下次跟进日期": d(2026, 10, 20)},     # 跟进中
        "P2": {"回访日期": d(2026, 10, 12), "客户意向": "中", "犹豫原因": "效果担心"},  # feedback due 10-13: late on 10-14
        "P4": {"回访日期": d(2026, 10, 13), "客户意向": "无意向", "犹豫原因": "价格高", "反馈商务日期": d(2026, 10, 13)},  # 完成
    })
    type_into(mine(office, "李娜"), my_sheet(), {
        "P3": {"回访日期": d(2026, 10, 10), "客户意向": "低", "能否作主": "需请示", "犹豫原因": "价格高",
               "反馈商务日期": d(2026, 10, 12)},                                     # 完成
    })                                                                             # P5 not called: due 10-13, late 10-14
    return office


def test_callbacks_are_collected_and_summarised_per_sales(called_back):
    path = prospects.path_of(called_back)
    out = recalc_file(path, as_of=d(2026, 10, 14)).result
    rows = values_of(path, team_sheet())
    assert rows["P1"]["客户意向"] == "高" and rows["P1"]["下次跟进日期"].date() == d(2026, 10, 20)
    assert rows["P3"]["能否作主"] == "需请示"
    states = {p.number: s for p, s in zip(out.figures.judged.prospects, out.figures.judged.states)}
    assert states == {"P1": "跟进中", "P2": "反馈逾期", "P3": "完成", "P4": "完成", "P5": "回访逾期"}
    # 周强: P1 高 跟进中, P2 中 反馈逾期, P5 未回访 逾期 → 3 prospects, 2 reached, 1 not called, 2 late
    # 吴磊: P3 低, P4 无意向, both done
    assert summary_of(path) == [
        ["周强", 3, 2, 1, 1, 0, 0, 1, 2, "价格高（1）、效果担心（1）"],
        ["吴磊", 2, 2, 0, 0, 1, 1, 0, 0, "价格高（2）"],
        ["合计", 5, 4, 1, 1, 1, 1, 1, 2, None]]
    values = python_values(prospects.KIND_DEF, out)
    assert values["商务汇总"]["周强"] == {"出访数": 3, "已回访": 2, "意向高": 1, "意向中": 1, "意向低": 0, "无意向": 0,
                                       "未回访": 1, "逾期": 2}
    assert values["商务汇总"]["吴磊"] == {"出访数": 2, "已回访": 2, "意向高": 0, "意向中": 0, "意向低": 1, "无意向": 1,
                                       "未回访": 0, "逾期": 0}
    assert values["商务汇总"]["合计"]["出访数"] == 5
    assert {p.code for p in out.problems} >= {"PROSPECT_LATE"}


@pytest.mark.libreoffice
def test_libreoffice_agrees_with_python_in_both_files(called_back, tmp_path):
    path = prospects.path_of(called_back)
    out = recalc_file(path, as_of=d(2026, 10, 14))
    wspec = prospects.spec(C)
    got = office_values(path, wspec, {prospects.VISITS: lambda r, v: r, prospects.SUMMARY: lambda r, v: v["商务"]},
                        tmp_path / "team")
    assert got[prospects.SUMMARY]["周强"]["逾期"] == 2
    assert assert_engines_agree(python_values(prospects.KIND_DEF, out.result), got) >= 5 * 4 + 3 * 8
    mine_path = mine(called_back)
    out = recalc_file(mine_path, as_of=d(2026, 10, 14))
    got = office_values(mine_path, personal.spec(C, OCT), {prospects.CALLBACKS: lambda r, v: r}, tmp_path / "mine")
    values = {prospects.CALLBACKS: python_values(personal.KIND_DEF, out.result)[prospects.CALLBACKS]}
    assert [v["状态"] for v in values[prospects.CALLBACKS].values()] == ["跟进中", "反馈逾期", "完成"]
    assert assert_engines_agree(values, got) == 3 * 3


def test_the_newest_workbook_wins_and_a_cleared_next_call_finishes_the_prospect(called_back):
    path = prospects.path_of(called_back)
    recalc_file(path, as_of=d(2026, 10, 14))
    type_into(mine(called_back), my_sheet(), {"P1": {"回访日期": d(2026, 10, 20), "反馈商务日期": d(2026, 10, 20),
                                                     "下次跟进日期": None}})
    out = recalc_file(path, as_of=d(2026, 10, 21)).result
    rows = values_of(path, team_sheet())
    assert rows["P1"]["下次跟进日期"] is None and rows["P1"]["回访日期"].date() == d(2026, 10, 20)
    assert dict(zip((p.number for p in out.figures.judged.prospects), out.figures.judged.states))["P1"] == "完成"


def test_collect_recalcs_the_file_and_a_row_not_assigned_is_named(called_back):
    wb = openpyxl.load_workbook(prospects.path_of(called_back))          # 商务 reassigns P2 to 王芳
    ws = wb[prospects.VISITS]
    layout, _ = find_layout(ws, team_sheet())
    ws.cell(4, layout.columns["指派客服"]).value = "王芳"
    wb.save(prospects.path_of(called_back))
    outcomes = list(collect_team(called_back, OCT, as_of=d(2026, 10, 14)))
    last = outcomes[-1]
    assert last.path == prospects.path_of(called_back)
    assert [p.code for p in last.result.problems if p.sheet.startswith("个人/")] == ["NOT_ASSIGNED"]
    out = recalc_file(mine(called_back), as_of=d(2026, 10, 14)).result
    assert any(p.code == "NOT_ASSIGNED" and p.sheet == "商务回访" for p in out.problems)
    assert values_of(mine(called_back), my_sheet())["P2"]["客户意向"] == "中"        # what she typed stays


def test_bad_input_is_named_by_row_and_column(office):
    type_into(prospects.path_of(office), team_sheet(), {"P5": {"出访编号": "P1", "指派客服": "孙某"}},
              first_free=[])
    type_into(prospects.path_of(office), team_sheet(), {"P4": {"出访日期": "10月12日", "指派客服": "孙某"}})
    problems = recalc_file(prospects.path_of(office), as_of=d(2026, 10, 12)).result.problems
    named = {(p.row, p.column, p.code) for p in problems if p.sheet == "商务出访"}
    assert {(7, "出访编号", "DUPLICATE_NUMBER"), (6, "出访日期", "NOT_A_DATE"),
            (6, "指派客服", "UNKNOWN_STAFF")} <= named
    recalc_file(mine(office), as_of=d(2026, 10, 12))
    type_into(mine(office), my_sheet(), {"P1": {"客户意向": "很高"}})
    problems = recalc_file(mine(office), as_of=d(2026, 10, 12)).result.problems
    bad = next(p for p in problems if p.code == "BAD_VALUE")
    assert (bad.file, bad.sheet, bad.row, bad.column) == ("张敏_2026-10.xlsx", "商务回访", 3, "客户意向")


def test_month_open_carries_the_unfinished_prospects_with_what_was_typed(called_back):
    write_status(called_back, "2026-11", STATUS)
    open_month(called_back, NOV, as_of=d(2026, 11, 2))
    rows = values_of(mine(called_back, month=NOV), my_sheet(NOV))
    assert list(rows) == ["P1", "P2"]                       # P4 finished in October: not carried
    assert rows["P1"]["犹豫原因"] == "价格高" and rows["P1"]["下次跟进日期"].date() == d(2026, 10, 20)
    assert list(values_of(mine(called_back, "李娜", NOV), my_sheet(NOV))) == ["P5"]


def test_a_workbook_made_before_the_sheet_gains_it_and_keeps_what_was_typed(office):
    path = mine(office)
    wb = openpyxl.load_workbook(path)                       # as the release before 商务回访 made it
    for name in (prospects.CALLBACKS, prospects.CALENDAR):
        del wb[name]
    ws = wb[personal.WORK]
    layout, _ = find_layout(ws, personal.spec(C, OCT).sheet(personal.WORK))
    for h, v in (("日期", d(2026, 10, 8)), ("帐户ID", "C1"), ("工作类型", "电话拜访"), ("满意度", "满意"),
                 ("沟通对象", "决策人"), ("内容摘要", "节后第一通电话")):
        ws.cell(layout.first_data_row, layout.columns[h]).value = v
    wb.save(path)
    outcome = recalc_file(path, as_of=d(2026, 10, 9))
    out = outcome.result
    assert outcome.patched                                  # the file itself, not rewritten through openpyxl
    assert not [p for p in out.problems if p.code in ("MISSING_SHEET", "MISSING_HEADER")]
    assert any(p.code == "UPGRADED" and "商务回访" in p.message for p in out.problems)
    wb = openpyxl.load_workbook(path)
    assert wb[prospects.CALENDAR].sheet_state == "hidden"
    assert list(values_of(path, my_sheet())) == ["P1", "P2", "P4"]
    ws = wb[personal.WORK]
    assert ws.cell(layout.first_data_row, layout.columns["内容摘要"]).value == "节后第一通电话"
    assert out.figures.verdicts[0].valid


@pytest.mark.libreoffice
def test_todays_not_reached_block_lists_the_prospect_callbacks_due(office, tmp_path):
    """§23/§25: the prospects due or late are lines of 今日's 未联系上 block (their 出访编号 where an
    account's ID stands, late first); a 回访日期 typed for the plan day marks the line done — in
    the workbook's formula and in Python alike."""
    from helpers import assert_engines_agree, office_values
    out = recalc_file(mine(office), as_of=d(2026, 10, 12)).result           # P1 late, P2 late (10-10), P4 due 10-13
    lines = [r for r in out.figures.plan_rows if r["事项"] == "商务回访"]
    assert [(r["时间段"], r["帐户ID"], r["客户名称"]) for r in lines] == [
        ("10:30-12:00 未联系上", "P1", "甲公司"), ("10:30-12:00 未联系上", "P2", "乙公司")]
    assert lines[0]["原因"] == "商务 09-30 出访，应 10-08 前回访（已逾期 3 个工作日）"    # 10-09, Saturday 10-10 (调休), 10-12
    type_into(mine(office), my_sheet(), {"P1": {"回访日期": d(2026, 10, 12), "客户意向": "中"}})
    out = recalc_file(mine(office), as_of=d(2026, 10, 12)).result
    python = python_values(personal.KIND_DEF, out)
    done = {r["帐户ID"]: python[personal.TODAY][r["序号"]]["已完成"] for r in out.figures.plan_rows if r["事项"] == "商务回访"}
    assert done == {"P1": "是", "P2": "否"}
    theirs = office_values(mine(office), personal.spec(C, OCT), {personal.TODAY: lambda r, v: v["序号"]}, tmp_path / "lo")
    assert assert_engines_agree({personal.TODAY: python[personal.TODAY]}, theirs) > 5
