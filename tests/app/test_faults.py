"""Faults: a save killed half-way, two settlements at once, and a workbook edited in
LibreOffice (comment, colours, filter, extra sheet) that must survive recalc — or be
refused with a reason when it holds what openpyxl would drop."""
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from conftest import snapshot
from helpers import WORK, add_chart, open_november
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter

from kefu_xl.app.workbooks import recalc_file
from kefu_xl.demo.typist import type_work_records
from kefu_xl.errors import DiskFullError
from kefu_xl.io.libreoffice import convert
from kefu_xl.io.xlsx import PatchBook
from kefu_xl.kinds import maintenance, orders


def test_a_save_killed_half_way_leaves_the_original_and_a_usable_backup(workspace, monkeypatch):
    path = open_november(workspace)
    type_work_records(path, WORK)                     # leaves a backup of the opened tracker
    before = path.read_bytes()

    def dies_half_way(self, filename):
        Path(filename).write_bytes(before[: len(before) // 3])
        raise KeyboardInterrupt("killed")
    monkeypatch.setattr(openpyxl.Workbook, "save", dies_half_way)
    monkeypatch.setattr(PatchBook, "save", dies_half_way)
    with pytest.raises(KeyboardInterrupt):
        recalc_file(path, as_of=date(2026, 11, 20))
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert not list(path.parent.glob(".~kefu-*"))
    backups = sorted((path.parent / ".kefu-backup").glob("维护跟踪_2026-11.*.xlsx"))
    assert backups and openpyxl.load_workbook(backups[-1])[maintenance.ACCOUNTS]["A3"].value == "C1"
    assert recalc_file(path, as_of=date(2026, 11, 20)).written      # and the file still works


def test_two_settlements_at_once_do_not_corrupt_the_register(tmp_path):
    from conftest import ROSTER
    from settle_office import make_office  # the same scenario as the settle tests

    from kefu_xl.app.workspace import init_workspace
    folder = tmp_path / "office"
    init_workspace(folder, staff=ROSTER)
    make_office(folder)
    run = [sys.executable, "-c", "from kefu_xl.cli import cli; cli()", "settle", "2026-11", "--dir", str(folder)]
    procs = [subprocess.Popen(run, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    codes = [p.returncode for p in procs]
    assert 0 in codes, outputs
    for code, out in zip(codes, outputs):
        assert code == 0 or "另一个结算正在进行" in out, out
    register = [r for r in openpyxl.load_workbook(folder / orders.FILE_NAME)[orders.SETTLED].iter_rows(
        min_row=3, values_only=True) if r[0] and r[2] == "2026-11"]
    assert sorted(r[0] for r in register) == ["100001", "100002", "100006", "100011", "100052"]


@pytest.mark.libreoffice
def test_edits_made_in_libreoffice_survive_recalc(workspace, tmp_path):
    path = open_november(workspace)
    type_work_records(path, WORK)
    wb = openpyxl.load_workbook(path)
    ws = wb[maintenance.ACCOUNTS]
    ws["B3"].comment = Comment("大客户，老板姓王", "经理")
    ws["B4"].fill = PatternFill("solid", fgColor="FFFF00")
    wb.create_sheet("我的备忘")["A1"] = "下周回访名单"
    work = wb[maintenance.WORK]
    heads = {c.value: c.column for c in work[2] if c.value}
    mine = heads["无效原因"] + 1
    work.insert_cols(mine)                                # a column of their own after 无效原因
    work.cell(2, mine, "主管批注")
    work.cell(3, mine, "已核实")
    rows = [[c.value for c in row] for row in work.iter_rows(min_row=3, max_row=2 + len(WORK))]
    rows.sort(key=lambda r: (str(r[2]), str(r[0])))        # sorted by 帐户ID, as a person would
    for i, values in enumerate(rows):
        for j, v in enumerate(values):
            work.cell(3 + i, 1 + j).value = v
    work.auto_filter.ref = f"A2:{get_column_letter(mine)}{2 + len(WORK)}"
    wb.save(path)
    edited = convert(path, tmp_path / "lo", "xlsx:Calc MS Excel 2007 XML")      # now a file LibreOffice wrote
    edited_path = path.parent / "edited.xlsx"
    edited_path.write_bytes(edited.read_bytes())
    before = openpyxl.load_workbook(edited_path)
    typed = [(c.coordinate, c.value) for c in before[maintenance.WORK]["C"] if c.value]
    outcome = recalc_file(edited_path, as_of=date(2026, 11, 20))
    assert outcome.written
    after = openpyxl.load_workbook(edited_path)
    assert after[maintenance.ACCOUNTS]["B3"].comment.text.startswith("大客户")
    assert after[maintenance.ACCOUNTS]["B4"].fill.fgColor.rgb.endswith("FFFF00")
    assert after["我的备忘"]["A1"].value == "下周回访名单"
    assert [(c.coordinate, c.value) for c in after[maintenance.WORK]["C"] if c.value] == typed
    assert after[maintenance.WORK].cell(2, mine).value == "主管批注"
    assert "已核实" in [after[maintenance.WORK].cell(r, mine).value for r in range(3, 3 + len(WORK))]
    assert after[maintenance.WORK].cell(3, heads["有效"]).value.startswith("=IF(")   # formulas follow the sorted rows


@pytest.mark.libreoffice
def test_a_libreoffice_file_with_a_chart_keeps_it_through_recalc(workspace, tmp_path):
    path = open_november(workspace)
    add_chart(path, maintenance.SUMMARY)
    edited = convert(path, tmp_path / "lo", "xlsx:Calc MS Excel 2007 XML")
    target = path.parent / "edited.xlsx"
    target.write_bytes(edited.read_bytes())
    with zipfile.ZipFile(target) as z:
        charts = {n: z.read(n) for n in z.namelist() if n.startswith(("xl/charts/", "xl/drawings/"))}
    outcome = recalc_file(target)
    assert outcome.patched and outcome.written, outcome.why_full
    with zipfile.ZipFile(target) as z:
        assert charts and all(z.read(n) == data for n, data in charts.items())
    # its 问题 sheet deleted: the patcher makes it again, the chart stays byte for byte
    from kefu_xl.io.xlsx.package import sheet_parts
    with zipfile.ZipFile(target) as z:
        problem_part = sheet_parts(z)["问题"]
    _drop_sheet(target, "问题", problem_part)
    outcome = recalc_file(target)
    assert outcome.patched and outcome.written, outcome.why_full
    with zipfile.ZipFile(target) as z:
        assert all(z.read(n) == data for n, data in charts.items())
        assert "问题" in sheet_parts(z)


def _drop_sheet(path, name: str, part: str) -> None:
    """Remove a sheet from workbook.xml (as if deleted in a spreadsheet), leaving the rest as is."""
    import re
    with zipfile.ZipFile(path) as z:
        items = [(i, z.read(i)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in items:
            if info.filename == "xl/workbook.xml":
                data = re.sub(rb'<sheet [^>]*name="' + name.encode() + rb'"[^>]*/>', b"", data)
                data = re.sub(rb"<definedName[^>]*localSheetId[^>]*>[^<]*</definedName>", b"", data)
            if info.filename != part:
                z.writestr(info, data)


def _fail_with_disk_full(*_):
    raise OSError(28, "No space left on device")


@pytest.mark.parametrize("fork", [True, False])
def test_beside_reports_the_jobs_failure_and_waits_for_it(tmp_path, fork):
    from kefu_xl.io.parallel import beside
    done = tmp_path / "done"
    with beside(lambda p: p.write_text("ok"), done, fork=fork):
        pass
    assert done.read_text() == "ok"                      # the job finished before the block was left
    with pytest.raises(OSError, match="No space left"), beside(_fail_with_disk_full, fork=fork):
        pass
    with beside(divmod, 47, 5, fork=fork) as job:       # what the job returns comes back after the block
        assert job.result is None or not fork
    assert job.result == (9, 2)


def test_a_settlement_whose_writer_fails_changes_no_file(workspace, monkeypatch):
    """The settlement workbook is written in a second process; when that fails (disk full),
    neither it nor the register is replaced and no temp file is left behind."""
    from settle_office import make_office

    import kefu_xl.app.settle
    from kefu_xl.app.settle import settle_month
    from kefu_xl.month import Month
    folder = make_office(workspace)
    before = snapshot(folder)
    monkeypatch.setattr(kefu_xl.app.settle, "write_settlement", _fail_with_disk_full)     # where settle calls it
    with pytest.raises(DiskFullError, match="磁盘已满：结算_2026-11.xlsx 没有写入"):     # said in Chinese, once
        settle_month(folder, Month(2026, 11))
    assert snapshot(folder) == before
    assert not list(folder.rglob(".~kefu-*"))


def test_a_settlement_whose_register_update_fails_writes_no_settlement(workspace, monkeypatch):
    """The other way round: the settlement file is complete but the register cannot be
    written, so the settlement is not put in place either (finance pays from it)."""
    from settle_office import make_office

    import kefu_xl.app.settle
    from kefu_xl.month import Month
    folder = make_office(workspace)
    before = snapshot(folder)
    monkeypatch.setattr(kefu_xl.app.settle, "update_ledger", _fail_with_disk_full)
    with pytest.raises(DiskFullError, match="磁盘已满"):
        kefu_xl.app.settle.settle_month(folder, Month(2026, 11))
    assert snapshot(folder) == before
    assert not (folder / "2026-11" / "结算_2026-11.xlsx").exists()
