"""Cluster profiles on a six-customer table whose every figure is worked out by hand below."""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import pandas as pd
import pytest

from engine.formatting import cluster_name, neutralise
from engine.results import NOISE, FeatureMatrix
from engine.views.profiles import profile_clusters, profile_csv, profiling_table

IDS = ["C1", "C2", "C3", "C4", "C5", "C6"]
# Clusters: C1-C3 -> 0, C4-C5 -> 1, C6 -> noise.
LABELS = np.array([0, 0, 0, 1, 1, NOISE])


def _features(revenue="monetary", unit="customer") -> FeatureMatrix:
    table = pd.DataFrame(
        {
            "recency_days": [10.0, 20.0, 30.0, 100.0, 200.0, 240.0],
            "monetary": [100.0, 200.0, 300.0, 50.0, 150.0, 400.0],
            "has_account": [1.0, 1.0, 1.0, 1.0, 1.0, 1.0],  # constant: std 0
            "balance": [-5.0, -7.0, -9.0, 0.0, 0.0, 0.0],  # negative numbers must stay numbers in CSV
            "segment_hint": ["a", "b", "c", "d", "e", "f"],  # text: not profiled
        },
        index=pd.Index(IDS, name="customer_id"),
    )
    # Revenue deliberately in reverse order: it must be aligned on the customer id.
    rev = table["monetary"].iloc[::-1].copy() if revenue == "monetary" else None
    shares = pd.DataFrame(
        {
            "Toys": [1.0, 0.5, 0.0, 0.2, 0.5, 0.0],
            "Books": [0.0, 0.5, 1.0, 0.8, 0.0, 1.0],
            "Food": [0.0, 0.0, 0.0, 0.0, 0.3, 0.0],
            "Garden": [0.0, 0.0, 0.0, 0.0, 0.2, 0.0],
        },
        index=table.index,
    )
    attributes = pd.DataFrame({"region": ["North", "North", "South", "East", None, "West"]}, index=table.index)
    return FeatureMatrix(
        table=table,
        X=np.zeros((6, 2)),
        names=["recency_days", "monetary"],
        unit=unit,
        scaling="standard",
        log=[],
        labels={"recency_days": "Recency (days)", "monetary": "Spend"},
        revenue=rev,
        attributes=attributes,
        category_shares=shares,
    )


@pytest.fixture
def profile():
    return profile_clusters(_features(), LABELS)


def test_sizes_add_up_and_noise_has_its_own_row(profile):
    s = profile.summary
    assert list(s.index) == [0, 1, NOISE]  # clusters ascending, noise last
    assert s["size"].tolist() == [3, 2, 1]
    assert s["size"].sum() == profile.n_units == 6
    assert s["share"].tolist() == pytest.approx([3 / 6, 2 / 6, 1 / 6])
    for table in (profile.means, profile.medians, profile.totals, profile.standardized):
        assert list(table.index) == [0, 1, NOISE]


def test_revenue_and_revenue_share(profile):
    # Total revenue 100+200+300+50+150+400 = 1200; cluster 0: 600, cluster 1: 200, noise: 400.
    s = profile.summary
    assert s["revenue"].tolist() == pytest.approx([600.0, 200.0, 400.0])
    assert s["revenue_share"].tolist() == pytest.approx([0.5, 1 / 6, 1 / 3])
    assert s["revenue_share"].sum() == pytest.approx(1.0)


def test_means_medians_totals_cover_every_numeric_feature(profile):
    assert profile.features == ["recency_days", "monetary", "has_account", "balance"]
    assert profile.clustered_on == ["recency_days", "monetary"]
    assert profile.means.loc[0, "recency_days"] == pytest.approx(20.0)  # (10+20+30)/3
    assert profile.means.loc[1, "recency_days"] == pytest.approx(150.0)  # (100+200)/2
    assert profile.means.loc[NOISE, "recency_days"] == pytest.approx(240.0)
    assert profile.medians.loc[1, "monetary"] == pytest.approx(100.0)  # median of 50, 150
    assert profile.totals.loc[0, "monetary"] == pytest.approx(600.0)
    assert profile.totals.loc[0, "balance"] == pytest.approx(-21.0)  # -5-7-9


def test_population_statistics_include_noise(profile):
    # recency: mean 600/6 = 100; deviations -90,-80,-70,0,100,140; squares sum 49000; std = sqrt(49000/6)
    assert profile.population_mean["recency_days"] == pytest.approx(100.0)
    assert profile.population_std["recency_days"] == pytest.approx(math.sqrt(49000 / 6))
    assert profile.population_median["recency_days"] == pytest.approx(65.0)  # (30+100)/2


def test_standardized_means_by_hand(profile):
    z = profile.standardized
    recency_std = math.sqrt(49000 / 6)
    assert z.loc[0, "recency_days"] == pytest.approx((20 - 100) / recency_std)  # -0.885
    assert z.loc[NOISE, "recency_days"] == pytest.approx((240 - 100) / recency_std)
    # monetary: mean 200; deviations -100,0,100,-150,-50,200; squares sum 85000
    monetary_std = math.sqrt(85000 / 6)
    assert z.loc[0, "monetary"] == pytest.approx(0.0)  # cluster mean 200 = population mean
    assert z.loc[1, "monetary"] == pytest.approx((100 - 200) / monetary_std)  # -0.840
    # constant feature: std 0 -> 0, not NaN or inf
    assert z["has_account"].tolist() == [0.0, 0.0, 0.0]


def test_top_categories_are_weighted_by_spend(profile):
    # Cluster 0: Toys 100*1 + 200*0.5 = 200, Books 200*0.5 + 300*1 = 400 of 600.
    # (An unweighted mean of the shares would say 50/50.)
    top0 = profile.top_categories[0]
    assert [c for c, _ in top0] == ["Books", "Toys"]
    assert [v for _, v in top0] == pytest.approx([2 / 3, 1 / 3])
    # Cluster 1: C4 (50): Toys 10, Books 40; C5 (150): Toys 75, Food 45, Garden 30; of 200.
    # Top 3 of four: Toys .425, Food .225, Books .2 (Garden .15 is cut).
    top1 = profile.top_categories[1]
    assert [c for c, _ in top1] == ["Toys", "Food", "Books"]
    assert [v for _, v in top1] == pytest.approx([0.425, 0.225, 0.2])
    assert profile.top_categories[NOISE] == [("Books", 1.0)]  # zero shares are not listed


def test_top_categories_without_revenue_use_plain_means():
    profile = profile_clusters(_features(revenue=None), LABELS)
    top0 = dict(profile.top_categories[0])  # Toys (1+.5+0)/3, Books (0+.5+1)/3
    assert top0 == pytest.approx({"Toys": 0.5, "Books": 0.5})
    assert profile.summary["revenue"].isna().all()
    assert profile.summary["revenue_share"].isna().all()


def test_region_mix_counts_units_and_names_missing_region(profile):
    assert profile.region_mix[0] == [("North", pytest.approx(2 / 3)), ("South", pytest.approx(1 / 3))]
    assert profile.region_mix[1] == [("East", 0.5), ("Unknown", 0.5)]
    assert profile.region_mix[NOISE] == [("West", 1.0)]


def test_no_attributes_or_categories_gives_empty_mixes():
    features = _features()
    features.attributes = pd.DataFrame(index=features.table.index)
    features.category_shares = None
    profile = profile_clusters(features, LABELS)
    assert profile.region_mix == {} and profile.top_categories == {}


def test_labels_without_noise_have_no_noise_row():
    profile = profile_clusters(_features(), np.array([1, 1, 0, 0, 0, 1]))
    assert list(profile.summary.index) == [0, 1]
    assert profile.summary["size"].tolist() == [3, 3]


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        (None, "failed"),
        (np.array([0, 1, 0]), "one label per unit"),
        (np.array([0, 0, 1, 1, -2, 0]), "-2"),
        (np.array([0.0, 0.5, 1, 1, 1, 0]), "whole-number"),
    ],
)
def test_bad_labels_are_refused(labels, message):
    with pytest.raises(ValueError, match=message):
        profile_clusters(_features(), labels)


def test_revenue_that_matches_no_unit_is_refused():
    features = _features()
    features.revenue = pd.Series([1.0, 2.0], index=["X", "Y"])
    with pytest.raises(ValueError, match="revenue"):
        profile_clusters(features, LABELS)


def test_profiling_table_has_readable_columns_and_hand_values(profile):
    table = profiling_table(profile, {0: "Loyal spenders"})
    assert list(table.columns[:6]) == [
        "Cluster id", "Cluster", "Customer count", "Share of customers", "Revenue", "Share of revenue",
    ]
    assert "Avg Recency (days)" in table.columns and "Total Spend" in table.columns
    assert "Total Recency (days)" not in table.columns  # a sum of days means nothing
    assert "Avg segment_hint" not in table.columns
    assert table["Cluster"].tolist() == ["Loyal spenders", "Cluster 1", "Unassigned"]
    assert table["Customer count"].sum() == 6
    assert table["Avg Recency (days)"].tolist() == pytest.approx([20.0, 150.0, 240.0])
    assert table["Total Spend"].tolist() == pytest.approx([600.0, 200.0, 400.0])


def test_profiling_table_for_rows_without_revenue_says_rows():
    profile = profile_clusters(_features(revenue=None, unit="row"), LABELS)
    table = profiling_table(profile, labels={"monetary": "Amount"})
    assert "Row count" in table.columns and "Share of rows" in table.columns
    assert "Revenue" not in table.columns and "Share of revenue" not in table.columns
    assert "Avg Amount" in table.columns
    assert "Total Recency (days)" not in table.columns
    only_named = profiling_table(profile, labels={"monetary": "Amount"}, additive={"recency_days"})
    assert "Total Amount" not in only_named.columns and "Total Recency (days)" in only_named.columns
    assert only_named["Total Recency (days)"].sum() == pytest.approx(
        only_named["Avg Recency (days)"].mul(only_named["Row count"]).sum())


def test_csv_neutralises_formulas_and_keeps_numbers(profile):
    names = {0: '=HYPERLINK("http://evil.example","click")', 1: "+SUM(A1:A9)", NOISE: "@cmd"}
    rows = list(csv.reader(io.StringIO(profile_csv(profile, names))))
    header, body = rows[0], rows[1:]
    col = {name: i for i, name in enumerate(header)}
    assert [r[col["Cluster"]] for r in body] == [
        '\'=HYPERLINK("http://evil.example","click")', "'+SUM(A1:A9)", "'@cmd",
    ]
    assert [r[col["Cluster id"]] for r in body] == ["0", "1", "-1"]  # numbers are not prefixed
    assert float(body[0][col["Avg balance"]]) == pytest.approx(-7.0)
    assert not body[0][col["Avg balance"]].startswith("'")
    assert len(body) == 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [("=1+1", "'=1+1"), ("-2", "'-2"), ("+x", "'+x"), ("@x", "'@x"), ("\tx", "'\tx"), ("Loyal", "Loyal"), ("", "")],
)
def test_neutralise_cell(text, expected):
    assert neutralise(text) == expected


def test_cluster_name_defaults():
    assert cluster_name(2) == "Cluster 2"
    assert cluster_name(NOISE) == "Unassigned"
    assert cluster_name(2, {2: "Bargain hunters"}) == "Bargain hunters"
    assert cluster_name(2, {2: ""}) == "Cluster 2"  # an empty edit falls back
