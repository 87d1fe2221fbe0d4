"""Statutory working days (Chinese public holidays and 调休 make-up working days).

chinesecalendar knows the years the State Council has published; kefu-xl.toml's
[calendar] adds days for any year; a year known to neither falls back to Monday–Friday
with one warning naming the year.
"""
from __future__ import annotations

import warnings
from datetime import date, timedelta

import chinese_calendar

from .config import Config


class CalendarFallbackWarning(UserWarning):
    """A year's statutory calendar is unknown: Monday–Friday is used instead."""


class WorkCalendar:
    def __init__(self, config: Config):
        self.holidays = config.extra_holidays
        self.workdays = config.extra_workdays
        self.config_years = {d.year for d in self.holidays | self.workdays}
        self.source = config.source
        self.fallback_years: set[int] = set()
        self._known: dict[date, bool] = {}     # chinesecalendar's answer per day: cadence asks per account

    def library_knows(self, year: int) -> bool:
        try:
            chinese_calendar.is_workday(date(year, 6, 1))
            return True
        except NotImplementedError:
            return False

    def knows(self, year: int) -> bool:
        """True when the statutory calendar of `year` is known (library or config)."""
        return year in self.config_years or self.library_knows(year)

    def is_workday(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        known = self._known.get(day)
        if known is not None:
            return known
        try:
            known = self._known[day] = chinese_calendar.is_workday(day)
            return known
        except NotImplementedError:
            if day.year not in self.config_years and day.year not in self.fallback_years:
                self.fallback_years.add(day.year)
                warnings.warn(
                    f"{day.year} 年的法定节假日安排尚未收录（chinesecalendar 库和 {self.source} 都没有），"
                    f"暂按周一至周五计算工作日。国务院公布安排后，请在 kefu-xl.toml 的 [calendar] 中"
                    f"填写 holidays（放假日）和 workdays（调休上班日），或升级 chinesecalendar。",
                    CalendarFallbackWarning, stacklevel=2)
            return day.weekday() < 5

    def workdays_between(self, first: date, last: date) -> list[date]:
        """Working days from `first` to `last`, both included."""
        days, day = [], first
        while day <= last:
            if self.is_workday(day):
                days.append(day)
            day += timedelta(days=1)
        return days

    def count(self, first: date, last: date) -> int:
        return len(self.workdays_between(first, last))
