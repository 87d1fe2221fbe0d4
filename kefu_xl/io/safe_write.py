"""Saving workbooks without losing anyone's data.

Every write goes through `save_workbook`: refuse when the file is open in Excel/WPS/
LibreOffice, refuse when openpyxl would drop content (unless forced), write to a temp
file beside the target, keep a timestamped backup of the previous version in
`.kefu-backup/`, then atomically replace.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from ..errors import ChangedOnDiskError, FileLockedError, UnsafeToWriteError

BACKUP_DIR = ".kefu-backup"

# Parts of an .xlsx that openpyxl does not carry through a load/save.
_DROPPED_PARTS = {
    "xl/drawings/drawing": "图片、形状或图表",   # (xl/drawings/vmlDrawing*.vml are comments: openpyxl keeps those)
    "xl/charts/": "图表",
    "xl/media/": "图片",
    "xl/pivotTables/": "数据透视表",
    "xl/slicers/": "切片器",
    "xl/timelines/": "日程表",
    "xl/threadedComments/": "新版批注（会话式批注）",
    "xl/ctrlProps/": "表单控件",
    "xl/activeX/": "ActiveX 控件",
    "xl/vbaProject.bin": "宏（VBA）",
}


def lock_names(name: str) -> set[str]:
    """Names of the lock files Excel/WPS (~$name) and LibreOffice (.~lock.name#) leave beside an open file."""
    return {f"~${name}", f"~${name[2:]}", f".~lock.{name}#"}


def lock_files(path: Path) -> list[Path]:
    """The lock files beside `path` (it is open somewhere when there are any)."""
    return [path.parent / n for n in lock_names(path.name) if (path.parent / n).exists()]


def file_stamp(path: Path) -> tuple[int, int] | None:
    """(modification time in ns, size) of `path`, None when it is not there: what tells a
    version of a file from the next."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_mtime_ns, stat.st_size


def check_not_open(path: Path) -> None:
    locks = lock_files(path)
    if locks:
        raise FileLockedError(
            f"{path.name} 正在被 Excel/WPS/LibreOffice 打开（发现锁文件 {locks[0].name}），kefu-xl 没有修改它。"
            f"请先保存并关闭该文件再运行；如果文件已关闭，可能是程序异常退出留下的锁文件，删除 {locks[0]} 即可。")


def droppable_content(path: Path) -> list[str]:
    """What saving this file through openpyxl would lose (Chinese names), empty when nothing."""
    if not path.exists():
        return []
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
    except zipfile.BadZipFile:
        return []
    found = []
    for prefix, label in _DROPPED_PARTS.items():
        parts = [n for n in names if n.startswith(prefix)]
        if prefix == "xl/drawings/drawing":
            # LibreOffice writes an empty drawing part per sheet: only anchored objects are content
            with zipfile.ZipFile(path) as z:
                parts = [n for n in parts if b"Anchor" in z.read(n)]
        if parts and label not in found:
            found.append(label)
    return found


def check_droppable(path: Path, force: bool = False) -> list[str]:
    """Raise UnsafeToWriteError when content would be dropped, unless `force` (then return it)."""
    lost = droppable_content(path)
    if lost and not force:
        raise UnsafeToWriteError(
            f"{path.name} 中有 kefu-xl 无法保留的内容：{'、'.join(lost)}。为免丢失，kefu-xl 没有修改它。"
            f"请把这些内容移到另一个文件，或确认可以丢弃后加 --force 重新运行（原文件会先备份到 {BACKUP_DIR}/）。")
    return lost


def backup(path: Path, now: datetime | None = None) -> Path | None:
    """Copy `path` into .kefu-backup/ beside it with a timestamp; None when there is nothing to back up."""
    if not path.exists():
        return None
    folder = path.parent / BACKUP_DIR
    folder.mkdir(exist_ok=True)
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S-%f")
    target = folder / f"{path.stem}.{stamp}{path.suffix}"
    shutil.copy2(path, target)
    return target


class Staged:
    """The temp file staged_write hands out; `backup` is set once it has replaced the target."""
    def __init__(self, tmp: Path):
        self.tmp, self.backup = tmp, None


@contextmanager
def staged_write(path: Path, unchanged_since: tuple[int, int] | None = None):
    """Yield a Staged whose .tmp is a temp file beside `path`. When the block ends normally the
    temp file is flushed to disk, the old file is backed up and the temp file atomically
    replaces it; when the block raises, the temp file is removed and `path` is untouched.
    Nesting two of them commits the inner one first.
    With `unchanged_since` (the file_stamp of the version that was read), a file saved or
    opened meanwhile is not replaced: ChangedOnDiskError / FileLockedError, nothing written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".~kefu-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    staged = Staged(Path(tmp_name))
    try:
        yield staged
        with open(staged.tmp, "rb") as fh:
            os.fsync(fh.fileno())
        staged.backup = backup(path)
        if unchanged_since is not None:        # checked last, so the window before the rename is a few ms
            try:
                check_unchanged(path, unchanged_since)
            except (ChangedOnDiskError, FileLockedError):
                if staged.backup is not None:      # a copy of a version nobody replaced
                    staged.backup.unlink(missing_ok=True)
                    staged.backup = None
                raise
        os.replace(staged.tmp, path)
    finally:
        if staged.tmp.exists():
            staged.tmp.unlink()


def check_unchanged(path: Path, stamp: tuple[int, int]) -> None:
    """Raise unless `path` is still the version `stamp` names and nobody has it open."""
    check_not_open(path)
    if file_stamp(path) != stamp:
        raise ChangedOnDiskError(f"{path.name} 在 kefu-xl 处理期间被修改或保存过：为免覆盖别人的内容，这次的结果没有写入，"
                                 f"文件保持为对方保存的样子。请再运行一次（kefu-xl serve 会自动重试）。")


def atomic_write(path: Path, write, unchanged_since: tuple[int, int] | None = None) -> Path | None:
    """Call write(tmp_path), then back up the old file and atomically move tmp into place;
    returns the backup (None for a new file). `unchanged_since`: see staged_write."""
    with staged_write(path, unchanged_since) as staged:
        write(staged.tmp)
    return staged.backup


def save_workbook(wb, path: Path, *, force: bool = False) -> Path | None:
    """Save an openpyxl workbook safely; returns the backup path (None for a new file)."""
    check_not_open(path)
    check_droppable(path, force)
    return atomic_write(path, wb.save)
