"""The cycle collector is paused during batch jobs and always resumes (the Excel add-in's
Python lives on after a recalc)."""
from __future__ import annotations

import gc
import weakref

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


def test_a_recalcs_sheets_go_when_it_ends_not_at_the_next_collection(workspace):
    """A recalc runs with the collector paused; the sheets it read (a 100,000-record tracker:
    millions of objects) must not hang on in reference cycles — sheet ↔ book, sheet ↔ its
    filter, row heights, widths, properties — until the collector resumes and walks them all."""
    from helpers import WORK, open_november

    from kefu_xl.demo.typist import type_work_records
    from kefu_xl.io.xlsx import PatchBook, PatchSheet
    path = open_november(workspace)
    type_work_records(path, WORK)
    gc.collect()
    gc.disable()
    try:
        outcome = recalc_file(path)
        assert outcome.written and outcome.patched
        assert not [o for o in gc.get_objects() if type(o) in (PatchBook, PatchSheet)]
        book = PatchBook(path)
        ws = book["工作记录"]
        ws.auto_filter.ref, ws.row_dimensions[3].height, ws.column_dimensions["B"].width = ws.auto_filter.ref, 20, 12
        ws.sheet_properties.tabColor = "FF0000"
        gone = weakref.ref(ws)
        del ws
        book.close()
        del book
        assert gone() is None
    finally:
        gc.enable()
