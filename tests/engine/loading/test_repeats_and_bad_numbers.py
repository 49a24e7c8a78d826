"""Issue 13, items 2 and 5: one customer, one row; infinite and huge numbers are bad values, not figures.

Small generated inputs: a customer table whose ids repeat (also as " 17", "17.0"), a customers table beside
transactions with a repeated id, and lines / customer columns holding inf, -inf, 1e308 and huge integers.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from engine.features.matrix import build_matrix
from engine.formatting import approx, integer, money
from engine.loading.dataset import load_dataset
from engine.project import FeatureSpec
from tests.engine.loading.test_dataset import write


def customer_table(n: int = 60, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"CustomerID": [f"C{i:03d}" for i in range(n)],
                         "Spend": rng.gamma(2.0, 100.0, n).round(2),
                         "Visits": rng.integers(1, 30, n)})


def test_repeated_ids_of_a_customer_table_are_one_customer_everywhere(tmp_path):
    table = customer_table()
    repeats = table.iloc[[3, 7]].assign(Spend=[999.0, 5.0])  # same ids, other figures: not identical rows
    data = load_dataset(write(tmp_path, "c.csv", pd.concat([table, repeats]).to_csv(index=False)))
    q = data.quality
    assert (q.rows_read, q.customers, q.rows_used, q.repeated_ids) == (62, 60, 60, 2)
    assert len(data.rows) == len(data.customers) == 60 and data.customers.index.is_unique
    assert data.rows["CustomerID"].is_unique
    # the first row of each id is the one kept
    assert data.customers.loc["C003", "Spend"] == table.loc[3, "Spend"]
    assert data.customers.loc["C007", "Spend"] == table.loc[7, "Spend"]
    finding = next(f for f in q.findings if "repeat the customer id" in f)
    assert finding.startswith("2 of 62 rows") and "C003, C007" in finding and "first row" in finding
    matrix = build_matrix(data, FeatureSpec(selected=None), "customer", min_units=3)
    assert len(matrix.table) == len(matrix.X) == 60 and matrix.table.index.is_unique


def test_ids_differing_only_by_spaces_or_a_trailing_zero_decimal_are_one_customer_case_is_not(tmp_path):
    text = ("CustomerID,Spend,Visits\n" + "".join(f"{i},{10 + i},{i % 7}\n" for i in range(1, 30))
            + " 17,500,1\n17.0,600,2\nab1,1,1\nAB1,2,2\n")
    data = load_dataset(write(tmp_path, "c.csv", text))
    q = data.quality
    assert q.repeated_ids == 2 and q.customers == 31  # 29 numbered + ab1 + AB1
    assert data.customers.loc["17", "Spend"] == 27  # the first row of id 17
    assert {"ab1", "AB1"} <= set(data.customers.index)
    assert any("letter case counts" in f for f in q.findings)


def test_a_row_without_id_and_identical_copies_keep_their_own_counts_beside_repeated_ids(tmp_path):
    table = customer_table(30)
    text = pd.concat([table, table.iloc[[1]], table.iloc[[2]].assign(Visits=99)]).to_csv(index=False) + ",5.0,3\n"
    data = load_dataset(write(tmp_path, "c.csv", text))
    q = data.quality
    assert (q.rows_read, q.duplicate_rows, q.repeated_ids, q.rows_missing_customer, q.customers) == (33, 1, 1, 1, 30)
    assert q.rows_used + q.duplicate_rows + q.repeated_ids + q.rows_missing_customer == q.rows_read


def test_a_customers_table_beside_transactions_says_its_repeated_ids(tmp_path):
    tx = "CustomerID,InvoiceDate,Amount\n" + "".join(f"C{i % 40},2024-01-{1 + i % 28:02d},{10 + i}\n" for i in range(80))
    regions = ["North", "South", "East", "West"]
    people = "CustomerID,Region\n" + "".join(f"C{i},{regions[i % 4]}\n" for i in range(40)) + "C1,East\n"
    write(tmp_path, "transactions.csv", tx)
    write(tmp_path, "customers.csv", people)
    data = load_dataset(tmp_path)
    assert data.customers.loc["C1", "region"] == "South"  # the first row of C1
    assert any("repeat the customer id" in f and "C1" in f and "not used" in f for f in data.quality.findings)


def lines(prices: list[str], quantities: list[str] | None = None) -> str:
    n = len(prices)
    quantities = quantities or ["2"] * n
    rows = "".join(f"O{i},C{i % 12},2024-{1 + i % 12:02d}-{1 + i % 28:02d},{quantities[i]},{prices[i]}\n"
                   for i in range(n))
    return "InvoiceNo,CustomerID,InvoiceDate,Quantity,UnitPrice\n" + rows


def test_infinite_and_huge_prices_are_counted_per_column_and_never_summed(tmp_path):
    prices = [f"{3 + i % 9}.5" for i in range(120)]
    prices[5], prices[9], prices[11] = "inf", "-inf", "1e308"
    quantities = ["2"] * 120
    quantities[20], quantities[21] = "1e308", "Infinity"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow or invalid-value warning on the way
        data = load_dataset(write(tmp_path, "tx.csv", lines(prices, quantities)))
        matrix = build_matrix(data, FeatureSpec(selected=None), "customer", min_units=3)
    q = data.quality
    assert q.implausible_numbers == {"UnitPrice": 3, "Quantity": 2}
    assert q.rows_used == 115 and any(f.startswith("5 of 120 rows") and "no readable amount" in f for f in q.findings)
    assert any("3 values in 'UnitPrice' of tx.csv were infinite or beyond ±1e15" in f for f in q.findings)
    assert np.isfinite(data.transactions["amount"]).all()
    assert np.isfinite(matrix.revenue).all() and np.isfinite(matrix.revenue.sum())


def test_plausible_factors_with_an_implausible_product_are_missing(tmp_path):
    prices = ["4.5"] * 40
    quantities = ["3"] * 40
    prices[0], quantities[0] = "1e9", "1e9"  # 1e18 as one line's amount
    data = load_dataset(write(tmp_path, "tx.csv", lines(prices, quantities)))
    assert data.quality.rows_used == 39 and data.transactions["amount"].max() == 13.5
    assert any("1 quantity x price product beyond ±1e15" in f for f in data.quality.findings)


def test_customer_columns_with_infinities_and_huge_integers_are_masked_and_counted(tmp_path):
    table = customer_table(50).astype({"Spend": "str"})
    table.loc[[0, 1, 2], "Spend"] = ["inf", "-inf", "1e308"]
    table["Points"] = np.arange(50) % 9
    table.loc[4, "Points"] = 2**62  # an int64 far beyond any plausible figure
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data = load_dataset(write(tmp_path, "c.csv", table.to_csv(index=False)))
        matrix = build_matrix(data, FeatureSpec(selected=None), "customer", min_units=3)
    q = data.quality
    assert q.implausible_numbers == {"Spend": 3, "Points": 1}
    assert data.customers["Spend"].isna().sum() == 3 and data.customers["Points"].max() == 8
    assert np.isfinite(matrix.X).all() and matrix.table["monetary"].isna().sum() == 3  # Spend is the amount: the spend feature
    assert any("1 value in 'Points' of c.csv was infinite or beyond ±1e15" in f for f in q.findings)


@pytest.mark.parametrize("value, text", [(1.7e308, "1.7e+308"), (-3.6e17, "-3.6e+17"), (2.5e15, "2.5e+15")])
def test_huge_numbers_print_with_a_power_of_ten_not_hundreds_of_digits(value, text):
    assert integer(value) == money(value) == approx(value) == text
    assert money(999_999_999_999.5) == "999,999,999,999.50"  # below the limit: as before
