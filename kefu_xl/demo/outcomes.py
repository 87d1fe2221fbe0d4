"""What people type so that their work counts (docs/work.md): 满意度 and 客户接受 beside the
demo's records, a 续费完成 for each renewal, and the 培训师's 见面会与培训.xlsx."""
from __future__ import annotations

import random
from datetime import date
from pathlib import Path

from ..config import load_config
from ..kinds import meetings as meetings_kind
from .typist import Typist

MEETING_DAYS = (date(2026, 11, 13), date(2026, 11, 27))     # the 培训师's client meetings of November


def outcomes(fill: random.Random, records: list[dict], renewed: list[tuple], days: list[date]) -> list[dict]:
    """What people type beside a record so it counts (docs/work.md): 满意度 of a call (a few
    forgotten, a few unhappy clients), 客户接受 of an optimisation (a few 否 or blank), and a
    续费完成 for each renewal — some logged before the money arrived. Drawn from `fill`, a stream
    of its own, so every other figure of the demo stays as it was."""
    for r in records:
        if r["工作类型"] in ("电话拜访", "上门拜访"):
            roll = fill.random()
            r["满意度"] = None if roll < 0.04 else "不满意" if roll < 0.07 else "一般" if roll < 0.2 else \
                "很满意" if roll < 0.45 else "满意"
        elif r["工作类型"] == "帐户优化":
            roll = fill.random()
            r["客户接受"] = None if roll < 0.06 else "否" if roll < 0.14 else "是"
    for account, staff, reminded, arrived in renewed:
        day = arrived if arrived and fill.random() < 0.8 else fill.choice([d for d in days if d >= reminded])
        records.append({"日期": day, "客服": staff, "帐户ID": account, "工作类型": "续费完成", "沟通对象": "决策人",
                        "内容摘要": "客户确认续费"})
    records.sort(key=lambda r: r["日期"])
    return records


def meetings(fill: random.Random, folder: Path, records: list[dict], staff, days: tuple[date, ...] = MEETING_DAYS) -> None:
    """The 培训师's file: the month's client meetings with who came of those invited (a
    电话邀约 after the last meeting waits for the next one), and two trainings with test scores."""
    rows = []
    for r in records:
        if r["工作类型"] != "电话邀约":
            continue
        held = next((d for d in days if d >= r["日期"]), None)
        if held is not None:
            rows.append({"见面会日期": held, "主题": "广告投放效果提升交流会", "地点": "公司三楼会议室",
                         "帐户ID": r["帐户ID"], "到会": "是" if fill.random() < 0.7 else "否"})
    trainings = [{"日期": day, "主题": topic, "客服": name, "考试分数": fill.randint(68, 98)}
                 for day, topic in ((days[0], "新版后台操作"), (days[-1], "续费话术")) for name, _ in staff]
    path = meetings_kind.path_of(folder)
    with Typist() as typist:
        spec = meetings_kind.spec(load_config(folder / "kefu-xl.toml"))
        typist.rows(path, spec.sheet(meetings_kind.MEETINGS), sorted(rows, key=lambda x: x["见面会日期"]))
        typist.rows(path, spec.sheet(meetings_kind.TRAININGS), trainings)
