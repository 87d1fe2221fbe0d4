"""The daily spend watch (docs/watch.md: 每天 9:00 查看前一天所有客户的消耗，发现异常
查找原因并电话通知客户). Pure functions over the daily exports, no I/O.

An account's baseline is its average spend over the previous `exports` exports in which it
appears (a day without an export file is simply not one of them), rounded to the cent — the
workbook shows that figure and its formulas judge from it, so both engines agree. An account
is an anomaly when its spend that day
- dropped to 0 from a positive average (消耗降为0), or
- differs from the average by more than `ratio` of it and by at least `minimum` yuan
  (消耗突增 / 消耗骤降; a zero average and a spend ≥ `minimum` is 消耗突增), or
- its balance lasts fewer than `balance_days` days at the average (余额不足).
An account with no earlier export has no baseline and is not judged.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from ..config import Watch

DROPPED, ROSE, FELL, LOW_BALANCE = "消耗降为0", "消耗突增", "消耗骤降", "余额不足"
CENT = Decimal("0.01")


@dataclass(frozen=True)
class SpendRow:
    """One account in one daily export (消耗/YYYY-MM-DD): 帐户ID · 消耗 · 余额."""
    account_id: str
    spend: Decimal
    balance: Decimal | None
    row: int | None = None


@dataclass(frozen=True)
class Export:
    day: date
    rows: dict[str, SpendRow]          # by account key (casefolded 帐户ID)
    file: str = ""


@dataclass(frozen=True)
class Anomaly:
    day: date
    account_id: str
    spend: Decimal
    average: Decimal
    exports: int                       # how many earlier exports the average is over
    balance: Decimal | None
    reasons: tuple[str, ...]


def baseline(earlier: list[Export], key: str, exports: int) -> tuple[Decimal | None, int]:
    """(average spend to the cent, exports used) of the last `exports` earlier exports that
    list the account; (None, 0) when none does."""
    spends = [e.rows[key].spend for e in sorted(earlier, key=lambda e: e.day) if key in e.rows][-exports:]
    if not spends:
        return None, 0
    return (sum(spends) / len(spends)).quantize(CENT, ROUND_HALF_UP), len(spends)


def spend_change(spend: Decimal, average: Decimal | None, watch: Watch) -> str:
    """The spend part of the rule: 消耗降为0 / 消耗突增 / 消耗骤降 / ""."""
    if average is None:
        return ""
    if spend == 0 and average > 0:
        return DROPPED
    gap = abs(spend - average)
    if gap > watch.ratio * average and gap >= watch.minimum:
        return ROSE if spend > average else FELL
    return ""


def balance_short(balance: Decimal | None, average: Decimal | None, watch: Watch) -> str:
    """余额不足 when the balance lasts fewer than `balance_days` days at the average."""
    if average is None or average <= 0 or balance is None:
        return ""
    return LOW_BALANCE if balance < watch.balance_days * average else ""


def days_left(balance: Decimal | None, average: Decimal | None) -> Decimal | None:
    """可投放天数 at the average spend."""
    if average is None or average <= 0 or balance is None:
        return None
    return balance / average


def change_ratio(spend: Decimal, average: Decimal | None) -> Decimal | None:
    """变化 = 消耗 ÷ 平均 − 1 (blank without a positive average)."""
    if average is None or average <= 0:
        return None
    return spend / average - 1


def label(reasons: tuple[str, ...] | list[str]) -> str:
    return "、".join(r for r in reasons if r)


def anomalies(today: Export, earlier: list[Export], watch: Watch) -> list[Anomaly]:
    """Every account of `today`'s export the rule flags, in 帐户ID order."""
    out = []
    for key, row in sorted(today.rows.items()):
        average, used = baseline([e for e in earlier if e.day < today.day], key, watch.exports)
        reasons = tuple(r for r in (spend_change(row.spend, average, watch),
                                    balance_short(row.balance, average, watch)) if r)
        if reasons:
            out.append(Anomaly(today.day, row.account_id, row.spend, average, used, row.balance, reasons))
    return out
