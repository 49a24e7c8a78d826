"""load_dataset on the four shapes: joins, canonical frame, cleaning counts, findings, inspect text."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.errors import InputError
from engine.loading.dataset import load_dataset
from engine.loading.inspect import format_inspect
from engine.results import CANONICAL_COLUMNS
from tests.engine.data_fixtures import (
    HEADERLESS_ROLES,
    MALL_CSV,
    ONLINE_RETAIL_CSV,
    TRANSACTIONS_CSV,
    write,
    write_excel,
    write_headerless,
    write_mall,
    write_online_retail,
    write_three_tables,
)

# ---- online-retail shape: the hand-counted quality fixture ----------------


def test_online_retail_quality_counts(tmp_path):
    data = load_dataset(write_online_retail(tmp_path))
    q = data.quality
    # counts worked out by hand in data_fixtures.ONLINE_RETAIL_CSV
    assert (q.rows_read, q.rows_used, q.customers) == (12, 8, 4)
    assert q.rows_missing_customer == 2
    assert q.unparseable_dates == {"InvoiceDate": 1}
    assert q.duplicate_rows == 1
    assert q.returns == 1
    assert q.non_positive_prices == 1
    assert q.date_min == pd.Timestamp("2010-12-01 08:26")
    assert q.date_max == pd.Timestamp("2010-12-13 08:34")
    assert "2 of 12 rows (16.7%) had no customer id and were excluded." in q.findings
    assert "1 of 12 rows (8.3%) were exact duplicates of an earlier row and were excluded." in q.findings
    assert any("'InvoiceDate'" in f and f.startswith("1 of 12 rows (8.3%)") for f in q.findings)
    assert "net of returns" in q.returns_treatment
    assert data.shape == "transactions"


def test_online_retail_canonical_frame(tmp_path):
    tx = load_dataset(write_online_retail(tmp_path)).transactions
    assert list(tx.columns) == ["customer_id", "order_id", "date", "quantity", "unit_price", "amount",
                                "product_id", "region", "is_return"]
    assert list(tx.columns) == [c for c in CANONICAL_COLUMNS if c in tx.columns]
    assert str(tx["date"].dtype) == "datetime64[ns]"
    assert sorted(tx["customer_id"].unique()) == ["12583", "13047", "14527", "17850"]  # "17850.0" -> "17850"
    spend = tx.groupby("customer_id")["amount"].sum().round(2).to_dict()
    assert spend == {"17850": 46.74, "13047": 79.58, "14527": -27.5, "12583": 90.0}
    returned = tx[tx["is_return"]]
    assert returned["order_id"].tolist() == ["C536379"] and returned["quantity"].tolist() == [-1.0]


def test_online_retail_customers_frame(tmp_path):
    customers = load_dataset(write_online_retail(tmp_path)).customers
    assert customers.index.name == "customer_id"
    assert customers.index.tolist() == ["12583", "13047", "14527", "17850"]
    assert customers["region"].tolist() == ["France", "United Kingdom", "United Kingdom", "United Kingdom"]


def test_returns_exclude_drops_return_lines(tmp_path):
    data = load_dataset(write_online_retail(tmp_path), returns="exclude")
    assert data.quality.rows_used == 7  # 8 usable rows minus the cancellation
    assert data.quality.returns == 1
    assert not data.transactions["is_return"].any()
    assert "14527" not in set(data.transactions["customer_id"])
    assert "removed" in data.quality.returns_treatment


def test_cancellation_prefix_alone_marks_a_return(tmp_path):
    text = ("InvoiceNo,CustomerID,InvoiceDate,Quantity,UnitPrice\n1001,A,2024-01-01,2,5.0\n"
            "C1002,A,2024-01-02,2,5.0\n1003,B,2024-01-02,1,5.0\n")
    tx = load_dataset(write(tmp_path, "r.csv", text)).transactions
    assert tx["is_return"].tolist() == [False, True, False]
    assert tx["amount"].tolist() == [10.0, -10.0, 5.0]  # return lines carry negative amounts


def test_ids_that_all_start_with_c_are_not_cancellations(tmp_path):
    text = "OrderID,CustomerID,OrderDate,Quantity,Amount\nC1,A,2024-01-01,1,5.0\nC2,A,2024-01-02,1,5.0\n"
    assert not load_dataset(write(tmp_path, "r.csv", text)).transactions["is_return"].any()


# ---- three-table shape -----------------------------------------------------


def test_three_tables_are_joined(tmp_path):
    write_three_tables(tmp_path)
    data = load_dataset(tmp_path)  # a folder: its three CSVs, in name order
    kinds = {t.name: t.kind for t in data.tables}
    assert kinds == {"Customers.csv": "customers", "Products.csv": "products", "Transactions.csv": "transactions"}
    tx = data.transactions
    assert list(tx.columns) == list(CANONICAL_COLUMNS)
    assert tx["amount"].tolist() == [40.0, 12.5, 40.0, 60.0, 50.0, 40.0]  # TotalValue, not Quantity x Price
    assert tx["unit_price"].tolist() == [20.0, 12.5, 40.0, 20.0, 12.5, 40.0]
    assert tx["category"].tolist() == ["Home Decor", "Books", "Electronics", "Home Decor", "Books", "Electronics"]
    assert tx["region"].tolist()[:3] == ["Europe", "Europe", "Asia"]
    assert tx["signup_date"].iloc[0] == pd.Timestamp("2022-07-14")
    assert [(j.right, j.key, j.left_unmatched, j.right_unmatched) for j in data.joins] == [
        ("Customers.csv", "customer_id", 0, 1),  # C0004 never bought
        ("Products.csv", "product_id", 0, 0),
    ]
    assert data.warnings == ["1 of 4 customers in Customers.csv has no transaction and is not in the analysis."]
    customers = data.customers
    assert customers.index.tolist() == ["C0001", "C0002", "C0003"]
    assert customers.loc["C0002", "CustomerName"] == "Bo Chan"
    assert customers.loc["C0003", "signup_date"] == pd.Timestamp("2024-03-07")


def test_join_mismatch_is_a_warning_with_examples(tmp_path):
    data = load_dataset(write_three_tables(tmp_path, unmatched=True))
    people, goods = data.joins
    assert (people.left_unmatched, people.examples) == (2, ["C0098", "C0099"])
    assert (goods.left_unmatched, goods.examples) == (1, ["P009"])
    assert len(data.warnings) == 3  # the two joins, then C0004 who never bought
    assert "2 of 8 rows (25.0%) of Transactions.csv have a customer id not found in Customers.csv" in data.warnings[0]
    assert data.warnings[2] == "1 of 4 customers in Customers.csv has no transaction and is not in the analysis."
    assert "C0098, C0099" in data.warnings[0]
    assert data.quality.rows_used == 8  # unmatched lines are kept, their attributes unknown
    assert data.transactions["region"].isna().sum() == 2


def test_join_with_no_match_at_all_is_an_error(tmp_path):
    write(tmp_path, "Customers.csv", "CustomerID,Region\n1,North\n2,South\n")
    write(tmp_path, "Transactions.csv", TRANSACTIONS_CSV)
    with pytest.raises(InputError, match="No customer id of Transactions.csv matches Customers.csv"):
        load_dataset(tmp_path)


def test_three_tables_as_excel_sheets(tmp_path):
    from tests.engine.data_fixtures import CUSTOMERS_CSV, PRODUCTS_CSV

    path = write_excel(tmp_path, "shop.xlsx", {"Customers": CUSTOMERS_CSV, "Products": PRODUCTS_CSV,
                                               "Transactions": TRANSACTIONS_CSV})
    data = load_dataset(path, sheet="*")
    assert [t.name for t in data.tables] == ["shop.xlsx: Customers", "shop.xlsx: Products", "shop.xlsx: Transactions"]
    assert data.transactions["category"].iloc[0] == "Home Decor"
    assert data.tables[2].sheet == "Transactions"


def test_product_price_fills_a_missing_unit_price(tmp_path):
    write(tmp_path, "Products.csv", "ProductID,Category,Price\nP1,Books,2.5\nP2,Toys,4.0\n")
    write(tmp_path, "Sales.csv", "CustomerID,ProductID,Date,Quantity\nA,P1,2024-01-01,2\nA,P2,2024-01-03,1\n"
                                  "B,P1,2024-01-02,4\n")
    data = load_dataset(tmp_path)
    assert data.transactions["unit_price"].tolist() == [2.5, 4.0, 2.5]
    assert data.transactions["amount"].tolist() == [5.0, 4.0, 10.0]
    assert any("computed as Quantity x" in f for f in data.quality.findings)


def test_folder_of_monthly_files_is_stacked(tmp_path):
    header = "CustomerID,InvoiceDate,Amount\n"
    write(tmp_path, "2024-01.csv", header + "A,2024-01-03,5.0\nB,2024-01-04,6.0\nA,2024-01-09,1.0\n")
    write(tmp_path, "2024-02.csv", header + "A,2024-02-03,7.0\nB,2024-02-04,8.0\nB,2024-02-09,2.0\n")
    data = load_dataset(tmp_path)
    assert data.quality.rows_read == 6 and data.quality.customers == 2
    assert data.transactions.groupby("customer_id")["amount"].sum().to_dict() == {"A": 13.0, "B": 16.0}
    assert "stacked" in data.warnings[0]


# ---- headerless log mapped by override ----------------------------------------


def test_headerless_log_with_roles(tmp_path):
    data = load_dataset(write_headerless(tmp_path), roles=HEADERLESS_ROLES)
    assert data.shape == "transactions"
    assert data.tables[0].roles == HEADERLESS_ROLES
    tx = data.transactions
    assert list(tx.columns) == ["customer_id", "date", "quantity", "amount", "is_return"]
    assert tx.groupby("customer_id")["amount"].sum().round(2).to_dict() == {"C1": 29.97, "C2": 70.0, "C3": 5.0}
    assert "No header row" in " ".join(data.tables[0].notes)


def test_headerless_log_without_roles_is_rows_only(tmp_path):
    data = load_dataset(write_headerless(tmp_path))
    assert data.shape == "rows"
    assert data.transactions is None and data.customers is None
    assert list(data.rows.columns) == ["column_1", "column_2", "column_3", "column_4"]


# ---- one row per customer ------------------------------------------------------


def test_mall_customers_is_a_customer_table(tmp_path):
    data = load_dataset(write_mall(tmp_path))
    assert data.shape == "customer_table"
    assert data.transactions is None
    assert data.customers.index.tolist() == [str(i) for i in range(1, 9)]
    assert list(data.customers.columns) == ["Gender", "Age", "Annual Income (k$)", "Spending Score (1-100)"]
    assert data.quality.customers == 8 and data.quality.rows_used == 8
    assert list(data.rows.columns)[0] == "CustomerID"


def test_customer_table_duplicates_and_missing_ids(tmp_path):
    text = MALL_CSV + "8,Female,23,18,94\n,Male,40,60,50\n"  # an exact copy of customer 8, and a row without id
    data = load_dataset(write(tmp_path, "mall.csv", text))
    q = data.quality
    assert (q.rows_read, q.duplicate_rows, q.rows_missing_customer, q.customers) == (10, 1, 1, 8)
    assert len(data.rows) == 9  # duplicates removed; the id-less row stays for row-level analysis
    assert "1 identical row of mall.csv was dropped as a double export" in data.warnings[0]


def test_customer_table_outlier_rule(tmp_path):
    rows = "".join(f"{i},{20 + i % 7},{30 + i % 5}\n" for i in range(1, 21))
    text = "CustomerID,Age,Visits\n" + rows + "21,30,900\n"  # visits: Q1 31, Q3 33, limit 33 + 3 x 2 = 39
    data = load_dataset(write(tmp_path, "c.csv", text))
    assert data.quality.outliers == 1
    assert "Q3 + 3 x IQR" in data.quality.outlier_rule


def test_transaction_outliers_are_far_above_the_95th_percentile(tmp_path):
    # 30 customers spending 50..150 (+1 each on a second line) and one spending 1,000,000:
    # P95 of the 31 totals is below 152, so the limit is under 456 and only the big spender is beyond it.
    rng = np.random.default_rng(0)
    spends = list(np.round(rng.uniform(50, 150, 30), 2)) + [1_000_000.0]
    lines = "".join(f"C{i},2024-01-{1 + i % 28:02d},{s}\nC{i},2024-02-01,1.0\n" for i, s in enumerate(spends))
    data = load_dataset(write(tmp_path, "t.csv", "CustomerID,Date,Amount\n" + lines))
    assert data.quality.outliers == 1
    assert "3 x the 95th percentile" in data.quality.outlier_rule
    assert any(f.startswith("1 customer has a total spend above") for f in data.quality.findings)


def test_too_few_customers_for_the_outlier_rule(tmp_path):
    assert load_dataset(write_headerless(tmp_path), roles=HEADERLESS_ROLES).quality.outlier_rule.startswith(
        "Not assessed")


# ---- partial bad dates, everything removed --------------------------------------


def test_some_unreadable_dates_are_dropped_and_counted(tmp_path):
    text = "CustomerID,Date,Amount\nA,2024-01-01,1\nA,31/31/2024,2\nB,2024-01-03,3\nB,,4\n"
    data = load_dataset(write(tmp_path, "t.csv", text))
    assert data.quality.unparseable_dates == {"Date": 2}  # one unreadable, one blank
    assert data.quality.rows_used == 2
    assert "2 of 4 rows (50.0%) had a missing or unreadable date in 'Date' and were excluded." in data.quality.findings


def test_everything_removed_by_cleaning_is_an_error(tmp_path):
    text = "Invoice,CustomerID,Date,Quantity,Price\nC1,A,2024-01-01,-1,2.0\nC2,A,2024-01-02,-2,2.0\n"
    with pytest.raises(InputError, match=r"All 2 rows of t.csv were removed .*2 were returns or cancellations"):
        load_dataset(write(tmp_path, "t.csv", text), returns="exclude")


def test_blank_customer_column_given_by_override_removes_everything(tmp_path):
    text = "Client,Date,Amount\n,2024-01-01,1\n,2024-01-02,2\n"
    with pytest.raises(InputError, match="All 2 rows of t.csv were removed during cleaning \\(2 had no customer id\\)"):
        load_dataset(write(tmp_path, "t.csv", text), roles={"customer_id": "Client"})


def test_log_without_dates_warns_and_ambiguous_dates_warn(tmp_path):
    undated = load_dataset(write(tmp_path, "u.csv", "CustomerID,Amount\nA,1\nA,2\nB,3\n"))
    assert undated.shape == "transactions" and "date" not in undated.transactions
    assert any("no date column" in w for w in undated.warnings)
    text = "CustomerID,Date,Amount\nA,01/02/2024,1\nA,03/04/2024,2\nB,05/06/2024,3\n"
    data = load_dataset(write(tmp_path, "d.csv", text))
    assert data.transactions["date"].iloc[0] == pd.Timestamp("2024-01-02")
    assert any("fit both month/day and day/month order" in w for w in data.warnings)


def test_text_amounts_are_read_and_bad_ones_reported(tmp_path):
    text = "CustomerID;Date;Amount\nA;2024-01-01;€1.234,50\nA;2024-01-02;12,00\nB;2024-01-03;lots\n"
    data = load_dataset(write(tmp_path, "eu.csv", text))
    assert data.transactions["amount"].tolist() == [1234.5, 12.0]
    assert any("1 value in 'Amount' of eu.csv could not be read as numbers" in w for w in data.warnings)
    assert "1 of 3 rows (33.3%) had no readable amount and were excluded." in data.quality.findings


# ---- inspect ---------------------------------------------------------------------


def test_format_inspect_shows_tables_roles_joins_quality(tmp_path):
    text = format_inspect(load_dataset(write_three_tables(tmp_path, unmatched=True)))
    assert "Transactions.csv  [transactions]  8 rows x 7 columns" in text
    assert "    amount       TotalValue" in text  # roles aligned under each table
    assert "Transactions.csv -> Customers.csv on customer_id: 2 rows unmatched (e.g. C0098, C0099)" in text
    assert "  Rows read                8" in text
    assert text.index("Findings") < text.index("Warnings")
    assert "C0098, C0099" in text.split("Warnings")[1]


def test_format_inspect_on_online_retail(tmp_path):
    text = format_inspect(load_dataset(write_online_retail(tmp_path), returns="exclude"))
    assert "Missing customer id      2" in text
    assert "Unreadable dates         InvoiceDate: 1" in text
    assert "\n  none" in text  # no warnings
    assert ONLINE_RETAIL_CSV.count("\n") - 1 == 12


def test_row_unit_rows_are_the_rows_cleaning_kept():
    """unit="row" must cluster exactly the rows the quality summary counts as used."""
    from pathlib import Path

    sample = Path(__file__).resolve().parents[3] / "data" / "sample"
    data = load_dataset([sample])
    assert data.quality.rows_read - data.quality.rows_used == data.quality.duplicate_rows == 5
    assert len(data.rows) == data.quality.rows_used
    assert not data.rows.duplicated().any()


def test_a_column_merely_named_signup_date_is_not_taken_for_signup_dates(tmp_path):
    """A customers column called "signup_date" that holds no dates is not the signup role (it used to crash)."""
    ids = [f"C{i}" for i in range(6)]
    pd.DataFrame({"customer_id": ids, "signup_date": ["same"] * 6, "region": ["N", "S"] * 3}).to_csv(
        tmp_path / "customers.csv", index=False)
    pd.DataFrame({"customer_id": ids * 3, "order_id": range(18),
                  "order_date": [f"2024-0{1 + i % 9}-{10 + i}" for i in range(18)],
                  "amount": [10.0 + 1.5 * i for i in range(18)]}).to_csv(tmp_path / "orders.csv", index=False)
    dataset = load_dataset([tmp_path / "customers.csv", tmp_path / "orders.csv"])
    assert dataset.quality.first_purchase_before_signup == 0
    assert dataset.shape == "transactions" and dataset.quality.rows_used == 18
    assert "signup_date" not in dataset.transactions or dataset.transactions["signup_date"].isna().all()


def test_rows_ids_are_the_canonical_lines_ids_when_rows_are_dropped(tmp_path):
    """The main table's rows take their normalised ids from the lines kept (one copy for both), row for row."""
    text = ("OrderID,CustomerID,OrderDate,Quantity,Amount\n"
            "O1, 17.0 ,2024-01-01,1,5.0\nO2,,2024-01-02,1,5.0\nO3,B,not a date,1,5.0\n"
            "O4,B,2024-01-03,1,5.0\nO1, 17.0 ,2024-01-01,1,5.0\nO5,C ,2024-01-04,2,7.5\n")
    data = load_dataset(write(tmp_path, "t.csv", text))
    assert data.quality.rows_used == len(data.rows) == len(data.transactions) == 3
    assert list(data.rows.columns) == ["OrderID", "CustomerID", "OrderDate", "Quantity", "Amount"]
    assert data.rows["CustomerID"].tolist() == data.transactions["customer_id"].tolist() == ["17", "B", "C"]
    assert data.rows["OrderID"].tolist() == data.transactions["order_id"].tolist() == ["O1", "O4", "O5"]
    assert data.rows["Amount"].tolist() == [5.0, 5.0, 7.5]


def test_an_all_blank_id_column_in_rows_stays_as_before(tmp_path):
    """An order id column with no value is not taken from the lines (nothing to share): rows keep it as missing."""
    text = "OrderID,CustomerID,OrderDate,Amount\n,A,2024-01-01,5.0\n,B,2024-01-02,6.0\n,A,2024-01-05,7.0\n"
    data = load_dataset(write(tmp_path, "t.csv", text), roles={"order_id": "OrderID"})
    assert list(data.rows.columns) == ["OrderID", "CustomerID", "OrderDate", "Amount"]
    assert data.rows["OrderID"].isna().all() and data.rows["CustomerID"].tolist() == ["A", "B", "A"]


def test_joined_labels_are_codes_into_the_side_tables_labels(tmp_path):
    """Region and category joined onto every line are categorical (one code per line, not one string), with
    the same values and missing where the side table has no match."""
    write_three_tables(tmp_path)
    tx = load_dataset(tmp_path).transactions
    assert isinstance(tx["region"].dtype, pd.CategoricalDtype) and isinstance(tx["category"].dtype, pd.CategoricalDtype)
    assert sorted(tx["category"].cat.categories) == ["Books", "Electronics", "Home Decor"]
    assert tx["category"].tolist() == ["Home Decor", "Books", "Electronics", "Home Decor", "Books", "Electronics"]
