"""Messy values people type: numbers, dates, IDs, yes/no."""
from datetime import date, datetime
from decimal import Decimal

import pytest

from kefu_xl.io.values import (
    looks_like_formula,
    parse_date,
    parse_decimal,
    parse_id,
    parse_int,
    parse_yes_no,
)


@pytest.mark.parametrize("raw, expected", [
    ("5,000.50", Decimal("5000.50")), ("１２３", Decimal("123")), ("¥1,200", Decimal("1200")),
    ("1200元", Decimal("1200")), (" 88 ", Decimal("88")), (0.1, Decimal("0.1")), (7, Decimal(7)),
    ("(50)", Decimal("-50")), ("", None), (None, None),
])
def test_parse_decimal(raw, expected):
    assert parse_decimal(raw) == expected


@pytest.mark.parametrize("raw", ["abc", "1.2.3", "NaN", "Infinity"])
def test_parse_decimal_rejects(raw):
    with pytest.raises(ValueError):
        parse_decimal(raw)


@pytest.mark.parametrize("raw, expected", [
    ("2026/11/3", date(2026, 11, 3)), ("2026-11-03", date(2026, 11, 3)), ("2026年11月3日", date(2026, 11, 3)),
    ("２０２６－１１－０３", date(2026, 11, 3)), (46329, date(2026, 11, 3)), ("46329", date(2026, 11, 3)),
    (datetime(2026, 11, 3, 14, 5), date(2026, 11, 3)), ("2026-11-03 09:30", date(2026, 11, 3)),
    ("20261103", date(2026, 11, 3)), ("", None),
])
def test_parse_date(raw, expected):
    assert parse_date(raw) == expected


@pytest.mark.parametrize("raw", ["2026-02-30", "明天", "11/3"])
def test_parse_date_rejects(raw):
    with pytest.raises(ValueError):
        parse_date(raw)


def test_ids_are_trimmed_and_normalised():
    assert parse_id(" GA１００１ ") == "GA1001"
    assert parse_id(10001.0) == "10001"
    assert parse_id("10 001") == "10001"


def test_int_and_yes_no():
    assert parse_int("3") == 3
    with pytest.raises(ValueError):
        parse_int("2.5")
    assert parse_yes_no("有") is True and parse_yes_no("✓") is True and parse_yes_no("否") is False
    assert parse_yes_no(None) is None


def test_formula_like_text_is_detected():
    assert all(looks_like_formula(t) for t in ("=1+1", "+86 138", "-5", "@SUM(A1)"))
    assert not looks_like_formula("张三") and not looks_like_formula(5)
