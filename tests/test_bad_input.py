"""The bad-input corpus (scripts/make_bad_corpus.py): messy exports open the month; broken
or hostile files are refused with a clear Chinese message, exit non-zero, and every
existing file stays byte-identical."""
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import snapshot

from kefu_xl.cli import cli

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
from make_bad_corpus import make_corpus, make_settlement_corpus  # noqa: E402

CORPUS = Path(__import__("tempfile").mkdtemp(prefix="kefu-bad-"))
MANIFEST = {c["case"]: c for c in make_corpus(CORPUS)}
CASES = list(MANIFEST)
SETTLEMENT = {c["case"]: c for c in make_settlement_corpus(CORPUS / "settle")}


@pytest.fixture(scope="module")
def corpus():
    return CORPUS, MANIFEST


@pytest.mark.parametrize("name", CASES)
def test_account_status_corpus(corpus, workspace, name):
    folder, cases = corpus
    c = cases[name]
    inputs = workspace / "2026-11" / "inputs"
    inputs.mkdir(parents=True, exist_ok=True)
    shutil.copy(folder / name / c["file"], inputs / c["file"])
    before = snapshot(workspace)
    result = CliRunner().invoke(cli, ["month", "open", "2026-11", "--dir", str(workspace), "--as-of", "2026-11-05"])
    assert "Traceback" not in result.output
    if c["expect"] == "works":
        assert result.exit_code == 0, result.output
        assert (workspace / "2026-11" / "维护跟踪_2026-11.xlsx").exists()
    else:
        assert result.exit_code != 0, result.output
        assert c["needle"] in result.output, result.output
        assert c["file"].split(".")[0] in result.output
        assert snapshot(workspace) == before


@pytest.mark.parametrize("content, needle", [(b"", "空文件"), (b"PK\x03\x04broken", "损坏"),
                                             (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, "密码")])
def test_recalc_refuses_broken_workbooks(tmp_path, content, needle):
    path = tmp_path / "维护跟踪_2026-11.xlsx"
    path.write_bytes(content)
    result = CliRunner().invoke(cli, ["recalc", str(path)])
    assert result.exit_code == 1 and needle in result.output and "Traceback" not in result.output
    assert path.read_bytes() == content


def test_recalc_refuses_entity_payload_in_a_tracker(workspace):
    from helpers import open_november
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
    from make_bad_corpus import _rewrite_part, with_entity_declaration
    path = open_november(workspace)
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>'
    _rewrite_part(path, "xl/worksheets/sheet1.xml", lambda d: with_entity_declaration(d, bomb))
    before = path.read_bytes()
    result = CliRunner().invoke(cli, ["recalc", str(path)])
    assert result.exit_code == 1 and "实体" in result.output and path.read_bytes() == before


REFUSED_XLSX = [n for n, c in MANIFEST.items() if c["expect"] == "refused" and c["file"].endswith(".xlsx")]


@pytest.mark.parametrize("name", REFUSED_XLSX)
@pytest.mark.parametrize("slot", ["结算流转单/C_坏文件.xlsx", "投诉.xlsx", "回访核实.xlsx"])
def test_settlement_inputs_refuse_the_same_corpus(corpus, workspace, name, slot):
    from settle_office import make_office
    folder, cases = corpus
    make_office(workspace)
    target = workspace / "2026-11" / "inputs" / slot
    shutil.copy(folder / name / cases[name]["file"], target)
    before = snapshot(workspace)
    result = CliRunner().invoke(cli, ["settle", "2026-11", "--dir", str(workspace)])
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert target.name in result.output or "缺少表头" in result.output, result.output
    assert snapshot(workspace) == before


@pytest.mark.parametrize("name", list(SETTLEMENT))
def test_settlement_corpus(workspace, name):
    """Inputs that would move money wrongly are refused before anything is written (issue 33);
    a form behind a cover sheet simply works."""
    from settle_office import make_office
    c = SETTLEMENT[name]
    make_office(workspace)
    shutil.copy(CORPUS / "settle" / name / c["file"], workspace / "2026-11" / "inputs" / c["slot"])
    before = snapshot(workspace)
    result = CliRunner().invoke(cli, ["settle", "2026-11", "--dir", str(workspace)])
    assert "Traceback" not in result.output and "Error tokenizing" not in result.output, result.output
    if c["expect"] == "works":
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 1 and c["needle"] in result.output and c["file"] in result.output, result.output
    assert snapshot(workspace) == before


def _renamed_header(path):
    import openpyxl
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    ws.cell(2, 2).value = str(ws.cell(2, 2).value) + "（改）"
    wb.save(path)
    return "找不到表头"


def _truncated(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return "损坏"


def _entity(path):
    from make_bad_corpus import _rewrite_part, with_entity_declaration
    _rewrite_part(path, "xl/worksheets/sheet1.xml",
                  lambda d: with_entity_declaration(d, b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]>'))
    return "实体"


def _locked(path):
    (path.parent / f"~${path.name}").write_bytes(b"x")
    return "正在被"


@pytest.mark.parametrize("damage", [_renamed_header, _truncated, _entity, _locked],
                         ids=["renamed_header", "truncated", "entity", "locked"])
@pytest.mark.parametrize("kind", ["维护跟踪", "续费跟踪", "新客户跟踪", "退订台账", "订单台账"])
def test_every_workbook_kind_refuses_damage_without_writing(workspace, kind, damage):
    from helpers import open_november
    open_november(workspace, previous=False)
    path = workspace / "订单台账.xlsx" if kind == "订单台账" else workspace / "2026-11" / f"{kind}_2026-11.xlsx"
    needle = damage(path)
    before = snapshot(workspace)
    result = CliRunner().invoke(cli, ["recalc", str(path)])
    assert result.exit_code == 1 and needle in result.output and "Traceback" not in result.output, result.output
    assert snapshot(workspace) == before


@pytest.mark.parametrize("kind", ["维护跟踪", "续费跟踪", "新客户跟踪", "退订台账", "订单台账"])
def test_every_workbook_kind_keeps_a_chart_someone_added(workspace, kind):
    """Recalc patches the cells it owns (issue 17): a chart — which a whole-file rewrite
    through openpyxl would drop — is carried through byte for byte, without --force."""
    import zipfile

    from helpers import add_chart, open_november
    open_november(workspace, previous=False)
    path = workspace / "订单台账.xlsx" if kind == "订单台账" else workspace / "2026-11" / f"{kind}_2026-11.xlsx"
    charts = add_chart(path)
    result = CliRunner().invoke(cli, ["recalc", str(path)])
    assert "Traceback" not in result.output and "图表" not in result.output, result.output
    assert list((path.parent / ".kefu-backup").glob(f"{path.stem}.*")), "recalc wrote the file"
    with zipfile.ZipFile(path) as z:
        assert charts and all(z.read(n) == data for n, data in charts.items())


def test_files_read_ahead_give_the_same_sheets_and_the_same_errors(tmp_path):
    """settle parses its workbooks in a background thread; what the reader gets must be what
    it would have read itself: the current contents, and the same refusal for a broken file."""
    import os

    from conftest import write_xlsx

    from kefu_xl.errors import InputFileError
    from kefu_xl.io import tables
    good = write_xlsx(tmp_path / "good.xlsx", [["订单号"], ["100001"]])
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(good.read_bytes()[:300])
    with tables.prefetch_sheets([good, broken]):
        assert tables.read_sheets_fast(good)["Sheet1"].grid == [["订单号"], ["100001"]]
        with pytest.raises(InputFileError, match="broken.xlsx"):
            tables.read_sheets_fast(broken)
    assert not tables._pending                      # nothing left for a later command
    with tables.prefetch_sheets([good]):
        write_xlsx(good, [["订单号"], ["100002"]])    # changed after it was read ahead
        os.utime(good, ns=(1, 1))
        assert tables.read_sheets_fast(good)["Sheet1"].grid == [["订单号"], ["100002"]]
