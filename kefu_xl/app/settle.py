"""kefu-xl settle YYYY-MM: read the month's inputs, judge every submitted line (rules in
rules/settle.py), write 结算_YYYY-MM.xlsx and update the settled register and deducted
fines in 订单台账.xlsx. Idempotent: a re-run replaces the month's results."""
from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import load_config
from ..errors import DataProblemsError, InputFileError, KefuError
from ..io.crm import CRM, read_crm_export
from ..io.headers import aliases_near
from ..io.heap import without_cycle_collection
from ..io.parallel import beside
from ..io.safe_write import check_not_open, process_alive, staged_write
from ..io.tables import (
    Table,
    _range_name,
    _spans_row,
    find_input,
    locate_header,
    prefetch_sheets,
    read_sheets_fast,
    read_table,
    table_from_grid,
)
from ..io.values import (
    is_blank,
    money_text,
    parse_decimal,
    parse_id,
    parse_text,
    parse_yes_no,
)
from ..io.xlsx import PatchBook
from ..kinds import complaints as complaints_kind
from ..kinds import orders, refunds
from ..kinds.base import monthly_files, read_tracker
from ..month import Month
from ..records import CrmOrder, Problem, Severity, SubmittedLine, has_errors
from ..rules import refunds as refund_rules
from ..rules import settle as rules
from ..rules.ledger import book_sizes, issue_figures
from ..sheets.build import style_name
from ..sheets.layout import find_layout
from ..sheets.spec import Role
from . import settle_checks as checks

if TYPE_CHECKING:
    import pandas as pd
from .settle_output import write_settlement

SUBMISSIONS = "结算流转单"
SUBMISSION_HEADERS = ["商家", "订单号", "商家联", "网友联", "申报金额"]
COMPLAINTS, COMPLAINT_HEADERS = "投诉", ["投诉编号", "订单号", "商家", "投诉日期", "状态"]
CALLBACKS, CALLBACK_HEADERS = "回访核实", ["订单号", "核实结果", "核实金额", "核实日期"]
LOCK_NAME = ".kefu-settle.lock"


def file_name(month: Month) -> str:
    return f"结算_{month}.xlsx"


@dataclass
class SettleInputs:
    lines: list[SubmittedLine]
    context: rules.SettleContext
    fines: dict[str, Decimal]                 # merchant -> fines deducted this month
    fine_rows: list[int]                      # 领用 rows whose fine is deducted this month
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    config: object = None                     # the workspace's rules (deposit, fine per missing order)


# ------------------------------------------------------------------ reading

def _bad(table_or_file, row, column, code, message, problems, sheet=""):
    problems.append(Problem(table_or_file, sheet, row, column, code, message))


def crm_orders(frame: pd.DataFrame | None, path: Path, wanted: set[str], problems: list[Problem]) -> dict[str, CrmOrder]:
    """The export's orders that were submitted, with their amounts checked."""
    if frame is None:
        return {}
    keep = frame[frame["订单号"].isin(wanted)]
    amounts = _fast_amounts(keep["成交金额"])
    text = {h: keep[h].astype(str).str.strip() for h in ("商家", "活动场次", "网友姓名", "订单状态")}
    phones = keep["手机"].astype(str).str.replace(r"\s+", "", regex=True)
    out: dict[str, CrmOrder] = {}
    rows_of: dict[str, int] = {}
    for row, order_no, raw, amount, merchant, event, customer, status, phone in zip(
            keep.index.tolist(), keep["订单号"].tolist(), keep["成交金额"].tolist(), amounts, text["商家"].tolist(),
            text["活动场次"].tolist(), text["网友姓名"].tolist(), text["订单状态"].tolist(), phones.tolist()):
        if amount is None:                      # unusual spelling: the careful parser decides
            try:
                amount = parse_decimal(raw)
            except ValueError:
                _bad(path.name, row, "成交金额", "BAD_VALUE", f"成交金额「{raw}」不是数字。", problems)
                continue
            if amount is None:
                _bad(path.name, row, "成交金额", "BAD_VALUE", "成交金额为空（文件可能被截断）。", problems)
                continue
        known = out.get(order_no)
        if known and known.amount != amount:
            _bad(path.name, row, "成交金额", "CRM_CONFLICT",
                 f"订单「{order_no}」在 CRM 导出中出现两次且金额不同（第 {rows_of[order_no]} 行 {money_text(known.amount)}，"
                 f"本行 {money_text(amount)}）：请在 CRM 中核对后重新导出。", problems)
            continue
        out[order_no] = CrmOrder(order_no, merchant, event, customer, phone, amount, status)
        rows_of.setdefault(order_no, row)
    return out


def _fast_amounts(column: pd.Series) -> list:
    """Decimal amounts for the usual spellings (1200, 1,200.50, ¥1200, 1200元); None where the
    value needs the careful parser (full-width digits, blanks, words)."""
    cleaned = column.astype(str).str.replace(r"[\s,¥￥]|元$|人民币", "", regex=True)
    plain = cleaned.str.fullmatch(r"-?\d+(\.\d+)?")
    return [Decimal(v) if ok else None for v, ok in zip(cleaned.tolist(), plain.tolist())]


def earlier_months(workspace: Path, month: Month) -> list[Month]:
    """The months before `month` that have a folder in the workspace, newest first."""
    found = []
    for path in workspace.glob("[0-9][0-9][0-9][0-9]-[0-9][0-9]"):
        try:
            other = Month.parse(path.name)
        except KefuError:
            continue
        if path.is_dir() and other < month:
            found.append(other)
    return sorted(found, reverse=True)


def crm_export_of(workspace: Path, month: Month) -> Path | None:
    """YYYY-MM/inputs/CRM订单.xlsx or .csv of a month, when it is there."""
    try:
        return find_input(workspace / str(month) / "inputs", CRM)
    except InputFileError:
        return None


def crm_from_earlier_months(workspace: Path, month: Month, missing: set[str],
                            problems: list[Problem]) -> tuple[dict[str, CrmOrder], dict[str, Month]]:
    """Orders claimed this month that this month's CRM export lacks, looked up in earlier
    months' exports, newest first: an order held (暂缓) last month comes back on this month's
    form, while the month's export often lists only the month's own orders (解决后下月再结).
    Returns ({order: CrmOrder}, {order: the month whose export had it})."""
    found: dict[str, CrmOrder] = {}
    source: dict[str, Month] = {}
    for other in earlier_months(workspace, month):
        wanted = missing - found.keys()
        if not wanted:
            break
        path = crm_export_of(workspace, other)
        if path is None or not _may_hold(path, wanted):
            continue
        own: list[Problem] = []
        try:
            got = crm_orders(read_crm_export(path, own), path, wanted, own)
        except InputFileError as e:
            raise InputFileError(f"以前月份的 CRM 导出 {other}/inputs/{path.name}：{e}") from None
        # the same file name every month: name the month in each problem
        problems.extend(replace(p, file=f"{other}/inputs/{p.file}") for p in own)
        for order, crm in got.items():
            found[order] = crm
            source[order] = other
    return found, source


def _may_hold(path: Path, orders: set[str]) -> bool:
    """Whether an export can hold any of `orders`. A CSV is searched as bytes first (order
    numbers are ASCII digits in UTF-8 and GBK alike, UTF-16 spells them as 2 bytes each), so
    a year of million-row exports is not parsed just to learn that a stray order is in none
    of them; a workbook is always read."""
    if path.suffix.lower() != ".csv" or len(orders) > 1000:
        return True
    data = path.read_bytes()
    utf16 = data.startswith((b"\xff\xfe", b"\xfe\xff"))
    codec = ("utf-16-le" if data.startswith(b"\xff\xfe") else "utf-16-be") if utf16 else "ascii"
    return any(o.encode(codec) in data for o in orders)


def held_in_earlier_settlements(workspace: Path, month: Month, orders: set[str]) -> dict[str, Month]:
    """{order: the latest earlier month whose 结算_YYYY-MM.xlsx held it (暂缓)}, for the orders
    given. Only months whose CRM export is gone are read: where the export is still there, an
    order held that month is found in it."""
    out: dict[str, Month] = {}
    for other in earlier_months(workspace, month):
        path = workspace / str(other) / file_name(other)
        if not orders - out.keys():
            break
        if not path.exists() or crm_export_of(workspace, other) is not None:
            continue
        sheet = read_sheets_fast(path, only=("明细",)).get("明细")
        if sheet is None:
            continue
        index, cols = locate_header(sheet.grid, ["订单号", "结果"])
        if len(cols) < 2:
            continue
        o_col, r_col = cols["订单号"] - 1, cols["结果"] - 1
        for row in sheet.grid[index + 1:]:
            if len(row) > max(o_col, r_col) and row[r_col] == rules.HOLD:
                order = parse_id(row[o_col])
                if order in orders:
                    out.setdefault(order, other)
    return out


_YES = {"有": True, "是": True, "✓": True, "√": True, "无": False, "否": False, "": False}


def _declared(value) -> Decimal:
    """申报金额; blank counts as 0. Raises ValueError for text that is not a number."""
    if type(value) is int or (type(value) is float and value.is_integer()):
        return Decimal(int(value))
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return Decimal(value)
    return parse_decimal(value) or Decimal(0)


def submission_files(folder: Path) -> list[Path]:
    files = sorted(p for p in folder.glob("*.xlsx") if not p.name.startswith(("~$", ".~", ".")))
    if not folder.is_dir() or not files:
        raise InputFileError(f"没有找到结算流转单：请把各类目经理的结算流转单（.xlsx）放进 {folder}")
    return files


def read_submissions(files: list[Path], problems: list[Problem], others: list | None = None) -> list[SubmittedLine]:
    """Every line of every 结算流转单 (file-name order, then row order). The usual spellings
    take a fast path; anything else goes through the careful per-value parsers. The form is
    the first sheet with the five headers and lines under them (the first sheet when none
    has); the file's other non-empty sheets go to `others` (see form_sheet) for
    settle_checks.other_sheets to judge."""
    lines = []
    for path in files:
        sheets = list(read_sheets_fast(path).values())
        if not sheets:
            raise InputFileError(f"{path.name} 里没有工作表。")
        aliases = aliases_near(path)
        sheet, index, headers, rest = form_sheet(sheets, aliases)
        if others is not None:
            others.extend((path.name, sheet.title, other, at) for other, at in rest)
        if len(headers) < len(SUBMISSION_HEADERS):
            problems.extend(table_from_grid(sheet.grid, path.name, sheet.title, SUBMISSION_HEADERS,
                                            aliases=aliases).problems)
            continue
        table = Table(path.name, sheet.title, headers, index + 1)
        merged = [_range_name(m) for m in sheet.merged if _spans_row(m, index + 1)]
        if merged:
            table_problem(problems, table, index + 1, "", "MERGED_HEADER",
                          f"表头行有合并单元格（{'、'.join(merged)}）：请取消合并，让每列只有一个表头。")
            continue
        cols = [headers[h] - 1 for h in SUBMISSION_HEADERS]
        width = max(cols) + 1
        name, title = path.name, sheet.title
        for row, values in enumerate(sheet.grid[index + 1:], index + 2):
            if len(values) < width:
                values = [*values, *[None] * (width - len(values))]
            merchant, raw_order, m_raw, c_raw, raw_amount = (values[c] for c in cols)
            if is_blank(raw_order) and all(is_blank(v) for v in (merchant, m_raw, c_raw, raw_amount)):
                continue
            order = parse_id(raw_order)
            if not order or not order.isdigit():
                table_problem(problems, table, row, "订单号", "BAD_ORDER_NO",
                              f"订单号「{raw_order if raw_order is not None else ''}」为空或不是数字，请改正。")
                continue
            try:
                amount = _declared(raw_amount)
            except ValueError:
                table_problem(problems, table, row, "申报金额", "BAD_VALUE", f"申报金额「{raw_amount}」不是数字。")
                continue
            flags = []
            for h, value in (("商家联", m_raw), ("网友联", c_raw)):
                flag = False if value is None else _YES.get(value.strip()) if isinstance(value, str) else None
                if flag is None:
                    try:
                        flag = bool(parse_yes_no(value))
                    except ValueError:
                        table_problem(problems, table, row, h, "BAD_VALUE",
                                      f"{h}「{value}」应为 有/无（是/否、✓/空也可以）。")
                        flag = False
                flags.append(flag)
            merchant = merchant.strip() if isinstance(merchant, str) else parse_text(merchant)
            if not merchant:
                table_problem(problems, table, row, "商家", "NO_MERCHANT", "商家为空。")
                continue
            lines.append(SubmittedLine(name, row, merchant, order, flags[0], flags[1], amount, title))
    return lines


def form_sheet(sheets: list, aliases=None) -> tuple:
    """(the form sheet, its header row index, {header: column}, [(other non-empty sheet,
    its rows with lines when it has all five headers, else None)]). A cover or notes sheet
    in front of the form is passed over; a second sheet with lines is for the checks."""
    located = [(s, *locate_header(s.grid, SUBMISSION_HEADERS, aliases)) for s in sheets]
    complete = [(s, i, h) for s, i, h in located if len(h) == len(SUBMISSION_HEADERS)]
    with_lines = [(s, i, h) for s, i, h in complete if any(True for _ in _rows_under(s.grid, i, h))]
    sheet, index, headers = (with_lines or complete or located)[0]
    rest = [(s, list(_rows_under(s.grid, i, h)) if len(h) == len(SUBMISSION_HEADERS) else None)
            for s, i, h in located if s is not sheet and any(not is_blank(v) for row in s.grid for v in row)]
    return sheet, index, headers, rest


def _rows_under(grid: list[list], index: int, headers: dict[str, int]):
    """The rows (1-based) under the header row that hold anything in the form's columns."""
    cols = [c - 1 for c in headers.values()]
    return (r for r, row in enumerate(grid[index + 1:], index + 2)
            if any(c < len(row) and not is_blank(row[c]) for c in cols))


def table_problem(problems: list[Problem], table: Table, row, column, code, message) -> None:
    problems.append(Problem(table.file, table.sheet, row, column, code, message))


def optional_input(folder: Path, stem: str, notes: list[str], quiet: bool = False) -> Path | None:
    try:
        return find_input(folder, stem)
    except InputFileError:
        if not quiet:
            notes.append(f"没有 {stem}.xlsx：视为本月没有{'投诉' if stem == COMPLAINTS else '回访核实结果'}。")
        return None


def read_optional(path: Path | None, headers: list[str], problems: list[Problem]) -> Table | None:
    if path is None:
        return None
    table = read_table(path, headers)
    problems.extend(table.problems)
    return table


def read_inputs(workspace: Path, month: Month) -> SettleInputs:
    """Read and check every input before anything is computed; all problems together.
    The workbooks are parsed ahead in a background thread while the CRM export and the
    submissions are checked here (calamine parses without holding the GIL)."""
    inputs = workspace / str(month) / "inputs"
    problems: list[Problem] = []
    notes: list[str] = []
    files = submission_files(inputs / SUBMISSIONS)
    crm_path = find_input(inputs, CRM)
    ledger_path = workspace / orders.FILE_NAME
    if not ledger_path.exists():
        raise InputFileError(f"没有找到 {ledger_path}：结算需要订单台账（订单本登记与领用）。")
    complaint_ledgers = complaints_kind.ledgers_up_to(workspace, month)
    optional = {stem: optional_input(inputs, stem, notes, quiet=stem == COMPLAINTS and bool(complaint_ledgers))
                for stem in (COMPLAINTS, CALLBACKS)}
    ahead = [crm_path, *files, ledger_path, *refund_ledgers(workspace, month), *optional.values(), *complaint_ledgers]
    others: list = []
    with prefetch_sheets(p for p in ahead if p is not None and p.suffix.lower() == ".xlsx"):
        # in the order the background thread parses the workbooks
        export = read_crm_export(crm_path, problems)
        lines = read_submissions(files, problems, others)
        wanted = {line.order_no for line in lines}
        crm = crm_orders(export, crm_path, wanted, problems)
        del export
        books, issues, settled, ledger_problems = orders.load(ledger_path)
        problems.extend(p for p in ledger_problems if p.severity is Severity.ERROR and p.code != "NEGATIVE")
        config = load_config(workspace / "kefu-xl.toml")
        fines, fine_rows = fines_to_deduct(ledger_path, books, issues, month, config)
        refund_status = read_refund_status(workspace, month, problems)
        complaints = read_complaints(optional[COMPLAINTS], problems)
        from_ledgers = complaints_kind.open_complaints(complaint_ledgers, config, problems)
        complaints = {**from_ledgers, **complaints}       # 投诉.xlsx names the complaint first when both do
        if complaint_ledgers:
            notes.append(f"投诉取自 {'、'.join(p.name for p in complaint_ledgers)}"
                         f"{' 和 投诉.xlsx' if optional[COMPLAINTS] else ''}：处理中的 {len(complaints)} 个订单暂缓。")
        callbacks = read_callbacks(optional[CALLBACKS], problems)
    missing = wanted - crm.keys()
    if missing and not has_errors(problems):
        earlier, source = crm_from_earlier_months(workspace, month, missing, problems)
        crm.update(earlier)
        for other in sorted(set(source.values()), reverse=True):
            n = sum(1 for m in source.values() if m == other)
            notes.append(f"本月 CRM 导出中没有的 {n} 个申报订单取自 {other} 的 CRM 导出（{other}/inputs/；多是以前暂缓、"
                         f"本月再申报的订单）：状态和金额以那次导出为准，退订台账、投诉照常核对。")
        still = missing - earlier.keys()
        held = held_in_earlier_settlements(workspace, month, still) if still else {}
        checks.missing_from_crm([line for line in lines if line.order_no in still], settled, held, str(month),
                                crm_path.name, problems)
    ctx = rules.SettleContext(str(month), crm, books, issues, settled, refund_status, complaints, callbacks)
    checks.run_checks(ctx, lines, others, fines, config.deposit, config.fine_per_missing, problems)
    return SettleInputs(lines, ctx, fines, fine_rows, notes, problems, config)


def read_complaints(path: Path | None, problems: list[Problem]) -> dict[str, str]:
    """{order: 投诉编号 (file, row)} of the complaints still 处理中 in inputs/投诉.xlsx."""
    complaints: dict[str, str] = {}
    table = read_optional(path, COMPLAINT_HEADERS, problems)
    for row, v in (table.rows if table else []):
        if parse_text(v["状态"]) == "处理中":
            complaints.setdefault(parse_id(v["订单号"]), f"{parse_text(v['投诉编号'])}（{table.file} 第 {row} 行）")
    return complaints


def read_callbacks(path: Path | None, problems: list[Problem]) -> dict[str, tuple[bool, Decimal | None]]:
    """{order: (成交?, 核实金额)} from 回访核实."""
    callbacks: dict[str, tuple[bool, Decimal | None]] = {}
    table = read_optional(path, CALLBACK_HEADERS, problems)
    for row, v in (table.rows if table else []):
        result = parse_text(v["核实结果"])
        if result not in ("成交", "未成交"):
            table_problem(problems, table, row, "核实结果", "BAD_VALUE", f"核实结果「{result}」应为 成交/未成交。")
            continue
        try:
            amount = parse_decimal(v["核实金额"])
        except ValueError:
            table_problem(problems, table, row, "核实金额", "BAD_VALUE", f"核实金额「{v['核实金额']}」不是数字。")
            continue
        if result == "成交" and amount is None:
            table_problem(problems, table, row, "核实金额", "BAD_VALUE", "核实成交但没有核实金额。")
            continue
        callbacks[parse_id(v["订单号"])] = (result == "成交", amount)
    return callbacks


def refund_ledgers(workspace: Path, month: Month) -> list[Path]:
    """Every month's 退订台账 up to `month`, oldest first."""
    return monthly_files(workspace, refunds.TITLE, month)


def read_refund_status(workspace: Path, month: Month, problems: list[Problem]) -> dict[str, tuple[str, str]]:
    """{order: (REFUNDED | REFUND_PENDING, where)} from every 退订台账 up to this month; 不可退 ignored."""
    out: dict[str, tuple[str, str]] = {}
    config = load_config(workspace / "kefu-xl.toml")
    for path in refund_ledgers(workspace, month):
        other = Month.parse(path.stem.split("_")[-1])
        _, datas = read_tracker(path, lambda m: refunds.spec(config, m), (refunds.REFUNDS,), month=other,
                                problems=problems)
        data = datas[refunds.REFUNDS]
        for refund in refunds.read_refunds(data, path.name, []) if data else []:
            status = refund_rules.status(refund)
            order = parse_id(refund.order_no)
            where = f"{path.name} 第 {refund.row} 行{status}"
            if status == refund_rules.REFUNDED:
                out[order] = ("REFUNDED", where)
            elif status in (refund_rules.PENDING, refund_rules.REFUNDABLE) and order not in out:
                out[order] = ("REFUND_PENDING", where)
    return out


def fines_to_deduct(ledger_path: Path, books, issues, month: Month, config) -> tuple[dict[str, Decimal], list[int]]:
    """Fines of 领用 rows not deducted in another month (re-runs of this month deduct again)."""
    sheet = read_sheets_fast(ledger_path)[orders.ISSUES]
    header = next(i for i, r in enumerate(sheet.grid[:10]) if "罚款扣除月份" in r)
    col = sheet.grid[header].index("罚款扣除月份")
    marks = {r + 1: parse_text(row[col]) if col < len(row) else "" for r, row in enumerate(sheet.grid)}
    sizes = book_sizes(books)
    fines: dict[str, Decimal] = {}
    rows: list[int] = []
    for issue in issues:
        f = issue_figures(issue, sizes.get(issue.book_id.casefold()), config.deposit, config.fine_per_missing)
        if not f.fine:
            continue
        mark = marks.get(issue.row, "")
        if mark and mark != str(month):
            continue
        fines[issue.merchant] = fines.get(issue.merchant, Decimal(0)) + f.fine
        rows.append(issue.row)
    return fines, rows


# ------------------------------------------------------------------ running

@contextmanager
def settle_lock(workspace: Path):
    """One settlement at a time per workspace; a lock left by a dead process is taken over."""
    lock = workspace / LOCK_NAME
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            break
        except FileExistsError:
            try:
                pid = int(lock.read_text().split()[0])
            except (ValueError, IndexError, FileNotFoundError):
                pid = None
            if pid is None or not process_alive(pid):
                lock.unlink(missing_ok=True)       # stale: its process is gone
                continue
            raise KefuError(f"另一个结算正在进行（进程 {lock.read_text().split()[0]}，锁文件 {lock}）：请等它结束后再运行。")
    else:
        raise KefuError(f"无法创建结算锁文件 {lock}。")
    try:
        os.write(fd, f"{os.getpid()} {datetime.now().isoformat()}".encode())
        os.close(fd)
        yield
    finally:
        lock.unlink(missing_ok=True)


@dataclass
class SettleOutcome:
    month: Month
    results: list
    summary: dict
    mismatches: list
    callbacks: list
    inputs: SettleInputs
    output: Path
    written: bool = False
    register_added: int = 0
    register_replaced: int = 0


def judge(workspace: Path, month: Month, output: Path, explain_order: str | None = None) -> SettleOutcome:
    """Read and check every input, then give every submitted line its result."""
    inputs = read_inputs(workspace, month)
    if has_errors(inputs.problems):
        raise DataProblemsError("输入数据有错误，没有结算，也没有修改任何文件。", inputs.problems)
    trace = {parse_id(explain_order)} if explain_order else ()
    results = rules.settle_lines(inputs.lines, inputs.context, trace)
    outcome = SettleOutcome(month, results, rules.merchant_summary(results, inputs.fines),
                            rules.amount_mismatches(results, inputs.context.crm),
                            [r for r in results if r.code == "NEEDS_CALLBACK"], inputs, output)
    outcome.register_added = sum(1 for r in results if r.result == rules.SETTLE)
    outcome.register_replaced = sum(1 for m in inputs.context.settled.values() if m == str(month))
    return outcome


def settle_month(workspace: Path, month: Month, *, dry_run: bool = False, announce=None,
                 explain_order: str | None = None) -> SettleOutcome:
    """Read, check, judge and (unless dry_run) write. `explain_order`: keep that order's rule
    path for explain()."""
    ledger_path = workspace / orders.FILE_NAME
    output = workspace / str(month) / file_name(month)
    with settle_lock(workspace), without_cycle_collection():
        if not dry_run:
            check_not_open(ledger_path)
            check_not_open(output)
        outcome = judge(workspace, month, output, explain_order)
        if not dry_run:
            check_register_room(ledger_path, month, outcome.register_added)
        if announce:
            announce(outcome)
        if dry_run:
            return outcome
        # The two files are written side by side (the settlement in a second process where the
        # system allows) and replace the old ones only when both are complete: the settlement
        # first, then the register.
        settled = [r for r in outcome.results if r.result == rules.SETTLE]
        with staged_write(ledger_path) as ledger_new, staged_write(output) as output_new:
            with beside(write_settlement, outcome, output_new.tmp):
                update_ledger(ledger_path, month, settled, outcome.inputs.fine_rows, ledger_new.tmp)
            check_not_open(ledger_path)
            check_not_open(output)
        outcome.written = True
        return outcome


EXCEL_MAX_ROWS = 1_048_576


def check_register_room(path: Path, month: Month, adding: int) -> None:
    """Refuse before writing when 已结算 would grow past the rows an Excel sheet can hold
    (Excel would open the file without the rows beyond, and lose them when it is saved)."""
    sheet = read_sheets_fast(path)[orders.SETTLED]
    layout, _ = find_layout(sheet, orders.spec(load_config(path.parent / "kefu-xl.toml")).sheet(orders.SETTLED))
    month_col = layout.columns["结算月份"] - 1
    last = layout.first_data_row - 1
    for r in range(len(sheet.grid), layout.first_data_row - 1, -1):      # from the end: this month's rows are last
        values = sheet.grid[r - 1]
        if any(v is not None for v in values) and not (len(values) > month_col and parse_text(values[month_col]) == str(month)):
            last = r
            break
    if last + adding > EXCEL_MAX_ROWS:
        raise KefuError(
            f"{path.name} 的「已结算」已用到第 {last} 行，再登记本月 {adding} 行将超过 Excel 每张工作表 "
            f"{EXCEL_MAX_ROWS:,} 行的上限（超出的行 Excel 打开时会丢失），kefu-xl 没有修改任何文件。请先归档："
            f"在 Excel/WPS 中把「已结算」复制一份，把原表改名为「已结算_归档1」之类（以「已结算」开头，kefu-xl 会继续"
            f"读取它，已结算过的订单不会再结算），再把副本命名为「已结算」并删除其中第 {layout.first_data_row} 行以后的"
            f"数据行，保存关闭后重新运行。")


def update_ledger(path: Path, month: Month, settled, fine_rows: list[int], target: Path) -> None:
    """Write to `target` the ledger `path` with this month's rows of 已结算 and this month's fine
    marks in 领用 replaced, through the patch engine that changes every existing workbook: only
    those cells change, everything else in the ledger — a person's own drop-downs, formats,
    notes — is copied as it is."""
    config = load_config(path.parent / "kefu-xl.toml")
    spec = orders.spec(config)
    book = PatchBook(path)
    try:
        ws, marks_ws = book[orders.SETTLED], book[orders.ISSUES]
        register, _ = find_layout(ws, spec.sheet(orders.SETTLED))
        issues, _ = find_layout(marks_ws, spec.sheet(orders.ISSUES))
        cols, first = register.columns, register.first_data_row
        month_col = cols["结算月份"]
        drop = [r for r, values in enumerate(ws.iter_rows(min_row=first, max_col=month_col), first)
                if parse_text(values[month_col - 1]) == str(month)]
        runs: list[list[int]] = []
        for r in drop:
            if runs and runs[-1][1] == r - 1:
                runs[-1][1] = r
            else:
                runs.append([r, r])
        for start, end in reversed(runs):
            ws.delete_rows(start, end - start + 1)
        last = first - 1
        for r in range(ws.max_row, first - 1, -1):
            if any(v not in (None, "") for v in ws.grid[r - 1]):
                last = r
                break
        types = {c.header: c.type for c in spec.sheet(orders.SETTLED).columns}
        styles = {h: style_name(Role.COMPUTED, types[h]) for h in ("订单号", "商家", "结算月份", "金额")}
        for i, r in enumerate(settled, last + 1):
            ws.put_cells(i, [(cols["订单号"], r.line.order_no, styles["订单号"]),
                             (cols["商家"], r.line.merchant, styles["商家"]),
                             (month_col, str(month), styles["结算月份"]), (cols["金额"], r.amount, styles["金额"])])
        mark_col = issues.columns["罚款扣除月份"]
        fines = set(fine_rows)
        for r, values in enumerate(marks_ws.iter_rows(min_row=issues.first_data_row, max_col=mark_col),
                                   issues.first_data_row):
            want = str(month) if r in fines else (None if parse_text(values[mark_col - 1]) == str(month)
                                                  else values[mark_col - 1])
            if want != values[mark_col - 1]:
                marks_ws.cell(r, mark_col).value = want
        for r in fines - set(range(issues.first_data_row, marks_ws.max_row + 1)):
            marks_ws.cell(r, mark_col).value = str(month)
        book.save(target)
    finally:
        book.close()


def explain(outcome: SettleOutcome, order: str) -> list[str]:
    order = parse_id(order)
    out = []
    for r in outcome.results:
        if r.line.order_no != order:
            continue
        out.append(f"{r.line.file} 第 {r.line.row} 行（商家 {r.line.merchant}，申报 {r.line.declared}）：")
        for step, finding in r.path:
            out.append(f"  规则 {step}：{finding}")
        out.append(f"  ⇒ {r.result} {r.code}：{r.reason}" + (f"，结算金额 {r.amount}" if r.result == rules.SETTLE else ""))
    if not out:
        out.append(f"本月的结算流转单中没有订单 {order}。")
    return out


