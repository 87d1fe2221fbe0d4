"""What a command prints: the consoles, the problem list, a recalc's summary table, and
`friendly` — a command's typed errors as a Chinese message and exit code 1, never a traceback."""
from __future__ import annotations

import functools
import os
import sys

import click
from rich.console import Console
from rich.table import Table

from ..errors import DataProblemsError, KefuError
from ..records import Problem, Severity

# Piped or captured output gets wide lines, so paths and messages are not broken mid-word.
_WIDTH = None if sys.stdout.isatty() else 200
console = Console(highlight=False, markup=False, width=_WIDTH, soft_wrap=_WIDTH is not None)
# markup is off: messages carry [calendar], paths and user text that must print as they are
err_console = Console(stderr=True, highlight=False, markup=False, width=_WIDTH, soft_wrap=_WIDTH is not None)
MAX_SHOWN = 40
INFOS_SHOWN = 10                  # distinct notes printed (each with how often)


def show_problems(problems: list[Problem], *, stderr: bool = False, limit: int = MAX_SHOWN) -> None:
    out = err_console if stderr else console
    if not problems:
        return
    counts = {s: sum(1 for p in problems if p.severity is s) for s in Severity}
    out.print(f"发现 {len(problems)} 条问题：错误 {counts[Severity.ERROR]}，警告 {counts[Severity.WARNING]}，"
              f"提示 {counts[Severity.INFO]}")
    serious = [p for p in problems if p.severity is not Severity.INFO]
    serious.sort(key=lambda p: list(Severity).index(p.severity))
    if serious and _WIDTH is not None:      # piped or captured (a log, a script): one line each, never wrapped
        for p in serious[:limit]:
            out.print(f"{p.severity.value}  {p.where()}：{p.message}")
    elif serious:
        table = Table(show_lines=False)
        for h in ("级别", "位置", "说明"):
            table.add_column(h, overflow="fold")
        for p in serious[:limit]:
            table.add_row(p.severity.value, p.where(), p.message)
        out.print(table)
    if len(serious) > limit:
        out.print(f"……另有 {len(serious) - limit} 条错误/警告未显示，完整清单见工作簿的「问题」表。")
    infos: dict[str, list[Problem]] = {}        # the same note several times: said once, with how often
    for p in problems:
        if p.severity is Severity.INFO:
            infos.setdefault(p.message, []).append(p)
    for message, items in list(infos.items())[:INFOS_SHOWN]:
        out.print(f"提示{f' × {len(items)}' if len(items) > 1 else ''}：{message}")
    if len(infos) > INFOS_SHOWN:
        rest = sum(len(items) for items in list(infos.values())[INFOS_SHOWN:])
        out.print(f"……另有 {rest} 条提示未显示，见工作簿的「问题」表。")


def print_outcome(outcome) -> None:
    result = outcome.result
    for w in outcome.warnings:
        console.print(f"注意：{w}", style="yellow")
    if result.summary_rows:
        table = Table(title=f"{outcome.path.name} 汇总")
        for h in result.summary_headers:
            table.add_column(h, justify="left" if h in ("客服", "星级") else "right")
        for row in result.summary_rows:
            table.add_row(*row)
        console.print(table)
    show_problems(result.problems)
    if result.restored_total:
        console.print(f"恢复了 {result.restored_total} 个被改动的公式单元格。")


def friendly(func):
    """Turn kefu-xl's typed errors into a Chinese message and exit code 1, never a traceback."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except click.ClickException:       # a usage error raised by the command: click says it (用法：…, exit 2)
            raise
        except DataProblemsError as e:
            show_problems(e.problems, stderr=True, limit=200)
            err_console.print(str(e), style="bold red")
            sys.exit(1)
        except KefuError as e:
            err_console.print(f"错误：{e}", style="bold red")
            sys.exit(1)
        except OSError as e:
            where = f" {e.filename}" if getattr(e, "filename", None) else ""
            err_console.print(f"错误：无法读写文件{where}（{e.strerror or e}）。"
                              f"请检查文件是否存在、是否有权限、磁盘是否已满；原文件没有被修改。", style="bold red")
            sys.exit(1)
        except Exception as e:  # a bug: say so plainly, keep the details for whoever fixes it
            if os.environ.get("KEFU_DEBUG"):
                raise
            err_console.print(f"kefu-xl 内部错误（{type(e).__name__}: {e}）。文件没有被修改。"
                              f"请把这条信息和相关文件发给维护人员；设置环境变量 KEFU_DEBUG=1 可看到详细信息。",
                              style="bold red")
            sys.exit(2)
    return wrapper
