"""Month open's part of the client archive (docs/archive.md): a row for each account new in 帐户状态."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from ..config import Config
from ..kinds.archive import (
    FILES,
    build,
    new_rows,
    path_of,
    spec,
)
from ..kinds.base import (
    cell_text,
    sheets_to_append,
)
from ..records import AccountStatus
from ..rules import completion
from ..sheets.build import write_rows
from .workbooks import create_file, update_file


def add_accounts(workspace: Path, statuses: list[AccountStatus], config: Config, as_of: date) -> tuple[Path, int]:
    """Month open: a row for each account new in 帐户状态 (every typed cell kept), then recalc."""
    path = path_of(workspace)
    wspec = spec(config)
    added = {}
    if path.exists():
        def append(book) -> None:
            data = sheets_to_append(book, path, wspec, (FILES,), "没有添加新帐户")[FILES]
            rows = new_rows(statuses, {completion.id_key(cell_text(v["帐户ID"])) for _, v in data.rows})
            write_rows(book[FILES], data.layout, wspec.sheet(FILES), rows, data.last_row + 1)
            added["rows"] = rows
        update_file(path, append, as_of=as_of)
        rows = added["rows"]
    else:
        rows = new_rows(statuses, set())
        create_file(path, build(config, rows), as_of=as_of)
    return path, len(rows)
