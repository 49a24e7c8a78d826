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


def test_an_as_of_before_the_last_date_is_one_sentence(sample_lines):
    from engine.errors import InputError
    from engine.spark.features import features_of

    lines, _, _ = sample_lines
    with pytest.raises(InputError, match="before the last transaction date 2024-12-31; Spark mode analyses the whole"):
        features_of(lines, as_of="2024-06-01")
