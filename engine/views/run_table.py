"""The comparison's runs as the Compare page shows them: labels for algorithms and columns, "–" for what is missing.

Every cell is text written by :mod:`engine.formatting` (so "k-means", not the
registry key "kmeans", and a dash, not "None" or "nan", in the BIC and AIC
cells of the algorithms that have no likelihood).
"""

from __future__ import annotations

import pandas as pd

from engine.formatting import MISSING, algorithm_label, integer, is_missing, metric, number, pct


def runs_table(comparison_table: pd.DataFrame) -> pd.DataFrame:
    """One row per run, every cell text: Algorithm, k, Clusters found, each metric's label, shares, time, status, why.

    ``comparison_table`` is :meth:`engine.results.Comparison.table`. A density
    method's k (none requested) and a metric a run has no value for read "–".
    """
    from engine.clustering.metrics import METRICS

    table = comparison_table
    metrics = [m for m in METRICS if m in table.columns]
    out = pd.DataFrame(index=range(len(table)))

    def column(name: str) -> list:
        return list(table[name]) if name in table.columns else [None] * len(table)

    out["Algorithm"] = [algorithm_label(a) for a in column("algorithm")]
    out["k"] = [integer(v) for v in column("k")]
    out["Clusters found"] = [integer(v) for v in column("n_clusters")]
    for m in metrics:
        out[METRICS[m].label.split(" (")[0]] = [metric(v, m) for v in table[m]]
    out["Smallest cluster"] = [pct(v) for v in column("min_cluster_share")]
    out["Noise"] = [pct(v) for v in column("noise_share")]
    out["Fit time (s)"] = [number(v, 2) for v in column("fit_seconds")]
    out["Status"] = [MISSING if is_missing(s) else str(s) for s in column("status")]
    out["Why"] = ["" if is_missing(r) else str(r) for r in column("reason")]
    return out
