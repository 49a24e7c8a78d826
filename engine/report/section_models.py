"""Section builders about the models: the algorithm comparison, the k sweep and the chosen model.

Every table here carries a context line (features, scaling, unit, k range or
k, seed) and states each metric's direction, taken from the metric registry
rather than assumed: Davies-Bouldin is lower-is-better although scikit-learn
calls it a score.
"""

from __future__ import annotations

import json

from engine.clustering.metrics import METRICS, RANKED
from engine.report.context import ReportContext, algorithm_label
from engine.results import RunResult

TABLE_METRICS = RANKED  # the indices the recommendation scores on
SWEEP_METRICS = ("davies_bouldin", "silhouette", "calinski_harabasz", "inertia", "bic")
RANK_METRIC = "davies_bouldin"  # fallback when an algorithm has no eligible run
BASELINE = "rfm"  # shown for comparison, never recommended


def metric_headers(keys) -> list[dict]:
    """Label and direction of each metric key, from the registry."""
    out = []
    for key in keys:
        entry = METRICS.get(key)
        out.append({"key": key, "label": entry.label if entry else key.replace("_", " ").capitalize(),
                    "direction": entry.direction if entry else "", "description": entry.description if entry else ""})
    return out


def _value(run: RunResult, key: str) -> float | None:
    value = run.metrics.get(key)
    return None if value is None else float(value)


def _best_run(runs: list[RunResult]) -> RunResult | None:
    """The ok run with the lowest Davies-Bouldin (ties: smaller k first)."""
    ok = [r for r in runs if r.status == "ok" and _value(r, RANK_METRIC) is not None]
    if not ok:
        return None
    return min(ok, key=lambda r: (_value(r, RANK_METRIC), r.n_clusters))


def _row(run: RunResult, note: str, chosen: RunResult, rank: int | None = None, baseline: bool = False) -> dict:
    fitted = run.labels is not None or "sizes" in run.extra  # Spark mode keeps the sizes, not the labels
    return {
        "algorithm": algorithm_label(run.algorithm),
        "k": run.n_clusters if fitted else run.k,
        "found": run.k is None,  # density methods and RFM: k is what they found, not what was asked
        "metrics": {key: _value(run, key) for key in TABLE_METRICS},
        "noise_share": run.noise_share if fitted else None,
        "min_cluster_share": run.min_cluster_share if fitted else None,
        "rank": rank,
        "note": note,
        "chosen": run is chosen,
        "baseline": baseline,
    }


def _ranked_runs(ctx: ReportContext) -> dict[int, int]:
    """Position in the recommendation's ranking (1 = recommended) by index into comparison.runs."""
    ranking = ctx.result.recommendation.ranking
    if ranking is None or "run" not in ranking:
        return {}
    return {int(run): position + 1 for position, run in enumerate(ranking["run"])}


def build_algorithm_comparison(ctx: ReportContext) -> dict:
    r = ctx.result
    chosen = r.chosen
    ranks = _ranked_runs(ctx)
    rank_of = {id(run): ranks.get(i) for i, run in enumerate(r.comparison.runs)}
    rows, baseline_rows, problems = [], [], []
    for algorithm in r.comparison.algorithms:
        runs = [run for run in r.comparison.runs if run.algorithm == algorithm]
        ranked = sorted((run for run in runs if rank_of[id(run)] is not None), key=lambda run: rank_of[id(run)])
        shown = None
        if algorithm == BASELINE:
            shown = next((run for run in runs if run.status == "ok"), None)
            if shown is not None:
                baseline_rows.append(_row(shown, "baseline", chosen, baseline=True))
        elif ranked:
            shown = ranked[0]
            rows.append(_row(shown, "", chosen, rank_of[id(shown)]))
        elif (shown := _best_run(runs)) is not None:
            rows.append(_row(shown, "not eligible", chosen))
        else:
            rows.append({**_row(runs[0], "no usable run", chosen), "k": None} if runs else None)
        if chosen.algorithm == algorithm and shown is not chosen:
            rows.append(_row(chosen, "", chosen, rank_of.get(id(chosen))))
        problems += [
            {"algorithm": algorithm_label(run.algorithm), "k": run.k, "status": run.status, "reason": run.reason}
            for run in runs if run.status != "ok"
        ]
    return {
        "headers": metric_headers(TABLE_METRICS),
        "rows": [row for row in rows if row is not None] + baseline_rows,
        "has_baseline": bool(baseline_rows),
        "n_eligible": len(ranks),
        "problems": problems,
        "caption": ctx.comparison_context(),
        "n_runs": len(r.comparison.runs),
        "chosen_algorithm": ctx.algorithm,
        "chosen_k": ctx.k,
        "chosen_db": _value(chosen, "davies_bouldin"),
    }


def build_choosing_k(ctx: ReportContext) -> dict:
    r = ctx.result
    algorithm = r.chosen.algorithm
    sweep = sorted((run for run in r.comparison.runs if run.algorithm == algorithm and run.k is not None),
                   key=lambda run: run.k)
    note = ""
    if not sweep:  # a density method: no k to sweep, show the best k-based algorithm instead
        k_runs = [run for run in r.comparison.runs if run.k is not None]
        best = _best_run(k_runs)
        if best is not None:
            algorithm = best.algorithm
            sweep = sorted((run for run in k_runs if run.algorithm == algorithm), key=lambda run: run.k)
            note = (f"{ctx.algorithm} finds the number of clusters from the density of the data and does not take "
                    f"k; the sweep below is for {algorithm_label(algorithm)}, the best of the methods that do.")
    keys = [key for key in SWEEP_METRICS if any(_value(run, key) is not None for run in sweep)]
    rows = [
        {"k": run.k, "n_clusters": run.n_clusters, "metrics": {key: _value(run, key) for key in keys},
         "min_cluster_share": run.min_cluster_share, "status": run.status, "reason": run.reason,
         "chosen": run is r.chosen or (run.algorithm == r.chosen.algorithm and run.k == r.chosen.k)}
        for run in sweep
    ]
    best = _best_run(sweep)
    image = None
    if sweep:
        from engine.views.chart_models import metric_vs_k_chart

        table = r.comparison.table()
        table = table[table["algorithm"] == algorithm]
        spec = metric_vs_k_chart(table, metrics=tuple(keys), algorithm_labels={algorithm: algorithm_label(algorithm)})
        image = ctx.chart(spec, "k-sweep")
    return {
        "algorithm": algorithm_label(algorithm),
        "headers": metric_headers(keys),
        "rows": rows,
        "best_db_k": best.k if best is not None else None,
        "chosen_k": ctx.k,
        "note": note,
        "chart": image,
        "caption": f"{ctx.data_context()}; algorithm: {algorithm_label(algorithm)}; seed {r.comparison.seed}.",
    }


def build_chosen_model(ctx: ReportContext) -> dict:
    r = ctx.result
    chosen, rec = r.chosen, r.recommendation
    pinned = r.project.clustering.choice is not None
    overridden = pinned and not (chosen.algorithm == rec.algorithm and chosen.n_clusters == rec.k)
    headers = metric_headers(TABLE_METRICS)
    return {
        "algorithm": ctx.algorithm,
        "k": ctx.k,
        "reason": r.chosen_reason,
        "reasons": [reason for reason in rec.reasons if reason not in r.chosen_reason],  # no sentence twice
        "rule": rec.rule,
        "recommended": f"{algorithm_label(rec.algorithm)} with k = {rec.k}",
        "pinned": pinned,
        "overridden": overridden,
        "tiles": [{"key": h["key"], "label": h["label"], "direction": h["direction"],
                   "value": _value(chosen, h["key"])} for h in headers],
        "noise_share": chosen.noise_share,
        "fitted_on": chosen.fitted_on,
        "sampled": chosen.sampled,
        "silhouette_sample": chosen.silhouette_sample,
        "params": [(key, _json(value)) for key, value in sorted(chosen.params.items())],
        "caption": ctx.model_context(),
    }


def parameter_rows(ctx: ReportContext) -> list[tuple[str, str]]:
    """Every setting that shaped the result, as (name, value) rows for the appendix."""
    p = ctx.result.project
    f = ctx.result.features
    c = p.clustering
    rows = [
        ("Unit of analysis", f.unit),
        ("Features clustered", ", ".join(f.names)),
        ("Log-transformed (log1p)", ", ".join(f.log) or "none"),
        ("Scaling", f.scaling),
        ("Returns", p.data.returns),
        ("Identical lines", p.data.duplicates + (" (dropped only when there is an order id)"
                                                 if p.data.duplicates == "auto" else "")),
        ("Minimum units to segment", str(p.data.min_units)),
        ("Recency reference date", p.data.as_of or "day after the last date in the data"),
        ("Algorithms compared", ", ".join(c.algorithms)),
        ("k range", f"{c.k_range[0]}–{c.k_range[1]}"),
        ("Seed (random_state)", str(c.seed)),
        ("Stability resamples", str(c.stability_resamples)),
        ("Pinned choice", _json(c.choice) if c.choice else "none (recommendation used)"),
        ("Selection rule settings", _json(c.selection) if c.selection else "defaults"),
        ("Report projection", ctx.options.projection),
    ]
    rows += [(f"Parameters given for {name}", _json(params)) for name, params in sorted(c.params.items())]
    rows += [(f"Parameters used by the chosen {ctx.result.chosen.algorithm}", _json(ctx.result.chosen.params))]
    return rows


def _json(value) -> str:
    return json.dumps(value, sort_keys=True, default=str)
