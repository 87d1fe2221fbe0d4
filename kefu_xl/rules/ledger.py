"""Order books (docs/orders.md): register continuity and exclusivity, issue/return figures."""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from ..records import BookIssue, IssueFigures, OrderBook

NOT_RETURNED, MISSING, RETURNED = "未回收", "有缺失", "已回收"


def register_findings(books: list[OrderBook]) -> list[tuple[str, list[OrderBook], str]]:
    """(code, books involved, Chinese message) for every break of 号码延续性和独占性."""
    found = []
    seen: dict[str, OrderBook] = {}
    usable = []
    for b in books:
        if b.book_id in seen:
            found.append(("DUPLICATE_BOOK", [seen[b.book_id], b], f"订单本号「{b.book_id}」重复登记。"))
            continue
        seen[b.book_id] = b
        if b.start is None or b.end is None:
            found.append(("BOOK_RANGE_MISSING", [b], f"订单本「{b.book_id}」缺少起始号或结束号。"))
            continue
        if b.end < b.start:
            found.append(("BOOK_RANGE_REVERSED", [b], f"订单本「{b.book_id}」结束号 {b.end} 小于起始号 {b.start}。"))
            continue
        if b.count is not None and b.count != b.end - b.start + 1:
            found.append(("BOOK_SIZE_MISMATCH", [b],
                          f"订单本「{b.book_id}」号码 {b.start}–{b.end} 共 {b.end - b.start + 1} 张，登记的张数却是 {b.count}。"))
        usable.append(b)
    usable.sort(key=lambda b: (b.start, b.end))
    for prev, cur in zip(usable, usable[1:]):
        if cur.start <= prev.end:
            found.append(("BOOK_OVERLAP", [prev, cur],
                          f"订单本「{prev.book_id}」（{prev.start}–{prev.end}）与「{cur.book_id}」（{cur.start}–{cur.end}）"
                          f"号码重叠：每个订单号只能属于一本。"))
        elif cur.start > prev.end + 1:
            found.append(("BOOK_GAP", [prev, cur],
                          f"订单本「{prev.book_id}」（止于 {prev.end}）与「{cur.book_id}」（起于 {cur.start}）之间缺少号码 "
                          f"{prev.end + 1}–{cur.start - 1}：号码必须连续。"))
    return found


def book_sizes(books: list[OrderBook]) -> dict[str, int]:
    """{订单本号: 张数} as the sheet's INDEX/MATCH sees it (first row of an ID wins)."""
    sizes: dict[str, int] = {}
    for b in books:
        if b.book_id.casefold() not in sizes and b.count is not None:
            sizes[b.book_id.casefold()] = b.count
    return sizes


def deposit_of(issue: BookIssue, default: Decimal) -> Decimal:
    return default if issue.deposit is None else issue.deposit


def issue_figures(issue: BookIssue, size: int | None, default_deposit: Decimal,
                  fine_per_missing: Decimal) -> IssueFigures:
    """缺失 = 张数 − 已开 − 未开 − 作废 once returned; 未追回 = 缺失 − 追回; 罚款 = 未追回 × 100;
    退押金 = 押金 when nothing is left unrecovered; 状态 未回收/有缺失/已回收."""
    if issue.returned is None:
        return IssueFigures(None, None, None, None, NOT_RETURNED)
    if size is None:
        return IssueFigures(None, None, None, None, RETURNED)
    missing = size - (issue.opened or 0) - (issue.unopened or 0) - (issue.voided or 0)
    unrecovered = missing - (issue.recovered or 0)
    fine = max(unrecovered, 0) * fine_per_missing
    back = deposit_of(issue, default_deposit) if unrecovered <= 0 else Decimal(0)
    return IssueFigures(missing, unrecovered, fine, back, MISSING if unrecovered > 0 else RETURNED)


def open_issues_twice(issues: list[BookIssue]) -> list[tuple[BookIssue, BookIssue]]:
    """Pairs (earlier, later) where a book was issued again before the earlier issue returned."""
    by_book = defaultdict(list)
    for i in issues:
        if i.book_id:
            by_book[i.book_id.casefold()].append(i)
    pairs = []
    for rows in by_book.values():
        rows.sort(key=lambda i: (i.issued or i.returned or _FAR, i.row or 0))
        for earlier, later in zip(rows, rows[1:]):
            if earlier.returned is None or (later.issued and earlier.returned > later.issued):
                pairs.append((earlier, later))
    return pairs


def merchant_totals(issues: list[BookIssue], figures: list[IssueFigures],
                    default_deposit: Decimal) -> dict[tuple[str, str], dict]:
    """商家汇总 per (活动场次, 商家): books, deposits, opened, missing, fines, deposits back."""
    out: dict[tuple[str, str], dict] = {}
    for issue, f in zip(issues, figures):
        key = (issue.event, issue.merchant)
        t = out.setdefault(key, {"领用本数": 0, "押金合计": Decimal(0), "已开": 0, "缺失": 0,
                                 "罚款": Decimal(0), "退押金": Decimal(0)})
        t["领用本数"] += 1
        t["押金合计"] += deposit_of(issue, default_deposit)
        t["已开"] += issue.opened or 0
        t["缺失"] += f.missing or 0
        t["罚款"] += f.fine or 0
        t["退押金"] += f.deposit_back or 0
    return out


_FAR = __import__("datetime").date(9999, 12, 31)
