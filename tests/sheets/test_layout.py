"""The generated tracker looks like a tidy Chinese office workbook and carries its rules:
title, frozen header and ID column, filter, dropdowns with Chinese errors, protection,
conditional formats, print set-up, 说明 and a hidden _meta."""
import openpyxl
import pytest
from helpers import open_november

from kefu_xl.kinds import maintenance


@pytest.fixture
def wb(workspace):
    return openpyxl.load_workbook(open_november(workspace))


def test_title_header_freeze_filter(wb):
    ws = wb[maintenance.ACCOUNTS]
    assert ws["A1"].value == "2026年11月 月度维护跟踪表" and ws["A1"].font.b
    assert ws["A2"].value == "帐户ID" and ws["A2"].font.b and ws["A2"].font.name == "微软雅黑"
    assert ws.freeze_panes == "B3"
    assert ws.auto_filter.ref.startswith("A2:")
    assert ws.column_dimensions["B"].width >= 20          # 客户名称: CJK-aware width


def test_dropdowns_reject_invalid_entries_in_chinese(wb):
    ws = wb[maintenance.WORK]
    lists = {dv.formula1: dv for dv in ws.data_validations.dataValidation if dv.type == "list"}
    work_types = '"电话拜访,上门拜访,报表发送,帐户优化,续费完成,客户培训,电话邀约,其他"'
    assert work_types in lists and '"决策人,其他人员"' in lists
    dv = lists[work_types]
    assert dv.showErrorMessage and dv.errorStyle == "stop" and "请从下拉列表中选择" in dv.error
    assert any(dv.type == "date" for dv in ws.data_validations.dataValidation)
    levels = [dv for dv in wb[maintenance.ACCOUNTS].data_validations.dataValidation if dv.formula1 == '"一级,二级,三级"']
    assert levels


def test_inputs_unlocked_derived_locked_under_protection_without_password(wb):
    ws = wb[maintenance.ACCOUNTS]
    header = {c.value: c.column for c in ws[2]}
    assert ws.protection.sheet and not ws.protection.password
    assert ws.cell(3, header["级别"]).protection.locked is False
    assert ws.cell(3, header["完成率"]).protection.locked is True
    assert ws.cell(3, header["完成率"]).fill.fgColor.rgb.endswith("F2F2F2")     # derived look grey
    assert ws.cell(2, header["级别"]).fill.fgColor.rgb != ws.cell(2, header["完成率"]).fill.fgColor.rgb


def test_conditional_formats_highlight_problems(wb):
    rules = [r for cf in wb[maintenance.WORK].conditional_formatting for r in cf.rules]
    assert any('="否"' in r.formula[0] for r in rules)
    rules = [r for cf in wb[maintenance.ACCOUNTS].conditional_formatting for r in cf.rules]
    assert any("MATCH" in r.formula[0] for r in rules)


def test_print_setup(wb):
    ws = wb[maintenance.WORK]
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4)
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
    assert ws.print_title_rows == "$2:$2"


def test_help_and_meta(wb):
    assert wb.sheetnames[:7] == ["帐户", "工作记录", "抽查", "客服汇总", "日志", "咨询", "工作日历"]
    assert wb["工作日历"].sheet_state == "hidden"
    meta = {r[0]: r[1] for r in wb["_meta"].iter_rows(values_only=True)}
    assert wb["_meta"].sheet_state == "hidden"
    assert meta["kind"] == "maintenance" and meta["month"] == "2026-11" and meta["schema_version"] == 1
    assert meta["generated_at"]
    help_rows = {(r[0], r[1]) for r in wb["说明"].iter_rows(values_only=True)}
    spec = maintenance.spec(__import__("kefu_xl.config", fromlist=["load_config"]).load_config(),
                            maintenance.Month(2026, 11))
    for sheet in spec.sheets:
        for column in sheet.columns:
            assert (sheet.name, column.header) in help_rows


def test_headers_match_domain_exactly(wb):
    domain = {
        "帐户": ["帐户ID", "客户名称", "客服", "行业", "周消耗", "消耗档", "上月级别", "建议级别", "级别", "电话拜访目标",
               "上门拜访目标", "报表目标", "优化目标", "电话拜访完成", "上门拜访完成", "报表完成", "优化完成", "完成率"],
        "工作记录": ["日期", "客服", "帐户ID", "工作类型", "沟通对象", "内容摘要", "有效", "无效原因"],
        "客服汇总": ["客服", "星级", "帐户数", "容量", "超容量", "目标合计", "完成合计", "完成率", "有效工作数", "工作日数",
                 "日均有效工作", "达标"],
    }
    for sheet, headers in domain.items():
        got = [c.value for c in wb[sheet][2]]
        # in this order; kefu-xl's own columns may sit between (客户名称 beside 帐户ID in 工作记录)
        assert [h for h in got if h in headers] == headers
        assert got[:2] == headers[:2]


def test_a_texts_display_width_counts_wide_and_full_width_characters_twice():
    """Column widths, wrapped row heights and the 问题 sheet's row heights measure text so:
    CJK and full-width characters take two columns, half-width katakana and the rest one."""
    from kefu_xl.sheets.build import text_width
    assert text_width("") == 0 and text_width("A1001") == 5 and text_width(1001) == 4
    assert text_width("客服003") == 7 and text_width("ＡＢ１") == 6 and text_width("ﾊﾝｶｸ") == 4
    assert text_width("没有填满意度：电话拜访要谈到预算。") == 34
