"""今日 as the seeds lay out the day (DOMAIN §23, issue 38), in a person's workbook: progress per
line 「2/3」 in both engines, the header row (row 1, visible, printed, the plan's one figure),
预约 and its visit on the day booked, an older workbook gaining 时间段, urgent items as 新增
lines in their block."""
import subprocess
from datetime import date

import openpyxl
import pytest
from conftest import write_status
from helpers import (
    assert_engines_agree,
    day_of,
    office_values,
    open_month_once,
    outcome_of,
)

from kefu_xl.app.urgent import add_urgent
from kefu_xl.app.workbooks import recalc_file
from kefu_xl.app.workspace import open_month
from kefu_xl.config import load_config
from kefu_xl.demo.typist import type_rows
from kefu_xl.io.libreoffice import convert
from kefu_xl.kinds import personal
from kefu_xl.month import Month
from kefu_xl.sheets.layout import find_layout

NOV = Month(2026, 11)
d = date
C = load_config()
STATUS = [
    ["C1", "甲建材", "张敏", "建材", 2500, 90000, date(2027, 6, 1), date(2024, 1, 1)],    # 一级: 4 calls, 1 visit, 5 reports
    ["C2", "乙家居", "张敏", "家居", 300, 90000, date(2027, 6, 1), date(2024, 1, 1)],     # 二级
]


@pytest.fixture
def office(workspace):
    write_status(workspace, "2026-11", STATUS)
    open_month_once(workspace, NOV, as_of=d(2026, 11, 2))
    return workspace


def mine(workspace):
    return personal.path_of(workspace, "张敏", NOV)


def record(day, account, work_type):
    return {"日期": day, "帐户ID": account, "工作类型": work_type, "沟通对象": "决策人", **outcome_of(work_type)}


def sheet_lines(path):
    """今日's rows as cached: {帐户ID and 时间段: (事项, 已完成)} of the lines, and row 1's text."""
    wb = openpyxl.load_workbook(path, data_only=True)
    ws = wb[personal.TODAY]
    layout, _ = find_layout(ws, personal.spec(C, NOV).sheet(personal.TODAY))
    cols = {h: layout.columns[h] for h in ("时间段", "帐户ID", "事项", "已完成")}
    out = {}
    for r in range(layout.first_data_row, ws.max_row + 1):
        v = {h: ws.cell(r, c).value for h, c in cols.items()}
        if v["事项"] and v["帐户ID"]:
            out[(v["帐户ID"], v["时间段"])] = (v["事项"], v["已完成"])
    return out, ws.cell(1, 1).value


def test_a_line_of_three_items_shows_two_of_three_after_two_records(office):
    """C1 on 11-16 (E = 11 of 21): 电话拜访, 报表发送 and 预约上门 in 回访; two calls logged that day
    make the line 「2/3」, the plan's figure counts items, not lines."""
    path = mine(office)
    recalc_file(path, as_of=d(2026, 11, 16))
    lines, _ = sheet_lines(path)
    visit = lines[("C1", "13:00-14:00 回访")]
    assert visit == ("报表发送 + 电话拜访 + 预约上门", "否")
    assert not any("上门拜访" in what for what, _ in lines.values())         # never a same-day visit
    type_rows(path, personal.spec(C, NOV).sheet(personal.WORK),
              [record(d(2026, 11, 16), "C1", "电话拜访"), record(d(2026, 11, 16), "C1", "报表发送")])
    f = recalc_file(path, as_of=d(2026, 11, 16)).result.figures
    lines, header = sheet_lines(path)
    assert lines[("C1", "13:00-14:00 回访")][1] == "2/3"
    done, planned = personal.plan_figure(f.plan_rows, f.done)
    assert done == 2 and planned == f.planned_today
    assert f.header == f"11月16日 周一 · 今日计划 · 建议完成 {planned} 项 · 已完成 2 项 · 张敏"
    assert header is None or header == f.header          # a live formula (its value: the LibreOffice test)
    daily = personal.python_values(recalc_file(path, as_of=d(2026, 11, 16)).result)[personal.DAILY]
    assert daily[d(2026, 11, 16)]["完成计划项"] == 2


def test_a_visit_booked_in_yuyue_shows_on_its_day_and_the_reservation_counts_as_done(office):
    path = mine(office)
    recalc_file(path, as_of=d(2026, 11, 16))
    type_rows(path, personal.spec(C, NOV).sheet(personal.VISITS),
              [{"帐户ID": "C1", "预约上门日期": d(2026, 11, 19), "备注": "带方案"}])
    recalc_file(path, as_of=d(2026, 11, 16))
    lines, _ = sheet_lines(path)
    assert lines[("C1", "13:00-14:00 回访")] == ("报表发送 + 电话拜访 + 预约上门", "1/3")   # booked: one of three
    f = recalc_file(path, as_of=d(2026, 11, 17)).result.figures
    assert not any("预约上门" in r["事项"] for r in f.plan_rows)                        # booked: not asked again
    f = recalc_file(path, as_of=d(2026, 11, 19)).result.figures
    visit = next(r for r in f.plan_rows if r["事项"].startswith("上门拜访"))
    assert (visit["时间段"], visit["计划内"], visit["原因"].split("；")[0]) == ("13:00-14:00 回访", "是", "预约今天上门（带方案）")


def test_month_open_carries_the_visits_booked_for_next_month(office):
    path = mine(office)
    type_rows(path, personal.spec(C, NOV).sheet(personal.VISITS),
              [{"帐户ID": "C1", "预约上门日期": d(2026, 11, 20)}, {"帐户ID": "C2", "预约上门日期": d(2026, 12, 3), "备注": "下月"}])
    write_status(office, "2026-12", STATUS)
    open_month(office, NOV.next(), as_of=d(2026, 12, 1))
    wb = openpyxl.load_workbook(personal.path_of(office, "张敏", NOV.next()))
    ws = wb[personal.VISITS]
    layout, _ = find_layout(ws, personal.spec(C, NOV.next()).sheet(personal.VISITS))
    rows = [(ws.cell(r, layout.columns["帐户ID"]).value, ws.cell(r, layout.columns["预约上门日期"]).value,
             ws.cell(r, layout.columns["备注"]).value) for r in range(layout.first_data_row, ws.max_row + 1)
            if ws.cell(r, layout.columns["帐户ID"]).value]
    assert [(a, day_of(w), n) for a, w, n in rows] == [("C2", d(2026, 12, 3), "下月")]


def test_the_header_row_is_visible_and_printed(office, tmp_path):
    path = mine(office)
    f = recalc_file(path, as_of=d(2026, 11, 14)).result.figures        # a Saturday: Monday's plan
    assert f.header.startswith("11月16日 周一 · 下一个工作日的计划 · 建议完成 ")
    wb = openpyxl.load_workbook(path)
    ws = wb[personal.TODAY]
    assert not ws.column_dimensions["A"].hidden and not ws.row_dimensions[1].hidden
    assert str(ws["A1"].value).startswith("=") and "SUMIFS(" in ws["A1"].value
    pdf = convert(path, tmp_path, "pdf")
    text = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "11月16日 周一 · 下一个工作日的计划" in text.replace("\n", "")


@pytest.mark.libreoffice
def test_progress_and_the_header_agree_with_libreoffice(office, tmp_path):
    path = mine(office)
    type_rows(path, personal.spec(C, NOV).sheet(personal.VISITS), [{"帐户ID": "C1", "预约上门日期": d(2026, 11, 30)},
                                                                   {"帐户ID": "C9", "预约上门日期": d(2026, 11, 30)}])
    recalc_file(path, as_of=d(2026, 11, 16))
    type_rows(path, personal.spec(C, NOV).sheet(personal.WORK),
              [record(d(2026, 11, 16), "C1", "电话拜访"), record(d(2026, 11, 16), "C2", "帐户优化")])
    outcome = recalc_file(path, as_of=d(2026, 11, 16))
    python = personal.python_values(outcome.result)
    assert {v["已完成"] for v in python[personal.TODAY].values()} >= {"1/2", "否", "是"}   # C1: its visit is booked
    spec = personal.spec(C, NOV)
    office_ = office_values(path, spec, {
        personal.TODAY: lambda r, v: v["序号"], personal.WORK: lambda r, v: r,
        personal.MINE: lambda r, v: v["帐户ID"], personal.DAILY: lambda r, v: day_of(v["日期"]),
        personal.MY_RENEWALS: lambda r, v: v["帐户ID"], personal.MY_CLIENTS: lambda r, v: v["帐户ID"],
        personal.VISITS: lambda r, v: r}, tmp_path / "lo")
    assert assert_engines_agree(python, office_) > 20
    assert python[personal.VISITS] and "（不是我的帐户）" in {v["客户名称"] for v in python[personal.VISITS].values()}
    recalculated = openpyxl.load_workbook(next((tmp_path / "lo").glob("*.xlsx")), data_only=True)
    assert recalculated[personal.TODAY]["A1"].value == outcome.result.figures.header


def test_an_older_workbook_gains_the_time_column_at_its_next_recalc(office):
    """A 今日 without 时间段 and the later helpers, and no 预约 (the previous release's): the recalc
    adds them, says so once, and writes the timetable."""
    path = mine(office)
    wb = openpyxl.load_workbook(path)
    ws = wb[personal.TODAY]
    layout, _ = find_layout(ws, personal.spec(C, NOV).sheet(personal.TODAY))
    day, suggested = ws.cell(*layout.anchors["计划日期"]).value, ws.cell(*layout.anchors["建议今日完成"]).value
    for merged in list(ws.merged_cells.ranges):
        ws.unmerge_cells(str(merged))
    for header in ("完成项", "分钟", "项数", "预约上门", "时间段"):           # right to left: positions stay valid
        ws.delete_cols(layout.columns[header])
    ws.conditional_formatting = type(ws.conditional_formatting)()
    for cell in ws[1]:
        cell.value = None
    ws["A1"], ws["I1"], ws["J1"], ws["K1"], ws["L1"] = "2026年11月 今日计划（早计划） · 张敏", "计划日期", day, "建议今日完成", suggested
    ws.merge_cells("A1:H1")                                               # as the previous release laid out row 1
    del wb[personal.VISITS]
    wb.save(path)
    outcome = recalc_file(path, as_of=d(2026, 11, 16))
    codes = [p.code for p in outcome.result.problems]
    assert "MISSING_HEADER" not in codes and "MISSING_SHEET" not in codes
    assert any(p.code == "UPGRADED" for p in outcome.result.problems)
    lines, _ = sheet_lines(path)
    assert ("C1", "13:00-14:00 回访") in lines
    assert personal.VISITS in openpyxl.load_workbook(path).sheetnames


def test_an_urgent_item_joins_its_block_as_one_new_line_with_the_latest_reason(office):
    """The morning plan stays; an anomaly found later (the 9:00 watch) is a 新增 line in 看消耗 —
    once per client, the reason replaced by the latest, never a second line."""
    path = mine(office)
    recalc_file(path, as_of=d(2026, 11, 16))
    before, _ = sheet_lines(path)
    add_urgent(path, [("C2", "乙家居", "11-16 余额不足（余额 300.00 元），查明原因并通知客户")], as_of=d(2026, 11, 16))
    figures = add_urgent(path, [("C2", "乙家居", "11-16 消耗降为0，查明原因并通知客户")], as_of=d(2026, 11, 16)).result.figures
    rows, header = figures.plan_rows, figures.header
    lines, _ = sheet_lines(path)
    added = [(k, v) for k, v in lines.items() if k not in before]
    assert added == [(("C2", "09:00-10:00 看消耗"), ("处理消耗异常", "否"))]
    reasons = [r["原因"] for r in rows if r["帐户ID"] == "C2" and r["时间段"] == "09:00-10:00 看消耗"]
    assert reasons == ["新增：11-16 消耗降为0，查明原因并通知客户"]
    assert header.endswith("· 新增 1 · 张敏")


def test_the_header_row_says_which_day_the_plan_is_for():
    from kefu_xl.kinds.today import header_text
    monday = date(2026, 11, 30)
    assert header_text(monday, monday, 9, 3, 2) == "11月30日 周一 · 今日计划 · 建议完成 9 项 · 已完成 3 项 · 新增 2"
    assert header_text(monday, date(2026, 11, 28), 9, 0, 0).startswith("11月30日 周一 · 下一个工作日的计划")   # a Saturday
    assert "本月最后一个工作日的计划" in header_text(monday, date(2026, 12, 7), 9, 0, 0)     # the month is over


def test_a_client_opened_today_joins_a_plan_made_earlier_that_day_as_new():
    """§23 新开客户: a client opened on the plan day (brought by a new 帐户状态 export after the
    morning) is added to the frozen plan as a 新增 line in 16:00 新开客户; one opened before is not."""
    from kefu_xl.calendar import WorkCalendar
    from kefu_xl.kinds.today import plan_sheet_rows
    from kefu_xl.month import Month
    from kefu_xl.rules import plan as planning
    day, month, cal, settings = date(2026, 11, 16), Month(2026, 11), WorkCalendar(C), C.plan

    from kefu_xl.records import Targets
    calls = [planning.PlanAccount("A1", "客户A1", "一级", Targets(phone=4), Targets(phone=0), frozenset())]

    def make(newclients):
        return planning.make_plan(day, month, cal, calls, [], newclients, daily_valid_target=4, settings=settings)
    morning, planned, made = plan_sheet_rows(make([]), None, [], {}, settings)
    assert made
    later = make([planning.PlanNewClient("N1", "新开甲", "辅导中", "告知帐户信息", date(2026, 12, 16), day),
                  planning.PlanNewClient("N0", "旧客户", "辅导中", "告知帐户信息", date(2026, 12, 10), date(2026, 11, 10))])
    rows, _, made = plan_sheet_rows(later, day, morning, {}, settings)
    added = [(r["时间段"], r["帐户ID"], r["计划内"]) for r in rows if r.get("帐户ID") in ("N1", "N0") and r.get("计划内")]
    assert not made and added == [("16:00-17:00 新开客户", "N1", personal.ADDED)]
    assert next(r["原因"] for r in rows if r.get("帐户ID") == "N1").startswith("新增：今天开户；")


def test_collect_shows_the_plans_figure_and_a_team_recalc_does_not_read_today(office, monkeypatch):
    """`kefu-xl collect` prints each person's plan as her workbook counts it (2 of the day's items
    done after two records); the team recalc behind it writes nothing that needs 今日, so it
    does not read that sheet (the biggest of a personal workbook)."""
    from click.testing import CliRunner

    from kefu_xl.app import collect
    from kefu_xl.cli import cli
    from kefu_xl.kinds import maintenance
    path = mine(office)
    recalc_file(path, as_of=d(2026, 11, 16))
    type_rows(path, personal.spec(C, NOV).sheet(personal.WORK),
              [record(d(2026, 11, 16), "C1", "电话拜访"), record(d(2026, 11, 16), "C1", "报表发送")])
    f = recalc_file(path, as_of=d(2026, 11, 16)).result.figures
    done, planned = personal.plan_figure(f.plan_rows, f.done)
    assert done == 2 and planned > 2
    asked = []
    real = collect.read_sheets_kept
    monkeypatch.setattr(collect, "read_sheets_kept", lambda p, only, *rest: asked.append(only) or real(p, only, *rest))
    team = recalc_file(office / "2026-11" / maintenance.file_name(NOV), as_of=d(2026, 11, 16)).result.figures
    assert asked and not any(personal.TODAY in only for only in asked)
    assert [(line.owner, line.plan_total) for line in team.collected.lines if line.owner == "张敏"] == [("张敏", None)]
    out = CliRunner().invoke(cli, ["collect", "2026-11", "--dir", str(office), "--as-of", "2026-11-16"])
    assert out.exit_code in (0, 1), out.output
    row = next(line for line in out.output.splitlines() if "张敏_2026-11.xlsx" in line)
    assert f"11-16 {done}/{planned}" in row, row
