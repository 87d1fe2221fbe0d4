"""周报/周报_2026-W49.xlsx (and --html): the 周报 workbook over app/weekly.py's facts.

Sheets 周报 (per person and 合计, with the team's complaints, the signature line), 每日 (per
person per day, Monday–Sunday), 本周问题 (the weekly meeting's agenda, with a column to write
what the meeting decided) and 数据 (the week's facts). Every figure of 周报 and 每日 is a live
SUMIFS/COUNTIFS over 数据 and the same figure in Python (weekly.figures), cached in the file."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from html import escape
from pathlib import Path

from openpyxl.styles import Alignment, Font

from ..errors import KefuError
from ..hints import command
from ..io.heap import without_cycle_collection
from ..io.safe_write import atomic_write, check_not_open
from ..records import Problem, Severity
from ..rules.completion import percent
from ..sheets.build import (
    FONT,
    Formula,
    build_workbook,
    print_one_page_wide,
    set_cell,
    style_name,
    wrapped_height,
)
from ..sheets.layout import resolve
from ..sheets.read import write_problem_sheet
from ..sheets.spec import Column, Highlight, Role, SheetSpec, Type, WorkbookSpec
from . import weekly as w
from .workbooks import add_keyed_values

WEEK, DAYS, ISSUES, DATA = "周报", "每日", "本周问题", "数据"
FOLDER = "周报"
SIGNATURE = "客服经理 签字：____________        日期：____________"


def _sum(item: str, person: bool, group: str | None = None, day: bool = False) -> str:
    by_group = f',[数据!分类],"{group}"' if group else ""
    who = ",[数据!客服],[客服]" if person else ""
    when = ",[数据!日期],[日期]" if day else ""
    return f'SUMIFS([数据!数值],[数据!项目],"{item}"{by_group}{who}{when})'


def week_formulas(person: bool) -> dict[str, str]:
    """The 周报 row's formulas: a person's (over their 数据 rows) or the team's."""
    who = ",[数据!客服],[客服]" if person else ""
    return {
        **{t: _sum(w.VALID, person, t) for t in w.TYPE_COLUMNS},
        w.VALID: _sum(w.VALID, person),
        w.PLANNED: _sum(w.PLANNED, person), w.PLAN_DONE: _sum(w.PLAN_DONE, person),
        "计划完成率": f'IF(N([{w.PLANNED}])=0,"",[{w.PLAN_DONE}]/[{w.PLANNED}])',
        "达标天数": 'COUNTIFS([每日!客服],[客服],[每日!达标],"是")' if person else 'COUNTIFS([每日!达标],"是")',
        **{item: _sum(item, person) for item in (w.REMINDED, w.RECEIVED, w.AMOUNT, w.STEP, w.ANOMALY)},
        w.FOLLOWED: f'COUNTIFS([数据!项目],"{w.ANOMALY}"{who},[数据!{w.FOLLOWED}],"是")',
        "不满意客户": _sum(w.UNHAPPY, person),
        "咨询及时率": f'IF({_sum(w.ANSWERED, person)}=0,"",{_sum(w.IN_TIME, person)}/{_sum(w.ANSWERED, person)})',
    }


WEEK_TYPES = {**dict.fromkeys(w.TYPE_COLUMNS, Type.INT), w.VALID: Type.INT, w.PLANNED: Type.INT, w.PLAN_DONE: Type.INT,
              "计划完成率": Type.RATIO, "达标天数": Type.INT, w.REMINDED: Type.INT, w.RECEIVED: Type.INT,
              w.AMOUNT: Type.MONEY, w.STEP: Type.INT, w.ANOMALY: Type.INT, w.FOLLOWED: Type.INT, "不满意客户": Type.INT,
              "咨询及时率": Type.RATIO}
WEEK_HELP = {
    **{t: f"本周（周一到周日）有效的「{t}」记录条数（有效工作的规则同维护跟踪表）。" for t in w.TYPE_COLUMNS},
    w.VALID: "本周有效工作合计。",
    w.PLANNED: "本周每天早上的计划项数之和（个人工作簿「每日小结」）。",
    w.PLAN_DONE: "其中完成的项数（以前各天：换成新计划时记下的数；计划日期那天：现在完成的数）。",
    "计划完成率": "完成计划项 ÷ 计划项数。",
    "达标天数": "本周有效工作 ≥ 每日目标的天数（见「每日」表）。",
    w.REMINDED: "本周填了提醒日期的续费帐户数。", w.RECEIVED: "本周到帐的续费帐户数。", w.AMOUNT: "本周到帐的续费金额（元）。",
    w.STEP: "本周完成（填了日期）的新客户开户步骤数。",
    w.ANOMALY: "本周 9:00 消耗监控发现的异常（消耗日期的下一个工作日发现）。",
    w.FOLLOWED: "其中发现当天就有该帐户有效工作记录的（当天跟进）。",
    "不满意客户": "本周满意度为 不满意/很不满意 的电话拜访记录。",
    "咨询及时率": "本周收到、已答复的咨询中在时限内答复的比例（个人工作簿「咨询」表；电话算及时）。",
}


def spec(data: w.WeekData) -> WorkbookSpec:
    target = data.daily_target
    week = SheetSpec(
        name=WEEK, title="周报", key="客服", buffer_rows=0, row_markers=("客服",),
        columns=(Column("客服", Role.COMPUTED, Type.TEXT, help="名册中在职的客服，以及本周记录中出现的其他姓名。"),
                 *(Column(h, Role.DERIVED, t, week_formulas(True)[h], help=WEEK_HELP[h], width=9 if t in (Type.MONEY, Type.RATIO)
                          else 7) for h, t in WEEK_TYPES.items())),
    )
    days = SheetSpec(
        name=DAYS, title="每日", key="客服", buffer_rows=0, row_markers=("客服",), row_key=("客服", "日期"),
        columns=(Column("客服", Role.COMPUTED, Type.TEXT, help="客服。"),
                 Column("日期", Role.COMPUTED, Type.DATE, help="周一到周日。"),
                 Column("星期", Role.COMPUTED, Type.TEXT, help="星期几。"),
                 Column("工作日", Role.COMPUTED, Type.TEXT, help="是：法定工作日（含调休上班）。"),
                 Column(w.VALID, Role.DERIVED, Type.INT, _sum(w.VALID, True, day=True), help="这一天的有效工作条数。"),
                 Column("达标", Role.DERIVED, Type.TEXT, f'IF([{w.VALID}]>={target},"是",IF([工作日]="否","","否"))',
                        help=f"有效工作 ≥ {target}（非工作日没有达标要求，达到了也算）。"),
                 Column(w.PLANNED, Role.DERIVED, Type.INT, _sum(w.PLANNED, True, day=True), help="这一天早上的计划项数。"),
                 Column(w.PLAN_DONE, Role.DERIVED, Type.INT, _sum(w.PLAN_DONE, True, day=True), help="其中完成的项数。"),
                 Column(w.ANOMALY, Role.DERIVED, Type.INT, _sum(w.ANOMALY, True, day=True), help="这一天发现的消耗异常。"),
                 Column(w.FOLLOWED, Role.DERIVED, Type.INT,
                        f'COUNTIFS([数据!项目],"{w.ANOMALY}",[数据!客服],[客服],[数据!日期],[日期],[数据!{w.FOLLOWED}],"是")',
                        help="其中当天跟进的。")),
        highlights=(Highlight('[达标]="否"', "FFEB9C", (w.VALID, "达标")),),
    )
    issues = SheetSpec(
        name=ISSUES, title="本周问题", key="类别", buffer_rows=0, row_markers=("类别",),
        columns=(Column("类别", Role.COMPUTED, Type.TEXT, width=20, help="问题的类别（周会按这个顺序过）。"),
                 Column("客服", Role.COMPUTED, Type.TEXT, help="负责的客服。"),
                 Column("帐户ID", Role.COMPUTED, Type.ID, help="帐户ID。"),
                 Column("客户名称", Role.COMPUTED, Type.TEXT, width=18, help="客户名称（投诉为商家）。"),
                 Column("日期", Role.COMPUTED, Type.DATE, help="消耗日期 / 电话拜访日期 / 回复时限 / 上次提醒。"),
                 Column("说明", Role.COMPUTED, Type.TEXT, width=52, wrap=True, help="还没有了结的是什么。"),
                 Column("会上处理", Role.INPUT, Type.TEXT, width=30, wrap=True, help="周会上决定怎么处理、谁负责、何时完成。")),
    )
    facts = SheetSpec(
        name=DATA, title="数据", key="序号", buffer_rows=0, row_markers=("项目",),
        columns=(Column("序号", Role.COMPUTED, Type.INT, help="行号。"),
                 Column("来源", Role.COMPUTED, Type.TEXT, width=26, help="数据来自哪个文件。"),
                 Column("行", Role.COMPUTED, Type.INT, help="该文件中的行号。"),
                 Column("日期", Role.COMPUTED, Type.DATE, help="记录、提醒、到帐、步骤的日期；异常为发现日（消耗日期的下一个工作日）；"
                                                              "投诉新增为登记日期，投诉超时为回复时限。"),
                 Column("客服", Role.COMPUTED, Type.TEXT, help="客服（投诉为空：投诉台账不分客服）。"),
                 Column("项目", Role.COMPUTED, Type.TEXT, help="有效工作/计划项数/完成计划项/续费提醒/续费到帐/到帐金额/"
                                                              "新客户步骤/异常/不满意/投诉新增/投诉超时。"),
                 Column("分类", Role.COMPUTED, Type.TEXT, help="工作类型、开户步骤、异常种类、满意度或投诉渠道。"),
                 Column("帐户ID", Role.COMPUTED, Type.ID, help="帐户ID（统一为半角小写，公式按它比较）。"),
                 Column("客户名称", Role.COMPUTED, Type.TEXT, width=16, help="客户名称。"),
                 Column("数值", Role.COMPUTED, Type.NUMBER, help="条数 1，或项数、金额。"),
                 Column("说明", Role.COMPUTED, Type.TEXT, width=20, help="异常：已通知客户；投诉：编号与商家。"),
                 Column(w.FOLLOWED, Role.DERIVED, Type.TEXT,
                        f'IF([项目]<>"{w.ANOMALY}","",IF(COUNTIFS([数据!项目],"{w.VALID}",[数据!帐户ID],[帐户ID],'
                        f'[数据!日期],[日期])>0,"是","否"))',
                        help="异常行：发现当天该帐户有有效工作记录（任何人登记的）为 是。")),
    )
    notes = ("周报：每周一份，周会前生成（kefu-xl report --week），会上按「本周问题」逐条过，在「会上处理」写下决定，打印后客服经理签字存档。",
             "「周报」「每日」的每个数字都是对「数据」表的公式；「数据」表的行从本周涉及的各月跟踪表、个人工作簿和消耗监控表按规则重新计算得到。")
    return WorkbookSpec(kind="weekly", title="客服周报", sheets=(week, days, issues, facts), notes=notes)


def _rows(data: w.WeekData) -> dict[str, list[dict]]:
    return {WEEK: [{"客服": s} for s in data.staff],
            DAYS: [{"客服": s, "日期": d, "星期": w.WEEKDAYS[d.weekday()], "工作日": "是" if d in data.workdays else "否"}
                   for s in data.staff for d in data.week.days],
            ISSUES: data.issues, DATA: data.rows}


def build(data: w.WeekData):
    """(workbook, spec, {sheet: {(row, col): value}} of the formulas outside the declared rows)."""
    wspec = spec(data)
    week = data.week
    period = f"{week}（{week.monday} 周一 至 {week.sunday} 周日）"
    titles = {WEEK: f"客服周报 {period} · 统计截至 {data.as_of}", DAYS: f"每日 {period}",
              ISSUES: f"本周问题（周会议程）· 截至 {data.as_of} 还没有了结的", DATA: f"数据 {period}（周报的每个数字都由此计算）"}
    wb, layouts = build_workbook(wspec, titles, _rows(data), {},
                                 {"month": str(week), "week": str(week)})
    ws, layout = wb[WEEK], layouts[WEEK]
    total = layout.first_data_row + len(data.staff)
    set_cell(ws.cell(total, layout.columns["客服"]), "合计", style_name(Role.DERIVED, Type.TEXT))
    for header, template in week_formulas(False).items():
        set_cell(ws.cell(total, layout.columns[header]), Formula(resolve(template, layouts, WEEK, total)),
                 style_name(Role.DERIVED, WEEK_TYPES[header]))
    for c in range(1, len(wspec.sheet(WEEK).columns) + 1):
        ws.cell(total, c).font = Font(name=FONT, size=10, bold=True)
    figures = w.figures(data)
    r = total + 2
    cells = {}
    ws.cell(r, 1, "投诉（全团队，投诉台账不分客服）").font = Font(name=FONT, size=10, bold=True)
    for i, (label, item) in enumerate((("本周新增", w.COMPLAINT_NEW), ("本周回复超时", w.COMPLAINT_LATE))):
        ws.cell(r, 4 + 4 * i, label).font = Font(name=FONT, size=10)
        cell = ws.cell(r, 6 + 4 * i)
        set_cell(cell, Formula(resolve(f'SUMIFS([数据!数值],[数据!项目],"{item}")', layouts, WEEK, r)),
                 style_name(Role.DERIVED, Type.INT))
        cells[(r, cell.column)] = figures["投诉"][item]
    ws.cell(r + 1, 1, "本周的问题见「本周问题」表（周会议程）。").font = Font(name=FONT, size=10)
    ws.cell(r + 3, 1, SIGNATURE).font = Font(name=FONT, size=11)
    ws.row_dimensions[r + 3].height = 36
    ws.cell(r + 3, 1).alignment = Alignment(vertical="bottom")
    ws.print_area = f"A1:{layout.letter('咨询及时率')}{r + 3}"
    ws.row_dimensions[layout.header_row].height = 34
    issues_ws = wb[ISSUES]
    last = layouts[ISSUES].first_data_row + max(len(data.issues), 1) + 1
    for r, issue in enumerate(data.issues, layouts[ISSUES].first_data_row):      # wrapped 说明 prints whole
        issues_ws.row_dimensions[r].height = wrapped_height(issue["说明"], 52)
    if not data.issues:
        issues_ws.cell(last - 1, 1, "本周没有未了结的问题。").font = Font(name=FONT, size=10)
    issues_ws.cell(last + 1, 1, SIGNATURE).font = Font(name=FONT, size=11)
    issues_ws.row_dimensions[last + 1].height = 36
    issues_ws.print_area = f"A1:{layouts[ISSUES].letter('会上处理')}{last + 1}"
    for name in (WEEK, DAYS, ISSUES, DATA):
        print_one_page_wide(wb[name], "2:2")
    write_problem_sheet(wb, [Problem(f"周报_{week}.xlsx", "", None, "", "TRACKER_PROBLEMS", text, Severity.WARNING)
                             for text in data.warnings], before="说明")
    return wb, wspec, {WEEK: cells}


def cached_values(data: w.WeekData) -> dict[str, dict]:
    f = w.figures(data)
    return {WEEK: f[WEEK], DAYS: f[DAYS], DATA: f[DATA]}


@dataclass
class WeeklyOutcome:
    """What `kefu-xl report --week` made."""
    path: Path
    html: Path | None
    data: w.WeekData
    replaced: bool


@without_cycle_collection()
def write_weekly(workspace: Path, week_text: str | None = None, as_of: date | None = None, html: bool = False,
                 force: bool = False) -> WeeklyOutcome:
    """周报/周报_YYYY-Www.xlsx of the week (default: the last full week before `as_of`, today)."""
    as_of = as_of or date.today()
    week = w.Week.parse(week_text) if week_text else w.Week.last_full_before(as_of)
    if week.monday > as_of:
        raise KefuError(f"{week} 还没有开始（{week.monday} 周一）：周报要在这一周之后出。")
    if not any((workspace / str(m)).exists() for m in week.months):
        first = week.months[0]
        raise KefuError(f"{week}（{week.monday} 至 {week.sunday}）所在的月份还没有开月："
                        f"请先开月（{command(f'month open {first}', workspace)}）。")
    target = workspace / FOLDER / f"周报_{week}.xlsx"
    replaced = target.exists()
    if replaced and not force:
        raise KefuError(f"{week} 的周报已经存档：{FOLDER}/{target.name}。已存档的周报不会被覆盖；"
                        f"确实要重新生成并替换它，请加 --force（旧文件备份在 {FOLDER}/.kefu-backup/）。")
    data = w.collect(workspace, week, as_of)
    if week.sunday >= as_of:
        data.warnings.insert(0, f"{week} 还没有过完（统计到 {as_of}）：周日之后再出一次（加 --force 替换）。")
    wb, wspec, cells = build(data)
    target.parent.mkdir(exist_ok=True)

    def save(tmp):
        wb.save(tmp)
        add_keyed_values(Path(tmp), wspec, cached_values(data), cells)
    check_not_open(target)
    atomic_write(target, save)
    html_path = None
    if html:
        html_path = target.with_suffix(".html")
        text = render_html(data)
        atomic_write(html_path, lambda tmp: tmp.write_text(text, "utf-8"))
    return WeeklyOutcome(target, html_path, data, replaced)


# --------------------------------------------------------------------------- terminal and HTML

SHOWN = (w.VALID, "计划完成率", "达标天数", w.REMINDED, w.RECEIVED, w.AMOUNT, w.STEP, w.ANOMALY, w.FOLLOWED, "不满意客户",
         "咨询及时率")


def shown(header: str, value) -> str:
    if header in ("计划完成率", "咨询及时率"):
        return percent(value)
    if header == w.AMOUNT:
        return f"{value:,.2f}"
    return "—" if value is None else f"{value:,.0f}" if not isinstance(value, str) else value


def summary_rows(data: w.WeekData) -> list[list[str]]:
    """客服 and the SHOWN figures, per person and 合计 (the terminal's table, the HTML's)."""
    return [[who, *(shown(h, v[h]) for h in SHOWN)] for who, v in w.figures(data)[WEEK].items()]


def render_html(data: w.WeekData) -> str:
    """The 周报 as one self-contained HTML page (to email before the meeting)."""
    f = w.figures(data)
    week = data.week

    def table(headers, rows, total=False):
        head = "".join(f"<th>{escape(h)}</th>" for h in headers)
        body = "".join(
            "<tr" + (' class="total"' if total and row[0] == "合计" else "") + ">"
            + "".join(f"<td>{escape(str(v))}</td>" for v in row) + "</tr>" for row in rows)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    types = [[who, *(shown(t, v[t]) for t in w.TYPE_COLUMNS)] for who, v in f[WEEK].items()]
    issues = [[i["类别"], i["客服"], i["帐户ID"], i["客户名称"], i["日期"] or "", i["说明"]] for i in data.issues]
    parts = [f"<h1>客服周报 {escape(str(week))}（{week.monday} 至 {week.sunday}）</h1>",
             f'<div class="sub">统计截至 {data.as_of} · 由 kefu-xl 生成 {datetime.now():%Y-%m-%d %H:%M}</div>',
             *(f'<p class="warn">⚠ {escape(x)}</p>' for x in data.warnings),
             table(["客服", *SHOWN], summary_rows(data), total=True),
             f"<p>投诉（全团队）：本周新增 {f['投诉'][w.COMPLAINT_NEW]:,.0f} 条，回复超时 "
             f"{f['投诉'][w.COMPLAINT_LATE]:,.0f} 条。</p>",
             "<h2>有效工作（按类型）</h2>", table(["客服", *w.TYPE_COLUMNS], types, total=True),
             "<h2>本周问题（周会议程）</h2>",
             table(["类别", "客服", "帐户ID", "客户名称", "日期", "说明"], issues) if issues else "<p>本周没有未了结的问题。</p>",
             f'<p class="sign">{escape(SIGNATURE)}</p>']
    style = ('body{font-family:"Microsoft YaHei","PingFang SC",sans-serif;margin:24px;color:#222}'
             "h1{font-size:20px;margin:0 0 4px}h2{font-size:15px;margin:20px 0 6px}.sub{color:#666;font-size:12px}"
             "table{border-collapse:collapse;font-size:13px}th,td{border:1px solid #bfbfbf;padding:4px 8px}"
             "th{background:#d9d9d9}tr.total td{font-weight:bold;background:#f2f2f2}.warn{color:#c00000;font-size:12px}"
             ".sign{margin-top:40px}")
    return (f'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8"><title>客服周报 {escape(str(week))}</title>'
            f"<style>{style}</style></head><body>\n" + "\n".join(parts) + "\n</body></html>\n")
