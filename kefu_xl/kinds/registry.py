"""Every kind of workbook kefu-xl makes, in one place: a workbook's _meta names its kind, and this
is where the name leads (recalc, cached values, the ribbon button)."""
from __future__ import annotations

from . import (
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
    watch,
)
from .base import Kind

REGISTRY: dict[str, Kind] = {k.name: k for k in (
    maintenance.KIND_DEF, renewal.KIND_DEF, newclient.KIND_DEF, orders.KIND_DEF, refunds.KIND_DEF,
    complaints.KIND_DEF, callbacks.KIND_DEF, onlinesales.KIND_DEF, personal.KIND_DEF, watch.KIND_DEF,
    archive.KIND_DEF, meetings.KIND_DEF, prospects.KIND_DEF)}
