"""Report-level sentences: executive summary, implications, monitoring, methodology."""

from __future__ import annotations

import pandas as pd
import pytest

from engine.narrative import (
    business_implications,
    executive_summary,
    generate_labels,
    methodology,
    monitoring,
)
from engine.results import Recommendation, Stability
from tests.engine.narrative.test_fixtures import build_profile, mall_profile, retail_groups, retail_profile
from tests.engine.narrative.test_naming import NUMBER, _close_to_any, _profile_numbers

# retail_profile: 0 champions (15 customers, 4600 each), 1 bulk (20 x 1750), 2 premium (15 x 940),
# 3 lapsed (25 x 150), 4 new (25 x 80). Revenue 69000 + 35000 + 14100 + 3750 + 2000 = 123850.
REVENUE = {0: 69000, 1: 35000, 2: 14100, 3: 3750, 4: 2000}
TOTAL = sum(REVENUE.values())


@pytest.fixture(scope="module")
def profile():
    return retail_profile()


@pytest.fixture(scope="module")
def labels(profile):
    return generate_labels(profile)


@pytest.fixture
def stability():
    return Stability(n_resamples=10, ari_mean=0.83, ari_std=0.05, jaccard={0: 0.9, 1: 0.88, 2: 0.41, 3: 0.95, 4: 0.9},
                     verdicts={0: "solid", 1: "solid", 2: "fragile", 3: "solid", 4: "solid"})


@pytest.fixture
def recommendation():
    return Recommendation(algorithm="kmeans", k=5, reasons=["It has the lowest Davies-Bouldin index among "
                                                            "non-degenerate runs."], rule="...")


def test_summary_states_segments_revenue_concentration_and_win_back(profile, labels):
    summary = executive_summary(profile, labels)
    assert summary[0] == "The 100 customers analysed fall into 5 segments."
    top_two_revenue = (REVENUE[0] + REVENUE[1]) / TOTAL  # 0.8398
    assert summary[1] == (f"Champions is the segment with the most revenue: {100 * REVENUE[0] / TOTAL:.1f}% of "
                          "revenue from 15.0% of customers.")
    assert summary[2] == (f"The top two segments by revenue (Champions and Bulk buyers) are 35.0% of customers and "
                          f"{100 * top_two_revenue:.1f}% of revenue.")
    # Largest segments are lapsed and new (25 each): the lower id wins the tie.
    assert summary[3] == "The largest segment, Lapsed / hibernating, is 25.0% of customers but 3.0% of revenue."
    assert any("last ordered a median 420 days before the end of the data, against an overall median of 60" in s
               for s in summary)


def test_every_number_in_the_summary_and_implications_comes_from_the_inputs(profile, labels, stability,
                                                                            recommendation):
    values, percents, ratios = _profile_numbers(profile)
    s = profile.summary
    percents |= {100 * (s.loc[[a, b], col].sum()) for a in s.index for b in s.index for col in ("share",
                                                                                               "revenue_share")}
    values |= {stability.ari_mean, float(stability.n_resamples), float(recommendation.k)}
    values |= set(stability.jaccard.values())
    sentences = executive_summary(profile, labels, recommendation, stability)
    implications = business_implications(profile, labels)
    sentences += [x for items in implications.values() for x in items]
    sentences += monitoring(profile, labels, stability)
    for sentence in sentences:
        for token, suffix in NUMBER.findall(sentence):
            pool = {"%": percents, "×": ratios}.get(suffix, values)
            assert _close_to_any(float(token.replace(",", "")), token, pool), f"{token}{suffix} in {sentence!r}"


def test_summary_mentions_recommendation_and_stability(profile, labels, stability, recommendation):
    summary = executive_summary(profile, labels, recommendation, stability)
    assert any(s.startswith("The model-selection rule recommends") and "k = 5" in s for s in summary)
    assert summary[-1] == ("Across 10 bootstrap resamples the segments were stable (mean adjusted Rand index 0.830); "
                           "Premium occasional buyers is fragile.")


def test_summary_uses_the_profiles_unit_and_handles_missing_revenue():
    profile = build_profile(retail_groups(), unit="row", revenue=None)
    summary = executive_summary(profile, generate_labels(profile))
    assert summary[0] == "The 100 rows analysed fall into 5 segments."
    assert summary[1].startswith("Revenue was not available, so segments are compared by size")
    assert not any("customer" in s for s in summary)


def test_summary_counts_noise_separately():
    profile = build_profile(retail_groups(), noise_group=4)
    summary = executive_summary(profile, generate_labels(profile))
    assert summary[0] == ("The 100 customers analysed fall into 4 segments, plus 25 customers (25.0%) that the "
                          "density method left unassigned.")


def test_business_implications_keys_and_resource_allocation(profile, labels):
    result = business_implications(profile, labels)
    assert list(result) == ["targeted_marketing", "resource_allocation", "product_recommendations"]
    assert len(result["targeted_marketing"]) == 5
    assert result["targeted_marketing"][0].startswith("Champions (15.0% of customers): ")
    champions = result["resource_allocation"][0]
    index = (REVENUE[0] / TOTAL) / 0.15  # 3.7
    assert champions.startswith(f"Champions: {100 * REVENUE[0] / TOTAL:.1f}% of revenue from 15.0% of customers (revenue share {index:.2f}× ")
    assert "retention spend" in champions
    new = [s for s in result["resource_allocation"] if s.startswith("New customers")][0]
    assert "low-cost, automated channels" in new  # 1.6% of revenue from 25%: 0.06x
    assert result["product_recommendations"] == [
        "Product or category data was not provided, so no product recommendations are made."]


def test_product_recommendations_use_top_categories():
    groups = retail_groups(("champions", "lapsed"))
    shares = pd.DataFrame({"Books": [0.2] * 15 + [0.9] * 25, "Electronics": [0.8] * 15 + [0.1] * 25})
    profile = build_profile(groups, category_shares=shares)
    result = business_implications(profile, generate_labels(profile))
    assert result["product_recommendations"][0] == (
        "Champions: its largest categories by spend are Electronics (80.0%) and Books (20.0%); lead its campaigns with "
        "Electronics.")


def test_monitoring_lists_cadence_sizes_features_and_fragile_segments(profile, labels, stability):
    items = monitoring(profile, labels, stability)
    assert items[0].startswith("Re-score customers against these segments every quarter")
    assert items[1].startswith("Watch segment sizes (today: Champions 15.0%, Bulk buyers 20.0%")
    assert "days since the last order (median 60 today)" in items[2]
    assert items[-1] == ("Premium occasional buyers is fragile (mean Jaccard 0.410 over 10 resamples): treat its "
                         "boundary as provisional and check it again at the next refresh.")
    assert monitoring(profile, labels)[-1].startswith("Stability was not measured")


def test_monitoring_cadence_follows_days_between_orders():
    groups = [(10, {"mean_days_between_orders": 20.0, "monetary": 10.0}),
              (10, {"mean_days_between_orders": 30.0, "monetary": 20.0})]
    profile = build_profile(groups)
    # Values 16, 18, 20, 22, 24 and 24, 27, 30, 33, 36 (each twice): the 10th and 11th of 20 are both 24.
    assert monitoring(profile, generate_labels(profile))[0].startswith(
        "Re-score customers against these segments every month: the median customer orders 24 days apart.")


def test_methodology_states_unit_features_scaling_and_metrics_together():
    context = {
        "rows": 20110, "customers": 3000, "unit": "customer",
        "date_min": pd.Timestamp("2023-01-02"), "date_max": pd.Timestamp("2024-12-30 21:10"),
        "features": ["Recency", "Frequency", "Monetary"], "log": ["Frequency", "Monetary"],
        "scaling": "standard", "algorithm": "k-means", "k": 5,
        "reasons": ["Lowest Davies-Bouldin index."], "metrics": {"davies_bouldin": 0.91234, "silhouette": 0.3,
                                                                   "calinski_harabasz": 1234.56, "bic": float("nan")},
        "seed": 42,
    }
    text = methodology(context)
    assert text[0] == ("Unit of analysis: the customer. 20,110 transaction lines dated 2023-01-02 to 2024-12-30 were "
                       "aggregated into one row per customer, 3,000 customers in all; every count in this report is "
                       "customers.")
    assert text[1] == ("Recency and tenure are counted in days before the end of the data (2024-12-30), "
                       "not before today.")
    assert "Features (3): Recency, Frequency and Monetary." in text
    assert any("log1p was applied to Frequency and Monetary" in s for s in text)
    assert any(s.startswith("Scaling: standard") for s in text)
    assert "Algorithm: k-means with 5 clusters (random seed 42)." in text
    assert "Why this model: Lowest Davies-Bouldin index." in text
    assert text[-1] == ("On the 3 standard-scaled features of the 3,000 customers, k-means with k = 5 scored "
                        "Davies-Bouldin index 0.9123 (lower is better), Silhouette 0.3000 (higher is better) and "
                        "Calinski-Harabasz index 1,234.6 (higher is better).")


def test_methodology_for_rows_never_says_customers():
    text = methodology({"rows": 200, "unit": "row", "features": ["Age"], "log": [], "scaling": "none",
                        "algorithm": "Gaussian mixture", "k": 3, "metrics": {"silhouette": 0.41}})
    assert text[0] == "Unit of analysis: the row. The 200 rows were clustered as they are, so every count in this " \
                      "report is rows, not customers."
    assert "No log transform was applied." in text
    assert text[-1] == ("On the 1 unscaled features of the 200 rows, Gaussian mixture with k = 3 scored "
                        "Silhouette 0.4100 (higher is better).")
    assert not any("today" in s for s in text[1:])


def test_methodology_for_a_customer_table_says_nothing_was_aggregated():
    text = methodology({"rows": 200, "customers": 200, "unit": "customer", "shape": "customer_table",
                        "features": ["Age"], "log": [], "scaling": "standard", "algorithm": "k-means", "k": 4,
                        "metrics": {"silhouette": 0.41}})
    assert text[0] == ("Unit of analysis: the customer. The data already holds one row per customer (200 customers); "
                       "nothing was aggregated, and every count in this report is customers.")
    assert not any("transaction" in s for s in text)


def test_mall_profile_narrative_does_not_crash():
    profile = mall_profile()
    labels = generate_labels(profile)
    assert executive_summary(profile, labels)[1].startswith("Revenue was not available")
    assert business_implications(profile, labels)["resource_allocation"][0].startswith("Revenue was not available")
    assert monitoring(profile, labels)


def test_methodology_at_an_analysis_date_inside_the_data():
    """data.as_of inside the data: the lines, period and customers are those up to it, and recency counts from it."""
    context = {
        "rows": 13147, "customers": 2175, "unit": "customer", "date_min": pd.Timestamp("2023-01-02"),
        "date_max": pd.Timestamp("2024-06-30"), "as_of": pd.Timestamp("2024-06-30"), "lines_after": 6958,
        "features": ["Recency"], "log": [], "scaling": "standard", "algorithm": "k-means", "k": 4,
    }
    text = methodology(context)
    assert text[0].endswith("13,147 transaction lines dated 2023-01-02 to 2024-06-30 were aggregated into one row "
                            "per customer, 2,175 customers in all; every count in this report is customers.")
    assert text[1] == ("Recency and tenure are counted in days before the analysis date (2024-06-30, the end of the "
                       "data in this report), not before today; the 6,958 transaction lines dated after it were left "
                       "out, as they belong to a later period.")
