"""维护跟踪_YYYY-MM.xlsx (kind maintenance): accounts, levels, targets, daily work and
completion ratios (docs/levels.md, docs/work.md). The declaration below is the single source for the
workbook's layout and formulas; `recalc` computes the same figures in Python."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from openpyxl.styles import Font

from ..config import LEVELS, STARS, Config
from ..month import Month
from ..records import (
    Account,
    AccountCompletion,
    AccountStatus,
    Problem,
    Severity,
    StaffMember,
    StaffSummary,
    Targets,
    WorkRecord,
    WorkVerdict,
)
from ..rules import completion as rules
from ..rules import outcomes, valid
from ..rules import spotchecks as spot
from ..rules.levels import (
    opening_level,
    spend_band,
    suggested_level,
)
from ..sheets.build import (
    FONT,
    Formula,
    apply_sheet_features,
    build_workbook,
    set_cell,
    style_name,
)
from ..sheets.layout import resolve
from ..sheets.read import read_sheet, write_problem_sheet
from ..sheets.spec import (
    Anchor,
    Column,
    Highlight,
    Presence,
    Role,
    SheetSpec,
    Type,
    WorkbookSpec,
)
from . import inquiries, journal_sheet
from .base import (
    Collected,
    Kind,
    RecalcContext,
    RecalcResult,
    RowColumns,
    cell_text,
    finish_recalc,
    plain_value,
    rebuild_rows,
    restore_formulas,
    rewrite_workdays,
    start_recalc,
    workdays_sheet,
)
from .journal_sheet import EVENTS as JOURNAL_EVENTS
from .journal_sheet import JOURNAL
from .roster import summary_staff
from .team_rows import replace_collected_rows
from .work_checks import (
    ACCOUNTS,
    NEW_CLIENT_NOTE,
    SPOT,
    WORK,
    _read_accounts,
    account_note,
    account_targets,
    check_accounts,
    check_spot_checks,
    check_work,
    read_checks,
    read_work,
    write_team_checks,
)

KIND = "maintenance"
TITLE = "月度维护跟踪表"
SUMMARY, CALENDAR = "客服汇总", "工作日历"
AS_OF = "截至日期"
TOTAL_LABEL = "合计"
ITEMS = rules.TARGET_ITEMS

RED, ORANGE, YELLOW = "FFC7CE", "FFEB9C", "FFF2CC"
NOT_AN_ACCOUNT = "（不在帐户表中）"
SHEET_ORDER = {ACCOUNTS: 0, WORK: 1, SPOT: 2, SUMMARY: 3}


def file_name(month: Month) -> str:
    return f"维护跟踪_{month}.xlsx"


def _xl_list(values) -> str:
    return "{" + ",".join(f'"{v}"' if isinstance(v, str) else str(v) for v in values) + "}"


def _band_formula(config: Config) -> str:
    formula = f'"{config.other_band}"'
    for band in reversed(config.bands):
        formula = f'IF([周消耗]>={band.min_spend},"{band.band}",{formula})'
    return f'IF([帐户ID]="","",IF(NOT(ISNUMBER([周消耗])),"{config.other_band}",{formula}))'


def _target_formula(config: Config, field: str) -> str:
    values = [getattr(config.targets[level], field) for level in LEVELS]
    return f'IF([帐户ID]="","",IFERROR(INDEX({_xl_list(values)},MATCH([级别],{_xl_list(LEVELS)},0)),0))'


def outcome_inputs() -> tuple[Column, ...]:
    """The typed columns of 工作记录 the rules of valid work read (rules/outcomes): added blank to
    a file made before them."""
    return (
        Column(outcomes.SATISFACTION_COLUMN, Role.INPUT, Type.TEXT, dropdown=outcomes.SATISFACTION,
               presence=Presence.ADDED,
               help="电话拜访：谈过预算回顾、消耗状况、平均花费、客户需求、满意度调查、优化方案后，选客户的满意度；"
                    "不填的电话拜访不算有效。不满意的客户第二天列入「今日」回访。"),
        Column(outcomes.ACCEPTED_COLUMN, Role.INPUT, Type.TEXT, dropdown=(outcomes.ACCEPTED, outcomes.REFUSED),
               presence=Presence.ADDED, help="帐户优化：客户接受新的优化建议选 是（才算有效），不接受选 否。"),
    )


def team_check_column() -> Column:
    return Column(outcomes.CHECK_COLUMN, Role.COMPUTED, Type.TEXT, hidden=True,
                  help="辅助列（隐藏，重算时填写）：续费完成、电话邀约（个人工作簿里还有其他）在团队文件中核对的结果："
                       "有效，或 续费未到帐 / 等待到会 / 客户未到会 / 不认可 等。")


def duplicate_key_column() -> Column:
    return Column("重复键", Role.DERIVED, Type.TEXT,
                  'IF(AND([日期]="",[帐户ID]="",[工作类型]=""),"",'
                  '[日期]&"|"&[客服]&"|"&[帐户ID]&"|"&[工作类型]&"|"&[沟通对象]&"|"&LEN([内容摘要]))',
                  hidden=True, help="辅助列（隐藏）：日期|客服|帐户ID|工作类型|沟通对象|内容摘要的长度，用于找出重复登记的记录。")


def spec(config: Config, month: Month) -> WorkbookSpec:
    bands = [b.band for b in config.bands] + [config.other_band]
    band_levels = [b.level for b in config.bands] + [config.other_level]
    fields = ("phone", "visit", "report", "optimize")
    target_cols = [f"{item}目标" for item, _ in ITEMS]
    done_cols = [f"{item}完成" for item, _ in ITEMS]
    blank = 'AND([日期]="",[帐户ID]="",[工作类型]="")'
    in_month = f"AND(ISNUMBER([日期]),[日期]>={month.excel_first()},[日期]<={month.excel_last()})"
    # LibreOffice and Excel answer single-criterion equality COUNTIFs from a sorted cache, but
    # scan for inequalities; so the 超计划 rank is only computed for calls of accounts that
    # have more valid calls than planned (helper columns 电话键/序号/计数键 keep it that way).
    phone_plan = "INDEX([帐户!电话拜访目标],MATCH([电话键],[帐户!帐户ID],0))"
    phone_rank = 'COUNTIFS([工作记录!电话键],[电话键],[工作记录!序号],"<"&[序号])+1'
    accounts = SheetSpec(
        name=ACCOUNTS,
        title=f"{month.label} {TITLE}",
        key="帐户ID",
        buffer_rows=50,
        row_markers=("帐户ID",),
        help="每个维护帐户一行：级别与目标在开月时生成，完成数由工作记录自动统计。",
        columns=(
            Column("帐户ID", Role.INPUT, Type.ID, help="广告平台帐户ID（来自帐户状态表）。"),
            Column("客户名称", Role.INPUT, Type.TEXT, width=24, help="客户（公司）名称。"),
            Column("客服", Role.INPUT, Type.TEXT, help="负责该帐户的客服，须与名册一致。"),
            Column("行业", Role.INPUT, Type.TEXT, help="客户所属行业。"),
            Column("周消耗", Role.INPUT, Type.MONEY, help="近一周消耗（元），来自帐户状态表。"),
            Column("消耗档", Role.DERIVED, Type.TEXT, _band_formula(config),
                   help="按周消耗分档 A–I（≥2000 A，775 B，400 C，200 D，125 E，75 F，25 G，>0 H，0 为 I）。"),
            Column("上月级别", Role.INPUT, Type.TEXT, dropdown=LEVELS,
                   help="开月时从上月跟踪表复制；上月不在维护中的帐户为空。"),
            Column("建议级别", Role.DERIVED, Type.TEXT,
                   f'IF([帐户ID]="","",IFERROR(INDEX({_xl_list(band_levels)},MATCH([消耗档],{_xl_list(bands)},0)),'
                   f'"{config.other_level}"))',
                   help="消耗档对应的级别：A–C 一级，D–F 二级，G–I 三级。"),
            Column("级别", Role.INPUT, Type.TEXT, dropdown=LEVELS,
                   help="本月执行级别：开月时取上月级别与建议级别中较高者（只升不降）；客服经理可调整，"
                        "重算时记为「人工调整」，低于上月级别列为问题。新开客户留空（不计维护目标）。"),
            *(Column(col, Role.DERIVED, Type.INT, _target_formula(config, f),
                     help=f"按级别的每月{item}目标次数。") for col, f, (item, _) in zip(target_cols, fields, ITEMS)),
            *(Column(col, Role.DERIVED, Type.INT,
                     f'IF([帐户ID]="","",COUNTIF([工作记录!计数键],[帐户ID]&"|{wt}"))',
                     help=f"工作记录中本帐户有效的「{wt}」次数。") for col, (_, wt) in zip(done_cols, ITEMS)),
            Column("完成率", Role.DERIVED, Type.RATIO,
                   'IF(OR([帐户ID]="",N([目标合计])=0),"",[完成合计]/[目标合计])',
                   help="Σ MIN(完成, 目标) ÷ Σ 目标（四项合计；超额不计）。无目标时为空。"),
            Column("目标合计", Role.DERIVED, Type.INT,
                   'IF([帐户ID]="","",' + "+".join(f"[{c}]" for c in target_cols) + ")",
                   help="四项目标之和。"),
            Column("完成合计", Role.DERIVED, Type.INT,
                   'IF([帐户ID]="","",' + "+".join(f"MIN([{d}],[{t}])" for d, t in zip(done_cols, target_cols)) + ")",
                   help="四项 MIN(完成, 目标) 之和（超出目标的部分不计）。"),
            Column("开户日期", Role.INPUT, Type.DATE, help="开户日期；本月开户的为新开客户，不计维护目标。"),
            Column("备注", Role.COMPUTED, Type.TEXT, width=36, help="重算时填写：新开客户、人工调整级别等说明。"),
        ),
        highlights=(
            Highlight(f"IFERROR(MATCH([级别],{_xl_list(LEVELS)},0)>MATCH([上月级别],{_xl_list(LEVELS)},0),FALSE)",
                      RED, ("级别", "上月级别")),
            Highlight('AND([帐户ID]<>"",[级别]<>"",ISERROR(MATCH([级别],' + _xl_list(LEVELS) + ',0)))', RED, ("级别",)),
        ),
    )
    work = SheetSpec(
        name=WORK,
        title=f"{month.label} 每日工作记录",
        key="日期",
        buffer_rows=1000,
        row_markers=("日期", "帐户ID", "工作类型"),
        help="客服每天填写：与决策人的有效沟通才计入完成数。",
        columns=(
            Column("日期", Role.INPUT, Type.DATE, help="工作日期（本月内）。"),
            Column("客服", Role.INPUT, Type.TEXT, help="做这项工作的客服（代班时填代班人）。"),
            Column("帐户ID", Role.INPUT, Type.ID, dropdown_source=f"{ACCOUNTS}!帐户ID",
                   help="帐户ID，须在「帐户」表中（可从下拉列表选择）。"),
            Column("客户名称", Role.DERIVED, Type.TEXT,
                   f'IF([帐户ID]="","",IFERROR(INDEX([{ACCOUNTS}!客户名称],MATCH([帐户ID],[{ACCOUNTS}!帐户ID],0)),'
                   f'"{NOT_AN_ACCOUNT}"))', width=20,
                   help="帐户ID对应的客户（来自「帐户」表），核对没有填错帐户。"),
            Column("工作类型", Role.INPUT, Type.TEXT, dropdown=rules.WORK_TYPES,
                   help="电话拜访/上门拜访/报表发送/帐户优化 计入对应目标；其余计入有效工作数。"),
            Column("沟通对象", Role.INPUT, Type.TEXT, dropdown=rules.CONTACTS,
                   help="只有与决策人（广告负责人）的沟通才有效。"),
            Column("内容摘要", Role.INPUT, Type.TEXT, width=40, help="沟通内容摘要。"),
            *outcome_inputs(),
            Column("有效", Role.DERIVED, Type.TEXT, f'IF({blank},"",IF([无效原因]="","是","否"))',
                   help="是：决策人、帐户存在、日期在本月、工作有结果（续费到帐、客户到会、满意度、客户接受、经理认可）、"
                        "电话拜访未超计划。"),
            Column("无效原因", Role.DERIVED, Type.TEXT,
                   f'IF([基本原因]<>"",[基本原因],IF([电话键]="","",IF(COUNTIF([工作记录!电话键],[电话键])<={phone_plan},"",'
                   f'IF({phone_rank}>{phone_plan},"{rules.REASON_OVER_PLAN}",""))))',
                   width=18, help="非决策人 / 帐户不存在 / 日期不在本月 / 未填满意度 / 续费未到帐 / 客户未到会 … / 超计划（超出本月电话拜访目标的次数，按日期先后、同日按行序）。"),
            Column("来源", Role.COMPUTED, Type.TEXT, width=16,
                   help="汇总来的行：来自哪本个人工作簿（每次 kefu-xl collect 替换）；空白：直接在本表填写的行（保留）。"),
            Column("基本原因", Role.DERIVED, Type.TEXT,
                   f'IF({blank},"",' + rules.reasons_formula(
                       config.valid.duplicates, 'OR([帐户ID]="",COUNTIF([帐户!帐户ID],[帐户ID])=0)', in_month,
                       f'IF(COUNTIFS([{SPOT}!记录键],[抽查键],[{SPOT}!结果],"{spot.FALSE}")>0,"{rules.REASON_DISPROVED}",'
                       + outcomes.clause(config.valid, '""', personal=False, spot=SPOT) + ")") + ")",
                   hidden=True, help="辅助列（隐藏）：超计划以外的无效原因（含重复、抽查不属实）。"),
            Column("电话键", Role.DERIVED, Type.TEXT,
                   'IF([工作类型]<>"电话拜访","",IF([基本原因]<>"","",[帐户ID]))',
                   hidden=True, help="辅助列（隐藏）：其余条件都有效的电话拜访，填帐户ID，用于数超计划。"),
            Column("序号", Role.DERIVED, Type.NUMBER,
                   f'IF([电话键]="","",([日期]-{month.excel_first()})*1000000+ROW())',
                   hidden=True, help="辅助列（隐藏）：电话拜访的先后（日期，同日按行序）。"),
            Column("计数键", Role.DERIVED, Type.TEXT, 'IF([有效]="是",[帐户ID]&"|"&[工作类型],"")',
                   hidden=True, help="辅助列（隐藏）：帐户ID|工作类型，「帐户」表按它统计完成数。"),
            Column("抽查键", Role.DERIVED, Type.TEXT,
                   'IF(OR([帐户ID]="",NOT(ISNUMBER([日期]))),"",[帐户ID]&"|"&[日期]&"|"&[客服])',
                   hidden=True, help="辅助列（隐藏）：帐户ID|日期|客服，「抽查」表按它找到被抽查的记录。"),
            duplicate_key_column(),
            team_check_column(),
        ),
        highlights=(Highlight('[有效]="否"', RED),),
    )
    checks = SheetSpec(
        name=SPOT,
        title=f"{month.label} 客服经理抽查记录",
        key="日期",
        buffer_rows=200,
        row_markers=("日期", "工作记录行", "帐户ID", "结果"),
        added_later=True,
        help=f"客服经理每个工作日至少抽查 {config.spot_checks_per_day} 条工作记录（打电话给客户核实）；"
             "结果为「不属实」的记录在「工作记录」中记为无效（抽查不属实）。",
        columns=(
            Column("日期", Role.INPUT, Type.DATE, help="抽查的日期。按 帐户ID + 客服 指明记录时，也是被抽查记录的日期。"),
            Column("抽查人", Role.INPUT, Type.TEXT, help="做抽查的客服经理。"),
            Column("工作记录行", Role.INPUT, Type.INT,
                   help="被抽查的是「工作记录」表第几行（左边的行号）。不填行号时，填 帐户ID 和 客服（抽查当天的记录）。"
                        "汇总来的记录在重新汇总后可能换行，按 帐户ID + 客服 指明更稳。"),
            Column("帐户ID", Role.INPUT, Type.ID, dropdown_source=f"{ACCOUNTS}!帐户ID",
                   help="不填工作记录行时：被抽查记录的帐户ID（可从下拉列表选择）。"),
            Column("客服", Role.INPUT, Type.TEXT, help="不填工作记录行时：被抽查记录的客服。"),
            Column("结果", Role.INPUT, Type.TEXT, dropdown=spot.RESULTS, help="属实 / 不属实（不属实的记录记为无效）。"),
            Column("说明", Role.INPUT, Type.TEXT, width=30, help="核实情况。"),
            Column(outcomes.RECOGNISED_COLUMN, Role.INPUT, Type.TEXT, dropdown=(outcomes.RECOGNISED, outcomes.UNRECOGNISED),
                   presence=Presence.ADDED,
                   help="工作类型为「其他」的记录：公司是否认可这项工作。不认可的不计为有效工作；空白 = 认可。"),
            Column("记录键", Role.DERIVED, Type.TEXT,
                   f'IF(ISNUMBER([工作记录行]),IFERROR(INDEX([{WORK}!抽查键],[工作记录行])&"",""),'
                   'IF([帐户ID]="","",[帐户ID]&"|"&[日期]&"|"&[客服]))',
                   hidden=True, help="辅助列（隐藏）：被抽查记录的 帐户ID|日期|客服。"),
            Column("被查客服", Role.DERIVED, Type.TEXT,
                   f'IF(ISNUMBER([工作记录行]),IFERROR(INDEX([{WORK}!客服],[工作记录行])&"",""),[客服]&"")',
                   hidden=True, help="辅助列（隐藏）：被抽查记录的客服，「客服汇总」按它统计抽查数。"),
        ),
        highlights=(Highlight(f'[结果]="{spot.FALSE}"', RED),),
    )
    summary = SheetSpec(
        name=SUMMARY,
        title=f"{month.label} 客服完成情况汇总",
        key="客服",
        buffer_rows=0,
        row_markers=("客服",),
        anchors=(Anchor(AS_OF, Type.DATE, "统计工作日数的截止日期：重算时设为当天（不超过月末），可手改后在 Excel 中查看。"),),
        help="每位客服一行，最后一行为团队合计。",
        columns=(
            Column("客服", Role.COMPUTED, Type.TEXT, help="名册中在职的客服，以及帐户/工作记录中出现的其他姓名。"),
            Column("星级", Role.COMPUTED, Type.TEXT, help="来自名册。"),
            Column("帐户数", Role.DERIVED, Type.INT, 'IF([客服]="","",COUNTIF([帐户!客服],[客服]))',
                   help="「帐户」表中该客服负责的帐户数。"),
            Column("容量", Role.DERIVED, Type.INT,
                   f'IF([客服]="","",IFERROR(INDEX({_xl_list([config.capacity[s] for s in STARS])},'
                   f'MATCH([星级],{_xl_list(STARS)},0)),""))',
                   help="按星级可维护的帐户数。"),
            Column("超容量", Role.DERIVED, Type.TEXT, 'IF(OR([客服]="",[容量]=""),"",IF([帐户数]>[容量],"是","否"))',
                   help="帐户数超过容量时为「是」。"),
            Column("目标合计", Role.DERIVED, Type.INT, 'IF([客服]="","",SUMIF([帐户!客服],[客服],[帐户!目标合计]))',
                   help="该客服所有帐户的目标合计。"),
            Column("完成合计", Role.DERIVED, Type.INT, 'IF([客服]="","",SUMIF([帐户!客服],[客服],[帐户!完成合计]))',
                   help="该客服所有帐户的 MIN(完成, 目标) 合计。"),
            Column("完成率", Role.DERIVED, Type.RATIO, 'IF(N([目标合计])=0,"",[完成合计]/[目标合计])',
                   help="任务完成比例 = 完成合计 ÷ 目标合计，用于工资计算。"),
            Column("有效工作数", Role.DERIVED, Type.INT,
                   'IF([客服]="","",COUNTIFS([工作记录!客服],[客服],[工作记录!有效],"是"))',
                   help="该客服做的有效工作条数（代班工作计入做事的人）。"),
            Column("工作日数", Role.DERIVED, Type.INT,
                   f'COUNTIFS([工作日历!日期],">="&{month.excel_first()},[工作日历!日期],"<="&[@截至日期])',
                   help="本月 1 日至截至日期的法定工作日数（含调休上班日）。"),
            Column("日均有效工作", Role.DERIVED, Type.NUMBER,
                   'IF(N([工作日数])=0,"",[有效工作数]/[工作日数])', help="有效工作数 ÷ 工作日数。"),
            Column("达标", Role.DERIVED, Type.TEXT,
                   f'IF([日均有效工作]="","",IF([日均有效工作]>={config.daily_valid_target},"是","否"))',
                   help=f"日均有效工作 ≥ {config.daily_valid_target} 为达标（每天保证 4 个有效电话）。"),
            Column("抽查数", Role.DERIVED, Type.INT,
                   f'IF([客服]="","",COUNTIFS([{SPOT}!被查客服],[客服],[{SPOT}!结果],"{spot.TRUE}")'
                   f'+COUNTIFS([{SPOT}!被查客服],[客服],[{SPOT}!结果],"{spot.FALSE}"))',
                   help="客服经理抽查了该客服的几条工作记录（填了结果的）。"),
            Column("不属实数", Role.DERIVED, Type.INT,
                   f'IF([客服]="","",COUNTIFS([{SPOT}!被查客服],[客服],[{SPOT}!结果],"{spot.FALSE}"))',
                   help="其中结果为不属实的条数（这些记录无效）。"),
            Column("邀约数", Role.DERIVED, Type.INT,
                   'IF([客服]="","",COUNTIFS([工作记录!客服],[客服],[工作记录!工作类型],"电话邀约"))',
                   help="该客服登记的电话邀约（邀请客户参加见面会）条数。"),
            Column("到会数", Role.DERIVED, Type.INT,
                   f'IF([客服]="","",COUNTIFS([工作记录!客服],[客服],[工作记录!工作类型],"电话邀约",'
                   f'[工作记录!{outcomes.CHECK_COLUMN}],"{outcomes.CHECKED}"))',
                   help="其中客户在之后第一场见面会到会的条数（见面会与培训.xlsx）。"),
            Column("到会率", Role.DERIVED, Type.RATIO, 'IF(N([邀约数])=0,"",[到会数]/[邀约数])',
                   help="到会数 ÷ 邀约数：见面会的邀约质量。"),
            *(Column(f"{event}数", Role.DERIVED, Type.INT,
                     f'IF([客服]="","",COUNTIFS([{JOURNAL}!客服],[客服],[{JOURNAL}!事件],"{event}"))',
                     help=f"本月日志中该客服的「{event}」条数（见「日志」表和 docs/journal.md）。")
              for event in JOURNAL_EVENTS),
            *inquiries.summary_columns(),
        ),
        highlights=(Highlight('[超容量]="是"', RED, ("帐户数", "容量", "超容量")),
                    Highlight('[达标]="否"', ORANGE, ("日均有效工作", "达标"))),
    )
    calendar = workdays_sheet("法定工作日（含调休上班日），供工作日数公式使用。")
    notes = (
        "蓝色表头的列手工填写；灰色表头的列是自动公式，请勿修改（工作表已保护，无密码，可在「审阅」中撤销保护）。",
        "点击 客服工具 → 重算（或在命令行运行 kefu-xl recalc 文件名）会检查数据、恢复被改动的公式并刷新汇总，问题列在「问题」表。",
        "服务标准：一级 电话4/上门1/报表5/优化2（约10.3小时/月），在线实时回复、邮件当天回复；"
        "二级 电话2/报表1/优化1（约3.5小时），邮件24小时内回复；三级 电话1/报表1/优化1（约2小时），邮件48小时内回复。",
        "有效工作：沟通对象为决策人、帐户存在、日期在本月、客服经理抽查未发现不属实、工作有结果（续费以到帐为准、邀约以客户到会为准、"
        "电话拜访填了满意度、优化客户接受、其他经理认可；各条可在 kefu-xl.toml [work.valid] 关掉）；"
        "电话拜访超出本月目标次数的记为无效（超计划）。续费、邀约、个人工作簿里的其他要看团队的文件：重算前显示「待团队核对」。",
        f"抽查：客服经理每个工作日至少抽查 {config.spot_checks_per_day} 条工作记录，记在「抽查」表（工作记录行，或 帐户ID + 客服）；"
        "不属实的记录无效，「客服汇总」列出每人的抽查数和不属实数。",
    )
    journal = journal_sheet.spec(month)
    return WorkbookSpec(kind=KIND, title=TITLE, sheets=(accounts, work, checks, summary, journal, inquiries.team_sheet(),
                                                        calendar), notes=notes,
                        meta=valid.meta_of(config.valid))


# --------------------------------------------------------------------------- month open

def opening_rows(statuses: list[AccountStatus], previous_levels: dict[str, str], month: Month,
                 config: Config) -> list[dict]:
    """帐户 rows for a new month: levels only go up; new clients of the month get no level."""
    rows = []
    for s in statuses:
        previous = previous_levels.get(rules.id_key(s.account_id), "")
        new_client = month.contains(s.opened)
        level = "" if new_client else opening_level(previous, suggested_level(s.weekly_spend, config))
        rows.append({
            "帐户ID": s.account_id, "客户名称": s.client, "客服": s.staff, "行业": s.industry,
            "周消耗": s.weekly_spend, "上月级别": previous, "级别": level, "开户日期": s.opened,
            "备注": NEW_CLIENT_NOTE if new_client else "",
        })
    return rows


def build(config: Config, month: Month, calendar, account_rows: list[dict], roster: list[StaffMember],
          as_of, meta: dict | None = None):
    """A new tracker workbook with the given 帐户 rows and an empty 工作记录."""
    wspec = spec(config, month)
    staff = summary_staff(roster, [r["客服"] for r in account_rows], [])
    titles = {s.name: s.title for s in wspec.sheets}
    data = {ACCOUNTS: account_rows, WORK: [],
            SUMMARY: [{"客服": m.name, "星级": m.star} for m in staff],
            CALENDAR: [{"日期": d} for d in calendar.workdays_between(month.first, month.last)]}
    wb, layouts = build_workbook(wspec, titles, data, {SUMMARY: {AS_OF: as_of}}, {"month": str(month), **(meta or {})})
    write_total_row(wb[SUMMARY], layouts, wspec.sheet(SUMMARY), len(staff))
    write_problem_sheet(wb, [], before="说明")
    return wb


# --------------------------------------------------------------------------- recalc

def write_total_row(ws, layouts, sheet: SheetSpec, n_staff: int) -> None:
    """The team row under the staff rows: sums, and ratios of the sums."""
    layout = layouts[sheet.name]
    first = layout.first_data_row
    r = first + n_staff
    last = r - 1
    col = layout.letter

    def rng(h):
        return f"{col(h)}{first}:{col(h)}{max(last, first)}" if n_staff else None

    values = {
        "客服": TOTAL_LABEL, "星级": "",
        "帐户数": f"=SUM({rng('帐户数')})", "容量": f"=SUM({rng('容量')})", "超容量": "",
        "目标合计": f"=SUM({rng('目标合计')})", "完成合计": f"=SUM({rng('完成合计')})",
        "完成率": f'=IF({col("目标合计")}{r}=0,"",{col("完成合计")}{r}/{col("目标合计")}{r})',
        "有效工作数": f"=SUM({rng('有效工作数')})",
        "工作日数": resolve(sheet.column("工作日数").formula, layouts, sheet.name, r),
        "日均有效工作": (f'=IF(OR({col("工作日数")}{r}=0,COUNTA({rng("客服")})=0),"",'
                     f'{col("有效工作数")}{r}/{col("工作日数")}{r}/COUNTA({rng("客服")}))'),
        "达标": "", "抽查数": f"=SUM({rng('抽查数')})", "不属实数": f"=SUM({rng('不属实数')})",
        "邀约数": f"=SUM({rng('邀约数')})", "到会数": f"=SUM({rng('到会数')})",
        "到会率": f'=IF(N({col("邀约数")}{r})=0,"",{col("到会数")}{r}/{col("邀约数")}{r})',
        **{f"{event}数": f"=SUM({rng(f'{event}数')})" for event in JOURNAL_EVENTS},
        "咨询数": f"=SUM({rng('咨询数')})",
        "咨询及时率": resolve(inquiries.team_on_time_formula(), layouts, sheet.name, r),
    }
    if not n_staff:
        values = {k: (0 if str(v).startswith("=SUM") else v) for k, v in values.items()}
        values["日均有效工作"] = ""
    for c in sheet.columns:
        cell = ws.cell(r, layout.columns[c.header])
        v = values[c.header]
        set_cell(cell, Formula(v) if isinstance(v, str) and v.startswith("=") else v,
                 style_name(Role.DERIVED, c.type))
        cell.font = Font(name=FONT, size=10, bold=True)


@dataclass
class MaintenanceFigures:
    """What the maintenance recalc computed, as Python values (python_values writes them as the
    cached values of the formula cells; tests compare them with LibreOffice's)."""
    checks: list[spot.SpotCheck]
    check_counts: dict[str, dict]
    accounts: list[Account]
    records: list[WorkRecord]
    verdicts: list[WorkVerdict]
    completions: list[AccountCompletion]
    staff: list[StaffSummary]
    working_days: int
    as_of: date
    collected: Collected | None
    team_checks: list[str]               # 团队核对 of each record (rules/outcomes)
    journal: list[dict] = field(default_factory=list)     # the month's 补录/改动/删除 (the 日志 sheet)
    inquiries: list = field(default_factory=list)         # every person's 咨询 (kinds/inquiries)
    inquiries_row: int = 0                                 # ... from this row of the 咨询 sheet


def recalc(wb, ctx: RecalcContext) -> RecalcResult:
    """Validate, restore formulas, refresh 客服汇总/工作日历/问题 — in place on `wb`."""
    config, month = ctx.config, ctx.month
    wspec = spec(config, month)
    result, found = start_recalc(wb, ctx, KIND, wspec, rebuilt=(SUMMARY, JOURNAL, inquiries.SHEET, CALENDAR))
    problems = result.problems
    if found is None:
        return result  # structural problems only: nothing to compute, caller writes nothing
    layouts, datas = found
    collected = _collect_personal(wb, wspec, layouts, datas, ctx, problems)
    events = list(collected.journal_shown) if collected else []        # the 日志 sheet's rows

    accounts = _read_accounts(datas[ACCOUNTS], ctx, problems)
    asked = inquiries.team_judged(collected.inquiries if collected else [], accounts, config, ctx.calendar)
    origin = collected.origin_of([r for r, v in datas[WORK].rows if cell_text(v["来源"])]) if collected else {}
    records = read_work(datas[WORK], ctx, problems, origin=origin)
    targets = account_targets(accounts, config)
    by_id: dict[str, Targets] = {}
    owners: dict[str, str] = {}
    for a, t in zip(accounts, targets):
        by_id.setdefault(rules.id_key(a.account_id), t)
        owners.setdefault(rules.id_key(a.account_id), a.staff)
    checks = read_checks(datas[SPOT], ctx.file, problems)
    by_row = {r.row: r for r in records}
    unrecognised = spot.unrecognised_keys(checks, by_row)
    team_checks = outcomes.team_checks(records, config.valid, team_facts(ctx), personal=False)
    repeats = rules.duplicates(records) if config.valid.duplicates else {}      # judged, then reported
    verdicts = rules.classify_work(records, by_id, month.first, month.last, repeats=repeats,
                                   disproved=spot.disproved_keys(checks, by_row), duplicates_once=config.valid.duplicates,
                                   outcome=outcomes.judge(config.valid, team_checks, personal=False,
                                                          unrecognised=unrecognised))
    results = rules.completions(accounts, targets, records, verdicts)

    roster_names = {m.name for m in ctx.roster} if ctx.roster is not None else None
    check_accounts(accounts, roster_names, ctx, problems)
    check_work(records, verdicts, owners, roster_names, ctx, problems, origin=origin, repeats=repeats,
               known_ids=[a.account_id for a in accounts])

    as_of = month.clamp(ctx.as_of)
    check_spot_checks(checks, by_row, ctx, problems, as_of)
    working_days = ctx.calendar.count(month.first, as_of)
    if ctx.roster is None:
        roster = [StaffMember(cell_text(v["客服"]), cell_text(v["星级"]))
                  for _, v in _summary_rows(wb[SUMMARY], layouts[SUMMARY]) if cell_text(v["客服"])]
    else:
        roster = ctx.roster
    staff = summary_staff(roster, [a.staff for a in accounts], [r.staff for r in records])
    summaries = rules.staff_summaries([(m.name, m.star, config.capacity.get(m.star)) for m in staff], accounts,
                                      results, records, verdicts, working_days, config.daily_valid_target)
    for s in summaries:
        if s.over_capacity:
            problems.append(Problem(ctx.file, SUMMARY, None, "帐户数", "OVER_CAPACITY",
                                    f"{s.staff}（{s.star}）负责 {s.accounts} 个帐户，超过容量 {s.capacity}。",
                                    Severity.WARNING))

    problems.sort(key=lambda p: (SHEET_ORDER.get(p.sheet, 9), p.row or 0))
    if ctx.write:
        write_team_checks(wb[WORK], layouts[WORK], datas[WORK], records, team_checks)
        write_back(wb, wspec, layouts, datas, accounts, staff, result, ctx, as_of, events, asked)

    result.summary_headers = ["客服", "星级", "帐户数", "完成率", "有效工作数", "日均有效工作", "达标"]
    result.summary_rows = [[s.staff, s.star or "—", str(s.accounts), rules.percent(s.ratio), str(s.valid_work),
                            "—" if s.daily_valid is None else f"{s.daily_valid:.2f}",
                            {True: "是", False: "否", None: "—"}[s.meets_standard]] for s in summaries]
    result.figures = MaintenanceFigures(checks=checks, check_counts=spot.staff_counts(checks, by_row),
                                        accounts=accounts, records=records, verdicts=verdicts,
                                        completions=results, staff=summaries, working_days=working_days,
                                        as_of=as_of, collected=collected, team_checks=team_checks, journal=events,
                                        inquiries=asked, inquiries_row=layouts[inquiries.SHEET].first_data_row)
    return result


def team_facts(ctx: RecalcContext) -> outcomes.TeamFacts | None:
    """What the outcome rules read from the team's other files (RecalcContext.facts), None when
    the recalc was handed none (a workbook away from its workspace: 待团队核对)."""
    if ctx.facts is None:
        return None
    return outcomes.TeamFacts(ctx.month.first, ctx.month.clamp(ctx.as_of), ctx.as_of, ctx.facts.received,
                              ctx.facts.meetings, late=ctx.facts.late)


def _collect_personal(wb, wspec: WorkbookSpec, layouts, datas, ctx: RecalcContext, problems: list[Problem]):
    """With personal workbooks (docs/plan.md), their records replace the collected rows of
    工作记录 before anything is computed; None when the month has none."""
    if ctx.personal is None:
        return None
    team_ids = {rules.id_key(cell_text(v["帐户ID"])) for _, v in datas[ACCOUNTS].rows if cell_text(v["帐户ID"])}
    names = [m.name for m in ctx.roster or [] if m.active] if ctx.roster is not None else None
    collected = ctx.personal.work_records(team_ids, names,
                                          [(r, v) for r, v in datas[WORK].rows if not cell_text(v.get("来源"))])
    typed = [c.header for c in wspec.sheet(WORK).columns if c.role is Role.INPUT]
    for _, v in datas[WORK].rows:     # a person whose own file is missing (only a copy): her last rows stay
        if cell_text(v.get("来源")) in collected.kept:
            collected.rows.append({**{h: plain_value(v.get(h)) for h in typed}, "来源": cell_text(v.get("来源"))})
    for p in collected.problems:      # named by the personal file they are about
        problems.append(Problem(ctx.file, f"个人/{p.file}" if p.file else WORK, p.row, p.column, p.code,
                                p.message, p.severity))
    if replace_collected_rows(wb[WORK], layouts[WORK], wspec.sheet(WORK), collected.rows, datas[WORK]):
        datas[WORK] = read_sheet(wb[WORK], wspec.sheet(WORK), ctx.file, problems)   # else read as it is
    return collected


def write_back(wb, wspec: WorkbookSpec, layouts, datas, accounts: list[Account], staff: list[StaffMember],
               result: RecalcResult, ctx: RecalcContext, as_of, events: list[dict], asked: list) -> None:
    """Put the recalc into the workbook: notes, formulas, summary, calendar, 问题, _meta."""
    config, month = ctx.config, ctx.month
    acc_sheet, work_sheet = wspec.sheet(ACCOUNTS), wspec.sheet(WORK)
    ws = wb[ACCOUNTS]
    note_col = layouts[ACCOUNTS].columns["备注"]
    for a in accounts:
        set_cell(ws.cell(a.row, note_col), account_note(a, month, config) or None,
                 style_name(Role.COMPUTED, Type.TEXT))
    for sheet in (acc_sheet, work_sheet, wspec.sheet(SPOT)):
        restore_formulas(wb, sheet, layouts, datas[sheet.name], result, ctx.file)

    rewrite_summary(wb, layouts, wspec, staff, as_of)
    rebuild_rows(wb, wspec.sheet(JOURNAL), layouts, journal_sheet.rows(events))
    rebuild_rows(wb, wspec.sheet(inquiries.SHEET), layouts, inquiries.team_rows(asked))
    rewrite_workdays(wb, wspec, layouts, ctx.calendar.workdays_between(month.first, month.last))
    finish_recalc(wb, wspec, ctx, result.problems)


def _summary_rows(ws, layout):
    out = []
    for row in ws.iter_rows(min_row=layout.first_data_row, values_only=True):
        v = {h: row[c - 1] if c - 1 < len(row) else None for h, c in layout.columns.items()}
        if cell_text(v["客服"]) and cell_text(v["客服"]) != TOTAL_LABEL:
            out.append((None, v))
    return out


def rewrite_summary(wb, layouts, wspec: WorkbookSpec, staff: list[StaffMember], as_of) -> None:
    sheet = wspec.sheet(SUMMARY)
    ws, layout = wb[SUMMARY], layouts[SUMMARY]
    rebuild_rows(wb, sheet, layouts, [{"客服": m.name, "星级": m.star} for m in staff])
    write_total_row(ws, layouts, sheet, len(staff))
    row, col = layout.anchors[AS_OF]
    set_cell(ws.cell(row, col), as_of, style_name(Role.INPUT, Type.DATE))
    apply_sheet_features(ws, layout, sheet, layouts, layout.first_data_row + len(staff))


def team_total(summaries: list[StaffSummary]) -> dict:
    """The 合计 row: sums, the team's capped ratio, valid work per person per working day."""
    target = sum(s.target_total for s in summaries)
    done = sum(s.done_capped for s in summaries)
    valid = sum(s.valid_work for s in summaries)
    days = summaries[0].working_days if summaries else 0
    return {"帐户数": sum(s.accounts for s in summaries), "容量": sum(s.capacity or 0 for s in summaries),
            "目标合计": target, "完成合计": done, "完成率": rules.ratio(done, target),
            "有效工作数": valid, "工作日数": days,
            "日均有效工作": None if not days or not summaries else Decimal(valid) / days / len(summaries)}


def python_values(result: RecalcResult) -> dict[str, dict]:
    """Python's value for every derived cell, keyed by sheet then row (客服 for 客服汇总): what
    tests compare with LibreOffice's recalculation of the workbook's own formulas."""
    config = result.context.config
    f = result.figures
    out: dict[str, dict] = {ACCOUNTS: {}, WORK: {}, SPOT: {}, SUMMARY: {}}
    for a, c in zip(f.accounts, f.completions):
        band, suggested = band_and_level(a, config)
        out[ACCOUNTS][a.row] = {
            "消耗档": band, "建议级别": suggested,
            "电话拜访目标": c.targets.phone, "上门拜访目标": c.targets.visit, "报表目标": c.targets.report,
            "优化目标": c.targets.optimize, "电话拜访完成": c.done.phone, "上门拜访完成": c.done.visit,
            "报表完成": c.done.report, "优化完成": c.done.optimize, "目标合计": c.target_total,
            "完成合计": c.done_capped, "完成率": c.ratio,
        }
    first = result.context.month.first
    names: dict[str, str] = {}
    for a in f.accounts:
        names.setdefault(rules.id_key(a.account_id), a.client)
    records, verdicts = f.records, f.verdicts          # the hidden helpers too, so a previewer shows them
    basic = ["" if v.reason == rules.REASON_OVER_PLAN else v.reason for v in verdicts]
    phone = [r.account_id if r.work_type == rules.PHONE and not b else "" for r, b in zip(records, basic)]
    out[WORK] = RowColumns([r.row for r in records], {   # a column at a time: 100,000 records
        "有效": ["是" if v.valid else "否" for v in verdicts], "无效原因": [v.reason for v in verdicts],
        "基本原因": basic, "电话键": phone,
        "序号": [(r.day - first).days * 1_000_000 + r.row if p else "" for r, p in zip(records, phone)],
        "计数键": [f"{r.account_id}|{r.work_type}" if v.valid else "" for r, v in zip(records, verdicts)],
        "抽查键": [rules.record_label(r.account_id, r.day, r.staff) if r.account_id and r.day else "" for r in records],
        "重复键": list(map(rules.duplicate_label, records)),
        "客户名称": [names.get(rules.id_key(r.account_id), NOT_AN_ACCOUNT) if r.account_id else "" for r in records]})
    invited: dict[str, list[int]] = {}
    for r, check in zip(f.records, f.team_checks):
        if r.work_type == "电话邀约":
            counts = invited.setdefault(r.staff, [0, 0])
            counts[0] += 1
            counts[1] += check == outcomes.CHECKED
    by_row = {r.row: r for r in f.records}
    for c in f.checks:
        out[SPOT][c.row] = dict(zip(("记录键", "被查客服"), spot.helper_cells(c, by_row)))
    yes_no = {None: None, True: "是", False: "否"}
    for s in f.staff:
        out[SUMMARY][s.staff] = {
            "帐户数": s.accounts, "容量": s.capacity, "超容量": yes_no[s.over_capacity],
            "目标合计": s.target_total, "完成合计": s.done_capped, "完成率": s.ratio,
            "有效工作数": s.valid_work, "工作日数": s.working_days, "日均有效工作": s.daily_valid,
            "达标": yes_no[s.meets_standard],
        }
    checked, false = f.check_counts
    for s in f.staff:
        asked, came = invited.get(s.staff, (0, 0))
        out[SUMMARY][s.staff].update({"抽查数": checked[s.staff], "不属实数": false[s.staff], "邀约数": asked,
                                      "到会数": came, "到会率": rules.ratio(came, asked)})
    marked = Counter((e.get("person"), e.get("type")) for e in f.journal)
    for s in f.staff:
        out[SUMMARY][s.staff].update({f"{event}数": marked[(s.staff, event)] for event in JOURNAL_EVENTS})
    asked = sum(out[SUMMARY][s.staff]["邀约数"] for s in f.staff)
    came = sum(out[SUMMARY][s.staff]["到会数"] for s in f.staff)
    out[SUMMARY][TOTAL_LABEL] = {**team_total(f.staff),
                                 "抽查数": sum(checked[s.staff] for s in f.staff),
                                 "不属实数": sum(false[s.staff] for s in f.staff),
                                 "邀约数": asked, "到会数": came, "到会率": rules.ratio(came, asked),
                                 **{f"{event}数": sum(out[SUMMARY][s.staff][f"{event}数"] for s in f.staff)
                                    for event in JOURNAL_EVENTS}}
    inquiries.team_values(out, SUMMARY, TOTAL_LABEL, [s.staff for s in f.staff], f.inquiries, f.inquiries_row)
    return out


def band_and_level(account: Account, config: Config) -> tuple[str, str]:
    return spend_band(account.weekly_spend, config), suggested_level(account.weekly_spend, config)


KIND_DEF = Kind(KIND, TITLE, spec, recalc, python_values, needs_roster=True, collects="records", judges_work=True)
