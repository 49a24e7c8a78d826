"""Charts about the models: quality by number of clusters, and cluster stability.

Split from engine.views.charts (which re-exports them).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.results import NOISE, Stability
from engine.views import vegalite as vl
from engine.views.chart_base import (
    ALGORITHM_PALETTE,
    WIDTH,
    _category_axis,
    _cluster_color_encoding,
    _display_names,
    _message_chart,
    _metric_title,
    _title,
)

THRESHOLD_LABEL_WIDTH = 100  # px right of the stability plot for the labels of its reference lines


def metric_vs_k_chart(
    comparison_table: pd.DataFrame,
    metrics=("davies_bouldin", "silhouette", "calinski_harabasz", "inertia"),
    algorithm_labels: dict[str, str] | None = None,
) -> dict:
    """One small panel per metric, one line per algorithm over k; failed runs left out (the subtitle counts them).

    Runs without a requested k (density methods) are left out: the number of
    clusters they find (often in the hundreds) would stretch the k axis and
    squash the lines; :func:`density_runs` lists them beside the chart. The k
    axis spans exactly the k range tried. All panels read one dataset and
    filter it by metric.
    """
    from engine.clustering.metrics import METRICS

    table = comparison_table
    n_failed = 0
    if "status" in table.columns:
        n_failed = int((table["status"] == "failed").sum())
        table = table[table["status"] != "failed"]
    if table.empty or "algorithm" not in table.columns:
        return _message_chart("Model comparison", "No successful runs to compare.")
    algorithm_labels = algorithm_labels or {}
    k = pd.to_numeric(table["k"], errors="coerce") if "k" in table.columns else pd.Series(np.nan, index=table.index)
    n_density = int(k.isna().sum())
    one = n_density == 1
    density_note = (f"{n_density} run{'' if one else 's'} that choose{'s its' if one else ' their'} own number of "
                    f"clusters (density methods) {'is' if one else 'are'} listed separately." if n_density else "")
    table, k = table[k.notna()], k[k.notna()]
    if table.empty:
        return _message_chart("Model comparison", "Only methods that choose their own number of clusters "
                                                  "ran, so there is no k to compare over.")
    base = pd.DataFrame({
        "algorithm": [algorithm_labels.get(a, a) for a in table["algorithm"]],
        "k": k.to_numpy(dtype=float),
    })
    k_domain = [float(base["k"].min()), float(base["k"].max())]
    algorithms = list(dict.fromkeys(base["algorithm"]))
    single = len(algorithms) == 1  # one algorithm (the report's k sweep): its name is in the title, no legend
    color = vl.nominal("algorithm", title="Algorithm", legend=None if single else {},
                       scale={"domain": algorithms, "range": [ALGORITHM_PALETTE[i % len(ALGORITHM_PALETTE)] for i in range(len(algorithms))]})
    rows, panels, shown = [], [], []
    for metric in metrics:
        if metric not in table.columns:
            continue
        data = base.assign(metric=metric, value=pd.to_numeric(table[metric], errors="coerce").to_numpy(dtype=float))
        data = data[np.isfinite(data["value"])].round({"value": 4})
        if not data.empty:
            shown.append((metric, data))
    for i, (metric, data) in enumerate(shown):
        rows += vl.records(data)
        name, direction = _metric_title(metric, METRICS)
        x_title = "Number of clusters (k)" if i + 2 >= len(shown) else None  # only where no panel sits below
        encoding = {
            "x": vl.quantitative("k", title=x_title, axis={"tickMinStep": 1, "format": "d"},
                                 scale={"domain": k_domain, "nice": False}),
            "y": vl.quantitative("value", title=None, scale={"zero": False},
                               axis={"format": "~s" if data["value"].abs().max() >= 1e4 else "~r"}),
            "color": color,
            "tooltip": [vl.nominal("algorithm"), vl.quantitative("k", title="k"), vl.quantitative("value", title=name)],
        }
        layers = [{"mark": {"type": "line", "point": True, "strokeWidth": 1.5}, "encoding": encoding}]
        panels.append({
            "data": {"name": "runs"}, "transform": [{"filter": {"field": "metric", "equal": metric}}],
            "layer": layers, "title": f"{name} ({direction})" if direction else name, "width": 205, "height": 140,
        })
    if not panels:
        return _message_chart("Model comparison", "No successful runs to compare.")
    failed = (f"{n_failed} failed run{'' if n_failed == 1 else 's'} left out." if n_failed else "")
    if single:
        title, subtitle = f"{algorithms[0]}: quality by number of clusters", failed
    else:
        title = "Model comparison by number of clusters"
        subtitle = "One line per algorithm" + (f"; {failed}" if failed else ".")
    if density_note:
        subtitle = (subtitle + " " + density_note).strip()
    return vl.spec(
        _title(title, subtitle), {"runs": rows},
        concat=panels, columns=2, resolve={"scale": {"y": "independent", "color": "shared"}},
    )


def density_runs(comparison_table: pd.DataFrame, algorithm_labels: dict[str, str] | None = None) -> pd.DataFrame:
    """The runs without a requested k (density methods, RFM), for a small table beside :func:`metric_vs_k_chart`.

    Columns: Algorithm (its label), Clusters found, Noise (share of units left
    unassigned), Status; failed runs included, with their status. Empty when no
    density method ran.
    """
    columns = ["Algorithm", "Clusters found", "Noise", "Status"]
    table = comparison_table
    if table.empty or "algorithm" not in table.columns:
        return pd.DataFrame(columns=columns)
    k = pd.to_numeric(table["k"], errors="coerce") if "k" in table.columns else pd.Series(np.nan, index=table.index)
    rows = table[k.isna()]
    labels = algorithm_labels or {}

    def column(name: str, default) -> pd.Series:
        return rows[name] if name in rows.columns else pd.Series(default, index=rows.index)

    return pd.DataFrame({
        "Algorithm": [labels.get(a, a) for a in rows["algorithm"]],
        "Clusters found": pd.to_numeric(column("n_clusters", np.nan), errors="coerce").astype("Int64").to_numpy(),
        "Noise": pd.to_numeric(column("noise_share", np.nan), errors="coerce").to_numpy(dtype=float),
        "Status": column("status", "ok").to_numpy(),
    }, columns=columns)


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
    plot_width = WIDTH - 80 - THRESHOLD_LABEL_WIDTH
    order = [display[c] for c in ids]
    subtitle = (f"Best-match Jaccard over {stability.n_resamples} bootstrap resamples; "
                f"adjusted Rand index {stability.ari_mean:.2f} ± {stability.ari_std:.2f}")
    return vl.spec(
        _title("Cluster stability", subtitle), {"clusters": rows, "thresholds": thresholds},
        layer=[
            {"data": {"name": "clusters"}, "mark": {"type": "bar", "size": 28}, "encoding": {
                "x": vl.nominal("cluster", sort=order, title=None, axis=_category_axis(order, width=plot_width)),
                "y": vl.quantitative("jaccard", title="Mean Jaccard similarity", scale={"domain": [0, 1]}),
                "color": _cluster_color_encoding(display, legend=False),
                "tooltip": [vl.nominal("cluster"), vl.quantitative("jaccard"), vl.nominal("verdict")],
            }},
            {"data": {"name": "thresholds"}, "mark": {"type": "rule", "strokeDash": [4, 3], "color": "#666"},
             "encoding": {"y": vl.quantitative("y")}},
            # Labels right of the plot, level with their line ("width": the plot's right edge, also when the app
            # stretches the chart): inside, they overprinted the bars.
            {"data": {"name": "thresholds"},
             "mark": {"type": "text", "align": "left", "baseline": "middle", "dx": 4, "fontSize": 9, "color": "#444"},
             "encoding": {"x": {"value": "width"}, "y": vl.quantitative("y"), "text": vl.nominal("label")}},
        ],
        width=plot_width, height=220,
    )

