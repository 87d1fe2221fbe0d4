"""What a team recalc read of a personal workbook is kept beside it (io/read_cache) and used
only while the workbook's bytes stay the same."""
from __future__ import annotations

import json
import os
from datetime import date, datetime, time

import openpyxl
import pytest

from kefu_xl.errors import InputFileError
from kefu_xl.io import read_cache
from kefu_xl.io.grid import calamine_sheets
from kefu_xl.io.tables import read_sheets_kept

ONLY = ("工作记录", "_meta")


def make(path, summary="电话沟通", when=datetime(2026, 11, 3, 9, 30)):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "工作记录"
    ws.append(["日期", "客服", "帐户ID", "内容摘要", "时刻", "金额"])
    ws.append([date(2026, 11, 2), "张敏", "A100001", summary, time(14, 5), 20000.5])
    ws.append([when, "张敏", "=A1", "备注", None, 3])
    ws["F4"] = "=1/0"
    ws.merge_cells("A6:C6")
    ws.append([None, date(2026, 11, 4), "右边都空"])          # row 7: empty cells on the right (not kept)
    wb.create_sheet("_meta").append(["kind", "personal"])
    wb.create_sheet("说明").append(["不读"])
    wb.save(path)
    return path


def grids(sheets):
    return {name: (s.grid, s.merged) for name, s in sheets.items()}


def test_a_kept_read_is_what_calamine_reads(tmp_path):
    path = make(tmp_path / "张敏_2026-11.xlsx")
    first = read_sheets_kept(path, ONLY)
    entry = read_cache.entry_path(path, ONLY)
    assert entry.is_file()
    again = read_sheets_kept(path, ONLY)
    assert grids(again) == grids(first) == grids(calamine_sheets(path, ONLY))
    assert set(again) == {"工作记录", "_meta"}
    row = again["工作记录"].grid[1]
    assert row[0] == date(2026, 11, 2) and type(row[0]) is type(first["工作记录"].grid[1][0])
    assert row[4] == time(14, 5) and row[5] == 20000.5
    assert again["工作记录"].grid[2][0] == datetime(2026, 11, 3, 9, 30)
    assert again["工作记录"].grid[6] == [None, date(2026, 11, 4), "右边都空", None, None, None]
    kept = json.loads(entry.read_text("utf-8"))["sheets"]["工作记录"]
    assert kept["width"] == 6 and kept["grid"][4] == [] and len(kept["grid"][6]) == 3


def test_a_read_put_aside_is_kept_only_when_asked(tmp_path):
    """A team recalc reads the personal workbooks ahead (app.collect.PersonalWorkbooks.read_ahead)
    and may yet refuse the tracker: with `later`, read_kept writes no entry until keep(later)."""
    path = make(tmp_path / "张敏_2026-11.xlsx")
    later = []
    first = read_sheets_kept(path, ONLY, later)
    entry = read_cache.entry_path(path, ONLY)
    assert not entry.exists() and not (tmp_path / read_cache.FOLDER).exists() and len(later) == 1
    read_cache.keep(later)
    assert entry.is_file() and later == []
    assert grids(read_sheets_kept(path, ONLY, later)) == grids(first) and later == []    # read from the entry


def test_a_personal_workbooks_entry_keeps_no_empty_cell_on_the_right(tmp_path):
    """A personal workbook's buffer rows are empty: its entry is small and reads back as the
    workbook reads."""
    from conftest import ROSTER, write_status

    from kefu_xl.app.workspace import init_workspace, open_month
    from kefu_xl.kinds import personal
    from kefu_xl.month import Month
    office = tmp_path / "office"
    init_workspace(office, staff=ROSTER)
    write_status(office, "2026-11", [["C1", "甲建材", "张敏", "建材", 2500, 90000, date(2027, 6, 1), date(2024, 1, 1)]])
    open_month(office, Month(2026, 11), as_of=date(2026, 11, 2))
    path = personal.path_of(office, "张敏", Month(2026, 11))
    only = ("工作记录", "咨询")
    first = read_sheets_kept(path, only)
    entry = read_cache.entry_path(path, only)
    assert entry.stat().st_size < 8_000
    assert grids(read_sheets_kept(path, only)) == grids(first) == grids(calamine_sheets(path, only))


def test_the_entry_is_used_while_the_bytes_are_the_same(tmp_path):
    path = make(tmp_path / "张敏_2026-11.xlsx")
    read_sheets_kept(path, ONLY)
    entry = read_cache.entry_path(path, ONLY)
    kept = json.loads(entry.read_text("utf-8"))
    kept["sheets"]["工作记录"]["grid"][1][3] = "从缓存读到"
    entry.write_text(json.dumps(kept, ensure_ascii=False), "utf-8")
    assert read_sheets_kept(path, ONLY)["工作记录"].grid[1][3] == "从缓存读到"


def stored(path, summary):
    """The workbook with every part stored (not deflated) at one fixed zip time: two summaries of
    the same length in UTF-8 give two files of exactly the same size."""
    import zipfile
    scratch = make(path.with_name("scratch.xlsx"), summary=summary)
    with zipfile.ZipFile(scratch) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            zout.writestr(zipfile.ZipInfo(info.filename, (2026, 11, 2, 9, 0, 0)), zin.read(info.filename))
    scratch.unlink()
    return path


def test_a_changed_workbook_is_read_again_even_with_the_same_time_and_size(tmp_path):
    path = stored(tmp_path / "张敏_2026-11.xlsx", "电话沟通")
    stat = path.stat()
    assert read_sheets_kept(path, ONLY)["工作记录"].grid[1][3] == "电话沟通"
    stored(path, "电话回访")                                  # same length, then the old clock put back
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (stat.st_size, stat.st_mtime_ns)
    assert read_sheets_kept(path, ONLY)["工作记录"].grid[1][3] == "电话回访"


@pytest.mark.parametrize("text", ["not json", '{"v": "%v", "sha": "x"}', '{"v": "%v", "sha": "%s", "sheets": {"a": 1}}', "[]",
                                  '{"v": "%v", "sha": "%s", "sheets": {"工作记录": {"grid": [5], "special": [], "merged": []}}}',
                                  '{"v": "%v", "sha": "%s", "sheets": {"工作记录": {"grid": [[[1]]], "special": [], "merged": []}}}',
                                  '{"v": "%v", "sha": "%s", "sheets": {"工作记录": {"grid": [[1, 2]], "width": 1, "special": [], "merged": []}}}',
                                  '{"v": "%v", "sha": "%s", "sheets": {"工作记录": {"grid": [[1]], "width": "6", "special": [], "merged": []}}}',
                                  '{"v": "%v", "sha": "%s", "sheets": {"工作记录": {"grid": [[1]], "width": 1000000000000, "special": [], "merged": []}}}',
                                  '{"v": "0/0", "sha": "%s", "sheets": {}}'])
def test_an_entry_that_is_not_ours_is_ignored(tmp_path, text):
    path = make(tmp_path / "张敏_2026-11.xlsx")
    read_sheets_kept(path, ONLY)
    entry = read_cache.entry_path(path, ONLY)
    sha = json.loads(entry.read_text("utf-8"))["sha"]
    entry.write_text(text.replace("%s", sha).replace("%v", read_cache._version()), "utf-8")
    assert grids(read_sheets_kept(path, ONLY)) == grids(calamine_sheets(path, ONLY))


def test_a_broken_workbook_says_so_and_keeps_nothing(tmp_path):
    path = tmp_path / "张敏_2026-11.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(InputFileError, match="张敏_2026-11.xlsx"):
        read_sheets_kept(path, ONLY)
    assert not read_cache.entry_path(path, ONLY).exists()
    with pytest.raises(InputFileError, match="不存在"):
        read_sheets_kept(tmp_path / "李娜_2026-11.xlsx", ONLY)


def test_an_entry_is_readable_by_its_owner_only(tmp_path):
    path = make(tmp_path / "张敏_2026-11.xlsx")
    read_sheets_kept(path, ONLY)
    assert read_cache.entry_path(path, ONLY).stat().st_mode & 0o077 == 0


def test_a_folder_that_cannot_be_listed_is_not_pruned_and_nothing_fails(tmp_path, monkeypatch):
    path = make(tmp_path / "张敏_2026-11.xlsx")
    read_sheets_kept(path, ONLY)
    real = type(tmp_path).iterdir

    def refused(self):
        if self.name == read_cache.FOLDER:
            raise PermissionError(13, "Permission denied")
        return real(self)
    monkeypatch.setattr(type(tmp_path), "iterdir", refused)
    read_cache.prune(tmp_path, set())
    monkeypatch.undo()
    assert read_cache.entry_path(path, ONLY).exists()


def test_a_cache_that_cannot_be_written_only_costs_the_parse(tmp_path):
    path = make(tmp_path / "张敏_2026-11.xlsx")
    (tmp_path / read_cache.FOLDER).write_text("a file where the folder would be", "utf-8")
    assert grids(read_sheets_kept(path, ONLY)) == grids(calamine_sheets(path, ONLY))
    assert sorted(p.name for p in tmp_path.iterdir()) == [read_cache.FOLDER, "张敏_2026-11.xlsx"]


def test_entries_of_workbooks_gone_are_pruned(tmp_path):
    kept, gone = make(tmp_path / "张敏_2026-11.xlsx"), make(tmp_path / "李娜_2026-11.xlsx")
    read_sheets_kept(kept, ONLY)
    read_sheets_kept(gone, ONLY)
    gone.unlink()
    read_cache.prune(tmp_path, {kept.stem})
    assert sorted(p.name.split(".")[0] for p in (tmp_path / read_cache.FOLDER).iterdir()) == ["张敏_2026-11"]


def test_a_cache_folder_that_is_a_link_is_neither_written_nor_pruned_through(tmp_path):
    """A `.kefu-cache` link could lead out of the workspace: nothing is written or removed through it."""
    office, elsewhere = tmp_path / "个人", tmp_path / "elsewhere"
    office.mkdir()
    elsewhere.mkdir()
    (elsewhere / "someone_else.json").write_text("{}", "utf-8")
    (office / read_cache.FOLDER).symlink_to(elsewhere, target_is_directory=True)
    path = make(office / "张敏_2026-11.xlsx")
    assert grids(read_sheets_kept(path, ONLY)) == grids(calamine_sheets(path, ONLY))
    read_cache.prune(office, {path.stem})
    assert [p.name for p in elsewhere.iterdir()] == ["someone_else.json"]
