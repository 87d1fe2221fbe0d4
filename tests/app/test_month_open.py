"""kefu-xl month open: messy exports that must simply work, bad ones that must change nothing."""

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import STATUS_HEADERS, snapshot, write_status, write_xlsx
from helpers import open_november

from kefu_xl.cli import cli
from kefu_xl.kinds import maintenance
from kefu_xl.month import Month

NOV = "2026-11"


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def accounts_of(path):
    wb = openpyxl.load_workbook(path)
    ws = wb[maintenance.ACCOUNTS]
    header = [c.value for c in ws[2]]
    return {row[0]: dict(zip(header, row)) for row in ws.iter_rows(min_row=3, values_only=True) if row[0]}


def test_levels_carry_over_only_up_and_new_clients_have_no_targets(workspace):
    path = open_november(workspace)
    accounts = accounts_of(path)
    assert (accounts["C1"]["上月级别"], accounts["C1"]["级别"]) == ("一级", "一级")     # spend fell
    assert (accounts["C2"]["上月级别"], accounts["C2"]["级别"]) == ("二级", "一级")     # spend rose
    assert (accounts["C3"]["上月级别"], accounts["C3"]["级别"]) == ("三级", "三级")
    assert (accounts["C4"]["上月级别"], accounts["C4"]["级别"]) == (None, "三级")       # new to maintenance
    assert accounts["C5"]["级别"] is None and "新开客户" in accounts["C5"]["备注"]
    assert accounts["C1"]["周消耗"] == 100 and accounts["C1"]["帐户ID"] == "C1"
    assert accounts["C1"]["电话拜访目标"].startswith("=IF(")


def test_messy_export_simply_works(workspace):
    rows = [
        [" GA１００１ ", "  甲公司 ", "张敏 ", "建材", "5,000.50", "¥1,200", "2027/1/3", "2024年3月1日"],
        [None, None, None, None, None, None, None, None],                  # blank row
        ["GA1002", "乙公司", "李娜", "家居", "１２３", "0", 46329, "2024-03-01"],
        ["=cmd|' /C calc'!A0", "+危险文本", "王芳", "-医疗", "30", "10", "2027-01-01", "20240301"],
    ]
    path = write_status(workspace, NOV, rows, title="帐户状态（导出于 2026-11-01）")
    wb = openpyxl.load_workbook(path)
    wb.active["A6"].data_type = "s"        # exported as text, not as a formula
    wb.save(path)
    result = run("month", "open", NOV, "--dir", workspace, "--as-of", "2026-11-10")
    assert result.exit_code == 0, result.output
    path = workspace / NOV / maintenance.file_name(Month(2026, 11))
    accounts = accounts_of(path)
    assert set(accounts) == {"GA1001", "GA1002", "=cmd|'/Ccalc'!A0"}     # IDs lose inner spaces
    a = accounts["GA1001"]
    assert (a["客户名称"], a["客服"], a["周消耗"], a["级别"]) == ("甲公司", "张敏", 5000.5, "一级")
    assert accounts["GA1002"]["周消耗"] == 123 and accounts["GA1002"]["级别"] == "二级"
    # text that looks like a formula stays text in the written file
    wb = openpyxl.load_workbook(path)
    ws = wb[maintenance.ACCOUNTS]
    row = [r for r in range(3, 6) if ws.cell(r, 2).value == "+危险文本"][0]
    for col, text in ((1, "=cmd|'/Ccalc'!A0"), (2, "+危险文本"), (4, "-医疗")):
        assert (ws.cell(row, col).value, ws.cell(row, col).data_type) == (text, "s")


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk"])
def test_csv_exports_in_any_common_encoding(workspace, encoding):
    text = ",".join(STATUS_HEADERS) + "\r\n" + "C1,甲公司,张敏,建材,\"2,500\",100,2027-01-01,2024-01-01\r\n"
    inputs = workspace / NOV / "inputs"
    inputs.mkdir(parents=True, exist_ok=True)
    (inputs / "帐户状态.csv").write_bytes(text.encode(encoding))
    result = run("month", "open", NOV, "--dir", workspace)
    assert result.exit_code == 0, result.output
    assert accounts_of(workspace / NOV / "维护跟踪_2026-11.xlsx")["C1"]["周消耗"] == 2500


def _assert_refused(workspace, result, *needles):
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    for n in needles:
        assert n in result.output, result.output
    assert not (workspace / NOV / "维护跟踪_2026-11.xlsx").exists()


def test_missing_input_says_where_it_looked(workspace):
    result = run("month", "open", NOV, "--dir", workspace)
    _assert_refused(workspace, result, "帐户状态.xlsx", str(workspace / NOV / "inputs"))


def test_missing_header_names_header_and_file(workspace):
    headers = [h for h in STATUS_HEADERS if h != "周消耗"] + ["周消费"]
    write_xlsx(workspace / NOV / "inputs" / "帐户状态.xlsx", [headers, ["C1"] * 8])
    _assert_refused(workspace, run("month", "open", NOV, "--dir", workspace), "周消耗", "帐户状态.xlsx")


def test_all_bad_values_are_reported_together(workspace):
    before = snapshot(workspace)
    write_status(workspace, NOV, [
        ["C1", "甲", "张敏", "建材", "很多", 1, "2027-01-01", "2024-01-01"],
        ["C2", "乙", "张敏", "建材", 100, 1, "明年", "2024-01-01"],
        ["C1", "丙", "张敏", "建材", 100, 1, "2027-01-01", "2024-01-01"],
    ])
    result = run("month", "open", NOV, "--dir", workspace)
    _assert_refused(workspace, result, "很多", "周消耗", "明年", "合同到期日", "与第 2 行重复")
    assert "第2行" in result.output and "第3行" in result.output and "第4行" in result.output
    after = snapshot(workspace)
    assert {k: v for k, v in after.items() if "inputs" not in k} == before


def test_merged_header_cells_are_refused(workspace):
    path = write_status(workspace, NOV, [["C1", "甲", "张敏", "建材", 1, 1, "2027-01-01", "2024-01-01"]])
    wb = openpyxl.load_workbook(path)
    wb.active.merge_cells("A1:B1")
    wb.save(path)
    _assert_refused(workspace, run("month", "open", NOV, "--dir", workspace), "合并单元格")


@pytest.mark.parametrize("content, needle", [
    (b"", "空文件"), (b"PK\x03\x04 not really a zip", "损坏"), (b"hello, this is text", "损坏"),
])
def test_not_a_workbook_is_a_clear_error(workspace, content, needle):
    inputs = workspace / NOV / "inputs"
    inputs.mkdir(parents=True, exist_ok=True)
    (inputs / "帐户状态.xlsx").write_bytes(content)
    _assert_refused(workspace, run("month", "open", NOV, "--dir", workspace), needle)


def test_opening_twice_refuses_and_keeps_the_file(workspace):
    path = open_november(workspace, previous=False)
    before = path.read_bytes()
    result = run("month", "open", NOV, "--dir", workspace)
    assert result.exit_code == 1 and "已存在" in result.output
    assert path.read_bytes() == before


def test_target_open_in_excel_is_refused(workspace):
    write_status(workspace, NOV, [["C1", "甲", "张敏", "建材", 1, 1, "2027-01-01", "2024-01-01"]])
    (workspace / NOV / "~$维护跟踪_2026-11.xlsx").write_bytes(b"lock")
    _assert_refused(workspace, run("month", "open", NOV, "--dir", workspace), "正在被")


def test_not_a_workspace(tmp_path):
    result = run("month", "open", NOV, "--dir", tmp_path)
    assert result.exit_code == 1 and "kefu-xl init" in result.output


def test_bad_month(workspace):
    result = run("month", "open", "2026-13", "--dir", workspace)
    assert result.exit_code == 2 and "YYYY-MM" in result.output


def test_an_expo_only_workspace_never_hears_of_account_status(tmp_path):
    """init --expo (or [workbooks] monthly without maintenance/renewal/newclient): neither init
    nor month open (first time, without a previous month, or again) talks about 帐户状态."""
    folder = tmp_path / "家博会"
    result = run("init", folder, "--expo")
    assert result.exit_code == 0 and 'monthly = ["refunds", "complaints"]' in (folder / "kefu-xl.toml").read_text("utf-8")
    assert "orders add-books" in result.output
    outputs = [result.output, run("init", folder).output, run("month", "open", NOV, "--dir", folder).output]
    again = run("month", "open", NOV, "--dir", folder)
    assert again.exit_code == 1 and "已经开过" in again.output
    outputs.append(again.output)
    assert sorted(p.name for p in (folder / NOV).glob("*.xlsx")) == ["投诉台账_2026-11.xlsx", "退订台账_2026-11.xlsx"]
    for output in outputs:
        assert "帐户状态" not in output and "上月级别" not in output and "--refresh" not in output, output
    assert "本月不从上月结转（备用金期初、遗留投诉都为空）" in outputs[2]
    # a team tracking accounts still hears about it
    other = tmp_path / "代理商"
    assert "帐户状态.xlsx" in run("init", other).output
