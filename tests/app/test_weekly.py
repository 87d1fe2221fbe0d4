"""kefu-xl report --week (docs/weekly.md): the 周报 of a week spanning two months sums the days'
records of both months' trackers, a filed week is replaced only with --force, the default week
is the last full one, the workbook's formulas equal Python's (LibreOffice) and it validates."""
from datetime import date

import openpyxl
import pytest
from click.testing import CliRunner
from helpers import assert_engines_agree, day_of, office_values, open_november, validate

from kefu_xl.app import weekly_book
from kefu_xl.app.weekly import Week, collect, figures
from kefu_xl.cli import cli
from kefu_xl.demo.typist import type_work_records
from kefu_xl.errors import KefuError

W44 = Week(2026, 44)            # Monday 2026-10-26 … Sunday 2026-11-01: 2026-10 and 2026-11


def rec(day, staff, account, work_type, contact="决策人", **more):
    return {"日期": day, "客服": staff, "帐户ID": account, "工作类型": work_type, "沟通对象": contact, **more}


OCTOBER = [
    rec(date(2026, 10, 25), "张敏", "C1", "电话拜访", 满意度="满意"),            # Sunday before the week: not counted
    rec(date(2026, 10, 26), "张敏", "C1", "电话拜访", 满意度="满意"),
    rec(date(2026, 10, 26), "张敏", "C1", "报表发送"),
    rec(date(2026, 10, 26), "张敏", "C2", "电话拜访", 满意度="不满意"),          # valid, and an unhappy client
    rec(date(2026, 10, 26), "张敏", "C2", "报表发送"),                        # 张敏's 4th valid of the day: 达标
    rec(date(2026, 10, 27), "李娜", "C3", "电话拜访", "其他人员", 满意度="满意"),   # 其他人员: not valid work
    rec(date(2026, 10, 27), "李娜", "C3", "报表发送"),
]
NOVEMBER = [
    rec(date(2026, 11, 1), "王芳", "C1", "帐户优化", 客户接受="是"),            # Sunday, cover work: 王芳's
    rec(date(2026, 11, 1), "张敏", "C1", "电话拜访", 满意度="很不满意"),
    rec(date(2026, 11, 2), "张敏", "C1", "报表发送"),                         # Monday after: not counted
]


@pytest.fixture
def two_months(workspace):
    """October's and November's trackers with the records above typed into their 工作记录."""
    november = open_november(workspace)
    type_work_records(workspace / "2026-10" / "维护跟踪_2026-10.xlsx", OCTOBER)
    type_work_records(november, NOVEMBER)
    return workspace


def test_week_names_and_default():
    w49 = Week.parse("2026-W49")
    assert (w49.monday, w49.sunday, [str(m) for m in w49.months]) == (date(2026, 11, 30), date(2026, 12, 6),
                                                                     ["2026-11", "2026-12"])
    assert Week.parse(" 2026w49 ") == w49 and str(Week.parse("2026-W7")) == "2026-W07"
    assert Week.last_full_before(date(2026, 12, 7)) == w49            # a Monday: the week that ended yesterday
    assert Week.last_full_before(date(2026, 12, 6)) == Week(2026, 48)  # a Sunday: its week is not over
    with pytest.raises(KefuError, match="格式不对"):
        Week.parse("2026-49")
    with pytest.raises(KefuError, match="没有第 54 周"):
        Week.parse("2026-W54")


def test_a_week_spanning_two_months_is_the_sum_of_its_days_records(two_months):
    data = collect(two_months, W44, as_of=date(2026, 11, 3))
    f = figures(data)
    week, days = f["周报"], f["每日"]
    # by hand from OCTOBER and NOVEMBER: 10-26 (4 valid) and 11-01 (1) for 张敏, 10-27 (1) for 李娜, 11-01 王芳
    assert (week["张敏"]["电话拜访"], week["张敏"]["报表发送"], week["张敏"]["有效工作"]) == (3, 2, 5)
    assert week["张敏"]["不满意客户"] == 2 and week["张敏"]["达标天数"] == 1
    assert (week["李娜"]["电话拜访"], week["李娜"]["报表发送"], week["李娜"]["有效工作"], week["李娜"]["达标天数"]) == (0, 1, 1, 0)
    assert (week["王芳"]["帐户优化"], week["王芳"]["有效工作"]) == (1, 1)
    assert (week["合计"]["有效工作"], week["合计"]["电话拜访"], week["合计"]["报表发送"], week["合计"]["帐户优化"]) == (7, 3, 3, 1)
    assert week["合计"]["不满意客户"] == 2 and week["合计"]["达标天数"] == 1
    assert days[("张敏", date(2026, 10, 26))]["有效工作"] == 4 and days[("张敏", date(2026, 10, 26))]["达标"] == "是"
    assert days[("张敏", date(2026, 10, 27))]["达标"] == "否"             # a working day under 4
    assert (days[("张敏", date(2026, 11, 1))]["有效工作"], days[("张敏", date(2026, 11, 1))]["达标"]) == (1, "")   # Sunday
    # each day's figure is its month's: the week is the sum of its seven days
    for person in data.staff:
        assert sum(days[(person, d)]["有效工作"] for d in W44.days) == week[person]["有效工作"]
    sources = {r["来源"] for r in data.rows if r["项目"] == "有效工作"}
    assert sources == {"维护跟踪_2026-10.xlsx", "维护跟踪_2026-11.xlsx"}
    # an unhappy client nobody reached again is on the meeting's agenda (C1 had a valid report on 11-02)
    unhappy = [i for i in data.issues if i["类别"] == "不满意客户未再联系"]
    assert [(i["客服"], i["帐户ID"], i["日期"]) for i in unhappy] == [("张敏", "C2", date(2026, 10, 26))]


def test_the_workbook_and_a_filed_week_is_replaced_only_with_force(two_months):
    runner = CliRunner()
    args = ["report", "--week", "2026-W44", "--as-of", "2026-11-03", "--dir", str(two_months)]
    made = runner.invoke(cli, args)
    assert made.exit_code == 0, made.output
    path = two_months / "周报" / "周报_2026-W44.xlsx"
    assert "已生成" in made.output and path.exists()
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[:4] == ["周报", "每日", "本周问题", "数据"]
    ws = wb["周报"]
    header = [c.value for c in ws[2]]
    inquiries = header.index("咨询及时率") + 1
    names = {ws.cell(r, 1).value: r for r in range(3, ws.max_row + 1)}
    assert str(ws.cell(names["合计"], inquiries).value).startswith("=IF(SUMIFS(")      # 咨询: a formula like the rest
    assert any("客服经理 签字" in str(c.value) for row in ws.iter_rows() for c in row if c.value)
    assert str(ws.cell(3, header.index("有效工作") + 1).value).startswith("=SUMIFS(")
    before = path.read_bytes()
    refused = runner.invoke(cli, args)
    assert refused.exit_code == 1 and "已经存档" in refused.output and "--force" in refused.output
    assert path.read_bytes() == before
    forced = runner.invoke(cli, [*args, "--force", "--html"])
    assert forced.exit_code == 0 and "已替换" in forced.output, forced.output
    assert list((two_months / "周报" / ".kefu-backup").glob("周报_2026-W44*.xlsx"))
    html = path.with_suffix(".html").read_text("utf-8")
    assert "本周问题" in html and "咨询及时率" in html and "客服经理 签字" in html


def test_default_week_and_usage_errors(two_months):
    runner = CliRunner()
    made = runner.invoke(cli, ["report", "--week", "--as-of", "2026-11-04", "--dir", str(two_months)])
    assert made.exit_code == 0, made.output
    assert (two_months / "周报" / "周报_2026-W44.xlsx").exists()        # Wednesday 11-04: last full week is W44
    for extra in (["2026-11"], ["--quarter", "2026Q4"]):
        wrong = runner.invoke(cli, ["report", *extra, "--week", "2026-W44", "--dir", str(two_months)])
        assert wrong.exit_code == 2 and "--week 不能和" in wrong.output, wrong.output
    future = runner.invoke(cli, ["report", "--week", "2026-W50", "--as-of", "2026-11-04", "--dir", str(two_months)])
    assert future.exit_code == 1 and "还没有开始" in future.output


@pytest.mark.libreoffice
def test_weekly_formulas_equal_python_and_the_file_validates(demo, tmp_path):
    """The demo's 2026-W49 (11-30 … 12-06): anomalies of the 9:00 watch, unhappy calls, renewals
    received, plan days — every formula LibreOffice computes equals Python's figure."""
    made = weekly_book.write_weekly(demo, "2026-W49", as_of=date(2026, 12, 8), force=True)
    data = made.data
    items = {r["项目"] for r in data.rows}
    assert {"有效工作", "异常", "不满意", "续费到帐", "计划项数"} <= items
    python = weekly_book.cached_values(data)
    keys = {"周报": lambda r, v: v["客服"], "每日": lambda r, v: (v["客服"], day_of(v["日期"])),
            "数据": lambda r, v: v["序号"]}
    office = office_values(made.path, weekly_book.spec(data), keys, tmp_path / "lo")
    compared = assert_engines_agree(python, office)
    assert compared == (len(data.staff) + 1) * 21 + len(data.staff) * 7 * 6 + sum(r["项目"] == "异常" for r in data.rows)
    assert validate([made.path]) == []
