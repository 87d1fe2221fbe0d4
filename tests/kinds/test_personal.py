"""Personal workbooks (DOMAIN §14): written at month open, the plan and 我的帐户 at recalc,
每日小结 history, LibreOffice agreement, collection into the team tracker (same 客服汇总 as
typing into the team file), bad files, the ribbon button."""
import hashlib
import shutil
from datetime import date

import openpyxl
import pytest
from conftest import write_status
from helpers import (
    assert_engines_agree,
    assert_ribbon_matches_file,
    day_of,
    office_values,
    open_month_once,
    outcome_of,
    type_follow_up,
)

from kefu_xl.app.workbooks import recalc_file
from kefu_xl.app.workspace import open_month
from kefu_xl.config import load_config
from kefu_xl.demo.typist import type_rows
from kefu_xl.kinds import maintenance, personal, today
from kefu_xl.month import Month
from kefu_xl.sheets.layout import find_layout

NOV = Month(2026, 11)
d = date
C = load_config()
STATUS = [
    ["C1", "甲建材", "张敏", "建材", 2500, 90000, date(2027, 6, 1), date(2024, 1, 1)],    # 一级
    ["C2", "乙家居", "张敏", "家居", 300, 100, date(2027, 6, 1), date(2024, 1, 1)],       # 二级, renewal due
    ["C3", "丙教育", "李娜", "教育", 50, 90000, date(2027, 6, 1), date(2024, 1, 1)],      # 三级
    ["C5", "戊机械", "张敏", "机械", 130, 90000, date(2027, 6, 1), date(2026, 11, 5)],    # new client
]
RECORDS = [
    {"日期": d(2026, 11, 2), "帐户ID": "C1", "工作类型": "电话拜访", "满意度": "满意", "沟通对象": "决策人", "内容摘要": "沟通投放"},
    {"日期": d(2026, 11, 3), "帐户ID": "C1", "工作类型": "报表发送", "沟通对象": "决策人"},
    {"日期": d(2026, 11, 3), "帐户ID": "C3", "工作类型": "电话拜访", "满意度": "满意", "沟通对象": "决策人"},        # cover for 李娜
    {"日期": d(2026, 11, 3), "帐户ID": "C9", "工作类型": "报表发送", "沟通对象": "决策人"},        # unknown account
    {"日期": d(2026, 11, 4), "帐户ID": "C2", "工作类型": "电话拜访", "满意度": "满意", "沟通对象": "其他人员"},      # not decision maker
    {"日期": d(2026, 11, 9), "帐户ID": "C1", "工作类型": "电话拜访", "满意度": "满意", "沟通对象": "决策人"},
    {"日期": d(2026, 11, 9), "帐户ID": "C2", "工作类型": "客户培训", "沟通对象": "决策人", "内容摘要": "=已提醒"},
]


@pytest.fixture
def office(workspace):
    write_status(workspace, "2026-11", STATUS)
    open_month_once(workspace, NOV, as_of=d(2026, 11, 2))
    return workspace


def mine(workspace, who="张敏"):
    return personal.path_of(workspace, who, NOV)


def type_records(path, rows):
    """Type rows into 工作记录; a 内容摘要 starting with = was typed as text (leading apostrophe)."""
    sheet = personal.spec(C, NOV).sheet(personal.WORK)
    type_rows(path, sheet, rows)
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet.name]
    layout, _ = find_layout(ws, sheet)
    for r in range(layout.first_data_row, ws.max_row + 1):
        cell = ws.cell(r, layout.columns["内容摘要"])
        if isinstance(cell.value, str) and cell.value.startswith("="):
            cell.data_type = "s"
    wb.save(path)


def test_month_open_writes_one_workbook_per_active_person(office):
    names = sorted(p.name for p in (office / "2026-11" / "个人").glob("*.xlsx"))
    assert names == ["张敏_2026-11.xlsx", "李娜_2026-11.xlsx", "王芳_2026-11.xlsx"]     # not 赵离 (在职 否)
    wb = openpyxl.load_workbook(mine(office))
    assert wb.sheetnames[:7] == ["今日", "工作记录", "咨询", "我的帐户", "我的续费", "我的新客户", "每日小结"]
    assert wb["_meta"].sheet_state != "visible" and wb["帐户清单"].sheet_state == "hidden"


def test_recalc_writes_todays_plan_and_my_accounts(office):
    type_records(mine(office), RECORDS)
    f = recalc_file(mine(office), as_of=d(2026, 11, 9)).result.figures
    plan = f.plan
    assert (plan.day, plan.working_days, plan.elapsed) == (d(2026, 11, 9), 21, 6)
    rows = [(r["时间段"], r["优先级"], r["帐户ID"], r["事项"]) for r in f.plan_rows if r["项数"]]
    # DOMAIN §23, one line per client per block: C2 is due for renewal (balance 100 at 300/week:
    # 2.3 days) and never notified — in 续费 at 10:00; its calls in 回访; 一级 C1's items behind the
    # line (报表 5×6/21 = 1.43 − 1, 上门 0.29 → 预约上门, 优化 2×6/21 = 0.57; phone done today) in 回访
    # and 优化; C5's first onboarding step at 16:00
    assert rows[0] == ("10:00-10:30 续费", "1 续费", "C2", "续费提醒")
    assert [r for r in rows if r[2] == "C1"] == [("13:00-14:00 回访", "3 维护", "C1", "报表发送 + 预约上门"),
                                                ("14:00-16:00 优化", "3 维护", "C1", "帐户优化")]
    assert ("16:00-17:00 新开客户", "2 新客户", "C5", "告知帐户信息") in rows
    assert len({r[:3:2] for r in rows}) == len(rows)                  # a client once per block
    assert not any("上门拜访" == r[3] for r in rows)
    assert f.plan_rows[0]["原因"] == "可投放 2.3 天，尚未提醒续费"
    assert f.done[0] == 1               # C2 reached today (客户培训, 决策人): its renewal line is done
    verdicts = {r.row: v.reason for r, v in zip(f.records, f.verdicts)}
    assert verdicts == {3: "", 4: "", 5: "", 6: "帐户不存在", 7: "非决策人", 8: "", 9: ""}
    accounts = {r["帐户ID"]: r for r in f.mine}
    assert sorted(accounts) == ["C1", "C2", "C5"]
    assert accounts["C1"]["电话拜访目标"] == 4 and accounts["C1"]["上次联系"] == d(2026, 11, 9)


def plan_sheet(path) -> list[tuple]:
    """今日 as a person sees it: (序号, 优先级, 帐户ID, 事项, 已完成 cached) of every row, the divider too."""
    wb = openpyxl.load_workbook(path, data_only=True)
    ws = wb[personal.TODAY]
    layout, _ = find_layout(ws, personal.spec(C, NOV).sheet(personal.TODAY))
    cols = [layout.columns[h] for h in ("序号", "优先级", "帐户ID", "事项", "已完成")]
    return [tuple(ws.cell(r, c).value for c in cols) for r in range(layout.first_data_row, ws.max_row + 1)
            if any(ws.cell(r, c).value for c in cols)]


def test_the_morning_plan_stays_all_day_and_the_daily_summary_keeps_it(office):
    """DOMAIN §21: the first recalc of a day makes the plan; a record typed and a recalc later the
    same day mark its line done — nothing drops off, 每日小结 keeps the morning's count."""
    path = mine(office)
    morning = recalc_file(path, as_of=d(2026, 11, 2)).result.figures     # the plan of 11-02 (made at open)
    before = plan_sheet(path)
    c1 = next(r for r in morning.plan_rows if r["帐户ID"] == "C1" and r["维护项"] and r["计划内"])
    type_records(path, [{"日期": d(2026, 11, 2), "帐户ID": "C1", "工作类型": t, "沟通对象": "决策人", **outcome_of(t)}
                        for t in c1["维护项"].split("+")])
    later = recalc_file(path, as_of=d(2026, 11, 2)).result.figures
    after = plan_sheet(path)
    assert [r[:4] for r in after] == [r[:4] for r in before]            # the same lines, in the same order
    done = {r[0]: r[4] for r in after if r[0]}
    assert done[c1["序号"]] == "是" and {r[0]: r[4] for r in before if r[0]}[c1["序号"]] == "否"
    daily = {r["日期"]: r for r in later.daily}
    assert daily[d(2026, 11, 2)]["计划项数"] == morning.planned_today == later.planned_today
    assert not later.plan_made_now and morning.plan_made_now is False     # made at month open
    tuesday = recalc_file(path, as_of=d(2026, 11, 3)).result.figures
    assert tuesday.plan_made_now
    daily = {r["日期"]: r for r in tuesday.daily}
    assert daily[d(2026, 11, 2)]["计划项数"] == morning.planned_today    # kept as written on Monday
    assert daily[d(2026, 11, 2)]["完成记录"] >= 1
    assert daily[d(2026, 11, 3)]["计划项数"] == tuesday.planned_today
    assert sorted(daily) == [d(2026, 11, 2), d(2026, 11, 3)]


def test_the_plan_fits_the_day_one_line_a_client_per_block_with_a_divider(workspace):
    """40 accounts early in the month (DOMAIN §23): above the one divider each block holds no more
    minutes than it has, one line per client per block; the rest under 有余力再做 by block;
    建议今日完成 and 每日小结's 计划项数 are the items above the line."""
    rows = [[f"A{i:02d}", f"客户{i}", "张敏", "建材", 2500 if i < 3 else 50, 90000, date(2027, 6, 1),
             date(2024, 1, 1)] for i in range(40)]                       # 3 一级, 37 三级
    write_status(workspace, "2026-11", rows)
    open_month(workspace, NOV, as_of=d(2026, 11, 4))
    f = recalc_file(mine(workspace), as_of=d(2026, 11, 4)).result.figures
    sheet = plan_sheet(mine(workspace))
    dividers = [i for i, r in enumerate(sheet) if r[1] == today.DIVIDER]
    assert len(dividers) == 1
    above = [r for r in f.plan_rows if r["计划内"] == personal.PLANNED]
    assert f.planned_today == f.plan.suggested == sum(r["项数"] for r in above) >= 4
    minutes = {b.slot: b.minutes for b in C.plan.blocks}
    for slot in minutes:
        assert sum(r["分钟"] or 0 for r in above if r["时间段"] == slot) <= minutes[slot]
    keys = [(r["时间段"], r["帐户ID"]) for r in f.plan_rows if r["帐户ID"]]
    assert len(keys) == len(set(keys))
    assert [r[0] for r in sheet if r[0]] == list(range(1, len([r for r in sheet if r[0]]) + 1))
    daily = {r["日期"]: r for r in f.daily}
    assert daily[d(2026, 11, 4)]["计划项数"] == f.plan.suggested


def test_cached_values_sit_on_their_own_plan_lines(office):
    """今日 is keyed by 序号 (a number, not a row): each line's cached 已完成 is its own, and a
    previewer shows every line's figure, the last ones too."""
    path = mine(office)
    type_records(path, RECORDS)
    python = personal.python_values(recalc_file(path, as_of=d(2026, 11, 9)).result)
    wb = openpyxl.load_workbook(path, data_only=True)
    ws = wb[personal.TODAY]
    layout, _ = find_layout(ws, personal.spec(C, NOV).sheet(personal.TODAY))
    number, done = layout.columns["序号"], layout.columns["已完成"]
    cached = {ws.cell(r, number).value: ws.cell(r, done).value
              for r in range(layout.first_data_row, ws.max_row + 1) if ws.cell(r, number).value}
    assert len(cached) >= 3 and cached == {k: v["已完成"] for k, v in python[personal.TODAY].items()}
    work = wb[personal.WORK]
    layout, _ = find_layout(work, personal.spec(C, NOV).sheet(personal.WORK))
    keys = {r: work.cell(r, layout.columns["计数键"]).value or "" for r in python[personal.WORK]}
    assert keys == {r: v["计数键"] for r, v in python[personal.WORK].items()} and any(keys.values())


@pytest.mark.libreoffice
def test_every_derived_cell_equals_python(office, tmp_path):
    path = mine(office)
    full_width = {"日期": d(2026, 11, 9), "帐户ID": "Ｃ１ ", "工作类型": "报表发送", "沟通对象": "决策人", "内容摘要": "全角"}
    type_records(path, [*RECORDS, full_width])
    recalc_file(path, as_of=d(2026, 11, 3))                       # a plan on 11-03, then 11-09's replaces it
    outcome = recalc_file(path, as_of=d(2026, 11, 9))
    python = personal.python_values(outcome.result)
    shown = {r.account_id: python[personal.WORK][r.row] for r in outcome.result.figures.records}
    assert shown["C3"]["客户名称"] == "丙教育（同事的帐户）"              # DOMAIN §27: the colleague's client
    assert shown["C9"]["客户名称"] == "（不在团队帐户中）"
    assert shown["C1"]["客户名称"] == "甲建材"
    last = python[personal.WORK][outcome.result.figures.records[-1].row]
    assert (last["有效"], last["客户名称"]) == ("是", "甲建材")             # Ｃ１ typed full width is C1
    office_ = office_values(path, personal.spec(C, NOV), {
        personal.TODAY: lambda r, v: v["序号"], personal.WORK: lambda r, v: r,
        personal.MINE: lambda r, v: v["帐户ID"], personal.DAILY: lambda r, v: day_of(v["日期"]),
        personal.MY_RENEWALS: lambda r, v: v["帐户ID"], personal.MY_CLIENTS: lambda r, v: v["帐户ID"],
        personal.VISITS: lambda r, v: r}, tmp_path / "lo")
    assert assert_engines_agree(python, office_) > 60
    assert python[personal.DAILY][d(2026, 11, 3)]["完成计划项"] is not None      # yesterday's plan, recorded


def test_collect_gives_the_same_team_figures_as_typing_into_the_team_file(office, tmp_path):
    # the same records typed straight into a copy of the team tracker (a small team's one file)
    direct = tmp_path / "direct"
    shutil.copytree(office, direct)
    shutil.rmtree(direct / "2026-11" / "个人")
    team = direct / "2026-11" / maintenance.file_name(NOV)
    type_rows(team, maintenance.spec(C, NOV).sheet(maintenance.WORK), [{**r, "客服": "张敏"} for r in RECORDS])
    expected = maintenance.python_values(recalc_file(team, as_of=d(2026, 11, 30)).result)[maintenance.SUMMARY]

    type_records(mine(office), RECORDS)
    before = hashlib.sha256(mine(office).read_bytes()).hexdigest()
    outcome = recalc_file(office / "2026-11" / maintenance.file_name(NOV), as_of=d(2026, 11, 30))
    collected = maintenance.python_values(outcome.result)[maintenance.SUMMARY]
    journal = ("补录数", "改动数", "删除数")          # typed now for November's days: 补录 in the collect's 日志
    assert {who: {k: v for k, v in row.items() if k not in journal} for who, row in collected.items()} == \
        {who: {k: v for k, v in row.items() if k not in journal} for who, row in expected.items()}
    assert collected["张敏"]["补录数"] == 7 and expected["张敏"]["补录数"] == 0
    assert hashlib.sha256(mine(office).read_bytes()).hexdigest() == before       # never written
    lines = {line.owner: line for line in outcome.result.figures.collected.lines}
    assert (lines["张敏"].records, lines["张敏"].problems, lines["李娜"].records) == (7, 2, 0)
    wb = openpyxl.load_workbook(office / "2026-11" / maintenance.file_name(NOV))
    ws = wb[maintenance.WORK]
    layout, _ = find_layout(ws, maintenance.spec(C, NOV).sheet(maintenance.WORK))
    cell = ws.cell(9, layout.columns["内容摘要"])
    assert (cell.value, cell.data_type) == ("=已提醒", "s")                         # text stays text


def test_collecting_again_replaces_and_keeps_rows_typed_in_the_team_file(office):
    team = office / "2026-11" / maintenance.file_name(NOV)
    type_rows(team, maintenance.spec(C, NOV).sheet(maintenance.WORK),
              [{"日期": d(2026, 11, 5), "客服": "王芳", "帐户ID": "C3", "工作类型": "帐户优化", "客户接受": "是", "沟通对象": "决策人"}])
    type_records(mine(office), RECORDS[:2])
    recalc_file(team, as_of=d(2026, 11, 30))
    type_records(mine(office), RECORDS[2:3])
    recalc_file(team, as_of=d(2026, 11, 30))
    outcome = recalc_file(team, as_of=d(2026, 11, 30))
    records = outcome.result.figures.records
    assert [(r.staff, r.account_id, r.work_type) for r in records] == [
        ("王芳", "C3", "帐户优化"), ("张敏", "C1", "电话拜访"), ("张敏", "C1", "报表发送"), ("张敏", "C3", "电话拜访")]
    wb = openpyxl.load_workbook(team)
    ws = wb[maintenance.WORK]
    layout, _ = find_layout(ws, maintenance.spec(C, NOV).sheet(maintenance.WORK))
    assert [ws.cell(r, layout.columns["来源"]).value for r in range(3, 7)] == [None] + ["张敏_2026-11.xlsx"] * 3


def test_a_team_recalc_reads_the_personal_workbooks_ahead_once(office, monkeypatch):
    """The personal workbooks are read while the team tracker is (PersonalWorkbooks.read_ahead),
    in a thread of their own, and what the collection uses is that one read."""
    import threading

    from kefu_xl.app import collect
    type_records(mine(office), RECORDS[:2])
    calls, real = [], collect.open_all

    def counted(files, month, sheets, later=None):
        calls.append((threading.current_thread().name, sorted(p.name for p in files), sheets))
        return real(files, month, sheets, later)
    monkeypatch.setattr(collect, "open_all", counted)
    team = office / "2026-11" / maintenance.file_name(NOV)
    outcome = recalc_file(team, as_of=d(2026, 11, 30))
    records = [(r.staff, r.account_id, r.work_type) for r in outcome.result.figures.records]
    assert records == [("张敏", "C1", "电话拜访"), ("张敏", "C1", "报表发送")]
    collected = [c for c in calls if c[2] == collect.collected_sheets()]
    assert len(collected) == 1
    assert collected[0][0].startswith("kefu-personal-ahead")
    assert collected[0][1] == sorted(p.name for p in (office / "2026-11" / "个人").glob("*.xlsx"))
    kept = {p.name.split(".")[0] for p in (office / "2026-11" / "个人" / ".kefu-cache").glob("*.json")}
    assert kept == {p.stem for p in (office / "2026-11" / "个人").glob("*.xlsx")}     # the reads kept after all


def test_bad_personal_files_are_named_and_skipped(office):
    folder = office / "2026-11" / "个人"
    type_records(mine(office), RECORDS[:1])
    shutil.copy(mine(office), folder / "张敏 副本.xlsx")                    # two files claim 张敏
    (mine(office, "李娜")).rename(folder / "娜娜.xlsx")                      # renamed: still 李娜's
    (folder / "王芳_2026-11.xlsx").rename(office / "王芳_2026-11.xlsx")      # missing: 王芳 has no file
    (folder / "坏文件.xlsx").write_bytes(b"not a zip")
    outcome = recalc_file(office / "2026-11" / maintenance.file_name(NOV), as_of=d(2026, 11, 30))
    codes = {p.code: p for p in outcome.result.problems}
    assert {"SECOND_FILE_SKIPPED", "OWN_FILE_MISSING", "NO_PERSONAL_FILE", "NOT_A_WORKBOOK"} <= set(codes)
    assert "王芳" in codes["NO_PERSONAL_FILE"].message
    assert "请把要用的那一本改名为 李娜_2026-11.xlsx" in codes["OWN_FILE_MISSING"].message
    assert "按 张敏_2026-11.xlsx 汇总，张敏 副本.xlsx 没有汇总" in codes["SECOND_FILE_SKIPPED"].message
    lines = {line.file: line for line in outcome.result.figures.collected.lines}
    assert not lines["张敏_2026-11.xlsx"].skipped and lines["张敏 副本.xlsx"].skipped
    assert lines["娜娜.xlsx"].skipped and lines["坏文件.xlsx"].skipped
    assert len(outcome.result.figures.records) == 1                    # 张敏's record counted once, from her own file


def test_a_copied_workbook_never_zeroes_a_person(office):
    """DOMAIN §27: a copy beside her file, a colleague's file copied under her name, her own file
    gone with only a copy left — her 完成率 and 有效工作 in the team tracker stay as they were."""
    folder = office / "2026-11" / "个人"
    team = office / "2026-11" / maintenance.file_name(NOV)
    type_records(mine(office), RECORDS)

    def zhang():
        outcome = recalc_file(team, as_of=d(2026, 11, 30))
        s = next(s for s in outcome.result.figures.staff if s.staff == "张敏")
        return (s.valid_work, s.ratio), [p for p in outcome.result.problems
                                         if p.code in ("SECOND_FILE_SKIPPED", "OWN_FILE_MISSING")]
    before, none = zhang()
    assert before[0] > 0 and none == []
    shutil.copy(mine(office), folder / "张敏_2026-11 - 副本.xlsx")
    figures, warned = zhang()
    assert figures == before and len(warned) == 1 and "张敏_2026-11 - 副本.xlsx" in warned[0].message
    (folder / "张敏_2026-11 - 副本.xlsx").unlink()
    shutil.copy(mine(office, "李娜"), folder / "张敏_2026-11 (1).xlsx")        # a colleague's, under her name
    figures, warned = zhang()
    assert figures == before and len(warned) == 1 and "李娜" in warned[0].message
    (folder / "张敏_2026-11 (1).xlsx").unlink()
    mine(office).rename(folder / "张敏_2026-11 - 副本.xlsx")                   # her own gone, a copy left
    figures, warned = zhang()
    assert figures == before and [p.code for p in warned] == ["OWN_FILE_MISSING"]
    assert "请把要用的那一本改名为 张敏_2026-11.xlsx" in warned[0].message


def test_a_workbook_of_another_month_is_skipped(office, workspace):
    write_status(workspace, "2026-12", STATUS)
    open_month(workspace, Month(2026, 12), as_of=d(2026, 12, 1))
    shutil.copy(personal.path_of(workspace, "王芳", Month(2026, 12)), office / "2026-11" / "个人" / "王芳_2026-12.xlsx")
    outcome = recalc_file(office / "2026-11" / maintenance.file_name(NOV), as_of=d(2026, 11, 30))
    wrong = next(p for p in outcome.result.problems if p.code == "WRONG_MONTH")
    assert "2026-12" in wrong.message and "已跳过" in wrong.message


def test_refresh_adds_new_accounts_and_keeps_typed_records(office, workspace):
    type_records(mine(office), RECORDS[:2])
    write_status(workspace, "2026-11", STATUS + [["C7", "己食品", "张敏", "食品", 900, 90000, date(2027, 6, 1),
                                                  date(2024, 1, 1)]])
    open_month(workspace, NOV, as_of=d(2026, 11, 9), refresh=True)
    f = recalc_file(mine(office), write=False, as_of=d(2026, 11, 9)).result.figures
    assert "C7" in {r["帐户ID"] for r in f.mine}
    assert [(r.account_id, r.work_type) for r in f.records] == [("C1", "电话拜访"), ("C1", "报表发送")]


def test_ribbon_button_recalcs_a_personal_workbook_like_the_file_path(office):
    type_records(mine(office), RECORDS)
    assert_ribbon_matches_file(mine(office), (personal.TODAY, personal.WORK, personal.MINE, personal.DAILY),
                               d(2026, 11, 9))


@pytest.mark.libreoffice
def test_done_is_live_for_renewal_and_new_client_lines(office, tmp_path):
    path = mine(office)
    type_records(path, RECORDS[:6])
    before = recalc_file(path, as_of=d(2026, 11, 9)).result.figures
    lines = before.plan_rows
    done = dict(zip((r["序号"] for r in lines), before.done))
    renewal_line = next(r for r in lines if r["帐户ID"] == "C2" and r["事项"] == "续费提醒")
    step_line = next(r for r in lines if r["帐户ID"] == "C5" and r["事项"] == "告知帐户信息")
    calls = next(r for r in lines if r["帐户ID"] == "C2" and r["维护项"] and r["计划内"])
    other = next(r for r in lines if r["帐户ID"] == "C1" and r["维护项"] and r["计划内"])
    assert [done[r["序号"]] for r in (renewal_line, step_line, calls)] == [0, 0, 0]
    # during the day: the renewal notice and the first onboarding step, typed in the person's own sheets,
    # and C2's calls (their own line, in another block)
    type_follow_up(path, personal.MY_RENEWALS, "C2", {"提醒日期": d(2026, 11, 9), "跟进记录": "已微信通知"})
    type_follow_up(path, personal.MY_CLIENTS, "C5", {"告知帐户信息": d(2026, 11, 9)})
    type_records(path, [{"日期": d(2026, 11, 9), "帐户ID": "C2", "工作类型": t, "沟通对象": "决策人", **outcome_of(t)}
                        for t in calls["维护项"].split("+")])
    office_ = office_values(path, personal.spec(C, NOV), {personal.TODAY: lambda r, v: v["序号"]}, tmp_path / "lo")
    assert [office_[personal.TODAY][r["序号"]]["已完成"] for r in (renewal_line, step_line, calls, other)] == \
        ["是", "是", "是", "否"]
    # and collection carries them into the team trackers (the columns are collected there)
    from kefu_xl.kinds import newclient, renewal
    renewal_outcome = recalc_file(office / "2026-11" / renewal.file_name(NOV), as_of=d(2026, 11, 9))
    row = next(r for r in renewal_outcome.result.figures.rows if r.account_id == "C2")
    assert (row.reminded, row.notes) == (d(2026, 11, 9), "已微信通知")
    client_outcome = recalc_file(office / "2026-11" / newclient.file_name(NOV), as_of=d(2026, 11, 9))
    assert next(r for r in client_outcome.result.figures.rows if r.account_id == "C5").steps[0] == d(2026, 11, 9)
    # the next plan knows C2 was notified
    after = recalc_file(path, as_of=d(2026, 11, 10)).result.figures
    assert not any(r["帐户ID"] == "C2" and r["事项"] == "续费提醒" for r in after.plan_rows)


def test_a_blank_in_the_personal_sheet_never_erases_the_team_value(office):
    from kefu_xl.kinds import renewal
    team = office / "2026-11" / renewal.file_name(NOV)
    wb = openpyxl.load_workbook(team)
    ws = wb[renewal.RENEWALS]
    layout, _ = find_layout(ws, renewal.spec(C, NOV).sheet(renewal.RENEWALS))
    row = next(r for r in range(3, ws.max_row + 1) if ws.cell(r, layout.columns["帐户ID"]).value == "C2")
    ws.cell(row, layout.columns["跟进记录"]).value = "经理电话沟通过"          # typed in the team file
    wb.save(team)
    type_follow_up(mine(office), personal.MY_RENEWALS, "C2", {"续费状态": "跟进中"})
    rows = recalc_file(team, as_of=d(2026, 11, 9)).result.figures.rows
    c2 = next(r for r in rows if r.account_id == "C2")
    assert (c2.notes, c2.status) == ("经理电话沟通过", "跟进中")


def test_a_personal_row_not_in_the_team_tracker_is_named(office):
    from kefu_xl.kinds import renewal
    wb = openpyxl.load_workbook(mine(office))
    ws = wb[personal.MY_RENEWALS]
    layout, _ = find_layout(ws, personal.spec(C, NOV).sheet(personal.MY_RENEWALS))
    ws.cell(4, layout.columns["帐户ID"]).value = "C77"
    ws.cell(4, layout.columns["提醒日期"]).value = d(2026, 11, 3)
    wb.save(mine(office))
    outcome = recalc_file(office / "2026-11" / renewal.file_name(NOV), as_of=d(2026, 11, 9))
    named = next(p for p in outcome.result.problems if p.code == "NOT_IN_TEAM_TRACKER")
    assert "C77" in named.message and "张敏_2026-11.xlsx" in named.message and named.row == 4
    own = recalc_file(mine(office), as_of=d(2026, 11, 9))
    assert any(p.code == "NOT_IN_TEAM_TRACKER" and p.row == 4 for p in own.result.problems)


def test_an_open_personal_workbook_is_read_as_last_saved_and_said_so(office):
    type_records(mine(office), RECORDS[:2])
    (office / "2026-11" / "个人" / "~$张敏_2026-11.xlsx").write_bytes(b"lock")    # Excel has it open
    outcome = recalc_file(office / "2026-11" / maintenance.file_name(NOV), as_of=d(2026, 11, 30))
    line = next(x for x in outcome.result.figures.collected.lines if x.owner == "张敏")
    assert line.records == 2 and "正在被打开" in line.note and not line.skipped
    assert len(outcome.result.figures.collected.lines) == 3                     # the lock file is not a workbook


def test_a_team_tracker_from_before_personal_workbooks_gets_its_source_column(office):
    team = office / "2026-11" / maintenance.file_name(NOV)
    wb = openpyxl.load_workbook(team)
    ws = wb[maintenance.WORK]
    layout, _ = find_layout(ws, maintenance.spec(C, NOV).sheet(maintenance.WORK))
    ws.cell(layout.header_row, layout.columns["来源"]).value = None      # as an earlier version wrote it
    wb.save(team)
    type_records(mine(office), RECORDS[:2])
    own = recalc_file(mine(office), as_of=d(2026, 11, 9))                # reads the old team file (values only)
    assert not any(p.code == "TEAM_TRACKER_BROKEN" for p in own.result.problems)
    outcome = recalc_file(team, as_of=d(2026, 11, 30))
    upgraded = [p.message for p in outcome.result.problems if p.code == "UPGRADED"]
    assert len(upgraded) == 1 and "「工作记录」的「来源」列" in upgraded[0]          # said once
    assert len(outcome.result.figures.records) == 2
    ws = openpyxl.load_workbook(team)[maintenance.WORK]
    layout, missing = find_layout(ws, maintenance.spec(C, NOV).sheet(maintenance.WORK))
    assert not missing and ws.cell(3, layout.columns["来源"]).value == "张敏_2026-11.xlsx"


def test_a_second_collection_writes_no_record_row_again(office):
    """Collected records replace the collected rows in place (issue 17): collecting again with
    nothing typed since leaves every 工作记录 cell of the team file byte for byte; one more record
    adds one row."""
    import re
    import zipfile

    from kefu_xl.io.xlsx.package import sheet_parts
    team = office / "2026-11" / maintenance.file_name(NOV)
    type_records(mine(office), RECORDS[:3])

    def work_cells():
        with zipfile.ZipFile(team) as z:
            xml = z.read(sheet_parts(z)[maintenance.WORK])
        return {m.group(1): m.group(0) for m in re.finditer(rb'<c r="([A-Z]+\d+)"[^>]*?(?:/>|>.*?</c>)', xml, re.S)}
    first = recalc_file(team, as_of=d(2026, 11, 30))
    assert first.patched and len(first.result.figures.records) == 3
    before = work_cells()
    recalc_file(team, as_of=d(2026, 11, 30))
    assert work_cells() == before
    type_records(mine(office), RECORDS[3:4])
    third = recalc_file(team, as_of=d(2026, 11, 30))
    assert len(third.result.figures.records) == 4
    after = work_cells()
    assert all(after[ref] == cell for ref, cell in before.items() if int(re.sub(rb"[A-Z]+", b"", ref)) <= 5)
    sheet = personal.spec(C, NOV).sheet(personal.WORK)     # a record changed in place: as many as before
    wb = openpyxl.load_workbook(mine(office))
    layout, _ = find_layout(wb[sheet.name], sheet)
    wb[sheet.name].cell(layout.first_data_row + 1, layout.columns["工作类型"]).value = "上门拜访"
    wb.save(mine(office))
    fourth = recalc_file(team, as_of=d(2026, 11, 30))
    assert [r.work_type for r in fourth.result.figures.records] == ["电话拜访", "上门拜访", "电话拜访", "报表发送"]


def test_a_collected_records_problem_names_the_personal_file_and_row(office):
    """DOMAIN §21: the fix is typed in the personal workbook, so that is where a problem of a
    collected record points — not the team file's row, which collection replaces."""
    path = mine(office)
    type_records(path, RECORDS)                     # row 6 of 张敏's 工作记录: C9, no such account
    team = office / "2026-11" / maintenance.file_name(NOV)
    problems = recalc_file(team, as_of=d(2026, 11, 9)).result.problems
    unknown = [p for p in problems if p.code == "UNKNOWN_ACCOUNT"]
    assert [(p.sheet, p.row) for p in unknown] == [("个人/张敏_2026-11.xlsx「工作记录」", 6)]
    assert "张敏_2026-11.xlsx 的「工作记录」第 6 行" in unknown[0].message


def test_a_personal_workbook_away_from_its_workspace_says_so_once_and_keeps_its_plan(office, tmp_path):
    """Copied to the desktop: one message naming where it looked; 今日 / 我的帐户 / 每日小结 as they
    were; records judged against the team's accounts the workbook last knew."""
    desktop = tmp_path / "desktop"
    desktop.mkdir()
    copy = desktop / mine(office).name
    shutil.copy(mine(office), copy)
    before = plan_sheet(copy)
    type_records(copy, RECORDS)
    outcome = recalc_file(copy, as_of=d(2026, 11, 9))
    codes = [p.code for p in outcome.result.problems]
    assert codes.count("NO_TEAM_TRACKER") == 1 and str(desktop) in next(
        p.message for p in outcome.result.problems if p.code == "NO_TEAM_TRACKER")
    assert codes.count("UNKNOWN_ACCOUNT") == 1              # C9 only: C1, C2, C3 are known accounts
    names = {r.account_id: personal.python_values(outcome.result)[personal.WORK][r.row]["客户名称"]
             for r in outcome.result.figures.records}
    assert names["C3"] == "丙教育（同事的帐户）"             # from the list the workbook last held
    assert [r[:4] for r in plan_sheet(copy)] == [r[:4] for r in before]
    wb = openpyxl.load_workbook(copy)
    assert wb[personal.MINE].cell(3, 1).value == openpyxl.load_workbook(mine(office))[personal.MINE].cell(3, 1).value


@pytest.mark.libreoffice
def test_plan_and_accounts_print_whole(office, tmp_path):
    """Rendered by LibreOffice to PDF: every full 帐户ID and every 原因 of 今日 is in the text (no
    column cut), and each sheet prints one page wide."""
    import subprocess

    from kefu_xl.io.libreoffice import convert
    path = mine(office)
    type_records(path, RECORDS)
    f = recalc_file(path, as_of=d(2026, 11, 9)).result.figures
    pdf = convert(path, tmp_path / "pdf", "pdf")
    text = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True).stdout
    flat = "".join(text.split())
    for line in f.plan_rows:
        assert line["帐户ID"] in flat
        assert "".join(line["原因"].split()) in flat, line["原因"]
    for row in f.mine:
        assert row["帐户ID"] in flat
