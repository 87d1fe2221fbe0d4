"""The 日志's files (docs/journal.md): one append-only JSON-lines file per month and person,
each line carrying the SHA-256 of the line before it, written under one exclusive lock.

A line is never rewritten. A power cut can leave the last line torn (no newline, or not JSON):
readers skip it, the next append first ends it with a newline so it stays what it was, and
the chain goes on from the last whole line. `verify` names the first line whose `prev` is not
the hash of the whole line before it — what an edit, a deleted or an inserted line leaves.
Plain files, not a database: SMB and NAS shares do not give SQLite the locking it relies
on, and a person can read a .jsonl without kefu-xl."""
from __future__ import annotations

import hashlib
import json
import os
import socket
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import orjson

from ..errors import KefuError
from .safe_write import create_exclusive, process_alive

LOCK_NAME = ".kefu-xl-journal.lock"
LOCK_WAIT_SECONDS = 30
LOCK_STALE_SECONDS = 600            # a lock of another computer this old was left by a crash


def digest(line: bytes) -> str:
    return hashlib.sha256(line).hexdigest()


def line_bytes(event: dict) -> bytes:
    """An event as its line: compact JSON in UTF-8, keys sorted — the bytes json.dumps(event,
    ensure_ascii=False, sort_keys=True, separators=(",", ":")) gives, made by orjson (a collect
    of 100,000 records typed in the tracker journals 21 MB: 0.05 s instead of 0.26 s)."""
    return orjson.dumps(event, option=orjson.OPT_SORT_KEYS)


def first_prev(month: str, person: str) -> str:
    """The `prev` of a file's first line: binds the chain to its month and person (a file
    copied to another person's name does not verify)."""
    return digest(f"kefu-xl 日志 {month} {person}".encode("utf-8"))


@dataclass
class Line:
    number: int                     # 1-based line number in the file
    raw: bytes                      # without its newline
    event: dict | None              # None: torn (a power cut) — skipped


def read_lines(path: Path) -> list[Line]:
    """Every line of a journal file; a line that is not a whole JSON object is torn."""
    return _parse(path.read_bytes()) if path.exists() else []


def _parse(data: bytes) -> list[Line]:
    out = []
    pieces = data.split(b"\n")
    ends_whole = data.endswith(b"\n")
    if ends_whole:
        pieces = pieces[:-1]
    for n, raw in enumerate(pieces, 1):
        event = None
        if raw and (n < len(pieces) or ends_whole):
            try:
                event = orjson.loads(raw)
            except orjson.JSONDecodeError:          # (invalid UTF-8 too)
                event = _json_loads(raw)
            if not isinstance(event, dict):
                event = None
        out.append(Line(n, raw, event))
    return out


def _json_loads(raw: bytes):
    """What Python's json reads of a line orjson refuses (NaN, a lone surrogate escaped: never
    written by kefu-xl, read as earlier releases read them); None when it is no JSON."""
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None


def _last_whole(data: bytes) -> list[Line]:
    """The last whole line of `data` alone, as _parse gives it (what _last_hash needs: a
    month's journal is not parsed again at every append), found from the end."""
    end = data.rfind(b"\n")                  # what follows the last newline is empty or torn
    while end >= 0:
        start = data.rfind(b"\n", 0, end) + 1
        whole = _parse(data[start:end + 1])
        if whole and whole[0].event is not None:
            return [Line(data.count(b"\n", 0, start) + 1, whole[0].raw, whole[0].event)]
        end = start - 1
    return []


def events(path: Path) -> list[dict]:
    return [line.event for line in read_lines(path) if line.event is not None]


def _last_hash(lines: list[Line], month: str, person: str) -> str:
    """The hash the next line's `prev` must carry."""
    whole = [line for line in lines if line.event is not None]
    return digest(whole[-1].raw) if whole else first_prev(month, person)


def append(path: Path, month: str, person: str, new: list[dict]) -> list[dict]:
    """Append events (the caller holds the lock), each chained to the line before; returns
    them with their `prev`. The file is opened for appending only, and synced. The lines kept
    of the file (kept_lines) gain the new ones: what was appended is not read back."""
    if not new:
        return []
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_symlink():
        raise KefuError(f"{path} 是一个链接：日志不会写到链接指向的地方，请删除这个链接。")
    data = path.read_bytes() if path.exists() else b""        # read once: the last hash, a torn end,
    digest_before = _bytes_digest(data)                         # whether the lines kept are of these bytes
    prev = _last_hash(_last_whole(data), month, person)
    torn = bool(data) and not data.endswith(b"\n")
    out, chunks, lines = [], [b"\n"] if torn else [], []
    for event in new:
        event = {**event, "prev": prev}
        raw = line_bytes(event)
        chunks.append(raw + b"\n")
        prev = digest(raw)
        out.append(event)
        lines.append(raw)
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags, 0o644)
    try:
        os.write(fd, b"".join(chunks))
        os.fsync(fd)
        st = os.fstat(fd)
    finally:
        os.close(fd)
    known = _KEPT.pop(path, None)
    if not torn and (not data or (known is not None and known[2] == digest_before)):
        kept = known[1] if data else []
        _KEPT[path] = ((st.st_mtime_ns, st.st_size),
                       kept + [Line(len(kept) + i, raw, event) for i, (raw, event) in enumerate(zip(lines, out), 1)],
                       _bytes_digest(data, *chunks))
    return out


def _bytes_digest(*pieces: bytes) -> str:
    h = hashlib.blake2b(digest_size=16)
    for piece in pieces:
        h.update(piece)
    return h.hexdigest()


# {path: ((mtime_ns, size), lines, hash of the bytes)}: a journal file's lines as this process
# last read or wrote them (serve asks every poll; a collect reads each file, appends to it,
# then shows the month's events: what it appended is not parsed back)
_KEPT: dict[Path, tuple[tuple[int, int], list[Line], str]] = {}


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def kept_lines(path: Path) -> tuple[tuple[int, int] | None, list[Line]]:
    """(stamp, lines) of a journal file, read again only when its time or size changed. The
    lines and their events are shared — with every caller, and with the events `append`
    returned —: read them, never change them (none of kefu-xl does)."""
    stamp = _stamp(path)
    if stamp is None:
        return None, []
    known = _KEPT.get(path)
    if known is None or known[0] != stamp:
        data = path.read_bytes()
        known = _KEPT[path] = (stamp, _parse(data), _bytes_digest(data))
    return known[0], known[1]


@dataclass
class Verdict:
    path: Path
    lines: int
    torn: list[int]
    broken: tuple[int, str] | None      # (line number, why) of the first break
    last: str                           # the hash of the last whole line


def verify(path: Path, month: str, person: str) -> Verdict:
    """Walk the chain: each whole line's `prev` must be the hash of the whole line before."""
    prev, torn, broken, count = first_prev(month, person), [], None, 0
    for line in read_lines(path):
        if line.event is None:
            torn.append(line.number)
            continue
        count += 1
        if broken is None and line.event.get("prev") != prev:
            broken = (line.number, "与上一行接不上（上一行被改动、删除，或这一行是后加的）")
        prev = digest(line.raw)
    return Verdict(path, count, torn, broken, prev)


class JournalLock:
    """`.kefu-xl-journal.lock` in the workspace, made by exclusive create: one writer of the
    journal at a time (serve's collect, a manager's collect, journal restore). A second
    waits up to LOCK_WAIT_SECONDS, then refuses; a lock whose process is gone (this
    computer) or older than LOCK_STALE_SECONDS (another one) is taken over."""

    def __init__(self, workspace: Path, wait: float = LOCK_WAIT_SECONDS):
        self.path, self.wait = workspace / LOCK_NAME, wait

    def __enter__(self) -> JournalLock:
        deadline = time.monotonic() + self.wait
        me = f"{socket.gethostname()} {os.getpid()} {datetime.now().isoformat(timespec='seconds')}"
        while True:
            try:
                fd = create_exclusive(self.path, 0o644)
            except FileExistsError:
                if self._stale():
                    self.path.unlink(missing_ok=True)
                    continue
                if time.monotonic() >= deadline:
                    raise KefuError(f"日志正在被另一个汇总写入（{self.path.name}：{self._holder()}）：请稍后再运行。"
                                    f"确认没有别的 kefu-xl 在运行时，可以删除这个文件。") from None
                time.sleep(0.05)
                continue
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(me)
            return self

    def __exit__(self, *exc) -> None:
        self.path.unlink(missing_ok=True)

    def _holder(self) -> str:
        try:
            return self.path.read_text("utf-8").strip()
        except OSError:
            return "不详"

    def _stale(self) -> bool:
        parts = self._holder().split()
        try:
            age = time.time() - self.path.stat().st_mtime
        except OSError:
            return False
        if len(parts) >= 2 and parts[0] == socket.gethostname() and parts[1].isdigit():
            return not process_alive(int(parts[1]))
        return age > LOCK_STALE_SECONDS
