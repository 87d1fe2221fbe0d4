"""Blank order books into 订单台账.xlsx (docs/orders.md): numbers that carry on from the books already there."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from ..config import config_for
from ..errors import KefuError
from ..kinds.orders import (
    REGISTER,
    read_books,
    spec,
)
from ..records import Problem
from ..sheets.build import write_rows
from ..sheets.read import read_sheet
from .workbooks import update_file


def add_books(path: Path, *, books: int, size: int, start: int | None = None, prefix: str = "DB",
              stocked: date | None = None, force: bool = False) -> list[dict]:
    """Append `books` continuous books of `size` orders to the register, after checking
    that they continue the existing numbers without a gap or an overlap."""
    if books < 1 or size < 1:
        raise KefuError("本数和每本张数都必须是正整数。")
    config = config_for(path)
    wspec = spec(config)
    added: list[dict] = []

    def append(book) -> None:
        added.clear()                    # (called again when the file needs the openpyxl path)
        problems: list[Problem] = []
        data = read_sheet(book[REGISTER], wspec.sheet(REGISTER), path.name, problems) \
            if REGISTER in book.sheetnames else None
        if data is None:
            raise KefuError(f"{path.name} 的「空白订单」表头不完整，无法追加。")
        existing = read_books(data, path.name, problems)
        ends = [b.end for b in existing if b.end is not None]
        expected = max(ends) + 1 if ends else None
        first_number = start
        if first_number is None:
            if expected is None:
                raise KefuError("登记中还没有订单本：第一次追加请用 --start 指定起始订单号。")
            first_number = expected
        elif expected is not None and first_number != expected:
            what = "重叠" if first_number < expected else "中间缺号"
            raise KefuError(f"新订单本应从 {expected} 号开始（现有最大号 {expected - 1}），从 {first_number} 开始会{what}。"
                            f"请改用 --start {expected}，或不写 --start。")
        ids = {b.book_id.casefold() for b in existing}
        n = len(existing)
        for k in range(books):
            n += 1
            while f"{prefix}{n:04d}".casefold() in ids:
                n += 1
            first = first_number + k * size
            added.append({"订单本号": f"{prefix}{n:04d}", "起始号": first, "结束号": first + size - 1, "张数": size,
                          "入库日期": stocked or date.today()})
        write_rows(book[REGISTER], data.layout, wspec.sheet(REGISTER), added, data.last_row + 1)
    update_file(path, append, as_of=stocked or date.today(), force=force)
    return added
