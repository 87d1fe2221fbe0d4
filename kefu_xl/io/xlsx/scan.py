"""Reading a sheet's XML once: the formulas spelled out, the shared groups and their cells,
where each row lies, and what a file row holds (its cells, their styles)."""
from __future__ import annotations

import re
from collections import deque
from functools import cached_property
from itertools import pairwise, repeat
from operator import setitem

from openpyxl.utils import get_column_letter

from .common import (
    _CELL_COL,
    _CHILD_CELL,
    _REF,
    _ROW_OPEN,
    _ROW_START,
    _SI,
    _STYLE,
    SharedChild,
    Unsupported,
    _Block,
    _col,
)


class ScanMixin:
    """PatchSheet's view of the file it was read from."""

    def _find_children(self, name: str, body: bytes, grid: list[list], refs: dict, counts: tuple[int, int]) -> None:
        """Mark the other cells of each shared group in the grid (SharedChild). When every cell
        of a master's ref range belongs to its group — what kefu-xl and Excel write — the
        range is filled without looking at the cells; otherwise each child is found in the XML.

        `counts`: the cells that name a group (si="…") and those of them spelled as a group's
        other cell <f t="shared" si="…"/>. The ranges are taken as they are when the ranges do
        not overlap, every cell naming a group is a master or spelled so, and there are as many
        as the ranges hold: a group's cells lie in its master's range (that is what the range
        says), so a range short of one cell would need a cell of some group outside every
        range — a file Excel calls damaged. Counting, not finding each cell: 1.2 million of
        them in a 100,000-record 工作记录."""
        named, spelled = counts
        ranges = {}
        for si, (r, c, _) in self.masters.items():
            ref = refs.get(si)
            if ref is None:
                ranges = None
                break
            c1, r1 = _col(ref.group(1)), int(ref.group(2))
            c2, r2 = (_col(ref.group(3)), int(ref.group(4))) if ref.group(3) else (c1, r1)
            if (r1, c1) != (r, c):
                ranges = None
                break
            ranges[si] = (r1, r2, c1, c2)
        if ranges is not None and (named != spelled + len(ranges) or _overlap(ranges.values())
                                   or named != sum((r2 - r1 + 1) * (c2 - c1 + 1) for r1, r2, c1, c2 in ranges.values())):
            ranges = None
        put = self._put
        if ranges is not None:
            columns = []                    # (first row, last row, column, child): the master's cell is its own
            for si, (r1, r2, c1, c2) in ranges.items():
                child = SharedChild(si)
                columns += [(r1 + (c == c1), r2, c, child) for c in range(c1, c2 + 1)]
                self.children[si] = _Block(r1, r2, c1, c2)
            _fill_columns(grid, columns)
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
                      "writes", "runs", "_run_si", "cached", "stored", "features", "heights", "row_dimensions", "_cells", "auto_filter", "sheet_properties",
                      "column_dimensions"))


    def _row_cells(self, orig: int) -> dict[int, bytes]:
        cells = self._cells.get(orig)
        if cells is None:
            span = self.spans.get(orig)
            cells = _split_cells(self.body, span[2], span[3]) if span else {}
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


def _overlap(ranges) -> bool:
    """Whether two of the (r1, r2, c1, c2) ranges share a cell (each column's row spans, sorted)."""
    by_column: dict[int, list[tuple[int, int]]] = {}
    for r1, r2, c1, c2 in ranges:
        for c in range(c1, c2 + 1):
            by_column.setdefault(c, []).append((r1, r2))
    for spans in by_column.values():
        spans.sort()
        if any(b[0] <= a[1] for a, b in pairwise(spans)):
            return True
    return False


def _fill_columns(grid: list[list], columns: list[tuple[int, int, int, object]]) -> None:
    """Put each (first row, last row, column, value) into the grid: neighbouring columns over
    the same rows (a new record's formulas) as one slice of each row, in C — each row is
    visited once per stretch of columns, not once per column."""
    columns.sort(key=lambda item: (item[0], item[1], item[2]))
    k = 0
    while k < len(columns):
        first, last, c, _ = columns[k]
        end = k + 1
        while end < len(columns) and columns[end][:2] == (first, last) and columns[end][2] == c + end - k:
            end += 1
        values, right = [v for *_, v in columns[k:end]], c + end - k - 1
        rows = grid[first - 1:last]
        if rows and min(map(len, rows)) >= right:             # calamine's rows are all as wide
            deque(map(setitem, rows, repeat(slice(c - 1, right)), repeat(values)), maxlen=0)
        else:
            for row in rows:
                if len(row) < right:
                    row.extend([None] * (right - len(row)))
                row[c - 1:right] = values
        k = end


_CELL_START = re.compile(rb'<c r="([A-Z]+)\d')


def _cell_starts(body: bytes, start: int, end: int) -> list[tuple[int, bytes]] | None:
    """[(offset, column letters)] of the cells of a row's content body[start:end] when they are
    laid out as Excel, WPS, LibreOffice and openpyxl write them: each starting `<c r="`, one
    right after the other; None for any other layout (a comment or CDATA may hold anything)."""
    if body.find(b"<!", start, end) >= 0:
        return None
    starts = [(m.start(), m.group(1)) for m in _CELL_START.finditer(body, start, end)]
    if starts and starts[0][0] == start and len(starts) == body.count(b"<c", start, end):
        return starts
    return None


def _split_cells(body: bytes, start: int, end: int) -> dict[int, bytes]:
    """{column: XML} of the cells of a row's content body[start:end]. Cells laid out plainly
    (_cell_starts) are cut at their starts — a new record's row is cut to put formulas between
    what was typed, and the full match of each cell costs twice as much; any other layout is
    matched cell by cell."""
    starts = _cell_starts(body, start, end)
    if starts:
        ends = [at for at, _ in starts[1:]] + [end]
        return {_col(letters): body[at:stop] for (at, letters), stop in zip(starts, ends)}
    return {_col(letters): xml for xml, letters in _CELL_COL.findall(body, start, end)}
