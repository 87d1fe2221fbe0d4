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

The plan a person sees (docs/plan.md) is a timetable: each item goes to the time
block ([plan] blocks) that holds its kind; one line per client per block (one contact serves the
client's items there); a block is filled in that order up to its minutes ([plan.minutes]),
priority-1 items (异常, 续费) and booked visits always (the overrun shown in the block's header),
and the day's items that produce valid work are never fewer than daily_valid_target while any
is owed. The rest goes under one 有余力再做 divider, by block. 上门拜访 is never a same-day item:
a due visit is 「预约上门」, the visit itself shows on the day booked in 预约. The first
`report_days` working days are 报表日 (the month's first report goes first in every block but
看消耗, 续费 and 晚总结); the last is 总结日 (晚总结 lists what is still owed and next month's renewals).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from ..calendar import WorkCalendar
from ..config import LEVELS, PlanBlock, PlanSettings
from ..month import Month
from ..records import Targets
from .completion import ITEM_TYPES
from .renewal import days_of_spend, days_shown

RENEWAL, NEWCLIENT, MAINTENANCE = 1, 2, 3
RENEWAL_LABEL, MAINTENANCE_LABEL = "1 续费", "3 维护"
ANOMALY_LABEL, CADENCE_LABEL = "1 异常", "3 回访"
INQUIRY_ITEM, INQUIRY_LABEL, INQUIRY_KIND = "答复咨询", "1 咨询", "咨询"
PROSPECT_LABEL = "2 商务客户"
ANOMALY_ITEM, CADENCE_ITEM, UNHAPPY_ITEM = "处理消耗异常", "回访", "不满意回访"
RESERVE_ITEM, VISIT_ITEM, NOT_REACHED_ITEM, SUMMARY_ITEM = "预约上门", "上门拜访", "联系决策人", "晚总结"
OPEN_RENEWAL = ("", "跟进中")
# the item kinds whose work is a valid 工作记录 row (电话拜访 … 帐户优化; a 回访 is a call)
VALID_KINDS = frozenset({"电话拜访", "上门拜访", "报表发送", "帐户优化", "回访", "不满意回访"})
CONTACT_KINDS = frozenset({"异常", "续费", "回访", "不满意回访", "未联系上"})   # done by any contact that day
MOVABLE_KINDS = frozenset({"电话拜访", "报表发送", "预约上门", "回访", "不满意回访"})   # to 未联系上 when not reached
NOT_REACHED_BLOCK = "未联系上"
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
    opened: date | None = None     # 开户日期: a client opened on the plan day comes as 新增 even after the morning


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
    kind: str = ""                 # the item's kind ([plan] blocks, [plan.minutes]): 异常, 续费, 电话拜访 …
    monthly: bool = False          # 报表日's first report of the month (first in its block)
    prospect: bool = False         # a 商务回访 callback: account_id is the 出访编号
    opened_today: bool = False     # a new client opened on the plan day (新开客户, 新增 after the morning)

    @property
    def must(self) -> bool:
        """Above the line whatever its block's minutes: priority 1 (异常, 续费) and a booked visit.
        Maintenance that cannot wait (剩余 ≥ working days left) goes first in its block but within
        its minutes: at the month's end everything owed cannot wait, and a day still has 8 hours."""
        return self.priority == RENEWAL or self.kind == VISIT_ITEM

    @property
    def priority_label(self) -> str:
        return self.label or {RENEWAL: RENEWAL_LABEL, NEWCLIENT: "2 新客户", MAINTENANCE: MAINTENANCE_LABEL}[self.priority]


@dataclass(frozen=True)
class PlanInquiry:
    """A client inquiry (咨询) not answered yet: its 时限 and the reason 「网络咨询 还剩 2 小时」."""
    account_id: str
    name: str
    due: datetime
    reason: str


@dataclass(frozen=True)
class PlanProspect:
    """A prospect callback due or late (商务回访, rules/prospects.callbacks_due): its 出访编号 stands
    where an account's ID would."""
    number: str
    client: str
    what: str                      # 回访 / 反馈商务 / 跟进
    reason: str
    late: bool = False


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
class PlanVisit:
    """A row of 预约: the day a visit was booked for."""
    account_id: str
    name: str
    day: date
    note: str = ""


@dataclass(frozen=True)
class PlanMissed:
    """A client not reached: on yesterday's plan and not done, or reached only through 其他人员."""
    account_id: str
    name: str
    reason: str                    # 「12-04 的计划没有完成」, 「12-03 只联系到其他人员」
    decision_maker: bool = False   # a 联系决策人 item of its own (the 其他人员 case)


@dataclass(frozen=True)
class PlanLine:
    """One line of 今日: the due items of one client in one block (one contact serves them).
    What makes each item done: `maintenance` — a valid record of that 工作类型 on the day;
    `contacts` — that many items done by any valid record of the client that day, or its
    提醒日期 (续费, 异常, 回访); `step` — one of its onboarding steps dated that day (新客户);
    `reserve` — a visit booked in 预约 after the day (预约上门); `answer` — an answer to the
    client's inquiry dated that day in 咨询 (答复咨询); `prospect` — a 回访日期 or 反馈商务日期 of
    that day in 商务回访 for the 出访编号 the line holds."""
    priority: int
    label: str                     # 优先级 (1 异常, 1 续费, 2 新客户, 3 维护, 3 回访)
    account_id: str
    name: str
    level: str
    item: str                      # 事项: the items joined by " + "
    reason: str                    # 原因: their reasons joined by "；"
    maintenance: tuple[str, ...] = ()
    contacts: int = 0
    step: bool = False
    reserve: bool = False
    answer: bool = False
    prospect: bool = False
    fresh: bool = False            # holds a client opened on the plan day
    slot: str = ""                 # 时间段 「13:00-14:00 回访」
    block: str = ""                # the block's name
    items: int = 0                 # 项数: the items of the line (a summary line: 0)
    minutes: int = 0
    above: bool = False            # above the 有余力再做 divider: today's plan
    must: bool = False             # above whatever the block's minutes (priority 1, a booked visit)
    valid_items: int = 0           # items that produce a valid 工作记录 row

    @property
    def contact(self) -> bool:
        return self.contacts > 0

    @property
    def urgent(self) -> bool:
        """A priority-1 line (异常, 续费): above the divider however long the plan gets."""
        return self.priority == RENEWAL


@dataclass(frozen=True)
class BlockLoad:
    """A block of the day as planned: its minutes, the minutes of its lines above the line, and
    why it holds more (priority 1, the daily valid-work floor)."""
    block: PlanBlock
    used: int
    items: int
    why: str = ""

    @property
    def overrun(self) -> int:
        return max(0, self.used - self.block.minutes)

    def header(self) -> str:
        """The block's header line on 今日: 「计划 3 项 · 40/60 分钟」 (+ the overrun and why)."""
        text = f"计划 {self.items} 项 · {self.used}/{self.block.minutes} 分钟"
        if self.overrun:
            text += f"，超出 {self.overrun} 分钟（{self.why or '优先级 1、不能等的事项'}）"
        return text


@dataclass(frozen=True)
class Plan:
    day: date
    working_days: int              # W
    elapsed: int                   # E (including the plan day)
    days_left: int                 # W − E + 1 (including the plan day)
    suggested: int                 # 建议今日完成: the items above the line
    items: tuple[PlanItem, ...]
    lines: tuple[PlanLine, ...] = ()   # above the line block by block, then the rest block by block
    planned: int = 0               # lines above the divider: today's plan; the rest 有余力再做
    blocks: tuple[BlockLoad, ...] = ()
    pace: int = 0                  # max(daily_valid_target, ⌈本月剩余目标 ÷ 剩余工作日⌉): the month's pace
    report_day: bool = False       # one of the month's first report_days working days
    summary_day: bool = False      # the month's last working day


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
            fresh.append((key, PlanItem(RENEWAL, r.account_id, r.name, "", "续费提醒", reason, kind="续费")))
        elif r.last_follow_up is not None and r.last_follow_up < day:
            age = calendar.count(r.last_follow_up + timedelta(days=1), day)
            if age >= follow_up_days:
                stale.append(((r.last_follow_up, r.account_id),
                              PlanItem(RENEWAL, r.account_id, r.name, "", "续费跟进",
                                       f"上次跟进 {r.last_follow_up.isoformat()}，已 {age} 个工作日", kind="续费")))
    return [i for _, i in sorted(fresh, key=lambda p: p[0])] + [i for _, i in sorted(stale, key=lambda p: p[0])]


def planned_renewals(rows, day: date, calendar: WorkCalendar, config) -> dict[str, dict[str, PlanItem]]:
    """{客服: {帐户ID: its 续费提醒 item}} of 续费跟踪 rows (records.RenewalRow) due and never
    reminded on `day` — what `kefu-xl serve` watches for renewals that became due after the
    morning plans."""
    out: dict[str, dict[str, PlanItem]] = {}
    for person in sorted({r.staff for r in rows if r.staff}):
        mine = [PlanRenewal(r.account_id, r.client, r.status, r.reminded, r.reminded,
                            days_of_spend(r.balance, r.weekly_spend), r.contract_end) for r in rows if r.staff == person]
        items = renewal_items(mine, day, calendar, config.renewal_follow_up_days, config.due_balance_days)
        out[person] = {i.account_id: i for i in items if i.item == "续费提醒"}
    return out


def newclient_items(rows: list[PlanNewClient], day: date | None = None) -> list[PlanItem]:
    """Priority 2: the first empty step of each client still in onboarding; 逾期 first, then
    by 辅导期结束, then 帐户ID. A client opened on `day` says so (and is added to a plan made
    earlier that day)."""
    chosen = [r for r in rows if r.state in (OVERDUE, COACHING) and r.next_step]
    chosen.sort(key=lambda r: (r.state != OVERDUE, r.coaching_end or date.max, r.account_id))
    out = []
    for r in chosen:
        end = r.coaching_end.isoformat() if r.coaching_end else "未知"
        reason = f"已逾期：辅导期 {end} 结束" if r.state == OVERDUE else f"辅导期至 {end}"
        today = day is not None and r.opened == day
        out.append(PlanItem(NEWCLIENT, r.account_id, r.name, "", r.next_step, f"今天开户；{reason}" if today else reason,
                            kind="新客户", opened_today=today))
    return out


def maintenance_items(accounts: list[PlanAccount], working_days: int, elapsed: int,
                      booked: frozenset[str] = frozenset()) -> list[PlanItem]:
    """Priority 3: items behind the pro-rata line or that cannot wait, in the order of docs/plan.md.
    A due 上门拜访 is never a same-day item: it is 「预约上门」 (a call to book the day), unless
    the client's visit is already booked (`booked`: account keys with a 预约 on or after the day)."""
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
            if kind == VISIT_ITEM:
                if a.account_id.casefold() in booked:
                    continue
                item = PlanItem(MAINTENANCE, a.account_id, a.name, a.level, RESERVE_ITEM,
                                f"{reason}：约好上门的日期，填进「预约」表", _two(behind), kind=RESERVE_ITEM,
                                days_left=days_left if cannot_wait else None)
            else:
                item = PlanItem(MAINTENANCE, a.account_id, a.name, a.level, kind, reason, _two(behind),
                                progress=(done, target), days_left=days_left if cannot_wait else None, kind=kind)
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


def inquiry_items(rows: list[PlanInquiry]) -> list[PlanItem]:
    """Priority 1, first of all (看消耗): the client inquiries not answered yet (docs/inquiries.md),
    the soonest 时限 first, a client once."""
    out, seen = [], set()
    for r in sorted(rows, key=lambda r: (r.due, r.account_id)):
        if r.account_id.casefold() not in seen:
            seen.add(r.account_id.casefold())
            out.append(PlanItem(RENEWAL, r.account_id, r.name, "", INQUIRY_ITEM, r.reason, label=INQUIRY_LABEL,
                                kind=INQUIRY_KIND))
    return out


def prospect_items(rows: list[PlanProspect]) -> list[PlanItem]:
    """商务回访 due (the 未签客户 流程, docs/prospects.md): in 未联系上, the late ones first (as given)."""
    names = {"回访": "商务回访", "反馈商务": "反馈商务", "跟进": "跟进（商务客户）"}
    return [PlanItem(NEWCLIENT, r.number, r.client, "", names.get(r.what, r.what), r.reason, label=PROSPECT_LABEL,
                     kind=NOT_REACHED_BLOCK, prospect=True) for r in rows]


def anomaly_items(rows: list[PlanAnomaly]) -> list[PlanItem]:
    """Priority 1, before renewals: the anomalies not told to the client — 消耗降为0, then 余额不足,
    消耗骤降, 消耗突增 — each by the money at stake, larger first; a client once, with the latest
    anomaly's reason (an anomaly seen four days running is one item, not four)."""
    def rank(r: PlanAnomaly) -> int:
        return min((i for i, w in enumerate(ANOMALY_ORDER) if w in r.what), default=len(ANOMALY_ORDER))
    latest: dict[str, PlanAnomaly] = {}          # one item per client: its latest anomaly's reason only
    for r in sorted(rows, key=lambda r: (r.day, -rank(r), anomaly_stake(r))):
        latest[r.account_id.casefold()] = r
    out = []
    for r in sorted(latest.values(), key=lambda r: (rank(r), -anomaly_stake(r), r.day, r.account_id)):
        out.append(PlanItem(RENEWAL, r.account_id, r.name, "", ANOMALY_ITEM, anomaly_reason(r), label=ANOMALY_LABEL,
                            kind="异常"))
    return out


def unhappy_items(rows: list[PlanCadence]) -> list[PlanItem]:
    """回访 of clients who said they were 不满意 / 很不满意 on a call and were not contacted since
    (rules/outcomes.UNHAPPY; `reason` holds the day they said it), the longest wait first."""
    return [PlanItem(MAINTENANCE, r.account_id, r.name, r.level, UNHAPPY_ITEM, r.reason, label=CADENCE_LABEL,
                     kind="不满意回访")
            for r in sorted(rows, key=lambda r: (-r.gap, r.account_id))]


def cadence_items(rows: list[PlanCadence], planned: set[str]) -> list[PlanItem]:
    """After the maintenance items: clients due for a call by the cadence that no line of the
    plan (keys in `planned`) already reaches; the longest silence first."""
    chosen = sorted((r for r in rows if r.account_id.casefold() not in planned), key=lambda r: (-r.gap, r.account_id))
    return [PlanItem(MAINTENANCE, r.account_id, r.name, r.level, CADENCE_ITEM, f"回访节奏：{r.reason}", label=CADENCE_LABEL,
                     kind="回访")
            for r in chosen]



def line_reason(group: list[PlanItem]) -> str:
    """The 原因 of one client's line: each item's own reason, the maintenance items in one
    clause (已做 电话拜访 0/4、报表发送 1/5 次) — short enough to read at a glance."""
    upkeep = [i for i in group if i.progress is not None and not i.monthly]
    if len(upkeep) < 2:
        return "；".join(dict.fromkeys(i.reason for i in group))
    done = "、".join(f"{i.item} {i.progress[0]}/{i.progress[1]}" for i in upkeep)
    left = min((i.days_left for i in upkeep if i.days_left is not None), default=None)
    clause = f"已做 {done} 次，" + (f"本月仅剩 {left} 个工作日" if left is not None else "按进度该做了")
    return "；".join(dict.fromkeys([*(i.reason for i in group if i not in upkeep), clause]))


def remaining_target(accounts: list[PlanAccount]) -> int:
    return sum(max(0, t - d) for a in accounts for t, d in zip(a.targets.as_tuple(), a.done.as_tuple()))


def visit_items(visits: list[PlanVisit], accounts: list[PlanAccount], day: date) -> list[PlanItem]:
    """The visits booked in 预约 for the day (not yet recorded that day): always above the line."""
    levels = {a.account_id.casefold(): a for a in accounts}
    out = []
    for v in sorted(visits, key=lambda v: v.account_id):
        a = levels.get(v.account_id.casefold())
        if v.day != day or (a is not None and VISIT_ITEM in a.done_today):
            continue
        note = f"（{v.note}）" if v.note else ""
        out.append(PlanItem(MAINTENANCE, v.account_id, v.name or (a.name if a else ""), a.level if a else "", VISIT_ITEM,
                            f"预约今天上门{note}", kind=VISIT_ITEM))
    return out


def report_day_items(accounts: list[PlanAccount]) -> list[PlanItem]:
    """报表日: the month's first 报表发送 of every account with a report target and none sent
    yet, 一级 first (they come before each block's own items)."""
    rank = {level: i for i, level in enumerate(LEVELS)}
    chosen = [a for a in accounts if a.targets.report > 0 and a.done.report == 0 and "报表发送" not in a.done_today]
    chosen.sort(key=lambda a: (rank.get(a.level, len(LEVELS)), a.account_id))
    return [PlanItem(MAINTENANCE, a.account_id, a.name, a.level, "报表发送",
                     f"报表日：发送本月第 1 份报表（目标 {a.targets.report} 份）", progress=(0, a.targets.report),
                     kind="报表发送", monthly=True) for a in chosen]


def missed_items(missed: list[PlanMissed], accounts: list[PlanAccount]) -> list[PlanItem]:
    """未联系上: 联系决策人 for the clients reached only through 其他人员 (the others' own items
    move to the block; see assign_blocks)."""
    levels = {a.account_id.casefold(): a.level for a in accounts}
    return [PlanItem(MAINTENANCE, m.account_id, m.name, levels.get(m.account_id.casefold(), ""), NOT_REACHED_ITEM,
                     m.reason, label=CADENCE_LABEL, kind=NOT_REACHED_BLOCK)
            for m in missed if m.decision_maker]


def summary_items(day_is_last: bool, accounts: list[PlanAccount], renewals: list[PlanRenewal],
                  month: Month) -> list[PlanItem]:
    """晚总结: the day's summary; on 总结日, what is still owed this month and next month's renewals
    (lines to read, not items to count)."""
    out = [PlanItem(MAINTENANCE, "", "", "", SUMMARY_ITEM,
                    "看「每日小结」：计划完成几项、有效工作是否达标；没做完的明天排进「未联系上」", kind=SUMMARY_ITEM)]
    if not day_is_last:
        return out
    for a in sorted(accounts, key=lambda a: a.account_id):
        owed = [f"{kind} {t - d}" for kind, t, d in zip(ITEM_TYPES, a.targets.as_tuple(), a.done.as_tuple()) if t > d]
        if owed:
            out.append(PlanItem(MAINTENANCE, a.account_id, a.name, a.level, "本月还差",
                                "总结日：" + "、".join(owed) + " 次", kind=SUMMARY_ITEM))
    following = month.next()
    for r in sorted(renewals, key=lambda r: (r.contract_end or date.max, r.account_id)):
        if r.status in OPEN_RENEWAL and r.contract_end is not None and following.contains(r.contract_end):
            out.append(PlanItem(MAINTENANCE, r.account_id, r.name, "", "下月续费",
                                f"总结日：合同 {r.contract_end.isoformat()} 到期", kind=SUMMARY_ITEM))
    return out


def item_minutes(item: PlanItem, settings: PlanSettings) -> int:
    return int(settings.minutes.get(item.kind, 10))


def assign_blocks(items: list[PlanItem], settings: PlanSettings, missed: list[PlanMissed],
                  report_day: bool) -> list[tuple[PlanBlock, PlanItem]]:
    """Each item with its block: by kind ([plan] blocks); a client not reached yesterday has its
    calls in 未联系上; on 报表日 the month's first reports fill the blocks but 看消耗, 续费 and 晚总结
    first, block by block up to their minutes (what is left stays in the last of them)."""
    not_reached = {m.account_id.casefold(): m for m in missed}
    missed_block = next((b for b in settings.blocks if b.name == NOT_REACHED_BLOCK or NOT_REACHED_BLOCK in b.kinds), None)
    fallback = settings.block_of("电话拜访") or settings.blocks[0]
    asked = settings.block_of(INQUIRY_KIND) or settings.block_of("异常") or settings.blocks[0]
    report_blocks = [b for b in settings.blocks if not {"异常", "续费", SUMMARY_ITEM} & set(b.kinds)]
    room = {b.name: b.minutes for b in report_blocks}
    said: set[str] = set()                 # a client's 未联系上 reason once, on its first item there
    out = []
    for item in items:
        block = settings.block_of(item.kind)
        if report_day and item.monthly and report_blocks:
            need = item_minutes(item, settings)
            block = next((b for b in report_blocks if room[b.name] >= need), report_blocks[-1])
            room[block.name] -= need
        elif missed_block is not None and item.kind in MOVABLE_KINDS and item.account_id.casefold() in not_reached:
            block = missed_block
            key = item.account_id.casefold()
            if key not in said and not not_reached[key].decision_maker:     # (联系决策人 says it itself)
                item = replace(item, reason=f"{not_reached[key].reason}；{item.reason}")
            said.add(key)
        if block is None:
            if item.kind == SUMMARY_ITEM:
                continue                  # a day without 晚总结
            block = missed_block if item.kind == NOT_REACHED_BLOCK and missed_block else \
                asked if item.kind == INQUIRY_KIND else fallback
        out.append((block, item))
    return out


def _line(block: PlanBlock, group: list[PlanItem], settings: PlanSettings) -> PlanLine:
    first = group[0]
    counted = [i for i in group if i.kind != SUMMARY_ITEM]
    return PlanLine(
        min(i.priority for i in group), first.priority_label, first.account_id, first.name,
        next((i.level for i in group if i.level), ""), " + ".join(dict.fromkeys(i.item for i in group)),
        line_reason(group),
        maintenance=tuple(dict.fromkeys(i.item for i in group if i.item in ITEM_TYPES)),
        contacts=sum(1 for i in group if i.kind in CONTACT_KINDS),
        step=any(i.kind == "新客户" for i in group), reserve=any(i.kind == RESERVE_ITEM for i in group),
        answer=any(i.kind == INQUIRY_KIND for i in group), prospect=any(i.prospect for i in group),
        fresh=any(i.opened_today for i in group),
        slot=block.slot, block=block.name, items=len(counted),
        minutes=sum(item_minutes(i, settings) for i in counted), must=any(i.must for i in group),
        valid_items=sum(1 for i in counted if i.kind in VALID_KINDS))


def lines_of(placed: list[tuple[PlanBlock, PlanItem]], settings: PlanSettings) -> dict[str, list[PlanLine]]:
    """{block name: its lines}: one line per client per block, in the place of the client's first
    item there (报表日's first reports ahead of the block's own items); 晚总结's lines one each."""
    grouped: dict[str, dict[object, list[PlanItem]]] = {b.name: {} for b in settings.blocks}
    blocks = {b.name: b for b in settings.blocks}
    ordered = sorted(enumerate(placed), key=lambda p: (not p[1][1].monthly, p[0]))
    for n, (block, item) in ordered:
        blocks.setdefault(block.name, block)
        key = (n,) if item.kind == SUMMARY_ITEM or not item.account_id else item.account_id.casefold()
        grouped.setdefault(block.name, {}).setdefault(key, []).append(item)
    return {name: [_line(blocks[name], group, settings) for group in groups.values()]
            for name, groups in grouped.items()}


def fill(by_block: dict[str, list[PlanLine]], settings: PlanSettings,
         valid_target: int) -> tuple[list[PlanLine], list[BlockLoad]]:
    """Above the line: each block's lines in order up to its minutes (the first that does not fit
    ends the block), priority-1 lines and booked visits always; then, while the lines above hold
    fewer than `valid_target` items that produce valid work and some below do, the first such
    lines below (the block's header says why it runs over)."""
    above: dict[str, list[PlanLine]] = {}
    below: dict[str, list[PlanLine]] = {}
    why: dict[str, str] = {}
    for name, lines in by_block.items():
        block = next((b for b in settings.blocks if b.name == name), None)
        capacity = block.minutes if block else 0
        used, open_ = 0, True
        for line in lines:
            if line.items == 0:                 # a summary line: read, not planned
                above.setdefault(name, []).append(line)
            elif line.must or (open_ and used + line.minutes <= capacity):
                above.setdefault(name, []).append(line)
                used += line.minutes
            else:
                open_ = False
                below.setdefault(name, []).append(line)
    valid = sum(line.valid_items for lines in above.values() for line in lines)
    for name in list(below):
        for line in list(below[name]):
            if valid >= valid_target:
                break
            if line.valid_items:
                below[name].remove(line)
                above.setdefault(name, []).append(line)
                valid += line.valid_items
                why[name] = f"保证每天 {valid_target} 项有效工作"
    order = [b.name for b in settings.blocks] + [n for n in by_block if n not in {b.name for b in settings.blocks}]
    lines = [replace(line, above=True) for n in order for line in above.get(n, [])]
    lines += [line for n in order for line in below.get(n, [])]
    loads = []
    for b in settings.blocks:
        mine = [line for line in above.get(b.name, []) if line.items]
        loads.append(BlockLoad(b, sum(line.minutes for line in mine), sum(line.items for line in mine), why.get(b.name, "")))
    return lines, loads


def make_plan(day: date, month: Month, calendar: WorkCalendar, accounts: list[PlanAccount],
              renewals: list[PlanRenewal], newclients: list[PlanNewClient], *, daily_valid_target: Decimal,
              renewal_follow_up_days: int = 5, due_balance_days: int = 7, anomalies: list[PlanAnomaly] = (),
              cadence: list[PlanCadence] = (), unhappy: list[PlanCadence] = (), visits: list[PlanVisit] = (),
              missed: list[PlanMissed] = (), settings: PlanSettings | None = None,
              urgent: list[PlanItem] = (), inquiries: list[PlanInquiry] = (),
              prospects: list[PlanProspect] = ()) -> Plan:
    """Today's plan for the working day on or after `day` (kept inside the month), as a timetable.
    `urgent`: priority-1 items brought since the morning (serve's add_urgent); each replaces the
    same client's item of its kind (the latest reason only)."""
    settings = settings or PlanSettings()
    day = plan_day(day, calendar, month)
    working = calendar.count(month.first, month.last)
    elapsed = calendar.count(month.first, day)
    days_left = working - elapsed + 1
    report_day, summary_day = elapsed <= settings.report_days, elapsed == working
    booked = frozenset(v.account_id.casefold() for v in visits if v.day >= day)
    upkeep = maintenance_items(accounts, working, elapsed, booked)
    monthly = report_day_items(accounts) if report_day else []
    if monthly:                          # the month's first report replaces the account's pro-rata one
        sent = {i.account_id.casefold() for i in monthly}
        upkeep = [i for i in upkeep if not (i.kind == "报表发送" and i.account_id.casefold() in sent)]
    brought = {(i.account_id.casefold(), i.kind) for i in urgent}
    items = (inquiry_items(list(inquiries)) + list(urgent)
             + [i for i in anomaly_items(list(anomalies)) if (i.account_id.casefold(), i.kind) not in brought]
             + renewal_items(renewals, day, calendar, renewal_follow_up_days, due_balance_days)
             + newclient_items(newclients, day) + prospect_items(list(prospects)) + visit_items(list(visits), accounts, day)
             + monthly + upkeep
             + missed_items(list(missed), accounts) + unhappy_items(list(unhappy)))
    items += cadence_items(list(cadence), {i.account_id.casefold() for i in items})
    placed = assign_blocks(items + summary_items(summary_day, accounts, renewals, month), settings, list(missed),
                           report_day)
    lines, loads = fill(lines_of(placed, settings), settings, math.ceil(daily_valid_target))
    planned_lines = [line for line in lines if line.above and line.items]
    pace = max(math.ceil(daily_valid_target), math.ceil(Fraction(remaining_target(accounts), days_left)))
    return Plan(day, working, elapsed, days_left, sum(line.items for line in planned_lines), tuple(items),
                tuple(lines), len([line for line in lines if line.above]), tuple(loads), pace, report_day,
                summary_day)
