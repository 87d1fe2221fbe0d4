"""kefu-xl recalc / check on the maintenance tracker: validation, 问题 sheet, formula
restore, inputs kept, safe writing."""
import os
from datetime import date

import openpyxl
import pytest
from click.testing import CliRunner
from helpers import WORK, add_chart, open_november, prefix_namespace, type_cells

from kefu_xl.app.workbooks import recalc_file
from kefu_xl.cli import cli
from kefu_xl.config import load_config
from kefu_xl.demo.typist import type_work_records
from kefu_xl.io.xlsx import PatchBook
from kefu_xl.kinds import maintenance
from kefu_xl.month import Month
from kefu_xl.sheets.spec import Role


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def tracker(workspace):
    path = open_november(workspace)
    type_work_records(path, WORK)
    return path


def input_cells(path):
    """Every input-column cell value of 帐户 and 工作记录."""
    wb = openpyxl.load_workbook(path)
    spec = maintenance.spec(load_config(), Month(2026, 11))
    out = {}
    for name in (maintenance.ACCOUNTS, maintenance.WORK):
        ws = wb[name]
        header = {c.value: c.column for c in ws[2]}
        for column in spec.sheet(name).columns:
            if column.role is Role.INPUT:
                for r in range(3, ws.max_row + 1):
                    value = ws.cell(r, header[column.header]).value
                    if value is not None:
                        out[(name, r, column.header)] = value
    return out


def problem_rows(path):
    ws = openpyxl.load_workbook(path)["问题"]
    assert [c.value for c in ws[2]] == ["工作表", "行", "列", "级别", "说明"]
    return [tuple(r) for r in ws.iter_rows(min_row=3, values_only=True)]


def test_recalc_marks_invalid_rows_and_lists_every_problem(tracker):
    before = input_cells(tracker)
    result = run("recalc", tracker, "--as-of", "2026-11-20")
    assert result.exit_code == 0, result.output
    assert input_cells(tracker) == before                      # nothing a person typed changed
    rows = problem_rows(tracker)                              # Chinese only: no code column (DOMAIN §27)
    problems = recalc_file(tracker, as_of=date(2026, 11, 20)).result.problems
    assert [(r[1], r[4]) for r in rows] == [(p.row, p.message) for p in problems]
    assert not any(isinstance(v, str) and v.isupper() and "_" in v for r in rows for v in r)
    codes = {(p.sheet, p.row, p.code) for p in problems}
    work_row = {i + 3: w for i, w in enumerate(WORK)}         # typed from row 3 in this order
    expected = {
        ("工作记录", 7, "OVER_PLAN"), ("工作记录", 8, "NOT_DECISION_MAKER"),
        ("工作记录", 14, "DATE_OUTSIDE_MONTH"), ("工作记录", 16, "OVER_PLAN"),
        ("工作记录", 17, "NOT_A_DATE"), ("工作记录", 18, "UNKNOWN_ACCOUNT"),
        ("工作记录", 19, "COVER_WORK"), ("工作记录", 21, "STAFF_NOT_IN_ROSTER"),
        ("工作记录", 22, "BAD_WORK_TYPE"),
    }
    assert expected <= codes, expected - codes
    assert work_row[18]["帐户ID"] == "C9"
    assert "维护跟踪_2026-11.xlsx 汇总" in result.output and "│ 张敏 │ 三星 │" in result.output
    assert "已保存" in result.output and ".kefu-backup" in result.output
    ws = openpyxl.load_workbook(tracker)[maintenance.SUMMARY]
    label = next(c for c in ws[1] if c.value == "截至日期")
    assert ws.cell(1, label.column + 1).value.date() == date(2026, 11, 20)


def test_python_verdicts_for_typed_rows(tracker):
    outcome = recalc_file(tracker, as_of=date(2026, 11, 20))
    verdicts = {r.row: v.reason for r, v in zip(outcome.result.figures.records, outcome.result.figures.verdicts)}
    assert verdicts[3] == "" and verdicts[4] == "" and verdicts[7] == "超计划"   # 5th valid call of C1
    assert verdicts[13] == ""                                                   # c2 matches C2
    assert verdicts[17] == "不是日期"                                             # date typed as text
    staff = {s.staff: s for s in outcome.result.figures.staff}
    assert staff["王芳"].valid_work == 2 and staff["孙某"].star == ""


def test_manager_level_change_is_kept_and_noted(tracker):
    type_cells(tracker, maintenance.ACCOUNTS, {(3, "级别"): "二级", (5, "级别"): "一级"})
    outcome = recalc_file(tracker, as_of=date(2026, 11, 20))
    codes = {(p.row, p.code) for p in outcome.result.problems}
    assert (3, "LEVEL_DOWN") in codes and (5, "LEVEL_MANUAL") in codes
    ws = openpyxl.load_workbook(tracker)[maintenance.ACCOUNTS]
    header = {c.value: c.column for c in ws[2]}
    assert ws.cell(3, header["级别"]).value == "二级" and ws.cell(5, header["级别"]).value == "一级"
    assert "低于上月级别" in ws.cell(3, header["备注"]).value
    assert ws.cell(5, header["备注"]).value == "人工调整（建议三级，上月三级）"


def test_overwritten_formulas_are_restored_and_reported(tracker):
    wb = openpyxl.load_workbook(tracker)
    ws = wb[maintenance.WORK]
    col = {c.value: c.column for c in ws[2] if c.value}
    ws.cell(3, col["有效"]).value = "是"            # someone typed over 有效
    ws.cell(4, col["无效原因"]).value = None       # and cleared a 无效原因
    wb.save(tracker)
    outcome = recalc_file(tracker, as_of=date(2026, 11, 20))
    assert outcome.result.restored == {"工作记录/有效": 1}
    ws = openpyxl.load_workbook(tracker)[maintenance.WORK]
    assert ws.cell(3, col["有效"]).value.startswith("=IF(") and ws.cell(4, col["无效原因"]).value.startswith("=IF(")


def test_check_changes_nothing_and_exits_non_zero_on_problems(tracker):
    before = tracker.read_bytes()
    result = run("check", tracker, "--as-of", "2026-11-20")
    assert result.exit_code == 1 and "帐户ID「C9」不在" in result.output
    assert tracker.read_bytes() == before


def test_check_passes_on_a_clean_month(workspace):
    path = open_november(workspace)
    type_work_records(path, [WORK[0], WORK[6]])
    result = run("check", path, "--as-of", "2026-11-20")
    assert result.exit_code == 0, result.output
    assert "检查通过" in result.output


def test_recalc_keeps_a_backup_and_writes_atomically(tracker):
    before = tracker.read_bytes()
    outcome = recalc_file(tracker, as_of=date(2026, 11, 20))
    assert outcome.backup.parent.name == ".kefu-backup" and outcome.backup.read_bytes() == before
    assert not list(tracker.parent.glob(".~kefu-*"))


def test_file_open_in_excel_is_refused(tracker):
    (tracker.parent / f"~${tracker.name}").write_bytes(b"x")
    before = tracker.read_bytes()
    result = run("recalc", tracker)
    assert result.exit_code == 1 and "正在被" in result.output and "Traceback" not in result.output
    assert tracker.read_bytes() == before


def test_content_openpyxl_would_drop_needs_force(tracker):
    """Only when the whole workbook must be rewritten through openpyxl (here: a sheet written
    with a namespace prefix, which the patcher does not read); a normal recalc patches its
    cells and keeps the chart (tests/test_patch.py)."""
    add_chart(tracker, maintenance.SUMMARY)
    prefix_namespace(tracker, maintenance.SUMMARY)
    before = tracker.read_bytes()
    result = run("recalc", tracker)
    assert result.exit_code == 1 and "图表" in result.output and "--force" in result.output
    assert tracker.read_bytes() == before
    result = run("recalc", tracker, "--force")
    assert result.exit_code == 0
    assert (tracker.parent / ".kefu-backup").exists()


def test_workbook_not_made_by_kefu(tmp_path):
    path = tmp_path / "别的表.xlsx"
    openpyxl.Workbook().save(path)
    before = path.read_bytes()
    result = run("recalc", path)
    assert result.exit_code == 1 and "不是 kefu-xl 生成的工作簿" in result.output
    assert path.read_bytes() == before


def test_renamed_header_is_refused_without_writing(tracker):
    wb = openpyxl.load_workbook(tracker)
    ws = wb[maintenance.WORK]
    ws.cell(2, next(c.column for c in ws[2] if c.value == "工作类型")).value = "类型"
    wb.save(tracker)
    before = tracker.read_bytes()
    result = run("recalc", tracker)
    assert result.exit_code == 1 and "工作类型" in result.output
    assert tracker.read_bytes() == before


def test_missing_file(tmp_path):
    result = run("recalc", tmp_path / "没有.xlsx")
    assert result.exit_code == 1 and "文件不存在" in result.output


def test_unexpected_errors_are_a_chinese_message_not_a_traceback(tracker, monkeypatch):
    import kefu_xl.cli as cli_module
    monkeypatch.delenv("KEFU_DEBUG", raising=False)

    def boom(*args, **kwargs):
        raise RuntimeError("模拟的程序错误")
    monkeypatch.setattr(cli_module, "recalc_file", boom)          # where the command calls it
    before = tracker.read_bytes()
    result = run("recalc", tracker)
    assert result.exit_code == 2 and "内部错误" in result.output and "模拟的程序错误" in result.output
    assert "Traceback" not in result.output and tracker.read_bytes() == before


def test_disk_full_fails_cleanly(tracker, monkeypatch):
    import errno

    import kefu_xl.io.safe_write as safe_write
    before = tracker.read_bytes()

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(openpyxl.Workbook, "save", full)
    monkeypatch.setattr(PatchBook, "save", full)
    result = run("recalc", tracker)
    assert result.exit_code == 1 and "磁盘已满：维护跟踪_2026-11.xlsx 没有写入" in result.output and "No space" not in result.output
    assert tracker.read_bytes() == before
    assert not list(tracker.parent.glob(".~kefu-*")) and safe_write  # no temp file left behind


@pytest.mark.parametrize("meanwhile", ["saved", "opened"])
def test_a_command_line_recalc_never_writes_over_a_save_made_while_it_runs(tracker, monkeypatch, meanwhile):
    """DOMAIN §27: a manager's 「随时」 recalc while people work. The person's save (or their
    Excel opening the file) during the recalc wins: their file stays, the command says so, exit 1."""
    import kefu_xl.app.workbooks as workbooks
    real = workbooks.recalc_open_workbook

    def a_person_meanwhile(wb, path, **kw):
        out = real(wb, path, **kw)
        if meanwhile == "saved":
            book = openpyxl.load_workbook(path)
            book[maintenance.WORK]["G40"] = "刚保存的一条"
            book.save(path.with_name("excel-temp.xlsx"))         # Excel writes a new file and renames it
            os.replace(path.with_name("excel-temp.xlsx"), path)
        else:
            (path.parent / f"~${path.name}").write_bytes(b"excel")
        return out
    monkeypatch.setattr(workbooks, "recalc_open_workbook", a_person_meanwhile)
    backups = set((tracker.parent / ".kefu-backup").glob("*"))
    result = run("recalc", tracker, "--as-of", "2026-11-20")
    assert result.exit_code == 1, result.output
    assert ("被修改或保存过" if meanwhile == "saved" else "正在被 Excel/WPS/LibreOffice 打开") in result.output
    assert "已保存" not in result.output
    if meanwhile == "saved":
        assert openpyxl.load_workbook(tracker)[maintenance.WORK]["G40"].value == "刚保存的一条"
    assert set((tracker.parent / ".kefu-backup").glob("*")) == backups          # no copy of a version nobody replaced


def test_python_values_are_turned_into_columns_alike_whatever_each_row_names():
    """cache_keyed takes {row: {header: value}} column by column: rows that all name the same
    headers in one order (a tracker's records) are turned over at once, other rows one by one —
    the same columns either way."""
    from kefu_xl.app.workbooks import _by_header
    alike = [(5, {"有效": "是", "无效原因": ""}), (6, {"有效": "否", "无效原因": "重复"})]
    assert _by_header(alike, ["有效", "无效原因", "序号"]) == \
        {"有效": {5: "是", 6: "否"}, "无效原因": {5: "", 6: "重复"}, "序号": {}}
    mixed = [(5, {"有效": "是"}), (6, {"无效原因": "重复", "有效": "否"}), (7, {"无效原因": "x", "有效": "是"})]
    assert _by_header(mixed, ["有效", "无效原因"]) == {"有效": {5: "是", 6: "否", 7: "是"}, "无效原因": {6: "重复", 7: "x"}}
    assert _by_header([], ["有效"]) == {"有效": {}}


def test_python_values_held_as_columns_read_as_the_rows_they_stand_for():
    """A tracker's 工作记录 values come as columns (RowColumns): read row by row they are the
    {row: {header: value}} every other sheet gives, and cache_keyed's columns are the same."""
    from kefu_xl.app.workbooks import _by_header
    from kefu_xl.kinds.base import RowColumns
    columns = RowColumns([5, 6, 9], {"有效": ["是", "否", "是"], "序号": ["", 46_000_006, ""]})
    rows = {5: {"有效": "是", "序号": ""}, 6: {"有效": "否", "序号": 46_000_006}, 9: {"有效": "是", "序号": ""}}
    assert dict(columns) == rows and columns == rows and list(columns) == [5, 6, 9] and len(columns) == 3
    assert columns[9] == {"有效": "是", "序号": ""} and 7 not in columns
    assert columns.by_header() == _by_header(list(rows.items()), ["有效", "序号"])
