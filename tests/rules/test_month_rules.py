"""DOMAIN §28 (and §24's upgrade path): a month's rules of valid work are those it was opened
with. _meta holds the rule version and switches; a workbook without them is told by its
工作记录 (0.3.0 brought the 重复键 column); recalculating an old month after a rule change
keeps its figures in Python and in the workbook's formulas alike; a setting changed later
reaches only months opened after it, unless the manager opts a month in."""
from __future__ import annotations

import json
import shutil
from datetime import date

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import write_status
from helpers import (
    NOV,
    WORK,
    assert_engines_agree,
    d,
    libreoffice_values,
    open_november,
)

from kefu_xl.app.workbooks import recalc_file
from kefu_xl.cli import cli
from kefu_xl.config import OUTCOME_SWITCHES, RULES_VERSION, ValidRules
from kefu_xl.demo.typist import type_work_records
from kefu_xl.kinds import maintenance
from kefu_xl.rules import valid
from kefu_xl.sheets.build import read_meta

# the same report twice: a duplicate under rule version 2, a second valid report under version 1
REPEAT = {"日期": d(4), "客服": "张敏", "帐户ID": "C1", "工作类型": "报表发送", "沟通对象": "决策人"}


def month_meta(path) -> dict:
    return read_meta(openpyxl.load_workbook(path, read_only=True))


def set_meta(path, rows: dict) -> None:
    wb = openpyxl.load_workbook(path)
    ws = wb["_meta"]
    at = {ws.cell(r, 1).value: r for r in range(1, ws.max_row + 1)}
    for key, value in rows.items():
        r = at.get(key) or ws.max_row + 1
        ws.cell(r, 1, key)
        ws.cell(r, 2, value)
    wb.save(path)


def verdict_of_repeat(outcome) -> tuple[bool, str]:
    f = outcome.result.figures
    repeats = [v for r, v in zip(f.records, f.verdicts) if (r.day, r.account_id, r.work_type) == (d(4), "C1", "报表发送")]
    assert len(repeats) == 2
    return repeats[1].valid, repeats[1].reason


def zhang(outcome):
    return next(s for s in outcome.result.figures.staff if s.staff == "张敏")


def test_the_rules_a_workbook_holds_or_was_made_with():
    none = dict.fromkeys(OUTCOME_SWITCHES, False)
    assert valid.from_meta({}, has_duplicate_key=False) == ValidRules(version=1, duplicates=False, **none)   # 0.2.0
    assert valid.from_meta({}, has_duplicate_key=True) == ValidRules(version=2, duplicates=True, **none)     # 0.3.0
    assert valid.from_meta({"rules_version": 2, "rules": '{"duplicates": false}'}, True) == \
        ValidRules(version=2, duplicates=False, **none)
    assert valid.from_meta({"rules_version": 3.0, "rules": "not json"}, False) == ValidRules(version=3)
    assert valid.from_meta(valid.meta_of(ValidRules(satisfaction=False)), True) == ValidRules(satisfaction=False)
    assert valid.meta_of(ValidRules())["rules_version"] == RULES_VERSION == 3
    # late_entry = "invalid" is a rule of the month too: one opened before it was recorded counts 补录
    assert valid.from_meta({"rules_version": 3, "rules": '{"satisfaction": true}'}, True).late_invalid is False
    assert valid.from_meta(valid.meta_of(ValidRules(late_invalid=True)), True) == ValidRules(late_invalid=True)


def test_a_month_opened_now_records_its_rules(workspace):
    path = open_november(workspace)
    meta = month_meta(path)
    assert meta["rules_version"] == RULES_VERSION and json.loads(meta["rules"]) == ValidRules().switches()
    person = next((workspace / "2026-11" / "个人").glob("*.xlsx"))
    assert month_meta(person)["rules"] == meta["rules"]


@pytest.mark.libreoffice
def test_an_old_month_keeps_its_rule_in_both_engines(workspace, tmp_path):
    path = open_november(workspace)
    type_work_records(path, [*WORK, REPEAT])
    old = tmp_path / "old" / path.name
    old.parent.mkdir()
    shutil.copy(path, old)
    set_meta(old, {"rules_version": 1, "rules": '{"duplicates": false}'})     # as a 0.2.0 month is read

    now = recalc_file(path, as_of=date(2026, 11, 20))
    assert verdict_of_repeat(now) == (False, "重复")
    assert_engines_agree(maintenance.python_values(now.result), libreoffice_values(path, tmp_path / "lo-now"))

    then = recalc_file(old, as_of=date(2026, 11, 20))
    assert verdict_of_repeat(then) == (True, "")
    assert zhang(then).valid_work == zhang(now).valid_work + 1
    c1 = next(c for a, c in zip(then.result.figures.accounts, then.result.figures.completions) if a.account_id == "C1")
    assert c1.done.report == 2                                  # the repeated report counts under version 1
    assert_engines_agree(maintenance.python_values(then.result), libreoffice_values(old, tmp_path / "lo-old"))
    assert json.loads(month_meta(old)["rules"]) == {"duplicates": False, **dict.fromkeys(OUTCOME_SWITCHES, False),
                                                    "late_invalid": False}


def run(*args) -> str:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == 0 and "内部错误" not in result.output, result.output
    return result.output


def test_a_setting_changed_later_reaches_only_new_months_unless_a_month_opts_in(workspace):
    path = open_november(workspace)
    type_work_records(path, [*WORK, REPEAT])
    before = recalc_file(path, as_of=date(2026, 11, 30))
    assert verdict_of_repeat(before) == (False, "重复")
    config = workspace / "kefu-xl.toml"
    config.write_text(config.read_text("utf-8").replace("duplicates = true", "duplicates = false"), "utf-8")

    again = recalc_file(path, as_of=date(2026, 11, 30))          # November keeps the rules it was opened with
    assert verdict_of_repeat(again) == (False, "重复") and zhang(again).valid_work == zhang(before).valid_work

    compared = run("report", "2026-11", "--dir", workspace, "--compare")
    assert "开月时的规则 2026-11：第 3 版规则（重复记录不计、" in compared
    assert "当前的规则（kefu-xl.toml [work.valid]）：第 3 版规则（续费以到帐为准" in compared
    valid_work = zhang(before).valid_work
    assert f"{valid_work} → {valid_work + 1}" in compared and "1 人的数字会变" in compared
    assert not (workspace / "2026-11" / "绩效提成_2026-11.xlsx").exists()          # --compare writes nothing

    write_status(workspace, "2026-12", [["C1", "甲建材", "张敏", "建材", 2500, 100, date(2027, 1, 1), date(2024, 1, 1)]])
    run("month", "open", "2026-12", "--dir", workspace, "--as-of", "2026-12-01")
    assert json.loads(month_meta(workspace / "2026-12" / maintenance.file_name(NOV.next()))["rules"])["duplicates"] \
        is False                                                    # a month opened after the change has it

    out = run("month", "open", "2026-11", "--dir", workspace, "--refresh", "--rules", "current", "--as-of", "2026-11-30")
    assert "→ 第 3 版规则（续费以到帐为准" in out
    opted = recalc_file(path, as_of=date(2026, 11, 30))
    assert verdict_of_repeat(opted) == (True, "") and zhang(opted).valid_work == valid_work + 1
    assert json.loads(month_meta(path)["rules"])["duplicates"] is False
    assert "每个人的数字都不变" in run("report", "2026-11", "--dir", workspace, "--compare")


def test_rules_current_needs_refresh(workspace):
    open_november(workspace)
    result = CliRunner().invoke(cli, ["month", "open", "2026-11", "--dir", str(workspace), "--rules", "current"])
    assert result.exit_code == 1 and "请和 --refresh 一起用" in result.output
