"""kefu-xl watch: the anomaly rule by hand (fewer than 7 earlier exports, a missing day, a
zero average, the ±50% boundary, the 100-yuan floor, the balance), typed cells kept across
days, LibreOffice agreeing with Python, and open anomalies first in the owner's plan."""
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import write_xlsx
from helpers import (
    NOV,
    assert_engines_agree,
    assert_ribbon_matches_file,
    d,
    office_values,
    open_november,
)

from kefu_xl.app import spend_watch
from kefu_xl.app.workbooks import python_values, recalc_file
from kefu_xl.cli import cli
from kefu_xl.config import load_config
from kefu_xl.kinds import personal, watch
from kefu_xl.rules import spendwatch as rules
from kefu_xl.sheets.layout import find_layout

C = load_config()
HEADERS = ["帐户ID", "消耗", "余额"]
# before 11-12: exports on seven working days — 11-05 is missing — and one from October
DAYS = [d(2), d(3), d(4), d(6), d(9), d(10), d(11)]


def export(day: date, rows: list[list]) -> rules.Export:
    return rules.Export(day, {str(r[0]).casefold(): rules.SpendRow(r[0], Decimal(r[1]), None if r[2] is None
                                                                    else Decimal(r[2])) for r in rows})


def write_export(workspace, day: date, rows: list[list]):
    return write_xlsx(workspace / f"{day:%Y-%m}" / "inputs" / "消耗" / f"{day.isoformat()}.xlsx", [HEADERS, *rows])


@pytest.fixture
def watched(workspace):
    open_november(workspace)
    write_export(workspace, date(2026, 10, 30), [["C1", 5000, 10000], ["C4", 200, 5000], ["C5", 150, 500]])
    for day in DAYS:
        rows = [["C1", 800, 10000], ["C3", 0, 100], ["C4", 200, 5000], ["C5", 150, 500]]
        if day >= d(10):
            rows.append(["C2", 100 if day == d(10) else 200, 900])
        write_export(workspace, day, rows)
    write_export(workspace, d(12), [["C1", 0, 10000], ["C2", 260, 900], ["C3", 120, 100], ["C4", 300, 5000],
                                    ["C5", 60, 500], ["C9", 999, 1]])
    return workspace


def test_anomaly_rule_by_hand(watched):
    outcome = spend_watch.watch_day(watched, d(12))
    found = {a.account_id: a for a in outcome.found}
    # C1: 800 on each of the last 7 exports (October's 5000 is the eighth, left out): dropped to 0
    assert (found["C1"].average, found["C1"].exports, found["C1"].reasons) == (Decimal("800.00"), 7, ("消耗降为0",))
    # C2: only two earlier exports, average 150; 260 is 110 above (> 75 and ≥ 100); 900 lasts 6 days
    assert (found["C2"].average, found["C2"].exports, found["C2"].reasons) == (Decimal("150.00"), 2,
                                                                              ("消耗突增", "余额不足"))
    # C3: average 0, 120 ≥ 100 is a jump; a zero average has no balance days
    assert (found["C3"].average, found["C3"].reasons) == (Decimal("0.00"), ("消耗突增",))
    # C4: 300 against 200 is exactly +50%: not more than 50%, no anomaly
    # C5: 60 against 150 is −60% but only 90 yuan: no spend anomaly; 500 < 7 × 150: 余额不足
    assert found["C5"].reasons == ("余额不足",)
    # C9: no earlier export, no baseline
    assert set(found) == {"C1", "C2", "C3", "C5"}
    assert outcome.added == 4 and outcome.exports_used == 7
    assert not outcome.problems                                # C9 is not flagged, so not looked up


def test_rule_edges_without_files():
    w = C.watch
    assert rules.spend_change(Decimal(0), Decimal(0), w) == ""                 # nothing before, nothing now
    assert rules.spend_change(Decimal(99), Decimal(0), w) == ""                # below the 100-yuan floor
    assert rules.spend_change(Decimal(100), Decimal(0), w) == "消耗突增"
    assert rules.spend_change(Decimal(99), Decimal(300), w) == "消耗骤降"       # −67%, 201 yuan
    assert rules.spend_change(Decimal(0), None, w) == ""                      # no baseline
    assert rules.balance_short(Decimal("699.99"), Decimal(100), w) == "余额不足"
    assert rules.balance_short(Decimal(700), Decimal(100), w) == ""
    # a missing day is not an export: the average is over the exports there are
    exports = [export(date(2026, 11, n), [["A", n * 10, None]]) for n in (2, 3, 4, 6, 9, 10, 11, 12)]
    assert rules.baseline(exports, "a", 7) == (Decimal("78.57"), 7)           # (30+40+60+90+100+110+120) / 7
    assert rules.baseline(exports[:3], "a", 7) == (Decimal("30.00"), 3)
    assert rules.anomalies(export(date(2026, 11, 13), [["A", 400, None]]), exports, w)[0].average == Decimal("78.57")


def type_into(path, rows: dict[tuple[int, str], object]):
    wb = openpyxl.load_workbook(path)
    ws = wb[watch.ANOMALIES]
    layout, _ = find_layout(ws, watch.spec(C, NOV).sheet(watch.ANOMALIES))
    for (r, header), value in rows.items():
        ws.cell(r, layout.columns[header]).value = value
    wb.save(path)


def test_typed_cells_stay_and_days_are_not_repeated(watched):
    path = spend_watch.watch_day(watched, d(12)).path
    type_into(path, {(3, "原因"): "预算用完", (3, "已通知客户"): "是", (3, "处理记录"): "客户周一充值"})
    write_export(watched, d(13), [["C1", 0, 10000], ["C2", 200, 900]])
    second = spend_watch.watch_day(watched, d(13))
    assert (second.added, second.kept) == (2, 4)
    c1 = next(a for a in second.found if a.account_id == "C1")
    assert c1.average == Decimal("685.71")                    # (800 × 6 + 0) / 7: 11-03 … 11-12
    again = spend_watch.watch_day(watched, d(13))
    assert (again.added, again.kept) == (0, 6)
    ws = openpyxl.load_workbook(path)[watch.ANOMALIES]
    assert [ws.cell(3, c).value for c in (12, 13, 14)] == ["预算用完", "是", "客户周一充值"]
    rows = [r for r in ws.iter_rows(min_row=3, max_col=2, values_only=True) if r[1]]
    assert [(r[0].day, r[1]) for r in rows] == [(12, "C1"), (12, "C2"), (12, "C3"), (12, "C5"), (13, "C1"), (13, "C2")]
    result = recalc_file(path, as_of=d(14)).result
    assert [p.row for p in result.problems if p.code == "NOT_TOLD"] == [4, 5, 6, 7, 8]


def test_the_command_reports_a_missing_export_in_chinese(watched):
    result = CliRunner().invoke(cli, ["watch", "2026-11-13", "--dir", str(watched)])
    assert result.exit_code != 0 and "没有 2026-11-13 的消耗导出" in result.output and "Traceback" not in result.output
    result = CliRunner().invoke(cli, ["watch", "2026-11-12", "--dir", str(watched)])
    assert result.exit_code == 0, result.output
    assert "消耗降为0" in result.output and "新增 4 行" in result.output


@pytest.mark.libreoffice
def test_libreoffice_agrees_with_python(watched, tmp_path):
    path = spend_watch.watch_day(watched, d(12)).path
    type_into(path, {(3, "已通知客户"): "是"})
    outcome = recalc_file(path, as_of=d(13))
    wspec = watch.spec(C, NOV)
    office = office_values(path, wspec, {watch.ANOMALIES: lambda r, v: r, watch.SUMMARY: lambda r, v: v["客服"]},
                           tmp_path / "lo")
    assert office[watch.ANOMALIES][4]["异常"] == "消耗突增、余额不足"
    assert assert_engines_agree(python_values(watch, outcome.result), office) >= 4 * 5 + 3 * 3


def test_the_ribbon_button_recalcs_like_the_file_path(watched):
    path = spend_watch.watch_day(watched, d(12)).path
    assert_ribbon_matches_file(path, (watch.ANOMALIES, watch.SUMMARY), d(13))


def test_open_anomalies_come_first_in_the_owners_plan(watched):
    path = spend_watch.watch_day(watched, d(12)).path
    type_into(path, {(5, "已通知客户"): "是"})              # 李娜 told C3's client; C5 (王芳) and 张敏's are open
    zhang = recalc_file(personal.path_of(watched, "张敏", NOV), as_of=d(13)).result.figures.plan_rows
    assert [(r["优先级"], r["帐户ID"]) for r in zhang[:2]] == [("1 异常", "C1"), ("1 异常", "C2")]
    assert all(r["事项"].startswith("处理消耗异常") for r in zhang[:2])      # in 看消耗 (its other items: their blocks)
    assert zhang[0]["原因"] == "11-12 消耗降为0（消耗 0.00，前7次平均 800.00），查明原因并通知客户"
    assert all(r["优先级"] != "1 异常" for r in zhang[2:])
    li = recalc_file(personal.path_of(watched, "李娜", NOV), as_of=d(13)).result.figures.plan_rows
    assert not any(r["优先级"] == "1 异常" for r in li)


def test_a_new_anomaly_later_the_same_day_is_added_to_the_frozen_plan(watched):
    """DOMAIN §21: the morning plan stays; an anomaly that appears later the same day (the 9:00
    watch after the plan was made) is added under the morning's lines, marked 新增, and
    每日小结 keeps the morning's count."""
    path = personal.path_of(watched, "张敏", NOV)
    morning = recalc_file(path, as_of=d(12)).result.figures          # before the watch of 11-12's export
    assert not any(r["优先级"] == "1 异常" for r in morning.plan_rows)
    spend_watch.watch_day(watched, d(12))
    later = recalc_file(path, as_of=d(12)).result.figures
    kept = [r for r in later.plan_rows if r["计划内"] == "是"]
    assert [(r["帐户ID"], r["事项"]) for r in kept] == \
        [(r["帐户ID"], r["事项"]) for r in morning.plan_rows if r["计划内"] == "是"]
    added = [r for r in later.plan_rows if r["计划内"] == "新增"]
    assert added and all(r["优先级"] == "1 异常" and r["原因"].startswith("新增：") for r in added)
    assert {r["帐户ID"] for r in added} == {"C1", "C2"} and all(r["事项"] == "处理消耗异常" for r in added)
    daily = {r["日期"]: r for r in later.daily}
    assert daily[d(12)]["计划项数"] == morning.planned_today


def test_the_days_of_spend_left_are_one_figure_everywhere(watched):
    """The newest spend export's balance goes into 续费跟踪, so 今日, 我的续费 and the reminder
    text show one value, to one decimal."""
    from kefu_xl.app.remind import reminders
    from kefu_xl.kinds import renewal
    outcome = spend_watch.watch_day(watched, d(12))
    assert any("余额" in n for n in outcome.notes)
    rows = renewal.read_file(watched / "2026-11" / renewal.file_name(NOV), C)[1]
    c2 = next(r for r in rows if r.account_id == "C2")
    assert c2.balance == Decimal(900)                      # 帐户状态 said 100; the 11-12 export says 900
    texts = {r.account_id: r.text for r in reminders(watched, NOV)[0]}
    shown = f"{(Decimal(900) * 7 / c2.weekly_spend).quantize(Decimal('0.1'))}"
    assert shown in texts["C2"]
    plan = recalc_file(personal.path_of(watched, "张敏", NOV), as_of=d(12)).result.figures.plan_rows
    reasons = " ".join(r["原因"] for r in plan if r["帐户ID"] == "C2")
    assert f"可投放 {shown} 天" in reasons or "尚未提醒" not in reasons


def test_a_refresh_keeps_the_balance_of_the_newest_spend_export(watched):
    """month open --refresh with the month-start 帐户状态 does not put back the older balance the
    9:00 watch replaced (the helper who walked the README saw 14,769.80 turn back into 4,616.00):
    余额 comes from the month's newest export wherever there is one, and a cell already right is
    not counted as updated."""
    from kefu_xl.app.workspace import open_month
    from kefu_xl.kinds import renewal
    spend_watch.watch_day(watched, d(12))
    outcome = open_month(watched, NOV, as_of=d(13), refresh=True)
    rows = renewal.read_file(watched / "2026-11" / renewal.file_name(NOV), C)[1]
    assert next(r for r in rows if r.account_id == "C2").balance == Decimal(900)     # not 帐户状态's 100
    note = next(n for n in outcome.notes if n.startswith(renewal.file_name(NOV)))
    assert "2026-11-12 的消耗导出" in note and "更新了 0 个" in note                   # nothing was out of date
