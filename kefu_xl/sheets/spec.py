"""Declarations of sheets and columns.

Formula templates name columns by header, never by letter:
  [周消耗]            the cell of that column in the same row      ->  $E3
  [工作记录!帐户ID]    the whole column on another sheet            ->  '工作记录'!$C:$C
  [^帐户ID]           the same column from the header to the row above -> $C$2:$C2
  [~金额]             the same column from the header to this row    -> $C$2:$C3
  [对账!#期初余额]      the first data cell of a column (one-row tables) -> '对账'!$A$3
  [清单!#帐户ID清单:10]  the first 10 data cells of a column            -> '清单'!$A$3:$A$12
  [@截至日期]          an anchor cell (a labelled cell in the title row) -> $L$1
  [客服汇总!@截至日期]  an anchor cell on another sheet
Numbers and texts that come from the config are put in by the kind with f-strings.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime, time
from enum import Enum

from ..io.values import FULL_WIDTH_SPACE


class Role(str, Enum):
    INPUT = "输入"        # people type it; kefu-xl never overwrites it
    DERIVED = "公式"      # a live formula kefu-xl writes and restores
    COMPUTED = "重算填写"  # a value kefu-xl writes on month open / recalc (names, notes)


class Presence(str, Enum):
    """Whether a workbook must have a column (docs/workbooks.md, 旧版本的文件).

    The one place this is decided: `Column.presence`, read by `split_missing`."""
    REQUIRED = "必有"     # a file without it is refused (MISSING_HEADER): a header people may have renamed
    ADDED = "补上"        # a file made before the column existed gets it at its next recalc / refresh
    OPTIONAL = "可缺"     # read as blank when missing, never added


class Type(str, Enum):
    TEXT = "text"
    ID = "id"
    INT = "int"
    MONEY = "money"
    NUMBER = "number"
    DAYS = "days"          # 可投放天数: one decimal on every sheet (one figure, one value)
    DATE = "date"
    DATETIME = "datetime"
    RATIO = "ratio"


NUMBER_FORMATS = {
    Type.TEXT: "@",
    Type.ID: "@",
    Type.INT: "0",
    Type.MONEY: "#,##0.00",
    Type.NUMBER: "0.00",
    Type.DAYS: "0.0",
    Type.DATE: "yyyy-mm-dd",
    Type.DATETIME: "yyyy-mm-dd hh:mm",
    Type.RATIO: "0.0%",
}


@dataclass(frozen=True)
class Column:
    """One column: its header (the contract), role, type and, for derived ones, the formula.

    Attributes:
      header: header text, exactly as the docs name it (docs/).
      role: input / derived / computed.
      type: value type; decides number format and data validation.
      formula: template for derived columns (see module docstring), without "=".
      dropdown: allowed values for an input list.
      help: one line for the 说明 sheet.
      width: column width in characters; None = from header and type.
      hidden: a helper column, hidden in the sheet.
    """
    header: str
    role: Role = Role.INPUT
    type: Type = Type.TEXT
    formula: str | None = None
    dropdown: tuple[str, ...] | None = None
    help: str = ""
    width: int | None = None
    hidden: bool = False          # helper columns that formulas need but people need not see
    dropdown_source: str | None = None   # "sheet!header": a list taken from another sheet's column
    wrap: bool = False            # long text (a plan line's 原因) wraps within the column's width
    # REQUIRED / ADDED / OPTIONAL; None: kefu-xl's own columns (formulas, values it writes) are
    # ADDED, typed ones REQUIRED. A typed column a later version declares says ADDED: old files
    # gain it blank.
    presence: Presence | None = None

    @property
    def policy(self) -> Presence:
        if self.presence is not None:
            return self.presence
        return Presence.REQUIRED if self.role is Role.INPUT else Presence.ADDED


def split_missing(spec: "SheetSpec", missing: list[str]) -> tuple[list[Column], list[str]]:
    """The one check of a sheet's missing headers (find_layout's `missing`): (the columns
    kefu-xl adds to an older file, in declared order; the headers that make the file refused).
    An OPTIONAL column is neither."""
    by_header = {c.header: c for c in spec.columns}
    added = [c for c in spec.columns if c.header in missing and c.policy is Presence.ADDED]
    refused = [h for h in missing if h not in by_header or by_header[h].policy is Presence.REQUIRED]
    return added, refused


@dataclass(frozen=True)
class Anchor:
    """A labelled single cell placed at the right end of the title row (e.g. 截至日期)."""
    label: str
    type: Type = Type.DATE
    help: str = ""


@dataclass(frozen=True)
class Highlight:
    """Conditional formatting: fill the row's cells in `columns` (all when empty) when formula is true."""
    formula: str
    fill: str
    columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class SheetSpec:
    """One sheet: title, columns, frozen key column, buffer of formula rows, highlights."""
    name: str
    title: str
    columns: tuple[Column, ...]
    key: str
    buffer_rows: int = 200
    anchors: tuple[Anchor, ...] = ()
    highlights: tuple[Highlight, ...] = ()
    protect: bool = True
    hidden: bool = False          # helper sheets (工作日历) that formulas read but people need not see
    help: str = ""
    # a row counts as data when any of these columns is filled (default: every input column)
    row_markers: tuple[str, ...] = ()
    # a sheet a later version added: recalc puts an empty one into an older workbook
    added_later: bool = False
    # the columns whose values name a row in the kind's python_values when it is not the
    # row number or the key alone: 品类 + 品牌, 角色 + 姓名, 行 (the 询盘 row a 成交一览 line shows)
    row_key: tuple[str, ...] = ()
    trimmed: bool = False         # its formulas read typed text trimmed (trimmed() has run)

    def column(self, header: str) -> Column:
        for c in self.columns:
            if c.header == header:
                return c
        raise KeyError(header)

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    @property
    def markers(self) -> tuple[str, ...]:
        return self.row_markers or tuple(c.header for c in self.columns if c.role is Role.INPUT)

    @property
    def key_headers(self) -> tuple[str, ...]:
        """The columns that name a row in python_values (row_key, else the key column)."""
        return self.row_key or (self.key,)

    def key_of(self, values) -> object:
        """The key python_values gives the row holding `values` ({header: value}, as read from a
        file): the row_key columns' values (a tuple when several), else the key column's.
        A date read back as a midnight datetime is a date, as Python has it."""
        def plain(v):
            return v.date() if isinstance(v, datetime) and v.time() == time() else v
        keys = tuple(plain(values.get(h)) for h in self.key_headers)
        return keys[0] if len(keys) == 1 else keys


@dataclass(frozen=True)
class WorkbookSpec:
    """A workbook kind: its sheets (in order) and what goes in _meta."""
    kind: str
    title: str                   # e.g. "月度维护跟踪表"
    sheets: tuple[SheetSpec, ...]
    schema_version: int = 1
    notes: tuple[str, ...] = field(default_factory=tuple)   # extra lines for 说明
    # the sheets as declared, before trimmed(): what another kind copies columns from
    declared: tuple[SheetSpec, ...] = field(default=(), compare=False, repr=False)
    # more _meta rows, written whenever _meta is (the month's rules of valid work: rules/valid.py)
    meta: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self):
        if not self.declared:
            object.__setattr__(self, "declared", self.sheets)
        object.__setattr__(self, "sheets", trimmed(self.sheets))

    def declared_sheet(self, name: str) -> SheetSpec:
        """A sheet as its kind declared it (formulas not yet trimmed, no helper columns)."""
        return next(s for s in self.declared if s.name == name)

    def sheet(self, name: str) -> SheetSpec:
        for s in self.sheets:
            if s.name == name:
                return s
        raise KeyError(name)


# --------------------------------------------------------------------------- typed text
# Typed text in formulas reads as Python reads it (docs/reliability.md): " M2 " is M2, "决策人　" is
# 决策人. Every workbook declaration passes through `trimmed` once (WorkbookSpec does it): a
# same-row reference to a typed text column (an input of type text or ID) becomes
# TRIM(SUBSTITUTE(cell,"　"," ")), and a typed column that formulas look up as a range
# (COUNTIF over 帐户!帐户ID, the rows above for duplicates…) gets a hidden helper column holding
# that trimmed text, which the ranges then name instead. Python's side is io.values.trim_text,
# applied by every cell reader.

HELPER_SUFFIX = "（去空格）"
_REF = re.compile(r"\[(?:([^\]!\[]+)!)?([@^~#]?)([^\]\[]+)\]")


def typed_text(column: Column) -> bool:
    """A column people type text into, compared by formulas."""
    return column.role is Role.INPUT and column.type in (Type.TEXT, Type.ID)


def helper_header(header: str) -> str:
    return header + HELPER_SUFFIX


def is_helper(header: str) -> bool:
    return header.endswith(HELPER_SUFFIX)


def trim_expression(ref: str, identifier: bool = False) -> str:
    """A typed cell as Python reads it (io.values.parse_text; an ID as io.values.id_text: ASC
    makes full-width letters, digits and the full-width space half-width)."""
    if identifier:              # (LibreOffice's ASC leaves the full-width space: SUBSTITUTE does it)
        return f'TRIM(ASC(SUBSTITUTE({ref},"{FULL_WIDTH_SPACE}"," ")))'
    return f'TRIM(SUBSTITUTE({ref},"{FULL_WIDTH_SPACE}"," "))'


def _ranges_wanted(sheets: tuple[SheetSpec, ...], typed: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """(sheet, header) of the typed columns some formula reads as a range."""
    wanted = set()
    for sheet in sheets:
        formulas = [c.formula for c in sheet.columns if c.formula] + [h.formula for h in sheet.highlights]
        for formula in formulas:
            for other, mode, name in _REF.findall(formula):
                key = (other or sheet.name, name)
                if key in typed and ((other and mode == "") or (not other and mode in "^~" and mode)):
                    wanted.add(key)
    return wanted


def _rewrite(formula: str, sheet: str, typed: dict[tuple[str, str], Type], helpers: set[tuple[str, str]]) -> str:
    def ref(m: re.Match) -> str:
        other, mode, name = m.group(1), m.group(2), m.group(3)
        key = (other or sheet, name)
        if key not in typed or mode in ("@", "#"):
            return m.group(0)
        if other or mode:                                   # a range: the helper's
            return f"[{other + '!' if other else ''}{mode}{helper_header(name)}]"
        if key in helpers:                                  # this row: its helper cell,
            return f"[{helper_header(name)}]"
        return trim_expression(m.group(0), typed[key] is Type.ID)   # or the trimmed cell itself
    return _REF.sub(ref, formula)


def trimmed(sheets: tuple[SheetSpec, ...]) -> tuple[SheetSpec, ...]:
    """The sheets with every formula reading typed text trimmed, helper columns added."""
    if all(s.trimmed for s in sheets):
        return sheets
    typed = {(s.name, c.header): c.type for s in sheets for c in s.columns if typed_text(c)}
    helpers = _ranges_wanted(sheets, typed)
    out = []
    for sheet in sheets:
        if sheet.trimmed:
            out.append(sheet)
            continue
        columns = [replace(c, formula=_rewrite(c.formula, sheet.name, typed, helpers)) if c.formula else c
                   for c in sheet.columns]
        for c in sheet.columns:
            if (sheet.name, c.header) in helpers:
                ident = c.type is Type.ID
                columns.append(Column(helper_header(c.header), Role.DERIVED, Type.TEXT,
                                      trim_expression(f"[{c.header}]", ident), hidden=True,
                                      help=f"辅助列（隐藏）：「{c.header}」去掉首尾空格（含全角空格）"
                                           f"{'、全角字母数字改为半角' if ident else ''}后的文字，"
                                           f"公式按它查找，与 Python 的判断一致。"))
        highlights = tuple(replace(h, formula=_rewrite(h.formula, sheet.name, typed, helpers))
                           for h in sheet.highlights)
        out.append(replace(sheet, columns=tuple(columns), highlights=highlights, trimmed=True))
    return tuple(out)
