"""Assembling the team's 工作记录 from the personal workbooks (DOMAIN §14, single writer).

Every personal workbook of YYYY-MM/个人/ is read — read only, values as last saved (an open
one is read as last saved, and the line says so) — and its records replace the team
tracker's collected rows (those with a 来源); rows typed straight into the team file (blank
来源) stay where they are. The maintenance recalc calls this first, so `kefu-xl collect`,
`kefu-xl recalc 维护跟踪…` and the ribbon button all collect the same way. Nothing is ever
written to a personal workbook."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from .errors import KefuError
from .io.values import is_blank
from .month import Month
from .records import Problem, Severity
from .rules import completion

INPUTS = ("日期", "客服", "帐户ID", "工作类型", "沟通对象", "内容摘要")


@dataclass
class PersonLine:
    """One person's collection: what was read, from where, and how their day looks."""
    owner: str
    file: str
    saved_at: datetime | None = None
    records: int = 0
    problems: int = 0
    plan_done: int | None = None
    plan_total: int | None = None
    note: str = ""
    skipped: bool = False


@dataclass
class Collected:
    lines: list[PersonLine] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)        # team 工作记录 rows, 来源 set
    problems: list[Problem] = field(default_factory=list)


def personal_files(workspace: Path, month: Month) -> list[Path]:
    from .kinds import personal
    folder = workspace / str(month) / personal.FOLDER
    return sorted(p for p in folder.glob("*.xlsx") if not p.name.startswith("~$")) if folder.is_dir() else []


def read_personal(path: Path, month: Month, config, team_ids: set[str]) -> tuple[PersonLine, list[dict], list[Problem]]:
    """(its line, its records as team rows, problems) of one personal workbook, read only."""
    from .io.tables import read_sheets_fast
    from .kinds import personal
    from .kinds.base import cell_date, cell_text, plain_value
    from .records import WorkRecord
    from .sheets.read import read_sheet
    line = PersonLine(owner="", file=path.name, saved_at=datetime.fromtimestamp(path.stat().st_mtime))
    problems: list[Problem] = []
    try:
        grid = read_sheets_fast(path, only=("_meta", personal.WORK, personal.TODAY))
    except KefuError as e:
        line.skipped, line.note = True, f"无法读取：{e}"
        problems.append(Problem(path.name, "", None, "", "NOT_A_WORKBOOK", f"{path.name} 不是可读取的工作簿，已跳过：{e}"))
        return line, [], problems
    meta = dict(row[:2] for row in grid["_meta"].grid if row and row[0]) if "_meta" in grid else {}
    if meta.get("kind") != personal.KIND:
        line.skipped, line.note = True, "不是个人工作簿"
        problems.append(Problem(path.name, "_meta", None, "kind", "NOT_PERSONAL",
                                f"{path.name} 不是 kefu-xl 生成的个人工作簿，已跳过（个人文件夹里只放个人工作簿）。"))
        return line, [], problems
    line.owner = str(meta.get("owner") or "")
    if str(meta.get("month")) != str(month):
        line.skipped, line.note = True, f"是 {meta.get('month')} 的工作簿"
        problems.append(Problem(path.name, "_meta", None, "month", "WRONG_MONTH",
                                f"{path.name} 是 {meta.get('month')} 的个人工作簿，却放在 {month} 的文件夹里：已跳过，"
                                f"请把它放回 {meta.get('month')}/{personal.FOLDER}/。"))
        return line, [], problems
    if path.name != personal.file_name(line.owner, month):
        line.note = f"文件名应为 {personal.file_name(line.owner, month)}"
        problems.append(Problem(path.name, "_meta", None, "owner", "RENAMED",
                                f"{path.name} 被改过名：它是{line.owner}的工作簿（按{line.owner}汇总）。"
                                f"请改回 {personal.file_name(line.owner, month)}。", Severity.WARNING))
    if (path.parent / f"~${path.name}").exists():
        line.note = "正在被打开：按最后保存的内容汇总"
    wspec = personal.spec(config, month)
    found: list[Problem] = []
    data = read_sheet(grid[personal.WORK], wspec.sheet(personal.WORK), path.name, found) \
        if personal.WORK in grid else None
    if data is None:
        line.skipped, line.note = True, "「工作记录」表头不完整"
        problems.extend(found or [Problem(path.name, personal.WORK, None, "", "MISSING_SHEET",
                                          f"{path.name} 没有「{personal.WORK}」表，已跳过。")])
        return line, [], problems
    rows, records = [], []
    for row, v in data.rows:
        values = {h: plain_value(v[h]) for h in INPUTS}
        if is_blank(values["客服"]):
            values["客服"] = line.owner
        rows.append({**values, "来源": path.name})
        records.append(WorkRecord(cell_date(v["日期"]), cell_text(values["客服"]), cell_text(v["帐户ID"]),
                                  cell_text(v["工作类型"]), cell_text(v["沟通对象"]), "", row))
    line.records = len(rows)
    from .records import Targets
    verdicts = completion.classify_work(records, {k: Targets() for k in team_ids}, month.first, month.last,
                                        over_plan=False)
    line.problems = sum(1 for v in verdicts if not v.valid)
    today = read_sheet(grid[personal.TODAY], wspec.sheet(personal.TODAY), path.name, []) \
        if personal.TODAY in grid else None
    if today is not None and personal.PLAN_DAY in today.layout.anchors:
        day = cell_date(grid[personal.TODAY].value(*today.layout.anchors[personal.PLAN_DAY]))
        items = [{h: cell_text(v[h]) for h in ("优先级", "帐户ID", "事项")} for _, v in today.rows]
        done = personal.plan_done(items, records, verdicts, day)
        line.plan_done, line.plan_total = sum(done), len(items)
    return line, rows, problems


def collect(workspace: Path, month: Month, config, team_ids: set[str], roster_names: list[str] | None) -> Collected:
    """Every personal workbook of the month, read; two files claiming one person are both
    skipped (their records would count twice); a roster member without a file is named."""
    out = Collected()
    read = [read_personal(p, month, config, team_ids) for p in personal_files(workspace, month)]
    owners: dict[str, list[str]] = {}
    for line, _, _ in read:
        if not line.skipped:
            owners.setdefault(line.owner, []).append(line.file)
    for line, rows, problems in read:
        out.problems.extend(problems)
        if not line.skipped and len(owners[line.owner]) > 1:
            line.skipped, line.note = True, f"与 {'、'.join(f for f in owners[line.owner] if f != line.file)} 是同一个人的"
            out.problems.append(Problem(line.file, "_meta", None, "owner", "TWO_FILES_ONE_PERSON",
                                        f"{'、'.join(owners[line.owner])} 都是{line.owner}的个人工作簿：都没有汇总，"
                                        f"请只保留一本（把另一本的记录复制过去后删除）。"))
        out.lines.append(line)
        if not line.skipped:
            out.rows.extend(rows)
    present = set(owners)
    for name in roster_names or []:
        if name not in present:
            out.problems.append(Problem("", "", None, "", "NO_PERSONAL_FILE",
                                        f"{name} 没有个人工作簿（{month}/个人/{name}_{month}.xlsx）：本次没有汇总到{name}的记录。"
                                        f"开月时会自动生成；可运行 kefu-xl month open {month} --refresh 补上。", Severity.WARNING))
    return out


def replace_collected_rows(ws, layout, sheet, rows: list[dict], data) -> int:
    """In the team 工作记录: drop the rows that came from personal workbooks (with a 来源),
    keep the typed ones in place, write `rows` after the last one. Returns rows removed."""
    from .sheets.build import write_rows
    drop = sorted(r for r, v in data.rows if not is_blank(v.get("来源")))
    kept = [r for r, v in data.rows if is_blank(v.get("来源"))]
    runs: list[list[int]] = []
    for r in drop:                               # contiguous blocks, deleted bottom-up
        if runs and runs[-1][1] == r - 1:
            runs[-1][1] = r
        else:
            runs.append([r, r])
    for first, last in reversed(runs):
        ws.delete_rows(first, last - first + 1)
    last_kept = max(kept) if kept else layout.header_row
    last_kept -= sum(1 for r in drop if r < last_kept)
    write_rows(ws, layout, sheet, rows, last_kept + 1)
    return len(drop)


def saved_at(line: PersonLine) -> str:
    return line.saved_at.strftime("%m-%d %H:%M") if line.saved_at else "—"


def as_of_default(month: Month) -> date:
    return month.clamp(date.today())
