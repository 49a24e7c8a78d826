"""Run every algorithm over a range of k and score the runs (the recommendation is engine.clustering.selection).

A run that fails, finds one cluster or leaves everything as noise is recorded
with its status and a one-sentence reason; it never stops the comparison.
Cluster ids are canonical (largest cluster first), so the same data, settings
and seed always give the same ids, whatever the algorithm numbered them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from engine.clustering.algorithms import ALGORITHMS, RunSkipped, check_params, fit_labels
from engine.clustering.metrics import degenerate_reason, noise_share, score, score_many
from engine.clustering.selection_reasons import describe_run
from engine.errors import InputError
from engine.results import NOISE, Comparison, RunResult

Progress = Callable[[str, float], None]
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
                         reason=f"{label}{_k_text(k)} failed: {message or exc.__class__.__name__}.")
    return _run_from_labels(name, k, outcome.labels, X, outcome, time.perf_counter() - started)


def _score_one(X, run: RunResult, seed: int):
    try:
        return score(X, run.labels, seed)
    except Exception as exc:  # noqa: BLE001
        run.status = "failed"
        run.reason = f"Scoring {describe_run(run)} failed: {(str(exc).splitlines() or [exc.__class__.__name__])[0]}."
        return None


def compare(
    X: np.ndarray,
    algorithms: list[str],
    k_range: tuple[int, int] = (2, 10),
    seed: int = 42,
    params: dict[str, dict] | None = None,
    context: pd.DataFrame | None = None,
    progress: Progress | None = None,
    max_k: int | None = None,
    unit: str = "unit",
) -> Comparison:
    """Fit every algorithm at every k in ``k_range`` (density methods and RFM once) and score each run.

    Parameters are validated up front (a bad key is the analyst's to fix, so it
    raises InputError); anything that goes wrong in a single run is recorded on
    that run. ``progress(message, fraction)`` is called as runs finish.
    ``max_k`` caps the k range (:meth:`engine.clustering.selection.SelectionRule.max_k`:
    beyond it some segment would be too small to use); a note says so.
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or not np.isfinite(X).all():
        raise InputError("The feature matrix has missing or infinite values; impute or drop them before clustering.")
    params = params or {}
    for name in algorithms:
        check_params(name, params.get(name))
    asked = (int(k_range[0]), int(k_range[1]))
    k_range, notes = _capped(asked, max_k, len(X), unit)
    plan = [(name, k) for name in algorithms
            for k in (range(k_range[0], k_range[1] + 1) if ALGORITHMS[name].needs_k else [None])]
    runs = _fit_all(X, plan, seed, params, context, progress)
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
    return Comparison(runs=runs, algorithms=list(algorithms), k_range=tuple(k_range), seed=seed, n_points=len(X),
                      k_asked=asked if asked != tuple(k_range) else None, notes=notes)


PARALLEL_FROM = 20_000  # units from which the algorithms' sweeps run side by side
SWEEP_THREADS = 2


def _fit_all(X, plan, seed, params, context, progress) -> list[RunResult]:
    """Every run of ``plan``, in plan order. Each algorithm's sweep over k is one task (its fits share a
    cache, e.g. one Ward tree cut at every k); on large data two sweeps run at once in threads (the fits
    spend their time in NumPy, SciPy and scikit-learn code that releases the GIL). A fit depends only on
    its seed, so the runs are the same either way (tested)."""
    sweeps: dict[str, list[tuple[int, int | None]]] = {}
    for i, (name, k) in enumerate(plan):
        sweeps.setdefault(name, []).append((i, k))
    runs: list[RunResult | None] = [None] * len(plan)
    started = iter(range(len(plan)))
    lock = threading.Lock()

    def sweep(name: str) -> None:
        cache: dict = {}
        for i, k in sweeps[name]:
            if progress:
                with lock:
                    n = next(started)
                    progress(f"Fitting {ALGORITHMS[name].label}{_k_text(k)} ({n + 1} of {len(plan)})",
                             0.8 * n / len(plan))
            runs[i] = _fit_one(name, X, k, seed, params.get(name), context, cache)

    if len(X) >= PARALLEL_FROM and len(sweeps) > 1:
        # one thread per fit (fit_labels), set here once before the sweeps start: threadpoolctl's limits are
        # process-wide, so two sweeps setting and restoring them on their own could leave each other's on
        with threadpool_limits(limits=1), \
                ThreadPoolExecutor(max_workers=SWEEP_THREADS, thread_name_prefix="sweep") as pool:
            list(pool.map(sweep, sweeps))  # re-raises a sweep's exception here
    else:
        for name in sweeps:
            sweep(name)
    return runs


def _capped(asked: tuple[int, int], max_k: int | None, n_units: int, unit: str) -> tuple[tuple[int, int], list[str]]:
    """The k range actually run, and a note when ``max_k`` lowered it."""
    if max_k is None or asked[1] <= max_k:
        return asked, []
    if max_k < 2:
        raise InputError(f"With {n_units:,} {unit}s no split into two segments can give each segment the minimum size "
                         "(clustering.selection.min_size); load more data or lower the minimum.")
    low = min(asked[0], max_k)
    note = (f"k was capped at {max_k} (the range of k asked for up to {asked[1]}) so that every segment of the "
            f"{n_units:,} {unit}s can hold the minimum segment size.")
    return (low, max_k), [note]


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
