#!/usr/bin/env python3
"""Benchmark (not a test): month-end settlement at scale, side by side with its I/O floor.

    python scripts/bench_settle.py                 # 1,000,000 CRM orders, 200,000 lines, ...
    python scripts/bench_settle.py --scale 0.1     # a tenth of that, for a quick look

The floor is pure I/O: reading the same input files with the fastest readers (calamine for
xlsx, pandas for CSV) plus writing the same output cells with XlsxWriter in constant-memory
mode. Target (issue 5): settle ≤ 1.5 × floor, ≤ 30 s, peak memory ≤ 3 GB on 2 cores.
Settle is run twice: the first run of the month, then a re-run that replaces the month's
200,000 register rows. Peak memory is shown for the main process and for the process that
writes 结算_YYYY-MM.xlsx beside it (their sum bounds the total).
"""
from __future__ import annotations

import argparse
import csv
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import openpyxl  # noqa: E402

from kefu_xl.app.workspace import init_workspace, open_month  # noqa: E402
from kefu_xl.config import load_config  # noqa: E402
from kefu_xl.kinds import orders, refunds  # noqa: E402
from kefu_xl.month import Month  # noqa: E402

MONTH = Month(2026, 11)
BOOK = 50


def make(folder: Path, n_crm: int, n_lines: int, n_refunds: int, n_books: int, n_merchants: int) -> None:
    rng = random.Random(11)
    init_workspace(folder)
    (folder / "kefu-xl.toml").write_text('[workbooks]\nmonthly = ["refunds"]\n', "utf-8")
    config = load_config(folder / "kefu-xl.toml")
    merchants = [f"商家{i:04d}" for i in range(n_merchants)]
    owner = [merchants[b % n_merchants] for b in range(n_books)]
    books = [{"订单本号": f"DB{b + 1:05d}", "起始号": 100001 + b * BOOK, "结束号": 100000 + (b + 1) * BOOK, "张数": BOOK,
              "入库日期": date(2026, 9, 1)} for b in range(n_books)]
    issues = []
    for b in range(n_books):
        row = {"活动场次": "秋季家博会", "订单本号": f"DB{b + 1:05d}", "商家": owner[b], "领用日期": date(2026, 10, 1),
               "回收日期": date(2026, 10, 30), "已开": 40, "未开": 10 - (b % 7 == 0), "作废": 0}
        issues.append(row)
    from kefu_xl.io.safe_write import save_workbook
    save_workbook(orders.build(config, books, issues), folder / orders.FILE_NAME)
    open_month(folder, MONTH, as_of=date(2026, 11, 1))
    inputs = folder / str(MONTH) / "inputs"
    (inputs / "结算流转单").mkdir(parents=True, exist_ok=True)
    total = n_books * BOOK
    crm_orders = rng.sample(range(total), n_crm) if n_crm < total else list(range(total))
    with open(inputs / "CRM订单.csv", "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["订单号", "商家", "类目", "活动场次", "网友姓名", "手机", "成交金额", "订单状态", "下单日期"])
        for k in crm_orders:
            status = "成交" if k % 50 else rng.choice(["已退订", "预约退订", "作废"])
            w.writerow([100001 + k, owner[k // BOOK], "家居", "秋季家博会", "王先生", "13800001111",
                        f"{(k % 300 + 1) * 100:,}", status, "2026-11-05"])
    chosen = rng.sample(crm_orders, min(n_lines, len(crm_orders)))
    per_file = max(1, len(chosen) // 20)
    for f in range(0, len(chosen), per_file):
        wb = openpyxl.Workbook(write_only=True)
        ws = wb.create_sheet("流转单")
        ws.append(["商家", "订单号", "商家联", "网友联", "申报金额"])
        for k in chosen[f:f + per_file]:
            both = k % 7 != 0
            ws.append([owner[k // BOOK], str(100001 + k), "有", "有" if both else "无", (k % 300 + 1) * 100])
        wb.save(inputs / "结算流转单" / f"经理{f // per_file:02d}.xlsx")
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("投诉")
    ws.append(["投诉编号", "订单号", "商家", "投诉日期", "状态"])
    for i, k in enumerate(chosen[: n_lines // 200]):
        ws.append([f"T{i}", str(100001 + k), owner[k // BOOK], date(2026, 11, 3), "处理中"])
    wb.save(inputs / "投诉.xlsx")
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("回访")
    ws.append(["订单号", "核实结果", "核实金额", "核实日期"])
    for k in chosen:
        if k % 7 == 0 and k % 2:
            ws.append([str(100001 + k), "成交", (k % 300 + 1) * 100, date(2026, 11, 9)])
    wb.save(inputs / "回访核实.xlsx")
    # refunds typed into the month's ledger
    ledger = folder / str(MONTH) / refunds.file_name(MONTH)
    wb = openpyxl.load_workbook(ledger)
    ws = wb[refunds.REFUNDS]
    header = {c.value: c.column for c in ws[2]}
    for i, k in enumerate(rng.sample(crm_orders, n_refunds)):
        r = 3 + i
        ws.cell(r, header["预约编号"], f"TD{i}")
        ws.cell(r, header["预约日期"], date(2026, 11, 2))
        ws.cell(r, header["订单号"], str(100001 + k))
        ws.cell(r, header["计划退订日期"], date(2026, 11, 9))
        if i % 2:
            ws.cell(r, header["商家确认"], "可退")
            ws.cell(r, header["退款日期"], date(2026, 11, 9))
            ws.cell(r, header["退款金额"], 100)
    wb.save(ledger)


def output_cells(out: Path, only: list[str] | None = None) -> list[tuple[str, list]]:
    """The cells of a written workbook (read before a floor is timed), of every sheet or of
    those in `only`: values, and formulas as their text (shared ones spelled out)."""
    book = openpyxl.load_workbook(out, read_only=True)
    try:
        return [(ws.title, [list(r) for r in ws.iter_rows(values_only=True)])
                for ws in (book.worksheets if only is None else [book[name] for name in only])]
    finally:
        book.close()


def write_cells(target: Path, sheets: list[tuple[str, list]]) -> int:
    """Write these sheets' cells with XlsxWriter in constant-memory mode (the fastest writer
    a floor counts); the number of cells written."""
    import xlsxwriter
    wb, cells = xlsxwriter.Workbook(str(target), {"constant_memory": True}), 0
    for title, rows in sheets:
        sheet = wb.add_worksheet(title)
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if v is not None:
                    sheet.write(r, c, v)
                    cells += 1
    wb.close()
    return cells


def floor(folder: Path, sheets: list[tuple[str, list]]) -> None:
    """Read the same inputs with the fastest readers; write the same cells with XlsxWriter."""
    import pandas as pd
    from python_calamine import CalamineWorkbook
    inputs = folder / str(MONTH) / "inputs"
    pd.read_csv(inputs / "CRM订单.csv", dtype=str, encoding="utf-8-sig")
    cells = 0
    for path in [*sorted((inputs / "结算流转单").glob("*.xlsx")), inputs / "投诉.xlsx", inputs / "回访核实.xlsx",
                 folder / orders.FILE_NAME, folder / str(MONTH) / refunds.file_name(MONTH)]:
        wb = CalamineWorkbook.from_path(str(path))
        for name in wb.sheet_names:
            cells += sum(len(r) for r in wb.get_sheet_by_name(name).to_python())
    write_cells(folder / "floor.xlsx", sheets)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    run(parser.parse_args().scale)


def run(s: float) -> None:
    n = dict(n_crm=int(1_000_000 * s), n_lines=int(200_000 * s), n_refunds=int(50_000 * s),
             n_books=int(20_000 * s), n_merchants=max(10, int(2_000 * s)))
    folder = Path(tempfile.mkdtemp(prefix="kefu-bench-settle-")) / "office"
    try:
        t = time.perf_counter()
        make(folder, **n)
        print(f"set-up {n}: {time.perf_counter() - t:.1f} s", flush=True)
        code = ("import resource, sys, time; from pathlib import Path; from kefu_xl.app.settle import settle_month; "
                "from kefu_xl.month import Month; t = time.perf_counter(); "
                f"o = settle_month(Path(r'{folder}'), Month(2026, 11)); "
                "print(f'{time.perf_counter() - t:.2f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} '"
                "f'{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f} {len(o.results)}')")
        runs = []
        for label in ("settle end-to-end", "settle again (re-run)"):
            proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                  cwd=Path(__file__).resolve().parent.parent)
            if proc.returncode:
                print(proc.stderr[-2000:])
                return
            seconds, peak, child, lines = proc.stdout.split()
            runs.append(float(seconds))
            print(f"{label:30s} {float(seconds):8.2f} s   peak {float(peak):5.0f} MB + writer process {float(child):4.0f} MB"
                  f"   ({int(lines):,} lines)", flush=True)
        out = folder / str(MONTH) / f"结算_{MONTH}.xlsx"
        cells = output_cells(out)
        t = time.perf_counter()
        floor(folder, cells)
        f = time.perf_counter() - t
        print(f"floor (calamine/pandas read + XlsxWriter write) {f:8.2f} s")
        print(f"ratio settle / floor           {runs[0] / f:8.2f}   (re-run {runs[1] / f:.2f})")
    finally:
        shutil.rmtree(folder.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
