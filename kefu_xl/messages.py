"""Message templates (jinja2) shared by kefu-xl remind and kefu-xl greet: the packaged text,
the workspace's own copy winning over it, and Chinese errors for a broken template."""
from __future__ import annotations

from importlib import resources
from pathlib import Path

import jinja2

from .errors import KefuError


def packaged(name: str) -> str:
    return resources.files("kefu_xl").joinpath("templates", name).read_text("utf-8")


class Message:
    """A template by file name: the workspace's `name` when it exists, else the packaged one."""

    def __init__(self, workspace: Path, name: str, what: str):
        own = workspace / name
        text, self.source = (own.read_text("utf-8"), str(own)) if own.exists() else (packaged(name), "内置模板")
        self.what = what
        env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=False, autoescape=False)
        try:
            self.template = env.from_string(text)
        except jinja2.TemplateSyntaxError as e:
            raise KefuError(f"{what}模板（{self.source}）第 {e.lineno} 行有语法错误：{e.message}") from None

    def render(self, context: dict) -> str:
        try:
            return self.template.render(context).strip()
        except jinja2.UndefinedError as e:
            raise KefuError(f"{self.what}模板（{self.source}）用了不存在的变量：{e.message}。"
                            f"可用变量：{'、'.join(context)}") from None
