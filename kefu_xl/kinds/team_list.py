"""The team's accounts as a personal workbook holds them (docs/work.md): the hidden 帐户清单
sheet — every account of the team tracker as "|ID^客户名称|" texts in a few cells — which the
workbook's formulas search to tell a colleague's account (shown with its client's name and
（同事的帐户）) from an ID not in the team, and which a recalc away from the workspace reads
back as the team it last knew."""
from __future__ import annotations

from ..errors import KefuError
from ..io.values import id_text
from ..rules import completion
from .base import cell_text
from .today import ALL_ACCOUNTS

ID_LIST = "帐户ID清单"
CHUNK = 30000                      # characters per 帐户ID清单 cell (a cell holds 32,767)
CHUNKS = 20                        # cells the 帐户不存在 check looks at: 600,000 characters, ~25,000 accounts
COLLEAGUES, NOT_TEAMS = "（同事的帐户）", "（不在团队帐户中）"   # 工作记录's 客户名称 of an ID not in 我的帐户
LISTED = '"|"&[帐户ID]&"^"'        # how an account ID is found in 帐户ID清单 (id_chunks)


NAME_MARK = "^"                   # 帐户ID清单 entries: |ID^客户名称
NAME_CHARS = 100                  # a client's name in the list is cut to this (the formula reads at most 200)


def listed_name(name: str) -> str:
    """A client's name as 帐户ID清单 holds it (and 工作记录's 客户名称 shows it): without the list's
    own separators."""
    return name.replace("|", " ").replace(NAME_MARK, " ")[:NAME_CHARS]


def id_chunks(accounts: list[tuple[str, str]]) -> list[str]:
    """The team's accounts as "|A1^甲公司|A2^乙公司|…|" texts of at most CHUNK characters: the
    帐户不存在 check is one SEARCH for "|ID^" over a few cells instead of thousands of rows, and
    a colleague's account shows its client's name from the same cells."""
    pieces = [f"{id_text(i)}{NAME_MARK}{listed_name(n)}|" for i, n in accounts]
    if sum(map(len, pieces)) > CHUNK * CHUNKS:
        raise KefuError(f"团队帐户太多（{len(accounts)} 个），个人工作簿的帐户清单放不下：请联系维护人员调大 CHUNKS。")
    chunks, current = [], "|"
    for piece in pieces:
        if len(current) + len(piece) > CHUNK:
            chunks.append(current)
            current = "|"
        current += piece
    if current != "|":
        chunks.append(current)
    return chunks


def colleague_name_formula(key: str) -> str:
    """The client's name of the account whose "|ID^" is `key`, from the 帐户ID清单 chunk holding it
    (IDs are unique in the team, so one chunk does), followed by （同事的帐户）."""
    ids = f"[{ALL_ACCOUNTS}!#{ID_LIST}:{CHUNKS}]"
    chunk = f"INDEX({ids},SUMPRODUCT(ISNUMBER(SEARCH({key},{ids}))*ROW({ids}))-MIN(ROW({ids}))+1)"
    rest = f"MID({chunk},SEARCH({key},{chunk})+LEN({key}),200)"
    return f'LEFT({rest},FIND("|",{rest})-1)&"{COLLEAGUES}"'


def write_account_list(ws, layout, accounts: list[tuple[str, str]]) -> None:
    """The hidden 帐户清单 (帐户ID, 客户名称), left alone when it already holds exactly these."""
    first, col = layout.first_data_row, layout.columns[ID_LIST]
    chunks = id_chunks(accounts)
    current = [v[0] for v in ws.iter_rows(min_row=first, min_col=col, max_col=col, values_only=True)]
    while current and current[-1] in (None, ""):
        current.pop()
    if current == chunks:
        return
    if ws.max_row >= first:
        ws.delete_rows(first, ws.max_row - first + 1)
    for i, text in enumerate(chunks):
        cell = ws.cell(first + i, col)
        cell.value = text
        cell.data_type = "s"


def last_account_list(wb, layouts) -> list[tuple[str, str]]:
    """The team's accounts (帐户ID, 客户名称) as this workbook's hidden 帐户清单 last held them
    (0.3.0's list held IDs only: their names are blank)."""
    ws, layout = wb[ALL_ACCOUNTS], layouts[ALL_ACCOUNTS]
    col = layout.columns[ID_LIST]
    texts = [cell_text(v[0]) for v in ws.iter_rows(min_row=layout.first_data_row, min_col=col, max_col=col,
                                                   values_only=True)]
    return [(entry.partition(NAME_MARK)[0], entry.partition(NAME_MARK)[2])
            for text in texts for entry in text.split("|") if entry]


def client_name(record, mine: dict[str, str], team: dict[str, str]) -> str:
    """工作记录's 客户名称: the client of one of my accounts; a colleague's account's client
    followed by （同事的帐户）; else （不在团队帐户中）."""
    if not record.account_id:
        return ""
    key = completion.id_key(record.account_id)
    if key in mine:
        return mine[key]
    return listed_name(team[key]) + COLLEAGUES if key in team else NOT_TEAMS
