"""One cell's XML: a value, a formula with its cached value, a formula cell of the file kept
with a new cached value; and the formula texts read back out of a sheet's XML."""
from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import Decimal
from html import unescape

from lxml import etree
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils.datetime import to_excel

from .common import _F_ELEMENT, _FORMULA_CELL_PLAIN, _HUGE, _SEP, Unsupported


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
    return _escaped(value)


def _escaped(value: str) -> str:
    """& < > as XML text holds them (one call for a whole column joined: write._texts)."""
    if "&" in value:
        value = value.replace("&", "&amp;")
    if "<" in value:
        value = value.replace("<", "&lt;")
    if ">" in value:
        value = value.replace(">", "&gt;")
    return value



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


