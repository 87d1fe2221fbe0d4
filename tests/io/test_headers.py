"""Headers are matched by text with the usual variants (账/帐, a unit in brackets, 日期/日
endings, spaces, full-width forms) and a workspace's [headers] aliases — for every input file
and kefu-xl's own sheets alike; an unknown header's message lists what was found and names the
nearest expected header."""
from datetime import date

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import write_xlsx

from kefu_xl.app import spend_watch
from kefu_xl.app.workbooks import recalc_file
from kefu_xl.cli import cli
from kefu_xl.config import load_config
from kefu_xl.errors import ConfigError
from kefu_xl.io.headers import header_key, header_lookup, missing_message, nearest
from kefu_xl.kinds import (
    archive,
    callbacks,
    complaints,
    maintenance,
    newclient,
    onlinesales,
    orders,
    personal,
    refunds,
    renewal,
    roster,
    watch,
)
from kefu_xl.month import Month

NOV = Month(2026, 11)


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.mark.parametrize("variant, header", [
    ("账户ID", "帐户ID"), (" 帐户 ID ", "帐户ID"), ("帐户ＩＤ", "帐户ID"), ("帐户id", "帐户ID"), ("帐户\u3000ID", "帐户ID"),
    ("消耗(元)", "消耗"), ("消耗（元）", "消耗"), ("余额 (元)", "余额"), ("周消耗[元/周]", "周消耗"), ("余额【元】", "余额"),
    ("合同到期日期", "合同到期日"), ("开户日", "开户日期"), ("到账日期", "到帐日期"), ("成交金额（元）", "成交金额"),
    ("下单日", "下单日期"), ("入职日", "入职日期"),
])
def test_variants_name_the_same_column(variant, header):
    assert header_key(variant) == header_key(header)


@pytest.mark.parametrize("a, b", [
    ("帐户ID（去空格）", "帐户ID"),       # a bracket that is not a unit is part of the name
    ("日期", "日"), ("消耗", "周消耗"), ("余额", "余额不足"), ("帐户ID", "帐户"),
])
def test_different_headers_stay_different(a, b):
    assert header_key(a) != header_key(b)


def test_no_two_declared_headers_of_a_sheet_become_one():
    config = load_config()
    specs = [k.spec(config, NOV) for k in (maintenance, renewal, newclient, refunds, complaints, onlinesales,
                                           personal, watch, callbacks)]
    specs += [orders.spec(config), archive.spec(config), roster.SPEC]
    for wspec in specs:
        for sheet in wspec.sheets:
            keys = [header_key(h) for h in sheet.headers]
            assert len(keys) == len(set(keys)), (wspec.kind, sheet.name)


def test_aliases_add_names_but_never_take_a_declared_one():
    lookup = header_lookup(["帐户ID", "客户名称"], {"账户ID": ["账号", "客户名称"], "不读的表头": ["x"]})
    assert lookup[header_key("账号")] == "帐户ID"
    assert lookup[header_key("客户名称")] == "客户名称"        # the declared header keeps its own name
    assert header_key("x") not in lookup


def test_nearest_suggests_a_close_header_once():
    assert nearest(["帐户ID", "消耗"], ["帐号ID", "日期", "花费"]) == {"帐户ID": "帐号ID"}
    message = missing_message(["帐户ID"], ["帐号ID", "消耗", "余额"])
    assert "找到的表头是：「帐号ID」、「消耗」、「余额」" in message
    assert "「帐号ID」是不是「帐户ID」" in message and '"帐户ID" = ["帐号ID"]' in message


STATUS = ["账户ID", "客户名称", "客服", "行业", "周消耗(元)", "余额（元）", "合同到期日期", "开户日期"]


def write_real_status(workspace, month="2026-11"):
    return write_xlsx(workspace / month / "inputs" / "帐户状态.xlsx", [
        STATUS,
        ["1712002734349670", "甲建材", "张敏", "建材", 2500, "12,000.00", "2027-01-01", date(2024, 1, 1)],
        ["1712002734349671", "乙家居", "李娜", "家居", 300, 100, date(2026, 11, 20), date(2024, 1, 1)],
    ], title="帐户状态导出")


def test_a_real_export_is_accepted_by_month_open_and_watch(workspace):
    write_real_status(workspace)
    result = run("month", "open", "2026-11", "--dir", workspace, "--as-of", "2026-11-10")
    assert result.exit_code == 0, result.output
    tracker = workspace / "2026-11" / maintenance.file_name(NOV)
    wb = openpyxl.load_workbook(tracker, read_only=True)
    ids = [r[0] for r in wb[maintenance.ACCOUNTS].iter_rows(min_row=3, values_only=True) if r[0]]
    assert ids == ["1712002734349670", "1712002734349671"]
    # 合同到期日期 was read: 乙家居's contract ends within 30 days, so it is due for renewal
    outcome = recalc_file(workspace / "2026-11" / renewal.file_name(NOV), write=False, as_of=date(2026, 11, 10))
    due = {r.account_id: r for r in outcome.result.figures.rows}
    assert set(due) == {"1712002734349671"} and due["1712002734349671"].contract_end == date(2026, 11, 20)
    assert due["1712002734349671"].balance == 100

    exports = workspace / "2026-11" / "inputs" / "消耗"
    write_xlsx(exports / "2026-11-09.xlsx", [["账户 ID", "消耗(元)", "余额（元）"],
                                             ["1712002734349670", 800, 9000], ["1712002734349671", 50, 100]])
    write_xlsx(exports / "2026-11-10.xlsx", [["账户ID", "消耗（元）", "余额(元)"],
                                             ["1712002734349670", 0, 9000], ["1712002734349671", 50, 50]])
    result = run("watch", "2026-11-10", "--dir", workspace)
    assert result.exit_code == 0, result.output
    found = {a.account_id: a.reasons for a in spend_watch.watch_day(workspace, date(2026, 11, 10)).found}
    assert found == {"1712002734349670": ("消耗降为0",), "1712002734349671": ("余额不足",)}


def test_aliases_from_the_workspace_config(workspace):
    rows = [["广告账户", "广告主", "客服", "行业", "近7天消费", "余额", "合同到期日", "开户日期"],
            ["GA1", "甲建材", "张敏", "建材", 2500, 100, date(2027, 1, 1), date(2024, 1, 1)]]
    write_xlsx(workspace / "2026-11" / "inputs" / "帐户状态.xlsx", rows)
    result = run("month", "open", "2026-11", "--dir", workspace)
    assert result.exit_code == 1
    assert "「广告账户」" in result.output and "缺少表头" in result.output
    config = workspace / "kefu-xl.toml"
    config.write_text(config.read_text("utf-8").replace(
        "[headers]\n", '[headers]\n"帐户ID" = ["广告账户"]\n"客户名称" = "广告主"\n"周消耗" = ["近7天消费"]\n'), "utf-8")
    result = run("month", "open", "2026-11", "--dir", workspace, "--as-of", "2026-11-10")
    assert result.exit_code == 0, result.output
    outcome = recalc_file(workspace / "2026-11" / maintenance.file_name(NOV), write=False, as_of=date(2026, 11, 10))
    (account,) = outcome.result.figures.accounts
    assert (account.account_id, account.client, account.weekly_spend) == ("GA1", "甲建材", 2500)


def test_a_bad_alias_is_a_config_error(tmp_path):
    path = tmp_path / "kefu-xl.toml"
    path.write_text('[headers]\n"帐户ID" = [""]\n', "utf-8")
    with pytest.raises(ConfigError, match="headers.帐户ID"):
        load_config(path)


def test_unknown_header_names_what_was_found_and_the_nearest(workspace):
    rows = [["帐号ID", "客户名称", "客服", "行业", "周消耗", "余额", "合同到期日", "开户日期"],
            ["GA1", "甲建材", "张敏", "建材", 2500, 100, date(2027, 1, 1), date(2024, 1, 1)]]
    write_xlsx(workspace / "2026-11" / "inputs" / "帐户状态.xlsx", rows)
    result = run("month", "open", "2026-11", "--dir", workspace)
    assert result.exit_code == 1
    text = "".join(result.output.split())            # the table may wrap the message
    assert "缺少表头「帐户ID」" in text and "「帐号ID」是不是「帐户ID」" in text
    assert not (workspace / "2026-11" / maintenance.file_name(NOV)).exists()


def test_roster_headers_with_variants_and_an_alias(workspace):
    path = workspace / roster.FILE_NAME
    path.unlink()
    write_xlsx(path, [["姓名", " 星级 ", "入职日", "在职"], ["张敏", "三星", date(2022, 3, 1), "是"]], sheet=roster.SHEET)
    staff, problems = roster.read_roster(path)
    assert not staff and "「姓名」" in problems[0].message
    config = workspace / "kefu-xl.toml"
    config.write_text(config.read_text("utf-8").replace("[headers]\n", '[headers]\n"客服" = ["姓名"]\n'), "utf-8")
    staff, problems = roster.read_roster(path)
    assert not problems and [(m.name, m.star, m.hired) for m in staff] == [("张敏", "三星", date(2022, 3, 1))]


def test_crm_csv_in_gbk_with_variant_headers(tmp_path):
    from kefu_xl.io.crm import read_crm_export
    path = tmp_path / "CRM订单.csv"
    path.write_bytes(("CRM 导出\n订单号,商家,类目,活动场次,网友姓名,手机,成交金额（元）,订单状态,下单日\n"
                      "100001,甲家居,家具,2026秋季,王五,13800001111,\"1,200.50\",成交,2026-11-02\n").encode("gbk"))
    problems = []
    frame = read_crm_export(path, problems)
    assert not problems
    assert frame.loc[3, "成交金额"] == "1,200.50" and frame.loc[3, "订单号"] == "100001"
    assert frame.loc[3, "下单日期"] == "2026-11-02"


def test_callback_inputs_with_variant_headers(workspace):
    from kefu_xl.io.tables import read_table
    path = write_xlsx(workspace / "2026-10" / "inputs" / "报名.xlsx", [
        ["报名编号", "报名 时间", "网友姓名", "手机", "活动场次", "网友类型", "活动类型"],
        ["B1", "2026-10-12 10:00", "王五", "13800001111", "秋季家博会", "新网友", "主场"]])
    table = read_table(path, callbacks.SIGNUP_HEADERS)
    assert not table.problems and table.rows[0][1]["报名时间"] == "2026-10-12 10:00"
