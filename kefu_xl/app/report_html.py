"""The statement as one self-contained HTML page (inline CSS and SVG bars) for email."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from importlib import resources

import jinja2

from ..rules.completion import percent

ONLINE_CONVERSION_SHEET, ONLINE_COMMISSION_SHEET = "网销转化", "网销提成"

HEADERS = ["维护完成率", "有效工作数", "日均有效工作", "当月续费率", "丢失客户数", "续费到帐金额", "续费提成", "新客户数", "上线达标率",
           "计划完成率"]
BAR = 400   # pixels for 100%


def _cell(header: str, value) -> str:
    if value is None:
        return "—"
    if header in ("维护完成率", "当月续费率", "上线达标率", "计划完成率"):
        return percent(value)
    if header in ("续费到帐金额", "续费提成"):
        return f"{value:,.2f}"
    if header == "日均有效工作":
        return f"{value:.2f}"
    return f"{value}"


def render_html(label: str, data, figures: dict[str, dict], online: dict[str, dict] | None = None) -> str:
    """The statement as one HTML page; `online`: the 网销 figures by sheet (网销转化, 网销提成)
    when a month had a 网销台账."""
    template = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string(
        resources.files("kefu_xl").joinpath("templates", "report.html.j2").read_text("utf-8"))
    rows = [[who, *(_cell(h, v[h]) for h in HEADERS)] for who, v in figures.items()]
    charts = []
    for title, key in (("维护完成率（虚线为 100%）", "维护完成率"), ("当月续费率（虚线为 100%）", "当月续费率")):
        items = [(who, percent(v[key]), int(min(v[key] or Decimal(0), Decimal("1.2")) * BAR))
                 for who, v in figures.items() if who != "合计"]
        charts.append({"title": title, "bars": items})
    return template.render(title=f"{label} 客服绩效与提成表（统计截至 {data.as_of}）" if data.as_of else f"{label} 客服绩效与提成表",
                           generated=datetime.now().strftime("%Y-%m-%d %H:%M"),
                           warnings=data.warnings, headers=HEADERS, rows=rows, charts=charts,
                           online=_online_tables(online) if data.online and online else [])


def _online_tables(f: dict[str, dict]) -> list[dict]:
    """The 网销 tables (conversion per channel, commission per person)."""
    conversion = [[channel, str(v["询盘"]), str(v["有效"]), percent(v["有效率"]), str(v["成交"]), percent(v["转化率"]),
                   f"{v['成交金额']:,.2f}"] for channel, v in f[ONLINE_CONVERSION_SHEET].items()]
    people = [[role, name, str(v["成交数"]), f"{v['成交金额']:,.2f}", f"{v['提成']:,.2f}"]
              for (role, name), v in f[ONLINE_COMMISSION_SHEET].items()]
    fees = sum((v["提成"] for v in f[ONLINE_COMMISSION_SHEET].values()), Decimal(0))
    people.append(["合计", "", "", "", f"{fees:,.2f}"])
    return [{"id": "online-conversion", "title": "网销询盘转化（本期登记的询盘）",
             "headers": ["渠道", "询盘", "有效", "有效率", "成交", "转化率", "成交金额"], "rows": conversion, "names": 1},
            {"id": "online-commission", "title": "网销提成",
             "headers": ["角色", "姓名", "成交数", "成交金额", "提成"], "rows": people, "names": 2}]
