"""投诉台账_YYYY-MM.xlsx (kind complaints): every complaint with the merchant's reply
deadline in statutory working days, lateness, status and handling time; the merchant
ranking with 黑榜/红榜 nominations, the category/brand table and the weekly report
(docs/complaints.md). The declaration is the single source of layout and formulas; `recalc`
computes the same figures in Python."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ..calendar import WorkCalendar
from ..config import COMPLAINT_CHANNELS, Config
from ..errors import InputFileError
from ..io.crm import CRM, read_crm_export
from ..io.tables import find_input, read_table
from ..io.values import EXCEL_EPOCH, is_blank, parse_id
from ..month import Month
from ..records import Complaint, Problem, Severity
from ..rules import complaints as rules
from ..rules.deadlines import weeks_touching
from ..sheets.build import build_workbook
from ..sheets.read import write_problem_sheet
from ..sheets.spec import Anchor, Column, Highlight, Role, SheetSpec, Type, WorkbookSpec
from .base import (
    Kind,
    RecalcContext,
    RecalcResult,
    calendar_span,
    carried_rows,
    cell_date,
    cell_text,
    finish_recalc,
    mark_ledger_rows,
    monthly_files,
    read_ledger_rows,
    read_tracker,
    rebuild_rows,
    restore_formulas,
    rewrite_workdays,
    start_recalc,
    typed_date,
    workdays_sheet,
)

KIND = "complaints"
TITLE = "投诉台账"
COMPLAINTS, RANKING, CATEGORIES, WEEKLY, CALENDAR = "投诉", "商家排名", "品类品牌", "周报", "工作日历"
AS_OF = "截至日期"
YES_NO = (rules.YES, rules.NO)
RED, ORANGE, GREEN = "FFC7CE", "FFEB9C", "C6EFCE"
NEVER = 2958465          # 9999-12-31: the 解决键 of a complaint not resolved
MARKERS = ("投诉编号", "登记日期", "订单号", "商家", "投诉内容")
SHEET_ORDER = {COMPLAINTS: 0, RANKING: 1, CATEGORIES: 2, WEEKLY: 3}


def file_name(month: Month) -> str:
    return f"{TITLE}_{month}.xlsx"


def _reply_days_formula(config: Config) -> str:
    days = config.reply_working_days
    if len(set(days.values())) == 1:
        return str(next(iter(days.values())))
    values = ",".join(str(days[c]) for c in COMPLAINT_CHANNELS)
    names = ",".join(f'"{c}"' for c in COMPLAINT_CHANNELS)
    return f"IFERROR(INDEX({{{values}}},MATCH([渠道],{{{names}}},0)),{days[rules.FALLBACK_CHANNEL]})"


def spec(config: Config, month: Month) -> WorkbookSpec:
    cal = f"[{CALENDAR}!日期]"
    c = f"[{COMPLAINTS}!"
    blank = "&".join(f"[{h}]" for h in MARKERS) + '=""'
    days = config.reply_working_days
    days_text = "、".join(f"{ch} {n}" for ch, n in days.items()) if len(set(days.values())) > 1 \
        else f"{next(iter(days.values()))}"
    complaints = SheetSpec(
        name=COMPLAINTS, title=f"{month.label} 投诉台账", key="投诉编号", buffer_rows=300,
        row_markers=MARKERS,
        anchors=(Anchor(AS_OF, Type.DATE, "判断回复超时、计算处理中投诉的处理工作日的日期：重算时设为当天（不超过月末）。"),),
        help="每起投诉接到后立即登记一行；上月仍在处理中的投诉开月时结转为「遗留」。",
        columns=(
            Column("投诉编号", Role.INPUT, Type.ID, help="投诉编号，唯一。"),
            Column("来源", Role.COMPUTED, Type.TEXT,
                   help="当月：本月登记；遗留：上月仍在处理中、开月时结转（所有已填内容保留）。"),
            Column("登记日期", Role.INPUT, Type.DATE, help="接到投诉并登记的日期。"),
            Column("渠道", Role.INPUT, Type.TEXT, dropdown=COMPLAINT_CHANNELS, help="投诉来自哪里。"),
            Column("网友姓名", Role.INPUT, Type.TEXT, help="投诉人。"),
            Column("手机", Role.INPUT, Type.ID, width=13, help="投诉人手机号。"),
            Column("订单号", Role.INPUT, Type.ID, help="涉及的订单号；处理中的投诉会让该订单暂缓结算。"),
            Column("商家", Role.INPUT, Type.TEXT, width=16, help="被投诉的商家（必填，用于商家排名）。"),
            Column("品类", Role.INPUT, Type.TEXT, help="商品品类，如 地板、橱柜。"),
            Column("品牌", Role.INPUT, Type.TEXT, help="商品品牌。"),
            Column("投诉内容", Role.INPUT, Type.TEXT, width=30, help="投诉内容摘要。"),
            Column("重大", Role.INPUT, Type.TEXT, dropdown=YES_NO, help="是：重大投诉（周报预警、直接进黑榜候选）。"),
            Column("转交商家日期", Role.INPUT, Type.DATE, help="把投诉转交商家的日期。"),
            Column("商家回复日期", Role.INPUT, Type.DATE, help="商家回复的日期。"),
            Column("回复时限", Role.DERIVED, Type.DATE,
                   f'IF(NOT(ISNUMBER([登记日期])),"",IFERROR(SMALL({cal},COUNTIF({cal},"<="&[登记日期])+'
                   f'{_reply_days_formula(config)}),""))',
                   help=f"登记日期之后第 N 个法定工作日（N 按渠道：{days_text}；节假日不算，调休上班日算）。"),
            Column("回复超时", Role.DERIVED, Type.TEXT,
                   f'IF([回复时限]="","",IF(ISNUMBER([商家回复日期]),IF([商家回复日期]>[回复时限],"是","否"),'
                   f'IF(AND([商家回复日期]="",N([@{AS_OF}])>[回复时限]),"是","否")))',
                   help="是：商家回复日期晚于回复时限，或还没回复而截至日期已过回复时限。"),
            Column("处理结果", Role.INPUT, Type.TEXT, width=24, help="处理结果。"),
            Column("解决日期", Role.INPUT, Type.DATE, help="投诉解决的日期；填写后状态为已解决。"),
            Column("状态", Role.DERIVED, Type.TEXT,
                   f'IF({blank},"",IF([解决日期]<>"","{rules.RESOLVED}","{rules.OPEN}"))',
                   help="已解决（有解决日期）/ 处理中。处理中的投诉下月结转，相关订单暂缓结算。"),
            Column("处理工作日", Role.DERIVED, Type.INT,
                   f'IF(NOT(ISNUMBER([登记日期])),"",COUNTIFS({cal},">"&[登记日期],{cal},"<="&'
                   f'IF(ISNUMBER([解决日期]),[解决日期],N([@{AS_OF}]))))',
                   help="登记日期之后到解决日期（处理中的到截至日期）的法定工作日数。"),
            Column("分类键", Role.DERIVED, Type.TEXT,
                   f'IF([状态]="","",IF([品类]="","{rules.UNFILLED}",[品类])&" / "&'
                   f'IF([品牌]="","{rules.UNFILLED}",[品牌]))',
                   hidden=True, help="辅助列（隐藏）：品类 / 品牌，「品类品牌」表按它统计。"),
            Column("解决键", Role.DERIVED, Type.NUMBER,
                   f'IF([状态]="","",IF(ISNUMBER([解决日期]),[解决日期],{NEVER}))',
                   hidden=True, help="辅助列（隐藏）：解决日期，未解决为 9999-12-31，「周报」按它数处理中的重大投诉。"),
        ),
        highlights=(Highlight('[回复超时]="是"', ORANGE, ("商家回复日期", "回复时限", "回复超时")),
                    Highlight('AND([重大]="是",[状态]="处理中")', RED, ("投诉编号", "重大", "状态"))),
    )
    ranking = SheetSpec(
        name=RANKING, title=f"{month.label} 商家排名", key="商家", buffer_rows=0, row_markers=("商家",),
        help="重算时按 投诉数、回复超时（多的在前）、商家名 排序；黑榜/红榜为提名，须经理确认。",
        columns=(
            Column("商家", Role.COMPUTED, Type.TEXT, width=16, help="被投诉的商家；红榜提名的商家（无投诉）列在最后。"),
            Column("投诉数", Role.DERIVED, Type.INT, f"COUNTIF({c}商家],[商家])", help="本台账中该商家的投诉数（含遗留）。"),
            Column("重大", Role.DERIVED, Type.INT, f'COUNTIFS({c}商家],[商家],{c}重大],"是")', help="其中重大投诉数。"),
            Column("已解决", Role.DERIVED, Type.INT, f'COUNTIFS({c}商家],[商家],{c}状态],"{rules.RESOLVED}")',
                   help="其中已解决的。"),
            Column("回复超时", Role.DERIVED, Type.INT, f'COUNTIFS({c}商家],[商家],{c}回复超时],"是")',
                   help="其中商家回复超时的。"),
            Column("平均处理工作日", Role.DERIVED, Type.NUMBER,
                   f'IF([投诉数]=0,"",IFERROR(AVERAGEIF({c}商家],[商家],{c}处理工作日]),""))',
                   help="该商家投诉的平均处理工作日（处理中的算到截至日期）。"),
            Column("配合度", Role.DERIVED, Type.RATIO, 'IF([投诉数]=0,"",1-[回复超时]/[投诉数])',
                   help="1 − 回复超时 ÷ 投诉数。"),
            Column("排名", Role.COMPUTED, Type.INT, help="投诉数多的在前，相同时回复超时多的在前，再按商家名。"),
            Column("提名", Role.COMPUTED, Type.TEXT,
                   help=f"黑榜：投诉数 ≥ 2 或有重大投诉的商家中排名前 {config.blacklist_size} 的；"
                        f"红榜：本月结算单数最多且没有投诉的前 {config.redlist_size} 个商家（本月尚未结算时不提名）。"),
            Column("说明", Role.COMPUTED, Type.TEXT, width=36, help="提名理由。"),
        ),
        highlights=(Highlight(f'[提名]="{rules.BLACK}"', RED, ("商家", "提名")),
                    Highlight(f'[提名]="{rules.RED}"', GREEN, ("商家", "提名"))),
    )
    categories = SheetSpec(
        name=CATEGORIES, title=f"{month.label} 投诉品类品牌统计", key="品类", buffer_rows=0, row_markers=("品类",),
        row_key=("品类", "品牌"),
        columns=(
            Column("品类", Role.COMPUTED, Type.TEXT, help=f"投诉中出现的品类（空白记为{rules.UNFILLED}）。"),
            Column("品牌", Role.COMPUTED, Type.TEXT, help=f"投诉中出现的品牌（空白记为{rules.UNFILLED}）。"),
            Column("投诉数", Role.DERIVED, Type.INT, f"COUNTIF({c}分类键],[分类键])", help="该品类品牌的投诉数。"),
            Column("重大", Role.DERIVED, Type.INT, f'COUNTIFS({c}分类键],[分类键],{c}重大],"是")', help="其中重大投诉数。"),
            Column("处理中", Role.DERIVED, Type.INT,
                   f'COUNTIFS({c}分类键],[分类键],{c}状态],"{rules.OPEN}")', help="其中仍在处理中的。"),
            Column("分类键", Role.DERIVED, Type.TEXT, '[品类]&" / "&[品牌]', hidden=True,
                   help="辅助列（隐藏）：与「投诉」表的分类键对应。"),
        ),
    )
    weekly = SheetSpec(
        name=WEEKLY, title=f"{month.label} 投诉周报（周一至周日）", key="周一", buffer_rows=0, row_markers=("周一",),
        columns=(
            Column("周一", Role.COMPUTED, Type.DATE, help="这一周的周一。"),
            Column("周日", Role.COMPUTED, Type.DATE, help="这一周的周日。"),
            Column("新投诉", Role.DERIVED, Type.INT,
                   f'COUNTIFS({c}登记日期],">="&[周一],{c}登记日期],"<="&[周日])', help="这一周登记的投诉数。"),
            Column("已解决", Role.DERIVED, Type.INT,
                   f'COUNTIFS({c}解决日期],">="&[周一],{c}解决日期],"<="&[周日])', help="这一周解决的投诉数（含遗留）。"),
            Column("处理中重大", Role.DERIVED, Type.INT,
                   f'COUNTIFS({c}重大],"是",{c}登记日期],"<="&[周日],{c}解决键],">"&[周日])',
                   help="到周日仍未解决的重大投诉数（预警）。"),
            Column("回复超时", Role.DERIVED, Type.INT,
                   f'COUNTIFS({c}登记日期],">="&[周一],{c}登记日期],"<="&[周日],{c}回复超时],"是")',
                   help="这一周登记、商家回复超时的投诉数。"),
            Column("配合度", Role.DERIVED, Type.RATIO, 'IF([新投诉]=0,"",1-[回复超时]/[新投诉])',
                   help="1 − 回复超时 ÷ 新投诉。"),
        ),
        highlights=(Highlight("N([处理中重大])>0", RED, ("处理中重大",)),),
    )
    calendar = workdays_sheet("法定工作日（含调休上班日），供回复时限和处理工作日公式使用。")
    notes = (
        "每起投诉接到后立即登记：论坛、微博、微信等渠道的投诉，商家须在登记后 "
        f"{days[rules.FALLBACK_CHANNEL]} 个法定工作日内回复（回复时限按隐藏的「工作日历」表计算，节假日不算，调休上班日算）。",
        "填写解决日期后状态为已解决；处理中的投诉下月开月时结转为「遗留」，所有已填内容保留；相关订单在结算时暂缓。",
        "每周看「周报」：处理中重大投诉、回复超时和商家配合度；每月 10 日前重算并看「商家排名」的黑榜/红榜提名。",
        "点击 客服工具 → 重算（或 kefu-xl recalc 文件名）会检查数据、恢复公式、刷新商家排名/品类品牌/周报，问题列在「问题」表。",
    )
    return WorkbookSpec(kind=KIND, title=TITLE, sheets=(complaints, ranking, categories, weekly, calendar), notes=notes)


# --------------------------------------------------------------------------- reading

def read_complaints(data, file: str, problems: list[Problem] | None = None) -> list[Complaint]:
    out = []
    for row, v in data.rows:
        def day(header):
            return typed_date(v, header, (file, COMPLAINTS, row), problems)
        out.append(Complaint(
            cell_text(v["投诉编号"]), cell_text(v["来源"]), day("登记日期"), cell_text(v["渠道"]),
            parse_id(v["订单号"]), cell_text(v["商家"]), cell_text(v["品类"]), cell_text(v["品牌"]),
            cell_text(v["重大"]) == rules.YES, day("转交商家日期"), day("商家回复日期"), not is_blank(v["商家回复日期"]),
            day("解决日期"), not is_blank(v["解决日期"]), row))
    return out


def read_file(path: Path, config: Config) -> tuple[Month, list[tuple[Complaint, dict]]]:
    """(month, [(complaint, its typed cells)]) of a ledger, read fast (values only)."""
    return read_ledger_rows(path, lambda m: spec(config, m), COMPLAINTS, read_complaints)


def opening_rows(previous: list[tuple[Complaint, dict]], config: Config, month: Month) -> list[dict]:
    """Last month's complaints still 处理中, as 遗留 rows with every typed cell kept."""
    return carried_rows(previous, spec(config, month).sheet(COMPLAINTS), rules.carried_over, rules.CARRIED)


def build(config: Config, month: Month, calendar: WorkCalendar, rows: list[dict], meta: dict | None = None):
    """A new ledger with the given 投诉 rows (carried ones) and empty summaries."""
    wspec = spec(config, month)
    titles = {s.name: s.title for s in wspec.sheets}
    first, last = ledger_span(month, calendar, config, [cell_date(r.get("登记日期")) for r in rows])
    data = {COMPLAINTS: rows,
            WEEKLY: [{"周一": a, "周日": b} for a, b in weeks_touching(month.first, month.last)],
            CALENDAR: [{"日期": d} for d in calendar.workdays_between(first, last)]}
    wb, _ = build_workbook(wspec, titles, data, {}, {"month": str(month), **(meta or {})})
    write_problem_sheet(wb, [], before="说明")
    return wb


def ledger_span(month: Month, calendar: WorkCalendar, config: Config, registered) -> tuple[date, date]:
    """Days the hidden calendar covers: the month with margins, every 登记日期, and far
    enough past the last one for its deadline (holidays included)."""
    reach = timedelta(days=2 * max(config.reply_working_days.values()) + 14)
    dates = [d for d in registered if d is not None]
    return calendar_span(month, calendar, [*dates, *(d + reach for d in dates)])


# --------------------------------------------------------------------------- recalc

def settled_counts(workspace: Path | None, month: Month) -> dict[str, int] | None:
    """{商家: 结算单数} of the month's 结算_YYYY-MM.xlsx (明细 rows with 结果 结算), or None
    when the month has not been settled yet."""
    if workspace is None:
        return None
    path = workspace / str(month) / f"结算_{month}.xlsx"
    if not path.exists():
        return None
    table = read_table(path, ["商家", "结果"], sheet="明细")
    counts: dict[str, int] = {}
    for _, v in table.rows:
        if cell_text(v["结果"]) == "结算":
            merchant = cell_text(v["商家"])
            counts[merchant] = counts.get(merchant, 0) + 1
    return counts


def crm_order_numbers(workspace: Path | None, month: Month) -> tuple[set[str] | None, str]:
    """Order numbers of the month's CRM export (None when there is none or it cannot be read)."""
    if workspace is None:
        return None, ""
    try:
        path = find_input(workspace / str(month) / "inputs", CRM)
    except InputFileError:
        return None, f"没有 {month}/inputs/{CRM}.csv：未核对投诉的订单号是否在 CRM 中。"
    found: list[Problem] = []
    frame = read_crm_export(path, found)
    if frame is None:
        return None, f"{path.name} 读取有问题（{found[0].message if found else '表头不对'}）：未核对投诉的订单号。"
    return set(frame["订单号"].tolist()), ""


def check(judged: list[rules.Judged], ctx: RecalcContext, crm: set[str] | None, problems: list[Problem]) -> None:
    seen: dict[str, int] = {}
    for j in judged:
        c = j.complaint

        def add(column, code, message, severity=Severity.ERROR):
            problems.append(Problem(ctx.file, COMPLAINTS, c.row, column, code, message, severity))
        if not c.complaint_id:
            add("投诉编号", "NO_COMPLAINT_ID", "没有填写投诉编号：请补上（编号唯一，结算和下月结转都按它识别投诉）。",
                Severity.WARNING)
        elif c.complaint_id.casefold() in seen:
            add("投诉编号", "DUPLICATE_COMPLAINT", f"投诉编号「{c.complaint_id}」与第 {seen[c.complaint_id.casefold()]} 行重复："
                                                 f"每起投诉一行，请改编号或合并。")
        else:
            seen[c.complaint_id.casefold()] = c.row
        if not c.merchant:
            add("商家", "NO_MERCHANT", "没有填写商家：这起投诉无法计入商家排名，也无法转交商家。")
        if c.registered is None:
            add("登记日期", "NO_REGISTER_DATE", "没有登记日期：无法计算回复时限和处理工作日。")
        else:
            for header, d in (("转交商家日期", c.forwarded), ("商家回复日期", c.replied), ("解决日期", c.resolved)):
                if d is not None and d < c.registered:
                    add(header, "DATE_BEFORE_REGISTERED",
                        f"{header} {d.isoformat()} 早于登记日期 {c.registered.isoformat()}：请核对日期。")
        if c.channel and c.channel not in COMPLAINT_CHANNELS:
            add("渠道", "BAD_CHANNEL", f"渠道「{c.channel}」应为 {'/'.join(COMPLAINT_CHANNELS)}，回复时限按「其他」计算。",
                Severity.WARNING)
        if crm is not None and c.order_no and ctx.month.contains(c.registered) and c.order_no not in crm:
            add("订单号", "ORDER_NOT_IN_CRM", f"订单号「{c.order_no}」不在本月 CRM 导出中：请核对订单号。", Severity.WARNING)
        if j.late and c.replied is None:
            add("商家回复日期", "REPLY_OVERDUE",
                f"商家应在 {j.deadline.isoformat()} 前回复，至今未回复：请催促商家。", Severity.WARNING)
        if c.major and j.status == rules.OPEN:
            add("重大", "MAJOR_OPEN", f"重大投诉{c.complaint_id and '「' + c.complaint_id + '」'}仍在处理中：请优先跟进。",
                Severity.WARNING)


def nominations(ranking: list[dict], settled: dict[str, int] | None, config: Config) -> list[dict]:
    """The ranking rows with 提名 and 说明, and the 红榜 merchants (no complaint) appended."""
    black = {rules.merchant_key(r["商家"]) for r in rules.blacklist(ranking, config.blacklist_size)}
    rows = []
    for r in ranking:
        row = {"商家": r["商家"], "排名": r["排名"], "提名": "", "说明": ""}
        if rules.merchant_key(r["商家"]) in black:
            row["提名"] = rules.BLACK
            row["说明"] = f"投诉 {r['投诉数']} 起" + (f"，其中重大 {r['重大']} 起" if r["重大"] else "") + \
                f"，回复超时 {r['回复超时']} 起"
        rows.append(row)
    for merchant, n in rules.redlist(settled or {}, ranking, config.redlist_size):
        rows.append({"商家": merchant, "排名": None, "提名": rules.RED, "说明": f"本月结算 {n} 单，没有投诉"})
    return rows


@dataclass
class ComplaintsFigures:
    """What the complaints recalc computed, as Python values (python_values writes them as the
    cached values of the formula cells; tests compare them with LibreOffice's)."""
    judged: Any
    ranking: Any
    named: Any
    categories: Any
    weekly: Any
    as_of: Any
    settled: Any


def recalc(wb, ctx: RecalcContext) -> RecalcResult:
    config, month = ctx.config, ctx.month
    wspec = spec(config, month)
    result, found = start_recalc(wb, ctx, KIND, wspec, rebuilt=(RANKING, CATEGORIES, WEEKLY, CALENDAR))
    problems = result.problems
    if found is None:
        return result
    layouts, datas = found
    complaints = read_complaints(datas[COMPLAINTS], ctx.file, problems)
    as_of = month.clamp(ctx.as_of)
    judged = rules.judge(complaints, config.reply_working_days, as_of, ctx.calendar)
    ranking = rules.merchant_ranking(judged)
    settled = settled_counts(ctx.workspace, month)
    named = nominations(ranking, settled, config)
    categories = rules.category_rows(judged)
    weekly = rules.weekly_report(weeks_touching(month.first, month.last), judged)
    crm, crm_note = crm_order_numbers(ctx.workspace, month) if any(c.order_no for c in complaints) else (None, "")
    check(judged, ctx, crm, problems)
    if crm_note:
        problems.append(Problem(ctx.file, COMPLAINTS, None, "订单号", "NO_CRM_EXPORT", crm_note, Severity.INFO))
    if settled is None:
        problems.append(Problem(ctx.file, RANKING, None, "提名", "NOT_SETTLED_YET",
                                f"{month} 还没有结算（没有 结算_{month}.xlsx）：红榜暂不提名，结算后再重算。", Severity.INFO))
    for r in named:
        if r["提名"] == rules.BLACK:
            problems.append(Problem(ctx.file, RANKING, None, "提名", "BLACKLIST",
                                    f"黑榜提名：{r['商家']}（{r['说明']}），请经理确认。", Severity.INFO))
    problems.sort(key=lambda p: (SHEET_ORDER.get(p.sheet, 9), p.row or 0))
    if ctx.write:
        mark_ledger_rows(wb, COMPLAINTS, layouts[COMPLAINTS], [(c.row, c.source) for c in complaints], rules.CURRENT,
                         as_of)
        restore_formulas(wb, wspec.sheet(COMPLAINTS), layouts, datas[COMPLAINTS], result, ctx.file)
        rebuild_rows(wb, wspec.sheet(RANKING), layouts, named)
        wb[RANKING].cell(1, 1).value = wspec.sheet(RANKING).title + ("（本月尚未结算：红榜暂不提名）" if settled is None else "")
        rebuild_rows(wb, wspec.sheet(CATEGORIES), layouts, [{"品类": r["品类"], "品牌": r["品牌"]} for r in categories])
        rebuild_rows(wb, wspec.sheet(WEEKLY), layouts, [{"周一": r["周一"], "周日": r["周日"]} for r in weekly])
        first, last = ledger_span(month, ctx.calendar, config, [c.registered for c in complaints])
        rewrite_workdays(wb, wspec, layouts, ctx.calendar.workdays_between(first, last))
        finish_recalc(wb, wspec, ctx, problems)
    open_count = sum(1 for j in judged if j.status == rules.OPEN)
    result.summary_headers = ["投诉", "处理中", "其中重大", "回复超时", "黑榜提名", "红榜提名"]
    result.summary_rows = [[str(len(judged)), str(open_count),
                            str(sum(1 for j in judged if j.status == rules.OPEN and j.complaint.major)),
                            str(sum(1 for j in judged if j.late)),
                            "、".join(r["商家"] for r in named if r["提名"] == rules.BLACK) or "—",
                            "、".join(r["商家"] for r in named if r["提名"] == rules.RED) or
                            ("未结算" if settled is None else "—")]]
    result.figures = ComplaintsFigures(judged=judged, ranking=ranking, named=named, categories=categories,
                                       weekly=weekly, as_of=as_of, settled=settled)
    return result


def python_values(result: RecalcResult) -> dict[str, dict]:
    """Python's value for every derived cell: 投诉 by row, 商家排名 by 商家, 品类品牌 by
    (品类, 品牌), 周报 by 周一 — what tests compare with LibreOffice's recalculation."""
    f = result.figures
    yes_no = {None: None, True: rules.YES, False: rules.NO}
    out: dict[str, dict] = {COMPLAINTS: {}, RANKING: {}, CATEGORIES: {}, WEEKLY: {}}
    for j in f.judged:
        c = j.complaint
        shown = rules.category_key(c.category, c.brand)
        out[COMPLAINTS][c.row] = {
            "回复时限": j.deadline, "回复超时": yes_no[j.late], "状态": j.status, "处理工作日": j.days,
            "分类键": f"{shown[0]} / {shown[1]}",
            "解决键": (c.resolved - EXCEL_EPOCH).days if c.resolved is not None else NEVER}
    zero = {"投诉数": 0, "重大": 0, "已解决": 0, "回复超时": 0, "平均处理工作日": None, "配合度": None}
    by_name = {r["商家"]: r for r in f.ranking}
    for r in f.named:
        figures = by_name.get(r["商家"], zero)
        out[RANKING][r["商家"]] = {h: figures[h] for h in zero}
    for r in f.categories:
        out[CATEGORIES][(r["品类"], r["品牌"])] = {**{h: r[h] for h in ("投诉数", "重大", "处理中")},
                                                  "分类键": f"{r['品类']} / {r['品牌']}"}
    for r in f.weekly:
        out[WEEKLY][r["周一"]] = {h: r[h] for h in ("新投诉", "已解决", "处理中重大", "回复超时", "配合度")}
    return out


# --------------------------------------------------------------------------- settlement

def ledgers_up_to(workspace: Path, month: Month) -> list[Path]:
    """Every month's 投诉台账 up to `month`, oldest first."""
    return monthly_files(workspace, TITLE, month)


def open_complaints(ledgers: list[Path], config: Config, problems: list[Problem]) -> dict[str, str]:
    """{订单号: which complaint, in which file and row} of complaints still 处理中. A complaint
    carried from month to month is judged by the latest ledger that has it (October's row
    stays 处理中 in October's file after November's row is resolved). A ledger whose headers
    are broken is an error: an open complaint in it could settle an order it should hold."""
    latest: dict[str, tuple[Complaint, str]] = {}
    for path in ledgers:
        _, datas = read_tracker(path, lambda m: spec(config, m), (COMPLAINTS,), problems=problems)
        if datas[COMPLAINTS] is None:
            if not any(p.file == path.name for p in problems):
                problems.append(Problem(path.name, COMPLAINTS, None, "", "MISSING_SHEET",
                                        f"{path.name} 没有「{COMPLAINTS}」表：无法判断哪些订单有处理中的投诉。"))
            continue
        for complaint in read_complaints(datas[COMPLAINTS], path.name):
            key = complaint.complaint_id.casefold() or f"{path.name}#{complaint.row}"
            latest[key] = (complaint, f"{path.name}「{COMPLAINTS}」第 {complaint.row} 行")
    out: dict[str, str] = {}
    for complaint, where in latest.values():
        if rules.status(complaint) == rules.OPEN and complaint.order_no:
            out.setdefault(complaint.order_no, f"{complaint.complaint_id or '（无编号）'}（{where}）")
    return out


KIND_DEF = Kind(KIND, TITLE, spec, recalc, python_values)
