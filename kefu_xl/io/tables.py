"""Reading a table of an input file (xlsx or csv) by header text.

The header may sit under a title row (any of the first 10 rows), columns may be in any
order and extra columns are ignored. Every problem of a file is collected, not raised.
"""
from __future__ import annotations

import csv
import functools
import io
import zipfile
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from ..errors import InputFileError, InputMissingError
from ..records import Problem
from .grid import calamine_sheets
from .guard import check_zip
from .headers import (
    aliases_near,
    header_key,
    header_lookup,
    header_texts,
    missing_message,
)
from .read_cache import read_kept
from .values import is_blank

HEADER_SCAN_ROWS = 10


@dataclass
class Table:
    """Rows of one sheet as {header: raw value}, with the sheet row of each."""
    file: str
    sheet: str
    headers: dict[str, int]                  # header text -> 1-based column
    header_row: int | None = None            # 1-based row of the (best guess of the) header
    rows: list[tuple[int, dict[str, object]]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def problem(self, row: int | None, column: str, code: str, message: str, **kw) -> Problem:
        p = Problem(self.file, self.sheet, row, column, code, message, **kw)
        self.problems.append(p)
        return p


def find_input(folder: Path, stem: str, notes: list[str] | None = None) -> Path:
    """`stem`.xlsx or `stem`.csv in `folder`; a clear error saying where it looked. When both
    are there the newer one is used and `notes` (when given) says so — a person dropped a new
    export beside an old one, and must hear which was read."""
    found = [folder / f"{stem}{suffix}" for suffix in (".xlsx", ".csv") if (folder / f"{stem}{suffix}").exists()]
    if len(found) == 2:
        newer, older = sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)
        if notes is not None:
            at = datetime.fromtimestamp(newer.stat().st_mtime).strftime("%m-%d %H:%M")
            notes.append(f"{folder.name}/ 中同时有 {found[0].name} 和 {found[1].name}：读取了较新的 {newer.name}"
                         f"（修改于 {at}），没有读 {older.name}。请删除或改名不用的那个，以免读错。")
        return newer
    if found:
        return found[0]
    for suffix in (".xls", ".et", ".ods"):
        if (folder / f"{stem}{suffix}").exists():
            raise InputFileError(f"找到了 {folder / (stem + suffix)}，但 kefu-xl 只读 .xlsx 或 .csv："
                                 f"请在 Excel/WPS 中「另存为」Excel 工作簿 (.xlsx) 后再运行。")
    raise InputMissingError(f"没有找到输入文件 {stem}.xlsx 或 {stem}.csv（查找位置：{folder}）。"
                            f"请把导出的文件放到该文件夹后再运行。")


def csv_encoding(data: bytes, name: str) -> str:
    """The encoding of a CSV export: UTF-16 (by its BOM), UTF-8 with or without BOM, or GBK
    (gb18030, its superset). The whole file is decoded once to be sure."""
    if not data.strip():
        raise InputFileError(f"{name} 是空文件，请重新导出。")
    encodings = ("utf-16",) if data.startswith((b"\xff\xfe", b"\xfe\xff")) else ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            data.decode(encoding)
            return encoding
        except UnicodeDecodeError:
            continue
    raise InputFileError(f"{name} 的编码无法识别（支持 UTF-8、GBK、UTF-16），请用「CSV UTF-8」重新导出。")


def decode_csv(path: Path) -> str:
    """The text of a CSV export (encoding as in csv_encoding)."""
    data = path.read_bytes()
    return data.decode(csv_encoding(data, path.name))


def _grid_from_csv(path: Path) -> list[list[object]]:
    text = decode_csv(path)
    dialect = csv.excel_tab if text.count("\t") > text.count(",") else csv.excel
    return [list(r) for r in csv.reader(io.StringIO(text, newline=""), dialect)]


def open_workbook(path: Path, *, data_only: bool = True, read_only: bool = False):
    """openpyxl workbook, or an InputFileError saying in Chinese what is wrong."""
    if not path.exists():
        raise InputFileError(f"文件不存在：{path}")
    if path.stat().st_size == 0:
        raise InputFileError(f"{path.name} 是空文件（0 字节），请重新导出或从备份恢复。")
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise InputFileError(f"{path.name} 是旧版 .xls 格式：请在 Excel/WPS 中另存为 .xlsx 后再运行。")
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
        if head.startswith(b"\xd0\xcf\x11\xe0"):
            raise InputFileError(f"{path.name} 不是 .xlsx 文件（可能是加密的工作簿或旧版 .xls）："
                                 f"请取消密码保护，或另存为 .xlsx 后再运行。")
        if zipfile.is_zipfile(path):
            check_zip(path)
        return openpyxl.load_workbook(path, data_only=data_only, read_only=read_only)
    except InputFileError:
        raise
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError, EOFError) as e:
        raise InputFileError(f"{path.name} 不是有效的 Excel 工作簿，或文件已损坏（{type(e).__name__}）："
                             f"请在 Excel/WPS 中打开确认，另存为 .xlsx 后再运行。") from None


def locate_header(grid: list[list[object]], wanted: list[str],
                  aliases=None) -> tuple[int, dict[str, int]]:
    """(0-based row index, {header: 1-based column}) of the row matching most of `wanted`
    (headers compared as io.headers decides, with the workspace's `aliases`)."""
    wanted_keys = header_lookup(wanted, aliases)
    best = (-1, 0, {})
    for i, row in enumerate(grid[:HEADER_SCAN_ROWS]):
        found = {}
        for j, value in enumerate(row):
            key = header_key(value)
            if key in wanted_keys and wanted_keys[key] not in found:
                found[wanted_keys[key]] = j + 1
        if len(found) > best[1]:
            best = (i, len(found), found)
    return best[0], best[2]


def table_from_grid(grid: list[list[object]], file: str, sheet: str, required: list[str],
                    optional: list[str] = (), first_row: int = 1, aliases=None) -> Table:
    index, headers = locate_header(grid, [*required, *optional], aliases)
    table = Table(file, sheet, headers, first_row + index if index >= 0 else None)
    missing = [h for h in required if h not in headers]
    if missing:
        found = header_texts(grid[index] if index >= 0 else [])
        table.problem(first_row + max(index, 0) if index >= 0 else None, "、".join(missing),
                      "MISSING_HEADER", missing_message(missing, found))
        return table
    for i in range(index + 1, len(grid)):
        raw = grid[i]
        values = {h: (raw[c - 1] if c - 1 < len(raw) else None) for h, c in headers.items()}
        if all(is_blank(v) for v in values.values()):
            continue
        table.rows.append((first_row + i, values))
    return table


def check_workbook_file(path: Path) -> None:
    """Refuse early what is not an .xlsx: missing, empty, old .xls, encrypted (OLE) files."""
    if not path.exists():
        raise InputFileError(f"文件不存在：{path}")
    if path.stat().st_size == 0:
        raise InputFileError(f"{path.name} 是空文件（0 字节），请重新导出或从备份恢复。")
    if path.suffix.lower() == ".xls":
        raise InputFileError(f"{path.name} 是旧版 .xls 格式：请在 Excel/WPS 中另存为 .xlsx 后再运行。")
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputFileError(f"{path.name} 不是 .xlsx 文件（可能是加密的工作簿或旧版 .xls）："
                             f"请取消密码保护，或另存为 .xlsx 后再运行。")
    if not zipfile.is_zipfile(path):
        raise InputFileError(f"{path.name} 不是有效的 Excel 工作簿，或文件已损坏：请在 Excel/WPS 中打开确认，另存为 .xlsx 后再运行。")
    check_zip(path)


def read_sheets_fast(path: Path, only: tuple[str, ...] | None = None):
    """{sheet name: GridSheet} of an input workbook, read by calamine (values only, fast);
    with `only`, just those sheets. A file read again unchanged (same size and modification
    time) is not parsed twice, and a file being read ahead (prefetch_sheets) is taken from there."""
    path = Path(path)
    pending = _pending.pop((str(path.resolve()), None if only is None else tuple(only)), None)
    if pending is not None and path.exists() and pending[0] == (path.stat().st_mtime_ns, path.stat().st_size):
        return pending[1].result()
    if only is not None:
        check_workbook_file(path)
        stat = path.stat()
        return _read_sheets_cached(str(path.resolve()), stat.st_mtime_ns, stat.st_size, tuple(only))
    return _read_sheets_now(path)


def _read_sheets_now(path: Path, only: tuple[str, ...] | None = None):
    check_workbook_file(path)
    stat = path.stat()
    return _read_sheets_cached(str(path.resolve()), stat.st_mtime_ns, stat.st_size, only)


_pending: dict[tuple[str, tuple | None], tuple[tuple[int, int], Future]] = {}


@contextmanager
def prefetch_sheets(paths, only: tuple[str, ...] | None = None):
    """Read these workbooks ahead (just the sheets in `only`, when given), in a background
    thread, while the block goes on with other work: calamine releases the GIL while it
    parses, so the parsing overlaps the caller's Python work. read_sheets_fast takes the
    results (or its errors) in whatever order it is asked; what the block did not ask for is
    dropped when it ends, and the thread is gone by then."""
    paths = [Path(p) for p in paths if Path(p).is_file()]
    only = None if only is None else tuple(only)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kefu-read") as pool:
        mine = {}
        for path in paths:
            stat = path.stat()
            mine[(str(path.resolve()), only)] = ((stat.st_mtime_ns, stat.st_size),
                                                 pool.submit(_read_sheets_now, path, only))
        _pending.update(mine)
        try:
            yield
        finally:
            for key, entry in mine.items():
                if _pending.get(key) is entry:
                    del _pending[key]
                entry[1].cancel()


@functools.lru_cache(maxsize=8)
def _read_sheets_cached(path: str, mtime_ns: int, size: int, only: tuple[str, ...] | None = None):
    return _calamine(path, only, Path(path).name)


def _calamine(source, only: tuple[str, ...] | None, name: str):
    try:
        return calamine_sheets(source, only)
    except Exception as e:  # calamine raises its own error types for broken parts
        raise InputFileError(f"{name} 不是有效的 Excel 工作簿，或文件已损坏（{type(e).__name__}: {str(e)[:120]}）："
                             f"请在 Excel/WPS 中打开确认，另存为 .xlsx 后再运行。") from None


def read_sheets_fresh(path: Path, only: tuple[str, ...] | None = None):
    """read_sheets_fast without keeping anything: a small file that must be read as it is now
    even when a restore gave it back its old time and size (名册, read by every recalc)."""
    path = Path(path)
    check_workbook_file(path)
    return _calamine(path, None if only is None else tuple(only), path.name)


def read_sheets_kept(path: Path, only: tuple[str, ...], later: list | None = None):
    """read_sheets_fast(path, only) for a workbook read again and again (the personal
    workbooks every team recalc collects): what was read of it is kept beside it
    (io/read_cache) and used while its bytes stay the same (`later`: read_kept's)."""
    path = Path(path)

    def parse(data, sheets):           # the checks only for bytes not read before
        check_workbook_file(path)
        return _calamine(data, sheets, path.name)
    if not path.is_file():
        check_workbook_file(path)                  # says what is wrong
    try:
        return read_kept(path, tuple(only), parse, later)
    except OSError as e:
        raise InputFileError(f"{path.name} 无法读取（{e.strerror or e}）：请确认文件没有被移走，稍后再运行。") from None


def read_table(path: Path, required: list[str], optional: list[str] = (),
               sheet: str | None = None) -> Table:
    """Read the table of `path` (first sheet unless `sheet`), headers by text (with the
    [headers] aliases of the workspace the file is in)."""
    aliases = aliases_near(path)
    if path.suffix.lower() == ".csv":
        return table_from_grid(_grid_from_csv(path), path.name, "", required, optional, aliases=aliases)
    sheets = read_sheets_fast(path)
    if not sheets:
        raise InputFileError(f"{path.name} 里没有工作表。")
    ws = sheets.get(sheet) if sheet else None
    ws = ws or next(iter(sheets.values()))
    table = table_from_grid(ws.grid, path.name, ws.title, required, optional, aliases=aliases)
    if table.header_row:
        merged = [_range_name(m) for m in ws.merged if _spans_row(m, table.header_row)]
        if merged:
            table.problem(table.header_row, "", "MERGED_HEADER",
                          f"表头行有合并单元格（{'、'.join(merged)}）：请取消合并，让每列只有一个表头。")
    return table


def _spans_row(merged, row: int) -> bool:
    (r0, c0), (r1, c1) = merged
    return r0 + 1 <= row <= r1 + 1 and c1 > c0


def _range_name(merged) -> str:
    from openpyxl.utils import get_column_letter
    (r0, c0), (r1, c1) = merged
    return f"{get_column_letter(c0 + 1)}{r0 + 1}:{get_column_letter(c1 + 1)}{r1 + 1}"
