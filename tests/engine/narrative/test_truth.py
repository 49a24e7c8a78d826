"""Generated names and descriptions are true: the claims check, grounded personas, meaningful levels.

Each test builds a small profile whose numbers are worked out in its comments.
The bug these guard against came from a real CD-store export: every customer
first bought in the same quarter (a cohort), yet 40% of them were called "New
customers" and offered an onboarding series, while their median last order lay
473 days before the end of the data; the consistency check agreed, because a
few days' difference in tenure read as "low tenure" relative to the base.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

import engine.narrative.naming as naming
from engine.narrative import (
    check_consistency,
    compares_medians,
    feature_levels,
    find_claims,
    generate_labels,
    load_playbook,
)
from engine.narrative.levels import MIN_RELATIVE_DIFFERENCE
from engine.project import LabelSpec
from engine.results import NOISE, RunResult
from tests.engine.narrative.test_fixtures import (
    MALL_GROUPS,
    RETAIL_FEATURES,
    build_profile,
    mall_profile,
    profile_table,
    retail_groups,
    retail_profile,
)
from tests.engine.narrative.test_naming import NUMBER, _close_to_any, _profile_numbers


def _levels(profile):
    return feature_levels(profile).set_index(["cluster", "feature"])


def _edit(profile, edits):
    from engine.narrative import apply_edits

    labels, _ = apply_edits(generate_labels(profile), edits)
    return check_consistency(labels, profile)


# ---- 1. generated labels pass the same check as edited ones --------------------------------------


def _random_profiles(n: int, seed: int = 0):
    """Profiles with random group values over catalogue features and raw columns (random levels)."""
    rng = np.random.default_rng(seed)
    pool = [*RETAIL_FEATURES, "total_quantity", "mean_days_between_orders", "Annual Income (k$)",
            "Spending Score (1-100)", "Premium score"]
    for _ in range(n):
        chosen = list(rng.choice(pool, size=int(rng.integers(2, len(pool))), replace=False))
        groups = [(5 * int(rng.integers(2, 8)), {f: float(np.exp(rng.normal(np.log(100), 1.0))) for f in chosen})
                  for _ in range(int(rng.integers(2, 8)))]
        yield build_profile(groups, revenue="monetary" if "monetary" in chosen else None,
                            unit=str(rng.choice(["customer", "row"])), labels={},
                            window_days=[None, 90.0, 400.0, 800.0][int(rng.integers(0, 4))])


def test_sweep_of_random_profiles_generates_no_label_the_checker_rejects():
    names = set()
    for profile in _random_profiles(60):
        labels = generate_labels(profile)
        assert check_consistency(labels, profile) == [], [(lab.name, lab.description) for lab in labels.values()]
        assert len({lab.name.lower() for lab in labels.values()}) == len(labels)
        names |= {lab.name for lab in labels.values()}
    assert len(names) > 30  # the sweep really covered personas, second holders and descriptive names


def test_sweep_of_the_bundled_sample_through_the_engine_generates_no_warning():
    pytest.importorskip("engine.loading.dataset")
    from sklearn.cluster import AgglomerativeClustering, KMeans

    from engine.analysis.steps import build_features, load
    from engine.project import demo_project
    from engine.views.profiles import profile_clusters

    project = demo_project()
    features = build_features(project, load(project))
    assert features.window_days and features.window_days > 0
    runs = [KMeans(n_clusters=k, random_state=42, n_init=4).fit_predict(features.X) for k in range(2, 10)]
    sample = np.random.default_rng(0).choice(len(features.X), 1500, replace=False)
    agglomerative = np.full(len(features.X), -1)
    agglomerative[sample] = AgglomerativeClustering(n_clusters=6).fit_predict(features.X[sample])
    for labels in [*runs, agglomerative]:  # the second one has a noise group (-1) of the unsampled rest
        profile = profile_clusters(features, labels)
        named = generate_labels(profile, features.labels)
        assert check_consistency(named, profile) == [], {c: lab.name for c, lab in named.items()}
        assert len({lab.name.lower() for lab in named.values()}) == len(named)


def test_a_persona_whose_wording_the_numbers_contradict_is_not_used(monkeypatch):
    """Structural: the claims check runs on the persona's text, not only on its rule."""
    playbook = load_playbook()
    lapsed = playbook.personas["lapsed"]
    bad = dataclasses.replace(lapsed, description="{Units} who bought recently.")  # contradicts its own rule
    broken = dataclasses.replace(playbook, personas={**playbook.personas, "lapsed": bad})
    monkeypatch.setattr(naming, "load_playbook", lambda: broken)
    profile = retail_profile()
    labels = generate_labels(profile)
    assert labels[3].persona != "lapsed"  # cluster 3 is the planted lapsed segment (420 days)
    assert "recently" not in labels[3].description
    assert check_consistency(labels, profile) == []


def test_quoted_facts_whose_label_would_claim_falsely_are_left_out():
    # A raw column called "Premium" reads as the price claim "premium"; cluster 0 pays the lowest prices.
    groups = [(20, {"avg_unit_price": 10.0, "Premium": 9.0}), (20, {"avg_unit_price": 40.0, "Premium": 1.0}),
              (20, {"avg_unit_price": 42.0, "Premium": 1.1})]
    profile = build_profile(groups, revenue=None, labels={}, clustered_on=["avg_unit_price"])
    labels = generate_labels(profile)
    assert "Premium:" not in labels[0].description
    assert check_consistency(labels, profile) == []


# ---- 2. personas grounded in absolute terms --------------------------------------------------------


def cohort_profile():
    """CD store: every customer first bought in the same quarter; the data end 545 days after the first date.

    Cluster 0 (40): one-time buyers who started late in the quarter: tenure 455..494 (mean 474.5),
    last order 470..478 days before the end. Cluster 1 (40): one-time buyers who started early: tenure
    500..539 (mean 519.5), recency 495..507. Cluster 2 (20): repeat buyers, recency 40..97, 6-10 orders.
    Population tenure: mean 497.3, std 23.9, so cluster 0 has z = -0.95 but is only 4.6% below the mean.
    """
    rows, clusters = [], []
    for i in range(40):
        rows.append({"recency_days": 470 + (i % 5) * 2, "frequency": 1, "tenure_days": 455 + i,
                     "mean_days_between_orders": 470 + (i % 5) * 2})
        clusters.append(0)
    for i in range(40):
        rows.append({"recency_days": 495 + (i % 5) * 3, "frequency": 1, "tenure_days": 500 + i,
                     "mean_days_between_orders": 495 + (i % 5) * 3})
        clusters.append(1)
    for i in range(20):
        rows.append({"recency_days": 40 + i * 3, "frequency": 6 + i % 5, "tenure_days": 470 + i * 3,
                     "mean_days_between_orders": 60 + i})
        clusters.append(2)
    table = pd.DataFrame(rows, dtype=float, index=pd.Index([f"U{i}" for i in range(len(rows))], name="customer_id"))
    return profile_table(table, np.array(clusters), revenue=None, window_days=545.0)


def test_in_a_cohort_new_customers_is_never_generated_and_an_edit_saying_so_is_flagged():
    profile = cohort_profile()
    levels = _levels(profile)
    assert levels.loc[(0, "tenure_days"), "z"] == pytest.approx(-0.95, abs=0.01)  # "low" by z alone
    assert levels.loc[(0, "tenure_days"), "level"] == "average"  # 474.5 / 497.3 = 0.954: under 10% apart
    labels = generate_labels(profile)
    assert all(lab.persona != "new_customers" for lab in labels.values())
    assert all("new" not in lab.name.lower().split() for lab in labels.values())
    assert labels[2].persona == "loyal_regulars"
    warnings = _edit(profile, {0: LabelSpec(name="New customers")})
    assert [(w.cluster, w.claim, w.feature) for w in warnings] == [(0, "new", "tenure_days")]
    # The level already fails ("average"); the message quotes the numbers.
    assert warnings[0].message.endswith("its average tenure in days is 474 vs 497 overall (0.95×, average).")


@pytest.mark.parametrize("window, persona", [(600.0, "quiet_one_off"), (1200.0, "core"), (None, "core")])
def test_a_majority_that_stopped_buying_long_ago_is_not_core(window, persona):
    # The CD-store shape: 70 customers bought once or twice and last ordered a median 540 days before the end;
    # 30 buy often. Relative to the base the 70 are "average" on everything (they are the base), so only the
    # data window can say they went quiet: 540 / 600 = 90% of it. With a 1,200-day window (45%) they are still
    # buying customers, and without dates the quiet persona cannot be given at all.
    groups = [(70, {"recency_days": 540.0, "frequency": 1.0, "monetary": 25.0}),
              (30, {"recency_days": 100.0, "frequency": 9.0, "monetary": 300.0})]
    profile = build_profile(groups, window_days=window)
    labels = generate_labels(profile)
    assert labels[0].persona == persona and labels[1].persona == "champions"
    assert check_consistency(labels, profile) == []
    if persona == "quiet_one_off":
        assert labels[0].name == "Quiet since their first orders"
        assert "90% of the" not in labels[0].description or "data window" in labels[0].description


@pytest.mark.parametrize("window, persona", [(1000.0, "new_customers"), (420.0, None)])
def test_new_needs_first_purchases_in_the_newest_quarter_of_the_window(window, persona):
    # Cluster 0: tenure 150 vs 400 for everyone else (z = -1.5, very low). With a 1,000-day window the
    # cluster first bought in the last 15% of it: new. With a 420-day window, 150 / 420 = 36% > 25%: not new.
    groups = [(20, {"tenure_days": 150.0, "recency_days": 30.0}), (40, {"tenure_days": 400.0, "recency_days": 30.0}),
              (40, {"tenure_days": 410.0, "recency_days": 35.0})]
    profile = build_profile(groups, revenue=None, window_days=window)
    assert _levels(profile).loc[(0, "tenure_days"), "level"] == "very low"
    labels = generate_labels(profile)
    assert labels[0].persona == persona
    assert check_consistency(labels, profile) == []
    warnings = _edit(profile, {0: LabelSpec(name="Newly acquired customers")})
    if persona is None:
        assert [(w.claim, w.feature) for w in warnings] == [("newly acquired", "tenure_days")]
        assert warnings[0].message == (
            "'Newly acquired' is claimed for cluster 0 (in its name), but its median tenure is 150 days, 35.7% of the "
            "420-day data window (the claim needs first purchases in the newest 25.0% of the window).")
    else:
        assert warnings == []


def test_new_needs_a_difference_of_a_month_not_a_few_days():
    # A 60-day extract: cluster 0 first seen 8 days before the end vs 30 for the rest. Relative to the base it
    # is very low (and 8 / 60 = 13% of the window), but 20 days (the overall median is 27.9 with the fixture's
    # 0.8-1.2 spread) is not a new generation of customers.
    groups = [(20, {"tenure_days": 8.0, "recency_days": 5.0}), (40, {"tenure_days": 30.0, "recency_days": 6.0}),
              (40, {"tenure_days": 31.0, "recency_days": 5.5})]
    profile = build_profile(groups, revenue=None, window_days=60.0)
    assert _levels(profile).loc[(0, "tenure_days"), "level"] == "very low"
    labels = generate_labels(profile)
    assert labels[0].persona != "new_customers"
    warnings = _edit(profile, {0: LabelSpec(name="Newcomers")})
    assert ("its median tenure of 8 days is 19.9 days shorter than the overall median of 27.9 (the claim needs a "
            "tenure at least 30 days shorter than the overall median)") in warnings[0].message


@pytest.mark.parametrize("gap, persona", [(60.0, "lapsed"), (365.0, None)])
def test_lapsed_needs_recency_well_beyond_the_typical_gap_between_orders(gap, persona):
    # Cluster 0: last order 240 days before the end vs 90 for the rest (2.7x: very high). When customers
    # typically order every 60 days, 240 days is 4 gaps: lapsed. When they order once a year (365 days),
    # 240 days is 0.66 of a gap: not lapsed, however high it is relative to the base.
    groups = [(20, {"recency_days": 240.0, "mean_days_between_orders": gap}),
              (40, {"recency_days": 90.0, "mean_days_between_orders": gap}),
              (40, {"recency_days": 85.0, "mean_days_between_orders": gap * 1.02})]
    profile = build_profile(groups, revenue=None, clustered_on=["recency_days"])
    assert _levels(profile).loc[(0, "recency_days"), "level"] == "very high"
    labels = generate_labels(profile)
    assert labels[0].persona == persona
    assert check_consistency(labels, profile) == []
    if persona is None:
        assert labels[0].name == "Very long since last order"  # true relative to the base, claims no status
        warnings = _edit(profile, {0: LabelSpec(name="Lapsed", description="At risk of churning.")})
        assert [(w.claim, w.feature) for w in warnings] == [("lapsed", "recency_days")]
        assert "is only 0.66× the overall median of 365 days between orders" in warnings[0].message


def test_recency_must_be_high_relative_to_the_base_for_lapsed_and_at_risk():
    profile = retail_profile()  # cluster 2 (premium): recency 100 vs 60 overall, 1.7x = high
    labels = generate_labels(profile)
    at_risk_or_lapsed = {c for c, lab in labels.items() if lab.persona in ("lapsed", "at_risk")}
    assert at_risk_or_lapsed == {3}
    assert _levels(profile).loc[(3, "recency_days"), "level"] == "very high"
    warnings = _edit(profile, {1: LabelSpec(name="At risk")})  # bulk buyers: recency 60, average
    assert [(w.cluster, w.claim, w.level) for w in warnings] == [(1, "at risk", "average")]


def test_premium_needs_high_prices_and_high_value_names_need_high_spend():
    # Cluster 0 spends 4x the median (very high) but at average prices; cluster 1 orders very often but
    # spends like everyone else; cluster 2 pays 3x the price but spends average.
    base = {"monetary": 400.0, "frequency": 4.0, "avg_unit_price": 30.0, "recency_days": 50.0}
    groups = [(20, {**base, "monetary": 1600.0}), (20, {**base, "frequency": 16.0}),
              (20, {**base, "avg_unit_price": 90.0, "frequency": 3.0}), (60, base)]
    profile = build_profile(groups)
    labels = generate_labels(profile)
    assert labels[0].persona == "big_spenders"
    assert labels[1].persona == "loyal_regulars"  # not Champions: spend is average
    assert labels[2].persona == "premium_occasional"
    spend_personas = {"champions", "big_spenders", "at_risk"}
    for cluster, label in labels.items():
        if label.persona in spend_personas:
            assert _levels(profile).loc[(cluster, "monetary"), "level"] in ("high", "very high")
    warnings = _edit(profile, {0: LabelSpec(name="Premium buyers"), 1: LabelSpec(name="Champions, most valuable")})
    assert [(w.cluster, w.claim, w.feature) for w in warnings] == [
        (0, "premium", "avg_unit_price"), (1, "most valuable", "monetary")]


def test_persona_absolute_conditions_are_read_from_the_playbook():
    personas = load_playbook().personas
    new = {c.measure: (c.minimum, c.maximum) for c in personas["new_customers"].absolute}
    assert new == {"tenure_days_share_of_window": (None, 0.25), "tenure_days_below_base": (30, None)}
    for key in ("lapsed", "at_risk"):
        assert {c.measure: c.minimum for c in personas[key].absolute} == {"recency_days_over_base_gap": 2}


# ---- 3. levels: a trivial difference on a tiny spread is average --------------------------------


def test_tiny_spread_needs_a_ten_percent_difference_for_a_level():
    # Tenure 479..481, 499..501, 519..521 (a cohort): mean 500, std 16.3 (coefficient of variation 3%), so
    # cluster 0 has z = -1.22 but is 4% below the mean. Age 24..26, 39..41, 54..56: mean 40, z = -1.22 and
    # 37.5% below: very low.
    offsets = [-1.0, 0.0, 1.0, -1.0, 0.0, 1.0]
    table = pd.DataFrame(
        [{"tenure_days": t + d, "Age": a + d} for t, a in ((480, 25), (500, 40), (520, 55)) for d in offsets],
        index=pd.Index([f"C{i}" for i in range(18)], name="customer_id"))
    levels = _levels(profile_table(table, np.repeat([0, 1, 2], 6), revenue=None))
    assert MIN_RELATIVE_DIFFERENCE == 0.1
    assert levels.loc[(0, "tenure_days"), "z"] < -1
    assert levels.loc[(0, "tenure_days"), "level"] == "average"
    assert levels.loc[(0, "tenure_days"), "score"] == 0
    assert levels.loc[(0, "Age"), "level"] == "very low"
    assert levels.loc[(2, "Age"), "level"] == "very high"


def test_features_with_negative_values_keep_the_plain_z_rule():
    # A balance around zero: a ratio to the mean means nothing, so z alone decides.
    groups = [(20, {"balance": -5.0}), (20, {"balance": 1.0}), (20, {"balance": 6.0})]
    levels = _levels(build_profile(groups, revenue=None, labels={}))
    assert levels.loc[(0, "balance"), "level"] == "very low"
    assert levels.loc[(2, "balance"), "level"] == "very high"


# ---- 4. spend levels under whales ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["monetary", "spend"])
def test_a_quarter_of_the_median_spend_is_very_low_even_with_a_whale(name):
    # 1,000 customers at 80..120, one at 1,000,000 (cluster 0) and 200 at 20..30 (cluster 1).
    spend = np.concatenate([100 * (0.8 + 0.4 * np.arange(1000) / 999), [1e6], 25 * (0.8 + 0.4 * np.arange(200) / 199)])
    table = pd.DataFrame({name: spend}, index=pd.Index([f"C{i}" for i in range(len(spend))]))
    profile = profile_table(table, np.array([0] * 1001 + [1] * 200), revenue=None, labels={})
    mean, median, std = spend.mean(), np.median(spend), spend.std()
    q1, q3 = np.quantile(spend, [0.25, 0.75])
    assert 3 * (mean - median) / std == pytest.approx(0.086, abs=0.001)  # Pearson: "symmetric" (the old test)
    assert abs((q3 + q1 - 2 * median) / (q3 - q1)) < 1e-9  # Bowley: the middle half is symmetric too
    assert mean / median == pytest.approx(9.58, abs=0.01)  # the whale lifts the mean ten-fold
    assert compares_medians(profile, name)  # "monetary" by the catalogue and by mean/median; "spend" by the latter
    row = _levels(profile).loc[(1, name)]
    assert row["basis"] == "median ratio"
    assert row["ratio"] == pytest.approx(25 / median, abs=1e-3)  # 0.26
    assert row["level"] == "very low"
    assert row["z"] == pytest.approx(-0.031, abs=0.001)  # what the z basis would have called "average"


def test_symmetric_raw_columns_still_use_z():
    profile = mall_profile()
    for column in ("Age", "Annual Income (k$)", "Spending Score (1-100)"):
        assert not compares_medians(profile, column)


# ---- 5. one persona, two clusters: no numerals ----------------------------------------------------------


def test_second_holder_of_a_persona_is_named_by_what_sets_it_apart():
    # Clusters 1 and 2 both order very often (12 and 10 vs a median of 3); cluster 2 also pays 80 per
    # item vs 30 (2.7x, very high). Spend is the same everywhere, so neither is Champions or Big spenders.
    base = {"recency_days": 60, "frequency": 3, "monetary": 300, "avg_unit_price": 30}
    groups = [(60, base), (20, {**base, "frequency": 12}), (20, {**base, "frequency": 10, "avg_unit_price": 80}),
              (40, {**base, "recency_days": 70})]
    profile = build_profile(groups)
    labels = generate_labels(profile)
    assert labels[1].name == "Loyal regulars"
    assert labels[2].name == "Loyal regulars, very high unit price"
    assert labels[2].persona == "loyal_regulars"
    assert "pays a median 80 per item" in labels[2].description  # the distinguishing number is quoted
    # Clusters 0 and 3 (recency 60 vs 70: 1.17x, no level apart) are both core: the numeral is the last resort.
    assert (labels[0].name, labels[3].name) == ("Core customers", "Core customers (II)")
    assert check_consistency(labels, profile) == []


def test_repeated_descriptive_names_get_a_distinguishing_trait():
    # Clusters 0 and 1 are both "very high a, high b" (a 60 and 62 vs a median of 24, b 20 and 21 vs 14.4);
    # cluster 1 is also low on c (7 vs a median of 9, 0.78x), the least distinctive of its three traits.
    groups = [(20, {"a": 60.0, "b": 20.0, "c": 10.0}), (20, {"a": 62.0, "b": 21.0, "c": 7.0}),
              (60, {"a": 20.0, "b": 12.0, "c": 10.0})]
    profile = build_profile(groups, revenue=None, labels={})
    labels = generate_labels(profile)
    assert labels[0].name == "Very high a, high b"
    assert labels[1].name == "Very high a, high b, low c"
    assert all("(II)" not in lab.name for lab in labels.values())


# ---- 6. more phrasings ---------------------------------------------------------------------------------
# retail_profile: 0 champions (spend 4600, 23 orders, 15 days), 1 bulk (14 items/order, price 14), 2 premium
# (price 250, 3 orders), 3 lapsed (420 days, tenure 750), 4 new (spend 80, 1.5 orders, tenure 47).

RETAIL = {"recency_days", "frequency", "monetary", "avg_items_per_order", "avg_unit_price", "tenure_days"}


@pytest.mark.parametrize("cluster, text, claim", [
    (4, "Highest spend", "highest spend"),
    (4, "Our most valuable buyers", "most valuable"),
    (0, "Lowest spend", "lowest spend"),
    (0, "Low total value", "low total value"),
    (0, "Least valuable", "least valuable"),
    (4, "They buy often", "buy often"),
    (4, "Order frequently", "frequently"),
    (4, "High order frequency", "high order frequency"),
    (0, "Rarely order", "rarely"),
    (0, "Seldom seen", "seldom"),
    (0, "Few orders", "few orders"),
    (4, "Big baskets", "big baskets"),
    (4, "High quantity buyers", "high quantity"),
    (4, "Buy in large quantities", "large quantities"),
    (2, "Cheap items", "cheap"),
    (1, "Expensive taste", "expensive"),
    (3, "Our newest customers", "newest"),
    (4, "Long-time favourites", "long-time"),
    (4, "Most recent? No: least recent", "least recent"),
])
def test_more_phrasings_are_claims(cluster, text, claim):
    profile = retail_profile()
    warnings = _edit(profile, {cluster: LabelSpec(name=text)})
    assert [(w.cluster, w.claim) for w in warnings] == [(cluster, claim)]


@pytest.mark.parametrize("text", [
    "Haven't ordered recently", "Hasn't been active since spring", "No longer frequent", "Rarely active",
    "Seldom loyal", "Few repeat buyers", "Have not ordered for a long time", "Least frequent buyers",
    "Rarely buy premium items",
])
def test_negations_and_what_they_leave(text):
    # Said of cluster 3 (lapsed: 420 days, 3 orders, spend 150, price 31): nothing here is false.
    profile = retail_profile()
    assert _edit(profile, {3: LabelSpec(name=text)}) == []


def test_rarely_is_a_low_frequency_claim_and_negates_what_follows():
    found = [(m, c.phrase, c.features) for m, c in find_claims("Rarely active")]
    assert found == [("Rarely", "rarely", ("frequency",))]  # "active" is not claimed
    profile = retail_profile()
    warnings = _edit(profile, {0: LabelSpec(name="Rarely active")})  # champions: 23 orders
    assert [(w.claim, w.feature, w.level) for w in warnings] == [("rarely", "frequency", "very high")]


def test_long_time_needs_its_hyphen():
    assert [c.phrase for _, c in find_claims("Long-time customers")] == ["long time customers"]
    assert [c.phrase for _, c in find_claims("A long-time favourite")] == ["long-time"]
    assert find_claims("They have not ordered for a long time") == []


def test_raw_column_labels_are_claims():
    profile = mall_profile()  # group 3: income 26 (very low), score 79 (high); group 0: income 87, score 82
    warnings = _edit(profile, {3: LabelSpec(name="High income young shoppers"),
                               0: LabelSpec(description="Low spending score, above average income.")})
    assert [(w.cluster, w.claim, w.feature) for w in warnings] == [
        (0, "low spending score", "Spending Score (1-100)"), (3, "high income", "Annual Income (k$)")]
    assert warnings[1].message.startswith("'High income' is claimed for cluster 3 (in its name), but its average "
                                          "Annual Income (k$) is 26 vs 60.6 overall (0.43×, very low)")
    assert _edit(profile, {3: LabelSpec(name="Low income, high spending score")}) == []
    assert len(MALL_GROUPS) == 5


def test_row_unit_analyses_are_checked_by_their_column_labels():
    groups = [(20, {"Quantity": 2.0, "UnitPrice": 40.0}), (20, {"Quantity": 20.0, "UnitPrice": 4.0}),
              (20, {"Quantity": 4.0, "UnitPrice": 20.0})]
    profile = build_profile(groups, unit="row", revenue=None, labels={})
    warnings = _edit(profile, {0: LabelSpec(name="Large quantities, low unit price")})
    assert [(w.cluster, w.claim, w.feature) for w in warnings] == [
        (0, "large quantities", "Quantity"), (0, "low unit price", "UnitPrice")]
    labels = generate_labels(profile)
    assert check_consistency(labels, profile) == []
    assert "rows (" in labels[0].description


# ---- 7. the RFM baseline keeps its names ------------------------------------------------------------


def _rfm_profile():
    return build_profile(retail_groups(("champions", "lapsed", "new")), window_days=800.0)


def test_rfm_segment_names_are_kept_with_grounded_descriptions():
    profile = _rfm_profile()  # 0: champions, 1: lapsed (420 days, spend 150), 2: new (47 days' tenure)
    labels = generate_labels(profile, fixed_names={0: "Champions", 1: "Hibernating", 2: "Potential loyalist"})
    assert [labels[c].name for c in range(3)] == ["Champions", "Hibernating", "Potential loyalist"]
    assert labels[0].description.startswith(
        "Segment of the RFM rule baseline: recency score 4-5 and combined frequency and monetary score 4-5 on a "
        "1-5 scale. Last order a median 15 days before the end of the data")
    assert labels[0].persona == "champions"  # its rule holds, so its strategies apply
    assert labels[1].persona == "lapsed"
    assert labels[2].persona is None  # no persona for this segment: the generic strategies
    assert labels[2].strategies[0].startswith("Look at a sample of these customers")
    values, percents, ratios = _profile_numbers(profile)
    for label in labels.values():
        facts = label.description.split(" scale. ", 1)[1]  # after the rule's score ranges
        for token, suffix in NUMBER.findall(facts):
            pool = {"%": percents, "×": ratios}.get(suffix, values)
            assert _close_to_any(float(token.replace(",", "")), token, pool), f"{token}{suffix} in {facts!r}"
    assert check_consistency(labels, profile) == []


def test_rfm_names_that_the_numbers_contradict_are_kept_but_flagged_and_get_no_persona_advice():
    profile = build_profile(retail_groups(("champions", "lapsed", "new")), window_days=60.0)
    labels = generate_labels(profile, fixed_names={2: "New customers"})
    assert labels[2].name == "New customers"  # the rule's name for the segment
    assert labels[2].persona is None  # 47 of a 60-day window: onboarding advice would not fit
    assert [(w.cluster, w.claim) for w in check_consistency(labels, profile)] == [(2, "new")]
    assert labels[0].persona == "champions" and labels[1].persona == "lapsed"  # the others are still named


def test_pipeline_passes_rfm_names_only_for_the_rfm_model():
    from engine.analysis.steps import profile_and_name
    from engine.results import FeatureMatrix
    from tests.engine.narrative.test_fixtures import build_table

    table, clusters = build_table(retail_groups(("champions", "lapsed", "new")))
    features = FeatureMatrix(table=table, X=np.zeros((len(table), 1)), names=list(table.columns), unit="customer",
                             scaling="standard", log=[], labels={}, revenue=table["monetary"], window_days=800.0)
    names = {0: "Champions", 1: "Lost", 2: "New customers"}
    rfm = RunResult(algorithm="rfm", k=None, labels=clusters, extra={"label_names": names})
    _, labels, _ = profile_and_name(features, rfm)
    assert {c: lab.name for c, lab in labels.items()} == names
    kmeans = RunResult(algorithm="kmeans", k=3, labels=clusters, extra={"label_names": names})
    _, labels, _ = profile_and_name(features, kmeans)
    assert [labels[c].persona for c in range(3)] == ["champions", "lapsed", "new_customers"]
    assert NOISE not in labels


def test_given_names_are_kept_when_a_generated_name_would_repeat_them():
    profile = retail_profile()  # cluster 0 is the planted champions segment
    labels = generate_labels(profile, fixed_names={4: "Champions"})
    assert labels[4].name == "Champions"
    assert labels[0].persona == "champions"
    assert labels[0].name.startswith("Champions, ")  # told apart by a trait, the given name untouched
    assert len({lab.name for lab in labels.values()}) == len(labels)
