"""DOMAIN §20, both engines agree on typed text: IDs and drop-down values typed with stray
spaces or full-width spaces mean the trimmed text to Python and to the workbook's formulas
(recalculated by LibreOffice) alike — a property over random spacing."""
from __future__ import annotations

from datetime import date, datetime

import pytest
from helpers import (
    WORK,
    assert_engines_agree,
    libreoffice_values,
    open_november,
    type_cells,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kefu_xl.app.workbooks import recalc_file
from kefu_xl.demo.typist import type_work_records
from kefu_xl.io.values import id_text, id_texts, parse_text, parse_texts, trim_text
from kefu_xl.kinds import maintenance
from kefu_xl.rules.completion import id_key as rules_id_key

SPACES = st.sampled_from(["", " ", "  ", "\u3000", " \u3000", "\u3000\u3000"])


def loosely(text: str, before: str, after: str) -> str:
    return f"{before}{text}{after}" if text else text


def test_id_text_is_what_trim_asc_gives():
    assert id_text("\u3000５５９８７８０３ ") == "55987803"
    assert id_text("Ｍ２－Ａ") == "M2-A"
    assert id_text("①") == "①"                              # ASC leaves what is not full-width ASCII
    assert rules_id_key("ａｂ１") == rules_id_key("AB1")


def test_trim_text_is_what_trim_substitute_gives():
    assert trim_text("\u3000决策人 ") == "决策人"
    assert trim_text("  M2  ") == "M2"
    assert trim_text("月报  第二份") == "月报 第二份"         # TRIM makes inner runs one space
    assert parse_text("a\tb ") == "a\tb"                    # only spaces: TRIM keeps tabs
    assert parse_text(1001.0) == "1001"


CELLS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.dates(),
                  st.datetimes(), st.text(alphabet=" \u3000\ta决人５Ｍ-=", max_size=6),
                  st.sampled_from(["", " ", "决策人", " 决策人", "月报  第二份", "A100\u3000"]))


@given(st.lists(CELLS, max_size=40))
def test_a_column_read_at_once_is_each_cell_read_alone(values):
    """parse_texts (a recalc reads 100,000-row columns so) gives parse_text of every cell:
    text trimmed or not, blanks, numbers, booleans, dates and datetimes, repeated or not."""
    values = values + values[:3]
    assert parse_texts(values) == [parse_text(v) for v in values]
    assert id_texts(values) == [id_text(v) for v in values]
    assert parse_texts([date(2026, 11, 3), datetime(2026, 11, 3, 9, 30), None, " x "]) == \
        ["2026-11-03", "2026-11-03", "", "x"]


@pytest.mark.libreoffice
@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
@given(pads=st.lists(st.tuples(SPACES, SPACES, SPACES, SPACES), min_size=len(WORK), max_size=len(WORK)),
       account_pads=st.tuples(SPACES, SPACES), check_pad=SPACES)
def test_random_spaces_in_ids_and_drop_downs_give_the_same_figures(tmp_path_factory, pads, account_pads, check_pad):
    from conftest import ROSTER

    from kefu_xl.app.workspace import init_workspace
    workspace = tmp_path_factory.mktemp("typed") / "office"
    init_workspace(workspace, staff=ROSTER)
    path = open_november(workspace)
    records = []
    for record, (a, b, c, d) in zip(WORK, pads):
        records.append({**record, "帐户ID": loosely(record["帐户ID"], a, b), "沟通对象": loosely(record["沟通对象"], c, ""),
                        "工作类型": loosely(record["工作类型"], "", d), "客服": loosely(record["客服"], d, a)})
    records.append({**WORK[6], "帐户ID": f"{account_pads[0]}C1", "内容摘要": "重复的一条"})
    records.append({**WORK[6], "帐户ID": f"c1{account_pads[1]}", "内容摘要": "重复的一条 "})   # the same record again
    records.append({**WORK[6], "帐户ID": f"Ｃ１{account_pads[1]}", "内容摘要": "全角帐户ID"})    # input method's full width
    records.append({**WORK[6], "帐户ID": "ｃ１", "内容摘要": "全角帐户ID"})                        # the same record again
    type_work_records(path, records)
    type_cells(path, maintenance.ACCOUNTS, {(4, "帐户ID"): f"{account_pads[0]}C2{account_pads[1]}",
                                            (5, "级别"): f"二级{account_pads[1]}"})
    type_cells(path, maintenance.SPOT, {(3, "日期"): date(2026, 11, 3), (3, "抽查人"): "客服经理",
                                        (3, "帐户ID"): f"C1{check_pad}", (3, "客服"): f"{check_pad}张敏",
                                        (3, "结果"): f"不属实{check_pad}"})
    outcome = recalc_file(path, as_of=date(2026, 11, 20))
    python = maintenance.python_values(outcome.result)
    office = libreoffice_values(path, tmp_path_factory.mktemp("lo"))
    assert assert_engines_agree(python, office) > 200
    reasons = [python[maintenance.WORK][r.row]["无效原因"] for r in outcome.result.figures.records]
    assert reasons[-3] == "重复" and reasons[-4] != "重复"
    assert reasons[-2] == reasons[-4] and reasons[-1] == "重复"       # Ｃ１ is C1 to both engines
    assert "抽查不属实" in reasons
