"""Renewal reminder messages rendered from a jinja2 template, ready to paste into
WeChat, SMS or email (kefu-xl remind)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from ..config import load_config
from ..errors import KefuError
from ..hints import command
from ..io.safe_write import atomic_write, check_not_open
from ..kinds import renewal
from ..messages import Message, packaged
from ..month import Month
from ..rules import renewal as rules

TEMPLATE_NAME = "续费提醒.txt.j2"
MONTH_OF_DAYS = 31         # the built-in text names 可投放天数 only when the balance runs out sooner
                           # (or it is what makes the account due: [renewal] due_balance_days)


def default_template() -> str:
    return packaged(TEMPLATE_NAME)


def _money(value: Decimal | None) -> str:
    return "—" if value is None else f"{value.quantize(Decimal('0.01'), ROUND_HALF_UP):,}"


@dataclass
class Reminder:
    account_id: str
    client: str
    staff: str
    text: str


def reminders(workspace: Path, month: Month, today: date | None = None) -> tuple[list[Reminder], str]:
    """The reminder text of every account still being followed up; a contract that ended before
    `today` (the day the text is sent; default today) says it has ended (已于), not 将于."""
    today = today or date.today()
    path = workspace / str(month) / renewal.file_name(month)
    if not path.exists():
        raise KefuError(f"没有找到 {path}：请先运行 {command(f'month open {month}', workspace)}。")
    config = load_config(workspace / "kefu-xl.toml")
    _, rows, _ = renewal.read_file(path, config)
    message = Message(workspace, TEMPLATE_NAME, "提醒")
    out = []
    for r in rows:
        if r.status not in ("", rules.FOLLOWING) or rules.stage(r, month) == rules.STAGE_LOST:
            continue
        days = rules.days_of_spend(r.balance, r.weekly_spend)
        shown = rules.days_shown(days)
        context = {"客户名称": r.client, "帐户ID": r.account_id, "客服": r.staff, "余额": _money(r.balance),
                   "可投放天数": shown,
                   "一月内用完": days is not None and shown < max(MONTH_OF_DAYS, config.due_balance_days),
                   "合同到期日": r.contract_end.isoformat() if r.contract_end else "", "月份": str(month),
                   "合同已到期": r.contract_end is not None and r.contract_end < today,
                   "来源": r.source}
        out.append(Reminder(r.account_id, r.client, r.staff, message.render(context)))
    return out, message.source


def write_reminders(workspace: Path, month: Month) -> tuple[Path, list[Reminder], str]:
    items, source = reminders(workspace, month)
    target = workspace / str(month) / f"续费提醒_{month}.txt"
    check_not_open(target)
    blocks = [f"———— {i}/{len(items)} {r.client}（帐户 {r.account_id}，客服 {r.staff}）————\n{r.text}\n"
              for i, r in enumerate(items, 1)]
    body = "\n".join(blocks) if blocks else f"{month} 没有需要提醒的续费帐户。\n"
    atomic_write(target, lambda tmp: tmp.write_text(body, "utf-8"))
    return target, items, source
