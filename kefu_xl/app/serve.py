"""`kefu-xl serve`: the daily loop of docs/daily.md, unattended, on one machine that sees the
shared folder. Every poll_seconds it looks at the current month's files and does what the
README's daily table asks people to type — the morning plan of every personal workbook, a
recalc of each workbook saved and closed, the team collection, the spend watch — never
writing a file that is open or that changes while it is being recalculated. One line per
action on the console and in kefu-xl-serve.log; 状态.html rewritten each cycle.

Watching is plain stat polling (scan): each cycle lists the few folders involved and stats
their files. SMB and NAS shares do not deliver file-system events reliably, so a polling
observer (watchdog's PollingObserver) would do the same listing and stats in a thread of its
own; the loop needs every file's (mtime, size) each cycle anyway — to tell a person's save
from its own write, to guard the write, to see lock files come and go and to show 保存于 —
so events would only be a second copy of what it has already read."""
from __future__ import annotations

import logging
import os
import re
import signal
import socket
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from ..calendar import WorkCalendar
from ..config import CONFIG_NAME, Config, load_config
from ..errors import (
    ChangedOnDiskError,
    DataProblemsError,
    DiskFullError,
    FileLockedError,
    KefuError,
)
from ..io.safe_write import create_exclusive, file_stamp
from ..kinds import personal, roster, watch
from ..kinds.maintenance import MaintenanceFigures
from ..kinds.personal import PersonalFigures
from ..month import Month
from ..records import Severity
from ..rules import schedule
from ..rules.schedule import Action, Stamp
from . import journal, spend_watch
from .serve_page import render_status
from .serve_state import (
    LOG_NAME,
    OWNER_NAME,
    SIGNALS,
    STALE_POLLS,
    STALE_TEMP_SECONDS,
    STATE_NAME,
    STATUS_NAME,
    TEMP_PREFIX,
    PersonInfo,
    State,
    Tracked,
    dead_here,
    is_locked,
    open_log,
    owner_line,
    parse_day,
    parse_moment,
    read_person,
    scan,
    stamp_time,
    write_atomically,
)
from .serve_urgent import UrgentItems
from .team import collect_team, tracker_paths
from .workbooks import recalc_file
from .workspace import locate_workspace

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
LOCK_LOST = "另一个 serve 接管"


def _one_line(text: str) -> str:
    """`text` with control characters shown escaped (a file name holding a newline stays one log line)."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))

class Server(UrgentItems):
    """One workspace's loop. `cycle()` is one pass; `run()` repeats it until told to stop.
    `clock` is injectable so the rules run on a fake clock in tests."""

    def __init__(self, workspace: Path, *, clock=datetime.now, logger: logging.Logger | None = None):
        self.workspace = Path(workspace)
        self.clock = clock
        self.logger = logger if logger is not None else logging.getLogger("kefu_xl.serve")
        self.stop_signal: str | None = None     # set by the signal handler; the loop ends after the current file
        self.config_stamp: Stamp | None = None
        self.config: Config = load_config(self.workspace / CONFIG_NAME)
        self.calendar = WorkCalendar(self.config)
        self.state = self.load_state()
        self.infos: dict[str, tuple[Stamp, PersonInfo]] = {}
        self.exports_before: dict[date, Stamp] = {}
        self.export_scans: set[str] = set()     # months whose export folder was scanned in this run
        self.state_text = ""                    # the state as last saved
        self.recent: list[str] = []             # the last lines logged, for the status page
        self.stopped_at: str | None = None      # hh:mm when serve stopped (the status page's last word)
        self._roster: tuple = (None, [])        # (名册.xlsx version, active names)
        self.now = self.clock()
        self.said: set[tuple] = set()           # things logged once

    # ------------------------------------------------------------------ logging and state

    def say(self, where: str, what: str, result: str) -> None:
        where, what, result = (_one_line(t) for t in (where, what, result))     # a name cannot forge a line
        line = f"{self.clock():%Y-%m-%d %H:%M:%S} | {where} | {what} | {result}"
        self.logger.info(line)
        self.recent = [*self.recent[-29:], line]

    def say_once(self, key: tuple, where: str, what: str, result: str) -> None:
        if key not in self.said:
            self.said.add(key)
            self.say(where, what, result)

    def roster_names(self) -> list[str]:
        """The active staff of 名册.xlsx (read once per version of the file; none when unreadable)."""
        path = self.workspace / roster.FILE_NAME
        stamp = file_stamp(path)
        if stamp != self._roster[0]:
            try:
                staff, _ = roster.read_roster(path, self.config.headers) if stamp else ([], [])
            except (KefuError, OSError):
                staff = []
            self._roster = (stamp, [m.name for m in staff if m.active])
        return self._roster[1]

    def rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.workspace).as_posix()
        except ValueError:
            return str(path)

    def load_state(self) -> State:
        path = self.workspace / STATE_NAME
        if not path.exists():
            return State()
        try:
            return State.from_json(path.read_text("utf-8"))
        except (ValueError, TypeError, OSError) as e:
            self.logger.info(f"{datetime.now():%Y-%m-%d %H:%M:%S} | {STATE_NAME} | 读取记录 | 无法读取（{e}），从头开始")
            return State()

    def save_state(self) -> None:
        text = self.state.to_json()
        if text == self.state_text:
            return
        try:
            write_atomically(self.workspace / STATE_NAME, text)
            self.state_text = text
        except OSError as e:
            self.say_once(("state", str(e)), STATE_NAME, "保存记录", f"失败：{e}")

    def tracked(self, path: Path) -> Tracked:
        return self.state.files.setdefault(self.rel(path), Tracked())

    @property
    def stopping(self) -> bool:
        return self.stop_signal is not None

    # ------------------------------------------------------------------ the cycle

    def start(self) -> None:
        s = self.config.serve
        collect = f"汇总最多每 {s.collect_minutes} 分钟一次" if s.collect_minutes else "一有改动就汇总"
        self.say(str(self.workspace), "启动", f"每 {s.poll_seconds} 秒检查一次；早计划 {s.plan_at:%H:%M}；{collect}"
                                            f"；日志 {LOG_NAME}，状态页 {STATUS_NAME}")
        self.remove_stale_temp_files()

    def cycle(self) -> None:
        """One pass: spend watch (its urgent items reach 今日 in the same pass), personal workbooks,
        team trackers, collection, status page —
        only while this serve still holds the workspace's lock (checked first: a serve paused
        and resumed after another took over writes nothing)."""
        self.beat()
        if self.stop_signal == LOCK_LOST:
            return
        self.now = self.clock()
        self.reload_config()
        month = schedule.serve_month(self.now)
        if self.state.month != str(month):
            if self.state.month is not None:
                self.finish_month(Month.parse(self.state.month))
                self.say(str(month), "换月", f"从 {self.state.month} 换到 {month}：开月后照看 {month}/ 的文件")
            self.state.month = str(month)
            self.forget_other_months(month)
        if not self.team_paths(month)[0].exists():        # said in the log too, not only on 状态.html
            self.say_once(("not-opened", str(month)), str(month), "未开月",
                          f"{month} 还没有开月：运行 kefu-xl month open {month} --dir {self.workspace} 后自动开始照看")
        for step in (self.watch_step, self.personal_step, self.team_step, self.collect_step):
            if self.stopping:
                break
            try:
                step(month)
            except Exception as e:       # the share went away, a bug: said once, the next cycle tries again
                self.say_once(("step", step.__name__, str(e)), str(month), "检查文件", f"出错，下一轮重试：{self.failure(e)}")
        self.note_day_hashes()
        self.write_status(month)
        self.save_state()
        self.beat()

    def note_day_hashes(self) -> None:
        """Once a day, the 日志's last hash of each person for the day before goes into the log —
        an anchor outside the journal (docs/journal.md): a chain rewritten later no longer ends in it."""
        yesterday = self.now.date() - timedelta(days=1)
        if self.state.hashed_day == yesterday.isoformat():
            return
        self.state.hashed_day = yesterday.isoformat()
        hashes = journal.day_hashes(self.workspace, Month.of(yesterday), yesterday)
        if hashes:
            self.say(f"{Month.of(yesterday)}/{journal.FOLDER}", f"{yesterday} 的末行校验值",
                     "；".join(f"{person} {digest}" for person, digest in hashes.items()))

    def finish_month(self, old: Month) -> None:
        """At the switch to a new month the old month's last saves still count: what was saved
        since is recalculated (no morning plan) and the old month collected once more."""
        self.say(str(old), "月末", f"换月前把 {old} 最后保存的改动重算并汇总一次")
        try:
            self.personal_step(old, plans=False)
            self.state.collect_pending = True
            self.collect_step(old, force=True)
        except Exception as e:          # the share went away: said, and the new month goes on
            self.say(str(old), "月末", f"出错：{self.failure(e)}")

    def forget_other_months(self, month: Month) -> None:
        """What serve remembers of other months' files is dropped, so a service that runs for
        a year keeps a month's worth."""
        mine = f"{month}/"
        self.state.files = {k: v for k, v in self.state.files.items() if k.startswith(mine)}
        self.state.watched = {k: v for k, v in self.state.watched.items() if k.startswith(mine)}
        self.state.watched_at = {k: v for k, v in self.state.watched_at.items() if k.startswith(mine)}
        self.infos.clear()
        self.said.clear()

    def reload_config(self) -> None:
        path = self.workspace / CONFIG_NAME
        stamp = file_stamp(path)
        if stamp == self.config_stamp:
            return
        first = self.config_stamp is None
        self.config_stamp = stamp
        try:
            config = load_config(path)
        except (KefuError, OSError) as e:
            self.say_once(("config", stamp), CONFIG_NAME, "读取配置", f"有误，继续用之前的配置：{e}")
            return
        if not first:
            self.say(CONFIG_NAME, "读取配置", "已按修改后的配置运行")
        self.config, self.calendar = config, WorkCalendar(config)

    # ------------------------------------------------------------------ personal workbooks

    def personal_step(self, month: Month, plans: bool = True) -> None:
        folder = self.workspace / str(month) / personal.FOLDER
        files, names = scan(folder, (".xlsx",))
        self.arrivals(month, folder, files)
        working = plans and self.calendar.is_workday(self.now.date())
        for name, stamp in sorted(files.items()):
            if self.stopping:
                return
            path = folder / name
            t = self.first_sight(path, stamp)
            info = self.person_info(path, stamp, month)
            if info.unread:
                continue
            if info.skip:
                if t.failed != stamp:
                    t.failed, t.note = stamp, info.skip
                    self.say(self.rel(path), "跳过", f"{info.skip}（文件再次保存后重试）")
                continue
            lock = is_locked(name, names)
            if lock is None:
                t.locked_by = None
            # serve's own record first (it never plans a file twice a day), then the file's _meta
            planned = self.now.date() if t.planned == self.now.date().isoformat() \
                else info.meta_plan_day or parse_day(t.planned)
            due = schedule.morning_plan_due(self.now, self.config.serve.plan_at, working, planned)
            action = schedule.file_action(stamp, t.handled, t.failed, lock is not None, due, t.urgent)
            self.noticed(path, stamp, t, person=True)
            if action is Action.WAIT:
                self.wait_for(path, t, lock, "保存后重算" if stamp != t.handled else "早计划" if due else "加紧急事项")
            elif action is not None:
                t.locked_by = None
                if self.recalc(path, stamp, t, action.value):
                    t.urgent = False

    def arrivals(self, month: Month, folder: Path, files: dict[str, Stamp]) -> None:
        """A personal workbook that appears (copied in, renamed back) or disappears (deleted,
        renamed, moved) changes whose records the team holds: logged, and collected again. The
        month folder itself vanishing is logged once."""
        prefix = self.rel(folder) + "/"
        known = {k for k in self.state.files if k.startswith(prefix)}
        current = {prefix + name for name in files}
        if not folder.is_dir():
            if known:
                self.say_once(("vanished", str(folder)), self.rel(folder), "找不到文件夹",
                              "个人工作簿的文件夹不见了（被删除、改名或共享断开）：找回后继续")
            return
        for key in sorted(known - current):
            del self.state.files[key]
            self.infos.pop(key, None)
            self.state.collect_pending = True
            self.say(key, "不见了", "文件被删除、改名或移走：重新汇总（这个人的记录在团队表中保留上次汇总的）")
        if known:
            for key in sorted(current - known):
                self.state.collect_pending = True
                self.say(key, "新文件", "重新汇总")

    def person_info(self, path: Path, stamp: Stamp, month: Month) -> PersonInfo:
        """Read once per version: _meta (kind, owner, month, plan_day, plan_made_at), 今日's plan
        and 已完成 as last saved, the 问题 sheet's counts."""
        key = self.rel(path)
        if key in self.infos and self.infos[key][0] == stamp:
            return self.infos[key][1]
        info = read_person(path, month, self.config)
        if not info.unread:
            self.infos[key] = (stamp, info)
        return info

    def first_sight(self, path: Path, stamp: Stamp) -> Tracked:
        """A file serve has never seen is taken as it is (a baseline, not a save): it is
        recalculated when it is next saved, or for the morning plan."""
        t = self.tracked(path)
        if t.handled is None:
            t.handled, t.saved_at = stamp, stamp_time(stamp).isoformat(timespec="seconds")
        return t

    def noticed(self, path: Path, stamp: Stamp, t: Tracked, person: bool) -> None:
        """A version serve did not write: someone saved. (Open files are read as last saved by
        the collection, so a save counts even before the file is closed.)"""
        if stamp != t.handled and stamp != t.failed and t.saved_at != stamp_time(stamp).isoformat(timespec="seconds"):
            t.saved_at = stamp_time(stamp).isoformat(timespec="seconds")
            if person:
                self.state.collect_pending = True

    def wait_for(self, path: Path, t: Tracked, lock: str, what: str) -> None:
        if t.locked_by != lock:
            t.locked_by = lock
            t.note = f"正在被打开（{lock}），关闭后{what}"
            self.say(self.rel(path), what, f"正在被打开（锁文件 {lock}）：不写，关闭后再做")

    def recalc(self, path: Path, stamp: Stamp, t: Tracked, what: str) -> bool:
        """Recalc one file as of today, guarded: nothing is written if it is opened or saved
        meanwhile. True when it is now recalculated."""
        started = time.monotonic()
        try:
            outcome = recalc_file(path, as_of=self.now.date(), unchanged_since=stamp, now=self.clock(),
                                  config=self.config)      # the last good settings while kefu-xl.toml is broken
        except FileLockedError:
            t.locked_by = None
            self.say(self.rel(path), what, "重算时文件被打开：本次结果作废，关闭后重做")
            return False
        except ChangedOnDiskError:
            self.say(self.rel(path), what, "重算期间文件被保存：本次结果作废（文件是对方保存的样子），稍后重算")
            return False
        except OSError as e:             # the share, a sharing violation: not the file's fault, try again
            self.say_once(("oserror", self.rel(path), stamp, str(e)), self.rel(path), what,
                          f"{self.failure(e)}：下一轮再试")
            return False
        except DiskFullError as e:       # not the file's fault either: said once for this version, retried
            self.say_once(("diskfull", self.rel(path), stamp), self.rel(path), what, f"{e}（腾出空间后自动重试）")
            return False
        except Exception as e:           # broken, foreign, or a bug: logged once, the loop goes on
            if file_stamp(path) != stamp:
                self.say(self.rel(path), what, "重算期间文件被改动：本次作废，稍后重试")
                return False
            t.failed, t.note = stamp, self.failure(e)
            self.say(self.rel(path), what, f"无法重算，已跳过（文件再次保存后重试）：{t.note}")
            return False
        seconds = time.monotonic() - started
        if not outcome.written and not outcome.unchanged:
            t.handled = t.failed = stamp
            t.note = "结构不完整（缺少工作表或表头），没有保存：请看文件的「问题」表"
            self.say(self.rel(path), what, f"没有保存：{t.note}")
            return False
        t.handled, t.note, t.done_at = file_stamp(path), "", self.clock().isoformat(timespec="seconds")
        listed = outcome.result.problems              # the rows of the file's 问题 sheet
        errors = sum(p.severity is Severity.ERROR for p in listed)
        warnings = sum(p.severity is Severity.WARNING for p in listed)
        figures = outcome.result.figures
        plan = figures.plan if isinstance(figures, PersonalFigures) else None
        if plan is not None and plan.day == self.now.date() and t.planned != plan.day.isoformat():
            t.planned = plan.day.isoformat()
            t.plan_made_at = self.clock().isoformat(timespec="seconds") if outcome.written else None
        done = "已保存" if outcome.written else "已是最新，没有改写"
        extra = f"，问题 {len(listed)} 条（错误 {errors}，警告 {warnings}）" if listed else ""
        self.say(self.rel(path), what, f"{done}（{seconds:.2f} 秒{extra}）")
        return True

    @staticmethod
    def failure(e: Exception) -> str:
        if isinstance(e, KefuError):
            return str(e)
        if isinstance(e, OSError):
            return f"无法读写文件（{e.strerror or e}）"
        return f"kefu-xl 内部错误（{type(e).__name__}: {e}），请把文件发给维护人员"

    # ------------------------------------------------------------------ team trackers and collection

    def team_paths(self, month: Month) -> list[Path]:
        return tracker_paths(self.workspace, month)

    def team_step(self, month: Month) -> None:
        """A team tracker the manager saved (and closed) is recalculated like a personal one;
        the maintenance tracker's recalc collects."""
        paths = self.team_paths(month)
        _, names = scan(paths[0].parent, (".xlsx",))
        for n, path in enumerate(paths):
            stamp = file_stamp(path)
            if stamp is None and self.rel(path) in self.state.files:
                self.say_once(("vanished", str(path)), self.rel(path), "不见了",
                              "团队表被删除、改名或移走：找回后继续（kefu-xl check 可以查看）")
            if stamp is None or self.stopping:
                continue
            t = self.first_sight(path, stamp)
            self.noticed(path, stamp, t, person=False)
            lock = is_locked(path.name, names)
            action = schedule.file_action(stamp, t.handled, t.failed, lock is not None, False)
            if action is Action.WAIT:
                self.wait_for(path, t, lock, "重算")
            elif action is not None:
                t.locked_by = None
                if self.recalc(path, stamp, t, "团队表保存后重算"):
                    if n == 0:
                        self.collected()
                    elif n == 1:
                        self.note_renewals(path)

    def collected(self) -> None:
        self.state.collected_at = self.clock().isoformat(timespec="seconds")
        self.state.collect_pending = False

    def collect_step(self, month: Month, force: bool = False) -> None:
        paths = self.team_paths(month)
        last = parse_moment(self.state.collected_at)
        if not paths[0].exists() or not (force or schedule.collect_due(self.now, last, self.state.collect_pending,
                                                                       self.config.serve.collect_minutes)):
            return
        _, names = scan(paths[0].parent, (".xlsx",))
        for path in paths:
            lock = is_locked(path.name, names)
            if lock:
                self.wait_for(path, self.tracked(path), lock, "汇总")
                return
            t = self.state.files.get(self.rel(path))
            if t is not None and path.exists() and t.failed == file_stamp(path):
                return                   # the broken tracker was logged; collected when it is saved again
        started = time.monotonic()
        try:
            for outcome in collect_team(self.workspace, month, as_of=self.now.date(), config=self.config, now=self.now):
                t = self.tracked(outcome.path)
                t.handled, t.done_at, t.note, t.locked_by = (file_stamp(outcome.path), self.clock().isoformat(timespec="seconds"),
                                                             "", None)
                if outcome.path == paths[0]:
                    self.collected()
                    figures = outcome.result.figures
                    lines = figures.collected if isinstance(figures, MaintenanceFigures) else None
                    people = f"，个人工作簿 {len(lines.lines)} 本、记录 {len(lines.rows)} 条" if lines else ""
                else:
                    people = ""
                done = "已保存" if outcome.written else "已是最新" if outcome.unchanged else "没有保存（结构不完整）"
                self.say(self.rel(outcome.path), "汇总", f"{done}（{time.monotonic() - started:.2f} 秒{people}）")
                if outcome.path == paths[1]:
                    self.note_renewals(outcome.path)
                started = time.monotonic()
                if self.stopping:
                    return
        except (FileLockedError, ChangedOnDiskError) as e:
            self.say("团队表", "汇总", f"没有写入，稍后重试：{e}")
        except Exception as e:
            self.state.collect_pending = False            # tried; the next change tries again
            self.say("团队表", "汇总", f"失败：{self.failure(e)}")

    # ------------------------------------------------------------------ spend watch

    def watch_step(self, month: Month) -> None:
        """The day's spend export appearing in inputs/消耗/ runs that day's watch once."""
        folder = spend_watch.export_folder(self.workspace, month)
        files, _ = scan(folder, (".xlsx", ".csv"))
        found: dict[date, Stamp] = {}
        paths: dict[date, Path] = {}
        for name, stamp in files.items():
            day = parse_day(Path(name).stem) if len(Path(name).stem) == 10 else None
            if day is not None and month.contains(day):
                found[day], paths[day] = stamp, folder / name
        first_scan = str(month) not in self.export_scans
        self.export_scans.add(str(month))
        watched = {}
        for day, path in paths.items():
            key = self.rel(path)
            if key not in self.state.watched and first_scan and day != self.now.date():
                self.state.watched[key] = found[day]       # earlier days' exports found at start are not news
            if key in self.state.watched:
                watched[day] = tuple(self.state.watched[key])
        for day in schedule.exports_due(found, self.exports_before, watched):
            if self.stopping:
                break
            self.watch_day(day, paths[day], found[day])
        self.exports_before = found

    def watch_day(self, day: date, path: Path, stamp: Stamp) -> None:
        key = self.rel(path)
        target = self.workspace / str(Month.of(day)) / watch.file_name(Month.of(day))
        started = time.monotonic()
        try:
            outcome = spend_watch.watch_day(self.workspace, day, self.config)
        except FileLockedError:
            self.say_once(("watch-lock", key, stamp), key, "消耗监控", f"{target.name} 正在被打开：关闭后再做")
            return
        except ChangedOnDiskError:
            self.say(key, "消耗监控", f"{target.name} 在处理期间被保存：本次作废，稍后重做")
            return
        except DataProblemsError as e:
            first = "；".join(p.message for p in e.problems[:3])
            self.say(key, "消耗监控", f"导出有错误，没有写任何文件（改好后重新保存即重做）：{first}")
        except Exception as e:
            self.say(key, "消耗监控", f"失败（文件再次保存后重试）：{self.failure(e)}")
        else:
            self.say(key, "消耗监控", f"已保存 {self.rel(outcome.path)}（{time.monotonic() - started:.2f} 秒，"
                                    f"异常 {len(outcome.found)} 个，新增 {outcome.added} 行）")
            self.state.watched_at[key] = self.clock().isoformat(timespec="seconds")
            self.note_urgent(day, outcome)
            target_t = self.tracked(outcome.path)
            target_t.handled = file_stamp(outcome.path)
        self.state.watched[key] = stamp

    # ------------------------------------------------------------------ status page

    def write_status(self, month: Month) -> None:
        try:
            write_atomically(self.workspace / STATUS_NAME, render_status(self, month))
        except OSError as e:
            self.say_once(("status", str(e)), STATUS_NAME, "状态页", f"无法写入：{e}")

    def remove_stale_temp_files(self) -> None:
        """Temp files of writes that a killed process left (a Windows task ended, power cut):
        the file they were for is old-or-new; the temp file is litter."""
        month = schedule.serve_month(self.clock())
        for folder in (self.workspace, self.workspace / str(month), self.workspace / str(month) / personal.FOLDER):
            try:
                names = os.listdir(folder)
            except OSError:
                continue
            for name in names:
                path = folder / name
                try:
                    if name.startswith(TEMP_PREFIX) and time.time() - path.stat().st_mtime > STALE_TEMP_SECONDS:
                        path.unlink()
                        self.say(self.rel(path), "清理", "删除了中断的写入留下的临时文件")
                except OSError:
                    continue

    # ------------------------------------------------------------------ one serve per workspace

    def claim(self) -> None:
        """Take the workspace's lock file by exclusive create, or refuse to start while another
        serve holds it: a process of this computer that still runs, or another computer's that
        touched it within the last 10 polls. A stale lock (its process gone, or silent for 10
        polls) is taken over."""
        path = self.workspace / OWNER_NAME
        me = owner_line()
        if path.is_symlink():
            raise KefuError(f"{path} 是一个链接（快捷方式），不是 kefu-xl serve 的锁文件：为免写到工作区外，没有启动。"
                            f"请删除这个链接后再启动。")
        if self._create_lock(path, me):
            return
        try:
            other, age = path.read_text("utf-8").strip(), time.time() - path.stat().st_mtime
        except (FileNotFoundError, UnicodeDecodeError):
            other, age = "", float("inf")
        if other == me:
            return
        silent = STALE_POLLS * float(self.config.serve.poll_seconds)
        host, _, pid = other.partition(" ")
        here = host == socket.gethostname()
        if other and ((here and not dead_here(other)) or (not here and age < silent)):
            raise KefuError(f"另一个 kefu-xl serve 正在照看 {self.workspace}（电脑 {host}，进程 {pid}，{max(age, 0):.0f} 秒前还在运行）："
                            f"同一个工作区只运行一个。" + (
                                "它在这台电脑上还在运行：请先停止它。" if here else
                                f"如果那台电脑上的已经停了，{silent:.0f} 秒没有动静后这里就能启动。"))
        path.unlink(missing_ok=True)                 # stale: its process is gone, or silent for 10 polls
        if not self._create_lock(path, me):
            raise KefuError(f"另一个 kefu-xl serve 刚刚启动并照看 {self.workspace}：同一个工作区只运行一个。")

    @staticmethod
    def _create_lock(path: Path, me: str) -> bool:
        """The lock file made by exclusive, no-follow create with `me` in it; False when it exists."""
        try:
            fd = create_exclusive(path, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(me)
        return True

    def beat(self) -> None:
        """Renew the lock each cycle; a serve that finds it taken by another stops at once."""
        path = self.workspace / OWNER_NAME
        me = owner_line()
        try:
            holder = path.read_text("utf-8").strip()
        except FileNotFoundError:                    # deleted: taken again, unless another serve was quicker
            if self._create_lock(path, me):
                return
            holder = path.read_text("utf-8").strip() if path.exists() else ""
        except OSError:
            return
        if holder == me:
            try:
                os.utime(path)
            except OSError:
                pass
            return
        self.say(OWNER_NAME, "检查", f"另一个 kefu-xl serve（{holder}）照看着这个工作区：本进程停止，不再写任何文件")
        self.stop_signal = LOCK_LOST

    def release(self) -> None:
        path = self.workspace / OWNER_NAME
        try:
            if path.read_text("utf-8").strip() == owner_line():
                path.unlink()
        except OSError:
            pass

    # ------------------------------------------------------------------ run

    def run(self) -> None:
        """Cycle until a signal: the current file is finished (or, at a second signal,
        abandoned — its temp file removed, the file as it was), then the process ends."""
        self.claim()
        self.start()
        sleeping = False

        def on_signal(signum, frame):
            name = signal.Signals(signum).name
            if self.stop_signal is not None:
                raise KeyboardInterrupt          # a second time: abandon the write in progress
            self.stop_signal = name
            if sleeping:
                raise _Wake()

        for name in SIGNALS:
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), on_signal)
        try:
            while not self.stopping:
                try:
                    self.cycle()
                    sleeping = True
                    if not self.stopping:
                        time.sleep(float(self.config.serve.poll_seconds))
                    sleeping = False
                except _Wake:        # only ever raised while sleeping; a signal here is a second one
                    sleeping = False
        except KeyboardInterrupt:
            self.say(str(self.workspace), "停止", "第二次收到停止信号：立即停止（正在写的文件保持原样，临时文件已删除）")
        finally:
            if self.stop_signal != LOCK_LOST:      # the other serve's state, page and lock are its own
                self.save_state()
                self.stopped_at = f"{self.clock():%H:%M}"
                self.write_status(schedule.serve_month(self.clock()))
                self.release()
            self.say(str(self.workspace), "停止", f"已停止（{self.stop_signal or '中断'}）")


class _Wake(Exception):
    """Raised by the signal handler to end the sleep between cycles (nothing is being written then)."""


def serve(workspace: Path) -> None:
    """`kefu-xl serve --dir 工作区`: run until SIGTERM / Ctrl-C."""
    workspace = locate_workspace(Path(workspace))
    logging.raiseExceptions = False      # a share that goes away must not fill the console with tracebacks
    try:
        Server(workspace, logger=open_log(workspace)).run()
    except KeyboardInterrupt:            # a second Ctrl-C while it was already stopping: it has stopped
        pass
