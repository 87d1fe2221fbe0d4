"""Which header text names which column: the one place that decides header equivalence, for
the exports people drop in and for kefu-xl's own workbooks alike.

Two headers are the same when they differ only by
- spaces, half- or full-width, around or inside (「帐户 ID 」 = 帐户ID);
- full-width / half-width forms and letter case (帐户ＩＤ = 帐户ID = 帐户id);
- 账 / 帐 (账户ID = 帐户ID, 到账日期 = 到帐日期);
- a unit in brackets at the end (消耗(元) = 消耗（元） = 消耗, 周消耗[元/周] = 周消耗);
- a 日期 ending for a 日 ending (合同到期日期 = 合同到期日, 开户日 = 开户日期).
A bracket that is not a unit stays part of the name (帐户ID（去空格） is its own column).
A workspace adds names of its own in kefu-xl.toml [headers]: "帐户ID" = ["账号", "广告账户"].
"""
from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path

from ..config import CONFIG_NAME, find_workspace, load_config
from .values import is_blank

_UNIT = re.compile(r"[(\[【<《]\s*(?:单位\s*[:：]?\s*)?"
                   r"(?:元|万元|千元|人民币|rmb|cny|¥|￥|%|％|天|日|次|个|件|张|本|单|条|人|分钟|小时)"
                   r"(?:\s*/\s*(?:周|天|日|月|次|个|人))?\s*[)\]】>》]$")
_SPACES = re.compile(r"\s+")


@functools.lru_cache(maxsize=4096)
def _key(text: str) -> str:
    key = _SPACES.sub("", unicodedata.normalize("NFKC", text)).casefold().replace("账", "帐")
    key = _UNIT.sub("", key)
    if len(key) > 2 and key.endswith("日期"):
        key = key[:-1]                     # 合同到期日期 → 合同到期日; 日期 alone stays
    return key


def header_key(value) -> str:
    """The form of a header cell two equivalent headers share ("" for a blank cell)."""
    if is_blank(value):
        return ""
    return _key(value if isinstance(value, str) else str(value))


def header_lookup(wanted: Iterable[str], aliases: Mapping[str, Iterable[str]] | None = None) -> dict[str, str]:
    """{header_key of a header cell: the wanted header it names}: each wanted header by its own
    key, then by the keys of its aliases (an alias never takes a key a wanted header owns)."""
    lookup = {}
    for w in wanted:
        lookup.setdefault(header_key(w), w)
    for name, others in (aliases or {}).items():
        target = lookup.get(header_key(name))
        if target is None:
            continue
        for other in others:
            lookup.setdefault(header_key(other), target)
    return lookup


def nearest(missing: Iterable[str], found: Iterable[str]) -> dict[str, str]:
    """{missing header: the found header most like it}, for a message that suggests the fix;
    each found header is suggested once, and only when it is alike enough."""
    pool = [f for f in dict.fromkeys(found) if header_key(f)]
    out = {}
    for m in missing:
        scored = [(difflib.SequenceMatcher(None, header_key(m), header_key(f)).ratio(), f)
                  for f in pool if f not in out.values()]
        best = max(scored, default=(0.0, ""), key=lambda s: s[0])
        if best[0] >= 0.4:
            out[m] = best[1]
    return out


def missing_message(missing: list[str], found: list[str]) -> str:
    """What a person reads when headers are missing: what was looked for, what was found, and
    for each missing header the found one it is most like, with the two ways to fix it."""
    shown = "、".join(f"「{f}」" for f in found) or "（没有）"
    text = f"缺少表头「{'」「'.join(missing)}」。找到的表头是：{shown}。"
    close = nearest(missing, [f for f in found if f not in missing])
    for m, f in close.items():
        text += (f"「{f}」是不是「{m}」？如果是，把表头改成「{m}」，或在工作区的 kefu-xl.toml 的 [headers] 中写 "
                 f"\"{m}\" = [\"{f}\"]（以后的导出就不用再改）。")
    if not close:
        text += "请检查拼写，或重新导出完整的表格；表头名称不同时，可在工作区的 kefu-xl.toml 的 [headers] 中为它加别名。"
    return text


def header_texts(row: Iterable) -> list[str]:
    """The non-blank cells of a header row, as text."""
    return [str(v).strip() for v in row if not is_blank(v)]


@functools.lru_cache(maxsize=16)
def _aliases_of(config_path: str, mtime_ns: int) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple(load_config(Path(config_path)).headers.items())


def aliases_near(path: Path) -> dict[str, tuple[str, ...]]:
    """The [headers] aliases of the workspace `path` (a file or folder) lies in; none outside one."""
    path = Path(path)
    workspace = find_workspace(path if path.is_dir() else path.parent)
    if workspace is None:
        return {}
    config = workspace / CONFIG_NAME
    return dict(_aliases_of(str(config), config.stat().st_mtime_ns))
