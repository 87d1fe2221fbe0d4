"""商务's prospects called back by 客服 (docs/prospects.md, 未签客户的回访): the state of each
prospect (状态), the day its next step is due, what the personal plan lists on a day and the
per-商务 summary. Pure functions; the sheets' formulas mirror `state` (kinds/prospects.py)."""
from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from ..calendar import WorkCalendar
from .deadlines import nth_workday_after

INTENTIONS = ("高", "中", "低", "无意向")
DECIDES = ("是", "否", "需请示")

# 状态, in the order a prospect goes through them
TO_CALL, CALL_LATE = "待回访", "回访逾期"
TO_REPORT, REPORT_LATE = "待反馈", "反馈逾期"
FOLLOWING, FOLLOW_LATE = "跟进中", "跟进逾期"
DONE = "完成"
STATES = (TO_CALL, CALL_LATE, TO_REPORT, REPORT_LATE, FOLLOWING, FOLLOW_LATE, DONE)
LATE_STATES = (CALL_LATE, REPORT_LATE, FOLLOW_LATE)
NOT_CALLED = (TO_CALL, CALL_LATE)
REPORT_DAYS = 1            # 反馈商务 within one working day of the call

# what the plan says each step is
CALL, REPORT, FOLLOW = "回访", "反馈商务", "跟进"


@dataclass(frozen=True)
class Prospect:
    """One prospect as a 客服 sees it (a 商务回访 row) or the team file has it (a 商务出访 row).

    Attributes:
      number: 出访编号.  visited: 出访日期.  sales: 商务 (blank in a personal workbook).
      client / contact / phone: 客户名称 / 联系人 / 电话.  staff: 指派客服.
      called: 回访日期 (the latest call).  intention: 客户意向.  expectation: 合作期望.
      decides: 能否作主.  hesitation: 犹豫原因.  reported: 反馈商务日期 (the latest feedback).
      next_call: 下次跟进日期.  row: the row in its sheet.
    """
    number: str
    visited: date | None
    client: str = ""
    contact: str = ""
    phone: str = ""
    sales: str = ""
    staff: str = ""
    called: date | None = None
    intention: str = ""
    expectation: str = ""
    decides: str = ""
    hesitation: str = ""
    reported: date | None = None
    next_call: date | None = None
    row: int | None = None


Deadlines = Callable[[date, int], "date | None"]     # (a day, n) -> the n-th working day after it


def workdays_after(calendar: WorkCalendar) -> Deadlines:
    """Deadlines by the statutory calendar (holidays and 调休 Saturdays)."""
    return lambda day, n: nth_workday_after(day, n, calendar)


def listed_after(days: Sequence[date]) -> Deadlines:
    """Deadlines as a sheet's formula reads its hidden 工作日历 (the working days listed, sorted):
    SMALL(日历, COUNTIF(日历, "<="&day) + n) — None past the list's end (IFERROR → "")."""
    days = sorted(days)

    def after(day: date, n: int) -> date | None:
        if n <= 0:
            return day
        index = bisect_right(days, day) + n - 1
        return days[index] if index < len(days) else None
    return after


def pending(p: Prospect) -> str | None:
    """The step `p` waits for; None when it is finished (完成).

    - not called yet (回访日期 blank): 回访;
    - called, not reported since (反馈商务日期 blank or before 回访日期): 反馈商务;
    - reported and 下次跟进日期 after 回访日期: 跟进;
    - else finished. A later call is typed over 回访日期 (and its feedback over 反馈商务日期), so
      each follow-up call owes 商务 a feedback again."""
    if p.called is None:
        return CALL
    if p.reported is None or p.reported < p.called:
        return REPORT
    if p.next_call is not None and p.next_call > p.called:
        return FOLLOW
    return None


def finished(p: Prospect) -> bool:
    return pending(p) is None


def deadlines(p: Prospect, after: Deadlines, callback_days: int) -> tuple[date | None, date | None]:
    """(回访时限, 反馈时限): the `callback_days`-th working day after 出访日期, the next working
    day after 回访日期 (None without the date)."""
    return (after(p.visited, callback_days) if p.visited else None,
            after(p.called, REPORT_DAYS) if p.called else None)


def step_due(p: Prospect, after: Deadlines, callback_days: int) -> tuple[str | None, date | None]:
    """(the pending step, the day it is due)."""
    step = pending(p)
    call_by, report_by = deadlines(p, after, callback_days)
    return step, {CALL: call_by, REPORT: report_by, FOLLOW: p.next_call}.get(step)


def state(p: Prospect, as_of: date, after: Deadlines, callback_days: int) -> str:
    """状态 on `as_of` (the sheet's 截至日期): late when `as_of` is past the step's day."""
    if not p.number:
        return ""
    step, due = step_due(p, after, callback_days)
    if step is None:
        return DONE
    late = due is not None and as_of > due
    return {CALL: (TO_CALL, CALL_LATE), REPORT: (TO_REPORT, REPORT_LATE),
            FOLLOW: (FOLLOWING, FOLLOW_LATE)}[step][late]


@dataclass(frozen=True)
class CallbackDue:
    """A prospect callback the plan lists on a day (今日's 未联系上 block).

    Attributes:
      prospect: the row.  what: 回访 / 反馈商务 / 跟进.  due: the day it is due.
      late: `day` is past `due`; late_days: working days past it (0 when not late).
      reason: the plan line's 原因 in Chinese (「商务 11-03 出访，应 11-04 前回访」…)."""
    prospect: Prospect
    what: str
    due: date | None
    late: bool
    late_days: int
    reason: str


def callbacks_due(prospects: Iterable[Prospect], day: date, calendar: WorkCalendar,
                  callback_days: int) -> list[CallbackDue]:
    """The prospect steps due on `day` or late by then (a step due later is not listed; a
    step with no deadline — no 出访日期 — is listed as due), late ones first (the longest
    late first), then by due day and 出访编号. What 今日 lists for the prospects in 商务回访."""
    after, out = workdays_after(calendar), []
    for p in prospects:
        if not p.number:
            continue
        step, due = step_due(p, after, callback_days)
        if step is None or (due is not None and due > day):
            continue
        late = due is not None and day > due
        late_days = calendar.count(due + timedelta(days=1), day) if late else 0
        out.append(CallbackDue(p, step, due, late, late_days, _reason(p, step, due, late, late_days)))
    return sorted(out, key=lambda c: (not c.late, -c.late_days, c.due or date.min, c.prospect.number))


def _reason(p: Prospect, step: str, due_day: date | None, late: bool, late_days: int) -> str:
    due = due_day.strftime("%m-%d") if due_day else "—"
    if step == CALL:
        visited = p.visited.strftime("%m-%d") if p.visited else "（未填出访日期）"
        text = f"商务 {visited} 出访，应 {due} 前回访"
    elif step == REPORT:
        text = f"{p.called.strftime('%m-%d')} 已回访，应 {due} 前反馈商务"
    else:
        text = f"约定 {due} 再跟进"
    if late:
        text += f"（已逾期 {late_days} 个工作日）" if late_days else "（已逾期）"
    return text


# --------------------------------------------------------------------------- per 商务

@dataclass(frozen=True)
class SalesSummary:
    """One 商务's line of 商务汇总 (what is sent to them)."""
    sales: str
    prospects: int
    reached: int
    intentions: tuple[int, int, int, int]      # 高 / 中 / 低 / 无意向
    not_called: int
    late: int
    hesitations: str


def main_hesitations(texts: Iterable[str], top: int = 3) -> str:
    """The most frequent 犹豫原因 (typed texts, trimmed; ties in order of first appearance):
    「价格高（3）、效果担心（2）」."""
    counts = Counter(t for t in texts if t)
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])[:top]     # sorted() is stable: first seen first
    return "、".join(f"{t}（{n}）" for t, n in ranked)


def sales_summary(sales: str, rows: Sequence[Prospect], states: Sequence[str]) -> SalesSummary:
    """A 商务's figures over the team file's rows (with their 状态): rows without 出访编号 (状态
    blank) are not prospects."""
    mine = [(p, s) for p, s in zip(rows, states) if p.sales == sales and s]
    return SalesSummary(
        sales, len(mine), sum(1 for _, s in mine if s not in NOT_CALLED),
        tuple(sum(1 for p, _ in mine if p.intention == i) for i in INTENTIONS),
        sum(1 for _, s in mine if s in NOT_CALLED), sum(1 for _, s in mine if s in LATE_STATES),
        main_hesitations(p.hesitation for p, _ in mine))
