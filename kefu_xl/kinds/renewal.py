"""续费跟踪_YYYY-MM.xlsx (kind renewal): accounts due for renewal this month and those
carried from earlier months, their follow-up, stage and commission (docs/renewal.md)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import Config
from ..inputs import ACCOUNT_STATUS, read_account_status
from ..io.tables import find_input
from ..io.values import is_blank, money_text
from ..month import Month
from ..records import AccountStatus, Problem, RenewalRow, Severity, StaffMember
from ..rules import renewal as rules
from ..rules.completion import id_key, percent
from ..sheets.build import build_workbook, write_total_row
from ..sheets.read import write_problem_sheet
from ..sheets.spec import Column, Highlight, Role, SheetSpec, Type, WorkbookSpec
from .base import (
    Kind,
    RecalcContext,
    RecalcResult,
    cell_date,
    cell_number,
    cell_text,
    collected,
    finish_recalc,
    read_tracker,
    rebuild_rows,
    restore_formulas,
    start_recalc,
    typed_date,
)
from .base import staff_names as base_staff_names
from .team_rows import collect_into_team

KIND = "renewal"
TITLE = "续费跟踪表"
RENEWALS, SUMMARY, DORMANT = "续费", "客服汇总", "休眠帐户"
FOLLOW_UP = ("提醒日期", "跟进记录", "续费状态", "续费金额", "到帐日期")     # typed in the personal workbook
RED, ORANGE, GREEN = "FFC7CE", "FFEB9C", "C6EFCE"
TOTALS = {"当月应续数": "sum", "当月已续数": "sum", "当月续费率": ("ratio", "当月已续数", "当月应续数"), "遗留数": "sum",
          "遗留续费数": "sum", "丢失客户数": "sum", "续费到帐金额": "sum", "续费提成": "sum"}


def file_name(month: Month) -> str:
    return f"续费跟踪_{month}.xlsx"


def spec(config: Config, month: Month) -> WorkbookSpec:
    this = month.year * 12 + month.month
    months = "({this}-VALUE(LEFT([首次提醒月份],4))*12-VALUE(MID([首次提醒月份],6,2)))".format(this=this)
    in_month = f"AND(ISNUMBER([到帐日期]),[到帐日期]>={month.excel_first()},[到帐日期]<={month.excel_last()})"
    rate = config.commission_rate
    follow = Role.COMPUTED if collected(config) else Role.INPUT
    by = "（由各人的个人工作簿「我的续费」汇总）" if collected(config) else ""
    renewals = SheetSpec(
        name=RENEWALS, title=f"{month.label} {TITLE}", key="帐户ID", buffer_rows=100, row_markers=("帐户ID",),
        columns=(
            Column("帐户ID", Role.INPUT, Type.ID, help="帐户ID。"),
            Column("客户名称", Role.INPUT, Type.TEXT, width=24, help="客户名称。"),
            Column("客服", Role.INPUT, Type.TEXT, help="负责续费跟进的客服。"),
            Column("来源", Role.COMPUTED, Type.TEXT, help="当月：本月到期提醒名单；遗留：上月未完成的续费，自动结转。"),
            Column("首次提醒月份", Role.COMPUTED, Type.TEXT, help="第一次进入续费名单的月份（结转时保留）。"),
            Column("余额", Role.INPUT, Type.MONEY, help="帐户余额（元），开月时取自帐户状态表。"),
            Column("周消耗", Role.INPUT, Type.MONEY, help="近一周消耗（元）。"),
            Column("可投放天数", Role.DERIVED, Type.DAYS,
                   'IF(OR(NOT(ISNUMBER([周消耗])),N([周消耗])<=0,NOT(ISNUMBER([余额]))),"",[余额]/([周消耗]/7))',
                   help=f"余额 ÷ (周消耗 ÷ 7)；少于 {config.due_balance_days} 天须提醒续费。"),
            Column("合同到期日", Role.INPUT, Type.DATE, help=f"合同到期日；当月 1 日起 {config.due_contract_days} 天内到期须提醒。"),
            Column("提醒日期", follow, Type.DATE, help=f"{by}通知客户续费的日期。"),
            Column("跟进记录", follow, Type.TEXT, width=30, help=f"{by}跟进情况；流失时写明原因。"),
            Column("续费状态", follow, Type.TEXT, dropdown=rules.STATUSES, help=f"{by}跟进中 / 已续费 / 流失（空白按跟进中）。"),
            Column("续费金额", follow, Type.MONEY, help=f"{by}续费金额（元）。"),
            Column("到帐日期", follow, Type.DATE, help=f"{by}续费款实际到帐日期；提成以到帐为准。"),
            Column("阶段", Role.DERIVED, Type.TEXT,
                   f'IF([帐户ID]="","",IF([续费状态]="{rules.RENEWED}","{rules.STAGE_RENEWED}",'
                   f'IF([续费状态]="{rules.LOST}","{rules.STAGE_LOST}",IF(ISERROR({months}),"{rules.STAGE_REMIND}",'
                   f'IF({months}>=3,"{rules.STAGE_LOST}",IF({months}<=0,"{rules.STAGE_REMIND}","{rules.STAGE_FOLLOW}"))))))',
                   width=14, help="已续费→当月续费；跟进中：首次提醒当月→提醒阶段，1–2 个月→遗留跟踪，≥3 个月或流失→二次开发/休眠。"),
            Column("提成", Role.DERIVED, Type.MONEY,
                   f'IF([帐户ID]="","",IF(AND({in_month},ISNUMBER([续费金额])),ROUND([续费金额]*{rate},2),0))',
                   help=f"续费金额 × {rate * 100:g}%，以本月实际到帐为准。"),
        ),
        highlights=(Highlight(f'[阶段]="{rules.STAGE_LOST}"', RED, ("阶段",)),
                    Highlight(f'[阶段]="{rules.STAGE_RENEWED}"', GREEN, ("阶段",)),
                    Highlight(f'AND([可投放天数]<>"",N([可投放天数])<{config.due_balance_days})', ORANGE, ("可投放天数",))),
    )
    r = RENEWALS
    summary = SheetSpec(
        name=SUMMARY, title=f"{month.label} 续费汇总", key="客服", buffer_rows=0, row_markers=("客服",),
        columns=(
            Column("客服", Role.COMPUTED, Type.TEXT, help="客服。"),
            Column("当月应续数", Role.DERIVED, Type.INT, f'COUNTIFS([{r}!客服],[客服],[{r}!来源],"{rules.THIS_MONTH}")',
                   help="本月新进入续费名单的帐户数。"),
            Column("当月已续数", Role.DERIVED, Type.INT,
                   f'COUNTIFS([{r}!客服],[客服],[{r}!来源],"{rules.THIS_MONTH}",[{r}!续费状态],"{rules.RENEWED}")',
                   help="其中已续费的数量。"),
            Column("当月续费率", Role.DERIVED, Type.RATIO, 'IF(N([当月应续数])=0,"",[当月已续数]/[当月应续数])',
                   help="当月已续数 ÷ 当月应续数。"),
            Column("遗留数", Role.DERIVED, Type.INT, f'COUNTIFS([{r}!客服],[客服],[{r}!来源],"{rules.CARRIED}")',
                   help="从上月结转的遗留帐户数。"),
            Column("遗留续费数", Role.DERIVED, Type.INT,
                   f'COUNTIFS([{r}!客服],[客服],[{r}!来源],"{rules.CARRIED}",[{r}!续费状态],"{rules.RENEWED}",'
                   f'[{r}!到帐日期],">="&{month.excel_first()},[{r}!到帐日期],"<="&{month.excel_last()})',
                   help="遗留帐户中本月到帐的续费数。"),
            Column("丢失客户数", Role.DERIVED, Type.INT, f'COUNTIFS([{r}!客服],[客服],[{r}!阶段],"{rules.STAGE_LOST}")',
                   help="阶段为二次开发/休眠的帐户数（不再结转，只计一次）。"),
            Column("续费到帐金额", Role.DERIVED, Type.MONEY,
                   f'SUMIFS([{r}!续费金额],[{r}!客服],[客服],[{r}!到帐日期],">="&{month.excel_first()},'
                   f'[{r}!到帐日期],"<="&{month.excel_last()})', help="本月到帐的续费金额。"),
            Column("续费提成", Role.DERIVED, Type.MONEY, f'SUMIFS([{r}!提成],[{r}!客服],[客服])', help="本月提成合计。"),
        ),
    )
    dormant = SheetSpec(
        name=DORMANT, title="休眠帐户（已进入二次开发/休眠、仍无消耗）", key="帐户ID", buffer_rows=0, protect=False,
        hidden=True, row_markers=("帐户ID",),
        columns=(Column("帐户ID", Role.COMPUTED, Type.ID, help="休眠帐户：不再列入续费提醒，直到重新有消耗。"),
                 Column("休眠月份", Role.COMPUTED, Type.TEXT, help="进入二次开发/休眠的月份。")),
    )
    notes = (
        f"应续：余额不足 {config.due_balance_days} 天消耗（可投放天数 = 余额 ÷ (周消耗 ÷ 7)），"
        f"或合同在当月 1 日起 {config.due_contract_days} 天内到期（含已过期）。",
        "遗留：上月跟进中、或已续费但款未到帐的帐户自动结转，保留首次提醒月份、提醒日期、跟进记录、续费状态、金额和到帐日期。",
        f"提成 = 续费金额 × {rate * 100:g}%，在款项实际到帐的月份计。流失须在跟进记录中写明原因。",
        "kefu-xl remind YYYY-MM 为跟进中的帐户生成续费提醒文字（可复制到微信/短信/邮件）。",
    )
    return WorkbookSpec(kind=KIND, title=TITLE, sheets=(renewals, summary, dormant), notes=notes)


def row_values(r: RenewalRow) -> dict:
    return {"帐户ID": r.account_id, "客户名称": r.client, "客服": r.staff, "来源": r.source, "首次提醒月份": r.first_month,
            "余额": r.balance, "周消耗": r.weekly_spend, "合同到期日": r.contract_end, "提醒日期": r.reminded,
            "跟进记录": r.notes or None, "续费状态": r.status or None, "续费金额": r.amount, "到帐日期": r.received}


def read_rows(data, file: str, problems: list[Problem]) -> list[RenewalRow]:
    out = []
    for row, v in data.rows:
        def day(header):         # a typed date: 12.5 typed for 12-05 is named with the date it looks like
            return typed_date(v, header, (file, RENEWALS, row), problems)
        money = {}
        for h in ("余额", "周消耗", "续费金额"):
            money[h] = cell_number(v[h])
            if money[h] is None and not is_blank(v[h]):
                problems.append(Problem(file, RENEWALS, row, h, "NOT_A_NUMBER", f"{h}「{v[h]}」不是数字。"))
        out.append(RenewalRow(cell_text(v["帐户ID"]), cell_text(v["客户名称"]), cell_text(v["客服"]), cell_text(v["来源"]),
                              cell_text(v["首次提醒月份"]), money["余额"], money["周消耗"], cell_date(v["合同到期日"]),
                              day("提醒日期"), cell_text(v["跟进记录"]), cell_text(v["续费状态"]), money["续费金额"],
                              day("到帐日期"), row))
    return out


def read_file(path: Path, config: Config) -> tuple[Month, list[RenewalRow], dict[str, str]]:
    """(month, rows, dormant {account key: month}) of a renewal tracker."""
    month, datas = read_tracker(path, lambda m: spec(config, m), (RENEWALS, DORMANT))
    rows = read_rows(datas[RENEWALS], path.name, []) if datas[RENEWALS] else []
    dormant = {id_key(cell_text(v["帐户ID"])): cell_text(v["休眠月份"])
               for _, v in (datas[DORMANT].rows if datas[DORMANT] else [])}
    return month, rows, dormant


def opening_rows(statuses: list[AccountStatus], previous: list[RenewalRow], previous_dormant: dict[str, str],
                 previous_month: Month | None, month: Month, config: Config) -> tuple[list[RenewalRow], dict[str, str]]:
    """This month's rows: carried rows first (updated from the export), then newly due accounts;
    and the dormant list carried on."""
    by_id = {id_key(s.account_id): s for s in statuses}
    dormant = dict(previous_dormant)
    for r in previous:
        if previous_month and rules.stage(r, previous_month) == rules.STAGE_LOST:
            dormant.setdefault(id_key(r.account_id), str(previous_month))
    rows, taken = [], set()
    for r in previous:
        if previous_month is None or not rules.carries_over(r, previous_month):
            continue
        s = by_id.get(id_key(r.account_id))
        rows.append(RenewalRow(
            r.account_id, s.client if s else r.client, s.staff if s else r.staff, rules.CARRIED, r.first_month,
            s.balance if s else r.balance, s.weekly_spend if s else r.weekly_spend,
            s.contract_end if s else r.contract_end, r.reminded, r.notes, r.status, r.amount, r.received))
        taken.add(id_key(r.account_id))
    for s in statuses:
        key = id_key(s.account_id)
        if key in taken:
            continue
        if key in dormant:
            if not s.weekly_spend:
                continue                     # still no spend: dormant, not due
            del dormant[key]                 # spending again: the usual rule applies
        if rules.is_due(s, month, config):
            rows.append(RenewalRow(s.account_id, s.client, s.staff, rules.THIS_MONTH, str(month), s.balance,
                                   s.weekly_spend, s.contract_end, None, "", "", None, None))
    return rows, dormant


def build(config: Config, month: Month, rows: list[RenewalRow], dormant: dict[str, str],
          roster: list[StaffMember], meta: dict | None = None):
    wspec = spec(config, month)
    staff = staff_names(roster, rows)
    titles = {s.name: s.title for s in wspec.sheets}
    data = {RENEWALS: [row_values(r) for r in rows], SUMMARY: [{"客服": n} for n in staff],
            DORMANT: [{"帐户ID": k, "休眠月份": m} for k, m in sorted(dormant.items())]}
    wb, layouts = build_workbook(wspec, titles, data, {}, {"month": str(month), **(meta or {})})
    write_total_row(wb[SUMMARY], layouts[SUMMARY], wspec.sheet(SUMMARY), len(staff), TOTALS)
    write_problem_sheet(wb, [], before="说明")
    return wb


def staff_names(roster: list[StaffMember] | None, rows: list[RenewalRow]) -> list[str]:
    return base_staff_names(roster, [r.staff for r in rows])


def check(rows: list[RenewalRow], known: set[str] | None, ctx: RecalcContext, problems: list[Problem]) -> None:
    for r in rows:
        def add(column, code, message, severity=Severity.ERROR):
            problems.append(Problem(ctx.file, RENEWALS, r.row, column, code, message, severity))
        if known is not None and id_key(r.account_id) not in known:
            add("帐户ID", "UNKNOWN_ACCOUNT", f"帐户ID「{r.account_id}」不在本月帐户状态表中，请核对。", Severity.WARNING)
        if r.status and r.status not in rules.STATUSES:
            add("续费状态", "BAD_STATUS", f"续费状态「{r.status}」应为 跟进中/已续费/流失。")
        if r.status == rules.RENEWED:
            if r.amount is None:
                add("续费金额", "RENEWED_WITHOUT_AMOUNT", "已续费但没有填写续费金额。")
            if r.received is None:
                add("到帐日期", "RENEWED_NOT_RECEIVED", "已续费但还没有到帐日期：到帐后请填写，提成在到帐月份计算。",
                    Severity.WARNING)
        if r.received and r.reminded and r.received < r.reminded:
            add("到帐日期", "RECEIVED_BEFORE_REMINDER", f"到帐日期 {r.received} 早于提醒日期 {r.reminded}。")
        if r.status == rules.LOST and not r.notes:
            add("跟进记录", "LOST_WITHOUT_REASON", "续费状态为流失，请在跟进记录中写明原因。")
        for h, v in (("余额", r.balance), ("续费金额", r.amount)):
            if v is not None and v < 0:
                add(h, "NEGATIVE", f"{h}不能为负数（现在是 {v}）。")
        if r.weekly_spend is not None and r.weekly_spend < 0:
            add("周消耗", "NEGATIVE", "周消耗不能为负数。")


def known_accounts(ctx: RecalcContext) -> set[str] | None:
    """Account IDs of the month's 帐户状态 export, when the workspace has it."""
    if ctx.workspace is None:
        return None
    try:
        statuses, _ = read_account_status(find_input(ctx.workspace / str(ctx.month) / "inputs", ACCOUNT_STATUS))
    except Exception:
        return None
    return {id_key(s.account_id) for s in statuses} or None


@dataclass
class RenewalFigures:
    """What the renewal recalc computed, as Python values (python_values writes them as the
    cached values of the formula cells; tests compare them with LibreOffice's)."""
    rows: Any
    staff: Any
    team: Any


def recalc(wb, ctx: RecalcContext) -> RecalcResult:
    config, month = ctx.config, ctx.month
    wspec = spec(config, month)
    result, found = start_recalc(wb, ctx, KIND, wspec, rebuilt=(SUMMARY, DORMANT))
    problems = result.problems
    if found is None:
        return result
    layouts, datas = found
    collect_into_team(wb, wspec, KIND, RENEWALS, FOLLOW_UP, layouts, datas, ctx, problems)
    rows = read_rows(datas[RENEWALS], ctx.file, problems)
    check(rows, known_accounts(ctx), ctx, problems)
    staff = staff_names(ctx.roster, rows) if ctx.roster is not None else staff_names(None, rows)
    per_staff = [rules.staff_renewal(n, rows, month, config) for n in staff]
    if ctx.write:
        restore_formulas(wb, wspec.sheet(RENEWALS), layouts, datas[RENEWALS], result, ctx.file)
        rebuild_rows(wb, wspec.sheet(SUMMARY), layouts, [{"客服": n} for n in staff])
        write_total_row(wb[SUMMARY], layouts[SUMMARY], wspec.sheet(SUMMARY), len(staff), TOTALS)
        finish_recalc(wb, wspec, ctx, problems)
    result.summary_headers = ["客服", "当月应续数", "当月已续数", "当月续费率", "遗留数", "丢失客户数", "续费到帐金额", "续费提成"]
    result.summary_rows = [[n, str(s["当月应续数"]), str(s["当月已续数"]), percent(s["当月续费率"]), str(s["遗留数"]),
                            str(s["丢失客户数"]), money_text(s["续费到帐金额"]), money_text(s["续费提成"])]
                           for n, s in zip(staff, per_staff)]
    result.figures = RenewalFigures(rows=rows, staff=dict(zip(staff, per_staff)),
                                    team=rules.team_renewal(per_staff))
    return result


def python_values(result: RecalcResult) -> dict[str, dict]:
    month, config = result.context.month, result.context.config
    f = result.figures
    out = {RENEWALS: {}, SUMMARY: {}}
    for r in f.rows:
        out[RENEWALS][r.row] = {"可投放天数": rules.days_of_spend(r.balance, r.weekly_spend),
                                "阶段": rules.stage(r, month), "提成": rules.commission(r, month, config)}
    out[SUMMARY] = {**f.staff, "合计": f.team}
    return out


KIND_DEF = Kind(KIND, TITLE, spec, recalc, python_values, needs_roster=True, collects="follow_ups")
