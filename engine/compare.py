"""Run every algorithm over a range of k, score the runs and recommend one.

A run that fails, finds one cluster or leaves everything as noise is recorded
with its status and a one-sentence reason; it never stops the comparison.
Cluster ids are canonical (largest cluster first), so the same data, settings
and seed always give the same ids, whatever the algorithm numbered them.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from engine.algorithms import ALGORITHMS, RunSkipped, check_params, fit_labels
from engine.errors import InputError
from engine.metrics import METRICS, degenerate_reason, noise_share, score, score_many
from engine.results import NOISE, Comparison, Recommendation, RunResult

Progress = Callable[[str, float], None]
RANKED_METRICS = ("davies_bouldin", "silhouette", "calinski_harabasz")

RULE = (
    "Runs that failed, were skipped or are degenerate (fewer than two clusters, or fewer clusters than "
    "the k asked for) are not eligible, and neither are runs whose smallest cluster holds less than "
    "{min_share:.0%} of the units (a cluster of a few extreme customers, which internal metrics "
    "otherwise reward), runs that leave more than {max_noise:.0%} of the units as noise, or the RFM "
    "baseline, which is shown for comparison only. Each eligible run is ranked on three internal "
    "validity indices computed on the same scaled features: Davies-Bouldin (lower is better), "
    "silhouette and Calinski-Harabasz (higher is better); for density methods, whose metrics cover only the "
    "points they cluster, the silhouette used for ranking counts each noise point as 0 (as for a cluster "
    "of one), so leaving hard points out does not raise the score. The recommended run has the best mean rank; "
    "ties go to the run with fewer clusters, then to the algorithm listed first."
)


def canonical_labels(labels: np.ndarray, X: np.ndarray | None = None) -> np.ndarray:
    """Renumber clusters 0..m-1 by descending size; noise stays -1.

    Equal sizes are ordered by the cluster's mean of the first feature (when X
    is given), then by where the cluster first appears.
    """
    labels = np.asarray(labels)
    out = np.full(len(labels), NOISE, dtype=np.int64)
    kept = labels != NOISE
    clusters, first, counts = np.unique(labels[kept], return_index=True, return_counts=True)
    if len(clusters) == 0:
        return out
    if X is not None:
        _, inverse = np.unique(labels[kept], return_inverse=True)
        first_feature = np.bincount(inverse, weights=np.asarray(X)[kept, 0]) / counts
    else:
        first_feature = np.zeros(len(clusters))
    order = np.lexsort((first, first_feature, -counts))
    new_id = np.empty(len(clusters), dtype=np.int64)
    new_id[order] = np.arange(len(clusters))
    out[kept] = new_id[np.searchsorted(clusters, labels[kept])]
    return out


def _run_from_labels(name, k, labels, X, outcome, seconds) -> RunResult:
    """A RunResult with canonical labels, sizes and status, before scoring."""
    spec = ALGORITHMS[name]
    canonical = canonical_labels(labels, X)
    extra = dict(outcome.extra)
    if "label_names" in extra:  # keep names (RFM segments) attached to the renumbered ids
        pairs = np.unique(np.column_stack([canonical, labels]), axis=0)
        extra["label_names"] = {int(c): extra["label_names"][int(raw)] for c, raw in pairs if c != NOISE}
    sizes = np.bincount(canonical[canonical != NOISE]) if (canonical != NOISE).any() else np.zeros(0)
    run = RunResult(
        algorithm=name, k=k, labels=canonical.astype(np.int32), n_clusters=len(sizes),
        noise_share=noise_share(canonical), min_cluster_share=float(sizes.min() / len(X)) if len(sizes) else 0.0,
        fit_seconds=round(seconds, 3), fitted_on=outcome.fitted_on, sampled=outcome.sampled,
        params=outcome.params, extra=extra,
    )
    reason = degenerate_reason(canonical)
    if reason is None and spec.needs_k and run.n_clusters < k:
        reason = f"{spec.label} asked for k = {k} but found only {run.n_clusters} distinct clusters."
    if reason:
        run.status, run.reason = "degenerate", f"{spec.label}{_k_text(k)}: {reason[0].lower()}{reason[1:]}"
    return run


def _k_text(k: int | None) -> str:
    return f" with k = {k}" if k is not None else ""


def _fit_one(name, X, k, seed, params, context, cache) -> RunResult:
    label = ALGORITHMS[name].label
    started = time.perf_counter()
    try:
        outcome = fit_labels(name, X, k, seed, params, context, cache)
    except RunSkipped as exc:
        return RunResult(name, k, None, status="skipped", reason=str(exc))
    except InputError as exc:
        return RunResult(name, k, None, status="degenerate", reason=str(exc))
    except Exception as exc:  # noqa: BLE001 - one failed run must not stop the comparison
        message = str(exc).split("\n")[0].rstrip(".")
        return RunResult(name, k, None, fit_seconds=round(time.perf_counter() - started, 3), status="failed",
                         reason=f"{label}{_k_text(k)} failed ({exc.__class__.__name__}: {message}).")
    return _run_from_labels(name, k, outcome.labels, X, outcome, time.perf_counter() - started)


def _score_one(X, run: RunResult, seed: int):
    try:
        return score(X, run.labels, seed)
    except Exception as exc:  # noqa: BLE001
        run.status = "failed"
        run.reason = f"Scoring {_describe(run)} failed ({exc.__class__.__name__}: {str(exc).splitlines()[0]})."
        return None


def compare(
    X: np.ndarray,
    algorithms: list[str],
    k_range: tuple[int, int] = (2, 10),
    seed: int = 42,
    params: dict[str, dict] | None = None,
    context: pd.DataFrame | None = None,
    progress: Progress | None = None,
) -> Comparison:
    """Fit every algorithm at every k in ``k_range`` (density methods and RFM once) and score each run.

    Parameters are validated up front (a bad key is the analyst's to fix, so it
    raises InputError); anything that goes wrong in a single run is recorded on
    that run. ``progress(message, fraction)`` is called as runs finish.
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or not np.isfinite(X).all():
        raise InputError("The feature matrix has missing or infinite values; impute or drop them before clustering.")
    params = params or {}
    for name in algorithms:
        check_params(name, params.get(name))
    plan = [(name, k) for name in algorithms
            for k in (range(k_range[0], k_range[1] + 1) if ALGORITHMS[name].needs_k else [None])]
    cache: dict = {}
    runs = []
    for i, (name, k) in enumerate(plan):
        if progress:
            progress(f"Fitting {ALGORITHMS[name].label}{_k_text(k)} ({i + 1} of {len(plan)})", 0.8 * i / len(plan))
        runs.append(_fit_one(name, X, k, seed, params.get(name), context, cache))
    cache.clear()
    scorable = [r for r in runs if r.status == "ok"]
    if progress:
        progress(f"Scoring {len(scorable)} runs", 0.8)
    try:
        scored = score_many(X, [r.labels for r in scorable], seed,
                            progress=(lambda m, f: progress(m, 0.8 + 0.2 * f)) if progress else None)
    except Exception:  # noqa: BLE001 - score one by one so only the run at fault is marked failed
        scored = [_score_one(X, run, seed) for run in scorable]
    for run, result in zip(scorable, scored, strict=True):
        if result is None:
            continue
        values, sample_n = result
        run.metrics = {**values, **{m: run.extra[m] for m in ("bic", "aic") if m in run.extra}}
        run.silhouette_sample = sample_n
    if progress:
        progress("Comparison finished", 1.0)
    return Comparison(runs=runs, algorithms=list(algorithms), k_range=tuple(k_range), seed=seed, n_points=len(X))


def fit_chosen(
    X: np.ndarray,
    algorithm: str,
    k: int | None,
    seed: int,
    params: dict | None = None,
    context: pd.DataFrame | None = None,
) -> RunResult:
    """Fit the analyst's pinned choice; labels canonical, metrics as in the comparison.

    ``params`` are this algorithm's parameters (``clustering.params[algorithm]``).

    Raises InputError for an impossible choice; a degenerate result is returned
    with its status and reason so the caller can say so.
    """
    started = time.perf_counter()
    try:
        outcome = fit_labels(algorithm, X, k, seed, params, context)
    except RunSkipped as exc:
        raise InputError(f"{exc} Choose another algorithm in clustering.choice.") from None
    run = _run_from_labels(algorithm, k if ALGORITHMS[algorithm].needs_k else None, outcome.labels,
                           np.asarray(X, dtype=float), outcome, time.perf_counter() - started)
    if run.status == "ok":
        values, sample_n = score(np.asarray(X, dtype=float), run.labels, seed)
        run.metrics = {**values, **{m: run.extra[m] for m in ("bic", "aic") if m in run.extra}}
        run.silhouette_sample = sample_n
    return run


def _describe(run: RunResult) -> str:
    label = ALGORITHMS[run.algorithm].label
    return f"{label} with k = {run.k}" if run.k is not None else f"{label} ({run.n_clusters} clusters)"


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def recommend(comparison: Comparison, min_cluster_share: float = 0.01, max_noise_share: float = 0.2) -> Recommendation:
    """Pick the run with the best mean rank on Davies-Bouldin, silhouette and Calinski-Harabasz.

    See RULE for the eligibility rule. The reasons are sentences a client report
    can print, quoting the numbers. When no run is eligible the best-ranked run
    that could be scored is returned with a reason saying why it is not eligible.
    """
    rule = RULE.format(min_share=min_cluster_share, max_noise=max_noise_share)
    candidates = [r for r in comparison.runs if r.algorithm != "rfm"]
    scored = [r for r in candidates if r.status == "ok" and all(m in r.metrics for m in RANKED_METRICS)]
    excluded = {"small": [], "noise": []}
    eligible = []
    for r in scored:
        if r.min_cluster_share < min_cluster_share:
            excluded["small"].append(r)
        elif r.noise_share > max_noise_share:
            excluded["noise"].append(r)
        else:
            eligible.append(r)
    pool = eligible or scored
    if not pool:
        first = candidates[0] if candidates else comparison.runs[0]
        return Recommendation(first.algorithm, first.k or 0, [
            "No run produced at least two clusters that could be scored, so there is no recommendation; "
            "the first run is shown. Check the features (constant or identical values) and the parameters."
        ], rule, None)
    ranking = _rank(comparison, pool)
    best = comparison.runs[int(ranking.iloc[0]["run"])]
    reasons = _reasons(best, ranking, excluded, len(eligible), min_cluster_share, max_noise_share)
    rfm = next((r for r in comparison.runs if r.algorithm == "rfm" and r.status == "ok"), None)
    if rfm is not None:
        reasons.append(
            f"The RFM segments baseline ({rfm.n_clusters} segments) scores a Davies-Bouldin index of "
            f"{rfm.metrics['davies_bouldin']:.2f} and a silhouette of {rfm.metrics['silhouette']:.2f} "
            "on the same features."
        )
    return Recommendation(best.algorithm, best.k if best.k is not None else best.n_clusters, reasons, rule, ranking)


def _rank(comparison: Comparison, pool: list[RunResult]) -> pd.DataFrame:
    """Eligible runs with per-metric ranks (1 = best) and their mean; ``run`` indexes comparison.runs."""
    order = comparison.algorithms
    position = {id(r): i for i, r in enumerate(comparison.runs)}
    table = pd.DataFrame([{
        "run": position[id(r)], "algorithm": r.algorithm, "k": r.k, "n_clusters": r.n_clusters,
        **{m: r.metrics[m] for m in RANKED_METRICS},
        "silhouette_ranked": r.metrics["silhouette"] * (1.0 - r.noise_share),
        "min_cluster_share": r.min_cluster_share, "noise_share": r.noise_share,
        "algorithm_order": order.index(r.algorithm) if r.algorithm in order else len(order),
    } for r in pool])
    for m in RANKED_METRICS:
        column = "silhouette_ranked" if m == "silhouette" else m
        table[f"{m}_rank"] = table[column].rank(ascending=not METRICS[m].greater_is_better, method="min")
    table["mean_rank"] = table[[f"{m}_rank" for m in RANKED_METRICS]].mean(axis=1)
    table["k"] = table["k"].astype("Int64")
    table = table.sort_values(["mean_rank", "n_clusters", "algorithm_order"], kind="stable")
    return table.drop(columns="algorithm_order").reset_index(drop=True)


_IN_SENTENCE = {"davies_bouldin": "Davies-Bouldin index", "silhouette": "silhouette",
                "calinski_harabasz": "Calinski-Harabasz index"}


def _reasons(best, ranking, excluded, n_eligible, min_share, max_noise) -> list[str]:
    top = ranking.iloc[0]
    n = len(ranking)
    name = _describe(best)
    parts = []
    for m, word in (("davies_bouldin", "lowest"), ("silhouette", "highest"), ("calinski_harabasz", "highest")):
        rank = int(top[f"{m}_rank"])
        value = f"{top[m]:,.0f}" if m == "calinski_harabasz" else f"{top[m]:.2f}"
        if m == "silhouette" and best.noise_share > 0:
            value += f", {top['silhouette_ranked']:.2f} counting noise as 0"
        parts.append(f"the {word} {_IN_SENTENCE[m]} ({value})" if rank == 1
                     else f"the {_ordinal(rank)}-best {_IN_SENTENCE[m]} ({value})")
    reasons = [f"{name} has {parts[0]}, {parts[1]} and {parts[2]} among the {n} eligible runs "
               f"(mean rank {top['mean_rank']:.1f})."]
    if not n_eligible:
        why = []
        if best.min_cluster_share < min_share:
            why.append(f"its smallest cluster holds only {best.min_cluster_share:.1%} of the units")
        if best.noise_share > max_noise:
            why.append(f"it leaves {best.noise_share:.0%} of the units as noise")
        reasons.insert(0, "No run met the eligibility rule, so this is the best of the degenerate runs and should "
                          f"be treated with caution: {' and '.join(why)}.")
    else:
        reasons.append(f"Its smallest cluster holds {best.min_cluster_share:.1%} of the units "
                       f"(the rule requires at least {min_share:.0%}).")
    if best.noise_share > 0:
        reasons.append(f"It leaves {best.noise_share:.1%} of the units as noise (at most {max_noise:.0%} allowed); "
                       "its metrics are computed without them, and they are reported as a group of their own.")
    if len(ranking) > 1:
        runner = ranking.iloc[1]
        label = ALGORITHMS[runner["algorithm"]].label
        k_text = f"k = {int(runner['k'])}" if pd.notna(runner["k"]) else f"{int(runner['n_clusters'])} clusters"
        reasons.append(f"The runner-up is {label} with {k_text} (mean rank {runner['mean_rank']:.1f}).")
    if excluded["small"]:
        reasons.append(f"{len(excluded['small'])} run(s) were excluded because a cluster held less than "
                       f"{min_share:.0%} of the units.")
    if excluded["noise"]:
        reasons.append(f"{len(excluded['noise'])} run(s) were excluded because more than {max_noise:.0%} of the "
                       "units were left as noise.")
    return reasons
