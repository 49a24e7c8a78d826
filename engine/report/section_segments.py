"""Section builders about the segments: sizes, profile tables, characteristics, 2-D view, one page each.

All numbers come from :class:`engine.results.Profile` on the raw feature scale;
sizes include the noise group when there is one, so they add up to the number of
units analysed (and the table says so).
"""

from __future__ import annotations

import numpy as np

from engine import formatting as fmt
from engine.report.context import ReportContext
from engine.results import NOISE

# Key figures on a segment page, in order of preference (first ones present are used).
KEY_FIGURES = ("monetary", "recency_days", "frequency", "avg_order_value", "tenure_days", "avg_unit_price")
MAX_SCATTER_POINTS = 1000
MAX_TABLE_CLUSTERS = 6  # segment columns per profile table; more are split into further tables


def _level_cell(row: dict) -> dict:
    """The level word and the number behind it: a median ratio (×2.1) or a standardised difference (+0.53 sd)."""
    if row["basis"] == "median ratio":
        ratio = row["ratio"]
        basis = fmt.MISSING if not np.isfinite(ratio) else f"{fmt.ratio(ratio)} median"
    else:
        basis = f"{fmt.signed(row['z'])} sd"
    return {"level": row["level"], "basis": basis}


def build_cluster_sizes(ctx: ReportContext) -> dict:
    r = ctx.result
    summary = r.profile.summary
    has_revenue = "revenue" in summary and summary["revenue"].notna().any()
    rows = [
        {"id": c, "name": ctx.cluster_name(c), "size": int(summary.loc[c, "size"]),
         "share": summary.loc[c, "share"],
         "revenue": summary.loc[c, "revenue"] if has_revenue else None,
         "revenue_share": summary.loc[c, "revenue_share"] if has_revenue else None,
         "revenue_index": (summary.loc[c, "revenue_share"] / summary.loc[c, "share"]
                           if has_revenue and summary.loc[c, "share"] > 0 else None),
         "noise": c == NOISE}
        for c in ctx.cluster_ids()
    ]
    total_size = sum(row["size"] for row in rows)
    from engine.views.charts import sizes_chart

    return {
        "rows": rows,
        "has_revenue": has_revenue,
        "total_size": total_size,
        "total_revenue": float(summary["revenue"].sum()) if has_revenue else None,
        "adds_up": total_size == ctx.n_units,
        "n_units": ctx.n_units,
        "chart": ctx.chart(sizes_chart(r.profile, ctx.names()), "sizes"),
        "caption": ctx.model_context(),
    }


def _feature_rows(ctx: ReportContext) -> list[dict]:
    """Features in profile order, the clustering features first."""
    p = ctx.result.profile
    ordered = [f for f in p.clustered_on if f in p.features] + [f for f in p.features if f not in p.clustered_on]
    return [
        {"key": f, "label": ctx.feature_label(f), "unit": ctx.feature_unit(f),
         "clustered": f in p.clustered_on, "additive": ctx.is_additive(f)}
        for f in ordered
    ]


def build_profiling(ctx: ReportContext) -> dict:
    """Averages and totals per segment, split into blocks of at most MAX_TABLE_CLUSTERS columns."""
    p = ctx.result.profile
    features = _feature_rows(ctx)
    blocks = []
    all_ids = ctx.cluster_ids()
    for start in range(0, len(all_ids), MAX_TABLE_CLUSTERS):
        ids = all_ids[start : start + MAX_TABLE_CLUSTERS]
        blocks.append({
            "clusters": [{"id": c, "name": ctx.cluster_name(c)} for c in ids],
            "averages": [{**f, "cells": [p.means.loc[c, f["key"]] for c in ids],
                          "overall": p.population_mean[f["key"]]} for f in features],
            "totals": [{**f, "cells": [p.totals.loc[c, f["key"]] for c in ids],
                        "overall": float(sum(p.totals.loc[c, f["key"]] for c in all_ids))}
                       for f in features if f["additive"]],
            "counts": [int(p.summary.loc[c, "size"]) for c in ids],
        })
    return {
        "blocks": blocks,
        "has_totals": any(f["additive"] for f in features),
        "n_units": ctx.n_units,
        "caption": ctx.model_context(),
    }


def build_characteristics(ctx: ReportContext) -> dict:
    p = ctx.result.profile
    levels = ctx.levels
    ids = [c for c in ctx.cluster_ids() if c != NOISE]
    features = [f for f in _feature_rows(ctx) if f["clustered"]] or _feature_rows(ctx)[:6]
    rows = [
        {"name": ctx.cluster_name(c), "cells": [_level_cell(levels[c][f["key"]]) for f in features]}
        for c in ids
    ]
    from engine.views.charts import heatmap_chart

    return {
        "features": features,
        "rows": rows,
        "chart": ctx.chart(heatmap_chart(p, ctx.names(), features=[f["key"] for f in features]), "heatmap"),
        "caption": ctx.model_context(),
    }


def build_visualisation(ctx: ReportContext) -> dict:
    """The analysis's projection (the scatter the app shows), sampled down for the page; nothing is re-fitted."""
    from engine.views.charts import cluster_scatter_chart
    from engine.views.projection import METHODS

    if ctx.result.projection is None:
        raise ValueError("The result carries no projection; build it with engine.analysis.runner.Analysis.")
    projection = ctx.result.projection.sample(MAX_SCATTER_POINTS)
    return {
        "chart": ctx.chart(cluster_scatter_chart(projection, ctx.names()), "scatter"),
        "projection": METHODS[projection.method],
        "shown": len(projection.frame),
        "n_fitted": projection.n_fitted,
        "n_units": ctx.n_units,
        "caption": ctx.model_context(),
    }


def _key_figures(ctx: ReportContext, cluster: int) -> list[dict]:
    p = ctx.result.profile
    s = p.summary
    tiles = [
        {"kind": "integer", "value": s.loc[cluster, "size"], "label": f"{ctx.unit_many}"},
        {"kind": "pct", "value": s.loc[cluster, "share"], "label": f"share of {ctx.unit_many}"},
    ]
    if "revenue_share" in s and s["revenue_share"].notna().any():
        tiles.append({"kind": "pct", "value": s.loc[cluster, "revenue_share"], "label": "share of revenue"})
    wanted = [f for f in KEY_FIGURES if f in p.features] or list(p.clustered_on)
    for f in wanted[: 8 - len(tiles)]:
        label = ctx.feature_label(f).lower()
        unit = ctx.feature_unit(f)
        tiles.append({"kind": "feature", "unit": unit, "value": p.means.loc[cluster, f],
                      "label": (label if label.startswith("average") else f"average {label}")
                      + (", days" if unit == "days" else ""),
                      "overall": p.population_mean[f]})
    return tiles


def build_segments(ctx: ReportContext) -> dict:
    r = ctx.result
    p = r.profile
    stability = r.stability
    levels = ctx.levels
    segments = []
    for c in ctx.cluster_ids():
        label = r.cluster_labels.get(c)
        distinctive_keys = list(label.distinctive) if label is not None and label.distinctive else []
        if not distinctive_keys:
            from engine.narrative.levels import distinctive_features

            distinctive_keys = distinctive_features(p, c, n=4)
        distinctive = [
            {"label": ctx.feature_label(f), "unit": ctx.feature_unit(f), "mean": p.means.loc[c, f],
             "overall": p.population_mean[f], "median": p.medians.loc[c, f], "overall_median": p.population_median[f],
             **_level_cell(levels[c][f])}
            for f in distinctive_keys if f in p.means.columns
        ]
        segments.append({
            "id": c,
            "anchor": f"segment-{c}" if c >= 0 else "segment-noise",
            "name": ctx.cluster_name(c),
            "description": label.description if label is not None else (
                f"{ctx.unit_many.capitalize()} the density method left unassigned." if c == NOISE else ""),
            "strategies": list(label.strategies) if label is not None else [],
            "kpis": list(label.kpis) if label is not None else [],
            "edited": fmt.edited_note(label.edited_fields) if label is not None else "",
            "tiles": _key_figures(ctx, c),
            "distinctive": distinctive,
            "categories": list(p.top_categories.get(c, []))[:5],
            "regions": list(p.region_mix.get(c, []))[:5],
            "stability": (None if stability is None or c not in stability.jaccard
                          else {"jaccard": stability.jaccard[c], "verdict": stability.verdicts.get(c, "")}),
            "warnings": [w for w in r.warnings if w.cluster == c],
        })
    return {"segments": segments, "caption": ctx.model_context()}
