"""Holiday greetings for every archived client (kefu-xl greet; docs/archive.md: 每逢节日
都要问候客户): for each statutory holiday starting in the next days, one text per client
from a jinja2 template (the workspace's own file wins), with whom to send it to."""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar

from ..calendar import WorkCalendar
from ..config import Config, load_config
from ..errors import KefuError
from ..hints import command
from ..io.safe_write import atomic_write, check_not_open
from ..io.values import mask_phone
from ..kinds import archive
from ..kinds.base import read_tracker
from ..kinds.team_view import team_snapshot
from ..messages import Message, packaged
from ..month import Month
from ..records import Problem, Severity
from ..rules import completion

TEMPLATE_NAME = "节日问候.txt.j2"
FIXED_NAMES = {(1, 1): "元旦", (5, 1): "劳动节", (10, 1): "国庆节"}
# chinesecalendar's short names (中秋, 端午 …) as people write them in a greeting
FULL_NAMES = {"清明": "清明节", "端午": "端午节", "中秋": "中秋节"}
CHINESE = {h.value: FULL_NAMES.get(h.chinese, h.chinese) for h in chinese_calendar.Holiday}


@dataclass(frozen=True)
class Holiday:
    first: date                   # the first day off
    name: str                     # 国庆节, 春节 …


@dataclass(frozen=True)
class Greeting:
    holiday: Holiday
    account_id: str
    client: str
    contact: str
    phone: str
    staff: str
    text: str


def holidays_starting(first: date, last: date, calendar: WorkCalendar, config: Config,
                      notes: list[str]) -> list[Holiday]:
    """Statutory holidays whose first day off is in [first, last]: from chinesecalendar for the
    years it knows, else from kefu-xl.toml [calendar] holidays (names from [calendar] names,
    or 元旦/劳动节/国庆节 by date); a year known to neither gets a note and no greeting."""
    out, unknown = [], []
    day = first
    while day <= last:
        if calendar.library_knows(day.year):
            on, name = chinese_calendar.get_holiday_detail(day)
            before_on, before = chinese_calendar.get_holiday_detail(day - timedelta(days=1)) \
                if calendar.library_knows((day - timedelta(days=1)).year) else (False, None)
            if on and name and not (before_on and before == name):
                out.append(Holiday(day, config.holiday_names.get(day) or CHINESE.get(name, name)))
        elif day.year in calendar.config_years:
            if day in config.extra_holidays and day - timedelta(days=1) not in config.extra_holidays:
                out.append(Holiday(day, _config_name(day, config, notes)))
        elif day.year not in unknown:
            unknown.append(day.year)
        day += timedelta(days=1)
    for year in unknown:
        notes.append(f"{year} 年的法定节假日安排尚未收录（chinesecalendar 库和 {config.source} 都没有）："
                     f"{max(first, date(year, 1, 1))} 起的节日无法确定，没有生成问候。国务院公布安排后，请在 kefu-xl.toml 的 "
                     f"[calendar] 中填写 holidays（放假日）和 names（如 {{ \"{year}-02-06\" = \"春节\" }}），或升级 chinesecalendar。")
    return out


def _config_name(day: date, config: Config, notes: list[str]) -> str:
    run, d = [], day
    while d in config.extra_holidays:
        run.append(d)
        d += timedelta(days=1)
    for d in run:
        if d in config.holiday_names:
            return config.holiday_names[d]
    for d in run:
        if (d.month, d.day) in FIXED_NAMES:
            return FIXED_NAMES[(d.month, d.day)]
    notes.append(f"{day} 起的假期在 kefu-xl.toml [calendar] names 中没有名称，问候里写作「节日」：请补上，"
                 f"例如 names = {{ \"{day}\" = \"春节\" }}。")
    return "节日"


def default_template() -> str:
    return packaged(TEMPLATE_NAME)


def clients(workspace: Path, month: Month, config: Config, problems: list[Problem]) -> list[dict]:
    """One entry per archived client: the decision maker's row (else the first with a 联系人),
    its 客服 from the month's 维护跟踪."""
    path = archive.path_of(workspace)
    if not path.exists():
        raise KefuError(f"没有 {path}：客户档案在开月时生成（{command(f'month open {month}', workspace)}），联系人填好后再生成问候。")
    _, datas = read_tracker(path, lambda m: archive.spec(config), (archive.FILES,), month=month)
    if datas[archive.FILES] is None:
        raise KefuError(f"{path.name} 的「{archive.FILES}」表头不完整，无法读取：请把表头改回原样。")
    rows = archive.read_files(datas[archive.FILES], path.name, problems)
    tracker = workspace / str(month) / f"维护跟踪_{month}.xlsx"
    snapshot = team_snapshot(workspace / str(month), month, config) if tracker.exists() else None
    owners = {completion.id_key(a["帐户ID"]): a["客服"] for a in snapshot[0]} if snapshot else {}
    chosen: dict[str, archive.FileRow] = {}
    names: dict[str, str] = {}
    for r in rows:
        key = completion.id_key(r.account_id)
        if not r.account_id:
            continue
        if r.client:
            names.setdefault(key, r.client)
        best = chosen.get(key)
        if best is None or (not best.contact and r.contact) or (r.decision_maker and not best.decision_maker and r.contact):
            chosen[key] = r
    out = []
    for key, r in chosen.items():
        client = names.get(key, "")
        if not r.contact or not r.phone:
            problems.append(Problem(path.name, archive.FILES, r.row, "联系人" if not r.contact else "手机", "NO_CONTACT",
                                    f"帐户「{r.account_id}」（{client or '—'}）没有联系人或手机：问候写给客户名称，请补上联系方式。",
                                    Severity.WARNING))
        out.append({"帐户ID": r.account_id, "客户名称": client, "联系人": r.contact, "手机": r.phone,
                    "客服": owners.get(key, "")})
    return out


def greetings(workspace: Path, month: Month, as_of: date, whole_month: bool = False) -> tuple[
        list[Holiday], list[Greeting], list[str], list[Problem], str]:
    """The holidays starting within greet_days of `as_of` (`whole_month`: from `as_of` to
    greet_days after the month's end — asked for a month other than today's), and a greeting
    for each client."""
    config = load_config(workspace / "kefu-xl.toml")
    notes: list[str] = []
    until = (month.last if whole_month else as_of) + timedelta(days=config.archive.greet_days)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = holidays_starting(as_of, until, WorkCalendar(config), config, notes)
    problems: list[Problem] = []
    if not found:
        return found, [], notes, problems, ""
    people = clients(workspace, month, config, problems)
    message = Message(workspace, TEMPLATE_NAME, "问候")
    out = []
    for h in found:
        for c in people:
            context = {"节日": h.name, "放假日期": f"{h.first.month}月{h.first.day}日", "年份": h.first.year,
                       "称呼": c["联系人"] or c["客户名称"], **c}
            body = message.render(context)
            out.append(Greeting(h, c["帐户ID"], c["客户名称"], c["联系人"], c["手机"], c["客服"], body))
    return found, out, notes, problems, message.source


def write_greetings(workspace: Path, month: Month, as_of: date, *, mask: bool = False, whole_month: bool = False):
    """节日问候_YYYY-MM-DD.txt in the month's folder, grouped by 客服 then client."""
    found, items, notes, problems, source = greetings(workspace, month, as_of, whole_month)
    if not found:
        return None, found, items, notes, problems, source
    target = workspace / str(month) / f"节日问候_{as_of.isoformat()}.txt"
    check_not_open(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    blocks = []
    for h in found:
        mine = sorted((g for g in items if g.holiday == h), key=lambda g: (g.staff or "~", g.account_id))
        blocks.append(f"==== {h.name}（{h.first.isoformat()} 起放假）：{len(mine)} 位客户 ====\n")
        for g in mine:
            phone = mask_phone(g.phone) if mask else g.phone
            who = "、".join(x for x in (g.contact, phone) if x) or "没有联系方式"
            blocks.append(f"—— {g.client}（帐户 {g.account_id}，客服 {g.staff or '—'}）发给：{who} ——\n{g.text}\n")
    atomic_write(target, lambda tmp: tmp.write_text("\n".join(blocks), "utf-8"))
    return target, found, items, notes, problems, source
