"""Comparison, canonical ids, the k cap and the analyst's override (the recommendation: test_selection.py)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

from engine.clustering.algorithms import ALGORITHMS
from engine.clustering.compare import canonical_labels, compare, fit_chosen
from engine.clustering.selection import recommend
from engine.errors import InputError

REPO = Path(__file__).resolve().parents[3]


def blobs(n=300, seed=0):
    return make_blobs(n_samples=n, centers=[[0, 0], [6, 0], [0, 6]], cluster_std=0.7, random_state=seed)


def rfm_context(n, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"recency_days": rng.integers(1, 400, n), "frequency": rng.integers(1, 9, n),
                         "monetary": rng.lognormal(5, 1, n)})


# ---- canonical ids -----------------------------------------------------------------

def test_canonical_labels_by_hand():
    labels = np.array([5, 5, 2, 2, 2, -1, 7])
    assert canonical_labels(labels).tolist() == [1, 1, 0, 0, 0, -1, 2]


def test_canonical_ties_go_to_the_smaller_first_feature_mean():
    labels = np.array([0, 0, 1, 1, 2])
    X = np.array([[9.0], [9.0], [1.0], [1.0], [5.0]])
    assert canonical_labels(labels, X).tolist() == [1, 1, 0, 0, 2]
    assert canonical_labels(labels).tolist() == [0, 0, 1, 1, 2]  # without X: order of appearance


def test_canonical_labels_all_noise_and_idempotent():
    assert canonical_labels(np.full(4, -1)).tolist() == [-1, -1, -1, -1]
    labels = np.random.default_rng(0).integers(-1, 6, 200)
    once = canonical_labels(labels)
    assert np.array_equal(canonical_labels(once), once)
    assert adjusted_rand_score(labels, once) == pytest.approx(1.0)


# ---- the comparison ------------------------------------------------------------------

def test_compare_runs_every_algorithm_and_k_and_reports_progress():
    X, _ = blobs()
    calls = []
    comparison = compare(X, ["kmeans", "agglomerative", "hdbscan", "rfm"], k_range=(2, 5), seed=3,
                         context=rfm_context(len(X)), progress=lambda m, f: calls.append((m, f)))
    assert [(r.algorithm, r.k) for r in comparison.runs] == (
        [("kmeans", k) for k in range(2, 6)] + [("agglomerative", k) for k in range(2, 6)]
        + [("hdbscan", None), ("rfm", None)]
    )
    assert comparison.n_points == 300 and comparison.seed == 3 and comparison.k_range == (2, 5)
    fractions = [f for _, f in calls]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert calls[0][0] == "Fitting k-means with k = 2 (1 of 10)"
    for run in comparison.runs:
        assert run.status == "ok", run.reason
        assert run.labels.dtype == np.int32 and len(run.labels) == 300
        assert run.fitted_on == 300 and not run.sampled and run.fit_seconds >= 0
        assert set(run.metrics) >= {"davies_bouldin", "silhouette", "calinski_harabasz", "inertia"}
        assert run.min_cluster_share == pytest.approx(np.bincount(run.labels[run.labels >= 0]).min() / 300)
    table = comparison.table()
    assert len(table) == 10 and {"davies_bouldin", "status", "reason", "noise_share"} <= set(table.columns)


def test_gmm_runs_carry_bic_and_aic():
    X, _ = blobs()
    comparison = compare(X, ["gmm"], k_range=(2, 4))
    bic = [r.metrics["bic"] for r in comparison.runs]
    assert bic.index(min(bic)) == 1  # three blobs: BIC is lowest at k = 3
    assert all("aic" in r.metrics for r in comparison.runs)


def test_one_failing_run_does_not_stop_the_comparison(monkeypatch):
    def boom(X, k, seed, params, context, cache):
        if k == 3:
            raise np.linalg.LinAlgError("Singular matrix\nwith details")
        return ALGORITHMS["kmeans"].fit(X, k, seed, {}, context, cache)

    monkeypatch.setitem(ALGORITHMS, "gmm", dataclasses.replace(ALGORITHMS["gmm"], fit=boom, defaults={}))
    X, _ = blobs()
    comparison = compare(X, ["gmm", "kmeans"], k_range=(2, 4))
    failed = comparison.get("gmm", 3)
    assert failed.status == "failed" and failed.labels is None
    assert failed.reason == "Gaussian mixture with k = 3 failed: Singular matrix."  # no exception class names
    assert [r.status for r in comparison.runs].count("ok") == 5


def test_bad_params_stop_before_any_fitting():
    X, _ = blobs()
    with pytest.raises(InputError, match="clustering.params.kmeans has unknown key 'k'"):
        compare(X, ["kmeans"], params={"kmeans": {"k": 3}})


def test_identical_points_are_degenerate_not_a_crash():
    X = np.ones((50, 3))
    comparison = compare(X, ["kmeans", "gmm", "agglomerative", "dbscan", "hdbscan"], k_range=(2, 3))
    for run in comparison.runs:
        assert run.status in ("degenerate", "failed"), (run.algorithm, run.k)
        assert run.reason.endswith(".") and run.metrics == {}
    kmeans = comparison.get("kmeans", 2)
    assert kmeans.status == "degenerate"
    assert kmeans.reason == ("k-means with k = 2: all non-noise points fell into a single cluster, "
                             "so there is nothing to separate.")
    assert recommend(comparison).reasons[0].startswith("No run produced at least two clusters")


def test_fewer_points_than_k():
    X = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]])
    comparison = compare(X, ["kmeans"], k_range=(2, 6))
    assert comparison.get("kmeans", 2).status == "ok"
    assert comparison.get("kmeans", 3).status == "ok"
    too_many = comparison.get("kmeans", 4)
    assert too_many.status == "degenerate"
    assert too_many.reason == "k-means with k = 4 needs more than 4 units; the data has 4."


def test_constant_feature_is_harmless():
    X, y = blobs()
    X = np.column_stack([X, np.full(len(X), 2.5)])
    comparison = compare(X, ["kmeans", "gmm", "agglomerative", "birch", "dbscan", "hdbscan"], k_range=(3, 3))
    assert all(r.status == "ok" for r in comparison.runs), [r.reason for r in comparison.runs]
    assert adjusted_rand_score(y, comparison.get("kmeans", 3).labels) > 0.95


def test_dbscan_all_noise_is_degenerate():
    X, _ = blobs()
    comparison = compare(X, ["dbscan"], params={"dbscan": {"eps": 1e-4}})
    run = comparison.runs[0]
    assert run.status == "degenerate" and run.noise_share == 1.0
    assert run.reason == "DBSCAN: every point was left as noise, so there are no clusters to score."


def test_fewer_clusters_than_asked_is_degenerate():
    X = np.vstack([np.zeros((20, 2)), np.ones((20, 2))])
    run = compare(X, ["kmeans"], k_range=(3, 3)).runs[0]
    assert run.status == "degenerate" and run.n_clusters == 2
    assert "asked for k = 3 but found only 2 distinct clusters" in run.reason


def test_k_is_capped_so_every_segment_can_hold_the_minimum_size():
    X, _ = blobs(n=60)
    comparison = compare(X, ["kmeans"], k_range=(2, 10), max_k=6, unit="customer")
    assert comparison.k_range == (2, 6) and comparison.k_asked == (2, 10)
    assert [r.k for r in comparison.runs] == [2, 3, 4, 5, 6]
    assert comparison.notes == ["k was capped at 6 (the range of k asked for up to 10) so that every segment of "
                                "the 60 customers can hold the minimum segment size."]
    uncapped = compare(X, ["kmeans"], k_range=(2, 4), max_k=6)
    assert uncapped.k_range == (2, 4) and uncapped.k_asked is None and uncapped.notes == []
    with pytest.raises(InputError, match="With 60 customers no split into two segments"):
        compare(X, ["kmeans"], k_range=(2, 4), max_k=1, unit="customer")


def test_skipped_runs_are_recorded_with_their_reason():
    X, _ = blobs()
    comparison = compare(X, ["spectral", "rfm"], k_range=(2, 3), params={"spectral": {"max_points": 50}})
    assert [r.status for r in comparison.runs] == ["skipped", "skipped", "skipped"]
    assert comparison.runs[0].reason.startswith("Spectral clustering was not run: it builds an n-by-n affinity")
    assert comparison.runs[2].reason.startswith("The RFM baseline was not run")  # no context given
    assert recommend(comparison).reasons[0].startswith("No run produced at least two clusters")


def test_missing_values_are_the_analysts_to_fix():
    X, _ = blobs()
    X[3, 1] = np.inf
    with pytest.raises(InputError, match="missing or infinite values"):
        compare(X, ["kmeans"])


# ---- the analyst's override --------------------------------------------------------

def test_fit_chosen_reproduces_the_comparison_run():
    X, _ = blobs()
    comparison = compare(X, ["gmm", "hdbscan"], k_range=(2, 4), seed=5)
    chosen = fit_chosen(X, "gmm", 4, seed=5)
    run = comparison.get("gmm", 4)
    assert np.array_equal(chosen.labels, run.labels) and chosen.metrics == run.metrics
    density = fit_chosen(X, "hdbscan", 7, seed=5)  # k is ignored by density methods
    assert density.k is None and np.array_equal(density.labels, comparison.get("hdbscan", None).labels)
    with pytest.raises(InputError, match="k = 300 needs more than 300 units"):
        fit_chosen(X, "kmeans", 300, seed=5)
    with pytest.raises(InputError, match="Choose another algorithm"):
        fit_chosen(X, "spectral", 3, seed=5, params={"max_points": 50})


# ---- the bundled sample ------------------------------------------------------------------

@pytest.mark.skipif(not (REPO / "data" / "sample").exists(), reason="bundled sample not generated")
def test_recommended_model_recovers_the_planted_segments():
    """Default features and algorithms on the bundled sample (3,000 customers; about 3 s)."""
    from engine.features.matrix import build_matrix
    from engine.loading.dataset import load_dataset
    from engine.project import DEFAULT_ALGORITHMS, FeatureSpec

    dataset = load_dataset(str(REPO / "data" / "sample"))
    selected = ["recency_days", "frequency", "monetary", "avg_items_per_order", "avg_unit_price", "tenure_days"]
    features = build_matrix(dataset, FeatureSpec(selected=selected), "customer")
    comparison = compare(features.X, DEFAULT_ALGORITHMS + ["rfm"], seed=42, context=features.table)
    rec = recommend(comparison)
    run = comparison.get(rec.algorithm, rec.k)
    truth = pd.read_csv(REPO / "data" / "sample_truth.csv").set_index("CustomerID")["segment"]
    truth = truth.reindex(features.table.index)
    known = truth.notna().to_numpy()  # three unknown customers are in the data but not in the truth
    assert adjusted_rand_score(truth[known], run.labels[known]) >= 0.8
    assert run.n_clusters == 5


def test_sweeps_and_scoring_side_by_side_give_the_same_runs(monkeypatch):
    """Two algorithms' sweeps at once, and sampled scoring in two threads, change no label and no metric."""
    import engine.clustering.compare as compare_module
    import engine.clustering.metrics as metrics_module
    X, _ = make_blobs(n_samples=metrics_module.EXACT_THRESHOLD + 1000, centers=4, n_features=4, random_state=3)
    algorithms = ["kmeans", "gmm", "agglomerative", "birch"]

    def run(parallel: bool):
        monkeypatch.setattr(compare_module, "PARALLEL_FROM", 0 if parallel else 10**9)
        monkeypatch.setattr(metrics_module, "SCORING_THREADS", 2 if parallel else 1)
        return compare_module.compare(X, algorithms, (2, 4), seed=7)  # sampled silhouettes: the threaded path

    serial, parallel = run(False), run(True)
    assert [(r.algorithm, r.k) for r in serial.runs] == [(r.algorithm, r.k) for r in parallel.runs]
    for a, b in zip(serial.runs, parallel.runs, strict=True):
        assert a.status == b.status and np.array_equal(a.labels, b.labels), (a.algorithm, a.k)
        assert a.metrics == b.metrics and a.silhouette_sample == b.silhouette_sample, (a.algorithm, a.k)
