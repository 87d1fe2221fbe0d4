"""回访_YYYY-MM.xlsx (kind callbacks): the expo call desk's callback queue (docs/callbacks.md).
`kefu-xl calls` turns the month's sign-ups, missed calls and check-ins into tasks with a
priority and a deadline and appends the new ones; people type their attempts; 状态, 按时
and the daily statistics are live formulas that recalc restores and Python computes too."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from ..config import Config
from ..hints import command
from ..io.values import (
    is_blank,
    parse_datetime,
)
from ..month import Month
from ..records import Problem, Severity
from ..rules import callbacks as rules
from ..sheets.build import build_workbook
from ..sheets.read import write_problem_sheet
from ..sheets.spec import Column, Highlight, Role, SheetSpec, Type, WorkbookSpec
from .base import (
    Kind,
    RecalcContext,
    RecalcResult,
    cell_datetime,
    cell_text,
    finish_recalc,
    rebuild_rows,
    restore_formulas,
    start_recalc,
)

KIND = "callbacks"
TITLE = "回访任务"
QUEUE, CALLS, DAILY = "回访", "来电", "日统计"
ATTEMPTS = 3
RED, ORANGE, GREEN = "FFC7CE", "FFEB9C", "C6EFCE"
SIGNUPS, MISSED, CHECKINS, EVENTS = "报名", "呼损", "签到", "活动"
SIGNUP_HEADERS = ["报名编号", "报名时间", "网友姓名", "手机", "活动场次", "网友类型", "活动类型"]
CALL_HEADERS = ["来电时间", "号码", "已接"]
CHECKIN_HEADERS = ["手机", "活动场次", "签到", "下订"]
EVENT_HEADERS = ["活动场次", "开始日期", "结束日期", "活动类型"]
TASK_VALUES = ("任务编号", "优先级", "类型", "网友姓名", "手机", "活动场次", "触发时间", "时限")


def file_name(month: Month) -> str:
    return f"回访_{month}.xlsx"


def spec(config: Config, month: Month) -> WorkbookSpec:
    q = f"[{QUEUE}!"
    attempt_cols = []
    for i in range(1, ATTEMPTS + 1):
        attempt_cols += [Column(f"第{i}次拨打", Role.INPUT, Type.DATETIME, help=f"第 {i} 次拨打的日期和时间。"),
                         Column(f"第{i}次结果", Role.INPUT, Type.TEXT, dropdown=rules.RESULTS,
                                help="接通 / 未接通 / 空号 / 拒接。")]
    connected = "OR(" + ",".join(f'[第{i}次结果]="{rules.CONNECTED}"' for i in range(1, ATTEMPTS + 1)) + ")"
    due = f"COUNTIF({q}时限日],[日期])"
    target = config.missed_rate_target
    queue = SheetSpec(
        name=QUEUE, title=f"{month.label} 回访任务", key="任务编号", buffer_rows=200, row_markers=("任务编号",),
        help="kefu-xl calls 按优先级和时限生成任务；话务员填写每次拨打的时间、结果和通话小结。",
        columns=(
            Column("任务编号", Role.COMPUTED, Type.ID, help="类型代码-来源编号（XB 新网友报名、LB 老网友报名、HD 活动前、"
                                                           "HS 呼损、QW/QY/WQ 活动后）。"),
            Column("优先级", Role.COMPUTED, Type.TEXT, help="最高 / 高 / 中。"),
            Column("类型", Role.COMPUTED, Type.TEXT, width=16, help="新网友报名、呼损回拨、老网友报名、专场/装大/卖场报名、"
                                                                 "签到未下订、签到有下订、报名未签到。"),
            Column("网友姓名", Role.COMPUTED, Type.TEXT, help="来自报名表。"),
            Column("手机", Role.COMPUTED, Type.ID, width=13, help="要拨打的号码。"),
            Column("活动场次", Role.COMPUTED, Type.TEXT, width=14, help="报名或签到的活动。"),
            Column("触发时间", Role.COMPUTED, Type.DATETIME, help="报名时间、来电时间、活动前一周或活动结束。"),
            Column("时限", Role.COMPUTED, Type.DATETIME,
                   help=f"新网友 {config.callback_hours.new_minutes} 分钟、老网友主场 {config.callback_hours.old_minutes} 分钟"
                        f"（非工作时间：下一个工作日 {config.callback_hours.noon:%H:%M}）；呼损：下一个查看时间；"
                        f"活动前：前一个工作日下班前；活动后：下一个工作日下班前。"),
            *attempt_cols,
            Column("通话小结", Role.INPUT, Type.TEXT, width=30, help="网友需求和情况。"),
            Column("状态", Role.DERIVED, Type.TEXT,
                   f'IF([任务编号]="","",IF({connected},"{rules.DONE}",IF([尝试数]>=2,"{rules.TRIED}","{rules.OPEN}")))',
                   help="已接通：有一次接通；已尽力：至少拨打 2 次都没接通；否则待回拨。"),
            Column("按时", Role.DERIVED, Type.TEXT,
                   'IF(OR([任务编号]="",NOT(ISNUMBER([第1次拨打])),NOT(ISNUMBER([时限]))),"",'
                   'IF([第1次拨打]<=[时限],"是","否"))',
                   help="第 1 次拨打不晚于时限为「是」。"),
            Column("尝试数", Role.DERIVED, Type.INT,
                   'IF([任务编号]="","",' + "+".join(f'([第{i}次结果]<>"")' for i in range(1, ATTEMPTS + 1)) + ")",
                   hidden=True, help="辅助列（隐藏）：填了结果的拨打次数。"),
            Column("触发日", Role.DERIVED, Type.DATE, 'IF(ISNUMBER([触发时间]),INT([触发时间]),"")', hidden=True,
                   help="辅助列（隐藏）：触发时间的日期。"),
            Column("时限日", Role.DERIVED, Type.DATE, 'IF(ISNUMBER([时限]),INT([时限]),"")', hidden=True,
                   help="辅助列（隐藏）：时限的日期。"),
        ),
        highlights=(Highlight('[按时]="否"', ORANGE, ("时限", "第1次拨打", "按时")),
                    Highlight(f'[状态]="{rules.DONE}"', GREEN, ("状态",))),
    )
    calls = SheetSpec(
        name=CALLS, title=f"{month.label} 来电记录（来自呼损表）", key="来电时间", buffer_rows=0, row_markers=("来电时间",),
        columns=(
            Column("来电时间", Role.COMPUTED, Type.DATETIME, help="来电的日期和时间。"),
            Column("号码", Role.COMPUTED, Type.ID, width=13, help="来电号码。"),
            Column("已接", Role.COMPUTED, Type.TEXT, help="是：接听；否：呼损（未接来电）。"),
            Column("日期", Role.DERIVED, Type.DATE, 'IF(ISNUMBER([来电时间]),INT([来电时间]),"")', hidden=True,
                   help="辅助列（隐藏）：来电日期。"),
        ),
    )
    daily = SheetSpec(
        name=DAILY, title=f"{month.label} 话务日统计", key="日期", buffer_rows=0, row_markers=("日期",),
        columns=(
            Column("日期", Role.COMPUTED, Type.DATE, help="本月每一天。"),
            Column("来电", Role.DERIVED, Type.INT, f"COUNTIF([{CALLS}!日期],[日期])", help="当天来电数。"),
            Column("呼损", Role.DERIVED, Type.INT, f'COUNTIFS([{CALLS}!日期],[日期],[{CALLS}!已接],"否")',
                   help="当天未接来电数。"),
            Column("呼损率", Role.DERIVED, Type.RATIO, 'IF([来电]=0,"",[呼损]/[来电])',
                   help=f"呼损 ÷ 来电，目标 ≤ {target:.0%}。"),
            Column("新任务", Role.DERIVED, Type.INT, f"COUNTIF({q}触发日],[日期])", help="当天触发的回访任务数。"),
            Column("到期任务", Role.DERIVED, Type.INT, due, help="时限在当天的任务数（下面三个比例的分母）。"),
            Column("按时率", Role.DERIVED, Type.RATIO,
                   f'IF([到期任务]=0,"",COUNTIFS({q}时限日],[日期],{q}按时],"是")/[到期任务])',
                   help="当天到期的任务中，第 1 次拨打在时限内的比例。"),
            Column("接通率", Role.DERIVED, Type.RATIO,
                   f'IF([到期任务]=0,"",COUNTIFS({q}时限日],[日期],{q}状态],"{rules.DONE}")/[到期任务])',
                   help="当天到期的任务中，已接通的比例。"),
            Column("两次拨打合规", Role.DERIVED, Type.RATIO,
                   f'IF([到期任务]-COUNTIFS({q}时限日],[日期],{q}状态],"{rules.DONE}")=0,"",'
                   f'COUNTIFS({q}时限日],[日期],{q}状态],"{rules.TRIED}")/'
                   f'([到期任务]-COUNTIFS({q}时限日],[日期],{q}状态],"{rules.DONE}")))',
                   help="当天到期、没有接通的任务中，至少拨打了 2 次的比例（未接通至少拨打 2 次）。"),
        ),
        highlights=(Highlight(f'AND([呼损率]<>"",N([呼损率])>{target})', RED, ("呼损", "呼损率")),),
    )
    notes = (
        "优先级：最高 新网友报名（工作时间 15 分钟内）、呼损回拨（10:00/13:00/15:00/17:00 查看并回拨，当天解决）；"
        "高 老网友主场报名（1 小时内）、专场/装大/卖场报名（活动前一周内）；中 活动后的签到未下订、签到有下订、报名未签到。",
        "非工作时间（含周末、法定节假日）的报名，在下一个工作日 12:00 前回访；调休上班日是工作日。",
        "每次拨打填写时间和结果；未接通至少拨打 2 次。状态、按时和日统计是公式；kefu-xl calls YYYY-MM --today 列出待拨打的任务。",
    )
    return WorkbookSpec(kind=KIND, title=TITLE, sheets=(queue, calls, daily), notes=notes)


# --------------------------------------------------------------------------- inputs → tasks


def build(config: Config, month: Month, tasks: list[dict], calls: list[dict], meta: dict | None = None):
    wspec = spec(config, month)
    titles = {s.name: s.title for s in wspec.sheets}
    data = {QUEUE: tasks, CALLS: calls,
            DAILY: [{"日期": month.first + timedelta(days=i)} for i in range(month.last.day)]}
    wb, _ = build_workbook(wspec, titles, data, {}, {"month": str(month), **(meta or {})})
    write_problem_sheet(wb, [], before="说明")
    return wb


# --------------------------------------------------------------------------- recalc

def read_queue(data, file: str, problems: list[Problem]) -> list[tuple[int, rules.Task, rules.Attempts]]:
    out = []
    for row, v in data.rows:
        times, results, filled = [], [], []
        for i in range(1, ATTEMPTS + 1):
            raw = v[f"第{i}次拨打"]
            moment = cell_datetime(raw)
            if moment is None and not is_blank(raw):
                problems.append(Problem(file, QUEUE, row, f"第{i}次拨打", "NOT_A_DATETIME",
                                        f"第{i}次拨打「{raw}」不是日期时间（可能是文字），请写成 2026-11-03 10:15。"))
            times.append(moment)
            results.append(cell_text(v[f"第{i}次结果"]))
            filled.append(not is_blank(raw))
        task = rules.Task(cell_text(v["任务编号"]), cell_text(v["优先级"]), cell_text(v["类型"]), cell_text(v["网友姓名"]),
                          cell_text(v["手机"]), cell_text(v["活动场次"]), cell_datetime(v["触发时间"]),
                          cell_datetime(v["时限"]))
        out.append((row, task, rules.Attempts(tuple(times), tuple(results), tuple(filled))))
    return out


def day_of(value) -> date | None:
    """What the hidden 日 helpers compute, INT() of a date-time cell: its date, or blank
    when the cell is not a number (blank, or text someone typed)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, date)):
        return None
    return parse_datetime(value).date()


def check(queue, ctx: RecalcContext, problems: list[Problem]) -> None:
    for row, task, a in queue:
        def add(column, code, message, severity=Severity.ERROR):
            problems.append(Problem(ctx.file, QUEUE, row, column, code, message, severity))
        previous = None
        for i, (moment, result, filled) in enumerate(zip(a.times, a.results, a.filled), 1):
            if result and result not in rules.RESULTS:
                add(f"第{i}次结果", "BAD_RESULT", f"结果「{result}」应为 {'/'.join(rules.RESULTS)}。")
            if result and not filled:
                add(f"第{i}次拨打", "RESULT_WITHOUT_TIME", f"第{i}次有结果「{result}」但没有拨打时间：请补上时间。")
            if filled and not result:
                add(f"第{i}次结果", "TIME_WITHOUT_RESULT", f"第{i}次拨打了但没有填结果。", Severity.WARNING)
            if moment is not None and task.trigger is not None and moment < task.trigger:
                add(f"第{i}次拨打", "CALL_BEFORE_TRIGGER",
                    f"第{i}次拨打 {moment:%Y-%m-%d %H:%M} 早于触发时间 {task.trigger:%Y-%m-%d %H:%M}：请核对时间。")
            if moment is not None and previous is not None and moment < previous:
                add(f"第{i}次拨打", "ATTEMPT_OUT_OF_ORDER",
                    f"第{i}次拨打 {moment:%Y-%m-%d %H:%M} 早于第{i - 1}次 {previous:%Y-%m-%d %H:%M}：请核对顺序。")
            previous = moment or previous
        if task.deadline is None or task.priority not in rules.PRIORITY_ORDER:
            add("时限", "TASK_DAMAGED", f"任务的优先级或时限被改动了：请从 .kefu-backup/ 恢复，或删除这行后重新运行 {command(f'calls {ctx.month}', ctx.workspace)}。")


@dataclass
class CallbacksFigures:
    """What the callbacks recalc computed, as Python values (python_values writes them as the
    cached values of the formula cells; tests compare them with LibreOffice's)."""
    queue: Any
    tasks: Any
    attempts: Any
    daily: Any
    days_of: Any


def recalc(wb, ctx: RecalcContext) -> RecalcResult:
    config, month = ctx.config, ctx.month
    wspec = spec(config, month)
    result, found = start_recalc(wb, ctx, KIND, wspec, rebuilt=(DAILY,))
    problems = result.problems
    if found is None:
        return result
    layouts, datas = found
    queue = read_queue(datas[QUEUE], ctx.file, problems)
    calls = [(cell_datetime(v["来电时间"]), cell_text(v["已接"]) == "是") for _, v in datas[CALLS].rows]
    calls = [(at, ok) for at, ok in calls if at is not None]
    days_of = {QUEUE: {r: {"触发日": day_of(v["触发时间"]), "时限日": day_of(v["时限"])}
                       for r, v in datas[QUEUE].rows},
               CALLS: {r: {"日期": day_of(v["来电时间"])} for r, v in datas[CALLS].rows}}
    check(queue, ctx, problems)
    tasks = [t for _, t, _ in queue if t.deadline is not None and t.trigger is not None]
    attempts = [a for _, t, a in queue if t.deadline is not None and t.trigger is not None]
    days = [month.first + timedelta(days=i) for i in range(month.last.day)]
    daily = rules.daily_stats(days, calls, tasks, attempts)
    for d in daily:
        if d["呼损率"] is not None and d["呼损率"] > config.missed_rate_target:
            problems.append(Problem(ctx.file, DAILY, None, "呼损率", "MISSED_RATE_HIGH",
                                    f"{d['日期']} 呼损率 {d['呼损率']:.0%}（{d['呼损']}/{d['来电']}），超过目标 "
                                    f"{config.missed_rate_target:.0%}。", Severity.WARNING))
    if ctx.write:
        for name in (QUEUE, CALLS):
            restore_formulas(wb, wspec.sheet(name), layouts, datas[name], result, ctx.file)
        rebuild_rows(wb, wspec.sheet(DAILY), layouts, [{"日期": d} for d in days])
        finish_recalc(wb, wspec, ctx, problems)
    statuses = [rules.status(a) for a in attempts]
    result.summary_headers = ["任务", "待回拨", "已接通", "已尽力", "按时率", "来电", "呼损率"]
    due = [rules.on_time(a, t.deadline) for t, a in zip(tasks, attempts)]
    called = [x for x in due if x is not None]
    missed = sum(1 for _, ok in calls if not ok)
    result.summary_rows = [[str(len(tasks)), str(statuses.count(rules.OPEN)), str(statuses.count(rules.DONE)),
                            str(statuses.count(rules.TRIED)),
                            f"{sum(called) / len(called):.0%}" if called else "—", str(len(calls)),
                            f"{missed / len(calls):.0%}" if calls else "—"]]
    result.figures = CallbacksFigures(queue=queue, tasks=tasks, attempts=attempts, daily=daily,
                                      days_of=days_of)
    return result


def python_values(result: RecalcResult) -> dict[str, dict]:
    f = result.figures
    yes_no = {None: None, True: "是", False: "否"}
    out: dict[str, dict] = {QUEUE: {}, CALLS: dict(f.days_of[CALLS]), DAILY: {}}
    for row, task, a in f.queue:
        out[QUEUE][row] = {"状态": rules.status(a), "按时": yes_no[rules.on_time(a, task.deadline)],
                           "尝试数": rules.tries(a), **f.days_of[QUEUE][row]}
    for d in f.daily:
        due = sum(1 for t in f.tasks if t.deadline.date() == d["日期"])
        out[DAILY][d["日期"]] = {**{k: v for k, v in d.items() if k != "日期"}, "到期任务": due}
    return out


def open_tasks(result: RecalcResult, now: datetime) -> list[tuple[rules.Task, rules.Attempts]]:
    """Tasks still 待回拨 whose trigger has come, by priority then deadline."""
    rows = [(t, a) for t, a in zip(result.figures.tasks, result.figures.attempts)
            if rules.status(a) == rules.OPEN and t.trigger <= now]
    return sorted(rows, key=lambda ta: ta[0].sort_key())


KIND_DEF = Kind(KIND, TITLE, spec, recalc, python_values)
