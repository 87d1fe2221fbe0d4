"""The team tracker's 日志 sheet (docs/journal.md): the month's 补录, 改动 and 删除 as the
journal (app/journal) holds them, rewritten at every recalc; 客服汇总 counts them by formula."""
from __future__ import annotations

from ..month import Month
from ..rules import journal as journal_rules
from ..sheets.spec import Column, Role, SheetSpec, Type

JOURNAL = "日志"
EVENTS = (journal_rules.LATE, journal_rules.CHANGED, journal_rules.DELETED)   # counted on 客服汇总


def spec(month: Month) -> SheetSpec:
    return SheetSpec(
        name=JOURNAL, title=f"{month.label} 日志：补录、改动、删除（每次汇总从 {month}/日志/ 重写）", key="客服",
        buffer_rows=0, row_markers=("汇总时间", "客服", "事件"), added_later=True,
        help="每次汇总都把读到的工作记录追加到日志（只追加、不改写）；这里列出本月的补录、改动和删除，抽查时先查这些。",
        columns=(
            Column("汇总时间", Role.COMPUTED, Type.TEXT, help="哪一次汇总发现的（月-日 时:分）。"),
            Column("客服", Role.COMPUTED, Type.TEXT, help="工作簿的主人。"),
            Column("事件", Role.COMPUTED, Type.TEXT, help="补录 / 改动 / 删除。"),
            Column("日期", Role.COMPUTED, Type.TEXT, help="这条工作记录的日期。"),
            Column("帐户ID", Role.COMPUTED, Type.ID, help="这条工作记录的帐户。"),
            Column("工作类型", Role.COMPUTED, Type.TEXT,
                   help="这条工作记录的工作类型；跟进单元格写表和列（我的续费·到帐日期）。"),
            Column("说明", Role.COMPUTED, Type.TEXT, width=60, wrap=True,
                   help="补录：晚了多久；改动：旧 → 新；删除：删掉的内容。"),
            Column("文件保存于", Role.COMPUTED, Type.TEXT,
                   help="发现它时，个人工作簿（直接填在团队表里的行：团队表）最后保存的时间。"),
        ),
    )


def rows(events: list[dict]) -> list[dict]:
    """The 日志 sheet's rows: the month's 补录, 改动 and 删除 (app/journal reads them)."""
    out = []
    for e in events:
        record = e.get("record") or e.get("old") or {}
        out.append({"汇总时间": str(e.get("at", ""))[5:16], "客服": e.get("person", ""), "事件": e.get("type", ""),
                    "日期": record.get("日期", ""), "帐户ID": record.get("帐户ID", ""),
                    "工作类型": journal_rules.label_of(record), "说明": journal_rules.describe(e).split("：", 1)[-1],
                    "文件保存于": str(e.get("saved_at", ""))[5:16]})
    return out
