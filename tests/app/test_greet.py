"""kefu-xl greet: holidays starting in the next 14 days around the 2026 National Day (and its
Mid-autumn holiday a week before) and the 2027 Spring Festival (a year chinesecalendar does
not know: the config's holidays and names apply, or a note), one text per client from the
archive's decision maker, the workspace's template, phones masked on screen."""
from datetime import date

import openpyxl
import pytest
from click.testing import CliRunner
from helpers import open_november

from kefu_xl.app.greet import Holiday, greetings, holidays_starting
from kefu_xl.calendar import WorkCalendar
from kefu_xl.cli import cli
from kefu_xl.config import default_config_text, load_config
from kefu_xl.errors import KefuError
from kefu_xl.kinds import archive
from kefu_xl.month import Month
from kefu_xl.sheets.layout import find_layout

C = load_config()
SPRING_2027 = ["2027-02-06", "2027-02-07", "2027-02-08", "2027-02-09", "2027-02-10", "2027-02-11", "2027-02-12"]


def holidays(first, last, config=C):
    notes = []
    return holidays_starting(first, last, WorkCalendar(config), config, notes), notes


def test_national_day_2026():
    found, notes = holidays(date(2026, 9, 20), date(2026, 10, 4))
    assert found == [Holiday(date(2026, 9, 25), "中秋节"), Holiday(date(2026, 10, 1), "国庆节")] and not notes
    found, _ = holidays(date(2026, 9, 26), date(2026, 10, 10))       # 中秋 started the day before
    assert found == [Holiday(date(2026, 10, 1), "国庆节")]
    assert holidays(date(2026, 10, 2), date(2026, 10, 16))[0] == []   # inside the holiday: not starting


def with_calendar(workspace, holidays_=(), names=""):
    path = workspace / "kefu-xl.toml"
    text = default_config_text().replace("holidays = []", f"holidays = {list(holidays_)!r}".replace("'", '"'))
    path.write_text(text.replace("names = {}", f"names = {{ {names} }}"), "utf-8")
    return load_config(path)


def test_spring_festival_2027_from_the_config_or_a_note(workspace):
    found, notes = holidays(date(2027, 1, 25), date(2027, 2, 8))
    assert found == [] and "2027 年的法定节假日安排尚未收录" in notes[0]
    config = with_calendar(workspace, SPRING_2027, '"2027-02-06" = "春节"')
    assert holidays(date(2027, 1, 25), date(2027, 2, 8), config) == ([Holiday(date(2027, 2, 6), "春节")], [])
    unnamed = with_calendar(workspace, ["2027-01-01", "2027-02-06", "2027-02-07"])
    found, notes = holidays(date(2026, 12, 25), date(2027, 2, 8), unnamed)
    assert found == [Holiday(date(2027, 1, 1), "元旦"), Holiday(date(2027, 2, 6), "节日")]
    assert "names" in notes[0]


@pytest.fixture
def office(workspace):
    open_november(workspace)
    path = archive.path_of(workspace)
    wb = openpyxl.load_workbook(path)
    ws = wb[archive.FILES]
    layout, _ = find_layout(ws, archive.spec(C).sheet(archive.FILES))
    cells = {(3, "联系人"): "陈总", (3, "手机"): "13900002222", (3, "决策人"): "否",
             (8, "帐户ID"): "C1", (8, "联系人"): "陈董", (8, "决策人"): "是", (8, "手机"): "13800001111",
             (4, "联系人"): "刘经理", (4, "手机"): "13700003333"}
    for (r, h), v in cells.items():
        ws.cell(r, layout.columns[h]).value = v
    wb.save(path)
    return workspace


def test_one_greeting_per_client_to_the_decision_maker(office):
    found, items, notes, problems, source = greetings(office, Month(2026, 9), date(2026, 9, 26))
    assert [h.name for h in found] == ["国庆节"] and source == "内置模板"
    assert [g.account_id for g in items] == ["C1", "C2", "C3", "C4", "C5"]
    c1 = items[0]
    assert (c1.contact, c1.phone) == ("陈董", "13800001111")                # the decision maker, not 陈总
    assert c1.text.startswith("陈董您好！国庆节将至（10月1日起放假）")
    assert items[2].text.startswith("丙教育您好！")                         # no contact: the client's name
    assert {p.row for p in problems if p.code == "NO_CONTACT"} == {5, 6, 7}


def test_the_command_writes_the_file_and_masks_phones_on_screen(office):
    (office / "节日问候.txt.j2").write_text("{{ 称呼 }}：{{ 年份 }}年{{ 节日 }}快乐！—— {{ 客服 }}", "utf-8")
    result = CliRunner().invoke(cli, ["greet", "2026-09", "--dir", str(office), "--as-of", "2026-09-20"])
    assert result.exit_code == 0, result.output
    assert "中秋节：2026-09-25 起放假" in result.output and "138****1111" in result.output
    assert "13800001111" not in result.output
    text = (office / "2026-09" / "节日问候_2026-09-20.txt").read_text("utf-8")
    assert "==== 中秋节（2026-09-25 起放假）：5 位客户 ====" in text
    assert "发给：陈董、13800001111 ——\n陈董：2026年国庆节快乐！" in text
    (office / "节日问候.txt.j2").write_text("{{ 微信 }}", "utf-8")
    with pytest.raises(KefuError, match="不存在的变量"):
        greetings(office, Month(2026, 9), date(2026, 9, 20))


def test_another_month_without_as_of_looks_at_the_whole_month(office):
    """Issue 41: `greet 2026-09` (not this month, no --as-of) finds September's 中秋 and the 国庆
    starting the day after the month, instead of only the first 14 days of September."""
    result = CliRunner().invoke(cli, ["greet", "2026-09", "--dir", str(office)])
    assert result.exit_code == 0, result.output
    assert "中秋节：2026-09-25 起放假" in result.output and "国庆节：2026-10-01 起放假" in result.output
    assert (office / "2026-09" / "节日问候_2026-09-01.txt").exists()


def test_greets_as_of_says_what_the_date_means_for_greetings():
    """greet's --as-of is where the 14 days start, not recalc's 截至日期 of working days."""
    greet_help = CliRunner().invoke(cli, ["greet", "--help"]).output
    recalc_help = CliRunner().invoke(cli, ["recalc", "--help"]).output
    assert "从这一天起找今后 14 天内开始放假的节日" in greet_help and "统计工作日数" not in greet_help
    assert "统计工作日数到这一天" in recalc_help
