"""Chart specs (Vega-Lite dicts, see engine.vegalite), built once and shown in the app or embedded in the report.

Every chart carries its data inline in top-level ``datasets`` (no URLs), stays
under Altair's 5,000-row limit (scatters are sampled, histograms binned here),
colours clusters from one fixed palette (cluster ``c`` always gets
``PALETTE[c]``; noise is grey and called "Unassigned"), and is sized for an A4
page (~520 px wide). Specs come back with their top-level config set, so they
are not meant to be nested in other charts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine import vegalite as vl
from engine.errors import InputError
from engine.profiles import cluster_name
from engine.projection import METHODS, Projection, stratified_sample
from engine.results import NOISE, Profile, Stability

MAX_ROWS = 5000  # Altair's default limit on inline rows per chart
WIDTH = 520
# Tableau 10, then its lighter companions: clusters 0..19 get distinct colours.
PALETTE = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
    "#a0cbe8", "#ffbe7d", "#ff9d9a", "#86bcb6", "#8cd17d", "#f1ce63", "#d4a6c8", "#fabfd2", "#d7b5a6", "#79706e",
)
NOISE_COLOR = "#c7c7c7"
ALGORITHM_PALETTE = ("#1f4e79", "#c55a11", "#548235", "#7030a0", "#bf9000", "#2e75b6", "#843c0c", "#7f7f7f")
CORRELATION_MAX_FEATURES = 70  # 70 x 70 cells stays under MAX_ROWS


def cluster_color(cluster: int) -> str:
    """The fixed colour of a cluster id in every chart."""
    return NOISE_COLOR if cluster == NOISE else PALETTE[cluster % len(PALETTE)]


def metric_vs_k_chart(
    comparison_table: pd.DataFrame,
    metrics=("davies_bouldin", "silhouette", "calinski_harabasz", "inertia"),
    algorithm_labels: dict[str, str] | None = None,
) -> dict:
    """One small panel per metric, one line per algorithm over k; failed runs left out.

    Runs without a requested k (density methods) are drawn as single diamonds
    at the number of clusters they found. All panels read one dataset and
    filter it by metric.
    """
    from engine.metrics import METRICS

    table = comparison_table
    if "status" in table.columns:
        table = table[table["status"] != "failed"]
    if table.empty or "algorithm" not in table.columns:
        return _message_chart("Model comparison", "No successful runs to compare.")
    algorithm_labels = algorithm_labels or {}
    k = pd.to_numeric(table["k"], errors="coerce") if "k" in table.columns else pd.Series(np.nan, index=table.index)
    found = pd.to_numeric(table.get("n_clusters", pd.Series(np.nan, index=table.index)), errors="coerce")
    base = pd.DataFrame({
        "algorithm": [algorithm_labels.get(a, a) for a in table["algorithm"]],
        "k": k.where(k.notna(), found).to_numpy(dtype=float),
        "swept": k.notna().to_numpy(),
    })
    algorithms = list(dict.fromkeys(base["algorithm"]))
    single = len(algorithms) == 1  # one algorithm (the report's k sweep): its name is in the title, no legend
    color = vl.nominal("algorithm", title="Algorithm", legend=None if single else {},
                       scale={"domain": algorithms, "range": [ALGORITHM_PALETTE[i % len(ALGORITHM_PALETTE)] for i in range(len(algorithms))]})
    rows, panels, shown = [], [], []
    for metric in metrics:
        if metric not in table.columns:
            continue
        data = base.assign(metric=metric, value=pd.to_numeric(table[metric], errors="coerce").to_numpy(dtype=float))
        data = data[np.isfinite(data["value"]) & (data["k"] >= 1)].round({"value": 4})
        if not data.empty:
            shown.append((metric, data))
    for i, (metric, data) in enumerate(shown):
        rows += vl.records(data)
        name, direction = _metric_title(metric, METRICS)
        x_title = "Number of clusters (k)" if i + 2 >= len(shown) else None  # only where no panel sits below
        encoding = {
            "x": vl.quantitative("k", title=x_title, axis={"tickMinStep": 1, "format": "d"}),
            "y": vl.quantitative("value", title=None, scale={"zero": False},
                               axis={"format": "~s" if data["value"].abs().max() >= 1e4 else "~r"}),
            "color": color,
            "tooltip": [vl.nominal("algorithm"), vl.quantitative("k", title="k"), vl.quantitative("value", title=name)],
        }
        layers = []
        if data["swept"].any():
            layers.append({"transform": [{"filter": "datum.swept"}],
                           "mark": {"type": "line", "point": True, "strokeWidth": 1.5}, "encoding": encoding})
        if (~data["swept"]).any():
            layers.append({"transform": [{"filter": "!datum.swept"}],
                           "mark": {"type": "point", "shape": "diamond", "filled": True, "size": 70},
                           "encoding": encoding})
        panels.append({
            "data": {"name": "runs"}, "transform": [{"filter": {"field": "metric", "equal": metric}}],
            "layer": layers, "title": f"{name} ({direction})" if direction else name, "width": 205, "height": 140,
        })
    if not panels:
        return _message_chart("Model comparison", "No successful runs to compare.")
    if single:
        title, subtitle = f"{algorithms[0]}: quality by number of clusters", "Failed runs are left out."
    else:
        title, subtitle = "Model comparison by number of clusters", "One line per algorithm; failed runs are left out."
    if (~base["swept"]).any():
        subtitle += " Diamonds: density methods, at the number of clusters they found."
    return vl.spec(
        _title(title, subtitle), {"runs": rows},
        concat=panels, columns=2, resolve={"scale": {"y": "independent", "color": "shared"}},
    )


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


def heatmap_chart(
    profile: Profile,
    names: dict[int, str] | None = None,
    features: list[str] | None = None,
    labels: dict[str, str] | None = None,
) -> dict:
    """Standardized cluster means (z-scores) as a diverging heatmap with the values written in."""
    features = list(features) if features is not None else list(profile.features)
    missing = [f for f in features if f not in profile.standardized.columns]
    if missing:
        raise InputError(f"Feature {missing[0]!r} is not in the profile; choose from {', '.join(profile.features)}.")
    labels = {**profile.feature_labels, **(labels or {})}
    ids = [int(c) for c in profile.standardized.index]
    display = _display_names(ids, names)
    rows = [
        {"cluster": display[c], "feature": labels.get(f, f), "value": round(float(profile.standardized.loc[c, f]), 2)}
        for c in ids for f in features
    ]
    limit = float(min(3.0, max(1.0, max((abs(r["value"]) for r in rows), default=1.0))))
    slanted = len(features) > 4
    position = {
        "x": vl.nominal("feature", sort=[labels.get(f, f) for f in features], title=None,
                      axis={"labelAngle": -35 if slanted else 0, "labelAlign": "left" if slanted else "center",
                            "labelLimit": 120, "orient": "top"}),
        "y": vl.nominal("cluster", sort=[display[c] for c in ids], title=None, axis={"labelLimit": 160}),
    }
    unit = "customer" if profile.unit == "customer" else "row"
    subtitle = f"Cluster mean minus overall mean, in standard deviations (0 = the average {unit}); colours capped at ±{limit:g}"
    return vl.spec(
        _title("How each cluster differs from the average", subtitle), {"cells": rows}, data={"name": "cells"},
        layer=_annotated_cells(
            position, vl.quantitative("value", title="SD from mean",
                                    scale={"scheme": "blueorange", "domain": [-limit, limit], "domainMid": 0, "clamp": True}),
            text_format="+.2f", font_size=10, white_above=0.65 * limit,
        ),
        width=min(WIDTH - 140, 70 * len(features)), height=28 * max(1, len(ids)),
    )


def distribution_chart(table: pd.DataFrame, feature: str, label: str, unit: str = "customer") -> dict:
    """Histogram of one feature, binned here so any number of rows fits.

    When a few extreme values would squash every other bar into one, values
    above the 99th percentile are counted in the last bar (the subtitle says so).
    """
    if feature not in table.columns:
        raise InputError(f"Column {feature!r} is not in the feature table; choose one of {', '.join(map(str, table.columns))}.")
    raw = pd.to_numeric(table[feature], errors="coerce").to_numpy(dtype=float)
    values = raw[np.isfinite(raw)]
    if values.size == 0:
        raise InputError(f"Column {feature!r} has no numeric values to plot; choose another feature.")
    low, high = float(values.min()), float(values.max())
    cap, n_capped = high, 0
    q99 = float(np.quantile(values, 0.99))
    if high - q99 > q99 - low > 0:  # the top 1% spans more than the other 99%
        cap, n_capped = q99, int((values > q99).sum())
    if cap == low:
        edges = np.array([low - 0.5, low + 0.5])
    else:
        edges = np.histogram_bin_edges(np.clip(values, low, cap), bins="auto")
        edges = edges if len(edges) <= 41 else np.linspace(low, cap, 41)
    counts, edges = np.histogram(np.clip(values, low, cap), bins=edges)
    data = pd.DataFrame({"start": edges[:-1].round(6), "end": edges[1:].round(6), "count": counts})
    plural = f"{unit}s"
    subtitle = f"{values.size:,} {plural}"
    if n_capped:
        subtitle += f"; {n_capped:,} above {cap:,.4g} are counted in the last bar"
    if values.size < raw.size:
        subtitle += f"; {raw.size - values.size:,} missing left out"
    return vl.spec(
        _title(f"Distribution of {label}", subtitle), {"bins": vl.records(data)}, data={"name": "bins"},
        mark={"type": "bar", "color": PALETTE[0], "stroke": "white", "strokeWidth": 0.5},
        encoding={
            "x": vl.quantitative("start", bin="binned", title=label),
            "x2": {"field": "end"},
            "y": vl.quantitative("count", title=f"Number of {plural}"),
            "tooltip": [vl.quantitative("start", title="from"), vl.quantitative("end", title="to"), vl.quantitative("count")],
        },
        width=WIDTH - 80, height=200,
    )


def correlation_chart(
    table: pd.DataFrame, features: list[str], labels: dict[str, str] | None = None, method: str = "pearson"
) -> dict:
    """Correlation matrix of the features (Pearson or Spearman) with the values written in."""
    if method not in ("pearson", "spearman"):
        raise InputError(f"Correlation method {method!r} is unknown; choose pearson or spearman.")
    missing = [f for f in features if f not in table.columns]
    if missing:
        raise InputError(f"Column {missing[0]!r} is not in the feature table; choose from {', '.join(map(str, table.columns))}.")
    if not 2 <= len(features) <= CORRELATION_MAX_FEATURES:
        raise InputError(f"{len(features)} features were given; choose between 2 and {CORRELATION_MAX_FEATURES} to correlate.")
    labels = labels or {}
    numeric = table[list(features)].apply(pd.to_numeric, errors="coerce")
    matrix = numeric.corr(method=method)
    names = [labels.get(f, f) for f in features]
    rows = [
        {"a": labels.get(a, a), "b": labels.get(b, b), "value": round(float(matrix.loc[a, b]), 2)}
        for a in features for b in features if pd.notna(matrix.loc[a, b])
    ]
    position = {
        "x": vl.nominal("a", sort=names, title=None, axis={"labelAngle": -35, "labelAlign": "left", "orient": "top"}),
        "y": vl.nominal("b", sort=names, title=None),
    }
    side = min(WIDTH - 140, 45 * len(features))
    subtitle = f"{method.capitalize()} correlation over {len(numeric):,} rows"
    if len(rows) < len(features) ** 2:
        subtitle += "; blank cells: a feature without variation"
    return vl.spec(
        _title("Correlation between features", subtitle), {"correlations": rows}, data={"name": "correlations"},
        layer=_annotated_cells(
            position, vl.quantitative("value", title="Correlation", scale={"scheme": "blueorange", "domain": [-1, 1]}),
            text_format=".2f", font_size=10 if len(features) <= 12 else 7, white_above=0.65,
        ),
        width=side, height=side,
    )


def stability_chart(stability: Stability, names: dict[int, str] | None = None) -> dict:
    """Bootstrap Jaccard per cluster against the 0.6 (fragile) and 0.75 (solid) lines."""
    ids = sorted(stability.jaccard, key=lambda c: (c == NOISE, c))
    if not ids:
        return _message_chart("Cluster stability", "No stability figures were computed.")
    display = _display_names(ids, names)
    rows = [
        {"cluster": display[c], "jaccard": round(float(stability.jaccard[c]), 3), "verdict": stability.verdicts.get(c, "")}
        for c in ids
    ]
    thresholds = [{"y": 0.6, "label": "0.60: fragile below"}, {"y": 0.75, "label": "0.75: solid above"}]
    order = [display[c] for c in ids]
    subtitle = (f"Best-match Jaccard over {stability.n_resamples} bootstrap resamples; "
                f"adjusted Rand index {stability.ari_mean:.2f} ± {stability.ari_std:.2f}")
    return vl.spec(
        _title("Cluster stability", subtitle), {"clusters": rows, "thresholds": thresholds},
        layer=[
            {"data": {"name": "clusters"}, "mark": {"type": "bar", "size": 28}, "encoding": {
                "x": vl.nominal("cluster", sort=order, title=None, axis=_category_axis(order)),
                "y": vl.quantitative("jaccard", title="Mean Jaccard similarity", scale={"domain": [0, 1]}),
                "color": _cluster_color_encoding(display, legend=False),
                "tooltip": [vl.nominal("cluster"), vl.quantitative("jaccard"), vl.nominal("verdict")],
            }},
            {"data": {"name": "thresholds"}, "mark": {"type": "rule", "strokeDash": [4, 3], "color": "#666"},
             "encoding": {"y": vl.quantitative("y")}},
            {"data": {"name": "thresholds"},
             "mark": {"type": "text", "align": "right", "dy": -5, "fontSize": 9, "color": "#444"},
             "encoding": {"x": {"value": WIDTH - 80}, "y": vl.quantitative("y"), "text": vl.nominal("label")}},
        ],
        width=WIDTH - 80, height=220,
    )


# ---- helpers ---------------------------------------------------------------


def _annotated_cells(position: dict, color: dict, text_format: str, font_size: int, white_above: float) -> list[dict]:
    """Coloured rectangles with their value written in, white on the darkest cells."""
    return [
        {"mark": {"type": "rect", "stroke": "white", "strokeWidth": 1}, "encoding": {**position, "color": color}},
        {"mark": {"type": "text", "fontSize": font_size}, "encoding": {
            **position,
            "text": vl.quantitative("value", format=text_format),
            "color": {"condition": {"test": f"abs(datum.value) > {white_above:g}", "value": "white"}, "value": "#222"},
        }},
    ]


def _category_axis(names: list[str], limit: int = 140) -> dict:
    """Horizontal labels when they fit side by side, slanted otherwise (long segment names overlap)."""
    fits = len(names) <= 6 and max((len(n) for n in names), default=0) * 6 * len(names) <= WIDTH - 40
    if fits:
        return {"labelAngle": 0, "labelLimit": limit}
    return {"labelAngle": -30, "labelAlign": "right", "labelLimit": limit}


def _percent(share: float) -> str:
    """Bar label: whole percent, one decimal below 1% (a 0.15% cluster must not read as 0%)."""
    if share == 0 or abs(share) >= 0.01:
        return f"{share:.0%}"
    return f"{share:.1%}" if abs(share) >= 0.001 else "<0.1%"


def _metric_title(metric: str, registry: dict) -> tuple[str, str]:
    entry = registry.get(metric)
    if entry is None:
        return metric.replace("_", " ").capitalize(), ""
    return entry.short_title, entry.direction + ("; look for the elbow" if metric == "inertia" else "")


def _ordered_ids(clusters) -> list[int]:
    ids = sorted({int(c) for c in clusters})
    return [c for c in ids if c != NOISE] + ([NOISE] if NOISE in ids else [])


def _display_names(ids: list[int], names: dict[int, str] | None) -> dict[int, str]:
    """Cluster id -> legend name; a repeated name gets its id appended so legends stay one-to-one."""
    display, seen = {}, set()
    for c in ids:
        name = cluster_name(c, names)
        display[c] = f"{name} ({c})" if name in seen else name
        seen.add(display[c])
    return display


def _cluster_color_encoding(display: dict[int, str], legend: bool = True) -> dict:
    scale = {"domain": list(display.values()), "range": [cluster_color(c) for c in display]}
    return vl.nominal("cluster", scale=scale, title="Cluster", legend={} if legend else None)


def _title(text: str, subtitle: str) -> dict:
    return {"text": text, "subtitle": subtitle}


def _message_chart(title: str, message: str) -> dict:
    return vl.spec(
        title, {"message": [{"message": message}]}, data={"name": "message"},
        mark={"type": "text", "fontSize": 12, "color": "#555"}, encoding={"text": vl.nominal("message")},
        width=WIDTH - 80, height=60,
    )
