"""Callback cadence of the client archive (docs/archive.md: 至少每月两次回访; 
每 10–15 天回访一次). Pure: from the dates of an account's valid contacts this month.

间隔工作日 = working days after the last contact up to and including the day (from the 1st
when there was none this month). 应联系 when that gap exceeds `max_gap`, or when the
contacts still missing for `min_contacts` are as many as the working days left including the
day (wait one more day and the minimum is out of reach).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from ..calendar import WorkCalendar
from ..month import Month


@dataclass(frozen=True)
class Cadence:
    contacts: int                  # 本月联系次数: days with a valid contact, up to the day
    last: date | None              # 上次联系
    gap: int                       # 间隔工作日
    due: bool                      # 应联系
    reason: str                    # why (for the plan), "" when not due


def cadence(contact_days: set[date], day: date, month: Month, calendar: WorkCalendar, *, max_gap: int,
            min_contacts: int) -> Cadence:
    days = sorted(d for d in contact_days if month.first <= d <= day)
    last = days[-1] if days else None
    gap = calendar.count(last + timedelta(days=1), day) if last else calendar.count(month.first, day)
    left = calendar.count(day, month.last)
    missing = max(0, min_contacts - len(days))
    reason = ""
    if gap > max_gap:
        reason = (f"已 {gap} 个工作日未联系（上次 {last.isoformat()}）" if last
                  else f"本月已 {gap} 个工作日未联系")
    elif missing and missing >= left:
        reason = f"本月联系 {len(days)} 次，至少 {min_contacts} 次，仅剩 {left} 个工作日"
    return Cadence(len(days), last, gap, bool(reason), reason)
