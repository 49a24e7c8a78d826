"""Levels (very low … very high) of every feature of every cluster, with the numbers behind them.

A level is about the *number*, never about whether it is good: recency_days
"very high" means a long time since the last order. Persona rules and wording
decide what a level means for the business.

Each level comes from one **score** on a common scale, cut at
:data:`THRESHOLDS` (−1, −0.35, 0.35, 1):

* features with a heavy right tail (money, counts, recency on transaction
  data) are compared by **median ratio**: score = log2(cluster median /
  population median). A few very large customers inflate the population mean
  and standard deviation so much that, by standard deviations, nearly every
  cluster looks "average"; the median is what a typical customer does. The
  cuts then read as ratios: ≥ 2× very high, ≥ 1.27× high, ≤ 0.78× low, ≤ 0.5×
  very low.
* every other feature is compared by the **standardised mean difference**
  z = (cluster mean − population mean) / population std (``Profile.standardized``).

A feature is heavy-tailed when its population median is positive, no cluster
median is negative, and any of: the feature catalogue marks it skewed
(engine.features.matrix: money, counts, recency, …); Pearson's median skewness
3 (mean − median) / std is at least :data:`SKEW_RULE`; the mean is at least
:data:`MEAN_MEDIAN_RULE` × the median. Pearson's coefficient alone fails
exactly when it matters: one customer at 1,000,000 among 1,000 at about 100
lifts the mean to ~1,100 but the std to ~31,600, so 3 (mean − median) / std is
~0.09 and the z basis would call a cluster at a quarter of the typical spend
"average". A quartile (Bowley) skewness does not help there either (the
middle half is symmetric); the mean pulled far above the median does.

On the z basis a difference must also be **practically meaningful**: when the
feature is non-negative with a positive mean, a cluster mean within
:data:`MIN_RELATIVE_DIFFERENCE` (10%) of the population mean is "average" (score
0) whatever its z. A feature with a tiny spread (tenure in a cohort where every
customer started in the same quarter: 478 vs 501 days, coefficient of variation
5%) otherwise turns a trivial difference into "very low tenure". The median
basis needs no such floor: its cuts are already ratios (≥ 1.27×, ≤ 0.78×).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from engine.results import Profile

LEVELS = ("very low", "low", "average", "high", "very high")
THRESHOLDS = (-1.0, -0.35, 0.35, 1.0)  # score cuts: <= -1 | <= -0.35 | < 0.35 | < 1 | >= 1
SKEW_RULE = 0.5  # Pearson median skewness at or above which medians are compared
MEAN_MEDIAN_RULE = 1.2  # mean / median at or above which medians are compared (a few whales inflate the mean)
MIN_RELATIVE_DIFFERENCE = 0.1  # z basis: |cluster mean / population mean - 1| below this is "average"
SCORE_CAP = 4.0  # |score| is capped so a zero median or one whale cannot dominate rankings
LEVEL_COLUMNS = (
    "cluster", "feature", "level", "score", "basis", "z", "cluster_mean", "cluster_median",
    "population_mean", "population_median", "ratio",
)


def level_word(score: float) -> str:
    """The level of a score (a z or a log2 median ratio); NaN counts as "average" (no difference shown)."""
    if score is None or not math.isfinite(float(score)):
        return "average"
    s = float(score)
    if s <= THRESHOLDS[0]:
        return "very low"
    if s <= THRESHOLDS[1]:
        return "low"
    if s < THRESHOLDS[2]:
        return "average"
    if s < THRESHOLDS[3]:
        return "high"
    return "very high"


def level_interval(level: str) -> tuple[float, float]:
    """The score range (low, high) of one level; the ends are -inf / inf."""
    bounds = (-math.inf, *THRESHOLDS, math.inf)
    i = LEVELS.index(level)
    return bounds[i], bounds[i + 1]


def compares_medians(profile: Profile, feature: str) -> bool:
    """True when ``feature`` is heavy-tailed and positive, so medians (not z) set its level.

    Positive population median, no negative cluster median, and one of: the
    catalogue marks the feature skewed, Pearson's median skewness ≥ SKEW_RULE,
    or mean ≥ MEAN_MEDIAN_RULE × median (robust to a few whales, which make the
    std so large that Pearson's coefficient looks symmetric).
    """
    mean = profile.population_mean.get(feature, np.nan)
    median = profile.population_median.get(feature, np.nan)
    std = profile.population_std.get(feature, np.nan)
    if not (np.isfinite(median) and median > 0 and np.isfinite(mean)):
        return False
    if (profile.medians[feature].dropna() < 0).any():
        return False
    if catalogue_skewed(feature) or mean >= MEAN_MEDIAN_RULE * median:
        return True
    return bool(np.isfinite(std) and std > 0 and 3 * (mean - median) / std >= SKEW_RULE)


def catalogue_skewed(feature: str) -> bool:
    """Whether the feature catalogue marks ``feature`` as heavy right-tailed (raw columns: False)."""
    from engine.features.catalogue import feature_def  # lazy: the catalogue module imports the data layer

    entry = feature_def(feature)
    return bool(entry is not None and entry.skewed)


def practically_different(cluster_mean: float, population_mean: float, non_negative: bool) -> bool:
    """Whether a mean differs from the population's by at least MIN_RELATIVE_DIFFERENCE (ratio-scale features).

    Only meaningful for non-negative features with a positive mean; for others
    (negative values, a mean at or below 0) every difference counts.
    """
    if not (non_negative and math.isfinite(population_mean) and population_mean > 0 and math.isfinite(cluster_mean)):
        return True
    return abs(cluster_mean / population_mean - 1.0) >= MIN_RELATIVE_DIFFERENCE


def feature_levels(profile: Profile) -> pd.DataFrame:
    """One row per (cluster, feature): level, the score it came from, and the numbers behind it.

    Columns: cluster, feature, level, score, basis ("median ratio" | "z"), z,
    cluster_mean, cluster_median, population_mean, population_median, ratio.
    ``ratio`` is the ratio the narrative quotes: cluster median / population
    median for the median basis, cluster mean / population mean for the z basis
    (NaN when the population value is not positive). On the z basis a mean
    within 10% of the population mean scores 0 (see MIN_RELATIVE_DIFFERENCE);
    the ``z`` column keeps the raw value.
    """
    rows = []
    for feature in profile.features:
        by_median = compares_medians(profile, feature)
        pop_mean = float(profile.population_mean[feature])
        pop_median = float(profile.population_median[feature])
        non_negative = bool((profile.means[feature].dropna() >= 0).all() and pop_median >= 0)
        for cluster in profile.summary.index:
            mean = float(profile.means.loc[cluster, feature])
            median = float(profile.medians.loc[cluster, feature])
            z = float(profile.standardized.loc[cluster, feature])
            if by_median:
                ratio = median / pop_median
                if not math.isfinite(ratio):
                    score = math.nan
                else:
                    score = math.log2(ratio) if ratio > 0 else -SCORE_CAP
            else:
                ratio = mean / pop_mean if pop_mean > 0 and np.isfinite(mean) else math.nan
                score = z if practically_different(mean, pop_mean, non_negative) else 0.0
            score = float(np.clip(score, -SCORE_CAP, SCORE_CAP)) if math.isfinite(score) else 0.0
            rows.append((
                int(cluster), feature, level_word(score), score, "median ratio" if by_median else "z", z,
                mean, median, pop_mean, pop_median, ratio,
            ))
    return pd.DataFrame(rows, columns=list(LEVEL_COLUMNS))


def levels_by_cluster(levels: pd.DataFrame) -> dict[int, dict[str, dict]]:
    """``feature_levels`` as {cluster: {feature: row dict}} for quick lookups."""
    out: dict[int, dict[str, dict]] = {}
    for row in levels.to_dict("records"):
        out.setdefault(int(row["cluster"]), {})[row["feature"]] = row
    return out


def distinctive_features(profile: Profile, cluster: int, n: int = 3, levels: pd.DataFrame | None = None) -> list[str]:
    """The ``n`` features that most set ``cluster`` apart, by |score|, most distinctive first.

    Only the features the model was clustered on are ranked (they are what made
    the clusters); when none of them is in the profile, every profiled feature
    is. Ties keep the profile's feature order.
    """
    if cluster not in profile.summary.index:
        raise KeyError(f"Cluster {cluster} is not in the profile (clusters: {list(profile.summary.index)}).")
    levels = feature_levels(profile) if levels is None else levels
    rows = levels[levels["cluster"] == cluster]
    among = [f for f in profile.clustered_on if f in profile.features] or list(profile.features)
    rows = rows[rows["feature"].isin(among)]
    order = {f: i for i, f in enumerate(among)}
    ranked = sorted(rows.itertuples(index=False), key=lambda r: (-abs(r.score), order[r.feature]))
    return [r.feature for r in ranked[: max(int(n), 0)]]
