"""Writing a patched sheet back: the rows nobody touched byte for byte, changed rows spliced or
rebuilt, new rows appended — the sheet part built in one join."""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from functools import lru_cache
from itertools import repeat
from operator import itemgetter

from openpyxl.utils import get_column_letter

from . import package
from .cells import (
    _escaped,
    _kept_formula_xml,
    _master_f,
    _same,
    _shown,
    _text,
    _value_xml,
)
from .common import (
    _COLUMNS,
    _REF,
    _STYLE,
    _UNCHANGED,
    SharedChild,
    Unsupported,
    _col,
    _Write,
)


class WriteMixin:
    """PatchSheet's XML as recalc left it."""

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


    def to_bytes(self) -> bytes:
        if self.runs and (self._rows_moved() or any((r, c) in self.writes for c, first, last, *_ in self.runs
                                                     for r in (first, last))):
            self._runs_to_writes()       # (rare: rows deleted above, or a run's end written anyway)
        self._regroup()
        by_row: dict[int, dict[int, _Write]] = {}
        for (r, c), w in self.writes.items():
            by_row.setdefault(r, {})[c] = w
        grid, origin, writes, stored = self.grid, self.origin, self.writes, self.stored
        rows, n, kept = len(grid), len(origin), len(stored)
        ends = {(r, c) for c, first, last, *_ in self.runs for r in (first, last)}     # (their text is in the grid)
        in_runs: dict[int, list[range]] = {}
        for c, first, last, *_ in self.runs:
            in_runs.setdefault(c, []).append(range(first, last + 1))
        rows_stay = origin[:kept] == list(range(1, min(n, kept) + 1))    # the file's rows still where they were
        for c, column in self.cached.columns.items():
            if rows_stay and _stored_already(stored, c, column):
                continue                  # the whole column already shows these values
            items = column.items()
            if c in in_runs:              # a run's cells show their values through _run_cells: only the others
                outside = column.keys() - set().union(*in_runs[c])
                items = [(r, column[r]) for r in sorted(outside)] if len(outside) < len(column) else items
            for r, value in items:
                if r > rows:
                    continue
                cell = (r, c)
                if cell in writes or cell in ends:
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
        if not by_row and not self.heights and not self.runs and in_place:   # no cell to write: at most the filter or
            head, tail = self._patched_head(self.head), self._patched_tail(self.tail)   # validation ranges
            head = package.capped_selections(head)
            if head == self.head and tail == self.tail:
                return self.xml
            return b"".join((head, b"<sheetData>", self.body, b"</sheetData>", tail))
        moved = not in_place and self._rows_moved()
        extra: dict[int, dict[int, str]] = {}
        if not moved:
            extra = self._run_cells()
            held = self._add_held(by_row) if self.held else ()
            self._share_runs(by_row)
            for r, c in held:                       # a held cell in no run stays as the file has it
                w = by_row[r][c]
                if w.f is None and not w.keep:
                    del by_row[r][c]
                    if not by_row[r]:
                        del by_row[r]
        todo = sorted(set(by_row) | set(self.heights) | set(extra))
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
                row = self._row_xml(i, i if span else None, by_row.get(i), extra.get(i))
                if row:
                    out.append(row)
            out.append(body[pos:])
            last_row = max([*numbers[-1:], *todo, 1])
            last_col = max([max(cells) for cells in by_row.values() if cells] +
                           [columns[-1] for columns in {columns for columns, _ in extra.values()}], default=1)
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

    def _rows_moved(self) -> bool:
        """Whether rows of the file moved or were deleted (rows added below do not count)."""
        n = len(self.origin)
        if self.origin == list(range(1, n + 1)) and self.last_in_file <= n:
            return False
        return any(o is not None and o != i for i, o in enumerate(self.origin, 1)) or \
            any(r > n or self.origin[r - 1] != r for r in self.spans)

    def _run_cells(self) -> dict[int, tuple[tuple[int, ...], tuple[bytes, ...]]]:
        """{row: (columns ascending, XML of each)} of the runs of new cells (put_formula_run):
        each run one shared formula — its first cell the master, the rest `si` — showing the
        cached values, built a column at a time (recalc of a month typed at once: hundreds of
        thousands of cells)."""
        if not self.runs:
            return {}
        cached, attribute, held = self.cached, self.book.styles.attribute, self.held
        masters = {(r, c) for r, c, _ in self.masters.values()}
        si = max([*self.masters, *self.children, -1]) + 1
        self._run_si = []
        blocks: dict[tuple[int, int], list[tuple[int, list[bytes]]]] = {}
        for c, first, last, for_row, style, template in self.runs:
            while first > 1 and held.get((first - 1, c)) == template and (first - 1, c) not in masters:
                first -= 1                   # the file's formula rows just above, already right, join the
                del held[(first, c)]         # group (as hold_formula does for cells written one by one)
            letter = get_column_letter(c)
            if last > first:
                master, child = _master_f(letter, first, last, si, for_row(first)), f'<f t="shared" si="{si}"/>'
                self._run_si.append(si)
                si += 1
            else:
                master = child = f"<f>{_text(for_row(first)[1:])}</f>"
            blocks.setdefault((first, last), []).append(
                (c, _column_cells(letter, attribute(style), first, last, master, child, cached.column(c))))
        return _by_row(blocks)

    def _row_xml(self, i: int, orig: int | None, writes: dict[int, _Write] | None,
                 extra: tuple[tuple[int, ...], tuple[bytes, ...]] | None = None) -> bytes:
        """Row i rebuilt: the original row `orig` (renumbered when it moved) with `writes` applied
        and the run cells `extra` ((columns, XML of each), as _run_cells gives them) put in."""
        span = self.spans.get(orig) if orig is not None else None
        if extra and not writes and i not in self.heights:
            columns, xmls = extra
            if span is None:
                return b'<row r="%d">' % i + b"".join(xmls) + b"</row>"
            if orig == i:
                row = self._row_among(i, span, columns, xmls)
                if row is not None:
                    return row
                last = self._last_column(span)
                if last is not None and columns[0] > last:     # formulas right of what a person typed
                    return b'<row r="%d"%s>' % (i, self._row_attrs(span)) + self.body[span[2]:span[3]] + \
                        b"".join(xmls) + b"</row>"
                cells = dict(self._row_cells(i))
                cells.update(zip(columns, xmls))
                return b'<row r="%d"%s>' % (i, self._row_attrs(span)) + b"".join(cells[c] for c in sorted(cells)) + \
                    b"</row>"
        if span is None and writes and not extra:
            row = self._new_row(i, writes)
            if row is not None:
                return row
        if span and orig == i and writes and not extra and i not in self.heights:
            row = self._appended_row(i, span, writes)
            if row is None:
                row = self._spliced_row(i, span, writes)
            if row is not None:
                return row
        cells = dict(self._row_cells(orig)) if span else {}
        if extra:
            cells.update(zip(*extra))
        if orig is not None and orig != i:
            number = str(i).encode()
            cells = {c: _REF.sub(lambda m: b'r="' + m.group(1) + number + b'"', x, count=1) for c, x in cells.items()}
        for c, w in (writes or {}).items():
            cells[c] = self._cell_xml(f"{get_column_letter(c)}{i}", w, cells.get(c), self.cached.at(i, c))
        if not cells and not span and i not in self.heights:
            return b""
        attrs = b""
        if span:
            attrs = self._row_attrs(span)
        if i in self.heights:
            attrs = re.sub(rb'\s(?:ht|customHeight)="[^"]*"', b"", attrs) + \
                b' ht="%s" customHeight="1"' % str(self.heights[i]).encode()
        return b'<row r="%d"%s>' % (i, attrs) + b"".join(cells[c] for c in sorted(cells)) + b"</row>"

    def _new_row(self, i: int, writes: dict[int, _Write]) -> bytes | None:
        """A row the file did not have, built as one text (the 问题 sheet's rows: thousands when
        many records are wrong); a cell with a font or fill of its own through _cell_xml."""
        cached, attribute, letter = self.cached, self.book.styles.attribute, get_column_letter
        cells = []
        for c in sorted(writes):
            w, ref = writes[c], f"{letter(c)}{i}"
            if w.font is None and w.fill is None and w.value is not _UNCHANGED and type(w.value) is not SharedChild:
                cells.append(_value_xml(ref, attribute(w.style), w.value, w.text, cached.at(i, c), w.f))
            else:
                cells.append(self._cell_xml(ref, w, None, cached.at(i, c)).decode("utf-8"))
        height = f' ht="{self.heights[i]}" customHeight="1"' if i in self.heights else ""
        return f'<row r="{i}"{height}>{"".join(cells)}</row>'.encode()

    def _row_among(self, i: int, span, columns: tuple[int, ...], xmls: tuple[bytes, ...]) -> bytes | None:
        """Row i of the file with the run cells `xmls` (in `columns`, ascending) put in among its
        own cells (a new record's 客户名称 between what was typed, its other formulas after it),
        without taking the row apart: each group of new cells goes before the file's first cell
        right of it. None unless the row is laid out plainly (_cell_starts: each cell starting
        `<c r="`), its cells in column order, and has no cell where a new one goes."""
        content = self.body[span[2]:span[3]]
        if b"<!" in content:
            return None
        letters = _CELL_LETTERS.findall(content)
        pieces = content.split(b'<c r="')
        if not letters or pieces[0] or len(pieces) != len(letters) + 1 or content.count(b"<c") != len(letters):
            return None
        slots, n = _slots(columns), len(columns)
        beyond = len(slots)
        out, j, before = [b'<row r="%d"%s>' % (i, self._row_attrs(span))], 0, 0
        for name, piece in zip(letters, pieces[1:]):
            c = _COLUMNS.get(name) or _col(name)
            if c <= before:
                return None                  # cells out of column order
            before = c
            k = slots[c] if c < beyond else n
            if k != j:
                if k < j:
                    return None              # a cell where a new one goes
                out.append(b"".join(xmls[j:k]))
                j = k
            out += (b'<c r="', piece)
        if j < n:
            out.append(b"".join(xmls[j:]))
        out.append(b"</row>")
        return b"".join(out)

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
                new.append(_formula_cell(f"{letter(c)}{i}", attribute(w.style), w.f, cached.at(i, c)))
            else:                                      # (above: a cell of a new shared group, the common case)
                new.append(self._cell_xml(f"{letter(c)}{i}", w, None, cached.at(i, c)).decode("utf-8"))
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
            out += (body[pos:at], _kept_formula_xml(body[at:close + 4], cached.at(i, c), w.f))
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


def _stored_already(stored: list, c: int, column: dict[int, object]) -> bool:
    """Whether the file stores `column`'s values ({row: value}) in column c of rows that stay
    where they are: one comparison of two lists ("" and None both a blank). False as soon as
    anything differs — a value, True against 1 — and to_bytes then looks cell by cell."""
    i = c - 1
    if min(column, default=1) < 1:
        return False
    try:
        rows = list(column)
        have = list(map(itemgetter(i), stored[rows[0] - 1:rows[-1]])) \
            if rows and rows == list(range(rows[0], rows[-1] + 1)) else [stored[r - 1][i] for r in rows]
        values = list(column.values())
        if have != values:
            have, values = list(map(_BLANK, have, have)), list(map(_BLANK, values, values))
            if have != values:
                return False
    except (IndexError, TypeError):          # a short row; a value that is no plain value
        return False
    return bool not in set(map(type, have)) and bool not in set(map(type, values))


_BLANK = {"": None}.get          # (called with a value twice: the value itself unless it is "")


_TEXT = {str, type(None)}
_CELL_LETTERS = re.compile(rb'<c r="([A-Z]+)\d')


@lru_cache(maxsize=64)
def _slots(columns: tuple[int, ...]) -> list[int]:
    """For each column up to the last of `columns` (ascending): how many of them lie left of
    it, or -1 for one of them (a file's cell there cannot take a new one)."""
    taken = set(columns)
    return [-1 if c in taken else bisect_left(columns, c) for c in range(columns[-1] + 1)]


def _column_cells(letter: str, attr: str, first: int, last: int, master: str, child: str,
                  shows: dict) -> list[bytes]:
    """The XML of a run's cells, rows first..last of a column: the first holds the group's
    `master` <f>, the others `child`; each shows its cached value (`shows`: {row: value}).
    Encoded at once (a cell's XML never holds \x01, which XML forbids: it parts them)."""
    rows = range(first, last + 1)
    values = list(map(shows.get, rows))
    if set(map(type, values)) <= _TEXT:      # text throughout (keys, names, 是/否; a blank shows as
        texts = _texts([v or "" for v in values])                  # "", as _shown has it): escaped at once
        tail = f'"{attr} t="str">{child}<v>'
        cells = [f'<c r="{letter}{r}{tail}{text}</v></c>' for r, text in zip(rows, texts)]
        cells[0] = f'<c r="{letter}{first}"{attr} t="str">{master}<v>{texts[0]}</v></c>'
    else:
        cells = [_formula_cell(f"{letter}{r}", attr, child, shown) for r, shown in zip(rows, values)]
        cells[0] = _formula_cell(f"{letter}{first}", attr, master, values[0])
    return "\x01".join(cells).encode("utf-8").split(b"\x01")


def _texts(values: list[str]) -> list[str]:
    """_text of each of `values`: in one pass over them all when every one is printable (no
    character XML forbids; \x01 then parts them)."""
    if not all(map(str.isprintable, values)):
        return list(map(_text, values))
    return _escaped("\x01".join(values)).split("\x01")


def _formula_cell(ref: str, attr: str, f: str, shown) -> str:
    """A formula cell's XML: its <f> element `f`, showing `shown` (_shown, the common kinds
    without its call)."""
    kind = type(shown)
    if kind is str:
        return f'<c r="{ref}"{attr} t="str">{f}<v>{_text(shown)}</v></c>'
    if kind is float or kind is int:
        return f'<c r="{ref}"{attr}>{f}<v>{shown!r}</v></c>'
    t, v = _shown(shown)
    return f'<c r="{ref}"{attr}{t}>{f}{v}</c>'


def _by_row(blocks: dict[tuple[int, int], list[tuple[int, list[bytes]]]]) -> dict[int, tuple]:
    """{row: (columns ascending, XML of each)} of runs' cells given as {(first, last): [(column,
    XML of rows first..last)]}: runs over the same rows (a stretch of new records) are put
    together at once."""
    if len(blocks) == 1:
        (first, last), runs = next(iter(blocks.items()))
        runs = sorted(runs, key=itemgetter(0))
        columns = tuple(c for c, _ in runs)
        return dict(zip(range(first, last + 1), zip(repeat(columns), zip(*(cells for _, cells in runs)))))
    per_row: dict[int, dict[int, bytes]] = {}
    for (first, last), runs in blocks.items():
        for c, cells in runs:
            for r, xml in zip(range(first, last + 1), cells):
                per_row.setdefault(r, {})[c] = xml
    out = {}
    for r, cells in per_row.items():
        columns = tuple(sorted(cells))
        out[r] = (columns, tuple(cells[c] for c in columns))
    return out
