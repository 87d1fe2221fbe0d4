"""Terminal tables shared by commands and the demo."""
from __future__ import annotations

from rich.table import Table

MONEY = ("结算金额", "罚款扣除", "应结金额")
COUNTS = ("申报单数", "结算单数", "结算金额", "暂缓单数", "不结算单数", "罚款扣除", "应结金额")


def settlement_table(outcome, limit: int = 30) -> Table:
    shown = list(outcome.summary.items())[:limit]
    more = len(outcome.summary) - len(shown)
    table = Table(title=f"{outcome.month} 商家结算汇总" + (f"（前 {limit} 家，另有 {more} 家见结算表）" if more > 0 else ""))
    table.add_column("商家")
    for h in COUNTS:
        table.add_column(h, justify="right")
    for merchant, t in shown:
        table.add_row(merchant, *(f"{t[h]:,.2f}" if h in MONEY else str(t[h]) for h in COUNTS))
    return table


REPORT_HEADERS = ("客服", "维护完成率", "有效工作数", "日均有效工作", "当月续费率", "丢失客户数", "续费到帐金额", "续费提成",
                  "新客户数", "上线达标率")


def report_table(title: str, rows: list[list[str]]) -> Table:
    table = Table(title=title)
    for h in REPORT_HEADERS:
        table.add_column(h, justify="left" if h == "客服" else "right")
    for row in rows:
        table.add_row(*row)
    return table
