"""Integration: the bundled sample's planted segments get the personas an analyst would give them.

Customers are clustered with KMeans(k=5, random_state=42) on log1p + standard-scaled
default features, profiled, and named; each cluster's majority truth segment
(data/sample_truth.csv) must get the matching persona. Two feature paths: the
engine's own loader and feature builder (when present), and a plain pandas
aggregation that needs only the sample files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans

from engine.narrative import check_consistency, executive_summary, generate_labels
from engine.results import FeatureMatrix
from engine.views.profiles import profile_clusters
from tests.engine.narrative.test_naming import NUMBER, _close_to_any, _profile_numbers

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "data" / "sample"
TRUTH = ROOT / "data" / "sample_truth.csv"
EXPECTED = {  # planted segment -> personas that describe it
    "champions": {"champions", "big_spenders"},
    "lapsed": {"lapsed", "at_risk"},
    "new": {"new_customers"},
}

needs_sample = pytest.mark.skipif(
    not (SAMPLE / "Transactions.csv").exists() or not TRUTH.exists(), reason="bundled sample not generated yet")


def _local_features() -> FeatureMatrix:
    """Default customer features by a plain pandas aggregation (reference date: day after the last date)."""
    tx = pd.read_csv(SAMPLE / "Transactions.csv").drop_duplicates()
    customers = pd.read_csv(SAMPLE / "Customers.csv").set_index("CustomerID")
    tx["date"] = pd.to_datetime(tx["TransactionDate"])
    reference = tx["date"].max().normalize() + pd.Timedelta(days=1)
    buy = tx[tx["Quantity"] > 0].groupby("CustomerID")
    orders = buy["TransactionID"].nunique()
    table = pd.DataFrame({
        "recency_days": (reference - buy["date"].max()).dt.days.astype(float),
        "frequency": orders.astype(float),
        "monetary": tx.groupby("CustomerID")["TotalValue"].sum(),
        "avg_items_per_order": buy["Quantity"].sum() / orders,
        "avg_unit_price": buy["TotalValue"].sum() / buy["Quantity"].sum(),
    })
    signup = pd.to_datetime(customers["SignupDate"]).reindex(table.index)
    table["tenure_days"] = (reference - signup.fillna(buy["date"].min())).dt.days.astype(float)
    table = table.dropna().rename_axis("customer_id")
    logged = np.log1p(table.clip(lower=0).to_numpy())
    X = (logged - logged.mean(axis=0)) / logged.std(axis=0)
    return FeatureMatrix(table=table, X=X, names=list(table.columns), unit="customer", scaling="standard",
                         log=list(table.columns), labels={}, revenue=table["monetary"])


def _engine_features() -> FeatureMatrix:
    pytest.importorskip("engine.loading.dataset")
    from engine.analysis.steps import build_features, load
    from engine.project import demo_project

    project = demo_project()
    return build_features(project, load(project))


def _check(features: FeatureMatrix) -> None:
    labels = KMeans(n_clusters=5, random_state=42, n_init=10).fit_predict(features.X)
    profile = profile_clusters(features, labels)
    named = generate_labels(profile, features.labels)
    truth = pd.read_csv(TRUTH).set_index("CustomerID")["segment"]
    segment = truth.reindex(features.table.index.astype(str)).to_numpy()
    majority = {c: pd.Series(segment[labels == c]).mode().iloc[0] for c in np.unique(labels)}
    for planted, personas in EXPECTED.items():
        clusters = [c for c, m in majority.items() if m == planted]
        assert clusters, f"no cluster is mostly {planted!r}: {majority}"
        for c in clusters:
            assert named[c].persona in personas, f"{planted} -> {named[c].name} ({named[c].description})"
    assert check_consistency(named, profile) == []
    values, percents, ratios = _profile_numbers(profile)
    for text in [label.description for label in named.values()] + executive_summary(profile, named)[:1]:
        for token, suffix in NUMBER.findall(text):
            pool = {"%": percents, "×": ratios}.get(suffix, values)
            assert _close_to_any(float(token.replace(",", "")), token, pool), f"{token}{suffix} in {text!r}"
    recency = profile.medians["recency_days"]
    assert recency.max() < 800  # measured from the end of the data, never thousands of days from today


@needs_sample
def test_sample_personas_with_plain_pandas_features():
    _check(_local_features())


@needs_sample
def test_sample_personas_with_engine_features():
    _check(_engine_features())
