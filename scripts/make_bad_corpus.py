#!/usr/bin/env python3
"""Generate the bad-input corpus (tests/data/bad/ by default): messy files that must simply
work and broken or hostile ones that must be refused with a clear message, and settlement
inputs (tests/data/bad/settle/). Files are made by code, never edited by hand; tests call
make_corpus() and make_settlement_corpus() into a temporary folder.

    python scripts/make_bad_corpus.py [FOLDER]
"""
from __future__ import annotations

import json
import sys
import zipfile
from datetime import date
from pathlib import Path

import openpyxl

HEADERS = ["帐户ID", "客户名称", "客服", "行业", "周消耗", "余额", "合同到期日", "开户日期"]
ROWS = [["C1", "甲建材", "张敏", "建材", 2500, 100, date(2027, 1, 1), date(2024, 1, 1)],
        ["C2", "乙家居", "李娜", "家居", 300, 100, date(2027, 1, 1), date(2024, 1, 1)]]
CRM_HEADERS = ["订单号", "商家", "类目", "活动场次", "网友姓名", "手机", "成交金额", "订单状态", "下单日期"]


def _xlsx(path: Path, rows, title=None, mutate=None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    if title:
        ws.append([title])
    for r in rows:
        ws.append(r)
    if mutate:
        mutate(ws)
    wb.save(path)
    return path


def _csv(path: Path, rows, encoding: str, newline: str = "\r\n") -> Path:
    import csv
    import io
    buf = io.StringIO()
    csv.writer(buf, lineterminator=newline).writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def _rewrite_part(path: Path, part: str, change) -> None:
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            zout.writestr(info, change(data) if info.filename == part else data)
    tmp.replace(path)


def with_entity_declaration(xml: bytes, declaration: bytes) -> bytes:
    """The part with a DOCTYPE/ENTITY prologue in front (replacing any XML declaration)."""
    body = xml.split(b"?>", 1)[1] if xml.lstrip().startswith(b"<?xml") else xml
    return declaration + body


def _bad_crc(path: Path, part: str) -> None:
    """The checksum the zip's directory keeps for `part` made wrong (a bit flipped on a NAS)."""
    import struct
    data = bytearray(path.read_bytes())
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        name_len = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46:at + 46 + name_len] == part.encode():
            crc = struct.unpack_from("<I", data, at + 16)[0]
            struct.pack_into("<I", data, at + 16, crc ^ 0xFFFF)
            break
        at = data.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(data))


def make_corpus(folder: Path) -> list[dict]:
    """Write every case into folder/<case>/帐户状态.<ext>; return the manifest."""
    cases: list[dict] = []

    def case(name, expect, needle="", ext="xlsx", stem="帐户状态"):
        d = folder / name
        d.mkdir(parents=True, exist_ok=True)
        cases.append({"case": name, "expect": expect, "needle": needle, "file": f"{stem}.{ext}"})
        return d / f"{stem}.{ext}"

    # messy but readable: must simply work
    _xlsx(case("title_row", "works"), [HEADERS, *ROWS], title="帐户状态导出")
    _xlsx(case("blank_rows", "works"), [HEADERS, ROWS[0], [None] * 8, [None] * 8, ROWS[1]])
    _xlsx(case("hidden_rows", "works"), [HEADERS, *ROWS],
          mutate=lambda ws: setattr(ws.row_dimensions[2], "hidden", True))
    _xlsx(case("fullwidth_digits", "works"), [HEADERS, ["Ｃ１", "甲", "张敏", "建材", "２５００", "１００",
                                                       "２０２７-０１-０１", "２０２４-０１-０１"]])
    _xlsx(case("dates_as_text", "works"), [HEADERS, ["C1", "甲", "张敏", "建材", "2,500.50", "100", "2027/1/1",
                                                    "2024年1月1日"]])
    _xlsx(case("dates_as_serials", "works"), [HEADERS, ["C1", "甲", "张敏", "建材", 2500, 100, 46388, 45292]])
    text_rows = [HEADERS, ["C1", "甲建材", "张敏", "建材", "2500", "100", "2027-01-01", "2024-01-01"]]
    _csv(case("csv_gbk", "works", ext="csv"), text_rows, "gbk")
    _csv(case("csv_utf8_bom", "works", ext="csv"), text_rows, "utf-8-sig")
    _csv(case("csv_crlf_utf8", "works", ext="csv"), text_rows, "utf-8", "\r\n")
    _csv(case("csv_utf16", "works", ext="csv"), text_rows, "utf-16")
    # broken or hostile: must be refused, naming what is wrong
    _xlsx(case("missing_header", "refused", "周消耗"), [[h for h in HEADERS if h != "周消耗"], ["C1"] * 7])
    _xlsx(case("misspelled_header", "refused", "客户名称"), [["帐户ID", "客户名", *HEADERS[2:]], *ROWS])
    _xlsx(case("merged_header", "refused", "合并单元格"), [HEADERS, *ROWS], mutate=lambda ws: ws.merge_cells("A1:B1"))
    _xlsx(case("formula_values", "refused", "第3行"),
          [HEADERS, ROWS[0], ["=A2&\"x\"", "乙", "李娜", "家居", "=E2*2", 1, date(2027, 1, 1), date(2024, 1, 1)]])
    _xlsx(case("error_values", "refused", "#N/A"), [HEADERS, ["C1", "甲", "张敏", "建材", "#N/A", "#REF!",
                                                               date(2027, 1, 1), date(2024, 1, 1)]])
    _xlsx(case("bad_number", "refused", "列「周消耗」"), [HEADERS, ["C1", "甲", "张敏", "建材", "很多", 1,
                                                                  date(2027, 1, 1), date(2024, 1, 1)]])
    _xlsx(case("duplicate_id", "refused", "重复"), [HEADERS, ROWS[0], ROWS[0]])
    # an 18-digit ID stored as a number: Excel kept 15 significant digits (docs/reliability.md)
    _xlsx(case("id_over_15_digits", "refused", "15 位"), [HEADERS, [123456789012345678, *ROWS[0][1:]],
                                                          [123456789012345679, *ROWS[1][1:]]])
    _csv(case("id_in_scientific_notation", "refused", "科学计数法", ext="csv"),
         [HEADERS, ["1.23457E+17", "甲", "张敏", "建材", "2500", "100", "2027-01-01", "2024-01-01"]], "utf-8-sig")
    _bad_crc(_xlsx(case("crc_damaged", "refused", "损坏"), [HEADERS, *ROWS]), "xl/worksheets/sheet1.xml")
    path = _xlsx(case("truncated_zip", "refused", "损坏"), [HEADERS, *ROWS])
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    path = _xlsx(case("zip_bomb", "refused", "zip 炸弹"), [HEADERS, *ROWS])
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/media/padding.bin", b"\0" * (64 * 1024 * 1024))     # 64 MB of zeros, ~64 KB packed
    path = _xlsx(case("xml_entity_expansion", "refused", "实体"), [HEADERS, *ROWS])
    bomb = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>')
    _rewrite_part(path, "xl/worksheets/sheet1.xml", lambda d: with_entity_declaration(d, bomb))
    case("password_protected", "refused", "密码").write_bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4096)               # what Excel writes when encrypting
    case("xls_instead", "refused", ".xls", ext="xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    case("zero_byte", "refused", "空文件").write_bytes(b"")
    (folder / "manifest.json").write_text(json.dumps(cases, ensure_ascii=False, indent=1), "utf-8")
    return cases


LINE_HEADERS = ["商家", "订单号", "商家联", "网友联", "申报金额"]


def make_settlement_corpus(folder: Path) -> list[dict]:
    """Settlement inputs that look fine one value at a time but would move money wrongly
    (issue 33), and malformed CRM exports. Each case is one file for a `slot` of a month's
    inputs/ (tests drop it into the settlement scenario of test_settle.py, whose 领用 knows
    好家居 and 美家居 and whose book DB0001 holds 100001–100050); the manifest says whether
    settle must refuse it (with `needle` in the message) or simply work."""
    cases: list[dict] = []

    def case(name, expect, slot, needle=""):
        d = folder / name
        d.mkdir(parents=True, exist_ok=True)
        cases.append({"case": name, "expect": expect, "needle": needle, "slot": slot, "file": Path(slot).name})
        return d / Path(slot).name

    form = "结算流转单/C_坏文件.xlsx"
    path = _xlsx(case("form_lines_on_a_second_sheet", "refused", form, "kefu-xl 只读这个文件的"),
                 [LINE_HEADERS, ["好家居", "100020", "有", "有", 100]])
    wb = openpyxl.load_workbook(path)
    second = wb.create_sheet("第二页")
    for r in (LINE_HEADERS, ["好家居", "100021", "有", "有", 90000], ["好家居", "100022", "有", "有", 51700]):
        second.append(r)
    wb.save(path)
    path = _xlsx(case("form_order_numbers_on_a_notes_sheet", "refused", form, "但不是申报表"),
                 [LINE_HEADERS, ["好家居", "100020", "有", "有", 100]])
    wb = openpyxl.load_workbook(path)
    wb.create_sheet("补报").append(["100023", "有", "有", 800])
    wb.save(path)
    path = case("form_behind_a_cover_sheet", "works", form)
    wb = openpyxl.Workbook()
    wb.active.title = "填表说明"
    wb.active.append(["商家联、网友联请填 有/无"])
    sheet = wb.create_sheet("流转单")
    for r in (LINE_HEADERS, ["好家居", "100020", "有", "有", 100]):
        sheet.append(r)
    wb.save(path)
    _xlsx(case("form_merchant_spelled_otherwise", "refused", form, "最接近的是「好家居」"),
          [LINE_HEADERS, ["好家", "100020", "有", "有", 100], ["好家", "100021", "有", "有", 100]])
    crm_row = ["100001", "好家居", "家具", "秋季家博会", "王先生", "13812345678", "1000", "成交", "2026-10-20"]
    _csv(case("crm_unquoted_thousands_separator", "refused", "CRM订单.csv", "第 3 行有 10 列，表头只有 9 列"),
         [CRM_HEADERS, crm_row, [*crm_row[:6], "1", "000", *crm_row[7:]]], "utf-8-sig")
    text = ",".join(CRM_HEADERS) + "\r\n" + ",".join(crm_row[:4]) + ',"王先生,13812345678,1000,成交,2026-10-20\r\n'
    case("crm_unclosed_quote", "refused", "CRM订单.csv", "引号").write_bytes(text.encode("gbk"))
    (folder / "manifest.json").write_text(json.dumps(cases, ensure_ascii=False, indent=1), "utf-8")
    return cases


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "tests" / "data" / "bad"
    print(f"{len(make_corpus(target))} 个样例写入 {target}")
    print(f"{len(make_settlement_corpus(target / 'settle'))} 个结算样例写入 {target / 'settle'}")
