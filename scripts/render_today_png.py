#!/usr/bin/env python3
"""Render the demo's 今日 (docs/plan.md) to PNG for a day of November 2026, as each person would
have seen it that morning: the demo types the whole month, so a copy of each personal workbook
keeps only the records dated before the day, then is recalculated as of that day (LibreOffice →
PDF → pdftoppm). Prints, per person, the items above the line and the minutes they add up to.

    python scripts/render_today_png.py                        # docs/today.png: 张敏 on 2026-11-16
    python scripts/render_today_png.py --days 2026-11-02 2026-11-16 2026-11-30 --out /tmp/today
"""
import argparse
import shutil
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import openpyxl  # noqa: E402

from kefu_xl.app.workbooks import recalc_file  # noqa: E402
from kefu_xl.config import load_config  # noqa: E402
from kefu_xl.demo.run import build_demo  # noqa: E402
from kefu_xl.io.libreoffice import convert  # noqa: E402
from kefu_xl.kinds import personal  # noqa: E402
from kefu_xl.month import Month  # noqa: E402
from kefu_xl.sheets.layout import find_layout  # noqa: E402

NOV = Month(2026, 11)


def records_before(path: Path, day: date) -> None:
    """Empty the 工作记录 rows dated on or after `day` (their typed cells): the morning's view."""
    wb = openpyxl.load_workbook(path)
    sheet = personal.spec(load_config(), NOV).sheet(personal.WORK)
    ws = wb[personal.WORK]
    layout, _ = find_layout(ws, sheet)
    typed = [layout.columns[c.header] for c in sheet.columns if c.role.name == "INPUT" and c.header in layout.columns]
    for r in range(layout.first_data_row, ws.max_row + 1):
        value = ws.cell(r, layout.columns["日期"]).value
        when = value.date() if hasattr(value, "date") else value
        if isinstance(when, date) and when >= day:
            for c in typed:
                ws.cell(r, c).value = None
    wb.save(path)


def render(path: Path, png: Path, work: Path) -> None:
    wb = openpyxl.load_workbook(path)
    for name in wb.sheetnames:                    # print 今日 only
        if name != personal.TODAY:
            wb[name].sheet_state = "hidden"
    only = work / f"{png.stem}.xlsx"
    wb.save(only)
    pdf = convert(only, work / "pdf", "pdf")
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                    str(png.with_suffix(""))], check=True)


if __name__ == "__main__":
    repo = Path(__file__).resolve().parent.parent
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", nargs="+", default=["2026-11-16"])
    parser.add_argument("--out", default=str(repo / "docs"))
    parser.add_argument("--who", default="张敏", help="whose 今日 is rendered (every person's figures are printed)")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="kefu-today-"))
    try:
        build_demo(work / "office")
        for text in args.days:
            day = date.fromisoformat(text)
            office = work / f"office-{text}"
            shutil.copytree(work / "office", office)
            for path in sorted((office / str(NOV) / personal.FOLDER).glob("*.xlsx")):
                records_before(path, day)
                f = recalc_file(path, as_of=day).result.figures
                above = [r for r in f.plan_rows if r["计划内"] == personal.PLANNED]
                blocks = {b.block.name: f"{b.used}/{b.block.minutes}" for b in f.plan.blocks if b.items}
                print(f"{text} {f.owner}: {sum(r['项数'] for r in above)} 项 {sum(r['分钟'] or 0 for r in above)} 分钟 "
                      f"（{len(above)} 行）· " + " · ".join(f"{k} {v}" for k, v in blocks.items()))
                if f.owner == args.who:
                    name = "today.png" if len(args.days) == 1 else f"today-{text}.png"
                    render(path, out / name, work)
                    print(f"已生成 {out / name}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
