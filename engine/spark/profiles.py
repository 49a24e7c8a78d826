"""Cluster profiles aggregated in Spark: the same :class:`~engine.results.Profile` as on one machine.

Sizes, revenue and its shares, means, medians, totals and the standardised means
are Spark aggregations over every customer (medians: ``percentile_approx`` at a
relative error of 1e-6); "share of spend" is the revenue-weighted definition of
:func:`engine.views.profiles.spend_shares`; region mix and top categories too. Only
the per-cluster tables (k rows) reach the driver.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.features.catalogue import SHARE_PREFIX
from engine.results import Profile
from engine.views.profiles import TOP_N

ACCURACY = 1_000_000


def spark_profile(assigned, names: list[str], clustered_on: list[str], share_categories: dict[str, str],
                  labels: dict[str, str], window_days: float | None) -> Profile:
    """``assigned``: per-customer raw features with a ``cluster`` column (canonical ids), in Spark."""
    from pyspark.sql import functions as F

    revenue = "monetary" if "monetary" in names else None
    per = [F.count(F.lit(1)).alias("size")]
    per += [F.avg(n).alias(f"mean|{n}") for n in names] + [F.sum(n).alias(f"total|{n}") for n in names]
    per += [F.percentile_approx(n, 0.5, ACCURACY).alias(f"median|{n}") for n in names]
    weight = F.greatest(F.coalesce(F.col(revenue), F.lit(0.0)), F.lit(0.0)) if revenue else F.lit(1.0)
    shares = [n for n in names if n.startswith(SHARE_PREFIX)]
    per += [F.sum(F.coalesce(F.col(n), F.lit(0.0)) * weight).alias(f"spend|{n}") for n in shares]
    rows = assigned.groupBy("cluster").agg(*per).toPandas().set_index("cluster").sort_index()
    overall = assigned.agg(*[F.avg(n).alias(f"mean|{n}") for n in names],
                           *[F.stddev_pop(n).alias(f"std|{n}") for n in names],
                           *[F.percentile_approx(n, 0.5, ACCURACY).alias(f"median|{n}") for n in names]).toPandas()
    ids = list(rows.index.astype(int))
    n_units = int(rows["size"].sum())

    def table(prefix: str) -> pd.DataFrame:
        frame = rows[[f"{prefix}|{n}" for n in names]].astype(float)
        return frame.set_axis(names, axis=1).set_axis(pd.Index(ids, name="cluster"))

    def series(prefix: str) -> pd.Series:
        return pd.Series([float(overall[f"{prefix}|{n}"].iloc[0]) if overall[f"{prefix}|{n}"].iloc[0] is not None
                          else np.nan for n in names], index=names)

    means, medians, totals = table("mean"), table("median"), table("total")
    population_mean, population_std = series("mean"), series("std").fillna(0.0)
    if shares:
        spend = rows[[f"spend|{n}" for n in shares]].astype(float).set_axis(shares, axis=1).set_axis(means.index)
        by_cluster = spend.div(spend.sum(axis=1).where(spend.sum(axis=1) > 0), axis=0)
        means[shares] = by_cluster.fillna(means[shares])
        total = spend.sum()
        population_mean[shares] = (total / total.sum() if total.sum() > 0 else total * np.nan).fillna(
            population_mean[shares])
    safe_std = population_std.where(population_std > 0)
    standardized = ((means - population_mean) / safe_std).fillna(0.0)
    sizes = rows["size"].astype(int).set_axis(means.index)
    summary = pd.DataFrame({"size": sizes, "share": sizes / n_units})
    if revenue:
        cluster_revenue = totals[revenue]
        total_revenue = float(cluster_revenue.sum())
        summary["revenue"] = cluster_revenue
        summary["revenue_share"] = cluster_revenue / total_revenue if total_revenue > 0 else np.nan
    else:
        summary["revenue"], summary["revenue_share"] = np.nan, np.nan
    for frame in (summary, means, medians, totals, standardized):
        frame.index.name = "cluster"
    top = {}
    if shares:
        names_by_column = {column: category for category, column in share_categories.items()}
        for cluster in ids:
            row = means.loc[cluster, shares].dropna()
            ranked = sorted(((names_by_column.get(c, c), float(v)) for c, v in row.items() if v > 0),
                            key=lambda t: (-t[1], t[0]))
            top[cluster] = ranked[:TOP_N]
    return Profile(unit="customer", n_units=n_units, summary=summary, means=means, medians=medians, totals=totals,
                   standardized=standardized, population_mean=population_mean, population_median=series("median"),
                   population_std=population_std, features=list(names), clustered_on=list(clustered_on),
                   top_categories=top, region_mix=_region_mix(assigned) if "region" in assigned.columns else {},
                   feature_labels=dict(labels), window_days=window_days)


def _region_mix(assigned) -> dict[int, list[tuple[str, float]]]:
    from pyspark.sql import functions as F

    counts = assigned.groupBy("cluster", F.coalesce(F.col("region"), F.lit("Unknown")).alias("region")) \
        .count().toPandas()
    out = {}
    for cluster, group in counts.groupby("cluster"):
        total = group["count"].sum()
        ranked = sorted(((str(r), n / total) for r, n in zip(group["region"], group["count"], strict=True)),
                        key=lambda t: (-t[1], t[0]))
        out[int(cluster)] = [(r, float(s)) for r, s in ranked[:TOP_N]]
    return out
