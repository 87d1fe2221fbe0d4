"""Per-merchant settlement statements (kefu-xl settle --statements): one printable A4
workbook per merchant — title, merchant, period, lines, totals, signature lines — and, when
LibreOffice is installed, a PDF of each. Phones are masked: these leave the office."""
from __future__ import annotations

import re
from pathlib import Path

import xlsxwriter

from .io.libreoffice import soffice
from .io.values import mask_phone
from .rules import settle as rules

FONT = "微软雅黑"
COLUMNS = ["订单号", "网友", "手机", "结果", "原因", "申报金额", "结算金额"]


def _safe(name: str) -> str:
    return re.sub(r'[\\/:*?"<>|]', "_", name)[:80] or "商家"


def write_statements(outcome, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    crm = outcome.inputs.context.crm
    by_merchant: dict[str, list] = {}
    for r in outcome.results:
        by_merchant.setdefault(r.line.merchant, []).append(r)
    written = []
    for merchant, t in outcome.summary.items():
        path = folder / f"{_safe(merchant)}.xlsx"
        wb = xlsxwriter.Workbook(str(path))
        f = {k: wb.add_format({"font_name": FONT, **v}) for k, v in {
            "title": {"bold": True, "font_size": 16, "align": "center"}, "text": {"border": 1},
            "head": {"bold": True, "border": 1, "bg_color": "#D9D9D9", "align": "center"},
            "money": {"border": 1, "num_format": "#,##0.00"}, "bold": {"bold": True},
            "boldmoney": {"bold": True, "num_format": "#,##0.00"}}.items()}
        ws = wb.add_worksheet("对帐单")
        ws.set_paper(9)
        ws.set_portrait()
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(4)
        ws.merge_range(0, 0, 0, len(COLUMNS) - 1, f"{outcome.month.label} 商家结算对帐单", f["title"])
        ws.write(2, 0, f"商家：{merchant}", f["bold"])
        ws.write(2, 4, f"结算期间：{outcome.month.first} 至 {outcome.month.last}", f["bold"])
        for c, h in enumerate(COLUMNS):
            ws.write(4, c, h, f["head"])
        for c, w in enumerate((12, 10, 14, 8, 40, 12, 12)):
            ws.set_column(c, c, w)
        row = 5
        for r in by_merchant.get(merchant, []):
            order = crm.get(r.line.order_no)
            values = [r.line.order_no, order.customer if order else "", mask_phone(order.phone) if order else "",
                      r.result, r.reason]
            for c, v in enumerate(values):
                ws.write_string(row, c, str(v), f["text"])
            ws.write_number(row, 5, float(r.line.declared), f["money"])
            ws.write_number(row, 6, float(r.amount), f["money"]) if r.result == rules.SETTLE else \
                ws.write_blank(row, 6, None, f["money"])
            row += 1
        row += 1
        for label, key in (("结算金额", "结算金额"), ("罚款扣除（未追回缺失订单）", "罚款扣除"), ("应结金额", "应结金额")):
            ws.write(row, 4, label, f["bold"])
            ws.write_number(row, 6, float(t[key]), f["boldmoney"])
            row += 1
        ws.write(row, 4, f"申报 {t['申报单数']} 单：结算 {t['结算单数']}，暂缓 {t['暂缓单数']}，不结算 {t['不结算单数']}")
        row += 3
        ws.write(row, 0, "商家确认（签字盖章）：____________", f["bold"])
        ws.write(row, 4, "客服部（签字）：____________", f["bold"])
        ws.write(row + 2, 0, "财务（签字）：____________", f["bold"])
        ws.write(row + 2, 4, "日期：____________", f["bold"])
        wb.close()
        written.append(path)
    return written


def statements_to_pdf(paths: list[Path], folder: Path) -> list[Path]:
    """One soffice run for all statements; returns the PDFs that exist afterwards."""
    exe = soffice()
    if not exe or not paths:
        return []
    import shutil
    import subprocess

    from .io.libreoffice import _profile
    profile = _profile()
    try:
        subprocess.run([exe, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                        "--convert-to", "pdf", "--outdir", str(folder), *map(str, paths)],
                       capture_output=True, text=True, timeout=600 + 2 * len(paths))
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return [p for p in (folder / f"{q.stem}.pdf" for q in paths) if p.exists() and p.stat().st_size > 0]
