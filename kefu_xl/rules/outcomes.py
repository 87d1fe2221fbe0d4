"""Work that counts when it achieved something (docs/work.md, seed rule 「必须要有明确的工作达成才能
算一次有效电话」): each rule's Python and its formula fragment side by side, used by the team's
and the personal 工作记录 alike. Switches: config.ValidRules (a month's own, rules/valid.py).

- 电话拜访 (上门拜访 with its own switch) counts with its 满意度 filled;
- 帐户优化 counts when 客户接受 is 是;
- 续费完成, 电话邀约 — and, in a personal workbook, 其他 — depend on files the row's workbook
  cannot read with a formula (续费跟踪, 见面会与培训.xlsx, the team's 抽查): Python finds the
  outcome at recalc (team_check below) and writes it into the row's hidden 团队核对 cell,
  which the formula reads; a row typed since shows 「待团队核对」;
- 其他 in the team tracker: 抽查's 认可 column, read live by the formula;
- with [journal] late_entry = "invalid", a record the 日志 judged 补录 does not count: Python
  writes 「补录」 into its 团队核对 (any 工作类型), the formula's first check reads it.
"""
from __future__ import annotations

from datetime import date

from ..config import ValidRules
from ..records import WorkRecord
from .completion import id_key, record_key

SATISFACTION = ("很满意", "满意", "一般", "不满意", "很不满意")
UNHAPPY = ("不满意", "很不满意")
ACCEPTED, REFUSED = "是", "否"
RECOGNISED, UNRECOGNISED = "认可", "不认可"
CHECKED = "有效"                          # 团队核对 of a record whose outcome was found
CHECK_COLUMN = "团队核对"
SATISFACTION_COLUMN, ACCEPTED_COLUMN, RECOGNISED_COLUMN = "满意度", "客户接受", "认可"

REASON_NO_SATISFACTION = "未填满意度"
REASON_NO_ANSWER = "未填客户接受"
REASON_NOT_ACCEPTED = "客户未接受"
REASON_NOT_PAID = "续费未到帐"
REASON_NO_RENEWAL = "续费跟踪中没有这个帐户"
REASON_WAITING = "等待到会"
REASON_ABSENT = "客户未到会"
REASON_UNRECOGNISED = "不认可"
REASON_PENDING = "待团队核对"
REASON_LATE = "补录"

# a few ways teams wrote satisfaction before the drop-down (an adopted 满意度 column)
SATISFACTION_ALIASES = {"非常满意": "很满意", "十分满意": "很满意", "比较满意": "满意", "还行": "一般", "一般般": "一般",
                        "中等": "一般", "不太满意": "不满意", "非常不满意": "很不满意", "很差": "很不满意"}


def satisfaction_of(text: str) -> str | None:
    """The drop-down value a typed 满意度 means; None when it is none of them."""
    text = text.strip()
    return text if text in SATISFACTION else SATISFACTION_ALIASES.get(text)


def team_types(rules: ValidRules, personal: bool) -> tuple[str, ...]:
    """The 工作类型 whose outcome is in another file (团队核对): in a personal workbook 其他 too."""
    types = []
    if rules.renewal_paid:
        types.append("续费完成")
    if rules.invitation_attended:
        types.append("电话邀约")
    if personal and rules.other_recognised:
        types.append("其他")
    return tuple(types)


def reason(rec: WorkRecord, rules: ValidRules, check: str | None, *, personal: bool = False,
           unrecognised: frozenset[str] = frozenset()) -> str:
    """The outcome reason a record is not valid for ("" when it counts): `check` is its 团队核对
    (None: not yet known); `unrecognised`: 抽查 keys the manager marked 不认可 (the team tracker)."""
    kind = rec.work_type
    if rules.late_invalid and check == REASON_LATE:
        return REASON_LATE
    if (kind == "电话拜访" and rules.satisfaction) or (kind == "上门拜访" and rules.visit_satisfaction):
        if not rec.satisfaction:
            return REASON_NO_SATISFACTION
    if kind == "帐户优化" and rules.optimisation_accepted:
        if not rec.accepted:
            return REASON_NO_ANSWER
        if rec.accepted != ACCEPTED:
            return REASON_NOT_ACCEPTED
    if kind in team_types(rules, personal):
        if not check:
            return REASON_PENDING
        return "" if check == CHECKED else check
    if kind == "其他" and rules.other_recognised and not personal and \
            record_key(rec.account_id, rec.day, rec.staff) in unrecognised:
        return REASON_UNRECOGNISED
    return ""


def clause(rules: ValidRules, rest: str, *, personal: bool, spot: str = "") -> str:
    """reason() as a formula fragment in front of `rest` (the reasons after it): IF(…,"reason",rest).
    `spot`: the team tracker's 抽查 sheet, whose 认可 the 其他 check reads."""
    out = rest
    if not personal and rules.other_recognised and spot:
        out = (f'IF(AND([工作类型]="其他",COUNTIFS([{spot}!记录键],[抽查键],[{spot}!认可],"{UNRECOGNISED}")>0),'
               f'"{REASON_UNRECOGNISED}",{out})')
    types = team_types(rules, personal)
    if types:
        out = (f'IF({_one_of(types)},IF([{CHECK_COLUMN}]="{CHECKED}","",IF([{CHECK_COLUMN}]="","{REASON_PENDING}",'
               f'[{CHECK_COLUMN}])),{out})')
    if rules.optimisation_accepted:
        out = (f'IF(AND([工作类型]="帐户优化",[{ACCEPTED_COLUMN}]=""),"{REASON_NO_ANSWER}",'
               f'IF(AND([工作类型]="帐户优化",[{ACCEPTED_COLUMN}]<>"{ACCEPTED}"),"{REASON_NOT_ACCEPTED}",{out}))')
    asked = tuple(t for t, on in (("电话拜访", rules.satisfaction), ("上门拜访", rules.visit_satisfaction)) if on)
    if asked:
        out = f'IF(AND({_one_of(asked)},[{SATISFACTION_COLUMN}]=""),"{REASON_NO_SATISFACTION}",{out})'
    if rules.late_invalid:
        out = f'IF([{CHECK_COLUMN}]="{REASON_LATE}","{REASON_LATE}",{out})'
    return out


def _one_of(types: tuple[str, ...]) -> str:
    tests = [f'[工作类型]="{t}"' for t in types]
    return tests[0] if len(tests) == 1 else "OR(" + ",".join(tests) + ")"


# --------------------------------------------------------------------------- 团队核对 (Python only)

def renewal_check(rec: WorkRecord, received: dict[str, list[date | None]] | None, first: date, last: date) -> str:
    """续费完成: 有效 when a row of the account in the month's 续费跟踪 (遗留 included) has 到帐日期
    in the month and not after `last` (the recalc date); `received`: {id_key: [到帐日期 of each row]},
    None for a team that keeps no 续费跟踪 (then the work counts as typed)."""
    if received is None:
        return CHECKED
    days = received.get(id_key(rec.account_id))
    if days is None:
        return REASON_NO_RENEWAL
    return CHECKED if any(d is not None and first <= d <= last for d in days) else REASON_NOT_PAID


def invitation_check(rec: WorkRecord, meetings: list[tuple[date, str, str]], as_of: date) -> str:
    """电话邀约: 有效 when the account is marked 到会 = 是 at the first 见面会 dated on or after the
    record (`meetings`: (见面会日期, id_key of 帐户ID, 到会) rows); before that meeting 等待到会,
    after it 客户未到会."""
    if rec.day is None:
        return REASON_WAITING
    dates = sorted({d for d, _, _ in meetings if d >= rec.day})
    if not dates:
        return REASON_WAITING
    first = dates[0]
    key = id_key(rec.account_id)
    if any(d == first and k == key and came == ACCEPTED for d, k, came in meetings):
        return CHECKED
    return REASON_WAITING if first > as_of else REASON_ABSENT


def other_check(rec: WorkRecord, unrecognised: frozenset[str]) -> str:
    """其他 (a personal workbook's view of the team's 抽查): 不认可 when the manager said so."""
    return REASON_UNRECOGNISED if record_key(rec.account_id, rec.day, rec.staff) in unrecognised else CHECKED


def team_check(rec: WorkRecord, rules: ValidRules, facts: "TeamFacts", *, personal: bool) -> str:
    """The 团队核对 value of a record: 补录 when the 日志 judged it so and late entries do not
    count; else the outcome found in the team's other files, "" when its type needs none."""
    if rules.late_invalid and facts.is_late(rec):
        return REASON_LATE
    if rec.work_type not in team_types(rules, personal):
        return ""
    if rec.work_type == "续费完成":
        return renewal_check(rec, facts.received, facts.first, facts.last)
    if rec.work_type == "电话邀约":
        return invitation_check(rec, facts.meetings, facts.today)
    return other_check(rec, facts.unrecognised)


class TeamFacts:
    """What the outcome rules read from the team's files for a month: 到帐日期 per account
    (续费跟踪), 见面会 rows, 抽查 keys marked 不认可. `last`: the recalc date within the month (to
    which 到帐 counts); `today`: the recalc date itself (a meeting early next month still tells).
    `received` and `meetings` may be given as functions: a file is read only when a record
    needs it (most recalcs have no 续费完成 or 电话邀约 to judge)."""

    def __init__(self, first: date, last: date, today: date, received=None, meetings=None,
                 unrecognised: frozenset[str] = frozenset(), late=None):
        self.first, self.last, self.today = first, last, today
        self._received, self._meetings, self._late = received, meetings, late
        self.unrecognised = unrecognised

    def is_late(self, rec: WorkRecord) -> bool:
        """Whether the 日志 judged the record 补录 (`late`: {客服: {record identity}}, or a
        function giving it: the journal is read only when late entries do not count)."""
        if callable(self._late):
            self._late = self._late()
        return late_identity(rec) in (self._late or {}).get(rec.staff, ())

    @property
    def received(self) -> dict[str, list[date | None]] | None:
        if callable(self._received):
            self._received = self._received()
        return self._received

    @property
    def meetings(self) -> list[tuple[date, str, str]]:
        if callable(self._meetings):
            self._meetings = self._meetings()
        return self._meetings or []


def team_checks(records: list[WorkRecord], rules: ValidRules, facts: TeamFacts | None, *,
                personal: bool) -> list[str]:
    """团队核对 of each record ("" where not needed, or where nothing could be read: 待团队核对)."""
    if facts is None:
        return [""] * len(records)
    return [team_check(rec, rules, facts, personal=personal) for rec in records]


def judge(rules: ValidRules, checks: list[str], *, personal: bool, unrecognised: frozenset[str] = frozenset()):
    """The outcome step of completion.classify_work: (index, record) -> reason ("" = counts)."""
    def outcome(i: int, rec: WorkRecord) -> str:
        return reason(rec, rules, checks[i] or None, personal=personal, unrecognised=unrecognised)
    return outcome


def late_identity(rec: WorkRecord) -> tuple:
    """A record as rules/journal.identity names it: its date, account and every typed cell but 客服."""
    return (rec.day.isoformat() if rec.day else "", id_key(rec.account_id), rec.work_type, rec.contact, rec.summary,
            rec.satisfaction, rec.accepted)
