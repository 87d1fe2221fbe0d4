"""DOMAIN §25, 咨询: 时限 from level and channel in working minutes (a week with the 2026 国庆 holiday
and its 调休 Saturday, worked out by hand below), times typed as 9:30 / 930 / 9.30, 及时 live in
the personal workbook and on the team's 咨询 sheet, 咨询数 / 咨询及时率 on 客服汇总 — both engines."""
from __future__ import annotations

import shutil
from datetime import date, datetime, time

import openpyxl
import pytest
from conftest import ROSTER, write_status
from helpers import assert_engines_agree, office_values

from kefu_xl.app.workbooks import recalc_file
from kefu_xl.app.workspace import init_workspace, open_month
from kefu_xl.calendar import WorkCalendar
from kefu_xl.config import load_config
from kefu_xl.demo.typist import type_rows
from kefu_xl.kinds import inquiries, maintenance, personal
from kefu_xl.month import Month
from kefu_xl.rules import inquiries as rules

C = load_config()
OCT = Month(2026, 10)
WORKING = rules.WorkingTime(C.work_hours, WorkCalendar(C))


def at(day: int, hh: int, mm: int = 0, month: int = 10) -> datetime:
    return datetime(2026, month, day, hh, mm)


# (received, level, channel) -> 时限, by hand: 09:00-12:00 and 13:00-18:00 count (480 minutes a
# day); 10-01..10-07 are 国庆 (no work), 10-10 is a working Saturday (调休), 10-11 a Sunday off.
GRID = [
    (at(30, 11, 30, 9), "一级", "网络", at(30, 13, 30, 9)),     # 30 minutes before lunch, 30 after
    (at(30, 11, 30, 9), "二级", "网络", at(30, 13, 30, 9)),
    (at(30, 11, 30, 9), "三级", "网络", at(9, 11, 30)),         # 三级 网络 = 邮件: two working days
    (at(30, 11, 30, 9), "一级", "邮件", at(30, 18, 0, 9)),      # the same working day
    (at(30, 11, 30, 9), "二级", "邮件", at(8, 11, 30)),         # one working day: over the holiday
    (at(30, 11, 30, 9), "三级", "邮件", at(9, 11, 30)),
    (at(30, 17, 30, 9), "一级", "网络", at(8, 9, 30)),          # 30 minutes left that day, 30 after 国庆
    (at(30, 17, 30, 9), "一级", "邮件", at(30, 18, 0, 9)),
    (at(3, 10, 0), "一级", "网络", at(8, 10, 0)),               # received on a holiday: from the next opening
    (at(3, 10, 0), "一级", "邮件", at(8, 18, 0)),
    (at(3, 10, 0), "二级", "邮件", at(8, 18, 0)),
    (at(3, 10, 0), "三级", "邮件", at(9, 18, 0)),
    (at(9, 17, 30), "二级", "网络", at(10, 9, 30)),             # the 调休 Saturday works
    (at(9, 17, 30), "二级", "邮件", at(10, 17, 30)),
    (at(9, 17, 30), "三级", "邮件", at(12, 17, 30)),            # Saturday, then Monday (Sunday off)
    (at(10, 19, 0), "一级", "邮件", at(12, 18, 0)),             # after hours on the Saturday
    (at(10, 19, 0), "二级", "邮件", at(12, 18, 0)),
    (at(10, 12, 30), "一级", "网络", at(10, 14, 0)),            # at lunch: from 13:00
    (at(12, 9, 0), "二级", "电话", None),                       # answered in the call
    (at(12, 9, 0), "", "网络", at(12, 10, 0)),                  # no level (a new client): as 二级
]


@pytest.mark.parametrize("received, level, channel, due", GRID)
def test_the_time_limit_by_level_and_channel(received, level, channel, due):
    assert rules.deadline(received, level, channel, WORKING, 60) == due


@pytest.mark.parametrize("typed, clock", [("9:30", time(9, 30)), ("930", time(9, 30)), ("9.30", time(9, 30)),
                                          (930, time(9, 30)), (9.3, time(9, 30)), (9.05, time(9, 5)),
                                          ("０９３０", time(9, 30)), ("14：05", time(14, 5)), (0.5, time(12, 0)),
                                          (time(16, 45), time(16, 45)), ("", None)])
def test_a_time_typed_three_ways(typed, clock):
    assert rules.clock_of(typed) == clock


@pytest.mark.parametrize("typed", ["25:00", "9:75", "abc", "12.5.1", 2500])
def test_a_time_that_is_none_is_refused(typed):
    with pytest.raises(ValueError):
        rules.clock_of(typed)


STATUS = [
    ["C1", "甲建材", "张敏", "建材", 2500, 90000, date(2027, 6, 1), date(2024, 1, 1)],    # 一级
    ["C2", "乙家居", "张敏", "家居", 300, 90000, date(2027, 6, 1), date(2024, 1, 1)],     # 二级
    ["C3", "丙教育", "李娜", "教育", 50, 90000, date(2027, 6, 1), date(2024, 1, 1)],      # 三级
]
NOV = Month(2026, 11)


@pytest.fixture(scope="module")
def opened(tmp_path_factory):
    folder = tmp_path_factory.mktemp("inquiries") / "office"
    init_workspace(folder, staff=ROSTER)
    write_status(folder, str(NOV), STATUS)
    open_month(folder, NOV, as_of=date(2026, 11, 2))
    return folder


@pytest.mark.libreoffice
def test_on_time_in_both_engines_personal_and_team(opened, tmp_path):
    office = shutil.copytree(opened, tmp_path / "office")
    path = personal.path_of(office, "张敏", NOV)
    sheet = personal.spec(C, NOV).sheet(inquiries.SHEET)
    d = date(2026, 11, 9)
    type_rows(path, sheet, [
        {"收到日期": d, "收到时刻": "9:30", "帐户ID": "C1", "渠道": "网络", "内容": "余额",
         "答复日期": d, "答复时刻": "10:30"},                                    # 一级 网络: 10:30, just in time
        {"收到日期": d, "收到时刻": "930", "帐户ID": "C1", "渠道": "网络", "内容": "关键词",
         "答复日期": d, "答复时刻": "10.31"},                                    # a minute late
        {"收到日期": d, "收到时刻": 9.3, "帐户ID": "C2", "渠道": "邮件", "内容": "发票",
         "答复日期": date(2026, 11, 10), "答复时刻": "9:00"},                     # 二级 邮件: 11-10 09:30
        {"收到日期": d, "收到时刻": "16:00", "帐户ID": "C3", "渠道": "电话", "内容": "同事的客户"},   # phone: on time
        {"收到日期": d, "收到时刻": "17:00", "帐户ID": "C2", "渠道": "邮件", "内容": "还没回"},     # waiting
    ])
    outcome = recalc_file(path, as_of=date(2026, 11, 10))
    rows = outcome.result.figures.inquiries
    assert [i.due for i in rows] == [at(9, 10, 30, 11), at(9, 10, 30, 11), at(10, 9, 30, 11), None, at(10, 17, 0, 11)]
    assert [i.on_time for i in rows] == ["是", "否", "是", "是", ""]
    python = personal.python_values(outcome.result)
    mine = office_values(path, personal.spec(C, NOV), {inquiries.SHEET: lambda r, v: r}, tmp_path / "lo")
    assert assert_engines_agree({inquiries.SHEET: python[inquiries.SHEET]}, mine) >= 15

    team = office / str(NOV) / maintenance.file_name(NOV)
    outcome = recalc_file(team, as_of=date(2026, 11, 10), now=datetime(2026, 11, 10, 18, 0))
    python = maintenance.python_values(outcome.result)
    assert python[maintenance.SUMMARY]["张敏"]["咨询数"] == 5
    assert python[maintenance.SUMMARY]["张敏"]["咨询及时率"] == 3 / 4
    assert python[maintenance.SUMMARY]["合计"]["咨询及时率"] == 3 / 4
    wb = openpyxl.load_workbook(team)
    ws = wb[inquiries.SHEET]
    header = [c.value for c in ws[2]]
    assert header[:3] == ["客服", "收到日期", "收到时刻"]
    names = [r[header.index("客户名称")] for r in ws.iter_rows(min_row=3, values_only=True) if r[0]]
    assert names == ["甲建材", "甲建材", "乙家居", "丙教育", "乙家居"]
    theirs = office_values(team, maintenance.spec(C, NOV), {inquiries.SHEET: lambda r, v: r,
                                                           maintenance.SUMMARY: lambda r, v: v["客服"]}, tmp_path / "lo2")
    assert assert_engines_agree({k: python[k] for k in (inquiries.SHEET, maintenance.SUMMARY)}, theirs) >= 30


def test_an_older_personal_workbook_gains_the_sheet(opened, tmp_path):
    office = shutil.copytree(opened, tmp_path / "office")
    path = personal.path_of(office, "张敏", NOV)
    wb = openpyxl.load_workbook(path)
    del wb[inquiries.SHEET]                                      # as the previous release made it
    wb.save(path)
    outcome = recalc_file(path, as_of=date(2026, 11, 10))
    assert inquiries.SHEET in openpyxl.load_workbook(path).sheetnames
    assert any(p.code == "UPGRADED" and "咨询" in p.message for p in outcome.result.problems)


@pytest.mark.libreoffice
def test_unanswered_inquiries_come_first_in_todays_first_block(opened, tmp_path):
    """DOMAIN §25/§23: an inquiry not answered is the first line of 今日's 看消耗 block (原因 with
    how long is left), always above the line; once answered that day its line is done — the
    workbook's formula and Python agree."""
    office = shutil.copytree(opened, tmp_path / "office")
    path = personal.path_of(office, "张敏", NOV)
    sheet = personal.spec(C, NOV).sheet(inquiries.SHEET)
    d = date(2026, 11, 9)
    type_rows(path, sheet, [{"收到日期": d, "收到时刻": "8:30", "帐户ID": "C2", "渠道": "网络", "内容": "余额"}])
    outcome = recalc_file(path, as_of=d, now=datetime(2026, 11, 9, 9, 0))
    lines = [r for r in outcome.result.figures.plan_rows if r["项数"]]
    first = lines[0]
    assert (first["时间段"], first["优先级"], first["帐户ID"], first["事项"]) == ("09:00-10:00 看消耗", "1 咨询", "C2", "答复咨询")
    assert first["原因"] == "网络咨询 还剩 1 小时" and first["计划内"] == personal.PLANNED
    assert first["客户名称"] == "乙家居"

    wb = openpyxl.load_workbook(path)
    ws = wb[inquiries.SHEET]
    header = [c.value for c in ws[2]]
    ws.cell(3, header.index("答复日期") + 1).value = d
    ws.cell(3, header.index("答复时刻") + 1).value = "9:20"
    wb.save(path)
    outcome = recalc_file(path, as_of=d, now=datetime(2026, 11, 9, 9, 30))
    python = personal.python_values(outcome.result)
    row = next(r for r in outcome.result.figures.plan_rows if r["事项"] == "答复咨询")
    assert python[personal.TODAY][row["序号"]]["已完成"] == "是"
    theirs = office_values(path, personal.spec(C, NOV), {personal.TODAY: lambda r, v: v["序号"]}, tmp_path / "lo")
    assert theirs[personal.TODAY][row["序号"]]["已完成"] == "是"
    assert assert_engines_agree({personal.TODAY: python[personal.TODAY]}, theirs) > 5
