"""Which model to recommend: usable segments, the indices' score, then reproducible detail.

Internal validity indices alone are poor judges of k on customer data
(bench/README.md, "Model selection"): Davies-Bouldin, silhouette and
Calinski-Harabasz all lean towards fewer clusters, so on planted data they
merge segments that a model told the true k keeps apart; and a split that only
a lucky initialisation finds scores as well as one that always comes back. The
rule works in three steps, each printable as a sentence (:meth:`SelectionRule.describe`):

1. **Usable segments.** A run is eligible only when every segment could be
   acted on: no segment holds more than ``max_share`` of the units, the
   smallest holds at least ``max(min_share, min_size units)``, density methods
   leave at most ``max_noise`` as noise. The RFM baseline is shown, never
   recommended.
2. **Score.** Each eligible run is placed between the worst (0) and the best
   (1) eligible run on each index, and the places are averaged (noise counted
   against density methods). Runs within ``near`` of the best score are
   near-equivalent: the indices cannot tell them apart.
3. **Stability.** Up to ``candidates`` near-equivalents are refitted on
   bootstrap resamples (Hennig 2007, clusterwise Jaccard; Lange et al. 2004).
   Among those whose every segment comes back (Jaccard at least ``solid``),
   the one with the most segments wins: the indices' lean towards few clusters
   is corrected only where the finer split is reproducible. If none is
   reproducible, a fragile run (mean ARI below 0.6) never wins over a steadier
   one, looking further down the ranking when needed.

When the recommended run is weak (silhouette below ``no_structure_silhouette``,
or below ``weak_silhouette`` with a bootstrap ARI below ``weak_ari``), it is
still recommended as the most useful partition, and the recommendation says up
front that the data has weak natural structure. The settings come from the project file
(``clustering.selection``); ``rank_by`` set to one metric scores runs on that
metric alone. The thresholds were measured with bench/bench_selection.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from engine.algorithms import ALGORITHMS
from engine.errors import InputError
from engine.formatting import counted
from engine.metrics import METRICS, RANKED
from engine.results import Comparison, Recommendation, RunResult
from engine.stability import MODERATE

RANK_BY = ("consensus", *RANKED, "bic")  # "consensus" averages the ranked metrics' places


@dataclass(frozen=True)
class SelectionRule:
    """The recommendation rule's settings (``clustering.selection`` in the project file)."""

    rank_by: str = "consensus"  # or one metric: davies_bouldin, silhouette, calinski_harabasz, bic
    max_share: float = 0.8  # no segment larger than this share of the units
    min_share: float = 0.01  # smallest segment at least this share ...
    min_size: int = 10  # ... and at least this many units
    max_noise: float = 0.2  # density methods: at most this share left as noise
    near: float = 0.15  # runs scoring within this of the best are near-equivalent on the indices
    candidates: int = 6  # at most this many near-equivalent runs are checked for stability
    solid: float = 0.85  # every segment's mean bootstrap Jaccard at least this: the run is reproducible
    split_gain: float = 0.01  # neighbouring segments need two modes between them: BIC gain per point above this
    resamples: int = 5  # bootstrap resamples per candidate (0: no stability check)
    resample_size: int = 5_000  # points per resample, at most
    weak_silhouette: float = 0.5  # below this silhouette (Kaufman & Rousseeuw: at most "weak" structure) ...
    weak_ari: float = 0.8  # ... and this bootstrap ARI (the report calls it "stable" from 0.8), structure is weak
    no_structure_silhouette: float = 0.25  # below this silhouette structure is weak however stable (K&R)

    @classmethod
    def from_dict(cls, raw: dict | None) -> SelectionRule:
        """Validate ``clustering.selection``; every message names the key, the value and what is allowed."""
        raw = raw or {}
        if not isinstance(raw, dict):
            raise InputError("clustering.selection should be a JSON object, e.g. {\"rank_by\": \"silhouette\"}.")
        known = {f.name: f for f in fields(cls)}
        for key in raw:
            if key not in known:
                raise InputError(f"clustering.selection has unknown key {key!r}; allowed keys are "
                                 f"{', '.join(known)}.")
        rule = cls(**raw)
        if rule.rank_by not in RANK_BY:
            raise InputError(f"clustering.selection.rank_by is {rule.rank_by!r}; allowed values are "
                             f"{', '.join(RANK_BY)}.")
        for key in ("max_share", "min_share", "max_noise", "near", "solid", "split_gain", "weak_silhouette",
                    "weak_ari", "no_structure_silhouette"):
            value = getattr(rule, key)
            if not _is_number(value) or not 0 <= value <= 1:
                raise InputError(f"clustering.selection.{key} is {value!r}; use a number from 0 to 1.")
        for key, low in (("min_size", 1), ("candidates", 1), ("resamples", 0), ("resample_size", 100)):
            value = getattr(rule, key)
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise InputError(f"clustering.selection.{key} is {value!r}; use a whole number of {low} or more.")
        if rule.max_share <= rule.min_share:
            raise InputError("clustering.selection.max_share must be larger than min_share.")
        return rule

    def smallest_segment(self, n_units: int) -> int:
        """Units the smallest segment must hold: max(min_share of the units, min_size)."""
        return max(int(math.ceil(self.min_share * n_units)), self.min_size)

    def max_k(self, n_units: int) -> int:
        """The largest k at which every segment can still hold :meth:`smallest_segment` units."""
        return max(n_units // self.smallest_segment(n_units), 1)

    def describe_usable(self) -> str:
        return (f"no segment above {self.max_share:.0%} of the units, none below {self.min_share:.0%} or "
                f"{self.min_size} units, at most {self.max_noise:.0%} noise")

    def describe(self) -> str:
        """The rule in sentences, for the methodology and the app."""
        if self.rank_by == "consensus":
            score = ("the average, over the Davies-Bouldin index (lower is better), the silhouette and the "
                     "Calinski-Harabasz index (higher is better), of where the run sits between the worst (0) and the "
                     "best (1) eligible run; all three are computed on the same scaled features")
        else:
            spec = METRICS[self.rank_by]
            score = (f"where its {spec.label} sits between the worst (0) and the best (1) eligible run "
                     f"({spec.direction}; the analyst chose to rank by this metric alone)")
        text = (
            f"A run is eligible when its segments are usable: none holds more than {self.max_share:.0%} of the "
            f"units, the smallest holds at least {self.min_share:.0%} of them and at least {self.min_size} units, "
            f"and a density method leaves at most {self.max_noise:.0%} as noise (its silhouette counts each noise "
            "point as 0, so leaving hard points out does not raise the score). The RFM baseline is shown for "
            f"comparison only. Each eligible run gets a score: {score}. "
        )
        if self.resamples:
            text += (
                f"Runs within {self.near:.2f} of the best score are near-equivalent on the indices, which lean "
                f"towards fewer clusters; up to {self.candidates} of them are refitted on {self.resamples} bootstrap "
                "resamples each. Among those whose every segment comes back (mean Jaccard similarity of at least "
                f"{self.solid:.2f} for each segment) and whose neighbouring segments are separate groups (two modes "
                "along the line between their centres, not one group cut in two), the one with the most segments "
                "is recommended; if none is, the best-scored reproducible run. A run whose segments do not come back "
                f"(mean adjusted Rand index below {MODERATE:.2f}) is passed over while a steadier one exists. "
            )
        else:
            text += "The best score wins (the analyst turned the stability check off). "
        text += (f"When the recommended run has a silhouette below {self.no_structure_silhouette:.2f}, or below "
                 f"{self.weak_silhouette:.2f} with a bootstrap ARI below {self.weak_ari:.2f}, the data is said to "
                 "have weak natural structure (silhouette bands of Kaufman and Rousseeuw).")
        return text


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(eq=False)  # compared by identity: two runs are never "equal"
class _Candidate:
    run: RunResult
    index: int  # position in comparison.runs
    ari: float = float("nan")
    min_jaccard: float = float("nan")
    split_gain: float = float("nan")  # :func:`split_modes`, computed for reproducible near-equivalents only


UNUSABLE_KINDS = {"noise": "too much noise", "large": "a segment too large", "small": "a segment too small"}


def usability(run: RunResult, n_units: int, rule: SelectionRule) -> tuple[str, str] | None:
    """Why a scored run cannot be recommended, as (kind, phrase), or None when its segments are usable.

    ``kind`` is a key of :data:`UNUSABLE_KINDS`.
    """
    labels = run.labels
    kept = labels[labels >= 0]
    sizes = np.bincount(kept) if len(kept) else np.zeros(0, dtype=int)
    if run.noise_share > rule.max_noise:
        return "noise", f"it leaves {run.noise_share:.0%} of the units as noise"
    largest = sizes.max() / n_units if len(sizes) else 1.0
    if largest > rule.max_share:
        return "large", f"one segment holds {largest:.0%} of the units"
    smallest = int(sizes.min()) if len(sizes) else 0
    if smallest < rule.smallest_segment(n_units):
        return "small", f"its smallest segment holds only {smallest:,} units ({smallest / n_units:.1%})"
    return None


def recommend(
    comparison: Comparison,
    X: np.ndarray | None = None,
    rule: SelectionRule | None = None,
    params: dict[str, dict] | None = None,
    context: pd.DataFrame | None = None,
) -> Recommendation:
    """Recommend one run of ``comparison``: usable segments, the indices' score, then reproducible detail.

    ``X`` is the scaled matrix the comparison ran on; without it (or with
    ``rule.resamples`` = 0) the stability step is skipped and the best score
    wins. ``params`` are the project's ``clustering.params`` (the refits use the
    same parameters); ``context`` the feature table (for RFM). The reasons are
    sentences a client report can print, quoting the numbers.
    """
    rule = rule or SelectionRule()
    n_units = comparison.n_points
    runs = comparison.runs
    scored = [_Candidate(r, i) for i, r in enumerate(runs)
              if r.algorithm != "rfm" and r.status == "ok" and r.labels is not None
              and all(m in r.metrics for m in RANKED)]
    if not scored:
        first = next((r for r in runs if r.algorithm != "rfm"), runs[0] if runs else None)
        reason = ("No run produced at least two clusters that could be scored, so there is no recommendation; the "
                  "first run is shown. Check the features (constant or identical values) and the parameters.")
        return Recommendation(first.algorithm if first else "kmeans", (first.k or 0) if first else 0, [reason],
                              rule.describe(), None, warnings=[reason])
    unusable = {id(c): usability(c.run, n_units, rule) for c in scored}
    eligible = [c for c in scored if unusable[id(c)] is None]
    pool = eligible or scored
    table = _score(pool, rule, comparison.algorithms)
    order = [pool[i] for i in table.index]  # best score first
    best_score = table["score"].iloc[0]
    near = [c for c, score in zip(order, table["score"], strict=True) if score >= best_score - rule.near]
    if X is not None and rule.resamples:
        best, shortlist = _check_stability(near[: rule.candidates], order, np.asarray(X, dtype=float),
                                           comparison.seed, params or {}, context, rule)
    else:
        best, shortlist = order[0], order[:1]
    ranking = _ranking_frame([best] + [c for c in order if c is not best], table, pool)
    reasons, warnings = _reasons(best, order, shortlist, table, pool, scored, unusable, eligible, rule, comparison)
    rfm = next((r for r in runs if r.algorithm == "rfm" and r.status == "ok"), None)
    if rfm is not None:
        reasons.append(
            f"The RFM segments baseline ({rfm.n_clusters} segments) scores a Davies-Bouldin index of "
            f"{rfm.metrics['davies_bouldin']:.2f} and a silhouette of {rfm.metrics['silhouette']:.2f} on the same "
            "features."
        )
    run = best.run
    return Recommendation(
        run.algorithm, run.k if run.k is not None else run.n_clusters, reasons, rule.describe(), ranking,
        warnings=warnings, weak_structure=_weak(best, rule), bootstrap_ari=best.ari, eligible=bool(eligible),
    )


def _score(pool: list[_Candidate], rule: SelectionRule, algorithms: list[str]) -> pd.DataFrame:
    """Per-metric ranks (1 = best) and the score of each run in ``pool`` (0 worst .. 1 best), best first.

    The score places each run between the worst and the best eligible run on
    each index (min-max), so two runs with nearly equal indices score nearly the
    same, which ranks alone would hide.
    """
    rows = []
    for c in pool:
        r = c.run
        rows.append({
            **{m: r.metrics.get(m, np.nan) for m in (*RANKED, "bic")},
            "silhouette_ranked": r.metrics["silhouette"] * (1.0 - r.noise_share),
            "n_clusters": r.n_clusters,
            "algorithm_order": algorithms.index(r.algorithm) if r.algorithm in algorithms else len(algorithms),
        })
    table = pd.DataFrame(rows)
    used = RANKED if rule.rank_by == "consensus" else (rule.rank_by,)
    placed = []
    for m in (*RANKED, "bic"):
        column = table["silhouette_ranked" if m == "silhouette" else m]
        better = METRICS[m].greater_is_better
        table[f"{m}_rank"] = column.rank(ascending=not better, method="min")
        if m in used:
            low, high = column.min(), column.max()
            place = (column - low) / (high - low) if high > low else pd.Series(1.0, index=column.index)
            placed.append((place if better else 1.0 - place).fillna(0.0))
    table["score"] = sum(placed) / len(placed)
    return table.sort_values(["score", "n_clusters", "algorithm_order"], ascending=[False, True, True], kind="stable")


def _bootstrap(c: _Candidate, X, seed, params, context, rule) -> None:
    from engine.stability import stability

    r = c.run
    result = stability(X, r.algorithm, r.k if r.k is not None else r.n_clusters, seed, params.get(r.algorithm, {}),
                       r.labels, n_resamples=rule.resamples, context=context, max_points=rule.resample_size)
    c.ari = result.ari_mean
    c.min_jaccard = min(result.jaccard.values()) if result.jaccard else float("nan")


def _check_stability(near, order, X, seed, params, context, rule) -> tuple[_Candidate, list[_Candidate]]:
    """The recommended run, and the runs whose stability was checked to find it (in score order).

    The near-equivalents are checked from the most segments down (ties: better
    score first); the first whose every segment reproduces (Jaccard at least
    ``rule.solid``) and whose neighbouring segments are separate groups
    (:func:`split_modes` above ``rule.split_gain``) wins, and the rest need no
    refits. Failing that, the best-scored reproducible near-equivalent; failing
    that, the best-scored run that is not fragile (mean ARI at least 0.6),
    looking further down the ranking when every near-equivalent is fragile.
    """
    checked: list[_Candidate] = []
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


def _weak(best: _Candidate, rule: SelectionRule) -> bool:
    silhouette = best.run.metrics["silhouette"]
    unstable = not np.isfinite(best.ari) or best.ari < rule.weak_ari
    return bool(silhouette < rule.no_structure_silhouette or (silhouette < rule.weak_silhouette and unstable))


def _ranking_frame(order: list[_Candidate], table: pd.DataFrame, pool: list[_Candidate]) -> pd.DataFrame:
    """Eligible runs in recommendation order: score, ranks, bootstrap stability (``run`` indexes comparison.runs)."""
    position = {id(c): i for i, c in enumerate(pool)}
    rows = []
    for c in order:
        row = table.loc[position[id(c)]]
        r = c.run
        rows.append({
            "run": c.index, "algorithm": r.algorithm, "k": r.k, "n_clusters": r.n_clusters,
            **{m: row[m] for m in RANKED}, "silhouette_ranked": row["silhouette_ranked"],
            "min_cluster_share": r.min_cluster_share, "noise_share": r.noise_share,
            **{f"{m}_rank": row[f"{m}_rank"] for m in RANKED}, "score": row["score"],
            "bootstrap_ari": c.ari, "min_jaccard": c.min_jaccard, "split_gain": c.split_gain,
        })
    frame = pd.DataFrame(rows)
    frame["k"] = frame["k"].astype("Int64")
    return frame


def describe_run(run: RunResult) -> str:
    """ "k-means with k = 5", or "HDBSCAN (7 clusters)" for methods that find k themselves."""
    label = ALGORITHMS[run.algorithm].label
    return f"{label} with k = {run.k}" if run.k is not None else f"{label} ({run.n_clusters} clusters)"


def _metric_phrase(m: str, value: float, rank: float, noise_share: float, adjusted: float) -> str:
    spec = METRICS[m]
    shown = f"{value:,.0f}" if spec.decimals <= 1 else f"{value:.2f}"  # prose rounds coarser than the tables
    if m == "silhouette" and noise_share > 0:
        shown += f", {adjusted:.2f} counting noise as 0"
    best = "highest" if spec.greater_is_better else "lowest"
    place = best if rank == 1 else f"{_ordinal(int(rank))}-{best}"
    return f"the {place} {spec.in_sentence} ({shown})"


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def _reasons(best, order, shortlist, table, pool, scored, unusable, eligible, rule,
             comparison) -> tuple[list[str], list[str]]:
    """Sentences on why ``best`` was chosen, and the warnings that change how to read the result.

    ``order`` is the score order; ``shortlist`` the near-equivalent runs checked for stability.
    """
    run = best.run
    row = table.loc[pool.index(best)]
    what = "runs with usable segments" if eligible else "scored runs"
    metrics = RANKED if rule.rank_by == "consensus" else (rule.rank_by,)
    parts = [_metric_phrase(m, row[m], row[f"{m}_rank"], run.noise_share, row["silhouette_ranked"]) for m in metrics]
    listed = parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"
    top = order[0]
    first = f"{describe_run(run)} has {listed} among the {len(pool)} {what} (score {row['score']:.2f} of 1"
    first += ", the best" if best is top else f"; the best is {table['score'].iloc[0]:.2f}"
    first += ")" if rule.rank_by == "consensus" else f"; runs are ranked by the {METRICS[rule.rank_by].in_sentence} alone)"
    if np.isfinite(best.min_jaccard):
        how = "come back" if best.min_jaccard >= rule.solid else "come back only partly"
        first += (f", and its segments {how} when the data is resampled (mean bootstrap ARI {best.ari:.2f}; "
                  f"every segment's Jaccard similarity at least {best.min_jaccard:.2f})")
    reasons = [first + "."]
    if best is not top and best.min_jaccard >= rule.solid and best.split_gain > rule.split_gain:
        fewer = [c for c in shortlist if c.run.n_clusters < run.n_clusters]
        reasons.append(
            f"Runs within {rule.near:.2f} of the best score are near-equivalent on the indices, which lean towards "
            f"fewer segments; of those, this is the one with the most segments ({run.n_clusters}) whose every segment "
            "reproduces in bootstrap resamples and whose neighbouring segments are separate groups"
            + (f", so it is preferred to {describe_run(fewer[0].run)}." if fewer else ".")
        )
    cut = [c for c in shortlist if c.run.n_clusters > run.n_clusters and c.min_jaccard >= rule.solid
           and not c.split_gain > rule.split_gain]
    if cut:
        reasons.append(f"{describe_run(cut[0].run)} also reproduces, but at least one of its segments is one group "
                       "cut in two (no gap between it and its nearest neighbour), so the finer split is not "
                       "recommended.")
    passed = [c for c in shortlist if c is not best and np.isfinite(c.ari) and c.ari < MODERATE
              and order.index(c) < order.index(best)]
    if passed:
        names = "; ".join(f"{describe_run(c.run)} (mean bootstrap ARI {c.ari:.2f})" for c in passed)
        reasons.append(f"Better-scored but fragile runs were passed over because their segments did not come back "
                       f"reliably in bootstrap resamples: {names}.")
    warnings: list[str] = []
    if not eligible:
        caution = (f"No model gave usable segments ({rule.describe_usable()}), so this is the best of the rest "
                   f"and should be treated with caution: {unusable[id(best)][1]}.")
        reasons.insert(0, caution)
        warnings.append(caution)
    else:
        sizes = np.bincount(run.labels[run.labels >= 0])
        reasons.append(f"Its smallest segment holds {sizes.min():,} units ({sizes.min() / len(run.labels):.1%}) and "
                       f"its largest {sizes.max() / len(run.labels):.0%}; the rule asks for at least "
                       f"{rule.smallest_segment(len(run.labels)):,} units and at most {rule.max_share:.0%}.")
    if run.noise_share > 0:
        reasons.append(f"It leaves {run.noise_share:.1%} of the units as noise (at most {rule.max_noise:.0%} "
                       "allowed); its metrics are computed without them, and they are reported as a group of their own.")
    runner = next((c for c in order if c is not best), None)
    if runner is not None:
        reasons.append(f"The runner-up is {describe_run(runner.run)} "
                       f"(score {table.loc[pool.index(runner), 'score']:.2f}).")
    counts: dict[str, int] = {}
    for c in scored:
        if unusable[id(c)] is not None:
            kind = unusable[id(c)][0]
            counts[kind] = counts.get(kind, 0) + 1
    if counts and eligible:
        listing = ", ".join(f"{counts[kind]} for {UNUSABLE_KINDS[kind]}" for kind in UNUSABLE_KINDS if kind in counts)
        n_unusable = sum(counts.values())
        verb = "was" if n_unusable == 1 else "were"
        reasons.append(f"{counted(n_unusable, 'run')} {verb} not eligible ({listing}).")
    if _weak(best, rule):
        if np.isfinite(best.ari) and best.ari < rule.weak_ari:
            stab = (f" and its segments come back only partly when the data is resampled (mean bootstrap ARI "
                    f"{best.ari:.2f})")
        elif np.isfinite(best.ari):
            stab = (f" (below {rule.no_structure_silhouette:.2f}: the segments overlap heavily, although the same "
                    "split comes back when the data is resampled)")
        else:
            stab = ""
        warnings.append(
            f"The data has weak natural structure: the best model's silhouette is {run.metrics['silhouette']:.2f}"
            f"{stab}, so the segments are a practical partition of customers who differ by degree, not "
            "distinct groups; read the boundaries between segments as approximate."
        )
    low, high = comparison.k_range
    k = run.k
    if k is not None and k == high and high == (comparison.k_asked or comparison.k_range)[1]:
        warnings.append(f"The recommended k = {k} is the largest in the range tried; widen clustering.k_range "
                        f"(for example to [{low}, {high + 5}]) to see whether more segments fit the data better.")
    elif k is not None and k == low and low > 2:
        warnings.append(f"The recommended k = {k} is the smallest in the range tried; widen clustering.k_range "
                        f"(for example to [2, {high}]) to see whether fewer segments fit the data better.")
    return reasons, warnings
