"""The 周报 (kefu-xl report --week 2026-W49, docs/weekly.md): what the week's facts are.

Monday–Sunday of an ISO week, read from the trackers of the month(s) the week touches, each
judged by its own rules (the same recalc the monthly statement reads, never a cached value):
every fact of the week — a valid record, a plan day, a reminder, money received, an onboarding
step, an anomaly, a complaint — becomes one 数据 row; `figures` is Python's value of every
formula the workbook (app/weekly_book.py) computes over those rows. A fact is taken from the
tracker of the month its date falls in, so a row carried over into the next month never counts
twice. 本周问题 lists what is still open on the report's day: the weekly meeting's agenda."""
from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from ..calendar import WorkCalendar
from ..config import load_config
from ..errors import DataProblemsError, KefuError
from ..hints import here
from ..kinds import complaints, maintenance, newclient, renewal, watch
from ..kinds.roster import active_first
from ..month import Month
from ..records import Severity
from ..rules import complaints as complaint_rules
from ..rules import outcomes, spendwatch
from ..rules import renewal as renewal_rules
from ..rules.completion import WORK_TYPES, id_key
from ..rules.deadlines import nth_workday_after
from ..rules.inquiries import LATE, ON_TIME
from .collect import plan_days
from .workbooks import recalc_file

WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
# 项目 of the 数据 rows (the column the formulas select on)
VALID, PLANNED, PLAN_DONE = "有效工作", "计划项数", "完成计划项"
REMINDED, RECEIVED, AMOUNT = "续费提醒", "续费到帐", "到帐金额"
STEP, ANOMALY, UNHAPPY = "新客户步骤", "异常", "不满意"
COMPLAINT_NEW, COMPLAINT_LATE = "投诉新增", "投诉超时"
FOLLOWED = "当天跟进"
ANSWERED, IN_TIME = "咨询已答复", "咨询及时"      # (电话 counts as answered in time: docs/inquiries.md)
# 本周问题's 类别, in the order the meeting takes them
ISSUE_INQUIRY = "咨询超时未答复"
ISSUE_ANOMALY, ISSUE_UNHAPPY, ISSUE_LOST = "消耗异常未通知客户", "不满意客户未再联系", "丢失客户"
ISSUE_COMPLAINT, ISSUE_RENEWAL = "投诉回复超时未解决", "待续费（下周日前到期）"
ISSUE_ORDER = (ISSUE_INQUIRY, ISSUE_ANOMALY, ISSUE_UNHAPPY, ISSUE_COMPLAINT, ISSUE_LOST, ISSUE_RENEWAL)


@dataclass(frozen=True, order=True)
class Week:
    """An ISO week as people write it: 2026-W49 (Monday–Sunday)."""
    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> "Week":
        m = re.fullmatch(r"\s*(\d{4})\s*-?\s*[Ww]\s*(\d{1,2})\s*", str(text))
        if m:
            try:
                date.fromisocalendar(int(m[1]), int(m[2]), 1)
                return cls(int(m[1]), int(m[2]))
            except ValueError:
                raise KefuError(f"{m[1]} 年没有第 {int(m[2])} 周（ISO 周，一年 52 或 53 周）。") from None
        raise KefuError(f"周「{text}」格式不对，请写成 ISO 周，例如 2026-W49（2026 年第 49 周，周一到周日）。")

    @classmethod
    def of(cls, day: date) -> "Week":
        year, number, _ = day.isocalendar()
        return cls(year, number)

    @classmethod
    def last_full_before(cls, day: date) -> "Week":
        """The last week whose Sunday is before `day` (on a Sunday: the week before)."""
        return cls.of(day - timedelta(days=day.weekday() + 1))

    def __str__(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.number, 1)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    @property
    def days(self) -> list[date]:
        return [self.monday + timedelta(days=i) for i in range(7)]

    def contains(self, day: date | None) -> bool:
        return day is not None and self.monday <= day <= self.sunday

    @property
    def months(self) -> list[Month]:
        return sorted({Month.of(self.monday), Month.of(self.sunday)})

    @property
    def label(self) -> str:
        return f"{self.year}年第{self.number}周（{self.monday:%m-%d} 至 {self.sunday:%m-%d}）"


@dataclass
class WeekData:
    """Everything the 周报 shows. rows: the 数据 sheet ({header: value}); issues: 本周问题."""
    week: Week
    as_of: date
    rows: list[dict] = field(default_factory=list)
    staff: list[str] = field(default_factory=list)
    workdays: list[date] = field(default_factory=list)
    issues: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)
    daily_target: int = 4


def _figures_of(workspace: Path, path: Path, month: Month, as_of: date, out: WeekData):
    """A tracker's figures, recalculated without writing as of `as_of` (the monthly statement's
    way); None when the file is missing. Its problems are named, not hidden."""
    if not path.exists():
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        outcome = recalc_file(path, write=False, as_of=month.clamp(as_of))
    serious = [p for p in outcome.result.problems if p.severity is not Severity.INFO]
    if serious:
        out.warnings.append(f"{path.name} 有 {len(serious)} 条问题（错误 "
                            f"{sum(p.severity is Severity.ERROR for p in serious)} 条），数字可能不准。")
        out.hints.append(f"{path.name} 的问题：kefu-xl check {here(path)}（改正后重新出周报）")
    if outcome.result.figures is None:
        raise DataProblemsError(f"{path.relative_to(workspace)} 结构不完整，无法出周报：请先按下面的问题改正"
                                f"（kefu-xl check {here(path)}），再出周报。",
                                [p for p in outcome.result.problems if p.severity is Severity.ERROR])
    return outcome.result.figures


def collect(workspace: Path, week: Week, as_of: date | None = None) -> WeekData:
    """The week's 数据 rows and 本周问题 from the trackers of its months, as of `as_of`
    (default today: what is still open is judged on that day)."""
    config = load_config(workspace / "kefu-xl.toml")
    calendar = WorkCalendar(config)
    as_of = as_of or date.today()
    out = WeekData(week, as_of, workdays=calendar.workdays_between(week.monday, week.sunday),
                   daily_target=config.daily_valid_target)
    staff: list[str] = []
    names: dict[str, str] = {}                 # id_key → 客户名称
    later: dict[str, list[date]] = {}          # id_key → days of valid work (any month read)
    unhappy: list[dict] = []
    judged: dict[str, tuple] = {}              # 投诉编号 → (Judged, file): the latest month's copy
    renewals: dict = {}                       # id_key → its latest 续费跟踪 row
    lost: dict = {}

    def add(source, row, day, person, item, value=1, group="", account="", client="", note=""):
        out.rows.append({"序号": len(out.rows) + 1, "来源": source, "行": row, "日期": day, "客服": person,
                         "项目": item, "分类": group, "帐户ID": account, "客户名称": client, "数值": value,
                         "说明": note})
        if person and person not in staff:
            staff.append(person)

    for month in week.months:
        folder = workspace / str(month)
        in_month = [d for d in week.days if month.contains(d)]
        first, last = in_month[0], in_month[-1]

        def ours(day, first=first, last=last):
            return day is not None and first <= day <= last

        path = folder / maintenance.file_name(month)
        f = _figures_of(workspace, path, month, as_of, out)
        if f is None:
            if "maintenance" in config.monthly:
                out.warnings.append(f"缺少 {path.relative_to(workspace)}：{first:%m-%d} 至 {last:%m-%d} 的工作记录按 0 计。")
        else:
            for a in f.accounts:
                names.setdefault(id_key(a.account_id), a.client)
            for r, v in zip(f.records, f.verdicts):
                key = id_key(r.account_id)
                if v.valid and r.day is not None:
                    later.setdefault(key, []).append(r.day)
                if not ours(r.day):
                    continue
                if v.valid:
                    add(path.name, r.row, r.day, r.staff, VALID, group=r.work_type, account=key,
                        client=names.get(key, ""))
                said = outcomes.satisfaction_of(r.satisfaction) or r.satisfaction
                if r.work_type == "电话拜访" and said in outcomes.UNHAPPY:
                    add(path.name, r.row, r.day, r.staff, UNHAPPY, group=said, account=key, client=names.get(key, ""),
                        note=r.summary)
                    unhappy.append({"客服": r.staff, "帐户ID": r.account_id, "key": key, "日期": r.day,
                                    "客户名称": names.get(key, ""), "满意度": said})
            plan_days(workspace, month, config, {id_key(a.account_id) for a in f.accounts}, ours, add)
            _inquiry_rows(f.inquiries, names, ours, as_of, add, out.issues)

        for kind, name in (("renewal", renewal.file_name(month)), ("newclient", newclient.file_name(month))):
            if kind in config.monthly and not (folder / name).exists():
                out.warnings.append(f"缺少 {month}/{name}：{first:%m-%d} 至 {last:%m-%d} 的相关数字按 0 计。")
        f = _figures_of(workspace, folder / renewal.file_name(month), month, as_of, out)
        source = renewal.file_name(month)
        for r in (f.rows if f else []):
            key = id_key(r.account_id)
            if ours(r.reminded):
                add(source, r.row, r.reminded, r.staff, REMINDED, account=key, client=r.client)
            if ours(r.received):
                add(source, r.row, r.received, r.staff, RECEIVED, account=key, client=r.client)
                add(source, r.row, r.received, r.staff, AMOUNT, r.amount or Decimal(0), account=key, client=r.client)
            renewals[key] = r                          # the later month's row wins
            if renewal_rules.stage(r, month) == renewal_rules.STAGE_LOST:
                lost[key] = r

        f = _figures_of(workspace, folder / newclient.file_name(month), month, as_of, out)
        source = newclient.file_name(month)
        for r in (f.rows if f else []):
            for step, day in zip(renewal_rules.ONBOARDING_STEPS, r.steps):
                if ours(day):
                    add(source, r.row, day, r.staff, STEP, group=step, account=id_key(r.account_id), client=r.client)

        f = _figures_of(workspace, folder / watch.file_name(month), month, as_of, out)
        source = watch.file_name(month)
        for r in (f.rows if f else []):
            if not r.account_id or r.day is None or r.day > week.sunday:
                continue
            what = spendwatch.label(watch.judged(r, f.watch)) or "异常"
            seen = nth_workday_after(r.day, 1, calendar)      # the 9:00 watch of the next working day shows it
            if week.contains(seen):
                add(source, r.row, seen, r.staff, ANOMALY, group=what, account=id_key(r.account_id),
                    client=r.client, note=r.told or "未填")
            if r.told != watch.YES:
                out.issues.append(_issue(ISSUE_ANOMALY, r.staff, r.account_id, r.client, r.day,
                                         f"{r.day:%m-%d} {what}，已通知客户：{r.told or '未填'}"
                                         + (f"；原因：{r.cause}" if r.cause else "")))

        f = _figures_of(workspace, folder / complaints.file_name(month), month, as_of, out)
        for j in (f.judged if f else []):
            c = j.complaint
            judged[c.complaint_id or f"{month}#{c.row}"] = (j, complaints.file_name(month))

    for j, source in judged.values():
        c = j.complaint
        if week.contains(c.registered):
            add(source, c.row, c.registered, "", COMPLAINT_NEW, group=c.channel, note=f"{c.complaint_id} {c.merchant}")
        if week.contains(j.deadline) and j.late:
            add(source, c.row, j.deadline, "", COMPLAINT_LATE, group=c.channel, note=f"{c.complaint_id} {c.merchant}")
        if j.late and j.status == complaint_rules.OPEN:
            out.issues.append(_issue(ISSUE_COMPLAINT, "", "", c.merchant, j.deadline,
                                     f"投诉 {c.complaint_id}（{c.channel or '—'}，登记 {c.registered or '—'}），"
                                     f"回复时限 {j.deadline or '—'}，尚未解决" + ("（重大）" if c.major else "")))
    for u in unhappy:
        if not any(d > u["日期"] for d in later.get(u["key"], [])):
            out.issues.append(_issue(ISSUE_UNHAPPY, u["客服"], u["帐户ID"], u["客户名称"], u["日期"],
                                     f"{u['日期']:%m-%d} 电话拜访 客户{u['满意度']}，之后没有再联系的有效记录"))
    for r in lost.values():
        out.issues.append(_issue(ISSUE_LOST, r.staff, r.account_id, r.client, r.received or r.reminded,
                                 f"续费阶段 二次开发/休眠（续费状态：{r.status or '跟进中'}；首次提醒 {r.first_month or '—'}）"))
    out.issues += _renewals_due(renewals, week, as_of)
    out.issues.sort(key=lambda i: (ISSUE_ORDER.index(i["类别"]), i["客服"], i["日期"] or date.min, i["帐户ID"]))
    out.staff = active_first(workspace / "名册.xlsx", staff)
    return out


def _inquiry_rows(items, names: dict[str, str], ours, as_of: date, add, issues: list[dict]) -> None:
    """The week's answered 咨询 (by the day received) and, for 本周问题, those past their 时限 and
    still not answered on `as_of`."""
    end = datetime.combine(as_of + timedelta(days=1), time(0))
    for i in items:
        day = i.received.date() if i.received else None
        key = id_key(i.account_id)
        if ours(day) and i.on_time in (ON_TIME, LATE):
            add(i.source, i.row, day, i.staff, ANSWERED, group=i.channel, account=key, client=names.get(key, ""))
            if i.on_time == ON_TIME:
                add(i.source, i.row, day, i.staff, IN_TIME, group=i.channel, account=key, client=names.get(key, ""))
        if i.answered is None and i.due is not None and i.due < end:
            issues.append(_issue(ISSUE_INQUIRY, i.staff, i.account_id, names.get(key, ""), day,
                                 f"{i.channel}咨询「{i.content}」，时限 {i.due:%m-%d %H:%M}，还没有答复"))


def _issue(kind: str, person: str, account: str, client: str, day: date | None, note: str) -> dict:
    return {"类别": kind, "客服": person, "帐户ID": account, "客户名称": client, "日期": day, "说明": note}


def _renewals_due(rows: dict, week: Week, as_of: date) -> list[dict]:
    """Renewals still open (跟进中) whose contract ends by next week's Sunday, or whose balance
    lasts (可投放天数 from the latest 余额) fewer days than from the report's day to that Sunday."""
    end = week.sunday + timedelta(days=7)
    left = (end - as_of).days + 1
    out = []
    for r in rows.values():
        if r.status in (renewal_rules.RENEWED, renewal_rules.LOST):
            continue
        days = renewal_rules.days_of_spend(r.balance, r.weekly_spend)
        why = []
        if r.contract_end is not None and r.contract_end <= end:
            why.append(f"合同 {r.contract_end} {'已' if r.contract_end < as_of else '将'}到期")
        if days is not None and days < left:
            why.append(f"余额可投放 {renewal_rules.days_shown(days)} 天")
        if why:
            out.append(_issue(ISSUE_RENEWAL, r.staff, r.account_id, r.client, r.reminded,
                              "、".join(why) + (f"；上次提醒 {r.reminded}" if r.reminded else "；还没有提醒")))
    return out


# --------------------------------------------------------------------------- Python's figures

TYPE_COLUMNS = WORK_TYPES          # 有效工作 by type, one column each


def _total(data: WeekData, item: str, person: str | None = None, group: str | None = None,
           day: date | None = None) -> Decimal:
    return sum((Decimal(str(r["数值"])) for r in data.rows if r["项目"] == item
                and (person is None or r["客服"] == person) and (group is None or r["分类"] == group)
                and (day is None or r["日期"] == day)), Decimal(0))


def followed(data: WeekData) -> dict[int, str]:
    """当天跟进 of each anomaly row (by 序号): the account has a valid record on the day the
    9:00 watch showed the anomaly (by anyone: what the plan counts as done)."""
    valid = {(r["帐户ID"], r["日期"]) for r in data.rows if r["项目"] == VALID}
    return {r["序号"]: "是" if (r["帐户ID"], r["日期"]) in valid else "否" for r in data.rows if r["项目"] == ANOMALY}


def daily(data: WeekData) -> dict[tuple[str, date], dict]:
    """每日: per person per day of the week."""
    follow = followed(data)
    out = {}
    for person in data.staff:
        for day in data.week.days:
            valid = _total(data, VALID, person, day=day)
            met = "是" if valid >= data.daily_target else ("" if day not in data.workdays else "否")
            out[(person, day)] = {
                VALID: valid, "达标": met, PLANNED: _total(data, PLANNED, person, day=day),
                PLAN_DONE: _total(data, PLAN_DONE, person, day=day), ANOMALY: _total(data, ANOMALY, person, day=day),
                FOLLOWED: sum(1 for r in data.rows if r["项目"] == ANOMALY and r["客服"] == person
                              and r["日期"] == day and follow[r["序号"]] == "是")}
    return out


def figures(data: WeekData) -> dict[str, dict]:
    """Python's value of every formula cell: {sheet: {key: {header: value}}}."""
    days = daily(data)
    follow = followed(data)
    week = {}
    for person in [*data.staff, None]:
        v = {t: _total(data, VALID, person, t) for t in TYPE_COLUMNS}
        v[VALID] = _total(data, VALID, person)
        v[PLANNED], v[PLAN_DONE] = _total(data, PLANNED, person), _total(data, PLAN_DONE, person)
        v["计划完成率"] = None if v[PLANNED] == 0 else v[PLAN_DONE] / v[PLANNED]
        v["达标天数"] = sum(1 for (who, _), d in days.items() if d["达标"] == "是" and person in (None, who))
        for item in (REMINDED, RECEIVED, AMOUNT, STEP, ANOMALY):
            v[item] = _total(data, item, person)
        v[FOLLOWED] = sum(1 for r in data.rows if r["项目"] == ANOMALY and person in (None, r["客服"])
                          and follow[r["序号"]] == "是")
        v["不满意客户"] = _total(data, UNHAPPY, person)
        answered = _total(data, ANSWERED, person)
        v["咨询及时率"] = None if answered == 0 else _total(data, IN_TIME, person) / answered
        week[person or "合计"] = v
    return {"周报": week, "每日": days, "数据": {n: {FOLLOWED: v} for n, v in follow.items()},
            "投诉": {"投诉新增": _total(data, COMPLAINT_NEW), "投诉超时": _total(data, COMPLAINT_LATE)}}
