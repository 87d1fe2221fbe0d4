"""今日 (docs/plan.md): what a person's plan is made from — the team trackers and the desk's files, read only, and the person's own records — and the rows the plan becomes on the sheet: one line per client, the morning plan kept for the day, 新增 lines, the divider."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from ..config import Config
from ..month import Month
from ..records import Problem, Targets, WorkRecord
from ..rules import completion, outcomes, spendwatch
from ..rules import plan as planning
from ..rules.cadence import cadence
from ..rules.levels import targets_for
from ..rules.renewal import ONBOARDING_STEPS, days_of_spend, onboarding
from . import archive, maintenance, watch
from .base import (
    cell_text,
    read_tracker,
)
from .team_view import team_snapshot, version_of

TODAY, WORK, MINE, DAILY, ALL_ACCOUNTS = "今日", "工作记录", "我的帐户", "每日小结", "帐户清单"   # the personal workbook's sheets
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
                 if r.day is not None and (r.staff == owner or (not r.staff and completion.id_key(r.account_id) in mine))]
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


def plan_done(items: list[dict], records: list[WorkRecord], verdicts, day: date | None,
              reminded: dict[str, set] | None = None, steps: dict[str, set] | None = None) -> list[bool]:
    """已完成 of each 今日 line, as the sheet's formula judges it: every 工作类型 of 维护项 has a
    valid record of the account on the day; when 联系 — 提醒日期 is the day, or any valid record
    of the account that day; when 新客户步骤 — one of the client's step dates is the day."""
    valid = [r for r, v in zip(records, verdicts) if v.valid and day is not None and r.day == day]
    out = []
    for item in items:
        key = completion.id_key(item["帐户ID"])
        mine = [r for r in valid if completion.id_key(r.account_id) == key]
        kinds = [t for t in completion.ITEM_TYPES if t in (item.get("维护项") or "")]
        done = all(any(r.work_type == t for r in mine) for t in kinds)
        if item.get("联系") == "是":
            done = done and (day in (reminded or {}).get(key, set()) or bool(mine))
        if item.get("新客户步骤") == "是":
            done = done and day in (steps or {}).get(key, set())
        out.append(done)
    return out


PLAN_FIELDS = ("序号", "优先级", "帐户ID", "客户名称", "级别", "事项", "原因", "计划内", "维护项", "联系", "新客户步骤")


def line_row(line: planning.PlanLine, marker: str, levels: dict[str, str]) -> dict:
    return {"优先级": line.label, "帐户ID": line.account_id, "客户名称": line.name,
            "级别": line.level or levels.get(completion.id_key(line.account_id), ""), "事项": line.item,
            "原因": line.reason, "计划内": marker, "维护项": "+".join(line.maintenance),
            "联系": "是" if line.contact else "", "新客户步骤": "是" if line.step else ""}


def divider_row(planned: int) -> dict:
    return {"优先级": DIVIDER, "客户名称": f"以上 {planned} 项是今天的计划" if planned else "今天没有计划项",
            "原因": "以下按同样的顺序排列：做完上面的计划，还有时间再做。"}


def plan_sheet_rows(plan: planning.Plan, old_day: date | None, old_rows: list[dict],
                    levels: dict[str, str]) -> tuple[list[dict], int, bool]:
    """(今日's rows, lines of the morning plan, whether the plan was made now). The first recalc
    of a day makes the plan: its first plan.planned lines, the divider, the rest. A later one
    the same day keeps that plan as it is (nothing done drops off) and adds, marked 新增, the
    priority-1 lines of clients the plan does not have yet (a new anomaly)."""
    frozen = old_day == plan.day and any(r.get("计划内") for r in old_rows)
    if frozen:           # (a client already in the plan gets a 新增 line only for an urgent item it lacks)
        morning = [r for r in old_rows if r.get("计划内") == PLANNED]
        later = [r for r in old_rows if r.get("计划内") == ADDED]
        rest = [r for r in old_rows if r.get("计划内") not in (PLANNED, ADDED)]
        present: dict[str, set[str]] = {}
        for r in old_rows:
            present.setdefault(completion.id_key(r["帐户ID"]), set()).update(r["事项"].split(" + "))
        urgent = [i for i in plan.items if i.priority == planning.RENEWAL
                  and i.item not in present.get(completion.id_key(i.account_id), set())]
        new = [dict(line_row(line, ADDED, levels), 原因=f"新增：{line.reason}") for line in planning.lines_of(urgent)]
        above, below, planned = morning + later + new, rest, len(morning)
    else:
        rows = [line_row(line, PLANNED if i < plan.planned else "", levels) for i, line in enumerate(plan.lines)]
        above, below, planned = rows[:plan.planned], rows[plan.planned:], plan.planned
    numbered = [{**r, "序号": i} for i, r in enumerate([*above, *below], 1)]
    out = numbered[:len(above)] + ([divider_row(planned)] if below or not above else []) + numbered[len(above):]
    return [{h: r.get(h) for h in PLAN_FIELDS} for r in out], planned, not frozen
