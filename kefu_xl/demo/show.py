"""What the demo prints: the steps as they run, then — on one screen — where each file is,
one short table per role (a 客服's 今日, the manager's team, finance's settlement) and how to
look further; `kefu-xl demo --full` prints every table and problem as the commands do."""
from __future__ import annotations

import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

from rich.table import Table

from ..app.report import figures, online_summary, summary_rows
from ..kinds.today import done_text
from ..present.outcomes import print_outcome
from ..present.tables import report_table, settlement_table
from ..records import Severity
from ..rules.completion import percent
from ..rules.settle import REASONS
from .run import DEMO_STEPS, STAFF, build_demo

TODAY_LINES = 5            # lines of 张敏's 今日 shown


def _print_plan(console, outcome, limit: int = 12) -> None:
    """One person's plan for the demo's day, as the 今日 sheet shows it."""
    if outcome is None:
        return
    from rich.table import Table
    f = outcome.result.figures
    lines = list(zip(f.plan_rows, f.done))
    today = sum(1 for row, _ in lines if row["计划内"] in ("是", "新增") or not row["项数"])     # above the divider
    shown = min(limit, len(lines))
    table = Table(title=f"{f.header}：今日 {today} 行，有余力再做 {len(lines) - today} 行"
                        + (f"；这里列出前 {shown} 行" if shown < len(lines) else ""))
    for header in ("时间段", "序号", "优先级", "帐户ID", "客户名称", "级别", "事项", "原因", "已完成"):
        table.add_column(header)
    for n, (row, done) in enumerate(lines[:limit]):
        if n == today:
            table.add_section()
            table.add_row("", "", "", "", "", "", "有余力再做", "", "")
        table.add_row(row["时间段"] or "", str(row["序号"]), row["优先级"], row["帐户ID"], row["客户名称"], row["级别"],
                      row["事项"], row["原因"], done_text(done, row["项数"] or 0))
    console.print(table)


class _Progress:
    """What a newcomer sees while the demo builds: a line per finished step with its seconds
    and, on a terminal, a live bar with the step under way beneath them."""

    def __init__(self, console, total: int):
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )
        self.console, self.total, self.done = console, total, 0
        self.current: tuple[str, float] | None = None
        self.started = time.perf_counter()
        self.bar = Progress(SpinnerColumn(), TextColumn("{task.description}", markup=False), BarColumn(),
                            MofNCompleteColumn(), TimeElapsedColumn(), console=console, transient=True)
        self.task = self.bar.add_task("", total=total)

    def __enter__(self) -> _Progress:
        if self.console.is_terminal:         # a live bar only where it can redraw itself
            self.bar.start()
        return self

    def __call__(self, text: str) -> None:
        self._finish()
        self.current = (text, time.perf_counter())
        self.bar.update(self.task, description=text)

    def _finish(self) -> None:
        if self.current is None:
            return
        text, began = self.current
        self.done += 1
        self.bar.update(self.task, completed=self.done)
        self.console.print(f"[{self.done:>2}/{self.total}] {text} …… {time.perf_counter() - began:.1f} 秒")
        self.current = None

    def __exit__(self, kind, *_) -> None:
        if kind is None:
            self._finish()
        if self.bar.live.is_started:
            self.bar.stop()

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started


def run_demo(folder: Path, console, full: bool = False) -> None:
    console.print(f"正在建立演示工作区 {folder}：{len(STAFF)} 位客服两个月的工作，共 {DEMO_STEPS} 步 …")
    with _Progress(console, DEMO_STEPS) as progress:
        done = build_demo(folder, step=progress)
    console.print(f"演示工作区已建好，用时 {progress.seconds:.0f} 秒：{folder.resolve()}")
    show_demo(folder, console, done, full)


def show_demo(folder: Path, console, done: dict, full: bool = False) -> None:
    """What build_demo made (`done`), printed: one screen, or everything with `full`."""
    if full:
        _print_everything(folder, console, done)
    else:
        _print_short(folder, console, done)


def _print_short(folder: Path, console, done: dict) -> None:
    """One screen: a table per role, the problems as counts, where to look further."""
    plan = done["plans"].get("张敏")
    if plan is not None:
        f = plan.result.figures
        lines = list(zip(f.plan_rows, f.done))
        console.print(f"客服 · 张敏的今日（{f.plan.day:%m-%d}，个人/张敏_2026-11.xlsx「今日」，前 {TODAY_LINES} 行）")
        table = Table()
        for h in ("时间段", "序号", "客户名称", "事项", "已完成"):
            table.add_column(h, justify="right" if h == "序号" else "left", overflow="ellipsis", no_wrap=True,
                             max_width=34 if h == "事项" else None)
        for row, ok in [(r, ok) for r, ok in lines if r["项数"]][:TODAY_LINES]:
            table.add_row(row["时间段"] or "", str(row["序号"]), row["客户名称"], row["事项"], done_text(ok, row["项数"]))
        console.print(table)
    data = done["report"].data
    people = figures(data)
    console.print(f"客服经理 · {data.label}（维护跟踪_2026-11.xlsx、{done['report'].path.name}）")
    table = Table()
    for h in ("客服", "维护完成率", "有效工作数", "续费提成"):
        table.add_column(h, justify="left" if h == "客服" else "right")
    for who, v in people.items():
        table.add_row(who, percent(v["维护完成率"]), str(v["有效工作数"]), f"{v['续费提成']:,.2f}")
    console.print(table)
    settle = done["settle"]
    by_result: Counter = Counter(r.result for r in settle.results)
    money: dict[str, Decimal] = {}
    for r in settle.results:
        money[r.result] = money.get(r.result, Decimal(0)) + r.amount
    console.print(f"财务 · {settle.month} 商家结算（{len(settle.summary)} 家商家，结算表在 2026-11/）")
    table = Table()
    for h in ("结果", "申报条数", "结算金额"):
        table.add_column(h, justify="left" if h == "结果" else "right")
    for result, n in sorted(by_result.items()):
        table.add_row(result, str(n), f"{money[result]:,.2f}")
    console.print(table)
    problems = [p for key in ("recalc", "renewal", "newclient", "orders", "refunds", "complaints", "callbacks",
                              "onlinesales", "archive") for p in done[key].result.problems]
    errors = sum(p.severity is Severity.ERROR for p in problems)
    warnings = sum(p.severity is Severity.WARNING for p in problems)
    console.print(f"演示数据里故意放了错误：各表的「问题」表共列出错误 {errors} 条、警告 {warnings} 条（说明写着去哪一行改什么）。")
    console.print("接着看：")
    console.print(f"  · 打开 {folder}/2026-11/ 里的工作簿；每人的个人工作簿在 {folder}/2026-11/个人/")
    for command, what in ((f"collect 2026-11 --dir {folder}", "把个人工作簿汇总到团队表"),
                          (f"report 2026-11 --dir {folder}", "绩效提成表（加 --html 出网页）"),
                          (f"serve --dir {folder}", f"常驻运行，浏览器打开 {folder}/状态.html"),
                          (f"remind 2026-11 --dir {folder}", "续费提醒"),
                          (f"watch 2026-11-27 --dir {folder}", "9:00 消耗监控"),
                          (f'calls 2026-10 --dir {folder} --today --at "2026-10-12 09:00"', "话务台国庆那一周该拨打的回访"),
                          (f"greet 2026-09 --dir {folder}", "中秋、国庆问候"),
                          (f"demo {folder} --full", "重建演示，打印每张表的汇总和全部问题")):
        console.print(f"  · {what}：kefu-xl {command}")


def _print_everything(folder: Path, console, done: dict) -> None:
    console.print("各表的汇总和问题：")
    for key in ("recalc", "renewal", "newclient", "orders", "refunds", "complaints", "callbacks", "onlinesales",
                "archive"):
        print_outcome(done[key])
    desk = done["desk"]
    watched = desk["watch"]
    console.print(f"每日消耗监控 {watched.day}：{len(watched.found)} 个异常帐户 → {watched.path.name}；"
                  f"客服经理抽查 {desk['checks']} 条（2 条不属实，见维护跟踪「抽查」表）；"
                  f"节日问候示例：{desk['greet'][0].name if desk['greet'][0] else '—'}")
    settle = done["settle"]
    reasons = Counter(f"{r.result}·{REASONS[r.code][1]}" for r in settle.results)
    console.print(f"{settle.month} 结算：{len(settle.results)} 条申报；" +
                  "，".join(f"{k} {v} 条" for k, v in sorted(reasons.items())))
    console.print(settlement_table(settle, limit=15))
    _print_plan(console, done["plans"].get("张敏"))
    target, data = done["report"].path, done["report"].data
    console.print(report_table(f"{data.label} 绩效提成（{target.name}）", summary_rows(data)))
    if data.online:
        console.print(online_summary(data))
    console.print(f"演示完成。每人的个人工作簿在 {folder}/2026-11/个人/（今日计划、工作记录、我的帐户、我的续费、我的新客户、每日小结），"
                  f"汇总到团队表：kefu-xl collect 2026-11 --dir {folder}。打开 {folder} 中的维护跟踪、续费跟踪、新客户跟踪、订单台账、退订台账、投诉台账和网销台账"
                  f"（各表的「问题」表列出了演示数据中故意放入的问题）；续费提醒：kefu-xl remind 2026-11 --dir {folder}；"
                  f"话务台国庆那一周的回访任务：kefu-xl calls 2026-10 --dir {folder} --today --at \"2026-10-12 09:00\"；"
                  f"9:00 消耗监控：kefu-xl watch 2026-11-27 --dir {folder}；客户档案与回访节奏：{folder}/客户档案.xlsx；"
                  f"中秋、国庆问候：kefu-xl greet 2026-09 --dir {folder} --as-of 2026-09-20")
