"""The registry of workbook kinds, and recalc/check of a workbook file by its _meta kind."""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .calendar import WorkCalendar
from .config import config_for, find_workspace
from .errors import NotKefuWorkbookError
from .io.safe_write import check_droppable, check_not_open, save_workbook
from .io.tables import open_workbook
from .kinds import (
    callbacks,
    complaints,
    maintenance,
    newclient,
    onlinesales,
    orders,
    personal,
    refunds,
    renewal,
    roster,
)
from .kinds.base import RecalcContext, RecalcResult
from .month import Month
from .records import Problem, Severity
from .sheets.build import read_meta

KINDS = {k.KIND: k for k in (maintenance, renewal, newclient, orders, refunds, complaints, callbacks,
                              onlinesales, personal)}


@dataclass
class RecalcOutcome:
    path: Path
    result: RecalcResult
    backup: Path | None
    written: bool
    warnings: list[str]


def load_roster_near(path: Path, problems: list[Problem]):
    """名册.xlsx of the workspace the file lives in, or None when there is none."""
    ws = find_workspace(path.parent)
    candidates = [ws / roster.FILE_NAME] if ws else []
    candidates += [path.parent / roster.FILE_NAME, path.parent.parent / roster.FILE_NAME]
    for candidate in candidates:
        if candidate.exists():
            staff, found = roster.read_roster(candidate)
            problems.extend(found)
            return staff
    problems.append(Problem(path.name, "", None, "", "NO_ROSTER",
                            "没有找到名册.xlsx（应在工作区根目录）：无法检查客服姓名，星级沿用客服汇总表中的值。",
                            Severity.WARNING))
    return None


def recalc_open_workbook(wb, path: Path, *, as_of: date | None = None, write: bool = True,
                         ) -> tuple[RecalcResult, list[str]]:
    """Recalculate an openpyxl workbook (loaded with formulas) that lives at `path`."""
    meta = read_meta(wb)
    kind = KINDS.get(str(meta.get("kind", "")))
    if kind is None:
        what = f"类型为「{meta['kind']}」，不支持重算" if meta.get("kind") else "不是 kefu-xl 生成的工作簿（没有 _meta 工作表）"
        raise NotKefuWorkbookError(f"{path.name} {what}；kefu-xl 没有修改它。")
    config = config_for(path)
    as_of = as_of or date.today()
    month = Month.parse(str(meta["month"])) if meta.get("month") else Month.of(as_of)
    pre_problems: list[Problem] = []
    staff = load_roster_near(path, pre_problems) if kind in (maintenance, renewal, newclient) else None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ctx = RecalcContext(path.name, config, WorkCalendar(config), month, as_of, staff, write=write,
                            workspace=find_workspace(path.parent))
        result = kind.recalc(wb, ctx)
    result.problems[:0] = pre_problems
    return result, [str(w.message) for w in caught]


def recalc_file(path: Path, *, write: bool = True, force: bool = False, as_of: date | None = None) -> RecalcOutcome:
    """Recalculate a kefu-xl workbook file in place (or only check it when write=False)."""
    path = Path(path)
    if write:
        check_not_open(path)
        check_droppable(path, force)
    wb = open_workbook(path, data_only=False)
    result, caught = recalc_open_workbook(wb, path, as_of=as_of, write=write)
    structural = any(p.code in ("MISSING_HEADER", "MISSING_SHEET") for p in result.problems)
    backup = None
    written = False
    if write and not structural:
        backup = save_workbook(wb, path, force=force)
        written = True
    return RecalcOutcome(path, result, backup, written, caught)
