"""名册.xlsx (kind roster): the staff list with star ratings (docs/levels.md)."""
from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from ..config import STARS
from ..errors import KefuError
from ..io.headers import aliases_near
from ..io.tables import read_sheets_fresh
from ..records import Problem, Severity, StaffMember
from ..sheets.read import read_sheet
from ..sheets.spec import Column, Presence, Role, SheetSpec, Type, WorkbookSpec
from .base import cell_date, cell_text

FILE_NAME = "名册.xlsx"
SHEET = "客服"
COMPUTER_NAMES = "电脑用户名"

STAFF_SHEET = SheetSpec(
    name=SHEET,
    title="客服名册",
    key="客服",
    buffer_rows=0,
    protect=False,
    row_markers=("客服",),
    columns=(
        Column("客服", Role.INPUT, Type.TEXT, help="客服姓名，全表唯一；各跟踪表按姓名对应。"),
        Column("星级", Role.INPUT, Type.TEXT, dropdown=STARS,
               help="客服星级：决定可维护帐户数（三星 15、二星 45、一星 80，可在 kefu-xl.toml 调整）。"),
        Column("入职日期", Role.INPUT, Type.DATE, help="入职日期。"),
        Column("在职", Role.INPUT, Type.TEXT, dropdown=("是", "否"), help="离职填「否」：不再列入客服汇总。"),
        Column(COMPUTER_NAMES, Role.INPUT, Type.TEXT, presence=Presence.OPTIONAL, width=18,
               help="可选：这位客服保存文件时 Excel 记下的用户名（文件 → 信息 → 最后修改者），几个用逗号隔开。"
                    "填了之后，别人保存了他的个人工作簿，日志里会记「由 X 保存」（见 docs/journal.md）。"),
    ),
)

SPEC = WorkbookSpec(kind="roster", title="客服名册", sheets=(STAFF_SHEET,),
                    notes=("每位客服一行。星级决定容量；在职=否的客服不再出现在汇总中。",))


def blank_data() -> dict:
    return {SHEET: []}


_NOT_IN_FILE_NAMES = '/\\:*?"<>|'


def name_problem(raw) -> str | None:
    """Why a 客服 name cannot become part of a file name (personal workbooks are named after
    their owner, docs/reliability.md), or None when it can."""
    if not isinstance(raw, str):
        return None
    if raw != raw.strip():
        return "前后有空格"
    bad = sorted({ch for ch in raw if ch in _NOT_IN_FILE_NAMES})
    if bad:
        return f"含有文件名不允许的字符 {' '.join(bad)}"
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in raw):
        return "含有控制字符（可能是复制时带进来的换行或制表符）"
    if raw.startswith("."):
        return "以「.」开头"
    return None


def file_in(folder: Path, name: str, person: str) -> Path:
    """`folder/name` for a file named after `person` (a personal workbook, a journal); a name
    that would lead out of `folder` is refused (name_problem names it in the roster first,
    this is the last guard)."""
    path = folder / name          # a plain name of no link needs no resolve (a collect asks for 100 journals)
    plain = path.parent == folder and path.name == name and name not in (".", "..") and not _is_link(path)
    if not plain and (path.parent != folder or path.resolve().parent != folder.resolve()):
        raise KefuError(f"客服姓名「{person}」不能用作文件名（会写到 {folder.name}/ 以外）：请在名册.xlsx 中改正后再运行。")
    return path


def _is_link(path: Path) -> bool:
    """A symbolic link, or on Windows any reparse point (a junction too)."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISLNK(st.st_mode) or bool(getattr(st, "st_file_attributes", 0) & stat.FILE_ATTRIBUTE_REPARSE_POINT)


def read_roster(path: Path, aliases: dict | None = None) -> tuple[list[StaffMember], list[Problem]]:
    """Staff of 名册.xlsx; problems for duplicates, unknown stars, bad dates. `aliases`: the
    [headers] names to use (default: those of the workspace's kefu-xl.toml)."""
    problems: list[Problem] = []
    sheets = read_sheets_fresh(path, (SHEET,))     # by calamine (openpyxl took 0.1 s), as the file is now
    if SHEET not in sheets:
        problems.append(Problem(path.name, SHEET, None, "", "MISSING_SHEET",
                                f"名册中没有「{SHEET}」工作表。"))
        return [], problems
    data = read_sheet(sheets[SHEET], STAFF_SHEET, path.name, problems,
                      aliases if aliases is not None else aliases_near(path))
    if data is None:
        return [], problems
    staff, seen = [], {}
    for row, values in data.rows:
        name = cell_text(values["客服"])
        star = cell_text(values["星级"])
        why = name_problem(values["客服"])
        if why:
            problems.append(Problem(path.name, SHEET, row, "客服", "BAD_STAFF_NAME",
                                    f"客服「{values['客服']}」{why}：姓名会成为个人工作簿的文件名，"
                                    f"请在名册中改成只有姓名的文字（不含 / \\ : * ? \" < > | 和首尾空格）。"))
            continue
        if name in seen:
            problems.append(Problem(path.name, SHEET, row, "客服", "DUPLICATE_STAFF",
                                    f"客服「{name}」在第 {seen[name]} 行已经出现过，姓名必须唯一。"))
            continue
        seen[name] = row
        if star not in STARS:
            problems.append(Problem(path.name, SHEET, row, "星级", "BAD_STAR",
                                    f"星级「{star}」无效，应为 一星/二星/三星；容量暂不计算。", Severity.WARNING))
            star = ""
        active = cell_text(values["在职"]) != "否"
        names = tuple(n for n in re.split(r"[,，、;；]+", cell_text(values.get(COMPUTER_NAMES))) if n.strip())
        staff.append(StaffMember(name, star, cell_date(values["入职日期"]), active, tuple(n.strip() for n in names)))
    if not any(m.active for m in staff):
        what = "没有在职的客服（都填了 在职 = 否）" if staff else "还没有填写任何客服"
        problems.append(Problem(path.name, SHEET, None, "客服", "EMPTY_ROSTER",
                                f"名册{what}：客服汇总没有星级和容量，开月不会生成个人工作簿。"
                                f"请在 {path.name} 的「{SHEET}」表为每位客服填一行（客服 · 星级 · 入职日期 · 在职 = 是），"
                                f"填好后再开一次月并加上 --refresh，就会为他们生成个人工作簿。", Severity.WARNING))
    return staff, problems


def summary_staff(roster: list[StaffMember] | None, account_staff: list[str],
                  work_staff: list[str]) -> list[StaffMember]:
    """客服汇总 rows: active roster staff, then any other name met in 帐户 or 工作记录."""
    members = [m for m in (roster or []) if m.active]
    known = {m.name for m in roster or []}
    for name in [*account_staff, *work_staff]:
        if name and name not in known:
            members.append(StaffMember(name, ""))
            known.add(name)
    return members


def active_first(path: Path, names: list[str]) -> list[str]:
    """`names` (the people a report met in the trackers) ordered as a team reads them: the
    roster's active staff first, in its order, then anyone else (a roster-less workspace: as met)."""
    if not path.exists():
        return names
    active = [m.name for m in read_roster(path)[0] if m.active]
    return active + [n for n in names if n not in active]
