"""Stability of the chosen model in Spark: MLlib refits on seeded subsamples, compared where they overlap.

The single-machine check (:mod:`engine.clustering.stability`) refits on bootstrap
resamples and compares each refit with the chosen labels on the resampled units. In
Spark a resample is ``DataFrame.sample`` without replacement, seeded ``seed + 1 + b``
(the refit's seed too, as on one machine), of the size of a bootstrap's distinct
points: 63.2 % of the customers, at most 63.2 % of
:data:`engine.clustering.stability.MAX_POINTS` (the single machine's cap, which its
density methods subsample the same way). Each refit's predictions are joined to the
chosen assignments on the customer id and counted per (chosen segment, refitted
cluster): that k x k table, not the customers, reaches the driver, and the adjusted
Rand index and each segment's best-match Jaccard come from it with the single
machine's formulas, thresholds and :class:`~engine.results.Stability`.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import adjusted_rand_score

from engine.clustering.stability import MAX_POINTS, best_match_jaccard, verdict
from engine.results import Stability

DISTINCT_SHARE = 0.632  # distinct points of a bootstrap resample, as a share of the points

NOTE = ("Stability was measured on Spark by refitting the chosen model on {n} seeded subsamples of {share:.1%} of "
        "the customers (drawn without replacement: the size of a bootstrap resample's distinct customers) and "
        "comparing each refit with the chosen segments on the customers it was fitted on.")


def contingency_scores(table: np.ndarray) -> tuple[float, np.ndarray]:
    """Adjusted Rand index and, per row (reference cluster), the best-match Jaccard, from a contingency table.

    ``table[i, j]``: units in reference cluster i and refitted cluster j. The table is spelled out as one
    (reference, refitted) pair per unit (at most a few thousand: the resample is capped) and scored with the
    single machine's own functions, scikit-learn's ``adjusted_rand_score`` and
    :func:`engine.clustering.stability.best_match_jaccard`.
    """
    table = np.asarray(table, dtype=np.int64)
    if table.shape[0] == 0:
        return 1.0, np.zeros(0)
    rows, cols = np.indices(table.shape)
    counts = table.ravel()
    reference, refitted = np.repeat(rows.ravel(), counts), np.repeat(cols.ravel(), counts)
    best = best_match_jaccard(reference, refitted)
    return float(adjusted_rand_score(reference, refitted)), np.array([best.get(i, 0.0) for i in range(table.shape[0])])


def spark_stability(matrix, algorithm: str, k: int, seed: int, params: dict | None, assigned,
                    n_resamples: int, max_points: int = MAX_POINTS) -> Stability:
    """Refit ``algorithm`` with MLlib on ``n_resamples`` subsamples of ``matrix`` and compare with ``assigned``.

    ``assigned``: the chosen assignments in Spark (``customer_id``, ``cluster``: canonical ids). A refit that
    fails counts as reproducing nothing (ARI and Jaccard 0), as on one machine.
    """
    from pyspark.sql import functions as F

    from engine.spark.clustering import fit

    if n_resamples < 1:
        return Stability(0, float("nan"), float("nan"), {}, {}, "", 0)
    n = matrix.n_units
    drawn = max(2, int(min(n, max_points) * DISTINCT_SHARE))
    fraction = min(1.0, drawn / n)
    reference = assigned.select("customer_id", "cluster")
    ids = sorted(int(r["cluster"]) for r in reference.select("cluster").distinct().collect())
    aris: list[float] = []
    jaccards: dict[int, list[float]] = {c: [] for c in ids}
    for b in range(n_resamples):
        subsample = matrix.frame.sample(withReplacement=False, fraction=fraction, seed=seed + 1 + b)
        try:
            _, predictions = fit(matrix, algorithm, k, seed + 1 + b, params, frame=subsample)
            counts = predictions.select("customer_id", "prediction").join(reference, "customer_id") \
                .groupBy("cluster", "prediction").agg(F.count(F.lit(1)).alias("n")).collect()
        except Exception:  # noqa: BLE001 - a refit that fails did not reproduce the clusters
            counts = None
        if not counts:
            aris.append(0.0)
            for c in ids:
                jaccards[c].append(0.0)
            continue
        refitted = sorted({int(r["prediction"]) for r in counts})
        table = np.zeros((len(ids), len(refitted)))
        for r in counts:
            table[ids.index(int(r["cluster"])), refitted.index(int(r["prediction"]))] = r["n"]
        ari, best = contingency_scores(table)
        aris.append(ari)
        for i, c in enumerate(ids):
            if table[i].sum() > 0:  # a segment absent from the subsample says nothing about it
                jaccards[c].append(float(best[i]))
    jaccard = {c: float(np.mean(v)) if v else float("nan") for c, v in jaccards.items()}
    ari_mean = float(np.mean(aris))
    return Stability(n_resamples=n_resamples, ari_mean=ari_mean, ari_std=float(np.std(aris)), jaccard=jaccard,
                     verdicts={c: verdict(v) for c, v in jaccard.items()}, verdict=verdict(ari_mean),
                     resample_size=drawn)
