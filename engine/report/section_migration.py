"""The "How segments moved" section: the migration table (customers and revenue) and the chart of the biggest flows.

It prints only when the run carries a migration (``AnalysisResult.migration``, an
:class:`engine.migration.Migration`, set when the project file has a ``migration``
block); otherwise the registry leaves it out (``Section.needs``). Every number is
the migration's, every sentence :mod:`engine.migration.sentences`'; the template
escapes them like all other text.
"""

from __future__ import annotations

import numpy as np

from engine.formatting import long_date
from engine.report.context import ReportContext


def _rows(matrix, totals: bool) -> list[dict]:
    return [{"name": str(name), "cells": [None if v != v else float(v) for v in row],
             "total": float(np.nansum(row)) if totals else None}
            for name, row in zip(matrix.index, matrix.to_numpy(dtype=float), strict=True)]


def build_migration(ctx: ReportContext) -> dict:
    from engine.migration import biggest_flows, flow_sentences, summary_sentences  # lazy: a later step
    from engine.migration.sentences import period
    from engine.views.chart_migration import MAX_FLOWS, flows_chart

    m = ctx.result.migration
    counts = m.matrix("customers")
    revenue = m.matrix("revenue") if m.has_revenue else None
    start = long_date(m.start) if m.start is not None else "the first date"
    end = long_date(m.end) if m.end is not None else "the second date"
    top = biggest_flows(m, MAX_FLOWS)
    subtitle = f"Customers who changed segment {period(m)}; share of the segment they left in brackets"
    return {
        "start": start, "end": end, "period": period(m),
        "flows": flow_sentences(m),
        "summary": summary_sentences(m),
        "columns": [str(c) for c in counts.columns],
        "counts": _rows(counts, totals=True),
        "column_totals": [float(v) for v in counts.sum(axis=0)],
        "n_end": m.n_end,
        "revenue": _rows(revenue, totals=True) if revenue is not None else None,
        "revenue_totals": [float(v) if v == v else None for v in revenue.sum(axis=0, min_count=1)]
        if revenue is not None else None,
        "has_revenue": m.has_revenue,
        "chart": ctx.chart(flows_chart(top, subtitle=subtitle), "flows"),
        "note": m.note,
        "warnings": list(m.warnings),
    }
