"""kefu-xl report --week: the 周报 in the terminal (the command itself stays a few lines in cli.py)."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click
from rich.table import Table

from ..app.weekly_book import SHOWN, summary_rows, write_weekly
from ..hints import here
from .outcomes import console


def report_week(folder: Path, week: str, month: str | None, quarter: str | None, html: bool,
                as_of: datetime | None, compare: bool, force: bool) -> None:
    """`week` is "" for the default week (the last full week before --as-of, today)."""
    if month or quarter or compare:
        what = "月份" if month else "--quarter" if quarter else "--compare"
        raise click.UsageError(f"--week 不能和{what}一起用：周报写 kefu-xl report --week 2026-W49，"
                               f"月报写 kefu-xl report 2026-11，季报写 kefu-xl report --quarter 2026Q4。")
    made = write_weekly(folder, week or None, as_of.date() if as_of else None, html, force)
    data = made.data
    table = Table(title=f"{data.week.label} 周报（统计截至 {data.as_of}）")
    for i, h in enumerate(("客服", *SHOWN)):
        table.add_column(h, justify="left" if i == 0 else "right")
    for row in summary_rows(data):
        table.add_row(*row)
    console.print(table)
    console.print(f"本周问题 {len(data.issues)} 条（见「本周问题」表，周会逐条过）。")
    for w in data.warnings:
        console.print(f"注意：{w}", style="yellow")
    for hint in data.hints:
        console.print(f"检查：{hint}")
    console.print(("已替换" if made.replaced else "已生成") + f" {here(made.path)}"
                  + (f" 和 {here(made.html)}" if made.html else ""))
