"""The CRM order export (docs/settle.md): read whole, as text, order numbers cleaned — settle checks every claimed order against it, the complaint ledger its order numbers."""
from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputFileError
from ..records import Problem
from .headers import aliases_near
from .tables import csv_encoding, locate_header, read_table, table_from_grid
from .values import parse_id

if TYPE_CHECKING:
    import pandas as pd

CRM = "CRM订单"


CRM_HEADERS = ["订单号", "商家", "类目", "活动场次", "网友姓名", "手机", "成交金额", "订单状态", "下单日期"]


def clean_orders(column: pd.Series) -> pd.Series:
    """Order numbers as text without spaces. Plain ASCII digits (nearly all of a million-row
    export) are kept as they are; only the rest (spaces, full-width digits, floats from a
    spreadsheet) goes through the careful per-value normaliser."""
    text = column.astype(str)
    plain = text.str.isascii() & text.str.isdigit()
    if not plain.all():
        text = text.where(plain, column[~plain].map(parse_id))
    return text


def read_crm_export(path: Path, problems: list[Problem]) -> pd.DataFrame | None:
    """Every row of the CRM export (csv in UTF-8/GBK, or xlsx) as text, indexed by its row in
    the file, order numbers cleaned; None when its headers are wrong (the problems say why)."""
    import pandas as pd  # heavy: loaded when a CRM export is read, not with the CLI
    if path.suffix.lower() == ".csv":
        frame, header_row = _crm_frame_from_csv(path, problems)
        if frame is None:
            return None
        frame.index = range(header_row + 1, header_row + 1 + len(frame))
    else:
        table = read_table(path, CRM_HEADERS)
        problems.extend(table.problems)
        if table.problems:
            return None
        frame = pd.DataFrame([v for _, v in table.rows], columns=CRM_HEADERS, dtype=object)
        frame.index = [r for r, _ in table.rows]
    return frame.assign(订单号=clean_orders(frame["订单号"]))


def _crm_frame_from_csv(path: Path, problems: list[Problem]):
    """The CRM export as text columns. pandas reads the file itself in the detected encoding
    (handing it decoded text instead is six times slower at a million rows); the header row
    is found and named as every other input's (io.headers: variants and [headers] aliases)."""
    import pandas as pd
    data = path.read_bytes()
    encoding = csv_encoding(data, path.name)
    head = data[:65536].decode(encoding, errors="ignore").splitlines()[:10]
    tabs = sum(line.count("\t") for line in head) > sum(line.count(",") for line in head)
    grid = [list(r) for r in csv.reader(head, csv.excel_tab if tabs else csv.excel)]
    aliases = aliases_near(path)
    header_index, columns = locate_header(grid, CRM_HEADERS, aliases)
    if header_index < 0 or len(columns) < len(CRM_HEADERS):
        problems.extend(table_from_grid(grid, path.name, "", CRM_HEADERS, aliases=aliases).problems)
        return None, 0
    try:
        frame = pd.read_csv(path, encoding=encoding, skiprows=header_index, dtype=str, keep_default_na=False,
                            skipinitialspace=True, engine="c", sep="\t" if tabs else ",")
    except pd.errors.ParserError as e:
        raise InputFileError(f"{path.name} 无法读取：{csv_trouble(str(e))}") from None
    frame = frame.iloc[:, [columns[h] - 1 for h in CRM_HEADERS]]
    frame.columns = CRM_HEADERS
    return frame[CRM_HEADERS], header_index + 1


def csv_trouble(message: str) -> str:
    """pandas' English parser error as what a person can fix, with the line of the file
    (pandas counts lines of the whole file, 1-based in "line N", 0-based in "row N")."""
    fields = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
    if fields:
        expected, line, saw = map(int, fields.groups())
        return (f"第 {line} 行有 {saw} 列，表头只有 {expected} 列。这一行可能有没加引号的逗号"
                f"（例如金额 1,000 应导出为 \"1,000\" 或 1000），或是把两行连在了一起。请在 CRM 中重新导出（CSV 格式），"
                f"或在 Excel 中打开这个文件检查这一行，另存为 .xlsx 后放回原处。")
    quote = re.search(r"EOF inside string starting at row (\d+)", message)
    if quote:
        return (f"第 {int(quote.group(1)) + 1} 行有一个引号（\"）一直没有配对，文件可能被截断了，"
                f"或某个单元格里有多余的引号。请重新导出完整的 CRM 订单。")
    return "文件格式不对（可能被截断，或引号、逗号不配对），请重新导出完整的 CRM 订单。"
