"""Valid work and completion: decision maker, account, month, 超计划 order, capping."""
from datetime import date
from decimal import Decimal

from kefu_xl.records import Account, Targets, WorkRecord
from kefu_xl.rules.completion import (
    account_completion,
    classify_work,
    completions,
    duplicate_label,
    duplicates,
    percent,
    staff_summary,
)

NOV1, NOV30 = date(2026, 11, 1), date(2026, 11, 30)
TARGETS = {"c1": Targets(phone=2, visit=0, report=1, optimize=1), "c2": Targets(1, 0, 1, 1)}


def rec(row, day, account="C1", work_type="电话拜访", contact="决策人", staff="张敏", summary=""):
    return WorkRecord(day, staff, account, work_type, contact, summary, row)


def test_reasons_in_order():
    records = [
        rec(3, date(2026, 11, 2), contact="其他人员"),
        rec(4, date(2026, 11, 2), account="C9"),
        rec(5, date(2026, 10, 31)),
        rec(6, None),
        rec(7, date(2026, 11, 3), work_type="报表发送"),
    ]
    got = [(v.valid, v.reason) for v in classify_work(records, TARGETS, NOV1, NOV30)]
    assert got == [(False, "非决策人"), (False, "帐户不存在"), (False, "日期不在本月"), (False, "不是日期"), (True, "")]


def test_ids_match_case_insensitively_like_countifs():
    [v] = classify_work([rec(3, date(2026, 11, 2), account="c1")], TARGETS, NOV1, NOV30)
    assert v.valid


def test_over_plan_counts_valid_calls_in_date_order_ties_by_row():
    # C1 has 电话拜访目标 2. Rows are out of date order on purpose.
    records = [
        rec(3, date(2026, 11, 20)),                     # 3rd by date -> over plan
        rec(4, date(2026, 11, 5)),                      # 1st
        rec(5, date(2026, 11, 5), contact="其他人员"),   # not otherwise-valid: not counted
        rec(6, date(2026, 11, 10), summary="上午"),      # 2nd (row 6 before row 7 on the same day)
        rec(7, date(2026, 11, 10), summary="下午"),      # 3rd... by tie -> over plan
        rec(8, date(2026, 10, 30)),                     # outside month: not counted
    ]
    got = [v.reason for v in classify_work(records, TARGETS, NOV1, NOV30)]
    assert got == ["超计划", "", "非决策人", "", "超计划", "日期不在本月"]


def test_an_identical_record_is_a_duplicate_whatever_else_it_is():
    """DOMAIN §20: the second of two records identical in 日期 · 客服 · 帐户ID · 工作类型 · 沟通对象 ·
    内容摘要 does not count (重复), compared as the formulas compare (case-insensitive); it takes
    no place in the phone plan either."""
    records = [rec(3, date(2026, 11, 5), summary="月报"), rec(4, date(2026, 11, 5), summary="月报"),
               rec(5, date(2026, 11, 6)), rec(6, date(2026, 11, 7)),
               WorkRecord(date(2026, 11, 5), "张敏", "c1", "电话拜访", "决策人", "月报", 7)]
    got = [v.reason for v in classify_work(records, TARGETS, NOV1, NOV30)]
    assert got == ["", "重复", "", "超计划", "重复"]
    assert duplicates(records) == {1: 0, 4: 0}
    assert duplicate_label(records[0]) == "46331|张敏|C1|电话拜访|决策人|2"


def test_completion_is_capped_per_item():
    c = account_completion(Targets(4, 1, 5, 2), Targets(phone=6, visit=0, report=3, optimize=2))
    assert c.target_total == 12 and c.done_capped == 4 + 0 + 3 + 2
    assert c.ratio == Decimal(9) / Decimal(12)
    assert account_completion(Targets(), Targets(1, 0, 0, 0)).ratio is None


def test_staff_summary_counts_cover_work_for_the_doer():
    accounts = [Account("C1", "甲", "张敏", "", Decimal(500), "", "二级", row=3),
                Account("C2", "乙", "李娜", "", Decimal(30), "", "三级", row=4)]
    targets = [Targets(2, 0, 1, 1), Targets(1, 0, 1, 1)]
    records = [rec(3, date(2026, 11, 2)), rec(4, date(2026, 11, 3), work_type="报表发送"),
               rec(5, date(2026, 11, 4), account="C2", staff="张敏")]   # cover for 李娜
    verdicts = classify_work(records, {"c1": targets[0], "c2": targets[1]}, NOV1, NOV30)
    results = completions(accounts, targets, records, verdicts)
    zhang = staff_summary("张敏", "三星", 15, accounts, results, records, verdicts, 2, Decimal(4))
    li = staff_summary("李娜", "二星", 45, accounts, results, records, verdicts, 2, Decimal(4))
    assert (zhang.accounts, zhang.target_total, zhang.done_capped, zhang.valid_work) == (1, 4, 2, 3)
    assert zhang.ratio == Decimal("0.5") and zhang.daily_valid == Decimal("1.5") and zhang.meets_standard is False
    assert (li.target_total, li.done_capped, li.valid_work) == (3, 1, 0)   # C2's call counts for the account
    assert percent(li.ratio) == "33.3%"


def test_a_number_typed_for_a_date_is_no_date_not_another_month():
    """12.5 typed in a date cell is 1900-01-12 to a spreadsheet: 不是日期, not 日期不在本月."""
    [v] = classify_work([rec(3, date(1900, 1, 11))], TARGETS, NOV1, NOV30)
    assert (v.valid, v.reason) == (False, "不是日期")
