"""When `kefu-xl serve` acts (docs/daily.md): pure functions of the clock and of what it has
already done, so the rules are tested on a fake clock and the loop only asks them."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from enum import Enum

from ..month import Month

Stamp = tuple[int, int]          # (modification time in ns, size): one version of a file


class Action(Enum):
    """What serve does with a personal workbook or a team tracker in one cycle."""
    SAVED = "保存后重算"          # someone saved it (and closed it) since serve last handled it
    PLAN = "早计划"               # the day's morning plan is due
    URGENT = "加紧急事项"         # the spend watch found something for this person: into 今日 at once
    WAIT = "等待关闭"             # something is due but the file is open in Excel/WPS/LibreOffice


def serve_month(now: datetime) -> Month:
    """The month whose files serve looks after: the calendar month of `now`, so at midnight
    of the 1st it moves on to the new month's folder (its files once the month is opened)."""
    return Month.of(now.date())


def morning_plan_due(now: datetime, plan_at: time, working_day: bool, planned: date | None) -> bool:
    """A workbook gets the morning plan on a working day once `plan_at` has passed (so also
    at a start-up after it), unless it already has that day's plan — made by serve, by the
    ribbon button or by a recalc (`planned`: the day of the plan it has): one plan a day."""
    return working_day and now.time() >= plan_at and planned != now.date()


def file_action(stamp: Stamp, handled: Stamp | None, failed: Stamp | None, locked: bool,
                plan_due: bool, urgent: bool = False) -> Action | None:
    """What to do with a file this cycle. `handled`: the version serve last recalculated (or
    found at start); `failed`: a version that could not be recalculated, left alone until
    it is saved again; `urgent`: new urgent items wait for its 今日. A file that is open is
    never written: it waits, and is done when it closes."""
    if stamp == failed:
        return None
    due = Action.SAVED if stamp != handled else Action.PLAN if plan_due else Action.URGENT if urgent else None
    if due is not None and locked:
        return Action.WAIT
    return due


def collect_due(now: datetime, last: datetime | None, changed: bool, minutes: int) -> bool:
    """Collect the team trackers when a personal workbook changed since the last collection,
    at most every `minutes` (0: as soon as one changed)."""
    if not changed:
        return False
    return minutes == 0 or last is None or now - last >= timedelta(minutes=minutes)


def exports_due(found: dict[date, Stamp], before: dict[date, Stamp], watched: dict[date, Stamp]) -> list[date]:
    """The days whose spend export should be watched now: a version not watched yet that was
    already there, unchanged, one cycle ago (`before`) — a file still being copied in is not
    read half-written. Each version of a day's export is watched once."""
    return sorted(day for day, stamp in found.items() if watched.get(day) != stamp and before.get(day) == stamp)
