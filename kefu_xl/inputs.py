"""Month input files people drop into YYYY-MM/inputs/ (docs/inputs.md), read into records.

Messy values are accepted (numbers as text, full-width digits, thousands separators,
dates as text or serials, trailing spaces); what cannot be read becomes a Problem naming
file, sheet, row, column and the value.
"""
from __future__ import annotations

from pathlib import Path

from .io.tables import Table, read_table
from .io.values import parse_date, parse_decimal, parse_export_id, parse_text
from .records import AccountStatus, Problem, Severity

ACCOUNT_STATUS = "帐户状态"
ACCOUNT_STATUS_HEADERS = ["帐户ID", "客户名称", "客服", "行业", "周消耗", "余额", "合同到期日", "开户日期"]


def cell_value(table: Table, row: int, column: str, raw, parser):
    """`parser(raw)`, or None with a problem naming the cell when the value cannot be read."""
    try:
        return parser(raw)
    except ValueError as e:
        table.problem(row, column, "BAD_VALUE", f"「{raw}」{e}。请改正这个单元格后重新运行。")
        return None


def export_id(table, row: int, value) -> str | None:
    """帐户ID of an export's row as text ("" when blank); None, with the problem noted on the
    table, when it arrived as a number Excel had already rounded (over 15 digits)."""
    try:
        return parse_export_id(value)
    except ValueError as e:
        table.problem(row, "帐户ID", "ID_ROUNDED", f"帐户ID「{value}」{e}。")
        return None


def read_account_status(path: Path) -> tuple[list[AccountStatus], list[Problem]]:
    table = read_table(path, ACCOUNT_STATUS_HEADERS)
    if table.problems:
        return [], table.problems
    statuses, seen = [], {}
    for row, v in table.rows:
        account_id = export_id(table, row, v["帐户ID"])
        if account_id is None:
            continue
        if not account_id:
            table.problem(row, "帐户ID", "MISSING_ID", "帐户ID 为空：每行都必须有帐户ID。")
            continue
        if account_id.casefold() in seen:
            table.problem(row, "帐户ID", "DUPLICATE_ID",
                          f"帐户ID「{account_id}」与第 {seen[account_id.casefold()]} 行重复：请删除重复行后重新导出。")
            continue
        seen[account_id.casefold()] = row
        spend = cell_value(table, row, "周消耗", v["周消耗"], parse_decimal)
        balance = cell_value(table, row, "余额", v["余额"], parse_decimal)
        if spend is not None and spend < 0:
            table.problem(row, "周消耗", "NEGATIVE", f"周消耗「{v['周消耗']}」为负数，请检查。")
        staff = parse_text(v["客服"])
        if not staff:
            table.problem(row, "客服", "MISSING_STAFF", "客服为空：该帐户不会计入任何人的完成率。", severity=Severity.WARNING)
        statuses.append(AccountStatus(
            account_id=account_id,
            client=parse_text(v["客户名称"]),
            staff=staff,
            industry=parse_text(v["行业"]),
            weekly_spend=spend,
            balance=balance,
            contract_end=cell_value(table, row, "合同到期日", v["合同到期日"], parse_date),
            opened=cell_value(table, row, "开户日期", v["开户日期"], parse_date),
            row=row,
        ))
    if not statuses and not table.problems:
        table.problem(None, "", "EMPTY", "表格里没有任何帐户行：请确认导出的是完整的帐户状态表。")
    return statuses, table.problems


