"""Valid work and completion ratios of the maintenance tracker (docs/work.md).

The workbook computes the same with COUNTIFS formulas; tests check that both agree.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from ..io.values import EXCEL_EPOCH, PLAUSIBLE_SERIAL, fold_width
from ..records import (
    Account,
    AccountCompletion,
    StaffSummary,
    Targets,
    WorkRecord,
    WorkVerdict,
)

DECISION_MAKER = "决策人"
WORK_TYPES = ("电话拜访", "上门拜访", "报表发送", "帐户优化", "续费完成", "客户培训", "电话邀约", "其他")
CONTACTS = (DECISION_MAKER, "其他人员")
# the targets (the label their columns carry, the 工作类型 that counts towards it), in Targets field order
TARGET_ITEMS = (("电话拜访", "电话拜访"), ("上门拜访", "上门拜访"), ("报表", "报表发送"), ("优化", "帐户优化"))
ITEM_TYPES = tuple(work_type for _, work_type in TARGET_ITEMS)
PHONE = "电话拜访"

REASON_CONTACT = "非决策人"
REASON_ACCOUNT = "帐户不存在"
REASON_DATE = "日期不在本月"
REASON_NOT_A_DATE = "不是日期"          # blank, text, or a number too small to be a date (12.5)
REASON_OVER_PLAN = "超计划"
REASON_DISPROVED = "抽查不属实"
REASON_DUPLICATE = "重复"
DUPLICATE_FIELDS = "日期、客服、帐户ID、工作类型、沟通对象、内容摘要"


def id_key(account_id: str) -> str:
    """Spreadsheets match IDs case-insensitively (COUNTIFS) after TRIM(ASC()) (full-width
    ５５９８ is 5598); so do we."""
    return fold_width(account_id).casefold()


def duplicate_key(rec: WorkRecord) -> tuple:
    """What makes two records the same (docs/reliability.md): the six typed cells, compared as the
    workbook's formulas compare text (case-insensitively, trimmed)."""
    day, staff, account, work_type, contact, summary = \
        rec.typed or (rec.day, rec.staff, rec.account_id, rec.work_type, rec.contact, rec.summary)
    s = str
    return (day.casefold() if isinstance(day, s) else day, staff.casefold() if isinstance(staff, s) else staff,
            account.casefold() if isinstance(account, s) else account,
            work_type.casefold() if isinstance(work_type, s) else work_type,
            contact.casefold() if isinstance(contact, s) else contact,
            summary.casefold() if isinstance(summary, s) else summary)


def duplicate_label(rec: WorkRecord) -> str:
    """The 重复键 helper cell's text: 日期|客服|帐户ID|工作类型|沟通对象|内容摘要的长度 (a date as
    its serial number, as a formula joins it)."""
    day, *texts = rec.typed or (rec.day, rec.staff, rec.account_id, rec.work_type, rec.contact, rec.summary)
    if (day is None or day == "") and not texts[1] and not texts[2]:
        return ""
    shown = str((day - EXCEL_EPOCH).days) if isinstance(day, date) else (day or "")
    return "|".join([shown, *texts[:4], str(len(texts[4]))])


def duplicates(records: list[WorkRecord]) -> dict[int, int]:
    """{index of a record: index of the earlier record it repeats}."""
    first: dict[tuple, int] = {}
    out = {}
    for i, rec in enumerate(records):
        key = duplicate_key(rec)
        if key in first:
            out[i] = first[key]
        else:
            first[key] = i
    return out


# The same rule as 工作记录's formula (rule switch `duplicates`, [work.valid]): the cheap whole-column
# COUNTIF on a short key (重复键, duplicate_label) settles nearly every row; only a row whose key
# repeats compares the rows above it in full — exact, free of COUNTIF's wildcards and its
# 255-character limit on a criterion.
DUPLICATE = ('IF(COUNTIF([工作记录!重复键],[重复键])<2,FALSE,'
             'SUMPRODUCT(([^重复键]=[重复键])*([^内容摘要]=[内容摘要]))>0)')


def reasons_formula(duplicates_on: bool, account_missing: str, in_month: str, rest: str) -> str:
    """classify_work's first reasons as one formula, shared by the team's and the personal
    工作记录: 重复 → 非决策人 → 帐户不存在 (`account_missing`: the workbook's own lookup) → 不是日期 /
    日期不在本月 → `rest` (抽查, the outcome rules: rules/outcomes.clause)."""
    return duplicate_clause(duplicates_on, f'IF([沟通对象]<>"{DECISION_MAKER}","{REASON_CONTACT}",'
                                           f'IF({account_missing},"{REASON_ACCOUNT}",'
                                           + date_clause(in_month, rest) + "))")


def date_clause(in_month: str, rest: str) -> str:
    """不是日期 / 日期不在本月 as a formula fragment in front of `rest`, as classify_work: a date cell
    that holds no date — blank, text, 12.5 (a number Excel took for 1900-01-12) — is not 「not in
    this month」, it is no date."""
    return (f'IF(OR(NOT(ISNUMBER([日期])),[日期]<{PLAUSIBLE_SERIAL}),"{REASON_NOT_A_DATE}",'
            f'IF(NOT({in_month}),"{REASON_DATE}",{rest}))')


def duplicate_clause(on: bool, rest: str) -> str:
    """The 重复 check in front of the formula `rest` of the other reasons, when the month's rules
    have it (`on`): a record's first reason, as in classify_work."""
    return f'IF({DUPLICATE},"{REASON_DUPLICATE}",{rest})' if on else rest


def classify_work(records: list[WorkRecord], targets: dict[str, Targets],
                  first: date, last: date, over_plan: bool = True,
                  disproved: frozenset[str] = frozenset(), duplicates_once: bool = True,
                  outcome: Callable[[int, WorkRecord], str] | None = None,
                  repeats: dict[int, int] | None = None) -> list[WorkVerdict]:
    """有效/无效原因 for each record, in the order given.

    Checks in order: not a repeat of an earlier identical record (重复, `duplicates`), contact is
    the decision maker, the account exists, the date is in the month, no spot check found it 不属实 (`disproved` holds spotchecks.record_key of those);
    then a 电话拜访 beyond the account's 电话拜访目标 (counting its otherwise-valid phone
    visits in date order, ties in row order) is 超计划 — unless `over_plan` is False (a
    personal workbook sees one person's calls only; the team tracker judges 超计划).
    `duplicates_once`: the month's rule switch (config.valid.duplicates); off, a repeat counts.
    `outcome(i, record)`: the reason a record did not achieve its outcome (rules/outcomes.judge),
    checked after 抽查 and before 超计划 — a call invalid for its 满意度 takes no plan slot.
    `repeats`: duplicates(records) when the caller has it already (it checks them too).
    """
    verdicts: list[WorkVerdict | None] = [None] * len(records)
    phone_calls: dict[str, list[tuple[date, int, int]]] = defaultdict(list)
    repeats = (duplicates(records) if repeats is None else repeats) if duplicates_once else {}
    for i, rec in enumerate(records):
        key = id_key(rec.account_id)
        if i in repeats:
            verdicts[i] = WorkVerdict(False, REASON_DUPLICATE)
        elif rec.contact != DECISION_MAKER:
            verdicts[i] = WorkVerdict(False, REASON_CONTACT)
        elif key not in targets:
            verdicts[i] = WorkVerdict(False, REASON_ACCOUNT)
        elif rec.day is None or (rec.day - EXCEL_EPOCH).days < PLAUSIBLE_SERIAL:
            verdicts[i] = WorkVerdict(False, REASON_NOT_A_DATE)
        elif not first <= rec.day <= last:
            verdicts[i] = WorkVerdict(False, REASON_DATE)
        elif disproved and record_key(rec.account_id, rec.day, rec.staff) in disproved:
            verdicts[i] = WorkVerdict(False, REASON_DISPROVED)
        elif outcome is not None and (why := outcome(i, rec)):
            verdicts[i] = WorkVerdict(False, why)
        elif rec.work_type == PHONE and over_plan:
            phone_calls[key].append((rec.day, rec.row, i))
        else:
            verdicts[i] = WorkVerdict(True)
    for key, calls in phone_calls.items():
        plan = targets[key].phone
        for rank, (_, _, i) in enumerate(sorted(calls), 1):
            verdicts[i] = WorkVerdict(True) if rank <= plan else WorkVerdict(False, REASON_OVER_PLAN)
    return verdicts  # type: ignore[return-value]


def record_label(account_id: str, day: date | None, staff: str) -> str:
    """帐户ID|日期|客服 of a work record, as the workbook's 抽查键 formula writes it (the date
    as its serial number)."""
    serial = "" if day is None else str((day - EXCEL_EPOCH).days)
    return f"{account_id}|{serial}|{staff}"


def record_key(account_id: str, day: date | None, staff: str) -> str:
    """record_label as checks match it: case-insensitively, like COUNTIFS."""
    return record_label(account_id, day, staff).casefold()


def ratio(done: int, total: int) -> Decimal | None:
    return None if total == 0 else Decimal(done) / Decimal(total)


def account_completion(targets: Targets, done: Targets) -> AccountCompletion:
    capped = sum(min(d, t) for d, t in zip(done.as_tuple(), targets.as_tuple()))
    return AccountCompletion(targets, done, targets.total, capped, ratio(capped, targets.total))


def done_per_account(records: list[WorkRecord], verdicts: list[WorkVerdict]) -> dict[str, Targets]:
    counts: Counter = Counter()
    for rec, verdict in zip(records, verdicts):
        if verdict.valid and rec.work_type in ITEM_TYPES:
            counts[(id_key(rec.account_id), rec.work_type)] += 1
    keys = {k for k, _ in counts}
    return {k: Targets(*(counts[(k, t)] for t in ITEM_TYPES)) for k in keys}


def completions(accounts: list[Account], account_targets: list[Targets], records: list[WorkRecord],
                verdicts: list[WorkVerdict]) -> list[AccountCompletion]:
    done = done_per_account(records, verdicts)
    return [account_completion(t, done.get(id_key(a.account_id), Targets()))
            for a, t in zip(accounts, account_targets)]


def staff_summary(name: str, star: str, capacity: int | None, accounts: list[Account],
                  results: list[AccountCompletion], records: list[WorkRecord],
                  verdicts: list[WorkVerdict], working_days: int,
                  daily_target: Decimal) -> StaffSummary:
    """One 客服汇总 row: accounts owned, capped completion, valid work per working day."""
    return staff_summaries([(name, star, capacity)], accounts, results, records, verdicts, working_days,
                           daily_target)[0]


def staff_summaries(staff: list[tuple[str, str, int | None]], accounts: list[Account],
                    results: list[AccountCompletion], records: list[WorkRecord],
                    verdicts: list[WorkVerdict], working_days: int, daily_target: Decimal) -> list[StaffSummary]:
    """The 客服汇总 rows of (name, star, capacity) in order; accounts and records grouped once."""
    owned: dict[str, list[AccountCompletion]] = {}
    for acc, res in zip(accounts, results):
        owned.setdefault(acc.staff, []).append(res)
    valid: dict[str, int] = {}
    for rec, v in zip(records, verdicts):
        if v.valid:
            valid[rec.staff] = valid.get(rec.staff, 0) + 1
    return [_summary(name, star, capacity, owned.get(name, []), valid.get(name, 0), working_days, daily_target)
            for name, star, capacity in staff]


def _summary(name: str, star: str, capacity: int | None, mine: list[AccountCompletion], valid_work: int,
             working_days: int, daily_target: Decimal) -> StaffSummary:
    target_total = sum(r.target_total for r in mine)
    done_capped = sum(r.done_capped for r in mine)
    daily = None if working_days == 0 else Decimal(valid_work) / Decimal(working_days)
    return StaffSummary(
        staff=name, star=star, accounts=len(mine), capacity=capacity,
        over_capacity=None if capacity is None else len(mine) > capacity,
        target_total=target_total, done_capped=done_capped, ratio=ratio(done_capped, target_total),
        valid_work=valid_work, working_days=working_days, daily_valid=daily,
        meets_standard=None if daily is None else daily >= daily_target,
    )


def percent(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return f"{(value * 100).quantize(Decimal('0.1'), ROUND_HALF_UP)}%"
