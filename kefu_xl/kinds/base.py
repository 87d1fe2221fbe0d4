"""What every workbook kind shares: the recalc context and result, and cell readers that
mirror how a spreadsheet formula sees a value (a date typed as text is not a date)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from ..calendar import WorkCalendar
from ..config import Config
from ..io.values import EXCEL_EPOCH, parse_text
from ..month import Month
from ..records import Problem, Severity, StaffMember


@dataclass
class RecalcContext:
    """What a recalc needs besides the workbook: rules, calendar, roster, the as-of date."""
    file: str
    config: Config
    calendar: WorkCalendar
    month: Month
    as_of: date
    roster: list[StaffMember] | None = None
    write: bool = True          # False for `check`: compute and validate, touch nothing


@dataclass
class RecalcResult:
    """What a recalc found and did: problems, formulas restored, a summary table to print."""
    kind: str
    problems: list[Problem] = field(default_factory=list)
    restored: dict[str, int] = field(default_factory=dict)     # "sheet/column" -> cells put back
    summary_headers: list[str] = field(default_factory=list)
    summary_rows: list[list[str]] = field(default_factory=list)
    figures: dict = field(default_factory=dict)                 # Python's values, for tests

    @property
    def restored_total(self) -> int:
        return sum(self.restored.values())

    def note_restored(self, file: str, sheet: str, column: str, count: int) -> None:
        if count:
            self.restored[f"{sheet}/{column}"] = self.restored.get(f"{sheet}/{column}", 0) + count
            self.problems.append(Problem(file, sheet, None, column, "FORMULA_RESTORED",
                                         f"有 {count} 个公式单元格被改成了数值或被清空，已恢复为公式"
                                         f"（这一列是自动计算的，请不要手工填写）。", Severity.INFO))


def cell_text(value) -> str:
    return parse_text(value)


def cell_date(value) -> date | None:
    """A date as a formula sees it: real dates and serial numbers; text is not a date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 1 <= value < 2958466:
        from datetime import timedelta
        return EXCEL_EPOCH + timedelta(days=int(value))
    return None


def cell_number(value) -> Decimal | None:
    """A number as a formula sees it: numeric cells only; text is not a number."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return None
    return value if isinstance(value, Decimal) else Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def workspace_of(path: Path) -> Path | None:
    from ..config import find_workspace
    return find_workspace(path.parent)
