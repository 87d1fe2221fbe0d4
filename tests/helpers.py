"""Test helpers: a month with realistic rows, typing into workbooks, comparing with LibreOffice."""
from __future__ import annotations

import atexit
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from conftest import write_status

from kefu_xl.app.workspace import open_month
from kefu_xl.config import load_config
from kefu_xl.io.libreoffice import recalculate
from kefu_xl.kinds import maintenance, personal
from kefu_xl.month import Month
from kefu_xl.sheets.layout import find_layout

NOV = Month(2026, 11)


_OPENED: dict[tuple, Path] = {}      # (what ran, the workspace's content before) -> a copy of it after


_STAMP = re.compile(rb"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d+)?")


def _content(folder: Path) -> str:
    """A digest of what a workspace holds: every file's bytes, a workbook's parts but its
    docProps and the moments it was made (_meta's generated_at)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode())
        if path.suffix == ".xlsx" and zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as z:
                for name in sorted(n for n in z.namelist() if not n.startswith("docProps/")):
                    digest.update(name.encode() + _STAMP.sub(b"<time>", z.read(name)))
        else:
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _names_itself(folder: Path) -> bool:
    """Whether any workbook of the folder mentions the folder's own path (a hint with --dir)."""
    needle = str(folder).encode()
    for path in folder.rglob("*.xlsx"):
        with zipfile.ZipFile(path) as z:
            if any(needle in z.read(n) for n in z.namelist()):
                return True
    return False


def open_november(workspace: Path, previous: bool = True) -> Path:
    """October tracker (levels) then November's, with spends across bands and a new client.
    The month opens are the same for every test whose workspace held the same files before:
    the first one's result is copied (month open takes seconds; the suite calls this 30 times)."""
    once(workspace, ("november", previous), lambda: _open_november(workspace, previous))
    return workspace / "2026-11" / maintenance.file_name(NOV)


def open_month_once(workspace: Path, month: Month, **options) -> None:
    """open_month(workspace, month, **options) for a test that needs the month opened, not
    what it says: a workspace that held the same files before gets the first one's result."""
    once(workspace, ("open", str(month), tuple(sorted(options.items()))),
          lambda: open_month(workspace, month, **options))


def once(workspace: Path, what: tuple, run) -> None:
    """run() (which changes `workspace`), or the copy of what it made of the same files before:
    the same for every test (a workspace that names its own folder is never copied)."""
    key = (what, _content(workspace))
    if key in _OPENED:
        shutil.rmtree(workspace)
        shutil.copytree(_OPENED[key], workspace)
        return
    run()
    if not _names_itself(workspace):
        keep = Path(tempfile.mkdtemp(prefix="kefu-opened-")) / "office"
        shutil.copytree(workspace, keep)
        _OPENED[key] = keep


@atexit.register
def _forget_opened() -> None:
    """The kept copies go when the test process ends."""
    for keep in _OPENED.values():
        shutil.rmtree(keep.parent, ignore_errors=True)


def _open_november(workspace: Path, previous: bool) -> Path:
    if previous:
        write_status(workspace, "2026-10", [
            ["C1", "甲建材", "张敏", "建材", 2500, 100, date(2027, 1, 1), date(2024, 1, 1)],
            ["C2", "乙家居", "张敏", "家居", 300, 100, date(2027, 1, 1), date(2024, 1, 1)],
            ["C3", "丙教育", "李娜", "教育", 50, 100, date(2027, 1, 1), date(2024, 1, 1)],
        ])
        open_month(workspace, Month(2026, 10), as_of=date(2026, 10, 31))
    write_status(workspace, "2026-11", [
        ["C1", "甲建材", "张敏", "建材", 100, 100, date(2027, 1, 1), date(2024, 1, 1)],    # spend fell: stays 一级
        ["C2", "乙家居", "张敏", "家居", 900, 100, date(2027, 1, 1), date(2024, 1, 1)],    # rose: 二级 -> 一级
        ["C3", "丙教育", "李娜", "教育", 50, 100, date(2027, 1, 1), date(2024, 1, 1)],
        ["C4", "丁医疗", "李娜", "医疗", 0, 100, date(2027, 1, 1), date(2024, 6, 1)],      # band I
        ["C5", "戊机械", "王芳", "机械", 130, 100, date(2027, 1, 1), date(2026, 11, 5)],   # new client
    ], title="帐户状态导出 2026-11")
    open_month(workspace, NOV, as_of=date(2026, 11, 15))
    return workspace / "2026-11" / maintenance.file_name(NOV)


def outcome_of(work_type: str) -> dict:
    """What a person types beside a record of `work_type` so that it counts (docs/work.md): a
    call's 满意度, an optimisation's 客户接受."""
    return {"电话拜访": {"满意度": "满意"}, "帐户优化": {"客户接受": "是"}}.get(work_type, {})


def d(day: int) -> date:
    return date(2026, 11, day)


WORK = [
    {"日期": d(3), "客服": "张敏", "帐户ID": "C1", "工作类型": "电话拜访", "满意度": "满意", "沟通对象": "决策人"},
    {"日期": d(2), "客服": "张敏", "帐户ID": "C1", "工作类型": "电话拜访", "满意度": "满意", "沟通对象": "决策人"},
    {"日期": d(10), "客服": "张敏", "帐户ID": "C1", "工作类型": "电话拜访", "满意度": "满意", "沟通对象": "决策人", "内容摘要": "上午"},
    {"日期": d(10), "客服": "张敏", "帐户ID": "C1", "工作类型": "电话拜访", "满意度": "满意", "沟通对象": "决策人", "内容摘要": "下午"},
    {"日期": d(11), "客服": "张敏", "帐户ID": "C1", "工作类型": "电话拜访", "满意度": "满意", "沟通对象": "决策人"},   # 5th: 超计划
    {"日期": d(12), "客服": "张敏", "帐户ID": "C1", "工作类型": "电话拜访", "满意度": "满意", "沟通对象": "其他人员"},
    {"日期": d(4), "客服": "张敏", "帐户ID": "C1", "工作类型": "报表发送", "沟通对象": "决策人"},
    {"日期": d(5), "客服": "张敏", "帐户ID": "C1", "工作类型": "上门拜访", "沟通对象": "决策人"},
    {"日期": d(6), "客服": "张敏", "帐户ID": "C1", "工作类型": "上门拜访", "沟通对象": "决策人"},     # over target, capped
    {"日期": d(9), "客服": "张敏", "帐户ID": "C2", "工作类型": "帐户优化", "客户接受": "是", "沟通对象": "决策人"},
    {"日期": d(9), "客服": "张敏", "帐户ID": "c2", "工作类型": "电话拜访", "满意度": "满意", "沟通对象": "决策人"},     # case differs
    {"日期": date(2026, 10, 31), "客服": "李娜", "帐户ID": "C3", "工作类型": "电话拜访", "满意度": "满意", "沟通对象": "决策人"},
    {"日期": d(16), "客服": "李娜", "帐户ID": "C3", "工作类型": "电话拜访", "满意度": "满意", "沟通对象": "决策人"},
    {"日期": d(17), "客服": "李娜", "帐户ID": "C3", "工作类型": "电话拜访", "满意度": "满意", "沟通对象": "决策人"},   # 三级 plan 1: 超计划
    {"日期": "2026/11/18", "客服": "李娜", "帐户ID": "C3", "工作类型": "报表发送", "沟通对象": "决策人"},  # text date
    {"日期": d(18), "客服": "李娜", "帐户ID": "C9", "工作类型": "报表发送", "沟通对象": "决策人"},   # unknown
    {"日期": d(19), "客服": "王芳", "帐户ID": "C1", "工作类型": "帐户优化", "客户接受": "是", "沟通对象": "决策人"},   # cover
    {"日期": d(20), "客服": "王芳", "帐户ID": "C5", "工作类型": "客户培训", "沟通对象": "决策人"},   # new client
    {"日期": d(20), "客服": "孙某", "帐户ID": "C4", "工作类型": "电话拜访", "满意度": "满意", "沟通对象": "决策人"},   # not in roster
    {"日期": d(21), "客服": "李娜", "帐户ID": "C4", "工作类型": "", "沟通对象": "决策人"},
]


def type_cells(path: Path, sheet: str, cells: dict[tuple[int, str], object]) -> None:
    """Type values into cells addressed by (row, header), as a person in Excel would."""
    from kefu_xl.io.safe_write import save_workbook
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    spec = maintenance.spec(load_config(), NOV).sheet(sheet)
    layout, _ = find_layout(ws, spec)
    for (row, header), value in cells.items():
        ws.cell(row, layout.columns[header]).value = value
    save_workbook(wb, path)


def add_chart(path: Path, sheet: str | None = None, *, delete: tuple[str, ...] = ()) -> dict[str, bytes]:
    """Someone adds a bar chart to a sheet (the first when None) and saves, after deleting the
    sheets in `delete`; returns the chart and drawing parts of the saved file."""
    import zipfile

    from openpyxl.chart import BarChart, Reference
    wb = openpyxl.load_workbook(path)
    for name in delete:
        del wb[name]
    ws = wb[sheet] if sheet else wb.worksheets[0]
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=3, min_row=2, max_row=5), titles_from_data=True)
    ws.add_chart(chart, "T3")
    wb.save(path)
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if n.startswith(("xl/charts/", "xl/drawings/"))}


def libreoffice_values(path: Path, out_dir: Path) -> dict[str, dict]:
    """{sheet: {row or 客服: {header: value}}} of the LibreOffice-recalculated copy."""
    recalculated = recalculate(path, out_dir)
    wb = openpyxl.load_workbook(recalculated, data_only=True)
    spec = maintenance.spec(load_config(), NOV)
    out = {}
    for name in (maintenance.ACCOUNTS, maintenance.WORK, maintenance.SPOT, maintenance.SUMMARY):
        ws = wb[name]
        layout, missing = find_layout(ws, spec.sheet(name))
        assert not missing
        rows = {}
        for r, row in enumerate(ws.iter_rows(min_row=layout.first_data_row, values_only=True), layout.first_data_row):
            values = {h: row[c - 1] for h, c in layout.columns.items()}
            key = values["客服"] if name == maintenance.SUMMARY else r
            rows[key] = values
        out[name] = rows
    return out


def same(python, office) -> bool:
    """Python's value equals the spreadsheet's: blanks alike, numbers to 1e-9."""
    if python in (None, "") or office in (None, ""):
        return python in (None, "") and office in (None, "")
    if isinstance(python, (int, Decimal)) and not isinstance(python, bool):
        return isinstance(office, (int, float)) and abs(Decimal(repr(office)) - Decimal(python)) < Decimal("1e-9")
    if isinstance(python, datetime) and isinstance(office, datetime):     # a serial number's rounding
        return abs((python - office).total_seconds()) < 1
    if isinstance(python, date) and isinstance(office, datetime):
        return office.time() == datetime.min.time() and office.date() == python
    return python == office


def assert_engines_agree(python: dict, office: dict) -> int:
    """Every derived figure Python computed equals LibreOffice's; returns cells compared."""
    compared, diffs = 0, []
    for sheet, rows in python.items():
        for key, values in rows.items():
            for header, value in values.items():
                got = office[sheet][key][header]
                compared += 1
                if not same(value, got):
                    diffs.append(f"{sheet}/{key}/{header}: python={value!r} libreoffice={got!r}")
    assert not diffs, "\n".join(diffs)
    return compared


def office_values(path: Path, wspec, keys: dict, out_dir: Path) -> dict[str, dict]:
    """{sheet: {key: {header: value}}} of LibreOffice's recalculation of `path`; `keys` maps a
    sheet name to key_of(row, values) (dates come back as datetimes)."""
    wb = openpyxl.load_workbook(recalculate(path, out_dir), data_only=True)
    out = {}
    for name, key_of in keys.items():
        ws = wb[name]
        layout, missing = find_layout(ws, wspec.sheet(name))
        assert not missing, (name, missing)
        rows = {}
        for r, row in enumerate(ws.iter_rows(min_row=layout.first_data_row, values_only=True), layout.first_data_row):
            values = {h: row[c - 1] for h, c in layout.columns.items()}
            rows.setdefault(key_of(r, values), values)
        out[name] = rows
    return out


def day_of(value):
    """A LibreOffice date cell as a date (keys of summary rows)."""
    return value.date() if isinstance(value, datetime) else value


def assert_ribbon_matches_file(path: Path, sheets, as_of: date) -> None:
    """The ribbon button (the xlwings adapter on a recorded fake of the open book) recalcs a
    copy of `path` exactly like `kefu-xl recalc` does the file: same problems, same cells."""
    import shutil

    from fake_xlwings import FakeBook

    from kefu_xl.app.workbooks import recalc_file
    from kefu_xl.excel import adapter
    excel_copy = path.with_name("excel_" + path.name)
    shutil.copy(path, excel_copy)
    outcome = recalc_file(path, as_of=as_of)
    book = FakeBook(excel_copy)
    result, written, _ = adapter.recalc_book(book, as_of=as_of)
    assert [p.code for p in result.problems] == [p.code for p in outcome.result.problems]
    for sheet in sheets:
        assert normal(book.grid(sheet)) == normal(cells_of(path, sheet)), sheet
    assert written > 0


def prefix_namespace(path: Path, sheet: str) -> None:
    """Rewrite one sheet's XML with a namespace prefix (<x:worksheet xmlns:x=…>, as some
    tools write it): valid OOXML that the patch engine does not read, so the file must take
    the whole-file openpyxl path."""
    import re
    import zipfile

    from kefu_xl.io.xlsx.package import MAIN, sheet_parts
    with zipfile.ZipFile(path) as z:
        part = sheet_parts(z)[sheet]
        items = [(i, z.read(i)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in items:
            if info.filename == part:
                data = data.replace(f'xmlns="{MAIN}"'.encode(), f'xmlns:x="{MAIN}"'.encode(), 1)
                data = re.sub(rb"<(/?)([A-Za-z][A-Za-z0-9]*)(?=[\s>/])", rb"<\1x:\2", data)
            z.writestr(info, data)


def cells_of(path, sheet):
    ws = openpyxl.load_workbook(path)[sheet]
    return {(c.row, c.column): c.value for row in ws.iter_rows() for c in row if c.value not in (None, "")}


def normal(cells):
    return {k: (v.date() if hasattr(v, "date") and not isinstance(v, str) else v) for k, v in cells.items()}


VALIDATOR = Path(__file__).resolve().parents[1] / "scripts" / "ooxml_validate.py"


def validate(paths: list[Path]) -> list[str]:
    """The Open XML SDK validator's error lines for `paths` (it installs itself on first use;
    without a network it cannot, and then only CI insists)."""
    done = subprocess.run([sys.executable, str(VALIDATOR), *map(str, paths)], capture_output=True, text=True,
                          timeout=900)
    last = done.stdout.strip().splitlines()[-1:] or [""]
    if " errors in " not in last[0]:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the Open XML SDK validator did not run: {done.stderr[-500:]}")
        pytest.skip("the Open XML SDK validator could not be installed here")
    return done.stdout.strip().splitlines()[:-1]


def set_saved(path, when, by: str | None = None) -> None:
    """The workbook as a person's save at `when` (local time) left it: docProps/core.xml's
    dcterms:modified (and cp:lastModifiedBy) as Excel writes them, and the file's mtime."""
    import os
    import re as _re
    import zipfile as _zip
    from datetime import timezone
    stamp = when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    with _zip.ZipFile(path) as z:
        parts = [(i, z.read(i.filename)) for i in z.infolist()]
    out = path.with_suffix(".tmp")
    with _zip.ZipFile(out, "w", _zip.ZIP_DEFLATED) as z:
        for info, data in parts:
            if info.filename == "docProps/core.xml":
                data = _re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                               rb"\g<1>" + stamp.encode() + rb"\g<2>", data)
                if by is not None:
                    data = _re.sub(rb"<cp:lastModifiedBy>[^<]*</cp:lastModifiedBy>", b"", data)
                    data = data.replace(b"</cp:coreProperties>",
                                        b"<cp:lastModifiedBy>" + by.encode() + b"</cp:lastModifiedBy></cp:coreProperties>")
            z.writestr(info, data)
    os.replace(out, path)
    os.utime(path, (when.timestamp(), when.timestamp()))


def type_follow_up(path: Path, sheet: str, account_id: str, values: dict, month: Month = NOV) -> None:
    """Type into the person's own 我的续费 / 我的新客户 row of an account (None clears a cell)."""
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    layout, _ = find_layout(ws, personal.spec(load_config(), month).sheet(sheet))
    row = next(r for r in range(layout.first_data_row, ws.max_row + 1)
               if ws.cell(r, layout.columns["帐户ID"]).value == account_id)
    for header, value in values.items():
        ws.cell(row, layout.columns[header]).value = value
    wb.save(path)
