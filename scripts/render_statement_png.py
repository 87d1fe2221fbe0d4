#!/usr/bin/env python3
"""Render the demo's statement to docs/statement.png (LibreOffice → PDF → pdftoppm) for the README.

    python scripts/render_statement_png.py     # needs soffice, pdftoppm and a CJK font (fonts-wqy-microhei)
"""
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import openpyxl  # noqa: E402

from kefu_xl.demo.run import build_demo  # noqa: E402
from kefu_xl.io.libreoffice import convert  # noqa: E402

if __name__ == "__main__":
    repo = Path(__file__).resolve().parent.parent
    work = Path(tempfile.mkdtemp(prefix="kefu-png-"))
    try:
        build_demo(work / "office")
        statement = work / "office" / "2026-11" / "绩效提成_2026-11.xlsx"
        wb = openpyxl.load_workbook(statement)
        for name in wb.sheetnames:            # print the statement sheet only
            if name != "绩效提成":
                wb[name].sheet_state = "hidden"
        only = work / "statement.xlsx"
        wb.save(only)
        pdf = convert(only, work / "pdf", "pdf")
        subprocess.run(["pdftoppm", "-png", "-r", "110", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                        str(repo / "docs" / "statement")], check=True)
        print(f"已生成 {repo / 'docs' / 'statement.png'}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
