"""DOMAIN §27, in the one write path every command shares (io/safe_write.staged_write): nothing
is written through a link out of the workspace, and a full disk leaves nothing half-made."""
from __future__ import annotations

import errno
import os
import shutil

import pytest

from kefu_xl.errors import DiskFullError, UnsafeToWriteError
from kefu_xl.io import safe_write
from kefu_xl.io.safe_write import BACKUP_DIR, atomic_write


def files(folder) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def test_a_link_at_the_name_is_not_written_through(tmp_path):
    outside = tmp_path / "outside" / "secret.txt"
    outside.parent.mkdir()
    outside.write_text("customer data elsewhere", "utf-8")
    work = tmp_path / "work"
    work.mkdir()
    (work / "提醒.txt").symlink_to(outside)
    with pytest.raises(UnsafeToWriteError, match="是一个链接"):
        atomic_write(work / "提醒.txt", lambda tmp: tmp.write_text("ours", "utf-8"))
    assert outside.read_text("utf-8") == "customer data elsewhere"
    assert files(work) == {"提醒.txt"}


def test_a_backup_folder_that_is_a_link_is_refused(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    (work / BACKUP_DIR).symlink_to(outside, target_is_directory=True)
    (work / "a.txt").write_text("v1", "utf-8")
    with pytest.raises(UnsafeToWriteError, match="备份"):
        atomic_write(work / "a.txt", lambda tmp: tmp.write_text("v2", "utf-8"))
    assert (work / "a.txt").read_text("utf-8") == "v1" and list(outside.iterdir()) == []
    assert files(work) == {"a.txt", BACKUP_DIR}


def full_disk(*_args, **_kw):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_while_writing_leaves_no_temp_file_and_no_backup(tmp_path):
    (tmp_path / "a.txt").write_text("v1", "utf-8")
    with pytest.raises(DiskFullError) as refused:
        atomic_write(tmp_path / "a.txt", full_disk)
    assert str(refused.value).startswith("磁盘已满：a.txt 没有写入") and "No space" not in str(refused.value)
    assert files(tmp_path) == {"a.txt"} and (tmp_path / "a.txt").read_text("utf-8") == "v1"


def test_a_full_disk_while_backing_up_leaves_no_half_backup(tmp_path, monkeypatch):
    (tmp_path / "a.txt").write_text("v1" * 1000, "utf-8")
    real = shutil.copyfileobj

    def half(src, dst, length=0):
        dst.write(src.read(100))
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(safe_write.shutil, "copyfileobj", half)
    with pytest.raises(DiskFullError, match="磁盘已满"):
        atomic_write(tmp_path / "a.txt", lambda tmp: tmp.write_text("v2", "utf-8"))
    monkeypatch.setattr(safe_write.shutil, "copyfileobj", real)
    assert list((tmp_path / BACKUP_DIR).iterdir()) == []              # no 0-byte or broken 「backup」
    assert (tmp_path / "a.txt").read_text("utf-8") == "v1" * 1000
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".~kefu-")]


def test_writes_still_keep_a_whole_backup(tmp_path):
    (tmp_path / "a.txt").write_text("v1", "utf-8")
    os.chmod(tmp_path / "a.txt", 0o640)
    kept = atomic_write(tmp_path / "a.txt", lambda tmp: tmp.write_text("v2", "utf-8"))
    assert kept.read_text("utf-8") == "v1" and (tmp_path / "a.txt").read_text("utf-8") == "v2"
    assert oct(os.stat(tmp_path / "a.txt").st_mode & 0o777) == "0o640"


def test_backups_are_pruned_to_the_limit_never_the_newest(tmp_path):
    """docs/reliability.md: the newest `keep` copies and every copy younger than `keep_days` stay."""
    from datetime import datetime, timedelta

    from kefu_xl.config import Backups
    from kefu_xl.io.safe_write import backup, prune_backups
    path = tmp_path / "张敏_2026-11.xlsx"
    path.write_bytes(b"v")
    now = datetime(2026, 12, 7, 9, 0)
    made = [backup(path, now - timedelta(days=30, minutes=i)) for i in range(5)]       # old ones
    made += [backup(path, now - timedelta(days=1, minutes=i)) for i in range(3)]       # this week
    (tmp_path / BACKUP_DIR / "李娜_2026-11.20261001-090000-000000.xlsx").write_bytes(b"other file")
    gone = prune_backups(path, Backups(keep=2, keep_days=7), now)
    left = sorted(p.name for p in (tmp_path / BACKUP_DIR).iterdir())
    assert sorted(gone) == sorted(made[:5])                   # older than 7 days and beyond the newest 2
    assert len(left) == 4 and "李娜_2026-11.20261001-090000-000000.xlsx" in left
    assert prune_backups(path, Backups(keep=1, keep_days=0), now + timedelta(days=30)) and \
        len(list((tmp_path / BACKUP_DIR).glob("张敏*"))) == 1          # the newest always stays


def test_a_write_prunes_with_the_workspace_limits(tmp_path):
    (tmp_path / "kefu-xl.toml").write_text("[backup]\nkeep = 2\nkeep_days = 0\n", "utf-8")
    path = tmp_path / "a.txt"
    path.write_text("v0", "utf-8")
    for i in range(1, 6):
        atomic_write(path, lambda tmp, i=i: tmp.write_text(f"v{i}", "utf-8"))
    kept = sorted((tmp_path / BACKUP_DIR).iterdir())
    assert [p.read_text("utf-8") for p in kept] == ["v3", "v4"]


def test_a_file_named_after_a_person_stays_in_its_folder(tmp_path):
    """roster.file_in: a plain name is the file in the folder (the folder itself may be a link);
    a name that climbs out, or a file there that is a link leading out, is refused."""
    from kefu_xl.errors import KefuError
    from kefu_xl.kinds.roster import file_in
    real = tmp_path / "real"
    real.mkdir()
    folder = tmp_path / "日志"
    folder.symlink_to(real, target_is_directory=True)
    assert file_in(folder, "张敏.jsonl", "张敏") == folder / "张敏.jsonl"
    (real / "李娜.jsonl").symlink_to(real / "张敏.jsonl")                 # a link within the folder
    assert file_in(folder, "李娜.jsonl", "李娜") == folder / "李娜.jsonl"
    (real / "王芳.jsonl").symlink_to(tmp_path / "elsewhere.jsonl")       # a link leading out
    for name in ("王芳.jsonl", "..", "../x.jsonl", "a/b.jsonl"):
        with pytest.raises(KefuError, match="不能用作文件名"):
            file_in(folder, name, name)
