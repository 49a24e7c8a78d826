"""The recommendation's stability step: bootstrap refits of the near-equivalent runs and the two-mode test.

Runs the indices cannot tell apart (within ``near`` of the best score, see
:mod:`engine.clustering.selection`) are refitted on bootstrap resamples (Hennig 2007,
clusterwise Jaccard; Lange et al. 2004); among those whose every segment comes
back, the one with the most segments wins when its neighbouring segments are
separate groups (:func:`split_modes`), not one group cut in two. A
:class:`Candidate` is one scored run carrying what these checks found.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.clustering.stability import MODERATE
from engine.results import RunResult


@dataclass(eq=False)  # compared by identity: two runs are never "equal"
class Candidate:
    """One scored run and what its stability checks found (NaN until checked)."""

    run: RunResult
    index: int  # position in comparison.runs
    ari: float = float("nan")
    min_jaccard: float = float("nan")
    split_gain: float = float("nan")  # :func:`split_modes`, computed for reproducible near-equivalents only


def _bootstrap(c: Candidate, X, seed, params, context, rule) -> None:
    from engine.clustering.stability import stability

    r = c.run
    result = stability(X, r.algorithm, r.k if r.k is not None else r.n_clusters, seed, params.get(r.algorithm, {}),
                       r.labels, n_resamples=rule.resamples, context=context, max_points=rule.resample_size)
    c.ari = result.ari_mean
    c.min_jaccard = min(result.jaccard.values()) if result.jaccard else float("nan")


def check_stability(near, order, X, seed, params, context, rule) -> tuple[Candidate, list[Candidate]]:
    """The recommended run, and the runs whose stability was checked to find it (in score order).

    The near-equivalents are checked from the most segments down (ties: better
    score first); the first whose every segment reproduces (Jaccard at least
    ``rule.solid``) and whose neighbouring segments are separate groups
    (:func:`split_modes` above ``rule.split_gain``) wins, and the rest need no
    refits. Failing that, the best-scored reproducible near-equivalent; failing
    that, the best-scored run that is not fragile (mean ARI at least 0.6),
    looking further down the ranking when every near-equivalent is fragile.
    """
    checked: list[Candidate] = []
    for c in sorted(near, key=lambda c: (-c.run.n_clusters, order.index(c))):
        _bootstrap(c, X, seed, params, context, rule)
        checked.append(c)
        if c.min_jaccard >= rule.solid:
            c.split_gain = split_modes(X, c.run.labels, seed=seed)
            if c.split_gain > rule.split_gain:
                return c, sorted(checked, key=order.index)
    checked.sort(key=order.index)
    solid = [c for c in checked if c.min_jaccard >= rule.solid]
    if solid:
        return solid[0], checked
    further = [c for c in order if c not in checked][: rule.candidates]
    while not any(c.ari >= MODERATE for c in checked) and further:
        checked.append(further.pop(0))
        _bootstrap(checked[-1], X, seed, params, context, rule)
    steady = [c for c in checked if not c.ari < MODERATE]
    return (steady or checked)[0], checked


SPLIT_SAMPLE = 3_000  # points per pair of segments for the two-mode test


def split_modes(X: np.ndarray, labels: np.ndarray, seed: int = 0) -> float:
    """How clearly the partition separates groups: the weakest gap between neighbouring segments.

    For every segment and the segment with the nearest centre, the points of
    both are projected on the line joining the two centres, and a one-mode and
    a two-mode Gaussian mixture are fitted to that line (the idea of dip-means,
    Kalogeratos & Likas 2012, with BIC in place of the dip test). Returns the
    smallest gain in BIC per point of two modes over one: clearly positive when
    every pair is two groups, about 0 or below when some segment is one group
    cut in two. Noise (-1) is left out; at most :data:`SPLIT_SAMPLE` points per pair.
    """
    from sklearn.mixture import GaussianMixture

    labels = np.asarray(labels)
    keep = labels >= 0
    X, labels = np.asarray(X, dtype=float)[keep], labels[keep]
    ids = np.unique(labels)
    if len(ids) < 2:
        return float("nan")
    centres = np.vstack([X[labels == c].mean(axis=0) for c in ids])
    distance = ((centres[:, None, :] - centres[None, :, :]) ** 2).sum(axis=-1)
    np.fill_diagonal(distance, np.inf)
    pairs = {tuple(sorted((i, int(np.argmin(distance[i]))))) for i in range(len(ids))}
    rng = np.random.default_rng(seed)
    gains = []
    for a, b in sorted(pairs):
        direction = centres[b] - centres[a]
        if not np.any(direction):
            gains.append(0.0)
            continue
        members = np.flatnonzero((labels == ids[a]) | (labels == ids[b]))
        if len(members) > SPLIT_SAMPLE:
            members = rng.choice(members, SPLIT_SAMPLE, replace=False)
        t = ((X[members] - centres[a]) @ direction / (direction @ direction)).reshape(-1, 1)
        one = GaussianMixture(1, random_state=seed).fit(t).bic(t)
        two = GaussianMixture(2, random_state=seed, n_init=2).fit(t).bic(t)
        gains.append((one - two) / len(t))
    return float(min(gains))

