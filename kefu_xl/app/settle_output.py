"""结算_YYYY-MM.xlsx, written with XlsxWriter in constant-memory mode (a month can hold
hundreds of thousands of lines). 汇总 holds live COUNTIFS/SUMIFS over 明细, with Python's
figures as the cached values, so a clerk who deletes a line in 明细 sees 汇总 follow."""
from __future__ import annotations

import functools
import math
from datetime import datetime

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from ..records import Severity
from ..rules import settle as rules
from ..sheets.build import text_width

FONT = "微软雅黑"
SUMMARY_COLUMNS = ["商家", "申报单数", "结算单数", "结算金额", "暂缓单数", "不结算单数", "罚款扣除", "应结金额"]
DETAIL_COLUMNS = ["订单号", "商家", "结果", "原因代码", "原因", "申报金额", "结算金额", "来源文件", "行"]
CALLBACK_COLUMNS = ["订单号", "商家", "网友姓名", "手机", "申报金额"]
ANOMALY_COLUMNS = ["订单号", "商家", "代码", "说明", "申报金额", "CRM成交金额"]
MONEY_HEADERS = {"结算金额", "罚款扣除", "应结金额", "申报金额", "CRM成交金额"}
WIDTHS = {"商家": 20, "原因": 56, "说明": 60, "来源文件": 22, "订单号": 12, "手机": 14, "原因代码": 25,
          "代码": 25}


@functools.lru_cache(maxsize=4096)
def wrapped_lines(text: str, width: float) -> int:
    """How many lines `text` takes wrapped in a column `width` characters wide (CJK counts 2).
    Row heights are set from it: LibreOffice does not grow a row for wrapped text when it
    opens an .xlsx, so a long reason would print cut off. Reasons repeat, hence the cache."""
    return max(1, math.ceil(text_width(text) / max(width - 1.5, 1)))


def row_height(lines: int, font_size: float = 11) -> float | None:
    """Points for a row of `lines` wrapped lines; None (the default height) for one line."""
    return None if lines <= 1 else round(lines * font_size * 1.4 + 3, 1)


def warnings_of(outcome) -> list:
    """The warnings of the checks before settling (settle_checks), for 异常 and the terminal."""
    return [p for p in outcome.inputs.problems if p.severity is Severity.WARNING]


def _col(columns: list[str], header: str) -> str:
    return xl_col_to_name(columns.index(header))


def write_settlement(outcome, path) -> None:
    """Write the workbook to `path` (the temp file that safe writing then moves into place)."""
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False,
                                         "strings_to_numbers": False})
    _write(wb, outcome)
    wb.close()


def _write(wb, outcome) -> None:
    month = outcome.month
    f = {
        "title": wb.add_format({"font_name": FONT, "bold": True, "font_size": 14}),
        "header": wb.add_format({"font_name": FONT, "bold": True, "bg_color": "#D9D9D9", "border": 1, "align": "center"}),
        "text": wb.add_format({"font_name": FONT, "border": 1, "valign": "top"}),
        "money": wb.add_format({"font_name": FONT, "border": 1, "num_format": "#,##0.00", "valign": "top"}),
        "int": wb.add_format({"font_name": FONT, "border": 1, "num_format": "0", "valign": "top"}),
        "total": wb.add_format({"font_name": FONT, "border": 1, "bold": True, "num_format": "#,##0.00"}),
        "total_int": wb.add_format({"font_name": FONT, "border": 1, "bold": True, "num_format": "0"}),
        "wrap": wb.add_format({"font_name": FONT, "text_wrap": True, "valign": "top"}),
        "wrapped": wb.add_format({"font_name": FONT, "border": 1, "text_wrap": True, "valign": "top"}),
    }

    def sheet(name, title, columns):
        ws = wb.add_worksheet(name)
        ws.write(0, 0, title, f["title"])
        for c, h in enumerate(columns):
            ws.write(1, c, h, f["header"])
            ws.set_column(c, c, WIDTHS.get(h, 12 if h in MONEY_HEADERS else 10))
        ws.freeze_panes(2, 1)
        ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(1)
        return ws

    def cell_format(header):
        # 原因 and 说明 wrap: printed, a long reason must show whole, not be cut at the column's edge
        return (f["money"] if header in MONEY_HEADERS else f["int"] if header in ("行",)
                else f["wrapped"] if header in ("原因", "说明") else f["text"])

    # 汇总
    ws = sheet("汇总", f"{month.label} 商家结算汇总", SUMMARY_COLUMNS)
    d = DETAIL_COLUMNS
    m_col, r_col = _col(d, "商家"), _col(d, "结果")
    amount_col = _col(d, "结算金额")
    s = SUMMARY_COLUMNS
    rows = list(outcome.summary.items())
    for i, (merchant, t) in enumerate(rows):
        r = i + 2
        ref = f"$A{r + 1}"
        ws.write_string(r, 0, merchant, f["text"])
        ws.write_formula(r, s.index("申报单数"), f"=COUNTIF(明细!${m_col}:${m_col},{ref})", f["int"], t["申报单数"])
        for header, result in (("结算单数", rules.SETTLE), ("暂缓单数", rules.HOLD), ("不结算单数", rules.REJECT)):
            ws.write_formula(r, s.index(header),
                             f'=COUNTIFS(明细!${m_col}:${m_col},{ref},明细!${r_col}:${r_col},"{result}")', f["int"], t[header])
        ws.write_formula(r, s.index("结算金额"), f"=SUMIFS(明细!${amount_col}:${amount_col},明细!${m_col}:${m_col},{ref})",
                         f["money"], float(t["结算金额"]))
        ws.write_number(r, s.index("罚款扣除"), float(t["罚款扣除"]), f["money"])
        ws.write_formula(r, s.index("应结金额"),
                         f"={_col(s, '结算金额')}{r + 1}-{_col(s, '罚款扣除')}{r + 1}", f["money"], float(t["应结金额"]))
    total_row = len(rows) + 2
    ws.write_string(total_row, 0, "合计", f["total"])
    totals = {k: sum((t[k] for _, t in rows), 0) for k in SUMMARY_COLUMNS[1:]}
    for header in SUMMARY_COLUMNS[1:]:
        c = _col(s, header)
        fmt = f["total"] if header in MONEY_HEADERS else f["total_int"]
        ws.write_formula(total_row, s.index(header), f"=SUM({c}3:{c}{max(total_row, 3)})", fmt, float(totals[header]))
    ws.autofilter(1, 0, max(total_row - 1, 2), len(s) - 1)

    # 明细
    ws = sheet("明细", f"{month.label} 结算明细（每条申报一个结果）", DETAIL_COLUMNS)
    # one (write method, format) per column, chosen once: 明细 holds a line per submission
    writers = [(ws.write_number if header in MONEY_HEADERS or header == "行" else ws.write_string, cell_format(header))
               for header in DETAIL_COLUMNS]
    reason_width = WIDTHS["原因"]
    for r, res in enumerate(outcome.results, 2):
        line = res.line
        height = row_height(wrapped_lines(res.reason, reason_width))
        if height:
            ws.set_row(r, height)
        values = (line.order_no, line.merchant, res.result, res.code, res.reason, float(line.declared),
                  float(res.amount) if res.result == rules.SETTLE else None, line.file, line.row)
        for c, ((write, fmt), v) in enumerate(zip(writers, values)):
            if v is None:
                ws.write_blank(r, c, None, fmt)
            else:
                write(r, c, v, fmt)
    ws.autofilter(1, 0, len(outcome.results) + 1, len(DETAIL_COLUMNS) - 1)

    # 待回访
    crm = outcome.inputs.context.crm
    ws = sheet("待回访", f"{month.label} 待电话回访核实的订单", CALLBACK_COLUMNS)
    for i, res in enumerate(outcome.callbacks):
        order = crm.get(res.line.order_no)
        values = [res.line.order_no, res.line.merchant, order.customer if order else "", order.phone if order else "",
                  res.line.declared]
        for c, (header, v) in enumerate(zip(CALLBACK_COLUMNS, values)):
            if header in MONEY_HEADERS:
                ws.write_number(i + 2, c, float(v), f["money"])
            else:
                ws.write_string(i + 2, c, str(v), f["text"])

    # 异常: amounts settled other than claimed, then what the checks before settling warned about
    ws = sheet("异常", f"{month.label} 结算异常", ANOMALY_COLUMNS)
    r = 2
    for res in outcome.mismatches:
        order = crm[res.line.order_no]
        values = [res.line.order_no, res.line.merchant, "AMOUNT_MISMATCH",
                  f"申报金额 {res.line.declared} 与 CRM 成交金额 {order.amount} 不同，按 CRM 金额结算", res.line.declared,
                  order.amount]
        for c, (header, v) in enumerate(zip(ANOMALY_COLUMNS, values)):
            if header in MONEY_HEADERS:
                ws.write_number(r, c, float(v), f["money"])
            else:
                ws.write_string(r, c, str(v), cell_format(header))
        r += 1
    for p in warnings_of(outcome):
        values = ["", "", p.code, f"{p.where()}：{p.message}"]
        height = row_height(wrapped_lines(values[3], WIDTHS["说明"]))
        if height:
            ws.set_row(r, height)
        for c, v in enumerate(values):
            ws.write_string(r, c, v, cell_format(ANOMALY_COLUMNS[c]))
        for c in range(len(values), len(ANOMALY_COLUMNS)):
            ws.write_blank(r, c, None, f["money"])
        r += 1

    # 说明
    config = outcome.inputs.config
    fine_per_missing = config.fine_per_missing if config else 100
    ws = wb.add_worksheet("说明")
    widths = (26, 12, 70)
    for c, width in enumerate(widths):
        ws.set_column(c, c, width)
    ws.set_landscape()                # one page wide, like every other sheet: the lines span A:C
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    lines = [f"{month.label} 商家结算（kefu-xl settle {month}）",
             "每条结算流转单申报按以下顺序判断，第一条适用的规则决定结果：",
             "1 CRM 中没有 → 不结算；2 订单号不在领用给该商家的订单本中 → 不结算；3 以前月份已结算 → 不结算；",
             "4 同一订单前面已有申报 → 不结算（重复）；5 已退订/作废/已退款 → 不结算，预约退订中 → 不结算；",
             "6 有处理中的投诉 → 暂缓（下月再结）；7 商家联、网友联齐全 → 按 CRM 成交金额结算（申报金额不同时列入「异常」）；",
             "8 联单不全：回访核实成交 → 按核实金额结算，未成交 → 不结算，尚无结果 → 暂缓并列入「待回访」。",
             f"罚款扣除：商家领用的订单本中无法追回的缺失订单按 {fine_per_missing:,.0f} 元/单罚款，每笔罚款只在一次结算中扣除；"
             "未回收的订单本要回收后才算罚款，在回收后的第一次结算中扣除。",
             "结算前检查：有错误（结算流转单另一张工作表上的申报、领用中没有的商家、找不到的暂缓订单、影响本月商家的订单台账错误）"
             "时不结算；警告列在「异常」中。",
             "「汇总」中的数字是对「明细」的公式，删除或修改明细行后汇总随之变化。", ""]
    for i, text in enumerate(lines):
        if i == 0 or not text:
            ws.write(i, 0, text, f["title"] if i == 0 else f["wrap"])
            continue
        ws.set_row(i, row_height(wrapped_lines(text, sum(widths))))
        ws.merge_range(i, 0, i, len(widths) - 1, text, f["wrap"])
    r = len(lines)
    for c, h in enumerate(("原因代码", "结果", "说明")):
        ws.write(r, c, h, f["header"])
    for code, (result, reason) in rules.REASONS.items():
        r += 1
        ws.set_row(r, row_height(wrapped_lines(reason, widths[2])))
        ws.write_row(r, 0, [code, result], f["text"])
        ws.write(r, 2, reason, f["wrapped"])
    meta = wb.add_worksheet("_meta")
    for i, (k, v) in enumerate((("kind", "settlement"), ("month", str(month)), ("schema_version", 1),
                                ("generated_at", datetime.now().replace(microsecond=0).isoformat(sep=" ")),
                                ("generator", "kefu-xl"))):
        meta.write(i, 0, k)
        meta.write(i, 1, v)
    meta.hide()
    wb.worksheets()[0].activate()
