"""Client levels from weekly spend: bands, suggested level, only up, targets."""
from decimal import Decimal

import pytest

from kefu_xl.config import load_config
from kefu_xl.records import Targets
from kefu_xl.rules.levels import (
    is_downgrade,
    opening_level,
    spend_band,
    suggested_level,
    targets_for,
)

C = load_config()


@pytest.mark.parametrize("spend, band, level", [
    ("2000", "A", "一级"), ("1999.99", "B", "一级"), ("775", "B", "一级"), ("774.99", "C", "一级"),
    ("400", "C", "一级"), ("399.99", "D", "二级"), ("200", "D", "二级"), ("125", "E", "二级"),
    ("124.99", "F", "二级"), ("75", "F", "二级"), ("74.99", "G", "三级"), ("25", "G", "三级"),
    ("24.99", "H", "三级"), ("0.01", "H", "三级"), ("0", "I", "三级"), (None, "I", "三级"),
])
def test_bands_and_suggested_level(spend, band, level):
    value = None if spend is None else Decimal(spend)
    assert spend_band(value, C) == band
    assert suggested_level(value, C) == level


@pytest.mark.parametrize("previous, suggested, expected", [
    ("一级", "三级", "一级"),   # spend dropped: the level stays
    ("三级", "一级", "一级"),   # spend rose: the level goes up
    ("二级", "二级", "二级"),
    ("", "二级", "二级"),       # new to maintenance
])
def test_level_only_goes_up(previous, suggested, expected):
    assert opening_level(previous, suggested) == expected


def test_downgrade_and_targets():
    assert is_downgrade("二级", "一级") and not is_downgrade("一级", "二级") and not is_downgrade("二级", "")
    assert targets_for("一级", C) == Targets(4, 1, 5, 2)
    assert targets_for("", C) == Targets()     # new client of the month: no maintenance targets
