"""Checks before money moves (issue 33). Reading checks each value; these look at the inputs
together and stop a settlement whose payouts would silently be wrong: an error refuses it
(nothing is written; each problem names file, sheet, row and the fix), a warning is printed
and listed in the workbook's 异常. Each check is a plain function; run_checks lists them.

Decisions (docs/settle.md explains them to users):
- a 结算流转单 sheet other than the form that holds lines or order numbers → error;
- a merchant on a form that 领用 does not know → error, with the nearest names;
- a claimed order held (暂缓) in an earlier month and missing from the CRM exports → error
  naming the export needed (settle.py reads earlier exports first); one settled earlier → warning;
- 订单台账 errors that change who owns an order or what a merchant is fined → error when
  they touch a merchant in this settlement (or a claimed order), otherwise a warning;
- books not yet returned → warning: docs/orders.md works out 缺失 and 罚款 only from the return,
  and docs/settle.md deducts them in the first settlement after it; the deposit stays withheld;
- an earlier month re-run after a later one was settled → warning (rules/settle.py never
  pays an order twice).
"""
from __future__ import annotations

import difflib
from bisect import bisect_right
from collections import defaultdict
from decimal import Decimal

from ..io.values import is_blank, parse_id
from ..kinds import orders
from ..records import BookIssue, OrderBook, Problem, Severity, SubmittedLine
from ..rules import ledger
from ..rules import settle as rules

FORM_HEADERS = "商家 · 订单号 · 商家联 · 网友联 · 申报金额"
LEDGER = orders.FILE_NAME
RECALC_HINT = "改好后重算订单台账（Excel 中点 客服工具 → 重算）检查"


def run_checks(ctx: rules.SettleContext, lines: list[SubmittedLine], others: list, fines: dict[str, Decimal],
               deposit: Decimal, fine_per_missing: Decimal, problems: list[Problem]) -> None:
    """Every pre-settlement check, in the order a person would fix things."""
    other_sheets(others, ctx.books, problems)
    unknown_merchants(lines, ctx.issues, problems)
    in_settlement = {line.merchant for line in lines} | {m for m, fine in fines.items() if fine}
    ledger_errors(ctx.books, ctx.issues, in_settlement, {line.order_no for line in lines}, deposit,
                  fine_per_missing, problems)
    unreturned_books(ctx.issues, in_settlement, deposit, problems)
    later_settlements(ctx.settled, ctx.month, problems)


def rows_text(rows: list[int], limit: int = 8) -> str:
    """第 3–22、25 行: consecutive rows as ranges, the first `limit` ranges."""
    spans: list[list[int]] = []
    for r in sorted(set(rows)):
        if spans and r == spans[-1][1] + 1:
            spans[-1][1] = r
        else:
            spans.append([r, r])
    text = "、".join(f"{a}–{b}" if b > a else f"{a}" for a, b in spans[:limit])
    return f"第 {text}{' 等' if len(spans) > limit else ''} 行"


# ------------------------------------------------------------------ the forms

def other_sheets(others: list, books: list[OrderBook], problems: list[Problem]) -> None:
    """A form's non-empty sheets besides the one read, as (file, form sheet, sheet, rows
    with lines under the form's headers or None) from settle.read_submissions. Lines, or
    order numbers of registered books anywhere on them, are refused: kefu-xl reads one sheet
    per form and would silently leave them out of the settlement."""
    find = book_finder(books)
    for file, form, sheet, rows in others:
        if rows is not None and not rows:
            problems.append(Problem(file, sheet.title, None, "", "SHEET_NOT_READ",
                                    f"只有表头，没有申报行，没有读取；申报只读「{form}」。", Severity.INFO))
            continue
        if rows:
            problems.append(Problem(
                file, sheet.title, rows[0], "", "EXTRA_FORM_SHEET",
                f"这张工作表也有 {len(rows)} 行申报（{rows_text(rows)}），kefu-xl 只读这个文件的「{form}」一张。"
                f"请把这些行移到「{form}」中；如果它们不是本月的申报（草稿、旧版本），把这张工作表删除或移到别的文件，再运行。"))
            continue
        hit = first_order_number(sheet.grid, find)
        if hit:
            row, order, book = hit
            problems.append(Problem(
                file, sheet.title, row, "", "EXTRA_SHEET_WITH_ORDERS",
                f"这张工作表有订单号 {order}（订单本 {book.book_id}），但不是申报表（表头应为 {FORM_HEADERS}），"
                f"kefu-xl 只读「{form}」。如果这里是申报，请把它们移到「{form}」中；否则请把这张工作表移出结算流转单文件，再运行。"))
        else:
            problems.append(Problem(file, sheet.title, None, "", "SHEET_NOT_READ",
                                    f"不是申报表（没有订单号），没有读取；申报只读「{form}」。", Severity.INFO))


def book_finder(books: list[OrderBook]):
    """order number (int) -> the registered book holding it, or None."""
    usable = sorted((b for b in books if b.start is not None and b.end is not None), key=lambda b: b.start)
    starts = [b.start for b in usable]

    def find(n: int) -> OrderBook | None:
        i = bisect_right(starts, n) - 1
        return usable[i] if i >= 0 and usable[i].start <= n <= usable[i].end else None
    return find


def first_order_number(grid: list[list], find) -> tuple[int, str, OrderBook] | None:
    """(row, order, book) of the first cell holding an order number of a registered book."""
    for r, row in enumerate(grid, 1):
        for value in row:
            if is_blank(value) or isinstance(value, bool):
                continue
            if isinstance(value, float) and not value.is_integer():
                continue
            text = parse_id(value)
            if text.isdigit() and len(text) < 19:
                book = find(int(text))
                if book:
                    return r, text, book
    return None


# ------------------------------------------------------------------ merchants

def unknown_merchants(lines: list[SubmittedLine], issues: list[BookIssue], problems: list[Problem]) -> None:
    """A merchant named on a form that 领用 never issued a book to: every line of it would be
    不结算 NOT_ISSUED_TO_MERCHANT, which nearly always means the name is spelled another way
    (欧派 for 欧派橱柜). Refused, with the nearest names 领用 knows."""
    known = {i.merchant for i in issues if i.merchant}
    where: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for line in lines:
        if line.merchant not in known:
            where[(line.file, line.sheet, line.merchant)].append(line.row)
    for (file, sheet, merchant), rows in where.items():
        near = nearest_names(merchant, sorted(known))
        hint = f"最接近的是「{'」「'.join(near)}」。" if near else ""
        problems.append(Problem(
            file, sheet, min(rows), "商家", "UNKNOWN_MERCHANT",
            f"商家「{merchant}」不在订单台账「领用」中（{len(rows)} 行：{rows_text(rows)}），这些申报全部会是 不结算。{hint}"
            f"请把商家改成「领用」中登记的名称（一字不差）；如果这个商家确实没有领用过订单本，请删除这些行，再运行。"))


def nearest_names(name: str, known: list[str], n: int = 3) -> list[str]:
    """Known names that contain `name` or are contained in it first (欧派 → 欧派橱柜), then
    the closest by difflib's ratio."""
    folded = name.casefold().replace(" ", "").replace("\u3000", "")
    within = [k for k in known if folded and (folded in k.casefold() or k.casefold() in folded)]
    close = difflib.get_close_matches(name, known, n=n, cutoff=0.5)
    return list(dict.fromkeys([*within, *close]))[:n]


# ------------------------------------------------------------------ the ledger

# 订单台账 problems that change who owns an order or what a merchant is fined
OWNERSHIP_OR_FINE = {
    "DUPLICATE_BOOK", "BOOK_RANGE_MISSING", "BOOK_RANGE_REVERSED", "BOOK_SIZE_MISMATCH", "BOOK_OVERLAP",
    "NO_BOOK", "BOOK_NOT_IN_REGISTER", "NO_MERCHANT", "COUNTS_EXCEED_BOOK", "RECOVERED_EXCEEDS_MISSING",
    "RETURN_WITHOUT_COUNTS", "BOOK_ISSUED_TWICE",
}
WHY = {
    "BOOK_ISSUED_TWICE": "两个商家都能申报这本的订单",
    "COUNTS_EXCEED_BOOK": "缺失算出为负数，罚款会按 0 计",
    "RECOVERED_EXCEEDS_MISSING": "罚款会按 0 计",
    "RETURN_WITHOUT_COUNTS": "缺失会按整本计算、按整本罚款",
    "BOOK_NOT_IN_REGISTER": "这本的订单号找不到，罚款也算不出",
    "NO_BOOK": "这一行的订单号找不到，罚款也算不出",
    "NO_MERCHANT": "这本的订单谁申报都不能结算",
}


def ledger_errors(books: list[OrderBook], issues: list[BookIssue], in_settlement: set[str], claimed: set[str],
                  deposit: Decimal, fine_per_missing: Decimal, problems: list[Problem]) -> None:
    """The ledger's own checks (kinds/orders.check, as recalc runs them). One that changes
    who owns an order or what a merchant is fined refuses the settlement when it touches a
    merchant being settled or a claimed order: paying first and correcting later cannot be
    undone. The others, and those touching no one settled now, are warnings."""
    sizes = ledger.book_sizes(books)
    figures = [ledger.issue_figures(i, sizes.get(i.book_id.casefold()), deposit, fine_per_missing) for i in issues]
    found: list[Problem] = []
    orders.check(books, issues, figures, sizes, LEDGER, found)
    by_row = {i.row: i for i in issues}
    book_by_row = {b.row: b for b in books}
    issued_to = defaultdict(set)
    for i in issues:
        issued_to[i.book_id.casefold()].add(i.merchant)
    claimed_books: set[str] | None = None          # worked out only when a finding needs it

    def claimed_book(book: str) -> bool:
        nonlocal claimed_books
        if claimed_books is None:
            find = book_finder(books)
            claimed_books = {b.book_id.casefold() for b in (find(int(o)) for o in claimed if len(o) < 19) if b}
        return book in claimed_books
    for p in found:
        if p.sheet == orders.ISSUES:
            issue = by_row.get(p.row)
            book = issue.book_id.casefold() if issue else ""
            merchants = {issue.merchant} if issue else set()
            if p.code == "BOOK_ISSUED_TWICE":
                merchants |= issued_to.get(book, set())
        else:
            b = book_by_row.get(p.row)
            book = b.book_id.casefold() if b else ""
            merchants = issued_to.get(book, set())
        touches = (merchants & in_settlement) or (book and claimed_book(book))
        if p.code in OWNERSHIP_OR_FINE and touches:
            who = "、".join(sorted(merchants & in_settlement)) or "本月申报的订单"
            problems.append(Problem(
                p.file, p.sheet, p.row, p.column, p.code,
                f"{p.message.rstrip('。')}——{WHY.get(p.code, '订单归属或罚款因此不确定')}，涉及本月结算的{who}。"
                f"结算前请在 {LEDGER}「{p.sheet}」改正这一行（{RECALC_HINT}）。"))
        elif p.severity is not Severity.INFO:
            problems.append(Problem(p.file, p.sheet, p.row, p.column, p.code,
                                    f"{p.message.rstrip('。')}（不影响本月结算的商家；请在 {LEDGER} 中改正）。",
                                    Severity.WARNING))


def unreturned_books(issues: list[BookIssue], in_settlement: set[str], deposit: Decimal,
                     problems: list[Problem]) -> None:
    """Books of merchants being settled that are not back yet: their 缺失 and 罚款 are only
    known once 回收日期 is filled (docs/orders.md), and are deducted in the first settlement after
    that (docs/settle.md). Settling now is what the rules say; the warning makes sure it is seen."""
    open_rows: dict[str, list[BookIssue]] = defaultdict(list)
    for i in issues:
        if i.book_id and i.merchant in in_settlement and i.returned is None:
            open_rows[i.merchant].append(i)
    for merchant, rows in sorted(open_rows.items()):
        held = sum((ledger.deposit_of(i, deposit) for i in rows), Decimal(0))
        names = "、".join(i.book_id for i in rows[:6]) + (" 等" if len(rows) > 6 else "")
        problems.append(Problem(
            LEDGER, orders.ISSUES, rows[0].row, "回收日期", "BOOK_NOT_RETURNED",
            f"商家「{merchant}」有 {len(rows)} 本订单本未回收（{names}，{rows_text([i.row for i in rows])}）："
            f"缺失和罚款回收后才算得出，在回收后的第一次结算中扣除；押金 {held:,.2f} 元在回收前不退。"
            f"已经收回的，请先在「领用」填好回收日期和张数再结算。", Severity.WARNING))


def later_settlements(settled: dict[str, str], month: str, problems: list[Problem]) -> None:
    """Re-running a month after a later one was settled: said once, with what it means."""
    later = sorted(m for m in set(settled.values()) if m and rules.month_key(m) > rules.month_key(month))
    if later:
        problems.append(Problem(
            LEDGER, orders.SETTLED, None, "结算月份", "LATER_MONTH_SETTLED",
            f"「已结算」中已有以后月份（{'、'.join(later)}）的结算。重新结算 {month} 只替换 {month} 的结果："
            f"{month} 暂缓的订单仍是暂缓；以后月份已经结算的订单不会再结算；"
            f"罚款已在以后月份扣除的不再扣。", Severity.WARNING))


# ------------------------------------------------------------------ earlier months

def missing_from_crm(lines: list[SubmittedLine], settled: dict[str, str], held: dict, month: str,
                     crm_name: str, problems: list[Problem]) -> None:
    """Claimed orders no CRM export holds (this month's, nor an earlier one: settle.py looked)
    that an earlier month held (暂缓; `held`: {order: that month}, from the settlements of
    months whose export is gone) or settled. Held: refused — rule 1 would end them as
    NOT_IN_CRM for good, against 解决后下月再结 — naming the export that is needed. Settled:
    a warning; the line is 不结算 either way."""
    seen: set[str] = set()
    for line in lines:
        o = line.order_no
        if o in seen:
            continue
        seen.add(o)
        if o in held:
            other = held[o]
            gone = f"{other} 的 CRM 导出（{other}/inputs/CRM订单.csv 或 .xlsx）也不在工作区了"
            problems.append(Problem(
                line.file, line.sheet, line.row, "订单号", "HELD_ORDER_NOT_IN_CRM",
                f"订单 {o} 在 {other} 结算时暂缓（待下月再结），本月的 CRM 导出（{crm_name}）中没有它，{gone}："
                f"无法核对它现在的状态和金额，按规则会变成 不结算（CRM 中没有）。请把 {other} 的 CRM 导出放回 {other}/inputs/，"
                f"或重新导出本月的 CRM 订单并包含这个订单，再运行。"))
        elif o in settled and settled[o] and rules.month_key(settled[o]) < rules.month_key(month):
            problems.append(Problem(
                line.file, line.sheet, line.row, "订单号", "SETTLED_ORDER_NOT_IN_CRM",
                f"订单 {o} 已在 {settled[o]} 结算，但本月和以前月份的 CRM 导出中都没有它：这一行为 不结算 NOT_IN_CRM"
                f"（同样不会再付款）。把 {settled[o]} 的 CRM 导出放回 {settled[o]}/inputs/ 后，会显示为「该订单已经结算过」。",
                Severity.WARNING))
