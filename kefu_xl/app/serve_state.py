"""What `kefu-xl serve` knows between cycles and across restarts: file stamps (scan), lock
files, its state file, who runs it, what a personal workbook says of itself, its log."""
from __future__ import annotations

import json
import logging
import os
import socket
import sys
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from logging.handlers import RotatingFileHandler
from pathlib import Path

from ..config import Config
from ..io.safe_write import (
    create_exclusive,
    file_stamp,
    lock_names,
    process_alive,
    temp_path,
)
from ..kinds import inquiries, personal
from ..kinds.base import cell_date, cell_datetime, cell_text
from ..month import Month
from ..records import Severity
from ..rules.completion import id_key
from ..rules.plan import ANOMALY_ITEM, UNHAPPY_ITEM
from ..rules.schedule import Stamp
from ..sheets.read import PROBLEM_SHEET, read_sheet
from .collect import open_personal

LOG_NAME = "kefu-xl-serve.log"
STATUS_NAME = "状态.html"
STATE_NAME = ".kefu-xl-serve.json"       # what serve has done, so a restart carries on
OWNER_NAME = ".kefu-xl-serve.lock"       # which serve looks after the workspace; touched every cycle
STALE_POLLS = 10                         # another computer's lock silent this many polls is taken over
TEMP_PREFIX = ".~kefu-"                  # safe_write's temp files; ours too
STALE_TEMP_SECONDS = 3600                # a temp file this old is left by a process that was killed
SIGNALS = ("SIGTERM", "SIGINT", "SIGHUP", "SIGBREAK")   # SIGBREAK: Ctrl-Break on Windows


def now_text(moment: datetime | None, today: date | None = None) -> str:
    """HH:MM for today, MM-DD HH:MM for another day, — for none."""
    if moment is None:
        return "—"
    return f"{moment:%H:%M}" if today is None or moment.date() == today else f"{moment:%m-%d %H:%M}"


def scan(folder: Path, suffixes: tuple[str, ...]) -> tuple[dict[str, Stamp], set[str]]:
    """({name: stamp} of the files in `folder` ending in `suffixes`, every name there — lock
    files included): one listing and one stat per file. Lock files (~$, .~lock) and temp files
    (.~kefu-) are names, not files to act on."""
    try:
        names = set(os.listdir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return {}, set()
    files = {}
    for name in names:
        if name.startswith(("~$", ".")) or not name.lower().endswith(suffixes):
            continue
        stamp = file_stamp(folder / name)        # os.stat, as the write guard reads it
        if stamp is not None and (folder / name).is_file():
            files[name] = stamp
    return files, names


def is_locked(name: str, names: set[str]) -> str | None:
    """The lock file beside `name` in a listing, None when it is closed."""
    return next((n for n in sorted(lock_names(name)) if n in names), None)


def stamp_time(stamp: Stamp | None) -> datetime | None:
    return datetime.fromtimestamp(stamp[0] / 1e9) if stamp else None


@dataclass
class Tracked:
    """What serve knows of one file (kept in .kefu-xl-serve.json across restarts)."""
    handled: Stamp | None = None        # the version serve last recalculated, or found at start
    failed: Stamp | None = None         # a version that cannot be recalculated: left until saved again
    saved_at: str | None = None         # when a person last saved it (serve's own writes do not count)
    planned: str | None = None          # the day of the last plan serve made or found (YYYY-MM-DD)
    plan_made_at: str | None = None     # when serve made it
    done_at: str | None = None          # serve's last recalc of it
    note: str = ""                      # the last problem, for the status page
    locked_by: str | None = None        # the lock file seen while something was due
    urgent: bool = False                # new urgent items (spend watch) wait to be put on 今日

    @classmethod
    def load(cls, data: dict) -> Tracked:
        t = cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})
        t.handled = tuple(t.handled) if t.handled else None
        t.failed = tuple(t.failed) if t.failed else None
        return t


@dataclass
class PersonInfo:
    """What a personal workbook says of itself (read once per version, values as saved)."""
    owner: str = ""
    plan_day: date | None = None        # 今日's 计划日期
    meta_plan_day: date | None = None   # _meta plan_day: the day whose plan was frozen
    meta_made_at: datetime | None = None
    done: int | None = None
    planned: int | None = None
    errors: int = 0
    warnings: int = 0
    skip: str = ""                      # why it is not a personal workbook serve can recalc
    note: str = ""
    unread: bool = False                # could not be read just now (a share hiccup): try next cycle
    unhappy: list[str] = field(default_factory=list)   # 今日's 不满意回访 lines: client (原因)
    daily: dict = field(default_factory=dict)          # 每日小结 as last saved: {date: (有效工作, 达标)}
    first_problems: list[str] = field(default_factory=list)   # the 说明 of the first errors/warnings
    anomaly_ids: set[str] = field(default_factory=set)   # id_key of the accounts 今日 holds an urgent line for
    unanswered: list[tuple[str, datetime]] = field(default_factory=list)   # 咨询 not answered: (client, 时限)


@dataclass
class State:
    """Everything serve remembers."""
    files: dict[str, Tracked] = field(default_factory=dict)
    collected_at: str | None = None
    collect_pending: bool = True         # nothing known of the team at the first start: collect once
    watched: dict[str, Stamp] = field(default_factory=dict)      # export file -> version watched
    watched_at: dict[str, str] = field(default_factory=dict)
    month: str | None = None
    # the spend watch's anomalies of the day, per person: {person: {帐户ID: what}}, the latest only
    urgent: dict[str, dict[str, str]] = field(default_factory=dict)
    urgent_day: str | None = None
    # renewals to remind of (never reminded) per person as last seen today: one newly due is urgent
    renewals_due: dict[str, list[str]] = field(default_factory=dict)
    renewals_day: str | None = None
    hashed_day: str | None = None        # the last day whose 日志 hashes went into the log

    def to_json(self) -> str:
        data = asdict(self)
        return json.dumps(data, ensure_ascii=False, indent=1)

    @classmethod
    def from_json(cls, text: str) -> State:
        data = json.loads(text)
        state = cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__ and k != "files"})
        state.files = {k: Tracked.load(v) for k, v in data.get("files", {}).items()}
        state.watched = {k: tuple(v) for k, v in state.watched.items()}
        return state


def parse_day(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def parse_moment(value) -> datetime | None:
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def write_atomically(path: Path, text: str) -> None:
    """A small text file (the status page, the state) replaced whole: a reader sees the old
    one or the new one. No backup: serve rewrites them every cycle."""
    tmp = temp_path(path)                       # a unique name, made by exclusive no-follow create:
    try:                                        # a link put at a temp name is never written through
        with os.fdopen(create_exclusive(tmp, 0o644), "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)                   # replaces a link at `path` itself, not what it points to
    finally:
        tmp.unlink(missing_ok=True)


def owner_line() -> str:
    return f"{socket.gethostname()} {os.getpid()}"


def dead_here(owner: str) -> bool:
    """Whether `owner` ("host pid") is a process of this computer that is gone."""
    host, _, pid = owner.partition(" ")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    return not process_alive(int(pid))


def read_person(path: Path, month: Month, config: Config) -> PersonInfo:
    """What a personal workbook says of itself, as last saved; `skip` when it is not one of
    this month's personal workbooks (collect's checks) or cannot be read."""
    try:
        line, grid, problems = open_personal(path, month, (personal.TODAY, personal.DAILY, inquiries.SHEET,
                                                           PROBLEM_SHEET))
    except OSError:
        return PersonInfo(unread=True)
    info = PersonInfo(owner=line.owner)
    if grid is None:
        info.skip = problems[0].message if problems else line.note
        return info
    info.note = "；".join(p.message for p in problems)
    meta = dict(row[:2] for row in grid["_meta"].grid if row and row[0]) if "_meta" in grid else {}
    info.meta_plan_day = parse_day(meta.get("plan_day"))
    info.meta_made_at = parse_moment(meta.get("plan_made_at"))
    if personal.TODAY in grid:
        today = read_sheet(grid[personal.TODAY], personal.spec(config, month).sheet(personal.TODAY), path.name, [])
        if today is not None:
            if personal.PLAN_DAY in today.layout.anchors:
                info.plan_day = cell_date(grid[personal.TODAY].value(*today.layout.anchors[personal.PLAN_DAY]))
            items = [v for _, v in today.rows if cell_text(v["事项"])]
            info.anomaly_ids = {id_key(cell_text(v["帐户ID"])) for v in items     # 异常, or a 续费 that came later
                                if ANOMALY_ITEM in cell_text(v["事项"]) or cell_text(v.get("计划内")) == personal.ADDED}
            lines = [{h: cell_text(v.get(h)) for h in personal.PLAN_FIELDS} for v in items]
            # the plan's one figure (kinds/today.plan_figure) over 完成项 as last saved
            done = [int(v["完成项"]) if isinstance(v.get("完成项"), (int, float)) else
                    personal.line_items(line) if cell_text(v["已完成"]) == "是" else 0
                    for v, line in zip(items, lines)]
            info.done, info.planned = personal.plan_figure(lines, done)
            info.unhappy = [f"{cell_text(v['客户名称']) or cell_text(v['帐户ID'])}（{cell_text(v['原因'])}）"
                            for v in items if UNHAPPY_ITEM in cell_text(v["事项"])]
    if personal.DAILY in grid:
        daily = read_sheet(grid[personal.DAILY], personal.spec(config, month).sheet(personal.DAILY), path.name, [])
        for _, v in daily.rows if daily is not None else []:
            day = cell_date(v["日期"])
            if day is not None:
                info.daily[day] = (v.get("有效工作"), cell_text(v.get("达标")))
    if inquiries.SHEET in grid:
        asked = read_sheet(grid[inquiries.SHEET], personal.spec(config, month).sheet(inquiries.SHEET), path.name, [])
        for _, v in asked.rows if asked is not None else []:
            due = cell_datetime(v.get("时限"))
            if due is not None and cell_date(v.get("答复日期")) is None:
                info.unanswered.append((cell_text(v.get("客户名称")) or cell_text(v.get("帐户ID")), due))
    if PROBLEM_SHEET in grid:
        rows = grid[PROBLEM_SHEET].grid
        header = next((i for i, row in enumerate(rows[:5]) if "级别" in row), None)
        if header is not None:
            col = rows[header].index("级别")
            text = rows[header].index("说明") if "说明" in rows[header] else None
            serious = (Severity.ERROR.value, Severity.WARNING.value)
            levels = [row[col] for row in rows[header + 1:] if len(row) > col]
            info.errors = levels.count(Severity.ERROR.value)
            info.warnings = levels.count(Severity.WARNING.value)
            if text is not None:
                info.first_problems = [str(row[text]) for row in rows[header + 1:]
                                       if len(row) > max(col, text) and row[col] in serious and row[text]][:3]
    return info


def open_log(workspace: Path) -> logging.Logger:
    """The serve logger: one line per action on the console and in 工作区/kefu-xl-serve.log
    (kept to a few MB: older lines roll into .1 … .3)."""
    logger = logging.getLogger("kefu_xl.serve")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    log = workspace / LOG_NAME
    handlers: list[logging.Handler] = []
    if log.is_symlink():                        # appending through it would write outside the workspace
        print(f"{log} 是一个链接（快捷方式）：kefu-xl 不往里写日志（可能写到工作区外），日志只显示在这个窗口里。"
              f"请删除这个链接。", file=sys.stderr)
    else:
        handlers.append(RotatingFileHandler(log, maxBytes=5_000_000, backupCount=3, encoding="utf-8"))
    if sys.stdout is not None:                 # pythonw (no console) has none
        handlers.append(logging.StreamHandler(sys.stdout))
    for handler in handlers:
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
    return logger


