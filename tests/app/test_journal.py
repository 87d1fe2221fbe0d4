"""DOMAIN §26, the 日志: a month scripted through collect — a record typed the same day (no
event), one typed two days later (补录, with how late), one edited (改动 old → new), one deleted
(删除), rows sorted (no event), a month opened before the journal (基线), a power cut mid-append
(the torn line ignored, the next append fine), a tampered line (verify names it), two
collects at once (one waits, then refuses; the chain stays whole), and the printed day."""
from __future__ import annotations

import json
import os
import shutil
import threading
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import ROSTER, write_status
from helpers import set_saved, type_follow_up

from kefu_xl.app import collect as collect_module
from kefu_xl.app import journal
from kefu_xl.app.workbooks import recalc_file
from kefu_xl.app.workspace import init_workspace, open_month
from kefu_xl.cli import cli
from kefu_xl.config import load_config
from kefu_xl.demo.typist import type_rows
from kefu_xl.errors import KefuError
from kefu_xl.io import journal_file
from kefu_xl.kinds import maintenance, personal
from kefu_xl.month import Month
from kefu_xl.rules import journal as rules
from kefu_xl.sheets.layout import find_layout

NOV = Month(2026, 11)
C = load_config()
STATUS = [
    ["C1", "甲建材", "张敏", "建材", 2500, 90000, date(2027, 6, 1), date(2024, 1, 1)],
    ["C2", "乙家居", "张敏", "家居", 300, 100, date(2027, 6, 1), date(2024, 1, 1)],       # renewal due
    ["C3", "丙教育", "李娜", "教育", 50, 90000, date(2027, 6, 1), date(2024, 1, 1)],
    ["C5", "戊机械", "张敏", "机械", 130, 90000, date(2027, 6, 1), date(2026, 11, 5)],    # a new client
]


@pytest.fixture(scope="module")
def opened(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("journal") / "office"
    init_workspace(folder, staff=ROSTER)
    write_status(folder, str(NOV), STATUS)
    open_month(folder, NOV, as_of=date(2026, 11, 2))
    return folder


@pytest.fixture
def office(opened, tmp_path) -> Path:
    return Path(shutil.copytree(opened, tmp_path / "office"))


def mine(office: Path, who: str = "张敏") -> Path:
    return personal.path_of(office, who, NOV)


def call(day: date, account: str, summary: str = "") -> dict:
    return {"日期": day, "帐户ID": account, "工作类型": "电话拜访", "沟通对象": "决策人", "满意度": "满意", "内容摘要": summary}


def saved(path: Path, when: datetime) -> None:
    """The file's saved-at as the person's save left it (docProps/core.xml, as Excel writes it)."""
    set_saved(path, when)


def collect(office: Path, when: date) -> list[dict]:
    """The team recalc's collect at 18:00 that day (serve's, or a manager's)."""
    outcome = recalc_file(office / str(NOV) / maintenance.file_name(NOV), as_of=when,
                          now=datetime.combine(when, datetime.min.time()).replace(hour=18))
    return outcome.result.figures.collected.journal


def edit(path: Path, change) -> None:
    """The person edits 工作记录 in place (change(ws, layout, first_row)) and saves."""
    wb = openpyxl.load_workbook(path)
    sheet = personal.spec(C, NOV).sheet(personal.WORK)
    ws = wb[personal.WORK]
    layout, _ = find_layout(ws, sheet)
    change(ws, layout, layout.first_data_row)
    wb.save(path)


def kinds(events: list[dict]) -> list[str]:
    return [e["type"] for e in events]


def test_a_month_scripted_through_collect(office):
    path = mine(office)
    type_rows(path, personal.spec(C, NOV).sheet(personal.WORK), [call(date(2026, 11, 3), "C1", "谈预算")])
    saved(path, datetime(2026, 11, 3, 16, 0))
    first = collect(office, date(2026, 11, 3))
    assert kinds(first) == [rules.NEW]                              # typed the same day: no 补录
    assert journal.shown_events(office, NOV) == []

    type_rows(path, personal.spec(C, NOV).sheet(personal.WORK), [call(date(2026, 11, 3), "C2", "补一条")])
    saved(path, datetime(2026, 11, 5, 14, 30))                     # 11-03 closed on 11-04 at 10:00
    late = collect(office, date(2026, 11, 5))
    assert kinds(late) == [rules.LATE] and late[0]["late"] == "1 天 4 小时" and late[0]["record"]["帐户ID"] == "C2"

    def rewrite(ws, layout, first):
        ws.cell(first, layout.columns["内容摘要"]).value = "谈预算和优化"
    edit(path, rewrite)
    saved(path, datetime(2026, 11, 5, 15, 0))
    changed = collect(office, date(2026, 11, 5))
    assert kinds(changed) == [rules.CHANGED]
    assert rules.describe(changed[0]) == "2026-11-03 C1 电话拜访：内容摘要「谈预算」→「谈预算和优化」"

    def swap(ws, layout, first):                                   # sorted by 帐户ID descending: no event
        a = [ws.cell(first, c).value for c in range(1, ws.max_column + 1)]
        b = [ws.cell(first + 1, c).value for c in range(1, ws.max_column + 1)]
        for c, (x, y) in enumerate(zip(a, b), 1):
            ws.cell(first, c).value, ws.cell(first + 1, c).value = y, x
    edit(path, swap)
    saved(path, datetime(2026, 11, 5, 15, 10))
    assert collect(office, date(2026, 11, 5)) == []

    def delete(ws, layout, first):
        ws.delete_rows(first, 1)
    edit(path, delete)
    saved(path, datetime(2026, 11, 6, 9, 0))
    gone = collect(office, date(2026, 11, 6))
    assert kinds(gone) == [rules.DELETED] and gone[0]["record"]["帐户ID"] == "C2"

    shown = journal.shown_events(office, NOV)
    assert kinds(shown) == [rules.LATE, rules.CHANGED, rules.DELETED]
    assert journal.counts(office, NOV)["张敏"] == {"补录": 1, "改动": 1, "删除": 1}
    verdicts = journal.verify_month(office, NOV)
    assert all(v.broken is None for v in verdicts) and {v.path.stem for v in verdicts} >= {"张敏"}
    lines = journal_file.read_lines(journal.path_of(office, NOV, "张敏"))
    assert len(lines) == 4 and all(json.loads(line.raw)["person"] == "张敏" for line in lines)
    for log in journal.journal_files(office, NOV):      # what each collect appended was kept, not read back,
        kept = journal_file._KEPT[log]                   # and is what reading the file gives
        assert journal_file.kept_lines(log)[1] is kept[1] and kept[1] == journal_file.read_lines(log), log.name


def test_a_collect_reads_no_journal_line_it_wrote_or_read_before(office, monkeypatch):
    """A journal is parsed once by a process: a later collect neither parses back what the
    last one appended nor the whole file to find the hash it chains to (one line)."""
    path = mine(office)
    type_rows(path, personal.spec(C, NOV).sheet(personal.WORK), [call(date(2026, 11, 3), "C1", "谈预算"),
                                                                 call(date(2026, 11, 3), "C5", "谈需求")])
    saved(path, datetime(2026, 11, 3, 16, 0))
    assert kinds(collect(office, date(2026, 11, 3))) == [rules.NEW, rules.NEW]
    parsed, parse = [], journal_file._parse
    monkeypatch.setattr(journal_file, "_parse", lambda data: parsed.append(data.count(b"\n")) or parse(data))
    type_rows(path, personal.spec(C, NOV).sheet(personal.WORK), [call(date(2026, 11, 4), "C2")])
    saved(path, datetime(2026, 11, 4, 16, 0))
    assert kinds(collect(office, date(2026, 11, 4))) == [rules.NEW]
    assert parsed and max(parsed) == 1                   # the last line alone, for its hash
    log = journal.path_of(office, NOV, "张敏")
    assert [e["type"] for e in journal_file.events(log)] == [rules.NEW] * 3


def test_the_lines_kept_follow_a_file_another_program_rewrote(tmp_path):
    """Kept lines are extended by an append only when they are of the bytes appended to: a
    journal rewritten meanwhile at the same size and time (another computer, a restore) or
    left empty by a crash is read as it is."""
    log = tmp_path / "张敏.jsonl"
    journal_file.append(log, "2026-11", "张敏", [{"type": "新增", "v": 1}])
    assert journal_file.kept_lines(log)[1] == journal_file.read_lines(log)
    stamp = log.stat()
    log.write_bytes(log.read_bytes().replace(b'"v":1', b'"v":9'))       # same size, then the same time
    os.utime(log, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    journal_file.append(log, "2026-11", "张敏", [{"type": "新增", "v": 2}])
    assert [line.event["v"] for line in journal_file.kept_lines(log)[1]] == [9, 2]
    assert journal_file.kept_lines(log)[1] == journal_file.read_lines(log)
    empty = tmp_path / "李娜.jsonl"
    empty.write_bytes(b"")
    journal_file.append(empty, "2026-11", "李娜", [{"type": "新增", "v": 1}])
    assert journal_file.kept_lines(empty)[1] == journal_file.read_lines(empty)
    assert [line.number for line in journal_file.read_lines(empty)] == [1]


def test_a_corrected_date_is_one_change_not_a_delete_and_an_add(office):
    path = mine(office)
    type_rows(path, personal.spec(C, NOV).sheet(personal.WORK), [call(date(2026, 11, 3), "C1", "谈预算")])
    saved(path, datetime(2026, 11, 3, 16, 0))
    collect(office, date(2026, 11, 3))

    def redate(ws, layout, first):
        ws.cell(first, layout.columns["日期"]).value = datetime(2026, 11, 2)
    edit(path, redate)
    saved(path, datetime(2026, 11, 3, 16, 5))
    events = collect(office, date(2026, 11, 3))
    assert kinds(events) == [rules.CHANGED] and events[0]["old"]["日期"] == "2026-11-03" and events[0]["record"]["日期"] == "2026-11-02"


def test_a_month_opened_before_the_journal_starts_from_a_baseline(office):
    path = mine(office)
    type_rows(path, personal.spec(C, NOV).sheet(personal.WORK), [call(date(2026, 11, 3), "C1"), call(date(2026, 11, 4), "C2")])
    saved(path, datetime(2026, 11, 20, 9, 0))
    shutil.rmtree(journal.folder_of(office, NOV))                   # as an earlier release opened it
    events = collect(office, date(2026, 11, 20))
    baseline = [e for e in events if e["person"] == "张敏"]
    assert kinds(baseline) == [rules.BASELINE] and len(baseline[0]["records"]) == 2   # never 补录
    assert journal.shown_events(office, NOV) == []
    type_rows(path, personal.spec(C, NOV).sheet(personal.WORK), [call(date(2026, 11, 4), "C1")])
    saved(path, datetime(2026, 11, 20, 11, 0))
    assert kinds(collect(office, date(2026, 11, 20))) == [rules.LATE]     # from then on, judged


def test_a_torn_last_line_is_ignored_and_the_next_append_is_fine(office):
    path = mine(office)
    type_rows(path, personal.spec(C, NOV).sheet(personal.WORK), [call(date(2026, 11, 3), "C1")])
    saved(path, datetime(2026, 11, 3, 16, 0))
    collect(office, date(2026, 11, 3))
    log = journal.path_of(office, NOV, "张敏")
    with open(log, "ab") as f:
        f.write(b'{"type":"\xe6\x96\xb0\xe5\xa2\x9e","rec')           # the power went mid-line
    type_rows(path, personal.spec(C, NOV).sheet(personal.WORK), [call(date(2026, 11, 4), "C2")])
    saved(path, datetime(2026, 11, 4, 16, 0))
    assert kinds(collect(office, date(2026, 11, 4))) == [rules.NEW]
    verdict = journal_file.verify(log, str(NOV), "张敏")
    assert verdict.broken is None and verdict.torn == [2] and verdict.lines == 2
    assert log.read_bytes().split(b"\n")[1] == b'{"type":"\xe6\x96\xb0\xe5\xa2\x9e","rec'   # never rewritten


def test_the_next_lines_prev_comes_from_the_last_whole_line_alone():
    """append reads only the end of a journal for the hash it chains to: the same hash the
    whole file's parse gives, whatever the file ends with."""
    a, b = b'{"type":"x","n":1}', b'{"type":"y","n":2}'
    cases = [b"", a + b"\n", a + b"\n" + b + b"\n", a + b"\n" + b'{"type":"to',   # a torn end
             a + b"\n" + b"not json\n", a + b"\n" + b"[1,2]\n", a + b"\n\n", b"\n\n", b + b"\n" + a,
             a + b"\n" + b"\xff\xfe\n", b"garbage"]
    for data in cases:
        whole = journal_file._last_hash(journal_file._parse(data), "2026-11", "张敏")
        assert journal_file._last_hash(journal_file._last_whole(data), "2026-11", "张敏") == whole, data


def test_a_tampered_line_is_named_by_verify(office):
    path = mine(office)
    type_rows(path, personal.spec(C, NOV).sheet(personal.WORK), [call(date(2026, 11, 3), "C1"), call(date(2026, 11, 3), "C2")])
    saved(path, datetime(2026, 11, 3, 16, 0))
    collect(office, date(2026, 11, 3))
    type_rows(path, personal.spec(C, NOV).sheet(personal.WORK), [call(date(2026, 11, 4), "C2")])
    saved(path, datetime(2026, 11, 4, 16, 0))
    collect(office, date(2026, 11, 4))
    log = journal.path_of(office, NOV, "张敏")
    result = CliRunner().invoke(cli, ["journal", "verify", "2026-11", "--dir", str(office)])
    assert result.exit_code == 0 and "日志/张敏.jsonl：3 行，完整" in result.output, result.output
    text = log.read_text("utf-8").replace("2026-11-03", "2026-11-02", 1)   # a date moved into an earlier day
    log.write_text(text, "utf-8")
    result = CliRunner().invoke(cli, ["journal", "verify", "2026-11", "--dir", str(office)])
    assert result.exit_code == 1 and "日志/张敏.jsonl：第 2 行与上一行接不上" in result.output, result.output


def test_two_collects_at_once_one_waits_then_refuses(office, monkeypatch):
    path = mine(office)
    type_rows(path, personal.spec(C, NOV).sheet(personal.WORK), [call(date(2026, 11, 3), "C1")])
    saved(path, datetime(2026, 11, 3, 16, 0))
    monkeypatch.setattr(journal_file, "LOCK_WAIT_SECONDS", 0.3)
    held = journal_file.JournalLock(office, wait=0.3)
    with held:                                                        # another collect is writing
        with pytest.raises(KefuError, match="日志正在被另一个汇总写入"):
            with journal_file.JournalLock(office, wait=0.3):
                pass
    results = []

    def run():
        try:
            results.append(collect(office, date(2026, 11, 3)))
        except KefuError as e:
            results.append(e)
    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    verdict = journal_file.verify(journal.path_of(office, NOV, "张敏"), str(NOV), "张敏")
    assert verdict.broken is None and verdict.lines == 1               # one 新增, not two


def test_journal_print_lays_out_each_persons_day(office, tmp_path):
    path = mine(office)
    type_rows(path, personal.spec(C, NOV).sheet(personal.WORK), [call(date(2026, 11, 3), "C1", "谈预算")])
    saved(path, datetime(2026, 11, 3, 16, 0))
    collect(office, date(2026, 11, 3))
    result = CliRunner().invoke(cli, ["journal", "print", "2026-11-03", "--dir", str(office)])
    assert result.exit_code == 0, result.output
    page = (journal.folder_of(office, NOV) / "日志_2026-11-03.html").read_text("utf-8")
    assert "张敏 · 2026年11月03日 工作日志" in page and "谈预算" in page and "客服签字" in page
    last = journal_file.digest(journal_file.read_lines(journal.path_of(office, NOV, "张敏"))[-1].raw)
    assert last in page and "@page { size: A4 portrait" in page


@pytest.mark.libreoffice
def test_the_team_trackers_journal_sheet_and_counts_in_both_engines(office, tmp_path):
    """The 日志 sheet lists the month's 补录, 改动, 删除; 客服汇总's 补录数 / 改动数 / 删除数 are
    formulas over it that LibreOffice computes as Python does."""
    from helpers import assert_engines_agree, libreoffice_values
    path = mine(office)
    type_rows(path, personal.spec(C, NOV).sheet(personal.WORK), [call(date(2026, 11, 3), "C1", "谈预算")])
    saved(path, datetime(2026, 11, 3, 16, 0))
    collect(office, date(2026, 11, 3))
    type_rows(path, personal.spec(C, NOV).sheet(personal.WORK), [call(date(2026, 11, 3), "C2")])
    saved(path, datetime(2026, 11, 6, 9, 0))

    def rewrite(ws, layout, first):
        ws.cell(first, layout.columns["内容摘要"]).value = "谈预算和优化"
    edit(path, rewrite)
    saved(path, datetime(2026, 11, 6, 9, 0))
    team = office / str(NOV) / maintenance.file_name(NOV)
    outcome = recalc_file(team, as_of=date(2026, 11, 6), now=datetime(2026, 11, 6, 18, 0))
    python = maintenance.python_values(outcome.result)
    assert python[maintenance.SUMMARY]["张敏"]["补录数"] == 1 and python[maintenance.SUMMARY]["张敏"]["改动数"] == 1
    assert python[maintenance.SUMMARY]["合计"]["删除数"] == 0
    wb = openpyxl.load_workbook(team)
    rows = [r for r in wb["日志"].iter_rows(min_row=3, values_only=True) if r[0]]
    assert [(r[1], r[2], r[4]) for r in rows] == [("张敏", "改动", "C1"), ("张敏", "补录", "C2")]
    assert rows[0][6] == "内容摘要「谈预算」→「谈预算和优化」" and rows[1][6] == "晚了 1 天 23 小时 才登记"
    office_ = libreoffice_values(team, tmp_path / "lo")
    assert_engines_agree({maintenance.SUMMARY: python[maintenance.SUMMARY]},
                         {maintenance.SUMMARY: office_[maintenance.SUMMARY]}) >= 20


def test_a_save_under_another_user_name_is_journalled_only_when_names_are_known(office):
    """「由 X 保存」: 李娜's workbook saved by the user ZHANG-PC — an event once the roster names
    her computer user (LINA-PC), none while the column is blank; a manager's save is no event."""
    path = mine(office, "李娜")
    type_rows(path, personal.spec(C, NOV).sheet(personal.WORK), [call(date(2026, 11, 3), "C3")])
    set_saved(path, datetime(2026, 11, 3, 16, 0), by="ZHANG-PC")
    assert rules.OTHER_SAVED not in kinds(collect(office, date(2026, 11, 3)))       # names unknown: nothing said
    roster_path = office / "名册.xlsx"
    wb = openpyxl.load_workbook(roster_path)
    ws = wb["客服"]
    header = next(r for r in range(1, 6) if ws.cell(r, 1).value == "客服")
    ws.cell(header, 5).value = "电脑用户名"
    for r in range(header + 1, ws.max_row + 1):
        ws.cell(r, 5).value = {"李娜": "LINA-PC", "张敏": "ZHANG-PC"}.get(ws.cell(r, 1).value)
    wb.save(roster_path)
    set_saved(path, datetime(2026, 11, 3, 16, 30), by="ZHANG-PC")
    events = collect(office, date(2026, 11, 3))
    assert [(e["type"], e["saved_by"]) for e in events if e["type"] == rules.OTHER_SAVED] == [(rules.OTHER_SAVED, "ZHANG-PC")]
    assert rules.describe(events[-1]) == "李娜_2026-11.xlsx：由「ZHANG-PC」保存（不是李娜的电脑用户名）"
    assert collect(office, date(2026, 11, 3)) == []                               # once per saved version
    set_saved(path, datetime(2026, 11, 3, 17, 0), by="lina-pc")
    assert collect(office, date(2026, 11, 3)) == []                               # her own save


def test_a_deleted_record_is_restored_once(office):
    """journal restore puts the day's deleted record back at the end of 工作记录 (来源 日志恢复),
    once: a second restore finds nothing, the next collect makes no event, verify holds."""
    path = mine(office)
    type_rows(path, personal.spec(C, NOV).sheet(personal.WORK), [call(date(2026, 11, 5), "C1", "谈预算"),
                                                                call(date(2026, 11, 5), "C2", "谈续费")])
    saved(path, datetime(2026, 11, 5, 16, 0))
    collect(office, date(2026, 11, 5))

    def delete(ws, layout, first):
        ws.delete_rows(first + 1, 1)
    edit(path, delete)
    saved(path, datetime(2026, 11, 6, 9, 0))
    assert kinds(collect(office, date(2026, 11, 6))) == [rules.DELETED]
    lock = path.parent / f"~${path.name}"
    lock.write_text("x")
    result = CliRunner().invoke(cli, ["journal", "restore", "张敏", "2026-11-05", "--dir", str(office)])
    assert result.exit_code == 1 and "正在" in result.output, result.output            # open: refused
    lock.unlink()
    result = CliRunner().invoke(cli, ["journal", "restore", "张敏", "2026-11-05", "--dir", str(office)])
    assert result.exit_code == 0 and "已恢复 第 4 行：2026-11-05 C2 电话拜访 谈续费" in result.output, result.output
    wb = openpyxl.load_workbook(path)
    ws = wb[personal.WORK]
    layout, _ = find_layout(ws, personal.spec(C, NOV).sheet(personal.WORK))
    rows = [(ws.cell(r, layout.columns["帐户ID"]).value, ws.cell(r, layout.columns["来源"]).value)
            for r in range(layout.first_data_row, ws.max_row + 1) if ws.cell(r, layout.columns["帐户ID"]).value]
    assert rows[0] == ("C1", None) and rows[1][0] == "C2" and rows[1][1].startswith("日志恢复 ")
    again = CliRunner().invoke(cli, ["journal", "restore", "张敏", "2026-11-05", "--dir", str(office)])
    assert again.exit_code == 0 and "没有要恢复的" in again.output                     # not a duplicate
    assert collect(office, date(2026, 11, 6)) == []                                   # the journal knows it is back
    assert kinds(journal.shown_events(office, NOV)) == [rules.DELETED, rules.RESTORED]
    assert all(v.broken is None for v in journal.verify_month(office, NOV))


def test_the_suggested_spot_checks_put_late_and_changed_records_first(office):
    """建议抽查: the month's 补录 and 改动 first, then the working day before's records drawn at
    random — the same draw all day — up to the day's number of checks."""
    path = mine(office)
    type_rows(path, personal.spec(C, NOV).sheet(personal.WORK),
              [call(date(2026, 11, 9), f"C{n}", f"第{n}条") for n in (1, 2, 3)])
    saved(path, datetime(2026, 11, 9, 17, 0))
    collect(office, date(2026, 11, 9))
    type_rows(path, personal.spec(C, NOV).sheet(personal.WORK), [call(date(2026, 11, 5), "C2", "补一条")])
    saved(path, datetime(2026, 11, 10, 9, 0))
    collect(office, date(2026, 11, 10))
    workday = __import__("kefu_xl.calendar", fromlist=["WorkCalendar"]).WorkCalendar(C).is_workday
    checks = journal.suggested_checks(office, NOV, date(2026, 11, 10), 3, workday)
    assert [(c["客服"], c["日期"], c["帐户ID"]) for c in checks][0] == ("张敏", "2026-11-05", "C2")
    assert checks[0]["为什么"] == "补录：晚了 3 天 23 小时 才登记"
    assert len(checks) == 3 and all(c["为什么"] == "随机（11-09 的记录）" for c in checks[1:])
    assert checks == journal.suggested_checks(office, NOV, date(2026, 11, 10), 3, workday)   # the same all day


def test_follow_up_cells_are_journalled(office):
    """我的续费's dates and amount, a new client's step dates: a date typed after its day closed
    is 补录, an amount changed is 改动, a date cleared is 删除; the status moving on is journalled
    as 跟进 and not shown; `journal restore` puts back 工作记录 records only."""
    path = mine(office)
    assert collect(office, date(2026, 11, 3)) == []                  # rows nobody typed in: nothing
    type_follow_up(path, personal.MY_RENEWALS, "C2", {"提醒日期": datetime(2026, 11, 3), "续费状态": "跟进中"})
    saved(path, datetime(2026, 11, 3, 16, 0))
    assert sorted(kinds(collect(office, date(2026, 11, 3)))) == sorted([rules.NEW, rules.PROGRESS])

    type_follow_up(path, personal.MY_RENEWALS, "C2", {"到帐日期": datetime(2026, 11, 4), "续费金额": 20000,
                                                       "续费状态": "已续费"})
    saved(path, datetime(2026, 11, 9, 15, 0))                         # 11-04 closed on 11-05 at 10:00
    events = {e["record"]["字段"]: e for e in collect(office, date(2026, 11, 9))}
    assert {f: e["type"] for f, e in events.items()} == {"到帐日期": rules.LATE, "续费金额": rules.NEW,
                                                         "续费状态": rules.PROGRESS}
    assert rules.describe(events["到帐日期"]) == "我的续费 C2 到帐日期：2026-11-04，晚了 4 天 5 小时 才填"
    assert rules.describe(events["续费状态"]) == "我的续费 C2 续费状态：「跟进中」→「已续费」"

    type_follow_up(path, personal.MY_RENEWALS, "C2", {"续费金额": 18000, "到帐日期": None})
    type_follow_up(path, personal.MY_CLIENTS, "C5", {"告知帐户信息": datetime(2026, 11, 9)})
    saved(path, datetime(2026, 11, 9, 16, 0))
    events = collect(office, date(2026, 11, 9))
    assert sorted((e["type"], (e.get("record") or {}).get("字段")) for e in events) == \
        sorted([(rules.CHANGED, "续费金额"), (rules.DELETED, "到帐日期"), (rules.NEW, "告知帐户信息")])
    assert rules.describe(next(e for e in events if e["type"] == rules.CHANGED)) == "我的续费 C2 续费金额：「20000」→「18000」"

    assert journal.counts(office, NOV)["张敏"] == {"补录": 1, "改动": 1, "删除": 1}
    assert rules.PROGRESS not in kinds(journal.shown_events(office, NOV))
    wb = openpyxl.load_workbook(office / str(NOV) / maintenance.file_name(NOV))
    rows = [r for r in wb["日志"].iter_rows(min_row=3, values_only=True) if r[0]]
    assert [(r[2], r[3], r[5]) for r in rows] == [("补录", "2026-11-04", "我的续费·到帐日期"),
                                                  ("改动", None, "我的续费·续费金额"), ("删除", "2026-11-04", "我的续费·到帐日期")]
    result = CliRunner().invoke(cli, ["journal", "restore", "张敏", "2026-11-04", "--dir", str(office)])
    assert result.exit_code == 0 and "没有要恢复的" in result.output, result.output
    assert journal.suggested_checks(office, NOV, date(2026, 11, 10), 4, lambda d: d.weekday() < 5) == []
    assert all(v.broken is None for v in journal.verify_month(office, NOV))


def test_rows_typed_into_the_team_file_are_journalled_apart(office):
    """A row typed straight into the team 工作记录 (blank 来源) is journalled under the person
    it names, judged by the team file's saved-at; her own workbook's records are compared
    only with what her workbook held (the team row is no 删除 of hers, nor hers of it)."""
    path = mine(office)
    type_rows(path, personal.spec(C, NOV).sheet(personal.WORK), [call(date(2026, 11, 3), "C1", "谈预算")])
    saved(path, datetime(2026, 11, 3, 16, 0))
    team = office / str(NOV) / maintenance.file_name(NOV)
    work = maintenance.spec(C, NOV).sheet(maintenance.WORK)
    type_rows(team, work, [{**call(date(2026, 11, 3), "C2", "经理代录"), "客服": "张敏"},
                           {**call(date(2026, 11, 3), "C9", "不在名册的人"), "客服": "路人甲"}])
    set_saved(team, datetime(2026, 11, 3, 17, 0))
    events = collect(office, date(2026, 11, 3))
    assert sorted((e["type"], e["record"]["帐户ID"], e["record"].get("来源", ""), e["file"]) for e in events) == [
        (rules.NEW, "C1", "", personal.file_name("张敏", NOV)), (rules.NEW, "C2", rules.TEAM, team.name)]
    assert collect(office, date(2026, 11, 3)) == []                  # read again: nothing new, nothing gone

    wb = openpyxl.load_workbook(team)
    ws = wb[maintenance.WORK]
    layout, _ = find_layout(ws, work)
    row = next(r for r in range(layout.first_data_row, ws.max_row + 1) if ws.cell(r, layout.columns["帐户ID"]).value == "C2")
    ws.cell(row, layout.columns["内容摘要"]).value = "经理代录，已改"
    wb.save(team)
    set_saved(team, datetime(2026, 11, 6, 9, 0))
    events = collect(office, date(2026, 11, 6))
    assert [(e["type"], e["record"]["帐户ID"]) for e in events] == [(rules.CHANGED, "C2")]
    print_page = journal.day_records(office, NOV, "张敏", date(2026, 11, 3))[0]
    assert [(r["帐户ID"], r.get("来源", "")) for r in print_page] == [("C1", ""), ("C2", rules.TEAM)]


@pytest.mark.libreoffice
def test_late_entries_do_not_count_when_the_month_says_so(tmp_path):
    """[journal] late_entry = "invalid": a month opened with it judges a record the 日志 found
    补录 invalid (无效原因 「补录」) in both engines, in the team tracker and in the person's own
    workbook; a month opened before the setting keeps counting them (no pay cut by surprise)."""
    from helpers import assert_engines_agree, office_values
    office = tmp_path / "office"
    init_workspace(office, staff=ROSTER)
    write_status(office, str(NOV), STATUS)
    toml = office / "kefu-xl.toml"
    toml.write_text(toml.read_text("utf-8").replace('late_entry = "count"', 'late_entry = "invalid"'), "utf-8")
    open_month(office, NOV, as_of=date(2026, 11, 2))
    path = mine(office)
    type_rows(path, personal.spec(C, NOV).sheet(personal.WORK), [call(date(2026, 11, 3), "C1", "当天")])
    saved(path, datetime(2026, 11, 3, 16, 0))
    collect(office, date(2026, 11, 3))
    type_rows(path, personal.spec(C, NOV).sheet(personal.WORK), [call(date(2026, 11, 3), "C2", "晚了")])
    saved(path, datetime(2026, 11, 6, 9, 0))
    team = office / str(NOV) / maintenance.file_name(NOV)
    outcome = recalc_file(team, as_of=date(2026, 11, 6), now=datetime(2026, 11, 6, 18, 0))
    verdicts = {r.account_id: v for r, v in zip(outcome.result.figures.records, outcome.result.figures.verdicts)}
    assert (verdicts["C1"].valid, verdicts["C2"].valid, verdicts["C2"].reason) == (True, False, "补录")
    python = maintenance.python_values(outcome.result)
    assert python[maintenance.SUMMARY]["张敏"]["有效工作数"] == 1 and python[maintenance.SUMMARY]["张敏"]["补录数"] == 1
    team_office = office_values(team, maintenance.spec(C, NOV), {maintenance.WORK: lambda r, v: r,
                                                                  maintenance.SUMMARY: lambda r, v: v["客服"]}, tmp_path / "lo")
    assert assert_engines_agree({k: python[k] for k in (maintenance.WORK, maintenance.SUMMARY)}, team_office) > 20

    own = recalc_file(path, as_of=date(2026, 11, 6))                 # her own workbook reads it from the team
    mine_python = personal.python_values(own.result)
    reasons = {r.account_id: mine_python[personal.WORK][r.row]["无效原因"] for r in own.result.figures.records}
    assert reasons == {"C1": "", "C2": "补录"}
    mine_office = office_values(path, personal.spec(C, NOV), {personal.WORK: lambda r, v: r}, tmp_path / "lo2")
    assert assert_engines_agree({personal.WORK: mine_python[personal.WORK]}, mine_office) > 5

    toml.write_text(toml.read_text("utf-8").replace('late_entry = "invalid"', 'late_entry = "count"'), "utf-8")
    again = recalc_file(team, as_of=date(2026, 11, 6), now=datetime(2026, 11, 6, 18, 5))
    assert [v.reason for v in again.result.figures.verdicts] == ["", "补录"]      # the month keeps its rules


def test_a_month_opened_before_late_entry_invalid_keeps_counting_them(office):
    """The setting changed after the month was opened: its 补录 still count, as they did."""
    toml = office / "kefu-xl.toml"
    toml.write_text(toml.read_text("utf-8").replace('late_entry = "count"', 'late_entry = "invalid"'), "utf-8")
    path = mine(office)
    type_rows(path, personal.spec(C, NOV).sheet(personal.WORK), [call(date(2026, 11, 3), "C2", "晚了")])
    saved(path, datetime(2026, 11, 6, 9, 0))
    outcome = recalc_file(office / str(NOV) / maintenance.file_name(NOV), as_of=date(2026, 11, 6),
                          now=datetime(2026, 11, 6, 18, 0))
    assert kinds(outcome.result.figures.collected.journal) == [rules.LATE]
    assert [v.valid for v in outcome.result.figures.verdicts] == [True]


def test_records_read_again_as_they_were_make_no_event_and_one_change_still_does():
    """rules.changes' shortcut for a reading equal to the journal's state (serve reads every
    workbook again and again) gives what the full comparison gives."""
    close = datetime(2026, 11, 3, 9, 0).time()
    records = [{"日期": "2026-11-02", "帐户ID": f"A{i}", "工作类型": "电话拜访", "沟通对象": "决策人",
                "内容摘要": "", "满意度": "满意", "客户接受": "", "row": i + 3} for i in range(50)]
    state = [dict(r) for r in records]
    state[7][rules.LATE_MARK] = True                          # came as 补录: still the same record
    saved = datetime(2026, 11, 9, 15, 0)
    assert rules.changes(state, [dict(r) for r in records], saved, close, lambda d: d.weekday() < 5) == []
    moved = [dict(r) for r in records]
    moved[3], moved[4] = moved[4], moved[3]                   # rows swapped: same records, kept
    assert rules.changes(state, moved, saved, close, lambda d: d.weekday() < 5) == []
    edited = [dict(r) for r in records]
    edited[7]["满意度"] = "一般"
    events = rules.changes(state, edited, saved, close, lambda d: d.weekday() < 5)
    assert [(e["type"], e["old"]["满意度"], e["record"]["满意度"]) for e in events] == [(rules.CHANGED, "满意", "一般")]
    added = [*records, {**records[0], "帐户ID": "A999", "row": 60}]
    events = rules.changes(state, added, saved, close, lambda d: d.weekday() < 5)
    assert [(e["type"], e["record"]["帐户ID"]) for e in events] == [(rules.LATE, "A999")]


def test_a_team_recalc_reads_the_journal_while_it_reads_the_tracker(office, monkeypatch):
    """The month's 日志 is read in a thread started with the recalc (read_ahead), joined
    before the collect compares against it: the events are those of a recalc without it."""
    path = mine(office)
    type_rows(path, personal.spec(C, NOV).sheet(personal.WORK), [call(date(2026, 11, 3), "C1", "谈预算")])
    saved(path, datetime(2026, 11, 3, 16, 0))
    assert kinds(collect(office, date(2026, 11, 3))) == [rules.NEW]
    started = []
    real = journal.read_ahead

    def spied(workspace, month):
        thread = real(workspace, month)
        started.append(thread)
        return thread
    monkeypatch.setattr(collect_module, "read_ahead", spied)
    journal_file._KEPT.clear()                      # a new process: nothing read yet
    type_rows(path, personal.spec(C, NOV).sheet(personal.WORK), [call(date(2026, 11, 4), "C2")])
    saved(path, datetime(2026, 11, 4, 16, 0))
    assert kinds(collect(office, date(2026, 11, 4))) == [rules.NEW]
    assert len(started) == 1 and not started[0].is_alive()


def test_a_line_is_the_json_text_earlier_releases_wrote_and_read(tmp_path):
    """orjson writes the lines: the very bytes of json.dumps(…, ensure_ascii=False, sort_keys=True,
    compact) — Chinese as itself, quotes, backslashes and control characters escaped, keys
    sorted at every level — and a line only Python's json reads (NaN) is read as it was."""
    event = {"type": "改动", "person": "李娜", "records": [
        {"row": 7, "内容摘要": '说"好"\\再联系\n\t明天', "帐户ID": "A1", "满意度": "", "x\u2028y": "\x01\x7f😀"},
        {"row": 8, "ok": True, "no": None, "n": -12, "list": [1, "二", []]}], "prev": "0" * 64, "z": {}, "a": 0}
    expected = json.dumps(event, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
    assert journal_file.line_bytes(event) == expected
    path = tmp_path / "李娜.jsonl"
    written = journal_file.append(path, "2026-11", "李娜", [event])
    old = json.dumps({"type": "基线", "v": float("nan")}).encode("utf-8")
    path.write_bytes(path.read_bytes() + old + b"\n" + b'{"torn": ' + b"\n")
    lines = journal_file.read_lines(path)
    assert lines[0].raw == journal_file.line_bytes(written[0]) and lines[0].event == written[0]
    assert lines[1].event["type"] == "基线" and lines[1].event["v"] != lines[1].event["v"]     # NaN
    assert lines[2].event is None
