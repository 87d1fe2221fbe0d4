"""回访任务 (the expo call desk): deadlines by hand (working hours, the four check times,
weekends, National Day 2026 and its make-up working days), task generation without
duplicates, typed cells kept, validation, --today, and LibreOffice agreement of 日统计."""
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import snapshot, write_xlsx
from helpers import assert_ribbon_matches_file, same

from kefu_xl.app import calls
from kefu_xl.app.workbooks import recalc_file
from kefu_xl.calendar import WorkCalendar
from kefu_xl.cli import cli
from kefu_xl.config import load_config
from kefu_xl.errors import DataProblemsError
from kefu_xl.io.libreoffice import recalculate
from kefu_xl.kinds import callbacks
from kefu_xl.month import Month
from kefu_xl.records import Hours
from kefu_xl.rules import callbacks as rules
from kefu_xl.sheets.layout import find_layout

C = load_config()
CAL = WorkCalendar(C)
H = Hours()
OCT = Month(2026, 10)
t = datetime


@pytest.mark.parametrize("at, deadline", [
    (t(2026, 11, 3, 10, 0), t(2026, 11, 3, 10, 15)),     # inside working hours: 15 minutes
    (t(2026, 11, 3, 18, 30), t(2026, 11, 4, 12, 0)),     # evening: 12:00 of the next working day
    (t(2026, 11, 3, 8, 0), t(2026, 11, 3, 12, 0)),       # before opening: 12:00 the same day
    (t(2026, 11, 7, 20, 0), t(2026, 11, 9, 12, 0)),      # Saturday evening: Monday
    (t(2026, 9, 19, 20, 0), t(2026, 9, 20, 12, 0)),      # Saturday before the make-up working Sunday 09-20
    (t(2026, 9, 30, 19, 0), t(2026, 10, 8, 12, 0)),      # before National Day (10-01..10-07 off)
    (t(2026, 10, 9, 18, 30), t(2026, 10, 10, 12, 0)),    # Friday evening: make-up Saturday 10-10
])
def test_new_signup_deadline(at, deadline):
    assert rules.signup_deadline(at, H.new_minutes, H, CAL) == deadline


@pytest.mark.parametrize("at, deadline", [
    (t(2026, 11, 3, 17, 30), t(2026, 11, 3, 18, 30)),    # an hour, even past closing
    (t(2026, 10, 3, 10, 0), t(2026, 10, 8, 12, 0)),      # a holiday morning
])
def test_old_signup_deadline(at, deadline):
    assert rules.signup_deadline(at, H.old_minutes, H, CAL) == deadline


@pytest.mark.parametrize("at, deadline", [
    (t(2026, 11, 3, 9, 30), t(2026, 11, 3, 10, 0)),
    (t(2026, 11, 3, 10, 0), t(2026, 11, 3, 13, 0)),      # exactly at a check: the next one
    (t(2026, 11, 3, 12, 59), t(2026, 11, 3, 13, 0)),
    (t(2026, 11, 3, 16, 0), t(2026, 11, 3, 17, 0)),
    (t(2026, 11, 3, 17, 5), t(2026, 11, 4, 10, 0)),      # after the last check
    (t(2026, 11, 7, 11, 0), t(2026, 11, 9, 10, 0)),      # Saturday
    (t(2026, 9, 30, 17, 30), t(2026, 10, 8, 10, 0)),     # into National Day
    (t(2026, 10, 9, 17, 30), t(2026, 10, 10, 10, 0)),    # make-up Saturday
])
def test_missed_call_deadline(at, deadline):
    assert rules.missed_call_deadline(at, H, CAL) == deadline


def test_event_windows():
    assert rules.event_window(date(2026, 10, 17), H, CAL) == (t(2026, 10, 10, 9, 0), t(2026, 10, 16, 18, 0))
    # an event right after National Day: the last working day before it is 09-30
    assert rules.event_window(date(2026, 10, 8), H, CAL) == (t(2026, 9, 30, 9, 0), t(2026, 9, 30, 18, 0))
    assert rules.after_event(date(2026, 10, 7), H, CAL) == (t(2026, 10, 7, 18, 0), t(2026, 10, 8, 18, 0))
    assert rules.after_event(date(2026, 11, 8), H, CAL) == (t(2026, 11, 8, 18, 0), t(2026, 11, 9, 18, 0))


SIGNUPS = [["报名编号", "报名时间", "网友姓名", "手机", "活动场次", "网友类型", "活动类型"],
           ["R1", "2026-10-09 18:30", "刘女士", "13800000011", "2026秋季家博会", "新网友", "主场"],
           ["R2", t(2026, 10, 12, 10, 20), "陈先生", "13800000012", "2026秋季家博会", "老网友", "主场"],
           ["R3", "2026/10/12 11:00", "黄先生", "13800000013", "地板专场", "老网友", "专场"],
           ["R4", "2026-10-13 14:00", "周女士", "13800000014", "地板专场", "新网友", "专场"],
           ["R5", "2026-10-03 10:00", "吴先生", "13800000015", "国庆卖场", "新网友", "卖场"]]
MISSED = [["来电时间", "号码", "已接"],
          ["2026-10-09 17:30", "13900000001", "否"], ["2026-10-09 17:45", "13900000001", "否"],
          ["2026-10-12 09:30", "13900000002", "否"], ["2026-10-12 09:40", "13900000003", "是"],
          ["2026-10-12 11:00", "13900000004", "是"], ["2026-10-12 12:00", "13900000005", "否"]]
CHECKINS = [["手机", "活动场次", "签到", "下订"], ["13800000011", "2026秋季家博会", "是", "否"],
            ["13800000021", "2026秋季家博会", "是", "是"], ["13800000022", "2026秋季家博会", "否", "否"]]
EVENTS = [["活动场次", "开始日期", "结束日期", "活动类型"], ["2026秋季家博会", date(2026, 10, 17), date(2026, 10, 18), "主场"],
          ["地板专场", date(2026, 10, 24), date(2026, 10, 25), "专场"], ["国庆卖场", date(2026, 10, 2), date(2026, 10, 5), "卖场"]]


@pytest.fixture
def desk(workspace):
    inputs = workspace / "2026-10" / "inputs"
    write_xlsx(inputs / "报名.xlsx", SIGNUPS)
    write_xlsx(inputs / "呼损.xlsx", MISSED)
    write_xlsx(inputs / "签到" / "2026秋季家博会.xlsx", CHECKINS)
    write_xlsx(workspace / "活动.xlsx", EVENTS)
    return workspace


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_tasks_with_priorities_and_deadlines(desk):
    outcome = calls.update_queue(desk, OCT, as_of=t(2026, 10, 12, 10, 30))
    tasks = {task.task_id: (task.priority, task.trigger, task.deadline) for task in outcome.result.figures.tasks}
    assert tasks == {
        "XB-R1": ("最高", t(2026, 10, 9, 18, 30), t(2026, 10, 10, 12, 0)),
        "LB-R2": ("高", t(2026, 10, 12, 10, 20), t(2026, 10, 12, 11, 20)),
        "HD-R3": ("高", t(2026, 10, 17, 9, 0), t(2026, 10, 23, 18, 0)),
        "XB-R4": ("最高", t(2026, 10, 13, 14, 0), t(2026, 10, 13, 14, 15)),
        "HD-R4": ("高", t(2026, 10, 17, 9, 0), t(2026, 10, 23, 18, 0)),
        "XB-R5": ("最高", t(2026, 10, 3, 10, 0), t(2026, 10, 8, 12, 0)),     # no HD: the 卖场 began 10-02
        "HS-13900000001-202610101000": ("最高", t(2026, 10, 9, 17, 30), t(2026, 10, 10, 10, 0)),   # two calls, one task
        "HS-13900000002-202610121000": ("最高", t(2026, 10, 12, 9, 30), t(2026, 10, 12, 10, 0)),
        "HS-13900000005-202610121300": ("最高", t(2026, 10, 12, 12, 0), t(2026, 10, 12, 13, 0)),
        "QW-2026秋季家博会-13800000011": ("中", t(2026, 10, 18, 18, 0), t(2026, 10, 19, 18, 0)),
        "QY-2026秋季家博会-13800000021": ("中", t(2026, 10, 18, 18, 0), t(2026, 10, 19, 18, 0)),
        "WQ-2026秋季家博会-13800000022": ("中", t(2026, 10, 18, 18, 0), t(2026, 10, 19, 18, 0)),
    }
    assert outcome.added == 12 and outcome.calls_added == 6
    names = {task.task_id: task.customer for task in outcome.result.figures.tasks}
    assert names["QW-2026秋季家博会-13800000011"] == "刘女士"     # looked up from the sign-ups
    wb = openpyxl.load_workbook(outcome.path)
    ws = wb[callbacks.QUEUE]
    layout, _ = find_layout(ws, callbacks.spec(C, OCT).sheet(callbacks.QUEUE))
    cell = ws.cell(layout.first_data_row, layout.columns["时限"])
    assert isinstance(cell.value, datetime) and cell.number_format == "yyyy-mm-dd hh:mm"


def test_today_lists_open_tasks_by_priority_then_deadline(desk):
    calls.update_queue(desk, OCT, as_of=t(2026, 10, 12, 10, 30))
    result = run("calls", "2026-10", "--dir", desk, "--today", "--at", "2026-10-12 10:30")
    assert result.exit_code == 0, result.output
    ids = [line.split("│")[-2].strip() for line in result.output.splitlines() if line.startswith("│")]
    assert ids == ["XB-R5", "HS-13900000001-202610101000", "XB-R1", "HS-13900000002-202610121000", "LB-R2"]
    assert "138****0015" in result.output and "13800000015" not in result.output and "已超时" in result.output
    assert "13800000015" in run("calls", "2026-10", "--dir", desk, "--today", "--at", "2026-10-12 10:30",
                                "--full").output


ATTEMPTS = {   # task -> [(time, result), …] typed by the desk
    "XB-R1": [(t(2026, 10, 10, 11, 0), "接通")],
    "LB-R2": [(t(2026, 10, 12, 11, 30), "未接通"), (t(2026, 10, 12, 15, 0), "未接通")],
    "HS-13900000002-202610121000": [(t(2026, 10, 12, 9, 50), "空号")],
    "HS-13900000001-202610101000": [(t(2026, 10, 10, 9, 55), "未接通"), (t(2026, 10, 10, 10, 30), "接通")],
    "XB-R4": [(t(2026, 10, 13, 14, 10), "拒接"), (t(2026, 10, 13, 16, 0), "拒接"), (t(2026, 10, 14, 10, 0), "接通")],
    "XB-R5": [(t(2026, 10, 8, 12, 30), "接通")],
}


def type_attempts(path, attempts=ATTEMPTS, summary=None):
    wb = openpyxl.load_workbook(path)
    ws = wb[callbacks.QUEUE]
    layout, _ = find_layout(ws, callbacks.spec(C, OCT).sheet(callbacks.QUEUE))
    rows = {ws.cell(r, layout.columns["任务编号"]).value: r for r in range(layout.first_data_row, ws.max_row + 1)}
    for task_id, tries in attempts.items():
        for i, (moment, result) in enumerate(tries, 1):
            ws.cell(rows[task_id], layout.columns[f"第{i}次拨打"]).value = moment
            ws.cell(rows[task_id], layout.columns[f"第{i}次结果"]).value = result
    if summary:
        ws.cell(rows["XB-R1"], layout.columns["通话小结"]).value = summary
    wb.save(path)
    return rows


def test_status_on_time_and_daily_statistics_by_hand(desk):
    path = calls.update_queue(desk, OCT, as_of=t(2026, 10, 12)).path
    type_attempts(path)
    result = recalc_file(path, as_of=date(2026, 10, 31)).result
    by_id = {task.task_id: (rules.status(a), rules.on_time(a, task.deadline))
             for task, a in zip(result.figures.tasks, result.figures.attempts)}
    assert by_id["XB-R1"] == ("已接通", True) and by_id["LB-R2"] == ("已尽力", False)
    assert by_id["HS-13900000002-202610121000"] == ("待回拨", True)
    assert by_id["HS-13900000005-202610121300"] == ("待回拨", None)
    assert by_id["XB-R4"] == ("已接通", True) and by_id["XB-R5"] == ("已接通", False)
    daily = {d["日期"]: d for d in result.figures.daily}
    third = Decimal(1) / 3
    assert daily[date(2026, 10, 12)] == {"日期": date(2026, 10, 12), "来电": 4, "呼损": 2, "呼损率": Decimal("0.5"),
                                         "新任务": 3, "按时率": third, "接通率": 0, "两次拨打合规": third}
    assert daily[date(2026, 10, 9)]["呼损率"] == 1 and daily[date(2026, 10, 9)]["新任务"] == 2
    assert daily[date(2026, 10, 10)] == {"日期": date(2026, 10, 10), "来电": 0, "呼损": 0, "呼损率": None, "新任务": 0,
                                         "按时率": 1, "接通率": 1, "两次拨打合规": None}
    assert daily[date(2026, 10, 19)]["按时率"] == 0 and daily[date(2026, 10, 19)]["两次拨打合规"] == 0
    assert daily[date(2026, 10, 17)]["新任务"] == 2 and daily[date(2026, 10, 18)]["新任务"] == 3
    assert any(p.code == "MISSED_RATE_HIGH" and "2026-10-12" in p.message for p in result.problems)


def test_running_again_adds_only_new_tasks_and_keeps_typed_cells(desk):
    path = calls.update_queue(desk, OCT, as_of=t(2026, 10, 12)).path
    type_attempts(path, summary="网友要求周末回电")
    write_xlsx(desk / "2026-10" / "inputs" / "报名.xlsx",
               [*SIGNUPS, ["R6", "2026-10-14 09:10", "郑女士", "13800000016", "2026秋季家博会", "新网友", "主场"]])
    before = openpyxl.load_workbook(path)[callbacks.QUEUE]
    typed_before = [[c.value for c in row] for row in before.iter_rows(min_row=3, max_row=14, min_col=9, max_col=15)]
    outcome = calls.update_queue(desk, OCT, as_of=t(2026, 10, 14, 9, 30))
    assert (outcome.added, outcome.kept, outcome.calls_added) == (1, 12, 0)
    after = openpyxl.load_workbook(path)[callbacks.QUEUE]
    assert [[c.value for c in row] for row in after.iter_rows(min_row=3, max_row=14, min_col=9, max_col=15)] == \
        typed_before
    assert after.cell(15, 1).value == "XB-R6"
    assert outcome.backup is not None and outcome.backup.exists()


def test_attempt_problems_are_listed(desk):
    path = calls.update_queue(desk, OCT, as_of=t(2026, 10, 12)).path
    type_attempts(path, {"LB-R2": [(t(2026, 10, 12, 10, 0), "未接通"), (t(2026, 10, 12, 9, 0), "占线")],
                         "XB-R1": [(None, "接通")]})
    problems = recalc_file(path, as_of=date(2026, 10, 31)).result.problems
    codes = {(p.column, p.code) for p in problems if p.sheet == callbacks.QUEUE}
    assert {("第1次拨打", "CALL_BEFORE_TRIGGER"), ("第2次拨打", "ATTEMPT_OUT_OF_ORDER"), ("第2次结果", "BAD_RESULT"),
            ("第1次拨打", "RESULT_WITHOUT_TIME")} <= codes


def test_bad_inputs_are_all_listed_and_nothing_is_written(desk):
    write_xlsx(desk / "2026-10" / "inputs" / "报名.xlsx",
               [*SIGNUPS, ["R1", "昨天", "某", "", "2026秋季家博会", "VIP", "展会"]])
    before = snapshot(desk)
    with pytest.raises(DataProblemsError) as caught:
        calls.update_queue(desk, OCT)
    codes = {(p.row, p.column, p.code) for p in caught.value.problems}
    assert {(7, "报名编号", "DUPLICATE_ID"), (7, "报名时间", "BAD_VALUE"), (7, "手机", "NO_PHONE"),
            (7, "网友类型", "BAD_USER_TYPE"), (7, "活动类型", "BAD_EVENT_TYPE")} <= codes
    assert snapshot(desk) == before
    result = run("calls", "2026-10", "--dir", desk)
    assert result.exit_code != 0 and "Traceback" not in result.output and "报名.xlsx" in result.output


@pytest.mark.libreoffice
def test_status_and_daily_statistics_equal_python(desk, tmp_path):
    path = calls.update_queue(desk, OCT, as_of=t(2026, 10, 12)).path
    type_attempts(path)
    outcome = recalc_file(path, as_of=date(2026, 10, 31))
    python = callbacks.python_values(outcome.result)
    wb = openpyxl.load_workbook(recalculate(path, tmp_path / "lo"), data_only=True)
    wspec = callbacks.spec(C, OCT)
    diffs, compared = [], 0
    for name in (callbacks.QUEUE, callbacks.CALLS, callbacks.DAILY):
        ws = wb[name]
        layout, _ = find_layout(ws, wspec.sheet(name))
        office = {}
        for r, row in enumerate(ws.iter_rows(min_row=layout.first_data_row, values_only=True), layout.first_data_row):
            values = {h: row[c - 1] for h, c in layout.columns.items()}
            key = (values["日期"].date() if values["日期"] else None) if name == callbacks.DAILY else r
            office[key] = values
        for key, values in python[name].items():
            for header, expected in values.items():
                compared += 1
                if not same(expected, office[key][header]):
                    diffs.append(f"{name}/{key}/{header}: python={expected!r} libreoffice={office[key][header]!r}")
    assert not diffs, "\n".join(diffs)
    assert compared > 250
    assert sum(1 for v in python[callbacks.CALLS].values() if v["日期"]) > 5          # the hidden 来电 日期
    assert all(v["触发日"] for v in python[callbacks.QUEUE].values())


def test_ribbon_button_recalcs_the_queue_like_the_file_path(desk):
    path = calls.update_queue(desk, OCT, as_of=t(2026, 10, 12)).path
    type_attempts(path)
    assert_ribbon_matches_file(path, (callbacks.QUEUE, callbacks.CALLS, callbacks.DAILY), date(2026, 10, 31))