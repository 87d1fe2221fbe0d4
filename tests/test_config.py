"""kefu-xl.toml: defaults from DOMAIN, overrides, clear errors naming key and file."""
from decimal import Decimal

import pytest

from kefu_xl.config import default_config_text, load_config
from kefu_xl.errors import ConfigError
from kefu_xl.records import Targets


def test_defaults_match_domain():
    c = load_config()
    assert [(b.band, b.min_spend, b.level) for b in c.bands][:3] == [
        ("A", Decimal(2000), "一级"), ("B", Decimal(775), "一级"), ("C", Decimal(400), "一级")]
    assert c.other_band == "I" and c.other_level == "三级"
    assert c.targets["一级"] == Targets(4, 1, 5, 2)
    assert c.targets["二级"] == Targets(2, 0, 1, 1)
    assert c.targets["三级"] == Targets(1, 0, 1, 1)
    assert c.hours["一级"] == Decimal("10.3")
    assert c.capacity == {"三星": 15, "二星": 45, "一星": 80}
    assert c.commission_rate == Decimal("0.01") and c.deposit == 200 and c.fine_per_missing == 100
    assert c.min_working_days == 3 and c.daily_valid_target == 4
    assert c.due_balance_days == 7 and c.due_contract_days == 30
    assert (c.serve.plan_at.isoformat(), c.serve.poll_seconds, c.serve.collect_minutes) == ("07:30:00", 10, 15)


def test_default_file_is_commented():
    text = default_config_text()
    assert text.count("#") >= 20 and "[calendar]" in text


def test_override_keeps_other_defaults(tmp_path):
    p = tmp_path / "kefu-xl.toml"
    p.write_text('[capacity]\n"三星" = 20\n[work]\ndaily_valid_target = 5\n', "utf-8")
    c = load_config(p)
    assert c.capacity["三星"] == 20 and c.capacity["二星"] == 45
    assert c.daily_valid_target == 5


@pytest.mark.parametrize("text, key", [
    ('[capacity]\n"三星" = "十五"\n', "capacity.三星"),
    ('[capacity]\n"三星" = 15.5\n', "capacity.三星"),
    ('[renewal]\ncommission_rate = 1.5\n', "renewal.commission_rate"),
    ('[orders]\ndeposit = -1\n', "orders.deposit"),
    ('[calendar]\nholidays = ["2027-13-01"]\n', "calendar.holidays"),
    ('[levels]\nbands = [{ band = "A", min = 10, level = "四级" }]\n', "levels.bands[1].level"),
    ('[serve]\nplan_at = "7点半"\n', "serve.plan_at"),
    ('[serve]\npoll_seconds = 0\n', "serve.poll_seconds"),
    ('[serve]\ncollect_minutes = 2.5\n', "serve.collect_minutes"),
    ('[journal]\nlate_entry = "ignore"\n', "journal.late_entry"),
])
def test_bad_value_names_key_and_file(tmp_path, text, key):
    p = tmp_path / "kefu-xl.toml"
    p.write_text(text, "utf-8")
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert key in str(e.value) and str(p) in str(e.value)


def test_late_entry_invalid_is_a_rule_of_valid_work(tmp_path):
    p = tmp_path / "kefu-xl.toml"
    p.write_text('[journal]\nlate_entry = "invalid"\n', "utf-8")
    assert load_config(p).valid.late_invalid is True and load_config().valid.late_invalid is False


def test_broken_toml_is_a_clear_error(tmp_path):
    p = tmp_path / "kefu-xl.toml"
    p.write_text("[capacity\n", "utf-8")
    with pytest.raises(ConfigError, match="格式有误"):
        load_config(p)
