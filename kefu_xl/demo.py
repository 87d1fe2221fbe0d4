"""The built-in demo workspace: a realistic department's month, end to end."""
from __future__ import annotations

import random
import shutil
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl

from .calendar import WorkCalendar
from .config import load_config
from .io.safe_write import save_workbook
from .kinds import maintenance
from .month import Month
from .sheets.layout import find_layout
from .workbooks import recalc_file
from .workspace import init_workspace, open_month

STAFF = [("张敏", "三星"), ("李娜", "三星"), ("王芳", "二星"), ("刘洋", "二星"),
         ("陈静", "二星"), ("杨帆", "一星"), ("赵磊", "一星"), ("周婷", "一星")]
INDUSTRIES = ["建材", "家居", "教育", "医疗", "机械", "旅游", "餐饮", "电子", "服装", "汽车"]
CLIENT_WORDS = ["华信", "宏达", "恒通", "金源", "瑞丰", "鑫盛", "天成", "博远", "安泰", "嘉禾", "永丰", "东方"]
# weekly spend ranges, one per band A–I, so that every band appears
SPEND_RANGES = [(2000, 6000), (775, 1999), (400, 774), (200, 399), (125, 199), (75, 124), (25, 74), (1, 24), (0, 0)]
MONTHS = (Month(2026, 10), Month(2026, 11))
STATUS_HEADERS = ["帐户ID", "客户名称", "客服", "行业", "周消耗", "余额", "合同到期日", "开户日期"]


def _accounts(rng: random.Random, n: int = 300) -> list[list]:
    """Accounts across all bands; 三星 staff keep few top accounts, 一星 staff many small ones."""
    top = [b for b in SPEND_RANGES[:3]]
    rows = []
    owners = [n_ for n_, star in STAFF if star == "三星"] * 14 + \
             [n_ for n_, star in STAFF if star == "二星"] * 42
    owners += [n_ for n_, star in STAFF if star == "一星"] * ((n - len(owners)) // 3 + 1)
    for i in range(n):
        staff = owners[i]
        star = dict(STAFF)[staff]
        low, high = rng.choice(top) if star == "三星" else SPEND_RANGES[i % len(SPEND_RANGES)]
        spend = Decimal(rng.randint(low * 100, high * 100)) / 100 if high else Decimal(0)
        opened = date(2024, 1, 1) + timedelta(days=rng.randint(0, 600))
        rows.append([f"GA{10001 + i}", f"{rng.choice(CLIENT_WORDS)}{rng.choice(INDUSTRIES)}{i:03d}有限公司", staff,
                     rng.choice(INDUSTRIES), spend, Decimal(rng.randint(0, 30000)),
                     date(2027, 1, 1) + timedelta(days=rng.randint(-120, 300)), opened])
    return rows


def write_status(path: Path, rows: list[list]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "帐户状态"
    ws.append(["帐户状态导出"])      # a title row above the header, as the platform exports it
    ws.append(STATUS_HEADERS)
    for r in rows:
        ws.append(r)
    wb.save(path)


def type_rows(path: Path, sheet, rows: list[dict]) -> None:
    """Type rows into the first empty rows of a declared sheet, input columns only, as a
    person would in Excel; then save safely."""
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet.name]
    layout, _ = find_layout(ws, sheet)
    markers = [layout.columns[h] for h in sheet.markers]
    r = layout.first_data_row
    while any(ws.cell(r, c).value not in (None, "") for c in markers):
        r += 1
    for values in rows:
        for header, value in values.items():
            ws.cell(r, layout.columns[header]).value = value
        r += 1
    save_workbook(wb, path)


def type_work_records(path: Path, records: list[dict]) -> None:
    type_rows(path, maintenance.spec(load_config(), Month(2000, 1)).sheet(maintenance.WORK), records)


def _work_records(rng: random.Random, month: Month, tracker: Path, calendar: WorkCalendar) -> list[dict]:
    """A month of work: per account about its targets (some short, some over plan), plus
    other work, some with non-decision-makers, and a few rows every real month has."""
    days = calendar.workdays_between(month.first, month.last)
    wb = openpyxl.load_workbook(tracker, read_only=True)
    sheet = maintenance.spec(load_config(), month).sheet(maintenance.ACCOUNTS)
    rows = list(wb[maintenance.ACCOUNTS].iter_rows(min_row=2, values_only=True))
    wb.close()
    col = {h: rows[0].index(h) for h in sheet.headers}
    config = load_config()
    records = []
    for row in rows[1:]:
        if not row[col["帐户ID"]] or not row[col["级别"]]:
            continue
        targets = config.targets[row[col["级别"]]]
        for work_type, target in zip(("电话拜访", "上门拜访", "报表发送", "帐户优化"), targets.as_tuple()):
            done = max(0, round(target * rng.uniform(0.6, 1.3))) if target else rng.randint(0, 1)
            for _ in range(done):
                contact = "决策人" if rng.random() < 0.93 else "其他人员"
                records.append({"日期": rng.choice(days), "客服": row[col["客服"]], "帐户ID": row[col["帐户ID"]],
                                "工作类型": work_type, "沟通对象": contact, "内容摘要": f"{work_type}：沟通投放效果"})
        if rng.random() < 0.3:
            records.append({"日期": rng.choice(days), "客服": row[col["客服"]], "帐户ID": row[col["帐户ID"]],
                            "工作类型": rng.choice(["客户培训", "电话邀约", "其他"]), "沟通对象": "决策人",
                            "内容摘要": "培训后台操作"})
    first_id = rows[1][col["帐户ID"]]
    records.append({"日期": month.first + timedelta(days=3), "客服": "张敏", "帐户ID": "GA99999",
                    "工作类型": "电话拜访", "沟通对象": "决策人", "内容摘要": "帐户ID 写错"})
    records.append({"日期": month.first - timedelta(days=2), "客服": "李娜", "帐户ID": first_id,
                    "工作类型": "报表发送", "沟通对象": "决策人", "内容摘要": "上月补录"})
    records.append({"日期": month.first + timedelta(days=9), "客服": "王芳", "帐户ID": first_id,
                    "工作类型": "客户培训", "沟通对象": "决策人", "内容摘要": "张敏休假代班"})
    records.sort(key=lambda r: r["日期"])
    return records


def build_demo(folder: Path, seed: int = 2026) -> dict:
    """Create the demo workspace and return the paths and outcomes (used by tests too)."""
    if folder.exists():
        shutil.rmtree(folder)
    rng = random.Random(seed)
    init_workspace(folder, staff=[{"客服": n, "星级": s, "入职日期": date(2023, 3, 1), "在职": "是"} for n, s in STAFF])
    accounts = _accounts(rng)
    october, november = MONTHS
    # October: the first month kefu-xl is used; November: levels carry over, spend changed
    write_status(folder / str(october) / "inputs" / "帐户状态.xlsx", accounts[:280])
    open_month(folder, october, as_of=october.last)
    for a in accounts:
        if rng.random() < 0.3:
            a[4] = (a[4] * Decimal("0.6")).quantize(Decimal("0.01"))   # spend dropped: level must not
    for a in accounts[280:]:
        a[7] = date(2026, 11, rng.randint(2, 20))                       # opened in November
    write_status(folder / str(november) / "inputs" / "帐户状态.xlsx", accounts)
    outcome = open_month(folder, november, as_of=november.last)
    path = folder / str(november) / maintenance.file_name(november)
    calendar = WorkCalendar(load_config())
    type_work_records(path, _work_records(rng, november, path, calendar))
    recalc = recalc_file(path, as_of=november.last)
    return {"path": path, "open": outcome, "recalc": recalc}


def run_demo(folder: Path, console) -> None:
    console.print(f"正在建立演示工作区 {folder} …")
    done = build_demo(folder)
    from .cli import _print_outcome
    _print_outcome(done["recalc"], "重算")
    console.print(f"演示完成。打开 {done['path']} 查看维护跟踪表（「问题」表列出了演示数据中故意放入的问题）。")
