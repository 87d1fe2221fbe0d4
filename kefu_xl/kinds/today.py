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
from . import archive, maintenance, watch
from .base import (
    cell_date,
    cell_text,
    read_tracker,
)
from .team_view import team_snapshot, version_of

TODAY, WORK, MINE, DAILY, ALL_ACCOUNTS = "今日", "工作记录", "我的帐户", "每日小结", "帐户清单"   # the personal workbook's sheets
VISITS = "预约"
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
        newclients.append(planning.PlanNewClient(r.account_id, r.client, state["状态"], step, state["辅导期结束"]))
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
              booked: dict[str, set] | None = None) -> list[int]:
    """完成项 of each 今日 line — how many of its items were done on the day — as the sheet's
    formula counts them: each 工作类型 of 维护项 with a valid record of the account on the day;
    the 联系 items when 提醒日期 is the day or any valid record of the account is; the
    新客户步骤 when one of the client's step dates is the day; 预约上门 when 预约 holds a visit
    after the day (`booked`: account key → booked days). Never more than 项数. A line made
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
            + (1 if item.get("预约上门") == "是" and reserved else 0)
        out.append(min(n, count))
    return out


def done_text(done: int, items: int) -> str:
    """已完成 of a line: 是 when all its items are done, 「2/3」 when some, 否 when none."""
    if items <= 0:
        return ""
    return "是" if done >= items else "否" if done == 0 else f"{done}/{items}"


def plan_figure(items: list[dict], done: list[int]) -> tuple[int, int]:
    """The plan's one figure (DOMAIN §23): (items done, items planned) of the lines above the
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
    that is not the plan's (a weekend), 「下一个工作日的计划」."""
    which = "今日计划" if as_of is None or as_of == plan_day else "下一个工作日的计划"
    text = f"{plan_day.month}月{plan_day.day}日 周{WEEKDAYS[plan_day.weekday()]} · {which} · 建议完成 {suggested} 项 · " \
           f"已完成 {done} 项"
    return text + (f" · 新增 {added}" if added else "")


PLAN_FIELDS = ("时间段", "序号", "优先级", "帐户ID", "客户名称", "级别", "事项", "原因", "计划内", "维护项", "联系",
               "新客户步骤", "预约上门", "项数", "分钟")
BLOCK_MARK = "时间段"                     # 优先级 of a block's header row


def line_row(line: planning.PlanLine, marker: str, levels: dict[str, str]) -> dict:
    return {"时间段": line.slot, "优先级": line.label if line.items else "", "帐户ID": line.account_id,
            "客户名称": line.name, "级别": line.level or levels.get(completion.id_key(line.account_id), ""),
            "事项": line.item, "原因": line.reason, "计划内": marker if line.items else "",
            "维护项": "+".join(line.maintenance), "联系": line.contacts or None,
            "新客户步骤": "是" if line.step else "", "预约上门": "是" if line.reserve else "",
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
    of clients not yet on that block's plan — one line a client and block, the latest reason."""
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
            if line.priority != planning.RENEWAL or not line.items or not line.account_id:
                continue
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
