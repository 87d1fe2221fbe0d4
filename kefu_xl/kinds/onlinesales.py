"""网销_YYYY-MM.xlsx (kind onlinesales): the online-sales desk's inquiries with their
follow-up deadline in statutory working days, the desk's callbacks, and the reports —
转化率 per channel and per week, 成交一览, 跟进 per sales manager, 提成 with its
signature lines, 回访统计 per person per day (docs/onlinesales.md). The declaration is the single
source of layout and formulas; `recalc` computes the same figures in Python."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl.styles import Font

from ..calendar import WorkCalendar
from ..config import ONLINE_CHANNELS, Config, Tier
from ..io.values import is_blank, parse_id
from ..kinds.base import cell_date
from ..month import Month
from ..records import Lead, LeadCall, Problem, Severity
from ..rules import onlinesales as rules
from ..rules.completion import percent
from ..sheets.build import FONT, build_workbook, total_values, write_total_row
from ..sheets.read import write_problem_sheet
from ..sheets.spec import Anchor, Column, Highlight, Role, SheetSpec, Type, WorkbookSpec
from .base import (
    Kind,
    RecalcContext,
    RecalcResult,
    calendar_span,
    carried_rows,
    cell_number,
    cell_text,
    finish_recalc,
    mark_ledger_rows,
    read_ledger_rows,
    rebuild_rows,
    restore_formulas,
    rewrite_workdays,
    start_recalc,
    typed_date,
    workdays_sheet,
)

KIND = "onlinesales"
TITLE = "网销"
LEADS, CALLS, CONVERSION, DEALS, FOLLOW, COMMISSION, DAILY, CALENDAR = (
    "询盘", "回访", "转化率", "成交一览", "跟进", "提成", "回访统计", "工作日历")
AS_OF = "截至日期"
YES_NO = (rules.YES, rules.NO)
RED, ORANGE, GREEN = "FFC7CE", "FFEB9C", "C6EFCE"
MARKERS = ("询盘编号", "日期", "客户", "联系方式", "需求")
SIGNERS = ("制表", "总监核算", "财务核对", "老板签字")
SHEET_ORDER = {LEADS: 0, CALLS: 1, DAILY: 2, FOLLOW: 3, COMMISSION: 4}
# the 合计 rows under 成交一览, 跟进 and 提成 (write_total_row; total_values gives Python's)
DEAL_TOTALS = {"成交金额": "sum"}
FOLLOW_TOTALS = {h: "sum" for h in ("分配", "已跟进", "未跟进", "超时", "成交")}
COMMISSION_TOTALS = {"提成": "sum"}
DEAL_COLUMNS = {"询盘编号": "询盘编号", "成交日期": "成交日期", "客户": "客户", "渠道": "渠道", "业务经理": "业务经理",
                "接待客服": "接待客服", "成交金额": "成交金额", "询盘日期": "日期"}


def file_name(month: Month) -> str:
    return f"{TITLE}_{month}.xlsx"


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _array(values) -> str:
    return "{" + ",".join(_number(v) for v in values) + "}"


def _tier_rate(tiers: tuple[Tier, ...]) -> str:
    """全额: the rate of the tier the month's deal total reaches (0 below the first tier)."""
    if len(tiers) == 1 and tiers[0].start == 0:
        return _number(tiers[0].rate)
    return f"IFERROR(INDEX({_array(t.rate for t in tiers)},MATCH([成交金额],{_array(t.start for t in tiers)},1)),0)"


def _progressive_fee(tiers: tuple[Tier, ...]) -> str:
    """累进: Σ over tiers of (amount − start)⁺ × (rate − previous rate)."""
    steps = [t.rate - (tiers[i - 1].rate if i else Decimal(0)) for i, t in enumerate(tiers)]
    starts = _array(t.start for t in tiers)
    return f"ROUND(SUMPRODUCT(([成交金额]>{starts})*([成交金额]-{starts})*{_array(steps)}),2)"


def _by_role(config: Config, of_tiers) -> str:
    rules_ = config.onlinesales
    manager, desk = of_tiers(rules_.commission), of_tiers(rules_.desk_commission)
    return manager if manager == desk else f'IF([角色]="{rules.MANAGER}",{manager},{desk})'


def _commission_columns(config: Config) -> tuple[Column, Column]:
    mode = config.onlinesales.commission_mode
    tiers_text = "；".join(f"{_number(t.start)} 元起 {_number(t.rate * 100)}%" for t in config.onlinesales.commission)
    if mode == "累进":
        rate = Column("提成比例", Role.DERIVED, Type.RATIO, 'IF(N([成交金额])=0,"",[提成]/[成交金额])',
                      help="实际比例 = 提成 ÷ 成交金额（超额累进）。")
        fee = Column("提成", Role.DERIVED, Type.MONEY, _by_role(config, _progressive_fee),
                     help=f"超额累进：每一段成交金额按该段的比例（{tiers_text}），四舍五入到分。")
    else:
        rate = Column("提成比例", Role.DERIVED, Type.RATIO, _by_role(config, _tier_rate),
                      help=f"按当月成交金额合计所在的档位（{tiers_text}）。")
        fee = Column("提成", Role.DERIVED, Type.MONEY, "ROUND([成交金额]*[提成比例],2)",
                     help="成交金额 × 提成比例，四舍五入到分。")
    return rate, fee


def _lead_count(month_criteria: str, channel: bool) -> str:
    return month_criteria + (f",[{LEADS}!渠道组],[分组]" if channel else "")


def spec(config: Config, month: Month) -> WorkbookSpec:
    rules_ = config.onlinesales
    cal = f"[{CALENDAR}!日期]"
    q = f"[{LEADS}!"
    days = rules_.follow_up_working_days
    blank = "&".join(f"[{h}]" for h in MARKERS) + '=""'
    managers = rules_.managers or None
    desk = rules_.desk or None
    channels = ",".join(f'"{c}"' for c in ONLINE_CHANNELS)
    leads = SheetSpec(
        name=LEADS, title=f"{month.label} 网销询盘", key="询盘编号", buffer_rows=300, row_markers=MARKERS,
        anchors=(Anchor(AS_OF, Type.DATE, "判断跟进超时的日期：重算时设为当天（不超过月末）。"),),
        help="每条询盘（在线、400电话、微信、官网留言）核实后登记一行；有效的分配给业务经理跟进。",
        columns=(
            Column("询盘编号", Role.INPUT, Type.ID, help="询盘编号，唯一（回访表按它对应询盘）。"),
            Column("来源", Role.COMPUTED, Type.TEXT,
                   help="当月：本月登记；遗留：上月仍在跟进、开月时结转（所有已填内容保留）。"),
            Column("日期", Role.INPUT, Type.DATE, help="收到询盘的日期。"),
            Column("渠道", Role.INPUT, Type.TEXT, dropdown=ONLINE_CHANNELS, help="询盘来自哪里。"),
            Column("接待客服", Role.INPUT, Type.TEXT, dropdown=desk,
                   help="接待这条询盘的网销客服（网销客服的提成按它计算）。"),
            Column("客户", Role.INPUT, Type.TEXT, width=16, help="客户名称或称呼。"),
            Column("联系方式", Role.INPUT, Type.ID, width=14, help="手机、电话或微信号。"),
            Column("需求", Role.INPUT, Type.TEXT, width=24, help="客户的需求摘要。"),
            Column("有效", Role.INPUT, Type.TEXT, dropdown=YES_NO, help="是：有效询盘，分配业务经理跟进；否：无效，须写无效原因。"),
            Column("无效原因", Role.INPUT, Type.TEXT, width=16, help="无效询盘的原因（如 广告推销、重复、打错）。"),
            Column("业务经理", Role.INPUT, Type.TEXT, dropdown=managers, help="负责跟进的业务经理。"),
            Column("分配日期", Role.INPUT, Type.DATE, help="分配给业务经理的日期。"),
            Column("首次跟进日期", Role.INPUT, Type.DATE, help="业务经理第一次联系客户的日期。"),
            Column("跟进时限", Role.DERIVED, Type.DATE,
                   f'IF(NOT(ISNUMBER([分配日期])),"",IFERROR(SMALL({cal},COUNTIF({cal},"<="&[分配日期])+{days}),""))',
                   help=f"分配日期之后第 {days} 个法定工作日（节假日不算，调休上班日算）。"),
            Column("跟进超时", Role.DERIVED, Type.TEXT,
                   f'IF([跟进时限]="","",IF(ISNUMBER([首次跟进日期]),IF([首次跟进日期]>[跟进时限],"是","否"),'
                   f'IF(AND([首次跟进日期]="",N([@{AS_OF}])>[跟进时限]),"是","否")))',
                   help="是：首次跟进晚于跟进时限，或还没跟进而截至日期已过跟进时限。"),
            Column("最新进展", Role.INPUT, Type.TEXT, width=28, help="跟进的最新情况。"),
            Column("成交", Role.INPUT, Type.TEXT, dropdown=YES_NO,
                   help="是：已成交（须填成交日期和成交金额）；否：客户已放弃（不再结转）；空白：仍在跟进。"),
            Column("成交日期", Role.INPUT, Type.DATE, help="成交的日期；本月成交的计入转化率、成交一览和提成。"),
            Column("成交金额", Role.INPUT, Type.MONEY, help="成交金额（元）。"),
            Column("状态", Role.DERIVED, Type.TEXT,
                   f'IF({blank},"",IF([有效]="否","{rules.INVALID}",IF([成交]="是","{rules.DEAL}",'
                   f'IF([成交]="否","{rules.LOST}",IF([有效]<>"是","{rules.UNCHECKED}",'
                   f'IF(OR([业务经理]="",NOT(ISNUMBER([分配日期]))),"{rules.UNASSIGNED}","{rules.FOLLOWING}"))))))',
                   help="无效 / 成交 / 未成交 / 待核实（有效未填）/ 待分配 / 跟进中；待核实、待分配、跟进中的下月结转。"),
            Column("渠道组", Role.DERIVED, Type.TEXT,
                   f'IF({blank},"",IF(ISNUMBER(MATCH([渠道],{{{channels}}},0)),[渠道],"{rules.FALLBACK_CHANNEL}"))',
                   hidden=True, help="辅助列（隐藏）：渠道，空白或不认识的记为其他；「转化率」按它统计。"),
            Column("计成交", Role.DERIVED, Type.INT,
                   f'IF(AND([成交]="是",ISNUMBER([成交日期])),IF(AND(N([成交日期])>={month.excel_first()},'
                   f'N([成交日期])<={month.excel_last()}),1,""),"")',
                   hidden=True, help="辅助列（隐藏）：1 = 本月成交（成交为是且成交日期在本月），其余为空。"),
        ),
        highlights=(Highlight('[跟进超时]="是"', ORANGE, ("业务经理", "首次跟进日期", "跟进时限", "跟进超时")),
                    Highlight(f'[状态]="{rules.DEAL}"', GREEN, ("询盘编号", "成交", "状态"))),
    )
    calls = SheetSpec(
        name=CALLS, title=f"{month.label} 网销回访（回访已分配给业务经理的客户）", key="日期", buffer_rows=500,
        row_markers=("日期", "客服", "询盘编号"),
        help=f"网销客服每天回访已分配的客户，每打一次登记一行；每人每天接通不少于 {rules_.daily_connected_target} 个。",
        columns=(
            Column("日期", Role.INPUT, Type.DATE, help="回访的日期。"),
            Column("客服", Role.INPUT, Type.TEXT, dropdown=desk, help="回访的网销客服。"),
            Column("询盘编号", Role.INPUT, Type.ID, help="回访的是哪条询盘（询盘表中的编号）。"),
            Column("接通", Role.INPUT, Type.TEXT, dropdown=YES_NO, help="是：接通了。"),
            Column("小结", Role.INPUT, Type.TEXT, width=36, help="回访小结：业务经理是否跟进、客户意向。"),
        ),
    )
    month_rows = f'{q}来源],"{rules.CURRENT}",{q}日期],">="&[开始],{q}日期],"<="&[结束]'

    def per_period(counted: str, extra: str = "") -> str:
        by_channel = f"{counted}({month_rows},{q}渠道组],[分组]{extra})"
        overall = f"{counted}({month_rows}{extra})"
        return f'IF([维度]="{rules.BY_CHANNEL}",{by_channel},{overall})'
    conversion = SheetSpec(
        name=CONVERSION, title=f"{month.label} 询盘转化率统计", key="分组", buffer_rows=0, row_markers=("分组",),
        help="按渠道、全月和每周（周一至周日，截到本月）统计本月登记的询盘；遗留询盘不重复计入。",
        columns=(
            Column("维度", Role.COMPUTED, Type.TEXT, help="渠道 / 合计 / 周。"),
            Column("分组", Role.COMPUTED, Type.TEXT, help="渠道名、本月，或这一周的日期范围。"),
            Column("开始", Role.COMPUTED, Type.DATE, help="统计的第一天。"),
            Column("结束", Role.COMPUTED, Type.DATE, help="统计的最后一天。"),
            Column("询盘", Role.DERIVED, Type.INT, per_period("COUNTIFS"), help="这一期间登记的询盘数（本月的，不含遗留）。"),
            Column("有效", Role.DERIVED, Type.INT, per_period("COUNTIFS", f',{q}有效],"是"'), help="其中有效的。"),
            Column("有效率", Role.DERIVED, Type.RATIO, 'IF([询盘]=0,"",[有效]/[询盘])', help="有效 ÷ 询盘。"),
            Column("成交", Role.DERIVED, Type.INT, per_period("COUNTIFS", f",{q}计成交],1"),
                   help="其中本月成交的（成交为是且成交日期在本月）。"),
            Column("转化率", Role.DERIVED, Type.RATIO, 'IF([有效]=0,"",[成交]/[有效])', help="成交 ÷ 有效。"),
            Column("成交金额", Role.DERIVED, Type.MONEY,
                   f'IF([维度]="{rules.BY_CHANNEL}",SUMIFS({q}成交金额],{month_rows},{q}渠道组],[分组],{q}计成交],1),'
                   f'SUMIFS({q}成交金额],{month_rows},{q}计成交],1))',
                   help="这些成交的金额合计。"),
        ),
    )
    deals = SheetSpec(
        name=DEALS, title=f"{month.label} 网销成交一览", key="询盘编号", buffer_rows=0, row_markers=("行",),
        row_key=("行",),
        help="本月成交的询盘（含遗留询盘本月成交的），按成交日期排列；每列都取自「询盘」表的那一行。",
        columns=(
            *(Column(h, Role.DERIVED, Type.DATE if h in ("成交日期", "询盘日期") else
                     Type.MONEY if h == "成交金额" else Type.ID if h == "询盘编号" else Type.TEXT,
                     f'IF(INDEX({q}{src}],[行])="","",INDEX({q}{src}],[行]))', help=f"询盘表的{src}。")
              for h, src in DEAL_COLUMNS.items()),
            Column("成交天数", Role.DERIVED, Type.INT,
                   'IF(AND(ISNUMBER([成交日期]),ISNUMBER([询盘日期])),[成交日期]-[询盘日期],"")',
                   help="从询盘到成交的天数。"),
            Column("行", Role.COMPUTED, Type.INT, hidden=True, help="辅助列（隐藏）：这笔成交在「询盘」表中的行号。"),
        ),
    )
    follow = SheetSpec(
        name=FOLLOW, title=f"{month.label} 业务经理跟进情况", key="业务经理", buffer_rows=0, row_markers=("业务经理",),
        help="每天早上看：前一天分配的询盘是否都已跟进；超时的提醒业务经理并做考核登记。",
        columns=(
            Column("业务经理", Role.COMPUTED, Type.TEXT, help="业务经理（配置的名单在前，其余为询盘中出现的）。"),
            Column("分配", Role.DERIVED, Type.INT, f'COUNTIFS({q}业务经理],[业务经理],{q}分配日期],">0")',
                   help="分配给他的询盘数（有分配日期，含遗留）。"),
            Column("已跟进", Role.DERIVED, Type.INT,
                   f'COUNTIFS({q}业务经理],[业务经理],{q}分配日期],">0",{q}首次跟进日期],">0")', help="其中已首次跟进的。"),
            Column("未跟进", Role.DERIVED, Type.INT, "[分配]-[已跟进]", help="其中还没有跟进的。"),
            Column("超时", Role.DERIVED, Type.INT, f'COUNTIFS({q}业务经理],[业务经理],{q}跟进超时],"是")',
                   help="跟进超时的询盘数。"),
            Column("成交", Role.DERIVED, Type.INT, f'COUNTIFS({q}业务经理],[业务经理],{q}计成交],1)', help="本月成交数。"),
        ),
        highlights=(Highlight("N([超时])>0", ORANGE, ("业务经理", "超时")),),
    )
    rate, fee = _commission_columns(config)

    def by_person(counted: str, values: str = "") -> str:
        return (f'IF([角色]="{rules.MANAGER}",{counted}({values}{q}业务经理],[姓名],{q}计成交],1),'
                f'{counted}({values}{q}接待客服],[姓名],{q}计成交],1))')
    commission = SheetSpec(
        name=COMMISSION, title=f"{month.label} 网销提成表", key="角色", buffer_rows=0, row_markers=("姓名",),
        row_key=("角色", "姓名"),
        help="每月由总监核算后与财务核对，核对无误后交老板签字。",
        columns=(
            Column("角色", Role.COMPUTED, Type.TEXT, help="业务经理：按他成交的询盘；网销客服：按他接待的询盘。"),
            Column("姓名", Role.COMPUTED, Type.TEXT, help="姓名。"),
            Column("成交数", Role.DERIVED, Type.INT, by_person("COUNTIFS"), help="本月成交数。"),
            Column("成交金额", Role.DERIVED, Type.MONEY, by_person("SUMIFS", f"{q}成交金额],"),
                   help="本月成交金额合计。"),
            rate, fee,
        ),
    )
    daily = SheetSpec(
        name=DAILY, title=f"{month.label} 网销回访统计（每人每天接通 ≥ {rules_.daily_connected_target}）", key="日期",
        buffer_rows=0, row_markers=("日期",), row_key=("日期", "客服"),
        help="本月到截至日期为止的每个工作日（以及有回访记录的其他日子），每个网销客服一行。",
        columns=(
            Column("日期", Role.COMPUTED, Type.DATE, help="日期。"),
            Column("客服", Role.COMPUTED, Type.TEXT, help="网销客服。"),
            Column("回访", Role.DERIVED, Type.INT, f"COUNTIFS([{CALLS}!日期],[日期],[{CALLS}!客服],[客服])",
                   help="这一天的回访次数。"),
            Column("接通", Role.DERIVED, Type.INT,
                   f'COUNTIFS([{CALLS}!日期],[日期],[{CALLS}!客服],[客服],[{CALLS}!接通],"是")', help="其中接通的。"),
            Column("达标", Role.DERIVED, Type.TEXT, f'IF([接通]>={rules_.daily_connected_target},"是","否")',
                   help=f"接通 ≥ {rules_.daily_connected_target}。"),
        ),
        highlights=(Highlight('[达标]="否"', ORANGE, ("日期", "客服", "达标")),),
    )
    calendar = workdays_sheet("法定工作日（含调休上班日），供跟进时限公式使用。")
    notes = (
        "每天上班：核实新询盘（无效的写明原因），有效的分配给业务经理；检查前一天分配的询盘是否都已跟进"
        f"（分配后 {days} 个法定工作日内须首次跟进，超时的在「跟进」表和「问题」表中列出）。",
        f"每天回访已分配的客户，在「回访」表每打一次登记一行，每人接通不少于 {rules_.daily_connected_target} 个（「回访统计」）。",
        "每天、每周、每月发布「转化率」「成交一览」「跟进」；月底「提成」表由总监核算、财务核对、老板签字。",
        "跟进中、待分配、待核实的询盘下月开月时结转为「遗留」，所有已填内容保留；成交填「否」表示客户已放弃，不再结转。",
        "点击 客服工具 → 重算（或 kefu-xl recalc 文件名）会检查数据、恢复公式、刷新各统计表，问题列在「问题」表。",
    )
    return WorkbookSpec(kind=KIND, title="网销台账",
                        sheets=(leads, calls, conversion, deals, follow, commission, daily, calendar), notes=notes)


# --------------------------------------------------------------------------- reading

def read_leads(data, file: str, problems: list[Problem] | None = None) -> list[Lead]:
    out = []
    for row, v in data.rows:
        def day(header):
            return typed_date(v, header, (file, LEADS, row), problems)
        out.append(Lead(
            cell_text(v["询盘编号"]), cell_text(v["来源"]), day("日期"), cell_text(v["渠道"]), cell_text(v["接待客服"]),
            cell_text(v["客户"]), cell_text(v["有效"]), cell_text(v["无效原因"]), cell_text(v["业务经理"]),
            day("分配日期"), day("首次跟进日期"), not is_blank(v["首次跟进日期"]), cell_text(v["成交"]),
            day("成交日期"), cell_number(v["成交金额"]), row))
    return out


def read_calls(data, file: str, problems: list[Problem] | None = None) -> list[LeadCall]:
    return [LeadCall(typed_date(v, "日期", (file, CALLS, row), problems), cell_text(v["客服"]), parse_id(v["询盘编号"]),
                     cell_text(v["接通"]) == rules.YES, row) for row, v in data.rows]


def read_file(path: Path, config: Config) -> tuple[Month, list[tuple[Lead, dict]]]:
    """(month, [(lead, its typed cells)]) of a workbook, read fast (values only)."""
    return read_ledger_rows(path, lambda m: spec(config, m), LEADS, read_leads)


def opening_rows(previous: list[tuple[Lead, dict]], config: Config, month: Month) -> list[dict]:
    """Last month's open leads (待核实 / 待分配 / 跟进中) as 遗留 rows, every typed cell kept."""
    return carried_rows(previous, spec(config, month).sheet(LEADS), rules.carried_over, rules.CARRIED)


def span(month: Month, calendar: WorkCalendar, config: Config, assigned) -> tuple[date, date]:
    """Days the hidden calendar covers: the month with margins and every 分配日期 plus the
    reach of its deadline (holidays included)."""
    reach = timedelta(days=2 * config.onlinesales.follow_up_working_days + 14)
    dates = [d for d in assigned if d is not None]
    return calendar_span(month, calendar, [*dates, *(d + reach for d in dates)])


def build(config: Config, month: Month, calendar: WorkCalendar, rows: list[dict], meta: dict | None = None):
    """A new workbook with the given 询盘 rows (carried ones); the reports are filled by recalc."""
    wspec = spec(config, month)
    titles = {s.name: s.title for s in wspec.sheets}
    first, last = span(month, calendar, config, [cell_date(r.get("分配日期")) for r in rows])
    data = {LEADS: rows, CALENDAR: [{"日期": d} for d in calendar.workdays_between(first, last)]}
    wb, _ = build_workbook(wspec, titles, data, {}, {"month": str(month), **(meta or {})})
    write_problem_sheet(wb, [], before="说明")
    return wb


# --------------------------------------------------------------------------- checks

def check_leads(judged: list[rules.Judged], ctx: RecalcContext, problems: list[Problem]) -> None:
    rules_, month = ctx.config.onlinesales, ctx.month
    seen: dict[str, int] = {}
    for j in judged:
        lead = j.lead

        def add(column, code, message, severity=Severity.ERROR):
            problems.append(Problem(ctx.file, LEADS, lead.row, column, code, message, severity))
        if not lead.lead_id:
            add("询盘编号", "NO_LEAD_ID", "没有填写询盘编号：请补上（编号唯一，回访和下月结转都按它识别询盘）。", Severity.WARNING)
        elif lead.lead_id.casefold() in seen:
            add("询盘编号", "DUPLICATE_LEAD", f"询盘编号「{lead.lead_id}」与第 {seen[lead.lead_id.casefold()]} 行重复："
                                            f"每条询盘一行，请改编号或合并。")
        else:
            seen[lead.lead_id.casefold()] = lead.row
        if lead.day is None:
            add("日期", "NO_DATE", "没有询盘日期：无法计入转化率。")
        elif (lead.source or rules.CURRENT) == rules.CURRENT and not month.contains(lead.day):
            add("日期", "DATE_OUTSIDE_MONTH", f"询盘日期 {lead.day.isoformat()} 不在 {month}：不计入本月转化率，请核对。",
                Severity.WARNING)
        if lead.channel and lead.channel not in ONLINE_CHANNELS:
            add("渠道", "BAD_CHANNEL", f"渠道「{lead.channel}」应为 {'/'.join(ONLINE_CHANNELS)}，统计时记为「其他」。",
                Severity.WARNING)
        for header, value in (("有效", lead.valid), ("成交", lead.deal)):
            if value and value not in YES_NO:
                add(header, "NOT_YES_NO", f"{header}应填 是 或 否（现在是「{value}」）。", Severity.WARNING)
        if lead.valid == rules.NO and not lead.invalid_reason:
            add("无效原因", "INVALID_NO_REASON", "无效询盘要写明无效原因（如 广告推销、重复、打错）。")
        if rules_.managers and lead.manager and lead.manager not in rules_.managers:
            add("业务经理", "UNKNOWN_MANAGER", f"业务经理「{lead.manager}」不在 kefu-xl.toml 的业务经理名单"
                                            f"（{'、'.join(rules_.managers)}）中：请核对姓名或更新名单。")
        if rules_.desk and lead.desk and lead.desk not in rules_.desk:
            add("接待客服", "UNKNOWN_DESK", f"接待客服「{lead.desk}」不在网销客服名单（{'、'.join(rules_.desk)}）中。",
                Severity.WARNING)
        if j.status == rules.UNASSIGNED:
            add("业务经理", "NOT_ASSIGNED", "有效询盘还没有分配（业务经理或分配日期没填）：请尽快分配给业务经理跟进。",
                Severity.WARNING)
        if lead.day is not None and lead.assigned is not None and lead.assigned < lead.day:
            add("分配日期", "ASSIGNED_BEFORE_INQUIRY",
                f"分配日期 {lead.assigned.isoformat()} 早于询盘日期 {lead.day.isoformat()}：请核对日期。")
        if lead.assigned is not None and lead.followed is not None and lead.followed < lead.assigned:
            add("首次跟进日期", "FOLLOWED_BEFORE_ASSIGNED",
                f"首次跟进日期 {lead.followed.isoformat()} 早于分配日期 {lead.assigned.isoformat()}：请核对日期。")
        if j.late and not lead.followed_filled and j.status not in (rules.INVALID, rules.LOST):
            add("首次跟进日期", "FOLLOW_UP_OVERDUE",
                f"{lead.manager or '业务经理'} 应在 {j.deadline.isoformat()} 前首次跟进{lead.customer and '「' + lead.customer + '」'}，"
                f"至今没有跟进：请提醒业务经理联系客户，并做考核登记。", Severity.WARNING)
        check_deal(lead, add, month)


def check_deal(lead: Lead, add, month: Month) -> None:
    if lead.deal == rules.YES:
        if lead.valid == rules.NO:
            add("成交", "DEAL_ON_INVALID", "这条询盘标为无效，却填了成交：请改正有效或成交。")
        if lead.deal_date is None:
            add("成交日期", "DEAL_NO_DATE", "成交了但没有成交日期（或不是日期）：不计入转化率和提成，请补上。")
        elif lead.day is not None and lead.deal_date < lead.day:
            add("成交日期", "DEAL_BEFORE_INQUIRY",
                f"成交日期 {lead.deal_date.isoformat()} 早于询盘日期 {lead.day.isoformat()}：请核对日期。")
        elif not month.contains(lead.deal_date):
            add("成交日期", "DEAL_OUTSIDE_MONTH", f"成交日期 {lead.deal_date.isoformat()} 不在 {month}：不计入本月提成，"
                                              f"请在成交当月的网销台账登记。", Severity.WARNING)
        if lead.amount is None:
            add("成交金额", "DEAL_NO_AMOUNT", "成交了但没有成交金额（或不是数字）：提成按 0 计算，请补上。")
    elif lead.amount is not None:
        add("成交金额", "AMOUNT_WITHOUT_DEAL", "填了成交金额，但成交不是「是」：不计入转化率和提成。", Severity.WARNING)
    if lead.amount is not None and lead.amount < 0:
        add("成交金额", "NEGATIVE_AMOUNT", f"成交金额 {lead.amount} 是负数：请核对。")


def check_calls(calls: list[LeadCall], leads: list[Lead], daily: list[dict], ctx: RecalcContext, as_of: date,
                problems: list[Problem]) -> None:
    rules_ = ctx.config.onlinesales
    known = {lead.lead_id.casefold(): lead for lead in leads if lead.lead_id}
    for call in calls:
        def add(column, code, message, severity=Severity.WARNING):
            problems.append(Problem(ctx.file, CALLS, call.row, column, code, message, severity))
        if call.day is None:
            add("日期", "NO_DATE", "没有回访日期：不计入回访统计。", Severity.ERROR)
        elif not ctx.month.contains(call.day):
            add("日期", "DATE_OUTSIDE_MONTH", f"回访日期 {call.day.isoformat()} 不在 {ctx.month}：请核对。")
        if not call.staff:
            add("客服", "NO_STAFF", "没有填写回访的客服：不计入回访统计。", Severity.ERROR)
        elif rules_.desk and call.staff not in rules_.desk:
            add("客服", "UNKNOWN_DESK", f"客服「{call.staff}」不在网销客服名单（{'、'.join(rules_.desk)}）中。")
        lead = known.get(call.lead_id.casefold()) if call.lead_id else None
        if call.lead_id and lead is None:
            add("询盘编号", "UNKNOWN_LEAD", f"询盘编号「{call.lead_id}」不在「询盘」表中：请核对编号。")
        elif lead is not None and not lead.manager:
            add("询盘编号", "CALL_NOT_ASSIGNED", f"询盘「{call.lead_id}」还没有分配业务经理：回访针对已分配的客户。")
    short: dict[str, list[str]] = {}
    for r in daily:
        if r["日期"] < as_of and r["达标"] == rules.NO:
            short.setdefault(r["客服"], []).append(f"{r['日期']:%m-%d} {r['接通']} 个")
    for name, days in short.items():
        problems.append(Problem(ctx.file, DAILY, None, "达标", "BELOW_DAILY_TARGET",
                                f"{name} 有 {len(days)} 天回访接通少于 {rules_.daily_connected_target} 个："
                                f"{'、'.join(days[:8])}{' 等' if len(days) > 8 else ''}。", Severity.WARNING))


# --------------------------------------------------------------------------- recalc

def report_days(month: Month, as_of: date, calendar: WorkCalendar, calls: list[LeadCall]) -> list[date]:
    """回访统计's days: the month's working days up to 截至日期, and any day with a callback."""
    days = set(calendar.workdays_between(month.first, as_of))
    days |= {c.day for c in calls if c.day is not None and month.contains(c.day)}
    return sorted(days)


@dataclass
class OnlineSalesFigures:
    """What the onlinesales recalc computed, as Python values (python_values writes them as the
    cached values of the formula cells; tests compare them with LibreOffice's)."""
    judged: Any
    as_of: Any
    conversion: Any
    deals: Any
    follow: Any
    commission: Any
    daily: Any


def figures(leads: list[Lead], calls: list[LeadCall], ctx: RecalcContext, as_of: date) -> dict:
    """Every report of the workbook, computed in Python."""
    rules_, month = ctx.config.onlinesales, ctx.month
    judged = rules.judge(leads, rules_.follow_up_working_days, month, as_of, ctx.calendar)
    managers = rules.people(rules_.managers, [lead.manager for lead in leads])
    desk = rules.people(rules_.desk, [lead.desk for lead in leads] + [c.staff for c in calls])
    deals = sorted((j for j in judged if j.deal), key=lambda j: (j.lead.deal_date, j.lead.row))
    return OnlineSalesFigures(judged=judged, as_of=as_of, conversion=rules.conversion(judged, month), deals=deals,
                              follow=rules.follow_up(judged, managers),
                              commission=rules.commission_rows(judged, managers, desk, rules_),
                              daily=rules.callback_days(calls, desk, report_days(month, as_of, ctx.calendar, calls),
                                                        rules_.daily_connected_target))


def _signature_lines(ws, row: int) -> None:
    for i, who in enumerate(SIGNERS):
        cell = ws.cell(row, 1 + i * 2, f"{who}：__________")
        cell.font = Font(name=FONT, size=11)
    ws.cell(row + 1, 1, "日期：__________").font = Font(name=FONT, size=11)
    ws.row_dimensions[row].height = 36


def recalc(wb, ctx: RecalcContext) -> RecalcResult:
    config, month = ctx.config, ctx.month
    wspec = spec(config, month)
    result, found = start_recalc(wb, ctx, KIND, wspec,
                                 rebuilt=(CONVERSION, DEALS, FOLLOW, COMMISSION, DAILY, CALENDAR))
    problems = result.problems
    if found is None:
        return result
    layouts, datas = found
    leads = read_leads(datas[LEADS], ctx.file, problems)
    calls = read_calls(datas[CALLS], ctx.file, problems)
    as_of = month.clamp(ctx.as_of)
    f = figures(leads, calls, ctx, as_of)
    check_leads(f.judged, ctx, problems)
    check_calls(calls, leads, f.daily, ctx, as_of, problems)
    problems.sort(key=lambda p: (SHEET_ORDER.get(p.sheet, 9), p.row or 0))
    if ctx.write:
        mark_ledger_rows(wb, LEADS, layouts[LEADS], [(lead.row, lead.source) for lead in leads], rules.CURRENT, as_of)
        restore_formulas(wb, wspec.sheet(LEADS), layouts, datas[LEADS], result, ctx.file)
        restore_formulas(wb, wspec.sheet(CALLS), layouts, datas[CALLS], result, ctx.file)
        rebuild_rows(wb, wspec.sheet(CONVERSION), layouts,
                     [{h: r[h] for h in ("维度", "分组", "开始", "结束")} for r in f.conversion])
        rebuild_rows(wb, wspec.sheet(DEALS), layouts, [{"行": j.lead.row} for j in f.deals])
        write_total_row(wb[DEALS], layouts[DEALS], wspec.sheet(DEALS), len(f.deals), DEAL_TOTALS)
        rebuild_rows(wb, wspec.sheet(FOLLOW), layouts, [{"业务经理": r["业务经理"]} for r in f.follow])
        write_total_row(wb[FOLLOW], layouts[FOLLOW], wspec.sheet(FOLLOW), len(f.follow), FOLLOW_TOTALS)
        rebuild_rows(wb, wspec.sheet(COMMISSION), layouts,
                     [{"角色": r["角色"], "姓名": r["姓名"]} for r in f.commission])
        total = write_total_row(wb[COMMISSION], layouts[COMMISSION], wspec.sheet(COMMISSION), len(f.commission),
                                COMMISSION_TOTALS)
        _signature_lines(wb[COMMISSION], total + 3)
        rebuild_rows(wb, wspec.sheet(DAILY), layouts, [{"日期": r["日期"], "客服": r["客服"]} for r in f.daily])
        first, last = span(month, ctx.calendar, config, [lead.assigned for lead in leads])
        rewrite_workdays(wb, wspec, layouts, ctx.calendar.workdays_between(first, last))
        finish_recalc(wb, wspec, ctx, problems)
    judged = f.judged
    month_row = next(r for r in f.conversion if r["维度"] == rules.TOTAL)
    result.summary_headers = ["询盘", "有效", "有效率", "成交", "转化率", "成交金额", "跟进中", "跟进超时", "提成合计"]
    result.summary_rows = [[str(month_row["询盘"]), str(month_row["有效"]), percent(month_row["有效率"]),
                            str(len(f.deals)), percent(month_row["转化率"]),
                            f"{sum((j.lead.amount or Decimal(0) for j in f.deals), Decimal(0)):,.2f}",
                            str(sum(1 for j in judged if j.status == rules.FOLLOWING)),
                            str(sum(1 for j in judged if j.late)),
                            f"{sum((r['提成'] for r in f.commission), Decimal(0)):,.2f}"]]
    result.figures = f
    return result


def python_values(result: RecalcResult) -> dict[str, dict]:
    """Python's value for every derived cell: 询盘 by row, 转化率 by 分组, 成交一览 by 行,
    跟进 by 业务经理, 提成 by (角色, 姓名), 回访统计 by (日期, 客服) — what tests compare with
    LibreOffice's recalculation."""
    f = result.figures
    yes_no = {None: None, True: rules.YES, False: rules.NO}
    out: dict[str, dict] = {LEADS: {}, CONVERSION: {}, DEALS: {}, FOLLOW: {}, COMMISSION: {}, DAILY: {}}
    for j in f.judged:
        lead = j.lead
        out[LEADS][lead.row] = {"跟进时限": j.deadline, "跟进超时": yes_no[j.late], "状态": j.status,
                                "渠道组": rules.channel_group(lead.channel), "计成交": 1 if j.deal else None}
    for r in f.conversion:
        out[CONVERSION][r["分组"]] = {h: r[h] for h in ("询盘", "有效", "有效率", "成交", "转化率", "成交金额")}
    for j in f.deals:
        lead = j.lead
        out[DEALS][lead.row] = {"询盘编号": lead.lead_id, "成交日期": lead.deal_date, "客户": lead.customer,
                                "渠道": lead.channel, "业务经理": lead.manager, "接待客服": lead.desk,
                                "成交金额": lead.amount, "询盘日期": lead.day,
                                "成交天数": (lead.deal_date - lead.day).days if lead.day else None}
    for r in f.follow:
        out[FOLLOW][r["业务经理"]] = {h: r[h] for h in ("分配", "已跟进", "未跟进", "超时", "成交")}
    for r in f.commission:
        out[COMMISSION][(r["角色"], r["姓名"])] = {h: r[h] for h in ("成交数", "成交金额", "提成比例", "提成")}
    for r in f.daily:
        out[DAILY][(r["日期"], r["客服"])] = {h: r[h] for h in ("回访", "接通", "达标")}
    out[DEALS][None] = total_values(out[DEALS].values(), DEAL_TOTALS)      # the 合计 row: no 行
    out[FOLLOW]["合计"] = total_values(out[FOLLOW].values(), FOLLOW_TOTALS)
    out[COMMISSION][("合计", None)] = total_values(out[COMMISSION].values(), COMMISSION_TOTALS)
    return out


KIND_DEF = Kind(KIND, TITLE, spec, recalc, python_values)
