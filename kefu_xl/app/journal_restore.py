"""`kefu-xl journal restore`: records the 日志 saw deleted put back into a person's 工作记录
(docs/journal.md) — the one command that writes rows into a personal workbook."""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from ..errors import KefuError
from ..io.doc_props import last_saved
from ..io.journal_file import JournalLock, append, events
from ..io.safe_write import check_not_open
from ..kinds import personal
from ..kinds.base import sheets_to_append
from ..month import Month
from ..rules import journal as rules
from ..sheets.build import write_rows
from .journal import path_of, record_of
from .workbooks import update_file


def restore(workspace: Path, person: str, day: date, config, now: datetime | None = None) -> tuple[Path, list[dict]]:
    """Put the records of `day` that the journal saw deleted from `person`'s 工作记录 back at
    its end (an exception to never writing typed cells, docs/journal.md): each once — a record
    the workbook holds again is not added twice — marked 「日志恢复 MM-DD」 in its 来源 column,
    refused while the workbook is open; the journal records them as 恢复."""
    now = (now or datetime.now()).replace(microsecond=0)
    month = Month.of(day)
    target = personal.path_of(workspace, person, month)
    if not target.exists():
        raise KefuError(f"没有 {person} 的个人工作簿（{month}/{personal.FOLDER}/{target.name}）：无法恢复。")
    gone = [e["record"] for e in events(path_of(workspace, month, person))      # her own 工作记录's records
            if e.get("type") == rules.DELETED and (e.get("record") or {}).get("日期") == day.isoformat()
            and not rules.is_follow_up(e["record"]) and not rules.scope_of(e["record"])]
    wspec = personal.spec(config, month)
    restored: list[dict] = []

    def put_back(book) -> None:
        data = sheets_to_append(book, target, wspec, (personal.WORK,), "没有恢复")[personal.WORK]
        present = [record_of({h: v.get(h) for h in rules.FIELDS}, r) for r, v in data.rows]
        for record in gone:
            match = next((p for p in present if rules.key_of(p) == rules.key_of(record)
                          and rules.content_of(p) == rules.content_of(record)), None)
            if match is not None:
                present.remove(match)            # back already (typed again, or restored before)
                continue
            restored.append(record)
        first = data.last_row + 1
        rows = [{**{f: (date.fromisoformat(r["日期"]) if f == "日期" and len(r.get("日期", "")) == 10 else r.get(f, ""))
                    for f in rules.FIELDS}, personal.RESTORED_COLUMN: f"日志恢复 {now:%m-%d}"} for r in restored]
        write_rows(book[personal.WORK], data.layout, wspec.sheet(personal.WORK), rows, first)
        for i, r in enumerate(restored):
            r["row"] = first + i

    check_not_open(target)
    with JournalLock(workspace):
        if gone:
            update_file(target, put_back, as_of=now.date(), config=config)
        saved = last_saved(target)[0]
        append(path_of(workspace, month, person), str(month), person,
               [{"type": rules.RESTORED, "record": r, "at": now.isoformat(sep=" "), "person": person, "file": target.name,
                 "saved_at": saved.replace(microsecond=0).isoformat(sep=" ") if saved else ""} for r in restored])
    return target, restored
