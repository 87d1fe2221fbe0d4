"""个人/客服名_YYYY-MM.xlsx (kind personal): one person's workbook with today's plan
(docs/plan.md). The person types their 工作记录 here — nobody else writes this file — and recalc
pulls levels, targets and the other sources' records from the team trackers (read only),
refreshes 我的帐户 and 每日小结 and writes the plan for the day (rules/plan.py). The team
tracker is assembled from these files by `kefu-xl collect`."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from ..config import Config
from ..month import Month
from ..records import Problem, Severity, Targets, WorkRecord
from ..rules import completion, outcomes, valid
from ..rules import plan as planning
from ..rules import renewal as renewal_rules
from ..rules.renewal import ONBOARDING_STEPS as STEPS
from ..sheets.build import (
    build_workbook,
    column_width,
    read_meta,
    set_cell,
    style_name,
    text_width,
    write_meta,
    write_rows,
)
from ..sheets.layout import find_layout
from ..sheets.read import read_sheet, write_problem_sheet
from ..sheets.spec import (
    Anchor,
    Column,
    Highlight,
    Role,
    SheetSpec,
    Type,
    WorkbookSpec,
)
from . import inquiries, maintenance, newclient, prospects, renewal, roster
from .base import (
    Kind,
    RecalcContext,
    RecalcResult,
    cell_date,
    cell_number,
    cell_text,
    finish_recalc,
    read_tracker,
    rebuild_rows,
    restore_formulas,
    start_recalc,
)
from .team_list import (
    CHUNKS,
    ID_LIST,
    LISTED,
    NOT_TEAMS,
    client_name,
    colleague_name_formula,
    last_account_list,
    write_account_list,
)
from .today import (
    ADDED,
    ALL_ACCOUNTS,
    DAILY,
    ITEMS,
    MINE,
    MY_CLIENTS,
    MY_RENEWALS,
    PLAN_DAY,
    PLAN_FIELDS,
    PLANNED,
    SUGGESTED,
    TODAY,
    URGENT_META,
    VISITS,
    WORK,
    Team,
    booked_days,
    desk_inputs,
    done_text,
    follow_up_days,
    header_text,
    last_contacts,
    missed_inputs,
    plan_done,
    plan_figure,
    plan_inputs,
    plan_sheet_rows,
    today_sheet,
    unhappy_inputs,
    urgent_entries,
    urgent_items,
    visit_inputs,
    visits_sheet,
    write_header_row,
)
from .work_checks import check_work, read_work, write_team_checks

KIND = "personal"
FOLDER = "个人"
AS_OF = "截至日期"
RESTORED_COLUMN = "来源"              # 工作记录: a row journal restore put back (docs/journal.md)
GREEN, ORANGE, RED = "C6EFCE", "FFEB9C", "FFC7CE"
SHEET_ORDER = {TODAY: 0, WORK: 1, MINE: 2, MY_RENEWALS: 3, MY_CLIENTS: 4, DAILY: 5, VISITS: 6}


def file_name(owner: str, month: Month) -> str:
    return f"{owner}_{month}.xlsx"


def path_of(workspace: Path, owner: str, month: Month) -> Path:
    """Where `owner`'s workbook lives; a name that would lead out of 个人/ is refused (the
    roster check names it first, this is the last guard)."""
    return roster.file_in(workspace / str(month) / FOLDER, file_name(owner, month), owner)


def team_work_inputs(config: Config, month: Month) -> tuple[Column, ...]:
    """The typed columns of the team's 工作记录 (docs/work.md), as the person types them here."""
    helps = {"客服": "空白 = 本人；替别人登记时填写姓名。",
             "帐户ID": "帐户ID（自己的帐户可从下拉列表选择；代班同事的帐户直接填写）。"}
    team = maintenance.spec(config, month).declared_sheet(maintenance.WORK)
    return tuple(replace(c, help=helps.get(c.header, c.help),
                         dropdown_source=f"{MINE}!帐户ID" if c.header == "帐户ID" else c.dropdown_source)
                 for c in team.columns if c.role is Role.INPUT)


def spec(config: Config, month: Month) -> WorkbookSpec:
    blank = 'AND([日期]="",[帐户ID]="",[工作类型]="")'
    in_month = f"AND(ISNUMBER([日期]),[日期]>={month.excel_first()},[日期]<={month.excel_last()})"
    work = f"[{WORK}!"
    client_name_formula = (f'IF([帐户ID]="","",IFERROR(INDEX([{MINE}!客户名称],MATCH([帐户ID],[{MINE}!帐户ID],0)),'
                           f'IFERROR({colleague_name_formula(LISTED)},"{NOT_TEAMS}")))')
    today, visits = today_sheet(month, STEPS), visits_sheet(month)
    work_sheet = SheetSpec(
        name=WORK, title=f"{month.label} 我的工作记录", key="日期", buffer_rows=300,
        row_markers=("日期", "帐户ID", "工作类型"),
        help="每做一项工作登记一行；代班（同事的帐户）也登记在这里。只有与决策人的沟通有效。",
        columns=(
            *(c for c in team_work_inputs(config, month) if c.header in ("日期", "客服", "帐户ID")),
            Column("客户名称", Role.DERIVED, Type.TEXT, client_name_formula, width=30,
                   help="帐户ID对应的客户；同事的帐户显示客户名称和「（同事的帐户）」，核对没有填错帐户。"),
            *(c for c in team_work_inputs(config, month) if c.header not in ("日期", "客服", "帐户ID")),
            Column("有效", Role.DERIVED, Type.TEXT, f'IF({blank},"",IF([无效原因]="","是","否"))',
                   help="是：决策人、帐户存在、日期在本月（超计划在团队维护跟踪表中判断）。"),
            Column("无效原因", Role.DERIVED, Type.TEXT,
                   f'IF({blank},"",' + completion.reasons_formula(
                       config.valid.duplicates,
                       f'OR([帐户ID]="",SUMPRODUCT(--ISNUMBER(SEARCH({LISTED},'
                       f'[{ALL_ACCOUNTS}!#{ID_LIST}:{CHUNKS}])))=0)', in_month,
                       outcomes.clause(config.valid, '""', personal=True)) + ")",
                   width=18, help="重复 / 非决策人 / 帐户不存在 / 日期不在本月 / 未填满意度 / 客户未接受 / 待团队核对 …（见说明）。"),
            Column("计数键", Role.DERIVED, Type.TEXT, 'IF([有效]="是",[帐户ID]&"|"&[工作类型],"")', hidden=True,
                   help="辅助列（隐藏）：帐户ID|工作类型，「我的帐户」按它统计完成数。"),
            maintenance.duplicate_key_column(),
            maintenance.team_check_column(),
            Column(RESTORED_COLUMN, Role.COMPUTED, Type.TEXT, width=14,
                   help="空白：自己填的；「日志恢复 MM-DD」：客服经理用 kefu-xl journal restore 从日志放回的被删记录。"),
        ),
        highlights=(Highlight('[有效]="否"', RED),),
    )
    done_cols = [f"{item}完成" for item, _ in ITEMS]
    target_cols = [f"{item}目标" for item, _ in ITEMS]
    other_cols = [f"{item}其他" for item, _ in ITEMS]
    mine = SheetSpec(
        name=MINE, title=f"{month.label} 我的帐户", key="帐户ID", buffer_rows=0, row_markers=("帐户ID",),
        help="我负责的帐户：级别和目标来自团队维护跟踪表；完成数 = 本工作簿的有效记录 + 团队表中其他来源（代班等）的有效记录。",
        columns=(
            Column("帐户ID", Role.COMPUTED, Type.ID, help="帐户ID。"),
            Column("客户名称", Role.COMPUTED, Type.TEXT, width=22, help="客户名称。"),
            Column("级别", Role.COMPUTED, Type.TEXT, help="本月级别（团队维护跟踪表）。"),
            *(Column(t, Role.COMPUTED, Type.INT, help=f"每月{item}目标次数。") for t, (item, _) in zip(target_cols, ITEMS)),
            *(Column(d, Role.DERIVED, Type.INT, f'COUNTIF({work}计数键],[帐户ID]&"|{wt}")+N([{o}])',
                     help=f"有效的「{wt}」次数（本工作簿 + 其他来源）。")
              for d, o, (_, wt) in zip(done_cols, other_cols, ITEMS)),
            Column("剩余", Role.DERIVED, Type.INT,
                   "+".join(f"MAX(0,[{t}]-[{d}])" for t, d in zip(target_cols, done_cols)), help="四项还差的次数之和。"),
            Column("完成率", Role.DERIVED, Type.RATIO,
                   f'IF(({"+".join(f"[{t}]" for t in target_cols)})=0,"",'
                   f'({"+".join(f"MIN([{d}],[{t}])" for d, t in zip(done_cols, target_cols))})/'
                   f'({"+".join(f"[{t}]" for t in target_cols)}))',
                   help="Σ MIN(完成, 目标) ÷ Σ 目标。"),
            Column("上次联系", Role.COMPUTED, Type.DATE, help="最近一条有效记录的日期（重算时填写，含其他来源）。"),
            *(Column(o, Role.COMPUTED, Type.INT, hidden=True, help=f"辅助列（隐藏）：团队表中其他来源的有效「{wt}」次数。")
              for o, (_, wt) in zip(other_cols, ITEMS)),
        ),
        highlights=(Highlight("N([剩余])>0", ORANGE, ("剩余",)),),
    )
    target = config.daily_valid_target
    daily = SheetSpec(
        name=DAILY, title=f"{month.label} 每日小结（晚总结）", key="日期", buffer_rows=0, row_markers=("日期",),
        help="每个工作日一行，到计划日期为止：当天计划了几项、完成了几项、有效工作几条。",
        columns=(
            Column("日期", Role.COMPUTED, Type.DATE, help="工作日。"),
            Column("计划项数", Role.COMPUTED, Type.INT, help="这一天早上的计划有几项事项（分隔线以上，做计划时写下，当天不变，保留历史）。"),
            Column("完成计划项", Role.DERIVED, Type.INT,
                   f'IF([日期]=[{TODAY}!@{PLAN_DAY}],SUMIFS([{TODAY}!完成项],[{TODAY}!计划内],"{PLANNED}"),'
                   f'IF([完成记录]="","",N([完成记录])))',
                   help="早上的计划（分隔线以上）中已完成的事项数（今天的实时计算，以前的是那天最后一次重算时的数）；与「今日」第一行的「已完成」是同一个数。"),
            Column("有效工作", Role.DERIVED, Type.INT, f'COUNTIFS({work}日期],[日期],{work}有效],"是")',
                   help="这一天的有效工作记录条数。"),
            Column("达标", Role.DERIVED, Type.TEXT, f'IF([有效工作]>={target},"是","否")',
                   help=f"有效工作 ≥ {target}。"),
            Column("完成记录", Role.COMPUTED, Type.INT, hidden=True,
                   help="辅助列（隐藏）：以前各天计划的完成项数（换成新一天的计划时记下）。"),
        ),
        highlights=(Highlight('[达标]="否"', ORANGE, ("日期", "有效工作", "达标")),),
    )
    accounts = SheetSpec(
        name=ALL_ACCOUNTS, title="团队帐户清单（判断帐户是否存在）", key=ID_LIST, buffer_rows=0, protect=False, hidden=True,
        columns=(Column(ID_LIST, Role.COMPUTED, Type.TEXT,
                        help="团队维护跟踪表中的全部帐户ID，以 | 分隔，每格不超过 3 万字（几千个帐户只占几格，最多 20 格）。"),),
    )
    notes = (
        "这是你自己的工作簿：只有你在这里填写，所以大家可以同时在各自的文件里工作。",
        "早上：点 客服工具 → 重算（或 kefu-xl recalc 本文件），「今日」表列出今天该做的事，按序号做；"
        "做完一项就在「工作记录」登记一行，「已完成」会变成「是」。",
        "晚上：看「每日小结」：今天计划了几项、完成了几项、有效工作是否达标。",
        "工作要有结果才算有效：电话拜访选「满意度」，帐户优化选「客户接受」；续费完成以到帐为准、电话邀约以客户到会为准、"
        "其他以经理认可为准——这几类要看团队的文件，重算前显示「待团队核对」。",
        "客服经理用 kefu-xl collect 把每个人的工作记录汇总到团队的维护跟踪表（只读你的文件，不会改动它）。",
    )
    my_renewals, my_clients = follow_up_sheets(config, month)
    return WorkbookSpec(kind=KIND, title="个人工作簿",
                        sheets=(today, work_sheet, inquiries.personal_sheet(client_name_formula), mine, my_renewals,
                                my_clients, daily, visits, accounts, *prospects.personal_sheets(config, month)), notes=notes,
                        meta=valid.meta_of(config.valid))


def follow_up_sheets(config: Config, month: Month) -> tuple[SheetSpec, SheetSpec]:
    """我的续费 and 我的新客户: the owner's rows of the team's 续费 / 新客户 sheets, with the same
    columns and formulas; the follow-up columns are typed here (this file is their only
    writer), the identifying ones are values kefu-xl keeps up to date."""
    out = []
    for team_spec, name, follow, anchors in (
            (renewal.spec(config, month).declared_sheet(renewal.RENEWALS), MY_RENEWALS, renewal.FOLLOW_UP, ()),
            (newclient.spec(config, month).declared_sheet(newclient.CLIENTS), MY_CLIENTS, newclient.FOLLOW_UP,
             (Anchor(AS_OF, Type.DATE, "判断逾期的日期：重算时设为计划日期。"),))):
        columns = []
        for c in team_spec.columns:
            if c.header == "客服":
                continue
            if c.header in follow:
                columns.append(replace(c, role=Role.INPUT, help=c.help.split("汇总）")[-1]))
            elif c.role is Role.DERIVED:
                columns.append(c)
            else:
                columns.append(replace(c, role=Role.COMPUTED, dropdown=None))
        out.append(SheetSpec(name=name, title=f"{month.label} {name}", key="帐户ID", buffer_rows=0,
                             row_markers=("帐户ID",), anchors=anchors, columns=tuple(columns),
                             highlights=team_spec.highlights,
                             help=f"我负责的{name[2:]}：蓝色表头的列在这里填写（团队表由 kefu-xl collect 汇总），其余由 kefu-xl 填写。"))
    return out[0], out[1]


# --------------------------------------------------------------------------- team trackers (read only)


# --------------------------------------------------------------------------- the plan's inputs


# --------------------------------------------------------------------------- build and recalc

def titles(wspec: WorkbookSpec, owner: str) -> dict[str, str]:
    return {s.name: (f"{s.title} · {owner}" if s.name in (TODAY, WORK, MINE, DAILY) else s.title)
            for s in wspec.sheets}


def build(config: Config, month: Month, owner: str, meta: dict | None = None, visits: list[dict] = ()):
    """An empty personal workbook (with `visits`: 预约 rows carried from last month); month open
    runs the recalc that fills it."""
    wspec = spec(config, month)
    wb, _ = build_workbook(wspec, titles(wspec, owner), {VISITS: list(visits)}, {},
                           {"month": str(month), "owner": owner, **(meta or {})})
    write_problem_sheet(wb, [], before="说明")
    return wb


def stamp_owner(wb, config: Config, month: Month, owner: str, visits: list[dict] = ()) -> None:
    """Make a blank personal workbook (built once for a whole month open) someone's: the
    titles that name the person and _meta's owner; the 预约 rows carried from last month."""
    wspec = spec(config, month)
    named = titles(wspec, owner)
    for sheet in (TODAY, WORK, MINE, DAILY):
        wb[sheet].cell(1, 1).value = named[sheet]
    if visits:
        sheet = wspec.sheet(VISITS)
        layout, _ = find_layout(wb[VISITS], sheet)
        write_rows(wb[VISITS], layout, sheet, list(visits), layout.first_data_row, roles=(Role.INPUT,))
    write_meta(wb, wspec, {"owner": owner})


def carried_visits(previous: Path, month: Month, config: Config) -> list[dict]:
    """The 预约 rows of last month's workbook (`previous`) for a day in `month` or later: month
    open carries them into the new workbook (typed as they were)."""
    if not previous.exists():
        return []
    try:
        _, datas = read_tracker(previous, lambda m: spec(config, m), (VISITS,), month=month.previous())
    except (OSError, KeyError, ValueError):
        return []
    data = datas.get(VISITS)
    out = []
    for _, v in (data.rows if data is not None else []):
        when = cell_date(v.get("预约上门日期"))
        if cell_text(v.get("帐户ID")) and when is not None and when >= month.first:
            out.append({"帐户ID": cell_text(v.get("帐户ID")), "预约上门日期": when, "备注": cell_text(v.get("备注")) or None})
    return out


def _old_plan(wb, layouts) -> tuple[date | None, list[dict]]:
    """(计划日期, the plan's lines as written — not the divider) of 今日 as the file has it."""
    ws, layout = wb[TODAY], layouts[TODAY]
    row, col = layout.anchors[PLAN_DAY]
    day = cell_date(ws.cell(row, col).value)
    items = []
    for values in ws.iter_rows(min_row=layout.first_data_row, values_only=True):
        v = {h: values[c - 1] if c - 1 < len(values) else None for h, c in layout.columns.items()}
        if cell_text(v["事项"]):
            items.append({h: cell_text(v.get(h)) for h in PLAN_FIELDS if h != "序号"})
    return day, items


def _old_daily(wb, layouts) -> dict[date, dict]:
    ws, layout = wb[DAILY], layouts[DAILY]
    out = {}
    for values in ws.iter_rows(min_row=layout.first_data_row, values_only=True):
        v = {h: values[c - 1] if c - 1 < len(values) else None for h, c in layout.columns.items()}
        day = cell_date(v["日期"])
        if day is not None:
            out[day] = {"计划项数": cell_number(v["计划项数"]), "完成记录": cell_number(v["完成记录"])}
    return out


def daily_rows(old: dict[date, dict], old_day: date | None, old_done: int | None, plan: planning.Plan,
               month: Month, calendar, planned_today: int | None = None) -> list[dict]:
    """每日小结: every working day up to the plan day (and any day that had a plan), with the
    plan sizes kept as written (today's: the morning plan's lines) and the finished count of
    the plan being replaced."""
    days = set(calendar.workdays_between(month.first, plan.day)) | {d for d in old if month.contains(d)}
    rows = []
    for day in sorted(days):
        kept = old.get(day, {})
        planned, finished = kept.get("计划项数"), kept.get("完成记录")
        if day == plan.day:
            planned, finished = (plan.planned if planned_today is None else planned_today), None
        elif day == old_day and old_done is not None:
            finished = old_done
        rows.append({"日期": day, "计划项数": None if planned is None else int(planned),
                     "完成记录": None if finished is None else int(finished)})
    return rows


def sync_follow_ups(wb, sheet: SheetSpec, layouts, data, team_rows: list[dict], write: bool, file: str,
                    problems: list[Problem]) -> list[tuple[int, dict]]:
    """The owner's rows of a team sheet into 我的续费 / 我的新客户: identifying values kept up to
    date, rows new in the team file appended (their follow-up values copied once), typed
    cells never touched. Returns [(row, values)] of the rows that are the owner's."""
    ws, layout = wb[sheet.name], layouts[sheet.name]
    existing = {completion.id_key(cell_text(v["帐户ID"])): (r, v) for r, v in data.rows}
    identifying = [c for c in sheet.columns if c.role is Role.COMPUTED]
    out, next_row = [], max(data.last_row, layout.header_row) + 1
    for values in team_rows:
        key = completion.id_key(cell_text(values["帐户ID"]))
        if key in existing:
            row, v = existing.pop(key)
            for c in identifying:
                if write and v[c.header] != values.get(c.header) and \
                        not (cell_date(v[c.header]) and cell_date(v[c.header]) == cell_date(values.get(c.header))):
                    set_cell(ws.cell(row, layout.columns[c.header]), values.get(c.header), style_name(Role.COMPUTED, c.type))
            out.append((row, {**v, **{c.header: values.get(c.header) for c in identifying}}))
        else:
            if write:
                write_rows(ws, layout, sheet, [values], next_row)
            out.append((next_row, {h: values.get(h) for h in sheet.headers}))
            next_row += 1
    for row, v in existing.values():
        problems.append(Problem(file, sheet.name, row, "帐户ID", "NOT_IN_TEAM_TRACKER",
                                f"帐户「{cell_text(v['帐户ID'])}」已不在团队表中你的名下：这一行不会汇总（填写的内容保留），"
                                f"请核对帐户ID或问客服经理。", Severity.WARNING))
    return out


@dataclass
class PersonalFigures:
    """What the personal recalc computed, as Python values (python_values writes them as the
    cached values of the formula cells; tests compare them with LibreOffice's)."""
    owner: str = None
    plan: planning.Plan | None = None
    plan_rows: list[dict] | None = None
    done: list[bool] | None = None
    records: list[WorkRecord] | None = None
    planned_today: int | None = None
    plan_made_now: bool | None = None
    verdicts: Any = None
    accounts: Any = None
    mine: Any = None
    daily: Any = None
    team: Any = None
    daily_target: Any = None
    my_renewals: Any = None
    my_clients: Any = None
    month: Month | None = None
    config: Config | None = None
    away: bool = False
    team_ids: list[tuple[str, str]] | None = None      # away from the workspace: (帐户ID, 客户名称) last listed
    names: dict[str, str] | None = None
    plan_day: date | None = None
    inquiries: list | None = None              # the 咨询 rows with their 时限 (kinds/inquiries)
    header: str = ""                   # row 1 of 今日 as Python has it (已完成 filled in)
    visits_data: Any = None            # 预约's rows as read
    prospects: Any = None                  # 商务回访 as judged (kinds/prospects.MyProspects)


def personal_facts(ctx: RecalcContext, team, my_renewals) -> outcomes.TeamFacts | None:
    """What the outcome rules read for a person's records: the team's 续费跟踪 (and the person's
    own 我的续费, typed since the team's last recalc), the 见面会, the team's 抽查 marked 不认可."""
    if ctx.facts is None:
        return None
    def received():
        team = ctx.facts.received()
        if team is None:                          # the team keeps no 续费跟踪
            return None
        out = {k: list(v) for k, v in team.items()}
        for r in my_renewals:
            out.setdefault(completion.id_key(r.account_id), []).append(r.received)
        return out
    return outcomes.TeamFacts(ctx.month.first, ctx.month.clamp(ctx.as_of), ctx.as_of, received, ctx.facts.meetings,
                              team.unrecognised, late=ctx.facts.late)


def recalc(wb, ctx: RecalcContext) -> RecalcResult:
    config, month = ctx.config, ctx.month
    wspec = spec(config, month)
    owner = str(read_meta(wb).get("owner") or "")
    result, found = start_recalc(wb, ctx, KIND, wspec, rebuilt=(TODAY, MINE, DAILY, ALL_ACCOUNTS))
    problems = result.problems
    if found is None:
        return result
    layouts, datas = found
    if not owner:
        problems.append(Problem(ctx.file, "", None, "", "NO_OWNER", "这本个人工作簿没有记下是谁的：请用开月（kefu-xl month open）生成的文件。"))
        return result
    team = Team(ctx.workspace, month, config, ctx.file, problems)
    if not team.found and not any(p.code == "TEAM_TRACKER_BROKEN" for p in problems):
        return recalc_away(wb, ctx, wspec, layouts, datas, owner, team, result)
    records = read_work(datas[WORK], ctx, problems, owner)
    my = {}
    for name, team_rows, to_values, reader in (
            (MY_RENEWALS, team.renewals, renewal.row_values, renewal.read_rows),
            (MY_CLIENTS, team.newclients, newclient.row_values, newclient.read_rows)):
        mine_rows = [to_values(r) for r in team_rows if r.staff == owner]
        synced = sync_follow_ups(wb, wspec.sheet(name), layouts, datas[name], mine_rows, ctx.write, ctx.file, problems)
        my[name] = reader(SimpleNamespace(rows=[(r, {**v, "客服": owner}) for r, v in synced]), ctx.file, problems)
    my_prospects = prospects.recalc_personal(wb, wspec, layouts, datas, owner, ctx, result)   # 商务回访
    known = {completion.id_key(a["帐户ID"]): Targets() for a in team.accounts}
    checks = outcomes.team_checks(records, config.valid, personal_facts(ctx, team, my[MY_RENEWALS]), personal=True)
    verdicts = completion.classify_work(records, known, month.first, month.last, over_plan=False,
                                        duplicates_once=config.valid.duplicates,
                                        outcome=outcomes.judge(config.valid, checks, personal=True))
    owners = {completion.id_key(a["帐户ID"]): a["客服"] for a in team.accounts}
    check_work(records, verdicts, owners, None, ctx, problems, accounts_where="团队维护跟踪表",
               known_ids=[a["帐户ID"] for a in team.accounts])
    day = planning.plan_day(ctx.as_of, ctx.calendar, month)
    accounts, renewals, newclients, contacts = plan_inputs(owner, team, records, verdicts, day, month, config,
                                                       my[MY_RENEWALS], my[MY_CLIENTS])
    anomalies, cadence = desk_inputs(owner, team, accounts, contacts, day, month, config, ctx.calendar)
    last = last_contacts(contacts)
    reminded, steps = follow_up_days(my[MY_RENEWALS], my[MY_CLIENTS])
    visits = visit_inputs(datas.get(VISITS), ctx.file, problems, accounts)
    booked = booked_days(visits)
    asked = inquiries.read_rows(datas[inquiries.SHEET], ctx.file, problems)
    inquiries.judge(asked, {completion.id_key(a["帐户ID"]): a.get("级别", "") for a in team.accounts}, config, ctx.calendar)
    answered = inquiries.answered_days(asked)
    called = prospects.called_days(my_prospects.judged.prospects if my_prospects else [])
    old_day, old_items = _old_plan(wb, layouts)
    old_counts = plan_done(old_items, records, verdicts, old_day, reminded, steps, booked, answered, called) \
        if old_day else []
    plan = planning.make_plan(day, month, ctx.calendar, accounts, renewals, newclients,
                              daily_valid_target=config.daily_valid_target,
                              renewal_follow_up_days=config.renewal_follow_up_days,
                              due_balance_days=config.due_balance_days, anomalies=anomalies, cadence=cadence,
                              unhappy=unhappy_inputs(records, accounts, contacts, day, ctx.calendar), visits=visits,
                              missed=missed_inputs(old_day, old_items, old_counts, day, records, accounts, contacts,
                                                   ctx.calendar), settings=config.plan,
                              urgent=urgent_items(urgent_entries(read_meta(wb).get(URGENT_META), day), accounts),
                              inquiries=inquiries.plan_inputs(asked, ctx.now or datetime.now(),
                                                              {completion.id_key(a["帐户ID"]): a["客户名称"]
                                                               for a in team.accounts}),
                              prospects=prospects.plan_inputs(my_prospects, day, ctx.calendar))
    levels = {completion.id_key(a.account_id): a.level for a in accounts}
    plan_rows, planned_today, made_now = plan_sheet_rows(plan, old_day, old_items, levels, config.plan)
    others = {}
    for r in team.other_records:
        key = (completion.id_key(r.account_id), r.work_type)
        others[key] = others.get(key, 0) + 1
    mine_rows = []
    for a in accounts:
        key = completion.id_key(a.account_id)
        row = {"帐户ID": a.account_id, "客户名称": a.name, "级别": a.level, "上次联系": last.get(key)}
        for (item, wt), t in zip(ITEMS, a.targets.as_tuple()):
            row[f"{item}目标"] = t
            row[f"{item}其他"] = others.get((key, wt), 0)
        mine_rows.append(row)
    old_done = plan_figure(old_items, old_counts)[0] if old_day and old_day != plan.day else None
    old_daily = _old_daily(wb, layouts)
    if not made_now and old_daily.get(plan.day, {}).get("计划项数") is not None:
        planned_today = int(old_daily[plan.day]["计划项数"])     # the morning's figure stays
    daily = daily_rows(old_daily, old_day, old_done, plan, month, ctx.calendar, planned_today)
    problems.sort(key=lambda p: (SHEET_ORDER.get(p.sheet, 9), p.row or 0))
    if ctx.write:
        rebuild_rows(wb, wspec.sheet(TODAY), layouts, plan_rows)
        ws, layout = wb[TODAY], layouts[TODAY]
        set_row_heights(ws, layout, wspec.sheet(TODAY), plan_rows, ("事项", "原因"))
        for label, value, type_ in ((PLAN_DAY, plan.day, Type.DATE), (SUGGESTED, planned_today, Type.INT)):
            row, col = layout.anchors[label]
            set_cell(ws.cell(row, col), value, style_name(Role.COMPUTED, type_))
        write_team_checks(wb[WORK], layouts[WORK], datas[WORK], records, checks)
        restore_formulas(wb, wspec.sheet(WORK), layouts, datas[WORK], result, ctx.file)
        inquiries.write_due(wb[inquiries.SHEET], layouts[inquiries.SHEET], asked)
        restore_formulas(wb, wspec.sheet(inquiries.SHEET), layouts, datas[inquiries.SHEET], result, ctx.file)
        restore_formulas(wb, wspec.sheet(VISITS), layouts, datas[VISITS], result, ctx.file)
        for name in (MY_RENEWALS, MY_CLIENTS):
            fresh = read_sheet(wb[name], wspec.sheet(name), ctx.file, [])
            restore_formulas(wb, wspec.sheet(name), layouts, fresh, result, ctx.file)
        row, col = layouts[MY_CLIENTS].anchors[AS_OF]
        set_cell(wb[MY_CLIENTS].cell(row, col), plan.day, style_name(Role.COMPUTED, Type.DATE))
        rebuild_rows(wb, wspec.sheet(MINE), layouts, mine_rows)
        rebuild_rows(wb, wspec.sheet(DAILY), layouts, daily)
        write_account_list(wb[ALL_ACCOUNTS], layouts[ALL_ACCOUNTS], [(a["帐户ID"], a["客户名称"]) for a in team.accounts])
        if made_now:
            made = (ctx.now or datetime.now()).replace(microsecond=0)
            write_meta(wb, wspec, {"plan_day": plan.day.isoformat(), "plan_made_at": made.isoformat(sep=" ")})
        finish_recalc(wb, wspec, ctx, problems)
    lines = [r for r in plan_rows if r["事项"]]
    done_now = plan_done(lines, records, verdicts, plan.day, reminded, steps, booked, answered, called)
    morning_done, _ = plan_figure(lines, done_now)
    added = sum(r["项数"] or 0 for r in lines if r["计划内"] == ADDED)
    header = header_text(plan.day, ctx.as_of, planned_today, morning_done, added) + f" · {owner}"
    if ctx.write:
        write_header_row(wb[TODAY], layouts, plan.day, ctx.as_of, planned_today, added, owner, shown=header)
    result.summary_headers = ["客服", "计划日期", "建议今日完成", "已完成", "有余力再做", "我的帐户", "有效记录（超计划在团队表扣）"]
    result.summary_rows = [[owner, plan.day.isoformat(), str(planned_today), str(morning_done),
                            str(sum(r["项数"] or 0 for r in lines if not r["计划内"])), str(len(accounts)),
                            str(sum(1 for v in verdicts if v.valid))]]
    result.figures = PersonalFigures(owner=owner, plan=plan, plan_rows=lines, done=done_now, records=records,
                                     planned_today=planned_today, plan_made_now=made_now, verdicts=verdicts,
                                     accounts=accounts, mine=mine_rows, daily=daily, team=team,
                                     daily_target=config.daily_valid_target, my_renewals=my[MY_RENEWALS],
                                     my_clients=my[MY_CLIENTS], month=month, config=config, header=header, inquiries=asked,
                                     visits_data=datas.get(VISITS), prospects=my_prospects)
    return result


LINE_HEIGHT = 15                       # points per line of 10-point text


def set_row_heights(ws, layout, sheet: SheetSpec, rows: list[dict], headers: tuple[str, ...]) -> None:
    """Rows whose text in `headers` wraps get the height their lines need (spreadsheets do not
    grow a row for wrapped text a program wrote, and print would cut the rest)."""
    widths = {h: column_width(sheet.column(h)) - 1 for h in headers}
    for r, row in enumerate(rows, layout.first_data_row):
        lines = max(-(-text_width(row.get(h) or "") // w) for h, w in widths.items())
        if lines > 1:
            ws.row_dimensions[r].height = LINE_HEIGHT * lines + 3


def recalc_away(wb, ctx: RecalcContext, wspec: WorkbookSpec, layouts, datas, owner: str, team: "Team",
                result: RecalcResult) -> RecalcResult:
    """A personal workbook recalculated where its team tracker cannot be found (copied to the
    desktop, opened from an e-mail): said once, naming where it looked; 今日, 我的帐户 and 每日小结
    stay as they were; the records are judged against the team's accounts as the workbook last
    knew them (its 帐户清单) — as its own formulas judge them — never all as unknown."""

    problems, month = result.problems, ctx.month
    where = (f"{team.looked}" if getattr(team, "looked", None) else
             f"{ctx.path.parent if ctx.path else '本文件所在的文件夹'} 及其上级文件夹（找 kefu-xl.toml）")
    problems.append(Problem(ctx.file, TODAY, None, "", "NO_TEAM_TRACKER",
                            f"没有找到团队的维护跟踪表（找过：{where}）：今日计划、我的帐户和每日小结保持上次的内容，"
                            f"工作记录按上次的团队帐户清单检查。请在共享文件夹里的原文件上重算（客服工具 → 重算）。",
                            Severity.WARNING))
    listed = last_account_list(wb, layouts)
    ids = [i for i, _ in listed]
    records = read_work(datas[WORK], ctx, problems, owner)
    verdicts = completion.classify_work(records, {completion.id_key(i): Targets() for i in ids}, month.first,
                                        month.last, over_plan=False, duplicates_once=ctx.config.valid.duplicates)
    check_work(records, verdicts, {}, None, ctx, problems, accounts_where="上次的团队帐户清单", known_ids=ids)
    my = {name: reader(SimpleNamespace(rows=[(r, {**v, "客服": owner}) for r, v in datas[name].rows]), ctx.file, [])
          for name, reader in ((MY_RENEWALS, renewal.read_rows), (MY_CLIENTS, newclient.read_rows))}
    mine = read_sheet(wb[MINE], wspec.sheet(MINE), ctx.file, [])
    my_prospects = prospects.recalc_personal(wb, wspec, layouts, datas, owner, ctx, result)   # 商务回访
    problems.sort(key=lambda p: (SHEET_ORDER.get(p.sheet, 9), p.row or 0))
    if ctx.write:
        write_account_list(wb[ALL_ACCOUNTS], layouts[ALL_ACCOUNTS], listed)     # an older list in today's form
        restore_formulas(wb, wspec.sheet(WORK), layouts, datas[WORK], result, ctx.file)
        for name in (MY_RENEWALS, MY_CLIENTS, VISITS, inquiries.SHEET):     # (时限 stays as last computed)
            restore_formulas(wb, wspec.sheet(name), layouts, datas[name], result, ctx.file)
        finish_recalc(wb, wspec, ctx, problems)
    result.summary_headers = ["客服", "团队表", "有效记录（超计划在团队表扣）"]
    result.summary_rows = [[owner, "没有找到（今日计划未更新）", str(sum(1 for v in verdicts if v.valid))]]
    names = {completion.id_key(cell_text(v["帐户ID"])): cell_text(v["客户名称"]) for _, v in (mine.rows if mine else [])}
    result.figures = PersonalFigures(owner=owner, away=True, records=records, verdicts=verdicts, team_ids=listed,
                                     names=names, my_renewals=my[MY_RENEWALS], my_clients=my[MY_CLIENTS],
                                     month=month, config=ctx.config, plan_day=ctx.as_of, prospects=my_prospects)
    return result


def python_values(result: RecalcResult) -> dict[str, dict]:
    """Python's value of every derived cell: 今日 by 序号, 工作记录 by row, 我的帐户 by 帐户ID,
    每日小结 by 日期 — what tests compare with LibreOffice's recalculation. Away from the
    workspace only 工作记录 and the follow-up sheets, which that recalc judged."""
    f = result.figures
    if f.away:
        return away_values(f)
    plan_day = f.plan.day
    out: dict[str, dict] = {TODAY: {}, WORK: {}, MINE: {}, DAILY: {}}
    names = {completion.id_key(row["帐户ID"]): row["客户名称"] for row in f.mine}
    team = {completion.id_key(a["帐户ID"]): a["客户名称"] for a in f.team.accounts}
    for row, done in zip(f.plan_rows, f.done):
        items = row["项数"] or 0
        out[TODAY][row["序号"]] = {"已完成": done_text(done, items) or None, "完成项": done}
    out[inquiries.SHEET] = {i.row: {"及时": i.on_time, "答复于": i.answered, "客户名称": client_name(i, names, team)}
                            for i in f.inquiries or []}
    for r, v in zip(f.records, f.verdicts):
        out[WORK][r.row] = {"有效": "是" if v.valid else "否", "无效原因": v.reason,
                            "计数键": f"{r.account_id}|{r.work_type}" if v.valid else "",
                            "重复键": completion.duplicate_label(r), "客户名称": client_name(r, names, team)}
    own: dict[tuple[str, str], int] = {}
    for r, v in zip(f.records, f.verdicts):
        if v.valid:
            key = (completion.id_key(r.account_id), r.work_type)
            own[key] = own.get(key, 0) + 1
    for row in f.mine:
        key = completion.id_key(row["帐户ID"])
        targets = [row[f"{item}目标"] for item, _ in ITEMS]
        done = [own.get((key, wt), 0) + row[f"{item}其他"] for item, wt in ITEMS]
        total = sum(targets)
        values = {f"{item}完成": d for (item, _), d in zip(ITEMS, done)}
        values["剩余"] = sum(max(0, t - d) for t, d in zip(targets, done))
        values["完成率"] = None if total == 0 else Decimal(sum(min(d, t) for d, t in zip(done, targets))) / total
        out[MINE][row["帐户ID"]] = values
    valid_by_day: dict[date, int] = {}
    for r, v in zip(f.records, f.verdicts):
        if v.valid and r.day is not None:
            valid_by_day[r.day] = valid_by_day.get(r.day, 0) + 1
    out[MY_RENEWALS] = {r.account_id: {"可投放天数": renewal_rules.days_of_spend(r.balance, r.weekly_spend),
                                       "阶段": renewal_rules.stage(r, f.month),
                                       "提成": renewal_rules.commission(r, f.month, f.config)}
                        for r in f.my_renewals}
    out[MY_CLIENTS] = {r.account_id: renewal_rules.onboarding(r, plan_day) for r in f.my_clients}
    morning_done, _ = plan_figure(f.plan_rows, f.done)
    out[VISITS] = {}
    for r, v in (f.visits_data.rows if f.visits_data is not None else []):
        account = cell_text(v.get("帐户ID"))
        out[VISITS][r] = {"客户名称": "" if not account else names.get(completion.id_key(account), "（不是我的帐户）")}
    for row in f.daily:
        day = row["日期"]
        finished = morning_done if day == plan_day else row["完成记录"]
        valid = valid_by_day.get(day, 0)
        out[DAILY][day] = {"完成计划项": finished, "有效工作": valid,
                           "达标": "是" if valid >= f.daily_target else "否"}
    out.update(prospects.personal_values(f.prospects))
    return out


def away_values(f: PersonalFigures) -> dict[str, dict]:
    team = {completion.id_key(i): n for i, n in f.team_ids}
    out: dict[str, dict] = {WORK: {}}
    for r, v in zip(f.records, f.verdicts):
        out[WORK][r.row] = {"有效": "是" if v.valid else "否", "无效原因": v.reason,
                            "计数键": f"{r.account_id}|{r.work_type}" if v.valid else "",
                            "重复键": completion.duplicate_label(r), "客户名称": client_name(r, f.names, team)}
    out[MY_RENEWALS] = {r.account_id: {"可投放天数": renewal_rules.days_of_spend(r.balance, r.weekly_spend),
                                       "阶段": renewal_rules.stage(r, f.month),
                                       "提成": renewal_rules.commission(r, f.month, f.config)}
                        for r in f.my_renewals}
    out.update(prospects.personal_values(f.prospects))
    return out


KIND_DEF = Kind(KIND, "个人工作簿", spec, recalc, python_values, judges_work=True)
