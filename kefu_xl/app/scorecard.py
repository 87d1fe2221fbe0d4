"""The statement's 考核 sheet (docs/scorecard.md): the 个人考核表 of `kefu-xl report YYYY-MM`.

Its source rows go into the statement's 数据 sheet beside the commission's — this month's under
their own 项目, last month's prefixed 上月· — so every figure is a live SUMIFS over 数据 and the
same figure in Python (rules/scorecard). One A4 page per person, with a bar chart of each
measure against its 达标线. The commission figures are not touched."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break

from ..config import SCORECARD_LOWER, Config, Standard
from ..kinds import meetings
from ..kinds.base import read_tracker
from ..month import Month
from ..rules import journal as journal_rules
from ..rules import scorecard as rules
from ..rules.completion import PHONE, id_key
from ..rules.inquiries import LATE, ON_TIME
from ..rules.outcomes import CHECKED, satisfaction_of
from ..sheets.build import FONT, Formula, set_cell, style_name
from ..sheets.layout import quote_sheet
from ..sheets.spec import Role, Type
from .journal import journal_files, shown_events
from .spend_watch import export_files, read_export

SHEET = "考核"
DATA = "数据"
# the statement's own rows that the scorecard reads too: last month's are copied under rules.LAST
REUSED = ("目标合计", "完成合计", "有效工作", "工作日数", "当月应续", "当月已续")
SATISFIED = ("满意", "很满意")
INVITATION = "电话邀约"
TYPES = {"money": Type.MONEY, "ratio": Type.RATIO, "number": Type.NUMBER, "int": Type.INT}
HEADERS = ("指标", "本月", "上月", "变化", "趋势", "达标线", "预警线", "评级", "得分", "权重", "计入权重", "加权分")
CHART_HEADERS = ("图表", "达成度", "达标线", "预警线")   # beside the print area: what the chart plots
CHART_COLUMN = len(HEADERS) + 2                          # one empty column between
WIDTHS = (12, 13, 13, 12, 5, 10, 10, 9, 6, 6, 8, 8)
STANDARDS_ROW = 4                                        # the header of the standards table
BLOCK_ROWS = 32                                          # one person's page


@dataclass
class Sources:
    """Where the month's 管理消耗额 came from (said under each person's table), and the data
    problems met on the way (they go on the statement's 问题 sheet)."""
    spend: dict[str, tuple[Month, str]] = field(default_factory=dict)   # "" (本月) / rules.LAST → (month, how)
    warnings: list[str] = field(default_factory=list)


def _row(source: str, row, month: Month, person: str, item: str, value, group: str = "") -> dict:
    return {"来源": source, "行": row, "月份": str(month), "客服": person, "项目": item, "数值": value, "分组": group}


def month_rows(workspace: Path, month: Month, figures: dict, upto: date, config: Config, prefix: str,
               sources: Sources) -> list[dict]:
    """The scorecard's own 数据 rows of `month` (counted up to `upto`), 项目 prefixed `prefix`:
    `figures` are the month's tracker figures as report.collect computed them ((kind, month) →)."""
    out: list[dict] = []

    def add(source, row, person, item, value, group=""):
        out.append(_row(source, row, month, person, prefix + item, value, group))

    f = figures.get(("maintenance", str(month)))
    if f is not None:
        tracker = f"维护跟踪_{month}.xlsx"
        sources.spend[prefix] = month, _spend_rows(workspace, month, f.accounts, upto, tracker, add, sources)
        owners = {id_key(a.account_id): a.staff for a in f.accounts if a.staff}
        latest = {}
        for r, v in zip(f.records, f.verdicts):
            if v.valid and r.work_type.strip() == PHONE and satisfaction_of(r.satisfaction or ""):
                key = id_key(r.account_id)
                if key in owners and (key not in latest or (r.day, r.row) >= (latest[key].day, latest[key].row)):
                    latest[key] = r
        for key, r in latest.items():
            add(tracker, r.row, owners[key], "满意度帐户", 1, r.account_id)
            if satisfaction_of(r.satisfaction) in SATISFIED:
                add(tracker, r.row, owners[key], "满意帐户", 1, r.account_id)
        for a, c in zip(f.accounts, f.completions):
            if c.targets.optimize:
                add(tracker, a.row, a.staff, "优化目标", c.targets.optimize, a.account_id)
                if c.done.optimize:
                    add(tracker, a.row, a.staff, "优化完成", min(c.done.optimize, c.targets.optimize), a.account_id)
        for r, check in zip(f.records, f.team_checks):       # as 客服汇总's 邀约数 and 到会数 count them
            if r.work_type.strip() == INVITATION:
                add(tracker, r.row, r.staff, "邀约", 1, r.account_id)
                if check == CHECKED:
                    add(tracker, r.row, r.staff, "到会", 1, r.account_id)
        for i in getattr(f, "inquiries", []):                 # as 客服汇总's 咨询及时率 counts them
            if i.on_time in (ON_TIME, LATE) and i.staff:
                add(i.source or tracker, i.row, i.staff, "咨询已答复", 1, i.account_id)
                if i.on_time == ON_TIME:
                    add(i.source or tracker, i.row, i.staff, "咨询及时", 1, i.account_id)
    _exam_rows(workspace, month, upto, config, add)
    files = journal_files(workspace, month)
    if files:
        add(f"{month}/日志", None, "", "日志文件", len(files))
        for e in shown_events(workspace, month):
            if e.get("type") == journal_rules.LATE and e.get("person"):
                add(f"{month}/日志/{e['person']}.jsonl", None, e["person"], "补录", 1,
                    str((e.get("record") or {}).get("帐户ID", "")))
    return out


def _spend_rows(workspace: Path, month: Month, accounts, upto: date, tracker: str, add, sources: Sources) -> str:
    """管理消耗额 per account: the sum of the month's daily exports when there are any, else 周消耗 ×
    days ÷ 7 (to the cent); every account of a person gets a row (0 when it spent nothing)."""
    files = {d: p for d, p in export_files(workspace, [month]).items() if month.first <= d <= upto}
    mine = [a for a in accounts if a.staff]
    if files:
        spent: dict[str, Decimal] = {}
        for day in sorted(files):
            export, problems = read_export(files[day], day)
            if problems:
                sources.warnings.append(f"消耗导出 {files[day].name} 有 {len(problems)} 个问题：有问题的行没有计入考核表的"
                                        f"管理消耗额（{problems[0].message}）。")
            for spend in export.rows.values():
                key = id_key(spend.account_id)
                spent[key] = spent.get(key, Decimal(0)) + spend.spend
        days = sorted(files)
        source = f"消耗/{days[0].isoformat()}…{days[-1].isoformat()}（{len(days)} 个导出）"
        for a in mine:
            add(source, None, a.staff, "管理消耗额", spent.get(id_key(a.account_id), Decimal(0)), a.account_id)
        return f"{len(days)} 个每日消耗导出（{days[0]:%m-%d} 至 {days[-1]:%m-%d}）相加"
    days = (upto - month.first).days + 1
    for a in mine:
        estimate = ((a.weekly_spend or Decimal(0)) * days / 7).quantize(Decimal("0.01"), ROUND_HALF_UP)
        add(tracker, a.row, a.staff, "管理消耗额", estimate, a.account_id)
    return f"没有每日消耗导出，按 周消耗 × {days} 天 ÷ 7 估算"


def _exam_rows(workspace: Path, month: Month, upto: date, config: Config, add) -> None:
    """考试分数 and 考试人次 of the month's 培训 rows with a score (见面会与培训.xlsx)."""
    path = meetings.path_of(workspace)
    if not path.exists():
        return
    _, datas = read_tracker(path, lambda m: meetings.spec(config, m), (meetings.TRAININGS,), month=Month(2000, 1))
    if datas[meetings.TRAININGS] is None:
        return
    for t in meetings.read_trainings(datas[meetings.TRAININGS], (path.name, meetings.TRAININGS), None, upto):
        if t.staff and t.score is not None and month.contains(t.day) and t.day <= upto:
            add(path.name, t.row, t.staff, "考试分数", t.score)
            add(path.name, t.row, t.staff, "考试人次", 1)


def scorecard_rows(workspace: Path, month: Month, figures: dict, as_of: date,
                   previous, config: Config) -> tuple[list[dict], Sources]:
    """All the 数据 rows the 考核 sheet reads besides the statement's own: this month's, and last
    month's (its statement rows of REUSED, and its own) from `previous` (report.collect of last
    month, None when that month was never opened)."""
    sources = Sources()
    out = month_rows(workspace, month, figures, month.clamp(as_of), config, "", sources)
    if previous is not None:
        last = month.previous()
        out += [{**r, "项目": rules.LAST + r["项目"]} for r in previous.rows if r["项目"] in REUSED]
        out += month_rows(workspace, last, previous.figures, last.last, config, rules.LAST, sources)
    return out, sources


# --------------------------------------------------------------------------- the sheet

def _font(cell, size=10, bold=False):
    cell.font = Font(name=FONT, size=size, bold=bold)


def write_sheet(wb, staff: list[str], rows: list[dict], data_layout, config: Config, period: str, as_of: date,
                sources: Sources, index: int) -> dict[tuple[int, int], object]:
    """Write the 考核 sheet at `index` (`period`: 2026年11月); returns Python's value of every formula cell (the cached
    values add_keyed_values writes)."""
    ws = wb.create_sheet(SHEET, index)
    cached: dict[tuple[int, int], object] = {}
    refs = {h: f"{quote_sheet(DATA)}!${data_layout.letter(h)}:${data_layout.letter(h)}" for h in ("数值", "项目", "客服")}

    def put(r, c, formula, value, type_=Type.TEXT):
        set_cell(ws.cell(r, c), Formula(formula), style_name(Role.DERIVED, type_))
        cached[(r, c)] = value

    def text(r, c, value, type_=Type.TEXT, bold=False):
        cell = ws.cell(r, c)
        set_cell(cell, value, style_name(Role.COMPUTED, type_))
        if bold:
            _font(cell, bold=True)

    for i, w in enumerate(WIDTHS, 1):
        ws.column_dimensions[get_column_letter(i)].width = w
    for i in range(len(CHART_HEADERS)):
        ws.column_dimensions[get_column_letter(CHART_COLUMN + i)].width = 9
    title = f"{period} 个人考核表"
    ws["A1"] = f"{title}（统计截至 {as_of.isoformat()}）"
    _font(ws["A1"], 14, True)
    ws["A2"] = ("每项指标：本月、上月、变化（本月 − 上月）、趋势（↑ 上升 ↓ 下降 → 持平，只说数字的方向）、评级（按 kefu-xl.toml "
                "[scorecard] 的标准：达标 / 预警 / 未达标；没设标准的为「未设标准」）。综合得分 = Σ(得分 × 权重) ÷ Σ 计入权重，"
                "得分：达标 100、预警 60、未达标 0；未设标准、无数据的指标不计入（它的权重不算）。")
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(HEADERS))
    ws["A2"].alignment = Alignment(wrap_text=True, vertical="top")
    _font(ws["A2"], 9)
    ws.row_dimensions[2].height = 40

    # the standards and weights: every person's block refers to these cells
    for i, h in enumerate(("指标", "方向", "达标线", "预警线", "权重", "怎么算"), 1):
        set_cell(ws.cell(STANDARDS_ROW, i), h, "kefu-head-out")
    ws.merge_cells(start_row=STANDARDS_ROW, start_column=6, end_row=STANDARDS_ROW, end_column=len(HEADERS))
    standard_cells = {}
    for i, m in enumerate(rules.MEASURES):
        r = STANDARDS_ROW + 1 + i
        standard = config.scorecard.standards.get(m.key)
        lower = standard.lower if standard else m.key in SCORECARD_LOWER
        text(r, 1, m.name)
        text(r, 2, "越低越好" if lower else "越高越好")
        text(r, 3, None if standard is None else standard.passing, TYPES[m.type])
        text(r, 4, None if standard is None else standard.warning, TYPES[m.type])
        text(r, 5, config.scorecard.weights.get(m.key, Decimal(0)), Type.NUMBER)
        text(r, 6, m.how if standard is not None else f"{m.how}（未设标准）")
        ws.merge_cells(start_row=r, start_column=6, end_row=r, end_column=len(HEADERS))
        _font(ws.cell(r, 6), 9)
        ws.cell(r, 6).alignment = Alignment(wrap_text=True, vertical="center")
        ws.row_dimensions[r].height = 26
        standard_cells[m.key] = (f"$C${r}", f"$D${r}", f"$E${r}", standard)
    ws.cell(STANDARDS_ROW + len(rules.MEASURES) + 1, 1,
            "改标准和权重：kefu-xl.toml 的 [scorecard] 和 [scorecard.weights]，然后重新出表（docs/scorecard.md）。")
    _font(ws.cell(STANDARDS_ROW + len(rules.MEASURES) + 1, 1), 9)

    # the overview: one row per person, from their blocks
    over = STANDARDS_ROW + len(rules.MEASURES) + 3
    for i, h in enumerate(("客服", "综合得分", rules.PASS, rules.WARN, rules.FAIL, "不评级"), 1):
        set_cell(ws.cell(over, i), h, "kefu-head-out")
    first_block = over + len(staff) + 3
    cards = [rules.card(rows, person, config.scorecard) for person in staff]
    for i, card in enumerate(cards):
        r, top = over + 1 + i, first_block + i * BLOCK_ROWS
        lines = f"$H${top + 2}:$H${top + 1 + len(rules.MEASURES)}"
        put(r, 1, f"=$A${top}", card.person)
        put(r, 2, f'=$B${top + 2 + len(rules.MEASURES)}', card.overall, Type.NUMBER)
        for j, b in enumerate((rules.PASS, rules.WARN, rules.FAIL)):
            put(r, 3 + j, f'=COUNTIF({lines},"{b}")', card.count(b), Type.INT)
        put(r, 6, f'={len(rules.MEASURES)}-C{r}-D{r}-E{r}', len(rules.MEASURES) - sum(
            card.count(b) for b in (rules.PASS, rules.WARN, rules.FAIL)), Type.INT)

    for i, card in enumerate(cards):
        top = first_block + i * BLOCK_ROWS
        ws.row_breaks.append(Break(id=top - 1))
        _block(ws, top, card, title, refs, standard_cells, sources, put, text)
    last = first_block + max(len(cards), 1) * BLOCK_ROWS - 1
    ws.print_area = f"A1:{get_column_letter(len(HEADERS))}{last}"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.orientation = "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    return cached


def _block(ws, top: int, card: rules.Card, title: str, refs, standard_cells, sources: Sources, put, text) -> None:
    """One person's page: name, the table of measures, 综合得分, where the spend came from, the
    chart and the signature line."""
    col = {h: i + 1 for i, h in enumerate(HEADERS)}
    name = ws.cell(top, 1, card.person)
    _font(name, 14, True)
    ws.cell(top, 2, title)
    _font(ws.cell(top, 2), 12, True)
    ws.row_dimensions[top].height = 24
    person = f"$A${top}"
    for h, c in col.items():
        set_cell(ws.cell(top + 1, c), h, "kefu-head-out")
    for i, h in enumerate(CHART_HEADERS):
        set_cell(ws.cell(top + 1, CHART_COLUMN + i), h, "kefu-head-out")
    first, last = top + 2, top + 1 + len(rules.MEASURES)
    for i, line in enumerate(card.lines):
        r, m = first + i, line.measure
        t = TYPES[m.type]
        passing, warning, weight, standard = standard_cells[m.key]
        lower = standard.lower if isinstance(standard, Standard) else m.key in SCORECARD_LOWER
        B, C, F, G, H, I, J = (f"{get_column_letter(col[h])}{r}" for h in ("本月", "上月", "达标线", "预警线", "评级",
                                                                            "得分", "权重"))
        text(r, col["指标"], m.name, bold=True)
        text(r, CHART_COLUMN, m.short)
        put(r, col["权重"], f"={weight}", line.weight, Type.NUMBER)
        put(r, col["本月"], rules.value_formula(m, refs, person), line.now, t)
        put(r, col["上月"], rules.value_formula(m, refs, person, rules.LAST), line.before, t)
        put(r, col["变化"], rules.change_formula(B, C), line.change, t)
        put(r, col["趋势"], rules.arrow_formula(B, C), line.arrow)
        ws.cell(r, col["趋势"]).alignment = Alignment(horizontal="center", vertical="center")
        put(r, col["达标线"], f'=IF({passing}="","",{passing})', None if standard is None else standard.passing, t)
        put(r, col["预警线"], f'=IF({warning}="","",{warning})', None if standard is None else standard.warning, t)
        put(r, col["评级"], rules.band_formula(B, F, G, lower), line.band)
        put(r, col["得分"], rules.points_formula(H), line.points, Type.INT)
        put(r, col["计入权重"], f'=IF({I}="",0,{J})', line.counted, Type.NUMBER)
        put(r, col["加权分"], f'=IF({I}="",0,{I}*{J})', line.weighted, Type.NUMBER)
        put(r, CHART_COLUMN + 1, rules.attainment_formula(B, F, lower), line.attainment, Type.RATIO)
        put(r, CHART_COLUMN + 2, f'=IF({F}="","",1)', line.pass_line, Type.RATIO)
        put(r, CHART_COLUMN + 3, rules.warn_line_formula(F, G, lower), line.warn_line, Type.RATIO)

    total = last + 1
    text(total, 1, "综合得分", bold=True)
    K, L = (get_column_letter(col[h]) for h in ("计入权重", "加权分"))
    put(total, 2, rules.overall_formula(f"{K}{first}:{K}{last}", f"{L}{first}:{L}{last}"), card.overall, Type.NUMBER)
    _font(ws.cell(total, 2), 12, True)
    text(total, 3, "= 加权分合计 ÷ 计入权重合计")
    ws.merge_cells(start_row=total, start_column=3, end_row=total, end_column=col["权重"])
    put(total, col["计入权重"], f"=SUM({K}{first}:{K}{last})", sum((x.counted for x in card.lines), Decimal(0)),
        Type.NUMBER)
    put(total, col["加权分"], f"=SUM({L}{first}:{L}{last})", sum((x.weighted for x in card.lines), Decimal(0)),
        Type.NUMBER)
    spend = "；".join(f"{'上月' if prefix else '本月'}（{m}）{how}" for prefix, (m, how) in sources.spend.items())
    notes = [f"管理消耗额：{spend or '没有维护跟踪表'}。",
             "图表：每项指标的达成度（本月 ÷ 达标线，越低越好的指标为 达标线 ÷ 本月；100% = 达标，最高画到 150%），"
             "折线是达标线（100%），菱形是各项的预警线；未设标准的指标没有柱子。"]
    for j, note in enumerate(notes):
        cell = ws.cell(total + 1 + j, 1, note)
        _font(cell, 9)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.merge_cells(start_row=total + 1 + j, start_column=1, end_row=total + 1 + j, end_column=len(HEADERS))
        ws.row_dimensions[total + 1 + j].height = 26

    chart = BarChart()
    chart.title = f"{card.person}：各指标达成度（100% = 达标线）"
    chart.y_axis.number_format = "0%"
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = float(rules.CHART_CAP)
    chart.legend.position = "b"
    chart.add_data(Reference(ws, min_col=CHART_COLUMN + 1, min_row=top + 1, max_row=last), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=CHART_COLUMN, min_row=first, max_row=last))
    lines = LineChart()
    lines.add_data(Reference(ws, min_col=CHART_COLUMN + 2, max_col=CHART_COLUMN + 3, min_row=top + 1, max_row=last),
                   titles_from_data=True)
    warn = lines.series[1]            # each measure has its own 预警线: marks, not a line across measures
    warn.graphicalProperties.line.noFill = True
    warn.marker.symbol = "diamond"
    warn.marker.size = 8
    chart += lines
    chart.width, chart.height = 18, 7.5
    ws.add_chart(chart, f"A{total + 4}")
    sign = top + BLOCK_ROWS - 2
    ws.cell(sign, 1, "本人签字：__________        客服经理：__________        日期：__________")
    _font(ws.cell(sign, 1), 11)
