"""kefu-xl report YYYY-MM (or --quarter 2026Q4): the monthly statement 绩效提成_*.xlsx.

The month's source rows are copied from the trackers into a `数据` sheet (recomputed by
Python from each tracker's inputs, never from cached formula values), so the file stands
alone and every figure of the statement is a live SUMIFS over it — and the same figure in
Python. Missing trackers and trackers with problems are named on the statement."""
from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment, Font

from ..config import ONLINE_CHANNELS, ValidRules, load_config
from ..errors import DataProblemsError, KefuError
from ..hints import command, here
from ..io.heap import without_cycle_collection
from ..io.safe_write import atomic_write, check_not_open
from ..kinds import maintenance, newclient, onlinesales, renewal
from ..kinds.roster import active_first
from ..month import Month
from ..records import Problem, Severity
from ..rules import onlinesales as online
from ..rules import renewal as renewal_rules
from ..rules import valid
from ..rules.completion import id_key, percent
from ..sheets.build import (
    FONT,
    Formula,
    build_workbook,
    print_one_page_wide,
    set_cell,
    style_name,
    total_values,
    write_total_row,
)
from ..sheets.layout import resolve
from ..sheets.read import write_problem_sheet
from ..sheets.spec import Column, Role, SheetSpec, Type, WorkbookSpec
from . import scorecard
from .collect import plan_days
from .report_html import ONLINE_COMMISSION_SHEET, ONLINE_CONVERSION_SHEET, render_html
from .workbooks import add_keyed_values, recalc_file
from .workspace import month_rules

DATA, STATEMENT, CHARTS = "数据", "绩效提成", "图表"
SIGNERS = ("制表", "客服经理", "财务", "总经理")
STAFF_ITEMS = ("目标合计", "完成合计", "有效工作", "当月应续", "当月已续", "丢失客户", "续费到帐金额", "续费提成",
               "新客户", "上线达标")
DAYS = "工作日数"


def _sum(item: str, team: bool) -> str:
    who = "" if team else ",[数据!客服],[客服]"
    return f'SUMIFS([数据!数值],[数据!项目],"{item}"{who})'


def _ratio(num: str, den: str, team: bool) -> str:
    return f'IF({_sum(den, team)}=0,"",{_sum(num, team)}/{_sum(den, team)})'


def figure_formulas(team: bool) -> dict[str, str]:
    days = _sum(DAYS, True)
    people = 'MAX(1,COUNTA([^客服])-1)' if team else "1"
    return {
        "维护完成率": _ratio("完成合计", "目标合计", team),
        "有效工作数": _sum("有效工作", team),
        "日均有效工作": f'IF({days}=0,"",{_sum("有效工作", team)}/{days}/{people})',
        "当月续费率": _ratio("当月已续", "当月应续", team),
        "丢失客户数": _sum("丢失客户", team),
        "续费到帐金额": _sum("续费到帐金额", team),
        "续费提成": _sum("续费提成", team),
        "新客户数": _sum("新客户", team),
        "上线达标率": _ratio("上线达标", "新客户", team),
        "计划完成率": _ratio("完成计划项", "计划项数", team),
    }


FIGURE_TYPES = {"维护完成率": Type.RATIO, "有效工作数": Type.INT, "日均有效工作": Type.NUMBER, "当月续费率": Type.RATIO,
                "丢失客户数": Type.INT, "续费到帐金额": Type.MONEY, "续费提成": Type.MONEY, "新客户数": Type.INT,
                "上线达标率": Type.RATIO, "计划完成率": Type.RATIO}
FIGURE_HELP = {
    "维护完成率": "Σ MIN(完成, 目标) ÷ Σ 目标（维护跟踪），用于工资计算。",
    "有效工作数": "工作记录中该客服的有效工作条数。",
    "日均有效工作": "有效工作数 ÷ 工作日数（合计行为人均）。",
    "当月续费率": "当月应续帐户中已续费的比例。",
    "丢失客户数": "阶段为二次开发/休眠的续费帐户。",
    "续费到帐金额": "本期到帐的续费金额。",
    "续费提成": "续费到帐金额 × 1%。",
    "新客户数": "新客户跟踪表中的新客户。",
    "上线达标率": "上线达标（≥50 个关键词）的新客户 ÷ 新客户数。",
    "计划完成率": "今日计划（分隔线以上）完成的事项 ÷ 计划的事项，本月各工作日之和（个人工作簿「每日小结」）。",
}


def spec(title: str, online: bool = False) -> WorkbookSpec:
    """The statement; with `online` (a month has a 网销台账) also 网销转化 and 网销提成."""
    statement = SheetSpec(
        name=STATEMENT, title=title, key="客服", buffer_rows=0, row_markers=("客服",),
        columns=(Column("客服", Role.COMPUTED, Type.TEXT, help="客服。"),
                 *(Column(h, Role.DERIVED, t, figure_formulas(False)[h], help=FIGURE_HELP[h])
                   for h, t in FIGURE_TYPES.items())),
    )
    data = SheetSpec(
        name=DATA, title="数据（从各跟踪表复制的原始行，绩效提成表的每个数字都由此计算）", key="来源", buffer_rows=0,
        row_markers=("项目",),
        columns=(Column("来源", Role.COMPUTED, Type.TEXT, width=26, help="数据来自哪个文件。"),
                 Column("行", Role.COMPUTED, Type.INT, help="该文件中的行号。"),
                 Column("月份", Role.COMPUTED, Type.TEXT, help="月份。"),
                 Column("客服", Role.COMPUTED, Type.TEXT, help="客服（网销项目为业务经理或网销客服的姓名）。"),
                 Column("项目", Role.COMPUTED, Type.TEXT, help="目标合计/完成合计/有效工作/工作日数/当月应续/当月已续/"
                                                                "丢失客户/续费到帐金额/续费提成/新客户/上线达标；"
                                                                "网销询盘/网销有效/网销转化成交/网销转化金额/"
                                                                "网销成交/网销成交金额/网销提成；"
                                                                "考核表另用：管理消耗额/满意度帐户/满意帐户/优化目标/优化完成/"
                                                                "邀约/到会/考试分数/考试人次/日志文件/补录，"
                                                                "以及「上月·」开头的上月各项。"),
                 Column("分组", Role.COMPUTED, Type.TEXT, help="网销项目：渠道（转化率）或角色（提成）；考核项目：帐户ID。"),
                 Column("数值", Role.COMPUTED, Type.NUMBER, help="数值。")),
    )
    notes = ("每个数字都是对「数据」表的公式；「数据」表的行从当月的维护跟踪、续费跟踪、新客户跟踪表（有网销台账时也从网销台账）"
             "按规则重新计算得到。",)
    return WorkbookSpec(kind="report", title="绩效提成表", sheets=(statement, data, *(online_sheets(title) if online else ())),
                        notes=notes)


def _online_sum(item: str, group: str | None, person: bool = False) -> str:
    by_group = f",[数据!分组],{group}" if group else ""
    return f'SUMIFS([数据!数值],[数据!项目],"{item}"{by_group}' + (",[数据!客服],[姓名])" if person else ")")


def _online_conversion(header: str) -> str:
    item = ONLINE_CONVERSION[header]
    return f'IF([渠道]="合计",{_online_sum(item, None)},{_online_sum(item, "[渠道]")})'


ONLINE_CONVERSION = {"询盘": "网销询盘", "有效": "网销有效", "成交": "网销转化成交", "成交金额": "网销转化金额"}
ONLINE_PEOPLE = {"成交数": "网销成交", "成交金额": "网销成交金额", "提成": "网销提成"}
COMMISSION_TOTALS = {"提成": "sum"}


def online_sheets(title: str) -> tuple[SheetSpec, SheetSpec]:
    """网销转化 (per channel, the months' own inquiries) and 网销提成 (per person and role)."""
    conversion = SheetSpec(
        name=ONLINE_CONVERSION_SHEET, title=title.replace("客服绩效与提成表", "网销询盘转化"), key="渠道", buffer_rows=0,
        row_markers=("渠道",),
        columns=(Column("渠道", Role.COMPUTED, Type.TEXT, help="询盘渠道；合计为全部渠道。"),
                 Column("询盘", Role.DERIVED, Type.INT, _online_conversion("询盘"), help="本期登记的询盘（不含遗留）。"),
                 Column("有效", Role.DERIVED, Type.INT, _online_conversion("有效"), help="其中有效的。"),
                 Column("有效率", Role.DERIVED, Type.RATIO, 'IF([询盘]=0,"",[有效]/[询盘])', help="有效 ÷ 询盘。"),
                 Column("成交", Role.DERIVED, Type.INT, _online_conversion("成交"), help="其中当月成交的。"),
                 Column("转化率", Role.DERIVED, Type.RATIO, 'IF([有效]=0,"",[成交]/[有效])', help="成交 ÷ 有效。"),
                 Column("成交金额", Role.DERIVED, Type.MONEY, _online_conversion("成交金额"), help="这些成交的金额。")),
    )
    people = SheetSpec(
        name=ONLINE_COMMISSION_SHEET, title=title.replace("客服绩效与提成表", "网销提成"), key="角色", buffer_rows=0,
        row_markers=("姓名",), row_key=("角色", "姓名"),
        columns=(Column("角色", Role.COMPUTED, Type.TEXT, help="业务经理 / 网销客服。"),
                 Column("姓名", Role.COMPUTED, Type.TEXT, help="姓名。"),
                 *(Column(h, Role.DERIVED, Type.INT if h == "成交数" else Type.MONEY,
                          _online_sum(item, "[角色]", person=True), help=f"网销台账「提成」表的{h}（各月相加）。")
                   for h, item in ONLINE_PEOPLE.items())),
    )
    return conversion, people


@dataclass
class ReportData:
    label: str
    months: list[Month]
    rows: list[dict] = field(default_factory=list)
    staff: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    online: bool = False            # a 网销台账 was found: the statement gets its two sheets
    hints: list[str] = field(default_factory=list)     # commands for the terminal, never on the statement
    as_of: date | None = None       # the last month's figures count up to this day (工作日数 too)
    figures: dict = field(default_factory=dict)     # (kind, month) → the tracker's figures (the 考核 sheet reads them)
    scorecard: dict = field(default_factory=dict)   # the 考核 sheet's cached values ((row, column) →)


def collect(workspace: Path, months: list[Month], as_of: date | None = None,
            rules: ValidRules | None = None) -> ReportData:
    """数据 rows of the given months, from each tracker's inputs (recalc without writing), each
    month as of `as_of` (default today) clamped to it — so a mid-month statement divides by the
    working days up to that day, as the tracker's 客服汇总 does. Valid work is judged by each
    month's own rules, or by `rules` (report --compare)."""
    config = load_config(workspace / "kefu-xl.toml")
    as_of = as_of or date.today()
    out = ReportData("", months, as_of=months[-1].clamp(as_of))
    staff: list[str] = []

    def add(source, row, month, person, item, value, group=""):
        out.rows.append({"来源": source, "行": row, "月份": str(month), "客服": person, "项目": item, "数值": value,
                         "分组": group})
        if person and person not in staff and not item.startswith("网销"):
            staff.append(person)

    for month in months:
        folder = workspace / str(month)
        trackers = {"maintenance": folder / maintenance.file_name(month), "renewal": folder / renewal.file_name(month),
                    "newclient": folder / newclient.file_name(month),
                    "onlinesales": folder / onlinesales.file_name(month)}
        for kind, path in trackers.items():
            if not path.exists():
                if kind in config.monthly:
                    out.warnings.append(f"缺少 {path.relative_to(workspace)}：{month} 的相关数字按 0 计。")
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                outcome = recalc_file(path, write=False, as_of=month.clamp(as_of), rules=rules)
            serious = [p for p in outcome.result.problems if p.severity is not Severity.INFO]
            if serious:
                out.warnings.append(f"{path.name} 有 {len(serious)} 条问题（错误 "
                                    f"{sum(p.severity is Severity.ERROR for p in serious)} 条），数字可能不准。")
                out.hints.append(f"{path.name} 的问题：kefu-xl check {here(path)}（改正后重新出表）")
            f = outcome.result.figures
            out.figures[(kind, str(month))] = f
            if f is None:                       # its structure is broken: no figure can be trusted
                raise DataProblemsError(f"{path.relative_to(workspace)} 结构不完整，无法出表：请先按下面的问题改正"
                                        f"（kefu-xl check {here(path)}），再出表。",
                                        [p for p in outcome.result.problems if p.severity is Severity.ERROR])
            if kind == "onlinesales":
                out.online = True
                _online_rows(f, path.name, month, add)
            elif kind == "maintenance":
                for a, c in zip(f.accounts, f.completions):
                    if c.target_total:
                        add(path.name, a.row, month, a.staff, "目标合计", c.target_total)
                        add(path.name, a.row, month, a.staff, "完成合计", c.done_capped)
                for r, v in zip(f.records, f.verdicts):
                    if v.valid:
                        add(path.name, r.row, month, r.staff, "有效工作", 1)
                add(path.name, None, month, "", DAYS, f.working_days)
                upto = month.clamp(as_of)                 # the plan's one figure (docs/plan.md): 每日小结's days
                plan_days(workspace, month, config, {id_key(a.account_id) for a in f.accounts},
                          lambda day, first=month.first, last=upto: day is not None and first <= day <= last,
                          lambda source, row, day, person, item, value, month=month: add(source, row, month, person,
                                                                                         item, value))
            elif kind == "renewal":
                for r in f.rows:
                    if r.source == renewal_rules.THIS_MONTH:
                        add(path.name, r.row, month, r.staff, "当月应续", 1)
                        if r.status == renewal_rules.RENEWED:
                            add(path.name, r.row, month, r.staff, "当月已续", 1)
                    if renewal_rules.stage(r, month) == renewal_rules.STAGE_LOST:
                        add(path.name, r.row, month, r.staff, "丢失客户", 1)
                    if r.amount is not None and month.contains(r.received):
                        add(path.name, r.row, month, r.staff, "续费到帐金额", r.amount)
                    fee = renewal_rules.commission(r, month, config)
                    if fee:
                        add(path.name, r.row, month, r.staff, "续费提成", fee)
            else:
                for r, fig in zip(f.rows, f.figures):
                    add(path.name, r.row, month, r.staff, "新客户", 1)
                    if fig["上线达标"] == "是":
                        add(path.name, r.row, month, r.staff, "上线达标", 1)
    out.staff = active_first(workspace / "名册.xlsx", staff)
    return out


def _online_rows(f: dict, source: str, month: Month, add) -> None:
    """数据 rows of a month's 网销台账: per inquiry for 转化率 (the workbook's own rule: the
    month's inquiries, deals closed in the month), per deal and per person for 提成."""
    for j in f.judged:
        lead = j.lead
        if (lead.source or online.CURRENT) != online.CURRENT or not month.contains(lead.day):
            continue
        channel = online.channel_group(lead.channel)
        add(source, lead.row, month, "", "网销询盘", 1, channel)
        if lead.valid == online.YES:
            add(source, lead.row, month, "", "网销有效", 1, channel)
        if j.deal:
            add(source, lead.row, month, "", "网销转化成交", 1, channel)
            add(source, lead.row, month, "", "网销转化金额", lead.amount or Decimal(0), channel)
    for j in f.deals:
        for role, name in ((online.MANAGER, j.lead.manager), (online.DESK, j.lead.desk)):
            if name:
                add(source, j.lead.row, month, name, "网销成交", 1, role)
                add(source, j.lead.row, month, name, "网销成交金额", j.lead.amount or Decimal(0), role)
    for r in f.commission:
        add(source, None, month, r["姓名"], "网销提成", r["提成"], r["角色"])


def online_people(data: ReportData) -> list[tuple[str, str]]:
    """(角色, 姓名) of the 网销提成 sheet, in the order met (managers first)."""
    seen = dict.fromkeys((r["分组"], r["客服"]) for r in data.rows if r["项目"] == "网销提成")
    return sorted(seen, key=lambda k: k[0] != online.MANAGER)


def online_figures(data: ReportData) -> dict[str, dict]:
    """Python's value of every 网销转化 and 网销提成 cell."""

    def total(item, group=None, person=None):
        return sum((Decimal(str(r["数值"])) for r in data.rows if r["项目"] == item
                    and (group is None or r["分组"] == group) and (person is None or r["客服"] == person)), Decimal(0))

    def ratio(a, b):
        return None if b == 0 else a / b

    conversion = {}
    for channel in (*ONLINE_CHANNELS, "合计"):
        group = None if channel == "合计" else channel
        v = {h: total(item, group) for h, item in ONLINE_CONVERSION.items()}
        conversion[channel] = {**v, "有效率": ratio(v["有效"], v["询盘"]), "转化率": ratio(v["成交"], v["有效"])}
    people = {(role, name): {h: total(item, role, name) for h, item in ONLINE_PEOPLE.items()}
              for role, name in online_people(data)}
    return {ONLINE_CONVERSION_SHEET: conversion, ONLINE_COMMISSION_SHEET: people}


def online_summary(data: ReportData) -> str:
    """One line of the desk's month for the terminal."""
    f = online_figures(data)
    v = f[ONLINE_CONVERSION_SHEET]["合计"]
    fees = sum((r["提成"] for r in f[ONLINE_COMMISSION_SHEET].values()), Decimal(0))
    return (f"网销：询盘 {v['询盘']}，有效 {v['有效']}（{percent(v['有效率'])}），成交 {v['成交']}"
            f"（转化率 {percent(v['转化率'])}），成交金额 {v['成交金额']:,.2f}；提成合计 {fees:,.2f}"
            f"（见「{ONLINE_CONVERSION_SHEET}」「{ONLINE_COMMISSION_SHEET}」表）。")


def figures(data: ReportData) -> dict[str, dict]:
    """Python's value of every statement cell: per staff, and 合计."""
    def total(person, item):
        return sum((Decimal(str(r["数值"])) for r in data.rows
                    if r["项目"] == item and (person is None or r["客服"] == person)), Decimal(0))

    def ratio(a, b):
        return None if b == 0 else a / b

    days = total(None, DAYS)
    out = {}
    for person in [*data.staff, None]:
        people = 1 if person else max(1, len(data.staff))
        valid = total(person, "有效工作")
        out[person or "合计"] = {
            "维护完成率": ratio(total(person, "完成合计"), total(person, "目标合计")),
            "有效工作数": valid,
            "日均有效工作": None if days == 0 else valid / days / people,
            "当月续费率": ratio(total(person, "当月已续"), total(person, "当月应续")),
            "丢失客户数": total(person, "丢失客户"), "续费到帐金额": total(person, "续费到帐金额"),
            "续费提成": total(person, "续费提成"), "新客户数": total(person, "新客户"),
            "上线达标率": ratio(total(person, "上线达标"), total(person, "新客户")),
            "计划完成率": ratio(total(person, "完成计划项"), total(person, "计划项数")),
        }
    return out


def parse_period(month: str | None, quarter: str | None) -> tuple[str, list[Month]]:
    if quarter:
        m = re.fullmatch(r"\s*(\d{4})\s*[Qq]\s*([1-4])\s*", quarter)
        if not m:
            raise KefuError(f"季度「{quarter}」格式不对，请写成 2026Q4。")
        year, q = int(m[1]), int(m[2])
        return f"{year}Q{q}", [Month(year, 3 * q - 2 + i) for i in range(3)]
    if not month:
        raise KefuError("请写月份（例如 2026-11），或用 --quarter 2026Q4。")
    parsed = Month.parse(month)
    return str(parsed), [parsed]


def trend(workspace: Path, last: Month, n: int = 6,
          known: ReportData | None = None) -> list[tuple[str, Decimal | None]]:
    """Team completion ratio of up to six months ending at `last`, where trackers exist;
    `known`: `last`'s data, already collected."""
    months, m = [], last
    for _ in range(n):
        months.append(m)
        m = m.previous()
    out = []
    for month in reversed(months):
        if (workspace / str(month) / maintenance.file_name(month)).exists():
            data = known if month == last and known is not None else collect(workspace, [month])
            done = sum(Decimal(r["数值"]) for r in data.rows if r["项目"] == "完成合计")
            target = sum(Decimal(r["数值"]) for r in data.rows if r["项目"] == "目标合计")
            out.append((str(month), None if not target else done / target))
    return out


def build(workspace: Path, label: str, months: list[Month], as_of: date | None = None):
    data = collect(workspace, months, as_of)
    data.label = label
    card = None
    if len(months) == 1:              # the 考核 sheet is monthly: its rows join 数据 after the statement's
        card = _scorecard_rows(workspace, months[0], data, as_of)
    period = months[0].label if len(months) == 1 else f"{months[0].year}年第{(months[0].month + 2) // 3}季度"
    wspec = spec(f"{period} 客服绩效与提成表（统计截至 {data.as_of.isoformat()}）", data.online)
    titles = {s.name: s.title for s in wspec.sheets}
    wb, layouts = build_workbook(wspec, titles, {
        STATEMENT: [{"客服": s} for s in data.staff], DATA: data.rows,
        ONLINE_CONVERSION_SHEET: [{"渠道": c} for c in (*ONLINE_CHANNELS, "合计")],
        ONLINE_COMMISSION_SHEET: [{"角色": role, "姓名": name} for role, name in online_people(data)]}, {},
        {"month": label})
    if data.online:
        sheet = wspec.sheet(ONLINE_COMMISSION_SHEET)
        write_total_row(wb[sheet.name], layouts[sheet.name], sheet, len(online_people(data)), COMMISSION_TOTALS)
    ws, layout = wb[STATEMENT], layouts[STATEMENT]
    total_row = layout.first_data_row + len(data.staff)
    set_cell(ws.cell(total_row, layout.columns["客服"]), "合计", style_name(Role.DERIVED, Type.TEXT))
    for header, template in figure_formulas(True).items():
        cell = ws.cell(total_row, layout.columns[header])
        set_cell(cell, Formula(resolve(template, layouts, STATEMENT, total_row)),
                 style_name(Role.DERIVED, FIGURE_TYPES[header]))
    for c in range(1, len(wspec.sheet(STATEMENT).columns) + 1):
        ws.cell(total_row, c).font = Font(name=FONT, size=10, bold=True)
    r = total_row + 3                 # the page finance signs stays clean: the warnings go on 问题
    for i, who in enumerate(SIGNERS):
        cell = ws.cell(r, 1 + i * 2, f"{who}：________")
        cell.font = Font(name=FONT, size=11)
        cell.alignment = Alignment(vertical="bottom")
    ws.cell(r + 1, 1, f"日期：{date.today().isoformat()}").font = Font(name=FONT, size=10)
    ws.row_dimensions[r].height = 36
    ws.print_area = f"A1:{layout.letter('计划完成率')}{r + 1}"
    _charts(wb, layout, len(data.staff), trend(workspace, months[-1], known=data) if len(months) == 1 else [])
    if card is not None:
        data.scorecard = scorecard.write_sheet(wb, data.staff, data.rows, layouts[DATA], load_config(
            workspace / "kefu-xl.toml"), period, data.as_of, card, 2)
    write_problem_sheet(wb, [Problem(f"绩效提成_{label}.xlsx", "", None, "", "TRACKER_PROBLEMS", w,
                                     Severity.WARNING) for w in data.warnings], before="说明")
    return wb, data, wspec


def _scorecard_rows(workspace: Path, month: Month, data: ReportData, as_of: date | None):
    """The 考核 sheet's 数据 rows (this month's and last month's), appended to data.rows; its
    data problems join the statement's warnings."""
    previous = None
    if (workspace / str(month.previous())).is_dir():
        try:
            previous = collect(workspace, [month.previous()], as_of)
        except KefuError as e:
            data.warnings.append(f"考核表的上月数字没有算：{e}")
    rows, sources = scorecard.scorecard_rows(workspace, month, data.figures, data.as_of, previous,
                                             load_config(workspace / "kefu-xl.toml"))
    data.rows += rows
    data.warnings += sources.warnings
    return sources


def cached_values(data: ReportData) -> dict[str, dict]:
    """Python's value of every formula of the statement, by sheet and key (what add_keyed_values
    writes as cached values, so a previewer or a phone shows the figures)."""
    out = {STATEMENT: figures(data)}
    if data.online:
        online = online_figures(data)
        people = online[ONLINE_COMMISSION_SHEET]
        out |= {ONLINE_CONVERSION_SHEET: online[ONLINE_CONVERSION_SHEET],
                ONLINE_COMMISSION_SHEET: {**people, ("合计", None): total_values(people.values(), COMMISSION_TOTALS)}}
    return out


def chart_cells(data: ReportData) -> dict[str, dict]:
    """The 图表 sheet's names (=绩效提成!A3 …): each staff member's, in statement order."""
    return {CHARTS: {(3 + i, 1): name for i, name in enumerate(data.staff)}} | (
        {scorecard.SHEET: data.scorecard} if data.scorecard else {})


def _charts(wb, layout, n_staff: int, history) -> None:
    ws = wb.create_sheet(CHARTS, 1)
    ws["A1"] = "图表数据（100% 线与历史趋势）"
    ws["A2"], ws["B2"] = "客服", "100%"
    statement = wb[STATEMENT]
    first, last = layout.first_data_row, layout.first_data_row + max(n_staff, 1) - 1
    for i in range(max(n_staff, 1)):
        ws.cell(3 + i, 1, f"={STATEMENT}!A{first + i}")
        ws.cell(3 + i, 2, 1)
    names = Reference(statement, min_col=layout.columns["客服"], min_row=first, max_row=last)

    bar = BarChart()
    bar.title = "维护完成率（含 100% 线）"
    bar.y_axis.number_format = "0%"
    bar.add_data(Reference(statement, min_col=layout.columns["维护完成率"], min_row=first - 1, max_row=last),
                 titles_from_data=True)
    bar.set_categories(names)
    line = LineChart()
    line.add_data(Reference(ws, min_col=2, min_row=2, max_row=2 + max(n_staff, 1)), titles_from_data=True)
    bar += line
    _place(ws, bar, 0)

    rate = BarChart()
    rate.title = "当月续费率"
    rate.y_axis.number_format = "0%"
    rate.add_data(Reference(statement, min_col=layout.columns["当月续费率"], min_row=first - 1, max_row=last),
                  titles_from_data=True)
    rate.set_categories(names)
    _place(ws, rate, 1)

    if len(history) > 1:
        top = 4 + max(n_staff, 1)
        ws.cell(top, 1, "月份")
        ws.cell(top, 2, "团队完成率")
        for i, (month, value) in enumerate(history, 1):
            ws.cell(top + i, 1, month)
            ws.cell(top + i, 2, None if value is None else float(value)).number_format = "0.0%"
        trend_chart = LineChart()
        trend_chart.title = "团队维护完成率（近六个月）"
        trend_chart.y_axis.number_format = "0%"
        trend_chart.add_data(Reference(ws, min_col=2, min_row=top, max_row=top + len(history)), titles_from_data=True)
        trend_chart.set_categories(Reference(ws, min_col=1, min_row=top + 1, max_row=top + len(history)))
        _place(ws, trend_chart, 2)
    print_one_page_wide(ws)


# Each chart prints on a page of its own (A4 landscape): 22 × 12 cm at column D, in a block of
# CHART_ROWS rows of 15 points (13.8 cm, within the 17 cm a page holds) after a page break.
CHART_ROWS = 26


def _place(ws, chart, n: int) -> None:
    from openpyxl.worksheet.pagebreak import Break
    chart.width, chart.height = 22, 12
    ws.add_chart(chart, f"D{2 + n * CHART_ROWS}")
    if n:
        ws.row_breaks.append(Break(id=n * CHART_ROWS))


@dataclass
class ReportOutcome:
    """What `kefu-xl report` made: the statement, its HTML copy (with --html) and the figures."""
    path: Path
    html: Path | None
    data: ReportData


@without_cycle_collection()
def write_report(workspace: Path, month: str | None = None, quarter: str | None = None, html: bool = False,
                 as_of: date | None = None) -> ReportOutcome:
    label, months = parse_period(month, quarter)
    if quarter:
        folder = workspace                       # a quarter's statement lives beside its months
        if not any((workspace / str(m)).exists() for m in months):
            raise KefuError(f"{label} 的三个月（{'、'.join(map(str, months))}）都还没有开月。")
    else:
        folder = workspace / str(months[-1])
        if not folder.exists():
            raise KefuError(f"没有 {folder}：请先开月（{command(f'month open {months[-1]}', workspace)}）。")
    wb, data, wspec = build(workspace, label, months, as_of)
    target = folder / f"绩效提成_{label}.xlsx"

    def save(tmp):
        wb.save(tmp)
        add_keyed_values(Path(tmp), wspec, cached_values(data), chart_cells(data))
    # the statement is kefu-xl's own output, rebuilt whole each time: replace it (with a backup)
    check_not_open(target)
    atomic_write(target, save)
    html_path = None
    if html:
        html_path = folder / f"绩效提成_{label}.html"
        text = render_html(label, data, figures(data), online_figures(data) if data.online else None)
        atomic_write(html_path, lambda tmp: tmp.write_text(text, "utf-8"))
    return ReportOutcome(target, html_path, data)


# the columns of summary_rows after 客服 (the statement's, in its order)
SUMMARY_HEADERS = ("维护完成率", "有效工作数", "日均有效工作", "当月续费率", "丢失客户数", "续费到帐金额", "续费提成",
                   "新客户数", "上线达标率", "计划完成率")


def summary_rows(data: ReportData) -> list[list[str]]:
    f = figures(data)
    return [[who, percent(v["维护完成率"]), str(v["有效工作数"]),
             "—" if v["日均有效工作"] is None else f"{v['日均有效工作']:.2f}", percent(v["当月续费率"]),
             str(v["丢失客户数"]), f"{v['续费到帐金额']:,.2f}", f"{v['续费提成']:,.2f}", str(v["新客户数"]),
             percent(v["上线达标率"]), percent(v["计划完成率"])] for who, v in f.items()]


@dataclass
class RulesComparison:
    """report --compare: each statement figure per person under the months' own rules of valid
    work and under today's settings (docs/work.md, 每月的规则)."""
    label: str
    as_of: date
    month_rules: list[str]          # 「2026-11：第 1 版规则（…）」 per month
    current: str
    headers: list[str]
    rows: list[tuple[str, list[str], list[str]]]    # (客服, figures by the month's rules, by today's)

    @property
    def changed(self) -> int:
        """How many people's figures would change."""
        return sum(1 for who, a, b in self.rows if a != b and who != "合计")


def compare_rules(workspace: Path, month: str | None = None, quarter: str | None = None,
                  as_of: date | None = None) -> RulesComparison:
    """Nothing is written: the period's statement figures computed twice."""
    label, months = parse_period(month, quarter)
    missing = [m for m in months if not (workspace / str(m)).exists()]
    if len(missing) == len(months):
        raise KefuError(f"{label} 还没有开月（{command(f'month open {months[-1]}', workspace)}）。")
    config = load_config(workspace / "kefu-xl.toml")
    current = config.valid.for_month(months[-1])
    before, after = collect(workspace, months, as_of), collect(workspace, months, as_of, rules=current)
    old, new = summary_rows(before), {r[0]: r for r in summary_rows(after)}
    rows = [(r[0], r[1:], (new.get(r[0]) or r)[1:]) for r in old]
    return RulesComparison(label, before.as_of, [f"{m}：{valid.describe(month_rules(workspace, m, config))}"
                                                 for m in months if m not in missing],
                           valid.describe(current), list(SUMMARY_HEADERS), rows)
