"""click's own words in Chinese: 「用法：」, 「错误：没有选项 '--x'」, 「显示本帮助并退出」… — what a
person reads when a command is typed wrong or --help is asked for.

click marks every message it prints for translation with gettext (`_()` and `ngettext()`,
bound in each of its modules at import), but reads catalogues only from .mo files on disk in
the process's locale, which a 客服's Windows machine does not have. `install()` gives those
modules a translator over the table below instead; a message not in it (a newer click) stays
as click wrote it, so nothing breaks, it is only English.
"""
from __future__ import annotations

import click.core
import click.decorators
import click.exceptions
import click.formatting
import click.parser
import click.termui
import click.types

MESSAGES = {
    "Usage:": "用法：",
    "Options": "选项",
    "Commands": "命令",
    "Positional arguments": "参数",
    "Show this message and exit.": "显示本帮助并退出。",
    "Show the version and exit.": "显示版本并退出。",
    "%(prog)s, version %(version)s": "%(prog)s，版本 %(version)s",
    "Error: {message}": "错误：{message}",
    "Try '{command} {option}' for help.": "运行 {command} {option} 查看用法。",
    "No such option {name!r}.": "没有选项 {name!r}。",
    "No such command {name!r}.": "没有命令 {name!r}。",
    "Missing command.": "缺少命令。",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing parameter: {param_name}": "缺少参数：{param_name}",
    "Missing {param_type}": "缺少{param_type}",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的值不对：{message}",
    "Invalid value: {message}": "值不对：{message}",
    "Option {name!r} does not take a value.": "选项 {name!r} 后面不用写值。",
    "Argument {name!r} takes {nargs} values.": "参数 {name!r} 要写 {nargs} 个值。",
    "Aborted!": "已取消。",
    "Do you want to continue?": "继续吗？",
    "Confirm the action without prompting.": "不再询问，直接确认。",
    "default: {default}": "默认：{default}",
    "env var: {var}": "环境变量：{var}",
    "(dynamic)": "（动态）",
    "deprecated": "已停用",
    "file": "文件",
    "directory": "文件夹",
    "path": "路径",
    "{name} {filename!r} does not exist.": "{name} {filename!r} 不存在。",
    "{name} {filename!r} is a file.": "{name} {filename!r} 是文件，应为文件夹。",
    "{name} {filename!r} is a directory.": "{name} {filename!r} 是文件夹，应为文件。",
    "{name} {filename!r} is not readable.": "{name} {filename!r} 没有读取权限。",
    "{name} {filename!r} is not writable.": "{name} {filename!r} 没有写入权限。",
    "{name} {filename!r} is not executable.": "{name} {filename!r} 不能执行。",
    "Could not open file {filename!r}: {message}": "无法打开文件 {filename!r}：{message}",
    "{value!r} is not a valid {number_type}.": "{value!r} 不是{number_type}。",
    "{value} is not in the range {range}.": "{value} 不在 {range} 范围内。",
    "integer": "整数",
    "float": "数字",
    "Choose from:\n\t{choices}": "可选：\n\t{choices}",
    "unknown error": "未知错误",
    "required": "必填",
}
# what click shows for a value without a metavar of its own (its types' names, in capitals)
METAVARS = {"TEXT": "文字", "INTEGER": "整数", "INTEGER RANGE": "整数", "FLOAT": "数字", "FLOAT RANGE": "数字",
            "PATH": "路径", "DIRECTORY": "文件夹", "FILE": "文件", "FILENAME": "文件", "BOOLEAN": "是/否"}
PLURALS = {
    "Got unexpected extra argument ({args})": "多写了参数（{args}）",
    "Got unexpected extra arguments ({args})": "多写了参数（{args}）",
    "Option {name!r} requires an argument.": "选项 {name!r} 后面要写一个值。",
    "Option {name!r} requires {nargs} arguments.": "选项 {name!r} 后面要写 {nargs} 个值。",
    "{value!r} is not {choice}.": "{value!r} 不是 {choice}。",
    "{value!r} is not one of {choices}.": "{value!r} 不是 {choices} 之一。",
    # kefu-xl's dates are YYYY-MM-DD, with a time 'YYYY-MM-DD HH:MM' (click would show '%Y-%m-%d')
    "{value!r} does not match the format {format}.": "{value!r} 不是日期：请写成 YYYY-MM-DD，例如 2026-11-05。",
    "{value!r} does not match the formats {formats}.": "{value!r} 不是日期或时间：请写成 YYYY-MM-DD 或 'YYYY-MM-DD HH:MM'。",
    "Did you mean {possibility}?": "是不是 {possibility}？",
    "(Did you mean one of: {possibilities}?)": "（是不是其中之一：{possibilities}？）",
    "Takes {nargs} values but 1 was given.": "要写 {nargs} 个值，只写了 1 个。",
    "Takes {nargs} values but {len} were given.": "要写 {nargs} 个值，写了 {len} 个。",
}
MODULES = (click.core, click.decorators, click.exceptions, click.formatting, click.parser, click.termui, click.types)


def gettext(message: str) -> str:
    return MESSAGES.get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    chosen = singular if n == 1 else plural
    return PLURALS.get(chosen, chosen)


def localise(command: click.core.Command) -> None:
    """`command` and every command under it show 「用法：kefu-xl [选项] 命令 [参数]...」 and Chinese
    names for values without a metavar of their own (文字, 整数 …) — not click's [OPTIONS], TEXT."""
    command.options_metavar = "[选项]"
    if isinstance(command, click.core.Group):
        command.subcommand_metavar = "命令 [参数]..."
        for sub in command.commands.values():
            localise(sub)
    for param in command.params:
        if param.metavar is None and not getattr(param, "is_flag", False) and not isinstance(param.type, click.Choice):
            name = "FILE" if isinstance(param.type, click.File) else \
                ("DIRECTORY" if getattr(param.type, "dir_okay", False) and not getattr(param.type, "file_okay", True)
                 else "FILE" if isinstance(param.type, click.Path) and not getattr(param.type, "dir_okay", True) else
                 param.type.name.upper())
            param.metavar = METAVARS.get(name, param.metavar)


def install() -> None:
    """click's modules print Chinese from now on."""
    for module in MODULES:
        if hasattr(module, "_"):
            module._ = gettext
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext
