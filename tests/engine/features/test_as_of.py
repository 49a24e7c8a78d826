"""``data.as_of`` inside the data: only the lines up to it count, recency and tenure are measured from it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.errors import InputError
from engine.features.aggregate import aggregate_transactions
from engine.features.catalogue import FEATURES
from engine.features.matrix import build_matrix, customer_features
from engine.loading.dataset import load_dataset
from engine.project import FeatureSpec
from engine.synthetic import make_sample
from tests.engine.data_fixtures import write_three_tables
from tests.engine.features.test_features import transactions_dataset

COLUMNS = ["recency_days", "frequency", "monetary", "total_quantity", "avg_order_value", "tenure_days",
           "mean_days_between_orders"]


def test_features_at_a_past_date_match_hand_computed_values():
    # test_features.LINES cut at 2024-03-15: A keeps O1 (03-01, two lines), O2 (03-11) and the return R1
    # (03-15); B keeps O4, O5 (03-05); A's O3 (03-31) and all of C (first line 03-20) come later.
    # A: last purchase 03-11 -> recency 4; orders O1, O2 -> 2; monetary 20+50+30-50 = 50; quantity 2+1+3-1 = 5;
    #    AOV 100/2 = 50; tenure 2024-01-01 -> 03-15 = 31+29+14 = 74; purchase days 03-01, 03-11 -> gap 10.
    # B: last 03-05 -> recency 10; orders 2; monetary 100+20 = 120; quantity 3; AOV 60;
    #    tenure 02-15 -> 03-15 = 14+15 = 29; one purchase day -> max(10 days since it, A's gap 10) = 10.
    table, attributes, shares = customer_features(transactions_dataset(), as_of="2024-03-15")
    expected = pd.DataFrame(
        {"recency_days": [4, 10], "frequency": [2, 2], "monetary": [50, 120], "total_quantity": [5, 3],
         "avg_order_value": [50, 60], "tenure_days": [74, 29], "mean_days_between_orders": [10, 10]},
        index=pd.Index(["A", "B"], name="customer_id"), dtype="float64",
    )
    pd.testing.assert_frame_equal(table[COLUMNS], expected)
    assert attributes["region"].to_dict() == {"A": "Europe", "B": "Asia"}
    # spend up to 03-15: Electronics 50+100, Books 20+30, Home Decor 20 (C's later Home Decor does not count)
    assert list(shares.columns) == ["Electronics", "Books", "Home Decor"]
    assert shares.loc["A"].to_dict() == pytest.approx({"Electronics": 0.5, "Books": 0.5, "Home Decor": 0})
    assert table.loc["B", "share_Home_Decor"] == pytest.approx(20 / 120)


def test_lines_on_the_as_of_day_count_whatever_their_hour():
    # B's O5 is at 18:00 on 03-05; A has only O1 (03-01) by then
    table, _, _ = customer_features(transactions_dataset(), as_of="2024-03-05")
    assert table["recency_days"].to_dict() == {"A": 4, "B": 0}
    assert table["frequency"].to_dict() == {"A": 1, "B": 2}
    assert table["monetary"].to_dict() == {"A": 70, "B": 120}


def test_an_as_of_on_or_after_the_last_date_keeps_every_line():
    full, _, _ = customer_features(transactions_dataset())
    for as_of in ("2024-04-09", "2024-05-01"):
        table, _, _ = customer_features(transactions_dataset(), as_of=as_of)
        pd.testing.assert_frame_equal(table.drop(columns=["recency_days", "tenure_days", "mean_days_between_orders"]),
                                      full.drop(columns=["recency_days", "tenure_days", "mean_days_between_orders"]))
    # 2024-05-01 is 21 days after the default reference 2024-04-10
    assert (table["recency_days"] - full["recency_days"]).tolist() == [21, 21, 21]


def test_the_requested_features_alone_are_cut_too():
    table, _, _ = aggregate_transactions(transactions_dataset(), "2024-03-15", [FEATURES["monetary"]])
    assert table["monetary"].to_dict() == {"A": 50, "B": 120}


def test_an_as_of_before_the_first_date_is_one_sentence():
    with pytest.raises(InputError) as caught:
        customer_features(transactions_dataset(), as_of="2024-02-29")
    message = str(caught.value)
    assert caught.value.field == "data.as_of"
    assert message.count(". ") == 0 and message.endswith(".")
    assert "2024-02-29" in message and "before the first transaction date 2024-03-01" in message


def test_three_tables_at_a_past_date(tmp_path):
    """Loaded files: a customer signed up before as_of who bought only later, and one who never bought, are absent."""
    dataset = load_dataset(write_three_tables(tmp_path))
    table, attributes, _ = customer_features(dataset, as_of="2024-03-15")
    # T001-T004 are on or before 03-15 (T004 at 14:22 that day); T005 (C0003, 03-20) and T006 (C0001, 04-01) later.
    # C0001: last 02-10 -> 19 days to 02-29 + 15 = 34; 12.50 + 40 = 52.50; signup 2022-07-14 -> 2024-03-15:
    #        2022-07-14 -> 2023-07-14 is 365 days, -> 2024-03-14 is 31+31+30+31+30+31+31+29 = 244, +1 = 610.
    # C0002: last 03-15 -> 0; 40 + 60 = 100. C0003 (signed up 2024-03-07, first purchase 03-20) and C0004 (no line)
    #        did not buy by then.
    assert list(table.index) == ["C0001", "C0002"]
    assert table["recency_days"].tolist() == [34, 0]
    assert table["frequency"].tolist() == [2, 2]
    assert table["monetary"].tolist() == pytest.approx([52.5, 100])
    assert table.loc["C0001", "tenure_days"] == 610
    assert attributes["region"].tolist() == ["Europe", "Asia"]
    with pytest.raises(InputError, match="2 customers to segment, fewer than the minimum of 3"):
        build_matrix(dataset, FeatureSpec(), "customer", as_of="2024-03-15", min_units=3)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("as_of")
    sample = make_sample(n_customers=300, seed=11, end_date="2024-12-31")
    for name in ("transactions", "customers", "products"):
        sample[name].to_csv(folder / f"{name.capitalize()}.csv", index=False)
    dataset = load_dataset([folder])
    assert dataset.quality.rows_used < len(sample["transactions"])  # the generator's faults were cleaned away
    return dataset, dataset.transactions  # so the expectations read the lines the features read


def test_the_matrix_at_a_past_date_says_what_it_left_out(generated):
    dataset, lines = generated
    dates = lines["date"]
    as_of = pd.Timestamp("2024-06-30")
    later = dates >= as_of + pd.Timedelta(days=1)
    first_seen = dates.groupby(lines["customer_id"]).min()
    new_later = int((first_seen >= as_of + pd.Timedelta(days=1)).sum())
    assert 0 < later.sum() < len(lines) and new_later > 0  # the generator spreads customers over the period

    m = build_matrix(dataset, FeatureSpec(), "customer", as_of="2024-06-30", min_units=50)
    assert m.lines_after_as_of == int(later.sum())
    assert m.as_of == as_of
    assert len(m.table) == lines["customer_id"].nunique() - new_later
    assert set(m.table.index) == set(lines.loc[~later, "customer_id"])
    assert m.warnings[0] == (
        f"Analysis as of 2024-06-30: {int(later.sum()):,} transaction lines dated after it were left out (they "
        f"belong to a later period); {new_later:,} customers whose first purchase came after it are not in the "
        "analysis.")
    # window from the first date to the analysis date, not to the end of the data
    assert m.window_days == (as_of - dates.min().normalize()).days
    # one customer by hand from the canonical lines: recency, frequency and spend up to the date only
    kept = lines[~later]
    cid = kept["customer_id"].value_counts().index[0]
    mine = kept[kept["customer_id"] == cid]
    last = mine.loc[~mine["is_return"], "date"].max().normalize()
    assert m.table.loc[cid, "recency_days"] == (as_of - last).days
    assert m.table.loc[cid, "monetary"] == pytest.approx(mine["amount"].sum())
    assert m.table.loc[cid, "frequency"] == mine.loc[~mine["is_return"], "order_id"].nunique()
    assert m.revenue.loc[cid] == pytest.approx(mine["amount"].sum())
    assert m.table["recency_days"].min() >= 0


def test_the_default_date_leaves_nothing_out(generated):
    dataset, lines = generated
    m = build_matrix(dataset, FeatureSpec(), "customer", min_units=50)
    assert m.lines_after_as_of == 0 and not any("Analysis as of" in w for w in m.warnings)
    assert m.as_of == lines["date"].max().normalize() + pd.Timedelta(days=1)
    assert len(m.table) == lines["customer_id"].nunique()
    assert np.isfinite(m.X).all()
