"""The statement as one self-contained HTML page (inline CSS and SVG bars) for email."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from importlib import resources

import jinja2

from .rules.completion import percent

HEADERS = ["维护完成率", "有效工作数", "日均有效工作", "当月续费率", "丢失客户数", "续费到帐金额", "续费提成", "新客户数", "上线达标率"]
BAR = 400   # pixels for 100%


def _cell(header: str, value) -> str:
    if value is None:
        return "—"
    if header in ("维护完成率", "当月续费率", "上线达标率"):
        return percent(value)
    if header in ("续费到帐金额", "续费提成"):
        return f"{value:,.2f}"
    if header == "日均有效工作":
        return f"{value:.2f}"
    return f"{value}"


def render_html(label: str, data, figures: dict[str, dict]) -> str:
    template = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string(
        resources.files("kefu_xl").joinpath("templates", "report.html.j2").read_text("utf-8"))
    rows = [[who, *(_cell(h, v[h]) for h in HEADERS)] for who, v in figures.items()]
    charts = []
    for title, key in (("维护完成率（虚线为 100%）", "维护完成率"), ("当月续费率（虚线为 100%）", "当月续费率")):
        items = [(who, percent(v[key]), int(min(v[key] or Decimal(0), Decimal("1.2")) * BAR))
                 for who, v in figures.items() if who != "合计"]
        charts.append({"title": title, "bars": items})
    return template.render(title=f"{label} 客服绩效与提成表", generated=datetime.now().strftime("%Y-%m-%d %H:%M"),
                           warnings=data.warnings, headers=HEADERS, rows=rows, charts=charts)
