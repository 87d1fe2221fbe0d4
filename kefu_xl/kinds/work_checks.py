"""The team tracker's rows read and checked (docs/work.md): accounts, work records, spot checks — the messages name where each fix is typed. The personal recalc checks a person's own records with the same code."""
from __future__ import annotations

import difflib
from datetime import timedelta

from ..config import Config
from ..io.values import id_texts, is_blank, parse_texts
from ..month import Month
from ..records import (
    Account,
    Problem,
    Severity,
    Targets,
    WorkRecord,
)
from ..rules import completion as rules
from ..rules import outcomes
from ..rules import spotchecks as spot
from ..rules.levels import (
    is_downgrade,
    level_rank,
    opening_level,
    suggested_level,
    targets_for,
)
from ..sheets.build import set_cell, style_name
from ..sheets.read import SheetData
from ..sheets.spec import Role, Type
from .base import (
    RecalcContext,
    cell_date,
    cell_number,
    cell_text,
    date_typo,
    typed_as_number,
)

ACCOUNTS, WORK, SPOT = "帐户", "工作记录", "抽查"                # the team tracker's sheets (maintenance)
NEW_CLIENT_NOTE = "新开客户：本月在新客户跟踪表服务，不计维护目标"


def _read_accounts(data: SheetData, ctx: RecalcContext, problems: list[Problem]) -> list[Account]:
    accounts, seen = [], {}
    for row, v in data.rows:
        account_id = cell_text(v["帐户ID"])
        key = rules.id_key(account_id)
        if key in seen:
            problems.append(Problem(ctx.file, ACCOUNTS, row, "帐户ID", "DUPLICATE_ACCOUNT",
                                    f"帐户ID「{account_id}」与第 {seen[key]} 行重复：每个帐户只能有一行，请删除或合并重复行。"))
        else:
            seen[key] = row
        spend = cell_number(v["周消耗"])
        if spend is None and not is_blank(v["周消耗"]):
            problems.append(Problem(ctx.file, ACCOUNTS, row, "周消耗", "NOT_A_NUMBER",
                                    f"周消耗「{v['周消耗']}」不是数字，按 0 分档。请填写数字。", Severity.WARNING))
        accounts.append(Account(account_id, cell_text(v["客户名称"]), cell_text(v["客服"]), cell_text(v["行业"]),
                                spend, cell_text(v["上月级别"]), cell_text(v["级别"]), cell_date(v["开户日期"]), row))
    return accounts


def work_problem(ctx: RecalcContext, origin: dict[int, tuple[str, int]] | None, row: int, column: str, code: str,
                 message: str, severity: Severity = Severity.ERROR) -> Problem:
    """A problem of a 工作记录 row, named where it is fixed: a collected record's in the personal
    workbook it came from (the team file's row is replaced at each collection)."""
    if origin and row in origin:
        file, personal_row = origin[row]
        where = (f"（请在 {file} 的「{WORK}」第 {personal_row} 行改：团队表中的这一行每次汇总都会被替换）"
                 if severity is not Severity.INFO else "")       # a note (代班…) asks nobody to change anything
        return Problem(ctx.file, f"个人/{file}「{WORK}」", personal_row, column, code, message + where, severity)
    return Problem(ctx.file, WORK, row, column, code, message, severity)


def read_work(data: SheetData, ctx: RecalcContext, problems: list[Problem], owner: str = "",
              origin: dict[int, tuple[str, int]] | None = None) -> list[WorkRecord]:
    """工作记录 rows as records; a blank 客服 is `owner` (a personal workbook's rows are its owner's)."""
    records = []
    near = ctx.month.clamp(ctx.as_of)
    rows = data.rows
    texts = [parse_texts([v.get(h) for _, v in rows])           # a column at a time (100,000 rows)
             for h in ("客服", "工作类型", "沟通对象", "内容摘要", outcomes.SATISFACTION_COLUMN, outcomes.ACCEPTED_COLUMN)]
    ids = id_texts([v["帐户ID"] for _, v in rows])
    for (row, v), staff, account, kind, contact, summary, satisfaction, accepted in zip(rows, texts[0], ids, *texts[1:]):
        day = cell_date(v["日期"])
        typo = date_typo("日期", v["日期"], near)     # 12.2, 12/2 …: shown as typed
        if typo or day is None:
            what = f"{typo}。本条记为无效" if typo else \
                f"日期没有填写，本条记为无效。请输入日期，例如 {ctx.month.first.isoformat()}"
            problems.append(work_problem(ctx, origin, row, "日期", "NOT_A_DATE", what + "。"))
        typed = (day if day is not None else cell_text(v["日期"]), staff, account, kind, contact, summary)
        records.append(WorkRecord(day, staff or owner, account, kind, contact, summary, row, typed,
                                  satisfaction, accepted))
    return records


# what a person is told of a record that did not achieve its outcome (rules/outcomes)
OUTCOME_MESSAGES = {
    outcomes.REASON_NO_SATISFACTION: (outcomes.SATISFACTION_COLUMN, "NO_SATISFACTION",
                                      "没有填满意度：电话拜访要谈到预算、消耗、需求、满意度调查和优化建议才算有效，"
                                      "谈过后在「满意度」选客户的评价，本条就计入。", Severity.WARNING),
    outcomes.REASON_NO_ANSWER: (outcomes.ACCEPTED_COLUMN, "NO_ACCEPTED",
                                "没有填客户接受：帐户优化要客户接受新的优化建议才算有效，客户接受后在「客户接受」选 是。",
                                Severity.WARNING),
    outcomes.REASON_NOT_ACCEPTED: (outcomes.ACCEPTED_COLUMN, "NOT_ACCEPTED",
                                   "客户没有接受这次优化建议：本条不计为有效工作。", Severity.INFO),
    outcomes.REASON_NOT_PAID: ("工作类型", "RENEWAL_NOT_PAID",
                               "续费还没有到帐（续费跟踪中这个帐户本月没有到帐日期）：到帐后填上到帐日期，本条就计入；"
                               "如果下个月才到帐，请下个月再登记这条工作。", Severity.INFO),
    outcomes.REASON_NO_RENEWAL: ("帐户ID", "NO_RENEWAL_ROW",
                                 "续费跟踪中没有这个帐户：续费完成要在续费跟踪中有这个帐户的一行（含到帐日期）才算有效。",
                                 Severity.WARNING),
    outcomes.REASON_WAITING: ("工作类型", "WAITING_MEETING",
                              "邀约的见面会还没开（或还没登记到会）：客户到会后本条计入。", Severity.INFO),
    outcomes.REASON_ABSENT: ("工作类型", "NOT_ATTENDED",
                             "客户没有到之后的第一场见面会（见面会与培训.xlsx）：本条不计为有效工作。", Severity.INFO),
    outcomes.REASON_UNRECOGNISED: ("有效", "NOT_RECOGNISED", "客服经理在抽查中标为不认可：本条不计为有效工作。",
                                   Severity.INFO),
    outcomes.REASON_PENDING: ("有效", "PENDING_TEAM_CHECK",
                              "这类工作要看团队的文件（续费到帐、见面会到会、经理认可）：下次重算时核对。", Severity.INFO),
}


def read_checks(data: SheetData, file: str, problems: list[Problem]) -> list[spot.SpotCheck]:
    """抽查 rows as records (a 工作记录行 that is not a number names no row, as in the formula)."""
    checks = []
    for row, v in data.rows:
        work_row = cell_number(v["工作记录行"])
        if work_row is not None and work_row != work_row.to_integral_value():
            work_row = None
        if work_row is None and not is_blank(v["工作记录行"]):
            problems.append(Problem(file, SPOT, row, "工作记录行", "NOT_A_ROW",
                                    f"工作记录行「{v['工作记录行']}」不是行号：请填「工作记录」表左边的行号（整数）。"))
        checks.append(spot.SpotCheck(cell_date(v["日期"]), cell_text(v["抽查人"]),
                                     None if work_row is None else int(work_row), cell_text(v["帐户ID"]),
                                     cell_text(v["客服"]), cell_text(v["结果"]), row,
                                     cell_text(v.get(outcomes.RECOGNISED_COLUMN))))
    return checks


def check_spot_checks(checks: list[spot.SpotCheck], by_row: dict, ctx: RecalcContext, problems: list[Problem],
                      as_of) -> None:
    """Checks that name no record or lack a result, and the manager's days with too few checks."""
    keys = {rules.record_key(r.account_id, r.day, r.staff) for r in by_row.values()} if checks else set()
    for c in checks:
        def add(column, code, message, severity=Severity.WARNING):
            problems.append(Problem(ctx.file, SPOT, c.row, column, code, message, severity))
        if c.recognised and c.recognised not in (outcomes.RECOGNISED, outcomes.UNRECOGNISED):
            add(outcomes.RECOGNISED_COLUMN, "BAD_RECOGNISED",
                f"认可「{c.recognised}」应为 认可/不认可（从下拉列表选择）：按认可计。")
        if c.result not in spot.RESULTS and not (c.recognised and not c.result):
            add("结果", "BAD_CHECK_RESULT", f"结果「{c.result}」应为 属实/不属实：本条抽查不计。" if c.result
                else "没有填写结果（属实/不属实）：本条抽查不计。")
        if c.work_row is not None and spot.checked_record(c, by_row) is None:
            add("工作记录行", "CHECK_ROW_EMPTY", f"「工作记录」第 {c.work_row} 行不是一条完整的工作记录（没有帐户ID或日期）："
                                              "请核对行号。")
        elif c.work_row is None and not c.account_id and c.result:
            add("帐户ID", "CHECK_NAMES_NOTHING", "没有填工作记录行，也没有填帐户ID：不知道抽查的是哪条记录。")
        elif c.work_row is None and c.account_id and spot.checked_record(c, by_row)[0] not in keys:
            add("帐户ID", "CHECK_RECORD_NOT_FOUND",
                f"「工作记录」中没有 {c.staff or '（空白客服）'} 在 {c.day or '（无日期）'} 对帐户「{c.account_id}」的记录：请核对。")
        if c.day is None and (c.checker or c.result):
            add("日期", "NOT_A_DATE", "没有填写抽查日期（或不是日期）。")
    last = as_of if as_of >= ctx.month.last else as_of - timedelta(days=1)
    days = ctx.calendar.workdays_between(ctx.month.first, last) if last >= ctx.month.first else []
    per_day = ctx.config.spot_checks_per_day
    for checker, short in spot.short_days(checks, days, per_day).items():
        if not checker:
            problems.append(Problem(ctx.file, SPOT, None, "", "NO_SPOT_CHECKS",
                                    f"本月还没有抽查记录：客服经理每个工作日应抽查至少 {per_day} 条工作记录。", Severity.INFO))
            continue
        listed = "、".join(f"{d:%m-%d}（{n}）" for d, n in short)
        problems.append(Problem(ctx.file, SPOT, None, "抽查人", "FEW_SPOT_CHECKS",
                                f"{checker} 有 {len(short)} 个工作日抽查不足 {per_day} 条：{listed}。", Severity.WARNING))


def account_targets(accounts: list[Account], config: Config) -> list[Targets]:
    return [targets_for(a.level, config) for a in accounts]


def account_note(account: Account, month: Month, config: Config) -> str:
    if not account.level and month.contains(account.opened):
        return NEW_CLIENT_NOTE
    suggested = suggested_level(account.weekly_spend, config)
    expected = opening_level(account.previous_level, suggested)
    if account.level and account.level != expected:
        note = f"人工调整（建议{suggested}"
        note += f"，上月{account.previous_level}）" if account.previous_level else "）"
        if is_downgrade(account.level, account.previous_level):
            note += "；低于上月级别"
        return note
    return ""


def check_accounts(accounts: list[Account], roster_names: set[str] | None, ctx: RecalcContext,
                   problems: list[Problem]) -> None:
    for a in accounts:
        if a.level and level_rank(a.level) is None:
            problems.append(Problem(ctx.file, ACCOUNTS, a.row, "级别", "BAD_LEVEL",
                                    f"级别「{a.level}」无效，应为 一级/二级/三级；目标按 0 计算。"))
        elif not a.level and not ctx.month.contains(a.opened):
            problems.append(Problem(ctx.file, ACCOUNTS, a.row, "级别", "NO_LEVEL",
                                    "级别为空：该帐户没有维护目标。非本月新开客户请选择级别。", Severity.WARNING))
        if is_downgrade(a.level, a.previous_level):
            problems.append(Problem(ctx.file, ACCOUNTS, a.row, "级别", "LEVEL_DOWN",
                                    f"级别从上月{a.previous_level}降为{a.level}：原则上只能升不能降，请客服经理确认。",
                                    Severity.WARNING))
        elif a.level and a.level != opening_level(a.previous_level, suggested_level(a.weekly_spend, ctx.config)):
            problems.append(Problem(ctx.file, ACCOUNTS, a.row, "级别", "LEVEL_MANUAL",
                                    f"级别为人工调整：{a.level}（建议{suggested_level(a.weekly_spend, ctx.config)}），已保留。",
                                    Severity.INFO))
        if roster_names is not None and a.staff and a.staff not in roster_names:
            problems.append(Problem(ctx.file, ACCOUNTS, a.row, "客服", "STAFF_NOT_IN_ROSTER",
                                    f"客服「{a.staff}」不在名册中：请检查姓名，或把他/她加入名册.xlsx。", Severity.WARNING))
        if not a.staff:
            problems.append(Problem(ctx.file, ACCOUNTS, a.row, "客服", "NO_STAFF",
                                    "该帐户没有负责客服，不计入任何人的完成率。", Severity.WARNING))


def unknown_id_hint(rec: WorkRecord, known_ids: list[str]) -> str:
    """What probably went wrong with an unknown 帐户ID, and the nearest known one: a long ID typed
    into a number cell has lost its last digits (Excel keeps 15)."""
    typed = rec.account_id
    hint = ""
    if typed.isdigit() and len(typed) > 15 and typed.endswith("0"):
        hint = "Excel 只保留数字的前 15 位，这个 ID 的末尾可能被改成了 0：请把单元格设为「文本」后重新输入（或在前面加英文单引号 '）。"
    by_key = {rules.id_key(i): i for i in known_ids}
    near = difflib.get_close_matches(rules.id_key(typed), list(by_key), n=1, cutoff=0.75)
    if near:
        hint += f"是不是「{by_key[near[0]]}」？"
    return hint


def check_work(records: list[WorkRecord], verdicts, owners: dict[str, str], roster_names: set[str] | None,
               ctx: RecalcContext, problems: list[Problem], accounts_where: str = "「帐户」表",
               origin: dict[int, tuple[str, int]] | None = None, known_ids: list[str] | None = None,
               repeats: dict[int, int] | None = None) -> None:
    """Problems of 工作记录 rows (the team tracker's, or a personal workbook's: `accounts_where`
    says where the accounts are looked up). `repeats`: rules.duplicates(records), when known."""
    repeats = (rules.duplicates(records) if repeats is None else repeats) if ctx.config.valid.duplicates else {}
    for i, (rec, verdict) in enumerate(zip(records, verdicts)):
        def add(column, code, message, severity=Severity.WARNING):
            problems.append(work_problem(ctx, origin, rec.row, column, code, message, severity))
        if i in repeats:
            first = records[repeats[i]].row
            first = origin[first][1] if origin and first in origin and rec.row in origin \
                and origin[first][0] == origin[rec.row][0] else first
            add("内容摘要", "DUPLICATE_RECORD",
                f"与第 {first} 行完全相同（{rules.DUPLICATE_FIELDS}都一样）：重复登记，这一条不计。"
                f"如果确实做了两次，请在内容摘要里写明区别；否则删除这一行。")
            continue
        if rec.work_type not in rules.WORK_TYPES:
            add("工作类型", "BAD_WORK_TYPE", f"工作类型「{rec.work_type}」不在下拉列表中，不计入任何目标。")
        if rec.contact not in rules.CONTACTS:
            add("沟通对象", "BAD_CONTACT", f"沟通对象「{rec.contact}」应为 决策人/其他人员，本条记为无效。")
        elif verdict.reason == rules.REASON_CONTACT:
            add("沟通对象", "NOT_DECISION_MAKER", "沟通对象不是决策人，本条不计为有效工作。", Severity.INFO)
        if verdict.reason == rules.REASON_ACCOUNT:
            add("帐户ID", "UNKNOWN_ACCOUNT", f"帐户ID「{rec.account_id}」不在{accounts_where}中，本条记为无效。"
                                             f"{unknown_id_hint(rec, known_ids or [])}")
        elif verdict.reason == rules.REASON_DATE and rec.day is not None and not typed_as_number(rec.day):
            add("日期", "DATE_OUTSIDE_MONTH", f"日期 {rec.day.isoformat()} 不在 {ctx.month} 内，本条记为无效。")
        elif verdict.reason == rules.REASON_DISPROVED:
            add("有效", "CHECKED_FALSE", "客服经理抽查结果为不属实：本条记为无效。")
        elif verdict.reason == rules.REASON_OVER_PLAN:
            add("工作类型", "OVER_PLAN", "本月电话拜访已达计划次数，超出部分记为无效（超计划）。", Severity.INFO)
        elif verdict.reason in OUTCOME_MESSAGES:
            column, code, message, severity = OUTCOME_MESSAGES[verdict.reason]
            add(column, code, message, severity)
        if rec.satisfaction and outcomes.satisfaction_of(rec.satisfaction) is None:
            add(outcomes.SATISFACTION_COLUMN, "BAD_SATISFACTION",
                f"满意度「{rec.satisfaction}」不是 {'/'.join(outcomes.SATISFACTION)} 之一：记录照常计入，"
                f"但不计入客户满意度统计，请从下拉列表选择。")
        if rec.day is not None and ctx.month.contains(rec.day) and rec.day > ctx.as_of:
            add("日期", "FUTURE_DATE", f"日期 {rec.day.isoformat()} 还没到（本次重算按 {ctx.as_of.isoformat()}）："
                                     f"是不是打错了？本条照常计入；日期打错了请改正。")
        if roster_names is not None and rec.staff and rec.staff not in roster_names:
            add("客服", "STAFF_NOT_IN_ROSTER", f"客服「{rec.staff}」不在名册中：请检查姓名。")
        elif not rec.staff:
            add("客服", "NO_STAFF", "没有填写客服，本条不计入任何人的有效工作数。")
        owner = owners.get(rules.id_key(rec.account_id))
        if owner and rec.staff and owner != rec.staff:
            add("客服", "COVER_WORK", f"为「{owner}」的帐户工作（代班）：计入帐户完成数，有效工作数计给{rec.staff}。",
                Severity.INFO)


def write_team_checks(ws, layout, data, records: list[WorkRecord], checks: list[str]) -> None:
    """Each record's 团队核对 where it changed (the formula of 基本原因 / 无效原因 reads it)."""
    col = layout.columns[outcomes.CHECK_COLUMN]
    have = {r: v.get(outcomes.CHECK_COLUMN) for r, v in data.rows}
    style = style_name(Role.COMPUTED, Type.TEXT)
    for rec, check in zip(records, checks):
        if (have.get(rec.row) or "") != check:
            set_cell(ws.cell(rec.row, col), check or None, style)
