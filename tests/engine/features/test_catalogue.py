"""The feature catalogue: every feature is one entry (requirements + computation), checked by hand on loaded files.

The expected values below are worked out from the rows written in
tests/engine/data_fixtures.py (the comments show the arithmetic), not read
from the code's output.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import engine.features.aggregate as aggregate
from engine.errors import InputError
from engine.features.aggregate import aggregate_transactions
from engine.features.catalogue import FEATURES, feature_def
from engine.features.matrix import available_features, build_matrix, default_features
from engine.loading.dataset import load_dataset
from engine.project import FeatureSpec
from engine.results import FeatureDef
from tests.engine.data_fixtures import write_online_retail, write_three_tables
from tests.engine.features.test_features import canonical, transactions_dataset

T = pd.Timestamp
CATALOGUE = [name for name, entry in FEATURES.items() if entry.unit != "category"]


def test_three_tables_by_hand(tmp_path):
    # C0001: T001 01-05 2 x 20 = 40 (P001 Home Decor), T002 02-10 1 x 12.50 (P002 Books), T006 04-01 1 x 40 (P003
    #        Electronics); C0002: T003 01-20 40 (P003), T004 03-15 3 x 20 = 60 (P001); C0003: T005 03-20 4 x 12.50 = 50
    # (P002); C0004 never bought. Last date 2024-04-01, so the reference day is 2024-04-02.
    reference = T("2024-04-02")
    table, attributes, shares = aggregate_transactions(load_dataset(write_three_tables(tmp_path)), None)
    expected = pd.DataFrame({
        "recency_days": [1, (reference - T("2024-03-15")).days, (reference - T("2024-03-20")).days],
        "frequency": [3, 2, 1],  # one transaction id per line
        "monetary": [92.5, 100, 50],
        "total_quantity": [4, 4, 4],
        "avg_order_value": [92.5 / 3, 50, 50],
        "avg_unit_price": [92.5 / 4, 25, 12.5],
        "avg_items_per_order": [4 / 3, 2, 4],
        # from signup (all signed up before buying): 2022-07-14, 2022-02-13, 2024-03-07
        "tenure_days": [(reference - T(day)).days for day in ("2022-07-14", "2022-02-13", "2024-03-07")],
        # C0001: 01-05 -> 04-01 over two gaps; C0002 one gap 01-20 -> 03-15; C0003 bought once: the longer of its
        # 13 days since and the median gap of the other two
        "mean_days_between_orders": [(T("2024-04-01") - T("2024-01-05")).days / 2,
                                     (T("2024-03-15") - T("2024-01-20")).days,
                                     max(13, np.median([(T("2024-04-01") - T("2024-01-05")).days / 2,
                                                        (T("2024-03-15") - T("2024-01-20")).days]))],
        "distinct_products": [3, 2, 1],
    }, index=pd.Index(["C0001", "C0002", "C0003"], name="customer_id"), dtype="float64")
    pd.testing.assert_frame_equal(table[CATALOGUE], expected)
    # spend per category: Home Decor 40 + 60 = 100, Electronics 40 + 40 = 80, Books 12.50 + 50 = 62.50
    assert list(table.columns[len(CATALOGUE):]) == ["share_Home_Decor", "share_Electronics", "share_Books"]
    assert shares.loc["C0001"].to_dict() == pytest.approx({"Home Decor": 40 / 92.5, "Electronics": 40 / 92.5,
                                                           "Books": 12.5 / 92.5})
    assert attributes["region"].to_dict() == {"C0001": "Europe", "C0002": "Asia", "C0003": "South America"}


def test_online_retail_by_hand(tmp_path):
    # After cleaning (see the fixture's comments): 17850 invoices 536365 (6 x 2.55 + 6 x 3.39, 12-01) and 536366
    # (6 x 1.85, 12-01); 13047 536367 (32 x 1.69, 12-01) and 536368 (6 x 4.25, 12-13); 14527 only the return
    # C536379 (-1 x 27.50); 12583 536370 (24 x 3.75, 12-01) and 536374 (2 x 0.00, 12-02). Reference day 2010-12-14.
    table, attributes, shares = aggregate_transactions(load_dataset([write_online_retail(tmp_path)]), None)
    nan = np.nan
    single_gap = max(13, np.median([12, 1]))  # 17850 bought on one day: 13 days ago; repeat gaps 12 and 1
    expected = pd.DataFrame({
        "recency_days": [12, 1, nan, 13],
        "frequency": [2, 2, 0, 2],
        "monetary": [90, 79.58, -27.5, 46.74],
        "total_quantity": [26, 38, -1, 18],
        "avg_order_value": [45, 79.58 / 2, nan, 46.74 / 2],
        "avg_unit_price": [90 / 26, 79.58 / 38, nan, 46.74 / 18],
        "avg_items_per_order": [13, 19, nan, 9],
        "tenure_days": [13, 13, nan, 13],  # no signup dates: from the first purchase, 12-01 for all three
        "mean_days_between_orders": [1, 12, nan, single_gap],
        "distinct_products": [2, 2, 0, 3],
    }, index=pd.Index(["12583", "13047", "14527", "17850"], name="customer_id"), dtype="float64")
    pd.testing.assert_frame_equal(table[CATALOGUE], expected, rtol=1e-12)
    assert shares is None and list(table.columns) == CATALOGUE  # no category column: no share features
    assert attributes["region"].tolist() == ["France", "United Kingdom", "United Kingdom", "United Kingdom"]


# ---- a feature is one registry entry ------------------------------------------------

def _categories_bought(lines) -> pd.Series:
    """A feature written the plain pandas way: a Series by customer id."""
    bought = lines.tx[lines.buy]
    return bought.groupby(bought["customer_id"].astype("str"))["category"].nunique()


SPAN = FeatureDef("purchase_span_days", "Purchase span", "Days from the first to the last purchase.", "days",
                  False, ("customer_id", "date"), compute=lambda lines: lines.last_day - lines.first_day)
CATEGORIES = FeatureDef("categories_bought", "Categories bought", "Different categories bought.", "categories",
                        True, ("customer_id", "category"), compute=_categories_bought)


@pytest.fixture
def registered(monkeypatch):
    """The two throwaway features registered for one test; monkeypatch removes them afterwards."""
    for entry in (SPAN, CATEGORIES):
        monkeypatch.setitem(FEATURES, entry.name, entry)


def test_a_registered_feature_is_computed_offered_and_selectable(registered):
    # tests/engine/features/test_features.py LINES: A buys 03-01, 03-11, 03-31 (Books, Electronics, Home Decor; the
    # Electronics return does not count); B buys twice on 03-05 (Electronics, Home Decor); C 03-20 and 04-09
    # (Books; Home Decor, Electronics).
    dataset = transactions_dataset()
    table, _, _ = aggregate_transactions(dataset, None)
    assert table["purchase_span_days"].tolist() == [30, 0, 20]
    assert table["categories_bought"].tolist() == [3, 2, 3]
    offered = available_features(dataset, "customer")
    assert offered.index("purchase_span_days") < offered.index("categories_bought") < offered.index("share_Books")
    assert "purchase_span_days" not in default_features(dataset, "customer")
    assert feature_def("categories_bought") is CATEGORIES
    matrix = build_matrix(dataset, FeatureSpec(selected=["purchase_span_days", "categories_bought"], log=[]), "customer")
    assert matrix.labels["purchase_span_days"] == "Purchase span"
    assert matrix.table["categories_bought"].tolist() == [3, 2, 3]


def test_a_registered_feature_is_left_out_when_its_columns_are_missing(registered):
    dataset = transactions_dataset(canonical(drop=("category",)))
    table, _, _ = aggregate_transactions(dataset, None)
    assert "categories_bought" not in table and table["purchase_span_days"].tolist() == [30, 0, 20]
    assert "categories_bought" not in available_features(dataset, "customer")
    with pytest.raises(InputError, match="'categories_bought' is not available"):
        build_matrix(dataset, FeatureSpec(selected=["categories_bought"]), "customer")


def test_registered_features_are_gone_after_the_test():
    assert "categories_bought" not in FEATURES
    assert "categories_bought" not in aggregate_transactions(transactions_dataset(), None)[0]


def test_shared_aggregates_are_computed_once(registered, monkeypatch):
    # recency, tenure, days between orders and the throwaway span all read the dates and the last purchase day
    calls: list[str] = []
    day_numbers, reduce = aggregate._day_numbers, aggregate._Groups.reduce

    def counting_days(dates):
        calls.append(f"days {dates.name}")
        return day_numbers(dates)

    def counting_reduce(self, values, ufunc):
        calls.append(f"reduce {ufunc.__name__}")
        return reduce(self, values, ufunc)

    monkeypatch.setattr(aggregate, "_day_numbers", counting_days)
    monkeypatch.setattr(aggregate._Groups, "reduce", counting_reduce)
    aggregate_transactions(transactions_dataset(), None)
    assert calls.count("days date") == 1 and calls.count("reduce fmax") == 1


def test_only_the_requested_features_are_computed():
    table, _, _ = aggregate_transactions(transactions_dataset(), None, [FEATURES["monetary"], FEATURES["region"]])
    assert [c for c in table.columns if not c.startswith("share_")] == ["monetary"]
    assert table["monetary"].tolist() == [70, 120, 140]  # hand-checked in test_features.EXPECTED


def test_a_bad_as_of_is_refused_even_when_no_requested_feature_reads_dates():
    with pytest.raises(InputError, match="not a date"):
        aggregate_transactions(transactions_dataset(), "soon", [FEATURES["monetary"]])


def test_catalogue_requirements_name_canonical_columns_and_every_entry_computes():
    from engine.results import CANONICAL_COLUMNS

    for entry in FEATURES.values():
        assert entry.compute is not None and set(entry.needs) <= set(CANONICAL_COLUMNS)


def test_category_shares_when_no_line_has_money(tmp_path):
    """Every price 0 (an integer column): no customer has category spend, shares are 0 (it used to crash)."""
    ids = [f"C{i}" for i in range(6)]
    pd.DataFrame({"customer_id": ids * 3, "order_id": range(18), "date": [f"2024-03-0{1 + i % 9}" for i in range(18)],
                  "quantity": [1, 2, 3] * 6, "unit_price": [0] * 18, "category": ["Food", "Home", "Toys"] * 6}
                 ).to_csv(tmp_path / "lines.csv", index=False)
    _, _, shares = aggregate_transactions(load_dataset([tmp_path / "lines.csv"]), None)
    assert shares is not None and len(shares) == 6 and (shares.to_numpy() == 0).all()
