"""Internal validity metrics, with their direction stored as data.

Every metric is computed on the scaled matrix the model was fitted on, after
removing noise points (label -1); the noise share is reported separately by
the comparison. Silhouette is exact up to ``exact_threshold`` points. Above it,
it is estimated on a sample drawn *per cluster* (small clusters kept whole,
each point weighted by its cluster's sampling rate): a plain random sample
loses tiny clusters and then overstates the score.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from engine.results import NOISE

EXACT_THRESHOLD = 10_000
SAMPLE_SIZE = 4_000  # stratified silhouette sample; measured error < 0.01 (bench/README.md)
_CHUNK_CELLS = 4_000_000  # distance-matrix cells held at once (~32 MB)


@dataclass(frozen=True)
class Metric:
    """One entry of METRICS: everything the comparison, the rule, the app and the report need to know.

    ``model_only`` metrics come from a fitted likelihood model (GMM); ``ranked``
    metrics make the recommendation's consensus score (engine.clustering.selection).
    ``decimals`` are the report's, the app's and the summary JSON's alike.
    """

    name: str
    label: str  # "Davies-Bouldin index" (table headers, the app)
    description: str  # one plain sentence
    greater_is_better: bool
    model_only: bool = False
    ranked: bool = False
    decimals: int = 4
    short: str = ""  # chart panel titles ("Davies-Bouldin"); defaults to the label
    noun: str = ""  # in a sentence ("the lowest Davies-Bouldin index"); defaults to the label
    plain: str = ""  # one sentence for a reader who is not a statistician (the client report's appendix)

    @property
    def short_title(self) -> str:
        return self.short or self.label

    @property
    def in_sentence(self) -> str:
        return self.noun or self.label

    @property
    def direction(self) -> str:
        return "higher is better" if self.greater_is_better else "lower is better"


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("davies_bouldin", "Davies-Bouldin index",
               "Average similarity of each cluster to its most similar one; lower means better separated.",
               greater_is_better=False, ranked=True, short="Davies-Bouldin",
               plain="How much each segment overlaps with the segment most like it; the lower, the more clearly "
                     "the segments are told apart."),
        Metric("silhouette", "Silhouette",
               "How much closer points are to their own cluster than to the next one (-1 to 1).",
               greater_is_better=True, ranked=True, noun="silhouette",
               plain="How clearly each customer belongs to its own segment rather than the next one, from -1 "
                     "(wrong segment) to 1 (clear-cut); above 0.5 the segments are well apart."),
        Metric("calinski_harabasz", "Calinski-Harabasz index",
               "Between-cluster over within-cluster dispersion, adjusted for k; higher is better.",
               greater_is_better=True, ranked=True, decimals=1, short="Calinski-Harabasz",
               plain="How far apart the segments are compared with how spread out each one is; higher means "
                     "tighter, better separated segments."),
        Metric("inertia", "Inertia (within-cluster sum of squares)",
               "Sum of squared distances to the cluster centre in the scaled space; falls as k grows.",
               greater_is_better=False, decimals=1, short="Inertia", noun="inertia",
               plain="How far customers sit from the centre of their segment in total; it always falls as segments "
                     "are added, so look for the point where it stops falling fast."),
        Metric("bic", "BIC", "Bayesian information criterion of the Gaussian mixture; lower is better.",
               greater_is_better=False, model_only=True, decimals=1,
               plain="How well a Gaussian mixture fits the data, with a penalty for extra segments; lower is "
                     "better."),
        Metric("aic", "AIC", "Akaike information criterion of the Gaussian mixture; lower is better.",
               greater_is_better=False, model_only=True, decimals=1,
               plain="Like BIC, a fit score of the Gaussian mixture with a lighter penalty for extra segments; "
                     "lower is better."),
    )
}
RANKED = tuple(name for name, m in METRICS.items() if m.ranked)  # the recommendation's consensus


class DegenerateLabels(ValueError):
    """Labels that cannot be scored (fewer than two clusters after removing noise)."""


def degenerate_reason(labels: np.ndarray) -> str | None:
    """One sentence saying why these labels cannot be scored, or None when they can."""
    labels = np.asarray(labels)
    kept = labels[labels != NOISE]
    if len(kept) == 0:
        return "Every point was left as noise, so there are no clusters to score."
    n_clusters = len(np.unique(kept))
    if n_clusters < 2:
        return "All non-noise points fell into a single cluster, so there is nothing to separate."
    if n_clusters >= len(kept):
        return "Every point is its own cluster, so silhouette and Davies-Bouldin are undefined."
    return None


def inertia(X: np.ndarray, labels: np.ndarray) -> float:
    """Within-cluster sum of squared distances to the cluster means (noise excluded)."""
    keep = labels != NOISE
    Xk, lk = X[keep], labels[keep]
    _, inverse = np.unique(lk, return_inverse=True)
    sums = np.column_stack([np.bincount(inverse, weights=Xk[:, j]) for j in range(X.shape[1])])
    centroids = sums / np.bincount(inverse)[:, None]
    return float(((Xk - centroids[inverse]) ** 2).sum())


def silhouette_values(X: np.ndarray, label_sets: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Per-point silhouette for several labelings of the same X in one pass over the distances.

    The Euclidean distance matrix is the expensive part and does not depend on
    the labels, so each block of it is reduced against every labeling at once:
    a block times a one-hot cluster matrix gives per-cluster distance sums
    (labelings with many clusters use a sorted ``reduceat`` instead, whose cost
    does not grow with k). Noise points belong to no cluster; their own values
    are returned as 0 and should be dropped. Singleton clusters score 0, as in
    scikit-learn.
    """
    from scipy.spatial.distance import cdist  # lazy: the registry above is read by pages and reports

    n_points = len(X)
    sets = [_ClusterIndex(np.asarray(labels), n_points) for labels in label_sets]
    few = [s for s in sets if s.n_clusters <= _MATMUL_MAX_K]
    onehots = np.hstack([s.onehot() for s in few]) if few else np.zeros((n_points, 0))
    offsets = np.cumsum([0] + [s.n_clusters for s in few])
    rows = max(1, _CHUNK_CELLS // max(n_points, 1))
    out = [np.zeros(n_points) for _ in sets]
    for start in range(0, n_points, rows):
        stop = min(n_points, start + rows)
        d = cdist(X[start:stop], X)  # direct differences: exact for near points, 2-3x faster than the Gram trick
        batch = d @ onehots
        for j, s in enumerate(sets):
            if s.n_clusters <= _MATMUL_MAX_K:
                i = few.index(s)
                sums = batch[:, offsets[i] : offsets[i + 1]]
            else:
                sums = np.add.reduceat(d[:, s.order], s.starts, axis=1)
            out[j][start:stop] = s.silhouette(sums, start, stop)
    return out


_MATMUL_MAX_K = 64


class _ClusterIndex:
    """Cluster membership of one labeling, arranged for fast per-cluster distance sums."""

    def __init__(self, labels: np.ndarray, n_points: int):
        keep = labels != NOISE
        _, inverse, counts = np.unique(labels[keep], return_inverse=True, return_counts=True)
        self.inverse = np.full(n_points, -1)
        self.inverse[keep] = inverse
        self.counts = counts.astype(float)
        self.n_clusters = len(counts)
        self.order = np.flatnonzero(keep)[np.argsort(inverse, kind="stable")]
        self.starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(int)

    def onehot(self) -> np.ndarray:
        matrix = np.zeros((len(self.inverse), self.n_clusters))
        rows = np.flatnonzero(self.inverse >= 0)
        matrix[rows, self.inverse[rows]] = 1.0
        return matrix

    def silhouette(self, sums: np.ndarray, start: int, stop: int) -> np.ndarray:
        own = self.inverse[start:stop]
        r = np.flatnonzero(own >= 0)
        values = np.zeros(stop - start)
        if len(r) == 0:
            return values
        s = sums[r].copy()
        own_count = self.counts[own[r]] - 1
        a = s[np.arange(len(r)), own[r]] / np.maximum(own_count, 1)
        s[np.arange(len(r)), own[r]] = np.inf
        b = (s / self.counts).min(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            v = np.nan_to_num((b - a) / np.maximum(a, b))
        v[own_count == 0] = 0.0
        values[r] = v
        return values


def score_many(
    X: np.ndarray,
    label_sets: Sequence[np.ndarray],
    seed: int,
    exact_threshold: int = EXACT_THRESHOLD,
    sample_size: int = SAMPLE_SIZE,
    progress: Callable[[str, float], None] | None = None,
) -> list[tuple[dict[str, float], int | None]]:
    """:func:`score` for several labelings of X; exact silhouettes share one distance pass."""
    from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score

    from engine.clustering.sampling import stratified_sample

    for labels in label_sets:
        reason = degenerate_reason(labels)
        if reason:
            raise DegenerateLabels(reason)
    exact = len(X) <= exact_threshold
    if exact:
        silhouettes = silhouette_values(X, label_sets)
    done = iter(range(1, len(label_sets) + 1))
    lock = threading.Lock()

    def one(i: int) -> tuple[dict[str, float], int | None]:
        labels = np.asarray(label_sets[i])
        keep = labels != NOISE
        if exact:
            sil, sample_n = float(silhouettes[i][keep].mean()), None
        else:
            idx, weights = stratified_sample(labels[keep], sample_size, seed)
            Xs = X[keep][idx]
            values = silhouette_values(Xs, [labels[keep][idx]])[0]
            sil, sample_n = float(np.average(values, weights=weights)), len(idx)
        values_dict = {
            "davies_bouldin": float(davies_bouldin_score(X[keep], labels[keep])),
            "silhouette": sil,
            "calinski_harabasz": float(calinski_harabasz_score(X[keep], labels[keep])),
            "inertia": inertia(X, labels),
        }
        if progress:
            with lock:
                n = next(done)
                progress(f"Scored {n} of {len(label_sets)} runs", n / len(label_sets))
        return values_dict, sample_n

    if exact or len(label_sets) < 2:
        return [one(i) for i in range(len(label_sets))]
    # above the exact threshold every run has its own sample and distances: two runs are scored at once
    # (the work is in NumPy/SciPy, outside the GIL); each result depends only on its labels and the seed
    # (BLAS single-threaded inside: its blocking, and so the last bit of a sum, then never depends on load)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"), \
            ThreadPoolExecutor(max_workers=SCORING_THREADS, thread_name_prefix="score") as pool:
        return list(pool.map(one, range(len(label_sets))))


SCORING_THREADS = 2


def score(
    X: np.ndarray,
    labels: np.ndarray,
    seed: int,
    exact_threshold: int = EXACT_THRESHOLD,
    sample_size: int = SAMPLE_SIZE,
) -> tuple[dict[str, float], int | None]:
    """Davies-Bouldin, silhouette, Calinski-Harabasz and inertia of one labeling.

    Returns the metric values and the silhouette sample size (None when exact).
    Raises :class:`DegenerateLabels` (with a one-sentence reason) when fewer
    than two clusters remain after removing noise.
    """
    return score_many(X, [labels], seed, exact_threshold, sample_size)[0]


def noise_share(labels: np.ndarray) -> float:
    """Share of points labelled as noise (-1)."""
    labels = np.asarray(labels)
    return float(np.mean(labels == NOISE)) if len(labels) else 0.0
