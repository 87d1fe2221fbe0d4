"""Shared formula groups: kept whole when rows move or a master is rewritten, new cells of one
template written as one group (a filled-down column), formulas already right joined to it."""
from __future__ import annotations

from operator import itemgetter

from openpyxl.utils import get_column_letter

from .cells import _master_f, _text
from .common import _UNCHANGED, Unsupported, _Write


class SharedMixin:
    """PatchSheet's shared formula groups."""

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
                    self.cached[at] = was[c0 - 1] if c0 <= len(was) and was[c0 - 1] != "" else None
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
        si = max([*self.masters, *self.children, *self._run_si, -1]) + 1
        for c, cells in sorted(by_col.items()):       # numbered left to right, whatever order the cells came in
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
        columns, grid, stored, added = self.cached.columns, self.grid, self.stored, []
        for cell, run in self.held.items():
            r, c = cell
            if cell in masters:
                continue
            if r not in columns.get(c, ()):  # rows stay in place here: the file's row r is row r
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

