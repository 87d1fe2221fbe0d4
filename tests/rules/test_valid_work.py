"""DOMAIN §24: valid work exactly as the seed defines it — a piece of work counts when it achieved
something. Every rule both ways, in the team tracker and in a personal workbook, Python and
LibreOffice's recalculation of the workbook's own formulas alike; a switch turned off; a month
opened before `since` keeps the old rule."""
from __future__ import annotations

from datetime import date

import openpyxl
import pytest
from conftest import write_status
from helpers import (
    assert_engines_agree,
    libreoffice_values,
    office_values,
    open_month_once,
)

from kefu_xl.app.workbooks import recalc_file
from kefu_xl.app.workspace import open_month
from kefu_xl.config import load_config
from kefu_xl.demo.typist import type_rows
from kefu_xl.kinds import maintenance, meetings, personal, renewal
from kefu_xl.month import Month
from kefu_xl.sheets.layout import find_layout

NOV = Month(2026, 11)
C = load_config()
STATUS = [
    ["C1", "甲建材", "张敏", "建材", 2500, 90000, date(2027, 6, 1), date(2024, 1, 1)],    # 一级, no renewal due
    ["C2", "乙家居", "张敏", "家居", 300, 100, date(2027, 6, 1), date(2024, 1, 1)],       # 二级 (2 calls), renewal due
    ["C3", "丙教育", "李娜", "教育", 50, 90000, date(2027, 6, 1), date(2024, 1, 1)],
]


def d(day: int) -> date:
    return date(2026, 11, day)


def work(day, account, kind, **more) -> dict:
    return {"日期": d(day), "帐户ID": account, "工作类型": kind, "沟通对象": "决策人", **more}


# (record, its reason as of 11-20 in the team tracker; in a personal workbook where it differs)
CASES = [
    (work(5, "C2", "续费完成", 内容摘要="客户说已付款"), "续费未到帐", None),        # until 到帐日期 is typed
    (work(5, "C1", "续费完成"), "续费跟踪中没有这个帐户", None),
    (work(6, "C1", "电话邀约"), "", None),                                          # 11-13: 到会 是
    (work(6, "C2", "电话邀约"), "客户未到会", None),                                  # 11-13: 否
    (work(13, "C2", "电话邀约", 内容摘要="会当天邀约"), "客户未到会", None),          # the meeting that day counts
    (work(16, "C1", "电话邀约"), "等待到会", None),                                  # next meeting 11-25
    (work(9, "C2", "电话拜访"), "未填满意度", None),                                 # takes no plan slot …
    (work(10, "C2", "电话拜访", 满意度="不满意"), "", None),
    (work(11, "C2", "电话拜访", 满意度="满意"), "", None),                           # … so this is the 2nd of 2
    (work(12, "C2", "电话拜访", 满意度="一般"), "超计划", ""),                       # the team judges 超计划
    (work(11, "C1", "帐户优化", 客户接受="否"), "客户未接受", None),
    (work(11, "C1", "帐户优化", 内容摘要="客户还没答复"), "未填客户接受", None),
    (work(12, "C1", "帐户优化", 客户接受="是"), "", None),
    (work(12, "C1", "其他", 内容摘要="帮客户开发票"), "不认可", None),               # 抽查: 认可 = 不认可
    (work(12, "C2", "其他", 内容摘要="陪客户看展"), "", None),
]
MEETINGS = [{"见面会日期": d(13), "主题": "效果交流会", "帐户ID": "C1", "到会": "是"},
            {"见面会日期": d(13), "主题": "效果交流会", "帐户ID": "C2", "到会": "否"},
            {"见面会日期": d(25), "主题": "年终答谢会", "帐户ID": "C1"}]


@pytest.fixture
def office(workspace):
    write_status(workspace, "2026-11", STATUS)
    open_month_once(workspace, NOV, as_of=d(2))
    path = meetings.path_of(workspace)
    assert path.exists()                                   # month open made the 培训师's file
    type_rows(path, meetings.spec(C).sheet(meetings.MEETINGS), MEETINGS)
    return workspace


def team(workspace):
    return workspace / "2026-11" / maintenance.file_name(NOV)


def mark_unrecognised(workspace) -> None:
    type_rows(team(workspace), maintenance.spec(C, NOV).sheet(maintenance.SPOT),
              [{"日期": d(12), "抽查人": "经理", "帐户ID": "C1", "客服": "张敏", "认可": "不认可"}])


def reasons(outcome) -> list[str]:
    f = outcome.result.figures
    by_row = {r.row: v.reason for r, v in zip(f.records, f.verdicts)}
    return [by_row[r] for r in sorted(by_row)]


def paid(workspace, day: date) -> None:
    """张敏 types the money's arrival in her own 我的续费; the team's 续费跟踪 collects it."""
    path = personal.path_of(workspace, "张敏", NOV)
    wb = openpyxl.load_workbook(path)
    ws = wb[personal.MY_RENEWALS]
    layout, _ = find_layout(ws, personal.spec(C, NOV).sheet(personal.MY_RENEWALS))
    row = next(r for r in range(layout.first_data_row, ws.max_row + 1) if ws.cell(r, layout.columns["帐户ID"]).value == "C2")
    for header, value in {"续费状态": "已续费", "续费金额": 5000, "到帐日期": day}.items():
        ws.cell(row, layout.columns[header]).value = value
    wb.save(path)
    recalc_file(workspace / "2026-11" / renewal.file_name(NOV), as_of=d(20))


@pytest.mark.libreoffice
def test_each_rule_both_ways_in_the_team_tracker(office, tmp_path):
    type_rows(team(office), maintenance.spec(C, NOV).sheet(maintenance.WORK),
              [{**record, "客服": "张敏"} for record, _, _ in CASES])
    mark_unrecognised(office)
    outcome = recalc_file(team(office), as_of=d(20))
    assert reasons(outcome) == [want for _, want, _ in CASES]
    python = maintenance.python_values(outcome.result)
    assert_engines_agree(python, libreoffice_values(team(office), tmp_path / "lo"))
    zhang = python[maintenance.SUMMARY]["张敏"]
    assert (zhang["邀约数"], zhang["到会数"]) == (4, 1) and zhang["到会率"] == pytest.approx(0.25)
    codes = {p.code for p in outcome.result.problems}
    assert {"NO_SATISFACTION", "NO_ACCEPTED", "NO_RENEWAL_ROW", "NOT_ATTENDED", "NOT_RECOGNISED"} <= codes

    paid(office, d(18))                                    # the money arrives; the 11-25 meeting is held
    type_rows(meetings.path_of(office), meetings.spec(C).sheet(meetings.MEETINGS), [])
    wb = openpyxl.load_workbook(meetings.path_of(office))
    ws = wb[meetings.MEETINGS]
    layout, _ = find_layout(ws, meetings.spec(C).sheet(meetings.MEETINGS))
    ws.cell(layout.first_data_row + 2, layout.columns["到会"]).value = "是"
    wb.save(meetings.path_of(office))
    later = recalc_file(team(office), as_of=d(26))
    assert reasons(later)[0] == "" and reasons(later)[5] == ""          # 续费完成 and the 11-16 邀约 now count
    assert_engines_agree(maintenance.python_values(later.result), libreoffice_values(team(office), tmp_path / "lo2"))


@pytest.mark.libreoffice
def test_each_rule_both_ways_in_a_personal_workbook(office, tmp_path):
    mark_unrecognised(office)
    recalc_file(team(office), as_of=d(20))
    path = personal.path_of(office, "张敏", NOV)
    type_rows(path, personal.spec(C, NOV).sheet(personal.WORK), [record for record, _, _ in CASES])
    outcome = recalc_file(path, as_of=d(20))
    assert reasons(outcome) == [want if alone is None else alone for _, want, alone in CASES]
    keys = {personal.TODAY: lambda r, v: v["序号"], personal.WORK: lambda r, v: r,
            personal.MINE: lambda r, v: v["帐户ID"], personal.DAILY: lambda r, v: v["日期"].date(),
            personal.MY_RENEWALS: lambda r, v: v["帐户ID"], personal.MY_CLIENTS: lambda r, v: v["帐户ID"]}
    assert_engines_agree(personal.python_values(outcome.result), office_values(path, personal.spec(C, NOV), keys,
                                                                               tmp_path / "lo"))
    paid(office, d(18))
    assert reasons(recalc_file(path, as_of=d(20)))[0] == ""              # its own 我的续费 tells at once


def test_a_row_typed_since_the_last_recalc_waits_for_the_team(office):
    """Until a recalc has looked at the team's files, the live formula says 待团队核对."""
    path = personal.path_of(office, "张敏", NOV)
    type_rows(path, personal.spec(C, NOV).sheet(personal.WORK), [work(5, "C2", "续费完成")])
    wb = openpyxl.load_workbook(path)
    ws = wb[personal.WORK]
    layout, _ = find_layout(ws, personal.spec(C, NOV).sheet(personal.WORK))
    formula = ws.cell(layout.first_data_row, layout.columns["无效原因"]).value
    assert "待团队核对" in formula and ws.cell(layout.first_data_row, layout.columns["团队核对"]).value is None


def test_a_switch_turned_off_counts_that_work_when_typed(workspace):
    config = workspace / "kefu-xl.toml"
    config.write_text(config.read_text("utf-8").replace("renewal_paid = true", "renewal_paid = false")
                      .replace("satisfaction = true ", "satisfaction = false "), "utf-8")
    write_status(workspace, "2026-11", STATUS)
    open_month(workspace, NOV, as_of=d(2))
    type_rows(team(workspace), maintenance.spec(C, NOV).sheet(maintenance.WORK),
              [{**work(5, "C1", "续费完成"), "客服": "张敏"}, {**work(9, "C2", "电话拜访"), "客服": "张敏"},
               {**work(11, "C1", "帐户优化"), "客服": "张敏"}])
    assert reasons(recalc_file(team(workspace), as_of=d(20))) == ["", "", "未填客户接受"]


def test_a_month_opened_before_since_keeps_the_old_rules(workspace):
    config = workspace / "kefu-xl.toml"
    config.write_text(config.read_text("utf-8").replace('# since = "2027-01"', 'since = "2026-12"'), "utf-8")
    write_status(workspace, "2026-11", STATUS)
    open_month(workspace, NOV, as_of=d(2))
    type_rows(team(workspace), maintenance.spec(C, NOV).sheet(maintenance.WORK),
              [{**work(5, "C1", "续费完成"), "客服": "张敏"}, {**work(9, "C2", "电话拜访"), "客服": "张敏"}])
    assert reasons(recalc_file(team(workspace), as_of=d(20))) == ["", ""]
    assert load_config(config).valid.since == "2026-12"


def plan_lines(path) -> list[tuple]:
    wb = openpyxl.load_workbook(path)
    ws = wb[personal.TODAY]
    layout, _ = find_layout(ws, personal.spec(C, NOV).sheet(personal.TODAY))
    return [(ws.cell(r, layout.columns["帐户ID"]).value, ws.cell(r, layout.columns["事项"]).value,
             ws.cell(r, layout.columns["原因"]).value) for r in range(layout.first_data_row, ws.max_row + 1)
            if ws.cell(r, layout.columns["事项"]).value]


def test_an_unhappy_client_is_called_back_the_next_day_until_reached(office):
    path = personal.path_of(office, "张敏", NOV)
    type_rows(path, personal.spec(C, NOV).sheet(personal.WORK), [work(10, "C2", "电话拜访", 满意度="不满意")])
    recalc_file(path, as_of=d(11))
    line = next(x for x in plan_lines(path) if x[0] == "C2" and "不满意回访" in x[1])     # in 回访 (续费 has its own line)
    assert "客户 11-10 表示不满意" in line[2]
    type_rows(path, personal.spec(C, NOV).sheet(personal.WORK), [work(11, "C2", "报表发送")])
    recalc_file(path, as_of=d(12))                                        # reached on 11-11: no more
    assert not any("不满意" in (x[2] or "") for x in plan_lines(path))


def test_a_teams_own_satisfaction_column_is_adopted_not_duplicated(office):
    """An older tracker where the team kept satisfaction in a column of its own, headed 满意度:
    kefu-xl reads that column (no second one), and values outside the drop-down are listed."""
    path = team(office)
    wb = openpyxl.load_workbook(path)
    ws = wb[maintenance.WORK]
    layout, _ = find_layout(ws, maintenance.spec(C, NOV).sheet(maintenance.WORK))
    ours = layout.columns["满意度"]
    ws.delete_cols(ours)                                         # a file from before the column …
    spare = ws.max_column + 2
    ws.cell(layout.header_row, spare).value = "满意度"             # … with the team's own, far right
    wb.save(path)
    type_rows(path, maintenance.spec(C, NOV).sheet(maintenance.WORK),
              [{**work(9, "C2", "电话拜访"), "客服": "张敏"}, {**work(10, "C2", "电话拜访"), "客服": "张敏"},
               {**work(11, "C2", "电话拜访"), "客服": "张敏"}])
    wb = openpyxl.load_workbook(path)
    ws = wb[maintenance.WORK]
    for r, value in zip(range(layout.first_data_row, layout.first_data_row + 3), ("非常满意", "说不清", None)):
        ws.cell(r, spare).value = value
    wb.save(path)
    outcome = recalc_file(path, as_of=d(20))
    headers = [c.value for c in openpyxl.load_workbook(path)[maintenance.WORK][layout.header_row]]
    assert headers.count("满意度") == 1 and headers.index("满意度") + 1 == spare
    assert reasons(outcome) == ["", "", "未填满意度"]              # any answer counts as asked
    odd = [p for p in outcome.result.problems if p.code == "BAD_SATISFACTION"]
    assert len(odd) == 1 and "说不清" in odd[0].message           # 非常满意 maps to 很满意; 说不清 is listed


def test_a_team_without_a_renewal_tracker_counts_renewals_as_typed(workspace):
    """续费完成 waits for 到帐日期 in 续费跟踪 — a team that keeps none ([workbooks] monthly without
    renewal) has nothing to wait for: the work counts as typed."""
    config = workspace / "kefu-xl.toml"
    config.write_text(config.read_text("utf-8").replace(
        'monthly = ["maintenance", "renewal", "newclient", "refunds", "complaints"]',
        'monthly = ["maintenance", "newclient"]'), "utf-8")
    write_status(workspace, "2026-11", STATUS)
    open_month(workspace, NOV, as_of=d(2))
    assert not (workspace / "2026-11" / renewal.file_name(NOV)).exists()
    type_rows(team(workspace), maintenance.spec(C, NOV).sheet(maintenance.WORK),
              [{**work(5, "C1", "续费完成"), "客服": "张敏"}])
    assert reasons(recalc_file(team(workspace), as_of=d(20))) == [""]
