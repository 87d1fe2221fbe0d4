"""Saving workbooks without losing anyone's data.

Every write goes through `save_workbook`: refuse when the file is open in Excel/WPS/
LibreOffice, refuse when openpyxl would drop content (unless forced), write to a temp
file beside the target, keep a timestamped backup of the previous version in
`.kefu-backup/`, then atomically replace.
"""
from __future__ import annotations

import ctypes
import errno
import os
import re
import secrets
import shutil
import socket
import stat
import time
import zipfile
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from ..config import Backups, config_for
from ..errors import (
    BrokenPackageError,
    ChangedOnDiskError,
    DiskFullError,
    FileLockedError,
    KefuError,
    ReadOnlyFileError,
    UnsafeToWriteError,
)
from .xlsx.package import package_problems, sheet_parts

BACKUP_DIR = ".kefu-backup"
# Temp files are named .~kefu-<host>-<pid>-<random>-<name>: never mistaken for a workbook (a
# leading dot), and a later run can tell a killed run's leftover from a live one's.
TEMP_PREFIX = ".~kefu-"
_TEMP_NAME = re.compile(r"^\.~kefu-(?P<host>[A-Za-z0-9]{1,16})-(?P<pid>\d+)-[0-9a-f]{8}-")
STALE_SECONDS = 3600          # another machine's temp file this old is a leftover
LEGACY_STALE_SECONDS = 600    # temp files of earlier versions carry no owner: by age only

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


def is_temp_name(name: str) -> bool:
    """Files kefu-xl (or Excel/WPS/LibreOffice) keep beside a workbook while writing or
    editing it: never read as workbooks."""
    return name.startswith((TEMP_PREFIX, "~$", ".~lock."))


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9]", "", socket.gethostname())[:16] or "host"


def temp_path(path: Path) -> Path:
    """A temp file name beside `path` that says which process on which machine made it."""
    return path.with_name(f"{TEMP_PREFIX}{_host()}-{os.getpid()}-{secrets.token_hex(4)}-{path.name}")


def process_alive(pid: int) -> bool:
    """Whether process `pid` of this computer still runs. Never os.kill on Windows: there it
    ends the process instead of asking about it."""
    if os.name == "nt":
        kernel32 = ctypes.windll.kernel32
        handle = kernel32.OpenProcess(0x1000, False, pid)          # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return kernel32.GetLastError() == 5                     # access denied: it exists
        try:
            code = ctypes.c_ulong()
            kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
            return code.value == 259                                # STILL_ACTIVE
        finally:
            kernel32.CloseHandle(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def clean_stale_temps(folder: Path) -> list[Path]:
    """Remove temp files a killed run left in `folder` (files are always old-or-new, but the
    temp file itself stayed): this machine's when their process is gone, another machine's
    when they are over an hour old. Returns what was removed."""
    stale_ones: list[Path] = []
    if not folder.is_dir():
        return stale_ones
    now = time.time()
    for candidate in folder.glob(f"{TEMP_PREFIX}*"):
        m = _TEMP_NAME.match(candidate.name)
        try:
            age = now - candidate.stat().st_mtime
        except OSError:
            continue
        if m is None:
            stale = age > LEGACY_STALE_SECONDS
        elif m["host"] == _host():
            stale = not process_alive(int(m["pid"]))
        else:
            stale = age > STALE_SECONDS
        if stale:
            stale_ones.append(candidate)
    return _unlink_all(stale_ones)


def _unlink_all(paths: list[Path]) -> list[Path]:
    """Remove each of `paths` that can be removed (another process may have done it); those removed."""
    removed = []
    for path in paths:
        try:
            path.unlink()
            removed.append(path)
        except OSError:
            pass
    return removed


def check_writable(path: Path) -> None:
    """Refuse a file that is read-only (its own mode, or a folder we cannot write in)."""
    if not path.exists():
        if not os.access(path.parent, os.W_OK):
            raise ReadOnlyFileError(f"没有权限在 {path.parent} 中写文件，kefu-xl 没有写入 {path.name}。"
                                    f"请检查文件夹的权限（共享文件夹需要「写入」权限）。")
        return
    mode = path.stat().st_mode
    if not mode & stat.S_IWUSR or not os.access(path, os.W_OK):
        raise ReadOnlyFileError(f"{path.name} 是只读文件，kefu-xl 没有修改它。如果要让 kefu-xl 更新它，"
                                f"请先去掉只读属性（Windows：右键 → 属性 → 取消「只读」）再运行。")
    if not os.access(path.parent, os.W_OK):
        raise ReadOnlyFileError(f"没有权限在 {path.parent} 中写文件，kefu-xl 没有修改 {path.name}。"
                                f"请检查文件夹的权限（共享文件夹需要「写入」权限）。")


def _new_file_mode() -> int:
    """The mode a file created normally gets here (0666 less the umask)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


# What a person may add to a sheet, counted in the sheet's XML before and after a whole-file
# rewrite (openpyxl drops the x14 extensions: data bars, icon sets, drop-downs from other sheets).
_FEATURES = (
    (re.compile(rb"<(?:\w+:)?dataValidation\b"), "下拉列表/数据验证"),
    (re.compile(rb"<(?:\w+:)?conditionalFormatting\b"), "条件格式"),
    (re.compile(rb"<(?:\w+:)?dataBar\b"), "数据条"),
    (re.compile(rb"<(?:\w+:)?iconSet\b"), "图标集"),
    (re.compile(rb"<(?:\w+:)?filterColumn\b"), "筛选条件"),
    (re.compile(rb"<(?:\w+:)?sortState\b"), "排序状态"),
    (re.compile(rb"<(?:\w+:)?hyperlink\b"), "超链接"),
    (re.compile(rb"<(?:\w+:)?sparklineGroup\b"), "迷你图"),
    (re.compile(rb"<legacyDrawing\b"), "批注"),
)
# parts whose going is no loss: rebuilt by Excel, or rewritten in another form
_REBUILT = ("xl/calcChain.xml", "xl/sharedStrings.xml", "docProps/", "xl/theme/", "xl/printerSettings/",
            "customXml/", "xl/_rels/", "_rels/", "[Content_Types].xml")


def _sheet_xml(z: zipfile.ZipFile) -> dict[str, bytes]:
    out = {}
    for name, part in sheet_parts(z).items():
        try:
            out[name] = z.read(part)
        except KeyError:
            continue
    return out


def lost_in_rewrite(original: Path, rewritten: Path) -> list[str]:
    """What a person had in `original` that `rewritten` lacks: sheets, parts (charts, images…),
    and per sheet their drop-downs, conditional formats, filters, sort, links, comments."""
    lost: list[str] = []
    with zipfile.ZipFile(original) as a, zipfile.ZipFile(rewritten) as b:
        before, after = _sheet_xml(a), _sheet_xml(b)
        for name, xml in before.items():
            if name not in after:
                lost.append(f"工作表「{name}」")
                continue
            for pattern, label in _FEATURES:
                n_before, n_after = len(pattern.findall(xml)), len(pattern.findall(after[name]))
                if n_after < n_before:
                    lost.append(f"「{name}」的{label}（{n_before - n_after} 处）")
        kept = set(b.namelist())
        gone = [n for n in a.namelist() if n not in kept and not n.startswith(_REBUILT)
                and not n.startswith("xl/worksheets/")]
        for prefix, label in _DROPPED_PARTS.items():
            if any(n.startswith(prefix) for n in gone) and label not in lost:
                lost.append(label)
        if any(not n.startswith(tuple(_DROPPED_PARTS)) for n in gone):
            lost.append("其他部件（" + "、".join(n for n in gone if not n.startswith(tuple(_DROPPED_PARTS)))[:80] + "）")
    return lost


def check_no_loss(original: Path, rewritten: Path, force: bool = False) -> list[str]:
    """Refuse (UnsafeToWriteError) a whole-file rewrite that would lose what lost_in_rewrite
    finds, unless `force`; returns what is lost."""
    if not original.exists():
        return []
    lost = lost_in_rewrite(original, rewritten)
    if lost and not force:
        raise UnsafeToWriteError(
            f"{original.name} 需要整本重写，而重写会丢掉：{'；'.join(lost)}。为免丢失，kefu-xl 没有修改它。"
            f"请把这些内容移到别的文件或工作表，或确认可以丢弃后加 --force 重新运行（原文件会先备份到 {BACKUP_DIR}/）。")
    return lost


def _no_link(path: Path, what: str) -> None:
    """Refuse to write through a symbolic link (it may lead outside the workspace)."""
    if path.is_symlink():
        raise UnsafeToWriteError(f"{path} 是一个链接（快捷方式），{what}会写到链接指向的地方（可能在工作区外）："
                                 f"kefu-xl 没有写入。请把链接换成普通的{'文件夹' if what == '备份' else '文件'}。")


def create_exclusive(path: Path, mode: int = 0o600) -> int:
    """A new file opened for writing (its descriptor) that was not there: exclusive, no link
    followed — how every file kefu-xl makes is created (temp files, backups, serve's lock)."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0),
                   mode)


def backup(path: Path, now: datetime | None = None) -> Path | None:
    """Copy `path` into .kefu-backup/ beside it with a timestamp; None when there is nothing to
    back up. The copy is checked whole (its size) before anyone relies on it; a folder or a
    name that is a link is refused."""
    if not path.exists():
        return None
    folder = path.parent / BACKUP_DIR
    _no_link(folder, "备份")
    folder.mkdir(exist_ok=True)
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S-%f")
    target = folder / f"{path.stem}.{stamp}{path.suffix}"
    try:
        with open(path, "rb") as src, os.fdopen(create_exclusive(target), "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        shutil.copystat(path, target)
        if target.stat().st_size != path.stat().st_size:
            raise OSError(errno.EIO, "备份不完整")
    except OSError:
        target.unlink(missing_ok=True)          # never leave a half copy that looks like a backup
        raise
    prune_backups(path, backup_limits(path), now)
    return target


def backup_limits(path: Path) -> Backups:
    """The [backup] limits of the workspace `path` is in (the defaults outside one, or when its
    kefu-xl.toml cannot be read: a backup is never the reason a write fails)."""
    try:
        return config_for(path).backups
    except (KefuError, OSError):
        return Backups()


def prune_backups(path: Path, limits: Backups, now: datetime | None = None) -> list[Path]:
    """Remove copies of `path` in .kefu-backup/ beyond the newest `limits.keep` that are also
    older than `limits.keep_days` days (the newest is never removed). Returns what went."""
    folder = path.parent / BACKUP_DIR
    if not folder.is_dir() or folder.is_symlink():
        return []
    named = re.compile(re.escape(path.stem) + r"\.(\d{8}-\d{6}-\d{6})" + re.escape(path.suffix) + "$")
    copies = []
    for candidate in folder.iterdir():
        m = named.match(candidate.name)
        if m:
            copies.append((datetime.strptime(m.group(1), "%Y%m%d-%H%M%S-%f"), candidate))
    copies.sort(reverse=True)
    cutoff = (now or datetime.now()) - timedelta(days=limits.keep_days)
    return _unlink_all([candidate for made, candidate in copies[max(limits.keep, 1):] if made < cutoff])


def disk_full_message(path: Path, e: OSError) -> str | None:
    """The Chinese message of a write that failed for lack of space (None for other errors)."""
    if e.errno not in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return None
    return (f"磁盘已满：{path.name} 没有写入，原文件保持不变（kefu-xl 已删除写了一半的临时文件和备份）。"
            f"请清理 {path.parent} 所在的磁盘（例如删除 {BACKUP_DIR}/ 里很旧的备份）后再运行。")


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
    _no_link(path, "写入")
    check_writable(path)
    clean_stale_temps(path.parent)
    mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else _new_file_mode()
    staged = Staged(temp_path(path))
    os.close(create_exclusive(staged.tmp))
    try:
        try:
            yield staged
        except OSError as e:
            full = disk_full_message(path, e)
            if full is None:
                raise
            raise DiskFullError(full) from None
        with open(staged.tmp, "rb") as fh:
            os.fsync(fh.fileno())
        check_package(staged.tmp, path)
        os.chmod(staged.tmp, mode)            # colleagues on a shared folder keep their access
        try:
            staged.backup = backup(path)
        except OSError as e:
            full = disk_full_message(path, e)
            if full is None:
                raise
            raise DiskFullError(full) from None
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


WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


def check_package(written: Path, path: Path) -> None:
    """Refuse (BrokenPackageError) a workbook `written` for `path` whose package Excel could not
    open as it is (xlsx.package.package_problems): every writer passes here before the rename."""
    if path.suffix.lower() not in WORKBOOK_SUFFIXES:
        return
    try:
        with zipfile.ZipFile(written) as z:
            problems = package_problems(z)
    except zipfile.BadZipFile:
        problems = ["不是完整的 zip 文件"]
    if problems:
        shown = "；".join(problems[:3]) + (f"；等 {len(problems)} 处" if len(problems) > 3 else "")
        raise BrokenPackageError(f"kefu-xl 为 {path.name} 生成的新文件结构有误（{shown}），Excel 打不开或会要求修复："
                                 f"没有写入，原文件保持不变。请把这条信息发给维护人员。")


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
