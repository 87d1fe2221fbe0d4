"""Blank templates of every workbook kind, generated from the kinds' own declarations.

`scripts/build_templates.py` writes them into workbooks/templates/; a test rebuilds them
and compares the XML parts, so a stale template fails CI.
"""
from __future__ import annotations

import zipfile
from pathlib import Path
from xml.etree.ElementTree import canonicalize

from ..calendar import WorkCalendar
from ..config import load_config
from ..kinds import (
    archive,
    callbacks,
    complaints,
    maintenance,
    meetings,
    newclient,
    onlinesales,
    orders,
    personal,
    prospects,
    refunds,
    renewal,
    roster,
    watch,
)
from ..month import Month
from ..sheets.build import build_workbook
from . import greet, remind

TEMPLATE_MONTH = Month(2026, 1)        # formulas need a month; the template shows January 2026
TEMPLATE_STAMP = "template"
VOLATILE_PARTS = {"docProps/core.xml", "docProps/app.xml"}


def templates() -> dict[str, object]:
    """{file name: openpyxl workbook} of every kind, blank."""
    config = load_config()
    meta = {"generated_at": TEMPLATE_STAMP, "template": "yes"}
    roster_wb, _ = build_workbook(roster.SPEC, {roster.SHEET: roster.STAFF_SHEET.title}, {roster.SHEET: []}, {}, meta)
    maint = maintenance.build(config, TEMPLATE_MONTH, WorkCalendar(config), [], [], TEMPLATE_MONTH.first,
                              meta=meta)
    return {"名册_模板.xlsx": roster_wb, "维护跟踪_模板.xlsx": maint,
            "订单台账_模板.xlsx": orders.build(config, meta=meta),
            "续费跟踪_模板.xlsx": renewal.build(config, TEMPLATE_MONTH, [], {}, [], meta=meta),
            "新客户跟踪_模板.xlsx": newclient.build(config, TEMPLATE_MONTH, [], [], TEMPLATE_MONTH.first, meta=meta),
            "退订台账_模板.xlsx": refunds.build(config, TEMPLATE_MONTH, WorkCalendar(config), None, meta=meta),
            "投诉台账_模板.xlsx": complaints.build(config, TEMPLATE_MONTH, WorkCalendar(config), [], meta=meta),
            "回访_模板.xlsx": callbacks.build(config, TEMPLATE_MONTH, [], [], meta=meta),
            "网销_模板.xlsx": onlinesales.build(config, TEMPLATE_MONTH, WorkCalendar(config), [], meta=meta),
            "个人工作簿_模板.xlsx": personal.build(config, TEMPLATE_MONTH, "客服名", meta=meta),
            "消耗监控_模板.xlsx": watch.build(config, TEMPLATE_MONTH, [], meta=meta),
            "客户档案_模板.xlsx": archive.build(config, [], meta=meta),
            "见面会与培训_模板.xlsx": meetings.build(config, meta=meta),
            "商务出访_模板.xlsx": prospects.build(config, meta=meta)}


def text_templates() -> dict[str, str]:
    """Message templates (jinja2) shipped with the package, copied next to the workbooks."""
    return {remind.TEMPLATE_NAME: remind.default_template(), greet.TEMPLATE_NAME: greet.default_template()}


def write_templates(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in text_templates().items():
        (folder / name).write_text(text, "utf-8")
    for name, wb in templates().items():
        path = folder / name
        wb.save(path)
        written.append(path)
    return written


def xml_parts(path: Path) -> dict[str, str]:
    """The parts of an xlsx that matter for comparison, canonicalised (C14N) so that the
    serialiser in use (lxml or the standard library) does not matter; timestamps excluded."""
    with zipfile.ZipFile(path) as z:
        return {n: canonicalize(z.read(n).decode("utf-8"), strip_text=True)
                for n in sorted(z.namelist()) if n not in VOLATILE_PARTS}


