"""Metrics: registry-driven properties, agreement with scikit-learn, noise, the stratified silhouette."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs
from sklearn.metrics import (
    calinski_harabasz_score,
    davies_bouldin_score,
    silhouette_samples,
    silhouette_score,
)

from engine.clustering.metrics import (
    METRICS,
    DegenerateLabels,
    degenerate_reason,
    inertia,
    noise_share,
    score,
    silhouette_values,
)
from engine.clustering.sampling import stratified_sample

LABEL_METRICS = [name for name, m in METRICS.items() if not m.model_only]


def blobs(n=300, centers=3, seed=0):
    X, y = make_blobs(n_samples=n, centers=centers, n_features=3, cluster_std=0.6, random_state=seed)
    return X, y


def test_registry_entries_and_directions():
    assert METRICS["davies_bouldin"].greater_is_better is False  # despite scikit-learn's "_score" name
    assert METRICS["silhouette"].greater_is_better is True
    assert METRICS["calinski_harabasz"].greater_is_better is True
    assert METRICS["inertia"].greater_is_better is False
    assert {"bic", "aic"} <= set(METRICS) and METRICS["bic"].model_only and METRICS["aic"].model_only
    for name, metric in METRICS.items():
        assert metric.name == name
        assert metric.label and "\n" not in metric.description and metric.description.endswith(".")


@pytest.mark.parametrize("name", LABEL_METRICS)
def test_direction_is_data_the_true_partition_beats_a_shuffled_one(name):
    X, y = blobs()
    shuffled = np.random.default_rng(1).permutation(y)
    good, _ = score(X, y, seed=0)
    bad, _ = score(X, shuffled, seed=0)
    if METRICS[name].greater_is_better:
        assert good[name] > bad[name]
    else:
        assert good[name] < bad[name]


def test_values_equal_scikit_learn_computed_directly():
    X, y = blobs(n=500, centers=4)
    model = KMeans(n_clusters=4, random_state=0, n_init=1).fit(X)
    values, sample = score(X, model.labels_, seed=0)
    assert sample is None  # exact below the threshold
    assert values["davies_bouldin"] == pytest.approx(davies_bouldin_score(X, model.labels_), rel=1e-12)
    assert values["silhouette"] == pytest.approx(silhouette_score(X, model.labels_), abs=1e-12)
    assert values["calinski_harabasz"] == pytest.approx(calinski_harabasz_score(X, model.labels_), rel=1e-12)
    assert values["inertia"] == pytest.approx(model.inertia_, rel=1e-9)


def test_inertia_by_hand():
    X = np.array([[0.0, 0.0], [2.0, 0.0], [10.0, 10.0], [10.0, 12.0], [50.0, 50.0]])
    labels = np.array([0, 0, 1, 1, -1])  # centres (1, 0) and (10, 11); the noise point is left out
    assert inertia(X, labels) == pytest.approx(1 + 1 + 1 + 1)


@pytest.mark.parametrize("name", LABEL_METRICS)
def test_label_permutation_leaves_every_metric_unchanged(name):
    X, y = blobs(n=240, centers=4)
    renamed = np.array([7, 3, 11, 0])[y]
    assert score(X, renamed, seed=0)[0][name] == pytest.approx(score(X, y, seed=0)[0][name], rel=1e-12)


def test_noise_points_are_excluded_before_scoring():
    X, y = blobs()
    labels = y.copy()
    labels[::10] = -1
    keep = labels != -1
    with_noise, _ = score(X, labels, seed=0)
    without, _ = score(X[keep], labels[keep], seed=0)
    for name in LABEL_METRICS:
        assert with_noise[name] == pytest.approx(without[name], rel=1e-12)
    assert noise_share(labels) == pytest.approx(0.1)


def test_silhouette_values_match_scikit_learn_for_many_clusters():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(400, 2))
    few = rng.integers(0, 3, 400)
    many = rng.integers(0, 90, 400)  # above the one-hot limit: the reduceat path
    values_few, values_many = silhouette_values(X, [few, many])
    assert np.abs(values_few - silhouette_samples(X, few)).max() < 1e-12
    assert np.abs(values_many - silhouette_samples(X, many)).max() < 1e-12


def tiny_cluster_data():
    """Three big blobs of 1,000 points and a far-away cluster of 4 points."""
    X, y = make_blobs(n_samples=3000, centers=[[0, 0], [6, 0], [0, 6]], cluster_std=1.2, random_state=4)
    tiny = np.array([[20.0, 20.0], [20.3, 20.0], [20.0, 20.3], [20.3, 20.3]])
    return np.vstack([X, tiny]), np.concatenate([y, [3, 3, 3, 3]])


def test_sampled_silhouette_agrees_with_exact_and_keeps_the_tiny_cluster():
    X, y = tiny_cluster_data()
    exact, none = score(X, y, seed=0)
    sampled, sample_size = score(X, y, seed=0, exact_threshold=1000, sample_size=600)
    assert none is None and 600 <= sample_size < 1000
    assert sampled["silhouette"] == pytest.approx(exact["silhouette"], abs=0.02)
    idx, weights = stratified_sample(y, 600, seed=0)
    assert (y[idx] == 3).sum() == 4  # kept whole
    assert weights[y[idx] == 3] == pytest.approx(np.ones(4))
    assert weights.sum() == pytest.approx(len(y))  # weights restore the population


def test_stratified_sample_is_seeded_and_proportional():
    labels = np.repeat([0, 1, 2], [5000, 3000, 20])
    a, _ = stratified_sample(labels, 800, seed=1)
    b, _ = stratified_sample(labels, 800, seed=1)
    c, _ = stratified_sample(labels, 800, seed=2)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    counts = np.bincount(labels[a])
    # ceil(800 * 5000 / 8020) = 499, ceil(800 * 3000 / 8020) = 300; the 20-point cluster is kept whole.
    assert counts.tolist() == [499, 300, 20]


@pytest.mark.parametrize(
    "labels, fragment",
    [
        (np.zeros(20, dtype=int), "single cluster"),
        (np.full(20, -1), "Every point was left as noise"),
        (np.r_[np.zeros(19, dtype=int), -1], "single cluster"),
        (np.arange(20), "Every point is its own cluster"),
    ],
)
def test_degenerate_labels_give_a_reason_instead_of_a_crash(labels, fragment):
    X = np.random.default_rng(0).normal(size=(20, 2))
    assert fragment in degenerate_reason(labels)
    with pytest.raises(DegenerateLabels, match=fragment):
        score(X, labels, seed=0)


def test_identical_points_in_two_clusters_score_without_crashing():
    X = np.vstack([np.zeros((10, 2)), np.ones((10, 2))])
    values, _ = score(X, np.repeat([0, 1], 10), seed=0)
    assert values["silhouette"] == pytest.approx(1.0)
    assert values["davies_bouldin"] == pytest.approx(0.0)
    assert values["inertia"] == 0.0
