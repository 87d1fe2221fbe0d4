"""The rules' numbers: the documented defaults (docs/config.md), overridden by a workspace's kefu-xl.toml.

The commented default file (templates/kefu-xl.toml) is the single source of the
defaults: `kefu-xl init` copies it, and `load_config()` reads it first.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from datetime import date, time
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .records import Hours, Targets

CONFIG_NAME = "kefu-xl.toml"
LEVELS = ("一级", "二级", "三级")          # highest first
STARS = ("一星", "二星", "三星")
COMPLAINT_CHANNELS = ("电话", "论坛", "微博", "微信", "其他")
ONLINE_CHANNELS = ("在线", "400电话", "微信", "官网留言", "其他")
COMMISSION_MODES = ("全额", "累进")
MONTHLY_KINDS = ("maintenance", "renewal", "newclient", "refunds", "complaints", "onlinesales")


def default_config_text() -> str:
    return resources.files("kefu_xl").joinpath("templates", CONFIG_NAME).read_text("utf-8")


@dataclass(frozen=True)
class Band:
    band: str
    min_spend: Decimal
    level: str


@dataclass(frozen=True)
class Tier:
    """A commission tier: from this monthly deal total (yuan) on, this rate."""
    start: Decimal
    rate: Decimal


@dataclass(frozen=True)
class OnlineSales:
    """The online-sales desk's rules (kefu-xl.toml [onlinesales], docs/onlinesales.md)."""
    follow_up_working_days: int = 1
    daily_connected_target: int = 10
    managers: tuple[str, ...] = ()
    desk: tuple[str, ...] = ()
    commission_mode: str = "全额"
    commission: tuple[Tier, ...] = (Tier(Decimal(0), Decimal("0.02")),)
    desk_commission: tuple[Tier, ...] = (Tier(Decimal(0), Decimal("0.02")),)


@dataclass(frozen=True)
class Watch:
    """[watch]: the daily spend watch's anomaly rule (docs/watch.md)."""
    ratio: Decimal = Decimal("0.5")
    minimum: Decimal = Decimal(100)
    exports: int = 7
    balance_days: int = 7


@dataclass(frozen=True)
class Archive:
    """[archive]: callback cadence and handover checks of the client archive (docs/archive.md)."""
    max_gap: int = 10
    min_contacts: int = 2
    handover_days: int = 5
    greet_days: int = 14


@dataclass(frozen=True)
class Prospects:
    """[prospects]: 商务's prospects called back by 客服 (docs/prospects.md): the callback is due
    within `callback_days` working days after the visit (出访日期)."""
    callback_days: int = 1


@dataclass(frozen=True)
class Backups:
    """[backup]: how many copies .kefu-backup/ keeps of each file (docs/reliability.md): the newest
    `keep` and every copy younger than `keep_days` days; older ones beyond both go."""
    keep: int = 20
    keep_days: int = 7


@dataclass(frozen=True)
class Inquiries:
    """[inquiries]: the 咨询 answer times (docs/inquiries.md) — 网络 within `online_minutes` working
    minutes for 一级/二级; 邮件 一级 the same working day, 二级 one working day, 三级 two."""
    online_minutes: int = 60


@dataclass(frozen=True)
class Journal:
    """[journal]: when a day's records close (docs/journal.md) — a record first seen in a file
    saved after `close_at` on the next working day is 补录, counted as usual and shown with how
    late (`late_entry` "count"), or counted as invalid (「补录」, `late_entry` "invalid": a rule of
    valid work, recorded in a month's _meta at month open as ValidRules.late_invalid)."""
    close_at: time = time(10, 0)
    late_entry: str = "count"
    managers: tuple[str, ...] = ()       # 电脑用户名 of the managers: their saves are not 他人保存


# The scorecard's measures (docs/scorecard.md): [scorecard] key → 指标; the ratios take shares
# (0.9 = 90%); 补录 is better when lower.
SCORECARD_MEASURES = {"spend": "管理消耗额", "satisfaction": "客户满意度", "renewal": "续费率",
                      "optimisation": "优化完成率", "maintenance": "维护完成率", "daily_work": "日均有效工作",
                      "attendance": "到会率", "inquiries": "咨询及时率", "exam": "考试", "late_entries": "补录"}
SCORECARD_RATIOS = ("satisfaction", "renewal", "optimisation", "maintenance", "attendance", "inquiries")
SCORECARD_LOWER = ("late_entries",)
DEFAULT_WEIGHTS = {"spend": 15, "satisfaction": 15, "renewal": 15, "optimisation": 10, "maintenance": 15,
                   "daily_work": 10, "attendance": 5, "inquiries": 5, "exam": 5, "late_entries": 5}


@dataclass(frozen=True)
class Standard:
    """One measure's standard on the scorecard: at or beyond `passing` 达标, at or beyond
    `warning` 预警 (= passing when not set: no 预警 band), else 未达标; `lower` when less is better."""
    passing: Decimal
    warning: Decimal
    lower: bool = False


@dataclass(frozen=True)
class Scorecard:
    """[scorecard]: the manager's standard per measure (a measure not listed is 未设标准) and
    [scorecard.weights]: each measure's weight in 综合得分 (docs/scorecard.md)."""
    standards: dict[str, Standard] = field(default_factory=dict)
    weights: dict[str, Decimal] = field(default_factory=lambda: {k: Decimal(v) for k, v in DEFAULT_WEIGHTS.items()})


@dataclass(frozen=True)
class Serve:
    """[serve]: when `kefu-xl serve` makes the morning plans, how often it looks, how often it collects (docs/daily.md)."""
    plan_at: time = time(7, 30)
    poll_seconds: Decimal = Decimal(10)
    collect_minutes: int = 15


PLAN_KINDS = ("咨询", "异常", "续费", "未联系上", "电话拜访", "报表发送", "预约上门", "上门拜访", "回访", "不满意回访", "帐户优化",
              "新客户", "晚总结")
OPTIONAL_KINDS = ("未联系上", "晚总结", "咨询")   # a day without these blocks plans their items where they are
                                                  # (咨询 without a block of its own: in 异常's)


@dataclass(frozen=True)
class PlanBlock:
    """One time block of 今日 ([plan] blocks, docs/plan.md): from `start` to `end`, `name`, the
    item kinds it holds."""
    start: time
    end: time
    name: str
    kinds: tuple[str, ...]

    @property
    def minutes(self) -> int:
        return (self.end.hour * 60 + self.end.minute) - (self.start.hour * 60 + self.start.minute)

    @property
    def slot(self) -> str:
        """时间段 as 今日 shows it: 「13:00-14:00 回访」."""
        return f"{self.start:%H:%M}-{self.end:%H:%M} {self.name}"


DEFAULT_BLOCKS = (
    PlanBlock(time(9), time(10), "看消耗", ("咨询", "异常")),
    PlanBlock(time(10), time(10, 30), "续费", ("续费",)),
    PlanBlock(time(10, 30), time(12), "未联系上", ("未联系上",)),
    PlanBlock(time(13), time(14), "回访", ("电话拜访", "报表发送", "预约上门", "上门拜访", "回访", "不满意回访")),
    PlanBlock(time(14), time(16), "优化", ("帐户优化",)),
    PlanBlock(time(16), time(17), "新开客户", ("新客户",)),
    PlanBlock(time(17), time(17, 30), "晚总结", ("晚总结",)),
)
DEFAULT_MINUTES = {"咨询": 10, "电话拜访": 10, "报表发送": 10, "帐户优化": 30, "续费": 10, "新客户": 20, "异常": 10, "预约上门": 10,
                   "上门拜访": 60, "回访": 10, "不满意回访": 10, "未联系上": 10, "晚总结": 0}


@dataclass(frozen=True)
class PlanSettings:
    """[plan]: the day's time blocks, the minutes of each item kind, the month's 报表日 (docs/plan.md)."""
    blocks: tuple[PlanBlock, ...] = DEFAULT_BLOCKS
    minutes: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_MINUTES))
    report_days: int = 2

    def block_of(self, kind: str) -> PlanBlock | None:
        return next((b for b in self.blocks if kind in b.kinds), None)


RULES_VERSION = 3      # 1: the second wave's valid work; 2: + an identical record counts once;
#                       3: + work counts when it achieved something (到帐, 到会, 满意度, 客户接受, 认可)
OUTCOME_SWITCHES = ("renewal_paid", "invitation_attended", "satisfaction", "visit_satisfaction",
                    "optimisation_accepted", "other_recognised")


@dataclass(frozen=True)
class ValidRules:
    """Which rules of valid work a month applies (docs/work.md, [work.valid]). A month keeps the
    rules it was opened with (its workbooks' _meta): a later release or setting never changes a
    past month's figures unless the manager opts the month in (month open --refresh --rules current).

    version: the release's rule version the month was opened with.
    duplicates: a record identical to an earlier one (日期·客服·帐户ID·工作类型·沟通对象·内容摘要) is 重复.
    renewal_paid: 续费完成 counts once the account's 到帐日期 is in 续费跟踪 (in the month, not after today).
    invitation_attended: 电话邀约 counts once the client is marked 到会 at the next 见面会.
    satisfaction: 电话拜访 counts with its 满意度 filled; visit_satisfaction: 上门拜访 too.
    optimisation_accepted: 帐户优化 counts when 客户接受 is 是.
    other_recognised: 其他 counts unless the manager marks it 不认可 in 抽查.
    late_invalid: a record the 日志 judged 补录 does not count ([journal] late_entry = "invalid").
    since: the first month the outcome rules apply to (None: every month this version opens);
      not recorded in _meta: a month opened before it gets them switched off."""
    version: int = RULES_VERSION
    duplicates: bool = True
    renewal_paid: bool = True
    invitation_attended: bool = True
    satisfaction: bool = True
    visit_satisfaction: bool = False
    optimisation_accepted: bool = True
    other_recognised: bool = True
    late_invalid: bool = False
    since: str | None = None

    def switches(self) -> dict[str, bool]:
        return {"duplicates": self.duplicates, **{name: getattr(self, name) for name in OUTCOME_SWITCHES},
                "late_invalid": self.late_invalid}

    def for_month(self, month) -> "ValidRules":
        """The rules a month opened now records: the outcome rules off before `since`."""
        if self.since is None or str(month) >= self.since:
            return replace(self, since=None)
        return replace(self, since=None, late_invalid=False, **dict.fromkeys(OUTCOME_SWITCHES, False))


@dataclass(frozen=True)
class Config:
    """Every rule number kefu-xl uses; see templates/kefu-xl.toml for meanings."""
    bands: tuple[Band, ...]
    other_band: str
    other_level: str
    targets: dict[str, Targets]
    hours: dict[str, Decimal]
    capacity: dict[str, int]
    daily_valid_target: Decimal
    commission_rate: Decimal
    due_balance_days: int
    due_contract_days: int
    deposit: Decimal
    fine_per_missing: Decimal
    min_working_days: int
    extra_holidays: frozenset[date]
    extra_workdays: frozenset[date]
    monthly: tuple[str, ...] = ("maintenance", "renewal", "newclient", "refunds", "complaints")
    reply_working_days: dict[str, int] = field(default_factory=lambda: {c: 1 for c in COMPLAINT_CHANNELS})
    blacklist_size: int = 3
    redlist_size: int = 3
    callback_hours: Hours = field(default_factory=Hours)
    work_hours: tuple[tuple[time, time], ...] = ((time(9), time(12)), (time(13), time(18)))   # [calendar] work_hours
    inquiries: Inquiries = field(default_factory=lambda: Inquiries())
    missed_rate_target: Decimal = Decimal("0.25")
    onlinesales: OnlineSales = field(default_factory=OnlineSales)
    personal: bool = True                      # [personal] enabled: one workbook per person
    renewal_follow_up_days: int = 5
    spot_checks_per_day: int = 4
    watch: Watch = field(default_factory=lambda: Watch())
    archive: Archive = field(default_factory=lambda: Archive())
    prospects: Prospects = field(default_factory=Prospects)
    serve: Serve = field(default_factory=lambda: Serve())
    holiday_names: dict[date, str] = field(default_factory=dict)
    headers: dict[str, tuple[str, ...]] = field(default_factory=dict)   # [headers]: more names of a header
    valid: ValidRules = field(default_factory=ValidRules)   # [work.valid]; a month's own from its _meta
    backups: Backups = field(default_factory=Backups)
    journal: Journal = field(default_factory=Journal)
    scorecard: Scorecard = field(default_factory=Scorecard)
    plan: PlanSettings = field(default_factory=PlanSettings)
    source: str = "默认配置"


class _Reader:
    """Reads typed values out of the merged TOML dict, naming key and file on error."""

    def __init__(self, data: dict, source: str):
        self.data, self.source = data, source

    def fail(self, key: str, what: str) -> ConfigError:
        return ConfigError(f"配置文件 {self.source} 中的「{key}」{what}，请改正后再运行。")

    def get(self, key: str) -> Any:
        node: Any = self.data
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                raise self.fail(key, "缺失")
            node = node[part]
        return node

    def number(self, key: str, value: Any = None, *, minimum: Decimal | None = Decimal(0),
               integer: bool = False) -> Decimal:
        value = self.get(key) if value is None else value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(key, f"应为数字，现在是「{value}」")
        number = Decimal(str(value))
        if integer and number != number.to_integral_value():
            raise self.fail(key, f"应为整数，现在是「{value}」")
        if minimum is not None and number < minimum:
            raise self.fail(key, f"不能小于 {minimum}，现在是 {value}")
        return number

    def clock(self, key: str, value: Any = None) -> time:
        value = self.get(key) if value is None else value
        try:
            hour, minute = (int(part) for part in str(value).split(":"))
            return time(hour, minute)
        except ValueError:
            raise self.fail(key, f"应为时间，例如 \"09:00\"，现在是「{value}」") from None

    def dates(self, key: str) -> frozenset[date]:
        values = self.get(key)
        if not isinstance(values, list):
            raise self.fail(key, "应为日期列表，例如 [\"2027-01-01\"]")
        out = set()
        for v in values:
            if isinstance(v, date):
                out.add(v)
                continue
            try:
                out.add(date.fromisoformat(str(v)))
            except ValueError:
                raise self.fail(key, f"中的「{v}」不是日期（应写成 2027-01-01）") from None
        return frozenset(out)


def _merge(base: dict, override: dict) -> dict:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def parse_config(data: dict, source: str) -> Config:
    r = _Reader(data, source)
    bands_raw = r.get("levels.bands")
    if not isinstance(bands_raw, list) or not bands_raw:
        raise r.fail("levels.bands", "应为非空的分档列表")
    bands = []
    for i, b in enumerate(bands_raw):
        key = f"levels.bands[{i + 1}]"
        if not isinstance(b, dict) or not {"band", "min", "level"} <= b.keys():
            raise r.fail(key, "应写成 { band = \"A\", min = 2000, level = \"一级\" }")
        if b["level"] not in LEVELS:
            raise r.fail(key + ".level", f"应为 一级/二级/三级 之一，现在是「{b['level']}」")
        bands.append(Band(str(b["band"]), r.number(key + ".min", b["min"]), b["level"]))
    for prev, cur in zip(bands, bands[1:]):
        if cur.min_spend >= prev.min_spend:
            raise r.fail("levels.bands", f"应按下限从高到低排列（{prev.band} 档之后是 {cur.band} 档）")
    if bands[-1].min_spend <= 0:
        raise r.fail("levels.bands", "最后一档的下限应大于 0（0 和空白属于 other_band）")
    other_level = r.get("levels.other_level")
    if other_level not in LEVELS:
        raise r.fail("levels.other_level", f"应为 一级/二级/三级 之一，现在是「{other_level}」")

    targets, hours = {}, {}
    for level in LEVELS:
        base = f"targets.{level}"
        targets[level] = Targets(*(int(r.number(f"{base}.{k}", integer=True))
                                   for k in ("phone", "visit", "report", "optimize")))
        hours[level] = r.number(f"{base}.hours")
    capacity = {star: int(r.number(f"capacity.{star}", integer=True)) for star in STARS}
    rate = r.number("renewal.commission_rate")
    if rate > 1:
        raise r.fail("renewal.commission_rate", f"是比例，应在 0 到 1 之间（1% 写 0.01），现在是 {rate}")
    monthly = r.get("workbooks.monthly")
    if not isinstance(monthly, list) or not monthly or any(m not in MONTHLY_KINDS for m in monthly):
        raise r.fail("workbooks.monthly", f"应为 {MONTHLY_KINDS} 中的一个或几个，现在是 {monthly}")
    reply_default = int(r.number("complaints.reply_working_days", integer=True))
    by_channel = r.get("complaints.reply_working_days_by_channel")
    if not isinstance(by_channel, dict) or any(c not in COMPLAINT_CHANNELS for c in by_channel):
        raise r.fail("complaints.reply_working_days_by_channel",
                     f"应写成 {{ 电话 = 2 }}，渠道为 {'/'.join(COMPLAINT_CHANNELS)}，现在是 {by_channel}")
    reply_days = {c: int(r.number(f"complaints.reply_working_days_by_channel.{c}", by_channel[c], integer=True))
                  if c in by_channel else reply_default for c in COMPLAINT_CHANNELS}
    work_hours = _work_hours(r)
    return Config(
        monthly=tuple(monthly),
        bands=tuple(bands),
        other_band=str(r.get("levels.other_band")),
        other_level=other_level,
        targets=targets,
        hours=hours,
        capacity=capacity,
        daily_valid_target=r.number("work.daily_valid_target"),
        commission_rate=rate,
        due_balance_days=int(r.number("renewal.due_balance_days", integer=True)),
        due_contract_days=int(r.number("renewal.due_contract_days", integer=True)),
        deposit=r.number("orders.deposit"),
        fine_per_missing=r.number("orders.fine_per_missing"),
        min_working_days=int(r.number("refunds.min_working_days", integer=True)),
        extra_holidays=r.dates("calendar.holidays"),
        extra_workdays=r.dates("calendar.workdays"),
        reply_working_days=reply_days,
        blacklist_size=int(r.number("complaints.blacklist_size", integer=True)),
        redlist_size=int(r.number("complaints.redlist_size", integer=True)),
        callback_hours=_callback_hours(r, work_hours),
        work_hours=work_hours,
        inquiries=Inquiries(online_minutes=int(r.number("inquiries.online_minutes",
                                                        r.data.get("inquiries", {}).get("online_minutes", 60),
                                                        integer=True, minimum=Decimal(1)))),
        missed_rate_target=r.number("callbacks.missed_rate_target"),
        onlinesales=_onlinesales(r),
        personal=_flag(r, "personal.enabled"),
        renewal_follow_up_days=int(r.number("personal.renewal_follow_up_days", integer=True)),
        spot_checks_per_day=int(r.number("work.spot_checks_per_day", integer=True)),
        watch=Watch(ratio=r.number("watch.anomaly_ratio"), minimum=r.number("watch.anomaly_min"),
                    exports=int(r.number("watch.average_exports", integer=True, minimum=Decimal(1))),
                    balance_days=int(r.number("watch.balance_days", integer=True))),
        archive=Archive(max_gap=int(r.number("archive.max_gap_working_days", integer=True)),
                        min_contacts=int(r.number("archive.min_contacts_per_month", integer=True)),
                        handover_days=int(r.number("archive.handover_working_days", integer=True)),
                        greet_days=int(r.number("archive.greet_days_ahead", integer=True))),
        prospects=Prospects(callback_days=int(r.number("prospects.prospect_callback_days", integer=True))),
        serve=Serve(plan_at=r.clock("serve.plan_at"),
                    poll_seconds=r.number("serve.poll_seconds", minimum=Decimal(1)),
                    collect_minutes=int(r.number("serve.collect_minutes", integer=True))),
        holiday_names=_holiday_names(r),
        headers=_header_aliases(r),
        valid=replace(_valid_rules(r), late_invalid=_late_entry(r) == "invalid"),
        backups=Backups(keep=int(r.number("backup.keep", integer=True, minimum=Decimal(1))),
                        keep_days=int(r.number("backup.keep_days", integer=True))),
        journal=Journal(close_at=r.clock("journal.close_at"), late_entry=_late_entry(r), managers=_managers(r)),
        scorecard=_scorecard(r),
        plan=_plan(r),
        source=source,
    )


def _plan(r: _Reader) -> PlanSettings:
    """[plan]: blocks in time order, each kind in one block, minutes per kind."""
    table = r.data.get("plan", {})
    raw = table.get("blocks", None)
    if raw is None:
        blocks = DEFAULT_BLOCKS
    else:
        if not isinstance(raw, list) or not raw:
            raise r.fail("plan.blocks", "应为时间段列表，例如 [ { time = \"09:00-10:00\", name = \"看消耗\", items = [\"异常\"] } ]")
        blocks, seen = [], {}
        for i, b in enumerate(raw):
            key = f"plan.blocks[{i + 1}]"
            if not isinstance(b, dict) or not {"time", "name", "items"} <= b.keys():
                raise r.fail(key, "应写成 { time = \"13:00-14:00\", name = \"回访\", items = [\"电话拜访\"] }")
            start, _, end = str(b["time"]).partition("-")
            start, end = r.clock(key + ".time", start.strip()), r.clock(key + ".time", end.strip() or "x")
            if end <= start:
                raise r.fail(key + ".time", f"的结束时间应晚于开始时间，现在是「{b['time']}」")
            items = b["items"]
            if not isinstance(items, list) or any(k not in PLAN_KINDS for k in items):
                raise r.fail(key + ".items", f"应为事项种类的列表（{'、'.join(PLAN_KINDS)}），现在是 {items}")
            for k in items:
                if k in seen:
                    raise r.fail(key + ".items", f"中的「{k}」已经在「{seen[k]}」时间段里：每种事项只能放进一个时间段")
                seen[k] = str(b["name"])
            blocks.append(PlanBlock(start, end, str(b["name"]).strip(), tuple(items)))
        missing = [k for k in PLAN_KINDS if k not in seen and k not in OPTIONAL_KINDS]
        if missing:
            raise r.fail("plan.blocks", f"没有安排「{'」「'.join(missing)}」：每种事项都要放进一个时间段")
        blocks.sort(key=lambda b: b.start)
        blocks = tuple(blocks)
    minutes = dict(DEFAULT_MINUTES)
    given = table.get("minutes", {})
    if not isinstance(given, dict) or any(k not in PLAN_KINDS for k in given):
        raise r.fail("plan.minutes", f"应写成 \"电话拜访\" = 10，事项种类为 {'、'.join(PLAN_KINDS)}")
    for k, v in given.items():
        minutes[k] = int(r.number(f"plan.minutes.{k}", v, integer=True))
    report_days = int(r.number("plan.report_days", table.get("report_days", 2), integer=True))
    return PlanSettings(blocks, minutes, report_days)


def _managers(r: _Reader) -> tuple[str, ...]:
    value = r.data.get("journal", {}).get("managers", [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise r.fail("journal.managers", f"应为用户名的列表，例如 [\"WANG-PC\"]，而不是 {value!r}")
    return tuple(v.strip() for v in value if v.strip())


def _scorecard(r: _Reader) -> Scorecard:
    table = r.data.get("scorecard", {})             # optional: a workspace made before it has none
    if not isinstance(table, dict):
        raise r.fail("scorecard", "应写成一节 [scorecard]")
    known = "、".join(SCORECARD_MEASURES)
    standards = {}
    for key, value in table.items():
        if key == "weights":
            continue
        name = f"scorecard.{key}"
        if key not in SCORECARD_MEASURES:
            raise r.fail(name, f"不是考核指标；可以写的有：{known}")
        label = SCORECARD_MEASURES[key]
        if not isinstance(value, dict) or "pass" not in value or set(value) - {"pass", "warn", "direction"}:
            raise r.fail(name, f"（{label}）应写成 {{ pass = 达标线, warn = 预警线 }}，例如 {_example(key)}")
        direction = value.get("direction", "lower" if key in SCORECARD_LOWER else "higher")
        if direction not in ("higher", "lower"):
            raise r.fail(name + ".direction", f"应为 \"higher\"（越高越好）或 \"lower\"（越低越好），现在是「{direction}」")
        passing = r.number(name + ".pass", value["pass"])
        warning = r.number(name + ".warn", value["warn"]) if "warn" in value else passing
        if key in SCORECARD_RATIOS:
            for part, number in (("pass", passing), ("warn", warning)):
                if number > 1:
                    raise r.fail(f"{name}.{part}", f"（{label}）是比例，应在 0 到 1 之间（90% 写 0.9），现在是 {number}")
        lower = direction == "lower"
        if (warning > passing) if not lower else (warning < passing):
            raise r.fail(name, f"（{label}）的预警线 {warning} 应{'高' if lower else '低'}于或等于达标线 {passing}"
                               f"（{'越低越好' if lower else '越高越好'}）")
        standards[key] = Standard(passing, warning, lower)
    weights_raw = table.get("weights", {})
    if not isinstance(weights_raw, dict):
        raise r.fail("scorecard.weights", "应写成一节 [scorecard.weights]，每行 指标 = 权重")
    weights = {k: Decimal(v) for k, v in DEFAULT_WEIGHTS.items()}
    for key, value in weights_raw.items():
        if key not in SCORECARD_MEASURES:
            raise r.fail(f"scorecard.weights.{key}", f"不是考核指标；可以写的有：{known}")
        weights[key] = r.number(f"scorecard.weights.{key}", value)
    return Scorecard(standards, weights)


def _example(key: str) -> str:
    if key in SCORECARD_RATIOS:
        return "{ pass = 0.9, warn = 0.8 }"
    return {"spend": "{ pass = 200000, warn = 150000 }", "daily_work": "{ pass = 4, warn = 3 }",
            "exam": "{ pass = 80, warn = 60 }", "late_entries": "{ pass = 0, warn = 3 }"}[key]


def _late_entry(r: _Reader) -> str:
    value = r.data.get("journal", {}).get("late_entry", "count")
    if value not in ("count", "invalid"):
        raise r.fail("journal.late_entry", f"应为 \"count\"（补录照常计入）或 \"invalid\"（补录不计），而不是 {value!r}")
    return value


def _valid_rules(r: _Reader) -> ValidRules:
    table = r.data.get("work", {}).get("valid", {})
    known = {"duplicates", "since", *OUTCOME_SWITCHES}
    for key in table:
        if key not in known:             # a misspelt switch would silently change nothing
            raise r.fail(f"work.valid.{key}", f"不是 [work.valid] 的设置；可以写的有：{'、'.join(sorted(known))}")
    since = table.get("since")     # optional
    if since is not None:
        if not isinstance(since, str) or not re.fullmatch(r"\d{4}-\d{2}", since.strip()):
            raise r.fail("work.valid.since", f"应写成 \"2027-01\"（从这个月起按新规则），现在是「{since}」")
        since = since.strip()
    return ValidRules(duplicates=_flag(r, "work.valid.duplicates"),
                      **{name: _flag(r, f"work.valid.{name}") for name in OUTCOME_SWITCHES}, since=since)


def _holiday_names(r: _Reader) -> dict[date, str]:
    names = r.data.get("calendar", {}).get("names", {})      # optional: a [calendar] without names is fine
    if not isinstance(names, dict):
        raise r.fail("calendar.names", "应写成 { \"2027-02-06\" = \"春节\" }")
    out = {}
    for key, name in names.items():
        try:
            out[date.fromisoformat(str(key))] = str(name)
        except ValueError:
            raise r.fail("calendar.names", f"中的「{key}」不是日期（应写成 2027-02-06）") from None
    return out


def _header_aliases(r: _Reader) -> dict[str, tuple[str, ...]]:
    """[headers]: kefu-xl's header = the other names an export uses for it (a name or a list)."""
    table = r.data.get("headers", {})                      # optional: older workspaces have none
    if not isinstance(table, dict):
        raise r.fail("headers", "应写成一节 [headers]，每行 \"表头\" = [\"别名\", …]")
    out = {}
    for header, names in table.items():
        names = [names] if isinstance(names, str) else names
        if not isinstance(names, list) or not names or any(not isinstance(n, str) or not n.strip() for n in names):
            raise r.fail(f"headers.{header}", f"应为别名列表，例如 \"{header}\" = [\"账号\", \"广告账户\"]，现在是 {table[header]!r}")
        out[str(header).strip()] = tuple(n.strip() for n in names)
    return out


def _work_hours(r: _Reader) -> tuple[tuple[time, time], ...]:
    """[calendar] work_hours "09:00-12:00,13:00-18:00": a working day's spans, in order."""
    text = r.data.get("calendar", {}).get("work_hours", "09:00-12:00,13:00-18:00")   # (older files: the 5×8 day)
    spans = []
    try:
        for part in str(text).split(","):
            start, end = part.strip().split("-")
            spans.append((r.clock("calendar.work_hours", start.strip()), r.clock("calendar.work_hours", end.strip())))
    except ValueError:
        spans = []
    if not spans or any(s >= e for s, e in spans) or any(a[1] > b[0] for a, b in zip(spans, spans[1:])):
        raise r.fail("calendar.work_hours", f"应写成 \"09:00-12:00,13:00-18:00\"（上班时段，按先后，用逗号隔开），现在是「{text}」")
    return tuple(spans)


def _callback_hours(r: _Reader, work_hours) -> Hours:
    """The call desk's hours: its day runs from the first working span's start to the last one's
    end ([calendar] work_hours, one calendar for both desks), unless an older kefu-xl.toml still
    sets [callbacks] work_start / work_end."""
    checks = r.get("callbacks.check_times")
    if not isinstance(checks, list) or not checks:
        raise r.fail("callbacks.check_times", "应为时间列表，例如 [\"10:00\", \"13:00\"]")
    own = r.data.get("callbacks", {})
    start = r.clock("callbacks.work_start") if "work_start" in own else work_hours[0][0]
    end = r.clock("callbacks.work_end") if "work_end" in own else work_hours[-1][1]
    hours = Hours(start=start, end=end,
                  noon=r.clock("callbacks.next_day_time"),
                  new_minutes=int(r.number("callbacks.new_signup_minutes", integer=True)),
                  old_minutes=int(r.number("callbacks.old_signup_minutes", integer=True)),
                  checks=tuple(sorted(r.clock("callbacks.check_times", c) for c in checks)),
                  event_days_before=int(r.number("callbacks.event_days_before", integer=True)))
    if hours.start >= hours.end:
        raise r.fail("callbacks.work_start", "应早于 work_end")
    return hours


def _flag(r: _Reader, key: str) -> bool:
    value = r.get(key)
    if not isinstance(value, bool):
        raise r.fail(key, f"应为 true 或 false，现在是「{value}」")
    return value


def _names(r: _Reader, key: str) -> tuple[str, ...]:
    values = r.get(key)
    if not isinstance(values, list) or any(not isinstance(v, str) or not v.strip() for v in values):
        raise r.fail(key, f"应为姓名列表，例如 [\"周强\", \"吴磊\"]，现在是 {values}")
    return tuple(dict.fromkeys(v.strip() for v in values))


def _tiers(r: _Reader, key: str) -> tuple[Tier, ...]:
    values = r.get(key)
    if not isinstance(values, list):
        raise r.fail(key, "应为档位列表，例如 [ { from = 0, rate = 0.02 }, { from = 50000, rate = 0.03 } ]")
    tiers = []
    for i, v in enumerate(values):
        name = f"{key}[{i + 1}]"
        if not isinstance(v, dict) or set(v) != {"from", "rate"}:
            raise r.fail(name, "应写成 { from = 0, rate = 0.02 }")
        rate = r.number(name + ".rate", v["rate"])
        if rate > 1:
            raise r.fail(name + ".rate", f"是比例，应在 0 到 1 之间（2% 写 0.02），现在是 {v['rate']}")
        tiers.append(Tier(r.number(name + ".from", v["from"]), rate))
    for prev, cur in zip(tiers, tiers[1:]):
        if cur.start <= prev.start:
            raise r.fail(key, f"应按 from 从低到高排列（{prev.start} 之后是 {cur.start}）")
    return tuple(tiers)


def _onlinesales(r: _Reader) -> OnlineSales:
    mode = r.get("onlinesales.commission_mode")
    if mode not in COMMISSION_MODES:
        raise r.fail("onlinesales.commission_mode", f"应为 {' 或 '.join(COMMISSION_MODES)}，现在是「{mode}」")
    commission = _tiers(r, "onlinesales.commission")
    if not commission:
        raise r.fail("onlinesales.commission", "至少要有一档，例如 [ { from = 0, rate = 0.02 } ]")
    desk = _tiers(r, "onlinesales.desk_commission") or commission
    return OnlineSales(
        follow_up_working_days=int(r.number("onlinesales.follow_up_working_days", integer=True)),
        daily_connected_target=int(r.number("onlinesales.daily_connected_target", integer=True)),
        managers=_names(r, "onlinesales.managers"), desk=_names(r, "onlinesales.desk"),
        commission_mode=mode, commission=commission, desk_commission=desk)


def load_config(path: Path | None = None) -> Config:
    """Defaults, overridden by `path` (a kefu-xl.toml) when given and present."""
    defaults = tomllib.loads(default_config_text())
    if path is None or not path.exists():
        return parse_config(defaults, "默认配置")
    try:
        override = tomllib.loads(path.read_text("utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"配置文件 {path} 格式有误：{e}。请对照 kefu-xl init 生成的示例修改。") from None
    except UnicodeDecodeError:
        raise ConfigError(f"配置文件 {path} 不是 UTF-8 编码，请用 UTF-8 保存。") from None
    return parse_config(_merge(defaults, override), str(path))


def find_workspace(start: Path) -> Path | None:
    """The nearest folder at or above `start` that holds kefu-xl.toml."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_NAME).exists():
            return folder
    return None


def config_for(path: Path) -> Config:
    """The config that applies to a file or folder inside a workspace."""
    ws = find_workspace(path if path.is_dir() else path.parent)
    return load_config(ws / CONFIG_NAME if ws else None)


