"""Collecting a month's team trackers from the personal workbooks (docs/plan.md): the one use
case behind `kefu-xl collect` and `kefu-xl serve`. The maintenance tracker's recalc collects
every person's 工作记录; then the renewal and new-client trackers take the follow-up columns
of 我的续费 / 我的新客户. A tracker someone saves or opens while it is being recalculated is
not written over (ChangedOnDiskError / FileLockedError)."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

from ..errors import KefuError
from ..hints import command
from ..io.safe_write import file_stamp
from ..kinds import maintenance, newclient, prospects, renewal
from ..month import Month
from .workbooks import RecalcOutcome, recalc_file


def tracker_paths(workspace: Path, month: Month) -> list[Path]:
    """The team trackers a collection recalcs (docs/work.md, docs/renewal.md, docs/newclients.md), maintenance first; some may not exist."""
    return [workspace / str(month) / kind.file_name(month) for kind in (maintenance, renewal, newclient)]


def collect_team(workspace: Path, month: Month, as_of: date | None = None, config=None,
                 now=None) -> Iterator[RecalcOutcome]:
    """Recalc the month's team trackers one after the other, yielding each outcome as it is
    saved (the first is the maintenance tracker's, whose result.figures.collected has one
    line per personal workbook). A caller may stop between two files."""
    first, *others = tracker_paths(workspace, month)
    if not first.exists():
        raise KefuError(f"没有 {first}：请先开月（{command(f'month open {month}', workspace)}）。")
    yield recalc_file(first, as_of=as_of, unchanged_since=file_stamp(first), config=config, now=now)
    for path in [*others, prospects.path_of(workspace)]:     # follow-ups of 我的续费 / 我的新客户 / 商务回访
        if path.exists():
            yield recalc_file(path, as_of=as_of, unchanged_since=file_stamp(path), config=config, now=now)
