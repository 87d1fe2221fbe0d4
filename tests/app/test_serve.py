"""kefu-xl serve (DOMAIN §22): the scheduling rules on a fake clock; one cycle at a time in
process (plans once a day, locks, broken files, a save during a recalc, the collection
throttle, the month change, the spend watch, the status page); and serve for real as a
subprocess on a workspace of the current month with a 1-second poll (plans, a lock file,
a broken file, the team collected, SIGTERM in the middle of a write, idle CPU)."""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest
from conftest import ROSTER, write_status, write_xlsx

from kefu_xl.app.serve import Server
from kefu_xl.app.serve_state import LOG_NAME, STATUS_NAME
from kefu_xl.app.workbooks import recalc_file
from kefu_xl.app.workspace import init_workspace, open_month
from kefu_xl.calendar import WorkCalendar
from kefu_xl.config import load_config
from kefu_xl.demo.typist import type_rows
from kefu_xl.errors import ChangedOnDiskError
from kefu_xl.io.safe_write import atomic_write, file_stamp
from kefu_xl.kinds import maintenance, personal, watch
from kefu_xl.month import Month
from kefu_xl.rules import schedule
from kefu_xl.rules.schedule import Action
from kefu_xl.sheets.layout import find_layout

NOV = Month(2026, 11)
C = load_config()


# --------------------------------------------------------------------------- the rules, on a fake clock

def at(day: int, hh: int, mm: int = 0, ss: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hh, mm, ss)


def test_morning_plan_at_plan_at_once_a_day_on_working_days():
    plan_at = clock_time(7, 30)
    assert not schedule.morning_plan_due(at(9, 7, 29, 59), plan_at, True, date(2026, 11, 6))
    assert schedule.morning_plan_due(at(9, 7, 30), plan_at, True, date(2026, 11, 6))        # at plan_at
    assert schedule.morning_plan_due(at(9, 15, 0), plan_at, True, None)                     # started later
    assert not schedule.morning_plan_due(at(9, 15, 0), plan_at, True, date(2026, 11, 9))    # already made today
    assert not schedule.morning_plan_due(at(8, 9, 0), plan_at, False, date(2026, 11, 6))    # Sunday
    assert schedule.morning_plan_due(at(10, 7, 30), plan_at, True, date(2026, 11, 9))       # the next day again


def test_what_a_cycle_does_with_a_file():
    old, new, bad = (1, 10), (2, 11), (3, 12)
    assert schedule.file_action(new, old, None, False, False) is Action.SAVED
    assert schedule.file_action(new, old, None, True, False) is Action.WAIT                  # saved, still open
    assert schedule.file_action(old, old, None, False, True) is Action.PLAN
    assert schedule.file_action(old, old, None, True, True) is Action.WAIT                   # open at plan time
    assert schedule.file_action(old, old, None, True, False) is None                         # open, nothing due
    assert schedule.file_action(old, old, None, False, False) is None                        # its own write
    assert schedule.file_action(bad, old, bad, False, True) is None                          # broken: until saved
    assert schedule.file_action(new, bad, bad, False, False) is Action.SAVED                 # saved again


def test_collection_at_most_every_collect_minutes():
    last = at(9, 9, 0)
    assert schedule.collect_due(at(9, 9, 0), None, True, 15)                 # never collected: now
    assert not schedule.collect_due(at(9, 9, 14, 59), last, True, 15)
    assert schedule.collect_due(at(9, 9, 15), last, True, 15)
    assert not schedule.collect_due(at(9, 11, 0), last, False, 15)           # nothing changed
    assert schedule.collect_due(at(9, 9, 0, 1), last, True, 0)               # 0: as soon as changed


def test_month_changes_at_midnight():
    assert schedule.serve_month(datetime(2026, 12, 31, 23, 59, 59, 999999)) == Month(2026, 12)
    assert schedule.serve_month(datetime(2027, 1, 1, 0, 0)) == Month(2027, 1)


def test_each_export_version_watched_once_after_it_settles():
    day = date(2026, 11, 20)
    one, two = (1, 100), (2, 200)
    assert schedule.exports_due({day: one}, {}, {}) == []                    # just appeared: maybe still copying
    assert schedule.exports_due({day: one}, {day: (1, 50)}, {}) == []        # still growing
    assert schedule.exports_due({day: one}, {day: one}, {}) == [day]
    assert schedule.exports_due({day: one}, {day: one}, {day: one}) == []    # watched
    assert schedule.exports_due({day: two}, {day: two}, {day: one}) == [day]  # a corrected export


# --------------------------------------------------------------------------- one cycle at a time, in process

STATUS = [
    ["C1", "甲建材", "张敏", "建材", 2500, 90000, date(2027, 6, 1), date(2024, 1, 1)],
    ["C2", "乙家居", "张敏", "家居", 300, 100, date(2027, 6, 1), date(2024, 1, 1)],
    ["C3", "丙教育", "李娜", "教育", 50, 90000, date(2027, 6, 1), date(2024, 1, 1)],
    ["C4", "丁医疗", "王芳", "医疗", 900, 90000, date(2027, 6, 1), date(2024, 1, 1)],
]


class FakeClock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Lines(list):
    """A logger stand-in that keeps the lines."""
    def info(self, line):
        self.append(line)


@pytest.fixture(scope="module")
def november(tmp_path_factory) -> Path:
    """November opened on 11-02, built once for the module; each test gets a copy."""
    folder = tmp_path_factory.mktemp("november") / "office"
    init_workspace(folder, staff=ROSTER)
    write_status(folder, str(NOV), STATUS)
    open_month(folder, NOV, as_of=date(2026, 11, 2))
    return folder


@pytest.fixture
def office(november, tmp_path) -> Path:
    return Path(shutil.copytree(november, tmp_path / "office"))


def serve_at(office, now: datetime) -> tuple[Server, FakeClock, Lines]:
    clock, lines = FakeClock(now), Lines()
    return Server(office, clock=clock, logger=lines), clock, lines


def mine(office, who: str, month: Month = NOV) -> Path:
    return personal.path_of(office, who, month)


def plan_of(path: Path) -> tuple[date, list[tuple[str, str]]]:
    """(计划日期, (帐户ID, 事项) of each line) of a personal workbook's 今日, as saved."""
    wb = openpyxl.load_workbook(path, data_only=True)
    ws = wb[personal.TODAY]
    layout, _ = find_layout(ws, personal.spec(C, NOV).sheet(personal.TODAY))
    day = ws.cell(*layout.anchors[personal.PLAN_DAY]).value
    items = [(ws.cell(r, layout.columns["帐户ID"]).value, ws.cell(r, layout.columns["事项"]).value)
             for r in range(layout.first_data_row, ws.max_row + 1)]
    return (day.date() if isinstance(day, datetime) else day), [i for i in items if i[1]]


def team_sources(path: Path, month: Month = NOV) -> list[tuple]:
    """(来源, 帐户ID, 日期) of the team 工作记录's collected rows."""
    wb = openpyxl.load_workbook(path, data_only=True)
    ws = wb[maintenance.WORK]
    layout, _ = find_layout(ws, maintenance.spec(C, month).sheet(maintenance.WORK))
    out = []
    for r in range(layout.first_data_row, ws.max_row + 1):
        source = ws.cell(r, layout.columns["来源"]).value
        if source:
            day = ws.cell(r, layout.columns["日期"]).value
            out.append((source, ws.cell(r, layout.columns["帐户ID"]).value, day.date() if isinstance(day, datetime) else day))
    return out


def record(day: date, account: str, work: str = "电话拜访") -> dict:
    """A record as a person types it: a call with its 满意度, an optimisation with 客户接受."""
    outcome = {"电话拜访": {"满意度": "满意"}, "帐户优化": {"客户接受": "是"}}.get(work, {})
    return {"日期": day, "帐户ID": account, "工作类型": work, "沟通对象": "决策人", **outcome}


def saves(path: Path, rows: list[dict], month: Month = NOV) -> None:
    """The person types rows into 工作记录 and saves (Excel writes a new file and renames it)."""
    type_rows(path, personal.spec(C, month).sheet(personal.WORK), rows)


def test_morning_plan_once_a_day_for_closed_workbooks(office):
    server, clock, lines = serve_at(office, at(9, 7, 0))           # Monday 11-09, before plan_at
    before = {who: mine(office, who).read_bytes() for who in ("张敏", "李娜", "王芳")}
    server.cycle()
    assert all(mine(office, who).read_bytes() == data for who, data in before.items())
    assert plan_of(mine(office, "张敏"))[0] == date(2026, 11, 2)    # the plan month open made
    clock.now = at(9, 7, 31)
    server.cycle()
    for who in ("张敏", "李娜", "王芳"):
        assert plan_of(mine(office, who))[0] == date(2026, 11, 9), who
    assert sum("早计划 | 已保存" in line for line in lines) == 3
    stamps = {who: file_stamp(mine(office, who)) for who in ("张敏", "李娜", "王芳")}
    clock.now = at(9, 16, 0)
    server.cycle()                                                  # its own writes do not wake it
    assert {who: file_stamp(mine(office, who)) for who in stamps} == stamps
    assert sum("早计划" in line for line in lines) == 3
    clock.now = at(10, 7, 30)                                       # the next working day
    server.cycle()
    assert plan_of(mine(office, "李娜"))[0] == date(2026, 11, 10)
    assert sum("早计划 | 已保存" in line for line in lines) == 6


def test_a_restart_carries_on_without_a_second_plan(office):
    server, clock, lines = serve_at(office, at(9, 8, 0))
    server.cycle()
    stamp = file_stamp(mine(office, "张敏"))
    again, _, lines2 = serve_at(office, at(9, 8, 30))               # a new process the same day
    again.cycle()
    assert file_stamp(mine(office, "张敏")) == stamp and not any("早计划" in line for line in lines2)
    saves(mine(office, "张敏"), [record(date(2026, 11, 9), "C1")])    # saved while it was down
    third, _, lines3 = serve_at(office, at(9, 9, 0))
    third.cycle()
    assert any("张敏_2026-11.xlsx | 保存后重算 | 已保存" in line for line in lines3)


def test_a_plan_the_file_says_it_has_today_is_not_made_again(office):
    """The morning plan recorded in _meta (plan_day, plan_made_at — the first recalc of a day
    freezes that day's plan, made by the ribbon button or a recalc) counts as today's plan."""
    from kefu_xl.io.safe_write import save_workbook
    from kefu_xl.sheets.build import write_meta
    path = mine(office, "王芳")
    wb = openpyxl.load_workbook(path)
    write_meta(wb, personal.spec(C, NOV), {"plan_day": "2026-11-09", "plan_made_at": "2026-11-09T07:12:05"})
    save_workbook(wb, path)
    held = path.read_bytes()
    server, clock, lines = serve_at(office, at(9, 7, 31))
    server.cycle()
    assert path.read_bytes() == held and not any("王芳" in line for line in lines)
    assert plan_of(mine(office, "李娜"))[0] == date(2026, 11, 9)
    assert read_page(office).row("people", "王芳")[2] == "07:12"
    clock.now = at(10, 7, 31)                                       # the next day it is due again
    server.cycle()
    assert plan_of(path)[0] == date(2026, 11, 10)


def test_one_serve_per_workspace(office):
    import socket

    from kefu_xl.app.serve_state import OWNER_NAME
    from kefu_xl.errors import KefuError
    lock = office / OWNER_NAME
    lock.write_text("另一台电脑 4242", "utf-8")                       # touched just now by another computer
    server, _, _ = serve_at(office, at(9, 9, 0))
    with pytest.raises(KefuError, match="另一个 kefu-xl serve 正在照看.*另一台电脑.*4242"):
        server.claim()
    old = time.time() - 3 * 60                                     # silent for three minutes: gone
    os.utime(lock, (old, old))
    server.claim()
    assert lock.read_text("utf-8") == f"{socket.gethostname()} {os.getpid()}"
    if os.name == "posix":                                         # a dead process of this computer: taken over
        dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
        lock.write_text(f"{socket.gethostname()} {dead.stdout.strip()}", "utf-8")
        server.claim()
    server.release()
    assert not lock.exists()


def test_open_workbook_waits_and_is_planned_when_it_closes(office):
    lock = mine(office, "张敏").with_name("~$张敏_2026-11.xlsx")
    lock.write_bytes(b"owner")
    before = mine(office, "张敏").read_bytes()
    server, clock, lines = serve_at(office, at(9, 7, 31))
    for minute in (31, 32, 33):
        clock.now = at(9, 7, minute)
        server.cycle()
    assert mine(office, "张敏").read_bytes() == before
    assert sum("张敏_2026-11.xlsx | 早计划 | 正在被打开（锁文件 ~$张敏_2026-11.xlsx）" in line for line in lines) == 1
    assert plan_of(mine(office, "李娜"))[0] == date(2026, 11, 9)
    page = read_page(office)
    assert "正在被打开（~$张敏_2026-11.xlsx）" in page.row("people", "张敏")[5]
    lock.unlink()
    clock.now = at(9, 7, 34)
    server.cycle()
    assert plan_of(mine(office, "张敏"))[0] == date(2026, 11, 9)


def test_saved_while_open_is_recalculated_after_it_closes(office):
    server, clock, lines = serve_at(office, at(9, 8, 0))
    server.cycle()
    path = mine(office, "李娜")
    lock = path.with_name("~$李娜_2026-11.xlsx")
    lock.write_bytes(b"owner")
    wb = openpyxl.load_workbook(path)                 # Ctrl-S with the file still open in Excel
    ws = wb[personal.WORK]
    layout, _ = find_layout(ws, personal.spec(C, NOV).sheet(personal.WORK))
    for header, value in record(date(2026, 11, 9), "C3").items():
        ws.cell(layout.first_data_row, layout.columns[header]).value = value
    wb.save(path.with_name("typed.xlsx"))
    os.replace(path.with_name("typed.xlsx"), path)
    saved = path.read_bytes()
    clock.now = at(9, 8, 1)
    server.cycle()
    assert path.read_bytes() == saved
    assert sum("李娜_2026-11.xlsx | 保存后重算 | 正在被打开" in line for line in lines) == 1
    lock.unlink()
    clock.now = at(9, 8, 2)
    server.cycle()
    assert any("李娜_2026-11.xlsx | 保存后重算 | 已保存" in line for line in lines)
    assert ("C3", "电话拜访") not in plan_of(path)[1]          # done today: C3's call left the plan


def test_broken_and_foreign_files_are_logged_once_and_skipped(office):
    folder = mine(office, "张敏").parent
    (folder / "坏文件.xlsx").write_bytes(b"this is not a zip file")
    write_xlsx(folder / "别人的表.xlsx", [["客户", "电话"], ["某公司", "123"]])
    server, clock, lines = serve_at(office, at(9, 7, 31))
    for minute in (31, 32, 33):
        clock.now = at(9, 7, minute)
        server.cycle()
    assert sum("坏文件.xlsx" in line for line in lines) == 1
    assert sum("别人的表.xlsx" in line for line in lines) == 1
    assert any("别人的表.xlsx | 跳过 | 别人的表.xlsx 不是 kefu-xl 生成的个人工作簿" in line for line in lines)
    assert (folder / "坏文件.xlsx").read_bytes() == b"this is not a zip file"
    assert all(plan_of(mine(office, who))[0] == date(2026, 11, 9) for who in ("张敏", "李娜", "王芳"))
    assert any("维护跟踪_2026-11.xlsx | 汇总 | 已保存" in line for line in lines)   # the loop went on
    (folder / "坏文件.xlsx").write_bytes(b"still not a zip, saved again")      # a new version: tried again
    clock.now = at(9, 7, 34)
    server.cycle()
    assert sum("坏文件.xlsx" in line for line in lines) == 2


def test_a_save_during_the_recalc_is_not_overwritten(office, monkeypatch):
    """The person saves while serve is recalculating their file: serve's result is dropped,
    the file is theirs, and the next cycle recalcs their version."""
    import kefu_xl.app.workbooks as workbooks
    real = workbooks.cache_values
    path = mine(office, "张敏")
    theirs = {}

    def person_saves_meanwhile(book, kind, result):
        if result.context.file == path.name and not theirs:
            saves(path, [record(date(2026, 11, 9), "C1")])
            theirs["bytes"] = path.read_bytes()
        return real(book, kind, result)

    monkeypatch.setattr(workbooks, "cache_values", person_saves_meanwhile)
    server, clock, lines = serve_at(office, at(9, 7, 31))
    server.cycle()
    assert path.read_bytes() == theirs["bytes"]
    assert any("张敏_2026-11.xlsx | 早计划 | 重算期间文件被保存：本次结果作废" in line for line in lines)
    assert not list(path.parent.glob(".~kefu-*"))
    clock.now = at(9, 7, 32)
    server.cycle()
    assert any("张敏_2026-11.xlsx | 保存后重算 | 已保存" in line for line in lines)
    day, items = plan_of(path)
    assert day == date(2026, 11, 9) and ("C1", "电话拜访") not in items      # their C1 call is in


def test_the_guard_itself(tmp_path):
    """atomic_write with unchanged_since: a file replaced after it was read is left alone."""
    path = tmp_path / "a.dat"
    path.write_bytes(b"v1")
    seen = file_stamp(path)
    path.write_bytes(b"v2, saved by someone")
    with pytest.raises(ChangedOnDiskError):
        atomic_write(path, lambda tmp: Path(tmp).write_bytes(b"ours"), unchanged_since=seen)
    assert path.read_bytes() == b"v2, saved by someone"
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["a.dat"]       # no temp file, no backup
    atomic_write(path, lambda tmp: Path(tmp).write_bytes(b"ours"), unchanged_since=file_stamp(path))
    assert path.read_bytes() == b"ours"


def test_collection_throttled_to_collect_minutes(office):
    team = office / "2026-11" / maintenance.file_name(NOV)
    server, clock, lines = serve_at(office, at(9, 9, 0))
    server.cycle()                                                 # at start: plans, then one collection
    assert sum("维护跟踪_2026-11.xlsx | 汇总" in line for line in lines) == 1
    assert team_sources(team) == []
    saves(mine(office, "李娜"), [record(date(2026, 11, 9), "C3")])
    clock.now = at(9, 9, 5)
    server.cycle()
    assert any("李娜_2026-11.xlsx | 保存后重算 | 已保存" in line for line in lines)
    assert team_sources(team) == []                                # 5 minutes after the last collection
    clock.now = at(9, 9, 14, 59)
    server.cycle()
    assert team_sources(team) == []
    clock.now = at(9, 9, 15)
    server.cycle()
    assert team_sources(team) == [("李娜_2026-11.xlsx", "C3", date(2026, 11, 9))]
    clock.now = at(9, 9, 45)
    server.cycle()                                                 # nothing changed since: no collection
    assert sum("维护跟踪_2026-11.xlsx | 汇总" in line for line in lines) == 2


def test_team_tracker_saved_by_the_manager_is_recalculated(office):
    team = office / "2026-11" / maintenance.file_name(NOV)
    server, clock, lines = serve_at(office, at(9, 9, 0))
    server.cycle()
    wb = openpyxl.load_workbook(team)
    ws = wb[maintenance.WORK]
    layout, _ = find_layout(ws, maintenance.spec(C, NOV).sheet(maintenance.WORK))
    for header, value in {**record(date(2026, 11, 9), "C4"), "客服": "王芳"}.items():   # typed in the team file
        ws.cell(layout.first_data_row, layout.columns[header]).value = value
    from kefu_xl.io.safe_write import save_workbook
    save_workbook(wb, team)
    clock.now = at(9, 9, 1)
    server.cycle()
    assert any("维护跟踪_2026-11.xlsx | 团队表保存后重算 | 已保存" in line for line in lines)
    wb = openpyxl.load_workbook(team, data_only=True)
    ws = wb[maintenance.WORK]
    assert ws.cell(layout.first_data_row, layout.columns["有效"]).value == "是"     # recalculated
    clock.now = at(9, 9, 2)
    server.cycle()
    assert sum("维护跟踪_2026-11.xlsx" in line for line in lines) == 2               # not woken by its own write


def test_temp_files_of_a_killed_write_are_cleaned_at_start(office):
    folder = mine(office, "张敏").parent
    left = folder / ".~kefu-abc123.xlsx"                  # a serve or recalc killed mid-write, long ago
    left.write_bytes(b"half a workbook")
    old = time.time() - 2 * 3600
    os.utime(left, (old, old))
    busy = folder / ".~kefu-def456.xlsx"                  # a write in progress right now: not touched
    busy.write_bytes(b"being written")
    server, _, lines = serve_at(office, at(9, 7, 0))
    server.start()
    assert not left.exists() and busy.exists()
    assert any("2026-11/个人/.~kefu-abc123.xlsx | 清理" in line for line in lines)


def test_collect_keeps_a_tracker_the_manager_saves_meanwhile(office, monkeypatch):
    """kefu-xl collect (and serve's collection): the team tracker saved during the recalc is
    not written over; the command says so."""
    from click.testing import CliRunner

    import kefu_xl.app.workbooks as workbooks
    from kefu_xl.cli import cli
    team = office / "2026-11" / maintenance.file_name(NOV)
    real = workbooks.cache_values
    manager = {}

    def manager_saves(book, kind, result):
        if result.context.file == team.name and not manager:
            wb = openpyxl.load_workbook(team)
            wb[maintenance.WORK].sheet_properties.tabColor = "FF0000"
            wb.save(team.with_name("saved.xlsx"))
            os.replace(team.with_name("saved.xlsx"), team)
            manager["bytes"] = team.read_bytes()
        return real(book, kind, result)

    monkeypatch.setattr(workbooks, "cache_values", manager_saves)
    done = CliRunner().invoke(cli, ["collect", "2026-11", "--dir", str(office), "--as-of", "2026-11-09"])
    assert done.exit_code == 1
    assert "维护跟踪_2026-11.xlsx 在 kefu-xl 处理期间被修改或保存过" in done.output
    assert team.read_bytes() == manager["bytes"]


def test_stop_after_the_current_file(office, monkeypatch):
    import kefu_xl.app.workbooks as workbooks
    real = workbooks.recalc_file
    server, clock, lines = serve_at(office, at(9, 7, 31))

    def then_a_signal(*args, **kwargs):
        outcome = real(*args, **kwargs)
        server.stop_signal = "SIGTERM"
        return outcome

    import kefu_xl.app.serve as serve_module
    monkeypatch.setattr(serve_module, "recalc_file", then_a_signal)     # where serve calls it
    server.cycle()
    planned = [who for who in ("张敏", "李娜", "王芳") if plan_of(mine(office, who))[0] == date(2026, 11, 9)]
    assert len(planned) == 1
    assert not any("汇总" in line for line in lines)


def test_month_change_follows_the_new_month_once_opened(office):
    server, clock, lines = serve_at(office, datetime(2026, 11, 30, 23, 59, 59))
    server.cycle()
    clock.now = datetime(2026, 12, 1, 0, 0, 1)
    server.cycle()
    assert any("| 换月 | 从 2026-11 换到 2026-12" in line for line in lines)
    assert "2026-12 还没有开月" in (office / STATUS_NAME).read_text("utf-8")
    clock.now = datetime(2026, 12, 1, 0, 0, 3)
    server.cycle()
    assert sum("| 2026-12 | 未开月 | 2026-12 还没有开月：运行 kefu-xl month open 2026-12" in line for line in lines) == 1
    dec = Month(2026, 12)
    write_status(office, str(dec), STATUS)
    open_month(office, dec, as_of=date(2026, 11, 30))     # opened the day before: plan for 12-01
    clock.now = datetime(2026, 12, 1, 6, 0)
    server.cycle()
    clock.now = datetime(2026, 12, 1, 7, 30)
    server.cycle()
    wb = openpyxl.load_workbook(mine(office, "王芳", dec), data_only=True)
    ws = wb[personal.TODAY]
    layout, _ = find_layout(ws, personal.spec(C, dec).sheet(personal.TODAY))
    assert ws.cell(*layout.anchors[personal.PLAN_DAY]).value.date() == date(2026, 12, 1)   # made when opened
    changed = next(i for i, line in enumerate(lines) if "| 换月 |" in line)
    assert not any("2026-11/个人" in line for line in lines[changed:])         # November's files left alone


def test_the_days_spend_export_runs_the_watch_once(office):
    server, clock, lines = serve_at(office, at(20, 9, 0))
    server.cycle()
    export = write_xlsx(office / "2026-11" / "inputs" / "消耗" / "2026-11-20.xlsx",
                        [["帐户ID", "消耗", "余额"], ["C1", 500, 20000], ["C2", 50, 60]])
    for minute in (1, 2, 3):
        clock.now = at(20, 9, minute)
        server.cycle()
    watched = [line for line in lines if "消耗监控" in line]
    assert len(watched) == 1 and "2026-11/inputs/消耗/2026-11-20.xlsx | 消耗监控 | 已保存" in watched[0]
    assert (office / "2026-11" / watch.file_name(NOV)).exists()
    write_xlsx(export, [["帐户ID", "消耗", "余额"], ["C1", 500, 20000], ["C2", 60, 60]])   # a corrected export
    for minute in (4, 5, 6):
        clock.now = at(20, 9, minute)
        server.cycle()
    assert sum("消耗监控" in line for line in lines) == 2


# --------------------------------------------------------------------------- the status page

class Tables(HTMLParser):
    """The text of every cell of every table with an id, and the page's text."""

    def __init__(self, html: str):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.table = None
        self.cell: list[str] | None = None
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id"):
            self.table = self.tables.setdefault(attrs["id"], [])
        elif tag == "tr" and self.table is not None:
            self.table.append([])
        elif tag in ("td", "th") and self.table is not None:
            self.cell = []
        elif tag == "li" and self.cell is not None:
            self.cell.append("\n")

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.table[-1].append("".join(self.cell).strip())
            self.cell = None
        elif tag == "table":
            self.table = None

    def handle_data(self, data):
        self.text.append(data)
        if self.cell is not None:
            self.cell.append(data)

    def row(self, table: str, first: str) -> list[str]:
        return next(r for r in self.tables[table] if r and r[0] == first)


def read_page(office: Path) -> Tables:
    return Tables((office / STATUS_NAME).read_text("utf-8"))


def test_status_page_shows_each_person_today(office):
    (mine(office, "王芳").parent / "坏文件.xlsx").write_bytes(b"not a zip")
    server, clock, lines = serve_at(office, at(9, 7, 40))
    server.cycle()
    saves(mine(office, "张敏"), [record(date(2026, 11, 9), "C1", "报表发送")])
    clock.now = at(9, 10, 5)
    server.cycle()
    page = read_page(office)
    assert page.tables["people"][0] == ["客服", "文件保存于", "早计划做于", "今日计划 完成 / 计划", "今日有效工作", "问题"]
    zhang = page.row("people", "张敏")
    figures = recalc_file(mine(office, "张敏"), write=False, as_of=date(2026, 11, 9)).result.figures
    done, planned = personal.plan_figure(figures.plan_rows, figures.done)       # the plan's one figure
    assert zhang[2] == "07:40" and zhang[3] == f"{done} / {planned}"
    bad = page.row("people", "坏文件")
    assert "不是可读取的工作簿" in bad[5]
    valid = sum(1 for r, v in zip(figures.records, figures.verdicts) if v.valid and r.day == date(2026, 11, 9))
    assert zhang[4] == f"{valid}（{'达标' if valid >= 4 else '未达标'}）"          # 每日小结 as saved
    assert [r[0] for r in page.tables["team"][1:]] == [f"2026-11/{maintenance.file_name(NOV)}", "2026-11/续费跟踪_2026-11.xlsx",
                                                        "2026-11/新客户跟踪_2026-11.xlsx"]
    assert "2026-11-09（周一）" in "".join(page.text)
    assert not list(office.glob(".~kefu-*"))


def test_status_page_lists_inquiries_past_their_time_limit(office):
    """咨询 (docs/inquiries.md): an inquiry not answered past its 时限 is on the person's row."""
    path = mine(office, "张敏")
    type_rows(path, personal.spec(load_config(), NOV).sheet("咨询"), [
        {"收到日期": date(2026, 11, 9), "收到时刻": "8:10", "帐户ID": "C1", "渠道": "网络", "内容": "余额"},
        {"收到日期": date(2026, 11, 9), "收到时刻": "9:50", "帐户ID": "C2", "渠道": "邮件", "内容": "发票"}])
    server, clock, lines = serve_at(office, at(9, 9, 40))
    server.cycle()                                  # the save recalculated: 时限 10:00 and 11-10 09:50
    clock.now = at(9, 10, 5)
    server.cycle()
    row = read_page(office).row("people", "张敏")
    assert "超过时限还没答复的咨询：甲建材（时限 11-09 10:00）" in row[5] and "乙家居" not in row[5]


def test_status_page_saved_at_is_the_persons_save_not_serves_write(office):
    path = mine(office, "李娜")
    server, clock, lines = serve_at(office, at(9, 7, 40))
    server.cycle()
    saves(path, [record(date(2026, 11, 9), "C3")])
    os.utime(path, (datetime(2026, 11, 9, 9, 12).timestamp(),) * 2)   # the person saved at 09:12
    clock.now = at(9, 9, 20)
    server.cycle()                                                     # serve writes it at 09:20
    assert any("李娜_2026-11.xlsx | 保存后重算 | 已保存" in line for line in lines)
    assert read_page(office).row("people", "李娜")[1] == "09:12"


def rendered(browser: str, page: Path, profile: Path) -> tuple[str, Tables]:
    """The page's DOM as headless Chromium renders it (scripts run, the document parsed as a
    browser parses it), and its tables."""
    done = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                           "--disable-background-networking", "--disable-component-update",
                           f"--user-data-dir={profile}", "--dump-dom", page.as_uri()], capture_output=True, timeout=120)
    dom = done.stdout.decode("utf-8")
    assert "<body" in dom, done.stderr.decode("utf-8", "replace")[-2000:]
    return dom, Tables(dom)


def test_status_page_in_a_real_browser(office, tmp_path, browser, monkeypatch):
    """状态.html as Chromium shows it: each person's row, the header, the 30-second auto-refresh
    while serve runs; once serve stops, the 已停止 line and no more refreshing."""
    server, clock, lines = serve_at(office, at(9, 7, 40))
    server.claim()
    server.cycle()
    html, dom = rendered(browser, office / STATUS_NAME, tmp_path / "profile")
    assert [r[0] for r in dom.tables["people"][1:]] == ["张敏", "李娜", "王芳"]
    assert dom.row("people", "王芳")[2] == "07:40"
    text = "".join(dom.text)
    assert "kefu-xl 今日状态 · 2026-11-09（周一）" in text and "本页每 30 秒自动刷新" in text
    assert re.search(r'<meta http-equiv="refresh" content="30"', html)
    monkeypatch.setattr(time, "sleep", lambda s: setattr(server, "stop_signal", "SIGTERM"))
    server.run()
    html, dom = rendered(browser, office / STATUS_NAME, tmp_path / "profile")
    assert 'http-equiv="refresh"' not in html and "自动刷新" not in "".join(dom.text)
    assert re.search(r'<p class="note warn" id="stopped">kefu-xl serve 已停止 07:40', html), html[:3000]


# --------------------------------------------------------------------------- serve for real, this month

@pytest.fixture(scope="module")
def this_month(tmp_path_factory) -> Path:
    """A workspace of the current month, opened with the plan of another working day, serve
    set to poll every second; today is a working day (so the morning plan is due whatever
    day the tests run on). Built once; each test gets a copy (this_month_office)."""
    today = date.today()
    month = Month.of(today)
    folder = tmp_path_factory.mktemp("this-month") / "office"
    init_workspace(folder, staff=ROSTER)
    config = folder / "kefu-xl.toml"
    text = config.read_text("utf-8")
    settings = {"plan_at": '"00:00"', "poll_seconds": "1", "collect_minutes": "0"}
    for key, value in settings.items():
        text = re.sub(rf"^{key} = .*$", f"{key} = {value}", text, count=1, flags=re.M)
    text = re.sub(r"^workdays = \[\]$", f'workdays = ["{today.isoformat()}"]', text, count=1, flags=re.M)
    config.write_text(text, "utf-8")
    write_status(folder, str(month), [[*row[:6], month.first + timedelta(days=200), row[7]] for row in STATUS])
    days = WorkCalendar(load_config(config)).workdays_between(month.first, month.last)
    open_month(folder, month, as_of=days[-1] if days[-1] != today else days[0])
    return folder


def this_month_office(this_month: Path, root: Path) -> Path:
    return Path(shutil.copytree(this_month, root / "office"))


def start_serve(office: Path, code: str = "") -> subprocess.Popen:
    """`kefu-xl serve --dir office` as its own process (`code`: test instrumentation run first)."""
    program = f"{code}\nfrom kefu_xl.cli import cli\ncli()"
    return subprocess.Popen([sys.executable, "-c", program, "serve", "--dir", str(office)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def log_lines(office: Path) -> list[str]:
    path = office / LOG_NAME
    return path.read_text("utf-8").splitlines() if path.exists() else []


def wait_until(test, timeout: float = 30, what: str = "") -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if test():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def logged(office: Path, *parts: str) -> bool:
    return any(all(p in line for p in parts) for line in log_lines(office))


def plan_day(path: Path, month: Month) -> date:
    wb = openpyxl.load_workbook(path, data_only=True)
    ws = wb[personal.TODAY]
    layout, _ = find_layout(ws, personal.spec(C, month).sheet(personal.TODAY))
    value = ws.cell(*layout.anchors[personal.PLAN_DAY]).value
    return value.date() if isinstance(value, datetime) else value


def stop(process: subprocess.Popen) -> float:
    """SIGTERM, and the seconds until the process is gone."""
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)
    return time.monotonic() - started


def test_serve_runs_the_day(this_month, tmp_path):
    """Plans for closed workbooks, a locked one left alone until its lock goes, a broken file
    logged once, the team collected, a save recalculated; SIGTERM ends it."""
    office = this_month_office(this_month, tmp_path)
    month = Month.of(date.today())
    today = date.today()
    folder = office / str(month) / personal.FOLDER
    zhang, li, wang = (personal.path_of(office, who, month) for who in ("张敏", "李娜", "王芳"))
    saves(li, [record(today, "C3")], month)
    lock = folder / f"~${zhang.name}"
    lock.write_bytes(b"owner")
    (folder / "坏文件.xlsx").write_bytes(b"not a workbook")
    held = zhang.read_bytes()
    process = start_serve(office)
    try:
        team = office / str(month) / maintenance.file_name(month)
        wait_until(lambda: logged(office, maintenance.file_name(month), "汇总"), what="the collection")
        assert plan_day(li, month) == today and plan_day(wang, month) == today
        assert zhang.read_bytes() == held
        assert team_sources(team, month) == [(li.name, "C3", today)]
        time.sleep(3)                                                   # three more cycles
        assert sum("坏文件.xlsx" in line for line in log_lines(office)) == 1
        assert zhang.read_bytes() == held
        lock.unlink()
        wait_until(lambda: logged(office, zhang.name, "早计划", "已保存"), timeout=20, what="the plan once closed")
        assert plan_day(zhang, month) == today
        saves(wang, [record(today, "C4")], month)
        wait_until(lambda: logged(office, wang.name, "保存后重算", "已保存"), timeout=20, what="the recalc after a save")
        wait_until(lambda: (li.name, "C3", today) in team_sources(team, month)
                   and (wang.name, "C4", today) in team_sources(team, month), timeout=20, what="the second collection")
        page = Tables((office / STATUS_NAME).read_text("utf-8"))
        assert {r[0] for r in page.tables["people"][1:]} == {"张敏", "李娜", "王芳", "坏文件"}
        second = start_serve(office)                                    # one serve per workspace
        assert second.wait(timeout=60) == 1
        assert "另一个 kefu-xl serve 正在照看" in second.stderr.read().decode()
    finally:
        seconds = stop(process)
    assert process.returncode == 0, process.stderr.read().decode()
    assert seconds < 10
    assert "已停止（SIGTERM）" in log_lines(office)[-1]
    assert not list(office.rglob(".~kefu-*"))


SLOW_WRITE = """
import os, time
from pathlib import Path
import kefu_xl.app.workbooks as workbooks
real = workbooks.atomic_write
def slow(path, write, unchanged_since=None):
    def write_then_wait(tmp):
        write(tmp)
        Path(os.environ["KEFU_TEST_MARKER"]).write_text(str(path), "utf-8")
        time.sleep(3)
    return real(path, write_then_wait, unchanged_since)
workbooks.atomic_write = slow
"""


@pytest.mark.parametrize("signals", [1, 2])
def test_sigterm_in_the_middle_of_a_write(this_month, tmp_path, monkeypatch, signals):
    """The first SIGTERM lets the write in progress finish and starts no other; a second one
    abandons it. Either way every file is old or new, no temp file is left, and the process is
    gone in seconds."""
    office = this_month_office(this_month, tmp_path)
    month = Month.of(date.today())
    folder = office / str(month) / personal.FOLDER
    before = {p.name: p.read_bytes() for p in folder.glob("*.xlsx")}
    marker = tmp_path / "writing.txt"
    monkeypatch.setenv("KEFU_TEST_MARKER", str(marker))
    process = start_serve(office, SLOW_WRITE)
    wait_until(marker.exists, what="the first write")
    assert list(folder.glob(".~kefu-*.xlsx"))                  # the temp file of the write is there
    writing = Path(marker.read_text("utf-8")).name
    started = time.monotonic()
    for _ in range(signals):
        process.send_signal(signal.SIGTERM)
        time.sleep(0.3)
    process.wait(timeout=30)
    assert time.monotonic() - started < 10
    assert process.returncode == 0, process.stderr.read().decode()
    after = {p.name: p.read_bytes() for p in folder.glob("*.xlsx")}
    assert after.keys() == before.keys()
    changed = [name for name in after if after[name] != before[name]]
    if signals == 1:
        assert changed == [writing] and plan_day(folder / writing, month) == date.today()   # finished
    else:
        assert changed == []                                                                 # abandoned
    assert not list(office.rglob(".~kefu-*"))
    assert "已停止（SIGTERM）" in log_lines(office)[-1]


def test_idle_serve_uses_almost_no_cpu(this_month, tmp_path):
    stat = Path("/proc/self/stat")
    if not stat.exists():
        pytest.skip("CPU time read from /proc (Linux)")
    office = this_month_office(this_month, tmp_path)
    month = Month.of(date.today())
    process = start_serve(office)
    try:
        wait_until(lambda: logged(office, maintenance.file_name(month), "汇总"), what="the start-up work")
        time.sleep(2)

        def cpu_seconds() -> float:
            fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")   # utime + stime

        first, started = cpu_seconds(), time.monotonic()
        time.sleep(10)                   # ten cycles of the 1-second poll (bench_serve.py measures longer)
        used = cpu_seconds() - first
        elapsed = time.monotonic() - started
        share = used / elapsed
        print(f"idle serve (1-second poll): {used:.2f} s CPU in {elapsed:.0f} s = {share:.2%}")
        assert share < 0.02
    finally:
        stop(process)


def test_what_the_log_and_the_page_say_is_so(office):
    """DOMAIN §27: a file name holding a newline stays one log line; the start line reads right
    with collect_minutes = 0; the page names the spend export it waits for by its real name."""
    config = office / "kefu-xl.toml"
    config.write_text(config.read_text("utf-8").replace("collect_minutes = 15", "collect_minutes = 0"), "utf-8")
    server, clock, lines = serve_at(office, at(9, 9, 0))
    server.start()
    assert "一有改动就汇总" in lines[-1] and "每 0 分钟" not in lines[-1]
    server.say("个人/张敏\n2026-11-09 09:00:00 | 伪造 | 已保存.xlsx", "保存后重算", "已保存")
    assert len(lines[-1].splitlines()) == 1 and "\\x0a" in lines[-1]
    server.cycle()
    page = (office / STATUS_NAME).read_text("utf-8")
    assert "2026-11/inputs/消耗/2026-11-09.xlsx 或 .csv" in page and "今天日期" not in page


def test_a_broken_setting_never_drops_a_save(office):
    """DOMAIN §27: kefu-xl.toml broken while serve runs — recalcs go on with the last good
    settings (said once), and the file saved meanwhile is recalculated and collected."""
    config = office / "kefu-xl.toml"
    config.write_text(config.read_text("utf-8").replace("collect_minutes = 15", "collect_minutes = 0"), "utf-8")
    team = office / "2026-11" / maintenance.file_name(NOV)
    server, clock, lines = serve_at(office, at(9, 9, 0))
    server.cycle()
    config.write_text(config.read_text("utf-8") + "\n[work\nbroken = \n", "utf-8")      # a typo while it runs
    saves(mine(office, "李娜"), [record(date(2026, 11, 9), "C3")])
    clock.now = at(9, 9, 1)
    server.cycle()
    assert sum("继续用之前的配置" in line for line in lines) == 1
    assert any("李娜_2026-11.xlsx | 保存后重算 | 已保存" in line for line in lines)
    assert ("李娜_2026-11.xlsx", "C3", date(2026, 11, 9)) in team_sources(team), "\n".join(lines)
    clock.now = at(9, 9, 2)
    server.cycle()
    assert sum("继续用之前的配置" in line for line in lines) == 1                      # said once


def test_the_months_last_minutes_count(office):
    """DOMAIN §27: a record saved between the last collection and midnight reaches the old
    month's tracker — serve recalcs it and collects the old month once more at the switch."""
    team = office / "2026-11" / maintenance.file_name(NOV)
    server, clock, lines = serve_at(office, datetime(2026, 11, 30, 23, 50))
    server.cycle()                                                   # collected at 23:50
    saves(mine(office, "李娜"), [record(date(2026, 11, 30), "C3")])
    clock.now = datetime(2026, 11, 30, 23, 59, 50)
    server.cycle()                                                   # recalculated; the collection waits 15 minutes
    assert ("李娜_2026-11.xlsx", "C3", date(2026, 11, 30)) not in team_sources(team)
    clock.now = datetime(2026, 12, 1, 0, 0, 5)
    server.cycle()
    assert ("李娜_2026-11.xlsx", "C3", date(2026, 11, 30)) in team_sources(team), "\n".join(lines)
    said = [line for line in lines if "| 月末 |" in line or "| 换月 |" in line]
    assert "换月前把 2026-11 最后保存的改动重算并汇总一次" in said[0] and "从 2026-11 换到 2026-12" in said[-1]


def test_exactly_one_serve_runs(office):
    """DOMAIN §27: the lock is taken by exclusive create and checked at every cycle. A serve that
    finds it taken by another (it was paused, or someone deleted the lock as the refusal
    suggested) stops at once and writes nothing; a live serve of this computer is never taken
    over, however long it was silent; another computer's after 10 polls."""
    import socket

    from kefu_xl.app.serve_state import OWNER_NAME
    from kefu_xl.errors import KefuError
    lock = office / OWNER_NAME
    first, clock, lines = serve_at(office, at(9, 9, 0))
    first.claim()
    first.cycle()
    lock.unlink()                                                   # deleted, as a refusal once suggested …
    lock.write_text("另一台电脑 4242", "utf-8")                       # … and a second serve started elsewhere
    saves(mine(office, "李娜"), [record(date(2026, 11, 9), "C3")])
    before = mine(office, "李娜").read_bytes()
    clock.now = at(9, 9, 1)
    first.cycle()
    assert first.stopping and any("本进程停止" in line for line in lines)
    assert mine(office, "李娜").read_bytes() == before             # the paused one wrote nothing
    assert lock.read_text("utf-8") == "另一台电脑 4242"              # nor took the lock back
    alive = f"{socket.gethostname()} {os.getppid()}"                # a live process of this computer …
    lock.write_text(alive, "utf-8")
    old = time.time() - 3600
    os.utime(lock, (old, old))                                      # … silent for an hour (paused)
    second, _, _ = serve_at(office, at(9, 9, 2))
    with pytest.raises(KefuError, match="它在这台电脑上还在运行"):
        second.claim()
    assert lock.read_text("utf-8") == alive


def test_links_at_the_names_serve_writes_lead_nowhere(office, tmp_path, capsys):
    """DOMAIN §27: a symbolic link at the status page, its old temp name, the log or the lock
    never makes serve write outside the workspace."""
    from kefu_xl.app.serve_state import OWNER_NAME, open_log
    from kefu_xl.errors import KefuError
    outside = tmp_path / "outside.txt"
    outside.write_text("客户资料", "utf-8")
    for name in (STATUS_NAME, f".~kefu-{STATUS_NAME}", LOG_NAME, OWNER_NAME):
        (office / name).symlink_to(outside)
    logger = open_log(office)
    assert "不往里写日志" in capsys.readouterr().err
    server = Server(office, clock=FakeClock(at(9, 9, 0)), logger=logger)
    with pytest.raises(KefuError, match="是一个链接"):
        server.claim()
    (office / OWNER_NAME).unlink()
    server.claim()
    server.cycle()
    logger.info("一行日志")
    assert outside.read_text("utf-8") == "客户资料"
    assert not (office / STATUS_NAME).is_symlink() and "kefu-xl 今日状态" in (office / STATUS_NAME).read_text("utf-8")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()


def test_the_page_tells_who_has_no_workbook_the_first_problems_and_when_serve_stopped(office, monkeypatch):
    """DOMAIN §27: roster members without a workbook are listed, problems show their text (the
    first three), and the page says 「serve 已停止 hh:mm」 when serve stops (no more auto-refresh)."""
    mine(office, "王芳").rename(office / "王芳_2026-11.xlsx")
    saves(mine(office, "李娜"), [{"日期": "12.5", "帐户ID": "C3", "工作类型": "报表发送", "沟通对象": "决策人"}])
    server, clock, lines = serve_at(office, at(9, 10, 0))
    server.claim()
    server.cycle()
    page = read_page(office)
    assert "没有个人工作簿（2026-11/个人/王芳_2026-11.xlsx）" in page.row("people", "王芳")[5]
    assert "「12.5」不是日期" in page.row("people", "李娜")[5]
    text = (office / STATUS_NAME).read_text("utf-8")
    assert 'http-equiv="refresh"' in text and "更新于 10:00:00" in text and "已停止" not in text
    monkeypatch.setattr(time, "sleep", lambda s: setattr(server, "stop_signal", "SIGTERM"))
    server.run()                                                    # one cycle, then stopped
    text = (office / STATUS_NAME).read_text("utf-8")
    assert "kefu-xl serve 已停止 10:00" in text and 'http-equiv="refresh"' not in text and "自动刷新" not in text



def test_the_logs_problem_count_is_the_problem_sheets(office):
    """DOMAIN §27: 「问题 N 条」 in the log is the number of rows on the file's 问题 sheet."""
    saves(mine(office, "李娜"), [{"日期": "12.5", "帐户ID": "C3", "工作类型": "报表发送", "沟通对象": "决策人"},
                               {"日期": date(2026, 11, 9), "帐户ID": "C3", "工作类型": "报表发送", "沟通对象": "其他人员"}])
    server, clock, lines = serve_at(office, at(9, 10, 0))
    server.cycle()
    line = next(x for x in lines if "李娜_2026-11.xlsx" in x and "问题" in x)
    said = int(line.split("问题 ")[1].split(" 条")[0])
    ws = openpyxl.load_workbook(mine(office, "李娜"), read_only=True)["问题"]
    rows = [r for r in ws.iter_rows(min_row=3, values_only=True) if any(v is not None for v in r)]
    assert said == len(rows) >= 2


def test_a_full_disk_is_said_once_and_the_save_retried_when_space_is_freed(office, monkeypatch):
    """DOMAIN §27: 「磁盘已满」 once per file version, not every poll; once space is freed the save
    is recalculated without anyone saving again."""
    import kefu_xl.app.serve as serve_module
    from kefu_xl.errors import DiskFullError
    real = serve_module.recalc_file
    full = {"on": True}

    def disk(path, **kw):
        if full["on"]:
            raise DiskFullError(f"磁盘已满：{path.name} 没有写入，原文件保持不变。")
        return real(path, **kw)
    server, clock, lines = serve_at(office, at(9, 9, 0))
    server.cycle()
    saves(mine(office, "李娜"), [record(date(2026, 11, 9), "C3")])
    monkeypatch.setattr(serve_module, "recalc_file", disk)
    for second in (1, 2, 3):
        clock.now = at(9, 9, 0, second)
        server.cycle()
    assert sum("磁盘已满" in line for line in lines) == 1
    full["on"] = False
    clock.now = at(9, 9, 0, 4)
    server.cycle()
    assert any("李娜_2026-11.xlsx | 保存后重算 | 已保存" in line for line in lines)


def test_a_workbook_that_appears_or_vanishes_is_logged_and_collected_again(office):
    """DOMAIN §27: serve re-collects when a personal workbook appears or disappears (with
    collect_minutes = 0 at once), and logs a vanished team tracker or month folder."""
    config = office / "kefu-xl.toml"
    config.write_text(config.read_text("utf-8").replace("collect_minutes = 15", "collect_minutes = 0"), "utf-8")
    team = office / "2026-11" / maintenance.file_name(NOV)
    saves(mine(office, "李娜"), [record(date(2026, 11, 9), "C3")])
    server, clock, lines = serve_at(office, at(9, 9, 0))
    server.cycle()
    assert ("李娜_2026-11.xlsx", "C3", date(2026, 11, 9)) in team_sources(team)
    away = office / "李娜_2026-11.xlsx"
    mine(office, "李娜").rename(away)                                # moved out of 个人/
    clock.now = at(9, 9, 1)
    server.cycle()
    assert any("李娜_2026-11.xlsx | 不见了 | 文件被删除、改名或移走：重新汇总" in line for line in lines), "\n".join(lines)
    assert any("| 汇总 |" in line for line in lines[-3:]), "\n".join(lines)
    assert ("李娜_2026-11.xlsx", "C3", date(2026, 11, 9)) in team_sources(team)   # the last collected records stay
    away.rename(mine(office, "李娜"))                                 # and back
    clock.now = at(9, 9, 2)
    server.cycle()
    assert any("李娜_2026-11.xlsx | 新文件 | 重新汇总" in line for line in lines)
    team.rename(office / "维护跟踪.xlsx")
    for second in (3, 4):
        clock.now = at(9, 9, second)
        server.cycle()
    assert sum("| 不见了 | 团队表被删除、改名或移走" in line for line in lines) == 1, "\n".join(lines)


def test_the_watchs_anomaly_reaches_a_closed_workbooks_today_within_one_poll(office):
    """DOMAIN §23/§27: a spend export dropped while 张敏's workbook is closed puts the anomaly on
    her 今日 within one poll, without her saving; 李娜's open workbook is not written — the page
    lists her new urgent item until it is on her 今日."""
    server, clock, lines = serve_at(office, at(20, 9, 0))
    server.cycle()
    lock = mine(office, "李娜").parent / "~$李娜_2026-11.xlsx"
    lock.write_bytes(b"x")
    before = mine(office, "李娜").stat().st_mtime_ns
    # C1 is 张敏's account, C3 李娜's: both stop spending
    write_xlsx(office / "2026-11" / "inputs" / "消耗" / "2026-11-19.xlsx",
               [["帐户ID", "消耗", "余额"], ["C1", 500, 20000], ["C3", 400, 20000]])
    write_xlsx(office / "2026-11" / "inputs" / "消耗" / "2026-11-20.xlsx",
               [["帐户ID", "消耗", "余额"], ["C1", 0, 20000], ["C3", 0, 20000]])
    for minute in (1, 2):
        clock.now = at(20, 9, minute)
        server.cycle()
    assert any("消耗监控 | 已保存" in line for line in lines), "\n".join(lines)
    _, items = plan_of(mine(office, "张敏"))
    assert any(account == "C1" and "异常" in what for account, what in items), (items, "\n".join(lines))
    assert any("张敏_2026-11.xlsx | 加紧急事项 | 已保存" in line for line in lines), "\n".join(lines)
    assert mine(office, "李娜").stat().st_mtime_ns == before                         # open: not written
    page = read_page(office)
    assert "新的紧急事项" in " ".join(page.row("people", "李娜")), page.row("people", "李娜")
    assert "新的紧急事项" not in " ".join(page.row("people", "张敏"))
    lock.unlink()                                                                     # she closes it
    clock.now = at(20, 9, 3)
    server.cycle()
    _, items = plan_of(mine(office, "李娜"))
    assert any(account == "C3" for account, _ in items), items
    assert "新的紧急事项" not in " ".join(read_page(office).row("people", "李娜"))


def test_a_renewal_due_after_the_morning_reaches_a_closed_workbooks_today(office):
    """DOMAIN §23: the manager adds a renewal that cannot wait to 续费跟踪 at 10:00 (an account of
    张敏's, balance for one more day); 张敏's closed workbook gains it on 今日 as a 新增 line within
    one poll, without her saving; while her workbook is open it is only listed on 状态.html."""
    from kefu_xl.kinds import renewal
    server, clock, lines = serve_at(office, at(9, 7, 40))
    server.cycle()                                        # morning plans; 续费跟踪 as it is: the baseline
    _, morning = plan_of(mine(office, "张敏"))
    assert not any(account == "C1" and "续费" in what for account, what in morning)
    lock = mine(office, "张敏").parent / "~$张敏_2026-11.xlsx"
    lock.write_bytes(b"x")
    tracker = office / "2026-11" / renewal.file_name(NOV)
    type_rows(tracker, renewal.spec(C, NOV).sheet(renewal.RENEWALS),
              [{"帐户ID": "C1", "客户名称": "甲建材", "客服": "张敏", "余额": 300, "周消耗": 2100,
                "合同到期日": date(2027, 6, 1)}])
    before = mine(office, "张敏").read_bytes()
    for minute in (0, 1):
        clock.now = at(9, 10, minute)
        server.cycle()
    assert mine(office, "张敏").read_bytes() == before                                # open: not written
    assert "甲建材 续费：可投放 1.0 天，尚未提醒续费" in " ".join(read_page(office).row("people", "张敏"))
    lock.unlink()                                                                     # she closes it
    clock.now = at(9, 10, 2)
    server.cycle()
    _, items = plan_of(mine(office, "张敏"))
    assert any(account == "C1" and "续费提醒" in what for account, what in items), items
    assert any("张敏_2026-11.xlsx | 加紧急事项 | 已保存" in line for line in lines), "\n".join(lines)
    assert "新的紧急事项" not in " ".join(read_page(office).row("people", "张敏"))
    seen = len(lines)
    clock.now = at(9, 10, 3)
    server.cycle()                                          # said once: nothing written again
    assert not any("张敏_2026-11.xlsx" in line for line in lines[seen:]), lines[seen:]


def test_the_journal_is_seen_on_the_page_and_each_days_hash_in_the_log(office):
    """DOMAIN §26: serve's collects journal what they read; 状态.html shows each person's month of
    补录 / 改动 / 删除 and today's last hash; the log gets the day before's last hashes once a day."""
    from helpers import set_saved

    from kefu_xl.app import journal
    config = office / "kefu-xl.toml"
    config.write_text(config.read_text("utf-8").replace("collect_minutes = 15", "collect_minutes = 0"), "utf-8")
    saves(mine(office, "李娜"), [record(date(2026, 11, 9), "C3")])
    set_saved(mine(office, "李娜"), at(9, 16, 50))
    server, clock, lines = serve_at(office, at(9, 17, 0))
    server.cycle()                                                    # collected on the day: 新增
    saves(mine(office, "李娜"), [record(date(2026, 11, 9), "C3", "报表发送")])
    set_saved(mine(office, "李娜"), at(11, 9, 0))
    clock.now = at(11, 9, 1)
    server.cycle()                                                    # two days later: 补录
    page = read_page(office)
    assert "日志（本月）：补录 1" in page.row("people", "李娜")[5], page.row("people", "李娜")
    checks = page.tables["checks"][1:]                                  # 建议抽查: the 补录 first, then at random
    assert checks == [["李娜", "2026-11-09", "C3", "报表发送", "补录：晚了 23 小时 才登记"]]   # none on 11-10 to draw
    hashes = journal.day_hashes(office, NOV, date(2026, 11, 11))
    assert page.row("journal", "李娜")[1] == hashes["李娜"][:16]
    said = [line for line in lines if "末行校验值" in line]
    assert len(said) == 1                               # 11-08: nothing journalled by then, nothing said
    assert f"2026-11-10 的末行校验值 | 李娜 {journal.day_hashes(office, NOV, date(2026, 11, 10))['李娜']}" in said[-1]
    clock.now = at(11, 9, 2)
    server.cycle()
    assert sum("末行校验值" in line for line in lines) == 1                 # once a day
