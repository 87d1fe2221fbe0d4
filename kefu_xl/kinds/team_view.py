"""The month's team trackers as a personal recalc and the archive see them: accounts, valid records with their source, renewal and new-client rows — read only, parsed once per version of the files."""
from __future__ import annotations

from pathlib import Path

from ..config import Config
from ..io.tables import read_sheets_fast
from ..month import Month
from ..records import WorkRecord
from ..rules import completion, outcomes, spotchecks, valid
from ..rules.levels import targets_for
from . import maintenance, newclient, renewal
from .base import cell_date, cell_text, read_tracker

_SNAPSHOTS: dict[tuple, tuple] = {}


def version_of(path: Path) -> tuple:
    return (str(path), path.stat().st_mtime_ns, path.stat().st_size) if path.exists() else (str(path),)


def team_snapshot(folder: Path, month: Month, config: Config):
    """(accounts, [(valid record, 来源)], renewal rows, new-client rows) of the month's team
    trackers — parsed once per version of the files, however many personal workbooks ask
    (month open writes one per person)."""
    paths = [folder / k.file_name(month) for k in (maintenance, renewal, newclient)]
    key = (*(version_of(p) for p in paths), config.source, str(month))
    if key in _SNAPSHOTS:
        return _SNAPSHOTS[key]
    grid = read_sheets_fast(paths[0])
    _, datas = read_tracker(paths[0], lambda m: maintenance.spec(config, m),
                            (maintenance.ACCOUNTS, maintenance.WORK, maintenance.SPOT), month=month, grid=grid)
    if datas[maintenance.ACCOUNTS] is None or datas[maintenance.WORK] is None:
        return None
    accounts, targets = [], {}
    for _, v in datas[maintenance.ACCOUNTS].rows:
        account_id = cell_text(v["帐户ID"])
        if not account_id:
            continue
        accounts.append({"帐户ID": account_id, "客户名称": cell_text(v["客户名称"]), "客服": cell_text(v["客服"]),
                         "级别": cell_text(v["级别"])})
        targets.setdefault(completion.id_key(account_id), targets_for(cell_text(v["级别"]), config))
    records, sources, team_checks = [], [], []
    for row, v in datas[maintenance.WORK].rows:
        records.append(WorkRecord(cell_date(v["日期"]), cell_text(v["客服"]), cell_text(v["帐户ID"]),
                                  cell_text(v["工作类型"]), cell_text(v["沟通对象"]), cell_text(v["内容摘要"]), row,
                                  satisfaction=cell_text(v.get(outcomes.SATISFACTION_COLUMN)),
                                  accepted=cell_text(v.get(outcomes.ACCEPTED_COLUMN))))
        sources.append(cell_text(v["来源"]))
        team_checks.append(cell_text(v.get(outcomes.CHECK_COLUMN)))      # as the team's last recalc found them
    checks = maintenance.read_checks(datas[maintenance.SPOT], paths[0].name, []) if datas[maintenance.SPOT] else []
    by_row = {r.row: r for r in records}
    disproved = spotchecks.disproved_keys(checks, by_row)
    unrecognised = spotchecks.unrecognised_keys(checks, by_row)
    rules = valid.of_grid(grid) or config.valid
    verdicts = completion.classify_work(records, targets, month.first, month.last, disproved=disproved,
                                        duplicates_once=rules.duplicates,
                                        outcome=outcomes.judge(rules, team_checks, personal=False,
                                                               unrecognised=unrecognised))
    valid_records = [(r, s) for r, v, s in zip(records, verdicts, sources) if v.valid]
    renewals = renewal.read_file(paths[1], config)[1] if paths[1].exists() else []
    newclients = newclient.read_file(paths[2], config)[1] if paths[2].exists() else []
    _SNAPSHOTS.clear()                     # one month's snapshot at a time
    _SNAPSHOTS[key] = (accounts, valid_records, renewals, newclients, unrecognised)
    return _SNAPSHOTS[key]
