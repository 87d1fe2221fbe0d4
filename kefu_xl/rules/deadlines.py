"""Deadlines in statutory working days, shared by the ledgers (complaints, online sales):
the n-th working day after a date, lateness as the sheets' formulas judge it, and the
Monday–Sunday weeks of a period. Pure functions."""
from __future__ import annotations

from datetime import date, timedelta

from ..calendar import WorkCalendar


def nth_workday_after(day: date, n: int, calendar: WorkCalendar) -> date:
    """The n-th statutory working day after `day` (n = 0: the day itself)."""
    if n <= 0:
        return day
    found = 0
    while found < n:
        day += timedelta(days=1)
        if calendar.is_workday(day):
            found += 1
    return day


def late(done: date | None, filled: bool, deadline: date | None, as_of: date) -> bool | None:
    """Late: done after the deadline, or not done and 截至日期 past it. A cell holding text
    (filled, not a date) is not late: the formula cannot compare it."""
    if deadline is None:
        return None
    if done is not None:
        return done > deadline
    if filled:
        return False
    return as_of > deadline


def weeks_touching(first: date, last: date) -> list[tuple[date, date]]:
    """(Monday, Sunday) of every week that has a day between first and last."""
    monday = first - timedelta(days=first.weekday())
    weeks = []
    while monday <= last:
        weeks.append((monday, monday + timedelta(days=6)))
        monday += timedelta(days=7)
    return weeks
