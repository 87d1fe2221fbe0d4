#!/usr/bin/env python3
"""Benchmark (not a test) of `kefu-xl serve` on a department of this month:

    python scripts/bench_serve.py                      # 100 people, 5,000 accounts, 20,000 records, 10 s poll
    python scripts/bench_serve.py --people 10 --records 2000 --poll 1 --saves 5

Builds the workspace (month open of the current month, each person's records typed into
their own workbook), starts serve as its own process (plan_at 00:00, so the morning plans
are made at start), and measures from its log and the files:
- the start-up: morning plans of every personal workbook, then the first collection;
- the time from a person's save (a new version put in place, as Excel and WPS save) to the
  recalculated file on disk, for --saves saves spread over the poll interval;
- the CPU serve uses while idle (/proc, over --idle seconds);
- the time from SIGTERM to the process gone.
"""
from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import openpyxl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kefu_xl.app.serve_state import LOG_NAME  # noqa: E402
from kefu_xl.app.workspace import init_workspace, open_month  # noqa: E402
from kefu_xl.calendar import WorkCalendar  # noqa: E402
from kefu_xl.config import load_config  # noqa: E402
from kefu_xl.demo.run import write_status  # noqa: E402
from kefu_xl.io.safe_write import file_stamp, save_workbook  # noqa: E402
from kefu_xl.kinds import maintenance, personal  # noqa: E402
from kefu_xl.month import Month  # noqa: E402
from kefu_xl.sheets.layout import find_layout  # noqa: E402

TYPES = ["电话拜访", "电话拜访", "报表发送", "帐户优化", "上门拜访"]


def build(folder: Path, people: int, n_accounts: int, n_records: int, poll: float, rng: random.Random) -> Month:
    today = date.today()
    month = Month.of(today)
    staff = [{"客服": f"客服{i:03d}", "星级": "一星", "入职日期": date(2023, 1, 1), "在职": "是"} for i in range(people)]
    init_workspace(folder, staff=staff)
    config = folder / "kefu-xl.toml"
    text = config.read_text("utf-8")
    for key, value in (("plan_at", '"00:00"'), ("poll_seconds", str(poll))):
        text = re.sub(rf"^{key} = .*$", f"{key} = {value}", text, count=1, flags=re.M)
    text = re.sub(r"^workdays = \[\]$", f'workdays = ["{today.isoformat()}"]', text, count=1, flags=re.M)
    config.write_text(text, "utf-8")
    rows = [[f"A{100000 + i}", f"客户{i}", f"客服{i % people:03d}", "建材", round(rng.uniform(1, 3000), 2),
             rng.randint(0, 50000), month.first + timedelta(days=300), date(2024, 1, 1)] for i in range(n_accounts)]
    write_status(folder / str(month) / "inputs" / "帐户状态.xlsx", rows)
    days = WorkCalendar(load_config(config)).workdays_between(month.first, month.last)
    started = time.monotonic()
    open_month(folder, month, as_of=days[0] if days[0] != today else days[-1])
    print(f"month open ({n_accounts:,} accounts, {people} personal workbooks): {time.monotonic() - started:.1f} s")
    sheet = personal.spec(load_config(config), month).sheet(personal.WORK)
    mine: dict[str, list] = {}
    for row in rows:
        mine.setdefault(row[2], []).append(row)
    for name, accounts in mine.items():
        path = personal.path_of(folder, name, month)
        wb = openpyxl.load_workbook(path)
        ws = wb[personal.WORK]
        layout, _ = find_layout(ws, sheet)
        for i in range(n_records // people):
            r = layout.first_data_row + i
            ws.cell(r, layout.columns["日期"], rng.choice([d for d in days if d <= today] or days[:1]))
            ws.cell(r, layout.columns["帐户ID"], rng.choice(accounts)[0])
            ws.cell(r, layout.columns["工作类型"], rng.choice(TYPES))
            ws.cell(r, layout.columns["沟通对象"], "决策人")
        wb.save(path)
    return month


def log_lines(folder: Path) -> list[str]:
    path = folder / LOG_NAME
    return path.read_text("utf-8").splitlines() if path.exists() else []


def wait(test, timeout: float):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if test():
            return True
        time.sleep(0.05)
    raise SystemExit("timed out")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(people: int, n_accounts: int, n_records: int, poll: float, saves: int, idle: float) -> None:
    rng = random.Random(7)
    root = Path(tempfile.mkdtemp(prefix="kefu-bench-serve-"))
    try:
        folder = root / "office"
        month = build(folder, people, n_accounts, n_records, poll, rng)
        team = folder / str(month) / maintenance.file_name(month)
        started = time.monotonic()
        process = subprocess.Popen([sys.executable, "-c", "from kefu_xl.cli import cli; cli()", "serve", "--dir",
                                    str(folder)], stdout=subprocess.DEVNULL)
        wait(lambda: any("| 早计划 |" in line for line in log_lines(folder)), 600)
        first_plan = time.monotonic() - started
        wait(lambda: any(team.name in line and "汇总" in line for line in log_lines(folder)), 1800)
        collected = time.monotonic() - started
        plans = sum("早计划 | 已保存" in line for line in log_lines(folder))
        print(f"start-up: first plan after {first_plan:.1f} s (process start and imports included); "
              f"{plans} morning plans and the first collection after {collected:.1f} s")
        time.sleep(2 * poll)
        sheet = personal.spec(load_config(folder / "kefu-xl.toml"), month).sheet(personal.WORK)
        latencies = []
        for n in range(saves):
            time.sleep(rng.uniform(0, poll))                   # saves fall anywhere in the poll interval
            path = personal.path_of(folder, f"客服{rng.randrange(people):03d}", month)
            wb = openpyxl.load_workbook(path)
            ws = wb[personal.WORK]
            layout, _ = find_layout(ws, sheet)
            r = layout.first_data_row
            while ws.cell(r, layout.columns["帐户ID"]).value:
                r += 1
            ws.cell(r, layout.columns["日期"], date.today())
            ws.cell(r, layout.columns["帐户ID"], f"A{100000 + rng.randrange(n_accounts)}")
            ws.cell(r, layout.columns["工作类型"], "电话拜访")
            ws.cell(r, layout.columns["沟通对象"], "决策人")
            save_workbook(wb, path)                           # a new version put in place, as Excel does
            saved, t0 = file_stamp(path), time.monotonic()
            wait(lambda: file_stamp(path) != saved, 600)
            latencies.append(time.monotonic() - t0)
            print(f"  save {n + 1}: {path.name} recalculated {latencies[-1]:.2f} s after it was saved")
        recalcs = [float(m.group(1)) for line in log_lines(folder) if "保存后重算 | 已保存" in line
                   for m in [re.search(r"（([\d.]+) 秒", line)] if m]
        print(f"save -> recalculated file: mean {statistics.mean(latencies):.2f} s, max {max(latencies):.2f} s "
              f"(poll {poll} s; the recalc itself {statistics.mean(recalcs):.2f} s on average)")
        time.sleep(2 * poll)
        wait(lambda: not any(p.name.startswith(".~kefu-") for p in team.parent.iterdir()), 600)
        if Path(f"/proc/{process.pid}/stat").exists():
            before, t = cpu_seconds(process.pid), time.monotonic()
            time.sleep(idle)
            used = cpu_seconds(process.pid) - before
            print(f"idle CPU: {used:.2f} s in {time.monotonic() - t:.0f} s = {used / (time.monotonic() - t):.2%} of a core")
        t = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=120)
        print(f"SIGTERM -> gone: {time.monotonic() - t:.2f} s")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100)
    parser.add_argument("--accounts", type=int, default=5000)
    parser.add_argument("--records", type=int, default=20000, help="work records typed, spread over the people")
    parser.add_argument("--poll", type=float, default=10, help="[serve] poll_seconds")
    parser.add_argument("--saves", type=int, default=8)
    parser.add_argument("--idle", type=float, default=60, help="seconds of idle CPU measured")
    args = parser.parse_args()
    run(args.people, args.accounts, args.records, args.poll, args.saves, args.idle)


if __name__ == "__main__":
    main()
