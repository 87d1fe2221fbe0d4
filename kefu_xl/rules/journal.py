"""What a collect's reading of a person's 工作记录 adds to the 日志 (docs/journal.md), given
what the journal already holds: pure functions over plain records, no files.

A record's identity is (日期, 帐户ID, 工作类型) and its place among records with the same
three; its other typed cells are its content. Against the journal's state a new reading
gives, per identity, the records kept (same content: no event, wherever the row moved — sorting
makes none), changed (改动, old → new), gone (删除) and new (新增, or 补录 when the file that
first held it was saved after the record's day had closed). A gone record and a new one on
the same row of the file are one 改动 (its date, account or type was corrected).

The follow-up cells a person types beside 工作记录 (我的续费's dates, amount and status, a new
client's step dates) are records too, one per cell: identity (表, 帐户ID, 字段), content its
value. A date typed after that date's day closed is 补录; a date or an amount changed or
cleared is 改动 or 删除; a status moving on (跟进中 → 已续费) is 跟进, journalled, not shown."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from .completion import id_key

KEY_FIELDS = ("日期", "帐户ID", "工作类型")
CONTENT_FIELDS = ("客服", "沟通对象", "内容摘要", "满意度", "客户接受")
FIELDS = (*KEY_FIELDS, *CONTENT_FIELDS)

BASELINE, NEW, LATE, CHANGED, DELETED, RESTORED = "基线", "新增", "补录", "改动", "删除", "恢复"
OTHER_SAVED = "他人保存"
PROGRESS = "跟进"
SHOWN = (LATE, CHANGED, DELETED, RESTORED, OTHER_SAVED)   # what the 日志 sheet lists (新增 on time is the normal case)

# the follow-up cells journalled, by sheet: DATED (补录 judged by the date typed), VALUE (改动 and
# 删除 shown), or PROGRESS (a status: every change journalled as 跟进, none shown)
DATED, VALUE = "日期", "值"
FOLLOW_UPS: dict[str, dict[str, str]] = {
    "我的续费": {"提醒日期": DATED, "续费金额": VALUE, "到帐日期": DATED, "续费状态": PROGRESS},
    "我的新客户": dict.fromkeys(("告知帐户信息", "确认推广负责人", "沟通投放意向", "方案确认", "广告上线",
                                 "首次回访", "满月回访"), DATED),
}
TEAM = "团队表"        # a record's 来源 when it was typed straight into the team tracker


def follow_up(sheet: str, account: str, field: str, value: str, row: int) -> dict:
    """A follow-up cell as a journal record (value already text; a date as YYYY-MM-DD)."""
    dated = FOLLOW_UPS[sheet][field] == DATED
    return {"表": sheet, "帐户ID": account, "字段": field, "值": value, "日期": value if dated else "", "row": row}


def is_follow_up(record: dict) -> bool:
    return "表" in record


def scope_of(record: dict) -> str:
    """Which reading a record belongs to: the person's workbook ("") or the team tracker."""
    return record.get("来源", "")


def saved_by_other(owner_names: tuple[str, ...], managers: tuple[str, ...], saved_by: str) -> bool:
    """Whether a save was somebody else's: only when the owner's 电脑用户名 are known."""
    if not owner_names or not saved_by:
        return False
    known = {n.casefold() for n in (*owner_names, *managers)}
    return saved_by.casefold() not in known


def key_of(record: dict) -> tuple:
    if "表" in record:
        return (record["表"], id_key(record.get("帐户ID", "")), record.get("字段", ""))
    return (record.get("日期", ""), id_key(record.get("帐户ID", "")), record.get("工作类型", ""))


def content_of(record: dict) -> tuple:
    if "表" in record:
        return (record.get("值", ""),)
    return tuple(record.get(f, "") for f in CONTENT_FIELDS)


def _progress(record: dict | None) -> bool:
    return record is not None and "表" in record and \
        FOLLOW_UPS.get(record["表"], {}).get(record.get("字段", "")) == PROGRESS


def state_of(events: list[dict]) -> list[dict]:
    """The records the journal holds after `events` (each with the row it was last seen on)."""
    state: list[dict] = []
    for e in events:
        kind = e.get("type")
        if kind == BASELINE:         # (one per place the records were read from)
            state = [r for r in state if scope_of(r) != e.get("scope", "")] + [dict(r) for r in e.get("records", [])]
        elif kind in (NEW, LATE, RESTORED):
            state.append({**e["record"], LATE_MARK: True} if kind == LATE else dict(e["record"]))
        elif kind == PROGRESS:
            gone = _find(state, e["old"]) if e.get("old") else None
            if gone is not None:
                state.pop(gone)
            if e.get("record"):
                state.append(dict(e["record"]))
        elif kind in (CHANGED, DELETED):
            old = e["old"] if kind == CHANGED else e["record"]
            gone = _find(state, old)
            was = state.pop(gone) if gone is not None else {}
            if kind == CHANGED:           # typed late, then corrected: still late
                state.append({**e["record"], **({LATE_MARK: True} if was.get(LATE_MARK) else {})})
    return state


LATE_MARK = "_补录"        # on a record of state_of that first came as 补录


def identity(record: dict) -> tuple:
    """A 工作记录 record as the rules of valid work tell it apart (outcomes.late_identity)."""
    return (record.get("日期", ""), id_key(record.get("帐户ID", "")), record.get("工作类型", ""),
            *(record.get(f, "") for f in CONTENT_FIELDS[1:]))


def late_identities(state: list[dict]) -> frozenset:
    """The 工作记录 records of a journal's state that came as 补录 (and are still there)."""
    return frozenset(identity(r) for r in state if r.get(LATE_MARK) and not is_follow_up(r))


def _find(state: list[dict], record: dict) -> int | None:
    k, c = key_of(record), content_of(record)
    same_key = [i for i, r in enumerate(state) if key_of(r) == k]
    for i in same_key:
        if content_of(state[i]) == c:
            return i
    return same_key[0] if same_key else None


def closes_at(day: date, close: time, is_workday) -> datetime:
    """When `day`'s records close: `close` on the next working day."""
    d = day + timedelta(days=1)
    while not is_workday(d):
        d += timedelta(days=1)
    return datetime.combine(d, close)


def late_text(minutes: int) -> str:
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [f"{days} 天" if days else "", f"{hours} 小时" if hours else "", f"{mins} 分钟" if mins and not days else ""]
    return " ".join(p for p in parts if p) or "不到 1 分钟"


def changes(state: list[dict], current: list[dict], saved_at: datetime | None, close: time,
            is_workday) -> list[dict]:
    """The events that take the journal from `state` to `current` (each a record dict with its
    row). A new record is 补录 when the file holding it was saved after its day closed."""
    if len(state) == len(current) and all(map(_same, state, current)):
        return []                                  # read again as it was (every recalc of serve's day)
    old_by, new_by = defaultdict(list), defaultdict(list)
    for r in state:
        old_by[key_of(r)].append(r)
    for r in current:
        new_by[key_of(r)].append(r)
    gone, added, out = [], [], []
    for k in list(old_by) + [k for k in new_by if k not in old_by]:
        olds, news = list(old_by.get(k, [])), list(new_by.get(k, []))
        for r in list(news):                       # the same content: kept, wherever it moved
            match = next((o for o in olds if content_of(o) == content_of(r)), None)
            if match is not None:
                olds.remove(match)
                news.remove(r)
        while olds and news:                       # the same identity, other content
            out.append({"type": CHANGED, "old": olds.pop(0), "record": news.pop(0)})
        gone += olds
        added += news
    by_row = {_place(r): r for r in added}
    for r in list(gone):                           # a corrected date, account or type: one 改动
        partner = by_row.get(_place(r))
        if partner is not None and partner in added:
            out.append({"type": CHANGED, "old": r, "record": partner})
            gone.remove(r)
            added.remove(partner)
    out += [{"type": DELETED, "record": r} for r in gone]
    for r in added:
        event = {"type": NEW, "record": r}
        day = _date(r.get("日期"))
        if day is not None and saved_at is not None:
            closed = closes_at(day, close, is_workday)
            if saved_at > closed:
                minutes = int((saved_at - closed).total_seconds() // 60)
                event.update(type=LATE, late_minutes=minutes, late=late_text(minutes))
        out.append(event)
    for e in out:                                  # a status moving on: 跟进
        if _progress(e.get("record")) or _progress(e.get("old")):
            old = e.get("old") if e["type"] == CHANGED else (e["record"] if e["type"] == DELETED else None)
            new = None if e["type"] == DELETED else e["record"]
            e.clear()
            e.update(type=PROGRESS, old=old, record=new)
    return out


def _same(held: dict, read: dict) -> bool:
    """A record of the journal's state and one read now are the same, row and all."""
    return held == read or (LATE_MARK in held and len(held) == len(read) + 1
                            and all(read.get(k, held) == v for k, v in held.items() if k != LATE_MARK))


def _place(record: dict) -> tuple:
    """Where a record sits in the file: its row, and for a follow-up cell its sheet and column."""
    return record.get("表"), record.get("字段"), record.get("row")


def _date(text) -> date | None:
    try:
        return date.fromisoformat(text) if isinstance(text, str) and len(text) == 10 else None
    except ValueError:
        return None


def label_of(record: dict) -> str:
    """What a record is about besides its date and account: its 工作类型, or a follow-up's
    sheet and column (「我的续费·到帐日期」)."""
    return f"{record['表']}·{record.get('字段', '')}" if "表" in record else record.get("工作类型", "")


def describe(event: dict) -> str:
    """One line a manager reads: what happened to which record."""
    r = event.get("record") or event.get("old") or {}
    kind = event.get("type")
    if "表" in r:
        return _describe_follow_up(event, r)
    what = f"{r.get('日期', '')} {r.get('帐户ID', '')} {r.get('工作类型', '')}"
    if kind == CHANGED:
        old = event["old"]
        diffs = [f"{f}「{old.get(f, '')}」→「{r.get(f, '')}」" for f in FIELDS if old.get(f, "") != r.get(f, "")]
        return f"{what}：" + "；".join(diffs)
    if kind == LATE:
        return f"{what}：晚了 {event.get('late', '')} 才登记"
    if kind == DELETED:
        return f"{what}：被删除（{r.get('内容摘要', '') or r.get('沟通对象', '')}）"
    if kind == RESTORED:
        return f"{what}：从日志恢复"
    if kind == OTHER_SAVED:
        return f"{event.get('file', '')}：由「{event.get('saved_by', '')}」保存（不是{event.get('person', '')}的电脑用户名）"
    return what


def _describe_follow_up(event: dict, r: dict) -> str:
    what = f"{r['表']} {r.get('帐户ID', '')} {r.get('字段', '')}"
    kind, value = event.get("type"), r.get("值", "")
    if kind in (CHANGED, PROGRESS):
        old, new = (event.get("old") or {}).get("值", ""), (event.get("record") or {}).get("值", "")
        return f"{what}：「{old}」→「{new}」"
    if kind == LATE:
        return f"{what}：{value}，晚了 {event.get('late', '')} 才填"
    if kind == DELETED:
        return f"{what}：「{value}」被清除"
    return f"{what}：{value}"
