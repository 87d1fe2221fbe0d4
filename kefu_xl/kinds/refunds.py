"""退订台账_YYYY-MM.xlsx (kind refunds): booked cancellations with statutory-working-day
notice, merchant confirmation and refund; petty cash with a running balance; the
reconciliation with finance and a daily report (docs/orders.md)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..calendar import WorkCalendar
from ..config import Config, load_config
from ..io.values import is_blank, money_text
from ..month import Month
from ..records import CashEntry, Problem, Refund, Severity
from ..rules import refunds as rules
from ..sheets.build import build_workbook
from ..sheets.read import write_problem_sheet
from ..sheets.spec import Column, Highlight, Role, SheetSpec, Type, WorkbookSpec
from . import orders
from .base import (
    Kind,
    RecalcContext,
    RecalcResult,
    calendar_span,
    cell_date,
    cell_number,
    cell_text,
    finish_recalc,
    read_tracker,
    rebuild_rows,
    restore_formulas,
    rewrite_workdays,
    start_recalc,
    workdays_sheet,
)

KIND = "refunds"
TITLE = "退订台账"
REFUNDS, CASH, RECON, DAILY, CALENDAR = "退订", "备用金", "对账", "日报", "工作日历"
RED, ORANGE = "FFC7CE", "FFEB9C"
YES_NO = ("是", "否")


def file_name(month: Month) -> str:
    return f"退订台账_{month}.xlsx"


def spec(config: Config, month: Month) -> WorkbookSpec:
    n = config.min_working_days
    refunds = SheetSpec(
        name=REFUNDS, title=f"{month.label} 退订台账", key="预约编号", buffer_rows=300,
        row_markers=("预约编号", "订单号"),
        columns=(
            Column("预约编号", Role.INPUT, Type.ID, help="退订预约编号，唯一。"),
            Column("预约日期", Role.INPUT, Type.DATE, help="网友预约退订的日期。"),
            Column("订单号", Role.INPUT, Type.ID, help="要退订的订单号，须在已领用的订单本中。"),
            Column("网友姓名", Role.INPUT, Type.TEXT, help="网友姓名。"),
            Column("手机", Role.INPUT, Type.ID, width=13, help="网友手机号。"),
            Column("商家", Role.INPUT, Type.TEXT, width=16, help="订单所属商家。"),
            Column("订单金额", Role.INPUT, Type.MONEY, help="订单成交金额（元）。"),
            Column("退订金额", Role.INPUT, Type.MONEY, help="申请退订的金额，不能超过订单金额。"),
            Column("计划退订日期", Role.INPUT, Type.DATE, help="计划办理退订的日期。"),
            Column("提前工作日", Role.DERIVED, Type.INT,
                   f'IF(OR(NOT(ISNUMBER([预约日期])),NOT(ISNUMBER([计划退订日期]))),"",'
                   f'COUNTIFS([{CALENDAR}!日期],">"&[预约日期],[{CALENDAR}!日期],"<="&[计划退订日期]))',
                   help="预约日期之后到计划退订日期（含）之间的法定工作日数（节假日不算，调休上班日算）。"),
            Column("预约合规", Role.DERIVED, Type.TEXT, f'IF([提前工作日]="","",IF([提前工作日]>={n},"是","否"))',
                   help=f"提前工作日 ≥ {n} 为合规（必须提前 {n} 个工作日预约）。"),
            Column("商家确认", Role.INPUT, Type.TEXT, dropdown=(rules.CAN, rules.CANNOT),
                   help="商家确认可退 / 不可退；不可退须填写原因。"),
            Column("不可退原因", Role.INPUT, Type.TEXT, width=20, help="商家确认不可退时必填。"),
            Column("CRM已更新", Role.INPUT, Type.TEXT, dropdown=YES_NO, help="CRM 中的订单状态是否已更新。"),
            Column("退款日期", Role.INPUT, Type.DATE, help="实际退款日期；填写后状态为已退款。"),
            Column("退款金额", Role.INPUT, Type.MONEY, help="实际退款金额。"),
            Column("备用金支出", Role.INPUT, Type.TEXT, dropdown=YES_NO,
                   help="是：从备用金中支付，须在「备用金」表有同日、同金额、备注为预约编号的退款支出。"),
            Column("状态", Role.DERIVED, Type.TEXT,
                   f'IF([预约编号]&[订单号]="","",IF([退款日期]<>"","{rules.REFUNDED}",'
                   f'IF([商家确认]="{rules.CANNOT}","{rules.REFUSED}",IF([商家确认]="{rules.CAN}","{rules.REFUNDABLE}",'
                   f'"{rules.PENDING}"))))',
                   help="已退款（有退款日期）/ 不可退 / 可退订 / 待确认。"),
        ),
        highlights=(Highlight('[预约合规]="否"', ORANGE, ("提前工作日", "预约合规")),
                    Highlight('AND([商家确认]="不可退",[不可退原因]="")', RED, ("商家确认", "不可退原因"))),
    )
    cash = SheetSpec(
        name=CASH, title=f"{month.label} 备用金流水", key="日期", buffer_rows=200, row_markers=("日期", "类型", "金额"),
        columns=(
            Column("日期", Role.INPUT, Type.DATE, help="发生日期。"),
            Column("类型", Role.INPUT, Type.TEXT, dropdown=rules.CASH_TYPES, help="财务拨入 / 退款支出 / 交回财务。"),
            Column("金额", Role.INPUT, Type.MONEY, help="金额（正数）。"),
            Column("经手人", Role.INPUT, Type.TEXT, help="经手人。"),
            Column("余额", Role.DERIVED, Type.MONEY,
                   f'IF(AND([日期]="",[类型]="",[金额]=""),"",N([{RECON}!#期初余额])+SUMIF([~类型],"{rules.CASH_IN}",[~金额])'
                   f'-SUMIF([~类型],"{rules.CASH_OUT}",[~金额])-SUMIF([~类型],"{rules.CASH_BACK}",[~金额]))',
                   help="期初余额加减到本行为止的流水（按行序，请按日期顺序登记）。"),
            Column("备注", Role.INPUT, Type.TEXT, width=20, help="退款支出填写对应的预约编号。"),
        ),
        highlights=(Highlight('AND([余额]<>"",N([余额])<0)', RED, ("余额",)),),
    )
    recon = SheetSpec(
        name=RECON, title=f"{month.label} 备用金对账", key="期初余额", buffer_rows=0, protect=True,
        row_markers=("期初余额", "实点金额"),
        columns=(
            Column("期初余额", Role.INPUT, Type.MONEY, help="开月时取上月对账的期末应有，可修改。"),
            Column("财务拨入", Role.DERIVED, Type.MONEY, f'SUMIF([{CASH}!类型],"{rules.CASH_IN}",[{CASH}!金额])',
                   help="本月财务拨入合计。"),
            Column("退款支出", Role.DERIVED, Type.MONEY, f'SUMIF([{CASH}!类型],"{rules.CASH_OUT}",[{CASH}!金额])',
                   help="本月退款支出合计。"),
            Column("交回财务", Role.DERIVED, Type.MONEY, f'SUMIF([{CASH}!类型],"{rules.CASH_BACK}",[{CASH}!金额])',
                   help="本月交回财务合计。"),
            Column("期末应有", Role.DERIVED, Type.MONEY, "N([期初余额])+[财务拨入]-[退款支出]-[交回财务]",
                   help="期初 + 拨入 − 支出 − 交回。"),
            Column("实点金额", Role.INPUT, Type.MONEY, help="月末实际清点的现金。"),
            Column("差额", Role.DERIVED, Type.MONEY, 'IF([实点金额]="","",[实点金额]-[期末应有])',
                   help="实点 − 期末应有；不为 0 时须查明。"),
        ),
        highlights=(Highlight('AND([差额]<>"",[差额]<>0)', RED, ("差额",)),),
    )
    daily = SheetSpec(
        name=DAILY, title=f"{month.label} 退订日报", key="日期", buffer_rows=0, row_markers=("日期",),
        columns=(
            Column("日期", Role.COMPUTED, Type.DATE, help="本月每一天。"),
            Column("新预约", Role.DERIVED, Type.INT, f"COUNTIF([{REFUNDS}!预约日期],[日期])", help="当天新预约的退订数。"),
            Column("可退订", Role.DERIVED, Type.INT,
                   f'COUNTIFS([{REFUNDS}!预约日期],[日期],[{REFUNDS}!状态],"{rules.REFUNDABLE}")',
                   help="当天预约、目前为可退订的数量。"),
            Column("不可退", Role.DERIVED, Type.INT,
                   f'COUNTIFS([{REFUNDS}!预约日期],[日期],[{REFUNDS}!状态],"{rules.REFUSED}")',
                   help="当天预约、商家确认不可退的数量。"),
            Column("已退款", Role.DERIVED, Type.INT, f"COUNTIF([{REFUNDS}!退款日期],[日期])", help="当天退款的笔数。"),
            Column("退款金额", Role.DERIVED, Type.MONEY, f"SUMIF([{REFUNDS}!退款日期],[日期],[{REFUNDS}!退款金额])",
                   help="当天退款金额合计。"),
        ),
    )
    calendar = workdays_sheet("法定工作日（含调休上班日），供提前工作日公式使用。")
    notes = (
        f"退订必须提前 {n} 个法定工作日预约：提前工作日按国家法定节假日和调休计算（隐藏的「工作日历」表）。",
        "商家确认不可退的必须填写原因；填写退款日期后状态为已退款。",
        "备用金：每笔从备用金支付的退款，须在「备用金」表登记同日、同金额、备注为预约编号的「退款支出」。",
        "对账：期初余额 + 财务拨入 − 退款支出 − 交回财务 = 期末应有；月末填写实点金额，差额应为 0。",
    )
    return WorkbookSpec(kind=KIND, title=TITLE, sheets=(refunds, cash, recon, daily, calendar), notes=notes)


def build(config: Config, month: Month, calendar: WorkCalendar, opening: Decimal | None, meta: dict | None = None):
    wspec = spec(config, month)
    titles = {s.name: s.title for s in wspec.sheets}
    first, last = calendar_span(month, calendar)
    data = {RECON: [{"期初余额": opening}],
            DAILY: [{"日期": month.first + timedelta(days=i)} for i in range(month.last.day)],
            CALENDAR: [{"日期": d} for d in calendar.workdays_between(first, last)]}
    wb, _ = build_workbook(wspec, titles, data, {}, {"month": str(month), **(meta or {})})
    write_problem_sheet(wb, [], before="说明")
    return wb


# --------------------------------------------------------------------------- reading

def _money(v, header, row, file, sheet, problems) -> Decimal | None:
    number = cell_number(v)
    if number is None and not is_blank(v):
        problems.append(Problem(file, sheet, row, header, "NOT_A_NUMBER", f"{header}「{v}」不是数字。"))
    elif number is not None and number < 0:
        problems.append(Problem(file, sheet, row, header, "NEGATIVE", f"{header}不能为负数（现在是 {v}）。"))
    return number


def read_refunds(data, file: str, problems: list[Problem]) -> list[Refund]:
    out = []
    for row, v in data.rows:
        out.append(Refund(
            cell_text(v["预约编号"]), cell_date(v["预约日期"]), cell_text(v["订单号"]), cell_text(v["网友姓名"]),
            cell_text(v["手机"]), cell_text(v["商家"]),
            _money(v["订单金额"], "订单金额", row, file, REFUNDS, problems),
            _money(v["退订金额"], "退订金额", row, file, REFUNDS, problems),
            cell_date(v["计划退订日期"]), cell_text(v["商家确认"]), cell_text(v["不可退原因"]), cell_text(v["CRM已更新"]),
            cell_date(v["退款日期"]), not is_blank(v["退款日期"]),
            _money(v["退款金额"], "退款金额", row, file, REFUNDS, problems),
            cell_text(v["备用金支出"]) == "是", row))
    return out


def read_cash(data, file: str, problems: list[Problem]) -> list[CashEntry]:
    return [CashEntry(cell_date(v["日期"]), cell_text(v["类型"]), _money(v["金额"], "金额", row, file, CASH, problems),
                      cell_text(v["经手人"]), cell_text(v["备注"]), row) for row, v in data.rows]


def _recon_inputs(wb, layouts) -> tuple[Decimal | None, Decimal | None]:
    ws, layout = wb[RECON], layouts[RECON]
    r = layout.first_data_row
    return (cell_number(ws.cell(r, layout.columns["期初余额"]).value),
            cell_number(ws.cell(r, layout.columns["实点金额"]).value))


def closing_balance(path: Path, config: Config) -> Decimal:
    """期末应有 of a month's ledger, computed from its inputs (openpyxl files have no cached values)."""
    _, datas = read_tracker(path, lambda m: spec(config, m), (CASH, RECON))
    entries = read_cash(datas[CASH], path.name, []) if datas[CASH] else []
    recon = datas[RECON]
    opening = cell_number(recon.rows[0][1]["期初余额"]) if recon and recon.rows else None
    return rules.reconciliation(opening or Decimal(0), entries, None)["期末应有"]


def refunded_orders_before(folder: Path, month: Month) -> dict[str, str]:
    """{订单号: 月份} of orders already refunded in earlier months' ledgers of the workspace."""
    config = load_config(folder / "kefu-xl.toml")
    out: dict[str, str] = {}
    for path in sorted(folder.glob("*/退订台账_*.xlsx")):
        other = Month.parse(path.stem.split("_")[-1])
        if other >= month:
            continue
        _, datas = read_tracker(path, lambda m: spec(config, m), (REFUNDS,))
        for r in read_refunds(datas[REFUNDS], path.name, []) if datas[REFUNDS] else []:
            if r.refunded_filled and r.order_no:
                out.setdefault(r.order_no, str(other))
    return out


# --------------------------------------------------------------------------- recalc

def issued_numbers(workspace: Path | None):
    """A predicate telling whether an order number lies in a book issued to someone, or None
    when there is no 订单台账 to ask."""
    if workspace is None or not (workspace / orders.FILE_NAME).exists():
        return None
    books, issues, _, _ = orders.load(workspace / orders.FILE_NAME)
    issued = {i.book_id.casefold() for i in issues}
    ranges = [(b.start, b.end) for b in books if b.book_id.casefold() in issued and b.start and b.end]

    def contains(order_no: str) -> bool:
        return order_no.isdigit() and any(lo <= int(order_no) <= hi for lo, hi in ranges)
    return contains


def check(refunds: list[Refund], statuses, days, entries, balances, unmatched, recon_inputs, ctx: RecalcContext,
          workspace: Path | None, problems: list[Problem]) -> None:
    config = ctx.config
    in_issued = issued_numbers(workspace)
    if in_issued is None:
        problems.append(Problem(ctx.file, REFUNDS, None, "订单号", "NO_ORDER_LEDGER",
                                "没有找到工作区的订单台账.xlsx：无法检查订单号是否在已领用的订单本中。", Severity.WARNING))
    earlier = refunded_orders_before(workspace, ctx.month) if workspace else {}
    seen_refunded: dict[str, int] = {}
    seen_ids: dict[str, int] = {}
    for r, s, d in zip(refunds, statuses, days):
        def add(column, code, message, severity=Severity.ERROR):
            problems.append(Problem(ctx.file, REFUNDS, r.row, column, code, message, severity))
        if r.booking_id:
            if r.booking_id in seen_ids:
                add("预约编号", "DUPLICATE_BOOKING", f"预约编号「{r.booking_id}」与第 {seen_ids[r.booking_id]} 行重复。")
            seen_ids.setdefault(r.booking_id, r.row)
        if not r.order_no:
            add("订单号", "NO_ORDER", "没有填写订单号。")
        elif in_issued is not None and not in_issued(r.order_no):
            add("订单号", "ORDER_NOT_ISSUED", f"订单号「{r.order_no}」不在任何已领用的订单本中，请核对。")
        if s == rules.REFUNDED:
            if r.order_no in earlier:
                add("订单号", "ALREADY_REFUNDED", f"订单「{r.order_no}」已在 {earlier[r.order_no]} 退款，不能重复退款。")
            elif r.order_no in seen_refunded:
                add("订单号", "ALREADY_REFUNDED", f"订单「{r.order_no}」已在第 {seen_refunded[r.order_no]} 行退款，不能重复退款。")
            seen_refunded.setdefault(r.order_no, r.row)
            if r.refunded_on is None:
                add("退款日期", "NOT_A_DATE", "退款日期不是日期，请输入日期。")
            if r.paid is None:
                add("退款金额", "REFUND_WITHOUT_AMOUNT", "已退款但没有填写退款金额。")
        elif r.paid is not None:
            add("退款日期", "REFUND_WITHOUT_DATE", "填写了退款金额，但没有退款日期：已退款的请填写退款日期。")
        if r.refund_amount is not None and r.order_amount is not None and r.refund_amount > r.order_amount:
            add("退订金额", "REFUND_EXCEEDS_ORDER", f"退订金额 {r.refund_amount} 大于订单金额 {r.order_amount}。")
        if r.paid is not None and r.refund_amount is not None and r.paid > r.refund_amount:
            add("退款金额", "PAID_EXCEEDS_REFUND", f"退款金额 {r.paid} 大于退订金额 {r.refund_amount}。")
        if r.merchant_decision == rules.CANNOT and not r.refusal_reason:
            add("不可退原因", "REFUSAL_WITHOUT_REASON", "商家确认不可退，但没有填写不可退原因。")
        if d is not None and d < config.min_working_days:
            add("提前工作日", "LATE_BOOKING",
                f"只提前了 {d} 个工作日预约（要求至少 {config.min_working_days} 个），预约不合规。", Severity.WARNING)
        if r.booked is None or r.planned is None:
            add("预约日期" if r.booked is None else "计划退订日期", "NOT_A_DATE", "日期没有填写或不是日期。",
                Severity.WARNING)
    previous = Decimal(0)
    for e, balance in zip(entries, balances):
        if e.kind not in rules.CASH_TYPES:
            problems.append(Problem(ctx.file, CASH, e.row, "类型", "BAD_CASH_TYPE",
                                    f"类型「{e.kind}」应为 财务拨入/退款支出/交回财务。"))
        went_negative, previous = balance < 0 <= previous, balance
        if went_negative:
            problems.append(Problem(ctx.file, CASH, e.row, "余额", "NEGATIVE_CASH",
                                    f"备用金余额为 {money_text(balance)}：支出超过了可用现金，请核对登记顺序或补登拨入。"))
    missing_cash, stray_cash = unmatched
    for r in missing_cash:
        problems.append(Problem(ctx.file, REFUNDS, r.row, "备用金支出", "CASH_ENTRY_MISSING",
                                f"预约「{r.booking_id}」从备用金退款 {r.paid}（{r.refunded_on}），但「备用金」表没有同日、"
                                f"同金额、备注为该预约编号的退款支出。"))
    for e in stray_cash:
        problems.append(Problem(ctx.file, CASH, e.row, "备注", "CASH_ENTRY_UNMATCHED",
                                f"退款支出 {e.amount}（{e.day}，备注「{e.note}」）找不到对应的已退款记录。"))
    counted = recon_inputs[1]
    if counted is None and ctx.as_of >= ctx.month.last:
        problems.append(Problem(ctx.file, RECON, None, "实点金额", "CASH_NOT_COUNTED",
                                "已到月末，请清点备用金并填写实点金额。", Severity.WARNING))


@dataclass
class RefundsFigures:
    """What the refunds recalc computed, as Python values (python_values writes them as the
    cached values of the formula cells; tests compare them with LibreOffice's)."""
    refunds: Any
    days: Any
    statuses: Any
    entries: Any
    balances: Any
    recon: Any
    recon_row: Any
    daily: Any


def recalc(wb, ctx: RecalcContext) -> RecalcResult:
    config, month = ctx.config, ctx.month
    wspec = spec(config, month)
    result, found = start_recalc(wb, ctx, KIND, wspec, rebuilt=(RECON, DAILY, CALENDAR))
    problems = result.problems
    if found is None:
        return result
    layouts, datas = found
    refunds = read_refunds(datas[REFUNDS], ctx.file, problems)
    entries = read_cash(datas[CASH], ctx.file, problems)
    opening, counted = _recon_inputs(wb, layouts)
    days = [rules.notice_days(r, ctx.calendar) for r in refunds]
    statuses = [rules.status(r) for r in refunds]
    balances = rules.running_balances(opening or Decimal(0), entries)
    unmatched = rules.match_cash(refunds, statuses, entries)
    recon = rules.reconciliation(opening or Decimal(0), entries, counted)
    month_days = [month.first + timedelta(days=i) for i in range(month.last.day)]
    daily = rules.daily_report(month_days, refunds, statuses)
    workspace = ctx.workspace
    check(refunds, statuses, days, entries, balances, unmatched, (opening, counted), ctx, workspace, problems)
    if ctx.write:
        for name in (REFUNDS, CASH):
            restore_formulas(wb, wspec.sheet(name), layouts, datas[name], result, ctx.file)
        rebuild_rows(wb, wspec.sheet(RECON), layouts, [{"期初余额": opening, "实点金额": counted}])
        rebuild_rows(wb, wspec.sheet(DAILY), layouts, [{"日期": d} for d in month_days])
        first, last = calendar_span(month, ctx.calendar, [d for r in refunds for d in (r.booked, r.planned)])
        rewrite_workdays(wb, wspec, layouts, ctx.calendar.workdays_between(first, last))
        finish_recalc(wb, wspec, ctx, problems)
    result.summary_headers = ["预约", "已退款", "可退订", "不可退", "待确认", "退款金额", "备用金期末应有", "差额"]
    paid = sum((r.paid or Decimal(0) for r, s in zip(refunds, statuses) if s == rules.REFUNDED), Decimal(0))
    result.summary_rows = [[str(len(refunds)), *(str(statuses.count(s)) for s in
                            (rules.REFUNDED, rules.REFUNDABLE, rules.REFUSED, rules.PENDING)),
                            money_text(paid), money_text(recon["期末应有"]),
                            "—" if recon["差额"] is None else money_text(recon["差额"])]]
    result.figures = RefundsFigures(refunds=refunds, days=days, statuses=statuses, entries=entries,
                                    balances=balances, recon=recon, recon_row=layouts[RECON].first_data_row,
                                    daily=daily)
    return result


def python_values(result: RecalcResult) -> dict[str, dict]:
    config = result.context.config
    f = result.figures
    out = {REFUNDS: {}, CASH: {}, RECON: {}, DAILY: {}}
    for r, d, s in zip(f.refunds, f.days, f.statuses):
        ok = rules.compliant(d, config.min_working_days)
        out[REFUNDS][r.row] = {"提前工作日": d, "预约合规": None if ok is None else ("是" if ok else "否"), "状态": s}
    for e, b in zip(f.entries, f.balances):
        out[CASH][e.row] = {"余额": b}
    recon = {k: v for k, v in f.recon.items() if k != "期初余额"}
    out[RECON][f.recon_row] = recon          # 对账 has one row, under its header
    for d, values in f.daily.items():
        out[DAILY][d] = values
    return out


KIND_DEF = Kind(KIND, TITLE, spec, recalc, python_values)
