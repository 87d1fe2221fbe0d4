"""Today's plan of one person (docs/plan.md, 早计划): pure, deterministic, no I/O.

Priority 1 — 异常 first: the owner's spend anomalies (消耗监控) the client was not told of yet,
消耗降为0 → 余额不足 → 消耗骤降 → 消耗突增, each by the money at stake (docs/watch.md, docs/plan.md). Then 续费: renewal rows still followed (跟进中 or blank) never notified, then those
whose latest follow-up is `renewal_follow_up_days` working days old or more.
Priority 2 — 新客户: the first empty onboarding step of each 辅导中 / 逾期 client.
Priority 3 — 维护, on the pro-rata line: with W working days in the month and E working days
from the 1st up to and including the plan day, an account's item is due when
完成 < 目标 × E ÷ W (落后 = 目标 × E ÷ W − 完成), or when it cannot wait any more
(剩余 ≥ working days left including today). Items already done on the plan day are not
listed. Then 回访: the owner's archived clients the callback cadence says to contact (docs/archive.md,
rules/cadence.py) and no other line of the plan already reaches. Every line carries its
原因 in Chinese.

The plan a person sees (docs/plan.md) is one line per client (`lines_of`): the client's items in
one line, since one contact serves them; above a divider the first 建议今日完成 lines (more
only for priority-1 lines), below it 有余力再做 in the same order.
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
from .renewal import days_shown

RENEWAL, NEWCLIENT, MAINTENANCE = 1, 2, 3
RENEWAL_LABEL, MAINTENANCE_LABEL = "1 续费", "3 维护"
ANOMALY_LABEL, CADENCE_LABEL = "1 异常", "3 回访"
ANOMALY_ITEM, CADENCE_ITEM, UNHAPPY_ITEM = "处理消耗异常", "回访", "不满意回访"
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
    run_days: Decimal | None = None    # 可投放天数 (balance ÷ daily spend)
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
    progress: tuple[int, int] | None = None   # (done, target) of a maintenance item
    days_left: int | None = None   # set when the item cannot wait (剩余 ≥ working days left)

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
    exports: int | None = None     # how many earlier exports the average is over (平均次数)
    balance: Decimal | None = None


@dataclass(frozen=True)
class PlanCadence:
    account_id: str
    name: str
    level: str
    reason: str                    # from rules/cadence.py
    gap: int


@dataclass(frozen=True)
class PlanLine:
    """One line of 今日: every due item of one client (one contact serves them), in the place
    of the client's first item. What makes it done: `maintenance` — a valid record of each of
    these 工作类型 on the day; `contact` — any valid record of the client that day, or its
    提醒日期 (续费, 异常, 回访); `step` — one of its onboarding steps dated that day (新客户)."""
    priority: int
    label: str                     # 优先级 (1 异常, 1 续费, 2 新客户, 3 维护, 3 回访)
    account_id: str
    name: str
    level: str
    item: str                      # 事项: the items joined by " + "
    reason: str                    # 原因: their reasons joined by "；"
    maintenance: tuple[str, ...] = ()
    contact: bool = False
    step: bool = False

    @property
    def urgent(self) -> bool:
        """A priority-1 line (异常, 续费): above the divider however long the plan gets."""
        return self.priority == RENEWAL


@dataclass(frozen=True)
class Plan:
    day: date
    working_days: int              # W
    elapsed: int                   # E (including the plan day)
    days_left: int                 # W − E + 1 (including the plan day)
    suggested: int                 # 建议今日完成
    items: tuple[PlanItem, ...]
    lines: tuple[PlanLine, ...] = ()
    planned: int = 0               # lines above the divider: today's plan; the rest 有余力再做


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


def days_text(days) -> str:
    """可投放天数 as every sheet and message shows it: one decimal (rules.renewal.days_shown)."""
    return f"{days_shown(days)}"


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
                reason = f"可投放 {days_text(r.run_days)} 天，尚未提醒续费"
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
    """Priority 3: items behind the pro-rata line or that cannot wait, in the order of docs/plan.md."""
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
                reason = f"{kind}还差 {remaining} 次，本月仅剩 {days_left} 个工作日"
            else:
                reason = f"{kind}已做 {done}/{target} 次，按进度该做第 {done + 1} 次了"
            item = PlanItem(MAINTENANCE, a.account_id, a.name, a.level, kind, reason, _two(behind),
                            progress=(done, target), days_left=days_left if cannot_wait else None)
            keyed.append(((not cannot_wait, rank.get(a.level, len(LEVELS)), -behind, a.account_id, order), item))
    keyed.sort(key=lambda p: p[0])
    return [item for _, item in keyed]


ANOMALY_ORDER = ("消耗降为0", "余额不足", "消耗骤降", "消耗突增")


def anomaly_stake(r: PlanAnomaly) -> Decimal:
    """The money a day of the anomaly is about: the usual daily spend that stopped or would
    stop (降为0, 余额不足), or the gap to it (骤降, 突增)."""
    if r.average is None:
        return Decimal(0)
    if r.spend is None or any(w in r.what for w in ANOMALY_ORDER[:2]):
        return r.average
    return abs(r.spend - r.average)


def anomaly_reason(r: PlanAnomaly) -> str:
    """What happened, with the figures it was judged by: "前N次" is the exports really used;
    余额不足 shows the balance and the days it lasts."""
    n = f"前{r.exports}次" if r.exports else "之前"
    parts = []
    if r.average is not None and "余额不足" in r.what and r.balance is not None and r.average > 0:
        days = (r.balance / r.average).quantize(Decimal("0.1"), ROUND_HALF_UP)
        parts.append(f"余额 {r.balance:,.2f} 元，按{n}平均每天 {r.average:,.2f} 元只够 {days} 天")
    if r.spend is not None and r.average is not None and any(w in r.what for w in ("降为0", "骤降", "突增")):
        parts.append(f"消耗 {r.spend:,.2f}，{n}平均 {r.average:,.2f}")
    figures = f"（{'；'.join(parts)}）" if parts else ""
    return f"{r.day:%m-%d} {r.what}{figures}，查明原因并通知客户"


def anomaly_items(rows: list[PlanAnomaly]) -> list[PlanItem]:
    """Priority 1, before renewals: the anomalies not told to the client — 消耗降为0, then 余额不足,
    消耗骤降, 消耗突增 — each by the money at stake, larger first."""
    def rank(r: PlanAnomaly) -> int:
        return min((i for i, w in enumerate(ANOMALY_ORDER) if w in r.what), default=len(ANOMALY_ORDER))
    out = []
    for r in sorted(rows, key=lambda r: (rank(r), -anomaly_stake(r), r.day, r.account_id)):
        out.append(PlanItem(RENEWAL, r.account_id, r.name, "", ANOMALY_ITEM, anomaly_reason(r), label=ANOMALY_LABEL))
    return out


def unhappy_items(rows: list[PlanCadence]) -> list[PlanItem]:
    """回访 of clients who said they were 不满意 / 很不满意 on a call and were not contacted since
    (rules/outcomes.UNHAPPY; `reason` holds the day they said it), the longest wait first."""
    return [PlanItem(MAINTENANCE, r.account_id, r.name, r.level, UNHAPPY_ITEM, r.reason, label=CADENCE_LABEL)
            for r in sorted(rows, key=lambda r: (-r.gap, r.account_id))]


def cadence_items(rows: list[PlanCadence], planned: set[str]) -> list[PlanItem]:
    """After the maintenance items: clients due for a call by the cadence that no line of the
    plan (keys in `planned`) already reaches; the longest silence first."""
    chosen = sorted((r for r in rows if r.account_id.casefold() not in planned), key=lambda r: (-r.gap, r.account_id))
    return [PlanItem(MAINTENANCE, r.account_id, r.name, r.level, CADENCE_ITEM, f"回访节奏：{r.reason}", label=CADENCE_LABEL)
            for r in chosen]


def lines_of(items: list[PlanItem]) -> list[PlanLine]:
    """One line per client, in the place of its first item: 事项 and 原因 joined."""
    grouped: dict[str, list[PlanItem]] = {}
    for item in items:
        grouped.setdefault(item.account_id.casefold(), []).append(item)
    out = []
    for group in grouped.values():
        first = group[0]
        items_text = list(dict.fromkeys(i.item for i in group))
        out.append(PlanLine(
            first.priority, first.priority_label, first.account_id, first.name,
            next((i.level for i in group if i.level), ""), " + ".join(items_text), line_reason(group),
            maintenance=tuple(i.item for i in group if i.priority == MAINTENANCE and i.item in ITEM_TYPES),
            contact=any(i.priority == RENEWAL or i.item in (CADENCE_ITEM, UNHAPPY_ITEM) for i in group),
            step=any(i.priority == NEWCLIENT for i in group)))
    return out


def line_reason(group: list[PlanItem]) -> str:
    """The 原因 of one client's line: each item's own reason, the maintenance items in one
    clause (已做 电话拜访 0/4、报表发送 1/5 次) — short enough to read at a glance."""
    upkeep = [i for i in group if i.progress is not None]
    if len(upkeep) < 2:
        return "；".join(i.reason for i in group)
    done = "、".join(f"{i.item} {i.progress[0]}/{i.progress[1]}" for i in upkeep)
    left = min((i.days_left for i in upkeep if i.days_left is not None), default=None)
    clause = f"已做 {done} 次，" + (f"本月仅剩 {left} 个工作日" if left is not None else "按进度该做了")
    return "；".join([*(i.reason for i in group if i.progress is None), clause])


def planned_count(lines: list[PlanLine], suggested: int) -> int:
    """How many lines go above the divider: 建议今日完成 of them, more only for priority-1 lines
    (异常, 续费) — they come first and cannot wait."""
    urgent = sum(1 for line in lines if line.urgent)
    return min(len(lines), max(suggested, urgent))


def remaining_target(accounts: list[PlanAccount]) -> int:
    return sum(max(0, t - d) for a in accounts for t, d in zip(a.targets.as_tuple(), a.done.as_tuple()))


def make_plan(day: date, month: Month, calendar: WorkCalendar, accounts: list[PlanAccount],
              renewals: list[PlanRenewal], newclients: list[PlanNewClient], *, daily_valid_target: Decimal,
              renewal_follow_up_days: int = 5, due_balance_days: int = 7, anomalies: list[PlanAnomaly] = (),
              cadence: list[PlanCadence] = (), unhappy: list[PlanCadence] = ()) -> Plan:
    """Today's plan for the working day on or after `day` (kept inside the month)."""
    day = plan_day(day, calendar, month)
    working = calendar.count(month.first, month.last)
    elapsed = calendar.count(month.first, day)
    days_left = working - elapsed + 1
    items = (anomaly_items(list(anomalies)) + renewal_items(renewals, day, calendar, renewal_follow_up_days,
                                                          due_balance_days)
             + newclient_items(newclients) + maintenance_items(accounts, working, elapsed))
    items += unhappy_items(list(unhappy))
    items += cadence_items(list(cadence), {i.account_id.casefold() for i in items})
    suggested = max(math.ceil(daily_valid_target), math.ceil(Fraction(remaining_target(accounts), days_left)))
    lines = lines_of(items)
    return Plan(day, working, elapsed, days_left, suggested, tuple(items), tuple(lines),
                planned_count(lines, suggested))
