"""Levels and distinctive features on a six-customer profile worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from engine.narrative import (
    LEVELS,
    THRESHOLDS,
    compares_medians,
    distinctive_features,
    feature_levels,
    level_word,
)
from engine.results import FeatureMatrix
from engine.views.profiles import profile_clusters
from tests.engine.narrative.test_fixtures import build_profile, retail_profile

MONETARY = [8.0, 18.0, 30.0, 32.0, 45.0, 1000.0]  # cluster 0: first three; cluster 1: last three (one whale)
AGE = [16.0, 19.8, 24.0, 32.0, 37.8, 44.0]  # symmetric


@pytest.fixture
def profile():
    table = pd.DataFrame({"monetary": MONETARY, "age": AGE}, index=pd.Index([f"C{i}" for i in range(6)]))
    features = FeatureMatrix(table=table, X=np.zeros((6, 2)), names=["monetary", "age"], unit="customer",
                             scaling="standard", log=[], labels={}, revenue=table["monetary"])
    return profile_clusters(features, np.array([0, 0, 0, 1, 1, 1]))


def test_level_word_thresholds_are_inclusive_as_documented():
    assert THRESHOLDS == (-1.0, -0.35, 0.35, 1.0)
    assert [level_word(z) for z in (-1.0, -0.99, -0.35, -0.34, 0.0, 0.34, 0.35, 0.99, 1.0, 3.0)] == [
        "very low", "low", "low", "average", "average", "average", "high", "high", "very high", "very high"]
    assert level_word(float("nan")) == "average"
    assert set(LEVELS) == {"very low", "low", "average", "high", "very high"}


def test_heavy_tailed_money_is_compared_by_medians_and_symmetric_features_by_z(profile):
    # monetary: mean 1133/6 = 188.83, median (30+32)/2 = 31, std 364.3 -> Pearson 3*(188.83-31)/364.3 = 1.30
    # age: mean 28.93, median 28 -> Pearson 3*0.93/9.74 = 0.29 < 0.5 -> z
    assert compares_medians(profile, "monetary")
    assert not compares_medians(profile, "age")
    levels = feature_levels(profile).set_index(["cluster", "feature"])
    money0, money1 = levels.loc[(0, "monetary")], levels.loc[(1, "monetary")]
    assert money0["basis"] == "median ratio"
    assert money0["cluster_median"] == pytest.approx(18)
    assert money0["population_median"] == pytest.approx(31)
    assert money0["ratio"] == pytest.approx(18 / 31)
    assert money0["score"] == pytest.approx(math.log2(18 / 31))  # -0.78 -> low
    assert money0["level"] == "low"
    assert money1["ratio"] == pytest.approx(45 / 31)  # log2 = 0.54 -> high (the whale does not make it "very high")
    assert money1["level"] == "high"
    assert money1["cluster_mean"] == pytest.approx(1077 / 3)
    age0 = levels.loc[(0, "age")]
    mean = sum(AGE) / 6
    std = math.sqrt(sum((v - mean) ** 2 for v in AGE) / 6)
    assert age0["basis"] == "z"
    assert age0["z"] == pytest.approx((59.8 / 3 - mean) / std)  # -0.92 -> low
    assert age0["score"] == age0["z"]
    assert age0["level"] == "low"
    assert age0["ratio"] == pytest.approx((59.8 / 3) / mean)
    assert levels.loc[(1, "age"), "level"] == "high"


def test_levels_table_has_the_documented_columns_and_one_row_per_cluster_and_feature(profile):
    levels = feature_levels(profile)
    assert list(levels.columns) == ["cluster", "feature", "level", "score", "basis", "z", "cluster_mean",
                                    "cluster_median", "population_mean", "population_median", "ratio"]
    assert len(levels) == 2 * 2
    assert set(levels["level"]) <= set(LEVELS)


def test_recency_level_is_about_the_number_not_about_goodness():
    profile = retail_profile()
    levels = feature_levels(profile).set_index(["cluster", "feature"])
    assert levels.loc[(3, "recency_days"), "level"] == "very high"  # lapsed: 420 days vs median 60
    assert levels.loc[(0, "recency_days"), "level"] == "very low"  # champions: 15 days


def test_zero_and_missing_medians_do_not_crash_or_mislead():
    groups = [(5, {"spend": 0.0, "visits": 1.0}), (5, {"spend": 10.0, "visits": 2.0}),
              (5, {"spend": 20.0, "visits": 3.0}), (5, {"spend": 400.0, "visits": 40.0})]
    levels = feature_levels(build_profile(groups, revenue=None, labels={})).set_index(["cluster", "feature"])
    assert levels.loc[(0, "spend"), "level"] == "very low"
    assert levels["score"].abs().max() <= 4.0  # capped


def test_distinctive_features_rank_by_absolute_score_among_clustered_features():
    profile = retail_profile()
    # lapsed: recency 420 vs median 60 -> log2(7) = 2.8; monetary 150 vs 940 -> -2.6; others smaller
    assert distinctive_features(profile, 3, n=2) == ["recency_days", "monetary"]
    assert len(distinctive_features(profile, 3, n=10)) == 6
    assert distinctive_features(profile, 3, n=0) == []
    only_price = build_profile([(5, {"a": 1.0, "b": 1.0}), (5, {"a": 9.0, "b": 1.5})], labels={},
                               clustered_on=["b"], revenue=None)
    assert distinctive_features(only_price, 0) == ["b"]  # "a" differs more but was not clustered on


def test_distinctive_features_of_unknown_cluster_raise():
    with pytest.raises(KeyError, match="Cluster 9"):
        distinctive_features(retail_profile(), 9)
