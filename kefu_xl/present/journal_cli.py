"""`kefu-xl journal …` (docs/journal.md): check the 日志's chains, print a day's pages.
Registered on the command group by cli.py; its options are the CLI's own."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from ..app import journal, journal_restore
from ..config import CONFIG_NAME, load_config
from ..errors import KefuError
from ..month import Month
from .outcomes import console, err_console


def add_to(cli, dir_option, month_type, friendly) -> None:
    @cli.group("journal")
    def group():
        """日志：每次汇总把读到的工作记录追加到 YYYY-MM/日志/客服名.jsonl（只追加、不改写，每行带上一行的校验值）。"""

    @group.command("verify")
    @click.argument("month_", metavar="YYYY-MM", type=month_type(), required=False)
    @dir_option
    @friendly
    def verify(month_: Month | None, folder: Path):
        """检查日志有没有被改过：逐行核对校验链，报出第一处接不上的行；不写 YYYY-MM 时检查所有月份。

        \b
        断电留下的半行会被忽略（列出行号），不算改动。每天最后一行的校验值记在 kefu-xl-serve.log
        和 状态.html 上：校验链只能发现简单的改动，整本重写要和记下的校验值对照。
        例：kefu-xl journal verify 2026-11 --dir D:\\客服部
        """
        months = [month_] if month_ else sorted(Month.parse(p.name) for p in folder.glob("[0-9][0-9][0-9][0-9]-[0-9][0-9]")
                                                if (p / journal.FOLDER).is_dir())
        broken = 0
        for m in months:
            for v in journal.verify_month(folder, m):
                where = f"{m}/{journal.FOLDER}/{v.path.name}"
                torn = f"；第 {'、'.join(map(str, v.torn))} 行不完整（断电？），已忽略" if v.torn else ""
                if v.broken:
                    broken += 1
                    err_console.print(f"{where}：第 {v.broken[0]} 行{v.broken[1]}{torn}", style="bold red")
                else:
                    console.print(f"{where}：{v.lines} 行，完整{torn}；末行校验值 {v.last[:16]}…")
        if not months:
            console.print("还没有日志（第一次汇总时生成）。")
        if broken:
            raise SystemExit(1)

    @group.command("restore")
    @click.argument("person", metavar="客服")
    @click.argument("day", metavar="YYYY-MM-DD", type=click.DateTime(["%Y-%m-%d"]))
    @dir_option
    @friendly
    def restore_day(person: str, day, folder: Path):
        """把日志里记下的、这一天被删掉的工作记录放回这位客服的「工作记录」末尾（每条一次：已经在的不重复放），
        「来源」列写「日志恢复 MM-DD」，日志里记一条「恢复」。工作簿正开着时不写。

        \b
        例：kefu-xl journal restore 张敏 2026-11-05 --dir D:\\客服部
        """
        target, restored = journal_restore.restore(folder, person, day.date(), load_config(folder / CONFIG_NAME))
        if not restored:
            console.print(f"{target.name} 中没有要恢复的：{day:%Y-%m-%d} 的记录日志里没有删除过，或已经都在工作簿里。")
            return
        for r in restored:
            console.print(f"已恢复 第 {r['row']} 行：{r['日期']} {r['帐户ID']} {r['工作类型']} {r.get('内容摘要', '')}")
        console.print(f"已保存 {target}（原文件备份在 .kefu-backup/）")

    @group.command("print")
    @click.argument("day", metavar="YYYY-MM-DD", type=click.DateTime(["%Y-%m-%d"]))
    @click.option("--staff", "people", multiple=True, help="只打印这位客服（可写多次）；默认每位有日志的客服。")
    @dir_option
    @friendly
    def print_day(day, people: tuple[str, ...], folder: Path):
        """把这一天每位客服的工作记录排成一页 A4（记录、条数、补录/改动、当天日志末行校验值、签字栏），
        写到 YYYY-MM/日志/日志_YYYY-MM-DD.html，用浏览器打开后打印——「每人每天一张，订起来就成为日志」。

        \b
        例：kefu-xl journal print 2026-11-05 --dir D:\\客服部
        """
        the_day: date = day.date()
        month = Month.of(the_day)
        names = list(people) or [p.stem for p in journal.journal_files(folder, month)]
        if not names:
            raise KefuError(f"{month} 还没有日志（第一次汇总时生成）。")
        target = journal.write_print(folder, the_day, names)
        console.print(f"已生成 {len(names)} 页（每人一页）：{target}")
