"""Describe each cluster on the raw feature scale: sizes, revenue, means, mix.

The profile is what the names, the narrative and the report tables are built
from, so it is computed once here. Noise points (``NOISE``) get a row of their
own in every table so that sizes add up to the number of units analysed;
population statistics are over *all* units, noise included, because the
population is what the client's data contains.
"""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd

from engine.features.catalogue import SHARE_PREFIX
from engine.formatting import cluster_name, neutralise
from engine.results import NOISE, FeatureMatrix, Profile

TOP_N = 3  # categories / regions listed per cluster


def profile_clusters(features: FeatureMatrix, labels: np.ndarray) -> Profile:
    """Profile every cluster of ``labels`` on every numeric feature of ``features.table``.

    Parameters
    ----------
    features : FeatureMatrix
        Raw feature table (one row per unit), revenue, attributes and category shares.
    labels : ndarray of int
        Cluster id per unit in ``features.table`` order; ``NOISE`` for unassigned.

    Returns
    -------
    Profile
        Tables indexed by cluster id in ascending order, with ``NOISE`` last when present.
    """
    table = features.table
    labels = _check_labels(labels, len(table))
    numeric = table.select_dtypes(include="number")
    names = [str(c) for c in numeric.columns]
    numeric = numeric.set_axis(names, axis=1).astype(float).set_axis(pd.RangeIndex(len(table)))
    ids = _cluster_order(labels)
    groups = pd.Series(labels, index=numeric.index, name="cluster")

    revenue = _aligned(features.revenue, table.index, "revenue")
    revenue = revenue.astype(float) if revenue is not None else None
    grouped = numeric.groupby(groups)
    means = grouped.mean().reindex(ids)
    medians = grouped.median().reindex(ids)
    totals = grouped.sum(min_count=1).reindex(ids)
    population_mean = numeric.mean()
    share_columns = [n for n in names if n.startswith(SHARE_PREFIX)]
    if share_columns:  # "share of spend" means one thing everywhere: the group's share of its spend
        by_cluster, overall = spend_shares(numeric[share_columns], revenue, groups, ids)
        means[share_columns] = by_cluster.fillna(means[share_columns])
        population_mean[share_columns] = overall.fillna(population_mean[share_columns])
    population_std = numeric.std(ddof=0).fillna(0.0)  # population std: all units, not a sample
    safe_std = population_std.where(population_std > 0)
    standardized = ((means - population_mean) / safe_std).fillna(0.0)  # std 0: no difference to show

    sizes = groups.value_counts().reindex(ids).astype(int)
    summary = pd.DataFrame({"size": sizes, "share": sizes / len(labels)})
    if revenue is not None:
        cluster_revenue = revenue.groupby(groups).sum(min_count=1).reindex(ids)
        total_revenue = float(revenue.sum())
        summary["revenue"] = cluster_revenue
        summary["revenue_share"] = cluster_revenue / total_revenue if total_revenue > 0 else np.nan
    else:
        summary["revenue"] = np.nan
        summary["revenue_share"] = np.nan
    for frame in (summary, means, medians, totals, standardized):
        frame.index.name = "cluster"

    return Profile(
        unit=features.unit,
        n_units=len(labels),
        summary=summary,
        means=means,
        medians=medians,
        totals=totals,
        standardized=standardized,
        population_mean=population_mean,
        population_median=numeric.median(),
        population_std=population_std,
        features=names,
        clustered_on=list(features.names),
        top_categories=_top_categories(features.category_shares, revenue, groups, ids, table.index),
        region_mix=_region_mix(features.attributes, groups, ids, table.index),
        feature_labels=dict(features.labels),
        window_days=features.window_days,
    )


def is_additive(feature: str) -> bool:
    """Whether a cluster total of the feature means something (catalogue flag; columns: no).

    Totals of days, prices, averages or shares are sums of nothing; only revenue,
    orders and items add up. Raw columns carry no such knowledge, so they get none.
    """
    from engine.features.catalogue import feature_def

    entry = feature_def(feature)
    return bool(entry is not None and entry.additive)


def profiling_table(
    profile: Profile,
    names: dict[int, str] | None = None,
    labels: dict[str, str] | None = None,
    additive: set[str] | None = None,
) -> pd.DataFrame:
    """The classic profiling table: count, shares, the average of each feature, totals of additive ones.

    Column names are for people ("Customer count", "Avg Recency", "Total Monetary");
    ``labels`` overrides the feature labels the profile carries. Revenue columns
    are left out when revenue is unknown. ``additive`` names the features that get
    a total (default: the catalogue's additive features, see :func:`is_additive`).
    """
    labels = {**profile.feature_labels, **(labels or {})}
    unit = _unit_word(profile.unit)
    s = profile.summary
    out = pd.DataFrame(index=s.index)
    out["Cluster id"] = s.index.astype(int)
    out["Cluster"] = [cluster_name(int(c), names) for c in s.index]
    out[f"{unit.capitalize()} count"] = s["size"].astype(int)
    out[f"Share of {unit}s"] = s["share"]
    if s["revenue"].notna().any():
        out["Revenue"] = s["revenue"]
        out["Share of revenue"] = s["revenue_share"]
    for feature in profile.features:
        label = labels.get(feature, feature)
        out[f"Avg {label}"] = profile.means[feature]
        if (feature in additive) if additive is not None else is_additive(feature):
            out[f"Total {label}"] = profile.totals[feature]
    return out.reset_index(drop=True)


def profile_csv(profile: Profile, names: dict[int, str] | None = None) -> str:
    """The profiling table as CSV text that a spreadsheet cannot run as formulas.

    Text cells (names, headers) starting with ``= + - @`` or a tab/CR get a
    leading single quote (OWASP CSV injection); numbers are written as numbers.
    """
    table = profiling_table(profile, names)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([neutralise(str(c)) for c in table.columns])
    for row in table.itertuples(index=False):
        writer.writerow([_csv_value(v) for v in row])
    return buffer.getvalue()


# ---- helpers ---------------------------------------------------------------


def _check_labels(labels, n_units: int) -> np.ndarray:
    if labels is None:
        raise ValueError("labels is None: the chosen run failed, so there are no clusters to profile.")
    labels = np.asarray(labels)
    if labels.ndim != 1 or len(labels) != n_units:
        raise ValueError(f"labels has shape {labels.shape}; expected one label per unit ({n_units}).")
    if n_units == 0:
        raise ValueError("There are no units to profile.")
    if not np.issubdtype(labels.dtype, np.integer):
        if not np.all(np.equal(np.mod(labels, 1), 0)):
            raise ValueError("labels must be whole-number cluster ids.")
        labels = labels.astype(int)
    if labels.min() < NOISE:
        raise ValueError(f"labels contains {labels.min()}; ids are 0..m-1 with {NOISE} for noise.")
    return labels


def _cluster_order(labels: np.ndarray) -> list[int]:
    ids = sorted(int(c) for c in np.unique(labels) if c != NOISE)
    return ids + [NOISE] if (labels == NOISE).any() else ids


def _aligned(values, index: pd.Index, what: str):
    """A per-unit table/series in ``features.table`` order, with a RangeIndex (or None)."""
    if values is None:
        return None
    if values.index.equals(index):
        aligned = values
    elif index.isin(values.index).all() and values.index.is_unique:
        aligned = values.reindex(index)
    elif len(values) == len(index):
        aligned = values  # same length, different index: rows are in table order
    else:
        raise ValueError(f"features.{what} has {len(values)} rows and does not match the {len(index)} units.")
    return aligned.set_axis(pd.RangeIndex(len(index)), axis=0)


def spend_shares(shares: pd.DataFrame, revenue, groups: pd.Series, ids: list[int]) -> tuple[pd.DataFrame, pd.Series]:
    """The one definition of "share of spend": each group's spend on a category over its spend on all of them.

    ``shares`` holds each unit's share of its own spend per category; weighted by the
    unit's revenue and summed over the group, they give the group's spend per category
    (an unweighted mean of the shares would let a customer spending 10 count as much as
    one spending 10,000). Net returns can make a unit's revenue negative; it then
    carries no weight. Without revenue every unit weighs the same.

    Returns
    -------
    (DataFrame, Series)
        Cluster x category shares (NaN for a cluster with no spend on any category),
        and the same for all units together.
    """
    shares = shares.astype(float).fillna(0.0)
    weights = revenue.clip(lower=0).fillna(0.0) if revenue is not None else pd.Series(1.0, index=shares.index)
    weighted = shares.mul(weights, axis=0)
    by_cluster = weighted.groupby(groups).sum().reindex(ids, fill_value=0.0)
    totals = by_cluster.sum(axis=1)
    overall = weighted.sum()
    return by_cluster.div(totals.where(totals > 0), axis=0), overall / overall.sum() if overall.sum() > 0 else overall * np.nan


def _top_categories(shares, revenue, groups, ids, index) -> dict[int, list[tuple[str, float]]]:
    """Top categories by share of each cluster's spend (:func:`spend_shares`)."""
    shares = _aligned(shares, index, "category_shares")
    if shares is None or shares.shape[1] == 0:
        return {}
    by_cluster, _ = spend_shares(shares, revenue, groups, ids)
    result = {}
    for cluster in ids:
        row = by_cluster.loc[cluster].dropna()
        ranked = sorted(((str(c), float(v)) for c, v in row.items() if v > 0), key=lambda t: (-t[1], t[0]))
        result[cluster] = ranked[:TOP_N]
    return result


def _region_mix(attributes, groups, ids, index) -> dict[int, list[tuple[str, float]]]:
    """Top regions by share of the cluster's units (missing region counted as "Unknown")."""
    if attributes is None or "region" not in attributes.columns:
        return {}
    region = _aligned(attributes["region"], index, "attributes")
    region = region.astype("str").where(region.notna(), "Unknown")
    result = {}
    for cluster in ids:
        counts = region[groups == cluster].value_counts()
        ranked = sorted(((str(r), n / counts.sum()) for r, n in counts.items()), key=lambda t: (-t[1], t[0]))
        result[cluster] = [(r, float(s)) for r, s in ranked[:TOP_N]]
    return result


def _unit_word(unit: str) -> str:
    return "customer" if unit == "customer" else "row"


def _csv_value(value):
    if isinstance(value, str):
        return neutralise(value)
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return value
