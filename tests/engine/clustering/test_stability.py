"""Bootstrap stability: ARI and clusterwise Jaccard on clear and on structureless data."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from engine.clustering.compare import fit_chosen
from engine.clustering.stability import best_match_jaccard, stability, verdict
from engine.errors import InputError


def test_best_match_jaccard_by_hand():
    reference = np.array([0, 0, 0, 0, 1, 1, 1, 1, -1])
    refitted = np.array([5, 5, 5, 6, 6, 6, 6, 6, 5])
    # Cluster 0 {0,1,2,3}: best match 5 {0,1,2,8} -> 3 / 5. Cluster 1 {4..7}: match 6 {3..7} -> 4 / 5.
    assert best_match_jaccard(reference, refitted) == {0: pytest.approx(0.6), 1: pytest.approx(0.8)}
    assert best_match_jaccard(reference, np.full(9, -1)) == {0: 0.0, 1: 0.0}


def test_verdict_thresholds():
    assert [verdict(v) for v in (0.95, 0.75, 0.74, 0.6, 0.59, float("nan"))] == [
        "solid", "solid", "moderate", "moderate", "fragile", "fragile"]


def test_separated_blobs_are_solid():
    X, _ = make_blobs(n_samples=400, centers=[[0, 0], [10, 0], [0, 10], [10, 10]], cluster_std=0.8,
                      random_state=1)
    chosen = fit_chosen(X, "kmeans", 4, seed=0)
    result = stability(X, "kmeans", 4, 0, None, chosen.labels, n_resamples=8)
    assert result.n_resamples == 8 and result.resample_size == 400
    assert result.ari_mean > 0.98 and result.ari_std < 0.02
    assert set(result.jaccard) == {0, 1, 2, 3}
    assert all(v > 0.95 for v in result.jaccard.values())
    assert set(result.verdicts.values()) == {"solid"} and result.verdict == "solid"
    again = stability(X, "kmeans", 4, 0, None, chosen.labels, n_resamples=8)
    assert again == result  # seeded


def test_uniform_noise_is_less_stable():
    X = np.random.default_rng(0).uniform(size=(400, 2))
    chosen = fit_chosen(X, "kmeans", 6, seed=0)
    result = stability(X, "kmeans", 6, 0, None, chosen.labels, n_resamples=8)
    X_blobs, _ = make_blobs(n_samples=400, centers=6, cluster_std=0.3, center_box=(-20, 20), random_state=2)
    clear = stability(X_blobs, "kmeans", 6, 0, None, fit_chosen(X_blobs, "kmeans", 6, seed=0).labels,
                      n_resamples=8)
    assert result.ari_mean < clear.ari_mean - 0.15
    assert min(result.jaccard.values()) < 0.75


def test_density_methods_use_subsamples_and_stay_solid_on_blobs():
    X, _ = make_blobs(n_samples=600, centers=[[0, 0], [10, 0], [0, 10]], cluster_std=0.8, random_state=3)
    chosen = fit_chosen(X, "hdbscan", None, seed=0)
    result = stability(X, "hdbscan", None, 0, None, chosen.labels, n_resamples=5)
    assert result.resample_size == int(600 * 0.632)  # without replacement: no duplicated points
    assert result.verdict == "solid"


def test_large_data_resamples_are_capped():
    X, _ = make_blobs(n_samples=3000, centers=3, random_state=0)
    chosen = fit_chosen(X, "kmeans", 3, seed=0)
    result = stability(X, "kmeans", 3, 0, None, chosen.labels, n_resamples=2, max_points=500)
    assert result.resample_size == 500 and result.verdict == "solid"


def test_failed_refits_count_as_unstable_and_bad_input_is_clear():
    X = np.vstack([np.zeros((20, 2)), np.ones((20, 2))])
    labels = np.repeat([0, 1], 20)
    # k = 40 cannot be refitted on a resample of 40 units (k must be below n): every refit fails.
    result = stability(X, "kmeans", 40, 0, None, labels, n_resamples=3)
    assert result.ari_mean == 0.0 and result.verdict == "fragile"
    with pytest.raises(InputError, match="got 3 labels for 40 units"):
        stability(X, "kmeans", 2, 0, None, labels[:3])
    assert stability(X, "kmeans", 2, 0, None, labels, n_resamples=0).n_resamples == 0
