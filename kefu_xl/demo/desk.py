"""The agency's daily routine in the demo (docs/watch.md, docs/archive.md): the manager's spot checks, the
client archive's contacts and contracts, two weeks of daily spend exports with a few
anomalies watched at 9:00, and holiday greetings. Its own random stream, so the other demo
books stay as they were."""
from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl

from ..app import spend_watch
from ..app.greet import write_greetings
from ..calendar import WorkCalendar
from ..config import load_config
from ..io.safe_write import save_workbook
from ..kinds import archive, maintenance, watch
from ..month import Month
from ..sheets.layout import find_layout
from .typist import type_rows

MANAGER = "周经理"
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何林罗高"
TITLES = [("总经理", True), ("市场总监", True), ("推广经理", False), ("老板", True), ("运营专员", False)]


def spot_checks(rng: random.Random, tracker: Path, month: Month, calendar: WorkCalendar, records: list[dict],
                until: date) -> int:
    """The manager checks four records of the day on most working days (three on a few), by
    帐户ID + 客服; two of them turn out 不属实."""
    by_day: dict[date, list[dict]] = {}
    for r in records:
        if r["沟通对象"] == "决策人" and month.contains(r["日期"]):
            by_day.setdefault(r["日期"], []).append(r)
    rows = []
    for day in calendar.workdays_between(month.first, until):
        pool = by_day.get(day, [])
        for r in rng.sample(pool, min(len(pool), 3 if rng.random() < 0.2 else 4)):
            rows.append({"日期": day, "抽查人": MANAGER, "帐户ID": r["帐户ID"], "客服": r["客服"], "结果": "属实",
                         "说明": "电话回访客户核实"})
    for row in rng.sample(rows, 2):
        row.update({"结果": "不属实", "说明": "客户表示当天没有接到电话"})
    type_rows(tracker, maintenance.spec(load_config(), month).sheet(maintenance.SPOT), rows)
    return len(rows)


def archive_contacts(rng: random.Random, folder: Path, month: Month) -> None:
    """Contacts for every archived client (a few without a decision maker), and the contracts
    signed this month, most handed over, some not yet."""
    path = archive.path_of(folder)
    wb = openpyxl.load_workbook(path)
    ws = wb[archive.FILES]
    layout, _ = find_layout(ws, archive.spec(load_config()).sheet(archive.FILES))
    col = layout.columns
    r = layout.first_data_row
    while ws.cell(r, col["帐户ID"]).value:
        title, decides = rng.choice(TITLES)
        if rng.random() < 0.04:
            title, decides = "推广专员", False
        values = {"联系人": rng.choice(SURNAMES) + rng.choice(["总", "经理", "先生", "女士"]), "职务": title,
                  "决策人": "是" if decides or rng.random() < 0.9 else "否",
                  "手机": f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}",
                  "类别": rng.choice(["A 类（重点）", "B 类", "C 类"]), "商务": rng.choice(["孙浩", "钱程", "吴迪"])}
        if rng.random() < 0.1:
            start = month.first + timedelta(days=rng.randint(1, 20))
            values.update({"合同开始": start, "承诺内容": "首月免费优化关键词；每周一份效果报表"})
            if rng.random() < 0.7:
                values.update({"交接日期": start + timedelta(days=rng.randint(1, 4)), "商务确认": "是"})
        for header, value in values.items():
            ws.cell(r, col[header]).value = value
        r += 1
    save_workbook(wb, path)


def spend_exports(rng: random.Random, folder: Path, month: Month, calendar: WorkCalendar, accounts: list[list],
                  days: list[date]) -> None:
    """One export per working day: about a seventh of the weekly spend each day (±15%); on the
    last day three accounts stop, three triple and two run low on balance."""
    last = days[-1]
    spenders = [a for a in accounts if a[4] > 0]
    stopped, tripled, low = spenders[:3], spenders[3:6], spenders[6:8]
    for day in days:
        rows = []
        for a in accounts:
            daily = (Decimal(a[4]) / 7 * Decimal(rng.uniform(0.85, 1.15))).quantize(Decimal("0.01"))
            balance = max(Decimal(a[5]), daily * 20).quantize(Decimal("0.01"))
            if day == last and a in stopped:
                daily = Decimal(0)
            elif day == last and a in tripled:
                daily = (daily * 3).quantize(Decimal("0.01"))
            if day == last and a in low:
                balance = (daily * 3).quantize(Decimal("0.01"))
            rows.append([a[0], daily, balance])
        path = spend_watch.export_folder(folder, month) / f"{day.isoformat()}.xlsx"
        path.parent.mkdir(parents=True, exist_ok=True)
        wb = openpyxl.Workbook()
        wb.active.append(watch.EXPORT_HEADERS)
        for row in rows:
            wb.active.append([row[0], float(row[1]), float(row[2])])
        wb.save(path)


def daily_routine(folder: Path, month: Month, accounts: list[list], records: list[dict], seed: int) -> dict:
    """Everything of docs/watch.md, docs/spotchecks.md and docs/archive.md the demo shows; returns the outcomes."""
    rng = random.Random(seed + 23)
    calendar = WorkCalendar(load_config(folder / "kefu-xl.toml"))
    tracker = folder / str(month) / maintenance.file_name(month)
    checks = spot_checks(rng, tracker, month, calendar, records, month.last)
    archive_contacts(rng, folder, month)
    days = calendar.workdays_between(month.first + timedelta(days=14), month.last - timedelta(days=3))
    spend_exports(rng, folder, month, calendar, accounts, days)
    watched = spend_watch.watch_day(folder, days[-1])
    greeted = write_greetings(folder, Month(2026, 9), date(2026, 9, 20))
    return {"checks": checks, "watch": watched, "greet": greeted}
