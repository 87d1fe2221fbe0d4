"""Every next-step hint the CLI prints is a command that works from where the user stands: the
demo flow (init, init --expo, month open, demo, collect, report, remind …) is run from the folder
above the workspaces, every `kefu-xl …` command in its output is executed as printed, and none
may end in a usage error or an internal error."""
import io
import re
import shlex
import shutil
from datetime import date
from pathlib import Path

import openpyxl
from click.testing import CliRunner
from conftest import ROSTER, STATUS_HEADERS, write_xlsx
from rich.console import Console

from kefu_xl.cli import cli
from kefu_xl.demo.show import show_demo
from kefu_xl.month import Month

# a command as printed: words up to Chinese punctuation or the end of the line; "quoted words" too
HINT = re.compile(r'kefu-xl(?: (?:"[^"\n]*"|[^\s"，。；：、（）「」]+))+')
NOT_RUN = {"serve", "addin", "demo"}       # runs until stopped / needs Excel / rebuilds what is being tested


def hints(output: str) -> list[str]:
    return [h for h in dict.fromkeys(HINT.findall(output)) if shlex.split(h)[1] not in NOT_RUN]


def run(args: list[str]):
    result = CliRunner().invoke(cli, args)
    return result


def execute(printed: str, seen: set[str], depth: int = 2) -> list[str]:
    """Run every hint in `printed` (and the hints those print, `depth` levels); the commands run."""
    ran = []
    for hint in hints(printed):
        if hint in seen:
            continue
        seen.add(hint)
        result = run(shlex.split(hint)[1:])
        ran.append(hint)
        assert "Usage:" not in result.output and "No such option" not in result.output, (hint, result.output)
        assert "内部错误" not in result.output and result.exit_code in (0, 1), (hint, result.output)
        if depth > 1:
            ran += execute(result.output, seen, depth - 1)
    return ran


def test_every_hint_printed_in_the_demo_flow_runs(tmp_path, monkeypatch, demo_built):
    monkeypatch.chdir(tmp_path)
    this_month = Month.of(date.today())
    seen: set[str] = set()
    ran = []

    init = run(["init", "客服部"])
    assert init.exit_code == 0, init.output
    assert f"kefu-xl month open {this_month} --dir 客服部" in init.output
    wb = openpyxl.load_workbook("客服部/名册.xlsx")
    for member in ROSTER:
        wb["客服"].append([member["客服"], member["星级"], member["入职日期"], member["在职"]])
    wb.save("客服部/名册.xlsx")
    write_xlsx(tmp_path / "客服部" / str(this_month) / "inputs" / "帐户状态.xlsx", [STATUS_HEADERS, [
        "C1", "甲建材", "张敏", "建材", 2500, 100, date(2030, 1, 1), date(2024, 1, 1)]])
    ran += execute(init.output, seen)
    assert (tmp_path / "客服部" / str(this_month) / f"维护跟踪_{this_month}.xlsx").exists()   # month open ran

    expo = run(["init", "家博会", "--expo"])
    assert expo.exit_code == 0, expo.output
    ran += execute(expo.output, seen)
    assert (tmp_path / "家博会" / str(this_month) / f"退订台账_{this_month}.xlsx").exists()

    _, done, _, built = demo_built      # `kefu-demo` as `kefu-xl demo kefu-demo` builds it, and what it prints
    shutil.copytree(built, tmp_path / "kefu-demo")
    shown = Console(file=io.StringIO(), highlight=False, markup=False, width=200, soft_wrap=True)   # as piped
    show_demo(Path("kefu-demo"), shown, done)
    ran += execute(shown.file.getvalue(), seen)
    for extra in (["report", "2026-11", "--dir", "kefu-demo"], ["month", "open", "2026-11", "--dir", "kefu-demo"],
                  ["collect", "2026-11", "--dir", "kefu-demo", "--as-of", "2026-11-20"]):
        result = run(extra)
        assert "内部错误" not in result.output and result.exit_code in (0, 1), result.output
        ran += execute(result.output, seen)

    # each hint printed here named the workspace it meant, and there were hints to run
    commands = {shlex.split(h)[1] for h in ran}
    assert {"month", "orders", "collect", "remind", "calls", "watch", "greet", "recalc"} <= commands, ran
    assert all("--dir" in h or shlex.split(h)[1] in ("recalc", "check") for h in ran), ran
