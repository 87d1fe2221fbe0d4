"""Complaint ledger rules (docs/complaints.md): the merchant's reply deadline in statutory working
days, lateness, status, handling time, the merchant ranking with its 黑榜/红榜 nominations,
the category/brand table and the Monday–Sunday weekly report. Pure functions, no I/O;
each mirrors a formula of kinds/complaints.py."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from ..calendar import WorkCalendar
from ..records import Complaint
from .deadlines import late, nth_workday_after

RESOLVED, OPEN = "已解决", "处理中"
CURRENT, CARRIED = "当月", "遗留"
BLACK, RED = "黑榜", "红榜"
YES, NO = "是", "否"
UNFILLED = "（未填）"
FALLBACK_CHANNEL = "其他"      # a blank or unknown 渠道 gets the deadline of 其他


def reply_days(channel: str, days_by_channel: dict[str, int]) -> int:
    return days_by_channel.get(channel, days_by_channel[FALLBACK_CHANNEL])


def reply_deadline(c: Complaint, days_by_channel: dict[str, int], calendar: WorkCalendar) -> date | None:
    """回复时限 = 登记日期 + N statutory working days (N by 渠道)."""
    if c.registered is None:
        return None
    return nth_workday_after(c.registered, reply_days(c.channel, days_by_channel), calendar)


def late_reply(c: Complaint, deadline: date | None, as_of: date) -> bool | None:
    """回复超时: the reply came after the deadline, or has not come and 截至日期 is past it."""
    return late(c.replied, c.replied_filled, deadline, as_of)


def status(c: Complaint) -> str:
    return RESOLVED if c.resolved_filled else OPEN


def handling_days(c: Complaint, as_of: date, calendar: WorkCalendar) -> int | None:
    """处理工作日: working days after 登记日期 up to and including 解决日期 (截至日期 while open)."""
    if c.registered is None:
        return None
    end = c.resolved if c.resolved is not None else as_of
    if end <= c.registered:
        return 0
    return calendar.count(c.registered + timedelta(days=1), end)


@dataclass(frozen=True)
class Judged:
    """A complaint with its derived figures."""
    complaint: Complaint
    deadline: date | None
    late: bool | None
    status: str
    days: int | None


def judge(complaints: list[Complaint], days_by_channel: dict[str, int], as_of: date,
          calendar: WorkCalendar) -> list[Judged]:
    out = []
    for c in complaints:
        deadline = reply_deadline(c, days_by_channel, calendar)
        out.append(Judged(c, deadline, late_reply(c, deadline, as_of), status(c), handling_days(c, as_of, calendar)))
    return out


def cooperation(late: int, total: int) -> Decimal | None:
    """配合度 = 1 − late ÷ total (None without complaints)."""
    return None if not total else Decimal(1) - Decimal(late) / Decimal(total)


def merchant_key(name: str) -> str:
    # COUNTIF matches text case-insensitively; so does the ranking
    return name.casefold()


def merchant_ranking(judged: list[Judged]) -> list[dict]:
    """商家排名 rows: 投诉数 desc, then 回复超时 desc, then 商家; 排名 1, 2, 3 …"""
    groups: dict[str, list[Judged]] = {}
    names: dict[str, str] = {}
    for j in judged:
        if not j.complaint.merchant:
            continue
        key = merchant_key(j.complaint.merchant)
        groups.setdefault(key, []).append(j)
        names.setdefault(key, j.complaint.merchant)
    rows = []
    for key, items in groups.items():
        days = [j.days for j in items if j.days is not None]
        late = sum(1 for j in items if j.late)
        rows.append({
            "商家": names[key], "投诉数": len(items), "重大": sum(1 for j in items if j.complaint.major),
            "已解决": sum(1 for j in items if j.status == RESOLVED), "回复超时": late,
            "平均处理工作日": Decimal(sum(days)) / len(days) if days else None,
            "配合度": cooperation(late, len(items)),
        })
    rows.sort(key=lambda r: (-r["投诉数"], -r["回复超时"], r["商家"]))
    for rank, r in enumerate(rows, 1):
        r["排名"] = rank
    return rows


def blacklist(ranking: list[dict], size: int) -> list[dict]:
    """The first `size` ranked merchants with ≥ 2 complaints or any major one."""
    return [r for r in ranking if r["投诉数"] >= 2 or r["重大"] > 0][:size]


def redlist(settled_counts: dict[str, int], ranking: list[dict], size: int) -> list[tuple[str, int]]:
    """Up to `size` merchants of the month's settlement with the most 结算单数 and no complaint."""
    complained = {merchant_key(r["商家"]) for r in ranking}
    candidates = [(m, n) for m, n in settled_counts.items() if n > 0 and merchant_key(m) not in complained]
    candidates.sort(key=lambda mn: (-mn[1], mn[0]))
    return candidates[:size]


def category_key(category: str, brand: str) -> tuple[str, str]:
    return (category or UNFILLED, brand or UNFILLED)


def category_rows(judged: list[Judged]) -> list[dict]:
    """品类品牌 rows: 投诉数 desc, then 品类, 品牌."""
    groups: dict[tuple[str, str], list[Judged]] = {}
    names: dict[tuple[str, str], tuple[str, str]] = {}
    for j in judged:
        shown = category_key(j.complaint.category, j.complaint.brand)
        key = (shown[0].casefold(), shown[1].casefold())
        groups.setdefault(key, []).append(j)
        names.setdefault(key, shown)
    rows = [{"品类": names[k][0], "品牌": names[k][1], "投诉数": len(items),
             "重大": sum(1 for j in items if j.complaint.major),
             "处理中": sum(1 for j in items if j.status == OPEN)} for k, items in groups.items()]
    rows.sort(key=lambda r: (-r["投诉数"], r["品类"], r["品牌"]))
    return rows


def weekly_report(weeks: list[tuple[date, date]], judged: list[Judged]) -> list[dict]:
    """周报 per week: 新投诉 (registered in it), 已解决 (resolved in it), 处理中重大 (major,
    registered by its Sunday and not resolved by then), 回复超时 (registered in it and late),
    配合度 = 1 − 回复超时 ÷ 新投诉."""
    rows = []
    for monday, sunday in weeks:
        def within(d: date | None) -> bool:
            return d is not None and monday <= d <= sunday
        new = [j for j in judged if within(j.complaint.registered)]
        late = sum(1 for j in new if j.late)
        open_major = sum(1 for j in judged if j.complaint.major and j.complaint.registered is not None
                         and j.complaint.registered <= sunday and not _resolved_by(j.complaint, sunday))
        rows.append({"周一": monday, "周日": sunday, "新投诉": len(new),
                     "已解决": sum(1 for j in judged if within(j.complaint.resolved)),
                     "处理中重大": open_major, "回复超时": late, "配合度": cooperation(late, len(new))})
    return rows


def _resolved_by(c: Complaint, day: date) -> bool:
    # 解决日期 as text counts as never resolved for the weekly figures (the formula's 解决键)
    return c.resolved is not None and c.resolved <= day


def carried_over(c: Complaint) -> bool:
    """Next month's ledger carries every complaint still 处理中."""
    return status(c) == OPEN
