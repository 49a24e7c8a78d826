"""Hand-built profiles for the narrative tests (imported by the other test_narrative_* modules).

Each group of units gets the values given for it, spread by the factors
0.8, 0.9, 1.0, 1.1, 1.2 in turn; with group sizes a multiple of five, a group's
mean and median are exactly the given value, so expected levels can be worked
out by hand from the table below each fixture.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.results import NOISE, FeatureMatrix, Profile
from engine.views.profiles import profile_clusters

SPREAD = (0.8, 0.9, 1.0, 1.1, 1.2)
LABELS = {
    "recency_days": "Recency", "frequency": "Frequency", "monetary": "Monetary",
    "avg_items_per_order": "Items per order", "avg_unit_price": "Average unit price", "tenure_days": "Tenure",
    "total_quantity": "Total quantity",
}

# Five planted segments shaped like the bundled sample (medians measured on it, rounded).
# name: (size, recency_days, frequency, monetary, avg_items_per_order, avg_unit_price, tenure_days)
RETAIL_GROUPS = {
    "champions": (15, 15, 23, 4600, 2.5, 70, 750),
    "bulk": (20, 60, 9, 1750, 14, 14, 630),
    "premium": (15, 100, 3, 940, 1.3, 250, 550),
    "lapsed": (25, 420, 3, 150, 2.2, 31, 750),
    "new": (25, 25, 1.5, 80, 2, 29, 47),
}
RETAIL_FEATURES = ("recency_days", "frequency", "monetary", "avg_items_per_order", "avg_unit_price", "tenure_days")


def build_table(groups: list[tuple[int, dict[str, float]]]) -> tuple[pd.DataFrame, np.ndarray]:
    """Rows for each (size, values) group and the group number of every row."""
    rows, labels = [], []
    for group, (size, values) in enumerate(groups):
        for i in range(size):
            rows.append({k: v * SPREAD[i % len(SPREAD)] for k, v in values.items()})
            labels.append(group)
    table = pd.DataFrame(rows)
    table.index = pd.Index([f"C{i:04d}" for i in range(len(table))], name="customer_id")
    return table, np.array(labels)


def build_profile(
    groups: list[tuple[int, dict[str, float]]], unit: str = "customer", revenue: str | None = "monetary",
    labels: dict[str, str] | None = None, noise_group: int | None = None, clustered_on: list[str] | None = None,
    category_shares: pd.DataFrame | None = None, window_days: float | None = None,
) -> Profile:
    """Profile of the groups as clusters 0..n-1 (``noise_group`` becomes cluster -1)."""
    table, cluster = build_table(groups)
    return profile_table(table, cluster, unit=unit, revenue=revenue, labels=labels, noise_group=noise_group,
                         clustered_on=clustered_on, category_shares=category_shares, window_days=window_days)


def profile_table(
    table: pd.DataFrame, cluster: np.ndarray, unit: str = "customer", revenue: str | None = "monetary",
    labels: dict[str, str] | None = None, noise_group: int | None = None, clustered_on: list[str] | None = None,
    category_shares: pd.DataFrame | None = None, window_days: float | None = None,
) -> Profile:
    """Profile of a hand-made table (one row per unit) with the given cluster of every row."""
    cluster = np.asarray(cluster)
    if noise_group is not None:
        cluster = np.where(cluster == noise_group, NOISE, cluster)
        cluster = np.where(cluster > noise_group, cluster - 1, cluster)
    features = FeatureMatrix(
        table=table, X=np.zeros((len(table), 1)), names=clustered_on or list(table.columns), unit=unit,
        scaling="standard", log=[], labels=labels if labels is not None else {c: LABELS.get(c, c) for c in table},
        revenue=table[revenue] if revenue else None, category_shares=category_shares, window_days=window_days,
    )
    return profile_clusters(features, cluster)


def retail_groups(names=tuple(RETAIL_GROUPS)) -> list[tuple[int, dict[str, float]]]:
    return [(RETAIL_GROUPS[n][0], dict(zip(RETAIL_FEATURES, RETAIL_GROUPS[n][1:], strict=True))) for n in names]


def retail_profile(**kwargs) -> Profile:
    """Clusters 0..4 = champions, bulk, premium, lapsed, new."""
    return build_profile(retail_groups(), **kwargs)


MALL_GROUPS = [  # size, Age, Annual Income (k$), Spending Score (1-100): the classic five Mall Customers groups
    (40, {"Age": 33, "Annual Income (k$)": 87, "Spending Score (1-100)": 82}),
    (35, {"Age": 41, "Annual Income (k$)": 88, "Spending Score (1-100)": 17}),
    (80, {"Age": 43, "Annual Income (k$)": 55, "Spending Score (1-100)": 50}),
    (20, {"Age": 25, "Annual Income (k$)": 26, "Spending Score (1-100)": 79}),
    (25, {"Age": 45, "Annual Income (k$)": 26, "Spending Score (1-100)": 21}),
]


def mall_profile() -> Profile:
    return build_profile(MALL_GROUPS, revenue=None, labels={})


def test_group_means_and_medians_are_the_given_values():
    profile = retail_profile()
    assert profile.means.loc[0, "monetary"] == pytest.approx(4600)
    assert profile.medians.loc[3, "recency_days"] == pytest.approx(420)
    assert profile.summary["size"].tolist() == [15, 20, 15, 25, 25]
    assert profile.n_units == 100


def test_noise_group_becomes_cluster_minus_one():
    profile = build_profile(retail_groups()[:3], noise_group=1)
    assert list(profile.summary.index) == [0, 1, NOISE]
    assert profile.means.loc[NOISE, "monetary"] == pytest.approx(1750)
    assert profile.means.loc[1, "monetary"] == pytest.approx(940)
