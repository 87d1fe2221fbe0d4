"""A workbook opened for recalc without loading it through openpyxl (issue 17).

`PatchBook(path)` reads each sheet's values with python-calamine and its formulas with one
scan of the sheet XML, and offers the few Worksheet/Cell operations the declaration engine
uses (cell values and named styles, delete_rows, iter_rows, a bold font or a fill on a
cell, auto-filter and tab colour). `save(target)` writes the file back with only what
recalc changed: a row nobody touched is copied byte for byte, a cell nobody touched
inside a changed row too, and every part of the zip other than the changed sheets (and
styles.xml when a style had to be added) is the original part. Formula cells get Python's
value as their cached value (`set_cached`), so a previewer or pandas shows right figures.

Anything the patcher does not handle (a sheet to create or delete, namespaced XML, a shared
formula it would break, row heights…) raises `Unsupported`; the caller then takes the
openpyxl path, which handles every workbook.
"""
from __future__ import annotations

import re
import zipfile
from bisect import bisect_right
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, time
from decimal import Decimal
from functools import cached_property
from html import unescape
from operator import itemgetter
from pathlib import Path

from lxml import etree
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles.numbers import BUILTIN_FORMATS_REVERSE
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.utils.datetime import to_excel

from ..sheets.grid import GridSheet
from . import xlsx_package as package
from . import xlsx_transplant as transplant
from .xlsx_package import MAIN, sheet_parts

_N = f"{{{MAIN}}}"
_REF = re.compile(rb'\br="([A-Z]+)(\d+)"')
_ROW_R = re.compile(rb'\br="(\d+)"')
_ROW_START = re.compile(rb"<row\b")
_ROW_OPEN = re.compile(rb'<row\b[^>]*?\br="(\d+)"[^>]*>')
_STYLE = re.compile(rb'\bs="(\d+)"')
# formula cells that spell their formula out (a shared group's other cells are found by _find_children)
_FORMULA_CELL = re.compile(rb'<c\b[^>]*?\br="([A-Z]+)(\d+)"[^>]*>\s*<f\b([^>]*)>([^<]*)</f>')
# the same for cells whose address is their first attribute and whose <f> follows at once — what
# Excel, LibreOffice, openpyxl and kefu-xl write; twice as fast (the general one when it misses one)
_FORMULA_CELL_PLAIN = re.compile(rb'<c r="([A-Z]+)(\d+)"[^>]*><f([^>]*)>([^<]*)</f>')
_CHILD_CELL = re.compile(rb'<c\b[^>]*?\br="([A-Z]+)(\d+)"[^>]*>\s*<f\b([^>]*?)/>')
_SI = re.compile(rb'\bsi="(\d+)"')
_F_SI = re.compile(rb'<f\b[^>]*?\bsi="(\d+)"')
_REF_ATTR = re.compile(rb'\bref="\$?([A-Z]+)\$?(\d+)(?::\$?([A-Z]+)\$?(\d+))?"')
_F_ELEMENT = re.compile(rb"<f\b[^>]*?(?:/>|>[^<]*</f>)")
_CELL_COL = re.compile(rb'(<c\b[^>]*?\br="([A-Z]+)\d+"[^>]*?(?:/>|>.*?</c>))', re.S)
_SEP = "\ue000"
_HUGE = etree.XMLParser(huge_tree=True)
_UNCHANGED = object()
_KEEP = object()


class _Block:
    """The cells of a shared group's ref range other than its master (top left), as (row,
    column) pairs when iterated: a group of 100,000 rows is not kept as 100,000 tuples."""
    __slots__ = ("r1", "r2", "c1", "c2")

    def __init__(self, r1: int, r2: int, c1: int, c2: int):
        self.r1, self.r2, self.c1, self.c2 = r1, r2, c1, c2

    def __iter__(self):
        for c in range(self.c1, self.c2 + 1):
            for r in range(self.r1 + (c == self.c1), self.r2 + 1):
                yield r, c


class SharedChild(str):
    """A cell of a shared formula group other than its master (`<f t="shared" si="n"/>`: the
    formula is the master's, moved to this row). It reads as "=" — a formula whose text the
    file does not spell out; `PatchSheet.shared_holds` tells whether the group is a template's."""
    __slots__ = ("si",)

    def __new__(cls, si: int):
        child = super().__new__(cls, "=")
        child.si = si
        return child


class Unsupported(Exception):
    """The workbook needs the full openpyxl path for this recalc (the message says why)."""


def _canon(el) -> str:
    """A namespace-free text of a style element, to find an equal one."""
    tag = etree.QName(el).localname
    attrs = "".join(f' {k}="{v}"' for k, v in sorted(el.attrib.items()))
    return f"<{tag}{attrs}>" + "".join(_canon(c) for c in el) + f"</{tag}>"


def _xf_key(xf, exact: bool) -> tuple:
    core = tuple(xf.get(k, "0") for k in ("xfId", "numFmtId", "fontId", "fillId", "borderId"))
    return (core, "".join(_canon(c) for c in xf)) if exact else core


def _qualify(el):
    """An element built by openpyxl's to_tree (no namespace) in the main namespace."""
    for node in el.iter():
        if isinstance(node.tag, str) and not node.tag.startswith("{"):
            node.tag = _N + node.tag
    return el


class Styles:
    """xl/styles.xml: named style name <-> cell format index; formats and fonts are only
    ever appended (existing indices stay valid for every cell that uses them)."""

    def __init__(self, xml: bytes):
        self.xml = xml
        self.root = etree.fromstring(xml)
        self.dirty = False
        self.cell_xfs = self._list("cellXfs")
        self.style_xfs = self._list("cellStyleXfs")
        self.named = {s.get("name"): int(s.get("xfId")) for s in self.root.iter(f"{_N}cellStyle")}
        self._name_of = {v: k for k, v in self.named.items()}
        self._index_of: dict[tuple, int] = {}
        self._attributes: dict[str | None, str] = {}

    def _list(self, tag: str):
        el = self.root.find(f"{_N}{tag}")
        if el is None:
            raise Unsupported(f"styles.xml 没有 {tag}")
        return el

    @property
    def names(self) -> list[str]:
        return list(self.named)

    def name_of(self, index: int | None) -> str:
        xf = self.cell_xfs[index or 0]
        return self._name_of.get(int(xf.get("xfId", 0)), "Normal")

    def index_of(self, name: str, base: int | None = None, font=None, fill=None) -> int:
        """The cell format of named style `name` (or of cell format `base`), with a font
        and fill when given; appended when the file has none equal."""
        key = (name, base, font and repr(font), fill and repr(fill))
        if key in self._index_of:
            return self._index_of[key]
        if base is not None:
            model = self.cell_xfs[base]
        else:
            if name not in self.named:
                raise Unsupported(f"工作簿没有样式 {name}")
            xf_id = self.named[name]
            model = self.style_xfs[xf_id]
        xf = etree.fromstring(etree.tostring(model))
        if base is None:
            xf.set("xfId", str(self.named[name]))
            for part in ("Font", "Fill", "Border", "NumberFormat", "Alignment", "Protection"):
                xf.set(f"apply{part}", "1")
        if font is not None:
            xf.set("fontId", str(self._component("fonts", _qualify(font.to_tree()))))
            xf.set("applyFont", "1")
        if fill is not None:
            xf.set("fillId", str(self._component("fills", _qualify(fill.to_tree()))))
            xf.set("applyFill", "1")
        self._index_of[key] = index = self._find_or_append(self.cell_xfs, xf, exact=base is not None or font or fill)
        return index

    def _find_or_append(self, parent, el, exact) -> int:
        """The index of an entry equal to `el` (cell formats: same font, fill, border, number
        format, named style, alignment and protection), appended when there is none."""
        if etree.QName(el).localname == "xf":
            want = _xf_key(el, exact)
            found = next((i for i, existing in enumerate(parent) if _xf_key(existing, exact) == want), None)
        else:
            want = _canon(el)
            found = next((i for i, existing in enumerate(parent) if _canon(existing) == want), None)
        if found is not None:
            return found
        parent.append(el)
        parent.set("count", str(len(parent)))
        self.dirty = True
        return len(parent) - 1

    def _component(self, tag: str, el) -> int:
        return self._find_or_append(self._list(tag), el, exact=True)

    def attribute(self, name: str | None) -> str:
        """' s="N"' of named style `name` for a cell's XML ("" for none or the default)."""
        attr = self._attributes.get(name)
        if attr is None:
            index = self.index_of(name) if name else 0
            attr = self._attributes[name] = f' s="{index}"' if index else ""
        return attr

    def _num_fmt(self, code: str) -> int:
        if code in BUILTIN_FORMATS_REVERSE:
            return BUILTIN_FORMATS_REVERSE[code]
        fmts = self.root.find(f"{_N}numFmts")
        if fmts is None:
            fmts = etree.Element(f"{_N}numFmts")
            self.root.insert(0, fmts)
        for f in fmts:
            if f.get("formatCode") == code:
                return int(f.get("numFmtId"))
        new_id = max([163, *(int(f.get("numFmtId")) for f in fmts)]) + 1
        etree.SubElement(fmts, f"{_N}numFmt", numFmtId=str(new_id), formatCode=code)
        fmts.set("count", str(len(fmts)))
        self.dirty = True
        return new_id

    def add_named_style(self, style) -> None:
        """An openpyxl NamedStyle the file lacks (a workbook made by an earlier version)."""
        xf = etree.Element(f"{_N}xf", numFmtId=str(self._num_fmt(style.number_format)),
                           fontId=str(self._component("fonts", _qualify(style.font.to_tree()))),
                           fillId=str(self._component("fills", _qualify(style.fill.to_tree()))),
                           borderId=str(self._component("borders", _qualify(style.border.to_tree()))),
                           applyAlignment="1", applyProtection="1")
        for child in (style.alignment, style.protection):
            tree = child.to_tree()
            if tree is not None:
                xf.append(_qualify(tree))
        self.style_xfs.append(xf)
        self.style_xfs.set("count", str(len(self.style_xfs)))
        styles = self._list("cellStyles")
        etree.SubElement(styles, f"{_N}cellStyle", name=style.name, xfId=str(len(self.style_xfs) - 1))
        styles.set("count", str(len(styles)))
        self.named[style.name] = len(self.style_xfs) - 1
        self._name_of[len(self.style_xfs) - 1] = style.name
        self.dirty = True

    def to_bytes(self) -> bytes:
        if not self.dirty:
            return self.xml
        return etree.tostring(self.root, xml_declaration=True, encoding="UTF-8", standalone=True)


class _Write:
    # run: the formula's template when it was written for a whole column (write_formulas), so
    # new rows of one template become a shared formula group; f: that group's <f> element.
    # keep: only the cached value changes, the file's own <f> element stays.
    # held: a formula cell of the file already right (hold_formula), written only as part of a run.
    __slots__ = ("value", "style", "text", "font", "fill", "run", "f", "keep", "held")

    def __init__(self):
        self.value = _UNCHANGED
        self.style = None
        self.text = False
        self.font = self.fill = None
        self.run = self.f = None
        self.keep = self.held = False


class PatchCell:
    """The Cell attributes the declaration engine reads and sets."""
    __slots__ = ("sheet", "row", "column")

    _SETTABLE = frozenset(("value", "data_type", "style", "font", "fill"))

    def __init__(self, sheet: PatchSheet, row: int, column: int):
        set_ = object.__setattr__
        set_(self, "sheet", sheet)
        set_(self, "row", row)
        set_(self, "column", column)

    def __getattr__(self, name):
        raise Unsupported(f"单元格属性 {name}")

    def __setattr__(self, name, value):
        if name not in PatchCell._SETTABLE:
            raise Unsupported(f"单元格设置 {name}")
        object.__setattr__(self, name, value)

    @property
    def coordinate(self) -> str:
        return f"{get_column_letter(self.column)}{self.row}"

    @property
    def value(self):
        return self.sheet.value(self.row, self.column)

    @value.setter
    def value(self, value) -> None:
        current = self.sheet.value(self.row, self.column)
        if (self.row, self.column) not in self.sheet.writes and type(current) is type(value) and current == value \
                and not (isinstance(value, str) and value.startswith("=")):
            return                    # the same value: the cell stays as it is in the file
        w = self.sheet._write(self.row, self.column)
        w.value, w.run = value, None
        self.sheet._set_grid(self.row, self.column, value)

    @property
    def data_type(self) -> str:
        w = self.sheet.writes.get((self.row, self.column))
        return "s" if w is not None and w.text else "n"

    @data_type.setter
    def data_type(self, value: str) -> None:
        if value == "s":
            self.sheet._write(self.row, self.column).text = True

    @property
    def style(self) -> str:
        w = self.sheet.writes.get((self.row, self.column))
        if w is not None and w.style:
            return w.style
        return self.sheet.book.styles.name_of(self.sheet.original_style(self.row, self.column))

    @style.setter
    def style(self, name: str) -> None:
        if (self.row, self.column) not in self.sheet.writes and self.style == name:
            return
        self.sheet._write(self.row, self.column).style = name

    @property
    def font(self):
        raise Unsupported("读取单元格字体")

    @font.setter
    def font(self, font) -> None:
        self.sheet._write(self.row, self.column).font = font

    @property
    def fill(self):
        raise Unsupported("读取单元格填充")

    @fill.setter
    def fill(self, fill) -> None:
        self.sheet._write(self.row, self.column).fill = fill


class _AutoFilter:
    def __init__(self, sheet: PatchSheet):
        self._sheet = sheet

    def _in_file(self):
        m = re.search(rb'<autoFilter\b[^>]*\bref="([^"]*)"', self._sheet.tail)
        return m.group(1).decode() if m else None

    @property
    def ref(self):
        features = self._sheet.features
        return features["autoFilter"] if "autoFilter" in features else self._in_file()

    @ref.setter
    def ref(self, value) -> None:
        if value != self._in_file():
            self._sheet.features["autoFilter"] = value
        else:                              # set back to what the file has: nothing to write
            self._sheet.features.pop("autoFilter", None)


class _RowDimension:
    def __init__(self, sheet: PatchSheet, row: int):
        self._sheet, self._row = sheet, row

    @property
    def height(self):
        raise Unsupported("读取行高")

    @height.setter
    def height(self, value) -> None:
        self._sheet.heights[self._row] = value


class _RowDimensions:
    def __init__(self, sheet: PatchSheet):
        self._sheet = sheet

    def __getitem__(self, row: int) -> _RowDimension:
        return _RowDimension(self._sheet, row)


class _ColumnDimension:
    """Width and hidden of one column (add_missing_columns sets them on a column it adds)."""
    def __init__(self, sheet: PatchSheet, column: int):
        self._sheet, self._column = sheet, column

    def _set(self, what: str, value) -> None:
        self._sheet.features.setdefault("cols", {}).setdefault(self._column, {})[what] = value

    width = property(lambda self: None, lambda self, value: self._set("width", value))
    hidden = property(lambda self: None, lambda self, value: self._set("hidden", value))


class _ColumnDimensions:
    def __init__(self, sheet: PatchSheet):
        self._sheet = sheet

    def __getitem__(self, letter: str) -> _ColumnDimension:
        return _ColumnDimension(self._sheet, column_index_from_string(letter))


_COL = re.compile(rb"<col\b[^>]*?/>")
_COL_SPAN = re.compile(rb'\b(min|max)="(\d+)"')


def _with_columns(head: bytes, columns: dict[int, dict]) -> bytes:
    """A sheet's head with <col> entries giving `columns` ({column: {"width", "hidden"}}) their
    width and visibility; a range entry covering one of them is split around it."""
    m = re.search(rb"<cols>(.*?)</cols>", head, re.S)
    existing = _COL.findall(m.group(1)) if m else []
    spans = []
    for el in existing:
        bounds = dict((k, int(v)) for k, v in _COL_SPAN.findall(el))
        spans.append([bounds.get(b"min", 1), bounds.get(b"max", bounds.get(b"min", 1)), el])
    for c, attrs in sorted(columns.items()):
        split = []
        for lo, hi, el in spans:
            if lo <= c <= hi:
                if lo < c:
                    split.append([lo, c - 1, el])
                if c < hi:
                    split.append([c + 1, hi, el])
            else:
                split.append([lo, hi, el])
        own = b'<col min="%d" max="%d"' % (c, c)
        if attrs.get("width"):
            own += b' width="%s" customWidth="1"' % str(attrs["width"]).encode()
        if attrs.get("hidden"):
            own += b' hidden="1"'
        split.append([c, c, own + b"/>"])
        spans = split
    spans.sort(key=lambda s: s[0])
    cols = b"".join(_COL_SPAN.sub(lambda mm, lo=lo, hi=hi: b'%s="%d"' % (mm.group(1), lo if mm.group(1) == b"min" else hi),
                                  el) for lo, hi, el in spans)
    if m:
        return head[:m.start()] + b"<cols>" + cols + b"</cols>" + head[m.end():]
    at = head.find(b"<sheetFormatPr")
    at = head.find(b">", at) + 1 if at >= 0 else head.find(b"</sheetViews>") + len(b"</sheetViews>")
    return head[:at] + b"<cols>" + cols + b"</cols>" + head[at:]


class _SheetProperties:
    def __init__(self, sheet: PatchSheet):
        self._sheet = sheet

    @property
    def tabColor(self):
        raise Unsupported("读取标签颜色")

    @tabColor.setter
    def tabColor(self, rgb: str) -> None:
        self._sheet.features["tabColor"] = rgb


# the elements that follow autoFilter in a worksheet (CT_Worksheet order)
_AFTER_AUTOFILTER = (b"<sortState", b"<dataConsolidate", b"<customSheetViews", b"<mergeCells", b"<phoneticPr",
                     b"<conditionalFormatting", b"<dataValidations", b"<hyperlinks", b"<printOptions",
                     b"<pageMargins", b"<pageSetup", b"<headerFooter", b"<rowBreaks", b"<colBreaks",
                     b"<customProperties", b"<cellWatches", b"<ignoredErrors", b"<smartTags", b"<drawing",
                     b"<legacyDrawing", b"<picture", b"<oleObjects", b"<controls", b"<webPublishItems",
                     b"<tableParts", b"<extLst")


class PatchSheet(GridSheet):
    """One sheet: values as a grid (formulas as "=…" text, as openpyxl shows them) and the
    cells written since it was read."""

    def __init__(self, book: PatchBook, name: str, part: str, xml: bytes, grid: list[list]):
        m = re.search(rb"<sheetData\s*/>|<sheetData>", xml)
        if m is None:
            raise Unsupported(f"「{name}」的 XML 用了命名空间前缀")
        end = xml.find(b"</sheetData>", m.end()) if not m.group(0).endswith(b"/>") else m.end()
        self.head = xml[:m.start()]
        self.body = xml[m.end():end] if not m.group(0).endswith(b"/>") else b""
        self.tail = xml[end + len(b"</sheetData>"):] if not m.group(0).endswith(b"/>") else xml[m.end():]
        self.book, self.part, self.xml = book, part, xml
        body = self.body
        at = body.rfind(b"<row")
        last_tag = _ROW_R.search(body, at, body.find(b">", at)) if at >= 0 else None
        if at >= 0 and last_tag is None:
            raise Unsupported(f"「{name}」有不带行号的行")
        last = int(last_tag.group(1)) if last_tag else 0      # rows are in ascending order (OOXML)
        self.last_in_file = last
        while len(grid) < last:
            grid.append([])
        spelled = body.count(b"</f>")
        found = _formulas_by_end(body) if spelled * 1000 < len(body) else _FORMULA_CELL_PLAIN.findall(body)
        if len(found) != spelled:
            found = _FORMULA_CELL.findall(body)
        stored = [list(row) for row in grid] if found else []      # the values the file stores
        known, col = _COLUMNS, _col
        number_before, row = None, None
        self.masters: dict[int, tuple[int, int, str]] = {}      # si -> (row, column, text) of the file's
        self.children: dict[int, list | _Block] = {}              # shared groups; si -> cells besides the master
        refs: dict[int, re.Match | None] = {}
        for (letters, number, attrs, _), text in zip(found, _formula_texts([t for *_, t in found])):
            if number != number_before:          # a row's formula cells come one after another
                number_before, r = number, int(number)
                if r > len(grid):        # a writer that did not keep its rows in order
                    grid.extend([] for _ in range(r - len(grid)))
                row = grid[r - 1]
            c = known.get(letters) or col(letters)
            n = len(row)
            if c > n:
                row.extend([None] * (c - n))
            if attrs and b't="shared"' in attrs:
                m = _SI.search(attrs)
                if m is None:
                    raise Unsupported(f"「{name}」有不带编号的共享公式")
                si = int(m.group(1))
                self.masters[si] = (r, c, text)
                refs[si] = _REF_ATTR.search(attrs)
            row[c - 1] = text
        if b't="shared"' in body:
            self._find_children(name, body, grid, refs)
        super().__init__(name, grid)
        self.origin: list[int | None] = list(range(1, len(grid) + 1))
        self.writes: dict[tuple[int, int], _Write] = {}
        self.cached: dict[tuple[int, int], object] = {}
        self.stored = stored               # each formula cell's value as the file stores it
        self.features: dict[str, object] = {}
        self._cells: dict[int, dict[int, bytes]] = {}
        self.auto_filter = _AutoFilter(self)
        self.heights: dict[int, float] = {}          # row heights set since the sheet was read
        self.row_dimensions = _RowDimensions(self)
        self.sheet_properties = _SheetProperties(self)
        self.column_dimensions = _ColumnDimensions(self)
        self._holds: dict[tuple[int, int], bool] = {}
        self.held: dict[tuple[int, int], str] = {}     # formula cells already right -> their template
        self._last_columns: dict[int, int | None] = {}  # a file row's start -> its last cell's column

    def _find_children(self, name: str, body: bytes, grid: list[list], refs: dict) -> None:
        """Mark the other cells of each shared group in the grid (SharedChild). When every cell
        of a master's ref range belongs to its group — what kefu-xl and Excel write — the
        range is filled without looking at the cells; otherwise each child is found in the XML."""
        counts = {int(si): n for si, n in Counter(_F_SI.findall(body)).items()}
        ranges = {}
        for si, n in counts.items():
            ref = refs.get(si)
            if ref is None:
                ranges = None
                break
            c1, r1 = _col(ref.group(1)), int(ref.group(2))
            c2, r2 = (_col(ref.group(3)), int(ref.group(4))) if ref.group(3) else (c1, r1)
            if (r2 - r1 + 1) * (c2 - c1 + 1) != n or (r1, c1) != self.masters[si][:2]:
                ranges = None
                break
            ranges[si] = (r1, r2, c1, c2)
        put = self._put
        if ranges is not None:
            for si, (r1, r2, c1, c2) in ranges.items():
                child = SharedChild(si)
                for c in range(c1, c2 + 1):
                    for row in grid[r1 - 1 + (c == c1):r2]:       # (the master's cell is its own)
                        if len(row) < c:
                            row.extend([None] * (c - len(row)))
                        row[c - 1] = child
                self.children[si] = _Block(r1, r2, c1, c2)
            return
        for letters, number, attrs in _CHILD_CELL.findall(body):
            m = _SI.search(attrs)
            if m is None or b't="shared"' not in attrs:
                continue
            si, r, c = int(m.group(1)), int(number), _col(letters)
            put(grid, r, c, SharedChild(si))
            self.children.setdefault(si, []).append((r, c))

    @cached_property
    def spans(self) -> dict[int, tuple[int, int, int, int]]:
        """row -> (start, end, inner start, inner end) of its XML in the body (found when
        first needed: a sheet recalc reads but does not change is never scanned for them)."""
        body, spans = self.body, {}
        find = body.find
        for m in _ROW_OPEN.finditer(body):
            start, open_end = m.span()
            if body[open_end - 2:open_end - 1] == b"/":
                spans[int(m.group(1))] = (start, open_end, open_end, open_end)
            else:
                close = find(b"</row>", open_end)
                spans[int(m.group(1))] = (start, close + 6, open_end, close)
        if len(spans) != len(_ROW_START.findall(body)):
            raise Unsupported(f"「{self.title}」有不带行号的行")
        return spans

    _OWN = frozenset(("title", "grid", "merged", "head", "body", "tail", "book", "part", "xml", "last_in_file", "origin",
                      "masters", "children", "_holds", "held", "_last_columns",
                      "writes", "cached", "stored", "features", "heights", "row_dimensions", "_cells", "auto_filter", "sheet_properties",
                      "column_dimensions"))

    def __getattr__(self, name):
        raise Unsupported(f"工作表操作 {name}")

    def __setattr__(self, name, value):
        if name == "sheet_state":
            if value != self.book.sheet_state(self.title):
                raise Unsupported("改变工作表的显示状态")
            return
        if name == "print_area":            # a defined name in workbook.xml: PatchBook writes it
            self.features["printArea"] = value
            return
        if name not in self._OWN:
            raise Unsupported(f"工作表设置 {name}")
        object.__setattr__(self, name, value)

    @staticmethod
    def _put(grid, r: int, c: int, value) -> None:
        while len(grid) < r:
            grid.append([])
        row = grid[r - 1]
        if len(row) < c:
            row.extend([None] * (c - len(row)))
        row[c - 1] = value

    def _set_grid(self, r: int, c: int, value) -> None:
        self._put(self.grid, r, c, value)
        while len(self.origin) < len(self.grid):
            self.origin.append(None)

    def _write(self, r: int, c: int) -> _Write:
        w = self.writes.get((r, c))
        if w is None:
            w = self.writes[(r, c)] = _Write()
            if r > len(self.grid):
                self._set_grid(r, c, self.value(r, c))
        return w

    def put_row(self, r: int, values: tuple, style: str, texts: tuple) -> None:
        """What `set_cell(ws.cell(r, c), value, style)` does for cells 1, 2, … of row r, written
        anew (the 问题 rows: thousands when many records are wrong) without a PatchCell or a look
        at the file's own style; texts[i]: value i looks like a formula and stays text."""
        self._set_grid(r, len(values), values[-1])         # the row, long enough
        row, writes = self.grid[r - 1], self.writes
        for c, value in enumerate(values, 1):
            row[c - 1] = value
            w = writes.get((r, c))
            if w is None:
                w = writes[(r, c)] = _Write()
            w.value, w.style, w.run, w.text = value, style, None, texts[c - 1]

    def put_cells(self, r: int, cells: list[tuple[int, object, str]]) -> None:
        """Cells (column, value, named style) of row r written anew (settle's register lines:
        hundreds of thousands a month) without a PatchCell each; text that looks like a
        formula stays text."""
        self._set_grid(r, max(c for c, _, _ in cells), None)
        row, writes = self.grid[r - 1], self.writes
        for c, value, style in cells:
            row[c - 1] = value
            w = writes.get((r, c))
            if w is None:
                w = writes[(r, c)] = _Write()
            w.value, w.style, w.run = value, style, None
            w.text = isinstance(value, str) and value[:1] in ("=", "+", "-", "@")

    def _write_anew(self, r: int, c: int, value) -> _Write:
        """Cell (r, c)'s write, with `value` put in the grid (put_formula)."""
        w = self.writes.get((r, c))
        if w is None:
            w = self.writes[(r, c)] = _Write()
        grid = self.grid
        if r <= len(grid) and c <= len(grid[r - 1]):
            grid[r - 1][c - 1] = value
        else:
            self._set_grid(r, c, value)
        return w

    def put_formula(self, r: int, c: int, formula: str, style: str, run=None) -> None:
        """What `cell.value = formula; cell.style = style` does, without a PatchCell (recalc
        writes a formula into every new row of a sheet). `run` names the template the formula
        was made from (its declared text): new cells of consecutive rows from one template
        are written as one shared formula, as Excel writes a filled-down column."""
        w = self._write_anew(r, c, formula)
        w.value, w.style, w.run = formula, style, run

    def hold_formula(self, r: int, c: int, run: str) -> None:
        """Cell (r, c) of the file already holds its formula, made from template `run`. When the
        sheet is written anyway, runs of such cells are written again as one shared formula (as
        new cells are, `_share_runs`): a sheet built with every formula spelled out — a month's
        accounts, a template's first rows — is then read through its masters only."""
        self.held[(r, c)] = run

    def shared_holds(self, si: int, column: int, for_row) -> bool:
        """Whether every cell of the file's shared group `si` holds for_row(its row): the
        group is in `column` and its master's text is for_row(the master's row), as it is
        now (the master may have been rewritten or moved up; it is then written with the
        group's new range, `_regroup`). A row formula moves with its row exactly as a shared
        formula does (both shift the relative row references and nothing else), so the
        master proves every child."""
        held = self._holds.get((si, column))
        if held is None:
            at = self._master_at(si)
            held = at is not None and at[1] == column and self.value(*at) == for_row(at[0])
            self._holds[(si, column)] = held
        return held

    def _master_at(self, si: int) -> tuple[int, int] | None:
        """Where the master of the file's group `si` is now (rows above it may have been
        deleted); None when it was deleted itself. Its text is the grid's: a master written
        since it was read (write_formulas came to it first) holds the new one."""
        master = self.masters.get(si)
        if master is None:
            return None
        r, c, _ = master
        if r <= len(self.origin) and self.origin[r - 1] == r:
            return r, c
        return (self.origin.index(r) + 1, c) if r in self.origin else None

    def cell(self, row: int, column: int, value=None) -> PatchCell:
        c = PatchCell(self, row, column)
        if value is not None:
            c.value = value
        return c

    def iter_rows(self, min_row: int = 1, max_row: int | None = None, min_col: int = 1,
                  max_col: int | None = None, values_only: bool = True):
        if not values_only:
            raise Unsupported("按单元格遍历")
        for row in super().iter_rows(min_row, max_row, max_col, values_only=True):
            yield row[min_col - 1:] if min_col > 1 else row

    def delete_rows(self, idx: int, amount: int = 1) -> None:
        """Remove rows and move the ones below up, as openpyxl does (formulas are not rewritten)."""
        lo, hi = idx - 1, idx - 1 + amount
        del self.origin[lo:hi]
        del self.grid[lo:hi]
        moved = {}
        for (r, c), w in self.writes.items():
            if r < idx:
                moved[(r, c)] = w
            elif r >= idx + amount:
                moved[(r - amount, c)] = w
        self.writes = moved
        self.heights = {(r if r < idx else r - amount): h for r, h in self.heights.items()
                        if not idx <= r < idx + amount}
        self._holds = {}
        self.held = {}

    # --- what the file holds -------------------------------------------------------------

    def _row_cells(self, orig: int) -> dict[int, bytes]:
        cells = self._cells.get(orig)
        if cells is None:
            span = self.spans.get(orig)
            col = _col
            cells = {col(letters): xml for xml, letters in _CELL_COL.findall(self.body, span[2], span[3])} \
                if span else {}
            if span and len(cells) != self.body.count(b"<c", span[2], span[3]) - self.body.count(b"<col", span[2], span[3]):
                raise Unsupported(f"「{self.title}」有不带地址的单元格")
            self._cells[orig] = cells
        return cells

    def original_style(self, r: int, c: int) -> int | None:
        orig = self.origin[r - 1] if r <= len(self.origin) else None
        span = self.spans.get(orig) if orig is not None else None
        if span is None:
            return None
        cells = self._cells.get(orig)
        if cells is not None:
            xml = cells.get(c)
            m = _STYLE.search(xml.split(b">", 1)[0]) if xml else None
            return int(m.group(1)) if m else None
        at = self.body.find(b'<c r="%s%d"' % (get_column_letter(c).encode(), orig), span[2], span[3])
        if at < 0:                   # no such cell, unless this writer puts r= later in the tag
            return None if span[2] == span[3] or self.body.startswith(b'<c r="', span[2]) \
                else self._style_in(orig, c)
        m = _STYLE.search(self.body, at, self.body.index(b">", at))
        return int(m.group(1)) if m else None

    def _style_in(self, orig: int, c: int) -> int | None:
        xml = self._row_cells(orig).get(c)
        m = _STYLE.search(xml.split(b">", 1)[0]) if xml else None
        return int(m.group(1)) if m else None

    def extend_features(self, first_row: int, validation_end: int, filter_ref: str,
                        own: frozenset[str] = frozenset(), own_end: int = 0) -> None:
        """apply_sheet_features on a sheet that has them: the filter and kefu-xl's own
        validation / highlight ranges — in a column it declares (letters `own`), from the first
        data row down to at least `own_end` — reach the new last row. A person's own
        drop-down or format (a spare column, or a shorter range) stays exactly as it is."""
        self.auto_filter.ref = filter_ref
        self.features["validation"] = (first_row, validation_end, own, own_end)

    # --- writing -------------------------------------------------------------------------

    def _cell_xml(self, ref: str, w: _Write, original: bytes | None, cached) -> bytes:
        value = w.value
        if original is None and w.font is None and w.fill is None and value is not _UNCHANGED \
                and type(value) is not SharedChild:      # a new cell in a named style: the common case
            return _value_xml(ref, self.book.styles.attribute(w.style), value, w.text, cached, w.f).encode("utf-8")
        if w.keep and original is not None and w.f is None:   # a new cached value: the file's own formula stays
            return _kept_formula_xml(original, cached)
        if type(value) is SharedChild:
            raise Unsupported(f"「{self.title}」的共享公式单元格 {ref}")
        styles = self.book.styles
        old_style = None
        if original is not None:
            m = _STYLE.search(original, 0, original.index(b">"))
            old_style = int(m.group(1)) if m else None
        if w.style or w.font or w.fill:
            base = None if w.style else (old_style or 0)
            style = styles.index_of(w.style or "", base, w.font, w.fill)
        else:
            style = old_style
        s = f' s="{style}"' if style else ""
        if w.value is _UNCHANGED:
            if original is None:
                return f'<c r="{ref}"{s}/>'.encode()
            start = original.split(b">", 1)[0]
            new_start = _STYLE.sub(s.strip().encode(), start) if old_style is not None else \
                start.rstrip(b"/") + s.encode() + (b"/" if start.endswith(b"/") else b"")
            if not s:
                new_start = _STYLE.sub(b"", start)
            return new_start + original[len(start):]
        return _value_xml(ref, s, value, w.text, cached, w.f).encode("utf-8")

    def _regroup(self) -> None:
        """Keep the file's shared formula groups whole (a child must never lose its master):
        a master that was rewritten, or that moved because rows above it were deleted, is
        written again as the master of the group's cells as they are now — its children then
        follow its new text, which is what write_formulas checked (`shared_holds`). A group
        whose master was deleted or typed over must have every cell written out in full, and
        a group over several columns may not move or change; else `Unsupported` (the openpyxl
        path spells every formula out)."""
        if not self.masters and not self.children:
            return
        origin, writes = self.origin, self.writes
        moved = origin != list(range(1, len(origin) + 1))
        now = {o: i for i, o in enumerate(origin, 1) if o is not None} if moved else None

        def written(cell) -> bool:
            w = writes.get(cell)
            return w is not None and w.value is not _UNCHANGED and not w.keep

        for si in set(self.masters) | set(self.children):
            at = self._master_at(si)
            if at is not None and not moved and not written(at):
                continue                        # the group stays exactly as the file has it
            kids = self.children.get(si, [])
            if moved:
                kids = [(now[r], c) for r, c in kids if r in now]
            live = [k for k in kids if not written(k)]
            w = writes.get(at) if at else None
            if at is None or (w is not None and written(at) and not
                              (isinstance(w.value, str) and w.value.startswith("=") and not w.text)):
                if live:
                    raise Unsupported(f"「{self.title}」的共享公式失去了主单元格")
                continue
            r0, c0, _ = self.masters[si]
            if len({c for _, c in kids} | {c0}) > 1:
                if live:
                    raise Unsupported(f"「{self.title}」有跨列的共享公式")
                continue
            letter = get_column_letter(c0)
            last = max([r for r, _ in live], default=at[0])
            if w is None:
                w = writes[at] = _Write()
                w.value, w.keep = self.value(*at), True
                if at not in self.cached and r0 <= len(self.stored):
                    was = self.stored[r0 - 1]
                    self.cached[at] = was[c0 - 1] if c0 <= len(was) else None
            w.f = _master_f(letter, at[0], last, si, w.value) if live else \
                f"<f>{_text(w.value[1:])}</f>"          # every other cell spelled out: a plain formula

    def _share_runs(self, by_row: dict[int, dict[int, _Write]]) -> None:
        """New cells of consecutive rows that write_formulas filled from one template (a new
        record's formulas, thousands of rows when records are collected) are written as one
        shared formula: the master spells it out, each other cell says `si` — a few bytes
        instead of the formula's ~100, and the next read needs no text for them at all."""
        body, last_in_file, spans = self.body, self.last_in_file, None
        by_col: dict[int, list[tuple[int, _Write]]] = {}
        for r, cells in by_row.items():
            span, limit = None, 0
            if r <= last_in_file:                 # a row of the file: only cells it does not have
                spans = spans or self.spans
                span = spans.get(r)
                if span is not None:
                    limit = self._last_column(span)
            for c, w in cells.items():
                if w.run is None or w.font is not None or w.fill is not None or w.text:
                    continue
                if not w.held and span is not None and (limit is None or c <= limit) and \
                        body.find(b'r="%s%d"' % (get_column_letter(c).encode(), r), span[2], span[3]) >= 0:
                    continue
                by_col.setdefault(c, []).append((r, w))
        si = max([*self.masters, *self.children, -1]) + 1
        for c, cells in by_col.items():
            cells.sort(key=itemgetter(0))
            letter = get_column_letter(c)
            cells.append((-1, None))            # ends the last run
            start, (before, master) = 0, cells[0]
            for k, (r, w) in enumerate(cells):
                if r == before + 1 and w.run == master.run:
                    before = r
                    continue
                if k - start >= 2:
                    master.f = _master_f(letter, cells[start][0], before, si, master.value)
                    child = f'<f t="shared" si="{si}"/>'
                    for _, kid in cells[start + 1:k]:
                        kid.f = child
                    si += 1
                if w is not None:
                    start, before, master = k, r, w

    def _add_held(self, by_row: dict[int, dict[int, _Write]]) -> list[tuple[int, int]]:
        """The held formula cells (hold_formula) as candidates for runs, when the sheet is
        written anyway (a sheet recalc does not change stays byte for byte as it is). A held
        cell is written with Python's value (cache_values gives one for every derived cell of a
        row with data) or, in a blank row, blank as the file shows it; never when it is a master
        of the file's own groups. Returns the cells added."""
        if not by_row:
            return []
        masters = {(r, c) for r, c, _ in self.masters.values()}
        cached, grid, stored, added = self.cached, self.grid, self.stored, []
        for cell, run in self.held.items():
            r, c = cell
            if cell in masters:
                continue
            if cell not in cached:          # rows stay in place here: the file's row r is row r
                was = stored[r - 1] if r <= len(stored) else ()
                if c <= len(was) and was[c - 1] not in (None, ""):
                    continue
            cells = by_row.get(r)
            w = cells.get(c) if cells else None
            if w is None:
                w = _Write()
                w.value = grid[r - 1][c - 1]
                by_row.setdefault(r, {})[c] = w
                added.append(cell)
            elif not w.keep:
                continue
            w.run, w.held = run, True
        return added

    def _last_column(self, span) -> int | None:
        """The column of a file row's last cell (0 for an empty row); None when that cell
        does not say its address (where the row's cells lie is then unknown)."""
        known = self._last_columns.get(span[0], -1)
        if known != -1:
            return known
        body, inner, end = self.body, span[2], span[3]
        last = 0
        if inner != end:
            at = body.rfind(b"<c ", inner, end)
            ref = _REF.search(body, at, body.find(b">", at)) if at >= 0 else None
            last = None if ref is None or body.find(b"<c>", at, end) >= 0 or body.find(b"<c/>", at, end) >= 0 \
                else _col(ref.group(1))
        self._last_columns[span[0]] = last
        return last

    def to_bytes(self) -> bytes:
        self._regroup()
        by_row: dict[int, dict[int, _Write]] = {}
        for (r, c), w in self.writes.items():
            by_row.setdefault(r, {})[c] = w
        grid, origin, writes, stored = self.grid, self.origin, self.writes, self.stored
        rows, n, kept = len(grid), len(origin), len(stored)
        for cell, value in self.cached.items():
            r, c = cell
            if r > rows or cell in writes:
                continue
            row = grid[r - 1]
            if c > len(row):
                continue
            formula = row[c - 1]
            if not (isinstance(formula, str) and formula[:1] == "="):
                continue
            orig = origin[r - 1] if r <= n else None
            if orig is not None and orig <= kept:
                was = stored[orig - 1]
                have = was[c - 1] if c <= len(was) else None
                if have == value:         # the common cases first: the same text, a whole number
                    kind = type(value)    # calamine reads back as float, a blank as None
                    if type(have) is kind or (kind is int and type(have) is float):
                        continue
                elif have is None and value == "":
                    continue
                if _same(have, value):
                    continue              # the file already shows this value
            w = _Write()
            w.value, w.keep = formula, True
            by_row.setdefault(r, {})[c] = w
        in_place = self.origin == list(range(1, n + 1)) and self.last_in_file <= n
        if not by_row and not self.heights and in_place:      # no cell to write: at most the filter or
            head, tail = self._patched_head(self.head), self._patched_tail(self.tail)   # validation ranges
            head = package.capped_selections(head)
            if head == self.head and tail == self.tail:
                return self.xml
            return b"".join((head, b"<sheetData>", self.body, b"</sheetData>", tail))
        moved = not in_place and (any(o is not None and o != i for i, o in enumerate(self.origin, 1)) or
                                  any(r > n or self.origin[r - 1] != r for r in self.spans))  # rows moved or deleted
        if not moved:
            held = self._add_held(by_row) if self.held else ()
            self._share_runs(by_row)
            for r, c in held:                       # a held cell in no run stays as the file has it
                w = by_row[r][c]
                if w.f is None and not w.keep:
                    del by_row[r][c]
                    if not by_row[r]:
                        del by_row[r]
        todo = sorted(set(by_row) | set(self.heights))
        if moved:
            out, last_row, last_col = self._all_rows(by_row)
        else:                             # rows stay where they are: splice the changed ones in
            body, out, pos = memoryview(self.body), [], 0     # (the kept stretches are not copied twice)
            numbers = sorted(self.spans)
            for i in todo:
                span = self.spans.get(i)
                at = span[0] if span else (self.spans[numbers[k]][0] if (k := bisect_right(numbers, i)) < len(numbers)
                                           else len(body))
                out.append(body[pos:at])
                pos = span[1] if span else at
                row = self._row_xml(i, i if span else None, by_row.get(i))
                if row:
                    out.append(row)
            out.append(body[pos:])
            last_row = max([*numbers[-1:], *todo, 1])
            last_col = max((max(cells) for cells in by_row.values() if cells), default=1)
        head, tail = self.head, self.tail
        if self.writes or self.origin != list(range(1, len(self.origin) + 1)):
            width = max(last_col, self.max_column, 1)
            head = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:%s%d"' % (
                get_column_letter(width).encode(), max(last_row, 1)), head, count=1)
        tail = self._patched_tail(tail)
        head = package.capped_selections(self._patched_head(head))
        out[:0] = (head, b"<sheetData>")            # one join: the part is written once, not copied
        out += (b"</sheetData>", tail)              # again for each piece added (tens of MB)
        return b"".join(out)

    def _row_xml(self, i: int, orig: int | None, writes: dict[int, _Write] | None) -> bytes:
        """Row i rebuilt: the original row `orig` (renumbered when it moved) with `writes` applied."""
        span = self.spans.get(orig) if orig is not None else None
        if span and orig == i and writes and i not in self.heights:
            row = self._appended_row(i, span, writes)
            if row is None:
                row = self._spliced_row(i, span, writes)
            if row is not None:
                return row
        cells = dict(self._row_cells(orig)) if span else {}
        if orig is not None and orig != i:
            number = str(i).encode()
            cells = {c: _REF.sub(lambda m: b'r="' + m.group(1) + number + b'"', x, count=1) for c, x in cells.items()}
        for c, w in (writes or {}).items():
            cells[c] = self._cell_xml(f"{get_column_letter(c)}{i}", w, cells.get(c), self.cached.get((i, c)))
        if not cells and not span and i not in self.heights:
            return b""
        attrs = b""
        if span:
            attrs = self._row_attrs(span)
        if i in self.heights:
            attrs = re.sub(rb'\s(?:ht|customHeight)="[^"]*"', b"", attrs) + \
                b' ht="%s" customHeight="1"' % str(self.heights[i]).encode()
        return b'<row r="%d"%s>' % (i, attrs) + b"".join(cells[c] for c in sorted(cells)) + b"</row>"

    def _row_attrs(self, span) -> bytes:
        """The attributes of a row's start tag other than its number and its spans hint."""
        start = self.body[span[0] + len(b"<row"):span[2] - 1].rstrip(b"/")
        if start.count(b'"') == 2 and start.startswith(b' r="'):
            return b""                         # only its number: the common case
        return re.sub(rb'\s(?:r|spans)="[^"]*"', b"", start)

    def _appended_row(self, i: int, span, writes: dict[int, _Write]) -> bytes | None:
        """A row whose written cells all lie right of its last cell (formulas next to what a
        person typed in a new row): its cells are kept as one piece and the new ones follow.
        None when a written cell is among the existing ones."""
        last = self._last_column(span)
        if last is None or min(writes) <= last:
            return None
        cached, letter, attribute = self.cached, get_column_letter, self.book.styles.attribute
        new = []
        for c in sorted(writes):
            w = writes[c]
            if w.f is not None and w.font is None and w.fill is None and not w.text and type(w.value) is str:
                shown = cached.get((i, c))             # a cell of a new shared group: the common case
                kind = type(shown)
                if kind is str:                        # (as _shown, without its call)
                    new.append(f'<c r="{letter(c)}{i}"{attribute(w.style)} t="str">{w.f}<v>{_text(shown)}</v></c>')
                elif kind is float or kind is int:
                    new.append(f'<c r="{letter(c)}{i}"{attribute(w.style)}>{w.f}<v>{shown!r}</v></c>')
                else:
                    t, v = _shown(shown)
                    new.append(f'<c r="{letter(c)}{i}"{attribute(w.style)}{t}>{w.f}{v}</c>')
            else:
                new.append(self._cell_xml(f"{letter(c)}{i}", w, None, cached.get((i, c))).decode("utf-8"))
        return b'<row r="%d"%s>' % (i, self._row_attrs(span)) + self.body[span[2]:span[3]] + \
            "".join(new).encode("utf-8") + b"</row>"

    def _spliced_row(self, i: int, span, writes: dict[int, _Write]) -> bytes | None:
        """A row whose written cells are all formula cells of the file that keep their look and
        get a new cached value or a new <f> (a group's master or child: the month's accounts,
        rows typed into a template): each is replaced where it stands, everything else of the
        row byte for byte, without taking the row apart. None when a written cell is anything
        else, or is not found as one plain `<c r="…">…</c>` element."""
        body, pos, end = self.body, span[2], span[3]
        cached, letter = self.cached, get_column_letter
        out = [body[span[0]:pos]]
        for c in sorted(writes):
            w = writes[c]
            if not (w.keep or w.f is not None) or w.style is not None or w.font is not None or \
                    w.fill is not None or w.text or type(w.value) is not str or w.value[:1] != "=":
                return None
            ref = b"%s%d" % (letter(c).encode(), i)
            at = body.find(b'<c r="%s"' % ref, pos, end)
            close = body.find(b"</c>", at, end) if at >= 0 else -1
            if close < 0 or body.find(b"<c ", at + 2, close) >= 0 or body.find(b"<c>", at, close) >= 0:
                return None                    # not there, or not one element with a content
            out += (body[pos:at], _kept_formula_xml(body[at:close + 4], cached.get((i, c)), w.f))
            pos = close + 4
        out.append(body[pos:span[1]])
        return b"".join(out)

    def _all_rows(self, by_row) -> tuple[list[bytes], int, int]:
        """Every row in its new place (rows were deleted above some)."""
        out, last_row, last_col = [], 0, 1
        for i, orig in enumerate(self.origin, 1):
            writes = by_row.get(i)
            span = self.spans.get(orig) if orig is not None else None
            if not writes and orig == i and i not in self.heights:
                if span:
                    out.append(self.body[span[0]:span[1]])
                    last_row = i
                continue
            row = self._row_xml(i, orig, writes)
            if row:
                out.append(row)
                last_row = i
                last_col = max(last_col, *(writes or {1: None}))
        return out, last_row, last_col

    def _patched_head(self, head: bytes) -> bytes:
        if "cols" in self.features:
            head = _with_columns(head, self.features["cols"])
        rgb = self.features.get("tabColor")
        if rgb is None:
            return head
        color = b'<tabColor rgb="%s"/>' % (b"00" + rgb.encode() if len(rgb) == 6 else rgb.encode())
        if b"<tabColor" in head:
            return re.sub(rb"<tabColor\b[^>]*/>", color, head, count=1)
        if b"<sheetPr/>" in head:
            return head.replace(b"<sheetPr/>", b"<sheetPr>" + color + b"</sheetPr>", 1)
        m = re.search(rb"<sheetPr\b[^>]*>", head)
        if m is None:
            raise Unsupported("工作表没有 sheetPr")
        return head[:m.end()] + color + head[m.end():]

    def _patched_tail(self, tail: bytes) -> bytes:
        if "autoFilter" in self.features:
            ref = self.features["autoFilter"]
            new = b'<autoFilter ref="%s"/>' % ref.encode() if ref else b""
            present = re.search(rb"<autoFilter\b[^>]*?(/?)>", tail)
            if present and ref:            # only the range changes: a person's criteria and sort stay
                tag = re.sub(rb'\bref="[^"]*"', b'ref="%s"' % ref.encode(), present.group(0), count=1)
                tail = tail[:present.start()] + tag + tail[present.end():]
            elif present:
                tail = re.sub(rb"<autoFilter\b[^>]*?(?:/>|>.*?</autoFilter>)", b"", tail, count=1, flags=re.S)
            elif new:
                at = min((i for i in (tail.find(t) for t in _AFTER_AUTOFILTER) if i >= 0), default=None)
                if at is None:
                    at = tail.rfind(b"</worksheet>")
                tail = tail[:at] + new + tail[at:]
        if "validation" in self.features:
            first, end, own, own_end = self.features["validation"]

            def ranges(m):                 # only kefu-xl's own ranges grow: a column it declares,
                parts = []                 # from the first data row to at least where it puts them
                for token in m.group(2).split():
                    rm = re.fullmatch(rb"([A-Z]+)(\d+):([A-Z]+)(\d+)", token)
                    if rm and int(rm.group(2)) == first and rm.group(1) == rm.group(3) and \
                            rm.group(1).decode() in own and int(rm.group(4)) >= own_end:
                        token = b"%s%d:%s%d" % (rm.group(1), first, rm.group(3), end)
                    parts.append(token)
                return m.group(1) + b" ".join(parts) + b'"'
            tail = re.sub(rb'(<(?:dataValidation|conditionalFormatting)\b[^>]*?\bsqref=")([^"]*)"', ranges, tail)
        return tail


_FILTER_NAME = re.compile(rb'(<definedName\b[^>]*\bname="_xlnm\._FilterDatabase"[^>]*>)([^<]*)(</definedName>)')
_LOCAL_SHEET = re.compile(rb'\blocalSheetId="(\d+)"')


def _filter_database(workbook: bytes, filters: dict[int, str]) -> bytes:
    """workbook.xml with each sheet's hidden _FilterDatabase name over the sheet's filter range
    (`filters`: sheet index -> "A2:N20002"): LibreOffice and WPS filter the rows that name
    covers, so it must grow with the filter."""
    def fix(m):
        sheet = _LOCAL_SHEET.search(m.group(1))
        ref = filters.get(int(sheet.group(1))) if sheet else None
        text = m.group(2)
        if not ref or b"!" not in text:
            return m.group(0)
        absolute = re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", ref).encode()
        return m.group(1) + text[:text.rindex(b"!") + 1] + absolute + m.group(3)
    return _FILTER_NAME.sub(fix, workbook)


_PRINT_AREA = re.compile(rb'(<definedName\b[^>]*\bname="_xlnm\.Print_Area"[^>]*>)([^<]*)(</definedName>)')
_OWN_AREA = re.compile(rb"\$A\$1:\$[A-Z]+\$\d+")


def _absolute(ref: str) -> bytes:
    return re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", ref).encode()


def _print_areas(workbook: bytes, areas: dict[int, tuple[str, str]]) -> bytes:
    """workbook.xml with each sheet's print area (`areas`: sheet index -> (name, "A1:N20")) — the
    rows kefu-xl fills, not the empty formula rows kept below them for typing, which would
    print as pages of empty bordered cells. A sheet without one gets one; one a person set
    (other than a single range from A1) stays."""
    seen = set()

    def fix(m):
        sheet = _LOCAL_SHEET.search(m.group(1))
        index = int(sheet.group(1)) if sheet else None
        if index not in areas:
            return m.group(0)
        seen.add(index)
        text = m.group(2)
        at = text.rfind(b"!") + 1
        if not at or not _OWN_AREA.fullmatch(text[at:]):
            return m.group(0)
        return m.group(1) + text[:at] + _absolute(areas[index][1]) + m.group(3)
    workbook = _PRINT_AREA.sub(fix, workbook)
    for index, (name, ref) in sorted(areas.items()):
        if index not in seen:
            quoted = "'" + name.replace("'", "''") + "'!"
            workbook = transplant.add_local_names(workbook, index,
                                                  [("_xlnm.Print_Area", quoted + _absolute(ref).decode())])
    return workbook


def _same(stored, value) -> bool:
    """Whether a formula cell's stored value already is `value` (as calamine reads it back)."""
    if type(value) is str and value:          # most cached values (是/否, keys, labels)
        return stored == value
    if value is None or value == "":
        return stored is None or stored == ""
    if isinstance(value, bool) or isinstance(stored, bool):
        return stored is value
    if isinstance(value, (datetime, date)):
        stored = to_excel(stored) if isinstance(stored, (datetime, date)) else stored
        value = to_excel(value)
    if isinstance(value, (int, float, Decimal)):
        return isinstance(stored, (int, float)) and float(stored) == float(value)
    return stored == value


def _number(value) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _text(value: str) -> str:
    if not value.isprintable() and ILLEGAL_CHARACTERS_RE.search(value):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if "&" in value:
        value = value.replace("&", "&amp;")
    if "<" in value:
        value = value.replace("<", "&lt;")
    if ">" in value:
        value = value.replace(">", "&gt;")
    return value


_COLUMNS: dict[bytes, int] = {}


def _col(letters: bytes) -> int:
    c = _COLUMNS.get(letters)
    if c is None:
        c = _COLUMNS[letters] = column_index_from_string(letters.decode())
    return c


_NUMERIC_REF = re.compile(rb"&#(x[0-9A-Fa-f]+|[0-9]+);")
_ENTITIES = ((b"&lt;", b"<"), (b"&gt;", b">"), (b"&quot;", b'"'), (b"&apos;", b"'"), (b"&amp;", b"&"))


def _formulas_by_end(body: bytes) -> list[tuple[bytes, bytes, bytes, bytes]]:
    """_FORMULA_CELL_PLAIN.findall(body) for a sheet whose formulas are mostly shared children
    (a few masters spell theirs out): each is found back from its </f> — a formula's text has
    no "<", so the nearest "<c " before it starts its cell — instead of trying every cell."""
    out, find, rfind, match = [], body.find, body.rfind, _FORMULA_CELL_PLAIN.match
    at = find(b"</f>")
    while at >= 0:
        m = match(body, rfind(b"<c ", 0, at))
        if m is not None and m.end() == at + 4:
            out.append(m.groups())
        at = find(b"</f>", at + 4)
    return out


def _formula_texts(texts: list[bytes]) -> list[str]:
    """"=" + the XML text of each formula, all at once: the texts are joined, their character
    references (openpyxl writes Chinese as &#24037;) and the five named entities replaced in
    the one piece, then split again."""
    if not texts:
        return []
    blob = _SEP.encode().join(texts)
    try:
        if blob.count(b"&#") > len(blob) // 40:   # openpyxl writes Chinese as references: one lxml parse
            # of the whole text beats a Python call per reference once they are this dense
            out = _split_texts(etree.fromstring(b"<x>" + blob + b"</x>", _HUGE).text or "", len(texts))
        else:
            if b"&#" in blob:
                blob = _NUMERIC_REF.sub(_referenced_char, blob)
            if b"&" in blob:
                for entity, char in _ENTITIES:
                    blob = blob.replace(entity, char)
            out = _split_texts(blob.decode("utf-8"), len(texts))
    except (ValueError, UnicodeError, etree.XMLSyntaxError):   # a reference to no character: one by one
        out = None
    return out if out is not None else ["=" + unescape(t.decode("utf-8", "replace")) for t in texts]


def _referenced_char(m) -> bytes:
    ref = m.group(1)
    return chr(int(ref[1:], 16) if ref[:1] == b"x" else int(ref)).encode("utf-8")


def _split_texts(blob: str, n: int) -> list[str] | None:
    """"=" + each of the n texts joined by _SEP; None when a text held the separator itself."""
    parts = ("=" + blob.replace(_SEP, _SEP + "=")).split(_SEP)
    return parts if len(parts) == n else None


def _formula_xml(ref: str, s: str, value: str, cached, f: str | None = None) -> str:
    """A formula cell ("=…") with `cached` (Python's value) as the value it shows; `f`, when
    given, is its <f> element (a shared formula's master or child)."""
    t, v = _shown(cached)
    return f'<c r="{ref}"{s}{t}>{f or "<f>" + _text(value[1:]) + "</f>"}{v}</c>'


def _master_f(letter: str, first: int, last: int, si: int, formula: str) -> str:
    """The <f> of a shared group's master: rows first..last of a column, group `si`."""
    return f'<f t="shared" ref="{letter}{first}:{letter}{last}" si="{si}">{_text(formula[1:])}</f>'


def _shown(cached) -> tuple[str, str]:
    """The type attribute and <v> of a formula cell showing `cached`."""
    kind = type(cached)
    if kind is str:
        return ' t="str"', f"<v>{_text(cached)}</v>"
    if kind is int or kind is float:
        return "", f"<v>{cached!r}</v>"
    if cached is None:
        return ' t="str"', "<v></v>"
    if kind is bool:
        return ' t="b"', f"<v>{int(cached)}</v>"
    if isinstance(cached, (datetime, date, time)):
        cached = to_excel(cached)
    if isinstance(cached, (int, float, Decimal)):
        return "", f"<v>{_number(cached)}</v>"
    return ' t="str"', f"<v>{_text(str(cached or ''))}</v>"


_TYPE = re.compile(rb'\st="[^"]*"')


def _kept_formula_xml(original: bytes, cached, f: str | None = None) -> bytes:
    """A formula cell of the file showing a new cached value: its start tag (less the value's
    type) and its own <f> element, byte for byte (a shared formula stays shared), or `f`
    when given (the cell joins or heads a shared group)."""
    end = original.index(b">")
    if f is None:
        own = _F_ELEMENT.search(original, end)
        if own is None:
            raise Unsupported("公式单元格没有 <f>")
        f = own.group(0).decode("utf-8")
    t, v = _shown(cached)
    start = original[:end].rstrip(b"/")
    if b" t=" in start:
        start = _TYPE.sub(b"", start)
    return start + f"{t}>{f}{v}</c>".encode("utf-8")


def _value_xml(ref: str, s: str, value, text: bool, cached, f: str | None = None) -> str:
    if value is None or value == "":
        return f'<c r="{ref}"{s}/>'
    if isinstance(value, str) and value.startswith("=") and not text:
        return _formula_xml(ref, s, value, cached, f)
    if isinstance(value, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (datetime, date, time)):
        return f'<c r="{ref}"{s}><v>{_number(to_excel(value))}</v></c>'
    if isinstance(value, (int, float, Decimal)):
        return f'<c r="{ref}"{s}><v>{_number(value)}</v></c>'
    body = _text(str(value))
    space = ' xml:space="preserve"' if body != body.strip() else ""
    return f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{body}</t></is></c>'


def _sheet_grid(calamine, name: str) -> list[list]:
    grid = calamine.result().get_sheet_by_name(name).to_python(skip_empty_area=False)
    return [[None if v == "" else v for v in row] if "" in row else list(row) for row in grid]


class PatchBook:
    """The Workbook attributes the declaration engine uses, over the file at `path`."""

    def __init__(self, path: Path):
        from python_calamine import CalamineWorkbook
        self.path = Path(path)
        self.zip = zipfile.ZipFile(self.path)
        names = set(self.zip.namelist())
        if "xl/styles.xml" not in names:
            raise Unsupported("没有 styles.xml")
        self.parts = sheet_parts(self.zip)
        self.sheetnames = list(self.parts)
        self.styles = Styles(self.zip.read("xl/styles.xml"))
        # every sheet's values parsed by calamine in a background thread, in sheet order, while
        # this thread scans the XML of the sheets already parsed (calamine releases the GIL)
        self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kefu-sheets")
        calamine = self._reader.submit(CalamineWorkbook.from_path, str(self.path))
        # _meta first: every recalc reads it before anything else (it names the kind)
        order = sorted(self.sheetnames, key=lambda name: name != "_meta")
        self._grids = {name: self._reader.submit(_sheet_grid, calamine, name) for name in order}
        self._sheets: dict[str, PatchSheet] = {}
        self._changed: dict[str, bytes] | None = None
        self._pending: dict[str, bytes] = {}          # package parts changed by add_sheet
        self._new_parts: set[str] = set()             # sheet parts add_sheet made
        self._states = dict(re.findall(r'<sheet\b[^>]*?name="([^"]+)"[^>]*?state="(\w+)"',
                                       self.zip.read("xl/workbook.xml").decode("utf-8")))
        self._states = {unescape(k): v for k, v in self._states.items()}

    def __getitem__(self, name: str) -> PatchSheet:
        sheet = self._sheets.get(name)
        if sheet is None:
            if name not in self.parts:
                raise KeyError(name)
            from ..sheets.grid import _CELL_ERROR
            xml = self.zip.read(self.parts[name])
            try:
                grid = self._grids[name].result()
            except Exception as e:  # noqa: BLE001 - calamine's own errors: the openpyxl path says what is wrong
                raise Unsupported(f"calamine 无法读取「{name}」（{type(e).__name__}）") from e
            if b't="e"' in xml:          # calamine reads #N/A, #REF!… as blanks
                for c, r, text in _CELL_ERROR.findall(xml):
                    PatchSheet._put(grid, int(r), _col(c), text.decode())
            sheet = self._sheets[name] = PatchSheet(self, name, self.parts[name], xml, grid)
        return sheet

    def __contains__(self, name: str) -> bool:
        return name in self.parts

    def __getattr__(self, name):
        raise Unsupported(f"工作簿操作 {name}")

    def __delitem__(self, name):
        raise Unsupported("删除工作表")

    def _part(self, name: str) -> bytes:
        return self._pending[name] if name in self._pending else self.zip.read(name)

    def add_sheet(self, name: str, index: int, build) -> PatchSheet:
        """A sheet `build(ws, wb)` makes with openpyxl in a scratch workbook, put in at position
        `index` — or in place of the sheet of that name (a kefu-xl sheet whose layout changed) —
        without rewriting anything else of the file (xlsx_transplant)."""
        xml, styles, strings, scratch_workbook, values = transplant.scratch_sheet(name, build)
        xml = transplant.map_styles(transplant.inline_strings(xml, strings), styles, self.styles)
        names = transplant.local_names(scratch_workbook)
        if name in self.parts:
            part, at = self.parts[name], self.sheetnames.index(name)
            self._pending[package.WORKBOOK] = transplant.replace_local_names(self._part(package.WORKBOOK), at, names)
        else:
            used = set(self.zip.namelist()) | self._new_parts
            n = 1
            while f"xl/worksheets/sheet{n}.xml" in used:
                n += 1
            part = f"xl/worksheets/sheet{n}.xml"
            index = min(index, len(self.sheetnames))
            workbook, rels, types = transplant.insert_sheet(
                self._part(package.WORKBOOK), self._part(package.WORKBOOK_RELS), self._part(package.CONTENT_TYPES),
                name, index, part, names)
            self._pending.update({package.WORKBOOK: workbook, package.WORKBOOK_RELS: rels,
                                  package.CONTENT_TYPES: types})
            self.sheetnames.insert(index, name)
            self.parts = {n: self.parts[n] if n != name else part for n in self.sheetnames}
        self._new_parts.add(part)
        sheet = self._sheets[name] = PatchSheet(self, name, part, xml, values)
        return sheet

    @property
    def style_names(self) -> list[str]:
        return self.styles.names

    def add_named_style(self, style) -> None:
        self.styles.add_named_style(style)

    def sheet_state(self, name: str) -> str:
        return self._states.get(name, "visible")

    def set_cached(self, sheet: str, values: dict[tuple[int, int], object]) -> None:
        """Python's values for formula cells of `sheet`, written as their cached values."""
        self[sheet].cached.update(values)

    def changed_parts(self) -> dict[str, bytes | None]:
        """{zip part: new bytes, or None for a part to drop} of what recalc changed (computed
        once; nothing may change after). Empty when the file would be written as it is; else
        the package is made fit for Excel too (xlsx_package): calcChain dropped,
        fullCalcOnLoad set, no sheet view with more selections than the schema allows."""
        if self._changed is not None:
            return self._changed
        out: dict[str, bytes | None] = {}
        for s in self._sheets.values():
            if s.writes or s.cached or s.features or s.heights or s.origin != list(range(1, len(s.origin) + 1)):
                data = s.to_bytes()
                if data != s.xml or s.part in self._new_parts:   # a sheet rebuilt exactly as it
                    out[s.part] = data                           # was is not a change
            elif s.part in self._new_parts:
                out[s.part] = s.xml
        out.update(self._pending)
        if self.styles.dirty:
            out["xl/styles.xml"] = self.styles.to_bytes()
        filters = {self.sheetnames.index(s.title): s.auto_filter.ref for s in self._sheets.values()}
        original = self.zip.read(package.WORKBOOK)
        workbook = self._part(package.WORKBOOK)
        named = _filter_database(workbook, {i: ref for i, ref in filters.items() if ref})
        named = _print_areas(named, {self.sheetnames.index(s.title): (s.title, s.features["printArea"])
                                     for s in self._sheets.values() if s.features.get("printArea")})
        if named != original:
            out[package.WORKBOOK] = named
        if out:
            out[package.WORKBOOK] = package.full_calc_on_load(out.get(package.WORKBOOK) or workbook)
            names = set(self.zip.namelist())
            if package.CALC_CHAIN in names:
                out.update(package.without_calc_chain(
                    {n: self._part(n) for n in (package.WORKBOOK_RELS, package.CONTENT_TYPES) if n in names}))
            for part in self.parts.values():
                if part in out or part not in names:
                    continue
                with self.zip.open(part) as fh:
                    head = fh.read(1 << 16)
                if b"<selection" in head and package.too_many_selections(head):
                    out[part] = package.capped_selections(self.zip.read(part))
        self._changed = out
        return out

    def save(self, target) -> None:
        changes = self.changed_parts()
        with zipfile.ZipFile(target, "w") as zout:
            for info in self.zip.infolist():
                data = changes.get(info.filename, _KEEP)
                if data is None:
                    continue                     # a part dropped (calcChain)
                if data is _KEEP:
                    data = self.zip.read(info.filename)
                zout.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=1)
            for name in sorted(self._new_parts):
                zout.writestr(name, changes[name], compress_type=zipfile.ZIP_DEFLATED, compresslevel=1)

    def close(self) -> None:
        """Release the file: on Windows it cannot be replaced while calamine or the zip holds it."""
        for future in self._grids.values():
            future.cancel()
        self._reader.shutdown(wait=True)
        self._grids = {}                 # the last references to calamine's workbook: its file closes
        self.zip.close()
