"""The demo's online-sales desk (网销): three desk members take inquiries from chat, 400
calls, WeChat and the website, four sales managers follow them; October's open leads carry
into November's ~300 inquiries, with the desk's daily callbacks."""
from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from ..app.workbooks import recalc_file
from ..calendar import WorkCalendar
from ..config import load_config
from ..kinds import onlinesales
from ..month import Month
from ..rules.deadlines import nth_workday_after
from .typist import Typist

DESK = ("小林", "小陈", "小吴")
MANAGERS = ("周强", "吴磊", "郑洁", "冯涛")
CHANNELS = ["在线"] * 8 + ["400电话"] * 4 + ["微信"] * 4 + ["官网留言"] * 3 + ["其他"]
NEEDS = ["企业官网建设", "商城网站", "小程序开发", "网站改版", "SEO 优化", "APP 开发", "网站维护", "域名与主机"]
INVALID = ["广告推销", "重复询盘", "打错电话", "同行询价", "求职"]
COMPANIES = ["湘江", "麓山", "星城", "岳麓", "橘洲", "天心", "开福", "雨花", "望城", "浏阳"]
TRADES = ["机械", "餐饮", "教育", "建材", "物流", "医疗器械", "食品", "服装"]
CONFIG = f"""
# 演示：网销客服组
[onlinesales]
follow_up_working_days = 1
daily_connected_target = 10
managers = {list(MANAGERS)!r}
desk = {list(DESK)!r}
commission_mode = "全额"
commission = [ {{ from = 0, rate = 0.02 }}, {{ from = 100000, rate = 0.03 }} ]
desk_commission = [ {{ from = 0, rate = 0.005 }} ]
""".replace("'", '"')


def configure(folder: Path) -> None:
    """The demo workspace opens 网销 too, with the desk's names and tiers."""
    path = folder / "kefu-xl.toml"
    text = path.read_text("utf-8").replace(
        'monthly = ["maintenance", "renewal", "newclient", "refunds", "complaints"]',
        'monthly = ["maintenance", "renewal", "newclient", "refunds", "complaints", "onlinesales"]')
    head, sep, tail = text.partition("[onlinesales]")
    tail = tail[tail.index("\n[", 1):] if "\n[" in tail else ""       # drop the commented default section
    path.write_text(head + CONFIG.strip() + "\n" + tail, "utf-8")


def _lead(rng: random.Random, month: Month, calendar: WorkCalendar, number: int, day: date) -> dict:
    row = {"询盘编号": f"WX{month.year % 100}{month.month:02d}{number:04d}", "日期": day, "渠道": rng.choice(CHANNELS),
           "接待客服": rng.choice(DESK), "客户": f"{rng.choice(COMPANIES)}{rng.choice(TRADES)}{number % 97:02d}",
           "联系方式": f"13{rng.randint(100000000, 999999999)}", "需求": rng.choice(NEEDS)}
    if day >= month.last - timedelta(days=1) and rng.random() < 0.5:
        return row                                                      # not checked yet: 待核实
    if rng.random() < 0.28:
        return {**row, "有效": "否", "无效原因": rng.choice(INVALID)}
    assigned = day if calendar.is_workday(day) and rng.random() < 0.7 else nth_workday_after(day, 1, calendar)
    if assigned > month.last:
        return {**row, "有效": "是"}                                    # valid, to be assigned next month
    row.update({"有效": "是", "业务经理": rng.choice(MANAGERS), "分配日期": assigned})
    roll = rng.random()
    deadline = nth_workday_after(assigned, 1, calendar)
    followed = assigned if roll < 0.55 else deadline if roll < 0.85 else \
        deadline + timedelta(days=rng.randint(1, 4)) if roll < 0.95 else None
    if followed is not None and followed <= month.last:
        row["首次跟进日期"] = followed
        row["最新进展"] = rng.choice(["已发方案", "约了面谈", "报价中", "客户考虑中", "已签合同"])
        closes = followed + timedelta(days=rng.randint(2, 25))
        if rng.random() < 0.3 and closes <= month.last:
            row.update({"成交": "是", "成交日期": closes,
                        "成交金额": Decimal(rng.randint(30, 600) * 100), "最新进展": "已签合同"})
        elif rng.random() < 0.12:
            row.update({"成交": "否", "最新进展": "客户选了别家"})
    return row


def leads(rng: random.Random, month: Month, calendar: WorkCalendar, n: int) -> list[dict]:
    """n inquiries of a month in date order, weekdays busier than weekends, plus two rows a
    real month has: an invalid one without a reason and a deal without its amount."""
    days = [month.first + timedelta(days=i) for i in range(month.last.day)]
    weights = [3 if calendar.is_workday(d) else 1 for d in days]
    dates = sorted(rng.choices(days, weights, k=n))
    rows = [_lead(rng, month, calendar, i + 1, d) for i, d in enumerate(dates)]
    invalid = next(r for r in rows if r.get("有效") == "否")
    invalid.pop("无效原因")
    deal = next(r for r in reversed(rows) if r.get("成交") == "是")
    deal.pop("成交金额")
    return rows


def callbacks(rng: random.Random, month: Month, calendar: WorkCalendar, rows: list[dict]) -> list[dict]:
    """Every working day each desk member calls back 9–14 assigned leads; ~80% connect."""
    out = []
    for day in calendar.workdays_between(month.first, month.last):
        assigned = [r for r in rows if r.get("分配日期") and r["分配日期"] <= day]
        if not assigned:
            continue
        for person in DESK:
            for _ in range(rng.randint(9, 14)):
                r = rng.choice(assigned)
                connected = rng.random() < 0.8
                out.append({"日期": day, "客服": person, "询盘编号": r["询盘编号"], "接通": "是" if connected else "否",
                            "小结": rng.choice(["业务经理已联系", "客户在考虑", "已约面谈", "业务经理还没联系，已提醒"])
                            if connected else "无人接听"})
    return out


def month_rows(rng: random.Random, folder: Path, month: Month, n: int) -> tuple[list[dict], list[dict]]:
    """A month of n inquiries and the desk's callbacks on them, drawn from `rng`."""
    calendar = WorkCalendar(load_config(folder / "kefu-xl.toml"))
    rows = leads(rng, month, calendar, n)
    return rows, callbacks(rng, month, calendar, rows)


def type_month(folder: Path, month: Month, inquiries: list[dict], calls: list[dict]) -> Path:
    """The desk types a month's inquiries and callbacks (month_rows) into 网销, then recalc."""
    path = folder / str(month) / onlinesales.file_name(month)
    wspec = onlinesales.spec(load_config(folder / "kefu-xl.toml"), month)
    with Typist() as typist:
        typist.rows(path, wspec.sheet(onlinesales.LEADS), inquiries)
        typist.rows(path, wspec.sheet(onlinesales.CALLS), calls)
    recalc_file(path, as_of=month.last)
    return path
