"""What calamine read of a personal workbook, kept beside it in `.kefu-cache/` so that a
workbook read again unchanged is not parsed again.

A team recalc reads every personal workbook of the month (four sheets each, ~5 ms a
workbook); between two recalcs of `kefu-xl serve` one person's save changes one of them.
An entry is one JSON file per workbook and set of sheets (个人/.kefu-cache/张敏_2026-11.<sheets>.json)
holding the workbook's content hash: it is used only when the bytes read now hash the same,
so a copy, a restore or a clock set back never serve stale values. JSON, never pickle: the
folder may be shared, and reading an entry must not run anything. Nothing is written or
removed through a link (a `.kefu-cache` that is a link is left alone). An entry that cannot be
read or written (a read-only share, a full disk) costs only the parse it would have saved."""
from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import io
import json
import os
import secrets
from datetime import date, datetime, time, timedelta
from pathlib import Path

from .grid import GridSheet, calamine_sheets
from .safe_write import create_exclusive

FOLDER = ".kefu-cache"
VERSION = 2          # bump when what calamine_sheets returns, or how it is kept, changes shape


@functools.cache
def _version() -> str:
    """This format's version and python-calamine's: a calamine that reads values otherwise
    (a date as a datetime, say) does not take an older reading for its own."""
    try:
        calamine = importlib.metadata.version("python-calamine")
    except importlib.metadata.PackageNotFoundError:
        calamine = "?"
    return f"{VERSION}/{calamine}"


def read_kept(path: Path, only: tuple[str, ...], parse=calamine_sheets, later: list | None = None) -> dict[str, GridSheet]:
    """parse(the file's bytes, only) — calamine_sheets —, from the kept entry when the file's
    bytes are those it was made from. What parse raises for a broken file goes through
    (nothing is kept then). With `later`, a new entry is added to it instead of written
    (`keep(later)` writes them: a read ahead of a recalc that may yet refuse writes nothing)."""
    path = Path(path)
    data = path.read_bytes()
    digest = hashlib.blake2b(data, digest_size=16).hexdigest()
    entry = entry_path(path, only)
    kept = _load(entry, digest)
    if kept is not None:
        return kept
    sheets = parse(io.BytesIO(data), only)
    if later is None:
        _store(entry, digest, sheets)
    else:
        later.append((entry, digest, sheets))
    return sheets


def keep(later: list) -> None:
    """Write the entries read_kept put aside in `later` (and forget them)."""
    for entry, digest, sheets in later:
        _store(entry, digest, sheets)
    later.clear()


def entry_path(path: Path, only: tuple[str, ...]) -> Path:
    sheets = hashlib.blake2b("\t".join(only).encode(), digest_size=4).hexdigest()
    return path.parent / FOLDER / f"{path.stem}.{sheets}.json"


def prune(folder: Path, names: set[str]) -> None:
    """Remove the entries of workbooks no longer in `folder` (`names`: the stems still there)."""
    kept = folder / FOLDER
    if kept.is_symlink() or not kept.is_dir():
        return                                # (a link is nobody's cache: nothing through it is touched)
    try:
        entries = list(kept.iterdir())
    except OSError:
        return                                # (another user's folder, a share that hiccups: next time)
    for entry in entries:
        stem = entry.name.rsplit(".", 2)[0]
        if stem not in names or not entry.name.endswith(".json"):
            try:
                entry.unlink()
            except OSError:
                pass


_PARSE = {"dt": datetime.fromisoformat, "d": date.fromisoformat, "t": time.fromisoformat,
          "td": lambda s: timedelta(seconds=float(s))}


_JSON_TYPES = frozenset((str, int, float, bool, type(None)))


def _encode(value) -> tuple[str, str] | None:
    if isinstance(value, datetime):
        return "dt", value.isoformat()
    if isinstance(value, date):
        return "d", value.isoformat()
    if isinstance(value, time):
        return "t", value.isoformat()
    if isinstance(value, timedelta):
        return "td", repr(value.total_seconds())
    return None


def _store(entry: Path, digest: str, sheets: dict[str, GridSheet]) -> None:
    out = {}
    for name, sheet in sheets.items():
        grid, special = [], []
        widths = {len(row) for row in sheet.grid}
        width = widths.pop() if len(widths) == 1 else None     # calamine's rows are all as wide
        for r, row in enumerate(sheet.grid):
            if width is not None and row and row[-1] is None:  # a row's empty cells on the right are
                end = len(row)                                 # not kept (most of a buffer row)
                while end and row[end - 1] is None:
                    end -= 1
                row = row[:end]
            if _JSON_TYPES.issuperset(map(type, row)):
                grid.append(row)
                continue
            plain = list(row)
            for c, v in enumerate(plain):
                if type(v) not in _JSON_TYPES:
                    tagged = _encode(v)
                    if tagged is None:
                        return                    # a value JSON cannot carry: not kept
                    special.append([r, c, *tagged])
                    plain[c] = None
            grid.append(plain)
        out[name] = {"grid": grid, "width": width, "special": special,
                     "merged": [list(map(list, m)) for m in sheet.merged]}
    text = json.dumps({"v": _version(), "sha": digest, "sheets": out}, ensure_ascii=False, separators=(",", ":"))
    temp = entry.with_name(f".~{secrets.token_hex(4)}-{entry.name}")
    try:
        if entry.parent.is_symlink():
            return                            # never written through a link (it could lead out of the workspace)
        entry.parent.mkdir(exist_ok=True)
        with os.fdopen(create_exclusive(temp), "w", encoding="utf-8") as out:     # (0o600, as backups)
            out.write(text)
        os.replace(temp, entry)
    except OSError:
        try:
            temp.unlink(missing_ok=True)
        except OSError:
            pass


def _load(entry: Path, digest: str) -> dict[str, GridSheet] | None:
    try:
        kept = json.loads(entry.read_text("utf-8"))
        if kept.get("v") != _version() or kept.get("sha") != digest:
            return None
        out = {}
        for name, sheet in kept["sheets"].items():
            grid, width = sheet["grid"], sheet["width"]
            if type(grid) is not list or not all(type(row) is list and _JSON_TYPES.issuperset(map(type, row))
                                                  for row in grid):
                return None                   # not what _store writes
            if width is not None:
                if type(width) is not int or not 0 <= width <= 16384 or any(len(row) > width for row in grid):
                    return None
                grid = [row + [None] * (width - len(row)) if len(row) < width else row for row in grid]
            for r, c, tag, text in sheet["special"]:
                grid[r][c] = _PARSE[tag](text)
            out[name] = GridSheet(name, grid, [tuple(map(tuple, m)) for m in sheet["merged"]])
        return out
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        return None                           # unreadable or not ours: parse the workbook
