"""A kefu-xl workspace (docs/workbooks.md): `init` and opening a month."""
from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ..calendar import WorkCalendar
from ..config import (
    CONFIG_NAME,
    ValidRules,
    default_config_text,
    find_workspace,
    load_config,
)
from ..errors import DataProblemsError, KefuError
from ..hints import command, here
from ..inputs import ACCOUNT_STATUS, read_account_status
from ..io.heap import without_cycle_collection
from ..io.parallel import beside
from ..io.safe_write import atomic_write, check_not_open, save_workbook
from ..io.tables import find_input, read_sheets_fast
from ..io.values import money_text
from ..kinds import (
    complaints,
    maintenance,
    meetings,
    newclient,
    onlinesales,
    orders,
    personal,
    prospects,
    refunds,
    renewal,
    roster,
)
from ..kinds.base import cell_number, cell_text, read_tracker
from ..month import Month
from ..records import Problem, Severity, has_errors
from ..rules import valid
from ..rules.completion import id_key
from ..sheets.build import build_workbook, write_rows
from ..sheets.read import read_sheet
from . import archive as archive_open
from . import spend_watch
from .collect import personal_files
from .journal import FOLDER as JOURNAL_FOLDER
from .workbooks import create_file, new_from_blank, recalc_file, update_file

EXPO_MONTHLY = ("refunds", "complaints")      # an expo desk: orders, refunds and complaints, no account export


def init_workspace(folder: Path, staff: list[dict] | None = None, monthly: tuple[str, ...] | None = None) -> list[Path]:
    """Create kefu-xl.toml (with `monthly` as [workbooks] monthly when given), 名册.xlsx and
    inputs/ of the current month; never overwrite."""
    folder.mkdir(parents=True, exist_ok=True)
    created = []
    config_path = folder / CONFIG_NAME
    if not config_path.exists():
        text = default_config_text()
        if monthly:
            listed = ", ".join(f'"{k}"' for k in monthly)
            text = re.sub(r"(?m)^monthly = \[.*\]$", f"monthly = [{listed}]", text, count=1)
        atomic_write(config_path, lambda tmp: tmp.write_text(text, "utf-8"))
        created.append(config_path)
    roster_path = folder / roster.FILE_NAME
    if not roster_path.exists():
        wb, _ = build_workbook(roster.SPEC, {roster.SHEET: roster.STAFF_SHEET.title},
                               {roster.SHEET: staff or []}, {}, {})
        save_workbook(wb, roster_path)
        created.append(roster_path)
    orders_path = folder / orders.FILE_NAME
    if not orders_path.exists():
        save_workbook(orders.build(load_config(config_path)), orders_path)
        created.append(orders_path)
    config = load_config(config_path)
    if "maintenance" in config.monthly and not meetings.path_of(folder).exists():
        save_workbook(meetings.build(config), meetings.path_of(folder))      # the 培训师's file
        created.append(meetings.path_of(folder))
    if "maintenance" in config.monthly and not prospects.path_of(folder).exists():
        save_workbook(prospects.build(config), prospects.path_of(folder))    # the 商务's file
        created.append(prospects.path_of(folder))
    inputs = folder / str(Month.of(date.today())) / "inputs"
    if not inputs.exists():
        inputs.mkdir(parents=True)
        created.append(inputs)
    return created


def _require_workspace(folder: Path) -> Path:
    if not (folder / CONFIG_NAME).exists():
        return locate_workspace(folder)
    return folder


def locate_workspace(folder: Path) -> Path:
    """The workspace a command given `--dir folder` means: `folder` itself; the workspace it lies
    in (run from a month folder); or, run from the folder above, its one subfolder that is a
    workspace. Several such subfolders, or none anywhere, is an error that says what to type."""
    folder = Path(folder)
    if (folder / CONFIG_NAME).exists():
        return folder
    if folder.is_dir():
        above = find_workspace(folder)
        if above is not None:
            return Path(here(above).strip('"'))
        inside = sorted(p for p in folder.iterdir() if p.is_dir() and (p / CONFIG_NAME).exists())
        if len(inside) == 1:
            return inside[0]
        if inside:
            names = "、".join(p.name for p in inside)
            where = "当前文件夹" if folder.resolve() == Path.cwd().resolve() else here(folder)
            raise KefuError(f"{where}下有 {len(inside)} 个工作区（{names}）：请加上 --dir 工作区名 指明用哪一个，"
                            f"例如 --dir {here(inside[0])}。")
    raise KefuError(f"{here(folder)} 不是 kefu-xl 工作区（没有 {CONFIG_NAME}），它的下一层也没有工作区。"
                    f"请到工作区文件夹里运行，或加上 --dir 工作区文件夹（例如 --dir D:\\客服部）；"
                    f"还没有工作区时，先用 kefu-xl init 工作区文件夹 建一个。")


def read_previous_levels(path: Path, month: Month) -> dict[str, str]:
    """{帐户ID key: 级别} of last month's maintenance tracker."""
    problems: list[Problem] = []
    _, datas = read_tracker(path, lambda m: maintenance.spec(load_config(), m), (maintenance.ACCOUNTS,),
                            month=month, problems=problems)
    data = datas[maintenance.ACCOUNTS]
    if data is None:
        raise DataProblemsError(f"上月跟踪表 {path.name} 的表头不完整，无法读取上月级别。", problems)
    return {id_key(cell_text(v["帐户ID"])): cell_text(v["级别"]) for _, v in data.rows}


@dataclass
class OpenOutcome:
    month: Month
    created: list[Path] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    refreshed: list[Path] = field(default_factory=list)      # recalculated and written (a backup kept)
    unchanged: list[Path] = field(default_factory=list)      # recalculated, already up to date: not written

    def unchanged_text(self) -> str:
        """The files left as they were, the personal workbooks counted (a department has a hundred)."""
        names = [p.name for p in self.unchanged if p.parent.name != personal.FOLDER]
        n = len(self.unchanged) - len(names)
        return "、".join(names + ([f"个人工作簿 {n} 本"] if n else []))


MONTHLY = {"maintenance": maintenance, "renewal": renewal, "newclient": newclient, "refunds": refunds,
           "complaints": complaints, "onlinesales": onlinesales}
NEEDS_EXPORT = ("maintenance", "renewal", "newclient")
CARRIED = {"maintenance": "上月级别", "renewal": "遗留续费", "newclient": "未完成的新客户", "refunds": "备用金期初",
           "complaints": "遗留投诉", "onlinesales": "遗留询盘"}


def needs_account_status(config) -> bool:
    """Whether opening a month reads 帐户状态 (an expo-only workspace never does)."""
    return any(k in NEEDS_EXPORT for k in config.monthly)


def month_rules(folder: Path, month: Month, config) -> ValidRules:
    """The rules of valid work `month` was opened with (its team 维护跟踪's _meta), or today's
    settings for a month not opened yet (rules/valid.py)."""
    path = folder / str(month) / maintenance.file_name(month)
    if path.exists():
        found = valid.of_grid(read_sheets_fast(path, only=("_meta", maintenance.WORK)))
        if found is not None:
            return found
    return config.valid.for_month(month)


@without_cycle_collection()
def open_month(folder: Path, month: Month, *, as_of: date | None = None, refresh: bool = False,
               rules_current: bool = False) -> OpenOutcome:
    """Write the month's workbooks (those kefu-xl.toml's [workbooks] monthly lists).

    维护跟踪, 续费跟踪 and 新客户跟踪 read the month's 帐户状态 export and last month's
    workbooks; 退订台账 takes its opening cash from last month's ledger. All input problems
    are collected first; with any error nothing is written.
    """
    folder = _require_workspace(folder)
    config = load_config(folder / CONFIG_NAME)
    if rules_current and not refresh:
        raise KefuError(f"--rules current 只用于已经开过的月份，请和 --refresh 一起用：先看差别 "
                        f"{command(f'report {month} --compare', folder)}，再 {command(f'month open {month} --refresh --rules current', folder)}。")
    was = month_rules(folder, month, config)
    today_rules = config.valid.for_month(month)
    # a month keeps the rules it was opened with, its new files too (--rules current: today's, below)
    config = valid.with_rules(config, was)
    outcome = OpenOutcome(month)
    month_dir = folder / str(month)
    previous = month.previous()
    prev_dir = folder / str(previous)
    targets = {k: month_dir / MONTHLY[k].file_name(month) for k in config.monthly}
    todo = {k: v for k, v in targets.items() if not v.exists()}
    existing = {k: v for k, v in targets.items() if v.exists()}
    if not todo and not refresh:
        refresh_hint = ("要用新的帐户状态表补充新到期、新开的帐户并更新余额/周消耗，请加 --refresh；"
                        if needs_account_status(config) else "")
        raise KefuError(f"{month} 已经开过（{'、'.join(p.name for p in targets.values())} 已存在）。"
                        f"{refresh_hint}要重新计算请运行 kefu-xl recalc {here(next(iter(targets.values())))}。")
    for kind, path in existing.items():
        if not (refresh and kind in NEEDS_EXPORT):
            outcome.notes.append(f"{path.name} 已存在，保持不变。")
    if refresh:
        for path in existing.values():
            check_not_open(path)
    for path in todo.values():
        check_not_open(path)
    opened = sorted(Month.parse(p.name) for p in folder.glob("[0-9][0-9][0-9][0-9]-[0-9][0-9]")
                    if p.is_dir() and any(p.glob("*.xlsx")))
    later = [m for m in opened if m > month]
    if later:
        outcome.warnings.append(f"{', '.join(map(str, later))} 已经开过，现在开的 {month} 更早：结转按文件夹中已有的上月文件进行，"
                                f"不会改动后面的月份；请确认开月顺序。")
    if not any(prev_dir.glob("*.xlsx")):
        carried = "、".join(CARRIED[k] for k in config.monthly if k in CARRIED)
        outcome.notes.append(f"没有 {previous} 的工作簿：本月不从上月结转（{carried}都为空）。")

    staff, statuses = None, []
    if any(k in todo for k in NEEDS_EXPORT) or (refresh and any(k in existing for k in NEEDS_EXPORT)):
        statuses, staff = _read_month_inputs(folder, month, outcome)
    day = month.clamp(as_of or date.today())
    refreshed = _refresh(folder, existing, statuses, month, config, outcome, day) if refresh else []
    books: dict[Path, object] = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        calendar = WorkCalendar(config)
        if "maintenance" in todo:
            books[todo["maintenance"]] = _open_maintenance(folder, month, config, calendar, statuses, staff, outcome, day)
            # a month opened now journals from its first record (docs/journal.md); one opened by an
            # earlier release has no 日志/ folder, and its first collect records a 基线
            (month_dir / JOURNAL_FOLDER).mkdir(parents=True, exist_ok=True)
        if "renewal" in todo:
            previous_path = prev_dir / renewal.file_name(previous)
            rows_before, dormant, prev_month = [], {}, None
            if previous_path.exists():
                prev_month, rows_before, dormant = renewal.read_file(previous_path, config)
            rows, dormant = renewal.opening_rows(statuses, rows_before, dormant, prev_month, month, config)
            carried = sum(1 for r in rows if r.source == "遗留")
            outcome.counts["续费"] = len(rows)
            outcome.notes.append(f"续费跟踪：当月应续 {len(rows) - carried} 个，遗留 {carried} 个。")
            books[todo["renewal"]] = renewal.build(config, month, rows, dormant, staff or [])
        if "newclient" in todo:
            previous_path = prev_dir / newclient.file_name(previous)
            rows_before, prev_as_of = [], None
            if previous_path.exists():
                _, rows_before, prev_as_of = newclient.read_file(previous_path, config)
            rows = newclient.opening_rows(statuses, rows_before, prev_as_of, month)
            outcome.notes.append(f"新客户跟踪：{len(rows)} 个（含上月未完成 {len(rows) - sum(1 for r in rows if month.contains(r.opened))} 个）。")
            books[todo["newclient"]] = newclient.build(config, month, rows, staff or [], day)
        if "refunds" in todo:
            previous_ledger = prev_dir / refunds.file_name(previous)
            opening = None
            if previous_ledger.exists():
                opening = refunds.closing_balance(previous_ledger, config)
                outcome.notes.append(f"备用金期初余额 {money_text(opening)} 取自 {previous_ledger.relative_to(folder)} 的期末应有。")
            books[todo["refunds"]] = refunds.build(config, month, calendar, opening)
        for kind in ("complaints", "onlinesales"):
            if kind in todo:
                books[todo[kind]] = _open_carried(MONTHLY[kind], folder, month, config, calendar, outcome, day)
    outcome.warnings.extend(dict.fromkeys(str(w.message) for w in caught))
    for path, wb in books.items():
        create_file(path, wb, as_of=day)
        outcome.created.append(path)
    for path, done in refreshed:
        _recalculated(outcome, path, done)
    if "maintenance" in config.monthly and not meetings.path_of(folder).exists():     # a workspace from before it
        create_file(meetings.path_of(folder), meetings.build(config), as_of=day)
        outcome.created.append(meetings.path_of(folder))
        outcome.notes.append(f"新建 {meetings.FILE_NAME}：培训师在这里登记见面会的到会和培训考试（电话邀约以客户到会为准）。")
    if statuses and "maintenance" in config.monthly:
        path, added = archive_open.add_accounts(folder, statuses, config, day)
        outcome.notes.append(f"客户档案：新增 {added} 个帐户（{path.name}，已有的内容不变）。")
    if "maintenance" in config.monthly:
        _open_prospects(folder, outcome, day)
    if config.personal and "maintenance" in config.monthly and staff:
        _open_personal(folder, month, staff, outcome, day, refresh, config)
    if rules_current:
        _adopt_rules(folder, month, valid.with_rules(config, today_rules), was, outcome, day)
    return outcome


def _open_prospects(folder: Path, outcome: OpenOutcome, day: date) -> None:
    """商务出访.xlsx (made here for a workspace from before it), recalculated before the month's
    personal workbooks are made: it collects last month's callbacks, so the prospects still
    open are carried into the new 商务回访 with what was typed (docs/prospects.md)."""
    path = prospects.path_of(folder)
    if not path.exists():
        create_file(path, prospects.build(load_config(folder / CONFIG_NAME)), as_of=day)
        outcome.created.append(path)
        outcome.notes.append(f"新建 {prospects.FILE_NAME}：商务在这里登记出访的客户并指派客服回访（见 docs/prospects.md）。")
        return
    try:
        _recalculated(outcome, path, recalc_file(path, as_of=day))
    except KefuError as e:            # open in Excel: the personal workbooks take what it last held
        outcome.warnings.append(f"{prospects.FILE_NAME} 没有重算（{e}）：新的个人工作簿按它上次保存的内容列出商务回访。")


def _recalculated(outcome: OpenOutcome, path: Path, done) -> None:
    """A file month open recalculated is 已更新 only when it was written (a backup kept); one the
    recalc found up to date was left as it was, and one with a sheet or header missing was not
    written either: `kefu-xl check` says why."""
    if done.written:
        if path in outcome.unchanged:
            outcome.unchanged.remove(path)
        if path not in outcome.refreshed:
            outcome.refreshed.append(path)
    elif done.unchanged:
        if path not in outcome.refreshed and path not in outcome.unchanged:
            outcome.unchanged.append(path)
    else:
        outcome.warnings.append(f"{path.name} 缺少工作表或表头，没有改写：运行 kefu-xl check {path} 查看。")


def _adopt_rules(folder: Path, month: Month, config, was: ValidRules, outcome: OpenOutcome, day: date) -> None:
    """month open --refresh --rules current: the month's workbooks of valid work judged by
    today's rules from now on (recorded in their _meta), the personal ones first, then the team
    tracker that collects them."""
    if was == config.valid:
        outcome.notes.append(f"{month} 已经在用当前的规则（{valid.describe(config.valid)}），没有改动。")
        return
    paths = personal_files(folder, month) if config.personal else []
    team = folder / str(month) / maintenance.file_name(month)
    for path in [*paths, *([team] if team.exists() else [])]:
        _recalculated(outcome, path, recalc_file(path, as_of=day, rules=config.valid))
    outcome.notes.append(f"{month} 的有效工作规则：{valid.describe(was)} → {valid.describe(config.valid)}，"
                         f"已按新规则重算 {len(paths) + team.exists()} 本工作簿（记在各自的 _meta 中）。")


def workbook_bytes(wb) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _open_personal(folder: Path, month: Month, staff, outcome: OpenOutcome, day: date, refresh: bool,
                   config) -> None:
    """One personal workbook per active roster member (docs/plan.md), filled by the same recalc
    a person runs in the morning; with --refresh, existing ones are recalculated (new
    accounts appear in 我的帐户; typed cells are never touched). A big team's new workbooks are
    written half in a second process (the second core)."""
    renewed = 0
    new: list[tuple[Path, str]] = []
    for member in staff:
        if not member.active:
            continue
        path = personal.path_of(folder, member.name, month)
        if path.exists():
            if refresh:
                _recalculated(outcome, path, recalc_file(path, as_of=day))
                renewed += 1
            continue
        check_not_open(path)
        new.append((path, member.name))
    if new:
        (new[0][0]).parent.mkdir(parents=True, exist_ok=True)
        blank = workbook_bytes(personal.build(config, month, ""))    # built once, stamped per person
        split = len(new) // 2 if len(new) >= PARALLEL_PERSONAL else 0
        with beside(_new_personal_books, new[:split], blank, config, month, day):
            _new_personal_books(new[split:], blank, config, month, day)
        outcome.created.extend(path for path, _ in new)
    outcome.counts["个人工作簿"] = len(new)
    outcome.notes.append(f"个人工作簿：新建 {len(new)} 本" + (f"，重算 {renewed} 本" if renewed else "") +
                         f"（{month}/{personal.FOLDER}/），每人在自己的工作簿里填工作记录、看今日计划；"
                         f"汇总到维护跟踪表：{command(f'collect {month}', folder)}。")


PARALLEL_PERSONAL = 20          # from this many new personal workbooks on, two processes write them


def _new_personal_books(todo: list[tuple[Path, str]], blank: bytes, config, month: Month, day: date) -> None:
    """Each person's workbook from the blank, stamped with the name and filled by the recalc;
    through openpyxl when the patcher cannot."""
    for path, name in todo:
        # 预约 carried over: the visits booked last month for this month or later
        visits = personal.carried_visits(personal.path_of(path.parent.parent.parent, name, month.previous()), month, config)
        if new_from_blank(path, blank, lambda book: personal.stamp_owner(book, config, month, name, visits),
                          as_of=day) is None:
            create_file(path, personal.build(config, month, name, visits=visits), as_of=day)


def _refresh(folder: Path, existing: dict[str, Path], statuses, month: Month, config, outcome: OpenOutcome,
             day: date) -> list[Path]:
    """Bring existing trackers up to date with a newer export: new accounts, newly due
    renewals and new clients are added; 周消耗/余额 follow the export — 余额 the month's newest
    daily spend export where there is one (9:00 watch), as `kefu-xl watch` left it; nothing a
    person typed elsewhere changes. Each file is changed in place (update_file). Returns
    (file, RecalcOutcome) of each."""
    by_id = {id_key(s.account_id): s for s in statuses}
    export_day, balances = spend_watch.latest_balances(folder, month)
    out = []
    for kind, path in existing.items():
        if kind not in NEEDS_EXPORT:
            continue
        wspec = MONTHLY[kind].spec(config, month)
        sheet = wspec.sheets[0]
        counts: dict[str, int] = {}

        def refresh(book, kind=kind, path=path, sheet=sheet) -> None:
            problems: list[Problem] = []
            data = read_sheet(book[sheet.name], sheet, path.name, problems) if sheet.name in book.sheetnames else None
            if data is None:
                raise DataProblemsError(f"{path.name} 表头不完整，无法 --refresh。", problems)
            present = {id_key(cell_text(v["帐户ID"])): r for r, v in data.rows}
            ws, cols = book[sheet.name], data.layout.columns
            updated = 0
            for key, r in present.items():
                s = by_id.get(key)
                if s is None:
                    continue
                balance = balances.get(key, s.balance)
                for header, value in (("周消耗", s.weekly_spend), ("余额", balance)):
                    if header in cols and value is not None and cell_number(ws.cell(r, cols[header]).value) != value:
                        ws.cell(r, cols[header]).value = value
                        updated += 1
            new_statuses = [s for k, s in by_id.items() if k not in present]
            if kind == "maintenance":
                rows = maintenance.opening_rows(new_statuses, {}, month, config)
            elif kind == "renewal":
                rows = [renewal.row_values(r) for r in
                        renewal.opening_rows(new_statuses, [], {}, None, month, config)[0]]
            else:
                rows = [newclient.row_values(r) for r in newclient.opening_rows(new_statuses, [], None, month)]
            write_rows(ws, data.layout, sheet, rows, data.last_row + 1)
            counts.update(rows=len(rows), updated=updated)
        out.append((path, update_file(path, refresh, as_of=day)))
        source = f"（余额按 {export_day} 的消耗导出，比帐户状态新）" if balances else ""
        outcome.notes.append(f"{path.name}：新增 {counts['rows']} 行，按新导出更新了 {counts['updated']} 个余额/周消耗单元格{source}。")
    return out


def _read_month_inputs(folder: Path, month: Month, outcome: OpenOutcome):
    notes: list[str] = []
    status_path = find_input(folder / str(month) / "inputs", ACCOUNT_STATUS, notes)
    outcome.warnings.extend(notes)
    statuses, problems = read_account_status(status_path)
    outcome.problems.extend(problems)
    staff = None
    roster_path = folder / roster.FILE_NAME
    if roster_path.exists():
        staff, roster_problems = roster.read_roster(roster_path)
        outcome.problems.extend(roster_problems)
    else:
        outcome.problems.append(Problem(roster.FILE_NAME, "", None, "", "NO_ROSTER",
                                        f"没有找到 {roster_path}：客服汇总暂无星级与容量。", Severity.WARNING))
    if has_errors(outcome.problems):
        raise DataProblemsError(f"输入数据有错误，没有生成任何文件（{status_path}）。", outcome.problems)
    return statuses, staff


def _open_carried(kind, folder: Path, month: Month, config, calendar, outcome: OpenOutcome, day):
    """投诉台账 / 网销: last month's open rows (complaints 处理中, leads still followed) come over
    as 遗留, every typed cell kept; the reports are filled by the same recalc as later."""
    noun, count = {"complaints": ("投诉台账：结转上月处理中的投诉 {n} 起。", "遗留投诉"),
                   "onlinesales": ("网销：结转上月仍在跟进的询盘 {n} 条。", "遗留询盘")}[kind.KIND]
    previous = month.previous()
    previous_path = folder / str(previous) / kind.file_name(previous)
    rows = []
    if previous_path.exists():
        _, before = kind.read_file(previous_path, config)
        rows = kind.opening_rows(before, config, month)
    outcome.counts[count] = len(rows)
    outcome.notes.append(noun.format(n=len(rows)) if previous_path.exists() else
                         f"{kind.file_name(month).split('_')[0]}：没有上月的（{previous_path.relative_to(folder)}），不结转。")
    return kind.build(config, month, calendar, rows)


def carry_over_warning(statuses, previous_levels: dict[str, str], previous: Month) -> str | None:
    """A warning when this month's export shares under half of last month's account IDs: the
    IDs probably changed form (GA10001 → 10001), and every 上月级别 would silently be empty."""
    ids = {id_key(s.account_id) for s in statuses}
    matched = sum(1 for key in previous_levels if key in ids)
    if matched * 2 >= len(previous_levels):
        return None
    before = "、".join(list(previous_levels)[:3])
    now = "、".join(s.account_id for s in statuses[:3])
    return (f"本月帐户状态的帐户ID只有 {matched} 个与 {previous} 维护跟踪表的 {len(previous_levels)} 个相同："
            f"这些帐户的上月级别会是空的（级别按本月消耗重新确定）。上月的 ID 如 {before}，本月的如 {now}——"
            f"如果 ID 的写法变了，请让平台按上月的格式重新导出后再开月。")


def _open_maintenance(folder: Path, month: Month, config, calendar, statuses, staff, outcome: OpenOutcome, day):
    previous = month.previous()
    previous_path = folder / str(previous) / maintenance.file_name(previous)
    previous_levels: dict[str, str] = {}
    if previous_path.exists():
        previous_levels = read_previous_levels(previous_path, previous)
        outcome.notes.append(f"上月级别取自 {previous_path.relative_to(folder)}（{len(previous_levels)} 个帐户）。")
    else:
        outcome.notes.append(f"没有上月维护跟踪表（{previous_path.relative_to(folder)}）：上月级别留空，级别按本月消耗确定。")
    if previous_levels:
        warning = carry_over_warning(statuses, previous_levels, previous)
        if warning:
            outcome.warnings.append(warning)
    rows = maintenance.opening_rows(statuses, previous_levels, month, config)
    outcome.counts.update({"帐户": len(rows), "新开客户": sum(1 for r in rows if r["备注"])})
    return maintenance.build(config, month, calendar, rows, staff or [], day)
