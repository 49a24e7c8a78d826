"""One number per fact: share of spend, totals and levels read the same wherever the report prints them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.features.catalogue import FEATURES
from engine.report.assets import ChartImage
from engine.report.context import ReportContext
from engine.report.section_segments import build_characteristics, build_profiling, build_segments
from engine.results import FeatureMatrix
from engine.views.profiles import is_additive, profile_clusters, profiling_table


def _ctx(result) -> ReportContext:
    return ReportContext(result=result, options=result.project.report, generated_at="2025-01-01",
                         chart_renderer=lambda spec, key: ChartImage("", 0.0, 0.0, False))


def test_share_of_spend_is_the_same_number_in_the_profile_table_and_on_the_segment_pages(demo_result):
    ctx = _ctx(demo_result)
    profiling, segments = build_profiling(ctx), build_segments(ctx)
    by_label = {}
    for block in profiling["blocks"]:
        for row in block["averages"]:
            for cluster, value in zip(block["clusters"], row["cells"], strict=True):
                by_label[(row["label"], cluster["name"])] = value
    compared = 0
    for segment in segments["segments"]:
        for category, share in segment["categories"]:
            assert by_label[(f"Share of spend: {category}", segment["name"])] == pytest.approx(share, abs=1e-12)
            compared += 1
    assert compared >= 10  # five segments, their top categories


def test_share_of_spend_weighs_each_customer_by_spend_not_one_vote_each():
    # One segment: a customer spending 100, all on toys, and one spending 900, all on books.
    table = pd.DataFrame({"monetary": [100.0, 900.0, 50.0, 50.0], "share_toys": [1.0, 0.0, 0.5, 0.0],
                          "share_books": [0.0, 1.0, 0.5, 1.0]})
    shares = table[["share_toys", "share_books"]].set_axis(["Toys", "Books"], axis=1)
    features = FeatureMatrix(table=table, X=np.zeros((4, 1)), names=["monetary"], unit="customer", scaling="standard",
                             log=[], labels={}, revenue=table["monetary"], category_shares=shares)
    profile = profile_clusters(features, np.array([0, 0, 1, 1]))
    assert profile.means.loc[0, "share_toys"] == pytest.approx(0.1)  # 100 of 1,000 (the plain mean says 0.5)
    assert profile.means.loc[1, "share_toys"] == pytest.approx(0.25)  # 25 of 100
    assert profile.population_mean["share_toys"] == pytest.approx(125 / 1100)
    assert dict(profile.top_categories[0]) == pytest.approx({"Books": 0.9, "Toys": 0.1})
    assert profile.medians.loc[0, "share_toys"] == pytest.approx(0.5)  # medians stay per customer


def test_no_ratio_average_price_or_duration_is_ever_totalled(demo_result):
    for name, entry in FEATURES.items():
        per_something = name.startswith(("avg_", "mean_")) or " per " in entry.label.lower()
        if entry.additive:
            assert not per_something and entry.unit in ("orders", "currency", "items"), name
    assert not is_additive("share_books") and not is_additive("avg_items_per_order")
    profiling = build_profiling(_ctx(demo_result))
    totalled = {row["key"] for block in profiling["blocks"] for row in block["totals"]}
    assert totalled and all(is_additive(key) for key in totalled)
    assert "avg_items_per_order" in demo_result.profile.features and "avg_items_per_order" not in totalled
    columns = profiling_table(demo_result.profile).columns  # the profiles CSV
    totals = {c.removeprefix("Total ") for c in columns if c.startswith("Total ")}
    labels = {f: demo_result.profile.feature_labels.get(f, f) for f in demo_result.profile.features}
    assert totals == {labels[f] for f in labels if is_additive(f)} and "Items per order" not in totals


def test_the_heatmap_shows_the_level_words_of_the_characteristics_table(demo_result):
    ctx = _ctx(demo_result)
    data = build_characteristics(ctx)
    (section, key, spec), = ctx.charts
    assert (section, key) == ("", "heatmap")  # built outside build_report: no section set
    cells = {(c["cluster"], c["feature"]): c for c in spec["datasets"]["cells"]}
    for row in data["rows"]:
        for feature, cell in zip(data["features"], row["cells"], strict=True):
            drawn = cells[(row["name"], feature["label"])]
            assert drawn["level"] == cell["level"]
            number = cell["basis"].replace(" median", "")  # the table says "0.45× median", the chart "0.45×"
            assert drawn["text"] == number, (row["name"], feature["label"])
    assert "capped" not in str(spec["title"])
