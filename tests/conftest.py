"""Shared fixtures: a workspace with a roster, export writers, the LibreOffice marker."""
from __future__ import annotations

import compileall
import os
import shutil
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from kefu_xl.app.workspace import init_workspace
from kefu_xl.io.libreoffice import soffice

ROSTER = [
    {"客服": "张敏", "星级": "三星", "入职日期": date(2022, 3, 1), "在职": "是"},
    {"客服": "李娜", "星级": "二星", "入职日期": date(2023, 5, 8), "在职": "是"},
    {"客服": "王芳", "星级": "一星", "入职日期": date(2024, 7, 1), "在职": "是"},
    {"客服": "赵离", "星级": "一星", "入职日期": date(2021, 1, 4), "在职": "否"},
]
STATUS_HEADERS = ["帐户ID", "客户名称", "客服", "行业", "周消耗", "余额", "合同到期日", "开户日期"]


def pytest_configure(config):
    """Once, before any worker starts: kefu_xl compiled to bytecode, so the commands the tests run
    as processes (a run killed at each step, serve, the ribbon button) import it from there even
    where PYTHONDONTWRITEBYTECODE keeps Python from writing it (~0.6 s a process otherwise)."""
    if not hasattr(config, "workerinput"):
        import kefu_xl
        compileall.compile_dir(Path(kefu_xl.__file__).parent, quiet=2)


def pytest_collection_modifyitems(config, items):
    """LibreOffice cross-checks skip without soffice locally, but must run in CI."""
    if soffice():
        return
    if os.environ.get("CI") == "true":
        for item in items:
            if "libreoffice" in item.keywords:
                item.add_marker(pytest.mark.xfail(reason="CI 必须安装 LibreOffice", strict=True, run=False))
        raise pytest.UsageError("CI=true but soffice is missing: the LibreOffice cross-checks must run in CI")
    skip = pytest.mark.skip(reason="LibreOffice (soffice) not installed")
    for item in items:
        if "libreoffice" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser() -> str:
    """Headless Chromium, to see 状态.html and the report's HTML as a person does: skipped
    without it locally, but CI must have it (.ci/run installs Debian's chromium)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but chromium is missing: the browser checks must run in CI")
        pytest.skip("Chromium not installed: the HTML is checked by parsing elsewhere")
    return found


@pytest.fixture(scope="session")
def demo_built(tmp_path_factory) -> tuple[Path, dict, list[str], Path]:
    """The built-in demo workspace, built once (~20 s): its folder (tests read it; test_report
    adds statements), what build_demo returned, the steps it announced, and a copy of the
    folder as built that no test changes (copy it to work in it)."""
    from kefu_xl.demo.run import build_demo
    folder = tmp_path_factory.mktemp("demo") / "office"
    steps: list[str] = []
    done = build_demo(folder, step=steps.append)
    untouched = folder.parent / "as-built"
    shutil.copytree(folder, untouched)
    return folder, done, steps, untouched


@pytest.fixture(scope="session")
def demo(demo_built) -> Path:
    """The built-in demo workspace: tests read it; test_report adds statements."""
    return demo_built[0]


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    folder = tmp_path / "office"
    init_workspace(folder, staff=ROSTER)
    return folder


def write_xlsx(path: Path, rows: list[list], title: str | None = None, sheet: str = "Sheet1") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    if title:
        ws.append([title])
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def write_status(workspace: Path, month: str, rows: list[list], title: str | None = None) -> Path:
    return write_xlsx(workspace / month / "inputs" / "帐户状态.xlsx", [STATUS_HEADERS, *rows], title)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under folder with its bytes: to prove a command changed nothing."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
