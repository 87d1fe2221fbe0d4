"""Statutory working days: holidays, 调休 make-up days, config years, fallback."""
import tomllib
import warnings
from datetime import date, timedelta

import pytest

from kefu_xl.calendar import CalendarFallbackWarning, WorkCalendar
from kefu_xl.config import default_config_text, load_config, parse_config


def calendar_with(holidays=(), workdays=()):
    data = tomllib.loads(default_config_text())
    data["calendar"] = {"holidays": list(holidays), "workdays": list(workdays)}
    return WorkCalendar(parse_config(data, "test.toml"))


def test_national_day_2026_and_makeup_saturday():
    cal = WorkCalendar(load_config())
    assert not cal.is_workday(date(2026, 10, 1))
    assert not cal.is_workday(date(2026, 10, 7))
    assert cal.is_workday(date(2026, 10, 10))          # Saturday make-up working day
    assert cal.is_workday(date(2026, 10, 9))
    # October 2026: 22 weekdays − 5 holiday weekdays (1,2,5,6,7) + Saturday 10-10 = 18
    assert cal.count(date(2026, 10, 1), date(2026, 10, 31)) == 18
    assert cal.count(date(2026, 11, 1), date(2026, 11, 30)) == 21


def test_count_agrees_with_a_brute_force_walk():
    import chinese_calendar
    cal = WorkCalendar(load_config())
    first, last = date(2026, 1, 1), date(2026, 12, 31)
    expected = sum(chinese_calendar.is_workday(first + timedelta(days=i)) for i in range((last - first).days + 1))
    assert cal.count(first, last) == expected


def test_config_adds_an_unknown_year_without_warning():
    cal = calendar_with(holidays=["2027-01-01"], workdays=["2027-01-09"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not cal.is_workday(date(2027, 1, 1))
        assert cal.is_workday(date(2027, 1, 9))         # a Saturday made a working day
        assert cal.is_workday(date(2027, 1, 4))


def test_unknown_year_falls_back_to_weekdays_and_warns_once():
    cal = calendar_with()
    with pytest.warns(CalendarFallbackWarning, match="2030") as record:
        assert cal.count(date(2030, 1, 1), date(2030, 1, 31)) == 23
    assert len(record) == 1
