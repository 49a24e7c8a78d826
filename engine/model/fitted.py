"""What the chosen algorithm needs to assign a new customer, recovered from the build (export side).

The runs of the comparison keep labels, not fitted estimators, so the chosen
fit is repeated here with the same matrix, parameters and seed (every fit is
seeded, so it is the same fit), and its raw cluster numbers are mapped onto the
build's canonical segment ids. Methods without a predict step store a reference
sample of scaled points with their segment ids and assign new points by the rule
the build used for points outside its fit sample (engine.clustering.sampling).
"""

from __future__ import annotations

import numpy as np
from scipy.cluster.hierarchy import fcluster
from sklearn.cluster import Birch, BisectingKMeans, KMeans, MiniBatchKMeans
from sklearn.mixture import GaussianMixture
from threadpoolctl import threadpool_limits

from engine.clustering.algorithms import check_params, hierarchy
from engine.clustering.sampling import nearest_centre, random_sample
from engine.errors import InputError
from engine.features.rfm import RFM_COLUMNS
from engine.results import NOISE

REFERENCE_CAP = 20_000  # most reference points a model file stores (a method fitted on every point above it)
_ENGINE_KEYS = ("sample_threshold", "max_points")

# how each algorithm assigns: the key of engine.model.assign.ASSIGNERS
METHOD_OF = {
    "kmeans": "centroids", "minibatch_kmeans": "centroids", "bisecting_kmeans": "tree", "gmm": "mixture",
    "birch": "subclusters",
    "agglomerative": "reference", "dbscan": "reference", "hdbscan": "reference", "spectral": "reference",
    "rfm": "rfm",
}


def sklearn_params(merged: dict) -> dict:
    return {key: value for key, value in merged.items() if key not in _ENGINE_KEYS}


def segment_map(raw: np.ndarray, canonical: np.ndarray, what: str) -> dict[int, int]:
    """raw cluster number -> canonical segment id, refusing anything but a one-to-one match."""
    pairs = np.unique(np.column_stack([np.asarray(raw, dtype=np.int64), np.asarray(canonical, dtype=np.int64)]),
                      axis=0)
    if len(np.unique(pairs[:, 0])) != len(pairs) or len(np.unique(pairs[:, 1])) != len(pairs):
        raise InputError(f"Repeating the chosen {what} fit did not give the build's segments, so no model file was "
                         "written; please report this.")
    return {int(r): int(c) for r, c in pairs}


def _segments_of(raw_ids: np.ndarray, mapping: dict[int, int]) -> list[int]:
    """Canonical id of every raw cluster number (a cluster no build point fell in: NOISE)."""
    return [mapping.get(int(r), NOISE) for r in raw_ids]


def assign_state(result) -> dict:
    """The ``assign`` section of the model file for ``result.chosen``."""
    chosen, X = result.chosen, np.asarray(result.features.X, dtype="float64")
    name = chosen.algorithm
    merged = check_params(name, result.project.clustering.params.get(name))
    seed = int(result.project.clustering.seed)
    labels = np.asarray(result.labels, dtype=np.int64)
    k = chosen.params.get("k")
    method = METHOD_OF[name]
    if method == "centroids":
        maker = KMeans if name == "kmeans" else MiniBatchKMeans
        model = maker(n_clusters=k, random_state=seed, **sklearn_params(merged)).fit(X)
        mapping = segment_map(model.labels_, labels, name)
        centres = model.cluster_centers_
        return {"method": method, "centroids": centres.tolist(),
                "segment_of": _segments_of(np.arange(len(centres)), mapping)}
    if method == "tree":
        return _tree_state(BisectingKMeans(n_clusters=k, random_state=seed, **sklearn_params(merged)).fit(X), labels)
    if method == "mixture":
        idx = random_sample(len(X), merged["sample_threshold"], seed)
        with threadpool_limits(limits=1):
            model = GaussianMixture(n_components=k, random_state=seed, **sklearn_params(merged)).fit(X[idx])
            raw = model.predict(X)
        mapping = segment_map(raw, labels, name)
        return {"method": method, "covariance_type": model.covariance_type, "weights": model.weights_.tolist(),
                "means": model.means_.tolist(), "covariances": model.covariances_.tolist(),
                "precisions_cholesky": model.precisions_cholesky_.tolist(),
                "segment_of": _segments_of(np.arange(k), mapping)}
    if method == "subclusters":
        idx = random_sample(len(X), merged["sample_threshold"], seed)
        centres = Birch(n_clusters=None, **sklearn_params(merged)).fit(X[idx]).subcluster_centers_
        per_centre = (np.arange(len(centres)) if len(centres) < k
                      else fcluster(hierarchy(centres), k, criterion="maxclust") - 1)
        mapping = segment_map(per_centre[nearest_centre(X, centres)], labels, name)
        return {"method": method, "centres": centres.tolist(), "segment_of": _segments_of(per_centre, mapping)}
    if method == "reference":
        return _reference_state(name, X, labels, merged, seed, chosen.params.get("eps"))
    return _rfm_state(result, labels, merged)


def _tree_state(model, labels: np.ndarray) -> dict:
    """Bisecting k-means: its tree of splits, flat (node 0 the root; -1: no child), centres in the data's units.

    A point goes down to the nearer child centre at every split, as the model's predict does; a leaf is a segment.
    """
    mapping = segment_map(model.labels_, labels, "bisecting k-means")
    shift = getattr(model, "_X_mean", None)  # the fit centres the data; centres are stored uncentred
    centres, left, right, segment = [], [], [], []

    def add(node) -> int:
        index = len(centres)
        centres.append((node.center + (shift if shift is not None else 0.0)).tolist())
        left.append(-1), right.append(-1), segment.append(NOISE)
        if node.left is None:
            segment[index] = mapping.get(int(node.label), NOISE)
        else:
            left[index], right[index] = add(node.left), add(node.right)
        return index

    add(model._bisecting_tree)
    return {"method": "tree", "centres": centres, "left": left, "right": right, "segment_of": segment}


def _reference_state(name: str, X: np.ndarray, labels: np.ndarray, merged: dict, seed: int, eps) -> dict:
    threshold = merged.get("sample_threshold")
    idx = random_sample(len(X), threshold, seed) if threshold else np.arange(len(X))
    fitted_on_all = len(idx) == len(X)
    capped = fitted_on_all and len(X) > REFERENCE_CAP
    if capped:
        idx = random_sample(len(X), REFERENCE_CAP, seed)
    rule = "centroid" if name == "agglomerative" and merged.get("linkage") == "ward" else "neighbour"
    state = {"method": "reference", "rule": rule, "points": X[idx].tolist(), "segments": labels[idx].tolist(),
             "fit_sample": not fitted_on_all, "capped": bool(capped), "cap": REFERENCE_CAP}
    if name == "dbscan":
        state["max_distance"] = float(eps)
    return state


def _rfm_state(result, labels: np.ndarray, merged: dict) -> dict:
    from engine.features.rfm import SEGMENTS, rfm_segments

    context = result.features.table
    bins, cuts = int(merged.get("bins", 5)), merged.get("cuts") or {}
    scores = {}
    for column in RFM_COLUMNS:
        negate = column == "recency_days"
        if column in cuts:
            scores[column] = {"cuts": [float(c) for c in cuts[column]], "negate": negate}
            continue
        values = context[column].to_numpy(dtype="float64")
        ordered = np.sort(-values if negate else values)
        n = len(ordered)
        # score >= s exactly when more than ceil((s-1)·n/bins) build customers are strictly worse
        scores[column] = {"thresholds": [float(ordered[-(-(s - 1) * n // bins) - 1]) for s in range(2, bins + 1)],
                          "negate": negate}
    raw = rfm_segments(context, bins=bins, cuts=cuts or None).labels
    mapping = segment_map(raw, labels, "RFM")
    next_id = max(mapping.values(), default=-1) + 1
    for i in range(len(SEGMENTS)):  # a rule no build customer matched gets an id of its own after the build's
        if i not in mapping:
            mapping[i], next_id = next_id, next_id + 1
    return {"method": "rfm", "bins": bins, "scores": scores,
            "fill": [float(np.nanmedian(context[c].to_numpy(dtype="float64"))) for c in RFM_COLUMNS],
            "segment_of": [mapping[i] for i in range(len(SEGMENTS))], "names": list(SEGMENTS)}
