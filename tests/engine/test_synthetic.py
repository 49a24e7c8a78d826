"""The synthetic sample: shape, planted segments and realism, reproducibility, recoverability."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

from engine.features.catalogue import DEFAULT_CUSTOMER_FEATURES
from engine.features.matrix import build_matrix
from engine.project import FeatureSpec
from engine.results import Dataset, QualitySummary, TableInfo
from engine.synthetic import N_DUPLICATES, N_ORPHANS, SEGMENTS, make_sample, write_sample

ROOT = Path(__file__).resolve().parents[2]
END = pd.Timestamp("2024-12-31")


@pytest.fixture(scope="module")
def small():
    return make_sample(400, seed=3)


def as_dataset(sample: dict[str, pd.DataFrame]) -> Dataset:
    """Canonical transactions the way a loader would build them (duplicates and orphans dropped)."""
    raw = sample["transactions"]
    known = raw[raw["CustomerID"].isin(sample["customers"]["CustomerID"])].drop_duplicates()
    customers = sample["customers"].set_index("CustomerID")
    category = sample["products"].set_index("ProductID")["Category"]
    tx = pd.DataFrame(
        {
            "customer_id": known["CustomerID"],
            "order_id": known["TransactionID"],
            "date": pd.to_datetime(known["TransactionDate"]),
            "quantity": known["Quantity"].astype("float64"),
            "unit_price": known["Price"],
            "amount": known["TotalValue"],
            "product_id": known["ProductID"],
            "category": known["ProductID"].map(category),
            "region": known["CustomerID"].map(customers["Region"]),
            "signup_date": pd.to_datetime(known["CustomerID"].map(customers["SignupDate"])),
            "is_return": known["Quantity"] < 0,
        }
    ).reset_index(drop=True)
    info = TableInfo("Transactions.csv", "Transactions.csv", "transactions", len(raw), list(raw.columns),
                     {"customer_id": "CustomerID", "order_id": "TransactionID", "amount": "TotalValue"})
    quality = QualitySummary(rows_read=len(raw), rows_used=len(tx), customers=tx["customer_id"].nunique())
    return Dataset([info], "transactions", tx, None, raw, quality)


def test_tables_have_the_ecommerce_shape(small):
    customers, products, tx = small["customers"], small["products"], small["transactions"]
    assert list(customers.columns) == ["CustomerID", "CustomerName", "Region", "SignupDate"]
    assert list(products.columns) == ["ProductID", "ProductName", "Category", "Price"]
    assert list(tx.columns) == ["TransactionID", "CustomerID", "ProductID", "TransactionDate", "Quantity",
                                "TotalValue", "Price"]
    assert list(small["truth"].columns) == ["CustomerID", "segment"]
    assert len(customers) == 400 and customers["CustomerID"].is_unique
    assert customers["CustomerID"].iloc[0] == "C0001" and products["ProductID"].iloc[0] == "P001"
    assert tx["TransactionID"].str.fullmatch(r"T\d{6}").all()
    assert tx["TransactionDate"].str.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d").all()
    assert set(customers["Region"]) == {"Europe", "North America", "South America", "Asia"}
    assert {"Books", "Electronics", "Home Decor", "Clothing", "Beauty"} == set(products["Category"])
    price = products.set_index("ProductID")["Price"]
    np.testing.assert_allclose(tx["Price"], tx["ProductID"].map(price))
    np.testing.assert_allclose(tx["TotalValue"], (tx["Quantity"] * tx["Price"]).round(2))
    dates = pd.to_datetime(tx["TransactionDate"])
    assert dates.min() >= END - pd.Timedelta(days=729) and dates.max() < END + pd.Timedelta(days=1)


def test_planted_realism(small):
    customers, tx = small["customers"], small["transactions"]
    assert tx.duplicated().sum() == N_DUPLICATES
    assert tx["TransactionID"].duplicated().sum() == N_DUPLICATES  # the duplicates are whole rows
    orphans = tx[~tx["CustomerID"].isin(customers["CustomerID"])]
    assert len(orphans) == N_ORPHANS
    returns = tx[tx["Quantity"] < 0]
    assert (returns["TotalValue"] < 0).all()
    assert 0.005 < len(returns) / len(tx) < 0.015
    # no purchase before signup
    signup = pd.to_datetime(tx["CustomerID"].map(customers.set_index("CustomerID")["SignupDate"]))
    known = signup.notna()
    assert (pd.to_datetime(tx["TransactionDate"])[known] >= signup[known]).all()


def test_segments_differ_as_planted(small):
    matrix = build_matrix(as_dataset(small), FeatureSpec(), "customer")
    table = matrix.table
    segment = small["truth"].set_index("CustomerID")["segment"].reindex(table.index)
    shares = segment.value_counts(normalize=True)
    for name, spec in SEGMENTS.items():
        assert shares[name] == pytest.approx(spec.share, abs=0.01)
    median = table.groupby(segment).median()
    assert median["frequency"].idxmax() == "champions"
    assert median["avg_items_per_order"].idxmax() == "bulk_buyers"
    assert median["avg_unit_price"].idxmax() == "premium_occasional"
    assert median["recency_days"].idxmax() == "lapsed"
    assert median["tenure_days"].idxmin() == "new"
    lapsed = table[segment == "lapsed"]["recency_days"]
    assert lapsed.between(250, 602).all()  # last order 250-600 days before the end (+1: reference day)
    assert table[segment == "new"]["tenure_days"].max() <= 91
    assert table.groupby(segment)["share_Electronics"].median().idxmax() == "premium_occasional"
    assert table.groupby(segment)["share_Home_Decor"].median().idxmax() == "bulk_buyers"
    # skewed spend: the biggest spender is a whale inside the champions, far above their median
    top = table["monetary"].idxmax()
    assert segment[top] == "champions" and table.loc[top, "monetary"] > 5 * median.loc["champions", "monetary"]


def test_same_seed_same_tables_other_seed_other_tables():
    first, again, other = make_sample(100, seed=11), make_sample(100, seed=11), make_sample(100, seed=12)
    for key in first:
        pd.testing.assert_frame_equal(first[key], again[key])
    assert not first["transactions"].equals(other["transactions"])


def test_too_few_customers_is_refused():
    with pytest.raises(ValueError, match="n_customers is 10"):
        make_sample(10)


def test_committed_files_are_reproducible(tmp_path):
    spec = importlib.util.spec_from_file_location("make_sample_data", ROOT / "scripts" / "make_sample_data.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert script.main(["--out", str(tmp_path)]) == 0  # the script's defaults made the committed files
    for name in ("sample/Customers.csv", "sample/Products.csv", "sample/Transactions.csv", "sample_truth.csv"):
        assert (tmp_path / name).read_bytes() == (ROOT / "data" / name).read_bytes(), name


def test_write_sample_round_trips(tmp_path, small):
    paths = write_sample(small, tmp_path / "s", tmp_path / "truth.csv")
    assert [p.name for p in paths] == ["Customers.csv", "Products.csv", "Transactions.csv", "truth.csv"]
    back = pd.read_csv(paths[2])
    assert len(back) == len(small["transactions"])
    np.testing.assert_allclose(back["TotalValue"], small["transactions"]["TotalValue"])


@pytest.fixture(scope="module")
def committed():
    folder = ROOT / "data" / "sample"
    sample = {name.lower(): pd.read_csv(folder / f"{name}.csv") for name in ("Customers", "Products", "Transactions")}
    truth = pd.read_csv(ROOT / "data" / "sample_truth.csv").set_index("CustomerID")["segment"]
    return as_dataset(sample), truth


@pytest.mark.parametrize("log", [None, list(DEFAULT_CUSTOMER_FEATURES)], ids=["auto-log", "log-all"])
def test_kmeans_recovers_the_planted_segments_in_the_committed_data(committed, log):
    dataset, truth = committed
    matrix = build_matrix(dataset, FeatureSpec(log=log, scaling="standard"), "customer")
    assert len(matrix.table) == 3000
    labels = KMeans(n_clusters=5, random_state=42).fit_predict(matrix.X)
    assert adjusted_rand_score(truth.reindex(matrix.table.index), labels) >= 0.9


def test_committed_data_has_a_few_whales_among_the_champions(committed):
    dataset, truth = committed
    monetary = build_matrix(dataset, FeatureSpec(), "customer").table["monetary"]
    segment = truth.reindex(monetary.index)
    whales = monetary[monetary > 5 * monetary[segment == "champions"].median()]
    assert 5 <= len(whales) <= 10
    assert (segment[whales.index] == "champions").all()
    assert whales.sum() / monetary.sum() > 0.05  # a handful of customers, a visible slice of revenue
