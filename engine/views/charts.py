"""Chart specs (Vega-Lite dicts, see engine.views.vegalite), built once and shown in the app or embedded in the report.

Every chart carries its data inline in top-level ``datasets`` (no URLs), stays
under Altair's 5,000-row limit (scatters are sampled, histograms binned here),
colours clusters from one fixed palette (cluster ``c`` always gets
``PALETTE[c]``; noise is grey and called "Unassigned"), and is sized for an A4
page (~520 px wide). Specs come back with their top-level config set, so they
are not meant to be nested in other charts.

This module holds the charts of the segments (2-D view, sizes, heatmap); the model
charts live in engine.views.chart_models, the feature charts in engine.views.chart_features
and the palette and spec helpers in engine.views.chart_base. All are importable from here.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from engine.errors import InputError
from engine.results import NOISE, Profile
from engine.views import vegalite as vl
from engine.views.chart_base import (
    LABEL_LINE_CHARS,
    MAX_ROWS,
    PALETTE,
    WIDTH,
    _category_axis,
    _cluster_color_encoding,
    _display_names,
    _ordered_ids,
    _percent,
    _title,
    wrap_label_expr,
)
from engine.views.projection import METHODS, Projection, stratified_sample


def cluster_scatter_chart(projection: Projection, names: dict[int, str] | None = None) -> dict:
    """The clusters in two dimensions, coloured by cluster; noise grey, drawn underneath."""
    frame = projection.frame
    has_clusters = frame["cluster"].notna().all()
    if len(frame) > MAX_ROWS:
        labels = frame["cluster"].to_numpy(dtype=int) if has_clusters else None
        frame = frame.iloc[stratified_sample(labels, len(frame), MAX_ROWS, projection.seed)]
    clusters = frame["cluster"].to_numpy(dtype=int) if has_clusters else np.zeros(len(frame), dtype=int)
    data = pd.DataFrame({"x": frame["x"].round(4).to_numpy(), "y": frame["y"].round(4).to_numpy(), "c": clusters})
    data = data.iloc[np.argsort(data["c"] != NOISE, kind="stable")]  # noise first = underneath
    display = _display_names(_ordered_ids(clusters), names) if has_clusters else {0: "All points"}
    data["cluster"] = data["c"].map(display).astype(str)
    x_title, y_title = projection.axis_titles
    shown = f"{len(data):,} of {projection.n_points:,} points shown"
    if projection.n_fitted < projection.n_points:
        shown += f"; {METHODS[projection.method]} fitted on a stratified sample of {projection.n_fitted:,}"
    elif len(data) < projection.n_points:
        shown += " (stratified sample)"
    hidden_axis = {"labels": False, "ticks": False}
    return vl.spec(
        _title(f"Clusters in two dimensions ({METHODS[projection.method]})", shown),
        {"points": vl.records(data[["x", "y", "cluster"]])},
        data={"name": "points"}, mark={"type": "circle", "size": 16, "opacity": 0.75},
        encoding={
            "x": vl.quantitative("x", title=x_title, axis=hidden_axis),
            "y": vl.quantitative("y", title=y_title, axis=hidden_axis),
            "color": _cluster_color_encoding(display) if has_clusters else {"value": PALETTE[0]},
            "tooltip": [vl.nominal("cluster")],
        },
        width=WIDTH - 120, height=360,
    )


def sizes_chart(profile: Profile, names: dict[int, str] | None = None) -> dict:
    """Share of units next to share of revenue for each cluster (grouped bars)."""
    unit = "customers" if profile.unit == "customer" else "rows"
    summary = profile.summary
    ids = [int(c) for c in summary.index]
    display = _display_names(ids, names)
    measures = {f"Share of {unit}": summary["share"]}
    has_revenue = summary["revenue_share"].notna().any()
    if has_revenue:
        measures["Share of revenue"] = summary["revenue_share"]
    rows = [
        {"cluster": display[c], "measure": m, "value": round(float(values.loc[c]), 4), "text": _percent(values.loc[c])}
        for c in ids for m, values in measures.items() if pd.notna(values.loc[c])
    ]
    order = [display[c] for c in ids]
    encoding = {
        "x": vl.nominal("cluster", sort=order, title=None, axis=_category_axis(order, limit=110)),
        "xOffset": vl.nominal("measure", sort=list(measures)),
        "y": vl.quantitative("value", title="Share of total", axis={"format": "%"}),
    }
    bar_encoding = {**encoding, "color": _cluster_color_encoding(display, legend=False)}
    if has_revenue:  # lighter bars for revenue; a one-value opacity scale would hide the bars
        bar_encoding["opacity"] = vl.nominal("measure", title=None, sort=list(measures), legend={"orient": "top"},
                                           scale={"domain": list(measures), "range": [1.0, 0.45]})
    subtitle = f"{profile.n_units:,} {unit} in total" + ("" if has_revenue else "; revenue is not known for this data")
    title = f"Cluster sizes: {unit} and revenue" if has_revenue else f"Cluster sizes: {unit}"
    return vl.spec(
        _title(title, subtitle), {"sizes": rows}, data={"name": "sizes"},
        layer=[
            {"mark": {"type": "bar"}, "encoding": bar_encoding},
            {"mark": {"type": "text", "dy": -6, "fontSize": 9, "color": "#333"},
             "encoding": {**encoding, "text": vl.nominal("text")}},
        ],
        width=WIDTH - 80, height=240,
    )


# Level colours, very low .. very high: the same five words the tables and the narrative use.
LEVEL_COLORS = ("#2f6497", "#a9c9e3", "#eeeeee", "#f6b26b", "#b45309")


def heatmap_chart(
    profile: Profile,
    names: dict[int, str] | None = None,
    features: list[str] | None = None,
    labels: dict[str, str] | None = None,
) -> dict:
    """Each cluster's level on each feature, coloured by the level word, with the number behind it written in.

    The levels are :func:`engine.narrative.levels.feature_levels`, the ones the tables
    and the narrative print: skewed money and count features compare the cluster
    median with the overall median (the cell shows the ratio, "0.45×"), the other
    features compare means in standard deviations ("+0.53 sd").
    """
    from engine.narrative.levels import LEVELS, feature_levels

    features = list(features) if features is not None else list(profile.features)
    missing = [f for f in features if f not in profile.standardized.columns]
    if missing:
        raise InputError(f"Feature {missing[0]!r} is not in the profile; choose from {', '.join(profile.features)}.")
    labels = {**profile.feature_labels, **(labels or {})}
    ids = [int(c) for c in profile.standardized.index]
    display = _display_names(ids, names)
    levels = feature_levels(profile).set_index(["cluster", "feature"])
    rows = []
    for c in ids:
        for f in features:
            row = levels.loc[(c, f)]
            rows.append({"cluster": display[c], "feature": labels.get(f, f), "level": row["level"],
                         "value": round(float(row["score"]), 3), "text": level_number(row["basis"], row["ratio"], row["z"]),
                         "basis": "median ratio" if row["basis"] == "median ratio" else "sd from the mean"})
    slanted = len(features) > 4
    position = {
        "x": vl.nominal("feature", sort=[labels.get(f, f) for f in features], title=None,
                      axis={"labelAngle": -35 if slanted else 0, "labelAlign": "left" if slanted else "center",
                            "labelLimit": 120, "orient": "top"}),
        "y": vl.nominal("cluster", sort=[display[c] for c in ids], title=None, axis=_row_axis(display.values())),
    }
    unit = "customer" if profile.unit == "customer" else "row"
    subtitle = [f"Level against all {unit}s, in the words the tables use. Numbers: median ÷ overall median (×)",
                "for skewed money and count features, difference of means in standard deviations (sd) for the rest."]
    color = vl.nominal("level", title="Level", sort=list(LEVELS),
                       scale={"domain": list(LEVELS), "range": list(LEVEL_COLORS)}, legend={"orient": "right"})
    dark = " || ".join(f"datum.level == {json.dumps(word)}" for word in (LEVELS[0], LEVELS[-1]))
    return vl.spec(
        _title("How each cluster differs from the average", subtitle), {"cells": rows}, data={"name": "cells"},
        layer=[
            {"mark": {"type": "rect", "stroke": "white", "strokeWidth": 1}, "encoding": {
                **position, "color": color,
                "tooltip": [vl.nominal("cluster"), vl.nominal("feature"), vl.nominal("level"), vl.nominal("text", title="number"),
                            vl.nominal("basis")]}},
            {"mark": {"type": "text", "fontSize": 10}, "encoding": {
                **position, "text": vl.nominal("text"),
                "color": {"condition": {"test": dark, "value": "white"}, "value": "#222"}}},
        ],
        width=min(WIDTH - 140, 70 * len(features)), height=28 * max(1, len(ids)),
    )


def level_number(basis: str, ratio: float, z: float) -> str:
    """The number behind a level, short: "0.45×" (median ratio) or "+0.53 sd" (true minus sign)."""
    if basis == "median ratio":
        return f"{ratio:.2f}×" if np.isfinite(ratio) else "–"
    return f"{z:+.2f} sd".replace("-", "\u2212")


def _row_axis(names) -> dict:
    """Row labels (segment names) left of a heatmap, wrapped onto several lines when long."""
    expr = wrap_label_expr(names, LABEL_LINE_CHARS + 8)
    return {"labelLimit": 170, **({"labelExpr": expr, "labelLineHeight": 11} if expr else {})}
