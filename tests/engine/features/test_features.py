"""Customer features against hand-computed values, and build_matrix's choices and refusals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.errors import InputError
from engine.features.catalogue import FEATURES, feature_def
from engine.features.matrix import available_features, build_matrix, customer_features, default_features
from engine.project import FeatureSpec
from engine.results import Dataset, QualitySummary, TableInfo

T = pd.Timestamp
NaT = pd.NaT

# Three customers, ten canonical lines, one return. Last date in the data: 2024-04-09,
# so the reference date is 2024-04-10.
LINES = [
    # customer, order, date, quantity, unit_price, product, category, signup, is_return
    ("A", "O1", "2024-03-01 10:00", 2, 10.0, "P1", "Books", "2024-01-01", False),
    ("A", "O1", "2024-03-01 10:00", 1, 50.0, "P2", "Electronics", "2024-01-01", False),
    ("A", "O2", "2024-03-11 09:00", 3, 10.0, "P1", "Books", "2024-01-01", False),
    ("A", "R1", "2024-03-15 12:00", -1, 50.0, "P2", "Electronics", "2024-01-01", True),
    ("A", "O3", "2024-03-31 15:00", 1, 20.0, "P3", "Home Decor", "2024-01-01", False),
    ("B", "O4", "2024-03-05 09:30", 2, 50.0, "P2", "Electronics", "2024-02-15", False),
    ("B", "O5", "2024-03-05 18:00", 1, 20.0, "P3", "Home Decor", "2024-02-15", False),
    ("C", "O6", "2024-03-20 11:00", 5, 10.0, "P1", "Books", None, False),
    ("C", "O7", "2024-04-09 16:00", 2, 20.0, "P3", "Home Decor", None, False),
    ("C", "O7", "2024-04-09 16:00", 1, 50.0, "P2", "Electronics", None, False),
]
REGIONS = {"A": "Europe", "B": "Asia", "C": "Europe"}

# Expected values, by hand (reference 2024-04-10):
# A: last purchase 03-31 -> recency 10; orders O1,O2,O3 -> 3 (R1 is a return);
#    monetary 20+50+30-50+20 = 70; total_quantity 2+1+3-1+1 = 6;
#    purchase revenue 120 over 3 orders -> AOV 40; 7 items -> unit price 120/7, items/order 7/3;
#    tenure 2024-01-01 -> 04-10 = 31+29+31+9 = 100; purchase days 03-01, 03-11, 03-31 -> gaps 10, 20 -> 15;
#    products P1,P2,P3 -> 3; shares Books 50/120, Electronics 50/120, Home Decor 20/120.
# B: last 03-05 -> recency 26+10 = 36; orders O4, O5 -> 2; monetary 120; quantity 3; AOV 60;
#    unit price 40; items/order 1.5; tenure 02-15 -> 04-10 = 15+31+9 = 55;
#    one purchase day -> gap = max(days since it 36, median gap of repeat buyers median(15, 20) = 17.5) = 36.
# C: last 04-09 -> recency 1; orders O6, O7 -> 2; monetary 50+40+50 = 140; quantity 8; AOV 70;
#    unit price 140/8 = 17.5; items/order 4; no signup -> first purchase 03-20 -> tenure 12+9 = 21;
#    gap 03-20 -> 04-09 = 20; products 3.
EXPECTED = pd.DataFrame(
    {
        "recency_days": [10, 36, 1],
        "frequency": [3, 2, 2],
        "monetary": [70, 120, 140],
        "total_quantity": [6, 3, 8],
        "avg_order_value": [40, 60, 70],
        "avg_unit_price": [120 / 7, 40, 17.5],
        "avg_items_per_order": [7 / 3, 1.5, 4],
        "tenure_days": [100, 55, 21],
        "mean_days_between_orders": [15, 36, 20],
        "distinct_products": [3, 2, 3],
    },
    index=pd.Index(["A", "B", "C"], name="customer_id"),
    dtype="float64",
)


def canonical(lines=LINES, drop: tuple[str, ...] = ()) -> pd.DataFrame:
    frame = pd.DataFrame(
        lines,
        columns=["customer_id", "order_id", "date", "quantity", "unit_price", "product_id", "category",
                 "signup_date", "is_return"],
    )
    frame["date"] = pd.to_datetime(frame["date"])
    frame["signup_date"] = pd.to_datetime(frame["signup_date"])
    frame["quantity"] = frame["quantity"].astype("float64")
    frame["amount"] = frame["quantity"] * frame["unit_price"]
    frame["region"] = frame["customer_id"].map(REGIONS)
    return frame.drop(columns=list(drop))


def transactions_dataset(tx: pd.DataFrame | None = None) -> Dataset:
    tx = canonical() if tx is None else tx
    info = TableInfo("tx.csv", "tx.csv", "transactions", len(tx), list(tx.columns), {"customer_id": "customer_id"})
    quality = QualitySummary(rows_read=len(tx), rows_used=len(tx), customers=tx["customer_id"].nunique())
    return Dataset([info], "transactions", tx, None, tx.copy(), quality)


def rows_dataset(rows: pd.DataFrame, shape: str = "rows", roles: dict | None = None) -> Dataset:
    info = TableInfo("t.csv", "t.csv", "customer_table" if shape == "customer_table" else "unknown", len(rows),
                     list(rows.columns), roles or {})
    quality = QualitySummary(rows_read=len(rows), rows_used=len(rows), customers=0)
    return Dataset([info], shape, None, None, rows, quality)


# ---- customer features by hand -------------------------------------------------

def test_customer_features_match_hand_computed_values():
    table, attributes, shares = customer_features(transactions_dataset())
    pd.testing.assert_frame_equal(table[EXPECTED.columns], EXPECTED)
    assert attributes["region"].to_dict() == {"A": "Europe", "B": "Asia", "C": "Europe"}
    assert shares.loc["A"].to_dict() == pytest.approx({"Books": 50 / 120, "Electronics": 50 / 120,
                                                       "Home Decor": 20 / 120})
    assert shares.loc["B"].to_dict() == pytest.approx({"Books": 0, "Electronics": 100 / 120, "Home Decor": 20 / 120})
    # share features sit in the table under stable keys; spend order: Electronics 250, Books 120, Home Decor 80
    assert [c for c in table.columns if c.startswith("share_")] == ["share_Electronics", "share_Books",
                                                                     "share_Home_Decor"]
    assert table.loc["C", "share_Home_Decor"] == pytest.approx(40 / 140)


def test_orders_fall_back_to_timestamps_without_order_ids():
    # A's O1 lines share a timestamp (one order); B's two orders are hours apart (two orders).
    table, _, _ = customer_features(transactions_dataset(canonical(drop=("order_id",))))
    assert table["frequency"].tolist() == [3, 2, 2]


def test_return_flag_missing_means_negative_lines_are_returns():
    table, _, _ = customer_features(transactions_dataset(canonical(drop=("is_return",))))
    pd.testing.assert_frame_equal(table[EXPECTED.columns], EXPECTED)


def test_recency_is_measured_from_the_end_of_the_data_not_today():
    table, _, _ = customer_features(transactions_dataset())
    # the data ended in 2024; from today every recency would be hundreds of days or more
    assert table["recency_days"].max() == 36


def test_as_of_moves_the_reference_date():
    table, _, _ = customer_features(transactions_dataset(), as_of="2024-04-30")
    # 20 days later than the default reference 2024-04-10
    assert table["recency_days"].tolist() == [30, 56, 21]
    assert table["tenure_days"].tolist() == [120, 75, 41]
    same_day, _, _ = customer_features(transactions_dataset(), as_of=T("2024-04-09"))
    assert same_day.loc["C", "recency_days"] == 0


@pytest.mark.parametrize("as_of, words", [("2024-02-29", "before the first transaction date 2024-03-01"),
                                           ("next tuesday", "not a date")])
def test_bad_as_of_is_refused(as_of, words):
    with pytest.raises(InputError, match=words):
        customer_features(transactions_dataset(), as_of=as_of)


def test_signup_dates_from_the_customers_table_are_used():
    tx = canonical(drop=("signup_date", "region"))
    dataset = transactions_dataset(tx)
    dataset.customers = pd.DataFrame(
        {"signup_date": pd.to_datetime(["2024-01-01", "2024-02-15", None]), "region": ["Europe", "Asia", "Asia"]},
        index=pd.Index(["A", "B", "C"], name="customer_id"),
    )
    table, attributes, _ = customer_features(dataset)
    assert table["tenure_days"].tolist() == [100, 55, 21]
    assert attributes["region"].tolist() == ["Europe", "Asia", "Asia"]


def test_available_features_follow_the_columns_present():
    full = available_features(transactions_dataset(), "customer")
    assert full[:10] == list(EXPECTED.columns)
    assert "region" not in full  # categorical: an attribute, not a clustering feature
    bare = canonical(drop=("quantity", "unit_price", "product_id", "category", "signup_date", "region"))
    assert available_features(transactions_dataset(bare), "customer") == [
        "recency_days", "frequency", "monetary", "avg_order_value", "tenure_days", "mean_days_between_orders"]
    assert default_features(transactions_dataset(bare), "customer") == [
        "recency_days", "frequency", "monetary", "tenure_days"]
    assert default_features(transactions_dataset(), "customer") == [
        "recency_days", "frequency", "monetary", "avg_items_per_order", "avg_unit_price", "tenure_days"]


def test_catalogue_entries_are_consistent():
    for name, entry in FEATURES.items():
        assert entry.name == name and entry.label and entry.description and entry.needs[0] == "customer_id"
    share = feature_def("share_Home_Decor")
    assert share.label == "Share of spend: Home Decor" and share.unit == "share"
    assert feature_def("no_such_feature") is None


# ---- build_matrix ----------------------------------------------------------------

def test_defaults_auto_log_and_standard_scaling():
    matrix = build_matrix(transactions_dataset(), FeatureSpec(), "customer")
    assert matrix.names == default_features(transactions_dataset(), "customer")
    assert matrix.log == ["recency_days", "frequency", "monetary", "avg_items_per_order", "avg_unit_price"]
    assert matrix.unit == "customer" and matrix.scaling == "standard"
    recency = np.log1p([10.0, 36.0, 1.0])
    expected = (recency - recency.mean()) / recency.std()
    np.testing.assert_allclose(matrix.X[:, 0], expected)
    tenure = np.array([100.0, 55.0, 21.0])  # not skewed: no log
    np.testing.assert_allclose(matrix.X[:, 5], (tenure - tenure.mean()) / tenure.std())
    assert matrix.revenue.tolist() == [70, 120, 140]
    assert matrix.labels["recency_days"] == "Recency"
    assert matrix.labels["share_Home_Decor"] == "Share of spend: Home Decor"
    assert matrix.attributes["region"].tolist() == ["Europe", "Asia", "Europe"]
    assert list(matrix.category_shares.columns) == ["Electronics", "Books", "Home Decor"]
    assert matrix.warnings == []


@pytest.mark.parametrize("scaling", ["none", "standard", "minmax", "robust"])
def test_each_scaling(scaling):
    spec = FeatureSpec(selected=["monetary", "tenure_days"], scaling=scaling, log=["monetary"])
    X = build_matrix(transactions_dataset(), spec, "customer").X
    monetary = np.log1p([70.0, 120.0, 140.0])
    tenure = np.array([100.0, 55.0, 21.0])
    raw = np.column_stack([monetary, tenure])
    expected = {
        "none": raw,
        "standard": (raw - raw.mean(axis=0)) / raw.std(axis=0),
        "minmax": (raw - raw.min(axis=0)) / (raw.max(axis=0) - raw.min(axis=0)),
        # robust: (x - median) / IQR; IQR of three values with linear quantiles = (max - min) / 2
        "robust": (raw - np.median(raw, axis=0)) / ((raw.max(axis=0) - raw.min(axis=0)) / 2),
    }[scaling]
    np.testing.assert_allclose(X, expected)


def test_explicit_empty_log_keeps_raw_values():
    matrix = build_matrix(transactions_dataset(), FeatureSpec(selected=["monetary"], scaling="none", log=[]),
                          "customer")
    assert matrix.log == []
    assert matrix.X[:, 0].tolist() == [70, 120, 140]


def test_unknown_feature_lists_the_available_ones():
    with pytest.raises(InputError, match=r"'recency' is not available.*recency_days, frequency, monetary"):
        build_matrix(transactions_dataset(), FeatureSpec(selected=["recency"]), "customer")
    with pytest.raises(InputError, match="category shown in the cluster profiles"):
        build_matrix(transactions_dataset(), FeatureSpec(selected=["region"]), "customer")
    with pytest.raises(InputError, match="features.log names 'spend'"):
        build_matrix(transactions_dataset(), FeatureSpec(log=["spend"]), "customer")
    with pytest.raises(InputError, match="No features are selected"):
        build_matrix(transactions_dataset(), FeatureSpec(selected=[]), "customer")


def test_bad_unit_and_scaling_are_refused():
    with pytest.raises(InputError, match="data.unit is 'customers'"):
        build_matrix(transactions_dataset(), FeatureSpec(), "customers")
    with pytest.raises(InputError, match="features.scaling is 'zscore'.*standard"):
        build_matrix(transactions_dataset(), FeatureSpec(scaling="zscore"), "customer")


def test_customer_unit_needs_a_customer_id():
    rows = pd.DataFrame({"amount": [1.0, 2.0, 3.0, 4.0]})
    with pytest.raises(InputError, match='no customer id column.*unit "row".*customer id'):
        build_matrix(rows_dataset(rows), FeatureSpec(), "customer")


def test_fewer_than_three_units_is_refused():
    two_customers = canonical([line for line in LINES if line[0] != "C"])
    with pytest.raises(InputError, match="has 2 customers to segment, fewer than the minimum of 3"):
        build_matrix(transactions_dataset(two_customers), FeatureSpec(), "customer")


def test_fewer_units_than_the_project_minimum_is_refused_with_one_sentence():
    with pytest.raises(InputError) as caught:
        build_matrix(transactions_dataset(), FeatureSpec(), "customer", min_units=50)
    message = str(caught.value)
    assert message == ("The data has 3 customers to segment, fewer than the minimum of 50; load a longer period or "
                       "more customers (or lower data.min_units if you accept segments this small).")
    assert build_matrix(transactions_dataset(), FeatureSpec(), "customer", min_units=3).table.shape[0] == 3


def test_near_constant_features_are_dropped_with_a_note_naming_them():
    # 60 rows: Stores is 2 everywhere, Visits differs on 5 rows only (fewer than the 10-unit smallest segment),
    # Spend varies everywhere.
    rng = np.random.default_rng(0)
    rows = pd.DataFrame({"Spend": rng.uniform(1, 100, 60), "Stores": [2] * 60, "Visits": [1] * 55 + [3] * 5})
    matrix = build_matrix(rows_dataset(rows), FeatureSpec(log=[]), "row")
    assert matrix.names == ["Spend"] and matrix.X.shape == (60, 1)
    assert matrix.warnings == [
        "Features Stores (2 for every row), Visits (1 for all but 5 rows) were dropped before clustering: too few "
        "units differ to shape a segment."
    ]
    # 12 rows differing is enough to shape a segment: kept
    rows["Visits"] = [1] * 48 + [3] * 12
    assert build_matrix(rows_dataset(rows), FeatureSpec(log=[]), "row").names == ["Spend", "Visits"]
    # nothing left to cluster on: refused
    with pytest.raises(InputError, match="Every selected feature .*Stores.* has \\(nearly\\) the same value"):
        build_matrix(rows_dataset(rows), FeatureSpec(selected=["Stores"], log=[]), "row")


def test_refund_only_customer_gets_median_fill_and_signed_log():
    # D only returned goods: no purchase, so no recency; monetary is negative (-30).
    lines = [*LINES, ("D", "R2", "2024-04-02 10:00", -3, 10.0, "P1", "Books", "2024-01-10", True)]
    dataset = transactions_dataset(canonical(lines))
    matrix = build_matrix(dataset, FeatureSpec(selected=["recency_days", "monetary"], scaling="none"), "customer")
    assert matrix.table.loc["D", "monetary"] == -30 and np.isnan(matrix.table.loc["D", "recency_days"])
    # recency filled with the median of 10, 36, 1 -> 10, then log1p
    assert matrix.X[3, 0] == pytest.approx(np.log1p(10))
    assert matrix.X[3, 1] == pytest.approx(-np.log1p(30))
    assert matrix.X[0, 1] == pytest.approx(np.log1p(70))
    recency, money = (feature_def(n).label for n in ("recency_days", "monetary"))
    assert any(f"Feature {recency} is missing for 1 of 4 customers" in w for w in matrix.warnings), matrix.warnings
    assert any(f"Feature {money} has 1 negative values" in w for w in matrix.warnings), matrix.warnings
    assert not any("recency_days" in w or "monetary" in w for w in matrix.warnings)  # labels, not keys (issue 12)
    with pytest.raises(InputError, match="features.log includes monetary, which has 1 negative values"):
        build_matrix(dataset, FeatureSpec(selected=["monetary"], log=["monetary"]), "customer")


def test_constant_feature_is_dropped_even_on_tiny_data():
    rows = pd.DataFrame({"Spend": [1.0, 5.0, 2.0, 8.0], "Stores": [2, 2, 2, 2]})
    matrix = build_matrix(rows_dataset(rows), FeatureSpec(log=[]), "row")
    assert matrix.names == ["Spend"]
    assert matrix.warnings == [
        "Feature Stores (2 for every row) was dropped before clustering: too few units differ to shape a segment."
    ]


# ---- other shapes and unit="row" ---------------------------------------------------

ROWS = pd.DataFrame(
    {
        "RowID": [1, 2, 3, 4, 5, 6],
        "CustomerID": ["a", "b", "a", "c", "d", "e"],
        "Quantity": [1, 2, 1, 3, 1, 40],
        "UnitPrice": [2.0, 2.5, 3.0, 2.0, 2.5, 3.0],
        "Balance": [5.0, -1.0, 3.0, 2.0, 0.0, 90.0],
        "Amount": [2.0, 5.0, 3.0, 6.0, 2.2, 76.0],
        "Member": [True, False, True, False, False, True],
        "Region": ["N", "S", "N", "S", "N", "S"],
    }
)


def test_row_unit_uses_the_main_tables_numeric_columns():
    dataset = rows_dataset(ROWS, roles={"customer_id": "CustomerID", "amount": "Amount"})
    assert available_features(dataset, "row") == ["Quantity", "UnitPrice", "Balance", "Amount"]
    matrix = build_matrix(dataset, FeatureSpec(scaling="none"), "row")
    assert matrix.unit == "row" and matrix.names == ["Quantity", "UnitPrice", "Balance", "Amount"]
    assert list(matrix.table.index) == [0, 1, 2, 3, 4, 5]
    assert matrix.revenue.tolist() == ROWS["Amount"].tolist()
    # Quantity and Amount are heavily right-skewed and non-negative: logged; Balance has a negative: not.
    assert matrix.log == ["Quantity", "Amount"]
    np.testing.assert_allclose(matrix.X[:, 0], np.log1p(ROWS["Quantity"]))
    np.testing.assert_allclose(matrix.X[:, 2], ROWS["Balance"])
    assert matrix.labels == {name: name for name in matrix.names}
    with pytest.raises(InputError, match="features.log includes Balance"):
        build_matrix(dataset, FeatureSpec(log=["Balance"]), "row")


def test_row_unit_on_transactions_and_revenue_from_quantity_times_price():
    dataset = rows_dataset(ROWS.drop(columns="Amount"), roles={"quantity": "Quantity", "unit_price": "UnitPrice"})
    matrix = build_matrix(dataset, FeatureSpec(selected=["UnitPrice"]), "row")
    np.testing.assert_allclose(matrix.revenue, ROWS["Quantity"] * ROWS["UnitPrice"])
    assert build_matrix(transactions_dataset(), FeatureSpec(selected=["quantity"]), "row").X.shape == (10, 1)


def test_customer_table_shape_uses_its_numeric_columns():
    table = pd.DataFrame(
        {"CustomerID": ["a", "b", "c", "d"], "Age": [30, 45, None, 60], "Spend": [100.0, 250.0, 80.0, 400.0],
         "Region": ["N", "S", "N", "S"]}
    )
    dataset = rows_dataset(table, "customer_table", roles={"customer_id": "CustomerID", "region": "Region",
                                                           "amount": "Spend"})
    assert default_features(dataset, "customer") == ["Age", "monetary"]  # the amount column is the spend
    matrix = build_matrix(dataset, FeatureSpec(scaling="none", log=[]), "customer")
    assert matrix.labels == {"Age": "Age", "monetary": "Spend"}
    assert list(matrix.table.index) == ["a", "b", "c", "d"]
    assert matrix.X[2, 0] == 45  # median of 30, 45, 60
    assert matrix.warnings == ["Feature Age is missing for 1 of 4 customers; they were given its median (45)."]
    assert matrix.attributes["region"].tolist() == ["N", "S", "N", "S"]
    assert matrix.revenue.tolist() == [100, 250, 80, 400]


def test_category_names_are_the_same_whether_categories_are_text_or_codes():
    """A category joined from the products table is categorical; the top categories by spend, their order and the
    pooled "Other" must not depend on that."""
    from engine.features.aggregate import MAX_CATEGORY_SHARES, category_names

    rng = np.random.default_rng(0)
    labels = np.array([f"Cat {i:02d}" for i in range(MAX_CATEGORY_SHARES + 4)] + ["Home & Garden", None], dtype=object)
    tx = pd.DataFrame({"category": labels[rng.integers(0, len(labels), 4000)],
                       "amount": rng.normal(10, 20, 4000), "is_return": rng.random(4000) < 0.05})
    as_text = category_names(tx.assign(category=tx["category"].astype("str")))
    as_codes = category_names(tx.assign(category=tx["category"].astype("category")))
    assert list(as_codes.items()) == list(as_text.items())
    assert len(as_text) == MAX_CATEGORY_SHARES + 1 and "Other" in as_text


# ---- a customer table's columns that are catalogue features under another name ---------------------------


@pytest.mark.parametrize(("columns", "amount", "expected"), [
    (["Recency", "Frequency", "Monetary"], "Monetary",
     {"Recency": "recency_days", "Frequency": "frequency", "Monetary": "monetary"}),
    (["Days Since Last Purchase", "# Orders (LTM)", "Total Spend $", "Age"], "Total Spend $",
     {"Days Since Last Purchase": "recency_days", "# Orders (LTM)": "frequency", "Total Spend $": "monetary"}),
    (["tenure", "MonthlyCharges", "TotalCharges"], "TotalCharges", {"TotalCharges": "monetary"}),  # months
    (["Recency (months)", "Tenure (years)", "num_orders"], None, {"num_orders": "frequency"}),
    (["R", "F", "M"], None, {}),  # RFM worksheets' one-letter columns are 1-5 scores
    (["Recency", "days_since_last_order"], None, {}),  # two candidates: neither
    (["recency_days", "Recency"], None, {}),  # the key is already a column
])
def test_customer_table_columns_that_are_catalogue_features(columns, amount, expected):
    from engine.features.aliases import catalogue_aliases

    assert catalogue_aliases(columns, amount) == expected


def test_an_rfm_customer_table_is_clustered_on_catalogue_features_under_its_own_names():
    from engine.features.matrix import feature_labels

    table = pd.DataFrame({"Customer ID": ["a", "b", "c", "d", "e"], "Days Since Last Purchase": [5, 40, 200, 9, 300],
                          "# Orders": [12, 3, 1, 8, 1], "Total Spend": [900.0, 120.0, 35.0, 610.0, 20.0]})
    roles = {"customer_id": "Customer ID", "amount": "Total Spend"}
    dataset = rows_dataset(table, "customer_table", roles=roles)
    assert feature_labels(dataset, "customer") == {
        "recency_days": "Days Since Last Purchase", "frequency": "# Orders", "monetary": "Total Spend"}
    matrix = build_matrix(dataset, FeatureSpec(scaling="none", log=[]), "customer", min_units=3)
    assert matrix.names == ["recency_days", "frequency", "monetary"]
    assert matrix.table["recency_days"].tolist() == [5, 40, 200, 9, 300]
    assert matrix.revenue.tolist() == [900, 120, 35, 610, 20]
    # a project file written with the table's own column names still selects and log-transforms them
    own = build_matrix(dataset, FeatureSpec(selected=["Total Spend", "# Orders"], scaling="none", log=["Total Spend"]),
                       "customer", min_units=3)
    assert own.names == ["monetary", "frequency"] and own.log == ["monetary"]
    assert own.labels["monetary"] == "Total Spend"
