"""Spark mode computes the same lines, quality counts and customer features as one machine, on the bundled sample."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.features.matrix import customer_features


def test_cleaning_counts_match_the_single_machine_loader(sample_lines, local_sample):
    _, _, quality = sample_lines
    local = local_sample.quality
    assert quality.rows_read == local.rows_read == 20_110
    assert (quality.rows_used, quality.customers) == (local.rows_used, local.customers)
    assert (quality.duplicate_rows, quality.returns, quality.rows_missing_customer) == (
        local.duplicate_rows, local.returns, local.rows_missing_customer)
    assert quality.duplicate_rows > 0 and quality.returns > 0  # the sample exercises both rules
    assert (quality.date_min, quality.date_max) == (local.date_min, local.date_max)


def test_every_customer_feature_equals_the_single_machine_value(sample_lines, local_sample):
    from engine.spark.features import features_of

    lines, _, _ = sample_lines
    frame, names, shares, categorical = features_of(lines)
    got = frame.toPandas().set_index("customer_id").sort_index()
    table, attributes, _ = customer_features(local_sample)
    assert list(got.index) == list(table.index)  # the same customers, none lost or added
    assert names + list(shares.values()) == list(table.columns)  # the same features, catalogue order
    assert len(names) >= 10 and len(shares) == 5
    for name in table.columns:
        np.testing.assert_allclose(got[name].to_numpy(), table[name].to_numpy(), rtol=1e-9, atol=0, err_msg=name)
    assert categorical == ["region"]
    pd.testing.assert_series_equal(got["region"], attributes["region"].astype(object), check_dtype=False)


def test_as_of_and_exclude_returns_follow_the_project(spark, local_sample):
    from engine.analysis.steps import load
    from engine.project import demo_project
    from engine.spark.dataset import load_lines
    from engine.spark.features import features_of

    project = demo_project()
    project.data.returns = "exclude"
    project.data.as_of = "2025-02-01"
    lines, _, quality = load_lines(spark, project)
    local = load(project)
    assert quality.rows_used == local.quality.rows_used < local_sample.quality.rows_used
    frame, _, _, _ = features_of(lines, as_of=project.data.as_of)
    got = frame.toPandas().set_index("customer_id").sort_index()
    table, _, _ = customer_features(local, as_of=project.data.as_of)
    for name in ("recency_days", "monetary", "tenure_days", "mean_days_between_orders"):
        np.testing.assert_allclose(got[name].to_numpy(), table[name].to_numpy(), rtol=1e-9, err_msg=name)


def test_features_at_a_past_as_of_equal_the_single_machine_features(sample_lines, local_sample):
    """Only the lines up to the analysis date count, recency and tenure run from it, later customers are left out."""
    from engine.features.period import lines_after
    from engine.spark.features import features_of, lines_up_to

    lines, _, quality = sample_lines
    as_of = "2024-06-30"
    cut = lines_up_to(lines, as_of)
    assert cut.after_as_of == lines_after(local_sample, as_of) > 0
    frame, names, shares, _ = features_of(cut, as_of)
    got = frame.toPandas().set_index("customer_id").sort_index()
    table, _, _ = customer_features(local_sample, as_of=as_of)
    assert list(got.index) == list(table.index) and 0 < len(table) < quality.customers  # later customers left out
    assert names + list(shares.values()) == list(table.columns)
    for name in table.columns:
        np.testing.assert_allclose(got[name].to_numpy(), table[name].to_numpy(), rtol=1e-9, atol=0, err_msg=name)
    uncut = features_of(lines, as_of)[0].toPandas().set_index("customer_id").sort_index()  # the cut inside
    np.testing.assert_allclose(uncut["recency_days"].to_numpy(), table["recency_days"].to_numpy(), rtol=1e-9)


@pytest.fixture(scope="module")
def spark_at_past_as_of(spark):
    """A short Spark build (k-means, k = 5) of the bundled sample as of a date inside the data."""
    from engine.project import demo_project
    from engine.spark.build import run_spark

    project = demo_project()
    project.data.as_of = "2024-06-30"
    project.clustering.algorithms, project.clustering.k_range = ["kmeans"], (5, 5)
    project.clustering.stability_resamples = 0  # measured in the build test (test_spark_build.py)
    return run_spark(project).result, project.data.as_of


def test_a_spark_build_at_a_past_as_of_says_what_it_left_out(spark_at_past_as_of, local_sample):
    from engine.features.matrix import customer_features
    from engine.features.period import cut_sentence, lines_after

    result, as_of = spark_at_past_as_of
    n_after = lines_after(local_sample, as_of)
    kept = len(customer_features(local_sample, as_of=as_of)[0])
    assert result.features.lines_after_as_of == n_after
    assert result.profile.n_units == kept
    assert result.features.warnings[0] == cut_sentence(as_of, n_after, local_sample.quality.customers - kept)
    assert "customers whose first purchase came after it are not in the analysis" in result.features.warnings[0]
    assert f"{kept:,} customers" in " ".join(result.narrative["methodology"])


def test_an_as_of_before_the_first_date_is_the_single_machine_sentence(sample_lines, local_sample):
    from engine.errors import InputError
    from engine.features.period import lines_up_to as local_cut
    from engine.spark.features import features_of

    lines, _, _ = sample_lines
    with pytest.raises(InputError) as local:
        local_cut(local_sample.transactions, "2020-01-01")
    with pytest.raises(InputError, match="before the first transaction date") as spark:
        features_of(lines, as_of="2020-01-01")
    assert str(spark.value) == str(local.value) and spark.value.field == "data.as_of"
