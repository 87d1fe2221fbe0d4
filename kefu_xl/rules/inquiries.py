"""咨询 answered on time (docs/inquiries.md, the 客服服务标准 by level): the 时限 of an
inquiry from its client's level and its channel, counted in working minutes of the statutory
working days ([calendar] work_hours, lunch not counted), and whether the answer was in time.

The 时限 is Python's alone (a value rewritten at recalc); 及时 is a live formula over typed
cells, and `on_time` is the same rule in Python. Times are typed as 9:30, 930 or 9.30:
`clock_of` reads them as `clock_formula` does in the workbook."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

from ..calendar import WorkCalendar
from .callbacks import next_workday

CHANNELS = ("电话", "网络", "邮件")
PHONE, ONLINE, MAIL = CHANNELS
DEFAULT_LEVEL = "二级"          # an account without a level (a new client, not in 帐户): the middle promise
ON_TIME, LATE = "是", "否"

_FULL = {ord(c): ord(c) - 0xFEE0 for c in "０１２３４５６７８９：．"}


def clock_of(value) -> time | None:
    """The time a cell holds: a time, a fraction of a day, or text/number typed as 9:30, 930,
    9.30 (9.3 read as 9:30); None when blank. ValueError when it is none of these."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.time().replace(second=0, microsecond=0)
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0)
    if isinstance(value, str):
        text = value.strip().translate(_FULL)
        if ":" in text:
            hours, _, minutes = text.partition(":")
            return _clock(int(hours), int(minutes[:2]))
        try:
            number = Decimal(text)
        except ArithmeticError:
            raise ValueError(text) from None
        return _from_number(number, text)
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise ValueError(value)
    return _from_number(Decimal(str(value)), str(value))


def _from_number(number: Decimal, text: str) -> time:
    if number < 1:                         # a time cell: a fraction of a day
        minutes = int((number * 1440).to_integral_value())
        return _clock(minutes // 60, minutes % 60)
    if number < 24:                        # 9.30 (or 9.3 once Excel made it a number): hours.minutes
        hours = int(number)
        return _clock(hours, int(((number - hours) * 100).to_integral_value()))
    if number == int(number):              # 930, 0930
        return _clock(int(number) // 100, int(number) % 100)
    raise ValueError(text)


def _clock(hours: int, minutes: int) -> time:
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        raise ValueError(f"{hours}:{minutes}")
    return time(hours, minutes)


def clock_formula(ref: str) -> str:
    """clock_of in a formula: the time (a fraction of a day) typed in `ref`, "" when blank or unreadable."""
    def number(v: str) -> str:
        return f"IF({v}<1,{v},IF({v}<24,INT({v})/24+ROUND(MOD({v},1)*100,0)/1440,INT({v}/100)/24+MOD({v},100)/1440))"
    text = f"ASC({ref})"
    return (f'IF({ref}="","",IF(ISNUMBER({ref}),{number(ref)},IFERROR(IF(ISNUMBER(SEARCH(":",{text})),'
            f'MOD(TIMEVALUE({text}),1),{number(f"VALUE({text})")}),"")))')


class WorkingTime:
    """Working minutes of the statutory working days: `spans` of each working day (09:00-12:00,
    13:00-18:00), `calendar` for which days work."""

    def __init__(self, spans: tuple[tuple[time, time], ...], calendar: WorkCalendar):
        self.spans, self.calendar = spans, calendar
        self.day_minutes = sum(_minutes(e) - _minutes(s) for s, e in spans)

    def add(self, start: datetime, minutes: int) -> datetime:
        """`minutes` working minutes after `start` (from the next opening when it is outside hours)."""
        moment = start.replace(second=0, microsecond=0)
        day = moment.date()
        for _ in range(400):                          # (a year of days: a calendar with no working day ends it)
            if self.calendar.is_workday(day):
                for s, e in self.spans:
                    opens, closes = datetime.combine(day, s), datetime.combine(day, e)
                    begin = max(moment, opens)
                    if begin >= closes:
                        continue
                    left = int((closes - begin).total_seconds() // 60)
                    if minutes <= left:
                        return begin + timedelta(minutes=minutes)
                    minutes -= left
                    moment = closes
            day += timedelta(days=1)
            moment = max(moment, datetime.combine(day, time(0)))
        raise ValueError("一年里没有工作日")

    def end_of_day(self, start: datetime) -> datetime:
        """The end of the working day `start` falls in (its last span's end), or of the next
        working day when `start` is after it or on a day off."""
        day = start.date()
        last = self.spans[-1][1]
        if not (self.calendar.is_workday(day) and start.time() < last):
            day = next_workday(day, self.calendar)
        return datetime.combine(day, last)


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def deadline(received: datetime, level: str, channel: str, working: WorkingTime, online_minutes: int) -> datetime | None:
    """The 时限 of an inquiry (None for 电话: answered in the call). 网络 for 一级/二级:
    `online_minutes` working minutes; 邮件 (and 三级's 网络): 一级 the end of the working day,
    二级 one working day, 三级 two."""
    if channel == PHONE:
        return None
    level = level if level in ("一级", "二级", "三级") else DEFAULT_LEVEL
    if channel == ONLINE and level != "三级":
        return working.add(received, online_minutes)
    if level == "一级":
        return working.end_of_day(received)
    return working.add(received, working.day_minutes * (1 if level == "二级" else 2))


def on_time(channel: str, answered: datetime | None, due: datetime | None) -> str:
    """及时 as the workbook's formula gives it: 是 for 电话; blank while unanswered; 是 when the
    answer came at or before the 时限."""
    if channel == PHONE:
        return ON_TIME
    if answered is None or due is None:
        return ""
    return ON_TIME if answered <= due else LATE


def left_text(due: datetime, now: datetime) -> str:
    """「还剩 2 小时」 / 「已超时 1 天 3 小时」 (wall-clock) for 今日 and 状态.html."""
    minutes = int((due - now).total_seconds() // 60)
    word = "还剩" if minutes >= 0 else "已超时"
    minutes = abs(minutes)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    parts = [f"{days} 天" if days else "", f"{hours} 小时" if hours else "", f"{mins} 分钟" if mins and not days else ""]
    return f"{word} " + (" ".join(p for p in parts if p) or "0 分钟")
