"""Callback queue rules of the expo call desk (docs/callbacks.md): which task each sign-up, missed
call and check-in makes, its priority and its deadline in working hours of the statutory
calendar; a task's status and punctuality; the daily statistics. Pure functions, no I/O;
each figure mirrors a formula of kinds/callbacks.py."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from ..calendar import WorkCalendar
from ..records import Hours

HIGHEST, HIGH, MEDIUM = "最高", "高", "中"
PRIORITY_ORDER = {HIGHEST: 0, HIGH: 1, MEDIUM: 2}
NEW_SIGNUP, MISSED_CALL, OLD_SIGNUP, EVENT_SIGNUP = "新网友报名", "呼损回拨", "老网友报名", "专场/装大/卖场报名"
CHECKED_NO_ORDER, CHECKED_ORDER, NOT_CHECKED = "签到未下订", "签到有下订", "报名未签到"
TASK_CODES = {NEW_SIGNUP: "XB", OLD_SIGNUP: "LB", EVENT_SIGNUP: "HD", MISSED_CALL: "HS",
              CHECKED_NO_ORDER: "QW", CHECKED_ORDER: "QY", NOT_CHECKED: "WQ"}
NEW_USER, OLD_USER = "新网友", "老网友"
MAIN_EVENT = "主场"
EVENT_TYPES = ("主场", "专场", "装大", "卖场")
RESULTS = ("接通", "未接通", "空号", "拒接")
CONNECTED = "接通"
DONE, TRIED, OPEN = "已接通", "已尽力", "待回拨"


def in_working_hours(moment: datetime, hours: Hours, calendar: WorkCalendar) -> bool:
    return calendar.is_workday(moment.date()) and hours.start <= moment.time() < hours.end


def next_workday(day: date, calendar: WorkCalendar) -> date:
    day += timedelta(days=1)
    while not calendar.is_workday(day):
        day += timedelta(days=1)
    return day


def next_opening_day(moment: datetime, hours: Hours, calendar: WorkCalendar) -> date:
    """The first working day whose working hours start after `moment` (today when it is a
    working day and the desk has not opened yet)."""
    day = moment.date()
    if calendar.is_workday(day) and moment.time() < hours.start:
        return day
    return next_workday(day, calendar)


def signup_deadline(moment: datetime, minutes: int, hours: Hours, calendar: WorkCalendar) -> datetime:
    """`minutes` after a sign-up inside working hours; otherwise 12:00 of the next working day."""
    if in_working_hours(moment, hours, calendar):
        return moment + timedelta(minutes=minutes)
    return datetime.combine(next_opening_day(moment, hours, calendar), hours.noon)


def missed_call_deadline(moment: datetime, hours: Hours, calendar: WorkCalendar) -> datetime:
    """The next check time after a missed call, the same day; after the last check (or on a
    day off) the first check of the next working day."""
    if calendar.is_workday(moment.date()):
        for check in hours.checks:
            if moment.time() < check:
                return datetime.combine(moment.date(), check)
    return datetime.combine(next_workday(moment.date(), calendar), hours.checks[0])


def event_window(start: date, hours: Hours, calendar: WorkCalendar) -> tuple[datetime, datetime]:
    """(trigger, deadline) of the call before a 专场/装大/卖场 event: from 7 days before its start
    to the end of the last working day before it."""
    last = start - timedelta(days=1)
    while not calendar.is_workday(last):
        last -= timedelta(days=1)
    # a week before an event right after a long holiday can fall after its last working day
    trigger = min(datetime.combine(start - timedelta(days=hours.event_days_before), hours.start),
                  datetime.combine(last, hours.start))
    return trigger, datetime.combine(last, hours.end)


def after_event(end: date, hours: Hours, calendar: WorkCalendar) -> tuple[datetime, datetime]:
    """(trigger, deadline) of the calls after an event: its end, and the end of the next working day."""
    return datetime.combine(end, hours.end), datetime.combine(next_workday(end, calendar), hours.end)


@dataclass(frozen=True)
class Task:
    """A callback task as written into 回访 (identity and deadline; the attempts are typed)."""
    task_id: str
    priority: str
    kind: str
    customer: str
    phone: str
    event: str
    trigger: datetime
    deadline: datetime

    def sort_key(self):
        return (PRIORITY_ORDER[self.priority], self.deadline, self.task_id)


def signup_tasks(signup_id: str, at: datetime, customer: str, phone: str, event: str, user_type: str,
                 event_type: str, event_start: date | None, hours: Hours, calendar: WorkCalendar) -> list[Task]:
    """A sign-up's tasks: 新网友 → within 15 minutes; 老网友 for a 主场 → within an hour; any
    sign-up for a 专场/装大/卖场 → a call in the week before it starts (when there is still time)."""
    tasks = []
    if user_type == NEW_USER:
        tasks.append(Task(f"{TASK_CODES[NEW_SIGNUP]}-{signup_id}", HIGHEST, NEW_SIGNUP, customer, phone, event, at,
                          signup_deadline(at, hours.new_minutes, hours, calendar)))
    elif event_type == MAIN_EVENT:
        tasks.append(Task(f"{TASK_CODES[OLD_SIGNUP]}-{signup_id}", HIGH, OLD_SIGNUP, customer, phone, event, at,
                          signup_deadline(at, hours.old_minutes, hours, calendar)))
    if event_type in EVENT_TYPES and event_type != MAIN_EVENT and event_start is not None:
        trigger, deadline = event_window(event_start, hours, calendar)
        if at < deadline:
            tasks.append(Task(f"{TASK_CODES[EVENT_SIGNUP]}-{signup_id}", HIGH, EVENT_SIGNUP, customer, phone, event,
                              max(trigger, at), deadline))
    return tasks


def missed_call_task(at: datetime, phone: str, hours: Hours, calendar: WorkCalendar) -> Task:
    """One task per number and deadline: several missed calls before one check are one callback."""
    deadline = missed_call_deadline(at, hours, calendar)
    return Task(f"{TASK_CODES[MISSED_CALL]}-{phone}-{deadline:%Y%m%d%H%M}", HIGHEST, MISSED_CALL, "", phone, "",
                at, deadline)


def checkin_task(phone: str, event: str, checked_in: bool, ordered: bool, customer: str, end: date,
                 hours: Hours, calendar: WorkCalendar) -> Task:
    kind = (CHECKED_ORDER if ordered else CHECKED_NO_ORDER) if checked_in else NOT_CHECKED
    trigger, deadline = after_event(end, hours, calendar)
    return Task(f"{TASK_CODES[kind]}-{event}-{phone}", MEDIUM, kind, customer, phone, event, trigger, deadline)


# --------------------------------------------------------------------------- attempts

@dataclass(frozen=True)
class Attempts:
    """What the desk typed for a task: up to three (time, result) pairs."""
    times: tuple[datetime | None, ...]
    results: tuple[str, ...]
    filled: tuple[bool, ...]        # the time cell has anything in it


def status(a: Attempts) -> str:
    """已接通 when any result is 接通; 已尽力 when ≥ 2 attempts all failed; else 待回拨."""
    if CONNECTED in a.results:
        return DONE
    if sum(1 for r in a.results if r) >= 2:
        return TRIED
    return OPEN


def on_time(a: Attempts, deadline: datetime | None) -> bool | None:
    """按时: the first call at or before the deadline (None until the first call)."""
    first = a.times[0]
    if first is None or deadline is None:
        return None
    return first <= deadline


def tries(a: Attempts) -> int:
    return sum(1 for r in a.results if r)


def daily_stats(days: list[date], calls: list[tuple[datetime, bool]], tasks: list[Task],
                attempts: list[Attempts]) -> list[dict]:
    """日统计 per day: 来电, 呼损, 呼损率 (÷ 来电), 新任务 (triggered that day); of the tasks due
    that day: 按时率 (first call in time), 接通率 (connected), 两次拨打合规 (of those not
    connected, the share tried at least twice)."""
    rows = []
    for day in days:
        incoming = [answered for at, answered in calls if at.date() == day]
        missed = sum(1 for answered in incoming if not answered)
        due = [(t, a) for t, a in zip(tasks, attempts) if t.deadline.date() == day]
        not_connected = [a for _, a in due if status(a) != DONE]
        rows.append({
            "日期": day, "来电": len(incoming), "呼损": missed, "呼损率": _ratio(missed, len(incoming)),
            "新任务": sum(1 for t in tasks if t.trigger.date() == day),
            "按时率": _ratio(sum(1 for t, a in due if on_time(a, t.deadline)), len(due)),
            "接通率": _ratio(len(due) - len(not_connected), len(due)),
            "两次拨打合规": _ratio(sum(1 for a in not_connected if tries(a) >= 2), len(not_connected)),
        })
    return rows


def _ratio(part: int, whole: int) -> Decimal | None:
    return None if not whole else Decimal(part) / Decimal(whole)
