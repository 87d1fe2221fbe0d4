"""Renewals (docs/renewal.md): who is due, stages, commission, carry-over; and new clients (docs/newclients.md)."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from ..config import Config
from ..month import Month
from ..records import AccountStatus, NewClientRow, RenewalRow

FOLLOWING, RENEWED, LOST = "跟进中", "已续费", "流失"
STATUSES = (FOLLOWING, RENEWED, LOST)
THIS_MONTH, CARRIED = "当月", "遗留"
STAGE_RENEWED, STAGE_REMIND, STAGE_FOLLOW, STAGE_LOST = "当月续费", "提醒阶段", "遗留跟踪", "二次开发/休眠"
CENT = Decimal("0.01")


def days_shown(days) -> Decimal | None:
    """可投放天数 as 今日, 我的续费, 续费跟踪 and the reminder text all show it: one decimal,
    rounded half up (one figure, one value)."""
    if days is None:
        return None
    return Decimal(days).quantize(Decimal("0.1"), ROUND_HALF_UP)


def days_of_spend(balance: Decimal | None, weekly_spend: Decimal | None) -> Decimal | None:
    """可投放天数 = 余额 / (周消耗 / 7); blank when 周消耗 is 0 or blank."""
    if weekly_spend is None or weekly_spend <= 0 or balance is None:
        return None
    return balance * 7 / weekly_spend


def is_due(status: AccountStatus, month: Month, config: Config) -> bool:
    """Balance under a week of spend, or the contract ends by the 1st + 30 days."""
    days = days_of_spend(status.balance, status.weekly_spend)
    if days is not None and days < config.due_balance_days:
        return True
    return status.contract_end is not None and status.contract_end <= month.first + timedelta(days=config.due_contract_days)


def months_between(first: str, month: Month) -> int | None:
    try:
        m = Month.parse(first)
    except Exception:
        return None
    return (month.year * 12 + month.month) - (m.year * 12 + m.month)


def stage(row: RenewalRow, month: Month) -> str:
    """已续费 → 当月续费; 流失 or ≥ 3 months → 二次开发/休眠; 0 months → 提醒阶段; 1–2 → 遗留跟踪."""
    if row.status == RENEWED:
        return STAGE_RENEWED
    if row.status == LOST:
        return STAGE_LOST
    months = months_between(row.first_month, month)
    if months is None:
        return STAGE_REMIND
    if months >= 3:
        return STAGE_LOST
    return STAGE_REMIND if months <= 0 else STAGE_FOLLOW


def commission(row: RenewalRow, month: Month, config: Config) -> Decimal:
    """续费金额 × 1% when the money arrived inside the month, else 0 (to the cent)."""
    if row.amount is None or not month.contains(row.received):
        return Decimal(0)
    return (row.amount * config.commission_rate).quantize(CENT, ROUND_HALF_UP)


def carries_over(row: RenewalRow, month: Month) -> bool:
    """跟进中, or 已续费 whose money has not arrived by month end; never 二次开发/休眠."""
    if stage(row, month) == STAGE_LOST:
        return False
    if row.status in ("", FOLLOWING):
        return True
    return row.status == RENEWED and (row.received is None or row.received > month.last)


def staff_renewal(name: str, rows: list[RenewalRow], month: Month, config: Config) -> dict:
    mine = [r for r in rows if r.staff == name]
    due = [r for r in mine if r.source == THIS_MONTH]
    renewed = [r for r in due if r.status == RENEWED]
    arrived = [r for r in mine if month.contains(r.received)]
    return {
        "当月应续数": len(due), "当月已续数": len(renewed),
        "当月续费率": None if not due else Decimal(len(renewed)) / len(due),
        "遗留数": sum(1 for r in mine if r.source == CARRIED),
        "遗留续费数": sum(1 for r in mine if r.source == CARRIED and r.status == RENEWED and month.contains(r.received)),
        "丢失客户数": sum(1 for r in mine if stage(r, month) == STAGE_LOST),
        "续费到帐金额": sum((r.amount or Decimal(0) for r in arrived), Decimal(0)),
        "续费提成": sum((commission(r, month, config) for r in mine), Decimal(0)),
    }


def team_renewal(per_staff: list[dict]) -> dict:
    total = {k: sum((s[k] for s in per_staff), Decimal(0) if k in ("续费到帐金额", "续费提成") else 0)
             for k in ("当月应续数", "当月已续数", "遗留数", "遗留续费数", "丢失客户数", "续费到帐金额", "续费提成")}
    total["当月续费率"] = None if not total["当月应续数"] else Decimal(total["当月已续数"]) / total["当月应续数"]
    return total


# ---------------------------------------------------------------- new clients

ONBOARDING_STEPS = ("告知帐户信息", "确认推广负责人", "沟通投放意向", "方案确认", "广告上线", "首次回访", "满月回访")
LAUNCH = ONBOARDING_STEPS.index("广告上线")
DONE, OVERDUE, COACHING = "已完成", "逾期", "辅导中"
COACHING_DAYS = 30
MIN_KEYWORDS = 50


def onboarding(row: NewClientRow, as_of: date) -> dict:
    launched = row.steps[LAUNCH]
    done = sum(1 for s in row.steps if s is not None)
    end = row.opened + timedelta(days=COACHING_DAYS) if row.opened else None
    if done == len(ONBOARDING_STEPS):
        status = DONE
    elif end is not None and as_of > end:
        status = OVERDUE
    else:
        status = COACHING
    return {"上线达标": "是" if launched is not None and (row.keywords or 0) >= MIN_KEYWORDS else "否",
            "上线天数": (launched - row.opened).days if launched and row.opened else None,
            "辅导期结束": end, "完成项数": done, "完成率": Decimal(done) / len(ONBOARDING_STEPS), "状态": status}


def staff_newclients(name: str, rows: list[NewClientRow], figures: list[dict]) -> dict:
    mine = [(r, f) for r, f in zip(rows, figures) if r.staff == name]
    launched = [f for r, f in mine if r.steps[LAUNCH] is not None]
    days = [f["上线天数"] for r, f in mine if f["上线天数"] is not None]
    return {"新客户数": len(mine), "已上线": len(launched),
            "上线达标率": None if not mine else Decimal(sum(1 for _, f in mine if f["上线达标"] == "是")) / len(mine),
            "平均上线天数": None if not days else Decimal(sum(days)) / len(days),
            "逾期数": sum(1 for _, f in mine if f["状态"] == OVERDUE)}
