"""The 咨询 sheets (docs/inquiries.md): the person's own, where each client inquiry and its answer
are typed, and the team 维护跟踪's, collected from every personal workbook at each collect.
时限 is Python's (rules/inquiries, a value rewritten at recalc); 及时 a live formula."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..calendar import WorkCalendar
from ..config import Config
from ..records import Problem, Severity
from ..rules import inquiries as rules
from ..rules.completion import id_key
from ..rules.plan import PlanInquiry
from ..sheets.build import set_cell, style_name
from ..sheets.spec import Column, Highlight, Role, SheetSpec, Type
from .base import cell_date, cell_text

SHEET = "咨询"
NOT_AN_ACCOUNT = "（不在帐户表中）"
RED = "FFC7CE"

_ANSWERED = f'IF(OR(NOT(ISNUMBER([答复日期])),[答复时刻]=""),"",IF({rules.clock_formula("[答复时刻]")}="","",' \
            f'[答复日期]+{rules.clock_formula("[答复时刻]")}))'
_ON_TIME = (f'IF(NOT(ISNUMBER([收到日期])),"",IF([渠道]="{rules.PHONE}","{rules.ON_TIME}",IF(OR([答复于]="",[时限]=""),"",'
            f'IF(ROUND(([答复于]-[时限])*1440,0)<=0,"{rules.ON_TIME}","{rules.LATE}"))))')
TIME_HELP = "几点：9:30、930、9.30 都可以。"


def _common(client: Column) -> tuple[Column, ...]:
    return (
        Column("收到日期", Role.INPUT, Type.DATE, help="客户来问的日期。"),
        Column("收到时刻", Role.INPUT, Type.TEXT, width=8, help=TIME_HELP),
        Column("帐户ID", Role.INPUT, Type.ID, width=16, help="哪个客户的帐户。"),
        client,
        Column("渠道", Role.INPUT, Type.TEXT, width=7, dropdown=rules.CHANNELS,
               help="电话（通话中答复）、网络（在线，按级别 1 小时内）、邮件（一级当天，二级 1 个工作日，三级 2 个工作日）。"),
        Column("内容", Role.INPUT, Type.TEXT, width=30, wrap=True, help="客户问了什么。"),
        Column("答复日期", Role.INPUT, Type.DATE, help="答复客户的日期。"),
        Column("答复时刻", Role.INPUT, Type.TEXT, width=8, help=TIME_HELP),
        Column("时限", Role.COMPUTED, Type.DATETIME, width=17,
               help="最晚什么时候答复：重算时按客户级别和渠道算（工作时间，午休、周末和法定节假日不算）。电话为空。"),
        Column("及时", Role.DERIVED, Type.TEXT, _ON_TIME, width=6,
               help="是：在时限之前答复（电话总是是）；否：超过时限才答复；空白：还没答复。"),
        Column("答复于", Role.DERIVED, Type.DATETIME, _ANSWERED, hidden=True,
               help="辅助列（隐藏）：答复日期 + 答复时刻。"),
    )


def personal_sheet(client_formula: str) -> SheetSpec:
    """The person's 咨询 sheet; `client_formula`: 客户名称 as 工作记录 finds it (own accounts, a colleague's)."""
    return SheetSpec(
        name=SHEET, title="我的咨询：客户来问，几点答复", key="收到日期", buffer_rows=100, added_later=True,
        row_markers=("收到日期", "帐户ID", "渠道"),
        help="客户每来问一次登记一行（收到日期、时刻、渠道、内容），答复后填答复日期和时刻；时限和及时自动算。"
             "没答复的排在「今日」最前面。",
        columns=_common(Column("客户名称", Role.DERIVED, Type.TEXT, client_formula, width=22,
                               help="帐户ID对应的客户。")),
        highlights=(Highlight(f'[及时]="{rules.LATE}"', RED, ("时限", "及时")),),
    )


def team_sheet() -> SheetSpec:
    """维护跟踪's 咨询: every person's inquiries, rewritten at each collect (客服汇总 counts them)."""
    columns = tuple(Column(c.header, Role.COMPUTED, c.type, width=c.width, wrap=c.wrap, help=c.help)
                    if c.role is Role.INPUT else c for c in _common(Column("客户名称", Role.COMPUTED, Type.TEXT, width=22)))
    return SheetSpec(
        name=SHEET, title="客户咨询（每次汇总从个人工作簿重写）", key="客服", buffer_rows=0, added_later=True,
        row_markers=("客服", "收到日期", "渠道"),
        help="每人「咨询」表的汇总：客服汇总的咨询数、咨询及时率由这里算。",
        columns=(Column("客服", Role.COMPUTED, Type.TEXT, help="谁登记的。"), *columns,
                 Column("来源", Role.COMPUTED, Type.TEXT, help="个人工作簿。")),
        highlights=(Highlight(f'[及时]="{rules.LATE}"', RED, ("时限", "及时")),),
    )


def summary_columns(sheet: str = SHEET) -> tuple[Column, ...]:
    """客服汇总's 咨询数 and 咨询及时率 (of the answered ones: 电话 and answers in time count)."""
    counted = (f'(COUNTIFS([{sheet}!客服],[客服],[{sheet}!及时],"{rules.ON_TIME}")'
               f'+COUNTIFS([{sheet}!客服],[客服],[{sheet}!及时],"{rules.LATE}"))')
    return (
        Column("咨询数", Role.DERIVED, Type.INT, f'IF([客服]="","",COUNTIFS([{sheet}!客服],[客服]))',
               help="本月登记的客户咨询条数（「咨询」表）。"),
        Column("咨询及时率", Role.DERIVED, Type.RATIO,
               f'IF([客服]="","",IF({counted}=0,"",COUNTIFS([{sheet}!客服],[客服],[{sheet}!及时],"{rules.ON_TIME}")/{counted}))',
               help="已答复的咨询中在时限内答复的比例（电话算及时；还没答复的不算在内，超时未答复的见状态页）。"),
    )


def team_on_time_formula(sheet: str = SHEET) -> str:
    """The team's 咨询及时率 (the 合计 row of 客服汇总)."""
    yes, no = (f'COUNTIFS([{sheet}!及时],"{v}")' for v in (rules.ON_TIME, rules.LATE))
    return f'IF(({yes}+{no})=0,"",{yes}/({yes}+{no}))'


def on_time_ratio(items: list["Inquiry"]) -> float | str:
    """咨询及时率 in Python: 是 ÷ (是 + 否), "" when none is answered."""
    marks = [i.on_time for i in items]
    judged = marks.count(rules.ON_TIME) + marks.count(rules.LATE)
    return marks.count(rules.ON_TIME) / judged if judged else ""


@dataclass
class Inquiry:
    """A row of a 咨询 sheet as Python reads it (rules/inquiries judges it)."""
    row: int
    received: datetime | None
    account_id: str
    channel: str
    content: str
    answered: datetime | None
    due: datetime | None = None
    level: str = ""
    staff: str = ""
    client: str = ""
    source: str = ""
    values: dict | None = None                 # the typed cells as read (collected to the team as they are)
    dated: bool = False                        # 收到日期 is a date

    @property
    def on_time(self) -> str:
        return rules.on_time(self.channel, self.answered, self.due) if self.dated else ""


def _moment(day_value, clock_value, file: str, row: int, column: str, problems: list[Problem]) -> datetime | None:
    day = cell_date(day_value)
    if day is None:
        return None
    try:
        clock = rules.clock_of(clock_value)
    except ValueError:
        problems.append(Problem(file, SHEET, row, column, "BAD_TIME",
                                f"「{cell_text(clock_value)}」不是时刻：请写成 9:30、930 或 9.30。", Severity.WARNING))
        return None
    if clock is None:
        problems.append(Problem(file, SHEET, row, column, "NO_TIME",
                                f"填了日期，没有填{column}：时限和及时按时刻算，请补上（例如 9:30）。", Severity.WARNING))
        return None
    return datetime.combine(day, clock)


def read_rows(data, file: str, problems: list[Problem]) -> list[Inquiry]:
    """The filled rows of a 咨询 sheet (a typed row without 收到日期 is said once)."""
    out = []
    for r, v in data.rows:
        if not any(cell_text(v.get(h)) for h in ("收到日期", "帐户ID", "渠道", "内容")):
            continue
        channel = cell_text(v.get("渠道"))
        if cell_date(v.get("收到日期")) is None:
            problems.append(Problem(file, SHEET, r, "收到日期", "NO_DATE", "没有收到日期：这条咨询不算时限。",
                                    Severity.WARNING))
        elif channel not in rules.CHANNELS:
            problems.append(Problem(file, SHEET, r, "渠道", "BAD_CHANNEL",
                                    f"渠道「{channel}」应为 {'/'.join(rules.CHANNELS)}：按邮件算时限。", Severity.WARNING))
        received = _moment(v.get("收到日期"), v.get("收到时刻"), file, r, "收到时刻", problems)
        answered = _moment(v.get("答复日期"), v.get("答复时刻"), file, r, "答复时刻", problems)
        out.append(Inquiry(r, received, cell_text(v.get("帐户ID")), channel if channel in rules.CHANNELS else rules.MAIL,
                           cell_text(v.get("内容")), answered, values=dict(v),
                           dated=cell_date(v.get("收到日期")) is not None))
    return out


def judge(items: list[Inquiry], levels: dict[str, str], config: Config, calendar: WorkCalendar) -> None:
    """Each inquiry's level (by its account) and 时限."""
    working = rules.WorkingTime(config.work_hours, calendar)
    for i in items:
        i.level = levels.get(id_key(i.account_id), "")
        i.due = rules.deadline(i.received, i.level, i.channel, working, config.inquiries.online_minutes) \
            if i.received else None


def team_judged(items: list[Inquiry], accounts, config: Config, calendar: WorkCalendar) -> list[Inquiry]:
    """The collected inquiries judged by the team's 帐户 (records.Account: level, client name)."""
    judge(items, {id_key(a.account_id): a.level for a in accounts}, config, calendar)
    clients = {id_key(a.account_id): a.client for a in accounts}
    for item in items:
        item.client = clients.get(id_key(item.account_id), NOT_AN_ACCOUNT) if item.account_id else ""
    return items


def team_values(out: dict, summary: str, total: str, staff: list[str], items: list[Inquiry], first_row: int) -> None:
    """Python's 咨询数 / 咨询及时率 on 客服汇总 and 及时 / 答复于 of the team's 咨询 sheet, into `out`
    (maintenance.python_values)."""
    for person in staff:
        mine = [i for i in items if i.staff == person]
        out[summary][person].update({"咨询数": len(mine), "咨询及时率": on_time_ratio(mine)})
    out[summary][total].update({"咨询数": len(items), "咨询及时率": on_time_ratio(items)})
    out[SHEET] = {r: {"及时": i.on_time, "答复于": i.answered} for r, i in enumerate(items, first_row)}


def write_due(ws, layout, items: list[Inquiry]) -> None:
    """时限 into the sheet (only where it changed: a typed row is otherwise left as it is)."""
    col = layout.columns["时限"]
    style = style_name(Role.COMPUTED, Type.DATETIME)
    for i in items:
        set_cell(ws.cell(i.row, col), i.due, style)


def team_rows(items: list[Inquiry]) -> list[dict]:
    """The team 咨询 sheet's rows, in the order collected."""
    out = []
    for i in items:
        v = i.values or {}
        out.append({"客服": i.staff, **{h: v.get(h) for h in ("收到日期", "收到时刻", "帐户ID", "渠道", "内容", "答复日期", "答复时刻")},
                    "客户名称": i.client, "时限": i.due, "来源": i.source})
    return out


def answered_days(items: list[Inquiry]) -> dict[str, set]:
    """{account key: the days its inquiries were answered} (今日's 答复咨询 lines are done by them)."""
    out: dict[str, set] = {}
    for i in items:
        if i.answered is not None and i.account_id:
            out.setdefault(id_key(i.account_id), set()).add(i.answered.date())
    return out


def plan_inputs(items: list[Inquiry], now: datetime, names: dict[str, str]) -> list[PlanInquiry]:
    """The inquiries not answered yet, for 今日's 看消耗 block (「网络咨询 还剩 2 小时」); `names`:
    account key → 客户名称."""
    return [PlanInquiry(i.account_id, names.get(id_key(i.account_id), ""), i.due,
                        f"{i.channel}咨询 {rules.left_text(i.due, now)}") for i in waiting(items) if i.account_id]


def waiting(items: list[Inquiry]) -> list[Inquiry]:
    """Inquiries not answered yet that have a 时限, soonest first (今日's 看消耗 block)."""
    return sorted((i for i in items if i.answered is None and i.due is not None), key=lambda i: i.due)
