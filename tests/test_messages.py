"""Messages that lead to the fix: a date typed as 12.2 is shown as typed with the likely date; a
record dated after the as-of date is a warning (and still counts); an empty 名册 is a warning at
month open; a command run from the folder above a workspace finds it (several: says --dir); a
mid-month report divides by the working days up to its --as-of, as 客服汇总 does."""
import re
from datetime import date

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import ROSTER, write_status
from helpers import NOV, WORK, d, open_month_once, open_november
from test_docs import all_commands

from kefu_xl.app.report import collect, figures
from kefu_xl.app.workbooks import recalc_file
from kefu_xl.app.workspace import init_workspace
from kefu_xl.cli import cli
from kefu_xl.demo.typist import type_work_records
from kefu_xl.io.values import mistyped_date
from kefu_xl.kinds import complaints


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.mark.parametrize("typed, likely", [
    (12.2, date(2026, 12, 2)), ("12.2", date(2026, 12, 2)), ("12/2", date(2026, 12, 2)), ("12-2", date(2026, 12, 2)),
    ("2026.12.2", date(2026, 12, 2)), ("20261202", date(2026, 12, 2)), (20261202, date(2026, 12, 2)),
    ("12月2日", date(2026, 12, 2)), (12.02, date(2026, 12, 2)), ("3", date(2026, 12, 3)),
    (1.5, date(2027, 1, 5)),                 # January is nearer to mid-December in the next year
    ("13.5", None), ("上午", None),
])
def test_the_likely_date_of_what_was_typed(typed, likely):
    shown, guess = mistyped_date(typed, date(2026, 12, 15))
    assert guess == likely and shown == str(typed)


def test_a_number_typed_into_a_date_formatted_cell_is_shown_as_typed():
    from datetime import datetime
    # Excel, openpyxl and calamine read the number 12.2 in a date-formatted cell as 1900-01-12 04:48
    assert mistyped_date(datetime(1900, 1, 12, 4, 48), date(2026, 12, 15)) == ("12.2", date(2026, 12, 2))
    assert mistyped_date(date(1900, 1, 3), date(2026, 11, 15)) == ("3", date(2026, 11, 3))


@pytest.mark.parametrize("value", [None, "", date(2026, 12, 2), 46358, 46358.0])
def test_real_dates_are_no_typos(value):
    assert mistyped_date(value, date(2026, 12, 15)) is None


def work_problems(outcome, row=None):
    return [p for p in outcome.result.problems if p.sheet == "工作记录" and (row is None or p.row == row)]


def test_a_date_typed_as_a_number_or_text_is_shown_as_typed(workspace):
    tracker = open_november(workspace)
    base = {"客服": "张敏", "帐户ID": "C1", "工作类型": "报表发送", "沟通对象": "决策人"}
    type_work_records(tracker, [{**base, "日期": 11.3, "内容摘要": "a"},          # a General cell: the number 11.3
                                {**base, "日期": "11/4", "内容摘要": "b"},        # a text cell
                                {**base, "日期": "2026.11.5", "内容摘要": "c"},
                                {**base, "日期": d(6), "内容摘要": "d"}])
    outcome = recalc_file(tracker, as_of=d(20))
    messages = {p.row: p.message for p in work_problems(outcome)}
    assert "「11.3」不是日期，像是 2026-11-03" in messages[3]
    assert "「11/4」不是日期，像是 2026-11-04" in messages[4]
    assert "「2026.11.5」不是日期，像是 2026-11-05" in messages[5]
    assert 6 not in messages
    assert not any("1900" in p.message for p in outcome.result.problems)
    assert [p.code for p in work_problems(outcome, 3)] == ["NOT_A_DATE"]        # not also 「不在 2026-11 内」
    verdicts = [v.valid for v in outcome.result.figures.verdicts]
    assert verdicts == [False, False, False, True]                             # as the workbook's formula says


def test_a_typed_date_in_a_ledger_suggests_the_date(workspace):
    problems = []
    data = type("Data", (), {"rows": [(5, {"投诉编号": "T1", "来源": "", "登记日期": "11.3", "渠道": "电话", "订单号": "",
                                             "商家": "甲", "品类": "", "品牌": "", "重大": "", "转交商家日期": None,
                                             "商家回复日期": None, "解决日期": 11.4})]})
    complaints.read_complaints(data, "投诉台账_2026-11.xlsx", problems)
    assert {(p.row, p.column, p.code) for p in problems} == {(5, "登记日期", "NOT_A_DATE"), (5, "解决日期", "NOT_A_DATE")}
    assert all("像是" in p.message and "-11-0" in p.message for p in problems)


def test_a_typed_renewal_date_suggests_the_date(workspace):
    from kefu_xl.config import load_config
    from kefu_xl.io.safe_write import save_workbook
    from kefu_xl.kinds import renewal
    from kefu_xl.sheets.layout import find_layout
    config = workspace / "kefu-xl.toml"          # a small team typing into the team tracker itself
    config.write_text(config.read_text("utf-8").replace("enabled = true", "enabled = false"), "utf-8")
    open_november(workspace)
    path = workspace / "2026-11" / renewal.file_name(NOV)
    wb = openpyxl.load_workbook(path)
    ws = wb[renewal.RENEWALS]
    layout, _ = find_layout(ws, renewal.spec(load_config(), NOV).sheet(renewal.RENEWALS))
    row = layout.first_data_row
    ws.cell(row, layout.columns["提醒日期"]).value = "11.3"            # typed into a text cell
    ws.cell(row, layout.columns["到帐日期"]).value = 11.2              # typed into a General cell
    save_workbook(wb, path)
    outcome = recalc_file(path, as_of=d(20))
    found = {p.column: p.message for p in outcome.result.problems if p.code == "NOT_A_DATE"}
    assert "「11.3」不是日期，像是 2026-11-03" in found["提醒日期"]
    assert "「11.2」不是日期，像是 2026-11-02" in found["到帐日期"]


def test_a_record_dated_after_the_as_of_date_counts_and_is_flagged(workspace):
    tracker = open_november(workspace)
    type_work_records(tracker, [{"日期": d(23), "客服": "张敏", "帐户ID": "C1", "工作类型": "电话拜访", "满意度": "满意",
                                 "沟通对象": "决策人"}])
    outcome = recalc_file(tracker, as_of=d(4))
    (flag,) = work_problems(outcome, 3)
    assert flag.code == "FUTURE_DATE" and "2026-11-23" in flag.message and "2026-11-04" in flag.message
    assert flag.severity.value == "警告"
    assert outcome.result.figures.verdicts[0].valid                          # it still counts
    assert not work_problems(recalc_file(tracker, write=False, as_of=d(23)), 3)   # on the day itself: fine


@pytest.mark.parametrize("roster", [[], [{**ROSTER[3]}]], ids=["blank", "nobody-active"])
def test_an_empty_roster_is_a_warning_at_month_open(tmp_path, roster):
    folder = tmp_path / "office"
    init_workspace(folder, staff=roster)
    write_status(folder, "2026-11", [["C1", "甲建材", "张敏", "建材", 2500, 100, date(2027, 1, 1), date(2024, 1, 1)]])
    result = run("month", "open", "2026-11", "--dir", folder, "--as-of", "2026-11-10")
    assert result.exit_code == 0, result.output
    assert "不会生成个人工作簿" in result.output
    assert not (folder / "2026-11" / "个人").exists()


# --dir: every command that takes it, with arguments that reach the workspace
ARGS = {
    ("month", "open"): ["2026-11", "--as-of", "2026-11-10"], ("orders", "add-books"): ["--books", "1", "--size", "50",
                                                                                       "--start", "100001"],
    ("settle",): ["2026-11", "--dry-run"], ("collect",): ["2026-11", "--as-of", "2026-11-10"], ("remind",): ["2026-11"],
    ("greet",): ["2026-11", "--as-of", "2026-11-10"], ("calls",): ["2026-11", "--at", "2026-11-10 09:00"],
    ("watch",): ["2026-11-10"], ("report",): ["2026-11", "--as-of", "2026-11-10"], ("serve",): [],
    ("journal", "verify"): ["2026-11"], ("journal", "print"): ["2026-11-10"], ("journal", "restore"): ["张敏", "2026-11-10"],
}


def dir_commands():
    for path in all_commands():
        command = cli
        for name in path:
            command = command.commands[name]
        if any("--dir" in p.opts for p in command.params):
            yield path


def test_every_command_with_dir_is_covered():
    # demo's --dir names the folder it builds (a new one), not a workspace to find
    assert set(dir_commands()) - {("demo",)} == set(ARGS)


@pytest.mark.parametrize("path", sorted(ARGS), ids=" ".join)
def test_a_command_run_from_the_folder_above_finds_the_workspace(tmp_path, monkeypatch, path):
    folder = tmp_path / "office"
    init_workspace(folder, staff=ROSTER)
    write_status(folder, "2026-11", [["C1", "甲建材", "张敏", "建材", 2500, 100, date(2027, 1, 1), date(2024, 1, 1)]])
    (tmp_path / "别的文件夹").mkdir()
    monkeypatch.chdir(tmp_path)
    if path != ("serve",):            # serve would run on: its finding is the same function, tested below
        if path != ("month", "open"):       # (the month open, found from above, is its own case)
            open_month_once(folder, NOV, as_of=date(2026, 11, 10))
        result = run(*path, *ARGS[path])
        assert "不是 kefu-xl 工作区" not in result.output and "内部错误" not in result.output, result.output
        assert result.exit_code in (0, 1) and "Usage:" not in result.output, result.output
    # elsewhere: says to use --dir
    monkeypatch.chdir(tmp_path / "别的文件夹")
    result = run(*path, *ARGS[path])
    assert result.exit_code == 1 and "不是 kefu-xl 工作区" in result.output and "--dir" in result.output
    # two workspaces below: names them and says --dir 工作区名
    init_workspace(tmp_path / "second", staff=ROSTER)
    monkeypatch.chdir(tmp_path)
    result = run(*path, *ARGS[path])
    assert result.exit_code == 1, result.output
    assert "2 个工作区（office、second）" in result.output and "--dir 工作区名" in result.output


def test_the_workspace_is_found_from_above_and_from_inside(tmp_path, monkeypatch):
    from pathlib import Path

    from kefu_xl.app.workspace import locate_workspace
    folder = tmp_path / "office"
    init_workspace(folder, staff=ROSTER)
    monkeypatch.chdir(tmp_path)
    assert locate_workspace(Path(".")) == Path("office")
    monkeypatch.chdir(folder / "2026-12" if (folder / "2026-12").exists() else folder)
    assert locate_workspace(Path(".")).resolve() == folder.resolve()


def test_a_mid_month_report_divides_by_the_working_days_so_far(workspace):
    tracker = open_november(workspace)
    type_work_records(tracker, WORK)
    as_of = d(16)
    staff = {s.staff: s for s in recalc_file(tracker, write=False, as_of=as_of).result.figures.staff}
    result = run("report", "2026-11", "--dir", workspace, "--as-of", "2026-11-16")
    assert result.exit_code == 0, result.output
    f = figures(collect(workspace, [NOV], as_of))
    for name in ("张敏", "李娜", "王芳"):
        assert f[name]["日均有效工作"] == staff[name].daily_valid, name
    assert staff["张敏"].daily_valid is not None and staff["张敏"].valid_work > 0
    # 2026-11-02 … 11-16: 11 working days, not the month's 21
    assert f["张敏"]["日均有效工作"] * 11 == staff["张敏"].valid_work
    ws = openpyxl.load_workbook(workspace / "2026-11" / "绩效提成_2026-11.xlsx")["绩效提成"]
    assert "统计截至 2026-11-16" in ws["A1"].value
    assert "统计截至 2026-11-16" in result.output


def test_the_statement_carries_no_command_hint(workspace):
    tracker = open_november(workspace)
    type_work_records(tracker, WORK)                     # the tracker has problems: a warning on the statement
    result = run("report", "2026-11", "--dir", workspace)
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(workspace / "2026-11" / "绩效提成_2026-11.xlsx")
    texts = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert any("数字可能不准" in t for t in texts)
    assert not [t for t in texts if re.search(r"kefu-xl [a-z]", t)]     # _meta says who made it; no command
    assert f"kefu-xl check {tracker.resolve()}" in result.output        # in the terminal, as a command


@pytest.mark.parametrize("args, said", [
    (["recalc", "--bogus", "x.xlsx"], "错误：没有选项 '--bogus'"),
    (["month", "open", "2026-13"], "'YYYY-MM' 的值不对：月份「2026-13」格式不对"),
    (["frobnicate"], "错误：没有命令 'frobnicate'"),
    (["recalc"], "缺少参数 '文件'"),
    (["report", "--help"], "显示本帮助并退出"),
    (["watch", "2026-11-31"], "'2026-11-31' 不是日期：请写成 YYYY-MM-DD，例如 2026-11-05。"),
])
def test_clicks_own_messages_are_chinese(args, said):
    """Issue 41: what click itself prints — usage, errors, --help's footer — reads in Chinese."""
    result = CliRunner().invoke(cli, args)
    text = result.output
    assert said in text, text
    for english in ("Usage:", "Error:", "No such", "Invalid value", "Show this message", "Missing argument", "Try '"):
        assert english not in text, (english, text)
    if "--help" not in args:
        assert result.exit_code == 2 and "用法：" in text and "查看用法" in text


def test_no_english_placeholder_in_any_help():
    """Every command's --help: 「[选项] 命令 [参数]...」 and 整数 / 文字 / 文件夹 for values, never click's
    [OPTIONS], COMMAND [ARGS]..., TEXT, INTEGER RANGE or 'required' (found by a newcomer's walk-through)."""
    import click

    def walk(command, path):
        yield path
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                yield from walk(sub, [*path, name])
    for path in walk(cli, []):
        text = CliRunner().invoke(cli, [*path, "--help"]).output
        for english in ("[OPTIONS]", "COMMAND [ARGS]", " TEXT", "INTEGER", "required]", " PATH", "DIRECTORY"):
            assert english not in text, (path, english, text)


def test_notes_are_grouped_by_what_they_say_and_the_rest_counted(capsys):
    """Two 代班 notes about different people are two lines, the same note twice one line with ×
    2, and problems beyond what is printed are counted (found by a newcomer's walk-through)."""
    from kefu_xl.present.outcomes import INFOS_SHOWN, MAX_SHOWN, show_problems
    from kefu_xl.records import Problem, Severity
    notes = [Problem("t.xlsx", "工作记录", 3, "客服", "COVER_WORK", "代班：有效工作数计给李娜。", Severity.INFO),
             Problem("t.xlsx", "工作记录", 9, "客服", "COVER_WORK", "代班：有效工作数计给李娜。", Severity.INFO),
             Problem("t.xlsx", "工作记录", 103, "客服", "COVER_WORK", "代班：有效工作数计给王芳。", Severity.INFO)]
    notes += [Problem("t.xlsx", "工作记录", 200 + i, "", "X", f"提示 {i}", Severity.INFO) for i in range(INFOS_SHOWN)]
    warnings = [Problem("t.xlsx", "工作记录", i, "", "W", f"警告 {i}", Severity.WARNING) for i in range(MAX_SHOWN + 5)]
    show_problems(notes + warnings)
    out = capsys.readouterr().out
    assert "提示 × 2：代班：有效工作数计给李娜。" in out and "提示：代班：有效工作数计给王芳。" in out
    assert "……另有 5 条错误/警告未显示" in out and "……另有 2 条提示未显示" in out
