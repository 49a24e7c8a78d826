"""Number and date formats of the report (engine.report.filters)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from engine import formatting
from engine.report import filters as f


@pytest.mark.parametrize("missing", [None, float("nan"), np.nan, math.inf, -math.inf, pd.NA])
def test_missing_values_print_as_a_dash_in_every_format(missing):
    for name in ("integer", "number", "metric", "pct", "money", "days", "signed"):
        assert f.FILTERS[name](missing) == formatting.MISSING, name
    assert f.feature_value(missing, "currency") == formatting.MISSING


def test_integer_and_number_use_thousands_separators():
    assert f.integer(1234567.4) == "1,234,567"
    assert f.integer(np.int64(-2500)) == "-2,500"
    assert f.number(1234.5678) == "1,234.57"
    assert f.money(98765.4321) == "98,765.43"
    assert f.money(98765.4321, 0) == "98,765"


def test_metrics_use_the_decimals_shared_with_the_summary_json():
    assert f.metric(0.749149, "davies_bouldin") == "0.7491"
    assert formatting.round_metric("davies_bouldin", 0.749149) == 0.7491
    assert f.metric(12345.678, "calinski_harabasz") == "12,345.7"
    assert formatting.round_metric("calinski_harabasz", 12345.678) == 12345.7
    assert f.metric(0.5, "an_unknown_metric") == "0.5000"
    assert formatting.round_metric("silhouette", float("nan")) is None


def test_percentages_come_from_the_same_rounding_as_the_json_share():
    assert f.pct(0.2346) == "23.5%"
    assert formatting.round_share(0.123456) == 0.1235
    assert f.pct(0.123456) == "12.3%"
    assert f.pct(1.0) == "100.0%"
    assert f.pct(0.0) == "0.0%"


def test_days_are_singular_for_one_day():
    assert f.days(1) == "1 day"
    assert f.days(45.4) == "45 days"
    assert f.days(1.26, 1) == "1.3 days"


def test_signed_differences_use_a_true_minus_sign():
    assert f.signed(0.534) == "+0.53"
    assert f.signed(-1.2) == "\u22121.20"


def test_dates_are_written_out_without_the_locale():
    assert f.long_date(pd.Timestamp("2024-12-31")) == "31 December 2024"
    assert f.long_date("2011-03-05 13:45") == "5 March 2011"
    assert f.long_date(pd.NaT) == formatting.MISSING
    assert f.long_date(None) == formatting.MISSING
    assert f.long_date("end of Q3") == "end of Q3"  # free text from the analyst is kept
    assert f.iso_date(pd.Timestamp("2024-01-02 10:00")) == "2024-01-02"
    assert f.iso_date(pd.NaT) == formatting.MISSING


def test_feature_values_follow_the_feature_unit():
    assert f.feature_value(1234.567, "currency") == "1,234.57"
    assert f.feature_value(12.34, "days") == "12.3"
    assert f.feature_value(0.25, "share") == "25.0%"
    assert f.feature_value(3.456, "orders") == "3.46"
    assert f.feature_value(3.456, "") == "3.46"
