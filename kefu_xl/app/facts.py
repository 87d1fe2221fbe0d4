"""The team's other files the rules of valid work read (rules/outcomes): 到帐日期 of the month's
续费跟踪 and the workspace's 见面会 — handed to a maintenance or personal recalc through
RecalcContext.facts, read once per recalc, values only (nothing is written)."""
from __future__ import annotations

from functools import cached_property
from pathlib import Path

from ..errors import KefuError
from ..kinds import meetings, renewal
from ..month import Month
from ..rules import journal as journal_rules
from ..rules.completion import id_key
from . import journal


class WorkspaceFacts:
    """kinds/base.FactsSource over a workspace's files for `month`."""

    def __init__(self, workspace: Path | None, month: Month, config):
        self.workspace, self.month, self.config = workspace, month, config

    @cached_property
    def _received(self) -> dict[str, list] | None:
        if "renewal" not in self.config.monthly:     # a team that keeps no 续费跟踪: nothing to wait for
            return None
        if self.workspace is None:
            return {}
        path = self.workspace / str(self.month) / renewal.file_name(self.month)
        if not path.exists():
            return {}
        try:
            _, rows, _ = renewal.read_file(path, self.config)
        except KefuError:               # its own recalc reports what is wrong with it
            return {}
        out: dict[str, list] = {}
        for r in rows:
            out.setdefault(id_key(r.account_id), []).append(r.received)
        return out

    def received(self) -> dict[str, list] | None:
        return self._received

    @cached_property
    def _meetings(self) -> list[tuple]:
        try:
            return meetings.meeting_rows(self.workspace, self.config)
        except KefuError:
            return []

    def meetings(self) -> list[tuple]:
        return self._meetings

    def late(self) -> dict[str, frozenset]:
        """{客服: identities of the records the 日志 judged 补录}, as the month's journal holds
        them now (after this recalc's own collect)."""
        if self.workspace is None:
            return {}
        return {path.stem: journal_rules.late_identities(journal.journal_state(path))
                for path in journal.journal_files(self.workspace, self.month)}
