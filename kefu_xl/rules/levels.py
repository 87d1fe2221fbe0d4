"""Client levels from weekly spend (docs/levels.md): band, suggested level, level only goes up."""
from __future__ import annotations

from decimal import Decimal

from ..config import LEVELS, Config
from ..records import Targets


def spend_band(weekly_spend: Decimal | None, config: Config) -> str:
    """消耗档: the first band whose lower bound the spend reaches; 0/blank is the other band."""
    if weekly_spend is None or weekly_spend <= 0:
        return config.other_band
    for band in config.bands:
        if weekly_spend >= band.min_spend:
            return band.band
    return config.other_band


def band_level(band: str, config: Config) -> str:
    """建议级别 of a band."""
    for b in config.bands:
        if b.band == band:
            return b.level
    return config.other_level


def suggested_level(weekly_spend: Decimal | None, config: Config) -> str:
    return band_level(spend_band(weekly_spend, config), config)


def level_rank(level: str) -> int | None:
    """0 for 一级 (highest), 2 for 三级; None for blank/unknown."""
    return LEVELS.index(level) if level in LEVELS else None


def higher_level(a: str, b: str) -> str:
    """The higher of two levels (一级 beats 二级); a blank one loses."""
    ra, rb = level_rank(a), level_rank(b)
    if ra is None:
        return b
    if rb is None:
        return a
    return a if ra <= rb else b


def opening_level(previous: str, suggested: str) -> str:
    """级别 prefilled at month open: levels only go up, never down."""
    return higher_level(previous, suggested)


def is_downgrade(level: str, previous: str) -> bool:
    rl, rp = level_rank(level), level_rank(previous)
    return rl is not None and rp is not None and rl > rp


def targets_for(level: str, config: Config) -> Targets:
    """Monthly targets of a level; no level (a new client of the month) has none."""
    return config.targets.get(level, Targets())
