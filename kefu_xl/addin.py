"""The Excel add-in: built from the custom-add-in template that xlwings ships, with our
ribbon (客服工具 → 重算) in place of the template's; the template's VBA is kept byte for byte.

The template's VBA (read with olevba, see macros/README.md): RibbonMyAddin.RunMain runs
`import <workbook name without extension>; <that>.main()` through xlwings' RunPython, so an
add-in saved as kefu_xl.xlam calls kefu_xl.main(). Its settings live under the fixed
project name "myaddin": a sheet named myaddin.conf, or %USERPROFILE%\\.myaddin\\myaddin.conf.
"""
from __future__ import annotations

import os
import sys
import zipfile
from pathlib import Path

import jinja2

from .errors import KefuError

ADDIN_NAME = "kefu_xl.xlam"
TEMPLATE_NAME = "quickstart_addin_ribbon.xlam"
RIBBON_PART = "customUI/customUI.xml"
ON_ACTION = "RibbonMyAddin.RunMain"
PROJECT_NAME = "myaddin"
RIBBON_TEXT = {
    "tab": "客服工具", "group": "客服工具", "button": "重算", "on_action": ON_ACTION,
    "screentip": "重算当前工作簿",
    "supertip": "检查数据、标出无效记录、恢复被改动的公式、刷新汇总，问题列在「问题」表。"
                "与命令行 kefu-xl recalc 相同；不会改动你填写的内容。",
}


def template_path() -> Path:
    import xlwings
    path = Path(xlwings.__file__).parent / TEMPLATE_NAME
    if not path.exists():
        raise KefuError(f"安装的 xlwings 中没有 {TEMPLATE_NAME}（{path}）：请安装 xlwings 0.30 或更新版本。")
    return path


def ribbon_template_path() -> Path:
    """macros/ribbon.xml.j2 in a checkout; the packaged copy otherwise."""
    repo = Path(__file__).resolve().parent.parent / "macros" / "ribbon.xml.j2"
    return repo if repo.exists() else Path(__file__).resolve().parent / "templates" / "ribbon.xml.j2"


def render_ribbon() -> str:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env.from_string(ribbon_template_path().read_text("utf-8")).render(**RIBBON_TEXT)


def build_addin(out_dir: Path) -> Path:
    """Write kefu_xl.xlam into out_dir: the template with our ribbon, everything else as is."""
    source = template_path()
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / ADDIN_NAME
    ribbon = render_ribbon().encode("utf-8")
    tmp = target.with_suffix(".tmp")
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(tmp, "w") as zout:
        names = zin.namelist()
        if RIBBON_PART not in names:
            raise KefuError(f"{source.name} 中没有 {RIBBON_PART}：xlwings 的模板结构变了，请报告维护人员。")
        for info in zin.infolist():
            data = ribbon if info.filename == RIBBON_PART else zin.read(info.filename)
            zout.writestr(info, data)
    os.replace(tmp, target)
    return target


def _excel_required(action: str) -> KefuError:
    return KefuError(f"{action}需要在装有 Microsoft Excel 的 Windows 或 macOS 电脑上运行（当前系统：{sys.platform}）。"
                     f"WPS、LibreOffice 用户请关闭文件后运行 kefu-xl recalc 文件名，结果相同。")


def has_excel() -> bool:
    return sys.platform.startswith(("win", "darwin"))


def config_file() -> Path:
    if sys.platform.startswith("darwin"):
        return Path.home() / "Library" / "Containers" / "com.microsoft.Excel" / "Data" / f"{PROJECT_NAME}.conf"
    return Path(os.environ.get("USERPROFILE", str(Path.home()))) / f".{PROJECT_NAME}" / f"{PROJECT_NAME}.conf"


def interpreter_setting() -> str:
    key = "INTERPRETER_MAC" if sys.platform.startswith("darwin") else "INTERPRETER_WIN"
    return f'"{key}","{sys.executable}"\n'


def install(out_dir: Path) -> tuple[Path, Path]:
    """Copy the add-in into Excel's start-up folder (xlwings' own mechanism) and point it at
    the Python kefu-xl is installed in."""
    if not has_excel():
        raise _excel_required("安装 Excel 加载项")
    from xlwings import cli as xw_cli
    addin = build_addin(out_dir)
    xw_cli._addin_install(str(addin))
    conf = config_file()
    conf.parent.mkdir(parents=True, exist_ok=True)
    conf.write_text(interpreter_setting(), "utf-8")
    return addin, conf


def uninstall() -> None:
    if not has_excel():
        raise _excel_required("卸载 Excel 加载项")
    from xlwings import cli as xw_cli
    xw_cli._addin_remove(ADDIN_NAME, False)


def status() -> list[str]:
    if not has_excel():
        raise _excel_required("查看 Excel 加载项状态")
    from xlwings.utils import get_addin_dir
    installed = Path(get_addin_dir()) / ADDIN_NAME
    conf = config_file()
    return [f"加载项：{installed}（{'已安装' if installed.exists() else '未安装'}）",
            f"设置文件：{conf}（{conf.read_text('utf-8').strip() if conf.exists() else '不存在'}）"]


