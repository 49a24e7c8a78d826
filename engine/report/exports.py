"""Exports next to the PDF: cluster assignments (CSV), the summary (JSON-ready dict), the profile (CSV).

The summary rounds with the report's own tables (:mod:`engine.report.filters`),
so the chosen algorithm, k and Davies-Bouldin index read the same in the PDF
and the JSON (Davies-Bouldin and silhouette to 4 decimals, Calinski-Harabasz
and inertia to 1, shares to 4 as fractions). Missing values are ``null``, never NaN.
Every text cell of a CSV that a spreadsheet would run as a formula gets a
leading single quote.
"""

from __future__ import annotations

import csv
import io
import math

import numpy as np

from engine.report.filters import MEAN_DECIMALS, MISSING, is_missing, iso_date, round_metric, round_share
from engine.results import NOISE

_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
COMPARISON_METRICS = ("davies_bouldin", "silhouette", "calinski_harabasz", "inertia", "bic", "aic")


def neutralise(text: str) -> str:
    """Prefix text a spreadsheet would read as a formula with a single quote (OWASP CSV injection)."""
    return "'" + text if text.startswith(_FORMULA_PREFIXES) else text


def _cell(value):
    """A CSV cell: numbers stay numbers, text is neutralised."""
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return "" if not math.isfinite(float(value)) else float(value)
    return neutralise(str(value))


def cluster_names(result) -> dict[int, str]:
    """Display name per cluster id, as the report prints them."""
    from engine.profiles import cluster_name

    names = {c: label.name for c, label in result.cluster_labels.items()}
    ids = [int(c) for c in result.profile.summary.index]
    return {c: cluster_name(c, names) for c in ids}


def assignments_csv(result) -> str:
    """One line per unit: ``id, cluster_id, cluster_name`` in the order of the feature table."""
    from engine.profiles import cluster_name

    names = cluster_names(result)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["id", "cluster_id", "cluster_name"])
    for unit_id, cluster in zip(result.features.table.index, np.asarray(result.labels), strict=True):
        cluster = int(cluster)
        writer.writerow([_cell(unit_id), cluster, _cell(names.get(cluster) or cluster_name(cluster))])
    return buffer.getvalue()


def profiles_csv(result) -> str:
    """The classic profiling table (average and total of each feature per cluster) as CSV."""
    from engine.profiles import profile_csv

    return profile_csv(result.profile, cluster_names(result))


def _number(value, decimals: int) -> float | None:
    return None if is_missing(value) else round(float(value), decimals)


def _run_entry(run) -> dict:
    return {
        "algorithm": run.algorithm,
        "k": run.k,
        "n_clusters": int(run.n_clusters),
        **{key: round_metric(key, run.metrics.get(key)) for key in COMPARISON_METRICS},
        "noise_share": round_share(run.noise_share),
        "min_cluster_share": round_share(run.min_cluster_share),
        "status": run.status,
        "reason": run.reason,
    }


def summary_dict(result) -> dict:
    """The summary JSON (DESIGN.md §3) of one run; safe for ``json.dumps(..., allow_nan=False)``.

    ``chosen.k`` is the number of segments of the chosen model (for a density
    method, the number it found), which is the k the report prints.
    """
    q = result.dataset.quality
    f = result.features
    p = result.profile
    chosen = result.chosen
    rec = result.recommendation
    names = cluster_names(result)
    clusters = []
    for c in (int(i) for i in p.summary.index):
        row = p.summary.loc[c]
        label = result.cluster_labels.get(c)
        clusters.append({
            "id": c,
            "name": names[c],
            "noise": c == NOISE,
            "size": int(row["size"]),
            "share": round_share(row["share"]),
            "revenue": _number(row.get("revenue"), 2),
            "revenue_share": round_share(row.get("revenue_share")),
            "means": {feature: _number(p.means.loc[c, feature], MEAN_DECIMALS) for feature in p.features},
            "description": label.description if label is not None else "",
        })
    stability = None
    if result.stability is not None:
        s = result.stability
        stability = {
            "n_resamples": int(s.n_resamples),
            "ari_mean": round_metric("ari", s.ari_mean),
            "ari_std": round_metric("ari", s.ari_std),
            "jaccard": {str(c): round_metric("jaccard", v) for c, v in sorted(s.jaccard.items())},
            "verdicts": {str(c): v for c, v in sorted(s.verdicts.items())},
        }
    summary = {
        "input": {
            "rows": int(q.rows_used),
            "rows_read": int(q.rows_read),
            "customers": int(q.customers),
            "unit": f.unit,
            "n_units": int(p.n_units),
            "date_min": _date(q.date_min),
            "date_max": _date(q.date_max),
        },
        "features": list(f.names),
        "log": list(f.log),
        "scaling": f.scaling,
        "seed": int(result.project.clustering.seed),
        "comparison": [_run_entry(run) for run in result.comparison.runs],
        "chosen": {
            "algorithm": chosen.algorithm,
            "k": int(chosen.n_clusters),
            "reason": result.chosen_reason,
            **{key: round_metric(key, chosen.metrics.get(key)) for key in COMPARISON_METRICS[:3]},
            "noise_share": round_share(chosen.noise_share),
            "recommended": {"algorithm": rec.algorithm, "k": int(rec.k), "reasons": list(rec.reasons)},
            "pinned": result.project.clustering.choice is not None,
        },
        "clusters": clusters,
        "stability": stability,
        "warnings": [w.message for w in result.warnings if not w.suppressed] + list(result.notes),
        "suppressed_warnings": [w.message for w in result.warnings if w.suppressed],
        "timings_s": {name: _number(seconds, 3) for name, seconds in result.timings_s.items()},
    }
    return _json_safe(summary)


def _date(value) -> str | None:
    text = iso_date(value) if value is not None else MISSING
    return None if text == MISSING else text


def _json_safe(value):
    """Plain Python types only; NaN and infinities become None."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if not math.isfinite(float(value)) else float(value)
    return value
