"""续费跟踪 and 新客户跟踪: due rule, stages, commission, carry-over over three months,
validation, and LibreOffice agreement."""
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from conftest import write_status
from helpers import open_month_once, same

from kefu_xl.app.workbooks import recalc_file
from kefu_xl.app.workspace import open_month
from kefu_xl.config import load_config
from kefu_xl.demo.typist import type_rows
from kefu_xl.io.libreoffice import recalculate
from kefu_xl.kinds import newclient, renewal
from kefu_xl.month import Month
from kefu_xl.records import AccountStatus, NewClientRow, RenewalRow
from kefu_xl.rules import renewal as rules
from kefu_xl.sheets.layout import find_layout

C = load_config()
NOV, DEC, JAN = Month(2026, 11), Month(2026, 12), Month(2027, 1)


def status(balance, spend, contract_end=date(2028, 1, 1), account="C1"):
    return AccountStatus(account, "甲", "张敏", "", None if spend is None else Decimal(spend),
                         Decimal(balance), contract_end, date(2024, 1, 1))


@pytest.mark.parametrize("balance, spend, end, due", [
    (600, 700, date(2028, 1, 1), True),          # 6 days of spend
    (700, 700, date(2028, 1, 1), False),         # exactly 7 days: not under a week
    (100, 0, date(2028, 1, 1), False),           # no spend: days blank, not due by balance
    (9000, 700, date(2026, 12, 1), True),        # contract ends 11-01 + 30 days
    (9000, 700, date(2026, 12, 2), False),
    (9000, 700, date(2026, 10, 1), True),        # already expired
])
def test_due_rule(balance, spend, end, due):
    assert rules.is_due(status(balance, spend, end), NOV, C) is due


def row(first="2026-11", status="", amount=None, received=None, source="当月"):
    return RenewalRow("C1", "甲", "张敏", source, first, None, None, None, None, "", status,
                      None if amount is None else Decimal(amount), received)


@pytest.mark.parametrize("r, expected", [
    (row(), "提醒阶段"), (row("2026-10"), "遗留跟踪"), (row("2026-09"), "遗留跟踪"), (row("2026-08"), "二次开发/休眠"),
    (row(status="已续费"), "当月续费"), (row("2026-08", status="已续费"), "当月续费"), (row(status="流失"), "二次开发/休眠"),
    (row(first=""), "提醒阶段"),
])
def test_stage(r, expected):
    assert rules.stage(r, NOV) == expected


def test_commission_when_money_arrives_in_the_month():
    assert rules.commission(row(status="已续费", amount="12345.50", received=date(2026, 11, 30)), NOV, C) == Decimal("123.46")
    assert rules.commission(row(status="已续费", amount=5000, received=date(2026, 12, 1)), NOV, C) == 0
    assert rules.commission(row(status="已续费", amount=5000), NOV, C) == 0


def test_carry_over():
    assert rules.carries_over(row(), NOV)
    assert rules.carries_over(row(status="已续费", amount=1, received=None), NOV)
    assert rules.carries_over(row(status="已续费", amount=1, received=date(2026, 12, 3)), NOV)
    assert not rules.carries_over(row(status="已续费", amount=1, received=date(2026, 11, 3)), NOV)
    assert not rules.carries_over(row(status="流失"), NOV)
    assert not rules.carries_over(row("2026-08"), NOV)


def test_onboarding_status():
    steps = [date(2026, 11, d) for d in (3, 4, 5, 8, 10, 12)] + [None]
    r = NewClientRow("N1", "", "李娜", date(2026, 11, 2), "", None, tuple(steps), 60)
    f = rules.onboarding(r, date(2026, 11, 20))
    assert (f["上线达标"], f["上线天数"], f["辅导期结束"], f["完成项数"], f["状态"]) == ("是", 8, date(2026, 12, 2), 6, "辅导中")
    assert rules.onboarding(r, date(2026, 12, 3))["状态"] == "逾期"
    done = NewClientRow("N1", "", "李娜", date(2026, 11, 2), "", None, tuple(steps[:6] + [date(2026, 12, 1)]), 40)
    f = rules.onboarding(done, date(2026, 12, 3))
    assert (f["状态"], f["上线达标"], f["完成率"]) == ("已完成", "否", Decimal(1))


# ------------------------------------------------------------------ three months, by hand

EXPORT = {
    # id: (周消耗, 余额, 合同到期日, 开户日期)
    "R1": (700, 500, date(2028, 1, 1), date(2024, 1, 1)),     # 5 days left: due in Nov
    "R2": (700, 600, date(2028, 1, 1), date(2024, 1, 1)),     # due in Nov, renews in Nov, money in Nov
    "R3": (700, 300, date(2028, 1, 1), date(2024, 1, 1)),     # due in Nov, renewed, money arrives in Dec
    "R4": (0, 0, date(2026, 11, 20), date(2024, 1, 1)),       # contract expiring, lost in Nov
    "R5": (700, 9000, date(2028, 1, 1), date(2024, 1, 1)),    # not due
    "N1": (100, 5000, date(2028, 1, 1), date(2026, 11, 5)),   # new client of November
}


def export(workspace, month, changes=None):
    data = dict(EXPORT)
    data.update(changes or {})
    write_status(workspace, str(month), [[k, f"客户{k}", "张敏", "建材", *v] for k, v in data.items()])


def renewal_rows(path):
    _, rows, dormant = renewal.read_file(path, C)
    return {r.account_id: r for r in rows}, dormant


def test_three_months_of_renewals(workspace):
    export(workspace, NOV)
    open_month_once(workspace, NOV, as_of=date(2026, 11, 2))
    nov = workspace / "2026-11" / renewal.file_name(NOV)
    rows, _ = renewal_rows(nov)
    assert set(rows) == {"R1", "R2", "R3", "R4"} and all(r.source == "当月" for r in rows.values())
    spec = renewal.spec(C, NOV).sheet(renewal.RENEWALS)
    wb = openpyxl.load_workbook(nov)
    ws = wb[renewal.RENEWALS]
    layout, _ = find_layout(ws, spec)
    by_id = {ws.cell(r, 1).value: r for r in range(3, 7)}
    for account, values in {
        "R2": {"提醒日期": date(2026, 11, 3), "续费状态": "已续费", "续费金额": 10000, "到帐日期": date(2026, 11, 10)},
        "R3": {"提醒日期": date(2026, 11, 3), "续费状态": "已续费", "续费金额": 8000},
        "R4": {"提醒日期": date(2026, 11, 3), "续费状态": "流失", "跟进记录": "客户转投其他平台"},
        "R1": {"提醒日期": date(2026, 11, 4), "跟进记录": "客户说月底再定"},
    }.items():
        for h, v in values.items():
            ws.cell(by_id[account], layout.columns[h]).value = v
    wb.save(nov)
    result = recalc_file(nov, as_of=date(2026, 11, 30)).result
    z = result.figures.staff["张敏"]
    assert (z["当月应续数"], z["当月已续数"], z["丢失客户数"], z["续费到帐金额"], z["续费提成"]) == \
        (4, 2, 1, Decimal(10000), Decimal(100))
    assert z["当月续费率"] == Decimal("0.5")

    # December: R1 (跟进中) and R3 (money not arrived) carry; R4 lost is not carried and dormant
    export(workspace, DEC, {"R5": (700, 100, date(2028, 1, 1), date(2024, 1, 1)),      # R5 now due
                            "R2": (700, 20000, date(2028, 1, 1), date(2024, 1, 1))})   # R2 topped up
    open_month(workspace, DEC, as_of=date(2026, 12, 1))
    dec = workspace / "2026-12" / renewal.file_name(DEC)
    rows, dormant = renewal_rows(dec)
    assert {k: r.source for k, r in rows.items()} == {"R1": "遗留", "R3": "遗留", "R5": "当月"}
    assert rows["R1"].first_month == "2026-11" and rows["R1"].notes == "客户说月底再定"
    assert rows["R3"].status == "已续费" and rows["R3"].amount == 8000 and rows["R3"].reminded == date(2026, 11, 3)
    assert "r4" in dormant
    wb = openpyxl.load_workbook(dec)
    ws = wb[renewal.RENEWALS]
    layout, _ = find_layout(ws, spec)
    r3 = next(r for r in range(3, 6) if ws.cell(r, 1).value == "R3")
    ws.cell(r3, layout.columns["到帐日期"]).value = date(2026, 12, 5)
    wb.save(dec)
    result = recalc_file(dec, as_of=date(2026, 12, 31)).result
    z = result.figures.staff["张敏"]
    assert (z["当月应续数"], z["遗留数"], z["遗留续费数"], z["续费到帐金额"], z["续费提成"], z["丢失客户数"]) == \
        (1, 2, 1, Decimal(8000), Decimal(80), 0)
    assert {r.row: rules.stage(r, DEC) for r in result.figures.rows}  # stages computed

    # January: R1 still 跟进中 (first reminded 2026-11: 2 months, 遗留跟踪); R4 dormant with no spend is not due
    export(workspace, JAN, {"R2": (700, 20000, date(2028, 1, 1), date(2024, 1, 1)),
                            "R3": (700, 30000, date(2028, 1, 1), date(2024, 1, 1))})
    open_month(workspace, JAN, as_of=date(2027, 1, 4))
    rows, dormant = renewal_rows(workspace / "2027-01" / renewal.file_name(JAN))
    assert set(rows) == {"R1", "R5"} and "R4" not in rows and "r4" in dormant
    assert rules.stage(rows["R1"], JAN) == "遗留跟踪"
    assert rules.stage(rows["R1"], Month(2027, 2)) == "二次开发/休眠"


def test_new_clients_carry_until_done(workspace):
    export(workspace, NOV)
    open_month_once(workspace, NOV, as_of=date(2026, 11, 2))
    path = workspace / "2026-11" / newclient.file_name(NOV)
    _, rows, _ = newclient.read_file(path, C)
    assert [r.account_id for r in rows] == ["N1"]
    export(workspace, DEC, {"N2": (100, 5000, date(2028, 1, 1), date(2026, 12, 3))})
    open_month(workspace, DEC, as_of=date(2026, 12, 3))
    _, rows, _ = newclient.read_file(workspace / "2026-12" / newclient.file_name(DEC), C)
    assert [r.account_id for r in rows] == ["N1", "N2"]          # N1 unfinished: carried
    # and N1 is in December's maintenance tracker like any other account (level from its spend)
    wb = openpyxl.load_workbook(workspace / "2026-12" / "维护跟踪_2026-12.xlsx")
    levels = {r[0]: r[8] for r in wb["帐户"].iter_rows(min_row=3, values_only=True) if r[0]}
    assert levels["N1"] == "二级" and levels["N2"] is None


@pytest.fixture
def filled(workspace):
    export(workspace, NOV)
    open_month_once(workspace, NOV, as_of=date(2026, 11, 2))
    folder = workspace / "2026-11"
    r_spec = renewal.spec(C, NOV).sheet(renewal.RENEWALS)
    path = folder / renewal.file_name(NOV)
    wb = openpyxl.load_workbook(path)
    ws = wb[renewal.RENEWALS]
    layout, _ = find_layout(ws, r_spec)
    for r, values in {3: {"续费状态": "已续费", "续费金额": 12345.5, "到帐日期": date(2026, 11, 20), "提醒日期": date(2026, 11, 21)},
                      4: {"续费状态": "已续费"}, 5: {"续费状态": "流失"}}.items():
        for h, v in values.items():
            ws.cell(r, layout.columns[h]).value = v
    wb.save(path)
    type_rows(path, r_spec, [{"帐户ID": "X9", "客户名称": "手工加的", "客服": "李娜", "余额": -5, "周消耗": 350}])
    n_spec = newclient.spec(C, NOV).sheet(newclient.CLIENTS)
    n_path = folder / newclient.file_name(NOV)
    type_rows(n_path, n_spec, [
        {"帐户ID": "N7", "客户名称": "新乙", "客服": "李娜", "开户日期": date(2026, 11, 10), "告知帐户信息": date(2026, 11, 10),
         "确认推广负责人": date(2026, 11, 11), "广告上线": date(2026, 11, 9), "关键词数": 30},
        {"帐户ID": "N8", "客户名称": "新丙", "客服": "李娜", "开户日期": date(2026, 10, 1),
         **{s: date(2026, 10, 3 + i) for i, s in enumerate(rules.ONBOARDING_STEPS)}, "关键词数": 80},
    ])
    wb = openpyxl.load_workbook(n_path)
    ws = wb[newclient.CLIENTS]
    layout, _ = find_layout(ws, n_spec)
    ws.cell(3, layout.columns["广告上线"]).value = date(2026, 11, 12)
    ws.cell(3, layout.columns["关键词数"]).value = 55
    wb.save(n_path)
    return path, n_path


def test_validation(filled):
    path, n_path = filled
    codes = {(p.row, p.code) for p in recalc_file(path, as_of=date(2026, 11, 30)).result.problems}
    assert {(3, "RECEIVED_BEFORE_REMINDER"), (4, "RENEWED_WITHOUT_AMOUNT"), (5, "LOST_WITHOUT_REASON"),
            (7, "UNKNOWN_ACCOUNT"), (7, "NEGATIVE")} <= codes
    codes = {(p.row, p.code) for p in recalc_file(n_path, as_of=date(2026, 12, 20)).result.problems}
    assert {(4, "LAUNCH_BEFORE_OPENING"), (4, "LAUNCH_BELOW_STANDARD")} <= codes


@pytest.mark.libreoffice
def test_both_trackers_formulas_equal_python(filled, tmp_path):
    path, n_path = filled
    result = recalc_file(path, as_of=date(2026, 11, 30)).result
    checks = [(path, renewal.spec(C, NOV), renewal.python_values(result))]
    result = recalc_file(n_path, as_of=date(2026, 11, 30)).result
    checks.append((n_path, newclient.spec(C, NOV), newclient.python_values(result)))
    compared = 0
    for file, spec, python in checks:
        wb = openpyxl.load_workbook(recalculate(file, tmp_path / file.stem), data_only=True)
        for name, expected_rows in python.items():
            ws = wb[name]
            layout, _ = find_layout(ws, spec.sheet(name))
            for r, values in enumerate(ws.iter_rows(min_row=layout.first_data_row, values_only=True), layout.first_data_row):
                values = {h: values[c - 1] for h, c in layout.columns.items()}
                key = values["客服"] if name.endswith("汇总") else r
                for header, expected in expected_rows.get(key, {}).items():
                    got = values[header]
                    if hasattr(got, "date"):
                        got = got.date()
                    compared += 1
                    assert same(expected, got), (file.name, name, key, header, expected, got)
    # 续费 5 rows × 3; 客服汇总 3 staff + 合计 × 8; 新客户 3 rows × 6; 新客户汇总 3 staff × 5 + 合计's three sums
    assert compared == 5 * 3 + 4 * 8 + 3 * 6 + 3 * 5 + 3


def test_remind_renders_the_template(workspace):
    from click.testing import CliRunner

    from kefu_xl.cli import cli
    export(workspace, NOV)
    open_month_once(workspace, NOV, as_of=date(2026, 11, 2))
    result = CliRunner().invoke(cli, ["remind", "2026-11", "--dir", str(workspace)])
    assert result.exit_code == 0, result.output
    text = (workspace / "2026-11" / "续费提醒_2026-11.txt").read_text("utf-8")
    assert text.count("————") == 2 * 4                       # R1–R4 are due and 跟进中
    assert "客户R1 您好" in text and "余额 500.00 元" in text and "约可投放 5.0 天" in text
    assert "2026-11-20 到期" in text                          # R4's contract
    from kefu_xl.app.remind import reminders
    before = {r.account_id: r.text for r in reminders(workspace, NOV, today=date(2026, 11, 2))[0]}
    after = {r.account_id: r.text for r in reminders(workspace, NOV, today=date(2026, 11, 25))[0]}
    assert "将于 2026-11-20 到期" in before["R4"] and "已于 2026-11-20 到期" in after["R4"]   # not 将于 once past
    (workspace / "续费提醒.txt.j2").write_text("{{ 客户名称 }}：余额{{ 余额 }}，{{ 客服 }}", "utf-8")
    CliRunner().invoke(cli, ["remind", "2026-11", "--dir", str(workspace)])
    assert "客户R1：余额500.00，张敏" in (workspace / "2026-11" / "续费提醒_2026-11.txt").read_text("utf-8")
    (workspace / "续费提醒.txt.j2").write_text("{{ 客户 }}", "utf-8")
    result = CliRunner().invoke(cli, ["remind", "2026-11", "--dir", str(workspace)])
    assert result.exit_code == 1 and "不存在的变量" in result.output and "Traceback" not in result.output


def test_a_reminder_names_the_days_left_only_when_the_balance_runs_out_within_a_month(workspace):
    """R4 is due because its contract ends; its balance lasts 9000 ÷ (70 ÷ 7) = 900 days: the
    built-in text gives the balance without 「约可投放 900.0 天」. R1's 5 days are still named."""
    from kefu_xl.app.remind import reminders
    export(workspace, NOV, {"R4": (70, 9000, date(2026, 11, 20), date(2024, 1, 1))})
    open_month_once(workspace, NOV, as_of=date(2026, 11, 2))
    texts = {r.account_id: r.text for r in reminders(workspace, NOV, today=date(2026, 11, 2))[0]}
    assert "余额 9,000.00 元。" in texts["R4"] and "可投放" not in texts["R4"]
    assert "将于 2026-11-20 到期" in texts["R4"]
    assert "余额 500.00 元，按近期消耗约可投放 5.0 天。" in texts["R1"]
    (workspace / "续费提醒.txt.j2").write_text("{{ 帐户ID }} {{ 可投放天数 }} {{ 一月内用完 }}", "utf-8")
    texts = {r.account_id: r.text for r in reminders(workspace, NOV, today=date(2026, 11, 2))[0]}
    assert texts["R4"] == "R4 900.0 False" and texts["R1"] == "R1 5.0 True"     # a team's own text may still say it
    toml = workspace / "kefu-xl.toml"           # a team whose accounts are due under 1000 days of balance
    toml.write_text(toml.read_text("utf-8").replace("due_balance_days = 7 ", "due_balance_days = 1000 "), "utf-8")
    texts = {r.account_id: r.text for r in reminders(workspace, NOV, today=date(2026, 11, 2))[0]}
    assert texts["R4"] == "R4 900.0 True"


def test_refresh_adds_and_updates_but_keeps_typed_values(workspace):
    from click.testing import CliRunner

    from kefu_xl.cli import cli
    export(workspace, NOV)
    open_month_once(workspace, NOV, as_of=date(2026, 11, 2))
    path = workspace / "2026-11" / renewal.file_name(NOV)
    wb = openpyxl.load_workbook(path)
    ws = wb[renewal.RENEWALS]
    ws["K3"] = "已电话通知"          # 跟进记录 of R1, typed by staff
    wb.save(path)
    export(workspace, NOV, {"R1": (700, 350, date(2028, 1, 1), date(2024, 1, 1)),
                            "R6": (1400, 100, date(2028, 1, 1), date(2024, 1, 1)),
                            "N3": (50, 500, date(2028, 1, 1), date(2026, 11, 15))})
    result = CliRunner().invoke(cli, ["month", "open", "2026-11", "--dir", str(workspace)])
    assert result.exit_code == 1 and "--refresh" in result.output
    result = CliRunner().invoke(cli, ["month", "open", "2026-11", "--dir", str(workspace), "--refresh",
                                      "--as-of", "2026-11-10"])
    assert result.exit_code == 0, result.output
    rows, _ = renewal_rows(path)
    assert rows["R1"].balance == 350 and rows["R1"].notes == "已电话通知"
    assert "R6" in rows and rows["R6"].source == "当月"
    _, clients, _ = newclient.read_file(workspace / "2026-11" / newclient.file_name(NOV), C)
    assert [c.account_id for c in clients] == ["N1", "N3"]
    wb = openpyxl.load_workbook(workspace / "2026-11" / "维护跟踪_2026-11.xlsx")
    assert {r[0] for r in wb["帐户"].iter_rows(min_row=3, values_only=True) if r[0]} >= {"R6", "N3"}


def test_opening_out_of_order_warns(workspace):
    from click.testing import CliRunner

    from kefu_xl.cli import cli
    export(workspace, DEC)
    open_month(workspace, DEC, as_of=date(2026, 12, 1))
    export(workspace, NOV)
    result = CliRunner().invoke(cli, ["month", "open", "2026-11", "--dir", str(workspace)])
    assert result.exit_code == 0 and "2026-12 已经开过" in result.output
    assert "没有 2026-10 的工作簿" in result.output
