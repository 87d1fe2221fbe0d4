"""The call desk's queue (docs/callbacks.md): sign-ups, dropped calls and check-ins become tasks appended to 回访_YYYY-MM.xlsx."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..calendar import WorkCalendar
from ..config import Config, load_config
from ..errors import DataProblemsError, InputFileError
from ..inputs import cell_value
from ..io.tables import find_input, read_table
from ..io.values import (
    is_blank,
    parse_date,
    parse_datetime,
    parse_id,
    parse_text,
    parse_yes_no,
)
from ..kinds.base import (
    RecalcResult,
    cell_datetime,
    cell_text,
    sheets_to_append,
)
from ..kinds.callbacks import (
    CALL_HEADERS,
    CALLS,
    CHECKIN_HEADERS,
    CHECKINS,
    EVENT_HEADERS,
    EVENTS,
    MISSED,
    QUEUE,
    SIGNUP_HEADERS,
    SIGNUPS,
    TASK_VALUES,
    build,
    file_name,
    spec,
)
from ..month import Month
from ..records import Problem, Severity, has_errors
from ..rules import callbacks as rules
from ..sheets.build import write_rows
from .workbooks import create_file, update_file


@dataclass
class Inputs:
    tasks: list[rules.Task] = field(default_factory=list)
    calls: list[tuple[datetime, str, bool]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _optional(folder: Path, stem: str, notes: list[str]) -> Path | None:
    try:
        return find_input(folder, stem)
    except InputFileError:
        notes.append(f"没有 {stem}.xlsx / .csv：本次不生成这类任务。")
        return None


def read_events(workspace: Path, problems: list[Problem]) -> dict[str, dict]:
    """{活动场次: {开始日期, 结束日期, 活动类型}} of the workspace's 活动.xlsx."""
    try:
        path = find_input(workspace, EVENTS)
    except InputFileError:
        return {}
    table = read_table(path, EVENT_HEADERS)
    events = {}
    for row, v in table.rows:
        name = parse_text(v["活动场次"])
        start = cell_value(table, row, "开始日期", v["开始日期"], parse_date)
        end = cell_value(table, row, "结束日期", v["结束日期"], parse_date)
        if name and start and end and end < start:
            table.problem(row, "结束日期", "END_BEFORE_START", f"结束日期 {end} 早于开始日期 {start}。")
        events[name] = {"开始日期": start, "结束日期": end, "活动类型": parse_text(v["活动类型"])}
    problems.extend(table.problems)
    return events


def read_inputs(workspace: Path, month: Month, config: Config, calendar: WorkCalendar) -> Inputs:
    """Every task the month's inputs make, and the incoming calls; all problems together."""
    hours = config.callback_hours
    folder = workspace / str(month) / "inputs"
    out = Inputs()
    events = read_events(workspace, out.problems)
    if not events:
        out.notes.append(f"没有 {workspace / '活动.xlsx'}：专场活动前回访和活动后回访需要活动的开始、结束日期。")
    signups_path = _optional(folder, SIGNUPS, out.notes)
    names_by_phone: dict[str, str] = {}
    if signups_path:
        table = read_table(signups_path, SIGNUP_HEADERS)
        seen: dict[str, int] = {}
        for row, v in table.rows:
            signup_id = parse_id(v["报名编号"])
            at = cell_value(table, row, "报名时间", v["报名时间"], parse_datetime)
            phone = parse_id(v["手机"])
            event, user, kind = parse_text(v["活动场次"]), parse_text(v["网友类型"]), parse_text(v["活动类型"])
            if not signup_id:
                table.problem(row, "报名编号", "MISSING_ID", "报名编号为空：任务按它识别，不会重复生成。")
            elif signup_id.casefold() in seen:
                table.problem(row, "报名编号", "DUPLICATE_ID", f"报名编号「{signup_id}」与第 {seen[signup_id.casefold()]} 行重复。")
            seen.setdefault(signup_id.casefold(), row)
            if not phone:
                table.problem(row, "手机", "NO_PHONE", "没有手机号，无法回访。")
            if user not in (rules.NEW_USER, rules.OLD_USER):
                table.problem(row, "网友类型", "BAD_USER_TYPE", f"网友类型「{user}」应为 新网友/老网友。")
            if kind not in rules.EVENT_TYPES:
                table.problem(row, "活动类型", "BAD_EVENT_TYPE", f"活动类型「{kind}」应为 {'/'.join(rules.EVENT_TYPES)}。")
            start = events.get(event, {}).get("开始日期")
            if kind in rules.EVENT_TYPES and kind != rules.MAIN_EVENT and start is None:
                table.problem(row, "活动场次", "UNKNOWN_EVENT",
                              f"活动场次「{event}」不在活动.xlsx 中（或没有开始日期）：不生成活动前回访。",
                              severity=Severity.WARNING)
            if is_blank(v["报名时间"]):
                table.problem(row, "报名时间", "NO_TIME", "没有报名时间：无法计算回访时限。")
            names_by_phone.setdefault(phone, parse_text(v["网友姓名"]))
            if at and signup_id and phone and user in (rules.NEW_USER, rules.OLD_USER):
                out.tasks += rules.signup_tasks(signup_id, at, parse_text(v["网友姓名"]), phone, event, user, kind,
                                                start, hours, calendar)
        out.problems += table.problems
    missed_path = _optional(folder, MISSED, out.notes)
    if missed_path:
        table = read_table(missed_path, CALL_HEADERS)
        for row, v in table.rows:
            at = cell_value(table, row, "来电时间", v["来电时间"], parse_datetime)
            phone = parse_id(v["号码"])
            answered = cell_value(table, row, "已接", v["已接"], parse_yes_no)
            if answered is None and is_blank(v["已接"]):
                table.problem(row, "已接", "BLANK", "已接为空：应为 是/否。")
            if at is None or answered is None:
                continue
            out.calls.append((at, phone, answered))
            if not answered and phone:
                out.tasks.append(rules.missed_call_task(at, phone, hours, calendar))
        out.problems += table.problems
    for path in _checkin_files(folder):
        table = read_table(path, CHECKIN_HEADERS)
        for row, v in table.rows:
            phone, event = parse_id(v["手机"]), parse_text(v["活动场次"])
            checked = cell_value(table, row, "签到", v["签到"], parse_yes_no)
            ordered = cell_value(table, row, "下订", v["下订"], parse_yes_no) or False
            end = events.get(event, {}).get("结束日期")
            if end is None:
                table.problem(row, "活动场次", "UNKNOWN_EVENT", f"活动场次「{event}」不在活动.xlsx 中：不知道活动何时结束。")
                continue
            if phone and checked is not None:
                out.tasks.append(rules.checkin_task(phone, event, checked, ordered, names_by_phone.get(phone, ""),
                                                    end, hours, calendar))
        out.problems += table.problems
    unique: dict[str, rules.Task] = {}
    for t in out.tasks:
        unique.setdefault(t.task_id.casefold(), t)      # several missed calls before one check: one task
    out.tasks = sorted(unique.values(), key=lambda t: (t.trigger, t.task_id))
    return out


def _checkin_files(folder: Path) -> list[Path]:
    files = [p for p in (folder / f"{CHECKINS}.xlsx", folder / f"{CHECKINS}.csv") if p.exists()]
    if (folder / CHECKINS).is_dir():
        files += sorted(p for p in (folder / CHECKINS).iterdir() if p.suffix.lower() in (".xlsx", ".csv")
                        and not p.name.startswith(("~$", ".~lock")))
    return files


def task_row(t: rules.Task) -> dict:
    return dict(zip(TASK_VALUES, (t.task_id, t.priority, t.kind, t.customer, t.phone, t.event, t.trigger, t.deadline)))


@dataclass
class QueueOutcome:
    path: Path
    added: int
    kept: int
    calls_added: int
    inputs: Inputs
    result: RecalcResult | None = None
    backup: Path | None = None


def update_queue(workspace: Path, month: Month, *, as_of: datetime | None = None) -> QueueOutcome:
    """Create or update 回访_YYYY-MM.xlsx: new tasks and calls appended, nothing typed touched."""
    config = load_config(workspace / "kefu-xl.toml")
    calendar = WorkCalendar(config)
    inputs = read_inputs(workspace, month, config, calendar)
    if has_errors(inputs.problems):
        raise DataProblemsError("回访任务的输入有错误，没有写任何文件。", inputs.problems)
    path = workspace / str(month) / file_name(month)
    wspec = spec(config, month)
    counts: dict[str, int] = {}

    def call_row(at, phone, ok) -> dict:
        return {"来电时间": at, "号码": phone, "已接": "是" if ok else "否"}
    day = (as_of or datetime.now()).date()
    if path.exists():
        def append(book) -> None:
            datas = sheets_to_append(book, path, wspec, (QUEUE, CALLS))
            queue, calls = datas[QUEUE], datas[CALLS]
            present = {cell_text(v["任务编号"]).casefold() for _, v in queue.rows}
            new = [t for t in inputs.tasks if t.task_id.casefold() not in present]
            write_rows(book[QUEUE], queue.layout, wspec.sheet(QUEUE), [task_row(t) for t in new], queue.last_row + 1)
            known = {(cell_datetime(v["来电时间"]), cell_text(v["号码"])) for _, v in calls.rows}
            new_calls = [c for c in inputs.calls if (c[0], c[1]) not in known]
            write_rows(book[CALLS], calls.layout, wspec.sheet(CALLS), [call_row(*c) for c in new_calls],
                       calls.last_row + 1)
            counts.update(new=len(new), kept=len(present), calls=len(new_calls))
        outcome = update_file(path, append, as_of=day)
    else:
        outcome = create_file(path, build(config, month, [task_row(t) for t in inputs.tasks],
                                          [call_row(*c) for c in inputs.calls]), as_of=day)
        counts.update(new=len(inputs.tasks), kept=0, calls=len(inputs.calls))
    return QueueOutcome(path, counts["new"], counts["kept"], counts["calls"], inputs, outcome.result,
                        outcome.backup)
