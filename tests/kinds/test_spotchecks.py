"""维护跟踪 / 抽查: a record the manager checked 不属实 is invalid in Python and in the
workbook's own formulas (LibreOffice agrees), 客服汇总 counts checks per person, the
manager's days with too few checks are listed, older workbooks get the sheet."""
from datetime import date

import openpyxl
import pytest
from helpers import (
    NOV,
    WORK,
    assert_engines_agree,
    assert_ribbon_matches_file,
    d,
    libreoffice_values,
    open_november,
)

from kefu_xl.app.workbooks import python_values, recalc_file
from kefu_xl.config import load_config
from kefu_xl.demo.typist import type_rows, type_work_records
from kefu_xl.kinds import maintenance
from kefu_xl.records import WorkRecord
from kefu_xl.rules import completion, spotchecks
from kefu_xl.sheets.layout import find_layout

C = load_config()
SPOT = maintenance.spec(C, NOV).sheet(maintenance.SPOT)
# WORK is typed from row 3: row 3 is 张敏's call to C1 on 11-03, row 9 her report to C1 on 11-04
CHECKS = [
    {"日期": d(4), "抽查人": "周经理", "工作记录行": 3, "结果": "不属实", "说明": "客户说没接到电话"},
    {"日期": d(4), "抽查人": "周经理", "帐户ID": "C1", "客服": "张敏", "结果": "不属实"},      # her 11-04 report
    {"日期": d(9), "抽查人": "周经理", "帐户ID": "c2", "客服": "张敏", "结果": "属实"},        # two records that day
    {"日期": d(9), "抽查人": "周经理", "工作记录行": 23, "结果": "属实"},                      # row 23: WORK[20]
    {"日期": d(10), "抽查人": "周经理", "工作记录行": 999, "结果": "属实"},                    # no such record
]


@pytest.fixture
def checked(workspace):
    path = open_november(workspace)
    type_work_records(path, WORK + [{"日期": d(16), "客服": "王芳", "帐户ID": "C4", "工作类型": "报表发送",
                                     "沟通对象": "决策人"}])
    type_rows(path, SPOT, CHECKS)
    return path


def test_a_false_check_invalidates_the_record_and_changes_completion(checked):
    outcome = recalc_file(checked, as_of=date(2026, 11, 20))
    f = outcome.result.figures
    verdict = {r.row: v for r, v in zip(f.records, f.verdicts)}
    assert verdict[3].reason == completion.REASON_DISPROVED
    assert verdict[9].reason == completion.REASON_DISPROVED
    # C1's calls were 11-02, 11-03, 11-10, 11-10, 11-11: with 11-03 disproved the 11-11 call
    # is the fourth and no longer 超计划 (row 7)
    assert verdict[7].valid
    c1 = f.completions[0]
    assert (c1.done.phone, c1.done.visit, c1.done.report, c1.done.optimize) == (4, 2, 0, 1)
    assert c1.done_capped == 4 + 1 + 0 + 1 and str(c1.ratio) == "0.5"        # was 7/12 before the checks
    zhang = next(s for s in f.staff if s.staff == "张敏")
    checked_count, false_count = f.check_counts
    assert (checked_count["张敏"], false_count["张敏"]) == (3, 2)               # rows 3 and 9, and c2 on 11-09
    assert (checked_count["王芳"], false_count["王芳"]) == (1, 0)               # row 23
    values = python_values(maintenance, outcome.result)
    assert values[maintenance.SUMMARY]["张敏"]["抽查数"] == 3
    assert values[maintenance.SUMMARY][maintenance.TOTAL_LABEL]["不属实数"] == 2
    assert zhang.valid_work == sum(1 for r, v in zip(f.records, f.verdicts) if v.valid and r.staff == "张敏")
    codes = {(p.sheet, p.row, p.code) for p in outcome.result.problems}
    assert ("工作记录", 3, "CHECKED_FALSE") in codes and ("抽查", 7, "CHECK_ROW_EMPTY") in codes
    few = next(p for p in outcome.result.problems if p.code == "FEW_SPOT_CHECKS")
    # working days 11-02 … 11-19 = 14; 周经理 checked on three of them, never 4 a day
    assert few.message.startswith("周经理 有 14 个工作日抽查不足 4 条：11-02（0）、11-03（0）、11-04（2）")
    ws = openpyxl.load_workbook(checked)[maintenance.WORK]
    layout, _ = find_layout(ws, maintenance.spec(C, NOV).sheet(maintenance.WORK))
    assert "抽查不属实" in ws.cell(3, layout.columns["基本原因"]).value      # the rule is in the formula too


@pytest.mark.libreoffice
def test_libreoffice_agrees_on_checked_records(checked, tmp_path):
    outcome = recalc_file(checked, as_of=date(2026, 11, 20))
    office = libreoffice_values(checked, tmp_path / "lo")
    assert office[maintenance.WORK][3]["无效原因"] == "抽查不属实"
    assert office[maintenance.SUMMARY]["张敏"]["不属实数"] == 2
    assert assert_engines_agree(python_values(maintenance, outcome.result), office) > 150


def test_the_ribbon_button_counts_checks_like_the_file_path(checked):
    assert_ribbon_matches_file(checked, (maintenance.WORK, maintenance.SPOT, maintenance.SUMMARY), date(2026, 11, 20))


def test_an_older_tracker_gets_an_empty_check_sheet(workspace):
    path = open_november(workspace)
    wb = openpyxl.load_workbook(path)
    del wb[maintenance.SPOT]
    wb.save(path)
    outcome = recalc_file(path, as_of=date(2026, 11, 20))
    upgraded = [p.message for p in outcome.result.problems if p.code == "UPGRADED"]
    assert outcome.patched and len(upgraded) == 1 and f"「{maintenance.SPOT}」表" in upgraded[0]   # moved in, not rewritten
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames.index(maintenance.SPOT) == wb.sheetnames.index(maintenance.WORK) + 1
    assert recalc_file(path, as_of=date(2026, 11, 20)).patched     # from then on the fast path


def test_rules_by_hand():
    rec = WorkRecord(date(2026, 11, 3), "张敏", "C1", "电话拜访", "决策人", "", 3)
    assert completion.record_key("C1", date(2026, 11, 3), "张敏") == "c1|46329|张敏"   # 2026-11-03 is serial 46329
    by_row = {3: rec}
    checks = [spotchecks.SpotCheck(d(3), "周经理", 3, "", "", "不属实", 3),
              spotchecks.SpotCheck(d(3), "周经理", None, "C1", "张敏", "属实", 4),
              spotchecks.SpotCheck(d(3), "周经理", None, "", "", "不属实", 5)]
    assert spotchecks.disproved_keys(checks, by_row) == {"c1|46329|张敏"}
    verdicts = completion.classify_work([rec], {"c1": completion.Targets(4)}, NOV.first, NOV.last,
                                        disproved=spotchecks.disproved_keys(checks, by_row))
    assert verdicts[0].reason == "抽查不属实"
    days = [d(2), d(3), d(4)]
    four = [spotchecks.SpotCheck(d(3), "周经理", None, "C1", "张敏", "属实")] * 4
    assert spotchecks.short_days(four, days, 4) == {"周经理": [(d(2), 0), (d(4), 0)]}
    assert spotchecks.short_days([], days, 4) == {"": [(d(2), 0), (d(3), 0), (d(4), 0)]}
