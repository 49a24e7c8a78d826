"""MLlib clustering on the Spark features: the same partition as one machine, metrics from per-cluster statistics."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import (
    adjusted_rand_score,
    calinski_harabasz_score,
    davies_bouldin_score,
    silhouette_score,
)


@pytest.fixture(scope="module")
def matrices(sample_lines, local_sample):
    """The default feature matrix built in Spark and on one machine, from the same sample."""
    from engine.analysis.steps import build_features
    from engine.project import demo_project
    from engine.spark.features import features_of
    from engine.spark.matrix import build_matrix

    lines, _, quality = sample_lines
    table, numeric, shares, _ = features_of(lines)
    project = demo_project()
    spark_matrix = build_matrix(table, numeric + list(shares.values()), project.features, quality.customers)
    return spark_matrix, build_features(project, local_sample)


def _collected(predictions, d):
    frame = predictions.select("customer_id", "prediction", *[f"x{i}" for i in range(d)]).toPandas()
    frame = frame.set_index("customer_id").sort_index()
    return frame[[f"x{i}" for i in range(d)]].to_numpy(), frame["prediction"].to_numpy()


def test_the_spark_matrix_is_the_single_machine_matrix(matrices):
    spark_matrix, local = matrices
    assert spark_matrix.names == local.names and spark_matrix.log == local.log
    X, _ = _collected(spark_matrix.frame.withColumn("prediction", spark_matrix.frame["x0"] * 0), len(local.names))
    np.testing.assert_allclose(X, local.X, rtol=1e-9, atol=1e-9)


def test_kmeans_with_the_same_k_agrees_with_the_single_machine_result(matrices):
    """At k = 5 (the sample's planted segments) both engines find the same partition. At k = 4 the single-machine
    k-means (4 k-means++ starts) can stop in a worse local optimum than MLlib's k-means||: there MLlib's inertia
    is checked to be no worse, rather than the labels equal."""
    from engine.clustering.compare import fit_chosen
    from engine.spark.clustering import fit
    from engine.spark.metrics import cluster_statistics, metrics_from_statistics

    spark_matrix, local = matrices
    _, predictions = fit(spark_matrix, "kmeans", 5, seed=42)
    _, spark_labels = _collected(predictions, len(local.names))
    local_labels = fit_chosen(local.X, "kmeans", 5, seed=42).labels
    assert len(np.unique(spark_labels)) == 5
    assert adjusted_rand_score(local_labels, spark_labels) >= 0.95
    _, predictions = fit(spark_matrix, "kmeans", 4, seed=42)
    spark_inertia = metrics_from_statistics(cluster_statistics(predictions, len(local.names)))["inertia"]
    assert spark_inertia <= fit_chosen(local.X, "kmeans", 4, seed=42).metrics["inertia"] * (1 + 1e-9)


def test_metrics_from_cluster_statistics_equal_scikit_learn_on_the_same_labels(matrices):
    from engine.spark.clustering import fit
    from engine.spark.metrics import cluster_statistics, metrics_from_statistics, silhouette

    spark_matrix, local = matrices
    d = len(local.names)
    _, predictions = fit(spark_matrix, "gmm", 3, seed=7)
    X, labels = _collected(predictions, d)
    got = metrics_from_statistics(cluster_statistics(predictions, d))
    assert got["davies_bouldin"] == pytest.approx(davies_bouldin_score(X, labels), rel=1e-9)
    assert got["calinski_harabasz"] == pytest.approx(calinski_harabasz_score(X, labels), rel=1e-9)
    centres = np.array([X[labels == c].mean(axis=0) for c in np.unique(labels)])
    inertia = sum(((X[labels == c] - centres[i]) ** 2).sum() for i, c in enumerate(np.unique(labels)))
    assert got["inertia"] == pytest.approx(inertia, rel=1e-9)
    # MLlib's silhouette is the squared-Euclidean one, not scikit-learn's default Euclidean silhouette
    squared = silhouette(predictions)
    assert squared == pytest.approx(silhouette_score(X, labels, metric="sqeuclidean"), abs=1e-6)
    assert abs(squared - silhouette_score(X, labels)) > 1e-3


def test_the_comparison_is_recommended_by_the_single_machine_rule(matrices):
    from engine.clustering.selection import SelectionRule, recommend
    from engine.spark.clustering import compare

    spark_matrix, _ = matrices
    comparison = compare(spark_matrix, ["kmeans", "bisecting_kmeans", "dbscan"], (2, 4), 42)
    ok = [r for r in comparison.runs if r.status == "ok"]
    assert [(r.algorithm, r.k) for r in ok] == [(a, k) for a in ("kmeans", "bisecting_kmeans") for k in (2, 3, 4)]
    for run in ok:
        assert run.labels is None and run.extra["sizes"].sum() == spark_matrix.n_units  # sizes, not labels
        assert list(run.extra["sizes"]) == sorted(run.extra["sizes"], reverse=True)  # canonical ids: by size
        assert run.extra["silhouette_distance"] == "squaredEuclidean"
        assert {"davies_bouldin", "silhouette", "calinski_harabasz", "inertia"} <= set(run.metrics)
    skipped = [r for r in comparison.runs if r.algorithm == "dbscan"]
    assert skipped[0].status == "skipped" and "MLlib" in skipped[0].reason
    recommendation = recommend(comparison, None, SelectionRule(resamples=0))
    assert (recommendation.algorithm, recommendation.k) in {(r.algorithm, r.k) for r in ok}
    assert recommendation.eligible and any("smallest segment holds" in reason for reason in recommendation.reasons)


def test_stability_scores_from_a_contingency_table_equal_the_single_machine_ones():
    from engine.clustering.stability import best_match_jaccard
    from engine.spark.stability import contingency_scores

    rng = np.random.default_rng(3)
    for k, m in ((4, 4), (5, 3), (3, 6)):
        reference = rng.integers(0, k, 500)
        refitted = np.where(rng.random(500) < 0.7, reference % m, rng.integers(0, m, 500))
        table = np.zeros((k, m))
        np.add.at(table, (reference, refitted), 1)
        ari, best = contingency_scores(table)
        assert ari == pytest.approx(adjusted_rand_score(reference, refitted), rel=1e-12)
        assert list(best) == pytest.approx(list(best_match_jaccard(reference, refitted).values()), rel=1e-12)
    assert contingency_scores(np.diag([5.0, 7.0]))[0] == 1.0


def test_stability_in_spark_scores_each_refit_as_the_single_machine_would(matrices):
    """One subsample refitted in Spark: its distributed scores equal scikit-learn's and best_match_jaccard's on the
    same refit collected; the planted k = 5 comes back (ARI at least 0.6, as the single-machine check finds)."""
    from engine.clustering.stability import MODERATE, best_match_jaccard, stability
    from engine.spark.clustering import canonical_order, fit
    from engine.spark.metrics import cluster_statistics
    from engine.spark.stability import DISTINCT_SHARE, spark_stability

    spark_matrix, local = matrices
    _, predictions = fit(spark_matrix, "kmeans", 5, seed=42)
    mapping = canonical_order(cluster_statistics(predictions, len(local.names)))
    assigned = predictions.select("customer_id", "prediction").toPandas()
    assigned["cluster"] = assigned["prediction"].map(mapping)
    frame = spark_matrix.frame.sparkSession.createDataFrame(assigned[["customer_id", "cluster"]])
    got = spark_stability(spark_matrix, "kmeans", 5, 42, None, frame, n_resamples=1)
    n = spark_matrix.n_units
    assert got.n_resamples == 1 and got.resample_size == int(n * DISTINCT_SHARE)
    assert sorted(got.jaccard) == [0, 1, 2, 3, 4] and set(got.verdicts) == set(got.jaccard)
    subsample = spark_matrix.frame.sample(withReplacement=False, fraction=got.resample_size / n, seed=43)
    _, refit = fit(spark_matrix, "kmeans", 5, 43, None, frame=subsample)
    both = refit.select("customer_id", "prediction").toPandas().merge(assigned[["customer_id", "cluster"]])
    assert abs(len(both) - got.resample_size) < 0.1 * got.resample_size  # a Bernoulli sample of about that size
    reference, refitted = both["cluster"].to_numpy(), both["prediction"].to_numpy()
    assert got.ari_mean == pytest.approx(adjusted_rand_score(reference, refitted), rel=1e-9)
    assert got.jaccard == pytest.approx(best_match_jaccard(reference, refitted), rel=1e-9)
    labels = assigned.set_index("customer_id").sort_index()["cluster"].to_numpy()
    assert got.ari_mean >= MODERATE and stability(local.X, "kmeans", 5, 42, {}, labels, n_resamples=1).ari_mean >= MODERATE
