"""Reading a kefu-xl sheet back by header text, and writing the 问题 sheet."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from operator import itemgetter

from openpyxl.styles import Font, PatternFill

from ..io.headers import header_key, header_texts, missing_message, nearest
from ..io.sheet_api import as_book, as_sheet
from ..io.values import is_blank
from ..records import Problem, Severity
from .build import (
    BORDER,
    DERIVED_HEADER_FILL,
    FONT,
    PROBLEM_SHEET,
    PROBLEM_STYLE,
    freeze,
    print_one_page_wide,
    register_styles,
    stays_text,
    text_width,
    wrapped_height,
)
from .layout import Layout, find_layout
from .spec import SheetSpec, split_missing


@dataclass
class SheetData:
    """A sheet read back: its layout and the data rows as {header: value} (formulas as text)."""
    spec: SheetSpec
    layout: Layout
    rows: list[tuple[int, dict[str, object]]] = field(default_factory=list)
    added: tuple[str, ...] = ()        # columns recalc has just added to a workbook an earlier version made

    @property
    def last_row(self) -> int:
        return self.rows[-1][0] if self.rows else self.layout.header_row


def _layout(ws, spec: SheetSpec, file: str, problems: list[Problem], aliases=None) -> Layout | None:
    """The sheet's layout, or None with a MISSING_HEADER problem when a column the file must
    have is not there (spec.split_missing). A column an older file may lack reads as blank
    (recalc adds it first: kinds/base.read_sheets)."""
    layout, missing = find_layout(ws, spec, aliases)
    refused = split_missing(spec, missing)[1] if layout is not None else missing
    if layout is None or refused:
        problems.append(Problem(file, spec.name, layout.header_row if layout else None, "、".join(refused),
                                "MISSING_HEADER", _missing_headers(ws, layout, refused, aliases is not None)))
        return None
    return layout


def _missing_headers(ws, layout: Layout | None, missing: list[str], input_sheet: bool) -> str:
    """The message for a declared sheet whose headers are not all there: what was found in the
    header row and which found header each missing one is most like. A sheet people make
    themselves (`input_sheet`, 名册) is told as an export is: its headers may have aliases."""
    found: list[str] = []
    if layout is not None:
        row = next(iter(ws.iter_rows(min_row=layout.header_row, max_row=layout.header_row, values_only=True)), ())
        found = header_texts(row)
    if input_sheet:
        return missing_message(missing, found)
    text = f"找不到表头「{'」「'.join(missing)}」。"
    if found:
        text += f"这张表的表头行是：{'、'.join(found)}。"
        matched = {header_key(h) for h in layout.columns}
        for m, f in nearest(missing, [f for f in found if header_key(f) not in matched]).items():
            text += f"「{f}」是不是「{m}」？"
    return text + "kefu-xl 按表头文字找列：请把表头改回原样（可以调整列的顺序，也可以插入自己的列）。"


def read_sheet(ws, spec: SheetSpec, file: str, problems: list[Problem], aliases=None) -> SheetData | None:
    """Rows of a declared sheet; a missing header is an error problem and returns None.
    `aliases`: a workspace's [headers] names, for a sheet people may have made themselves (名册)."""
    layout = _layout(ws, spec, file, problems, aliases)
    if layout is None:
        return None
    data = SheetData(spec, layout)
    markers = [layout.columns[h] for h in spec.markers if h in layout.columns]
    cols = layout.columns
    absent = [h for h in spec.headers if h not in cols]     # kefu-xl's own columns an older file lacks
    max_col = max(cols.values())
    headers = tuple(cols)
    pick = itemgetter(*(c - 1 for c in cols.values())) if len(cols) > 1 else (lambda row: (row[max_col - 1],))
    for r, row in enumerate(ws.iter_rows(min_row=layout.first_data_row, max_col=max_col, values_only=True),
                            layout.first_data_row):
        for c in markers:                   # a row is data when one of its markers holds a value
            v = row[c - 1]
            if v is not None and not is_blank(v):
                break
        else:
            continue
        values = dict(zip(headers, pick(row)))          # {header: value}, built in C (100,000 rows of 22)
        for header in absent:
            values[header] = None
        data.rows.append((r, values))
    return data


def read_columns(ws, spec: SheetSpec, headers: tuple[str, ...], file: str,
                 problems: list[Problem]) -> list[tuple[int, tuple]] | None:
    """(row, values of `headers`) of every row with a value in one of them: for long sheets
    (years of settled orders) where only a few columns matter. None when a header is missing."""
    layout = _layout(ws, spec, file, problems)
    if layout is None:
        return None
    picks = [layout.columns[h] - 1 if h in layout.columns else None for h in headers]   # None: not in an older file
    out = []
    width = max((c for c in picks if c is not None), default=0) + 1
    for r, row in enumerate(ws.iter_rows(min_row=layout.first_data_row, max_col=width, values_only=True),
                            layout.first_data_row):
        values = tuple(None if c is None else row[c] for c in picks)
        if not all(is_blank(v) for v in values):
            out.append((r, values))
    return out


# what staff read: Chinese only (the problem's code stays in --json output and the docs' tables)
PROBLEM_HEADERS = ("工作表", "行", "列", "级别", "说明")


def write_problem_sheet(wb, problems: list[Problem], before: str | None = None) -> None:
    """(Re)write the 问题 sheet: one row per problem, or a line saying there are none. An
    existing one keeps its place and look; a missing one (deleted or renamed by a person) is
    made anew before `before`."""
    wb = as_book(wb)
    if PROBLEM_SHEET in wb.sheetnames and wb[PROBLEM_SHEET].keeps_features \
            and _problem_headers_hold(wb[PROBLEM_SHEET]) and _prints_one_page_wide(wb[PROBLEM_SHEET]):
        return _rewrite_problem_rows(wb, problems)
    if PROBLEM_SHEET in wb.sheetnames:              # where a person may have moved it
        index = wb.sheetnames.index(PROBLEM_SHEET)
    else:
        index = wb.sheetnames.index(before) if before in wb.sheetnames else len(wb.sheetnames)
    wb.add_sheet(PROBLEM_SHEET, index, lambda ws, scratch: _build_problem_sheet(ws, scratch, problems))


def _build_problem_sheet(ws, wb, problems: list[Problem]) -> None:
    ws.sheet_properties.tabColor = _tab_color(problems)
    ws.cell(1, 1, _problem_title(problems)).font = Font(name=FONT, size=14, bold=True)
    for c, h in enumerate(PROBLEM_HEADERS, 1):
        cell = ws.cell(2, c, h)
        cell.font = Font(name=FONT, size=10, bold=True)
        cell.fill = PatternFill("solid", fgColor=DERIVED_HEADER_FILL)
        cell.border = BORDER
    register_styles(wb)
    _problem_rows(ws, problems)
    for letter, width in zip("ABCDE", PROBLEM_WIDTHS):
        ws.column_dimensions[letter].width = width
    freeze(ws, "A3")
    if problems:
        ws.auto_filter.ref = f"A2:E{len(problems) + 2}"
    print_one_page_wide(ws, "2:2")


# 说明 wraps within its width: the five columns print on one landscape page at about 90%
PROBLEM_WIDTHS = (10, 6, 14, 6, 98)


def _problem_headers_hold(ws) -> bool:
    return tuple(ws.value(2, c) for c in range(1, len(PROBLEM_HEADERS) + 1)) == PROBLEM_HEADERS


def _prints_one_page_wide(ws) -> bool:
    """Whether a patched 问题 sheet has the print set-up of print_one_page_wide; one an older
    version made (portrait, 说明 on a second page) is made anew once."""
    return re.search(rb'fitToPage="(?:1|true)"', ws.head) is not None and b'orientation="landscape"' in ws.tail


def _tab_color(problems: list[Problem]) -> str:
    return "C00000" if problems else "70AD47"


def _problem_title(problems: list[Problem]) -> str:
    return f"问题清单（共 {len(problems)} 条）" if problems else "问题清单：没有发现问题"


_FILLS = {Severity.ERROR: PatternFill("solid", fgColor="FFC7CE"), Severity.WARNING: PatternFill("solid", fgColor="FFEB9C"),
          Severity.INFO: None}


def _problem_values(p: Problem) -> tuple:
    return p.sheet, p.row, p.column, p.severity.value, p.message


def _problem_rows(ws, problems: list[Problem]) -> None:
    ws = as_sheet(ws)
    for r, p in enumerate(problems, 3):
        values = _problem_values(p)
        ws.put_row(r, values, PROBLEM_STYLE, tuple(stays_text(v) for v in values))
        if _FILLS[p.severity]:
            ws.cell(r, 4).fill = _FILLS[p.severity]
        if text_width(p.message or "") > PROBLEM_WIDTHS[-1] - 4:      # 说明 wraps: the row shows every line
            ws.row_dimensions[r].height = wrapped_height(p.message, PROBLEM_WIDTHS[-1])


def _rewrite_problem_rows(wb, problems: list[Problem]) -> None:
    """The patch path: the sheet stays where it is with its look; title, rows, tab colour and
    filter are rewritten."""
    ws = wb[PROBLEM_SHEET]
    register_styles(wb)
    ws.sheet_properties.tabColor = _tab_color(problems)
    if ws.value(1, 1) != _problem_title(problems):
        ws.cell(1, 1).value = _problem_title(problems)
    if not _rows_hold(ws, problems):            # the same problems as last time: the rows stay
        if ws.max_row >= 3:
            ws.delete_rows(3, ws.max_row - 2)
        _problem_rows(ws, problems)
    ws.auto_filter.ref = f"A2:E{len(problems) + 2}" if problems else None


def _rows_hold(ws, problems: list[Problem]) -> bool:
    """Whether rows 3… of the sheet already are exactly these problems."""
    if ws.max_row != len(problems) + 2:
        return False
    for r, p in enumerate(problems, 3):
        for c, v in enumerate(_problem_values(p), 1):
            have = ws.value(r, c)
            if (have if have != "" else None) != (v if v != "" else None):
                return False
    return True
