"""今日 (docs/plan.md): what a person's plan is made from — the team trackers and the desk's files, read only, and the person's own records — and the rows the plan becomes on the sheet: one line per client, the morning plan kept for the day, 新增 lines, the divider."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from ..config import Config
from ..month import Month
from ..records import Problem, Severity, Targets, WorkRecord
from ..rules import completion, outcomes, spendwatch
from ..rules import plan as planning
from ..rules.cadence import cadence
from ..rules.levels import targets_for
from ..rules.renewal import ONBOARDING_STEPS, days_of_spend, onboarding
from ..sheets.build import Formula, set_cell
from ..sheets.layout import resolve
from ..sheets.spec import Anchor, Column, Highlight, Presence, Role, SheetSpec, Type
from . import archive, maintenance, watch
from .base import (
    cell_date,
    cell_text,
    read_tracker,
)
from .inquiries import SHEET as ASKED
from .prospects import CALLBACKS
from .team_view import team_snapshot, version_of

TODAY, WORK, MINE, DAILY, ALL_ACCOUNTS = "今日", "工作记录", "我的帐户", "每日小结", "帐户清单"   # the personal workbook's sheets
VISITS = "预约"
MY_RENEWALS, MY_CLIENTS = "我的续费", "我的新客户"
PLAN_DAY, SUGGESTED = "计划日期", "建议今日完成"
GREEN, ORANGE = "C6EFCE", "FFEB9C"
BLOCK_FILL = "EDEDED"                 # a time block's header row on 今日
ITEMS = completion.TARGET_ITEMS
DIVIDER, DIVIDER_FILL = "有余力再做", "DDEBF7"         # the row under today's plan
PLANNED, ADDED = "是", "新增"                          # 计划内 of a morning line / of a line added later that day


class Team:
    """What a personal recalc needs from the team trackers, read fast and read only."""

    def __init__(self, workspace: Path | None, month: Month, config: Config, own_file: str, problems: list[Problem]):
        self.accounts: list[dict] = []               # every account: 帐户ID, 客户名称, 客服, 级别
        self.other_records: list[WorkRecord] = []    # valid team records not from this file
        self.renewals, self.newclients = [], []
        self.anomalies: list = []                    # 消耗监控 rows not told to the client (every owner)
        self.archived: set[str] | None = None        # account keys of 客户档案 (None: no archive)
        self.found = False                           # the team tracker was read
        self.unrecognised: frozenset[str] = frozenset()   # 抽查 keys the manager marked 不认可
        if workspace is None:
            return
        self.anomalies, self.archived = desk_snapshot(workspace, month, config)
        folder = workspace / str(month)
        path = folder / maintenance.file_name(month)
        self.looked = path
        if not path.exists():
            return
        snapshot = team_snapshot(folder, month, config)
        if snapshot is None:
            problems.append(Problem(own_file, MINE, None, "", "TEAM_TRACKER_BROKEN",
                                    f"团队的 {path.name} 表头不完整，无法读取：请客服经理检查。"))
            return
        self.accounts, records, self.renewals, self.newclients, self.unrecognised = snapshot
        self.other_records = [r for r, source in records if source != own_file]
        self.found = True


_DESK: dict[tuple, tuple] = {}


def desk_snapshot(workspace: Path, month: Month, config: Config) -> tuple[list, set[str] | None]:
    """(open anomalies of the month's 消耗监控, account keys of 客户档案 or None), read once per
    version of the two files."""
    paths = [workspace / str(month) / watch.file_name(month), archive.path_of(workspace)]
    key = (*(version_of(p) for p in paths), config.source, str(month))
    if key not in _DESK:
        anomalies: list = []
        if paths[0].exists():
            _, datas = read_tracker(paths[0], lambda m: watch.spec(config, m), (watch.ANOMALIES,), month=month)
            if datas[watch.ANOMALIES] is not None:
                anomalies = watch.open_rows(watch.read_rows(datas[watch.ANOMALIES], paths[0].name, []))
        archived = None
        if paths[1].exists():
            _, datas = read_tracker(paths[1], lambda m: archive.spec(config), (archive.FILES,), month=month)
            if datas[archive.FILES] is not None:
                archived = {completion.id_key(cell_text(v["帐户ID"])) for _, v in datas[archive.FILES].rows
                            if cell_text(v["帐户ID"])}
        _DESK.clear()
        _DESK[key] = (anomalies, archived)
    return _DESK[key]


def plan_inputs(owner: str, team: Team, records: list[WorkRecord], verdicts, day: date, month: Month,
                config: Config, my_renewals, my_clients):
    """(PlanAccount list, PlanRenewal list, PlanNewClient list, {account key: days of a valid
    contact}); renewals and new clients as the person's own sheets have them."""
    valid = [r for r, v in zip(records, verdicts) if v.valid] + team.other_records
    done: dict[tuple[str, str], int] = {}
    contacts: dict[str, set[date]] = {}
    for r in valid:
        key = completion.id_key(r.account_id)
        done[(key, r.work_type)] = done.get((key, r.work_type), 0) + 1
        if r.day is not None:
            contacts.setdefault(key, set()).add(r.day)
    last = last_contacts(contacts)
    today = {(completion.id_key(r.account_id), r.work_type) for r, v in zip(records, verdicts) if v.valid and r.day == day}
    accounts = []
    for a in team.accounts:
        if a["客服"] != owner:
            continue
        key = completion.id_key(a["帐户ID"])
        accounts.append(planning.PlanAccount(
            a["帐户ID"], a["客户名称"], a["级别"], targets_for(a["级别"], config),
            Targets(*(done.get((key, wt), 0) for _, wt in ITEMS)),
            frozenset(wt for k, wt in today if k == key)))
    renewals = []
    for r in my_renewals:
        follow = [d for d in (r.reminded, last.get(completion.id_key(r.account_id))) if d is not None]
        run = days_of_spend(r.balance, r.weekly_spend)
        renewals.append(planning.PlanRenewal(r.account_id, r.client, r.status, r.reminded,
                                             max(follow) if follow else None, run, r.contract_end))
    newclients = []
    for r in my_clients:
        state = onboarding(r, day)
        step = next((name for name, d in zip(ONBOARDING_STEPS, r.steps) if d is None), None)
        newclients.append(planning.PlanNewClient(r.account_id, r.client, state["状态"], step, state["辅导期结束"],
                                                 r.opened))
    return accounts, renewals, newclients, contacts


def last_contacts(contacts: dict[str, set[date]]) -> dict[str, date]:
    return {key: max(days) for key, days in contacts.items()}


def desk_inputs(owner: str, team: Team, accounts: list, contacts: dict[str, set[date]], day: date,
                month: Month, config: Config, calendar) -> tuple[list, list]:
    """(PlanAnomaly list, PlanCadence list) of the owner: anomalies of their accounts not told
    to the client, and their archived clients the cadence rule says to contact."""
    mine = {completion.id_key(a.account_id): a for a in accounts}
    anomalies = [planning.PlanAnomaly(r.account_id, r.client, r.day, rule_label(r, config), r.spend, r.average,
                                      r.exports, r.balance)
                 for r in team.anomalies
                 if r.day is not None and r.day <= day and (r.staff == owner or (not r.staff and completion.id_key(r.account_id) in mine))]
    rows = []
    if team.archived is not None:
        for key, a in mine.items():
            if key not in team.archived:
                continue
            c = cadence(contacts.get(key, set()), day, month, calendar, max_gap=config.archive.max_gap,
                        min_contacts=config.archive.min_contacts)
            if c.due:
                rows.append(planning.PlanCadence(a.account_id, a.name, a.level, c.reason, c.gap))
    return anomalies, rows


def unhappy_inputs(records: list[WorkRecord], accounts: list, contacts: dict[str, set[date]], day: date,
                   calendar) -> list:
    """The owner's clients who said 不满意 / 很不满意 on a call before `day` and whom no record
    has reached since: a 不满意回访 in the next day's plan (原因 「客户 12-03 表示不满意」)."""
    mine = {completion.id_key(a.account_id): a for a in accounts}
    said: dict[str, date] = {}
    for r in records:
        key = completion.id_key(r.account_id)
        if r.day and r.day < day and key in mine and outcomes.satisfaction_of(r.satisfaction) in outcomes.UNHAPPY:
            said[key] = max(said.get(key, r.day), r.day)
    rows = []
    for key, when in said.items():
        if any(when < d < day for d in contacts.get(key, ())):
            continue                                    # reached again since
        a = mine[key]
        rows.append(planning.PlanCadence(a.account_id, a.name, a.level, f"客户 {when:%m-%d} 表示不满意",
                                         calendar.count(when, day) - 1))
    return rows


def missed_inputs(old_day: date | None, old_rows: list[dict], old_done: list[int], day: date, records: list[WorkRecord],
                  accounts: list, contacts: dict[str, set[date]], calendar) -> list:
    """未联系上 without typing: the clients of yesterday's plan (the plan the sheet holds, when it is
    the previous working day's) whose contact lines were not done, and the owner's clients last
    reached only through 其他人员 with no valid record since (联系决策人)."""
    mine = {completion.id_key(a.account_id): a for a in accounts}
    out, seen = [], set()
    if old_day is not None and old_day < day and calendar.count(old_day, day) == 2:
        for r, done in zip(old_rows, old_done):
            key = completion.id_key(r.get("帐户ID") or "")
            calls = r.get("联系") not in (None, "", "0") or any(t in (r.get("维护项") or "") for t in ("电话拜访", "报表发送"))
            if key and key not in seen and r.get("计划内") in (PLANNED, ADDED) and calls and done < line_items(r):
                seen.add(key)
                out.append(planning.PlanMissed(r["帐户ID"], r.get("客户名称") or "", f"{old_day:%m-%d} 的计划没有联系上"))
    others: dict[str, date] = {}
    for r in records:
        key = completion.id_key(r.account_id)
        if r.day and r.day < day and key in mine and r.contact == "其他人员":
            others[key] = max(others.get(key, r.day), r.day)
    for key, when in sorted(others.items()):
        if key in seen or any(when <= d <= day for d in contacts.get(key, ())):       # reached since
            continue
        out.append(planning.PlanMissed(mine[key].account_id, mine[key].name,
                                       f"{when:%m-%d} 只联系到其他人员，还没有联系上决策人", decision_maker=True))
    return out


def visit_inputs(data, file: str, problems: list[Problem], accounts: list | None) -> list:
    """预约's rows as PlanVisit (帐户ID and a date typed); an account not the owner's is named
    (`accounts` None: every row taken, as collect reads a file)."""
    if data is None:
        return []
    mine = {completion.id_key(a.account_id): a for a in accounts or []}
    out = []
    for row, v in data.rows:
        account, when = cell_text(v.get("帐户ID")), cell_date(v.get("预约上门日期"))
        if not account or when is None:
            continue
        a = mine.get(completion.id_key(account))
        if accounts is None:
            out.append(planning.PlanVisit(account, cell_text(v.get("客户名称")), when, cell_text(v.get("备注"))))
            continue
        if a is None:
            problems.append(Problem(file, VISITS, row, "帐户ID", "NOT_MY_ACCOUNT",
                                    f"预约的帐户「{account}」不是你的帐户：这次上门不会排进今日计划，请核对帐户ID。",
                                    Severity.WARNING))
            continue
        out.append(planning.PlanVisit(a.account_id, a.name, when, cell_text(v.get("备注"))))
    return out


def booked_days(visits: list) -> dict[str, set]:
    out: dict[str, set] = {}
    for v in visits:
        out.setdefault(completion.id_key(v.account_id), set()).add(v.day)
    return out


URGENT_META = "urgent"                    # _meta: the day's urgent items serve wrote (add_urgent)


def merge_urgent(stored, day: date, items) -> str:
    """_meta's urgent entry after adding `items` ((帐户ID, 客户名称, 原因) or with a 4th: the kind,
    异常 by default) for `day`: one entry a client and kind, the latest reason only; another
    day's entries are dropped."""
    kept = urgent_entries(stored, day)
    for item in items:
        account, name, reason, *rest = item
        kind = rest[0] if rest else "异常"
        kept = [e for e in kept if not (completion.id_key(e[0]) == completion.id_key(account) and e[3] == kind)]
        kept.append([account, name, reason, kind])
    return json.dumps({"day": day.isoformat(), "items": kept}, ensure_ascii=False)


def urgent_entries(stored, day: date) -> list[list[str]]:
    try:
        data = json.loads(str(stored)) if stored else {}
    except ValueError:
        return []
    if not isinstance(data, dict) or data.get("day") != day.isoformat():
        return []
    return [list(e) for e in data.get("items", []) if isinstance(e, list) and len(e) == 4]


def urgent_items(entries: list[list[str]], accounts: list) -> list:
    """The stored urgent entries as priority-1 plan items (异常 in 看消耗, 续费 in 续费 …)."""
    levels = {completion.id_key(a.account_id): a.level for a in accounts}
    out = []
    for account, name, reason, kind in entries:
        label = planning.ANOMALY_LABEL if kind == "异常" else planning.RENEWAL_LABEL
        what = planning.ANOMALY_ITEM if kind == "异常" else "续费跟进" if kind == "续费" else kind
        out.append(planning.PlanItem(planning.RENEWAL, account, name, levels.get(completion.id_key(account), ""), what,
                                     reason, label=label, kind=kind))
    return out


def rule_label(row, config: Config) -> str:
    """异常 of a 消耗监控 row, by the same rule as its formula."""
    return spendwatch.label(watch.judged(row, config.watch)) or "消耗异常"


def follow_up_days(my_renewals, my_clients) -> tuple[dict[str, set], dict[str, set]]:
    """({account key: 提醒日期}, {account key: step dates}) of the person's own sheets: what
    the 已完成 formula looks at for renewal and new-client lines."""
    reminded: dict[str, set] = {}
    for r in my_renewals:
        if r.reminded is not None:
            reminded.setdefault(completion.id_key(r.account_id), set()).add(r.reminded)
    steps: dict[str, set] = {}
    for r in my_clients:
        steps.setdefault(completion.id_key(r.account_id), set()).update(d for d in r.steps if d is not None)
    return reminded, steps


def line_items(item: dict) -> int:
    """项数 of a 今日 line; a line written before lines had 项数 counts as one item."""
    value = item.get("项数")
    if value in (None, ""):
        return 1 if item.get("事项") else 0
    try:
        return int(float(value))
    except ValueError:
        return 1


def plan_done(items: list[dict], records: list[WorkRecord], verdicts, day: date | None,
              reminded: dict[str, set] | None = None, steps: dict[str, set] | None = None,
              booked: dict[str, set] | None = None, answered: dict[str, set] | None = None,
              called: dict[str, set] | None = None) -> list[int]:
    """完成项 of each 今日 line — how many of its items were done on the day — as the sheet's
    formula counts them: each 工作类型 of 维护项 with a valid record of the account on the day;
    the 联系 items when 提醒日期 is the day or any valid record of the account is; the
    新客户步骤 when one of the client's step dates is the day; 预约上门 when 预约 holds a visit
    after the day (`booked`: account key → booked days); 答复咨询 when 咨询 holds an answer of the
    day (`answered`: account key → 答复日期); 商务回访 when 商务回访 holds a 回访日期 or 反馈商务日期
    of the day for the line's 出访编号 (`called`). Never more than 项数. A line made
    before lines had 项数 is one item, done when all of it is."""
    valid = [r for r, v in zip(records, verdicts) if v.valid and day is not None and r.day == day]
    out = []
    for item in items:
        key = completion.id_key(item["帐户ID"])
        mine = [r for r in valid if completion.id_key(r.account_id) == key]
        kinds = [t for t in completion.ITEM_TYPES if t in (item.get("维护项") or "")]
        done_kinds = sum(1 for t in kinds if any(r.work_type == t for r in mine))
        contacted = day in (reminded or {}).get(key, set()) or bool(mine)
        stepped = day in (steps or {}).get(key, set())
        reserved = any(d > day for d in (booked or {}).get(key, ())) if day else False
        n = line_items(item)
        if item.get("项数") in (None, ""):         # (a line of an older plan: done when all of it is)
            old_contact = item.get("联系") in ("是", "1")
            whole = done_kinds == len(kinds) and (not old_contact or contacted) and \
                (item.get("新客户步骤") != "是" or stepped)
            out.append(n if whole else 0)
            continue
        contacts = int(float(item.get("联系") or 0)) if str(item.get("联系") or "").replace(".", "").isdigit() else 0
        count = done_kinds + (contacts if contacted else 0) + (1 if item.get("新客户步骤") == "是" and stepped else 0) \
            + (1 if item.get("预约上门") == "是" and reserved else 0) \
            + (1 if item.get("答复咨询") == "是" and day in (answered or {}).get(key, set()) else 0) \
            + (1 if item.get("商务回访") == "是" and day in (called or {}).get(key, set()) else 0)
        out.append(min(n, count))
    return out


def done_text(done: int, items: int) -> str:
    """已完成 of a line: 是 when all its items are done, 「2/3」 when some, 否 when none."""
    if items <= 0:
        return ""
    return "是" if done >= items else "否" if done == 0 else f"{done}/{items}"


def plan_figure(items: list[dict], done: list[int]) -> tuple[int, int]:
    """The plan's one figure (docs/plan.md): (items done, items planned) of the lines above the
    line made in the morning (计划内 是) — 今日's header, 每日小结, collect, 状态.html use it. A
    plan written before 计划内 existed counts every line."""
    rows = list(zip(items, done))
    morning = [(r, d) for r, d in rows if r.get("计划内") == PLANNED]
    if not morning and not any(r.get("计划内") for r, _ in rows):
        morning = rows
    return sum(min(d, line_items(r)) for r, d in morning), sum(line_items(r) for r, _ in morning)


WEEKDAYS = "一二三四五六日"


def header_text(plan_day: date, as_of: date | None, suggested: int, done: int | str, added: int) -> str:
    """Row 1 of 今日: 「12月7日 周一 · 今日计划 · 建议完成 9 项 · 已完成 3 项 · 新增 2」; on a day
    that is not the plan's, 「下一个工作日的计划」 (a weekend) or, after the month's last working day,
    「本月最后一个工作日的计划」."""
    which = "今日计划" if as_of is None or as_of == plan_day else \
        "下一个工作日的计划" if as_of < plan_day else "本月最后一个工作日的计划"
    text = f"{plan_day.month}月{plan_day.day}日 周{WEEKDAYS[plan_day.weekday()]} · {which} · 建议完成 {suggested} 项 · " \
           f"已完成 {done} 项"
    return text + (f" · 新增 {added}" if added else "")


PLAN_FIELDS = ("时间段", "序号", "优先级", "帐户ID", "客户名称", "级别", "事项", "原因", "计划内", "维护项", "联系",
               "新客户步骤", "预约上门", "答复咨询", "商务回访", "项数", "分钟")
BLOCK_MARK = "时间段"                     # 优先级 of a block's header row


def line_row(line: planning.PlanLine, marker: str, levels: dict[str, str]) -> dict:
    return {"时间段": line.slot, "优先级": line.label if line.items else "", "帐户ID": line.account_id,
            "客户名称": line.name, "级别": line.level or levels.get(completion.id_key(line.account_id), ""),
            "事项": line.item, "原因": line.reason, "计划内": marker if line.items else "",
            "维护项": "+".join(line.maintenance), "联系": line.contacts or None,
            "新客户步骤": "是" if line.step else "", "预约上门": "是" if line.reserve else "",
            "答复咨询": "是" if line.answer else "", "商务回访": "是" if line.prospect else "",
            "项数": line.items, "分钟": line.minutes or None}


def divider_row(planned: int) -> dict:
    return {"优先级": DIVIDER, "客户名称": f"以上 {planned} 项是今天的计划" if planned else "今天没有计划项",
            "原因": "以下按时间段排列：做完上面的计划，还有时间再做。"}


def block_rows(settings, rows: list[dict], why: dict[str, str]) -> dict[str, dict]:
    """{时间段: the block's header row}: its minutes used of its minutes, and the overrun."""
    out = {}
    for block in settings.blocks:
        mine = [r for r in rows if r.get("时间段") == block.slot and line_items(r)]
        load = planning.BlockLoad(block, sum(int(r.get("分钟") or 0) for r in mine), sum(line_items(r) for r in mine),
                                  why.get(block.name, ""))
        out[block.slot] = {"时间段": block.slot, "优先级": BLOCK_MARK, "原因": load.header()}
    return out


def plan_sheet_rows(plan: planning.Plan, old_day: date | None, old_rows: list[dict],
                    levels: dict[str, str], settings) -> tuple[list[dict], int, bool]:
    """(今日's rows, items of the morning plan, whether the plan was made now). The first recalc
    of a day makes the plan: block by block, each block's header row and its lines above the
    line; the divider; the rest by block. A later one the same day keeps that plan as it is
    (nothing done drops off) and adds in their block, marked 新增, the urgent lines (priority 1)
    and the clients opened that day, not yet on that block's plan — one line a client and block,
    the latest reason."""
    frozen = old_day == plan.day and any(r.get("计划内") for r in old_rows)
    why = {b.block.name: b.why for b in plan.blocks}
    if frozen:
        above = [dict(r) for r in old_rows if r.get("计划内") in (PLANNED, ADDED) or
                 (not r.get("计划内") and not line_items(r) and r.get("事项"))]
        below = [dict(r) for r in old_rows if not r.get("计划内") and line_items(r)]
        def key(r):
            return (r.get("时间段") or "", completion.id_key(r.get("帐户ID") or ""))
        morning = {key(r) for r in above if r.get("计划内") == PLANNED}
        for line in plan.lines:
            if not (line.priority == planning.RENEWAL or line.fresh) or not line.items or not line.account_id:
                continue                         # (priority 1, or a client opened today: 新开客户)
            row = dict(line_row(line, ADDED, levels), 原因=f"新增：{line.reason}")
            k = key(row)
            if k in morning:
                continue
            at = next((i for i, r in enumerate(above) if key(r) == k), None)
            if at is not None:
                above[at] = row                  # the latest reason only
            else:
                above.append(row)
            below = [r for r in below if key(r) != k]
        planned = sum(line_items(r) for r in above if r.get("计划内") == PLANNED)
    else:
        above = [line_row(line, PLANNED, levels) for line in plan.lines if line.above]
        below = [line_row(line, "", levels) for line in plan.lines if not line.above]
        planned = plan.suggested
    order = {b.slot: i for i, b in enumerate(settings.blocks)}
    def by_block(rows):
        return sorted(rows, key=lambda r: order.get(r.get("时间段") or "", -1))      # stable: order kept within
    above, below = by_block(above), by_block(below)
    numbered = iter(range(1, len(above) + len(below) + 1))
    for r in [*above, *below]:
        r["序号"] = next(numbered)
    headers = block_rows(settings, above, why)
    out, seen = [], set()
    for r in above:
        slot = r.get("时间段") or ""
        for b in settings.blocks:                # the header of every block up to this line's
            if b.slot not in seen and order[b.slot] <= order.get(slot, -1):
                seen.add(b.slot)
                out.append(headers[b.slot])
        out.append(r)
    for b in settings.blocks:
        if b.slot not in seen:
            out.append(headers[b.slot])
    out.append(divider_row(planned))
    out.extend(below)
    numbers = ("项数", "分钟", "联系")
    def plain(h, v):               # a frozen line read back from the sheet holds its numbers as text
        return (int(float(v)) if str(v).replace(".", "", 1).isdigit() else None) if h in numbers and v not in (None, "") else v
    return [{h: plain(h, r.get(h)) for h in PLAN_FIELDS} for r in out], planned, not frozen


# --------------------------------------------------------------------------- the sheets' declarations

def today_sheet(month: Month, steps: tuple[str, ...]) -> SheetSpec:
    """今日: 时间段 first (an older file gains it at its next recalc), the lines' helpers hidden,
    已完成 「2/3」 from 完成项 (plan_done in Python)."""
    work = f"[{WORK}!"
    step_done = "+".join(f'COUNTIFS([{MY_CLIENTS}!帐户ID],[帐户ID],[{MY_CLIENTS}!{s}],[@{PLAN_DAY}])' for s in steps)
    contacted = (f'COUNTIFS([{MY_RENEWALS}!帐户ID],[帐户ID],[{MY_RENEWALS}!提醒日期],[@{PLAN_DAY}])+'
                 f'COUNTIFS({work}帐户ID],[帐户ID],{work}日期],[@{PLAN_DAY}],{work}有效],"是")')
    kinds_done = "+".join(f'ISNUMBER(SEARCH("{t}",[维护项]))*(COUNTIFS({work}帐户ID],[帐户ID],{work}工作类型],"{t}",'
                          f'{work}日期],[@{PLAN_DAY}],{work}有效],"是")>0)' for t in completion.ITEM_TYPES)
    reserved = f'COUNTIFS([{VISITS}!帐户ID],[帐户ID],[{VISITS}!预约上门日期],">"&[@{PLAN_DAY}])'
    answered = f'COUNTIFS([{ASKED}!帐户ID],[帐户ID],[{ASKED}!答复日期],[@{PLAN_DAY}])'
    called = (f'COUNTIFS([{CALLBACKS}!出访编号],[帐户ID],[{CALLBACKS}!回访日期],[@{PLAN_DAY}])'
              f'+COUNTIFS([{CALLBACKS}!出访编号],[帐户ID],[{CALLBACKS}!反馈商务日期],[@{PLAN_DAY}])')
    today = SheetSpec(
        name=TODAY, title=f"{month.label} 今日计划（早计划）", key="序号", buffer_rows=0, row_markers=("事项",),
        anchors=(Anchor(PLAN_DAY, Type.DATE, "这份计划是哪一天的：当天第一次重算时做好（非工作日为下一个工作日），"
                                             "当天再重算只更新已完成，新出现的紧急事项以「新增」加在它的时间段里。"),
                 Anchor(SUGGESTED, Type.INT, "建议今日完成的项数 = 早上的计划中分隔线以上的事项数（按各时间段的分钟数排）。")),
        help="早上打开自己的工作簿（serve 已做好计划，或点 客服工具 → 重算），按时间段做分隔线以上的计划；"
             "做完在「工作记录」登记，已完成自动变为「2/3」「是」。第一行写着这是哪一天的计划、建议完成几项、已完成几项。",
        columns=(
            Column("时间段", Role.COMPUTED, Type.TEXT, width=18,
                   help="这一行在一天中的哪个时间段做（[plan] blocks：09:00 看消耗 · 10:00 续费 · 10:30 未联系上 · "
                        "13:00 回访 · 14:00 优化 · 16:00 新开客户 · 17:00 晚总结）。", presence=Presence.ADDED),
            Column("序号", Role.COMPUTED, Type.INT, width=5, help="先做序号小的。"),
            Column("优先级", Role.COMPUTED, Type.TEXT, width=9,
                   help="1 异常（消耗监控中还没通知客户的）→ 1 续费 → 2 新客户 → 3 维护（按进度线，落后多的在前）"
                        "→ 3 回访（不满意的客户、客户档案的回访节奏）；「时间段」行是这个时间段的标题：计划几项、用多少分钟。"),
            Column("帐户ID", Role.COMPUTED, Type.ID, width=20, help="帐户。"),
            Column("客户名称", Role.COMPUTED, Type.TEXT, width=22, help="客户。"),
            Column("级别", Role.COMPUTED, Type.TEXT, width=6, help="帐户级别。"),
            Column("事项", Role.COMPUTED, Type.TEXT, width=22, wrap=True,
                   help="这个客户在这个时间段要做的事，一次联系一起做（电话拜访 + 报表发送；续费提醒；预约上门；新客户的下一步……）。"),
            Column("原因", Role.COMPUTED, Type.TEXT, width=60, wrap=True, help="为什么今天要做。"),
            Column("已完成", Role.DERIVED, Type.TEXT,
                   'IF([事项]="","",IF(N([项数])=0,"",IF([完成项]>=[项数],"是",IF([完成项]=0,"否",[完成项]&"/"&[项数]))))',
                   help="这一行的事项做了几项：「是」= 都做了，「2/3」= 做了 2 项（共 3 项），「否」= 还没做。维护：「工作记录」有该帐户这个"
                        "工作类型的有效记录；续费、异常、回访：「我的续费」的提醒日期是这天，或有该帐户的有效工作记录；新客户：「我的新客户」"
                        "中该客户有一个步骤的日期是这天；预约上门：「预约」表填了以后的上门日期。"),
            Column("计划内", Role.COMPUTED, Type.TEXT, hidden=True,
                   help="辅助列（隐藏）：是 = 早上做好的计划（分隔线以上）；新增 = 当天后来出现的紧急事项；空白 = 有余力再做。"),
            Column("维护项", Role.COMPUTED, Type.TEXT, hidden=True, help="辅助列（隐藏）：这一行要做的维护工作类型。"),
            Column("联系", Role.COMPUTED, Type.INT, hidden=True,
                   help="辅助列（隐藏）：这一行有几项（续费、异常、回访）当天联系过客户即算完成。"),
            Column("新客户步骤", Role.COMPUTED, Type.TEXT, hidden=True,
                   help="辅助列（隐藏）：是 = 新客户的下一步：「我的新客户」当天填了一个步骤日期即算完成。"),
            Column("预约上门", Role.COMPUTED, Type.TEXT, hidden=True,
                   help="辅助列（隐藏）：是 = 预约上门：「预约」表有这个帐户以后的上门日期即算完成。"),
            Column("答复咨询", Role.COMPUTED, Type.TEXT, hidden=True,
                   help="辅助列（隐藏）：是 = 答复咨询：「咨询」表里这个帐户有这一天的答复日期即算完成。"),
            Column("商务回访", Role.COMPUTED, Type.TEXT, hidden=True,
                   help="辅助列（隐藏）：是 = 商务客户的回访：「商务回访」表里这个出访编号有这一天的回访日期或反馈商务日期即算完成。"),
            Column("项数", Role.COMPUTED, Type.INT, hidden=True, help="辅助列（隐藏）：这一行有几项事项。"),
            Column("分钟", Role.COMPUTED, Type.INT, hidden=True, help="辅助列（隐藏）：这一行大约用几分钟（[plan.minutes]）。"),
            Column("完成项", Role.DERIVED, Type.INT,
                   f'IF([事项]="","",MIN(N([项数]),{kinds_done}+N([联系])*(({contacted})>0)'
                   f'+([新客户步骤]="是")*(({step_done})>0)+([预约上门]="是")*({reserved}>0)'
                   f'+([答复咨询]="是")*({answered}>0)+([商务回访]="是")*(({called})>0)))',
                   hidden=True, help="辅助列（隐藏）：这一行当天做完了几项；第一行的「已完成 N 项」是分隔线以上各行之和。"),
        ),
        highlights=(Highlight('[已完成]="是"', GREEN, ("序号", "事项", "已完成")),
                    Highlight('ISNUMBER(SEARCH("/",[已完成]))', ORANGE, ("已完成",)),
                    Highlight(f'[优先级]="{DIVIDER}"', DIVIDER_FILL),
                    Highlight(f'[优先级]="{BLOCK_MARK}"', BLOCK_FILL)),
    )
    return today


def visits_sheet(month: Month) -> SheetSpec:
    """预约 (docs/plan.md): the days visits were booked for — typed here, carried at month open."""
    return SheetSpec(
        name=VISITS, title=f"{month.label} 预约上门", key="帐户ID", buffer_rows=100, added_later=True,
        row_markers=("帐户ID", "预约上门日期"),
        help="上门拜访从不排在当天：今日计划里的「预约上门」是打电话约好日期，约好后在这里登记一行，到那天「今日」的回访时间段列出上门拜访。"
             "开下个月时，以后的预约自动带过去。",
        columns=(
            Column("帐户ID", Role.INPUT, Type.ID, dropdown_source=f"{MINE}!帐户ID", help="帐户ID（从下拉列表选择自己的帐户）。"),
            Column("客户名称", Role.DERIVED, Type.TEXT,
                   f'IF([帐户ID]="","",IFERROR(INDEX([{MINE}!客户名称],MATCH([帐户ID],[{MINE}!帐户ID],0)),"（不是我的帐户）"))',
                   width=24, help="帐户ID对应的客户，核对没有填错帐户。"),
            Column("预约上门日期", Role.INPUT, Type.DATE, help="和客户约好的上门日期。"),
            Column("备注", Role.INPUT, Type.TEXT, width=30, help="时间、地点、要带的资料……"),
        ),
    )


def write_header_row(ws, layouts, plan_day: date, as_of: date, suggested: int, added: int, owner: str,
                     shown: str = "") -> None:
    """Row 1 of 今日, over the visible columns: which day, 建议完成, and 已完成 as a live sum of the
    morning lines' 完成项 (the plan's one figure, plan_figure in Python); `shown`: Python's text of
    it, the cached value a previewer or pandas shows before any spreadsheet recalculates."""
    text = header_text(plan_day, as_of, suggested, "\x00", added) + f" · {owner}"
    before, after = text.split("\x00")
    done = resolve(f'SUMIFS([{TODAY}!完成项],[{TODAY}!计划内],"{PLANNED}")', layouts, TODAY, 1)[1:]
    set_cell(ws.cell(1, 1), Formula(f'="{before}"&{done}&"{after}"'))
    cached = getattr(ws, "cached", None)          # (a patched sheet: io.xlsx writes it with the formula)
    if shown and cached is not None:
        cached[(1, 1)] = shown
