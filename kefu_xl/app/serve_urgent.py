"""`kefu-xl serve`'s urgent items (docs/plan.md): what the 9:00 watch and a changed
续费跟踪 bring after the morning plans, noted per person for 状态.html and put on a closed
workbook's 今日 at once (the personal recalc adds them as 新增 lines)."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from ..calendar import WorkCalendar
from ..errors import KefuError
from ..kinds import personal, renewal
from ..month import Month
from ..rules.plan import planned_renewals


class UrgentItems:
    """Server's part that notes urgent items (it needs the server's state, clock, config and tracked files)."""

    def note_urgent(self, day: date, outcome) -> None:
        """The day's anomalies per person, for 状态.html until they are on the person's 今日
        (the latest reason of each account only)."""
        for row in outcome.urgent:
            if row["客服"]:
                self.flag_urgent(day, row["客服"], row["帐户ID"], f"{row['客户名称'] or row['帐户ID']} {row['异常']}")

    def flag_urgent(self, day: date, person: str, account: str, what: str) -> None:
        """An urgent item for `person`: listed on 状态.html until it is on their 今日; today's plan
        gains it at once (the personal recalc adds priority-1 items the morning plan lacks as 新增):
        a closed workbook is recalculated in this pass, an open one when it closes."""
        if self.state.urgent_day != day.isoformat():
            self.state.urgent, self.state.urgent_day = {}, day.isoformat()
        self.state.urgent.setdefault(person, {})[account] = what
        if day == self.now.date():
            try:
                path = personal.path_of(self.workspace, person, Month.of(day))
            except KefuError:
                return
            if path.exists():
                self.tracked(path).urgent = True

    def note_renewals(self, path: Path) -> None:
        """After 续费跟踪 changed (a collect, a month open --refresh with a new export): a renewal
        that became due today and was never reminded is urgent for its person. The first look of
        a day only notes what is due (the morning plans hold those)."""
        try:
            _, rows, _ = renewal.read_file(path, self.config)
        except (KefuError, OSError):
            return
        today = self.now.date()
        due = planned_renewals(rows, today, WorkCalendar(self.config), self.config)
        first = self.state.renewals_day != today.isoformat()
        for person, items in due.items():
            seen = set(self.state.renewals_due.get(person, []))
            for account, item in items.items():
                if not first and account not in seen:
                    self.flag_urgent(today, person, account, f"{item.name or account} 续费：{item.reason}")
            self.state.renewals_due[person] = sorted(seen | set(items))
        if first:
            self.state.renewals_day = today.isoformat()
            self.state.renewals_due = {p: sorted(items) for p, items in due.items()}

