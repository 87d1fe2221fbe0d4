"""Domain records: small immutable values shared by the rules, the workbooks and the CLI.

Money is `Decimal`, dates are `datetime.date`. Nothing here does I/O.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal
from enum import Enum


class Severity(str, Enum):
    ERROR = "错误"      # stops the command, or marks a row unusable
    WARNING = "警告"    # worth a look; the figures are still computed
    INFO = "提示"       # noted for the record (cover work, manual level change)


@dataclass(frozen=True)
class Problem:
    """One data problem, located precisely enough for a person to find and fix it.

    Attributes:
      file: file name (no directory) the problem is in.
      sheet: sheet name, or "" for CSV / whole-file problems.
      row: 1-based spreadsheet row, or None.
      column: header text of the column, or "".
      code: stable English code (tests and scripts match on it).
      message: Chinese explanation: what is wrong and what to do.
      severity: see Severity.
    """
    file: str
    sheet: str
    row: int | None
    column: str
    code: str
    message: str
    severity: Severity = Severity.ERROR

    def where(self) -> str:
        parts = [self.file]
        inner = _OTHER_FILE.match(self.sheet or "")
        if inner:                       # a problem of a personal workbook's row, found in the team file
            parts = [inner.group(1), f"工作表「{inner.group(2)}」"]
        elif self.sheet:
            parts.append(f"工作表「{self.sheet}」")
        if self.row is not None:
            parts.append(f"第{self.row}行")
        if self.column:
            parts.append(f"列「{self.column}」")
        return " ".join(parts)

    def __str__(self) -> str:
        return f"[{self.severity.value}] {self.where()}：{self.message}"


_OTHER_FILE = re.compile(r"^(.+\.xlsx)「([^「」]+)」$")     # 个人/李娜_2026-11.xlsx「工作记录」


def has_errors(problems: list[Problem]) -> bool:
    return any(p.severity is Severity.ERROR for p in problems)


@dataclass(frozen=True)
class StaffMember:
    """A row of 名册.xlsx / 客服.

    Attributes:
      name: 客服 (unique).
      star: 星级 (一星/二星/三星) or "" when unknown.
      hired: 入职日期.
      active: 在职 = 是.
    """
    name: str
    star: str
    hired: date | None = None
    active: bool = True
    computer_names: tuple[str, ...] = ()     # 电脑用户名: who saves as this person (docs/journal.md)


@dataclass(frozen=True)
class Targets:
    """Monthly service targets of one account (电话拜访, 上门拜访, 报表, 优化)."""
    phone: int = 0
    visit: int = 0
    report: int = 0
    optimize: int = 0

    def as_tuple(self) -> tuple[int, int, int, int]:
        return (self.phone, self.visit, self.report, self.optimize)

    @property
    def total(self) -> int:
        return sum(self.as_tuple())


@dataclass(frozen=True)
class AccountStatus:
    """A row of the ad platform's 帐户状态 export (docs/inputs.md).

    Attributes:
      account_id: 帐户ID (text, stripped, full-width digits normalised).
      client: 客户名称.  staff: 客服.  industry: 行业.
      weekly_spend: 周消耗 (Decimal, yuan) or None when blank.
      balance: 余额.  contract_end: 合同到期日.  opened: 开户日期.
      row: source row, for messages.
    """
    account_id: str
    client: str
    staff: str
    industry: str
    weekly_spend: Decimal | None
    balance: Decimal | None
    contract_end: date | None
    opened: date | None
    row: int | None = None


@dataclass(frozen=True)
class Account:
    """A row of 维护跟踪 / 帐户 as Python reads it back.

    Attributes:
      account_id, client, staff, industry: as typed.
      weekly_spend: 周消耗 (None when blank or not a number).
      previous_level: 上月级别 ("" when new to maintenance).
      level: 级别, the effective level ("" when blank: no targets).
      opened: 开户日期 (our extra column; new clients of the month have no targets).
      row: sheet row.
    """
    account_id: str
    client: str
    staff: str
    industry: str
    weekly_spend: Decimal | None
    previous_level: str
    level: str
    opened: date | None = None
    row: int | None = None


@dataclass(frozen=True)
class WorkRecord:
    """A row of 维护跟踪 / 工作记录 (what staff type every day).

    Attributes:
      day: 日期 (None when blank or not a date).
      staff: 客服.  account_id: 帐户ID.  work_type: 工作类型.
      contact: 沟通对象.  summary: 内容摘要.
      row: sheet row (ties in date are broken by row order).
      typed: the six cells as typed (日期 as a date or its text, 客服 before a blank one is
        taken as the owner), for finding duplicates as the workbook's 重复键 does.
      satisfaction: 满意度 (电话拜访).  accepted: 客户接受 (帐户优化) — rules/outcomes.
    """
    day: date | None
    staff: str
    account_id: str
    work_type: str
    contact: str
    summary: str
    row: int
    typed: tuple = ()
    satisfaction: str = ""
    accepted: str = ""


@dataclass(frozen=True)
class WorkVerdict:
    """Whether a work record counts: 有效 (是/否) and 无效原因."""
    valid: bool
    reason: str = ""


@dataclass(frozen=True)
class AccountCompletion:
    """Per-account figures of 帐户: targets, done per item, capped totals and ratio."""
    targets: Targets
    done: Targets
    target_total: int
    done_capped: int
    ratio: Decimal | None  # None when target_total == 0


@dataclass(frozen=True)
class StaffSummary:
    """A row of 维护跟踪 / 客服汇总."""
    staff: str
    star: str
    accounts: int
    capacity: int | None
    over_capacity: bool | None
    target_total: int
    done_capped: int
    ratio: Decimal | None
    valid_work: int
    working_days: int
    daily_valid: Decimal | None
    meets_standard: bool | None
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class OrderBook:
    """A row of 订单台账 / 空白订单: one book of consecutive order numbers."""
    book_id: str
    start: int | None
    end: int | None
    count: int | None
    stocked: date | None = None
    row: int | None = None


@dataclass(frozen=True)
class BookIssue:
    """A row of 订单台账 / 领用: a book issued to a merchant for an event, and its return."""
    event: str
    book_id: str
    merchant: str
    manager: str
    issued: date | None
    deposit: Decimal | None       # None: blank, the default deposit applies
    returned: date | None
    opened: int | None
    unopened: int | None
    voided: int | None
    recovered: int | None
    row: int | None = None


@dataclass(frozen=True)
class IssueFigures:
    """Derived figures of a 领用 row; None where the sheet shows blank."""
    missing: int | None
    unrecovered: int | None
    fine: Decimal | None
    deposit_back: Decimal | None
    status: str


@dataclass(frozen=True)
class Refund:
    """A row of 退订台账 / 退订 (a booked cancellation and its refund)."""
    booking_id: str
    booked: date | None
    order_no: str
    customer: str
    phone: str
    merchant: str
    order_amount: Decimal | None
    refund_amount: Decimal | None
    planned: date | None
    merchant_decision: str
    refusal_reason: str
    crm_updated: str
    refunded_on: date | None
    refunded_filled: bool          # 退款日期 has anything in it (the sheet's <>"")
    paid: Decimal | None
    petty_cash: bool
    row: int | None = None


@dataclass(frozen=True)
class Complaint:
    """A row of 投诉台账 / 投诉 (one customer complaint about a merchant).

    Attributes:
      registered / replied / resolved: the dates as a formula sees them (text is not a date).
      replied_filled / resolved_filled: the cell has anything in it (the sheet's <>"").
      major: 重大 is 是.
    """
    complaint_id: str
    source: str
    registered: date | None
    channel: str
    order_no: str
    merchant: str
    category: str
    brand: str
    major: bool
    forwarded: date | None
    replied: date | None
    replied_filled: bool
    resolved: date | None
    resolved_filled: bool
    row: int | None = None


@dataclass(frozen=True)
class Hours:
    """The call desk's working hours and callback deadlines (kefu-xl.toml [callbacks])."""
    start: time = time(9)
    end: time = time(18)
    noon: time = time(12)              # outside working hours: due at this time of the next working day
    new_minutes: int = 15
    old_minutes: int = 60
    checks: tuple[time, ...] = (time(10), time(13), time(15), time(17))
    event_days_before: int = 7


@dataclass(frozen=True)
class CashEntry:
    """A row of 退订台账 / 备用金 (petty cash)."""
    day: date | None
    kind: str
    amount: Decimal | None
    handler: str
    note: str
    row: int | None = None


@dataclass(frozen=True)
class RenewalRow:
    """A row of 续费跟踪 / 续费."""
    account_id: str
    client: str
    staff: str
    source: str                   # 当月 / 遗留
    first_month: str              # 首次提醒月份 YYYY-MM
    balance: Decimal | None
    weekly_spend: Decimal | None
    contract_end: date | None
    reminded: date | None
    notes: str
    status: str                   # 跟进中 / 已续费 / 流失 ("" counts as 跟进中)
    amount: Decimal | None
    received: date | None
    row: int | None = None


@dataclass(frozen=True)
class NewClientRow:
    """A row of 新客户跟踪 / 新客户: onboarding steps of an account opened this month."""
    account_id: str
    client: str
    staff: str
    opened: date | None
    promotion: str
    deposit: Decimal | None
    steps: tuple                  # seven dates or None, in ONBOARDING_STEPS order
    keywords: int | None
    row: int | None = None


@dataclass(frozen=True)
class SubmittedLine:
    """A line of a 结算流转单 (a merchant's claim for one order)."""
    file: str
    row: int
    merchant: str
    order_no: str
    merchant_copy: bool          # 商家联 有
    customer_copy: bool          # 网友联 有
    declared: Decimal
    sheet: str = ""              # the worksheet the line is on (for messages)


@dataclass(frozen=True)
class CrmOrder:
    """A row of the CRM export."""
    order_no: str
    merchant: str
    event: str
    customer: str
    phone: str
    amount: Decimal
    status: str                  # 成交 / 预约退订 / 已退订 / 作废


@dataclass(frozen=True)
class SettlementLine:
    """The one result of a submitted line: 结算 / 暂缓 / 不结算, its reason and amount."""
    line: SubmittedLine
    result: str
    code: str
    reason: str
    amount: Decimal              # settled amount (0 unless 结算)
    path: tuple = ()             # (rule, finding) steps, for --explain


@dataclass(frozen=True)
class Lead:
    """A row of 网销 / 询盘 (one inquiry of the online-sales desk).

    Attributes:
      day / assigned / followed / deal_date: dates as a formula sees them (text is not a date).
      followed_filled: 首次跟进日期 has anything in it (the sheet's <>"").
      valid / deal: the typed 是/否 (or blank: not checked yet, still open).
      amount: 成交金额 as a formula sees it (None when blank or text).
    """
    lead_id: str
    source: str
    day: date | None
    channel: str
    desk: str
    customer: str
    valid: str
    invalid_reason: str
    manager: str
    assigned: date | None
    followed: date | None
    followed_filled: bool
    deal: str
    deal_date: date | None
    amount: Decimal | None
    row: int | None = None


@dataclass(frozen=True)
class LeadCall:
    """A row of 网销 / 回访 (the desk calling back an assigned lead)."""
    day: date | None
    staff: str
    lead_id: str
    connected: bool
    row: int | None = None
