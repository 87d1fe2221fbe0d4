"""The 个人考核表's rules (docs/scorecard.md): each measure as a sum of the statement's 数据 rows
(over another sum for a rate), its band against the manager's standard, the arrow against last
month, the points and the weighted 综合得分. Each rule is a Python function beside the formula
fragment that mirrors it: the 考核 sheet composes the fragments, the cached values come from the
functions, and the tests feed both the same rows."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from ..config import SCORECARD_MEASURES, Scorecard, Standard

LAST = "上月·"                      # 数据 项目 of last month's rows start with this (本月's have none)
PASS, WARN, FAIL = "达标", "预警", "未达标"
UNSET, NO_DATA = "未设标准", "无数据"
POINTS = {PASS: 100, WARN: 60, FAIL: 0}
UP, DOWN, SAME = "↑", "↓", "→"
CHART_CAP = Decimal("1.5")          # a bar of the chart stops at 150% of its 达标线
PLACES = 6                           # comparisons are made on values rounded to 6 places (both engines)


@dataclass(frozen=True)
class Measure:
    """One line of the scorecard.

    Attributes:
      key: its [scorecard] key.  name: 指标.  short: the chart's label.
      type: how it is shown — "money", "ratio", "number" or "int".
      num: the 数据 项目 summed over the person's rows; den: the one it is divided by (a rate)
        or "" (a sum); den_team: den is summed over everyone's rows (工作日数 has no 客服).
      gate: a 项目 that must have rows (the person's, or anyone's with gate_team) for the
        measure to have a value at all: no account, no journal → blank, not 0.
      how: one line for the manager: how it is computed and from which file."""
    key: str
    name: str
    short: str
    type: str
    num: str = ""
    den: str = ""
    den_team: bool = False
    gate: str = ""
    gate_team: bool = False
    how: str = ""


MEASURES = (
    Measure("spend", SCORECARD_MEASURES["spend"], "消耗额", "money", "管理消耗额", gate="管理消耗额",
            how="负责帐户本月的消耗合计：有每天的消耗导出（inputs/消耗/）按导出相加，没有时按 周消耗 × 天数 ÷ 7 估算。"),
    Measure("satisfaction", SCORECARD_MEASURES["satisfaction"], "满意度", "ratio", "满意帐户", "满意度帐户",
            how="负责的帐户中，本月最后一次有效电话拜访的满意度为「满意」「很满意」的比例（分母：本月有满意度的帐户）。"),
    Measure("renewal", SCORECARD_MEASURES["renewal"], "续费率", "ratio", "当月已续", "当月应续",
            how="当月应续帐户中已续费的比例（续费跟踪，同绩效提成表的当月续费率）。"),
    Measure("optimisation", SCORECARD_MEASURES["optimisation"], "优化", "ratio", "优化完成", "优化目标",
            how="帐户优化 Σ MIN(完成, 目标) ÷ Σ 目标（维护跟踪，只算有效的优化）。"),
    Measure("maintenance", SCORECARD_MEASURES["maintenance"], "维护", "ratio", "完成合计", "目标合计",
            how="Σ MIN(完成, 目标) ÷ Σ 目标，四项合计（同绩效提成表的维护完成率）。"),
    Measure("daily_work", SCORECARD_MEASURES["daily_work"], "日均有效", "number", "有效工作", "工作日数", den_team=True,
            how="有效工作数 ÷ 工作日数（同绩效提成表）。"),
    Measure("attendance", SCORECARD_MEASURES["attendance"], "到会率", "ratio", "到会", "邀约",
            how="电话邀约中客户到会的比例（见面会与培训.xlsx 的到会；同维护跟踪「客服汇总」的到会率）。"),
    Measure("inquiries", SCORECARD_MEASURES["inquiries"], "咨询", "ratio", "咨询及时", "咨询已答复",
            how="已答复的咨询中在时限内答复的比例（个人工作簿「咨询」表，电话算及时；同维护跟踪「客服汇总」的咨询及时率）。"),
    Measure("exam", SCORECARD_MEASURES["exam"], "考试", "number", "考试分数", "考试人次",
            how="本月考试的平均分（见面会与培训.xlsx 的「培训」表）。"),
    Measure("late_entries", SCORECARD_MEASURES["late_entries"], "补录", "int", "补录", gate="日志文件", gate_team=True,
            how="日志中本月的补录条数（同维护跟踪「客服汇总」的补录数），越少越好。"),
)


def _decimal(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def rounded(value) -> Decimal:
    """As ROUND(value, 6) in the formulas (half away from zero)."""
    return _decimal(value).quantize(Decimal(1).scaleb(-PLACES), ROUND_HALF_UP)


# --------------------------------------------------------------------------- the value of a measure

def total(rows: list[dict], item: str, person: str | None = None) -> Decimal:
    return sum((_decimal(r["数值"]) for r in rows if r["项目"] == item and (person is None or r["客服"] == person)),
               Decimal(0))


def value(m: Measure, rows: list[dict], person: str, prefix: str = ""):
    """The measure for `person` from 数据 rows; `prefix` LAST for last month's. None: no data."""
    if m.gate and not any(r["项目"] == prefix + m.gate and (m.gate_team or r["客服"] == person) for r in rows):
        return None
    num = total(rows, prefix + m.num, person)
    if not m.den:
        return num
    den = total(rows, prefix + m.den, None if m.den_team else person)
    return None if den == 0 else num / den


def value_formula(m: Measure, data: dict[str, str], person: str, prefix: str = "") -> str:
    """The same as a formula: `data` holds the 数据 column ranges (数值, 项目, 客服), `person` the
    cell holding the name."""
    def by(kind: str, item: str, team: bool) -> str:
        who = "" if team else f",{data['客服']},{person}"
        head = f"SUMIFS({data['数值']}," if kind == "sum" else "COUNTIFS("
        return f'{head}{data["项目"]},"{prefix}{item}"{who})'

    out = by("sum", m.num, False)
    if m.den:
        den = by("sum", m.den, m.den_team)
        out = f'IF({den}=0,"",{out}/{den})'
    if m.gate:
        out = f'IF({by("count", m.gate, m.gate_team)}=0,"",{out})'
    return "=" + out


# --------------------------------------------------------------------------- band, arrow, points

def band(v, standard: Standard | None) -> str:
    if standard is None:
        return UNSET
    if v is None:
        return NO_DATA
    v = rounded(v)
    if standard.lower:
        return PASS if v <= standard.passing else WARN if v <= standard.warning else FAIL
    return PASS if v >= standard.passing else WARN if v >= standard.warning else FAIL


def band_formula(v: str, passing: str, warning: str, lower: bool) -> str:
    cmp = "<=" if lower else ">="
    return (f'=IF({passing}="","{UNSET}",IF({v}="","{NO_DATA}",IF(ROUND({v},{PLACES}){cmp}{passing},"{PASS}",'
            f'IF(ROUND({v},{PLACES}){cmp}{warning},"{WARN}","{FAIL}"))))')


def points(b: str) -> int | None:
    return POINTS.get(b)


def points_formula(b: str) -> str:
    return f'=IF({b}="{PASS}",{POINTS[PASS]},IF({b}="{WARN}",{POINTS[WARN]},IF({b}="{FAIL}",{POINTS[FAIL]},"")))'


def change(now, before):
    """本月 − 上月 (None when either has no value)."""
    if now is None or before is None:
        return None
    return _decimal(now) - _decimal(before)


def change_formula(now: str, before: str) -> str:
    return f'=IF(OR({now}="",{before}=""),"",{now}-{before})'


def arrow(now, before) -> str | None:
    """↑ / ↓ / → against last month (what the number did, not whether that is good)."""
    if change(now, before) is None:
        return None
    a, b = rounded(now), rounded(before)
    return UP if a > b else DOWN if a < b else SAME


def arrow_formula(now: str, before: str) -> str:
    a, b = f"ROUND({now},{PLACES})", f"ROUND({before},{PLACES})"
    return f'=IF(OR({now}="",{before}=""),"",IF({a}>{b},"{UP}",IF({a}<{b},"{DOWN}","{SAME}")))'


# --------------------------------------------------------------------------- the chart: 达成度 against the lines

def attainment(v, standard: Standard | None):
    """The bar: the value as a share of its 达标线 (100% = 达标; capped at 150%); for a measure
    where less is better, 达标线 ÷ value (100% when at or under it)."""
    if v is None or standard is None:
        return None
    v, p = _decimal(v), standard.passing
    if standard.lower:
        return Decimal(1) if v <= p else p / v
    if p <= 0:
        return Decimal(1)
    return min(CHART_CAP, max(Decimal(0), v / p))


def attainment_formula(v: str, passing: str, lower: bool) -> str:
    if lower:
        return f'=IF(OR({v}="",{passing}=""),"",IF({v}<={passing},1,{passing}/{v}))'
    return f'=IF(OR({v}="",{passing}=""),"",IF({passing}<=0,1,MIN({CHART_CAP},MAX(0,{v}/{passing}))))'


def warn_line(standard: Standard | None):
    """The 预警线 on the same scale (the 达标线 is 100%)."""
    if standard is None:
        return None
    p, w = standard.passing, standard.warning
    if standard.lower:
        return Decimal(1) if w <= 0 else p / w
    return Decimal(1) if p <= 0 else w / p


def warn_line_formula(passing: str, warning: str, lower: bool) -> str:
    if lower:
        return f'=IF(OR({passing}="",{warning}=""),"",IF({warning}<=0,1,{passing}/{warning}))'
    return f'=IF(OR({passing}="",{warning}=""),"",IF({passing}<=0,1,{warning}/{passing}))'


# --------------------------------------------------------------------------- one person's card

@dataclass(frozen=True)
class Line:
    """One measure of one person: what every cell of its row on the 考核 sheet shows."""
    measure: Measure
    now: object
    before: object
    change: Decimal | None
    arrow: str | None
    band: str
    points: int | None
    weight: Decimal
    counted: Decimal           # the weight when the measure is scored, else 0
    weighted: Decimal          # points × weight when scored, else 0
    attainment: Decimal | None
    pass_line: int | None
    warn_line: Decimal | None


@dataclass(frozen=True)
class Card:
    person: str
    lines: tuple[Line, ...]
    overall: Decimal | None    # 综合得分: Σ weighted ÷ Σ counted; None when nothing is scored

    def count(self, b: str) -> int:
        return sum(1 for line in self.lines if line.band == b)


def card(rows: list[dict], person: str, config: Scorecard) -> Card:
    lines = []
    for m in MEASURES:
        standard = config.standards.get(m.key)
        now, before = value(m, rows, person), value(m, rows, person, LAST)
        b = band(now, standard)
        p = points(b)
        weight = config.weights.get(m.key, Decimal(0))
        lines.append(Line(m, now, before, change(now, before), arrow(now, before), b, p, weight,
                          weight if p is not None else Decimal(0), p * weight if p is not None else Decimal(0),
                          attainment(now, standard), None if standard is None else 1, warn_line(standard)))
    counted = sum((line.counted for line in lines), Decimal(0))
    overall = None if counted == 0 else sum((line.weighted for line in lines), Decimal(0)) / counted
    return Card(person, tuple(lines), overall)


def overall_formula(counted: str, weighted: str) -> str:
    """counted, weighted: the ranges of the two helper columns of a person's block."""
    return f'=IF(SUM({counted})=0,"",SUM({weighted})/SUM({counted}))'
