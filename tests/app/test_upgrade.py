"""DOMAIN §28: an upgrade never breaks a workspace or changes a past month's pay.

The demo workspace is built by each of the last two releases (their code from git, run with
this environment's libraries; cached per release commit), then this version runs the README's
daily table on it: no internal error, no missing column kefu-xl owns, Microsoft's Open XML SDK
validator finds 0 errors in every file written, and the statement it makes equals, person by
person and figure by figure, the one the old release made."""
from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from helpers import validate

from kefu_xl.cli import cli

REPO = Path(__file__).resolve().parents[2]
# the releases as CHANGELOG.md names them; the tag when the clone has it, else the commit
RELEASES = {"v0.2.0": "0876e05f10b9565011b65b1870e7c0e1baf07f97",
            "v0.3.0": "f17ba3587ad94e3c1535d51dbe4eba583aaf8999"}
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "kefu-xl-tests" / "releases"
STATEMENT = ("2026-11", "绩效提成_2026-11.xlsx")


def git(*args) -> str:
    return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True, check=True).stdout.strip()


def release_commit(tag: str) -> str:
    try:
        return git("rev-parse", "--verify", "-q", f"{tag}^{{commit}}")
    except (subprocess.CalledProcessError, FileNotFoundError):
        return RELEASES[tag]


def old_demo(tag: str) -> Path:
    """The demo workspace the release `tag` builds, made once per release commit on this machine
    (two test workers wait for one build); skipped where git cannot give the release's code."""
    commit = release_commit(tag)
    done = CACHE / commit / "demo"
    if (done / ".complete").exists():
        return done
    CACHE.mkdir(parents=True, exist_ok=True)
    lock = CACHE / f"{commit}.lock"
    for _ in range(600):
        try:
            lock.mkdir()
            break
        except FileExistsError:
            if (done / ".complete").exists():
                return done
            if time.time() - lock.stat().st_mtime > 600:      # a killed build's lock
                shutil.rmtree(lock, ignore_errors=True)
            time.sleep(1)
    try:
        if (done / ".complete").exists():
            return done
        try:
            archive = subprocess.run(["git", "-C", str(REPO), "archive", commit, "kefu_xl"], capture_output=True,
                                     check=True).stdout
        except (subprocess.CalledProcessError, FileNotFoundError):
            # a clone without the history (shallow) cannot build an old release: said in -rs
            pytest.skip(f"git cannot give release {tag} ({commit}) in this clone: the upgrade test needs "
                        f"the project's history (git clone without --depth)")
        code = CACHE / commit / "code"
        shutil.rmtree(code, ignore_errors=True)
        code.mkdir(parents=True)
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(code, filter="data")
        shutil.rmtree(done, ignore_errors=True)
        env = {**os.environ, "PYTHONPATH": str(code)}
        built = subprocess.run([sys.executable, "-c", "import sys; sys.argv[0] = 'kefu-xl'; "
                                "from kefu_xl.cli import cli; cli()", "demo", str(done)],
                               cwd=code, env=env, capture_output=True, text=True, timeout=900)
        assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
        assert str(code) in subprocess.run([sys.executable, "-c", "import kefu_xl; print(kefu_xl.__file__)"],
                                           cwd=code, env=env, capture_output=True, text=True).stdout
        (done / ".complete").write_text(commit)
        return done
    finally:
        shutil.rmtree(lock, ignore_errors=True)


def daily_table(w: Path) -> list[tuple[list[str], set[int]]]:
    """The README's daily table on the demo's November, with the exit codes each may end with:
    check says 1 when a tracker has problems (the demo's are deliberate), settle refuses input
    errors with 1 (0.2.0's demo has a form naming a merchant never issued a book, which 0.3.0's
    checks before money moves refuse)."""
    nov = w / "2026-11"
    return [
        (["month", "open", "2026-11", "--dir", w, "--refresh", "--as-of", "2026-11-27"], {0}),
        (["watch", "2026-11-27", "--dir", w], {0}),
        (["recalc", nov / "个人" / "张敏_2026-11.xlsx", "--as-of", "2026-11-27"], {0}),
        (["collect", "2026-11", "--dir", w, "--as-of", "2026-11-27"], {0}),
        *((["recalc", nov / f"{name}_2026-11.xlsx", "--as-of", "2026-11-30"], {0})
          for name in ("维护跟踪", "续费跟踪", "新客户跟踪", "退订台账", "投诉台账", "网销", "消耗监控")),
        (["check", nov / "维护跟踪_2026-11.xlsx"], {0, 1}),
        (["remind", "2026-11", "--dir", w], {0}),
        (["greet", "2026-09", "--dir", w, "--as-of", "2026-09-20"], {0}),
        (["orders", "add-books", "--books", "2", "--size", "50", "--dir", w], {0}),
        (["calls", "2026-10", "--dir", w, "--at", "2026-10-20 10:00"], {0}),
        (["settle", "2026-11", "--dir", w], {0, 1}),
        (["report", "2026-11", "--dir", w], {0}),
    ]


TYPED = ("日期", "客服", "帐户ID", "工作类型", "沟通对象", "内容摘要")


def typed_records(path: Path) -> list[tuple]:
    """The typed cells of the team 工作记录, row by row, where they stand."""
    ws = openpyxl.load_workbook(path, read_only=True)["工作记录"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    at = [rows[0].index(h) for h in TYPED]
    return [tuple(row[i] for i in at) for row in rows[1:] if any(row[i] is not None for i in at)]


def statement(path: Path) -> list[tuple]:
    """Per person (and 合计), every figure of the 绩效提成 sheet as the file shows it."""
    ws = openpyxl.load_workbook(path, data_only=True)["绩效提成"]
    rows = []
    for row in ws.iter_rows(min_row=3, values_only=True):
        if not row[0] or row[0] in ("客服",) or str(row[0]).startswith(("签字", "说明", "客服经理")):
            if rows and not row[0]:
                break
            continue
        rows.append(tuple(round(v, 9) if isinstance(v, float) else v for v in row))
    return rows


@pytest.mark.parametrize("tag", list(RELEASES))
def test_the_daily_table_runs_on_a_workspace_an_earlier_release_made(tag, tmp_path):
    source = old_demo(tag)
    w = tmp_path / "office"
    shutil.copytree(source, w, ignore=shutil.ignore_patterns(".kefu-backup", ".complete"))
    old_statement = statement(w / STATEMENT[0] / STATEMENT[1])
    assert len(old_statement) >= 9
    tracker = w / "2026-11" / "维护跟踪_2026-11.xlsx"
    typed_before = typed_records(tracker)
    start = time.time() - 1
    for args, codes in daily_table(w):
        result = CliRunner().invoke(cli, [str(a) for a in args])
        said = f"kefu-xl {' '.join(map(str, args))} →\n{result.output[-3000:]}"
        assert result.exit_code in codes, said
        assert "内部错误" not in result.output and "Traceback" not in result.output, said
        assert "MISSING_HEADER" not in result.output and "找不到表头" not in result.output, said
        if result.exit_code == 1 and args[0] == "settle":
            assert "输入数据有错误" in result.output, said
    written = sorted(p for p in w.rglob("*.xlsx") if ".kefu-backup" not in p.parts and "inputs" not in p.parts
                     and p.stat().st_mtime > start)
    assert len(written) >= 15
    assert validate(written) == []
    now = statement(w / STATEMENT[0] / STATEMENT[1])          # every figure it had; a column added since (计划完成率) aside
    assert [row[:len(old)] for row, old in zip(now, old_statement)] == old_statement and len(now) == len(old_statement)
    ws = openpyxl.load_workbook(tracker, read_only=True)["工作记录"]
    headers = [c for c in next(ws.iter_rows(min_row=2, max_row=2, values_only=True)) if c]
    assert {"满意度", "客户接受", "团队核对"} <= set(headers)           # the new columns, blank, at the right
    assert typed_records(tracker) == typed_before                  # every typed cell where it was
