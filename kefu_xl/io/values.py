"""Turning the values people type into numbers, dates and text.

Each parser returns the parsed value, or raises `ValueError` with a Chinese reason;
the table reader turns that into a Problem naming file, sheet, row and column.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

EXCEL_EPOCH = date(1899, 12, 30)
FORMULA_PREFIXES = ("=", "+", "-", "@")

_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def normalize(text: str) -> str:
    """Full-width digits, letters and punctuation to ASCII (NFKC), trimmed."""
    return unicodedata.normalize("NFKC", text).strip()


FULL_WIDTH_SPACE = "\u3000"


def trim_text(text: str) -> str:
    """What a spreadsheet's TRIM(SUBSTITUTE(text, "　", " ")) gives: full-width spaces made
    spaces, leading and trailing spaces dropped, runs of spaces inside made one. The
    workbooks' formulas read every typed text cell so (sheets/typed.py), and so does Python:
    " M2 " and "决策人　" mean M2 and 决策人 to both engines alike."""
    if FULL_WIDTH_SPACE in text:
        text = text.replace(FULL_WIDTH_SPACE, " ")
    if "  " in text:
        return " ".join(part for part in text.split(" ") if part)
    return text.strip(" ")


# ASC() of a spreadsheet: full-width ASCII (Ａ１２ typed in the input method's full-width mode)
# and the full-width space as their half-width selves — exactly that range, nothing NFKC adds.
_HALF_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def fold_width(text: str) -> str:
    """What a spreadsheet's ASC(text) gives for letters, digits and signs: ５５９８ → 5598."""
    return text.translate(_HALF_WIDTH) if not text.isascii() else text


def id_text(value) -> str:
    """An ID cell (帐户ID…) as typed, as the workbooks' TRIM(ASC(SUBSTITUTE(cell, "　", " "))) reads it: trimmed and
    full-width letters and digits made half-width (sheets/spec.trim_expression)."""
    text = parse_text(value)
    return trim_text(fold_width(text)) if not text.isascii() else text


def parse_text(value) -> str:
    """Text as typed, trimmed as a formula's TRIM sees it (trim_text); numbers that are whole
    become "1001", not "1001.0"."""
    if type(value) is str:              # nearly every cell: a recalc reads hundreds of thousands
        if not value or (value[0] != " " and value[-1] != " " and "  " not in value
                         and FULL_WIDTH_SPACE not in value):
            return value
        return trim_text(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date)):
        return _as_date(value).isoformat()
    return str(value).strip()


def parse_texts(values) -> list[str]:
    """parse_text of each value: a column at a time, the text already trimmed and the blank
    cell (nearly all of a 100,000-row column) without a call each; a date once per day."""
    days: dict = {}
    return [v if type(v) is str and (not v or (v[0] != " " and v[-1] != " " and "  " not in v
                                               and FULL_WIDTH_SPACE not in v))
            else "" if v is None
            else days.get(v) or days.setdefault(v, parse_text(v)) if type(v) in (date, datetime)
            else parse_text(v) for v in values]


def id_texts(values) -> list[str]:
    """id_text of each value, a column at a time (parse_texts)."""
    return [t if t.isascii() else trim_text(fold_width(t)) for t in parse_texts(values)]


def parse_id(value) -> str:
    """An identifier (帐户ID, 订单号…): trimmed, full-width normalised, inner spaces removed.
    Plain ASCII letters and digits (nearly every ID; settle reads 200,000 a month) are already so."""
    if isinstance(value, str) and value.isascii() and value.isalnum():
        return value
    return re.sub(r"\s+", "", normalize(parse_text(value)))


EXCEL_DIGITS = 15          # Excel keeps 15 significant digits of a number
_SCIENTIFIC = re.compile(r"^\s*[-+]?\d+(?:\.\d+)?[eE][-+]?\d+\s*$")


def parse_export_id(value) -> str:
    """An account ID as an export holds it (parse_id), refused when it cannot be the real ID:
    a number of more than 15 digits (Excel kept 15 significant digits and changed the rest)
    or a number written as 1.23457E+17 (a CSV saved by Excel)."""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool) and abs(value) >= 10 ** EXCEL_DIGITS:
        raise ValueError(f"是超过 {EXCEL_DIGITS} 位的数字，Excel 只保留 {EXCEL_DIGITS} 位有效数字，末尾几位已经被改掉了"
                         f"（实际是 {int(value)}）：请在导出时把 帐户ID 列设为文本，重新导出后再运行")
    if isinstance(value, str) and _SCIENTIFIC.match(value):
        raise ValueError("是科学计数法写的数字（文件被 Excel 另存过），帐户ID 已经丢了末尾几位："
                         "请重新导出，并把 帐户ID 列设为文本")
    return parse_id(value)


def money_text(value) -> str:
    """Money as every table and message shows it (docs/inputs.md): 1,234.50 — thousands
    separated, two decimals, exact (a Decimal is never rounded through a float)."""
    return f"{Decimal(value) if not isinstance(value, Decimal) else value:,.2f}"


def parse_decimal(value) -> Decimal | None:
    """A number: 5,000.50 / ５０００ / ¥1,200 / 1200元 / 1 200 → Decimal; blank → None."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError("应为数字")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        # repr gives the shortest string that round-trips: 0.1 stays 0.1
        return Decimal(repr(value))
    if isinstance(value, Decimal):
        return value
    text = normalize(str(value))
    text = re.sub(r"[\s,¥￥$]|元$|人民币", "", text)
    if text.startswith("(") and text.endswith(")"):
        text = "-" + text[1:-1]
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError("不是数字") from None
    if not number.is_finite():
        raise ValueError("不是数字")
    return number


def parse_int(value) -> int | None:
    number = parse_decimal(value)
    if number is None:
        return None
    if number != number.to_integral_value():
        raise ValueError("应为整数")
    return int(number)


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def parse_date(value) -> date | None:
    """2026/11/3, 2026-11-03, 2026年11月3日, 20261103, Excel serials, real dates → date."""
    if is_blank(value):
        return None
    if isinstance(value, (datetime, date)):
        return _as_date(value)
    if isinstance(value, bool):
        raise ValueError("不是日期")
    if isinstance(value, (int, float, Decimal)):
        serial = float(value)
        if 1 <= serial < 2958466:  # Excel's range: 1900-01-01 … 9999-12-31
            return EXCEL_EPOCH + timedelta(days=int(serial))
        raise ValueError("不是日期")
    text = normalize(str(value))
    text = re.sub(r"\s+\d{1,2}:\d{2}(:\d{2})?$", "", text)  # drop a time part
    for pattern in _DATE_PATTERNS:
        m = pattern.match(text)
        if m:
            try:
                return date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                raise ValueError("日期不存在") from None
    if re.fullmatch(r"\d{5}(\.\d+)?", text):
        return parse_date(float(text))
    raise ValueError("不是日期（请写成 2026-11-03）")


PLAUSIBLE_SERIAL = 18264          # 1950-01-01: a smaller number in a date cell was typed as a number (12.2)
_MONTH_DAY = (re.compile(r"^(\d{1,2})[./\-](\d{1,2})$"), re.compile(r"^(\d{1,2})月(\d{1,2})日?$"))


def as_typed(value) -> str:
    """A cell's value as the person typed it: 12.2, not 12.199999 or 1900-01-11."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date)):
        return _as_date(value).isoformat()
    return str(value).strip()


def mistyped_date(value, near: date) -> tuple[str, date | None] | None:
    """(the value as typed, the date it most likely means or None) when a date cell holds what a
    person typed for a date but a spreadsheet does not take as one: text (12.2, 12/2, 2026.12.2,
    20261202, 12月2日 — kept as text by a text-formatted cell) or a number too small to be a
    date (12.2 typed into a General cell is the number 12.2, which a formula reads as
    1900-01-11). A month and day without a year take the year that puts them nearest `near`.
    None for a real date, a plausible date serial or a blank cell."""
    if is_blank(value) or isinstance(value, bool):
        return None
    if isinstance(value, (datetime, date)):       # a small number in a date-formatted cell reads as 1900-01-12
        if value.year >= 1950:
            return None
        value = _serial(value)
    if isinstance(value, (int, float, Decimal)) and PLAUSIBLE_SERIAL <= value < 2958466:
        return None
    shown = as_typed(value)
    text = normalize(shown)
    guess = None
    try:
        guess = parse_date(text) if not isinstance(value, (int, float, Decimal)) or value >= 2958466 else None
    except ValueError:
        pass
    if guess is not None and guess.year < 1950:
        guess = None                     # 12345 as a serial is no date anyone meant
    for pattern in _MONTH_DAY:
        m = pattern.match(text)
        if m and guess is None:
            guess = _nearest_year(int(m[1]), int(m[2]), near)
    if guess is None and re.fullmatch(r"\d{1,2}", text):
        guess = _nearest_year(near.month, int(text), near)      # a day alone: of the month at hand
    return shown, guess


def _serial(value: date | datetime) -> float | int:
    """The number a spreadsheet holds for a date (serials below 60 count from 1899-12-31, as
    Excel's and every reader's do), as typed: 12.2, not 12.200000001."""
    moment = value if isinstance(value, datetime) else datetime.combine(value, datetime.min.time())
    epoch = datetime(1899, 12, 31) if moment < datetime(1900, 3, 1) else datetime(1899, 12, 30)
    number = round((moment - epoch).total_seconds() / 86400, 6)
    return int(number) if number == int(number) else number


def _nearest_year(month: int, day: int, near: date) -> date | None:
    candidates = []
    for year in (near.year - 1, near.year, near.year + 1):
        try:
            candidates.append(date(year, month, day))
        except ValueError:
            return None
    return min(candidates, key=lambda d: abs((d - near).days))


def parse_datetime(value) -> datetime | None:
    """A date with a time of day: real date-times, Excel serials with a fraction, and text
    such as 2026-11-03 10:15 or 2026年11月3日 10:15:30 (a date alone is midnight)."""
    if is_blank(value):
        return None
    if isinstance(value, datetime):
        return value.replace(microsecond=0)
    if isinstance(value, date):
        return datetime.combine(value, datetime.min.time())
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        serial = float(value)
        if 1 <= serial < 2958466:
            moment = datetime.combine(EXCEL_EPOCH, datetime.min.time()) + timedelta(days=serial)
            return (moment + timedelta(seconds=0.5)).replace(microsecond=0)   # serials carry float noise
        raise ValueError("不是日期时间")
    text = normalize(str(value))
    m = re.search(r"\s*(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?$", text)
    day = parse_date(text[:m.start()] if m else text)
    if m is None:
        return datetime.combine(day, datetime.min.time())
    hour, minute, second = int(m[1]), int(m[2]), int(m[3] or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError("时间不存在")
    return datetime(day.year, day.month, day.day, hour, minute, second)


def parse_yes_no(value) -> bool | None:
    """是/否, 有/无, ✓/空, Y/N, true/false."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return value
    text = normalize(str(value)).lower()
    if text in {"是", "有", "✓", "✔", "√", "y", "yes", "true", "1", "对"}:
        return True
    if text in {"否", "无", "✗", "×", "x", "n", "no", "false", "0", "不"}:
        return False
    raise ValueError("应为 是/否")


def looks_like_formula(value) -> bool:
    """True when a text value would be taken as a formula by a spreadsheet."""
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def mask_phone(phone: str) -> str:
    """138****1234: for anything that leaves the office (merchant statements, email)."""
    digits = re.sub(r"\D", "", normalize(phone or ""))
    if len(digits) >= 7:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    return "*" * len(digits)


def stays_text(value) -> bool:
    """Whether a value must be written as text: it looks like a formula and is not one (a
    sheets.build.Formula is one)."""
    return looks_like_formula(value) and not getattr(value, "is_formula", False)
