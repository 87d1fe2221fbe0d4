"""Urgent items into a closed personal workbook's 今日 at once (docs/plan.md): the hook `kefu-xl serve`
calls when the 9:00 watch, a collect or a renewal brings something that cannot wait."""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from ..calendar import WorkCalendar
from ..config import config_for
from ..kinds import personal
from ..kinds.today import URGENT_META, merge_urgent
from ..month import Month
from ..rules.plan import plan_day
from ..sheets.build import read_meta, write_meta
from .workbooks import RecalcOutcome, recalc_file


def add_urgent(path: Path, items, *, as_of: date | None = None, now: datetime | None = None) -> RecalcOutcome:
    """Write `items` — (帐户ID, 客户名称, 原因) or (帐户ID, 客户名称, 原因, kind), kind 异常 (default)
    or 续费 — into the 今日 of the personal workbook at `path` as 新增 lines in their block.

    The morning plan stays as it was; a client already on that block's morning line gets no
    second line; a client's earlier 新增 line of the same kind takes the latest reason (never the
    same 余额不足 four times). The items are kept in _meta for the plan's day, so a later recalc
    that day (a save) keeps them. Goes through recalc_file: an open workbook (lock file) is never
    written (FileLockedError: try again when it closes), nor one saved meanwhile."""
    as_of = as_of or date.today()

    def remember(book) -> None:
        meta = read_meta(book)
        month = Month.parse(str(meta["month"]))
        config = config_for(path)
        day = plan_day(as_of, WorkCalendar(config), month)
        write_meta(book, personal.spec(config, month), {URGENT_META: merge_urgent(meta.get(URGENT_META), day, items)})

    return recalc_file(path, as_of=as_of, edit=remember, now=now)
