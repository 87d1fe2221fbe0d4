"""The 日志 (docs/journal.md): every collect appends what it read of each person's 工作记录 to
YYYY-MM/日志/客服名.jsonl (io.journal_file: append-only, hash-chained, one lock); `kefu-xl
journal verify` walks the chains, `journal print` lays each person's day out as the seed's
「每人每天一张」 page with the day's hash and a signature line.

The month folder's 日志/ is made at month open. A month opened by an earlier release has
none: its first collect records each person's records as a 基线 (never 补录 — nobody can tell
when they were typed), and the journal runs from there."""
from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from html import escape
from pathlib import Path

from ..calendar import WorkCalendar
from ..errors import KefuError
from ..io.journal_file import (
    JournalLock,
    append,
    digest,
    kept_lines,
    verify,
)
from ..io.safe_write import atomic_write
from ..io.values import parse_texts
from ..kinds import roster
from ..kinds.base import cell_text
from ..month import Month
from ..rules import journal as rules

FOLDER = "日志"


def folder_of(workspace: Path, month: Month) -> Path:
    return workspace / str(month) / FOLDER


def path_of(workspace: Path, month: Month, person: str) -> Path:
    return roster.file_in(folder_of(workspace, month), f"{person}.jsonl", person)


def journal_files(workspace: Path, month: Month) -> list[Path]:
    """The month's journal files, one per person, in name order."""
    folder = folder_of(workspace, month)
    return sorted(folder.glob("*.jsonl")) if folder.is_dir() else []


def record_of(row: dict, personal_row: int) -> dict:
    """A 工作记录 row as the journal keeps it: text, the date as YYYY-MM-DD, its row."""
    return records_of([row], [personal_row])[0]


_KEYS = (*rules.FIELDS, "row")


def records_of(rows: list[dict], places: list[int], **extra) -> list[dict]:
    """record_of of each row (its row in `places`), and `extra` in each: column by column
    (a team recalc journals the 100,000 records typed into the tracker)."""
    columns = [parse_texts([row.get(f) for row in rows]) for f in rules.FIELDS]
    return [dict(zip(_KEYS, values), **extra) for values in zip(*columns, places)]


def follow_up_records(sheet: str, rows: list[tuple[int, dict]], month: Month) -> list[dict]:
    """The journalled follow-up cells (rules.FOLLOW_UPS) a person filled in `sheet`. A date
    before the month (carried over by month open with a 遗留 row) is never judged 补录."""
    fields = rules.FOLLOW_UPS[sheet]
    out = []
    for r, v in rows:
        account = cell_text(v.get("帐户ID"))
        for f in fields if account else ():
            value = cell_text(v.get(f))         # text, a date as YYYY-MM-DD
            if value:
                record = rules.follow_up(sheet, account, f, value, r)
                if record["日期"] and record["日期"] < month.first.isoformat():
                    record["日期"] = ""
                out.append(record)
    return out


@dataclass
class Reading:
    """One person's 工作记录 as a collect read it."""
    person: str
    file: str
    saved_at: datetime | None
    records: list[dict]
    saved_by: str = ""              # docProps lastModifiedBy of the version read
    scope: str = ""                 # "": the person's own workbook; rules.TEAM: rows typed into the team file


def record_collect(workspace: Path, month: Month, readings: list[Reading], config, now: datetime | None = None) -> list[dict]:
    """Append to each person's journal what changed since it last read (under the journal's
    lock); returns the new events."""
    now = (now or datetime.now()).replace(microsecond=0)
    folder = folder_of(workspace, month)
    upgraded = not folder.is_dir()            # a month opened before the journal: 基线 first
    calendar = WorkCalendar(config)
    names = computer_names(workspace)
    out: list[dict] = []
    with JournalLock(workspace):
        folder.mkdir(parents=True, exist_ok=True)
        for reading in readings:
            path = path_of(workspace, month, reading.person)
            before = [line.event for line in _lines(path) if line.event is not None]
            common = {"at": now.isoformat(sep=" "), "person": reading.person, "file": reading.file,
                      "saved_at": reading.saved_at.replace(microsecond=0).isoformat(sep=" ") if reading.saved_at else ""}
            if upgraded:
                new = [{"type": rules.BASELINE, "records": reading.records, **common,
                        **({"scope": reading.scope} if reading.scope else {})}]
            else:              # each reading against what the journal holds of the same place
                state = [r for r in journal_state(path) if rules.scope_of(r) == reading.scope]
                new = [{**e, **common} for e in rules.changes(state, reading.records, reading.saved_at,
                                                               config.journal.close_at, calendar.is_workday)]
            if reading.scope:
                out += append(path, str(month), reading.person, new)
                continue       # 他人保存 is about a person's own workbook
            if rules.saved_by_other(names.get(reading.person, ()), config.journal.managers, reading.saved_by) and \
                    not any(e.get("type") == rules.OTHER_SAVED and e.get("saved_at") == common["saved_at"] for e in before):
                new.append({"type": rules.OTHER_SAVED, "saved_by": reading.saved_by, **common})   # once per version
            out += append(path, str(month), reading.person, new)
    return out


def computer_names(workspace: Path) -> dict[str, tuple[str, ...]]:
    """{客服: 电脑用户名} from 名册.xlsx (blank: not checked)."""
    path = workspace / "名册.xlsx"
    if not path.exists():
        return {}
    try:
        staff, _ = roster.read_roster(path)
    except (KefuError, OSError):
        return {}
    return {m.name: m.computer_names for m in staff}


def _lines(path: Path) -> list:
    """A journal file's lines, read again only when the file changed (serve asks every poll)."""
    return kept_lines(path)[1]


_STATE: dict[Path, tuple[tuple, list[dict]]] = {}


def journal_state(path: Path) -> list[dict]:
    """The records a journal file holds (rules.state_of), replayed again only when it changed:
    serve's status page asks every poll."""
    stamp, lines = kept_lines(path)
    known = _STATE.get(path)
    if known is None or known[0] != stamp:
        known = _STATE[path] = (stamp, rules.state_of([line.event for line in lines if line.event is not None]))
    return known[1]


def read_ahead(workspace: Path, month: Month) -> threading.Thread:
    """Read the month's journal files (their lines and the records they hold) in a thread
    while the team tracker is still being read: a team recalc that journals needs them after
    (100,000 records: ~0.5 s of JSON). Join the thread before using them; a file that cannot
    be read is read again where it is needed, and says so there."""
    def read() -> None:
        for path in journal_files(workspace, month):
            try:
                journal_state(path)
            except Exception:          # whatever it is, the read where they are needed meets it again
                pass
    thread = threading.Thread(target=read, name="kefu-journal", daemon=True)
    thread.start()
    return thread


def shown_events(workspace: Path, month: Month) -> list[dict]:
    """The month's events a manager looks at (补录, 改动, 删除, 恢复), every person, in order."""
    out = []
    for path in journal_files(workspace, month):
        out += [line.event for line in _lines(path) if line.event is not None and line.event.get("type") in rules.SHOWN]
    return sorted(out, key=lambda e: (e.get("at", ""), e.get("person", "")))


def counts(workspace: Path, month: Month) -> dict[str, dict[str, int]]:
    """{person: {补录: n, 改动: n, 删除: n}} of the month."""
    out: dict[str, dict[str, int]] = {}
    for e in shown_events(workspace, month):
        mine = out.setdefault(e.get("person", ""), {rules.LATE: 0, rules.CHANGED: 0, rules.DELETED: 0})
        if e.get("type") in mine:
            mine[e["type"]] += 1
    return out


def day_hashes(workspace: Path, month: Month, day: date) -> dict[str, str]:
    """{person: the hash of the last line written on or before `day`} — the anchor to note
    down (serve's log, 状态.html): a chain rewritten afterwards no longer ends in it."""
    out = {}
    for path in journal_files(workspace, month):
        last = None
        for line in _lines(path):
            if line.event is not None and str(line.event.get("at", ""))[:10] <= day.isoformat():
                last = digest(line.raw)
        if last is not None:
            out[path.stem] = last
    return out


def verify_month(workspace: Path, month: Month) -> list:
    return [verify(p, str(month), p.stem) for p in journal_files(workspace, month)]


def day_records(workspace: Path, month: Month, person: str, day: date) -> tuple[list[dict], list[dict], str]:
    """(records of `day` as the journal holds them now, that day's shown events, the hash of the
    day's last line) for one person."""
    path = path_of(workspace, month, person)
    all_events = [line.event for line in _lines(path) if line.event is not None]
    mine = sorted((r for r in journal_state(path) if r.get("日期") == day.isoformat() and not rules.is_follow_up(r)),
                  key=lambda r: (rules.scope_of(r), r.get("row") or 0))
    shown = [e for e in all_events if e.get("type") in rules.SHOWN and (e.get("record") or {}).get("日期") == day.isoformat()]
    return mine, shown, day_hashes(workspace, month, day).get(person, "")


def write_print(workspace: Path, day: date, people: list[str]) -> Path:
    """日志/日志_YYYY-MM-DD.html: one A4 page per person (the day's records, counts, the day's
    hash, a signature line), for a browser's 打印."""
    month = Month.of(day)
    pages = []
    for person in people:
        records, shown, last = day_records(workspace, month, person, day)
        rows = "".join(
            f"<tr><td>{i}</td><td>{escape(r.get('帐户ID', ''))}</td><td>{escape(r.get('工作类型', ''))}</td>"
            f"<td>{escape(r.get('沟通对象', ''))}</td><td>{escape(r.get('内容摘要', ''))}</td>"
            f"<td>{escape(r.get('满意度', '') or r.get('客户接受', ''))}</td></tr>"
            for i, r in enumerate(records, 1)) or '<tr><td colspan="6">这一天没有工作记录</td></tr>'
        notes = "".join(f"<li>{escape(e['type'])}：{escape(rules.describe(e))}</li>" for e in shown)
        pages.append(f"""<section class="page"><h1>{escape(person)} · {day:%Y年%m月%d日} 工作日志</h1>
<p>工作记录 {len(records)} 条{f"；其中补录、改动、删除 {len(shown)} 条" if shown else ""}。</p>
<table><thead><tr><th>序号</th><th>帐户ID</th><th>工作类型</th><th>沟通对象</th><th>内容摘要</th><th>满意度/客户接受</th></tr></thead>
<tbody>{rows}</tbody></table>
{f"<ul>{notes}</ul>" if notes else ""}
<p class="hash">{f"本日日志末行校验值（SHA-256）：<code>{last}</code>" if last else
                 "这一天结束时日志里还没有这位客服的记录（日志从之后的一次汇总开始），没有本日校验值。"}</p>
<p class="sign">客服签字：__________________　　　客服经理签字：__________________　　　日期：__________</p></section>""")
    html = f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>工作日志 {day}</title><style>
@page {{ size: A4 portrait; margin: 15mm; }}
body {{ font-family: "Microsoft YaHei", "PingFang SC", "WenQuanYi Micro Hei", sans-serif; font-size: 11pt; }}
.page {{ page-break-after: always; }} .page:last-child {{ page-break-after: auto; }}
h1 {{ font-size: 16pt; margin: 0 0 6pt; }} table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border: 1px solid #888; padding: 3pt 5pt; text-align: left; vertical-align: top; }}
th {{ background: #eee; }} .hash code {{ font-size: 8pt; word-break: break-all; }} .sign {{ margin-top: 28pt; }}
</style></head><body>{"".join(pages)}</body></html>"""
    target = folder_of(workspace, month) / f"日志_{day.isoformat()}.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(target, lambda tmp: tmp.write_text(html, "utf-8"))
    return target


def suggested_checks(workspace: Path, month: Month, today: date, n: int, is_workday) -> list[dict]:
    """Today's 建议抽查 (docs/spotchecks.md): the month's latest 补录 and 改动 first (newest first, each
    record once, at most `n`), then records of the working day before drawn at random (the same
    draw all day) until there are `n`."""
    out, seen = [], set()
    for e in reversed(shown_events(workspace, month)):
        r = e.get("record") or {}
        if e.get("type") not in (rules.LATE, rules.CHANGED) or len(out) >= n or rules.is_follow_up(r):
            continue                       # (抽查 checks 工作记录; a late 到帐日期 is on the 日志 sheet)
        key = (e.get("person", ""), rules.key_of(r))
        if key not in seen:
            seen.add(key)
            out.append({**r, "客服": e.get("person", ""), "为什么": f"{e['type']}：{rules.describe(e).split('：', 1)[-1]}"})
    day = today - timedelta(days=1)
    while not is_workday(day) and day > month.first:
        day -= timedelta(days=1)
    pool = []
    for path in journal_files(workspace, month):
        pool += [{**r, "客服": path.stem} for r in journal_state(path) if r.get("日期") == day.isoformat()
                 and not rules.is_follow_up(r) and (path.stem, rules.key_of(r)) not in seen]
    random.Random(today.toordinal()).shuffle(pool)
    out += [{**r, "为什么": f"随机（{day:%m-%d} 的记录）"} for r in pool[:max(0, n - len(out))]]
    return out
