"""订单台账.xlsx (kind orders): the rolling register of blank order books, their issue to
merchants and return, per-merchant totals and the settled register (docs/orders.md)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import Config, config_for
from ..errors import KefuError
from ..io.tables import read_sheets_fast
from ..io.values import is_blank, money_text, parse_id, parse_text
from ..records import BookIssue, OrderBook, Problem, Severity
from ..rules import ledger
from ..sheets.build import build_workbook
from ..sheets.read import read_columns, read_sheet, write_problem_sheet
from ..sheets.spec import Column, Highlight, Role, SheetSpec, Type, WorkbookSpec
from .base import (
    Kind,
    RecalcContext,
    RecalcResult,
    cell_date,
    cell_number,
    cell_text,
    finish_recalc,
    rebuild_rows,
    restore_formulas,
    start_recalc,
)

KIND = "orders"
FILE_NAME = "订单台账.xlsx"
TITLE = "订单台账"
REGISTER, ISSUES, MERCHANTS, SETTLED = "空白订单", "领用", "商家汇总", "已结算"
RED, ORANGE = "FFC7CE", "FFEB9C"


def spec(config: Config) -> WorkbookSpec:
    register = SheetSpec(
        name=REGISTER, title="空白订单登记", key="订单本号", buffer_rows=0, row_markers=("订单本号", "起始号"),
        columns=(
            Column("订单本号", Role.INPUT, Type.ID, help="订单本编号，唯一。"),
            Column("起始号", Role.INPUT, Type.INT, help="本内第一张订单号（整数）。"),
            Column("结束号", Role.INPUT, Type.INT, help="本内最后一张订单号；各本号码连续、互不重叠。"),
            Column("张数", Role.INPUT, Type.INT, help="本内张数 = 结束号 − 起始号 + 1。"),
            Column("入库日期", Role.INPUT, Type.DATE, help="入库日期。"),
        ),
        highlights=(Highlight('AND([起始号]<>"",[结束号]-[起始号]+1<>[张数])', RED, ("起始号", "结束号", "张数")),),
    )
    issues = SheetSpec(
        name=ISSUES, title="订单本领用与回收", key="订单本号", buffer_rows=300,
        row_markers=("活动场次", "订单本号", "商家"),
        columns=(
            Column("活动场次", Role.INPUT, Type.TEXT, help="活动场次，例如 2026秋季家博会。"),
            Column("订单本号", Role.INPUT, Type.ID, dropdown_source=f"{REGISTER}!订单本号",
                   help="领用的订单本，须在「空白订单」中登记。"),
            Column("商家", Role.INPUT, Type.TEXT, width=20, help="领用的商家。"),
            Column("类目经理", Role.INPUT, Type.TEXT, help="负责该商家的类目经理。"),
            Column("领用日期", Role.INPUT, Type.DATE, help="领用日期。"),
            Column("押金", Role.INPUT, Type.MONEY, help=f"每本押金，空白按 {config.deposit} 元计。"),
            Column("回收日期", Role.INPUT, Type.DATE, help="回收日期；填写后才计算缺失、罚款与退押金。"),
            Column("已开", Role.INPUT, Type.INT, help="已开出的订单张数。"),
            Column("未开", Role.INPUT, Type.INT, help="交回的空白订单张数。"),
            Column("作废", Role.INPUT, Type.INT, help="作废的订单张数。"),
            Column("缺失", Role.DERIVED, Type.INT,
                   'IF(OR([订单本号]="",[回收日期]="",[张数]=""),"",[张数]-N([已开])-N([未开])-N([作废]))',
                   help="缺失 = 张数 − 已开 − 未开 − 作废（回收后计算）。"),
            Column("追回", Role.INPUT, Type.INT, help="缺失后追回的张数。"),
            Column("未追回", Role.DERIVED, Type.INT, 'IF([缺失]="","",[缺失]-N([追回]))', help="未追回 = 缺失 − 追回。"),
            Column("罚款", Role.DERIVED, Type.MONEY, f'IF([未追回]="","",MAX([未追回],0)*{config.fine_per_missing})',
                   help=f"无法追回的缺失订单按 {config.fine_per_missing} 元/单罚款，从结算中扣除。"),
            Column("退押金", Role.DERIVED, Type.MONEY, 'IF([未追回]="","",IF([未追回]<=0,[押金额],0))',
                   help="没有未追回的缺失时退还押金，否则押金不退。"),
            Column("状态", Role.DERIVED, Type.TEXT,
                   f'IF([订单本号]="","",IF([回收日期]="","{ledger.NOT_RETURNED}",'
                   f'IF(N([未追回])>0,"{ledger.MISSING}","{ledger.RETURNED}")))',
                   help="未回收 / 有缺失 / 已回收。"),
            Column("张数", Role.DERIVED, Type.INT,
                   f'IF([订单本号]="","",IFERROR(INDEX([{REGISTER}!张数],MATCH([订单本号],[{REGISTER}!订单本号],0)),""))',
                   hidden=True, help="辅助列（隐藏）：该本的张数，取自「空白订单」。"),
            Column("押金额", Role.DERIVED, Type.MONEY, f'IF([订单本号]="","",IF([押金]="",{config.deposit},[押金]))',
                   hidden=True, help="辅助列（隐藏）：押金，空白按默认押金。"),
            Column("罚款扣除月份", Role.COMPUTED, Type.TEXT,
                   help="结算时填写：该行罚款在哪个月的结算中扣除（每笔罚款只扣一次）。"),
        ),
        highlights=(Highlight(f'[状态]="{ledger.MISSING}"', RED, ("缺失", "未追回", "罚款", "状态")),
                    Highlight(f'[状态]="{ledger.NOT_RETURNED}"', ORANGE, ("状态",))),
    )
    merchants = SheetSpec(
        name=MERCHANTS, title="商家领用汇总", key="商家", buffer_rows=0, row_markers=("活动场次", "商家"),
        row_key=("活动场次", "商家"),
        columns=(
            Column("活动场次", Role.COMPUTED, Type.TEXT, help="活动场次。"),
            Column("商家", Role.COMPUTED, Type.TEXT, width=20, help="商家。"),
            Column("领用本数", Role.DERIVED, Type.INT, f'COUNTIFS([{ISSUES}!活动场次],[活动场次],[{ISSUES}!商家],[商家])',
                   help="该场次该商家领用的本数。"),
            *(Column(h, Role.DERIVED, t, f'SUMIFS([{ISSUES}!{src}],[{ISSUES}!活动场次],[活动场次],[{ISSUES}!商家],[商家])',
                     help=f"「领用」表中的{h}合计。")
              for h, src, t in (("押金合计", "押金额", Type.MONEY), ("已开", "已开", Type.INT), ("缺失", "缺失", Type.INT),
                                ("罚款", "罚款", Type.MONEY), ("退押金", "退押金", Type.MONEY))),
        ),
    )
    settled = SheetSpec(
        name=SETTLED, title="已结算订单登记（由 kefu-xl settle 写入）", key="订单号", buffer_rows=0,
        row_markers=("订单号",),
        columns=(
            Column("订单号", Role.COMPUTED, Type.ID, help="已结算的订单号：同一订单不会再次结算。"),
            Column("商家", Role.COMPUTED, Type.TEXT, width=20, help="结算给的商家。"),
            Column("结算月份", Role.COMPUTED, Type.TEXT, help="哪个月的结算（YYYY-MM）。"),
            Column("金额", Role.COMPUTED, Type.MONEY, help="结算金额。"),
        ),
    )
    notes = (
        "号码延续性和独占性：各订单本的号码必须连续、互不重叠，张数 = 结束号 − 起始号 + 1。",
        f"回收后：缺失 = 张数 − 已开 − 未开 − 作废；未追回 = 缺失 − 追回；罚款 = 未追回 × {config.fine_per_missing} 元；"
        "有未追回的缺失时押金不退。",
        "用 kefu-xl orders add-books 追加新订单本；重算（kefu-xl recalc 订单台账.xlsx）会检查号码并刷新商家汇总。",
    )
    return WorkbookSpec(kind=KIND, title=TITLE, sheets=(register, issues, merchants, settled), notes=notes)


def build(config: Config, books: list[dict] | None = None, issues: list[dict] | None = None, meta: dict | None = None):
    wspec = spec(config)
    titles = {s.name: s.title for s in wspec.sheets}
    wb, _ = build_workbook(wspec, titles, {REGISTER: books or [], ISSUES: issues or []}, {}, meta or {})
    write_problem_sheet(wb, [], before="说明")
    return wb


# --------------------------------------------------------------------------- reading

def _int(value, file: str, sheet: str, row: int, column: str, problems: list[Problem]) -> int | None:
    if is_blank(value):
        return None
    number = cell_number(value)
    if number is None or number != number.to_integral_value():
        problems.append(Problem(file, sheet, row, column, "NOT_AN_INTEGER", f"「{value}」不是整数，请填写整数。"))
        return None
    if number < 0:
        problems.append(Problem(file, sheet, row, column, "NEGATIVE", f"{column}不能为负数（现在是 {value}）。"))
    return int(number)


def read_books(data, file: str, problems: list[Problem]) -> list[OrderBook]:
    books = []
    for row, v in data.rows:
        books.append(OrderBook(cell_text(v["订单本号"]),
                               _int(v["起始号"], file, REGISTER, row, "起始号", problems),
                               _int(v["结束号"], file, REGISTER, row, "结束号", problems),
                               _int(v["张数"], file, REGISTER, row, "张数", problems),
                               cell_date(v["入库日期"]), row))
    return books


def read_issues(data, file: str, problems: list[Problem]) -> list[BookIssue]:
    issues = []
    for row, v in data.rows:
        deposit = cell_number(v["押金"])
        if deposit is None and not is_blank(v["押金"]):
            problems.append(Problem(file, ISSUES, row, "押金", "NOT_A_NUMBER", f"押金「{v['押金']}」不是数字。"))
        issues.append(BookIssue(
            cell_text(v["活动场次"]), cell_text(v["订单本号"]), cell_text(v["商家"]), cell_text(v["类目经理"]),
            cell_date(v["领用日期"]), deposit, cell_date(v["回收日期"]),
            *(_int(v[h], file, ISSUES, row, h, problems) for h in ("已开", "未开", "作废", "追回")), row))
    return issues


def archive_sheets(sheets) -> list[str]:
    """Sheets named 已结算… other than 已结算 itself (已结算_2026…): a full register moved aside
    (a sheet holds at most 1,048,576 rows). They count as settled as well; settle writes only
    to 已结算."""
    return [name for name in sheets if name.startswith(SETTLED) and name != SETTLED]


def load(path: Path) -> tuple[list[OrderBook], list[BookIssue], dict[str, str], list[Problem]]:
    """Books, issues and the settled register {订单号: 结算月份 (the first, if listed twice)}
    of 订单台账.xlsx, for other commands."""
    problems: list[Problem] = []
    sheets = read_sheets_fast(path)          # values only, fast: the ledger can hold years of settlements
    wspec = spec(config_for(path))
    datas = {s.name: read_sheet(sheets[s.name], s, path.name, problems) if s.name in sheets else None
             for s in wspec.sheets if s.name in (REGISTER, ISSUES)}
    register = (read_columns(sheets[SETTLED], wspec.sheet(SETTLED), ("订单号", "结算月份"), path.name, problems)
                if SETTLED in sheets else None)
    if register is None or any(d is None for d in datas.values()):
        raise KefuError(f"{path.name} 缺少工作表或表头：{'；'.join(p.message for p in problems) or '请从备份恢复'}")
    archived = []
    for name in archive_sheets(sheets):
        rows = read_columns(sheets[name], wspec.sheet(SETTLED), ("订单号", "结算月份"), path.name, problems)
        archived.extend(rows or [])
    books = read_books(datas[REGISTER], path.name, problems)
    issues = read_issues(datas[ISSUES], path.name, problems)
    settled: dict[str, str] = {}
    for _, (order, month) in archived + register:
        order = parse_id(order)
        if order:
            settled.setdefault(order, parse_text(month))
    return books, issues, settled, problems


# --------------------------------------------------------------------------- recalc

def check(books: list[OrderBook], issues: list[BookIssue], figures, sizes: dict[str, int], file: str,
          problems: list[Problem]) -> None:
    """The ledger's own rules (docs/orders.md), for recalc and, before money moves, for settle."""
    for code, involved, message in ledger.register_findings(books):
        for b in involved[-1:]:
            problems.append(Problem(file, REGISTER, b.row, "订单本号", code,
                                    message + ("（涉及第 " + "、".join(str(x.row) for x in involved) + " 行）"
                                               if len(involved) > 1 else "")))
    for i, f in zip(issues, figures):
        def add(column, code, message, severity=Severity.ERROR):
            problems.append(Problem(file, ISSUES, i.row, column, code, message, severity))
        if not i.book_id:
            add("订单本号", "NO_BOOK", "没有填写订单本号。")
        elif i.book_id.casefold() not in sizes:
            add("订单本号", "BOOK_NOT_IN_REGISTER", f"订单本「{i.book_id}」不在「空白订单」登记中。")
        if not i.merchant:
            add("商家", "NO_MERCHANT", "没有填写商家。")
        if i.returned and i.issued and i.returned < i.issued:
            add("回收日期", "RETURN_BEFORE_ISSUE", f"回收日期 {i.returned} 早于领用日期 {i.issued}。")
        if f.missing is not None and f.missing < 0:
            add("已开", "COUNTS_EXCEED_BOOK", f"已开 + 未开 + 作废 超过本内张数 {sizes.get(i.book_id.casefold())}，请核对。")
        if i.recovered and f.missing is not None and f.missing >= 0 and f.unrecovered < 0:
            # (缺失 below 0 is COUNTS_EXCEED_BOOK above: no second message about it)
            add("追回", "RECOVERED_EXCEEDS_MISSING", f"追回 {i.recovered} 张，多于缺失的 {f.missing} 张。")
        if i.returned and all(x is None for x in (i.opened, i.unopened, i.voided)):
            add("已开", "RETURN_WITHOUT_COUNTS", "已填回收日期，但已开/未开/作废都没有填写：缺失按整本计算。",
                Severity.WARNING)
        if i.deposit is not None and i.deposit < 0:
            add("押金", "NEGATIVE", "押金不能为负数。")
    for earlier, later in ledger.open_issues_twice(issues):
        problems.append(Problem(file, ISSUES, later.row, "订单本号", "BOOK_ISSUED_TWICE",
                                f"订单本「{later.book_id}」第 {earlier.row} 行领用后尚未回收，又在第 {later.row} 行领用。"))


@dataclass
class OrdersFigures:
    """What the orders recalc computed, as Python values (python_values writes them as the
    cached values of the formula cells; tests compare them with LibreOffice's)."""
    books: Any
    issues: Any
    figures: Any
    totals: Any
    sizes: Any
    deposit: Any


def recalc(wb, ctx: RecalcContext) -> RecalcResult:
    config = ctx.config
    wspec = spec(config)
    result, found = start_recalc(wb, ctx, KIND, wspec, rebuilt=(MERCHANTS,))
    problems = result.problems
    if found is None:
        return result
    layouts, datas = found
    books = read_books(datas[REGISTER], ctx.file, problems)
    issues = read_issues(datas[ISSUES], ctx.file, problems)
    sizes = ledger.book_sizes(books)
    figures = [ledger.issue_figures(i, sizes.get(i.book_id.casefold()), config.deposit, config.fine_per_missing)
               for i in issues]
    check(books, issues, figures, sizes, ctx.file, problems)
    totals = ledger.merchant_totals(issues, figures, config.deposit)
    if ctx.write:
        for name in (REGISTER, ISSUES):
            restore_formulas(wb, wspec.sheet(name), layouts, datas[name], result, ctx.file)
        rebuild_rows(wb, wspec.sheet(MERCHANTS), layouts,
                     [{"活动场次": e, "商家": m} for (e, m) in totals])
        finish_recalc(wb, wspec, ctx, problems)
    result.summary_headers = ["活动场次", "商家", "领用本数", "缺失", "罚款", "退押金"]
    result.summary_rows = [[e, m, str(t["领用本数"]), str(t["缺失"]), money_text(t["罚款"]), money_text(t["退押金"])]
                           for (e, m), t in list(totals.items())[:30]]
    result.figures = OrdersFigures(books=books, issues=issues, figures=figures, totals=totals, sizes=sizes,
                                   deposit=config.deposit)
    return result


def python_values(result: RecalcResult) -> dict[str, dict]:
    """Python's value of every derived cell (for the LibreOffice cross-check)."""
    f = result.figures
    out = {ISSUES: {}, MERCHANTS: {}}
    for i, fig in zip(f.issues, f.figures):
        out[ISSUES][i.row] = {"缺失": fig.missing, "未追回": fig.unrecovered, "罚款": fig.fine,
                              "退押金": fig.deposit_back, "状态": fig.status,
                              "张数": f.sizes.get(i.book_id.casefold()) if i.book_id else None,
                              "押金额": ledger.deposit_of(i, f.deposit) if i.book_id else None}
    for key, t in f.totals.items():
        out[MERCHANTS][key] = dict(t)
    return out


# --------------------------------------------------------------------------- add books


KIND_DEF = Kind(KIND, TITLE, lambda config, month: spec(config), recalc, python_values)
