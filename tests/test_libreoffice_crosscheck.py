"""Two engines agree: the workbook's own formulas, recalculated by LibreOffice headless,
equal Python's figures for every derived cell."""
from datetime import date

import openpyxl
import pytest
from helpers import (
    WORK,
    assert_engines_agree,
    libreoffice_values,
    open_november,
    type_cells,
)

from kefu_xl.app.workbooks import recalc_file
from kefu_xl.demo.typist import type_work_records
from kefu_xl.kinds import maintenance

pytestmark = pytest.mark.libreoffice


def test_maintenance_tracker_formulas_equal_python(workspace, tmp_path):
    path = open_november(workspace)
    type_work_records(path, WORK)
    type_cells(path, maintenance.ACCOUNTS, {(5, "级别"): "二级"})   # the manager raises C3 by hand
    outcome = recalc_file(path, as_of=date(2026, 11, 20))
    python = maintenance.python_values(outcome.result)
    office = libreoffice_values(path, tmp_path / "lo")
    compared = assert_engines_agree(python, office)
    # 5 accounts × 13 + 20 records × 7 (有效, 无效原因 and the five hidden helpers)
    # + 4 staff × 20 (with 抽查数, 不属实数, 邀约数, 到会数, 到会率, 补录数, 改动数, 删除数, 咨询数, 咨询及时率) + 合计 18
    assert compared == 5 * 13 + 20 * 9 + 4 * 20 + 18
    helpers = python[maintenance.WORK]
    assert sum(1 for v in helpers.values() if v["电话键"]) > 3 and any(v["计数键"] for v in helpers.values())
    assert any(isinstance(v["序号"], int) for v in helpers.values())
    # spot-check figures by hand: C1 is 一级 (4,1,5,2); valid calls 4 of 5, 1 report, 2 visits capped at 1
    c1 = python[maintenance.ACCOUNTS][3]
    assert (c1["电话拜访完成"], c1["上门拜访完成"], c1["报表完成"], c1["优化完成"]) == (4, 2, 1, 1)
    assert (c1["目标合计"], c1["完成合计"]) == (12, 7)
    # working days 2026-11-01..20 = 15
    assert python[maintenance.SUMMARY]["张敏"]["工作日数"] == 15


def test_user_inserted_and_overwritten_columns_still_agree(workspace, tmp_path):
    path = open_november(workspace)
    type_work_records(path, WORK)
    wb = openpyxl.load_workbook(path)
    for name in (maintenance.ACCOUNTS, maintenance.WORK):
        ws = wb[name]
        ws.protection.sheet = False
        ws.insert_cols(2)               # a column of their own (openpyxl shifts cells, not formulas)
        ws.cell(2, 2, "我的备注")
        ws.cell(3, 2, "重点客户")
    ws = wb[maintenance.ACCOUNTS]
    ws.cell(3, 19, 0.99)                 # typed over 完成率 of C1 (column shifted by one)
    wb.save(path)
    outcome = recalc_file(path, as_of=date(2026, 11, 20))
    assert outcome.result.restored_total >= 1
    office = libreoffice_values(path, tmp_path / "lo")
    assert_engines_agree(maintenance.python_values(outcome.result), office)
    wb = openpyxl.load_workbook(path)
    assert wb[maintenance.ACCOUNTS].cell(3, 2).value == "重点客户"
