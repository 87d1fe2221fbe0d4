"""Today's plan (DOMAIN §14), worked by hand on November 2026: 21 working days (Mon 11-02 …
Mon 11-30, no holiday), so E = 1 on 11-02, 6 on 11-09, 20 on 11-27."""
from datetime import date
from decimal import Decimal

from kefu_xl.calendar import WorkCalendar
from kefu_xl.config import load_config
from kefu_xl.month import Month
from kefu_xl.records import Targets
from kefu_xl.rules.plan import (
    PlanAccount,
    PlanAnomaly,
    PlanCadence,
    PlanNewClient,
    PlanRenewal,
    make_plan,
)

NOV = Month(2026, 11)
CAL = WorkCalendar(load_config())
d = date


def plan(day, accounts=(), renewals=(), newclients=(), target=Decimal(4)):
    return make_plan(day, NOV, CAL, list(accounts), list(renewals), list(newclients), daily_valid_target=target)


def phone(done, target=4, level="一级", account="A1", today=frozenset()):
    return PlanAccount(account, f"客户{account}", level, Targets(phone=target), Targets(phone=done), frozenset(today))


def test_november_has_21_working_days():
    p = plan(d(2026, 11, 9))
    assert (p.working_days, p.elapsed, p.days_left) == (21, 6, 16)


def test_called_on_day_one_is_due_again_on_day_six():
    # 一级 phone target 4: the line is 4 × E ÷ 21; one call made on 11-02 (working day 1)
    assert [i.item for i in plan(d(2026, 11, 2), [phone(0)]).items] == ["电话拜访"]          # 0 < 0.19
    assert plan(d(2026, 11, 2), [phone(0, today={"电话拜访"})]).items == ()                  # done today: dropped
    assert plan(d(2026, 11, 6), [phone(1)]).items == ()                                    # E = 5: 0.95 < 1
    due = plan(d(2026, 11, 9), [phone(1)]).items                                           # E = 6: 1.14 > 1
    assert [(i.item, i.behind) for i in due] == [("电话拜访", Decimal("0.14"))]
    assert due[0].reason == "电话拜访已做 1/4 次，按进度该做第 2 次了"


def test_items_that_cannot_wait_come_first():
    # 11-27 is working day 20: two working days left including today
    p = plan(d(2026, 11, 27), [phone(3, account="A1"),                        # on the line: 3.81 > 3, behind 0.81
                               phone(2, level="三级", account="B9"),          # 2 left, 2 days left: cannot wait
                               phone(4, account="A2")])                       # done
    assert [(i.account_id, i.reason) for i in p.items] == [
        ("B9", "电话拜访还差 2 次，本月仅剩 2 个工作日"), ("A1", "电话拜访已做 3/4 次，按进度该做第 4 次了")]


def test_order_level_then_behind_then_account_then_item():
    both = PlanAccount("A3", "客户A3", "一级", Targets(phone=4, report=4), Targets(phone=0, report=0))
    p = plan(d(2026, 11, 9), [phone(0, level="二级", account="A0"), phone(1, account="A9"), both, phone(0, account="A5")])
    # 一级 first; among them behind: A3/A5 1.14 (tie: A3 before A5, 电话拜访 before 报表发送), then A9 0.14
    assert [(i.account_id, i.item) for i in p.items] == [
        ("A3", "电话拜访"), ("A3", "报表发送"), ("A5", "电话拜访"), ("A9", "电话拜访"), ("A0", "电话拜访")]


def test_a_renewal_never_notified_comes_first_then_stale_follow_ups():
    renewals = [
        PlanRenewal("R2", "乙", "跟进中", d(2026, 11, 2), d(2026, 11, 2)),          # 11-03..11-09: 5 working days
        PlanRenewal("R3", "丙", "跟进中", d(2026, 11, 3), d(2026, 11, 3)),          # 4 working days: not yet
        PlanRenewal("R1", "甲", "", None, None, run_days=5),
        PlanRenewal("R4", "丁", "", None, None, contract_end=d(2026, 12, 1)),
        PlanRenewal("R5", "戊", "已续费", None, None, run_days=1),                  # done: never listed
    ]
    newclients = [PlanNewClient("N1", "新一", "辅导中", "方案确认", d(2026, 11, 20)),
                  PlanNewClient("N2", "新二", "逾期", "广告上线", d(2026, 11, 5)),
                  PlanNewClient("N3", "新三", "已完成", None, d(2026, 11, 6))]
    p = plan(d(2026, 11, 9), [phone(0)], renewals, newclients)
    assert [(i.priority, i.account_id, i.item, i.reason) for i in p.items] == [
        (1, "R1", "续费提醒", "可投放 5.0 天，尚未提醒续费"),
        (1, "R4", "续费提醒", "合同 2026-12-01 到期，尚未提醒续费"),
        (1, "R2", "续费跟进", "上次跟进 2026-11-02，已 5 个工作日"),
        (2, "N2", "广告上线", "已逾期：辅导期 2026-11-05 结束"),
        (2, "N1", "方案确认", "辅导期至 2026-11-20"),
        (3, "A1", "电话拜访", "电话拜访已做 0/4 次，按进度该做第 1 次了")]


def test_a_plan_for_a_weekend_is_for_the_next_working_day_and_suggests_a_count():
    p = plan(d(2026, 11, 7), [phone(0, target=40, account=f"A{i}") for i in range(3)])
    assert p.day == d(2026, 11, 9)
    assert p.suggested == 8                     # 120 left over 16 days = 7.5 → 8 (more than the daily 4)
    assert plan(d(2026, 11, 9), [phone(3)]).suggested == 4


def test_the_same_inputs_give_the_same_plan():
    accounts = [phone(i % 3, account=f"A{i:02d}", level=("一级", "二级", "三级")[i % 3]) for i in range(30)]
    assert plan(d(2026, 11, 16), accounts) == plan(d(2026, 11, 16), list(reversed(accounts)))


def test_a_month_ending_on_a_holiday_plans_its_last_working_day():
    october = Month(2026, 10)                   # 10-31 is a Saturday; 10-30 the last working day
    assert make_plan(d(2026, 10, 31), october, CAL, [], [], [], daily_valid_target=Decimal(4)).day == d(2026, 10, 30)
    assert make_plan(d(2026, 10, 3), october, CAL, [], [], [], daily_valid_target=Decimal(4)).day == d(2026, 10, 8)


def test_one_line_per_client_with_its_items_joined():
    both = PlanAccount("A3", "客户A3", "一级", Targets(phone=4, report=4), Targets(phone=0, report=0))
    renewals = [PlanRenewal("A3", "客户A3", "", None, None, run_days=Decimal("3.4"))]
    p = plan(d(2026, 11, 9), [both, phone(0, account="A5")], renewals)
    assert [(line.label, line.account_id, line.item) for line in p.lines] == [
        ("1 续费", "A3", "续费提醒 + 电话拜访 + 报表发送"), ("3 维护", "A5", "电话拜访")]
    first = p.lines[0]
    assert first.reason == "可投放 3.4 天，尚未提醒续费；已做 电话拜访 0/4、报表发送 0/4 次，按进度该做了"
    assert first.maintenance == ("电话拜访", "报表发送") and first.contact and not first.step
    assert len(p.items) == 4 and len(p.lines) == 2


def test_the_plan_is_cut_at_the_suggested_count_but_never_above_a_priority_one_line():
    accounts = [phone(0, account=f"A{i:02d}") for i in range(20)]
    p = plan(d(2026, 11, 9), accounts)
    assert p.suggested == 5 and p.planned == 5 and len(p.lines) == 20       # 80 left / 16 days = 5
    renewals = [PlanRenewal(f"R{i}", f"乙{i}", "", None, None, run_days=Decimal(i)) for i in range(7)]
    p = plan(d(2026, 11, 9), accounts, renewals)
    assert p.planned == 7 and all(line.urgent for line in p.lines[:7])      # every renewal above the line


def test_anomalies_come_in_the_order_of_what_is_at_stake():
    rows = [PlanAnomaly("S1", "小突增", d(2026, 11, 6), "消耗突增", Decimal(300), Decimal(100), 7),
            PlanAnomaly("B1", "小余额", d(2026, 11, 6), "余额不足", Decimal(90), Decimal(100), 7, Decimal(300)),
            PlanAnomaly("Z1", "大停投", d(2026, 11, 5), "消耗降为0", Decimal(0), Decimal("1552.00"), 1),
            PlanAnomaly("Z2", "小停投", d(2026, 11, 6), "消耗降为0", Decimal(0), Decimal("58.72"), 3),
            PlanAnomaly("D1", "骤降", d(2026, 11, 6), "消耗骤降", Decimal(100), Decimal(600), 7)]
    p = make_plan(d(2026, 11, 9), NOV, CAL, [], [], [], daily_valid_target=Decimal(4), anomalies=rows)
    assert [i.account_id for i in p.items] == ["Z1", "Z2", "B1", "D1", "S1"]
    reasons = {i.account_id: i.reason for i in p.items}
    assert reasons["Z1"] == "11-05 消耗降为0（消耗 0.00，前1次平均 1,552.00），查明原因并通知客户"
    assert reasons["B1"] == "11-06 余额不足（余额 300.00 元，按前7次平均每天 100.00 元只够 3.0 天），查明原因并通知客户"


def test_a_cadence_line_is_done_by_any_contact():
    p = make_plan(d(2026, 11, 9), NOV, CAL, [], [], [], daily_valid_target=Decimal(4),
                  cadence=[PlanCadence("C1", "甲", "一级", "已 12 个工作日未联系", 12)])
    assert [(line.label, line.contact, line.maintenance) for line in p.lines] == [("3 回访", True, ())]
