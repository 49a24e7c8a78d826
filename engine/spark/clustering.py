"""Clustering with Spark MLlib over the k range, scored in Spark, recommended by the single-machine rule.

MLlib offers k-means (k-means|| initialisation), bisecting k-means and the Gaussian
mixture; each gets the project's seed, as ``random_state`` does on one machine. The
other registry algorithms (agglomerative, BIRCH, DBSCAN, HDBSCAN, spectral, RFM) have
no MLlib implementation and are listed as not run, with the reason. The k range is
capped as on one machine (every segment must be able to hold the smallest usable
share). Each run keeps its cluster sizes, not its labels: the labels stay in Spark.
The recommendation is :func:`engine.clustering.selection.recommend`, the same code.
The fitted models can be kept (``compare(..., keep=...)``), so the chosen one is not
fitted a second time to assign the customers.
"""

from __future__ import annotations

import time

import numpy as np

from engine.clustering.selection import SelectionRule
from engine.results import Comparison, RunResult
from engine.spark.matrix import SparkMatrix
from engine.spark.metrics import SILHOUETTE_DISTANCE, cluster_statistics, metrics_from_statistics, silhouette

SPARK_ALGORITHMS = ("kmeans", "bisecting_kmeans", "gmm")
# MLlib's bisecting k-means has no convergence test: it runs every one of maxIter iterations at every split (one
# Spark job each; 300 made a k = 6 fit 900 jobs). Its own default, 20, is used unless clustering.params sets
# max_iter; a 2-means split converges well within it (on the bundled sample 10, 20 and 300 give the same centres).
BISECTING_MAX_ITER = 20


def _estimator(name: str, k: int, seed: int, params: dict):
    from pyspark.ml.clustering import BisectingKMeans, GaussianMixture, KMeans

    if name == "kmeans":
        return KMeans(k=k, seed=seed, featuresCol="features", maxIter=int(params.get("max_iter", 300)),
                      tol=float(params.get("tol", 1e-4)))
    if name == "bisecting_kmeans":
        return BisectingKMeans(k=k, seed=seed, featuresCol="features", maxIter=int(params.get("max_iter", BISECTING_MAX_ITER)))
    return GaussianMixture(k=k, seed=seed, featuresCol="features", maxIter=int(params.get("max_iter", 100)),
                           tol=float(params.get("tol", 1e-3)))


# MLlib's bisecting k-means splits a cluster by nudging its centre by 1e-4 x the centre's norm: a cluster centred
# at the origin (every standardised data set) gets no nudge and is never split (one cluster comes back). k-means
# does not care where the origin is, so bisecting k-means runs on the features shifted by this much.
BISECTING_SHIFT = 10.0


def _input(frame, d: int, name: str):
    """The frame and vector column an MLlib model of ``name`` is fitted on and predicts from."""
    if name != "bisecting_kmeans":
        return frame, "features"
    from pyspark.ml.functions import array_to_vector
    from pyspark.sql import functions as F

    shifted = F.array(*[F.col(f"x{i}") + BISECTING_SHIFT for i in range(d)])
    return frame.withColumn("shifted", array_to_vector(shifted)), "shifted"


def fit(matrix: SparkMatrix, name: str, k: int, seed: int, params: dict | None = None, frame=None):
    """The fitted MLlib model and its predictions (``customer_id``, ``x*``, ``features``, ``prediction``).

    ``frame``: fit on these rows of ``matrix.frame`` instead (a subsample, for the stability refits).
    """
    data, column = _input(matrix.frame if frame is None else frame, len(matrix.names), name)
    model = _estimator(name, k, seed, params or {}).setFeaturesCol(column).fit(data)
    return model, model.transform(data)


def predict(matrix: SparkMatrix, name: str, model):
    """``model`` (fitted by :func:`fit` on ``matrix``) applied to every row of ``matrix``: the predictions frame."""
    data, _ = _input(matrix.frame, len(matrix.names), name)
    return model.transform(data)


def run_one(matrix: SparkMatrix, name: str, k: int, seed: int, params: dict | None = None,
            keep: dict | None = None) -> RunResult:
    """One (algorithm, k) fitted and scored in Spark: sizes, metrics, BIC/AIC for the mixture.

    ``keep``: when given, ``keep[(name, k)]`` receives ``(model, statistics)`` for later use.
    """
    started = time.perf_counter()
    model, predictions = fit(matrix, name, k, seed, params)
    predictions = predictions.select("customer_id", "features", "prediction",
                                     *[f"x{i}" for i in range(len(matrix.names))]).cache()
    stats = cluster_statistics(predictions, len(matrix.names))
    if keep is not None:
        keep[(name, k)] = (model, stats)
    found = len(stats["ids"])
    run = RunResult(name, k, None, n_clusters=found, fitted_on=matrix.n_units, params=dict(params or {}),
                    extra={"sizes": _canonical_sizes(stats), "silhouette_distance": SILHOUETTE_DISTANCE,
                           "engine": "spark"})
    if found < 2:
        run.status, run.reason = "degenerate", f"{found} cluster found; at least two are needed to compare."
    else:
        run.metrics = {**metrics_from_statistics(stats), "silhouette": silhouette(predictions)}
        if name == "gmm":
            run.metrics.update(_information_criteria(model, len(matrix.names), k, matrix.n_units))
        sizes = run.extra["sizes"]
        run.min_cluster_share = float(sizes.min() / sizes.sum())
    predictions.unpersist()
    run.fit_seconds = round(time.perf_counter() - started, 3)
    return run


def canonical_order(stats) -> dict[int, int]:
    """MLlib cluster id -> canonical id (engine.clustering.compare.canonical_labels' rule: descending size, ties by
    the mean of the first feature, then by id)."""
    order = np.lexsort((stats["ids"], stats["centres"][:, 0], -stats["sizes"]))
    return {int(stats["ids"][position]): rank for rank, position in enumerate(order)}


def _canonical_sizes(stats) -> np.ndarray:
    """Sizes indexed by canonical cluster id (descending)."""
    mapping = canonical_order(stats)
    sizes = np.zeros(len(mapping), dtype=int)
    for mllib_id, size in zip(stats["ids"], stats["sizes"], strict=True):
        sizes[mapping[int(mllib_id)]] = int(size)
    return sizes


def _information_criteria(model, d: int, k: int, n: int) -> dict[str, float]:
    """BIC and AIC of a full-covariance mixture from MLlib's log-likelihood (scikit-learn's parameter count)."""
    log_likelihood = float(model.summary.logLikelihood)
    parameters = k * d + k * d * (d + 1) / 2 + (k - 1)
    return {"bic": -2 * log_likelihood + parameters * np.log(n), "aic": -2 * log_likelihood + 2 * parameters}


def compare(matrix: SparkMatrix, algorithms: list[str], k_range: tuple[int, int], seed: int,
            params: dict | None = None, rule: SelectionRule | None = None, progress=None,
            keep: dict | None = None) -> Comparison:
    """Every MLlib algorithm asked for over the k range (capped so each segment can be usable).

    ``keep``: a dict that receives each run's fitted model and cluster statistics, keyed by ``(algorithm, k)``.
    """
    rule = rule or SelectionRule()
    params = params or {}
    low, high = k_range
    cap = max(rule.max_k(matrix.n_units), 2)
    notes = []
    if high > cap:
        notes.append(f"k was capped at {cap}: with {matrix.n_units:,} customers a larger k cannot give every segment "
                     f"the smallest usable size ({rule.smallest_segment(matrix.n_units):,}).")
        high = max(cap, low)
    runs = []
    jobs = [(a, k) for a in algorithms if a in SPARK_ALGORITHMS for k in range(low, high + 1)]
    for i, (name, k) in enumerate(jobs):
        if progress:
            progress(f"Spark MLlib: {name}, k = {k}", i / max(len(jobs), 1))
        runs.append(run_one(matrix, name, k, seed, params.get(name), keep))
    for name in algorithms:
        if name not in SPARK_ALGORITHMS:
            runs.append(RunResult(name, None, None, status="skipped",
                                  reason="Not run: Spark MLlib has no implementation of it; build on one machine "
                                  "to include it."))
    return Comparison(runs, list(algorithms), (low, high), seed, matrix.n_units,
                      k_asked=tuple(k_range) if (low, high) != tuple(k_range) else None, notes=notes)
