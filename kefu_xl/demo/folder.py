"""Where the demo is built: a new or empty folder, or an earlier demo's (rebuilt); never anything else."""
from __future__ import annotations

import shutil
from pathlib import Path

from ..errors import KefuError

MARKER = ".kefu-demo"               # written into every demo folder: only such a folder is ever emptied


def clear_for_demo(folder: Path) -> None:
    """Make room for the demo in `folder`: a folder that does not exist or is empty is used as
    it is, an earlier demo (it holds MARKER) is emptied; any other folder — a real workspace,
    someone's files — is refused untouched, as is the folder the command runs in or one above it."""
    folder = Path(folder)
    if not folder.exists():
        return
    if not folder.is_dir():
        raise KefuError(f"{folder} 是一个文件，不是文件夹：演示需要一个新的文件夹名，例如 kefu-demo。")
    here = Path.cwd().resolve()
    if folder.resolve() == here or folder.resolve() in here.parents:
        raise KefuError(f"{folder} 是现在所在的文件夹（或它的上层）：演示不会清空它。请回到上一层再运行 kefu-xl demo，"
                        f"或换一个新的文件夹名，例如 kefu-xl demo kefu-demo。")
    if not any(folder.iterdir()):
        return
    if not (folder / MARKER).exists():
        raise KefuError(f"{folder} 里已有文件，而且不是 kefu-xl 演示生成的：演示不会清空它（里面可能是真实的工作区）。"
                        f"请换一个新的文件夹名，例如 kefu-xl demo kefu-demo。")
    shutil.rmtree(folder)
