"""LibreOffice headless: recalculate a workbook's formulas, or convert it to PDF.

Two traps are handled here: LibreOffice keeps an xlsx's cached values unless its profile
says to recalculate on load (OOXMLRecalcMode = 0), and soffice exits 0 even when it could
not load the file, so the output file is checked.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from ..errors import KefuError

_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def _profile() -> Path:
    profile = Path(tempfile.mkdtemp(prefix="kefu-lo-profile-"))
    (profile / "user").mkdir()
    (profile / "user" / "registrymodifications.xcu").write_text(_XCU, "utf-8")
    return profile


def convert(src: Path, out_dir: Path, target: str = "xlsx", infilter: str | None = None,
            timeout: int = 600) -> Path:
    """Run soffice --convert-to; return the output path or raise KefuError."""
    return convert_all([src], out_dir, target, infilter, timeout)[0]


def convert_all(srcs: list[Path], out_dir: Path, target: str = "xlsx", infilter: str | None = None,
                timeout: int = 600) -> list[Path]:
    """Convert many files in one LibreOffice start (their names must differ); every output is
    checked, since soffice exits 0 even when it could not load a file."""
    exe = soffice()
    if not exe:
        raise KefuError("没有找到 LibreOffice（soffice）：请安装 libreoffice-calc 后再试。")
    if len({src.stem for src in srcs}) != len(srcs):
        raise ValueError("convert_all: two files with the same name would overwrite each other's output")
    out_dir.mkdir(parents=True, exist_ok=True)
    profile = _profile()
    try:
        cmd = [exe, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore"]
        if infilter:
            cmd.append(f"--infilter={infilter}")
        cmd += ["--convert-to", target, "--outdir", str(out_dir), *map(str, srcs)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        outs = [out_dir / f"{src.stem}.{target.split(':')[0]}" for src in srcs]
        for src, out in zip(srcs, outs):
            if not out.exists() or out.stat().st_size == 0:
                raise KefuError(f"LibreOffice 没能转换 {src.name}（退出码 {proc.returncode}）：{proc.stderr.strip()[-300:]}")
        return outs
    finally:
        shutil.rmtree(profile, ignore_errors=True)


RECALC_TARGET = "xlsx:Calc MS Excel 2007 XML"


def recalculate(src: Path, out_dir: Path, timeout: int = 600) -> Path:
    """A copy of `src` in out_dir whose formulas LibreOffice recalculated and cached."""
    return convert(src, out_dir, RECALC_TARGET, timeout=timeout)


def recalculate_all(srcs: list[Path], out_dir: Path, timeout: int = 1200) -> list[Path]:
    """recalculate for many files in one LibreOffice start."""
    return convert_all(srcs, out_dir, RECALC_TARGET, timeout=timeout)
