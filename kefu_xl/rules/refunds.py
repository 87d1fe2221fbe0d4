"""Refund ledger rules (docs/orders.md): notice in statutory working days, status, petty cash
running balance, matching refunds to cash, reconciliation and the daily report."""
from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

from ..calendar import WorkCalendar
from ..records import CashEntry, Refund

REFUNDED, REFUSED, REFUNDABLE, PENDING = "已退款", "不可退", "可退订", "待确认"
CAN, CANNOT = "可退", "不可退"
CASH_IN, CASH_OUT, CASH_BACK = "财务拨入", "退款支出", "交回财务"
CASH_TYPES = (CASH_IN, CASH_OUT, CASH_BACK)


def notice_days(refund: Refund, calendar: WorkCalendar) -> int | None:
    """提前工作日: working days after 预约日期 up to and including 计划退订日期."""
    if refund.booked is None or refund.planned is None:
        return None
    if refund.planned <= refund.booked:
        return 0
    return calendar.count(refund.booked + timedelta(days=1), refund.planned)


def compliant(days: int | None, minimum: int) -> bool | None:
    return None if days is None else days >= minimum


def status(refund: Refund) -> str:
    if refund.refunded_filled:
        return REFUNDED
    if refund.merchant_decision == CANNOT:
        return REFUSED
    if refund.merchant_decision == CAN:
        return REFUNDABLE
    return PENDING


def signed(entry: CashEntry) -> Decimal:
    amount = entry.amount or Decimal(0)
    return amount if entry.kind == CASH_IN else -amount if entry.kind in (CASH_OUT, CASH_BACK) else Decimal(0)


def running_balances(opening: Decimal, entries: list[CashEntry]) -> list[Decimal]:
    """余额 after each entry, in row order."""
    balance, out = opening, []
    for e in entries:
        balance += signed(e)
        out.append(balance)
    return out


def reconciliation(opening: Decimal, entries: list[CashEntry], counted: Decimal | None) -> dict:
    totals = {t: sum((e.amount or Decimal(0) for e in entries if e.kind == t), Decimal(0)) for t in CASH_TYPES}
    expected = opening + totals[CASH_IN] - totals[CASH_OUT] - totals[CASH_BACK]
    return {"期初余额": opening, "财务拨入": totals[CASH_IN], "退款支出": totals[CASH_OUT],
            "交回财务": totals[CASH_BACK], "期末应有": expected,
            "差额": None if counted is None else counted - expected}


def match_cash(refunds: list[Refund], statuses: list[str], entries: list[CashEntry]):
    """(refunds paid from petty cash without a matching 退款支出, 退款支出 entries matching no refund).

    A match is the same amount on the same day with 备注 = 预约编号; each entry matches once."""
    pool = Counter((e.day, e.amount, e.note.strip()) for e in entries if e.kind == CASH_OUT)
    unmatched_refunds = []
    for r, s in zip(refunds, statuses):
        if s != REFUNDED or not r.petty_cash:
            continue
        key = (r.refunded_on, r.paid, r.booking_id)
        if pool[key] > 0:
            pool[key] -= 1
        else:
            unmatched_refunds.append(r)
    unmatched_entries = []
    for e in entries:
        if e.kind != CASH_OUT:
            continue
        key = (e.day, e.amount, e.note.strip())
        if pool[key] > 0:
            pool[key] -= 1
            unmatched_entries.append(e)
    return unmatched_refunds, unmatched_entries


def daily_report(days: list[date], refunds: list[Refund], statuses: list[str]) -> dict[date, dict]:
    """日报 per day: 新预约 by 预约日期 (with their current 可退订/不可退), 已退款 and 退款金额 by 退款日期."""
    out = {}
    for d in days:
        booked = [(r, s) for r, s in zip(refunds, statuses) if r.booked == d]
        paid = [r for r in refunds if r.refunded_on == d]
        out[d] = {"新预约": len(booked), "可退订": sum(1 for _, s in booked if s == REFUNDABLE),
                  "不可退": sum(1 for _, s in booked if s == REFUSED), "已退款": len(paid),
                  "退款金额": sum((r.paid or Decimal(0) for r in paid), Decimal(0))}
    return out
