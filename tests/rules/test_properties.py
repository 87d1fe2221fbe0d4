"""Property tests (hypothesis) for the rules: completion bounded and monotone, levels never
go down, settlement conserves lines and money, working days equal a brute-force walk."""
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from kefu_xl.calendar import WorkCalendar
from kefu_xl.config import LEVELS, load_config
from kefu_xl.records import (
    BookIssue,
    CrmOrder,
    OrderBook,
    SubmittedLine,
    Targets,
    WorkRecord,
)
from kefu_xl.rules import settle as rules
from kefu_xl.rules.completion import account_completion, classify_work
from kefu_xl.rules.levels import opening_level, suggested_level

C = load_config()
counts = st.integers(min_value=0, max_value=12)
targets = st.builds(Targets, counts, counts, counts, counts)


@given(targets, targets, st.integers(0, 3))
def test_completion_in_unit_interval_and_monotone(t, done, item):
    c = account_completion(t, done)
    assert c.ratio is None or 0 <= c.ratio <= 1
    more = list(done.as_tuple())
    more[item] += 1
    c2 = account_completion(t, Targets(*more))
    if c.ratio is not None:
        assert c2.ratio >= c.ratio


@given(st.lists(st.tuples(st.integers(0, 29), st.sampled_from(["电话拜访", "报表发送", "其他"]),
                          st.sampled_from(["决策人", "其他人员"])), max_size=40), st.integers(0, 6))
def test_valid_phone_calls_never_exceed_the_plan(records, plan):
    recs = [WorkRecord(date(2026, 11, 1) + timedelta(days=d), "张敏", "C1", t, who, "", i + 3)
            for i, (d, t, who) in enumerate(records)]
    verdicts = classify_work(recs, {"c1": Targets(plan, 0, 1, 1)}, date(2026, 11, 1), date(2026, 11, 30))
    assert sum(1 for r, v in zip(recs, verdicts) if v.valid and r.work_type == "电话拜访") <= plan


@given(st.lists(st.one_of(st.none(), st.decimals(min_value=0, max_value=10000, places=2)), min_size=1, max_size=8))
def test_levels_never_go_down_across_months(spends):
    level = ""
    for spend in spends:
        new = opening_level(level, suggested_level(spend, C))
        if level:
            assert LEVELS.index(new) <= LEVELS.index(level)
        level = new


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 59), st.sampled_from(["甲", "乙"]), st.booleans(), st.booleans(),
                          st.integers(1, 500)), min_size=1, max_size=40),
       st.sets(st.integers(0, 59)), st.sets(st.integers(0, 59)), st.dictionaries(st.integers(0, 59), st.booleans()))
def test_settlement_conserves_lines_and_money(lines, missing_from_crm, complaints, callbacks):
    books = [OrderBook("B1", 100000, 100029, 30), OrderBook("B2", 100030, 100059, 30)]
    issues = [BookIssue("场", "B1", "甲", "", None, None, None, None, None, None, None, 1),
              BookIssue("场", "B2", "乙", "", None, None, None, None, None, None, None, 2)]
    crm = {str(100000 + k): CrmOrder(str(100000 + k), "", "", "", "", Decimal(100 + k), "成交")
           for k in range(60) if k not in missing_from_crm}
    ctx = rules.SettleContext("2026-11", crm, books, issues, {}, {},
                              {str(100000 + k): "T" for k in complaints},
                              {str(100000 + k): (deal, Decimal(50)) for k, deal in callbacks.items()})
    submitted = [SubmittedLine("a.xlsx", i + 3, m, str(100000 + k), mc, cc, Decimal(amount))
                 for i, (k, m, mc, cc, amount) in enumerate(lines)]
    results = rules.settle_lines(submitted, ctx)
    assert [r.line for r in results] == submitted                     # one result per line, in order
    assert all(r.result in (rules.SETTLE, rules.HOLD, rules.REJECT) for r in results)
    declared = {b: sum((r.line.declared for r in results if r.result == b), Decimal(0))
                for b in (rules.SETTLE, rules.HOLD, rules.REJECT)}
    assert sum(declared.values()) == sum(line.declared for line in submitted)
    assert all(r.amount == 0 for r in results if r.result != rules.SETTLE)
    settled_orders = [r.line.order_no for r in results if r.result == rules.SETTLE]
    assert len(settled_orders) == len(set(settled_orders))            # never settled twice


@settings(max_examples=40, deadline=None)
@given(st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 12, 31)), st.integers(0, 120))
def test_working_days_equal_a_brute_force_walk(start, length):
    import chinese_calendar
    end = start + timedelta(days=length)
    walk = sum(chinese_calendar.is_workday(start + timedelta(days=i)) for i in range(length + 1)
               if (start + timedelta(days=i)).year <= 2026)
    if end.year <= 2026:
        assert WorkCalendar(C).count(start, end) == walk
