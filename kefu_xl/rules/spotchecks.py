"""The manager's spot checks of 工作记录 (docs/spotchecks.md: 客服经理每天至少抽查4个电话).

A check names the record it checked by its 工作记录 row, or by 帐户ID + 日期 + 客服; a record
checked 不属实 is invalid (completion.REASON_DISPROVED). Pure functions, no I/O.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from ..records import WorkRecord
from .completion import record_key, record_label

TRUE, FALSE = "属实", "不属实"
RESULTS = (TRUE, FALSE)


@dataclass(frozen=True)
class SpotCheck:
    """A row of 维护跟踪 / 抽查.

    Attributes:
      day: 日期 (the day of the check; with 帐户ID + 客服, also the day of the record).
      checker: 抽查人.  work_row: 工作记录行 (None when the record is named by its keys).
      account_id, staff: 帐户ID and 客服 of the record, when no row is given.
      result: 结果 (属实 / 不属实).  row: the 抽查 row.
      recognised: 认可 (认可 / 不认可 / blank): a 其他 record marked 不认可 does not count.
    """
    day: date | None
    checker: str
    work_row: int | None
    account_id: str
    staff: str
    result: str
    row: int | None = None
    recognised: str = ""


def checked_record(check: SpotCheck, by_row: dict[int, WorkRecord]) -> tuple[str, str] | None:
    """(record key, staff of the record) the check is about, as the 记录键 / 被查客服 formulas
    find them; None when it names nothing (a row that holds no record, or no keys)."""
    if check.work_row is not None:
        rec = by_row.get(check.work_row)
        if rec is None or not rec.account_id or rec.day is None:
            return None
        return record_key(rec.account_id, rec.day, rec.staff), rec.staff
    if not check.account_id:
        return None
    return record_key(check.account_id, check.day, check.staff), check.staff


def helper_cells(check: SpotCheck, by_row: dict[int, WorkRecord]) -> tuple[str, str]:
    """(记录键, 被查客服) as the hidden formulas show them: with a row, that 工作记录 row's
    抽查键 and 客服 (blank for a row without a record); else the check's own 帐户ID|日期|客服
    and 客服."""
    if check.work_row is not None:
        rec = by_row.get(check.work_row)
        if rec is None:
            return "", ""
        return (record_label(rec.account_id, rec.day, rec.staff) if rec.account_id and rec.day else "", rec.staff)
    return (record_label(check.account_id, check.day, check.staff) if check.account_id else "", check.staff)


def unrecognised_keys(checks: list[SpotCheck], by_row: dict[int, WorkRecord]) -> frozenset[str]:
    """Keys of the records the manager marked 不认可 (a 其他 among them does not count)."""
    out = set()
    for c in checks:
        found = checked_record(c, by_row)
        if found and c.recognised == "不认可":
            out.add(found[0])
    return frozenset(out)


def disproved_keys(checks: list[SpotCheck], by_row: dict[int, WorkRecord]) -> frozenset[str]:
    """Keys of the records some check found 不属实."""
    out = set()
    for c in checks:
        found = checked_record(c, by_row)
        if found and c.result == FALSE:
            out.add(found[0])
    return frozenset(out)


def staff_counts(checks: list[SpotCheck], by_row: dict[int, WorkRecord]) -> tuple[Counter, Counter]:
    """(抽查数, 不属实数) per staff member whose record was checked (checks with a 结果)."""
    checked, false = Counter(), Counter()
    for c in checks:
        found = checked_record(c, by_row)
        if found is None or c.result not in RESULTS:
            continue
        checked[found[1]] += 1
        if c.result == FALSE:
            false[found[1]] += 1
    return checked, false


def short_days(checks: list[SpotCheck], workdays: list[date], per_day: int) -> dict[str, list[tuple[date, int]]]:
    """{抽查人: [(working day, checks that day)]} of every checker's working days (of
    `workdays`) with fewer than `per_day` checks; a month without any check is {"": all days}."""
    counts: Counter = Counter((c.checker, c.day) for c in checks if c.checker and c.day is not None)
    checkers = sorted({c.checker for c in checks if c.checker})
    if not checkers:
        return {"": [(d, 0) for d in workdays]} if workdays else {}
    out = {}
    for name in checkers:
        short = [(d, counts[(name, d)]) for d in workdays if counts[(name, d)] < per_day]
        if short:
            out[name] = short
    return out
