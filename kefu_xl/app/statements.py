"""Per-merchant settlement statements (kefu-xl settle --statements): one printable A4
workbook per merchant — title, merchant, period, the merchant's lines with a reason a
merchant understands, totals (settled, held, not settled, fines, deposits), signature lines —
and, when LibreOffice is installed, a PDF of each. These leave the office: phones are
masked, no internal file names or row numbers appear, and a customer is shown only on an
order whose book was issued to this merchant (a claim on another merchant's order names
no one)."""
from __future__ import annotations

import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import xlsxwriter

from ..io.libreoffice import _profile, soffice
from ..io.values import mask_phone
from ..rules import ledger
from ..rules import settle as rules
from .settle_output import row_height, wrapped_lines

FONT = "微软雅黑"
COLUMNS = ["订单号", "网友", "手机", "结果", "原因", "申报金额", "结算金额"]
WIDTHS = (10, 8, 13, 7, 46, 11, 11)
FONT_SIZE = 10
NOT_THEIRS = ("NOT_IN_CRM", "NOT_ISSUED_TO_MERCHANT")      # no customer of someone else on the statement


def _safe(name: str) -> str:
    return re.sub(r'[\\/:*?"<>|]', "_", name)[:80] or "商家"


def _yuan(amount: Decimal) -> str:
    return f"{amount:,.2f} 元"


def merchant_reason(r, ctx) -> str:
    """The reason of a result in a merchant's words: what was found and what happens next,
    with the amounts when the claim and the paid amount differ — never where in which of our
    files it was found (rules.REASONS and the details of 明细 are for staff)."""
    line, code = r.line, r.code
    crm = ctx.crm.get(line.order_no)
    if code == "OK":
        text = "商家联、网友联齐全，按订单系统成交金额结算"
        if crm and line.declared != crm.amount:
            text += (f"。申报 {_yuan(line.declared)}，订单系统成交金额 {_yuan(crm.amount)}，"
                     f"相差 {_yuan(abs(line.declared - crm.amount))}，按成交金额结算")
        return text
    if code == "OK_CALLBACK":
        text = "商家联/网友联不全，经电话回访网友核实成交，按核实金额结算"
        if line.declared != r.amount:
            text += f"。申报 {_yuan(line.declared)}，核实金额 {_yuan(r.amount)}，相差 {_yuan(abs(line.declared - r.amount))}"
        return text
    if code == "ALREADY_SETTLED":
        month = ctx.settled.get(line.order_no) or ""
        return f"该订单已在 {month} 结算过，不重复结算" if month.strip() else "该订单已经结算过，不重复结算"
    if code == "REFUNDED":
        if crm and crm.status in rules.CRM_REFUNDED:
            return f"订单状态为「{crm.status}」，不结算"
        return "网友已退订退款，不结算"
    if code == "COMPLAINT_OPEN":
        # the context's value is 投诉编号（where it was found）: the number only, for the merchant
        number = (ctx.complaints.get(line.order_no) or "").split("（")[0].strip()
        return f"有处理中的投诉{f'（投诉编号 {number}）' if number else ''}，暂缓；投诉解决后下月再结"
    return {
        "NOT_IN_CRM": "订单系统中没有这个订单号，不结算；请核对订单号",
        "NOT_ISSUED_TO_MERCHANT": "这个订单号不在贵司领用的订单本中，不结算；请核对订单号",
        "DUPLICATE": "同一订单本月已申报过（前面一行），重复的这行不结算",
        "REFUND_PENDING": "网友正在预约退订，不结算",
        "CALLBACK_NO_DEAL": "商家联/网友联不全，电话回访网友核实未成交，不结算",
        "NEEDS_CALLBACK": "商家联/网友联不全，暂缓：我们将电话回访网友核实成交情况和金额，核实后结算",
    }.get(code, rules.REASONS[code][1])


def fine_details(merchant: str, outcome) -> list[str]:
    """One sentence per 领用 row whose fine is deducted now, and one on the merchant's books
    not yet returned: the deposits that are kept, and why."""
    inputs = outcome.inputs
    ctx, config = inputs.context, inputs.config
    deposit = config.deposit if config else Decimal(200)
    per_missing = config.fine_per_missing if config else Decimal(100)
    sizes = ledger.book_sizes(ctx.books)
    rows = set(inputs.fine_rows)
    out = []
    for issue in ctx.issues:
        if issue.merchant != merchant:
            continue
        if issue.row in rows:
            f = ledger.issue_figures(issue, sizes.get(issue.book_id.casefold()), deposit, per_missing)
            out.append(f"订单本 {issue.book_id}（{issue.event}）：缺失 {f.missing} 张，追回 {issue.recovered or 0} 张，"
                       f"未追回 {f.unrecovered} 张 × {per_missing:,.0f} 元 = 罚款 {_yuan(f.fine)}；"
                       f"押金 {_yuan(ledger.deposit_of(issue, deposit))} 不退。")
    open_books = [i for i in ctx.issues if i.merchant == merchant and i.book_id and i.returned is None]
    if open_books:
        held = sum((ledger.deposit_of(i, deposit) for i in open_books), Decimal(0))
        out.append(f"未交回的订单本 {len(open_books)} 本（{'、'.join(i.book_id for i in open_books[:8])}"
                   f"{' 等' if len(open_books) > 8 else ''}）：押金 {_yuan(held)} 在交回后结清；"
                   f"交回时如有缺失且无法追回，按 {per_missing:,.0f} 元/张罚款，从下次结算中扣除，押金不退。")
    return out


def write_statements(outcome, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    by_merchant: dict[str, list] = {}
    for r in outcome.results:
        by_merchant.setdefault(r.line.merchant, []).append(r)
    written = []
    for merchant, t in outcome.summary.items():
        path = folder / f"{_safe(merchant)}.xlsx"
        _write_one(path, merchant, t, by_merchant.get(merchant, []), outcome)
        written.append(path)
    return written


def _write_one(path: Path, merchant: str, t: dict, results: list, outcome) -> None:
    ctx = outcome.inputs.context
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_numbers": False})
    f = {k: wb.add_format({"font_name": FONT, "font_size": FONT_SIZE, **v}) for k, v in {
        "title": {"bold": True, "font_size": 16, "align": "center"},
        "text": {"border": 1, "valign": "top"},
        "wrap": {"border": 1, "text_wrap": True, "valign": "top"},
        "head": {"bold": True, "border": 1, "bg_color": "#D9D9D9", "align": "center"},
        "money": {"border": 1, "num_format": "#,##0.00", "valign": "top"},
        "bold": {"bold": True}, "plain": {}, "note": {"text_wrap": True, "valign": "top"},
        "label": {"bold": True, "border": 1, "bg_color": "#F2F2F2"},
        "cell": {"border": 1}, "cellmoney": {"border": 1, "num_format": "#,##0.00"},
        "boldmoney": {"bold": True, "border": 1, "num_format": "#,##0.00", "bg_color": "#F2F2F2"}}.items()}
    ws = wb.add_worksheet("对帐单")
    ws.set_paper(9)
    ws.set_portrait()
    ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(4)
    ws.set_footer("&C第 &P 页，共 &N 页")
    last = len(COLUMNS) - 1
    ws.merge_range(0, 0, 0, last, f"{outcome.month.label} 商家结算对帐单", f["title"])
    ws.write(2, 0, f"商家：{merchant}", f["bold"])
    ws.write(2, 4, f"结算期间：{outcome.month.first} 至 {outcome.month.last}", f["bold"])
    for c, (h, w) in enumerate(zip(COLUMNS, WIDTHS)):
        ws.write(4, c, h, f["head"])
        ws.set_column(c, c, w)
    row = 5
    for r in results:
        order = None if r.code in NOT_THEIRS else ctx.crm.get(r.line.order_no)
        for c, v in enumerate([r.line.order_no, order.customer if order else "",
                               mask_phone(order.phone) if order else "", r.result]):
            if v:
                ws.write_string(row, c, str(v), f["text"])
            else:
                ws.write_blank(row, c, None, f["text"])
        reason = merchant_reason(r, ctx)
        ws.write_string(row, 4, reason, f["wrap"])
        height = row_height(wrapped_lines(reason, WIDTHS[4]), FONT_SIZE)
        if height:
            ws.set_row(row, height)
        ws.write_number(row, 5, float(r.line.declared), f["money"])
        if r.result == rules.SETTLE:
            ws.write_number(row, 6, float(r.amount), f["money"])
        else:
            ws.write_blank(row, 6, None, f["money"])
        row += 1
    if not results:
        ws.merge_range(row, 0, row, last, "本月没有申报。", f["cell"])
        row += 1

    # totals: what is paid, what waits, what is not paid, what is deducted
    row += 1
    declared = {k: sum((r.line.declared for r in results if r.result == k), Decimal(0))
                for k in (rules.SETTLE, rules.HOLD, rules.REJECT)}
    totals = [
        (f"结算 {t['结算单数']} 单（申报 {_yuan(declared[rules.SETTLE])}）", "结算金额", t["结算金额"]),
        (f"暂缓 {t['暂缓单数']} 单：下月再结，申报金额合计", "", declared[rules.HOLD]),
        (f"不结算 {t['不结算单数']} 单：申报金额合计", "", declared[rules.REJECT]),
        ("罚款扣除（未追回的缺失订单）", "", t["罚款扣除"]),
    ]
    for label, _, amount in totals:
        ws.merge_range(row, 0, row, 5, label, f["label"])
        ws.write_number(row, 6, float(amount), f["cellmoney"])
        row += 1
    ws.merge_range(row, 0, row, 5, "应结金额", f["label"])
    ws.write_number(row, 6, float(t["应结金额"]), f["boldmoney"])
    row += 1
    ws.write(row, 0, f"应结金额 = 结算金额 − 罚款扣除。申报 {t['申报单数']} 单：结算 {t['结算单数']}，"
                     f"暂缓 {t['暂缓单数']}，不结算 {t['不结算单数']}。"
                     f"{'应结金额为负数：贵司应向我方支付该金额。' if t['应结金额'] < 0 else ''}", f["plain"])
    row += 1
    for text in fine_details(merchant, outcome):
        ws.merge_range(row, 0, row, last, text, f["note"])
        ws.set_row(row, row_height(wrapped_lines(text, sum(WIDTHS)), FONT_SIZE) or 16)
        row += 1
    row += 2
    ws.write(row, 0, "商家确认（签字盖章）：____________", f["bold"])
    ws.write(row, 4, "客服部（签字）：____________", f["bold"])
    ws.write(row + 2, 0, "财务（签字）：____________", f["bold"])
    ws.write(row + 2, 4, "日期：____________", f["bold"])
    ws.print_area(0, 0, row + 2, last)
    wb.close()


def statements_to_pdf(paths: list[Path], folder: Path) -> list[Path]:
    """One soffice run for all statements; returns the PDFs that exist afterwards."""
    exe = soffice()
    if not exe or not paths:
        return []

    profile = _profile()
    try:
        subprocess.run([exe, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                        "--convert-to", "pdf", "--outdir", str(folder), *map(str, paths)],
                       capture_output=True, text=True, timeout=600 + 2 * len(paths))
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return [p for p in (folder / f"{q.stem}.pdf" for q in paths) if p.exists() and p.stat().st_size > 0]
