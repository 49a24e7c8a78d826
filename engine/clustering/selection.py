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

This module holds the rule's settings, the usable-segments test, the score and
:func:`recommend`; the stability step (bootstrap refits, the two-mode test) is
:mod:`engine.clustering.selection_stability`, the reasons and warnings in sentences
:mod:`engine.clustering.selection_reasons`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from engine.clustering.metrics import METRICS, RANKED
from engine.clustering.selection_reasons import is_weak, recommendation_reasons
from engine.clustering.selection_stability import Candidate, check_stability
from engine.clustering.stability import MODERATE
from engine.errors import InputError
from engine.results import Comparison, Recommendation, RunResult

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
        for key, low, high in (("min_size", 1, 10**9), ("candidates", 1, 50), ("resamples", 0, 200),
                               ("resample_size", 100, 10**7)):
            value = getattr(rule, key)
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise InputError(f"clustering.selection.{key} is {value!r}; use a whole number from {low:,} to {high:,}.")
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


def cluster_sizes(run: RunResult) -> np.ndarray:
    """Units per cluster (noise left out): from the labels, or ``extra["sizes"]`` when the labels stay where they
    were computed (Spark mode keeps them on the cluster)."""
    if run.labels is None:
        return np.asarray(run.extra.get("sizes", []), dtype=int)
    kept = run.labels[run.labels >= 0]
    return np.bincount(kept) if len(kept) else np.zeros(0, dtype=int)


def usability(run: RunResult, n_units: int, rule: SelectionRule) -> tuple[str, str] | None:
    """Why a scored run cannot be recommended, as (kind, phrase), or None when its segments are usable.

    ``kind`` is a key of :data:`engine.clustering.selection_reasons.UNUSABLE_KINDS`.
    """
    sizes = cluster_sizes(run)
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
    scored = [Candidate(r, i) for i, r in enumerate(runs)
              if r.algorithm != "rfm" and r.status == "ok" and (r.labels is not None or "sizes" in r.extra)
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
        best, shortlist = check_stability(near[: rule.candidates], order, np.asarray(X, dtype=float),
                                           comparison.seed, params or {}, context, rule)
    else:
        best, shortlist = order[0], order[:1]
    ranking = _ranking_frame([best] + [c for c in order if c is not best], table, pool)
    reasons, warnings = recommendation_reasons(best, order, shortlist, table, pool, scored, unusable, eligible, rule,
                                               comparison)
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
        warnings=warnings, weak_structure=is_weak(best, rule), bootstrap_ari=best.ari, eligible=bool(eligible),
    )


def _score(pool: list[Candidate], rule: SelectionRule, algorithms: list[str]) -> pd.DataFrame:
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


def _ranking_frame(order: list[Candidate], table: pd.DataFrame, pool: list[Candidate]) -> pd.DataFrame:
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

