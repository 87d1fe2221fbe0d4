"""Who last saved a workbook, and when, as the workbook says (docProps/core.xml): Excel, WPS
and LibreOffice write `dcterms:modified` and `cp:lastModifiedBy` at every save, and kefu-xl's
own writes leave that part as it is — so, unlike the file's modification time, it stays the
person's save after kefu-xl has recalculated the file (docs/journal.md: 补录 is judged by it)."""
from __future__ import annotations

import re
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from xml.sax.saxutils import unescape

_MODIFIED = re.compile(rb"<dcterms:modified[^>]*>([^<]+)</dcterms:modified>")
_BY = re.compile(rb"<cp:lastModifiedBy>([^<]*)</cp:lastModifiedBy>")


def last_saved(path: Path) -> tuple[datetime | None, str]:
    """(when the workbook was last saved, local time; who saved it) from docProps/core.xml;
    (the file's modification time, "") when the part or the value is missing."""
    when, who = None, ""
    try:
        with zipfile.ZipFile(path) as z:
            core = z.read("docProps/core.xml")
    except (OSError, KeyError, zipfile.BadZipFile):
        core = b""
    m = _MODIFIED.search(core)
    if m:
        try:
            stamp = datetime.fromisoformat(m.group(1).decode("ascii").strip().replace("Z", "+00:00"))
            if stamp.tzinfo is None:
                stamp = stamp.replace(tzinfo=timezone.utc)
            when = stamp.astimezone().replace(tzinfo=None)
        except ValueError:
            when = None
    b = _BY.search(core)
    if b:
        who = unescape(b.group(1).decode("utf-8", "replace")).strip()
    if when is None:
        try:
            when = datetime.fromtimestamp(path.stat().st_mtime)
        except OSError:
            when = None
    return when, who
