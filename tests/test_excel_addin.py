"""The ribbon button's adapter, against a recorded fake of the xlwings calls it makes, gives
the same workbook as the file path; and the built add-in file is what Excel needs."""
import inspect
import re
import shutil
import zipfile
from datetime import date
from xml.etree import ElementTree

import openpyxl
import pytest
from click.testing import CliRunner
from fake_xlwings import FakeBook
from helpers import NOV, WORK, cells_of, normal, open_november, type_cells

from kefu_xl import addin
from kefu_xl.app.workbooks import recalc_file
from kefu_xl.cli import cli
from kefu_xl.config import load_config
from kefu_xl.demo.typist import type_work_records
from kefu_xl.excel import adapter
from kefu_xl.io.libreoffice import convert
from kefu_xl.kinds import maintenance
from kefu_xl.sheets.spec import Role

AS_OF = date(2026, 11, 20)


@pytest.fixture
def two_copies(workspace):
    path = open_november(workspace)
    type_work_records(path, WORK)
    type_cells(path, maintenance.ACCOUNTS, {(5, "级别"): "二级"})
    wb = openpyxl.load_workbook(path)
    ws = wb[maintenance.WORK]
    ws.cell(3, next(c.column for c in ws[2] if c.value == "有效")).value = "是"   # typed over a formula: both paths restore it
    wb.save(path)
    excel_copy = path.with_name("excel_" + path.name)
    shutil.copy(path, excel_copy)
    return path, excel_copy


def test_adapter_gives_the_same_workbook_as_the_file_path(two_copies):
    file_path, excel_copy = two_copies
    outcome = recalc_file(file_path, as_of=AS_OF)
    book = FakeBook(excel_copy)
    result, written, _ = adapter.recalc_book(book, as_of=AS_OF)
    assert [p.code for p in result.problems] == [p.code for p in outcome.result.problems]
    assert result.restored == outcome.result.restored == {"工作记录/有效": 1}
    for sheet in ("帐户", "工作记录", "客服汇总", "工作日历", "问题"):
        assert normal(book.grid(sheet)) == normal(cells_of(file_path, sheet)), sheet
    assert "问题" in book.added or "问题" in [s.name for s in book.sheets]
    assert written == len(book.writes) > 0


def test_adapter_never_writes_input_cells(two_copies):
    _, excel_copy = two_copies
    book = FakeBook(excel_copy)
    adapter.recalc_book(book, as_of=AS_OF)
    spec = maintenance.spec(load_config(), NOV)
    for name in (maintenance.ACCOUNTS, maintenance.WORK):
        header = {v: c for (r, c), v in book.grid(name).items() if r == 2}
        inputs = {header[col.header] for col in spec.sheet(name).columns if col.role is Role.INPUT}
        touched = {(r, c) for s, r, c, _, _ in book.writes if s == name and r > 2 and c in inputs}
        assert not touched, touched
    assert all(kind == "formula" for s, r, c, v, kind in book.writes if isinstance(v, str) and v.startswith("="))


def test_button_reports_in_the_status_bar_and_a_message_box(two_copies):
    _, excel_copy = two_copies
    book = FakeBook(excel_copy)
    adapter.run_button(book, as_of=AS_OF)
    assert book.app.status_bar.startswith("kefu-xl 重算完成：问题") and "恢复公式 1 个" in book.app.status_bar
    assert book.app.alerts and "问题" in book.app.alerts[0][1]


def test_a_workbook_kefu_did_not_make_gets_a_message_and_no_change(tmp_path):
    path = tmp_path / "别的.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"] = "随便"
    wb.save(path)
    book = FakeBook(path)
    adapter.run_button(book)
    assert book.writes == [] and "不是 kefu-xl 生成的工作簿" in book.app.alerts[0][1]


def test_unexpected_errors_become_a_message(two_copies, monkeypatch):
    _, excel_copy = two_copies
    book = FakeBook(excel_copy)
    monkeypatch.setattr(adapter, "recalc_open_workbook", lambda *a, **k: 1 / 0)
    adapter.run_button(book)
    assert book.writes == [] and "内部错误" in book.app.alerts[0][1]


def test_adapter_holds_no_business_rules():
    source = inspect.getsource(adapter)
    imports = re.findall(r"^from (\S+) import", source, re.M)
    assert not [m for m in imports if "kinds" in m or "rules" in m or "sheets" in m], imports
    for word in ("帐户", "工作记录", "决策人", "COUNTIFS", "完成率", "续费"):
        assert word not in source
    assert len(source.splitlines()) < 160


def test_built_addin(tmp_path):
    result = CliRunner().invoke(cli, ["addin", "build", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    built = tmp_path / addin.ADDIN_NAME
    assert zipfile.is_zipfile(built)
    with zipfile.ZipFile(built) as z, zipfile.ZipFile(addin.template_path()) as t:
        assert z.testzip() is None
        ribbon = ElementTree.fromstring(z.read(addin.RIBBON_PART))
        assert z.read("xl/vbaProject.bin") == t.read("xl/vbaProject.bin")
        assert sorted(z.namelist()) == sorted(t.namelist())
        for name in t.namelist():
            if name != addin.RIBBON_PART:
                assert z.read(name) == t.read(name), name
    ns = {"ui": "http://schemas.microsoft.com/office/2006/01/customui"}
    tab = ribbon.find(".//ui:tab", ns)
    button = ribbon.find(".//ui:button", ns)
    assert tab.get("label") == "客服工具" and button.get("label") == "重算" and button.get("size") == "large"
    assert button.get("onAction") == "RibbonMyAddin.RunMain" and button.get("screentip")
    assert all(c.get("idMso") for c in ribbon.findall(".//ui:control", ns))      # only built-ins besides ours


def test_packaged_ribbon_template_matches_macros():
    from pathlib import Path
    repo = Path(__file__).resolve().parent.parent
    assert (repo / "macros" / "ribbon.xml.j2").read_text("utf-8") == \
        (repo / "kefu_xl" / "templates" / "ribbon.xml.j2").read_text("utf-8")


@pytest.mark.libreoffice
def test_libreoffice_opens_the_addin(tmp_path):
    built = addin.build_addin(tmp_path)
    out = convert(built, tmp_path / "lo", "xlsx", infilter="Calc MS Excel 2007 XML")
    assert out.exists() and out.stat().st_size > 0


@pytest.mark.parametrize("command", ["install", "uninstall", "status"])
def test_install_commands_explain_that_excel_is_needed_on_linux(command):
    result = CliRunner().invoke(cli, ["addin", command])
    assert result.exit_code == 1 and "需要在装有 Microsoft Excel" in result.output
