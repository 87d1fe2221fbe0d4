"""A calendar month as kefu-xl names it: "2026-11"."""
from __future__ import annotations

import calendar as _calendar
import re
from dataclasses import dataclass
from datetime import date
from functools import cached_property

from .errors import KefuError


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> "Month":
        m = re.fullmatch(r"\s*(\d{4})[-/.年](\d{1,2})月?\s*", str(text))
        if not m or not 1 <= int(m[2]) <= 12:
            raise KefuError(f"月份「{text}」格式不对，请写成 YYYY-MM，例如 2026-11。")
        return cls(int(m[1]), int(m[2]))

    @classmethod
    def of(cls, day: date) -> "Month":
        return cls(day.year, day.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        return f"{self.year}年{self.month}月"

    @cached_property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @cached_property
    def last(self) -> date:
        return date(self.year, self.month, _calendar.monthrange(self.year, self.month)[1])

    def contains(self, day: date | None) -> bool:
        return day is not None and self.first <= day <= self.last

    def previous(self) -> "Month":
        return Month(self.year - 1, 12) if self.month == 1 else Month(self.year, self.month - 1)

    def next(self) -> "Month":
        return Month(self.year + 1, 1) if self.month == 12 else Month(self.year, self.month + 1)

    def clamp(self, day: date) -> date:
        return min(max(day, self.first), self.last)

    def excel_first(self) -> str:
        return f"DATE({self.year},{self.month},1)"

    def excel_last(self) -> str:
        return f"DATE({self.year},{self.month},{self.last.day})"
