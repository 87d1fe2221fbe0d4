#!/usr/bin/env python3
"""Show that a change of the code's shape changed nothing it writes: the demo workspace is built
once by a base revision, then the same day is run on two copies — recalc of every team
workbook, collect, a personal recalc after a typed record, month open --refresh — once with the
base revision's code and once with the working tree's; every zip part of every workbook must be
byte-identical (timestamps of when a file was made, a plan was drawn or a 日志 line written masked).

    python scripts/same_output.py [--base REV]        (default: HEAD)

Exit 0 when every file is the same; else each difference is listed and the exit is 1."""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AS_OF = "2026-11-27"
# the moments things ran: a file made, a plan drawn, a 日志 line written ("12-07 19:43" on the 日志 sheet)
STAMP = re.compile(rb"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d+)?|\b\d\d-\d\d \d\d:\d\d\b")


def kefu(code: Path, workspace: Path, *args: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(code)}
    done = subprocess.run([sys.executable, "-c", "from kefu_xl.cli import cli; cli()", *args], cwd=workspace,
                          env=env, capture_output=True, text=True)
    if done.returncode not in (0, 1) or "内部错误" in done.stdout + done.stderr or "Traceback" in done.stderr:
        raise SystemExit(f"{code}: kefu-xl {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


def type_a_record(code: Path, workspace: Path) -> None:
    """The day's edit: a record typed into a personal workbook, as a person would (openpyxl)."""
    script = (
        "import openpyxl,sys,datetime\n"
        "p=sys.argv[1]\nwb=openpyxl.load_workbook(p)\nws=wb['工作记录']\n"
        "h={c.value:c.column for c in ws[2] if c.value}\n"
        "r=max(r for r in range(3,ws.max_row+1) if ws.cell(r,h['日期']).value is not None)+1\n"
        "for k,v in (('日期',datetime.date(2026,11,27)),('帐户ID','GA10001'),('工作类型','报表发送'),"
        "('沟通对象','决策人'),('内容摘要','对比用')):\n    ws.cell(r,h[k]).value=v\nwb.save(p)\n")
    subprocess.run([sys.executable, "-c", script, str(workspace / "2026-11" / "个人" / "张敏_2026-11.xlsx")],
                   env={**os.environ, "PYTHONPATH": str(code)}, check=True)


def the_day(code: Path, workspace: Path) -> None:
    type_a_record(code, workspace)
    for path in sorted((workspace / "2026-11").glob("*.xlsx")):
        if not path.name.startswith(("结算", "绩效提成")):
            kefu(code, workspace, "recalc", str(path), "--as-of", AS_OF)
    kefu(code, workspace, "collect", "2026-11", "--dir", ".", "--as-of", AS_OF)
    kefu(code, workspace, "recalc", "2026-11/个人/张敏_2026-11.xlsx", "--as-of", AS_OF)
    kefu(code, workspace, "month", "open", "2026-11", "--dir", ".", "--refresh", "--as-of", AS_OF)


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: STAMP.sub(b"<time>", z.read(n)) for n in z.namelist() if not n.startswith("docProps/")}


def compare(a: Path, b: Path) -> list[str]:
    diffs = []
    files_a = {p.relative_to(a) for p in a.rglob("*.xlsx") if ".kefu-backup" not in p.parts}
    files_b = {p.relative_to(b) for p in b.rglob("*.xlsx") if ".kefu-backup" not in p.parts}
    for missing in sorted(files_a ^ files_b):
        diffs.append(f"{missing}: only in {'base' if missing in files_a else 'working tree'}")
    for rel in sorted(files_a & files_b):
        pa, pb = parts(a / rel), parts(b / rel)
        for name in sorted(set(pa) | set(pb)):
            if pa.get(name) != pb.get(name):
                diffs.append(f"{rel} {name}: differs")
    return diffs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="HEAD")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kefu-same-"))
    base = work / "base"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(base), args.base], check=True,
                   capture_output=True)
    try:
        demo = work / "demo"
        build = ("try:\n    from kefu_xl.demo.run import build_demo\n"
                 "except ImportError:\n    from kefu_xl.demo import build_demo\n"      # before the demo was a package
                 f"build_demo(__import__('pathlib').Path({str(demo)!r}))")
        done = subprocess.run([sys.executable, "-c", build], env={**os.environ, "PYTHONPATH": str(base)},
                              capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"the demo did not build with {args.base}:\n{done.stdout}\n{done.stderr}")
        runs = {}
        for name, code in (("base", base), ("tree", ROOT)):
            runs[name] = work / name / "office" if name == "tree" else work / "base-office"
            shutil.copytree(demo, runs[name])
            the_day(code, runs[name])
        diffs = compare(runs["base"], runs["tree"])
        files = sum(1 for p in runs["tree"].rglob("*.xlsx") if ".kefu-backup" not in p.parts)
        for line in diffs:
            print(line)
        print(f"{files} workbooks compared with {args.base}: {len(diffs)} differences")
        return 1 if diffs else 0
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
