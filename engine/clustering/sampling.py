"""Seeded samples and the "fit on a sample, then assign the rest" pattern.

Methods whose cost grows with n² (Ward's tree, spectral affinity, density
neighbourhoods) cannot see 100,000 points at once. They are fitted on a seeded
random sample and every other point gets the label of the nearest sample
cluster centre, or of its nearest sampled neighbour for density methods. Metric
samples are *stratified* by cluster instead of random, because a random sample
drops tiny clusters and so misreports how good a solution is.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn import config_context
from sklearn.metrics import pairwise_distances_argmin
from sklearn.neighbors import NearestNeighbors

from engine.results import NOISE


def random_sample(n_points: int, size: int, seed: int) -> np.ndarray:
    """Sorted indices of a seeded sample of ``size`` points without replacement (all if n ≤ size)."""
    if n_points <= size:
        return np.arange(n_points)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n_points, size=size, replace=False))


def stratified_sample(
    labels: np.ndarray, size: int, seed: int, min_per_cluster: int = 50
) -> tuple[np.ndarray, np.ndarray]:
    """Sample per cluster, keeping small clusters whole.

    Each cluster gets ``max(min_per_cluster, its proportional share of size)``
    points, or all of its points when it has fewer. Returns the sorted indices
    and a weight per sampled point (cluster size / points drawn from it), so a
    weighted mean over the sample estimates the mean over all points without
    the bias that keeping small clusters whole would add.
    """
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    clusters, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    n_points = len(labels)
    floor = min_per_cluster
    while True:
        quota = np.minimum(counts, np.maximum(floor, np.ceil(size * counts / n_points).astype(int)))
        if quota.sum() <= 2 * size or floor <= 2:  # many tiny clusters: shrink the floor, never drop one
            break
        floor = max(2, floor // 2)
    order = np.argsort(inverse, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    chosen, weights = [], []
    for c in range(len(clusters)):
        members = order[starts[c] : starts[c] + counts[c]]
        picked = members if quota[c] >= counts[c] else rng.choice(members, size=quota[c], replace=False)
        chosen.append(picked)
        weights.append(np.full(len(picked), counts[c] / len(picked)))
    idx = np.concatenate(chosen)
    w = np.concatenate(weights)
    sort = np.argsort(idx)
    return idx[sort], w[sort]


def nearest_centre(X: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Index of the nearest row of ``centres`` for every row of X, in blocks of at most ~128 MB."""
    with config_context(working_memory=128):
        return pairwise_distances_argmin(X, centres)


def assign_nearest_centroid(X: np.ndarray, X_fit: np.ndarray, labels_fit: np.ndarray) -> np.ndarray:
    """Label every row of X with the nearest centre of the clusters found on ``X_fit``."""
    clusters = np.unique(labels_fit[labels_fit != NOISE])
    if len(clusters) == 0:
        return np.full(len(X), NOISE)
    centroids = np.vstack([X_fit[labels_fit == c].mean(axis=0) for c in clusters])
    return clusters[nearest_centre(X, centroids)]


def assign_nearest_neighbour(
    X: np.ndarray, X_fit: np.ndarray, labels_fit: np.ndarray, max_distance: float | None = None
) -> np.ndarray:
    """Label every row of X like its nearest sampled point (a KD-tree query, O(n log n)).

    Points farther than ``max_distance`` from every sampled point become noise,
    which is how DBSCAN would have treated them.
    """
    tree = NearestNeighbors(n_neighbors=1).fit(X_fit)
    distances, nearest = tree.kneighbors(X)
    labels = np.asarray(labels_fit)[nearest[:, 0]].copy()
    if max_distance is not None:
        labels[distances[:, 0] > max_distance] = NOISE
    return labels


def extend_sample_labels(
    X: np.ndarray,
    idx: np.ndarray,
    labels_fit: np.ndarray,
    assign: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray],
) -> tuple[np.ndarray, int, bool]:
    """Labels for every row of X from a fit on the rows ``idx`` (a seeded sample, or all rows).

    The rows left out get ``assign(X, X[idx], labels_fit)``; sampled rows keep
    the label the fit gave them. Returns (labels for every row, points fitted
    on, whether a sample was used).
    """
    if len(idx) == len(X):
        return labels_fit, len(X), False
    labels = assign(X, X[idx], labels_fit)
    labels[idx] = labels_fit
    return labels, len(idx), True
