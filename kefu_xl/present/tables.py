"""Terminal tables shared by commands and the demo."""
from __future__ import annotations

from rich.table import Table

from ..hints import command
from .outcomes import console

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
                  "新客户数", "上线达标率", "计划完成率")


def compare_table(comparison) -> Table:
    """report --compare: per person, each figure that the rules change as 「本月规则 → 当前规则」;
    figures the rules leave alone are shown once."""
    table = Table(title=f"{comparison.label} 按本月规则 → 按当前规则（统计截至 {comparison.as_of}）")
    moved = [i for i, _ in enumerate(comparison.headers) if any(a[i] != b[i] for _, a, b in comparison.rows)]
    shown = moved or list(range(3))
    table.add_column("客服")
    for i in shown:
        table.add_column(comparison.headers[i], justify="right")
    for who, before, after in comparison.rows:
        table.add_row(who, *(before[i] if before[i] == after[i] else f"{before[i]} → {after[i]}" for i in shown))
    return table


def print_comparison(comparison, folder) -> None:
    """What report --compare prints: the rules on both sides, the table, the way to switch."""
    for line in comparison.month_rules:
        console.print(f"开月时的规则 {line}")
    console.print(f"当前的规则（kefu-xl.toml [work.valid]）：{comparison.current}")
    console.print(compare_table(comparison))
    if not comparison.changed:
        console.print("按当前规则，每个人的数字都不变。")
        return
    switch = (f"要改用当前规则：{command(f'month open {comparison.label} --refresh --rules current', folder)}"
              if len(comparison.month_rules) == 1 else "要改用当前规则：对每个月运行 month open YYYY-MM --refresh --rules current")
    console.print(f"{comparison.changed} 人的数字会变。{switch}")


def report_table(title: str, rows: list[list[str]]) -> Table:
    table = Table(title=title)
    for h in REPORT_HEADERS:
        table.add_column(h, justify="left" if h == "客服" else "right")
    for row in rows:
        table.add_row(*row)
    return table
