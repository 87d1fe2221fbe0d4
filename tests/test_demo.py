"""The demo: the figures a newcomer sees stay what they were, and it shows its progress.

The demo types its books in batches (one load and save per workbook) and builds the order
desk's books on the second core; these figures, printed by `kefu-xl demo`, were taken from
the demo as it was before, when every step loaded and saved its workbook on its own."""
from __future__ import annotations

import io
import shutil
from collections import Counter
from pathlib import Path

from click.testing import CliRunner
from rich.console import Console

from kefu_xl.app.report import online_summary, summary_rows
from kefu_xl.app.workspace import init_workspace
from kefu_xl.cli import cli
from kefu_xl.demo.run import DEMO_STEPS, MARKER, clear_for_demo
from kefu_xl.demo.show import _print_short, _Progress


def test_demo_key_figures_are_the_ones_it_always_printed(demo_built):
    _, done, _, _ = demo_built
    assert done["recalc"].result.summary_rows == [
        # valid work as seed 001 defines it (docs/work.md): a call counts with its 满意度, an optimisation when
        # the client accepted it, a renewal when the money arrived, an invitation when the client came
        ["张敏", "三星", "14", "82.7%", "144", "6.86", "是"], ["李娜", "三星", "14", "79.8%", "138", "6.57", "是"],
        ["王芳", "二星", "42", "79.7%", "233", "11.10", "是"], ["刘洋", "二星", "42", "80.1%", "244", "11.62", "是"],
        ["陈静", "二星", "42", "84.2%", "248", "11.81", "是"], ["杨帆", "一星", "49", "80.5%", "241", "11.48", "是"],
        ["赵磊", "一星", "49", "79.7%", "242", "11.52", "是"], ["周婷", "一星", "48", "82.3%", "245", "11.67", "是"]]
    renewal = done["renewal"].result.summary_rows
    assert [r[0] for r in renewal] == ["张敏", "李娜", "王芳", "刘洋", "陈静", "杨帆", "赵磊", "周婷"]
    assert [r[6] for r in renewal] == ["20,000.00", "0.00", "8,000.00", "10,000.00", "20,000.00", "20,000.00",
                                       "40,000.00", "11,000.00"]               # one money format (issue 41)
    assert [r[1:4] for r in done["newclient"].result.summary_rows[5:]] == [
        ["7", "3", "14.3%"], ["7", "2", "14.3%"], ["6", "6", "83.3%"]]
    orders = done["orders"].result.summary_rows
    assert len(orders) == 30 and orders[0] == ["2026秋季家博会", "欧派家居", "5", "3", "200.00", "800.00"]
    assert done["refunds"].result.summary_rows == [["60", "38", "9", "4", "9", "140,100.00", "4,900.00", "—"]]
    assert done["complaints"].result.summary_rows[0][:4] == ["51", "20", "3", "9"]
    assert done["callbacks"].result.summary_rows == [["119", "36", "71", "12", "86%", "126", "27%"]]
    assert done["onlinesales"].result.summary_rows == [
        ["300", "215", "71.7%", "33", "15.3%", "1,013,900.00", "180", "28", "35,486.50"]]
    assert done["archive"].result.summary_rows == [["300", "300", "11", "15", "300", "38"]]   # fewer calls count
    assert sorted(Counter(r.code for r in done["settle"].results).items()) == [
        ("ALREADY_SETTLED", 1), ("CALLBACK_NO_DEAL", 28), ("COMPLAINT_OPEN", 19), ("DUPLICATE", 1),
        ("NEEDS_CALLBACK", 47), ("NOT_IN_CRM", 1), ("NOT_ISSUED_TO_MERCHANT", 1), ("OK", 826), ("OK_CALLBACK", 68),
        ("REFUNDED", 22), ("REFUND_PENDING", 11)]
    data = done["report"].data
    assert summary_rows(data)[-1] == ["合计", "81.1%", "1735", "10.33", "51.3%", "2", "129,000.00", "1,290.00",
                                      "20", "35.0%", "14.5%"]          # + 计划完成率 (每日小结's days; the demo keeps two)
    assert "成交金额 1,013,900.00" in online_summary(data)
    desk = done["desk"]
    assert (desk["checks"], len(desk["watch"].found), str(desk["watch"].day)) == (81, 8, "2026-11-27")


def test_the_demo_announces_every_step_it_counts(demo_built):
    _, _, steps, _ = demo_built
    assert len(steps) == DEMO_STEPS
    assert len(set(steps)) == len(steps) and all(steps)


def test_the_demo_fits_on_one_screen_with_a_table_per_role(demo_built):
    """Issue 41: after its steps the demo prints one screen — a 客服's 今日, the manager's team,
    finance's settlement, the problems as counts and what to run next — in an 80-column terminal."""
    _, done, _, _ = demo_built
    out = io.StringIO()
    _print_short(Path("kefu-demo"), Console(file=out, width=80, highlight=False, markup=False), done)
    lines = out.getvalue().splitlines()
    assert len(lines) + 1 + DEMO_STEPS + 1 <= 60, len(lines)
    text = out.getvalue()
    for title in ("客服 · 张敏的今日", "客服经理 · 2026-11", "财务 · 2026-11 商家结算", "接着看："):
        assert title in text, title
    assert "│ 合计 │      81.1% │       1735 │" in text                   # the statement's figures
    assert "_" not in "".join(line for line in lines if "│" in line)      # no codes in the tables


def test_progress_prints_a_line_per_finished_step():
    out = io.StringIO()
    console = Console(file=out, width=200, highlight=False, markup=False)
    with _Progress(console, 3) as progress:
        progress("建立工作区")
        progress("开月")
        progress("重算")
    lines = out.getvalue().splitlines()
    assert [line.split(" …… ")[0] for line in lines] == ["[ 1/3] 建立工作区", "[ 2/3] 开月", "[ 3/3] 重算"]
    assert all(line.endswith(" 秒") for line in lines)


def test_progress_leaves_the_last_step_open_when_the_build_fails():
    out = io.StringIO()
    console = Console(file=out, width=200, highlight=False, markup=False)
    try:
        with _Progress(console, 2) as progress:
            progress("建立工作区")
            progress("开月")
            raise RuntimeError("坏了")
    except RuntimeError:
        pass
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].startswith("[ 1/2] 建立工作区 …… ")      # 开月 never finished


def test_kefu_xl_demo_prints_its_steps_one_screen_and_what_to_run_next(demo_built, tmp_path, monkeypatch):
    """`kefu-xl demo kefu-demo` through the command line: each step with its time, where the
    workspace is, the one screen and the hints (the build is the session's, replayed)."""
    from kefu_xl.demo import show
    _, done, steps, built = demo_built

    def replay(folder, step):
        shutil.copytree(built, folder)
        for text in steps:
            step(text)
        return done
    monkeypatch.setattr(show, "build_demo", replay)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["demo", "kefu-demo"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line[:7] for line in lines[1:1 + DEMO_STEPS]] == [f"[{i:>2}/{DEMO_STEPS}]" for i in range(1, DEMO_STEPS + 1)]
    assert lines[1 + DEMO_STEPS].startswith("演示工作区已建好，用时 ") and str(tmp_path / "kefu-demo") in lines[1 + DEMO_STEPS]
    assert "客服 · 张敏的今日" in result.output and "kefu-xl collect 2026-11 --dir kefu-demo" in result.output
    assert len(lines) <= 60 and (tmp_path / "kefu-demo" / "2026-11" / "维护跟踪_2026-11.xlsx").exists()


def test_the_demo_never_empties_a_folder_it_did_not_make(tmp_path, monkeypatch):
    """`kefu-xl demo FOLDER` rebuilds an earlier demo, but a real workspace, someone's files, the
    folder it runs in or one above it are refused untouched (it used to delete any FOLDER)."""
    real = tmp_path / "客服部"
    init_workspace(real)
    (real / "我的笔记.txt").write_text("别删", "utf-8")
    before = sorted(p.relative_to(real) for p in real.rglob("*"))
    result = CliRunner().invoke(cli, ["demo", str(real)])
    assert result.exit_code == 1 and "不是 kefu-xl 演示生成的" in result.output and "kefu-demo" in result.output
    assert sorted(p.relative_to(real) for p in real.rglob("*")) == before
    monkeypatch.chdir(real)
    for here in (".", str(tmp_path)):
        result = CliRunner().invoke(cli, ["demo", "--dir", here])
        assert result.exit_code == 1 and "现在所在的文件夹" in result.output, here
    assert (real / "我的笔记.txt").read_text("utf-8") == "别删"


def test_an_earlier_demo_and_an_empty_folder_are_made_room_in(tmp_path):
    earlier = tmp_path / "kefu-demo"
    earlier.mkdir()
    (earlier / MARKER).write_text("", "utf-8")
    (earlier / "旧文件.xlsx").write_bytes(b"old")
    clear_for_demo(earlier)
    assert not earlier.exists()
    empty = tmp_path / "空"
    empty.mkdir()
    clear_for_demo(empty)
    assert empty.is_dir()
