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

from dataclasses import dataclass, field
from datetime import datetime, time
from enum import Enum


class Role(str, Enum):
    INPUT = "输入"        # people type it; kefu-xl never overwrites it
    DERIVED = "公式"      # a live formula kefu-xl writes and restores
    COMPUTED = "重算填写"  # a value kefu-xl writes on month open / recalc (names, notes)


class Type(str, Enum):
    TEXT = "text"
    ID = "id"
    INT = "int"
    MONEY = "money"
    NUMBER = "number"
    DATE = "date"
    DATETIME = "datetime"
    RATIO = "ratio"


NUMBER_FORMATS = {
    Type.TEXT: "@",
    Type.ID: "@",
    Type.INT: "0",
    Type.MONEY: "#,##0.00",
    Type.NUMBER: "0.00",
    Type.DATE: "yyyy-mm-dd",
    Type.DATETIME: "yyyy-mm-dd hh:mm",
    Type.RATIO: "0.0%",
}


@dataclass(frozen=True)
class Column:
    """One column: its header (the contract), role, type and, for derived ones, the formula.

    Attributes:
      header: header text, exactly as in DOMAIN.md.
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

    def sheet(self, name: str) -> SheetSpec:
        for s in self.sheets:
            if s.name == name:
                return s
        raise KeyError(name)
