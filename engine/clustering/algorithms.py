"""The clustering algorithms the comparison can run, as a registry.

Each entry says what the method is, whether it needs k, how its cost grows
and, for methods that cannot see every point, above how many points it is fitted
on a seeded sample and the rest assigned (see engine.clustering.sampling). Parameters not
given in the project file (``clustering.params[name]``) take scikit-learn's
defaults, with one exception: k-means runs four starts (``n_init=4``) instead of
one, see :data:`KMEANS_STARTS`. ``seed`` is the ``random_state`` of every
algorithm that has one.
Keys of ALGORITHMS are the project-file contract.

Sweeping k is cheap where it can be: the agglomerative tree and the BIRCH
CF-tree are built once per comparison (``cache``) and only cut for each k.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from types import MappingProxyType

import numpy as np
import pandas as pd
from fastcluster import linkage_vector
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.cluster import (
    DBSCAN,
    HDBSCAN,
    AgglomerativeClustering,
    Birch,
    BisectingKMeans,
    KMeans,
    MiniBatchKMeans,
    SpectralClustering,
)
from sklearn.mixture import GaussianMixture
from sklearn.neighbors import NearestNeighbors
from sklearn.utils._param_validation import InvalidParameterError
from threadpoolctl import threadpool_limits

from engine.clustering.sampling import (
    assign_nearest_centroid,
    assign_nearest_neighbour,
    extend_sample_labels,
    nearest_centre,
    random_sample,
)
from engine.errors import InputError
from engine.features.rfm import RFM_COLUMNS, SEGMENTS, rfm_segments

# k-means starts: scikit-learn's default (one k-means++ start) lands in a poor local optimum at the true k
# often enough to mislead model selection (bench/README.md, "Model selection"); four starts cost ~3x one.
KMEANS_STARTS = 4
KNEE_TRIM = 0.98  # the k-distance curve is cut here so a few extreme units do not flatten its knee


@dataclass(frozen=True)
class Algorithm:
    """One entry of ALGORITHMS.

    ``estimator`` is the scikit-learn class whose constraint table validates the
    parameters; ``allowed`` narrows the accepted keys when the engine does the
    fitting itself. ``sample_threshold``: above this many points the method is
    fitted on a seeded sample of that size. ``max_points``: above it the method is
    not run at all.
    """

    name: str
    label: str
    description: str
    needs_k: bool
    scales: str  # "n", "n log n", "n²"
    fit: Callable[..., FitOutcome]
    defaults: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))
    estimator: type | None = None
    allowed: tuple[str, ...] | None = None
    sample_threshold: int | None = None
    max_points: int | None = None
    needs_context: bool = False
    density: bool = False  # finds k itself and may leave noise; duplicated points distort it


@dataclass
class FitOutcome:
    """Labels of one fit (NOISE = -1 for unassigned) and how they were obtained."""

    labels: np.ndarray
    fitted_on: int
    sampled: bool
    params: dict = field(default_factory=dict)  # parameters actually used
    extra: dict = field(default_factory=dict)  # bic/aic, eps, label_names, notes, warnings


class RunSkipped(Exception):
    """The algorithm was not run on purpose; the message is the one-sentence reason."""


# ---- fit functions: (X, k, seed, params, context, cache) -> FitOutcome ----------------

def _fit_kmeans(X, k, seed, params, context, cache):
    model = KMeans(n_clusters=k, random_state=seed, **params).fit(X)
    return FitOutcome(model.labels_, len(X), False, {**params})


def _fit_bisecting(X, k, seed, params, context, cache):
    model = BisectingKMeans(n_clusters=k, random_state=seed, **params).fit(X)
    return FitOutcome(model.labels_, len(X), False, {**params})


def _fit_minibatch(X, k, seed, params, context, cache):
    model = MiniBatchKMeans(n_clusters=k, random_state=seed, **params).fit(X)
    return FitOutcome(model.labels_, len(X), False, {**params})


def _fit_gmm(X, k, seed, params, context, cache):
    # EM costs n·k·p² per iteration for up to 100 iterations: above the threshold the mixture is
    # estimated on a sample and every point gets its most probable component (GMM's own predict).
    # (Single-threaded, as every fit: see fit_labels.)
    threshold = params.pop("sample_threshold")
    idx = random_sample(len(X), threshold, seed)
    model = GaussianMixture(n_components=k, random_state=seed, **params).fit(X[idx])
    labels = model.predict(X)
    extra = {"bic": float(model.bic(X)), "aic": float(model.aic(X)), "converged": bool(model.converged_)}
    return FitOutcome(labels, len(idx), len(idx) < len(X), {**params}, extra)


_SCIPY_METRICS = {"euclidean": "euclidean", "l2": "euclidean", "manhattan": "cityblock", "l1": "cityblock",
                  "cosine": "cosine"}
_VECTOR_METHODS = ("ward", "single", "centroid", "median")  # fastcluster's memory-saving algorithm, Euclidean only


def hierarchy(points: np.ndarray, method: str = "ward", metric: str = "euclidean") -> np.ndarray:
    """The merge tree (scipy's linkage matrix). Euclidean Ward, single, centroid and median linkage use
    fastcluster's nearest-neighbour-chain algorithm on the points themselves: the same tree as scipy's
    ``linkage`` (checked in the tests), about ten times faster on 5,000 points and without the n² distances."""
    if method in _VECTOR_METHODS and _SCIPY_METRICS[metric] == "euclidean":
        return linkage_vector(np.ascontiguousarray(points, dtype="float64"), method=method)
    return linkage(points, method=method, metric=_SCIPY_METRICS[metric])


def _fit_agglomerative(X, k, seed, params, context, cache):
    threshold = params.pop("sample_threshold")
    method, metric = params["linkage"], params.get("metric", "euclidean")
    idx = random_sample(len(X), threshold, seed)
    key = ("agglomerative", method, metric, X.shape, threshold, seed)
    if key not in cache:  # the tree is built once and cut for every k
        cache[key] = hierarchy(X[idx], method, metric)
    labels_fit = fcluster(cache[key], k, criterion="maxclust") - 1
    assign = assign_nearest_centroid if method == "ward" else assign_nearest_neighbour
    return FitOutcome(*extend_sample_labels(X, idx, labels_fit, assign), {**params})


def _fit_birch(X, k, seed, params, context, cache):
    threshold = params.pop("sample_threshold")
    idx = random_sample(len(X), threshold, seed)
    key = ("birch", tuple(sorted(params.items())), X.shape, threshold, seed)
    if key not in cache:  # CF-tree once; only the global (Ward) step depends on k, as in Birch itself
        centres = Birch(n_clusters=None, **params).fit(X[idx]).subcluster_centers_
        nearest = nearest_centre(X, centres)
        cache[key] = (centres, nearest, hierarchy(centres) if len(centres) > 1 else None)
    centres, nearest, tree = cache[key]
    extra = {"subclusters": len(centres)}
    if len(centres) < k:
        extra["warnings"] = [f"BIRCH found only {len(centres)} subclusters; lower clustering.params.birch.threshold."]
        return FitOutcome(nearest, len(idx), len(idx) < len(X), {**params}, extra)
    return FitOutcome((fcluster(tree, k, criterion="maxclust") - 1)[nearest], len(idx), len(idx) < len(X),
                      {**params}, extra)


def knee_eps(X: np.ndarray, min_samples: int) -> float:
    """DBSCAN radius at the knee of the sorted distances to the ``min_samples``-th neighbour.

    The knee is the point of the normalised curve farthest below its chord
    (Kneedle). The curve is cut at its 98th percentile first: otherwise one or
    two extreme customers stretch it so far that the knee lands on them.
    """
    n_neighbors = min(min_samples, len(X))
    distances = NearestNeighbors(n_neighbors=n_neighbors).fit(X).kneighbors(X)[0][:, -1]
    curve = np.sort(distances)[: max(2, int(np.ceil(len(distances) * KNEE_TRIM)))]
    span = curve[-1] - curve[0]
    if span <= 0:
        return float(curve[-1]) if curve[-1] > 0 else 1e-6
    x = np.linspace(0.0, 1.0, len(curve))
    return float(curve[np.argmax(x - (curve - curve[0]) / span)])


def _fit_dbscan(X, k, seed, params, context, cache):
    threshold = params.pop("sample_threshold")
    idx = random_sample(len(X), threshold, seed)
    extra = {"eps_source": "given" if "eps" in params else "k-distance knee"}
    if "eps" not in params:
        params["eps"] = knee_eps(X[idx], params.get("min_samples", 5))
    extra["eps"] = params["eps"]
    labels_fit = DBSCAN(**params).fit(X[idx]).labels_
    assign = partial(assign_nearest_neighbour, max_distance=params["eps"])
    return FitOutcome(*extend_sample_labels(X, idx, labels_fit, assign), {**params}, extra)


def _fit_hdbscan(X, k, seed, params, context, cache):
    threshold = params.pop("sample_threshold")
    idx = random_sample(len(X), threshold, seed)
    labels_fit = HDBSCAN(**params).fit(X[idx]).labels_
    return FitOutcome(*extend_sample_labels(X, idx, labels_fit, assign_nearest_neighbour), {**params})


def _fit_spectral(X, k, seed, params, context, cache):
    max_points = params.pop("max_points")
    if len(X) > max_points:
        raise RunSkipped(
            f"Spectral clustering was not run: it builds an n-by-n affinity matrix and {len(X):,} points is "
            f"above its limit of {max_points:,}."
        )
    model = SpectralClustering(n_clusters=k, random_state=seed, **params).fit(X)
    return FitOutcome(model.labels_, len(X), False, {**params})


def _fit_rfm(X, k, seed, params, context, cache):
    if context is None or not set(RFM_COLUMNS) <= set(context.columns):
        raise RunSkipped("The RFM baseline was not run: it needs recency_days, frequency and monetary per "
                         "customer, which these data do not provide.")
    if len(context) != len(X):
        raise InputError(f"The RFM context has {len(context)} rows but the feature matrix has {len(X)}.")
    result = rfm_segments(context, bins=params.get("bins", 5), cuts=params.get("cuts"))
    extra = {"label_names": dict(enumerate(SEGMENTS)), "notes": result.notes,
             "edges": result.edges.to_dict(orient="records")}
    return FitOutcome(result.labels, len(X), False, {**params}, extra)


def _frozen(**values) -> Mapping[str, object]:
    return MappingProxyType(values)


ALGORITHMS: dict[str, Algorithm] = {
    a.name: a
    for a in (
        Algorithm("kmeans", "k-means", "Splits customers into k groups around k centres; fast, favours round clusters.",
                  True, "n", _fit_kmeans, _frozen(n_init=KMEANS_STARTS), KMeans),
        Algorithm("minibatch_kmeans", "Mini-batch k-means",
                  "k-means on small random batches; much faster on large data, slightly less exact.",
                  True, "n", _fit_minibatch, estimator=MiniBatchKMeans),
        Algorithm("bisecting_kmeans", "Bisecting k-means",
                  "Splits the largest group in two with k-means, again and again, until there are k; "
                  "what Spark offers beside k-means.", True, "n", _fit_bisecting, estimator=BisectingKMeans),
        Algorithm("gmm", "Gaussian mixture", "Soft clusters of elliptical shape; also reports BIC and AIC.",
                  True, "n", _fit_gmm, _frozen(covariance_type="full"), GaussianMixture,
                  sample_threshold=20_000),
        Algorithm("agglomerative", "Agglomerative (Ward)",
                  "Merges the closest groups step by step; one tree is cut at every k.",
                  True, "n²", _fit_agglomerative, _frozen(linkage="ward", metric="euclidean"),
                  AgglomerativeClustering, ("linkage", "metric"), sample_threshold=5_000),
        Algorithm("birch", "BIRCH", "Summarises the data in a tree of small subclusters, then groups them into k.",
                  True, "n", _fit_birch, estimator=Birch, allowed=("threshold", "branching_factor"),
                  sample_threshold=20_000),
        Algorithm("dbscan", "DBSCAN",
                  "Finds dense regions and leaves sparse points as noise; k follows from the density radius.",
                  False, "n log n", _fit_dbscan, _frozen(min_samples=5), DBSCAN, sample_threshold=20_000,
                  density=True),
        Algorithm("hdbscan", "HDBSCAN", "Density clusters at every density level, keeping the most persistent.",
                  False, "n log n", _fit_hdbscan, _frozen(copy=True), HDBSCAN, sample_threshold=10_000,
                  density=True),
        Algorithm("spectral", "Spectral", "Clusters a similarity graph; finds non-convex shapes, small data only.",
                  True, "n²", _fit_spectral, estimator=SpectralClustering, max_points=5_000),
        Algorithm("rfm", "RFM segments", "Rule-based segments from recency, frequency and monetary quantile scores.",
                  False, "n log n", _fit_rfm, _frozen(bins=5), allowed=("bins", "cuts"), needs_context=True),
    )
}

_ENGINE_SET = ("n_clusters", "n_components", "random_state")


def check_params(name: str, params: dict | None) -> dict:
    """Merge the project's ``clustering.params[name]`` over the defaults and validate them.

    Raises InputError naming the key and the value when a parameter is unknown or
    outside scikit-learn's constraint table.
    """
    if name not in ALGORITHMS:
        raise InputError(f"Algorithm {name!r} is unknown; allowed values are {', '.join(ALGORITHMS)}.")
    spec = ALGORITHMS[name]
    if not isinstance(params or {}, dict):
        raise InputError(f"clustering.params.{name} should be a JSON object of parameter names and values.")
    given = dict(params or {})
    engine_keys = {"sample_threshold": spec.sample_threshold, "max_points": spec.max_points}
    allowed = set(spec.allowed) if spec.allowed is not None else set(spec.estimator().get_params()) - set(_ENGINE_SET)
    allowed |= {key for key, value in engine_keys.items() if value is not None}
    for key in given:
        if key not in allowed:
            raise InputError(
                f"clustering.params.{name} has unknown key {key!r}; allowed keys are {', '.join(sorted(allowed))}."
            )
    merged = {**spec.defaults, **{key: value for key, value in engine_keys.items() if value is not None}, **given}
    for key in ("sample_threshold", "max_points"):
        value = merged.get(key)
        if key in merged and (not isinstance(value, int) or isinstance(value, bool) or value < 10):
            raise InputError(f"clustering.params.{name}.{key} is {value!r}; use a whole number of 10 or more.")
    if spec.estimator is not None:
        sklearn_params = {key: value for key, value in merged.items() if key not in engine_keys}
        try:
            spec.estimator(**sklearn_params)._validate_params()
        except (InvalidParameterError, TypeError) as exc:
            raise InputError(f"clustering.params.{name}: {exc}".rstrip(".") + ".") from None
    if name == "agglomerative" and merged["metric"] not in _SCIPY_METRICS:
        raise InputError(f"clustering.params.agglomerative.metric is {merged['metric']!r}; allowed values are "
                         f"{', '.join(_SCIPY_METRICS)}.")
    if name == "agglomerative" and merged["linkage"] == "ward" and merged["metric"] != "euclidean":
        raise InputError(f"clustering.params.agglomerative.metric is {merged['metric']!r}; Ward linkage needs "
                         "\"euclidean\" (or choose linkage \"average\" or \"complete\").")
    return merged


def fit_labels(
    name: str,
    X: np.ndarray,
    k: int | None,
    seed: int,
    params: dict | None = None,
    context: pd.DataFrame | None = None,
    cache: dict | None = None,
) -> FitOutcome:
    """Fit one algorithm and return a label per row of X (NOISE = -1 for unassigned).

    ``k`` is ignored by methods that do not need it. ``cache`` (one dict per
    comparison, same X and seed) lets a k sweep reuse trees. Raises InputError
    for an impossible request (unknown name, bad parameters, k outside 2..n-1)
    and RunSkipped when the method is deliberately not run on this data.
    """
    merged = check_params(name, params)
    spec = ALGORITHMS[name]
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or len(X) == 0:
        raise InputError(f"The feature matrix must be a non-empty table of numbers; got shape {X.shape}.")
    if not np.isfinite(X).all():
        raise InputError("The feature matrix has missing or infinite values; impute or drop them before clustering.")
    if spec.needs_k:
        if not isinstance(k, int | np.integer) or isinstance(k, bool) or k < 2:
            raise InputError(f"{spec.label} needs a number of clusters k of 2 or more; got {k!r}.")
        if k >= len(X):
            raise InputError(f"{spec.label} with k = {k} needs more than {k} units; the data has {len(X)}.")
    # Every fit runs single-threaded (BLAS and OpenMP): on these skinny n x p arrays threads cost more than
    # they save (k-means with n_init=4 on 100,000 x 6 points: 0.1-0.3 s on one thread, 1-2 s on two; GMM's EM
    # 2-4x), the comparison runs two sweeps side by side instead, and a fit's last bits never depend on
    # how many threads happened to sum it (bench/README.md).
    with warnings.catch_warnings(record=True) as caught, threadpool_limits(limits=1):
        warnings.simplefilter("always")
        outcome = spec.fit(X, int(k) if spec.needs_k else None, seed, dict(merged), context,
                           cache if cache is not None else {})
    messages = [str(w.message).split("\n")[0] for w in caught if not issubclass(w.category, DeprecationWarning)]
    if messages:
        outcome.extra["warnings"] = list(dict.fromkeys(outcome.extra.get("warnings", []) + messages))
    outcome.labels = np.asarray(outcome.labels, dtype=np.int64)
    if spec.needs_k:
        outcome.params["k"] = int(k)
    if spec.estimator is not None and "random_state" in spec.estimator().get_params():
        outcome.params["random_state"] = seed
    return outcome
