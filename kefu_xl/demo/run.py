"""The built-in demo workspace: a realistic department's month, end to end."""
from __future__ import annotations

import csv
import random
import shutil
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl

from ..app import orderbooks
from ..app.calls import update_queue
from ..app.journal import FOLDER as JOURNAL_FOLDER
from ..app.report import write_report
from ..app.settle import settle_month
from ..app.workbooks import recalc_file
from ..app.workspace import init_workspace, open_month
from ..calendar import WorkCalendar
from ..config import load_config
from ..io.parallel import beside
from ..io.safe_write import save_workbook
from ..kinds import (
    archive,
    callbacks,
    complaints,
    maintenance,
    newclient,
    orders,
    personal,
    refunds,
    renewal,
)
from ..kinds import meetings as meetings_kind
from ..month import Month
from ..rules.callbacks import RESULTS
from ..rules.deadlines import nth_workday_after
from ..rules.renewal import ONBOARDING_STEPS
from ..sheets.layout import find_layout
from . import desk as demo_desk
from . import online as demo_online
from . import outcomes as demo_outcomes
from .folder import MARKER, clear_for_demo
from .typist import Typist, type_rows

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


def _typed_in_personal_workbooks(folder: Path, month: Month, typist: Typist) -> None:
    """With personal workbooks each person types renewal follow-ups and onboarding steps in
    their own 我的续费 / 我的新客户: move what the demo typed into the team trackers there (the
    team cells are emptied), so the next collection brings it back the way it happens at work."""
    config = load_config(folder / "kefu-xl.toml")
    for kind, sheet, mine, headers in ((renewal, renewal.RENEWALS, personal.MY_RENEWALS, renewal.FOLLOW_UP),
                                       (newclient, newclient.CLIENTS, personal.MY_CLIENTS, newclient.FOLLOW_UP)):
        ws = typist.book(folder / str(month) / kind.file_name(month))[sheet]
        layout, _ = find_layout(ws, kind.spec(config, month).sheet(sheet))
        mine_spec = personal.spec(config, month).sheet(mine)
        for r in range(layout.first_data_row, ws.max_row + 1):
            account, owner = ws.cell(r, layout.columns["帐户ID"]).value, ws.cell(r, layout.columns["客服"]).value
            path = personal.path_of(folder, str(owner), month)
            if not account or not path.exists():
                continue
            own = typist.book(path)[mine]
            own_layout, _ = find_layout(own, mine_spec)
            row = next((x for x in range(own_layout.first_data_row, own.max_row + 1)
                        if own.cell(x, own_layout.columns["帐户ID"]).value == account), None)
            if row is None:
                continue
            for header in headers:
                cell = ws.cell(r, layout.columns[header])
                if cell.value is not None:
                    own.cell(row, own_layout.columns[header]).value = cell.value
                    cell.value = None


def _type_personal_records(folder: Path, month: Month, records: list[dict], typist: Typist) -> dict[str, Path]:
    """Each person types their own records into their own workbook (客服 left blank: the
    owner); {name: personal workbook}."""
    sheet = personal.spec(load_config(), month).sheet(personal.WORK)
    mine: dict[str, list[dict]] = {}
    for r in records:
        mine.setdefault(r["客服"], []).append({k: v for k, v in r.items() if k != "客服"})
    paths = {}
    for name, rows in mine.items():
        path = personal.path_of(folder, name, month)
        typist.rows(path, sheet, rows)
        paths[name] = path
    return paths


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


MERCHANT_WORDS = ["欧派", "索菲亚", "顾家", "林氏", "全友", "芝华仕", "箭牌", "九牧", "老板", "方太", "马可波罗", "东鹏",
                  "大自然", "圣象", "立邦", "多乐士", "TATA", "美的", "海尔", "西门子"]
EVENTS = ("2026秋季家博会", "2026冬季家博会")


def _order_books(rng: random.Random, folder: Path, november: Month) -> Path:
    """400 books issued to 40 merchants over two events, returned with some orders missing."""
    path = folder / orders.FILE_NAME
    orderbooks.add_books(path, books=400, size=50, start=100001, stocked=date(2026, 9, 20))
    merchants = merchant_names()
    rows, book = [], 1
    for event, issued, returned in ((EVENTS[0], date(2026, 10, 10), date(2026, 10, 25)),
                                    (EVENTS[1], date(2026, 11, 6), date(2026, 11, 22))):
        for merchant in merchants:
            for _ in range(5):
                row = {"活动场次": event, "订单本号": f"DB{book:04d}", "商家": merchant, "类目经理": rng.choice(["王经理", "孙经理"]),
                       "领用日期": issued}
                book += 1
                if rng.random() < 0.95:
                    opened = rng.randint(10, 45)
                    voided = rng.randint(0, 2)
                    missing = rng.choice([0] * 12 + [1, 2, 3])
                    row |= {"回收日期": returned, "已开": opened, "作废": voided, "未开": 50 - opened - voided - missing}
                    if missing and rng.random() < 0.4:
                        row["追回"] = rng.randint(1, missing)
                rows.append(row)
    type_rows(path, orders.spec(load_config()).sheet(orders.ISSUES), rows)
    return path, rows


def _refunds(rng: random.Random, folder: Path, month: Month, calendar: WorkCalendar) -> Path:
    """A month of refund bookings, confirmations, refunds and the petty cash that paid them."""
    path = folder / str(month) / refunds.file_name(month)
    days = calendar.workdays_between(month.first, month.last)
    bookings = []
    cash = [{"日期": d, "类型": "财务拨入", "金额": 30000, "经手人": "财务部"}
            for i, d in enumerate(days) if i == 0 or d.weekday() < days[i - 1].weekday()]   # every Monday-ish
    names = ["刘", "陈", "黄", "吴", "徐", "孙", "马", "朱"]
    for i in range(60):
        booked = rng.choice(days[:-4])
        later = [d for d in days if d > booked]
        planned = later[min(len(later) - 1, rng.choice([1, 3, 3, 4, 4, 5, 5, 5, 6, 7]))]
        amount = Decimal(rng.randint(5, 60) * 100)
        row = {"预约编号": f"TD{month.month:02d}{i + 1:03d}", "预约日期": booked, "订单号": str(100001 + rng.randint(0, 19999)),
               "网友姓名": rng.choice(names) + rng.choice(["先生", "女士"]),
               "手机": f"1{rng.choice([38, 39, 58, 86])}{rng.randint(10000000, 99999999)}",
               "商家": rng.choice(MERCHANT_WORDS) + "家居", "订单金额": amount, "退订金额": amount, "计划退订日期": planned}
        roll = rng.random()
        if roll < 0.55:
            row |= {"商家确认": "可退", "CRM已更新": "是", "退款日期": planned, "退款金额": amount, "备用金支出": "是"}
            cash.append({"日期": planned, "类型": "退款支出", "金额": amount, "经手人": "小周", "备注": row["预约编号"]})
        elif roll < 0.75:
            row |= {"商家确认": "可退"}
        elif roll < 0.87:
            row |= {"商家确认": "不可退", "不可退原因": "已安装，商品不退"}
        bookings.append(row)
    cash.append({"日期": days[-1], "类型": "交回财务", "金额": 5000, "经手人": "小周"})
    cash.sort(key=lambda e: (e["日期"], e["类型"] != "财务拨入"))
    spec = refunds.spec(load_config(), month)
    with Typist() as typist:
        typist.rows(path, spec.sheet(refunds.REFUNDS), bookings)
        typist.rows(path, spec.sheet(refunds.CASH), cash)
    return path


def _follow_up_renewals(rng: random.Random, path: Path, month: Month, typist: Typist) -> list[tuple]:
    """Staff follow up every renewal: some renew (money now or next month), some are lost
    (with a reason), the rest are still being followed. Returns (帐户ID, 客服, reminded, arrived)
    of the renewed rows."""
    renewed = []
    sheet = renewal.spec(load_config(), month).sheet(renewal.RENEWALS)
    ws = typist.book(path)[sheet.name]
    layout, _ = find_layout(ws, sheet)
    col = layout.columns
    days = WorkCalendar(load_config()).workdays_between(month.first, month.last)
    for r in range(layout.first_data_row, ws.max_row + 1):
        if not ws.cell(r, col["帐户ID"]).value or ws.cell(r, col["续费状态"]).value:
            continue
        reminded = rng.choice(days[:8])
        ws.cell(r, col["提醒日期"]).value = reminded
        roll = rng.random()
        if roll < 0.45:
            amount = Decimal(rng.choice([3000, 5000, 8000, 10000, 20000]))
            arrived = rng.choice([d for d in days if d >= reminded]) if rng.random() < 0.8 else None
            values = {"续费状态": "已续费", "续费金额": amount, "到帐日期": arrived,
                      "跟进记录": "已续费" + ("，款已到帐" if arrived else "，等待到帐")}
        elif roll < 0.55:
            values = {"续费状态": "流失", "跟进记录": rng.choice(["客户预算取消", "转投其他平台", "公司停业"])}
        else:
            values = {"续费状态": "跟进中", "跟进记录": rng.choice(["客户考虑中", "等老板签字", "下周再联系"])}
        for h, v in values.items():
            ws.cell(r, col[h]).value = v
        if values.get("续费状态") == "已续费":
            renewed.append((ws.cell(r, col["帐户ID"]).value, ws.cell(r, col["客服"]).value, reminded,
                            values["到帐日期"]))
    return renewed


def _onboard_new_clients(rng: random.Random, path: Path, month: Month, typist: Typist) -> None:
    """New clients at every stage of onboarding; a few launched with too few keywords."""
    sheet = newclient.spec(load_config(), month).sheet(newclient.CLIENTS)
    ws = typist.book(path)[sheet.name]
    layout, _ = find_layout(ws, sheet)
    col = layout.columns
    for r in range(layout.first_data_row, ws.max_row + 1):
        opened = ws.cell(r, col["开户日期"]).value
        if not ws.cell(r, col["帐户ID"]).value or not opened:
            continue
        ws.cell(r, col["推广类型"]).value = rng.choice(["搜索推广", "展示推广"])
        ws.cell(r, col["入资金额"]).value = rng.choice([5000, 10000, 20000])
        steps = rng.randint(2, 7)
        day = opened.date() if hasattr(opened, "date") else opened
        for step in ONBOARDING_STEPS[:steps]:
            day = day + timedelta(days=rng.randint(1, 4))
            if day <= month.last:
                ws.cell(r, col[step]).value = day
        ws.cell(r, col["关键词数"]).value = rng.choice([35, 60, 80, 120])


def _settlement_inputs(rng: random.Random, folder: Path, month: Month, issued: list[dict]) -> None:
    """CRM export, two managers' 结算流转单, complaints and callbacks that together exercise
    every reason code of the settlement."""
    inputs = folder / str(month) / "inputs"
    (inputs / "结算流转单").mkdir(parents=True, exist_ok=True)
    crm, lines = [], {"王经理": [], "孙经理": []}
    for issue in issued:
        start = 100001 + (int(issue["订单本号"][2:]) - 1) * 50
        for k in range(rng.randint(1, 4)):
            order = start + k
            amount = Decimal(rng.randint(10, 300) * 100)
            status = "成交"
            roll = rng.random()
            if roll < 0.03:
                status = rng.choice(["已退订", "作废", "预约退订"])
            crm.append([order, issue["商家"], "家居建材", issue["活动场次"], rng.choice(["刘", "陈", "黄"]) + "先生",
                        f"13{rng.randint(100000000, 999999999)}", f"{amount:,}", status, "2026-11-08"])
            both = rng.random() < 0.85
            declared = amount if rng.random() < 0.97 else amount + 100          # a few AMOUNT_MISMATCH
            lines[issue["类目经理"]].append([issue["商家"], str(order), "有" if both else "无",
                                          "有" if both or rng.random() < 0.5 else "无", f"¥{declared:,}"])
    # a line for an order that is not in the CRM, one claimed by the wrong merchant, one twice,
    # and one settled already in October (settled below, before November)
    status_of = {str(c[0]): c[7] for c in crm}
    clean = [r for r in lines["王经理"] if r[2] == r[3] == "有" and status_of[r[1]] == "成交"]
    first, second = clean[0], clean[1]
    # the wrong merchant is one 领用 knows (a name it does not know stops the settlement)
    other = next(i["商家"] for i in issued if i["商家"] != second[0])
    lines["王经理"] += [[first[0], "119999", "有", "有", "100"], [other, second[1], "有", "有", second[4]]]
    lines["孙经理"].append(list(second))
    october = month.previous()          # settled by build_demo before November
    _write_settlement_files(folder / str(october) / "inputs", [c for c in crm if str(c[0]) == first[1]],
                            {"王经理": [list(first)]})
    _write_settlement_files(inputs, crm, lines)
    partial = [r for rows in lines.values() for r in rows if r[2] == "无" or r[3] == "无"]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["订单号", "核实结果", "核实金额", "核实日期"])
    for r in partial[: len(partial) * 2 // 3]:
        deal = rng.random() < 0.8
        ws.append([r[1], "成交" if deal else "未成交", r[4] if deal else None, date(2026, 11, 28)])
    wb.save(inputs / "回访核实.xlsx")
    return crm, lines


def merchant_names() -> list[str]:
    return [f"{w}{suffix}" for suffix in ("家居", "建材") for w in MERCHANT_WORDS]


CATEGORIES = {"家居": [("地板", "大自然"), ("橱柜", "欧派"), ("衣柜", "索菲亚"), ("沙发", "顾家")],
              "建材": [("瓷砖", "马可波罗"), ("卫浴", "九牧"), ("涂料", "立邦"), ("门窗", "皇派")]}
COMPLAINT_TEXTS = ["安装延期", "少送配件", "质量问题", "色差", "发票未开", "服务态度差", "送货损坏", "价格与宣传不符"]


def _complaint_rows(rng: random.Random, month: Month, calendar: WorkCalendar, n: int, first_id: int,
                    orders: list[tuple[str, str]], majors_open: int) -> list[dict]:
    """n complaints of a month across channels: most replied within the working day, some
    late or not at all, most resolved; `majors_open` major ones left open."""
    days = calendar.workdays_between(month.first, month.last)
    rows = []
    for i in range(n):
        order, merchant = rng.choice(orders)
        category, brand = rng.choice(CATEGORIES[merchant[-2:]])
        registered = rng.choice(days[:-3])
        deadline = nth_workday_after(registered, 1, calendar)
        roll = rng.random()
        replied = registered if roll < 0.55 else deadline if roll < 0.8 else \
            deadline + timedelta(days=rng.randint(1, 3)) if roll < 0.93 else None
        major = i < majors_open or rng.random() < 0.04
        resolved = None if i < majors_open or rng.random() < 0.25 else \
            nth_workday_after(registered, rng.randint(1, 6), calendar)
        rows.append({"投诉编号": f"TS{month.month:02d}{first_id + i:03d}", "登记日期": registered,
                     "渠道": rng.choice(["电话", "电话", "论坛", "微博", "微信", "微信", "其他"]),
                     "网友姓名": rng.choice(["刘", "陈", "黄", "周"]) + rng.choice(["先生", "女士"]),
                     "手机": f"13{rng.randint(100000000, 999999999)}", "订单号": order, "商家": merchant,
                     "品类": category, "品牌": brand, "投诉内容": rng.choice(COMPLAINT_TEXTS), "重大": "是" if major else "否",
                     "转交商家日期": registered, "商家回复日期": replied,
                     "处理结果": "已协商解决" if resolved else None,
                     "解决日期": resolved if resolved is None or resolved <= month.last else None})
    return rows


def _october_complaints(rng: random.Random, folder: Path, month: Month, calendar: WorkCalendar) -> Path:
    """October's ledger: 25 complaints on the October event's orders (across National Day)."""
    merchants = merchant_names()
    orders = [(str(100001 + (m * 5 + b) * 50 + k), merchant) for m, merchant in enumerate(merchants)
              for b in range(5) for k in range(3)]
    path = folder / str(month) / complaints.file_name(month)
    type_rows(path, complaints.spec(load_config(), month).sheet(complaints.COMPLAINTS),
              _complaint_rows(rng, month, calendar, 25, 1, orders, majors_open=1))
    recalc_file(path, as_of=month.last)
    return path


def _november_complaints(rng: random.Random, folder: Path, month: Month, calendar: WorkCalendar,
                         crm: list[list], lines: dict[str, list]) -> Path:
    """November's ledger: half the carried complaints resolved, 35 new ones on CRM orders (two
    major ones open), and open complaints on four submitted orders, which settlement holds."""
    path = folder / str(month) / complaints.file_name(month)
    sheet = complaints.spec(load_config(), month).sheet(complaints.COMPLAINTS)
    with Typist() as typist:
        _resolve_some(rng, typist.book(path)[sheet.name], sheet)
        typist.rows(path, sheet, _new_complaints(rng, month, calendar, crm, lines))
    return path


def _resolve_some(rng: random.Random, ws, sheet) -> None:
    """Half the complaints carried from October get resolved in the first days of November."""
    layout, _ = find_layout(ws, sheet)
    col = layout.columns
    row = layout.first_data_row
    while ws.cell(row, col["投诉编号"]).value:
        if rng.random() < 0.5:
            ws.cell(row, col["解决日期"]).value = date(2026, 11, rng.randint(2, 12))
            ws.cell(row, col["处理结果"]).value = "已退换"
        row += 1


def _new_complaints(rng: random.Random, month: Month, calendar: WorkCalendar, crm: list[list],
                    lines: dict[str, list]) -> list[dict]:
    orders = [(str(c[0]), c[1]) for c in crm if c[7] == "成交"]
    submitted = [r for rows in lines.values() for r in rows if r[2] == r[3] == "有"]
    rows = _complaint_rows(rng, month, calendar, 35, 1, orders, majors_open=2)
    for i, r in enumerate(rng.sample(submitted, 6)):
        rows.append({"投诉编号": f"TS11{36 + i:03d}", "登记日期": date(2026, 11, 20), "渠道": "电话", "订单号": r[1],
                     "商家": r[0], "品类": "地板", "品牌": "大自然", "投诉内容": "安装后开裂", "重大": "否",
                     "商家回复日期": date(2026, 11, 20), "解决日期": None if i < 4 else date(2026, 11, 25)})
    return rows


def _call_desk_week(rng: random.Random, folder: Path, month: Month) -> Path:
    """A week of the call desk around National Day 2026 (09-28 … 10-11: the holiday, the
    make-up Saturday 10-10): sign-ups and incoming calls at all hours, check-ins of the
    autumn fair, then `kefu-xl calls` and a few days of typed attempts."""
    inputs = folder / str(month) / "inputs"
    events = [["2026秋季家博会", date(2026, 10, 17), date(2026, 10, 18), "主场"],
              ["地板专场", date(2026, 10, 24), date(2026, 10, 25), "专场"],
              ["国庆卖场", date(2026, 10, 2), date(2026, 10, 5), "卖场"]]
    _write_table(folder / "活动.xlsx", ["活动场次", "开始日期", "结束日期", "活动类型"], events)
    signups, calls = [], []
    start = datetime(2026, 10, 1)
    for i in range(60):
        at = start + timedelta(days=rng.randint(0, 10), hours=rng.randint(7, 22), minutes=rng.choice([0, 10, 25, 40, 55]))
        event = rng.choice(events)
        signups.append([f"BM{1001 + i}", at, rng.choice(["刘", "陈", "黄", "周", "吴"]) + rng.choice(["先生", "女士"]),
                        f"13{rng.randint(100000000, 999999999)}", event[0],
                        "新网友" if rng.random() < 0.6 else "老网友", event[3]])
        for _ in range(rng.randint(1, 3)):
            call = start + timedelta(days=rng.randint(0, 10), hours=rng.randint(8, 20), minutes=rng.randint(0, 59))
            calls.append([call, f"13{rng.randint(100000000, 999999999)}", "是" if rng.random() < 0.78 else "否"])
    _write_table(inputs / "报名.xlsx", ["报名编号", "报名时间", "网友姓名", "手机", "活动场次", "网友类型", "活动类型"],
                 sorted(signups, key=lambda r: r[1]))
    _write_table(inputs / "呼损.xlsx", ["来电时间", "号码", "已接"], sorted(calls))
    _write_table(inputs / "签到" / "国庆卖场.xlsx", ["手机", "活动场次", "签到", "下订"],
                 [[r[3], "国庆卖场", rng.choice(["是", "是", "否"]), rng.choice(["是", "否"])]
                  for r in signups if r[4] == "国庆卖场"])
    outcome = update_queue(folder, month, as_of=datetime(2026, 10, 12, 9, 0))
    wb = openpyxl.load_workbook(outcome.path)
    sheet = callbacks.spec(load_config(), month).sheet(callbacks.QUEUE)
    ws = wb[sheet.name]
    layout, _ = find_layout(ws, sheet)
    col = layout.columns
    for r in range(layout.first_data_row, ws.max_row + 1):
        trigger, deadline = ws.cell(r, col["触发时间"]).value, ws.cell(r, col["时限"]).value
        if trigger is None or deadline is None or trigger > datetime(2026, 10, 11, 18, 0) or rng.random() < 0.15:
            continue
        moment = deadline - timedelta(minutes=rng.randint(1, 50)) if rng.random() < 0.8 else \
            deadline + timedelta(minutes=rng.randint(10, 120))
        moment = max(moment, trigger + timedelta(minutes=1))
        for i in range(1, 4):
            result = "接通" if rng.random() < 0.6 else rng.choice(RESULTS[1:])
            ws.cell(r, col[f"第{i}次拨打"]).value = moment
            ws.cell(r, col[f"第{i}次结果"]).value = result
            if result == "接通" or (i == 2 and rng.random() < 0.7):
                break
            moment += timedelta(minutes=rng.randint(30, 180))
        ws.cell(r, col["通话小结"]).value = rng.choice(["确认到场", "关心停车", "问订金规则", "要了交通路线", ""]) or None
    save_workbook(wb, outcome.path)
    return outcome.path


def _write_table(path: Path, headers: list[str], rows: list[list]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(headers)
    for r in rows:
        ws.append(r)
    wb.save(path)


def _write_settlement_files(inputs: Path, crm: list[list], lines: dict[str, list]) -> None:
    (inputs / "结算流转单").mkdir(parents=True, exist_ok=True)
    with open(inputs / "CRM订单.csv", "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["订单号", "商家", "类目", "活动场次", "网友姓名", "手机", "成交金额", "订单状态", "下单日期"])
        writer.writerows(crm)
    for manager, rows in lines.items():
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.append([f"结算流转单（{manager}）"])
        ws.append(["商家", "订单号", "商家联", "网友联", "申报金额"])
        for r in rows:
            ws.append(r)
        wb.save(inputs / "结算流转单" / f"{manager}.xlsx")


# what build_demo announces, in order: the progress display counts them
DEMO_STEPS = 10


def build_demo(folder: Path, seed: int = 2026, step=None) -> dict:
    """Create the demo workspace and return the paths and outcomes (used by tests too).
    `step(text)` is called as each of the DEMO_STEPS steps begins (the progress display).

    Work on files nothing else reads at the time runs on the second core (io.parallel.beside:
    a forked process, or first in this one where there is no fork). Everything random is drawn
    in the same order either way: what runs beside draws last from its stream, or from one of
    its own, so the workbooks are the same with or without the second core."""
    step = step or (lambda text: None)
    clear_for_demo(folder)
    rng = random.Random(seed)
    step("建立工作区：名册（8 位客服）、配置、订单台账和客户档案")
    init_workspace(folder, staff=[{"客服": n, "星级": s, "入职日期": date(2023, 3, 1), "在职": "是"} for n, s in STAFF])
    (folder / MARKER).write_text("kefu-xl demo: this folder is rebuilt by every `kefu-xl demo` run\n", "utf-8")
    demo_online.configure(folder)
    online_rng = random.Random(seed + 19)      # its own stream: the other books stay as they were
    accounts = _accounts(rng)
    october, november = MONTHS
    # October: the first month kefu-xl is used; November: levels carry over, spend changed
    step(f"{october} 开月：280 个帐户定级，生成各跟踪表和每人的个人工作簿")
    write_status(folder / str(october) / "inputs" / "帐户状态.xlsx", accounts[:280])
    open_month(folder, october, as_of=october.last)
    step(f"{october} 的工作：续费跟进、25 起投诉、话务台国庆那一周、45 条网销询盘")
    online = {month: demo_online.month_rows(online_rng, folder, month, n)
              for month, n in ((october, 45), (november, 300))}
    with beside(demo_online.type_month, folder, october, *online[october]):
        with Typist() as typist:
            _follow_up_renewals(rng, folder / str(october) / renewal.file_name(october), october, typist)
        recalc_file(folder / str(october) / renewal.file_name(october), as_of=october.last)   # October closes recalculated
        _october_complaints(rng, folder, october, WorkCalendar(load_config()))
        calls_path = _call_desk_week(rng, folder, october)
    for a in accounts:
        if rng.random() < 0.3:
            a[4] = (a[4] * Decimal("0.6")).quantize(Decimal("0.01"))   # spend dropped: level must not
    for a in accounts[280:]:
        a[7] = date(2026, 11, rng.randint(2, 20))                       # opened in November
    step(f"{november} 开月：300 个帐户（级别从 10 月结转），结转未完的续费、投诉和询盘")
    write_status(folder / str(november) / "inputs" / "帐户状态.xlsx", accounts)
    outcome = open_month(folder, november, as_of=november.first)     # opened on the 1st; each later recalc plans its own day
    path = folder / str(november) / maintenance.file_name(november)
    calendar = WorkCalendar(load_config())
    renewal_path = folder / str(november) / renewal.file_name(november)
    newclient_path = folder / str(november) / newclient.file_name(november)
    step("每人在自己的个人工作簿里填写一个月的工作记录、续费跟进和新客户上线")
    with Typist() as typist:
        renewed = _follow_up_renewals(rng, renewal_path, november, typist)
        _onboard_new_clients(rng, newclient_path, november, typist)
        _typed_in_personal_workbooks(folder, november, typist)
        records = _work_records(rng, november, path, calendar)
        fill = random.Random(seed + 29)        # its own stream: what was drawn before stays as it was
        records = demo_outcomes.outcomes(fill, records, renewed, calendar.workdays_between(november.first, november.last))
        plans = _type_personal_records(folder, november, records, typist)
    demo_outcomes.meetings(fill, folder, records, STAFF)
    step("日常：经理抽查、客户档案、每天的消耗导出和 9:00 消耗监控、节日问候；"
         "同时：300 条网销询盘、订单台账、退订台账、结算流转单和投诉")
    with beside(_ledgers, rng, folder, november, calendar, online[november]):
        desk = demo_desk.daily_routine(folder, november, accounts, records, seed)
        step("汇总个人工作簿到维护跟踪表并重算（完成率、有效工作、问题；日志记下这个月的基线）")
        shutil.rmtree(folder / str(november) / JOURNAL_FOLDER)   # a month typed in one go: its 日志 starts from a 基线
        recalc = recalc_file(path, as_of=november.last)      # collects every personal workbook first
        step("重算每人的个人工作簿（今日计划、我的帐户、每日小结）")
        plans = {name: recalc_file(p, as_of=november.last) for name, p in plans.items()}
    step(f"商家结算：{october} 的一单，再结 {november} 的结算流转单（CRM 订单、回访核实、投诉、退订）；"
         f"同时做 {november} 的绩效提成报表（xlsx 和 html）")
    # the statement reads the trackers only; settling reads and writes neither them nor the statement
    with beside(write_report, folder, str(november), None, True) as report:
        settle_month(folder, october)
        settlement = settle_month(folder, november)
        step("重算其余工作簿：续费、新客户、订单（结算写入了「已结算」）、退订、投诉（红榜看结算）、回访、网销、客户档案")
        last = {"renewal": (renewal_path, november.last), "newclient": (newclient_path, november.last),
                "orders": (folder / orders.FILE_NAME, november.last),
                "refunds": (folder / str(november) / refunds.file_name(november), november.last),
                "complaints": (folder / str(november) / complaints.file_name(november), november.last),
                "callbacks": (calls_path, date(2026, 10, 12)),
                "onlinesales": (folder / str(november) / demo_online.onlinesales.file_name(november),
                                november.last),
                "archive": (archive.path_of(folder), november.last),
                "meetings": (meetings_kind.path_of(folder), november.last)}
        recalculated = _recalc_all(last)
    return {"path": path, "open": outcome, "recalc": recalc, "settle": settlement, "report": report.result,
            **recalculated, "plans": plans, "desk": desk}


def _recalc_all(books: dict[str, tuple[Path, date]]) -> dict:
    """{key: recalc outcome} of each (workbook, as-of date)."""
    return {key: recalc_file(path, as_of=as_of) for key, (path, as_of) in books.items()}


def _ledgers(rng: random.Random, folder: Path, month: Month, calendar: WorkCalendar, online: tuple) -> None:
    """The order specialist's and the online desk's month, beside the maintenance team's (they
    share no file): 网销, the order books, refunds, the settlement's inputs (October settled
    on the way) and the complaints. `rng` is not drawn from after this."""
    demo_online.type_month(folder, month, *online)
    _, issued = _order_books(rng, folder, month)
    _refunds(rng, folder, month, calendar)
    crm, lines = _settlement_inputs(rng, folder, month, issued)
    _november_complaints(rng, folder, month, calendar, crm, lines)
