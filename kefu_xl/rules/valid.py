"""A month's rules of valid work (docs/work.md, 每月的规则): fixed when the month is opened.

The month's workbooks carry the rule version and switches in _meta (`rules_version`, `rules`);
a recalc judges records by those, never by today's settings, so a newer release or a changed
[work.valid] leaves a past month's 完成率, 有效工作 and pay as they were. A workbook made before
rules were recorded is told by its 工作记录: the third wave's 重复键 column means rule version 2,
its absence version 1 (the second wave: no 重复 rule).
"""
from __future__ import annotations

import json
from dataclasses import replace

from ..config import OUTCOME_SWITCHES, Config, ValidRules

META_VERSION = "rules_version"
META_SWITCHES = "rules"
# the rules of each version before its switches were recorded (a workbook's _meta without them)
_NO_OUTCOMES = dict.fromkeys(OUTCOME_SWITCHES, False)
BY_VERSION = {1: ValidRules(version=1, duplicates=False, **_NO_OUTCOMES),
              2: ValidRules(version=2, duplicates=True, **_NO_OUTCOMES)}
DUPLICATE_KEY = "重复键"          # the helper column rule version 2 brought to 工作记录


def meta_of(rules: ValidRules) -> dict[str, object]:
    """The _meta rows that record `rules`."""
    return {META_VERSION: rules.version, META_SWITCHES: json.dumps(rules.switches(), sort_keys=True)}


def from_meta(meta: dict, has_duplicate_key: bool) -> ValidRules:
    """The rules a month's workbook was opened with: its _meta's, or those of the release that
    made it (`has_duplicate_key`: its 工作记录 has the 重复键 column)."""
    version = meta.get(META_VERSION)
    try:
        version = int(version) if version not in (None, "") else None
    except (TypeError, ValueError):
        version = None
    if version is None:
        return BY_VERSION[2 if has_duplicate_key else 1]
    base = BY_VERSION.get(version, ValidRules(version=version))
    try:
        switches = json.loads(str(meta.get(META_SWITCHES) or "{}"))
    except ValueError:
        switches = {}
    known = {k: bool(v) for k, v in switches.items() if k in base.switches()} if isinstance(switches, dict) else {}
    return replace(base, **known)


def with_rules(config: Config, rules: ValidRules) -> Config:
    """`config` judging valid work by `rules` (a month's own, or today's for a comparison)."""
    return config if config.valid == rules else replace(config, valid=rules)


SWITCH_NAMES = {"duplicates": "重复记录不计", "renewal_paid": "续费以到帐为准", "invitation_attended": "邀约以到会为准",
                "satisfaction": "电话拜访要填满意度", "visit_satisfaction": "上门拜访要填满意度",
                "optimisation_accepted": "优化以客户接受为准", "other_recognised": "其他以经理认可为准",
                "late_invalid": "补录不计"}


def describe(rules: ValidRules) -> str:
    """The rules in a few words for people (report --compare, month open --rules)."""
    on = [SWITCH_NAMES[k] for k, v in rules.switches().items() if v]
    return f"第 {rules.version} 版规则（{'、'.join(on) if on else '登记即计'}）"


def has_column(ws, header: str, rows: int = 10) -> bool:
    """Whether `header` is among the first rows of `ws` (a header row)."""
    for row in ws.iter_rows(min_row=1, max_row=rows, values_only=True):
        if any(isinstance(v, str) and v.strip() == header for v in row):
            return True
    return False


def of_grid(grid: dict) -> ValidRules | None:
    """The rules of a month's workbook read values-only ({sheet: GridSheet}, with _meta and
    工作记录); None when it is not a workbook of valid work (no 工作记录)."""
    if "工作记录" not in grid:
        return None
    meta = {str(row[0]): row[1] for row in grid["_meta"].grid if row and row[0]} if "_meta" in grid else {}
    return from_meta(meta, has_column(grid["工作记录"], DUPLICATE_KEY))
