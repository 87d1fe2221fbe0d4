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
    exe = soffice()
    if not exe:
        raise KefuError("没有找到 LibreOffice（soffice）：请安装 libreoffice-calc 后再试。")
    out_dir.mkdir(parents=True, exist_ok=True)
    profile = _profile()
    try:
        cmd = [exe, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore"]
        if infilter:
            cmd.append(f"--infilter={infilter}")
        cmd += ["--convert-to", target, "--outdir", str(out_dir), str(src)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        out = out_dir / f"{src.stem}.{target.split(':')[0]}"
        if not out.exists() or out.stat().st_size == 0:
            raise KefuError(f"LibreOffice 没能转换 {src.name}（退出码 {proc.returncode}）：{proc.stderr.strip()[-300:]}")
        return out
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def recalculate(src: Path, out_dir: Path, timeout: int = 600) -> Path:
    """A copy of `src` in out_dir whose formulas LibreOffice recalculated and cached."""
    return convert(src, out_dir, "xlsx:Calc MS Excel 2007 XML", timeout=timeout)
