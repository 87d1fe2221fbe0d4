"""The statement's 考核 sheet (docs/scorecard.md): each measure of a small workspace against
figures worked out by hand from its rows, in Python and in LibreOffice's recalculation; bands,
arrows and the weighted score; [scorecard] settings checked with a Chinese message."""
import shutil
from datetime import date
from decimal import Decimal as D

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import write_xlsx
from helpers import d, open_november, same, validate

from kefu_xl.app.report import write_report
from kefu_xl.app.scorecard import SHEET
from kefu_xl.cli import cli
from kefu_xl.config import load_config
from kefu_xl.demo.typist import type_rows, type_work_records
from kefu_xl.io.journal_file import append
from kefu_xl.io.libreoffice import recalculate
from kefu_xl.kinds import meetings

# November, team 工作记录 (open_november: C1, C2 张敏 一级; C3, C4 李娜 三级; C5 王芳, opened this month)
RECORDS = [
    {"日期": d(3), "客服": "张敏", "帐户ID": "C1", "工作类型": "电话拜访", "沟通对象": "决策人", "满意度": "一般"},
    {"日期": d(10), "客服": "张敏", "帐户ID": "C1", "工作类型": "电话拜访", "沟通对象": "决策人", "满意度": "很满意"},
    {"日期": d(9), "客服": "张敏", "帐户ID": "C2", "工作类型": "电话拜访", "沟通对象": "决策人", "满意度": "不满意"},
    {"日期": d(9), "客服": "张敏", "帐户ID": "C2", "工作类型": "帐户优化", "沟通对象": "决策人", "客户接受": "是"},
    {"日期": d(12), "客服": "张敏", "帐户ID": "C1", "工作类型": "帐户优化", "沟通对象": "决策人", "客户接受": "否"},
    {"日期": d(16), "客服": "李娜", "帐户ID": "C3", "工作类型": "电话拜访", "沟通对象": "决策人", "满意度": "满意"},
    {"日期": d(17), "客服": "李娜", "帐户ID": "C3", "工作类型": "帐户优化", "沟通对象": "决策人", "客户接受": "是"},
    {"日期": d(18), "客服": "李娜", "帐户ID": "C3", "工作类型": "帐户优化", "沟通对象": "决策人", "客户接受": "是"},
    {"日期": d(19), "客服": "李娜", "帐户ID": "C4", "工作类型": "电话邀约", "沟通对象": "决策人"},
    {"日期": d(20), "客服": "张敏", "帐户ID": "C1", "工作类型": "电话邀约", "沟通对象": "决策人"},
    # the latest 满意度 of C2, but said by someone else than the 决策人: the record is invalid, so C2 stays 不满意
    {"日期": d(24), "客服": "张敏", "帐户ID": "C2", "工作类型": "电话拜访", "沟通对象": "其他人员", "满意度": "很满意"},
]
STANDARDS = """
[scorecard]
spend = { pass = 200, warn = 100 }
satisfaction = { pass = 0.9, warn = 0.5 }
maintenance = { pass = 0.3, warn = 0.2 }
daily_work = { pass = 4 }
exam = { pass = 80, warn = 60 }
late_entries = { pass = 0, warn = 1 }

[scorecard.weights]
spend = 10
satisfaction = 20
maintenance = 30
daily_work = 10
exam = 10
late_entries = 20
"""


def set_scorecard(workspace, text: str) -> None:
    """The manager's [scorecard] in place of the commented one kefu-xl init wrote (the last section)."""
    path = workspace / "kefu-xl.toml"
    path.write_text(path.read_text("utf-8").split("\n[scorecard]\n")[0] + "\n" + text, "utf-8")


def _journal_event(kind: str, account: str, **more) -> dict:
    record = {"日期": "2026-11-03", "客服": "张敏", "帐户ID": account, "工作类型": "报表发送", "沟通对象": "决策人",
              "内容摘要": "", "满意度": "", "客户接受": "", "row": 3}
    return {"at": "2026-11-20 11:00:00", "file": "张敏_2026-11.xlsx", "person": "张敏", "type": kind, "record": record,
            **more}


@pytest.fixture
def office(workspace):
    """A small workspace whose every scorecard input is typed here (and worked out below)."""
    path = open_november(workspace)
    type_work_records(path, RECORDS)
    spend = workspace / "2026-11" / "inputs" / "消耗"
    write_xlsx(spend / "2026-11-02.xlsx", [["帐户ID", "消耗", "余额"], ["C1", 30, 900], ["C2", 120.5, 900],
                                           ["C3", 10, 900], ["C5", 7, 900]])
    write_xlsx(spend / "2026-11-03.xlsx", [["帐户ID", "消耗", "余额"], ["C1", 20.25, 900], ["C2", 100, 900],
                                           ["C4", 5, 900]])
    book = meetings.path_of(workspace)
    wspec = meetings.spec(load_config())
    type_rows(book, wspec.sheet(meetings.MEETINGS), [
        {"见面会日期": d(25), "主题": "交流会", "地点": "三楼", "帐户ID": "C4", "到会": "是"},
        {"见面会日期": d(25), "主题": "交流会", "地点": "三楼", "帐户ID": "C1", "到会": "否"}])
    type_rows(book, wspec.sheet(meetings.TRAININGS), [
        {"日期": d(13), "主题": "产品", "客服": "张敏", "考试分数": 80},
        {"日期": d(27), "主题": "后台", "客服": "张敏", "考试分数": 91},
        {"日期": d(13), "主题": "产品", "客服": "李娜", "考试分数": 70},
        {"日期": d(13), "主题": "产品", "客服": "王芳"},                      # no test: no score
        {"日期": date(2026, 10, 20), "主题": "入门", "客服": "张敏", "考试分数": 60}])
    log = workspace / "2026-11" / "日志" / "张敏.jsonl"
    append(log, "2026-11", "张敏", [_journal_event("补录", "C1", late="1 天 2 小时"), _journal_event("补录", "C2", late="3 天"),
                                   _journal_event("改动", "C1", old={"日期": "2026-11-03", "帐户ID": "C1"})])
    set_scorecard(workspace, STANDARDS)
    return workspace


def blocks(ws) -> dict[str, dict[str, dict]]:
    """{客服: {指标: {header: value}}} of the 考核 sheet's print blocks, and each 综合得分."""
    out, rows = {}, list(ws.iter_rows(values_only=True))
    for i, row in enumerate(rows[:-1]):
        if row[0] and rows[i + 1][0] == "指标" and rows[i + 1][1] == "本月":
            header = rows[i + 1]
            person = out.setdefault(row[0], {})
            for line in rows[i + 2:i + 12]:
                person[line[0]] = dict(zip(header, line))
            total = rows[i + 12]
            person["综合得分"] = {"本月": total[1], "计入权重": total[10], "加权分": total[11]}
    return out


# Worked out by hand from the rows above. Working days in November 2026: 2–6, 9–13, 16–20, 23–27, 30 = 21.
# October (open_november's previous month) has no records, no exports (spend from 周消耗 × 31 ÷ 7, to the
# cent: C1 2500 → 11071.43, C2 300 → 1328.57, C3 50 → 221.43), no 日志 file, one test (张敏 60).
EXPECTED = {
    "张敏": {
        "管理消耗额": (D("270.75"), D("12400.00")),            # 30 + 120.5 + 20.25 + 100
        "客户满意度": (D(1) / 2, None),                       # C1 很满意 (d10 after d3), C2 不满意
        "续费率": (None, D(0)),           # Oct: C1, C2 due, none renewed; Nov: both carried (遗留), none 当月
        "优化完成率": (D(1) / 4, D(0)),                        # C1 0/2 (not accepted), C2 1/2; Oct 0 of 2 + 1
        "维护完成率": (D(4) / 24, D(0)),                       # C1 2 calls of 12, C2 1 call + 1 optimisation of 12
        "日均有效工作": (D(4) / 21, D(0)),                     # 4 valid: the invitation's client did not come
        "到会率": (D(0), None),                              # 1 invitation, C1 not at the meeting
        "考试": (D("85.5"), D(60)),
        "补录": (2, None),                                    # two 补录 (the 改动 is not one); no 日志 in October
    },
    "李娜": {
        "管理消耗额": (D(15), D("221.43")),
        "客户满意度": (D(1), None),
        "续费率": (None, None),
        "优化完成率": (D(1) / 2, D(0)),                        # C3 MIN(2, 1) of 1, C4 0 of 1
        "维护完成率": (D(2) / 6, D(0)),
        "日均有效工作": (D(4) / 21, D(0)),                     # with the invitation: C4 came on the 25th
        "到会率": (D(1), None),
        "考试": (D(70), None),
        "补录": (0, None),
    },
    "王芳": {"管理消耗额": (D(7), None), "客户满意度": (None, None), "优化完成率": (None, None),
             "维护完成率": (None, None), "日均有效工作": (D(0), D(0)), "到会率": (None, None), "考试": (None, None),
             "补录": (0, None)},
}
# bands by the STANDARDS above; points 达标 100 · 预警 60 · 未达标 0; 综合 = Σ points × weight ÷ Σ counted weights
BANDS = {
    "张敏": {"管理消耗额": "达标", "客户满意度": "预警", "续费率": "未设标准", "维护完成率": "未达标",
             "日均有效工作": "未达标", "考试": "达标", "补录": "未达标", "咨询及时率": "未设标准"},
    "李娜": {"管理消耗额": "未达标", "客户满意度": "达标", "维护完成率": "达标", "考试": "预警", "补录": "达标"},
    "王芳": {"客户满意度": "无数据", "考试": "无数据", "补录": "达标"},
}
OVERALL = {"张敏": D(100 * 10 + 60 * 20 + 0 * 30 + 0 * 10 + 100 * 10 + 0 * 20) / 100,
           "李娜": D(0 * 10 + 100 * 20 + 100 * 30 + 0 * 10 + 60 * 10 + 100 * 20) / 100,
           "王芳": D(0 * 10 + 0 * 10 + 100 * 20) / 40}          # spend 7 < 100, 日均 0 < 4, 补录 0; the rest no data


def _check(found: dict, engine: str) -> None:
    for person, measures in EXPECTED.items():
        for name, (now, before) in measures.items():
            line = found[person][name]
            assert same(now, line["本月"]) and same(before, line["上月"]), (engine, person, name, line)
        for name, band in BANDS[person].items():
            assert found[person][name]["评级"] == band, (engine, person, name, found[person][name])
        assert same(OVERALL[person], found[person]["综合得分"]["本月"]), (engine, person, found[person]["综合得分"])
    zhang = found["张敏"]
    assert [zhang[m]["趋势"] for m in ("管理消耗额", "优化完成率", "维护完成率", "考试", "客户满意度")] == ["↓", "↑", "↑", "↑", None]
    assert same(D("270.75") - D("12400.00"), zhang["管理消耗额"]["变化"]) and same(D("25.5"), zhang["考试"]["变化"])
    assert found["王芳"]["日均有效工作"]["趋势"] == "→"
    assert zhang["咨询及时率"]["本月"] in (None, "") and zhang["咨询及时率"]["计入权重"] == 0     # no 咨询 typed
    assert zhang["综合得分"]["计入权重"] == 100 and found["王芳"]["综合得分"]["计入权重"] == 40


@pytest.mark.libreoffice
def test_scorecard_measures_by_hand_in_both_engines(office, tmp_path):
    made = write_report(office, "2026-11", as_of=date(2026, 11, 30))
    cached = openpyxl.load_workbook(made.path, data_only=True)[SHEET]
    _check(blocks(cached), "python")                    # Python's values, as written into the file
    recalculated = openpyxl.load_workbook(recalculate(made.path, tmp_path / "lo"), data_only=True)[SHEET]
    _check(blocks(recalculated), "libreoffice")         # the sheet's own formulas over 数据
    for (r, c), value in made.data.scorecard.items():   # and every other formula cell of the sheet
        assert same(value, recalculated.cell(r, c).value), (r, c, value, recalculated.cell(r, c).value)
    assert len(made.data.scorecard) > 3 * 10 * 12


@pytest.mark.libreoffice
def test_demo_scorecard_formulas_equal_python(demo_built, tmp_path):
    """The demo (8 people, spend from daily exports this month and estimated last month) with
    standards set: every formula cell of 考核 equals Python's value."""
    folder = tmp_path / "office"
    shutil.copytree(demo_built[3], folder)            # the demo as built (test_report adds to the shared one)
    set_scorecard(folder, STANDARDS.replace("spend = { pass = 200, warn = 100 }", "spend = { pass = 200000, warn = 150000 }"))
    made = write_report(folder, "2026-11", as_of=date(2026, 11, 30))
    office = openpyxl.load_workbook(recalculate(made.path, tmp_path / "lo"), data_only=True)[SHEET]
    bad = [(k, v, office.cell(*k).value) for k, v in made.data.scorecard.items() if not same(v, office.cell(*k).value)]
    assert bad == [] and len(made.data.scorecard) > 8 * 10 * 12
    found = blocks(office)
    assert list(found) == made.data.staff
    assert validate([made.path]) == []                  # Microsoft's Open XML SDK: the charts and print setup too
    assert any(v["管理消耗额"]["趋势"] in ("↑", "↓") for v in found.values())


def test_unset_standards_are_said_and_not_scored(workspace):
    open_november(workspace)
    made = write_report(workspace, "2026-11", as_of=date(2026, 11, 30))
    found = blocks(openpyxl.load_workbook(made.path, data_only=True)[SHEET])
    zhang = found["张敏"]
    assert {v["评级"] for k, v in zhang.items() if k not in ("综合得分", "咨询及时率")} == {"未设标准"}
    assert zhang["综合得分"]["本月"] is None and zhang["综合得分"]["计入权重"] == 0
    assert zhang["补录"]["本月"] is None        # no journal file this month: no figure, not 0


def test_a_quarter_has_no_scorecard(workspace):
    open_november(workspace)
    made = write_report(workspace, quarter="2026Q4", as_of=date(2026, 11, 30))
    assert SHEET not in openpyxl.load_workbook(made.path).sheetnames


@pytest.mark.parametrize("setting, said", [
    ("satisfaction = { pass = 90 }", "「scorecard.satisfaction.pass」（客户满意度）是比例，应在 0 到 1 之间（90% 写 0.9）"),
    ("happiness = { pass = 0.9 }", "「scorecard.happiness」不是考核指标"),
    ("exam = 80", "「scorecard.exam」（考试）应写成 { pass = 达标线, warn = 预警线 }"),
    ("exam = { pass = 60, warn = 80 }", "预警线 80 应低于或等于达标线 60"),
    ("late_entries = { pass = 3, warn = 1 }", "预警线 1 应高于或等于达标线 3（越低越好）"),
    ("[scorecard.weights]\nexam = \"高\"", "「scorecard.weights.exam」应为数字"),
])
def test_bad_settings_say_what_to_fix(workspace, setting, said):
    open_november(workspace)
    set_scorecard(workspace, f"[scorecard]\n{setting}\n")
    result = CliRunner().invoke(cli, ["report", "2026-11", "--dir", str(workspace)])
    assert result.exit_code == 1 and said in result.output, result.output
    assert "Traceback" not in result.output
