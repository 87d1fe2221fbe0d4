"""DOMAIN §28: no package is ever written broken. Before any workbook is replaced, the writer
checks the package it is about to write; a duplicated part, a dangling relationship, a part
without a content type or a sheet without a part refuses the write, names the part, and
leaves the file as it was."""
from __future__ import annotations

import re
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from helpers import open_november

from kefu_xl.app.workbooks import recalc_file
from kefu_xl.errors import BrokenPackageError
from kefu_xl.io.safe_write import atomic_write
from kefu_xl.io.xlsx.package import package_problems


def sound(tmp_path: Path) -> Path:
    path = tmp_path / "sound.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "数据"
    wb.active["A1"] = "内容"
    wb.create_sheet("第二张")["A1"] = 2
    wb.save(path)
    return path


def rewritten(source: Path, target: Path, change) -> None:
    """`source` copied part by part into `target`, `change(name, data, out)` deciding each part."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        for info in zin.infolist():
            change(info.filename, zin.read(info.filename), zout)


def duplicated_sheet(name, data, out):
    out.writestr(name, data)
    if name == "xl/worksheets/sheet2.xml":
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")          # zipfile warns of the duplicate name: that is the point
            out.writestr(name, data)


def dangling_relationship(name, data, out):
    if name == "xl/_rels/workbook.xml.rels":
        data = data.replace(b"</Relationships>", b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/'
                                                 b'officeDocument/2006/relationships/worksheet" '
                                                 b'Target="worksheets/sheet9.xml"/></Relationships>')
    out.writestr(name, data)


def missing_content_type(name, data, out):
    if name == "[Content_Types].xml":
        data = re.sub(rb'<Override PartName="/xl/worksheets/sheet2.xml"[^>]*/>', b"", data)
    out.writestr(name, data)


def sheet_without_part(name, data, out):
    if name == "xl/worksheets/sheet2.xml":
        return
    if name == "[Content_Types].xml":
        data = re.sub(rb'<Override PartName="/xl/worksheets/sheet2.xml"[^>]*/>', b"", data)
    out.writestr(name, data)


BROKEN = {
    "duplicated part": (duplicated_sheet, "部件 xl/worksheets/sheet2.xml 出现了两次"),
    "dangling relationship": (dangling_relationship, "rId99 指向不存在的部件 xl/worksheets/sheet9.xml"),
    "missing content type": (missing_content_type, "部件 xl/worksheets/sheet2.xml 没有声明内容类型"),
    "sheet without a part": (sheet_without_part, "工作表「第二张」没有对应的部件"),
}


def test_a_sound_package_has_no_problem(tmp_path):
    with zipfile.ZipFile(sound(tmp_path)) as z:
        assert package_problems(z) == []


@pytest.mark.parametrize("case", list(BROKEN))
def test_the_check_names_what_is_broken(tmp_path, case):
    change, expected = BROKEN[case]
    broken = tmp_path / "broken.xlsx"
    rewritten(sound(tmp_path), broken, change)
    with zipfile.ZipFile(broken) as z:
        found = package_problems(z)
    assert any(expected in p for p in found), found


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_package_never_replaces_a_workbook(tmp_path, case):
    """The shared write path (every command's) refuses: the file untouched, no temp file, no backup."""
    change, expected = BROKEN[case]
    target = tmp_path / "台账.xlsx"
    target.write_bytes(sound(tmp_path).read_bytes())
    before = target.read_bytes()
    with pytest.raises(BrokenPackageError) as refused:
        atomic_write(target, lambda tmp: rewritten(tmp_path / "sound.xlsx", Path(tmp), change))
    assert expected in str(refused.value) and "没有写入" in str(refused.value)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["sound.xlsx", "台账.xlsx"]


def test_a_recalc_that_would_write_a_broken_package_leaves_the_tracker_alone(workspace, monkeypatch):
    """The check guards recalc too: a patch engine bug that wrote a part twice (what 0.3.0 did
    to a 0.2.0 续费跟踪) is refused before the file is replaced."""
    path = open_november(workspace)
    before = path.read_bytes()
    from kefu_xl.io.xlsx.book import PatchBook
    real_save = PatchBook.save

    def save_twice(self, target):
        real_save(self, target)
        with zipfile.ZipFile(target, "a") as z, __import__("warnings").catch_warnings():
            __import__("warnings").simplefilter("ignore")
            z.writestr("xl/worksheets/sheet1.xml", b"<worksheet/>")
    monkeypatch.setattr(PatchBook, "save", save_twice)
    with pytest.raises(BrokenPackageError, match="sheet1.xml 出现了两次"):
        recalc_file(path, as_of=date(2026, 11, 20))
    assert path.read_bytes() == before
