"""状态.html: the manager's one look at what `kefu-xl serve` sees today (docs/daily.md) — each
person's file saved at, plan made at, plan done / planned and problems; the team trackers,
the collection, the spend watch and the last actions. Self-contained HTML (inline style, no
script, no outside file), rendered from templates/status.html.j2."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from importlib import resources
from pathlib import Path

import jinja2

from ..io.safe_write import file_stamp
from ..kinds import personal
from ..month import Month
from ..rules.completion import id_key
from . import journal, spend_watch
from .serve_state import is_locked, now_text, parse_moment, scan
from .team import tracker_paths

WEEKDAYS = "一二三四五六日"


@dataclass
class PersonRow:
    person: str
    file: str
    saved_at: str
    plan_made_at: str
    plan: str
    valid: str = "—"               # today's valid work and 达标, from 每日小结 as last saved
    problems: list[str] = field(default_factory=list)
    level: str = "ok"              # ok / wait (open, or something pending) / bad (skipped, errors)


@dataclass
class FileRow:
    file: str
    saved_at: str
    done_at: str
    problems: list[str] = field(default_factory=list)
    level: str = "ok"


def _template() -> jinja2.Template:
    text = resources.files("kefu_xl").joinpath("templates", "status.html.j2").read_text("utf-8")
    return jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string(text)


_TEMPLATE: jinja2.Template | None = None


def render_status(server, month: Month) -> str:
    global _TEMPLATE
    if _TEMPLATE is None:
        _TEMPLATE = _template()
    return _TEMPLATE.render(**status_model(server, month))


def person_rows(server, month: Month, marks: dict[str, dict[str, int]] | None = None) -> list[PersonRow]:
    today = server.now.date()
    folder = server.workspace / str(month) / personal.FOLDER
    files, names = scan(folder, (".xlsx",))
    rows = []
    for name, stamp in sorted(files.items()):
        path = folder / name
        info = server.person_info(path, stamp, month)
        t = server.state.files.get(server.rel(path))
        row = PersonRow(person=info.owner or Path(name).stem, file=name,
                        saved_at=now_text(parse_moment(t.saved_at) if t else None, today), plan_made_at="—", plan="—")
        if info.meta_plan_day == today and info.meta_made_at:
            row.plan_made_at = now_text(info.meta_made_at, today)
        elif t and t.planned == today.isoformat():
            made = parse_moment(t.plan_made_at)
            row.plan_made_at = now_text(made, today) if made else "今天（时间不详）"
        if info.planned is not None and info.plan_day == today:
            row.plan = f"{info.done} / {info.planned}"
        elif info.plan_day is not None:
            row.plan = f"（{info.plan_day:%m-%d} 的计划）"
        lock = is_locked(name, names)
        if info.skip:
            row.problems.append(info.skip)
            row.level = "bad"
        elif t and t.failed == stamp:
            row.problems.append(t.note)
            row.level = "bad"
        else:
            if lock:
                row.problems.append(f"正在被打开（{lock}）" + ("，关闭后重算" if t and stamp != t.handled else ""))
                row.level = "wait"
            elif t and t.note and stamp != t.handled:
                row.problems.append(t.note)
                row.level = "wait"
            if info.errors or info.warnings:
                row.problems.append(f"「问题」表：错误 {info.errors} 条，警告 {info.warnings} 条"
                                    + "".join(f"；{text}" for text in info.first_problems))
                row.level = "bad" if info.errors else row.level
            if info.note:
                row.problems.append(info.note)
        if today in info.daily:
            valid, meets = info.daily[today]
            count = int(valid) if isinstance(valid, (int, float)) else 0      # calamine reads numbers as floats
            row.valid = f"{count}（{'达标' if meets == '是' else '未达标'}）"
        urgent = [what for account, what in server.state.urgent.get(info.owner, {}).items()
                  if server.state.urgent_day == today.isoformat() and id_key(account) not in info.anomaly_ids]
        if urgent:
            row.problems.append("新的紧急事项（还没进今日，关闭工作簿后自动加上）：" + "；".join(urgent))
            row.level = "wait" if row.level == "ok" else row.level
        mine = (marks or {}).get(info.owner, {})
        if any(mine.values()):
            row.problems.append("日志（本月）：" + "，".join(f"{k} {n}" for k, n in mine.items() if n) +
                                "（见维护跟踪「日志」表，抽查时先查）")
            row.level = "wait" if row.level == "ok" else row.level
        late = [f"{client}（时限 {due:%m-%d %H:%M}）" for client, due in info.unanswered if due < server.now]
        if late:
            row.problems.append("超过时限还没答复的咨询：" + "；".join(late))
            row.level = "bad"
        if info.unhappy and info.plan_day == today:
            row.problems.append("不满意的客户，今天回访：" + "；".join(info.unhappy))
            row.level = "wait" if row.level == "ok" else row.level
        rows.append(row)
    present = {row.person for row in rows}
    for name in server.roster_names():             # roster members without a workbook are listed too
        if name not in present:
            rows.append(PersonRow(person=name, file="", saved_at="—", plan_made_at="—", plan="—",
                                  problems=[f"没有个人工作簿（{month}/{personal.FOLDER}/{personal.file_name(name, month)}）："
                                            f"开月时会生成，或运行 kefu-xl month open {month} --refresh"], level="bad"))
    return rows


def file_rows(server, paths: list[Path]) -> list[FileRow]:
    today = server.now.date()
    rows = []
    names = scan(paths[0].parent, (".xlsx",))[1] if paths else set()      # the trackers share one folder
    for path in paths:
        stamp = file_stamp(path)
        if stamp is None:
            continue
        t = server.state.files.get(server.rel(path))
        row = FileRow(file=server.rel(path), saved_at=now_text(parse_moment(t.saved_at) if t else None, today),
                      done_at=now_text(parse_moment(t.done_at) if t else None, today))
        lock = is_locked(path.name, names)
        if t and t.failed == stamp:
            row.problems.append(t.note)
            row.level = "bad"
        elif lock:
            row.problems.append(f"正在被打开（{lock}）")
            row.level = "wait"
        rows.append(row)
    return rows


def status_model(server, month: Month) -> dict:
    now = server.now
    today = now.date()
    s = server.config.serve
    collected = parse_moment(server.state.collected_at)
    if server.state.collect_pending and collected is not None and s.collect_minutes:
        next_collect = now_text(max(now, collected + timedelta(minutes=s.collect_minutes)), today)
    else:
        next_collect = "有个人工作簿改动时" if not server.state.collect_pending else "马上"
    exports = []
    folder = spend_watch.export_folder(server.workspace, month)
    for suffix in (".xlsx", ".csv"):
        path = folder / f"{today.isoformat()}{suffix}"
        if path.exists():
            at = parse_moment(server.state.watched_at.get(server.rel(path)))
            exports.append(f"{server.rel(path)}：" + (f"{now_text(at, today)} 已处理" if at else "等待处理"))
    month_open = (server.workspace / str(month) / personal.FOLDER).is_dir() or \
        any(p.exists() for p in tracker_paths(server.workspace, month))     # inputs/ alone is not an opened month
    return {
        "title": f"kefu-xl 今日状态 · {today.isoformat()}（周{WEEKDAYS[today.weekday()]}）",
        "refreshed": f"{now:%H:%M:%S}",
        "poll": s.poll_seconds,
        "plan_at": f"{s.plan_at:%H:%M}",
        "working_day": server.calendar.is_workday(today),
        "month": str(month),
        "month_open": month_open,
        "people": person_rows(server, month, journal.counts(server.workspace, month)) if month_open else [],
        "journal": [(person, digest[:16]) for person, digest in journal.day_hashes(server.workspace, month, today).items()]
        if month_open else [],
        "checks": journal.suggested_checks(server.workspace, month, today, server.config.spot_checks_per_day,
                                           server.calendar.is_workday) if month_open else [],
        "team": file_rows(server, tracker_paths(server.workspace, month)) if month_open else [],
        "collected_at": now_text(collected, today),
        "next_collect": next_collect,
        "exports": exports,
        "export_name": server.rel(folder / today.isoformat()),
        "recent": list(reversed(server.recent[-20:])),
        "stopping": server.stopping,
        "stopped_at": server.stopped_at,
    }

