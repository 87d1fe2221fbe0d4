"""Today's plan (DOMAIN §14, §23's timetable), worked by hand on November 2026: 21 working days (Mon 11-02 …
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
    PlanMissed,
    PlanNewClient,
    PlanRenewal,
    PlanVisit,
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
    assert p.pace == 8                          # 120 left over 16 days = 7.5 → 8 (more than the daily 4)
    assert plan(d(2026, 11, 9), [phone(3)]).pace == 4
    # 建议今日完成 counts the items above the line (DOMAIN §23): the three calls fit in 回访's hour
    assert p.suggested == 3 == sum(line.items for line in p.lines if line.above)


def test_the_same_inputs_give_the_same_plan():
    accounts = [phone(i % 3, account=f"A{i:02d}", level=("一级", "二级", "三级")[i % 3]) for i in range(30)]
    assert plan(d(2026, 11, 16), accounts) == plan(d(2026, 11, 16), list(reversed(accounts)))


def test_a_month_ending_on_a_holiday_plans_its_last_working_day():
    october = Month(2026, 10)                   # 10-31 is a Saturday; 10-30 the last working day
    assert make_plan(d(2026, 10, 31), october, CAL, [], [], [], daily_valid_target=Decimal(4)).day == d(2026, 10, 30)
    assert make_plan(d(2026, 10, 3), october, CAL, [], [], [], daily_valid_target=Decimal(4)).day == d(2026, 10, 8)


def test_one_line_per_client_per_block_with_its_items_joined():
    """DOMAIN §23: a client's items in one block are one line (事项 joined); its renewal is a
    line of the 续费 block, its calls a line of 回访."""
    both = PlanAccount("A3", "客户A3", "一级", Targets(phone=4, report=4), Targets(phone=0, report=0))
    renewals = [PlanRenewal("A3", "客户A3", "", None, None, run_days=Decimal("3.4"))]
    p = plan(d(2026, 11, 9), [both, phone(0, account="A5")], renewals)
    lines = [line for line in p.lines if line.items]
    assert [(line.slot, line.label, line.account_id, line.item) for line in lines] == [
        ("10:00-10:30 续费", "1 续费", "A3", "续费提醒"),
        ("13:00-14:00 回访", "3 维护", "A3", "电话拜访 + 报表发送"),
        ("13:00-14:00 回访", "3 维护", "A5", "电话拜访")]
    assert lines[0].reason == "可投放 3.4 天，尚未提醒续费" and lines[0].contacts == 1
    assert lines[1].reason == "已做 电话拜访 0/4、报表发送 0/4 次，按进度该做了"
    assert lines[1].maintenance == ("电话拜访", "报表发送") and lines[1].items == 2 and lines[1].minutes == 20
    assert len(p.items) == 4 and p.suggested == 4


def test_a_block_holds_no_more_minutes_than_it_has_but_priority_one_stays_flagged():
    """回访 13:00-14:00 holds six 10-minute calls; seven unnotified renewals (70 minutes) all stay
    in 续费's half hour, the overrun in its header."""
    accounts = [phone(0, account=f"A{i:02d}") for i in range(20)]
    p = plan(d(2026, 11, 9), accounts)
    calls = [line for line in p.lines if line.block == "回访"]
    assert [line.above for line in calls] == [True] * 6 + [False] * 14
    assert p.suggested == 6 and p.planned == 6 + 1            # + the 晚总结 line (no items)
    renewals = [PlanRenewal(f"R{i}", f"乙{i}", "", None, None, run_days=Decimal(i)) for i in range(7)]
    p = plan(d(2026, 11, 9), accounts, renewals)
    assert all(line.above for line in p.lines if line.urgent)
    loads = {b.block.name: b for b in p.blocks}
    assert (loads["续费"].used, loads["续费"].overrun) == (70, 40)
    assert loads["续费"].header() == "计划 7 项 · 70/30 分钟，超出 40 分钟（优先级 1、不能等的事项）"
    for load in p.blocks:                                      # every other block within its minutes
        assert load.block.name == "续费" or load.used <= load.block.minutes


def test_on_the_last_working_day_what_cannot_wait_comes_first_but_the_day_still_fits():
    """11-30: every call still owed 「cannot wait」 (剩余 ≥ 1 working day left) — they head 回访,
    but the block holds its hour; the rest waits under the divider, nothing runs over."""
    accounts = [phone(2, account=f"A{i:02d}") for i in range(20)]          # each 2 calls short
    p = plan(d(2026, 11, 30), accounts)
    calls = [line for line in p.lines if line.block == "回访"]
    assert all("本月仅剩 1 个工作日" in line.reason for line in calls)
    assert [line.above for line in calls] == [True] * 6 + [False] * 14     # one call each today: 6 × 10 minutes
    assert all(load.overrun == 0 for load in p.blocks)


def test_the_items_above_the_line_that_produce_valid_work_are_never_fewer_than_the_daily_target():
    """A booked visit (60 minutes) fills 回访; the optimisations fit in 优化 — but with no
    optimisation owed, calls are pulled above the line until four items produce valid work."""
    accounts = [phone(0, account=f"A{i:02d}") for i in range(10)]
    visit = PlanVisit("A00", "客户A00", d(2026, 11, 9))
    p = make_plan(d(2026, 11, 9), NOV, CAL, accounts, [], [], daily_valid_target=Decimal(4), visits=[visit])
    above = [line for line in p.lines if line.above and line.items]
    assert sum(line.valid_items for line in above) >= 4
    load = next(b for b in p.blocks if b.block.name == "回访")
    assert load.overrun and "保证每天 4 项有效工作" in load.header()
    assert make_plan(d(2026, 11, 9), NOV, CAL, [], [], [], daily_valid_target=Decimal(4)).suggested == 0   # nothing owed


def test_a_visit_is_never_a_same_day_item():
    """A due 上门拜访 is 「预约上门」 (one item); the visit itself shows on the day booked in 预约."""
    a = PlanAccount("V1", "客户V1", "一级", Targets(visit=1), Targets())
    p = plan(d(2026, 11, 27), [a])                    # cannot wait: 1 left, 2 days left
    assert [(line.item, line.items, line.reserve, line.above) for line in p.lines if line.items] == [
        ("预约上门", 1, True, True)]
    assert not any("上门拜访" == line.item for line in p.lines)
    booked = [PlanVisit("V1", "客户V1", d(2026, 11, 30), "带方案")]
    assert [line.item for line in plan(d(2026, 11, 27), [a]).lines if line.items] == ["预约上门"]
    p = make_plan(d(2026, 11, 27), NOV, CAL, [a], [], [], daily_valid_target=Decimal(4), visits=booked)
    assert [line.item for line in p.lines if line.items] == []                 # booked: nothing to do today
    p = make_plan(d(2026, 11, 30), NOV, CAL, [a], [], [], daily_valid_target=Decimal(4), visits=booked)
    visit = next(line for line in p.lines if line.items)
    assert (visit.item, visit.block, visit.reason, visit.above) == ("上门拜访", "回访", "预约今天上门（带方案）", True)


def test_report_days_fill_the_blocks_with_the_months_first_reports():
    """The first two working days are 报表日: 未联系上, 回访, 优化, 新开客户 take the month's first
    报表发送 first (not 看消耗, 续费, 晚总结)."""
    accounts = [PlanAccount(f"A{i:02d}", f"客户{i}", "二级", Targets(phone=2, report=1, optimize=1), Targets())
                for i in range(12)]
    p = plan(d(2026, 11, 2), accounts)
    assert p.report_day
    visits = [line for line in p.lines if line.block == "回访" and line.above]
    assert visits and all(line.item.startswith("报表发送") for line in visits)
    assert all("报表日" in line.reason for line in visits)
    first = [line for line in p.lines if line.block == "未联系上" and line.above]
    assert len(first) == 9 and {line.item for line in first} == {"报表发送"}     # 90 minutes of reports
    assert not any(line.block in ("看消耗", "续费") for line in p.lines if "报表日" in line.reason)
    assert not plan(d(2026, 11, 4), accounts).report_day


def test_the_last_working_day_lists_what_is_still_owed_and_next_months_renewals():
    a = PlanAccount("A1", "客户A1", "二级", Targets(phone=2, report=1), Targets(phone=1, report=1))
    renewals = [PlanRenewal("R1", "乙", "跟进中", d(2026, 11, 20), d(2026, 11, 20), contract_end=d(2026, 12, 10))]
    p = plan(d(2026, 11, 30), [a], renewals)
    assert p.summary_day
    summary = [(line.item, line.reason) for line in p.lines if line.block == "晚总结"]
    assert ("本月还差", "总结日：电话拜访 1 次") in summary
    assert ("下月续费", "总结日：合同 2026-12-10 到期") in summary
    assert all(line.items == 0 for line in p.lines if line.block == "晚总结")


def test_a_client_not_reached_yesterday_is_called_in_the_not_reached_block():
    missed = [PlanMissed("A1", "客户A1", "11-06 的计划没有联系上"),
              PlanMissed("B2", "客户B2", "11-05 只联系到其他人员，还没有联系上决策人", decision_maker=True)]
    p = make_plan(d(2026, 11, 9), NOV, CAL, [phone(0), phone(0, account="A2")], [], [],
                  daily_valid_target=Decimal(4), missed=missed)
    block = [(line.account_id, line.item) for line in p.lines if line.block == "未联系上"]
    assert block == [("A1", "电话拜访"), ("B2", "联系决策人")]
    assert [line.account_id for line in p.lines if line.block == "回访"] == ["A2"]


def test_anomalies_come_in_the_order_of_what_is_at_stake():
    rows = [PlanAnomaly("S1", "小突增", d(2026, 11, 6), "消耗突增", Decimal(300), Decimal(100), 7),
            PlanAnomaly("B1", "小余额", d(2026, 11, 6), "余额不足", Decimal(90), Decimal(100), 7, Decimal(300)),
            PlanAnomaly("Z1", "大停投", d(2026, 11, 5), "消耗降为0", Decimal(0), Decimal("1552.00"), 1),
            PlanAnomaly("Z2", "小停投", d(2026, 11, 6), "消耗降为0", Decimal(0), Decimal("58.72"), 3),
            PlanAnomaly("D1", "骤降", d(2026, 11, 6), "消耗骤降", Decimal(100), Decimal(600), 7)]
    p = make_plan(d(2026, 11, 9), NOV, CAL, [], [], [], daily_valid_target=Decimal(4), anomalies=rows)
    assert [i.account_id for i in p.items] == ["Z1", "Z2", "B1", "D1", "S1"]
    assert all(line.block == "看消耗" for line in p.lines if line.items)
    reasons = {i.account_id: i.reason for i in p.items}
    assert reasons["Z1"] == "11-05 消耗降为0（消耗 0.00，前1次平均 1,552.00），查明原因并通知客户"
    assert reasons["B1"] == "11-06 余额不足（余额 300.00 元，按前7次平均每天 100.00 元只够 3.0 天），查明原因并通知客户"


def test_a_cadence_line_is_done_by_any_contact():
    p = make_plan(d(2026, 11, 9), NOV, CAL, [], [], [], daily_valid_target=Decimal(4),
                  cadence=[PlanCadence("C1", "甲", "一级", "已 12 个工作日未联系", 12)])
    assert [(line.label, line.contact, line.maintenance) for line in p.lines if line.items] == [("3 回访", True, ())]


def test_an_anomaly_seen_four_days_is_one_item_with_the_latest_reason():
    rows = [PlanAnomaly("B1", "小余额", d(2026, 11, day), "余额不足", Decimal(90), Decimal(100), 7, Decimal(400 - 50 * n))
            for n, day in enumerate((3, 4, 5, 6))]
    p = make_plan(d(2026, 11, 9), NOV, CAL, [], [], [], daily_valid_target=Decimal(4), anomalies=rows)
    assert len(p.items) == 1 and p.items[0].reason.startswith("11-06 余额不足（余额 250.00 元")
