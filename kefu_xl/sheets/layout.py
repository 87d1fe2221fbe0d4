"""Where each declared column and anchor sits in an actual sheet, and formula resolution.

A Layout is found by header text, so reordered or inserted user columns are fine.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from openpyxl.utils import get_column_letter

from ..io.headers import header_key, header_lookup
from ..io.tables import HEADER_SCAN_ROWS
from .spec import SheetSpec

_REF = re.compile(r"\[(?:([^\]!\[]+)!)?([@^~#]?)([^\]\[]+)\]")


@dataclass
class Layout:
    """Positions in one sheet: header row, {header: column}, {anchor label: (row, column)}."""
    sheet: str
    header_row: int
    columns: dict[str, int]
    anchors: dict[str, tuple[int, int]]

    @property
    def first_data_row(self) -> int:
        return self.header_row + 1

    def letter(self, header: str) -> str:
        return get_column_letter(self.columns[header])

    def anchor_ref(self, label: str) -> str:
        row, col = self.anchors[label]
        return f"${get_column_letter(col)}${row}"


def quote_sheet(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def resolve(template: str, layouts: dict[str, Layout], sheet: str, row: int) -> str:
    """Turn a formula template into an A1 formula (with "=") for `row` of `sheet`."""
    here = layouts[sheet]

    def ref(m: re.Match) -> str:
        other, mode, name = m.group(1), m.group(2), m.group(3)
        count = 1
        if mode == "#" and ":" in name:
            name, n = name.rsplit(":", 1)
            count = int(n)
        if other:
            lay = layouts[other]
            if mode == "@":
                return f"{quote_sheet(other)}!{lay.anchor_ref(name)}"
            col = lay.letter(name)
            if mode == "#":
                first = lay.first_data_row
                end = f":${col}${first + count - 1}" if count > 1 else ""
                return f"{quote_sheet(other)}!${col}${first}{end}"
            return f"{quote_sheet(other)}!${col}:${col}"
        if mode == "@":
            return here.anchor_ref(name)
        col = here.letter(name)
        if mode == "^":
            return f"${col}${here.header_row}:${col}{row - 1}"
        if mode == "~":
            return f"${col}${here.header_row}:${col}{row}"
        if mode == "#":
            return f"${col}${here.first_data_row}"
        return f"${col}{row}"

    return "=" + _REF.sub(ref, template)


_SENTINEL = 987654321


class RowFormula:
    """A template resolved once for a layout; `for_row(r)` is then a cheap string substitution."""

    def __init__(self, template: str, layouts: dict[str, Layout], sheet: str):
        text = resolve(template, layouts, sheet, _SENTINEL)
        self.parts = [p.split(str(_SENTINEL - 1)) for p in text.split(str(_SENTINEL))]
        self.flat = [p[0] for p in self.parts] if all(len(p) == 1 for p in self.parts) else None

    def for_row(self, row: int) -> str:
        if self.flat is not None:                # no reference to the row above: one join
            return str(row).join(self.flat)
        above = str(row - 1)
        return str(row).join(above.join(p) for p in self.parts)


def find_layout(ws, spec: SheetSpec, aliases=None) -> tuple[Layout | None, list[str]]:
    """Locate the declared headers (first 10 rows; header text compared as io.headers decides,
    with the workspace's `aliases`) and anchors; (layout, missing headers)."""
    wanted = header_lookup(spec.headers, aliases)
    best_row, best = 0, {}
    for r, row in enumerate(ws.iter_rows(min_row=1, max_row=HEADER_SCAN_ROWS, values_only=True), 1):
        found = {}
        for c, value in enumerate(row, 1):
            h = wanted.get(header_key(value))
            if h and h not in found:
                found[h] = c
        if len(found) > len(best):
            best_row, best = r, found
    missing = [h for h in spec.headers if h not in best]
    anchors = {}
    labels = {a.label for a in spec.anchors}
    for r, row in enumerate(ws.iter_rows(min_row=1, max_row=max(best_row - 1, 1), values_only=True), 1):
        for c, value in enumerate(row, 1):
            if isinstance(value, str) and value.strip() in labels:
                anchors[value.strip()] = (r, c + 1)
    missing += [f"{label}（标题行中的标签）" for label in labels - anchors.keys()]
    if not best:
        return None, missing
    return Layout(spec.name, best_row, best, anchors), missing
