"""Exports next to the PDF: cluster assignments (CSV), the summary (JSON-ready dict), the profile (CSV).

The summary rounds with the report's own tables (:mod:`engine.formatting`),
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
import re

import numpy as np
import pandas as pd

from engine.clustering.metrics import METRICS, RANKED
from engine.errors import InputError
from engine.formatting import (
    MEAN_DECIMALS,
    MISSING,
    cluster_name,
    is_missing,
    iso_date,
    neutralise,
    round_metric,
    round_share,
)
from engine.results import NOISE

COMPARISON_METRICS = tuple(METRICS)  # every metric of the registry, in its order
RFM_SCORE_COLUMNS = ("r_score", "f_score", "m_score", "rfm_segment")
_LINE_ID_ROLES = ("order_id", "customer_id")  # a line's identity, best first
_ID_NAME = re.compile(r"(^|[_\s\-.])(id|key|no|nr|number|ref)$|[a-z](ID|Id|No|Nr)$|^id$", re.IGNORECASE)


def _cell(value):
    """A CSV cell: numbers stay numbers, text is neutralised, missing values are empty."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return "" if not math.isfinite(float(value)) else float(value)
    return neutralise(str(value))


def cluster_names(result) -> dict[int, str]:
    """Display name per cluster id, as the report prints them."""
    names = {c: label.name for c, label in result.cluster_labels.items()}
    ids = [int(c) for c in result.profile.summary.index]
    return {c: cluster_name(c, names) for c in ids}


def assignments_csv(result) -> str:
    """One line per unit, in the order of the feature table: ``id, cluster_id, cluster_name`` (+ RFM scores).

    Customers are identified by their customer id. Rows (unit "row") by the
    table's order / transaction id when it names each line once (else another
    unique id column); when several lines share an order id, by ``row`` (the
    position in the analysed rows) and ``order_id`` together. Customer-unit
    analyses of transactions add each customer's RFM scores and rule segment
    (``r_score, f_score, m_score, rfm_segment``), scored as the comparison's
    RFM baseline scores them, whatever model was chosen.
    """
    names = cluster_names(result)
    ids = _unit_ids(result)
    scores = _rfm_scores(result)
    extra = [] if scores is None else [scores[c].to_numpy(dtype=object) for c in RFM_SCORE_COLUMNS]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*ids, "cluster_id", "cluster_name", *(RFM_SCORE_COLUMNS if extra else ())])
    for i, cluster in enumerate(np.asarray(result.labels)):
        cluster = int(cluster)
        writer.writerow([*(_cell(values[i]) for values in ids.values()), cluster,
                         _cell(names.get(cluster) or cluster_name(cluster)), *(_cell(values[i]) for values in extra)])
    return buffer.getvalue()


def _unit_ids(result) -> dict[str, np.ndarray]:
    """Header -> value per unit: the customer id, the line's id, or row number and order id."""
    from engine.loading.parsing import normalise_ids

    index = result.features.table.index
    if result.features.unit != "row":
        return {"id": index.to_numpy(dtype=object)}
    rows = result.dataset.rows
    if rows is None or len(rows) != len(index) or not pd.api.types.is_integer_dtype(index):
        return {"id": index.to_numpy(dtype=object)}
    positions = index.to_numpy()
    roles = _main_roles(result.dataset)
    candidates = [(role, roles[role]) for role in _LINE_ID_ROLES if roles.get(role) in rows.columns]
    named = [c for c in rows.columns if _ID_NAME.search(str(c)) and c not in {col for _, col in candidates}]
    shared = None
    for role, column in [*candidates, *((None, c) for c in named)]:
        values = normalise_ids(rows[column].reset_index(drop=True)).to_numpy(dtype=object)[positions]
        if pd.notna(values).all() and len(set(values)) == len(values):
            return {"id": values}
        if role is not None and shared is None:
            shared = (role, values)
    if shared is None:
        return {"id": index.to_numpy(dtype=object)}
    return {"row": index.to_numpy(dtype=object), shared[0]: shared[1]}


def _main_roles(dataset) -> dict[str, str]:
    """Roles of the table behind ``dataset.rows`` (same columns), else of the first data table."""
    columns = [str(c) for c in dataset.rows.columns]
    tables = [t for t in dataset.tables if list(t.columns) == columns]
    tables = tables or [t for t in dataset.tables if t.kind in ("transactions", "customer_table")]
    return dict(tables[0].roles) if tables else {}


def _rfm_scores(result):
    """Each customer's RFM scores and rule segment, on transaction data analysed per customer; else None."""
    from engine.features.rfm import customer_scores

    if result.features.unit != "customer" or result.dataset.shape != "transactions":
        return None
    params = (result.project.clustering.params or {}).get("rfm") or {}
    try:
        return customer_scores(result.features.table, params)
    except InputError:  # invalid bins / cuts: the comparison's RFM row already says why
        return None


def profiles_csv(result) -> str:
    """The classic profiling table (average and total of each feature per cluster) as CSV."""
    from engine.views.profiles import profile_csv

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
    read_first = list(result.narrative.get("read_first", []))
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
            "as_of": _date(f.as_of),  # the day recency is measured from (data.as_of, else the day after date_max)
            "lines_after_as_of": int(f.lines_after_as_of),  # lines dated after data.as_of, left out
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
            **{key: round_metric(key, chosen.metrics.get(key)) for key in RANKED},
            "noise_share": round_share(chosen.noise_share),
            "recommended": {"algorithm": rec.algorithm, "k": int(rec.k), "reasons": list(rec.reasons),
                            "bootstrap_ari": _number(rec.bootstrap_ari, 4), "weak_structure": rec.weak_structure,
                            "rule": rec.rule},
            "pinned": result.project.clustering.choice is not None,
        },
        "clusters": clusters,
        "stability": stability,
        "read_first": list(read_first),
        "warnings": list(dict.fromkeys(read_first + [w.message for w in result.warnings if not w.suppressed]
                                       + list(result.notes))),
        "suppressed_warnings": [w.message for w in result.warnings if w.suppressed],
        "timings_s": {name: _number(seconds, 3) for name, seconds in result.timings_s.items()},
    }
    if result.migration is not None:  # the project file's migration block: who moved where
        from engine.migration.export import summary_block  # lazy: a later step

        summary["migration"] = summary_block(result.migration)
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
