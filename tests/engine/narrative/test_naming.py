"""Persona assignment, descriptive names and descriptions on hand-built profiles."""

from __future__ import annotations

import re

import numpy as np
import pytest

from engine.narrative import check_consistency, feature_levels, generate_labels
from engine.results import NOISE
from tests.engine.narrative.test_fixtures import (
    MALL_GROUPS,
    build_profile,
    build_table,
    mall_profile,
    profile_table,
    retail_groups,
    retail_profile,
)

NUMBER = re.compile(r"(?<![\w.])(-?\d[\d,]*(?:\.\d+)?)(%|×)?")


def _personas(labels):
    return {c: label.persona for c, label in labels.items()}


def test_planted_retail_segments_get_their_personas():
    labels = generate_labels(retail_profile())
    assert _personas(labels) == {
        0: "champions", 1: "bulk_buyers", 2: "premium_occasional", 3: "lapsed", 4: "new_customers"}
    assert [labels[c].name for c in range(5)] == [
        "Champions", "Bulk buyers", "Premium occasional buyers", "Lapsed / hibernating", "New customers"]
    for label in labels.values():
        assert 2 <= len(label.strategies) <= 4
        assert label.kpis
        assert not label.edited


def test_generated_labels_never_contradict_their_own_numbers():
    profiles = [retail_profile(), mall_profile(), build_profile(retail_groups(("lapsed", "new", "bulk")))]
    for profile in profiles:
        assert check_consistency(generate_labels(profile), profile) == []


@pytest.mark.parametrize("segment, persona", [
    ("champions", "champions"), ("lapsed", "lapsed"), ("new", "new_customers"), ("bulk", "bulk_buyers"),
    ("premium", "premium_occasional"),
])
def test_one_planted_segment_among_ordinary_customers(segment, persona):
    ordinary = {"recency_days": 60, "frequency": 4, "monetary": 400, "avg_items_per_order": 2,
                "avg_unit_price": 35, "tenure_days": 500}
    planted = dict(zip(ordinary, retail_groups((segment,))[0][1].values(), strict=True))
    profile = build_profile([(60, ordinary), (20, planted), (60, {k: v * 1.05 for k, v in ordinary.items()})])
    labels = generate_labels(profile)
    assert labels[1].persona == persona
    assert labels[0].persona != persona and labels[2].persona != persona


def test_best_match_gives_champions_to_the_most_extreme_spender_not_the_first_cluster():
    base = {"recency_days": 60, "frequency": 3, "monetary": 300, "tenure_days": 500}
    good = {"recency_days": 20, "frequency": 10, "monetary": 1500, "tenure_days": 500}
    best = {"recency_days": 10, "frequency": 30, "monetary": 9000, "tenure_days": 500}
    profile = build_profile([(50, base), (20, good), (10, best), (50, {**base, "recency_days": 70})])
    labels = generate_labels(profile)
    assert labels[2].persona == "champions"
    assert labels[1].persona in ("big_spenders", "loyal_regulars")  # next-best persona, not "Champions (II)"
    names = [label.name for label in labels.values()]
    assert len(set(names)) == len(names)


def test_second_cluster_fitting_only_a_taken_persona_is_named_by_its_traits_not_a_numeral():
    groups = [(20, {"recency_days": 400, "tenure_days": 500}), (20, {"recency_days": 300, "tenure_days": 520}),
              (20, {"recency_days": 30, "tenure_days": 480}), (20, {"recency_days": 40, "tenure_days": 510})]
    labels = generate_labels(build_profile(groups, revenue=None))
    assert labels[0].name == "Lapsed / hibernating"  # the more extreme one holds the plain name
    # Both are "very high" on recency (400 and 300 vs a median of 170) and tenure differs by < 10%:
    # no level tells cluster 1 apart from cluster 0, so it is named by its own trait, never "(II)".
    assert labels[1].name == "Very long since last order"
    assert labels[1].persona == "lapsed"  # the persona (and its strategies) still fit
    # Clusters 2 and 3 (30 and 40 days, both "very low" recency, tenure within 10%) have no level that
    # tells them apart: the numeral is the last resort, and only there.
    assert labels[2].name == "Very recent last order"
    assert labels[3].name == "Very recent last order (II)"


def test_mall_customers_get_descriptive_unique_names():
    profile = mall_profile()
    labels = generate_labels(profile)
    assert len(labels) == len(MALL_GROUPS)
    assert all(label.persona is None for label in labels.values())
    names = [label.name for label in labels.values()]
    assert len(set(names)) == len(names)
    # Group 1 (income 88, score 17). Score: mean 49.9, std 25.4 -> z = -1.29; income: mean 60.65,
    # std 25.2 -> z = +1.08 (within-group spread included). Most distinctive first.
    assert labels[1].name == "Very low Spending Score (1-100), very high Annual Income (k$)"
    assert "Annual Income (k$): average 88 vs" in labels[1].description
    assert labels[1].strategies and all("{" not in s for s in labels[1].strategies)
    assert "customers" in labels[1].description and "revenue" not in labels[1].description


def test_cluster_close_to_average_on_everything_is_called_so():
    groups = [(20, {"a": 10.0, "b": 5.0}), (20, {"a": 10.2, "b": 5.1}), (20, {"a": 30.0, "b": 5.0})]
    labels = generate_labels(build_profile(groups, revenue=None, labels={}))
    assert labels[2].name.startswith("Very high a")
    assert labels[0].name != labels[1].name  # both close to average: the second gets a qualifier


def test_noise_is_unassigned_without_persona_and_sizes_quoted():
    profile = build_profile(retail_groups(), noise_group=4)
    labels = generate_labels(profile)
    assert labels[NOISE].name == "Unassigned"
    assert labels[NOISE].persona is None
    assert "25 customers (25.0%)" in labels[NOISE].description
    assert [labels[c].persona for c in range(4)] == ["champions", "bulk_buyers", "premium_occasional", "lapsed"]


def test_row_unit_says_rows_not_customers():
    labels = generate_labels(retail_profile(unit="row"))
    for label in labels.values():
        assert "customer" not in label.description.lower()
        assert " rows (" in label.description


def test_recency_is_phrased_relative_to_the_end_of_the_data():
    labels = generate_labels(retail_profile())
    text = labels[3].description
    # Population median of recency: 100 customers, the 50th and 51st values are bulk buyers' 60.
    assert "last order a median 420 days before the end of the data (overall median 60)" in text.lower()
    assert "today" not in text.lower()


def test_every_number_in_descriptions_comes_from_the_profile():
    profile = retail_profile()
    labels = generate_labels(profile)
    values, percents, ratios = _profile_numbers(profile)
    for label in labels.values():
        for token, suffix in NUMBER.findall(label.description):
            number = float(token.replace(",", ""))
            pool = {"%": percents, "×": ratios}.get(suffix, values)
            assert _close_to_any(number, token, pool), f"{token}{suffix} in {label.description!r}"


def test_feature_labels_argument_overrides_profile_labels():
    labels = generate_labels(mall_profile(), {"Age": "Age in years"})
    assert any("Age in years" in label.description or "Age in years" in label.name for label in labels.values())


def test_generation_is_deterministic():
    first = generate_labels(retail_profile())
    second = generate_labels(retail_profile())
    assert [(lab.name, lab.description) for lab in first.values()] == [
        (lab.name, lab.description) for lab in second.values()]


# ---- number checking, shared with test_narrative_story ---------------------------------------


def _profile_numbers(profile):
    """Every value a sentence may quote, computed from the profile tables (not from the narrative code)."""
    s = profile.summary
    values = set(s["size"].astype(float)) | {float(profile.n_units), float(len(s))}
    for table in (profile.means, profile.medians):
        values |= set(table.to_numpy().ravel())
    values |= set(profile.population_mean) | set(profile.population_median)
    percents = {100 * v for v in s["share"]} | {100 * v for v in s["revenue_share"].dropna()}
    ratios = set((s["revenue_share"] / s["share"]).dropna()) if "revenue_share" in s else set()
    for f in profile.features:
        for c in s.index:
            for stat, overall in ((profile.medians, profile.population_median), (profile.means, profile.population_mean)):
                if overall[f] != 0:
                    ratios.add(stat.loc[c, f] / overall[f])
    return values, percents, ratios


def _close_to_any(number: float, token: str, pool) -> bool:
    decimals = len(token.split(".")[1]) if "." in token else 0
    tolerance = 0.5 * 10 ** -decimals + 1e-9
    return any(abs(number - v) <= tolerance for v in pool if v == v)


def test_feature_levels_quoted_in_mall_names_match_the_levels_table():
    profile = mall_profile()
    levels = feature_levels(profile).set_index(["cluster", "feature"])
    assert levels.loc[(1, "Spending Score (1-100)"), "level"] == "very low"
    assert levels.loc[(1, "Annual Income (k$)"), "level"] == "very high"
    # 43 vs mean 39.1, std 8.35: z = 0.47, but 43 / 39.1 = 1.0997 is less than 10% above the mean, so
    # "average" (levels.MIN_RELATIVE_DIFFERENCE); Age 25 vs 39.1 (0.64x, z = -1.69) is a real difference.
    assert levels.loc[(2, "Age"), "level"] == "average"
    assert levels.loc[(3, "Age"), "level"] == "very low"


@pytest.mark.parametrize("per_half", [300, 400])
def test_a_cluster_holding_most_of_the_base_is_never_called_the_best_customers(per_half):
    """A two-way split of a weak base: the larger part (60%, 80%: regulars and heavy buyers together) reads "very
    high spend, often" next to the one-off buyers, but it is the typical customer; in a minority, Champions."""
    regular = {"recency_days": 40, "frequency": 6, "monetary": 700, "tenure_days": 500}
    heavy = {"recency_days": 15, "frequency": 20, "monetary": 4000, "tenure_days": 600}
    one_off = {"recency_days": 300, "frequency": 1, "monetary": 60, "tenure_days": 300}
    table, group = build_table([(per_half, regular), (per_half, heavy), (1000 - 2 * per_half, one_off)])
    profile = profile_table(table, np.where(group == 2, 1, 0))
    assert profile.summary.loc[0, "share"] > 0.5
    assert set(feature_levels(profile).query("cluster == 0 and feature == 'monetary'")["level"]) == {"very high"}
    labels = generate_labels(profile)
    assert labels[0].persona not in ("champions", "big_spenders", "premium_occasional")
    assert check_consistency(labels, profile) == []
    minority = profile_table(table, np.where(group == 1, 0, 1))  # the heavy buyers alone: 30% or 40%
    assert minority.summary.loc[0, "share"] < 0.5
    assert generate_labels(minority)[0].persona == "champions"
