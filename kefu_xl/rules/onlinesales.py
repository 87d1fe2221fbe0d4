"""Online-sales desk rules (docs/onlinesales.md): a lead's status and follow-up deadline in statutory
working days, the conversion table per channel and per week, the per-manager follow-up
table, the daily callback target and the commission tiers. Pure functions, no I/O; each
mirrors a formula of kinds/onlinesales.py."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from ..calendar import WorkCalendar
from ..config import ONLINE_CHANNELS, Tier
from ..month import Month
from ..records import Lead, LeadCall
from .completion import ratio
from .deadlines import late, nth_workday_after, weeks_touching

YES, NO = "是", "否"
CURRENT, CARRIED = "当月", "遗留"
MANAGER, DESK = "业务经理", "网销客服"
INVALID, DEAL, LOST, UNCHECKED, UNASSIGNED, FOLLOWING = "无效", "成交", "未成交", "待核实", "待分配", "跟进中"
OPEN_STATUSES = (UNCHECKED, UNASSIGNED, FOLLOWING)
FALLBACK_CHANNEL = "其他"
BY_CHANNEL, TOTAL, BY_WEEK = "渠道", "合计", "周"
CENT = Decimal("0.01")


def status(lead: Lead) -> str:
    """无效 / 成交 / 未成交 (成交 否: given up) / 待核实 (有效 not 是 yet) / 待分配 / 跟进中."""
    if lead.valid == NO:
        return INVALID
    if lead.deal == YES:
        return DEAL
    if lead.deal == NO:
        return LOST
    if lead.valid != YES:
        return UNCHECKED
    if not lead.manager or lead.assigned is None:
        return UNASSIGNED
    return FOLLOWING


def follow_deadline(lead: Lead, days: int, calendar: WorkCalendar) -> date | None:
    """跟进时限 = 分配日期 + N statutory working days."""
    return None if lead.assigned is None else nth_workday_after(lead.assigned, days, calendar)


def follow_late(lead: Lead, deadline: date | None, as_of: date) -> bool | None:
    """跟进超时: first follow-up after the deadline, or none yet and 截至日期 past it."""
    return late(lead.followed, lead.followed_filled, deadline, as_of)


def channel_group(channel: str) -> str:
    """The 渠道 a lead is counted under: a blank or unknown one is 其他."""
    return channel if channel in ONLINE_CHANNELS else FALLBACK_CHANNEL


def deal_in(lead: Lead, month: Month) -> bool:
    """The lead closed in the month: 成交 是 with a 成交日期 inside it (what 提成 pays)."""
    return lead.deal == YES and month.contains(lead.deal_date)


def carried_over(lead: Lead) -> bool:
    """Next month's 询盘 carries every open lead: not 无效, not 成交, not given up."""
    return status(lead) in OPEN_STATUSES


@dataclass(frozen=True)
class Judged:
    lead: Lead
    status: str
    deadline: date | None
    late: bool | None
    deal: bool           # closed in the month


def judge(leads: list[Lead], days: int, month: Month, as_of: date, calendar: WorkCalendar) -> list[Judged]:
    out = []
    for lead in leads:
        deadline = follow_deadline(lead, days, calendar)
        out.append(Judged(lead, status(lead), deadline, follow_late(lead, deadline, as_of), deal_in(lead, month)))
    return out


def conversion_periods(month: Month) -> list[tuple[str, str, date, date]]:
    """(维度, 分组, 开始, 结束) rows of 转化率: every channel, the month, every Monday–Sunday
    week touching it (cut to the month)."""
    rows = [(BY_CHANNEL, ch, month.first, month.last) for ch in ONLINE_CHANNELS]
    rows.append((TOTAL, "本月", month.first, month.last))
    for monday, sunday in weeks_touching(month.first, month.last):
        start, end = max(monday, month.first), min(sunday, month.last)
        rows.append((BY_WEEK, f"{start:%m-%d} 至 {end:%m-%d}", start, end))
    return rows


def conversion(judged: list[Judged], month: Month) -> list[dict]:
    """转化率: of the month's own inquiries (遗留 not counted again) dated in each period —
    询盘, 有效, 有效率, 成交 (closed in the month), 转化率 = 成交 ÷ 有效, 成交金额."""
    rows = []
    for dimension, group, start, end in conversion_periods(month):
        inside = [j for j in judged if (j.lead.source or CURRENT) == CURRENT and j.lead.day is not None
                  and start <= j.lead.day <= end
                  and (dimension != BY_CHANNEL or channel_group(j.lead.channel) == group)]
        valid = sum(1 for j in inside if j.lead.valid == YES)
        deals = [j for j in inside if j.deal]
        rows.append({"维度": dimension, "分组": group, "开始": start, "结束": end, "询盘": len(inside), "有效": valid,
                     "有效率": ratio(valid, len(inside)), "成交": len(deals), "转化率": ratio(len(deals), valid),
                     "成交金额": sum((j.lead.amount or Decimal(0) for j in deals), Decimal(0))})
    return rows


def people(configured: tuple[str, ...], met: list[str]) -> list[str]:
    """The configured names first, then anyone else met in the rows."""
    names = list(configured)
    for name in met:
        if name and name not in names:
            names.append(name)
    return names


def follow_up(judged: list[Judged], managers: list[str]) -> list[dict]:
    """跟进 per 业务经理: 分配 (assigned with a date), 已跟进 (of those, followed), 未跟进,
    超时, 成交 (closed in the month)."""
    rows = []
    for name in managers:
        mine = [j for j in judged if j.lead.manager == name]
        assigned = [j for j in mine if j.lead.assigned is not None]
        followed = sum(1 for j in assigned if j.lead.followed is not None)
        rows.append({"业务经理": name, "分配": len(assigned), "已跟进": followed, "未跟进": len(assigned) - followed,
                     "超时": sum(1 for j in mine if j.late), "成交": sum(1 for j in mine if j.deal)})
    return rows


def commission(amount: Decimal, tiers: tuple[Tier, ...], mode: str) -> tuple[Decimal | None, Decimal]:
    """(提成比例, 提成) of a monthly deal total. 全额: the whole amount at the rate of the tier
    it reaches; 累进: each slice above a tier's start at that tier's rate. Cents, half up."""
    if mode == "累进":
        fee = sum(((amount - t.start) * (t.rate - (tiers[i - 1].rate if i else Decimal(0)))
                   for i, t in enumerate(tiers) if amount > t.start), Decimal(0))
        fee = fee.quantize(CENT, ROUND_HALF_UP)
        return (None if amount == 0 else fee / amount), fee
    reached = [t for t in tiers if t.start <= amount]
    rate = reached[-1].rate if reached else Decimal(0)
    return rate, (amount * rate).quantize(CENT, ROUND_HALF_UP)


def commission_rows(judged: list[Judged], managers: list[str], desk: list[str], settings) -> list[dict]:
    """提成 per 业务经理 (deals they closed) and per 网销客服 (deals of inquiries they received)."""
    rows = []
    for role, names, field, tiers in ((MANAGER, managers, "manager", settings.commission),
                                      (DESK, desk, "desk", settings.desk_commission)):
        for name in names:
            deals = [j for j in judged if j.deal and getattr(j.lead, field) == name]
            amount = sum((j.lead.amount or Decimal(0) for j in deals), Decimal(0))
            rate, fee = commission(amount, tiers, settings.commission_mode)
            rows.append({"角色": role, "姓名": name, "成交数": len(deals), "成交金额": amount, "提成比例": rate,
                         "提成": fee})
    return rows


def callback_days(calls: list[LeadCall], staff: list[str], days: list[date], target: int) -> list[dict]:
    """回访统计 per (日期, 客服): 回访, 接通, 达标 (接通 ≥ target)."""
    rows = []
    for day in days:
        for name in staff:
            mine = [c for c in calls if c.day == day and c.staff == name]
            connected = sum(1 for c in mine if c.connected)
            rows.append({"日期": day, "客服": name, "回访": len(mine), "接通": connected,
                         "达标": YES if connected >= target else NO})
    return rows
