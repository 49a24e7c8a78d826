"""Bootstrap stability of a chosen model: would the same clusters come back on slightly different data?

The model is refitted on seeded bootstrap resamples (at most ``max_points``
points each, drawn with replacement). Density methods (DBSCAN, HDBSCAN) are
refitted on subsamples drawn *without* replacement instead, of the size of a
bootstrap's distinct points (63%): repeated copies of a point are a dense
spot of their own, and these methods turn them into spurious micro-clusters. Each refit is compared with the
reference labels on the resampled units: the adjusted Rand index (ARI) for the
partition as a whole and, per reference cluster, the Jaccard similarity of its
best-matching refitted cluster (Hennig 2007, "clusterwise assessment of cluster
stability"). Averaged over resamples, Hennig's reading is used for the
verdicts: a mean Jaccard of 0.75 or more is a *solid* cluster, 0.6 to 0.75 a
*moderate* one (a real pattern whose boundary moves), below 0.6 *fragile*
(it does not reliably reappear). The same thresholds are applied to the mean
ARI for the model as a whole.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

from engine.clustering.algorithms import ALGORITHMS, fit_labels
from engine.errors import InputError
from engine.results import NOISE, Stability

SOLID = 0.75
MODERATE = 0.6
MAX_POINTS = 20_000


def verdict(value: float) -> str:
    """"solid" (≥ 0.75), "moderate" (≥ 0.6) or "fragile" for a Jaccard or ARI value."""
    if not np.isfinite(value):
        return "fragile"
    return "solid" if value >= SOLID else "moderate" if value >= MODERATE else "fragile"


def best_match_jaccard(reference: np.ndarray, refitted: np.ndarray) -> dict[int, float]:
    """For each reference cluster, the highest Jaccard similarity with any refitted cluster (noise excluded)."""
    ref_ids = np.unique(reference[reference != NOISE])
    new_ids = np.unique(refitted[refitted != NOISE])
    if len(new_ids) == 0:
        return {int(c): 0.0 for c in ref_ids}
    r = np.searchsorted(ref_ids, reference)
    n = np.searchsorted(new_ids, refitted)
    both = (reference != NOISE) & (refitted != NOISE)
    overlap = np.zeros((len(ref_ids), len(new_ids)))
    np.add.at(overlap, (r[both], n[both]), 1.0)
    ref_sizes = np.array([(reference == c).sum() for c in ref_ids], dtype=float)
    new_sizes = np.array([(refitted == c).sum() for c in new_ids], dtype=float)
    jaccard = overlap / (ref_sizes[:, None] + new_sizes[None, :] - overlap)
    return {int(c): float(jaccard[i].max()) for i, c in enumerate(ref_ids)}


def stability(
    X: np.ndarray,
    algorithm: str,
    k: int | None,
    seed: int,
    params: dict | None,
    labels: np.ndarray,
    n_resamples: int = 10,
    context: pd.DataFrame | None = None,
    max_points: int = MAX_POINTS,
) -> Stability:
    """Refit ``algorithm`` on bootstrap resamples and compare with ``labels``.

    ``params`` are the algorithm's parameters (``clustering.params[algorithm]``). Resample b uses ``seed + 1 + b`` as the algorithm's seed, so
    the measure includes sensitivity to initialisation, as a re-run would. A
    refit that fails counts as reproducing nothing (ARI and Jaccard 0).
    """
    X = np.asarray(X, dtype=float)
    labels = np.asarray(labels)
    if len(labels) != len(X):
        raise InputError(f"Stability got {len(labels)} labels for {len(X)} units; pass the chosen model's labels.")
    if n_resamples < 1:
        return Stability(0, float("nan"), float("nan"), {}, {}, "", 0)
    spec = ALGORITHMS[algorithm]
    rng = np.random.default_rng(seed)
    size = min(len(X), max_points)
    drawn_size = max(2, int(size * 0.632)) if spec.density else size
    aris: list[float] = []
    jaccards: dict[int, list[float]] = {int(c): [] for c in np.unique(labels[labels != NOISE])}
    for b in range(n_resamples):
        if spec.density:
            drawn = np.sort(rng.choice(len(X), size=drawn_size, replace=False))
        else:
            drawn = rng.integers(0, len(X), size=size)
        units, first = np.unique(drawn, return_index=True)
        sub_context = context.iloc[drawn] if context is not None else None
        reference = labels[units]
        try:
            refit = fit_labels(algorithm, X[drawn], k if spec.needs_k else None, seed + 1 + b,
                               params, sub_context).labels[first]
        except Exception:  # noqa: BLE001 - a refit that fails did not reproduce the clusters
            refit = np.full(len(units), NOISE)
        aris.append(float(adjusted_rand_score(reference, refit)))
        for cluster, value in best_match_jaccard(reference, refit).items():
            jaccards[cluster].append(value)
    jaccard = {c: float(np.mean(v)) if v else float("nan") for c, v in jaccards.items()}
    ari_mean = float(np.mean(aris))
    return Stability(
        n_resamples=n_resamples,
        ari_mean=ari_mean,
        ari_std=float(np.std(aris)),
        jaccard=jaccard,
        verdicts={c: verdict(v) for c, v in jaccard.items()},
        verdict=verdict(ari_mean),
        resample_size=drawn_size,
    )
