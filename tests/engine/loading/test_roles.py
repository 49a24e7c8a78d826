"""Role detection by name and content, overrides, and table classification on the four shapes."""

from __future__ import annotations

from io import StringIO

import pandas as pd
import pytest

from engine.errors import InputError
from engine.loading.roles import ROLES, classify_table, detect_roles, normalise_name, unconfirmed_names
from tests.engine.data_fixtures import (
    CUSTOMERS_CSV,
    HEADERLESS_CSV,
    HEADERLESS_ROLES,
    MALL_CSV,
    ONLINE_RETAIL_CSV,
    PRODUCTS_CSV,
    TRANSACTIONS_CSV,
)


def frame(text: str, **kwargs) -> pd.DataFrame:
    return pd.read_csv(StringIO(text), **kwargs)


@pytest.mark.parametrize(
    ("column", "role"),
    [
        ("CustomerID", "customer_id"), ("Customer ID", "customer_id"), ("cust_id", "customer_id"),
        ("client", "customer_id"), ("InvoiceNo", "order_id"), ("TransactionID", "order_id"),
        ("order", "order_id"), ("InvoiceDate", "date"), ("TransactionDate", "date"), ("Quantity", "quantity"),
        ("qty", "quantity"), ("UnitPrice", "unit_price"), ("Price", "unit_price"), ("TotalValue", "amount"),
        ("amount", "amount"), ("revenue", "amount"), ("sales", "amount"), ("line_total", "amount"),
        ("StockCode", "product_id"), ("ProductID", "product_id"), ("SKU", "product_id"), ("Category", "category"),
        ("Country", "region"), ("Region", "region"), ("SignupDate", "signup_date"),
        ("registration", "signup_date"), ("Total Price", "amount"),
    ],
)
def test_synonyms_are_strong_name_matches(column, role):
    scores = {name: r.name_score(column) for name, r in ROLES.items()}
    assert scores[role] == 2
    assert max(scores.values()) == 2 and [n for n, s in scores.items() if s == 2] == [role]


@pytest.mark.parametrize("column", ["CustomerName", "ProductName", "Description", "Age", "Gender",
                                    "Annual Income (k$)", "Spending Score (1-100)", "DateOfBirth"])
def test_attribute_columns_match_no_role(column):
    assert all(r.name_score(column) == 0 for r in ROLES.values())


def test_normalise_name():
    assert normalise_name("Customer ID") == normalise_name("customer_id") == normalise_name("CustomerID")


# ---- the four shapes -------------------------------------------------------


def test_three_table_shape():
    transactions = frame(TRANSACTIONS_CSV)
    roles = detect_roles(transactions)
    assert roles == {"customer_id": "CustomerID", "order_id": "TransactionID", "date": "TransactionDate",
                     "quantity": "Quantity", "amount": "TotalValue", "unit_price": "Price",
                     "product_id": "ProductID"}
    assert classify_table(transactions, roles) == "transactions"

    customers = frame(CUSTOMERS_CSV)
    roles = detect_roles(customers)
    assert roles == {"customer_id": "CustomerID", "signup_date": "SignupDate", "region": "Region"}
    assert classify_table(customers, roles) == "customers"

    products = frame(PRODUCTS_CSV)
    roles = detect_roles(products)
    assert roles == {"unit_price": "Price", "product_id": "ProductID", "category": "Category"}
    assert classify_table(products, roles) == "products"


def test_online_retail_shape():
    retail = frame(ONLINE_RETAIL_CSV)
    roles = detect_roles(retail)
    assert roles == {"customer_id": "CustomerID", "order_id": "InvoiceNo", "date": "InvoiceDate",
                     "quantity": "Quantity", "unit_price": "UnitPrice", "product_id": "StockCode",
                     "region": "Country"}
    assert classify_table(retail, roles) == "transactions"


def test_headerless_log_by_override():
    log = frame(HEADERLESS_CSV, header=None, names=["column_1", "column_2", "column_3", "column_4"])
    without = detect_roles(log)
    assert without == {"date": "column_2"}  # only the dates are recognisable by content
    assert classify_table(log, without) == "unknown"
    roles = detect_roles(log, HEADERLESS_ROLES)
    assert roles == HEADERLESS_ROLES
    assert classify_table(log, roles) == "transactions"


def test_mall_customers_shape():
    mall = frame(MALL_CSV)
    roles = detect_roles(mall)
    assert roles == {"customer_id": "CustomerID"}
    assert classify_table(mall, roles) == "customer_table"


# ---- content confirms names ------------------------------------------------


def test_content_must_confirm_the_name():
    odd = pd.DataFrame({
        "Date": ["soon", "later", "never"],  # not dates
        "Quantity": ["a few", "many", "some"],  # not numbers
        "CustomerID": [1.5, 2.25, 3.75],  # fractional: not an id
        "Region": [1.0, 2.0, 3.0],  # numbers: not a label
    })
    assert detect_roles(odd) == {}


def test_oddly_named_date_column_found_by_content():
    log = pd.DataFrame({"who": ["a", "b"], "when": ["2024-01-05 10:00:00", "2024-02-01 09:00:00"], "n": [1, 2]})
    assert detect_roles(log) == {"date": "when"}


def test_weak_name_match_used_when_no_synonym():
    table = pd.DataFrame({"Loyalty Customer Code": ["A1", "A2", "A1"], "Net Revenue EUR": [1.0, 2.0, 3.0]})
    assert detect_roles(table) == {"customer_id": "Loyalty Customer Code", "amount": "Net Revenue EUR"}


def test_text_numbers_count_as_numbers():
    table = pd.DataFrame({"CustomerID": ["A", "B", "A"], "Amount": ["€1.234,50", "12,00", "3,10"]})
    assert detect_roles(table)["amount"] == "Amount"


def test_each_column_plays_one_role():
    # "Price" could be unit_price or (weakly) nothing else; "Total Price" is the amount.
    table = pd.DataFrame({"Customer": ["A", "B"], "Price": [2.0, 3.0], "Total Price": [4.0, 9.0]})
    assert detect_roles(table) == {"customer_id": "Customer", "amount": "Total Price", "unit_price": "Price"}


# ---- overrides -------------------------------------------------------------


def test_override_wins_over_detection():
    transactions = frame(TRANSACTIONS_CSV)
    roles = detect_roles(transactions, {"amount": "Price"})
    assert roles["amount"] == "Price"
    assert "unit_price" not in roles  # Price is taken; TotalValue is not a unit-price name
    assert roles["customer_id"] == "CustomerID"


def test_override_matches_loosely_and_none_removes_a_role():
    transactions = frame(TRANSACTIONS_CSV)
    roles = detect_roles(transactions, {"customer_id": "customer id", "order_id": None})
    assert roles["customer_id"] == "CustomerID"
    assert "order_id" not in roles


def test_override_unknown_column_names_it_and_lists_columns():
    with pytest.raises(InputError) as err:
        detect_roles(frame(MALL_CSV), {"customer_id": "ClientNumber"})
    message = str(err.value)
    assert "'ClientNumber'" in message and "CustomerID, Gender, Age" in message


def test_override_unknown_role_lists_roles():
    with pytest.raises(InputError, match="Unknown role 'shoe_size'.*customer_id"):
        detect_roles(frame(MALL_CSV), {"shoe_size": "Age"})


def test_override_same_column_twice():
    with pytest.raises(InputError, match="'Age' is given for more than one role"):
        detect_roles(frame(MALL_CSV), {"quantity": "Age", "amount": "Age"})


# ---- classification edge cases ------------------------------------------------


def test_per_customer_table_with_dates_and_spend_is_a_customer_table():
    table = pd.DataFrame({"CustomerID": ["A", "B", "C"], "LastPurchaseDate": ["2024-01-01"] * 3,
                          "TotalSpend": [10.0, 20.0, 5.0]})
    roles = detect_roles(table)
    assert roles == {"customer_id": "CustomerID", "date": "LastPurchaseDate", "amount": "TotalSpend"}
    assert classify_table(table, roles) == "customer_table"


def test_dated_log_without_customer_is_transactions_and_repeated_ids_alone_unknown():
    log = pd.DataFrame({"Date": ["2024-01-01", "2024-01-02"], "Amount": [1.0, 2.0]})
    assert classify_table(log, detect_roles(log)) == "transactions"
    repeated = pd.DataFrame({"CustomerID": ["A", "A", "B"], "Colour": ["red", "blue", "red"]})
    assert classify_table(repeated, detect_roles(repeated)) == "unknown"


def test_unconfirmed_names_explain_a_missing_role():
    table = pd.DataFrame({"CustomerID": ["A", "A"], "Date": ["soon", "never"], "Amount": [1.0, 2.0]})
    roles = detect_roles(table)
    assert "date" not in roles
    [note] = unconfirmed_names(table, roles)
    assert note.startswith("Column 'Date' is named like a date but its values do not look like one")
