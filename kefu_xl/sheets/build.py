"""Building workbooks from declarations, and writing rows/formulas into existing sheets.

The look follows a tidy Chinese office workbook: title row, bold frozen header, ID column
frozen, autofilter, CJK font and widths, input columns (blue header, white unlocked
cells) visibly distinct from derived ones (grey, locked), A4 landscape fit to width.
"""
from __future__ import annotations

import unicodedata
from datetime import datetime
from decimal import Decimal
from functools import partial
from itertools import groupby

from openpyxl import Workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import (
    Alignment,
    Border,
    Font,
    NamedStyle,
    PatternFill,
    Protection,
    Side,
)
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ..io.sheet_api import as_sheet, set_style, styled_like
from ..io.values import stays_text
from ..io.xlsx import SharedChild
from .layout import Layout, RowFormula, find_layout, quote_sheet, resolve
from .spec import NUMBER_FORMATS, Role, SheetSpec, Type, WorkbookSpec, split_missing

FONT = "微软雅黑"
TITLE_ROW, HEADER_ROW = 1, 2
META_SHEET, HELP_SHEET, PROBLEM_SHEET = "_meta", "说明", "问题"
VALIDATION_ROWS = 5000          # dropdowns / checks cover this many rows below the header
INPUT_HEADER_FILL = "BDD7EE"
DERIVED_HEADER_FILL = "D9D9D9"
DERIVED_FILL = "F2F2F2"
THIN = Side(style="thin", color="BFBFBF")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


_WIDE = frozenset(("W", "F")).__contains__


def text_width(text: str) -> int:
    """Display width: CJK and full-width characters count 2 (counted in C: the 问题 sheet
    measures every one of tens of thousands of messages)."""
    text = str(text)
    return len(text) + sum(map(_WIDE, map(unicodedata.east_asian_width, text)))


def style_name(role: Role, type_: Type, wrap: bool = False) -> str:
    return f"kefu-{'in' if role is Role.INPUT else 'out'}-{type_.value}" + ("-wrap" if wrap else "")


def column_style(column) -> str:
    return style_name(column.role, column.type, column.wrap)


PROBLEM_STYLE = "kefu-problem"


def header_style(role: Role) -> str:
    """The named style of a column's header cell (bold, centred, blue for typed columns)."""
    return "kefu-head-in" if role is Role.INPUT else "kefu-head-out"


def register_styles(wb) -> None:
    existing = set(wb.style_names)
    if PROBLEM_STYLE not in existing:
        wb.add_named_style(NamedStyle(name=PROBLEM_STYLE, font=Font(name=FONT, size=10), border=BORDER,
                                      alignment=Alignment(vertical="top", wrap_text=True)))
    for role, fill in ((Role.INPUT, INPUT_HEADER_FILL), (Role.DERIVED, DERIVED_HEADER_FILL)):
        if header_style(role) not in existing:
            wb.add_named_style(NamedStyle(
                name=header_style(role), font=Font(name=FONT, size=10, bold=True),
                fill=PatternFill("solid", fgColor=fill), border=BORDER,
                alignment=Alignment(horizontal="center", vertical="center", wrap_text=True),
                protection=Protection(locked=True)))
    for role in (Role.INPUT, Role.DERIVED):
        for type_, wrap in [(t, False) for t in Type] + [(Type.TEXT, True)]:
            name = style_name(role, type_, wrap)
            if name in existing:
                continue
            wb.add_named_style(NamedStyle(
                name=name,
                font=Font(name=FONT, size=10),
                fill=PatternFill("solid", fgColor=DERIVED_FILL) if role is not Role.INPUT else PatternFill(),
                border=BORDER,
                number_format=NUMBER_FORMATS[type_],
                alignment=Alignment(vertical="top" if wrap else "center", wrap_text=wrap or None,
                                    horizontal="left" if type_ in (Type.TEXT, Type.ID) else "right"),
                protection=Protection(locked=role is not Role.INPUT),
            ))


def column_width(column) -> int:
    if column.width:
        return column.width
    base = {Type.DATE: 11, Type.DATETIME: 16, Type.MONEY: 11, Type.RATIO: 8, Type.INT: 6, Type.NUMBER: 8,
            Type.DAYS: 8, Type.ID: 20}.get(column.type, 10)
    return max(base, text_width(column.header) + 3)


def freeze(ws, cell) -> None:
    """Freeze panes at `cell`, with one selection per pane: openpyxl adds two selections each
    time panes are frozen again, and a sheet view may hold at most four."""
    from openpyxl.worksheet.views import Selection
    ws.sheet_view.selection = [Selection()]
    ws.freeze_panes = cell


def set_cell(cell, value, style: str | None = None) -> None:
    """Write a value; text that looks like a formula stays text."""
    cell.value = value
    if stays_text(value):
        cell.data_type = "s"
    if style:
        set_style(cell, style)


class Formula(str):
    """A string that is meant to be a formula (not text from an input file)."""
    is_formula = True


def write_title(ws, spec: SheetSpec, title: str, anchor_values: dict) -> None:
    ncols = len(spec.columns)
    anchor_cols = 2 * len(spec.anchors)
    last_title_col = max(1, ncols - anchor_cols)
    ws.cell(TITLE_ROW, 1, title).font = Font(name=FONT, size=14, bold=True)
    ws.cell(TITLE_ROW, 1).alignment = Alignment(horizontal="center", vertical="center")
    if last_title_col > 1:
        ws.merge_cells(start_row=TITLE_ROW, start_column=1, end_row=TITLE_ROW, end_column=last_title_col)
    col = last_title_col + 1
    for anchor in spec.anchors:
        label = ws.cell(TITLE_ROW, col, anchor.label)
        label.font = Font(name=FONT, size=10, bold=True)
        label.alignment = Alignment(horizontal="right", vertical="center")
        value = ws.cell(TITLE_ROW, col + 1)
        set_cell(value, anchor_values.get(anchor.label), style_name(Role.INPUT, anchor.type))
        col += 2
    ws.row_dimensions[TITLE_ROW].height = 28


def write_header(ws, spec: SheetSpec) -> None:
    for c, column in enumerate(spec.columns, 1):
        cell = ws.cell(HEADER_ROW, c, column.header)
        cell.font = Font(name=FONT, size=10, bold=True)
        fill = INPUT_HEADER_FILL if column.role is Role.INPUT else DERIVED_HEADER_FILL
        cell.fill = PatternFill("solid", fgColor=fill)
        cell.border = BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.protection = Protection(locked=True)
        ws.column_dimensions[get_column_letter(c)].width = column_width(column)
        ws.column_dimensions[get_column_letter(c)].hidden = column.hidden
    ws.row_dimensions[HEADER_ROW].height = 22


def add_missing_columns(ws, spec: SheetSpec) -> list[str]:
    """A workbook made by an earlier version lacks columns a later one declares (工作记录's
    客户名称, a hidden helper a formula reads, a new typed column): add the headers of those
    whose policy is ADDED (spec.split_missing) after the last used column, styled like the
    others; nothing a person typed moves. Returns the headers added."""
    layout, missing = find_layout(ws, spec)
    if layout is None or not missing:
        return []
    added, _ = split_missing(spec, missing)
    if not added:
        return []
    col = max(layout.columns.values())
    while ws.cell(layout.header_row, col + 1).value not in (None, ""):
        col += 1
    for offset, column in enumerate(added, 1):
        cell = ws.cell(layout.header_row, col + offset)
        cell.value = column.header
        set_style(cell, header_style(column.role))
        ws.column_dimensions[get_column_letter(col + offset)].width = column_width(column)
        ws.column_dimensions[get_column_letter(col + offset)].hidden = column.hidden
    return [c.header for c in added]


def write_rows(ws, layout: Layout, spec: SheetSpec, rows: list[dict], first_row: int,
               roles=(Role.INPUT, Role.COMPUTED)) -> None:
    """Write values of the given roles for `rows` starting at `first_row` (formulas are separate)."""
    columns = [(col, column.header, column_style(column)) for column in spec.columns
               if column.role in roles and (col := layout.columns.get(column.header)) is not None]
    in_bulk = getattr(ws, "set_cells", None)           # (a patched sheet: no PatchCell per cell)
    for offset, values in enumerate(rows):
        r = first_row + offset
        if in_bulk is not None:
            in_bulk(r, [(col, values.get(header), style) for col, header, style in columns])
            continue
        for col, header, style in columns:               # (a column an older file lacks gains it at its recalc)
            set_cell(ws.cell(r, col), values.get(header), style)


def write_formulas(ws, layout: Layout, spec: SheetSpec, layouts: dict[str, Layout],
                   first_row: int, last_row: int, share: bool = True) -> int:
    """Make every derived cell of rows first..last hold its formula; return how many were
    overwritten by a person (a value or nothing where the formula belongs) and put back.

    A patched sheet (io.xlsx) takes each changed formula through its `put_formula`: the
    cell's look stays the file's own, an unchanged formula is not touched at all, new rows of
    a column become one shared formula (unless `share` is off: a sheet rebuilt every time),
    and a shared group of the file whose master is the template's holds for all its cells
    (`shared_holds`) without spelling each one out; a formula already right is named to the
    sheet (`hold_formula`), which joins it to its column's group if the sheet is written anyway."""
    ws = as_sheet(ws)
    restored = 0
    for column in (c for c in spec.columns if c.role is Role.DERIVED):
        col = layout.columns[column.header]
        style = style_name(Role.DERIVED, column.type)
        template = RowFormula(column.formula, layouts, spec.name)
        run = column.formula if share else None
        have = ws.column(col, first_row, last_row)
        proven: dict[int, bool] = {}           # shared group -> whether its master proves it
        bulk = getattr(ws, "put_formula_run", None) if share else None
        start = None                           # the first of a run of empty cells (new records' rows)
        r = first_row
        for _, same in groupby(have, key=id):  # runs of one object: a shared group's cells, empty cells
            cells = list(same)
            current = cells[0]
            if bulk is not None:
                if current is None:
                    start = r if start is None else start
                    r += len(cells)
                    continue
                if start is not None:
                    bulk(col, start, r - 1, template.for_row, style, run)
                    start = None
            if type(current) is SharedChild:
                holds = proven.get(current.si)
                if holds is None:
                    holds = proven[current.si] = ws.shared_holds(current.si, col, template.for_row)
                if holds:
                    r += len(cells)
                    continue
            for current in cells:
                formula = template.for_row(r)
                if current == formula:
                    ws.keep_formula(r, col, run, style)
                else:
                    ws.put_formula(r, col, formula, style, run)
                    # a value typed over the formula; an emptied cell is refilled silently
                    if current is not None and not (isinstance(current, str) and current.startswith("=")):
                        restored += 1
                r += 1
        if start is not None:
            bulk(col, start, last_row, template.for_row, style, run)
    return restored


def print_one_page_wide(ws, title_rows: str | None = None) -> None:
    """A4 landscape, as many pages down as it takes but one page wide, centred, the header
    row (`title_rows`, "2:2") repeated on every page: a printout of every column, readable."""
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    if title_rows:
        ws.print_title_rows = title_rows
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4


def print_through(ws, layout: Layout, last_row: int) -> None:
    """Print the title, header and rows down to `last_row`, from column A to the last declared
    column (or a person's own column with a header right of it) — not the empty formula rows
    kept below the data for typing, which would print as pages of empty bordered cells."""
    last_col = max(layout.columns.values())
    while ws.cell(layout.header_row, last_col + 1).value not in (None, ""):
        last_col += 1
    ws.print_area = f"A1:{get_column_letter(last_col)}{max(last_row, layout.header_row)}"


def apply_sheet_features(ws, layout: Layout, spec: SheetSpec, layouts: dict[str, Layout],
                         last_row: int, data_last: int | None = None) -> None:
    """Freeze panes, filter, validation, conditional formats, protection, print set-up; the
    print area ends at `data_last` (the last row of data; `last_row` includes the formula
    rows kept below it for typing)."""
    ws = as_sheet(ws)
    # a sheet with formula rows kept below its data prints down to the data only (a sheet
    # without them prints what it holds; LibreOffice prints a hidden sheet that has a print area)
    if spec.buffer_rows and not spec.hidden:
        print_through(ws, layout, last_row if data_last is None else data_last)
    if ws.keeps_features:                # a sheet that has them: only the ranges grow with the rows
        last_col = max(layout.columns.values())
        ws.extend_features(layout.first_data_row, max(last_row, layout.first_data_row + VALIDATION_ROWS),
                           f"A{layout.header_row}:{get_column_letter(last_col)}{max(last_row, layout.first_data_row)}",
                           frozenset(layout.letter(h) for h in spec.headers if h in layout.columns),
                           layout.first_data_row + VALIDATION_ROWS)
        return
    key_col = layout.columns[spec.key]
    freeze(ws, ws.cell(layout.first_data_row, key_col + 1))
    last_col = max(layout.columns.values())
    ws.auto_filter.ref = f"A{layout.header_row}:{get_column_letter(last_col)}{max(last_row, layout.first_data_row)}"
    print_one_page_wide(ws, f"{layout.header_row}:{layout.header_row}")

    ws.data_validations.dataValidation = []
    validation_end = max(last_row, layout.first_data_row + VALIDATION_ROWS)
    for column in spec.columns:
        if column.role is not Role.INPUT:
            continue
        letter = layout.letter(column.header)
        cells = f"{letter}{layout.first_data_row}:{letter}{validation_end}"
        dv = None
        if column.dropdown_source:
            src_sheet, src_header = column.dropdown_source.split("!")
            src = layouts[src_sheet]
            src_col = src.letter(src_header)
            dv = DataValidation(type="list", allow_blank=True,
                                formula1=f"{quote_sheet(src_sheet)}!${src_col}${src.first_data_row}:"
                                         f"${src_col}${src.first_data_row + VALIDATION_ROWS * 10}",
                                error=f"请从下拉列表中选择「{src_sheet}」表中已有的{src_header}")
            if column.type is Type.ID:       # an ID from elsewhere (a colleague's account) may be right:
                dv.error = (f"这个{column.header}不在「{src_sheet}」表中。代班同事的帐户请点「是」继续；"
                            f"否则请点「否」从下拉列表中选择。")
        elif column.dropdown:
            dv = DataValidation(type="list", formula1='"' + ",".join(column.dropdown) + '"', allow_blank=True,
                                error=f"请从下拉列表中选择：{'、'.join(column.dropdown)}",
                                prompt=column.help[:250] or None)
        elif column.type is Type.DATE:
            dv = DataValidation(type="date", operator="between", formula1="DATE(2000,1,1)",
                                formula2="DATE(2099,12,31)", allow_blank=True,
                                error="请输入日期，例如 2026-11-03")
        elif column.type is Type.DATETIME:
            # a date-time is a serial with a fraction: Excel's "date" check would refuse the time
            dv = DataValidation(type="decimal", operator="between", formula1="36526", formula2="73051",
                                allow_blank=True, error="请输入日期和时间，例如 2026-11-03 10:15")
        elif column.type in (Type.MONEY, Type.NUMBER, Type.INT):
            dv = DataValidation(type="whole" if column.type is Type.INT else "decimal",
                                operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                                error="请输入不小于 0 的数字")
        if dv:
            dv.errorTitle = f"「{column.header}」输入有误"
            dv.errorStyle = "warning" if column.dropdown_source and column.type is Type.ID else "stop"
            dv.showErrorMessage = True
            dv.showInputMessage = bool(dv.prompt)
            dv.add(cells)
            ws.add_data_validation(dv)
        # blank input cells below the data stay unlocked for typing (and IDs typed there stay text:
        # Excel keeps only 15 digits of a number, a 16-digit 帐户ID would lose its last one)
        ws.column_dimensions[letter].protection = Protection(locked=False)
        if column.type is Type.ID:
            ws.column_dimensions[letter].number_format = "@"

    ws.conditional_formatting = type(ws.conditional_formatting)()
    for hl in spec.highlights:
        cols = hl.columns or tuple(spec.headers)
        formula = resolve(hl.formula, layouts, spec.name, layout.first_data_row)[1:]
        fill = PatternFill("solid", fgColor=hl.fill, bgColor=hl.fill)
        for header in cols:
            letter = layout.letter(header)
            ws.conditional_formatting.add(f"{letter}{layout.first_data_row}:{letter}{validation_end}",
                                          FormulaRule(formula=[formula], fill=fill))

    if spec.hidden:
        ws.sheet_state = "hidden"
    if spec.protect:
        p = ws.protection
        p.sheet = True
        # allow everything that does not touch locked cells' content
        for attr in ("formatCells", "formatColumns", "formatRows", "insertRows", "insertColumns",
                     "sort", "autoFilter", "deleteRows"):
            setattr(p, attr, False)


def build_sheet(ws, spec: SheetSpec, title: str, rows: list[dict], anchor_values: dict,
                layouts: dict[str, Layout]) -> Layout:
    """Lay out a sheet (title, header, rows); formulas come after every sheet's layout is known."""
    ws.title = spec.name
    write_title(ws, spec, title, anchor_values)
    write_header(ws, spec)
    layout, missing = find_layout(ws, spec)
    assert layout is not None and not missing, missing
    write_rows(ws, layout, spec, rows, layout.first_data_row)
    layouts[spec.name] = layout
    return layout


def data_last_row(layout: Layout, n_rows: int) -> int:
    return layout.first_data_row + n_rows - 1


def build_workbook(spec: WorkbookSpec, titles: dict[str, str], data: dict[str, list[dict]],
                   anchors: dict[str, dict], meta: dict[str, object]) -> tuple[Workbook, dict[str, Layout]]:
    wb = Workbook()
    register_styles(wb)
    wb.remove(wb.active)
    layouts: dict[str, Layout] = {}
    for sheet in spec.sheets:
        build_sheet(wb.create_sheet(sheet.name), sheet, titles[sheet.name], data.get(sheet.name, []),
                    anchors.get(sheet.name, {}), layouts)
    for sheet in spec.sheets:
        ws, layout = wb[sheet.name], layouts[sheet.name]
        n = len(data.get(sheet.name, []))
        last = data_last_row(layout, n) + sheet.buffer_rows
        write_formulas(ws, layout, sheet, layouts, layout.first_data_row, last)
        apply_sheet_features(ws, layout, sheet, layouts, last, data_last_row(layout, n))
    write_help_sheet(wb, spec)
    write_meta(wb, spec, meta)
    wb.calculation.fullCalcOnLoad = True
    return wb, layouts


def write_help_sheet(wb, spec: WorkbookSpec) -> None:
    if HELP_SHEET in wb.sheetnames:
        del wb[HELP_SHEET]
    ws = wb.create_sheet(HELP_SHEET)
    ws.cell(1, 1, f"{spec.title} · 填写说明").font = Font(name=FONT, size=14, bold=True)
    ws.merge_cells("A1:D1")
    r, looks = 2, {}

    def note(cell):
        cell.font = Font(name=FONT, size=10)
        cell.alignment = Alignment(wrap_text=True, vertical="top")

    def entry(cell, derived: bool):
        note(cell)
        cell.border = BORDER
        if derived:
            cell.fill = PatternFill("solid", fgColor=DERIVED_FILL)

    for line in spec.notes:
        cell = ws.cell(r, 1, line)
        styled_like(cell, looks, "note", note)
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=4)
        # a merged cell's height is never fitted to its text (Excel, LibreOffice): set it
        ws.row_dimensions[r].height = wrapped_height(line, HELP_NOTE_WIDTH)
        r += 1
    r += 1
    for c, h in enumerate(("工作表", "列", "填写方式", "说明"), 1):
        cell = ws.cell(r, c, h)
        cell.font = Font(name=FONT, size=10, bold=True)
        cell.fill = PatternFill("solid", fgColor=DERIVED_HEADER_FILL)
        cell.border = BORDER
    header_row = r
    for sheet in spec.sheets:
        for column in sheet.columns:
            r += 1
            how = {Role.INPUT: "手工填写", Role.DERIVED: "自动公式（勿改）", Role.COMPUTED: "重算时填写"}[column.role]
            if column.dropdown:
                how += "（下拉：" + "/".join(column.dropdown) + "）"
            derived = column.role is not Role.INPUT
            for c, v in enumerate((sheet.name, column.header, how, column.help), 1):
                cell = ws.cell(r, c)
                set_cell(cell, v)
                styled_like(cell, looks, derived, partial(entry, derived=derived))
            _fit_help_row(ws, r, (sheet.name, column.header, how, column.help))
        for anchor in sheet.anchors:
            r += 1
            for c, v in enumerate((sheet.name, anchor.label, "重算时填写（可手改）", anchor.help), 1):
                cell = ws.cell(r, c, v)
                styled_like(cell, looks, False, partial(entry, derived=False))
            _fit_help_row(ws, r, (sheet.name, anchor.label, "重算时填写（可手改）", anchor.help))
    for letter, width in zip("ABCD", HELP_WIDTHS):
        ws.column_dimensions[letter].width = width
    freeze(ws, ws.cell(header_row + 1, 1))
    ws.sheet_properties.tabColor = "A6A6A6"
    print_one_page_wide(ws, f"{header_row}:{header_row}")


def _fit_help_row(ws, r: int, values: tuple) -> None:
    height = max(wrapped_height(str(v or ""), w) for v, w in zip(values, HELP_WIDTHS))
    if height > LINE_HEIGHT + 3:                 # more than one line
        ws.row_dimensions[r].height = height


HELP_WIDTHS = (12, 16, 26, 80)
HELP_NOTE_WIDTH = sum(HELP_WIDTHS)          # a note spans A:D
LINE_HEIGHT = 14                            # points per line of 10-point 微软雅黑 (as settle_output)


def wrapped_height(text: str, width: int) -> float:
    """The height (points) of a row whose `text` wraps in a cell `width` characters wide.
    Set where it matters: LibreOffice keeps a row's stored height when it opens a file, and
    nobody fits a merged cell's height, so wrapped text would print cut off."""
    return LINE_HEIGHT * max(1, -(-text_width(text) // max(1, width - 4))) + 3


def write_meta(wb, spec: WorkbookSpec, meta: dict[str, object]) -> None:
    """Create _meta (kind, month, schema_version, generated_at) or update keys in it."""
    if META_SHEET in wb.sheetnames:
        ws = wb[META_SHEET]
        existing = {ws.cell(r, 1).value: r for r in range(1, ws.max_row + 1)}
        values = {**spec.meta, **meta}
    else:
        ws = wb.create_sheet(META_SHEET)
        existing = {}
        values = {"kind": spec.kind, "schema_version": spec.schema_version,
                  "generated_at": datetime.now().replace(microsecond=0).isoformat(sep=" "),
                  "generator": "kefu-xl", **spec.meta, **meta}
    for key, value in values.items():
        r = existing.get(key) or (ws.max_row + 1 if ws.max_row > 1 or ws.cell(1, 1).value else 1)
        ws.cell(r, 1, key)
        if key not in existing or ws.cell(r, 2).value != value:     # an unchanged row is not rewritten
            ws.cell(r, 2, value)
        existing[key] = r
    ws.sheet_state = "hidden"


def read_meta(wb) -> dict[str, object]:
    if META_SHEET not in wb.sheetnames:
        return {}
    ws = wb[META_SHEET]
    return {str(k): v for k, v in ws.iter_rows(min_row=1, max_col=2, values_only=True) if k is not None}


def total_values(rows, totals: dict) -> dict:
    """Python's values of the 合计 row write_total_row puts under `rows` ({header: value}
    each, as python_values gives them): the same "sum", "ratio" and literals."""
    rows = list(rows)
    out = {h: sum((r.get(h) or 0 for r in rows), 0) for h, how in totals.items() if how == "sum"}
    for h, how in totals.items():
        if isinstance(how, tuple) and how[0] == "ratio":
            num, den = out[how[1]], out[how[2]]
            out[h] = Decimal(num) / Decimal(den) if den else None
        elif how != "sum":
            out[h] = how or None
    return out


def write_total_row(ws, layout: Layout, spec: SheetSpec, n_rows: int, totals: dict, label: str = "合计") -> int:
    """A bold 合计 row under `n_rows` data rows. `totals` maps header to "sum", to
    ("ratio", numerator header, denominator header), or to a literal; others stay blank."""
    first = layout.first_data_row
    r = first + n_rows
    last = max(r - 1, first)

    def ref(header):
        return f"{layout.letter(header)}{r}"

    for column in spec.columns:
        how = totals.get(column.header, "")
        if column.header == spec.key:
            value = label
        elif how == "sum":
            value = Formula(f"=SUM({layout.letter(column.header)}{first}:{layout.letter(column.header)}{last})") \
                if n_rows else 0
        elif isinstance(how, tuple) and how[0] == "ratio":
            value = Formula(f'=IF(N({ref(how[2])})=0,"",{ref(how[1])}/{ref(how[2])})')
        else:
            value = how or None
        cell = ws.cell(r, layout.columns[column.header])
        set_cell(cell, value, style_name(Role.DERIVED, column.type))
        cell.font = Font(name=FONT, size=10, bold=True)
    return r
