"""Today's plan of one person (DOMAIN §14, 早计划): pure, deterministic, no I/O.

Priority 1 — 异常 first: the owner's spend anomalies (消耗监控) the client was not told of yet,
oldest first (DOMAIN §17). Then 续费: renewal rows still followed (跟进中 or blank) never notified, then those
whose latest follow-up is `renewal_follow_up_days` working days old or more.
Priority 2 — 新客户: the first empty onboarding step of each 辅导中 / 逾期 client.
Priority 3 — 维护, on the pro-rata line: with W working days in the month and E working days
from the 1st up to and including the plan day, an account's item is due when
完成 < 目标 × E ÷ W (落后 = 目标 × E ÷ W − 完成), or when it cannot wait any more
(剩余 ≥ working days left including today). Items already done on the plan day are not
listed. Then 回访: the owner's archived clients the callback cadence says to contact (DOMAIN
§18, rules/cadence.py) and no other line of the plan already reaches. Every line carries its
原因 in Chinese.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from ..calendar import WorkCalendar
from ..config import LEVELS
from ..month import Month
from ..records import Targets
from .completion import ITEM_TYPES

RENEWAL, NEWCLIENT, MAINTENANCE = 1, 2, 3
RENEWAL_LABEL, MAINTENANCE_LABEL = "1 续费", "3 维护"
ANOMALY_LABEL, CADENCE_LABEL = "1 异常", "3 回访"
ANOMALY_ITEM, CADENCE_ITEM = "处理消耗异常", "回访"
OPEN_RENEWAL = ("", "跟进中")
OVERDUE, COACHING = "逾期", "辅导中"


@dataclass(frozen=True)
class PlanAccount:
    """One of the owner's accounts: its targets and what counts as done so far this month
    (valid records before the plan day, this workbook and the team's other sources)."""
    account_id: str
    name: str
    level: str
    targets: Targets
    done: Targets
    done_today: frozenset[str] = frozenset()     # 工作类型 already done on the plan day


@dataclass(frozen=True)
class PlanRenewal:
    account_id: str
    name: str
    status: str                    # 续费状态: "" / 跟进中 / 已续费 / 不续费 …
    notified: date | None          # 提醒日期
    last_follow_up: date | None    # the later of 提醒日期 and the latest valid record on the account
    run_days: int | None = None    # 可投放天数 (balance ÷ daily spend)
    contract_end: date | None = None


@dataclass(frozen=True)
class PlanNewClient:
    account_id: str
    name: str
    state: str                     # 辅导中 / 逾期 / 已完成
    next_step: str | None          # the first empty onboarding step
    coaching_end: date | None      # 辅导期结束


@dataclass(frozen=True)
class PlanItem:
    priority: int
    account_id: str
    name: str
    level: str
    item: str                      # 事项
    reason: str                    # 原因
    behind: Decimal | None = None  # 落后 (maintenance items)
    label: str = ""                # 优先级 text when not the priority's usual one (1 异常, 3 回访)

    @property
    def priority_label(self) -> str:
        return self.label or {RENEWAL: RENEWAL_LABEL, NEWCLIENT: "2 新客户", MAINTENANCE: MAINTENANCE_LABEL}[self.priority]


@dataclass(frozen=True)
class PlanAnomaly:
    """An anomaly row of 消耗监控 the client has not been told of."""
    account_id: str
    name: str
    day: date
    what: str                      # 异常 (消耗降为0 …)
    spend: Decimal | None
    average: Decimal | None


@dataclass(frozen=True)
class PlanCadence:
    account_id: str
    name: str
    level: str
    reason: str                    # from rules/cadence.py
    gap: int


@dataclass(frozen=True)
class Plan:
    day: date
    working_days: int              # W
    elapsed: int                   # E (including the plan day)
    days_left: int                 # W − E + 1 (including the plan day)
    suggested: int                 # 建议今日完成
    items: tuple[PlanItem, ...]


def plan_day(day: date, calendar: WorkCalendar, month: Month | None = None) -> date:
    """The plan is for a working day: on a weekend or holiday, the next working day; with
    `month`, kept inside it (a month ending on a holiday: its last working day)."""
    if month is not None:
        day = month.clamp(day)
    start = day
    while not calendar.is_workday(day):
        day += timedelta(days=1)
    if month is not None and not month.contains(day):
        day = max(d for d in calendar.workdays_between(month.first, start))
    return day


def _two(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def renewal_items(rows: list[PlanRenewal], day: date, calendar: WorkCalendar, follow_up_days: int,
                  due_balance_days: int) -> list[PlanItem]:
    """Priority 1: never notified first (by 可投放天数, then contract end), then stale follow-ups
    (oldest first); each group then by 帐户ID."""
    fresh, stale = [], []
    for r in rows:
        if r.status not in OPEN_RENEWAL:
            continue
        if r.notified is None:
            if r.run_days is not None and (r.contract_end is None or r.run_days <= due_balance_days):
                reason = f"可投放 {r.run_days} 天，尚未提醒续费"
            elif r.contract_end is not None:
                reason = f"合同 {r.contract_end.isoformat()} 到期，尚未提醒续费"
            else:
                reason = "尚未提醒续费"
            key = (r.run_days if r.run_days is not None else 10 ** 6, r.contract_end or date.max, r.account_id)
            fresh.append((key, PlanItem(RENEWAL, r.account_id, r.name, "", "续费提醒", reason)))
        elif r.last_follow_up is not None and r.last_follow_up < day:
            age = calendar.count(r.last_follow_up + timedelta(days=1), day)
            if age >= follow_up_days:
                stale.append(((r.last_follow_up, r.account_id),
                              PlanItem(RENEWAL, r.account_id, r.name, "", "续费跟进",
                                       f"上次跟进 {r.last_follow_up.isoformat()}，已 {age} 个工作日")))
    return [i for _, i in sorted(fresh, key=lambda p: p[0])] + [i for _, i in sorted(stale, key=lambda p: p[0])]


def newclient_items(rows: list[PlanNewClient]) -> list[PlanItem]:
    """Priority 2: the first empty step of each client still in onboarding; 逾期 first, then
    by 辅导期结束, then 帐户ID."""
    chosen = [r for r in rows if r.state in (OVERDUE, COACHING) and r.next_step]
    chosen.sort(key=lambda r: (r.state != OVERDUE, r.coaching_end or date.max, r.account_id))
    out = []
    for r in chosen:
        end = r.coaching_end.isoformat() if r.coaching_end else "未知"
        reason = f"已逾期：辅导期 {end} 结束" if r.state == OVERDUE else f"辅导期至 {end}"
        out.append(PlanItem(NEWCLIENT, r.account_id, r.name, "", r.next_step, reason))
    return out


def maintenance_items(accounts: list[PlanAccount], working_days: int, elapsed: int) -> list[PlanItem]:
    """Priority 3: items behind the pro-rata line or that cannot wait, in the order of §14."""
    days_left = working_days - elapsed + 1
    rank = {level: i for i, level in enumerate(LEVELS)}
    keyed = []
    for a in accounts:
        for order, (kind, target, done) in enumerate(zip(ITEM_TYPES, a.targets.as_tuple(), a.done.as_tuple())):
            if target <= 0 or done >= target or kind in a.done_today:
                continue
            line = Fraction(target * elapsed, working_days)
            remaining = target - done
            cannot_wait = remaining >= days_left
            if not (done < line or cannot_wait):
                continue
            behind = line - done
            if cannot_wait:
                reason = f"本月仅剩 {days_left} 个工作日，还差 {remaining} 次"
            else:
                reason = f"目标 {target} 次，已完成 {done} 次，按进度应完成 {_two(line)} 次"
            item = PlanItem(MAINTENANCE, a.account_id, a.name, a.level, kind, reason, _two(behind))
            keyed.append(((not cannot_wait, rank.get(a.level, len(LEVELS)), -behind, a.account_id, order), item))
    keyed.sort(key=lambda p: p[0])
    return [item for _, item in keyed]


def anomaly_items(rows: list[PlanAnomaly]) -> list[PlanItem]:
    """Priority 1, before renewals: the anomalies not told to the client, oldest first."""
    out = []
    for r in sorted(rows, key=lambda r: (r.day, r.account_id)):
        figures = f"（消耗 {r.spend:,.2f}，前7次平均 {r.average:,.2f}）" if r.spend is not None and r.average is not None else ""
        out.append(PlanItem(RENEWAL, r.account_id, r.name, "", ANOMALY_ITEM,
                            f"{r.day:%m-%d} {r.what}{figures}，查明原因并通知客户", label=ANOMALY_LABEL))
    return out


def cadence_items(rows: list[PlanCadence], planned: set[str]) -> list[PlanItem]:
    """After the maintenance items: clients due for a call by the cadence that no line of the
    plan (keys in `planned`) already reaches; the longest silence first."""
    chosen = sorted((r for r in rows if r.account_id.casefold() not in planned), key=lambda r: (-r.gap, r.account_id))
    return [PlanItem(MAINTENANCE, r.account_id, r.name, r.level, CADENCE_ITEM, f"回访节奏：{r.reason}", label=CADENCE_LABEL)
            for r in chosen]


def remaining_target(accounts: list[PlanAccount]) -> int:
    return sum(max(0, t - d) for a in accounts for t, d in zip(a.targets.as_tuple(), a.done.as_tuple()))


def make_plan(day: date, month: Month, calendar: WorkCalendar, accounts: list[PlanAccount],
              renewals: list[PlanRenewal], newclients: list[PlanNewClient], *, daily_valid_target: Decimal,
              renewal_follow_up_days: int = 5, due_balance_days: int = 7, anomalies: list[PlanAnomaly] = (),
              cadence: list[PlanCadence] = ()) -> Plan:
    """Today's plan for the working day on or after `day` (kept inside the month)."""
    day = plan_day(day, calendar, month)
    working = calendar.count(month.first, month.last)
    elapsed = calendar.count(month.first, day)
    days_left = working - elapsed + 1
    items = (anomaly_items(list(anomalies)) + renewal_items(renewals, day, calendar, renewal_follow_up_days,
                                                          due_balance_days)
             + newclient_items(newclients) + maintenance_items(accounts, working, elapsed))
    items += cadence_items(list(cadence), {i.account_id.casefold() for i in items})
    suggested = max(math.ceil(daily_valid_target), math.ceil(Fraction(remaining_target(accounts), days_left)))
    return Plan(day, working, elapsed, days_left, suggested, tuple(items))
