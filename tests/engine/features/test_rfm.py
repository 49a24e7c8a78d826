"""RFM baseline: quantile scores with tied values, the visible rule table, collapsed bins, bad input."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from engine.errors import InputError
from engine.features.rfm import (
    RULES,
    SEGMENTS,
    cut_scores,
    quantile_scores,
    rfm_segments,
    rule_table,
    segment_of,
)


def ten_customers() -> pd.DataFrame:
    """Six of ten customers bought once: frequency quantiles collapse."""
    return pd.DataFrame(
        {
            "recency_days": [5, 10, 20, 40, 80, 160, 320, 400, 500, 600],
            "frequency": [1, 1, 1, 1, 1, 1, 2, 2, 3, 5],
            "monetary": [10, 20, 30, 40, 50, 60, 70, 80, 90, 100],
        },
        index=[f"C{i}" for i in range(10)],
    )


def test_scores_by_hand():
    result = rfm_segments(ten_customers())
    # Recency: lower is better, two customers per quintile.
    assert result.scores["r_score"].tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    # Frequency: 6 customers strictly below the value 2 -> 1 + floor(5 * 6 / 10) = 4; below 3: 8 -> 5.
    assert result.scores["f_score"].tolist() == [1, 1, 1, 1, 1, 1, 4, 4, 5, 5]
    assert result.scores["m_score"].tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert result.scores.index.tolist() == ten_customers().index.tolist()
    # FM = mean of F and M; segments from the table (first match wins).
    assert result.scores["fm_score"].tolist() == [1.0, 1.0, 1.5, 1.5, 2.0, 2.0, 4.0, 4.0, 5.0, 5.0]
    assert result.segments.tolist() == [
        "New customers", "New customers", "Promising", "Promising", "Need attention", "Need attention",
        "At risk", "At risk", "Can't lose them", "Can't lose them",
    ]
    assert [SEGMENTS[i] for i in result.labels] == result.segments.tolist()


def test_collapsed_frequency_bins_are_reported_not_hidden():
    result = rfm_segments(ten_customers())
    assert len(result.notes) == 1
    note = result.notes[0]
    assert note.startswith("Frequency: 60% of customers share the value 1")
    assert "scores 2 and 3 are empty" in note and "all score 1" in note
    freq = result.edges[result.edges["feature"] == "frequency"].set_index("score")
    assert freq["units"].tolist() == [6, 0, 0, 2, 2]
    assert freq.loc[1, ["low", "high"]].tolist() == [1.0, 1.0]
    assert freq.loc[5, ["low", "high"]].tolist() == [3.0, 5.0]
    assert np.isnan(freq.loc[2, "low"])
    assert result.edges.groupby("feature")["units"].sum().tolist() == [10, 10, 10]


def test_many_one_time_buyers_still_scores_everyone():
    rng = np.random.default_rng(0)
    n = 1000
    frequency = np.where(rng.random(n) < 0.7, 1, rng.integers(2, 12, n))
    context = pd.DataFrame({
        "recency_days": rng.integers(1, 700, n),
        "frequency": frequency,
        "monetary": rng.lognormal(4, 1, n),
    })
    result = rfm_segments(context)
    assert result.scores["f_score"][context["frequency"] == 1].eq(1).all()  # ties never straddle a bin
    assert result.segments.notna().all() and len(result.segments) == n
    one_time_share = (frequency == 1).mean()  # 0.678 with this seed: above three bins' worth (0.6)
    assert [note for note in result.notes if note.startswith("Frequency")] == [
        f"Frequency: {one_time_share:.0%} of customers share the value 1, so frequency scores 2 and 3 are empty "
        "and those customers all score 1 (quantile bins cannot split tied values)."
    ]
    assert not any(note.startswith("Monetary") for note in result.notes)  # continuous values never collapse


def test_rule_table_covers_every_score_pair_once_in_order():
    r_values = range(1, 6)
    fm_values = np.arange(1.0, 5.01, 0.5)
    pairs = np.array(list(itertools.product(r_values, fm_values)))
    segment = segment_of(pairs[:, 0], pairs[:, 1])
    assert (segment >= 0).all(), "every (R, FM) pair must get a segment"
    assert set(segment) == set(range(len(RULES))), "every rule must be reachable"
    expected = {(5, 5.0): "Champions", (4, 4.0): "Champions", (3, 5.0): "Loyal", (5, 3.0): "Loyal",
                (5, 2.0): "Potential loyalist", (5, 1.0): "New customers", (4, 1.5): "Promising",
                (3, 2.5): "Need attention", (3, 1.0): "About to sleep", (1, 4.5): "Can't lose them",
                (1, 3.0): "At risk", (2, 5.0): "At risk", (2, 1.0): "Hibernating", (1, 2.5): "Lost"}
    for (r, fm), name in expected.items():
        assert SEGMENTS[segment_of(np.array([r]), np.array([fm]))[0]] == name, (r, fm)


def test_rule_table_frame_for_the_report():
    table = rule_table()
    assert table["segment"].tolist() == list(SEGMENTS)
    assert len(SEGMENTS) == 11
    assert table.loc[0, "recency score"] == "4-5" and table.loc[0, "frequency+monetary score"] == "4-5"
    assert table.loc[3, "recency score"] == "5"
    assert table["description"].str.len().gt(10).all()


def test_quantile_scores_ties_share_the_lower_score():
    assert quantile_scores(np.array([1, 1, 1, 1]), 5).tolist() == [1, 1, 1, 1]
    assert quantile_scores(np.array([3.0, 1.0, 2.0, 4.0]), 4).tolist() == [3, 1, 2, 4]
    assert quantile_scores(np.array([3.0, 1.0, 2.0, 4.0]), 4, higher_is_better=False).tolist() == [2, 4, 3, 1]


def test_analyst_cut_points():
    assert cut_scores(np.array([0, 1, 2, 3, 9]), [1, 2, 4, 8]).tolist() == [1, 1, 2, 3, 5]
    assert cut_scores(np.array([10, 30, 31, 400]), [30, 90, 180, 365], higher_is_better=False).tolist() == [5, 5, 4, 1]
    result = rfm_segments(ten_customers(), cuts={"frequency": [1, 2, 4, 8]})
    assert result.scores["f_score"].tolist() == [1, 1, 1, 1, 1, 1, 2, 2, 3, 4]
    assert result.notes == ["Frequency: no customer falls in score 5 with the analyst's cut points [1, 2, 4, 8]."]


def test_four_bins_map_onto_the_five_point_table():
    result = rfm_segments(ten_customers(), bins=4)
    assert result.bins == 4
    assert set(result.scores["r_score"]) == {1, 2, 3, 4}
    # Most recent customers: R = 4 of 4 -> 5 on the table's scale; they bought once and little.
    assert result.segments.iloc[0] == "New customers"
    assert result.edges["score"].max() == 4


@pytest.mark.parametrize(
    "context, kwargs, fragment",
    [
        (ten_customers().drop(columns="monetary"), {}, "needs monetary"),
        (ten_customers(), {"bins": 1}, "bins is 1"),
        (ten_customers(), {"bins": "5"}, "bins is '5'"),
        (ten_customers(), {"cuts": {"frequency": [1, 2]}}, "give 4 increasing numbers"),
        (ten_customers(), {"cuts": {"frequency": [4, 3, 2, 1]}}, "give 4 increasing numbers"),
        (ten_customers(), {"cuts": {"tenure_days": [1, 2, 3, 4]}}, "has key 'tenure_days'"),
        (ten_customers().iloc[:0], {}, "got no customers"),
        (ten_customers().assign(frequency=[1, 1, None, 1, 1, 1, 2, 2, 3, 5]), {}, "frequency has missing"),
    ],
)
def test_bad_input_is_one_clear_sentence(context, kwargs, fragment):
    with pytest.raises(InputError) as info:
        rfm_segments(context, **kwargs)
    assert fragment in str(info.value)
    assert str(info.value).count(". ") == 0  # one sentence
