"""The cycle collector is paused during batch jobs and always resumes (the Excel add-in's
Python lives on after a recalc)."""
from __future__ import annotations

import gc

import pytest

from kefu_xl.app.workbooks import recalc_file
from kefu_xl.io.heap import without_cycle_collection


def test_paused_inside_resumed_after_even_on_error():
    assert gc.isenabled()
    with without_cycle_collection():
        assert not gc.isenabled()
        with without_cycle_collection():          # nested: the inner block does not resume it
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ValueError), without_cycle_collection():
        raise ValueError("boom")
    assert gc.isenabled()


def test_a_recalc_leaves_the_collector_as_it_found_it(tmp_path):
    seen = []

    @without_cycle_collection()
    def job():
        seen.append(gc.isenabled())
    job()
    job()                                            # a decorator that can run again
    assert seen == [False, False] and gc.isenabled()
    with pytest.raises(Exception):
        recalc_file(tmp_path / "没有这个文件.xlsx")
    assert gc.isenabled()
    gc.disable()                                     # a caller that paused it keeps it paused
    try:
        with pytest.raises(Exception):
            recalc_file(tmp_path / "没有这个文件.xlsx")
        assert not gc.isenabled()
    finally:
        gc.enable()
