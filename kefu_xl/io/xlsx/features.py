"""What a patched sheet carries besides its cells: the filter, row heights, column widths, the
tab colour, and kefu-xl's own validation / highlight ranges — written into the sheet's head
and tail; the workbook's hidden _FilterDatabase names follow the filters."""
from __future__ import annotations

import re
import weakref
from typing import TYPE_CHECKING

from openpyxl.utils import column_index_from_string

from .common import Unsupported
from .transplant import add_local_names

if TYPE_CHECKING:
    from .sheet import PatchSheet

class _AutoFilter:
    def __init__(self, sheet: PatchSheet):
        self._sheet = weakref.proxy(sheet)      # (no cycle: the sheet goes when its book does)

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
        self._sheet = weakref.proxy(sheet)      # (no cycle: the sheet goes when its book does)

    def __getitem__(self, row: int) -> _RowDimension:
        return _RowDimension(self._sheet, row)


class _ColumnDimension:
    """Width and hidden of one column (add_missing_columns sets them on a column it adds)."""
    def __init__(self, sheet: PatchSheet, column: int):
        self._sheet, self._column = sheet, column          # (_ColumnDimensions' proxy of it)

    def _set(self, what: str, value) -> None:
        self._sheet.features.setdefault("cols", {}).setdefault(self._column, {})[what] = value

    width = property(lambda self: None, lambda self, value: self._set("width", value))
    hidden = property(lambda self: None, lambda self, value: self._set("hidden", value))


class _ColumnDimensions:
    def __init__(self, sheet: PatchSheet):
        self._sheet = weakref.proxy(sheet)      # (no cycle: the sheet goes when its book does)

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
        self._sheet = weakref.proxy(sheet)      # (no cycle: the sheet goes when its book does)

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




class FeaturesMixin:
    """PatchSheet's head and tail as the features set since it was read make them."""

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
            workbook = add_local_names(workbook, index, [("_xlnm.Print_Area", quoted + _absolute(ref).decode())])
    return workbook
