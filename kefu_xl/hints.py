"""Next-step hints: a kefu-xl command written as the user would type it where they stand — with
`--dir` when the workspace is not the current folder, and files by their path from here — so
every hint a command prints can be copied and run as it is."""
from __future__ import annotations

import os
from pathlib import Path


def here(path: Path) -> str:
    """`path` as typed from the current folder: relative when it lies below it, else absolute;
    quoted when it holds a space."""
    path = Path(path)
    try:
        shown = os.path.relpath(path.resolve(), Path.cwd().resolve())
    except ValueError:                      # another drive (Windows)
        shown = str(path.resolve())
    if shown.startswith(".."):
        shown = str(path.resolve())
    return f'"{shown}"' if " " in shown else shown


def is_current(folder: Path) -> bool:
    try:
        return Path(folder).resolve() == Path.cwd().resolve()
    except OSError:
        return False


def command(text: str, workspace: Path | None = None) -> str:
    """`kefu-xl {text}`, with `--dir` naming `workspace` when it is not the current folder."""
    line = f"kefu-xl {text}"
    if workspace is not None and not is_current(workspace):
        line += f" --dir {here(workspace)}"
    return line
