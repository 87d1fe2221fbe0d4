"""DOMAIN §20, safe in the real daily loop: every kind goes through every command that rewrites
it after a person saved it in Excel with things of their own (tests/excel_saved.py). What
they added comes through byte for byte, Excel finds no stale calcChain entry and no sheet
view with too many selections, and Microsoft's Open XML SDK validator finds 0 errors in
every file written."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from excel_saved import ExcelSaved, calc_chain_problems, excel_saved, most_selections
from helpers import validate

from kefu_xl.cli import cli
from kefu_xl.io.xlsx.package import sheet_parts


def run(*args) -> str:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == 0 and "内部错误" not in result.output, result.output
    return result.output


@pytest.fixture
def office(demo, tmp_path) -> Path:
    folder = tmp_path / "office"
    shutil.copytree(demo, folder, ignore=shutil.ignore_patterns(".kefu-backup"))
    return folder


def saved_by_excel(path: Path, sheet: str) -> ExcelSaved:
    return excel_saved(path, sheet)


def type_row(path: Path, sheet: str, values: dict) -> None:
    """A person types a row under the last one (by header), and saves."""
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    headers = {c.value: c.column for c in ws[2] if c.value}
    last = max((r for r in range(3, ws.max_row + 1) if any(ws.cell(r, c).value not in (None, "")
                                                              for c in headers.values()
                                                              if not str(ws.cell(r, c).value or "").startswith("="))),
               default=2)
    for header, value in values.items():
        ws.cell(last + 1, headers[header]).value = value
    wb.save(path)


# --------------------------------------------------------------------------- the commands

def recalc_team_tracker(office: Path) -> list[tuple[Path, str]]:
    path = office / "2026-11" / "维护跟踪_2026-11.xlsx"
    type_row(path, "工作记录", {"日期": date(2026, 11, 26), "客服": "张敏", "帐户ID": "GA10001", "工作类型": "电话拜访", "满意度": "满意",
                               "沟通对象": "决策人", "内容摘要": "直接填在团队表"})
    return [(path, "工作记录")]


def collect_month(office: Path) -> list[tuple[Path, str]]:
    type_row(office / "2026-11" / "个人" / "张敏_2026-11.xlsx", "工作记录",
             {"日期": date(2026, 11, 27), "帐户ID": "GA10001", "工作类型": "报表发送", "沟通对象": "决策人",
              "内容摘要": "周报"})
    return [(office / "2026-11" / "维护跟踪_2026-11.xlsx", "工作记录"), (office / "2026-11" / "续费跟踪_2026-11.xlsx", "续费")]


def refresh_month(office: Path) -> list[tuple[Path, str]]:
    status = office / "2026-11" / "inputs" / "帐户状态.xlsx"
    wb = openpyxl.load_workbook(status)
    ws = wb.active
    ws.append(["GA19999", "新到客户有限公司", "张敏", "家居", 900, 50, date(2026, 12, 20), date(2026, 11, 25)])
    wb.save(status)
    return [(office / "2026-11" / "维护跟踪_2026-11.xlsx", "帐户"), (office / "2026-11" / "续费跟踪_2026-11.xlsx", "续费"),
            (office / "2026-11" / "新客户跟踪_2026-11.xlsx", "新客户"),
            (office / "2026-11" / "个人" / "张敏_2026-11.xlsx", "工作记录")]


def recalc_personal(office: Path) -> list[tuple[Path, str]]:
    return [(office / "2026-11" / "个人" / "李娜_2026-11.xlsx", "工作记录")]


def add_books(office: Path) -> list[tuple[Path, str]]:
    return [(office / "订单台账.xlsx", "空白订单")]


def watch_day(office: Path) -> list[tuple[Path, str]]:
    folder = office / "2026-11" / "inputs" / "消耗"
    wb = openpyxl.load_workbook(folder / "2026-11-27.xlsx")
    ws = wb.active
    for row in ws.iter_rows(min_row=2, max_row=6):
        row[1].value = 0                       # five clients stopped spending
    wb.save(folder / "2026-11-30.xlsx")
    return [(office / "2026-11" / "消耗监控_2026-11.xlsx", "异常")]


def calls_month(office: Path) -> list[tuple[Path, str]]:
    signups = office / "2026-10" / "inputs" / "报名.xlsx"
    wb = openpyxl.load_workbook(signups)
    ws = wb.active
    headers = [c.value for c in ws[1]]
    template = [c.value for c in ws[2]]
    row = dict(zip(headers, template))
    row.update({"报名编号": "BM-LOOP-1", "网友姓名": "新网友", "手机": "13900001111"})
    ws.append([row[h] for h in headers])
    wb.save(signups)
    return [(office / "2026-10" / "回访_2026-10.xlsx", "回访")]


def open_next_month(office: Path) -> list[tuple[Path, str]]:
    status = office / "2026-12" / "inputs" / "帐户状态.xlsx"
    status.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(office / "2026-11" / "inputs" / "帐户状态.xlsx", status)
    wb = openpyxl.load_workbook(status)
    wb.active.append(["GA20001", "十二月新客户有限公司", "李娜", "教育", 300, 900, date(2027, 6, 1), date(2026, 12, 1)])
    wb.save(status)
    return [(office / "客户档案.xlsx", "档案")]


def settle_month(office: Path) -> list[tuple[Path, str]]:
    return [(office / "订单台账.xlsx", "领用")]


def recalc_ledgers(office: Path) -> list[tuple[Path, str]]:
    return [(office / "2026-11" / "退订台账_2026-11.xlsx", "退订"), (office / "2026-11" / "投诉台账_2026-11.xlsx", "投诉"),
            (office / "2026-11" / "网销_2026-11.xlsx", "询盘")]


SCENARIOS = {
    "recalc 维护跟踪": (recalc_team_tracker, lambda o: [["recalc", o / "2026-11" / "维护跟踪_2026-11.xlsx",
                                                         "--as-of", "2026-11-27"]]),
    "collect": (collect_month, lambda o: [["collect", "2026-11", "--dir", o, "--as-of", "2026-11-27"]]),
    "month open --refresh": (refresh_month, lambda o: [["month", "open", "2026-11", "--dir", o, "--refresh",
                                                        "--as-of", "2026-11-27"]]),
    "recalc 个人": (recalc_personal, lambda o: [["recalc", o / "2026-11" / "个人" / "李娜_2026-11.xlsx",
                                                 "--as-of", "2026-11-30"]]),
    "orders add-books": (add_books, lambda o: [["orders", "add-books", "--books", "2", "--size", "50", "--dir", o]]),
    "watch": (watch_day, lambda o: [["watch", "2026-11-30", "--dir", o]]),
    "calls": (calls_month, lambda o: [["calls", "2026-10", "--dir", o, "--at", "2026-10-20 10:00"]]),
    "month open (客户档案)": (open_next_month, lambda o: [["month", "open", "2026-12", "--dir", o,
                                                         "--as-of", "2026-12-03"]]),
    "settle": (settle_month, lambda o: [["settle", "2026-11", "--dir", o]]),
    "recalc 台账": (recalc_ledgers, lambda o: [["recalc", o / "2026-11" / name, "--as-of", "2026-11-29"]
                                               for name in ("退订台账_2026-11.xlsx", "投诉台账_2026-11.xlsx",
                                                            "网销_2026-11.xlsx")]),
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_a_command_keeps_what_a_person_added_in_excel(office, scenario):
    prepare, commands = SCENARIOS[scenario]
    targets = prepare(office)
    saved = [saved_by_excel(path, sheet) for path, sheet in targets]
    before = {s.path: (s.added(), s.path.read_bytes()) for s in saved}
    assert all(all(piece for piece in added.values()) for added, _ in before.values())
    for args in commands(office):
        run(*args)
    for s in saved:
        added, old_bytes = before[s.path]
        assert s.path.read_bytes() != old_bytes, f"{s.path.name} was not written: the scenario proves nothing"
        assert s.added() == added, s.path.name
        assert calc_chain_problems(s.path) == [], s.path.name
        assert most_selections(s.path) <= 4, s.path.name
        with zipfile.ZipFile(s.path) as z:
            assert b'fullCalcOnLoad="1"' in z.read("xl/workbook.xml")
    written = sorted({p for p in office.rglob("*.xlsx") if ".kefu-backup" not in p.parts and "inputs" not in p.parts
                      and p.stat().st_mtime_ns > min(s.path.stat().st_mtime_ns for s in saved) - 10**9})
    assert validate(written) == []


def test_the_demo_workspace_passes_the_validator(demo):
    files = sorted(p for p in demo.rglob("*.xlsx") if ".kefu-backup" not in p.parts and "inputs" not in p.parts)
    assert len(files) > 30
    assert validate(files) == []


# --------------------------------------------------------------------------- person's own text, ranges

def test_text_in_a_spare_column_of_the_plan_sheets_survives_recalc(office):
    path = office / "2026-11" / "个人" / "张敏_2026-11.xlsx"
    wb = openpyxl.load_workbook(path)
    notes = {}
    for sheet in ("今日", "我的帐户", "每日小结"):
        ws = wb[sheet]
        spare = ws.max_column + 2
        for r in (3, 4, 40):
            ws.cell(r, spare).value = f"{sheet}备注{r}"
            notes[(sheet, r, spare)] = f"{sheet}备注{r}"
    wb.save(path)
    run("recalc", path, "--as-of", "2026-11-20")
    run("recalc", path, "--as-of", "2026-11-30")
    wb = openpyxl.load_workbook(path)
    for (sheet, r, c), text in notes.items():
        assert wb[sheet].cell(r, c).value == text, (sheet, r, c)


def test_a_drop_down_of_a_person_keeps_its_range(office):
    path = office / "2026-11" / "维护跟踪_2026-11.xlsx"
    type_row(path, "工作记录", {"日期": date(2026, 11, 26), "客服": "李娜", "帐户ID": "GA10002", "工作类型": "电话拜访", "满意度": "满意",
                               "沟通对象": "决策人"})
    saved_by_excel(path, "工作记录")
    run("recalc", path, "--as-of", "2026-11-27")
    with zipfile.ZipFile(path) as z:
        xml = z.read(sheet_parts(z)["工作记录"])
    assert xml.count(b'sqref="Z3:Z200"') == 2 and b"<xm:sqref>Z3:Z200</xm:sqref>" in xml   # both halves agree


def test_a_whole_file_rewrite_that_would_lose_a_persons_drop_down_is_refused(office):
    """The openpyxl path (here forced by a sheet written with a namespace prefix) would drop
    the x14 data bar and the person's drop-down: refused, nothing changed; --force writes."""
    from helpers import prefix_namespace
    path = office / "2026-11" / "投诉台账_2026-11.xlsx"
    saved_by_excel(path, "投诉")
    prefix_namespace(path, "周报")
    before = path.read_bytes()
    result = CliRunner().invoke(cli, ["recalc", str(path), "--as-of", "2026-11-29"])
    assert result.exit_code == 1 and "数据条" in result.output and "--force" in result.output, result.output
    assert path.read_bytes() == before
    result = CliRunner().invoke(cli, ["recalc", str(path), "--as-of", "2026-11-29", "--force"])
    assert result.exit_code == 0, result.output


def test_the_mid_month_refresh_of_the_readme_says_which_files_it_wrote(office):
    """month open --refresh recalculates the trackers and every personal workbook: 已更新 names
    only the files it wrote (each with its backup), 已是最新 the ones it left as they were —
    run twice, the second run writes nothing and says so."""
    month = office / "2026-11"
    files = sorted([*month.glob("*.xlsx"), *(month / "个人").glob("*.xlsx"), office / "商务出访.xlsx"])

    def refresh(as_of):
        before = {f: f.read_bytes() for f in files}
        out = run("month", "open", "2026-11", "--dir", office, "--refresh", "--as-of", as_of)
        written = {f for f in files if f.read_bytes() != before[f]}
        said = {f for f in files if f"已更新 {f}（" in out}
        up_to_date = next((line for line in out.splitlines() if line.startswith("已是最新")), "")
        return out, written, said, up_to_date

    out, written, said, up_to_date = refresh("2026-11-28")
    assert written and said == written, out
    assert all(f.name not in up_to_date for f in written)
    assert all(any(b.name.startswith(f.stem) for b in (f.parent / ".kefu-backup").iterdir()) for f in written)
    assert "个人工作簿：新建 0 本，重算 8 本" in out
    out, written, said, up_to_date = refresh("2026-11-28")
    assert not written and not said and "已更新" not in out, out
    assert "维护跟踪_2026-11.xlsx" in up_to_date and "个人工作簿 8 本" in up_to_date, out


def test_a_team_tracker_whose_problem_sheet_was_renamed_is_recalculated(office):
    path = office / "2026-11" / "维护跟踪_2026-11.xlsx"
    saved = saved_by_excel(path, "工作记录")
    with zipfile.ZipFile(path) as z:
        items = {i.filename: z.read(i) for i in z.infolist()}
    items["xl/workbook.xml"] = items["xl/workbook.xml"].replace('name="问题"'.encode(), 'name="问题（旧）"'.encode())
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in items.items():
            z.writestr(name, data)
    added = saved.added()
    run("recalc", path, "--as-of", "2026-11-27")
    assert saved.added() == added
    names = openpyxl.load_workbook(path, read_only=True).sheetnames
    assert "问题" in names and "问题（旧）" in names
    assert validate([path]) == []


# --------------------------------------------------------------------------- the folder

def test_a_rewrite_keeps_the_files_mode_and_refuses_a_read_only_file(office):
    path = office / "2026-11" / "维护跟踪_2026-11.xlsx"
    type_row(path, "工作记录", {"日期": date(2026, 11, 26), "客服": "张敏", "帐户ID": "GA10001", "工作类型": "电话拜访", "满意度": "满意",
                               "沟通对象": "决策人", "内容摘要": "x"})
    os.chmod(path, 0o664)
    run("recalc", path, "--as-of", "2026-11-27")
    assert path.stat().st_mode & 0o777 == 0o664
    os.chmod(path, 0o444)
    before = path.read_bytes()
    result = CliRunner().invoke(cli, ["recalc", str(path), "--as-of", "2026-11-28"])
    assert result.exit_code == 1 and "只读" in result.output, result.output
    assert path.read_bytes() == before
    os.chmod(path, 0o644)


def test_a_killed_runs_temp_file_is_neither_read_nor_left(office):
    folder = office / "2026-11" / "个人"
    dead = folder / ".~kefu-otherhost-999999-0123abcd-张敏_2026-11.xlsx"
    shutil.copy(folder / "张敏_2026-11.xlsx", dead)
    old = (time_now := __import__("time").time()) - 7200
    os.utime(dead, (old, old))
    legacy = folder / ".~kefu-k2j3h4.xlsx"                 # what earlier versions left
    legacy.write_bytes(b"PK")
    os.utime(legacy, (time_now - 7200, time_now - 7200))
    out = run("collect", "2026-11", "--dir", office, "--as-of", "2026-11-27")
    assert "kefu-otherhost" not in out and "不是可读取的工作簿" not in out
    assert not dead.exists() and not legacy.exists()


def test_a_damaged_zip_is_named_not_an_internal_error(office):
    path = office / "2026-11" / "维护跟踪_2026-11.xlsx"
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(sheet_parts(z)["帐户"])
    at = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 40
    data[at:at + 8] = b"\x00" * 8                                   # corrupt the compressed bytes
    path.write_bytes(bytes(data))
    result = CliRunner().invoke(cli, ["recalc", str(path), "--as-of", "2026-11-27"])
    assert result.exit_code == 1 and "内部错误" not in result.output, result.output
    assert path.name in result.output and "损坏" in result.output


# --------------------------------------------------------------------------- names and IDs

@pytest.mark.parametrize("name, why", [("../维护跟踪", "/"), ("../../逃逸", "/"), ("张/敏", "/"), (" 张敏", "空格"),
                                       (".隐藏", "开头"), ("王\t芳", "控制字符")])
def test_a_roster_name_that_cannot_be_a_file_name_is_refused_before_anything_is_written(workspace, name, why):
    from conftest import snapshot, write_status
    roster = workspace / "名册.xlsx"
    wb = openpyxl.load_workbook(roster)
    ws = wb["客服"]
    ws.cell(ws.max_row + 1, 1).value = name
    ws.cell(ws.max_row, 2).value = "一星"
    ws.cell(ws.max_row, 4).value = "是"
    wb.save(roster)
    write_status(workspace, "2026-11", [["C1", "甲建材", "张敏", "建材", 2500, 100, date(2027, 1, 1), date(2024, 1, 1)]])
    before = snapshot(workspace.parent)
    result = CliRunner().invoke(cli, ["month", "open", "2026-11", "--dir", str(workspace), "--as-of", "2026-11-05"])
    assert result.exit_code == 1 and "姓名会成为个人工作簿的文件名" in result.output and why in result.output, result.output
    assert "名册" in result.output
    assert snapshot(workspace.parent) == before


def test_an_eighteen_digit_id_exported_as_a_number_is_refused(workspace):
    from conftest import write_status
    write_status(workspace, "2026-11", [
        [123456789012345678, "甲建材", "张敏", "建材", 2500, 100, date(2027, 1, 1), date(2024, 1, 1)],
        [123456789012345679, "乙家居", "张敏", "家居", 300, 100, date(2027, 1, 1), date(2024, 1, 1)],
        ["1.23457E+17", "丙", "张敏", "家居", 300, 100, date(2027, 1, 1), date(2024, 1, 1)]])
    result = CliRunner().invoke(cli, ["month", "open", "2026-11", "--dir", str(workspace), "--as-of", "2026-11-05"])
    assert result.exit_code == 1, result.output
    assert result.output.count("帐户ID「") == 3 and "重复" not in result.output
    assert "15 位" in result.output and "文本" in result.output
    assert not (workspace / "2026-11" / "维护跟踪_2026-11.xlsx").exists()


def test_both_an_xlsx_and_a_csv_export_is_said(workspace):
    from conftest import write_status
    path = write_status(workspace, "2026-11", [["C1", "甲建材", "张敏", "建材", 2500, 100, date(2027, 1, 1),
                                                date(2024, 1, 1)]])
    (path.parent / "帐户状态.csv").write_text("帐户ID,客户名称,客服,行业,周消耗,余额,合同到期日,开户日期\n"
                                            "C9,旧,张敏,建材,1,1,2027-01-01,2024-01-01\n", "utf-8")
    old = __import__("time").time() - 3600
    os.utime(path.parent / "帐户状态.csv", (old, old))
    out = run("month", "open", "2026-11", "--dir", workspace, "--as-of", "2026-11-05")
    assert "帐户状态.xlsx" in out and "帐户状态.csv" in out and "较新" in out


def test_a_watch_with_only_an_xls_export_names_the_file(office):
    folder = office / "2026-11" / "inputs" / "消耗"
    (folder / "2026-11-30.xls").write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    result = CliRunner().invoke(cli, ["watch", "2026-11-30", "--dir", str(office)])
    assert result.exit_code == 1 and "2026-11-30.xls" in result.output and "另存为" in result.output, result.output


def test_an_export_whose_ids_changed_form_warns_before_the_levels_empty(workspace):
    from conftest import write_status

    from kefu_xl.app.workspace import open_month
    from kefu_xl.month import Month
    write_status(workspace, "2026-10", [[f"GA1000{i}", f"客户{i}", "张敏", "建材", 2500, 100, date(2027, 1, 1),
                                          date(2024, 1, 1)] for i in range(4)])
    open_month(workspace, Month(2026, 10), as_of=date(2026, 10, 30))
    write_status(workspace, "2026-11", [[f"1000{i}", f"客户{i}", "张敏", "建材", 2500, 100, date(2027, 1, 1),
                                          date(2024, 1, 1)] for i in range(4)])
    out = run("month", "open", "2026-11", "--dir", workspace, "--as-of", "2026-11-05")
    assert "只有 0 个" in out and "上月级别会是空的" in out


# --------------------------------------------------------------------------- duplicates

def test_identical_work_records_count_once_and_are_named(workspace):
    from helpers import open_november
    path = open_november(workspace)
    record = {"日期": date(2026, 11, 10), "客服": "张敏", "帐户ID": "C1", "工作类型": "报表发送", "沟通对象": "决策人",
              "内容摘要": "月报"}
    type_row(path, "工作记录", record)
    type_row(path, "工作记录", {**record, "帐户ID": " c1 ", "内容摘要": "月报　"})   # the same, typed loosely
    type_row(path, "工作记录", {**record, "内容摘要": "月报（第二份）"})           # not the same
    out = run("recalc", path, "--as-of", "2026-11-20")
    assert "完全相同" in out and "重复登记" in out
    wb = openpyxl.load_workbook(path, data_only=True)
    ws = wb["工作记录"]
    headers = {c.value: c.column for c in ws[2] if c.value}
    rows = [r for r in range(3, ws.max_row + 1) if ws.cell(r, headers["工作类型"]).value == "报表发送"]
    reasons = [ws.cell(r, headers["无效原因"]).value for r in rows]
    assert reasons == ["", "重复", ""] or reasons == [None, "重复", None]


# --------------------------------------------------------------------------- killed runs

# A kefu-xl run that kills itself (SIGKILL: no cleanup, no finally) at a chosen moment: the
# n-th zip entry written into a temp file, or the n-th rename of a finished temp file.
_DYING = """
import os, signal, sys, zipfile
what, n = os.environ["KEFU_DIE_AT"].split(":")
n = int(n)
count = [0]
def tick():
    count[0] += 1
    if count[0] == n:
        os.kill(os.getpid(), signal.SIGKILL)
if what == "entry":
    real = zipfile.ZipFile.writestr
    def writestr(self, *a, **k):
        tick()
        return real(self, *a, **k)
    zipfile.ZipFile.writestr = writestr
else:
    real = os.replace
    def replace(src, dst, *a, **k):
        if ".~kefu-" in str(src):
            tick()
        return real(src, dst, *a, **k)
    os.replace = replace
from kefu_xl.cli import cli
sys.argv[0] = "kefu-xl"
cli()
"""


def _kefu_dying(args, cwd: Path, die_at: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "KEFU_DIE_AT": die_at,
           "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[2]), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-c", _DYING, *map(str, args)], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)


def _whole_workbook(path: Path) -> bool:
    """A complete xlsx kefu-xl made: it opens and names its kind."""
    from python_calamine import CalamineWorkbook
    try:
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("_meta").to_python()
    except Exception:  # noqa: BLE001
        return False
    return any(row and row[0] == "kind" for row in rows)


KILLED = {
    "recalc": lambda o: ["recalc", o / "2026-11" / "维护跟踪_2026-11.xlsx", "--as-of", "2026-11-27"],
    "collect": lambda o: ["collect", "2026-11", "--dir", o, "--as-of", "2026-11-27"],
    "month open --refresh": lambda o: ["month", "open", "2026-11", "--dir", o, "--refresh", "--as-of", "2026-11-27"],
}


@pytest.mark.parametrize("command", list(KILLED))
def test_a_run_killed_at_any_moment_leaves_every_file_old_or_new(office, command):
    """SIGKILL inside a run — while a temp file is being written, just before it replaces the
    file, between two files: each workbook is the old file or a whole new one, and the next run
    leaves no temp file behind."""
    import signal
    recalc_team_tracker(office)                       # a change to write, whatever the command
    collect_month(office)
    files = sorted(p for p in office.rglob("*.xlsx") if ".kefu-backup" not in p.parts and "inputs" not in p.parts)
    original = {p: p.read_bytes() for p in files}
    outcomes, leftovers = [], 0
    for die_at in ("entry:3", "entry:12", "replace:1", "replace:2"):
        before = {p: p.read_bytes() for p in files}
        done = _kefu_dying(KILLED[command](office), office, die_at)
        outcomes.append(done.returncode)
        for p in files:
            now = p.read_bytes()
            assert now == before[p] or _whole_workbook(p), (die_at, p.name)
        leftovers += len(list(office.rglob(".~kefu-*")))              # a killed run leaves its temp file…
    assert outcomes.count(-signal.SIGKILL) >= 3, outcomes               # the runs really died where asked
    assert any(p.read_bytes() != original[p] for p in files) or command == "recalc"
    assert leftovers > 0
    run(*KILLED[command](office))
    assert [p.name for p in office.rglob(".~kefu-*")] == []            # …and the next run removes it


# --------------------------------------------------------------------------- the README's day

def readme_commands() -> list[str]:
    """The commands of the README's 日常使用 table, in order."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text("utf-8")
    table = readme.split("## 日常使用", 1)[1].lstrip("\n").split("\n\n", 1)[0]
    out = []
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        for command in re.findall(r"`(kefu-xl [^`]+)`", cells[-1] if cells else ""):
            out.append(command)
    return out


def test_every_command_of_the_readme_day_runs_on_the_demo_with_its_defaults(office, monkeypatch):
    import shlex
    monkeypatch.chdir(office)
    commands = readme_commands()
    assert len(commands) >= 10
    for command in commands:
        args = [a.replace("工作区", ".") for a in shlex.split(command)[1:]]
        if args[0] == "serve":
            continue                     # runs until stopped: tests/test_serve.py starts and stops it
        args = ["2026-11/维护跟踪_2026-11.xlsx" if a == "文件.xlsx" else a for a in args]
        result = CliRunner().invoke(cli, args)
        assert result.exit_code in (0, 1), (command, result.output)
        assert "内部错误" not in result.output and "Traceback" not in result.output, (command, result.output)
        if args[0] not in ("check", "init") and not (args[:2] == ["month", "open"] and "--refresh" not in args):
            assert result.exit_code == 0, (command, result.output)
