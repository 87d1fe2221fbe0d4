"""Refuse hostile or broken workbook files before any parser expands them: zip bombs
(declared sizes and compression ratios) and XML entity declarations (billion laughs)."""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

from ..errors import InputFileError

MAX_TOTAL_BYTES = 512 * 1024 * 1024      # uncompressed size of all parts together
MAX_RATIO = 200                          # uncompressed : compressed of any one large part
_DTD = re.compile(rb"<!(DOCTYPE|ENTITY)", re.I)


def check_zip(path: Path) -> None:
    """Look at the zip directory and the XML prologues only: nothing is expanded in full."""
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
            total = sum(i.file_size for i in infos)
            if total > MAX_TOTAL_BYTES:
                raise InputFileError(f"{path.name} 解压后有 {total // 1024 // 1024} MB，超过 {MAX_TOTAL_BYTES // 1024 // 1024} MB 的上限："
                                     f"文件可能是恶意构造的（zip 炸弹），kefu-xl 拒绝读取。")
            for i in infos:
                if i.file_size > 10 * 1024 * 1024 and i.compress_size and i.file_size / i.compress_size > MAX_RATIO:
                    raise InputFileError(f"{path.name} 中的 {i.filename} 压缩比异常（{i.file_size // i.compress_size}:1）："
                                         f"文件可能是恶意构造的（zip 炸弹），kefu-xl 拒绝读取。")
            for i in infos:
                if i.filename.endswith((".xml", ".rels")):
                    with z.open(i) as fh:
                        head = fh.read(4096)
                    if _DTD.search(head):
                        raise InputFileError(f"{path.name} 的 {i.filename} 含有 XML 实体声明（DOCTYPE/ENTITY），"
                                             f"正常的 Excel 文件不会有：可能是恶意文件，kefu-xl 拒绝读取。")
    except zipfile.BadZipFile:
        raise InputFileError(f"{path.name} 不是有效的 Excel 工作簿，或文件已损坏（zip 结构不完整）："
                             f"请在 Excel/WPS 中打开确认，另存为 .xlsx 后再运行。") from None
    except (EOFError, OSError, zipfile.LargeZipFile, NotImplementedError) as e:
        raise InputFileError(f"{path.name} 已损坏，无法读取（{type(e).__name__}）：请重新导出或从备份恢复。") from None
