"""Two-dimensional views of the clustered points (PCA, t-SNE, UMAP) for the scatter chart.

PCA is cheap and linear, so it is fitted on every point and only the *shown*
points are sampled. t-SNE and UMAP cost far more than linear time (t-SNE took
~15 minutes at 100,000 points), so they are fitted on a seeded sample. Samples
are stratified by cluster so a 3-customer cluster stays visible. UMAP is
imported inside :func:`project_2d` only: importing it costs ~14 s of numba
start-up in every new process.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.errors import InputError

METHODS = {"pca": "PCA", "tsne": "t-SNE", "umap": "UMAP"}  # key -> label for titles
MIN_PER_CLUSTER = 50  # points kept per cluster before the rest is shared out by size
PROJECTION_POINTS = 3000  # points the analysis projects (and t-SNE / UMAP are fitted on); the app shows them all


@dataclass
class Projection:
    """Points in two dimensions, ready to plot.

    ``frame`` has columns ``x``, ``y``, ``row`` (position in the projected
    matrix) and ``cluster`` (nullable int; missing when no labels were given).
    ``n_points`` is the number of rows of the matrix, ``len(frame)`` the number
    shown; ``n_fitted`` the number the projection was fitted on.
    """

    frame: pd.DataFrame
    method: str  # "pca" | "tsne" | "umap"
    n_points: int
    n_fitted: int
    sampled: bool  # fewer points shown than projected
    seed: int
    explained_variance: tuple[float, float] | None = None  # PCA: share of variance per axis

    @property
    def axis_titles(self) -> tuple[str, str]:
        """Axis titles that say what the axes are (PCA: the variance each explains)."""
        label = METHODS[self.method]
        if self.method == "pca" and self.explained_variance is not None:
            return tuple(
                f"PC{i + 1} ({share:.0%} of variance)" for i, share in enumerate(self.explained_variance)
            )
        return f"{label} 1", f"{label} 2"

    def sample(self, max_points: int) -> Projection:
        """At most ``max_points`` of the shown points, stratified by cluster and seeded: same coordinates, fewer dots."""
        if len(self.frame) <= max_points:
            return self
        clusters = self.frame["cluster"]
        labels = clusters.to_numpy(dtype=int) if clusters.notna().all() else None
        rows = stratified_sample(labels, len(self.frame), max_points, self.seed)
        frame = self.frame.iloc[rows].reset_index(drop=True)
        return Projection(frame, self.method, self.n_points, self.n_fitted, True, self.seed, self.explained_variance)


def project_2d(
    X: np.ndarray,
    method: str = "pca",
    seed: int = 42,
    max_points: int = 3000,
    labels: np.ndarray | None = None,
) -> Projection:
    """Project ``X`` to two dimensions and return at most ``max_points`` of them.

    Parameters
    ----------
    X : ndarray of shape (n_points, n_features)
        The matrix the clusters were fitted on (transformed and scaled).
    method : {"pca", "tsne", "umap"}
    seed : int
        Seeds the sample and the projection: same inputs and seed, same frame.
    max_points : int
        Cap on the points returned (and on those t-SNE / UMAP are fitted on).
    labels : ndarray of int, optional
        Cluster id per point; used to stratify the sample and carried in ``frame``.
    """
    if method not in METHODS:
        raise InputError(f"Projection method {method!r} is unknown; choose one of {', '.join(METHODS)}.")
    if not isinstance(max_points, int) or isinstance(max_points, bool) or max_points < 2:
        raise InputError(f"max_points is {max_points!r}; use a whole number of 2 or more.")
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[0] < 2 or X.shape[1] < 1:
        raise InputError(f"The matrix to project has shape {X.shape}; it needs at least 2 rows and 1 column.")
    if not np.isfinite(X).all():
        raise InputError("The matrix to project contains missing or infinite values; impute or drop them first.")
    n_points = X.shape[0]
    if labels is not None:
        labels = np.asarray(labels)
        if labels.shape != (n_points,):
            raise ValueError(f"labels has shape {labels.shape}; expected ({n_points},).")

    rows = stratified_sample(labels, n_points, max_points, seed)
    explained = None
    if method == "pca":
        coords, explained = _pca(X, seed)
        coords, n_fitted = coords[rows], n_points
    else:
        fit = _tsne if method == "tsne" else _umap
        coords, n_fitted = fit(X[rows], seed), len(rows)

    cluster = pd.array(labels[rows], dtype="Int64") if labels is not None else pd.array([pd.NA] * len(rows), dtype="Int64")
    frame = pd.DataFrame({"x": coords[:, 0], "y": coords[:, 1], "row": rows, "cluster": cluster})
    return Projection(frame, method, n_points, n_fitted, len(rows) < n_points, seed, explained)


def stratified_sample(labels: np.ndarray | None, n_points: int, max_points: int, seed: int) -> np.ndarray:
    """Sorted row positions of a seeded sample of at most ``max_points``, stratified by cluster.

    Each cluster first keeps ``min(size, MIN_PER_CLUSTER)`` points (fewer when
    there are very many clusters); the rest of the budget is shared in
    proportion to what each cluster has left, so small clusters never vanish.
    """
    rng = np.random.default_rng(seed)
    if n_points <= max_points:
        return np.arange(n_points)
    if labels is None:
        return np.sort(rng.choice(n_points, size=max_points, replace=False))
    ids, sizes = np.unique(labels, return_counts=True)
    floor = max(1, min(MIN_PER_CLUSTER, max_points // (2 * len(ids))))
    quota = np.minimum(sizes, floor)
    if quota.sum() > max_points:  # more clusters than points to show: keep the largest ones
        keep = np.argsort(-sizes, kind="stable")[:max_points]
        quota = np.zeros_like(sizes)
        quota[keep] = 1
    quota += _largest_remainder(sizes - quota, max_points - int(quota.sum()))
    chosen = [
        rng.choice(np.flatnonzero(labels == cluster), size=int(q), replace=False)
        for cluster, q in zip(ids, quota, strict=True)
        if q > 0
    ]
    return np.sort(np.concatenate(chosen))


def _largest_remainder(capacity: np.ndarray, budget: int) -> np.ndarray:
    """Share ``budget`` in proportion to ``capacity`` (whole numbers, never above capacity)."""
    total = int(capacity.sum())
    if budget <= 0 or total == 0:
        return np.zeros_like(capacity)
    budget = min(budget, total)
    exact = capacity * budget / total
    extra = np.floor(exact).astype(capacity.dtype)
    left = budget - int(extra.sum())
    order = np.argsort(-(exact - extra), kind="stable")
    extra[order[:left]] += 1
    return np.minimum(extra, capacity)


def _pca(X: np.ndarray, seed: int) -> tuple[np.ndarray, tuple[float, float]]:
    from sklearn.decomposition import PCA

    n_components = min(2, X.shape[1], X.shape[0])
    pca = PCA(n_components=n_components, random_state=seed)
    coords = pca.fit_transform(X)
    ratios = [float(r) for r in np.nan_to_num(pca.explained_variance_ratio_)]
    if n_components == 1:  # a single feature: the second axis carries nothing
        coords = np.column_stack([coords[:, 0], np.zeros(len(coords))])
        ratios.append(0.0)
    return coords, (ratios[0], ratios[1])


def _tsne(X: np.ndarray, seed: int) -> np.ndarray:
    from sklearn.manifold import TSNE
    from threadpoolctl import threadpool_limits

    if len(X) < 4:
        raise InputError(f"t-SNE needs at least 4 points and there are {len(X)}; choose PCA.")
    perplexity = float(min(30.0, (len(X) - 1) / 3))
    tsne = TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed)
    # One OpenMP thread: on a busy machine (shared hosting, parallel tests) two spinning threads
    # made a 60-point t-SNE take 4-17 s instead of 0.5 s.
    with threadpool_limits(1):
        return tsne.fit_transform(X)


def _umap(X: np.ndarray, seed: int) -> np.ndarray:
    try:
        import umap  # lazy: ~14 s of numba start-up, paid only when UMAP is asked for
    except ImportError:
        raise InputError("UMAP is unavailable (umap-learn is not installed); choose PCA or t-SNE.") from None
    if len(X) < 4:
        raise InputError(f"UMAP needs at least 4 points and there are {len(X)}; choose PCA.")
    reducer = umap.UMAP(n_components=2, n_neighbors=min(15, len(X) - 1), random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "n_jobs overridden to 1 by setting random_state": expected
        return reducer.fit_transform(X)
