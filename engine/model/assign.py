"""Assign scaled points to segments with a model file's ``assign`` section (scoring side).

One function per method (the ``method`` key written by engine.model.fitted),
each returning a canonical segment id per row (NOISE for density noise) and,
for the Gaussian mixture, the probability of the assigned component.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import logsumexp
from sklearn.mixture import GaussianMixture
from sklearn.neighbors import NearestNeighbors
from threadpoolctl import threadpool_limits

from engine.clustering.sampling import nearest_centre
from engine.features.rfm import RFM_COLUMNS, _to_five, segment_of
from engine.results import NOISE

Assigned = tuple[np.ndarray, np.ndarray | None]  # segment ids, probability (GMM only)


def _mapped(raw: np.ndarray, segment_of_raw: list[int]) -> np.ndarray:
    return np.asarray(segment_of_raw, dtype=np.int64)[raw]


def assign_centroids(X: np.ndarray, state: dict, table: pd.DataFrame) -> Assigned:
    """k-means and mini-batch k-means: the nearest centroid (what their labels_ and predict give)."""
    return _mapped(nearest_centre(X, np.asarray(state["centroids"])), state["segment_of"]), None


def mixture(state: dict) -> GaussianMixture:
    """The build's Gaussian mixture, rebuilt from its stored parameters (no refit)."""
    weights = np.asarray(state["weights"])
    model = GaussianMixture(n_components=len(weights), covariance_type=state["covariance_type"])
    model.weights_ = weights
    model.means_ = np.asarray(state["means"])
    model.covariances_ = np.asarray(state["covariances"])
    model.precisions_cholesky_ = np.asarray(state["precisions_cholesky"])
    model.n_features_in_ = model.means_.shape[1]
    model.converged_ = True
    return model


def assign_mixture(X: np.ndarray, state: dict, table: pd.DataFrame) -> Assigned:
    """The most probable component, as the build's predict gave it (single-threaded, as the build ran it)."""
    model = mixture(state)
    with threadpool_limits(limits=1):
        # predict() is the argmax of these weighted log densities and predict_proba() their softmax: computed once
        # here (half the time of calling both; the round-trip tests check the ids against the build's predict)
        weighted = model._estimate_weighted_log_prob(np.asarray(X, dtype="float64"))
    raw = weighted.argmax(axis=1)
    probability = np.exp(weighted[np.arange(len(X)), raw] - logsumexp(weighted, axis=1))
    return _mapped(raw, state["segment_of"]), probability


def assign_tree(X: np.ndarray, state: dict, table: pd.DataFrame) -> Assigned:
    """Bisecting k-means: down the tree of splits to the nearer child centre each time (its predict)."""
    centres = np.asarray(state["centres"], dtype="float64")
    left, right = state["left"], state["right"]
    out = np.full(len(X), NOISE, dtype=np.int64)
    stack = [(0, np.arange(len(X)))]
    while stack:
        node, rows = stack.pop()
        if left[node] < 0 or len(rows) == 0:
            out[rows] = state["segment_of"][node]
            continue
        side = nearest_centre(X[rows], centres[[left[node], right[node]]])
        stack += [(left[node], rows[side == 0]), (right[node], rows[side == 1])]
    return out, None


def assign_subclusters(X: np.ndarray, state: dict, table: pd.DataFrame) -> Assigned:
    """BIRCH: the segment of the nearest CF-tree subcluster centre (how the build labelled every point)."""
    return _mapped(nearest_centre(X, np.asarray(state["centres"])), state["segment_of"]), None


def assign_reference(X: np.ndarray, state: dict, table: pd.DataFrame) -> Assigned:
    """Methods without a predict step: a point equal to a stored point takes its segment; any other point
    the nearest stored point's (DBSCAN: noise beyond the radius), or for Ward the nearest segment centroid
    of the stored points."""
    points = np.asarray(state["points"], dtype="float64")
    segments = np.asarray(state["segments"], dtype=np.int64)
    # the build's own neighbour query for the neighbour rule; a KD-tree (exact zero distances) for Ward's exact match
    tree = NearestNeighbors(n_neighbors=1, **({"algorithm": "kd_tree"} if state["rule"] == "centroid" else {}))
    distance, nearest = tree.fit(points).kneighbors(X)
    distance, nearest = distance[:, 0], nearest[:, 0]
    out = segments[nearest].copy()
    if state["rule"] == "centroid":
        clusters = np.unique(segments[segments != NOISE])
        centroids = np.vstack([points[segments == c].mean(axis=0) for c in clusters])
        away = distance > 0
        if away.any():
            out[away] = clusters[nearest_centre(X[away], centroids)]
    elif state.get("max_distance") is not None:
        out[distance > state["max_distance"]] = NOISE
    return out, None


def rfm_scores(values: np.ndarray, spec: dict, bins: int) -> np.ndarray:
    """Score 1..bins with the build's quantile thresholds (or the analyst's cut points)."""
    values = np.asarray(values, dtype="float64")
    if "cuts" in spec:
        position = np.searchsorted(np.asarray(spec["cuts"]), values, side="left")
        return len(spec["cuts"]) + 1 - position if spec["negate"] else position + 1
    v = -values if spec["negate"] else values
    return 1 + np.searchsorted(np.asarray(spec["thresholds"]), v, side="left")


def assign_rfm(X: np.ndarray, state: dict, table: pd.DataFrame) -> Assigned:
    """RFM: the build's score edges, then the first matching segment rule."""
    bins = state["bins"]
    five = []
    for column, fill in zip(RFM_COLUMNS, state["fill"], strict=True):
        values = table[column].to_numpy(dtype="float64")
        values = np.where(np.isfinite(values), values, fill)
        five.append(_to_five(rfm_scores(values, state["scores"][column], bins), bins))
    r5, f5, m5 = five
    return _mapped(segment_of(r5, (f5 + m5) / 2.0), state["segment_of"]), None


ASSIGNERS = {
    "centroids": assign_centroids,
    "tree": assign_tree,
    "mixture": assign_mixture,
    "subclusters": assign_subclusters,
    "reference": assign_reference,
    "rfm": assign_rfm,
}


def assign(X: np.ndarray, state: dict, table: pd.DataFrame) -> Assigned:
    """Segment id per row of X (``table``: the raw features, which RFM scores)."""
    return ASSIGNERS[state["method"]](X, state, table)
