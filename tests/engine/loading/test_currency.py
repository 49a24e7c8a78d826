"""The currency the data names (engine.loading.currency): from the money column's name, else its values."""

from __future__ import annotations

import pandas as pd
import pytest

from engine.loading.currency import money_currency, same_currency
from engine.loading.dataset import load_dataset


class _Table:  # the two attributes money_currency reads from the loader's Table
    def __init__(self, roles: dict[str, str], frame: pd.DataFrame):
        self.info = type("Info", (), {"roles": roles})()
        self.frame = frame


@pytest.mark.parametrize("column, values, expected", [
    ("Amount (EUR)", [1.5, 2.0], "EUR"),
    ("usd_total", [1.5, 2.0], "USD"),
    ("Revenue in Pounds", [1.5, 2.0], "GBP"),
    ("Amount", ["€12,50", "€3,00", "€8,10"], "EUR"),
    ("Amount", ["£12.50", "£3.00", None], "GBP"),
    ("Amount", ["$12.50", "$3.00"], "$"),
    ("Amount", ["12.50", "3.00"], None),  # the values do not say
    ("Amount", ["€12.50", "3.00", "4.00", "5.00"], None),  # one sign in four is not the column's currency
    ("Cadence value", [1.0, 2.0], None),  # "cad" inside a word is not Canadian dollars
    ("TotalValue", [1.0, 2.0], None),
])
def test_the_money_column_says_its_currency_or_nothing(column, values, expected):
    assert money_currency([_Table({"amount": column}, pd.DataFrame({column: values}))]) == expected


def test_the_name_wins_over_the_values_and_prices_count_when_there_is_no_amount():
    frame = pd.DataFrame({"price_gbp": ["€1", "€2"], "qty": [1, 2]})
    assert money_currency([_Table({"unit_price": "price_gbp", "quantity": "qty"}, frame)]) == "GBP"
    assert money_currency([_Table({"quantity": "qty"}, frame)]) is None


@pytest.mark.parametrize("a, b, same", [
    ("EUR", "EUR", True), ("EUR", "GBP", False), (None, "GBP", True), ("EUR", None, True),
    ("$", "USD", True), ("CAD", "$", True), ("$", "EUR", False), ("USD", "CAD", False),
])
def test_a_dollar_sign_matches_any_dollar_and_unknown_matches_anything(a, b, same):
    assert same_currency(a, b) is same


def test_the_loader_records_it(tmp_path):
    path = tmp_path / "sales.csv"
    rows = [f"{i},C{i % 40},2024-03-{1 + i % 28:02d},\"€{10 + i},50\"" for i in range(200)]
    path.write_text("order,customer,date,Amount\n" + "\n".join(rows) + "\n", encoding="utf-8")
    data = load_dataset([str(path)])
    assert data.currency == "EUR"
    assert data.transactions["amount"].iloc[0] == pytest.approx(10.5)  # and the values still read as numbers
