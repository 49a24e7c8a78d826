"""Money and quantity columns under the names real exports use, confirmed (or taken) by their values.

The CDNOW export (``customer_id,date,cds,dollar_value``) once lost its revenue
silently; every header here is a spelling seen in a public data set or an
analyst's export. Each test puts the column in a small dated customer log, the
shape where a missed amount turns a revenue segmentation into an activity one.
"""

from __future__ import annotations

import pandas as pd
import pytest

from engine.loading.dataset import load_dataset
from engine.loading.role_content import looks_like_count, looks_like_money
from engine.loading.roles import ROLES, detect_roles, measures_by_content_notes, unconfirmed_names
from tests.engine.data_fixtures import write

N_ROWS = 60

# Deterministic columns of each kind (no random generator: the values are the same on every run).
MONEY = [round(4.99 + 3.37 * (i % 17) + 0.5 * (i % 3), 2) for i in range(N_ROWS)]
PRICES = [round(2.49 + 1.25 * (i % 7), 2) for i in range(N_ROWS)]
COUNTS = [1 + (i * 7) % 5 for i in range(N_ROWS)]


def log(**columns) -> pd.DataFrame:
    """A dated log of 20 customers, three lines each, plus ``columns``."""
    base = {"customer_id": [f"C{i % 20:03d}" for i in range(N_ROWS)],
            "date": [f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}" for i in range(N_ROWS)]}
    return pd.DataFrame({**base, **columns})


AMOUNT_HEADERS = [
    "amount", "Sales", "revenue", "spend", "spent", "value", "dollar_value", "total", "Line Total", "turnover",
    "net", "gross", "Net Sales", "Gross Revenue", "Order Total", "Sale Amount", "payment", "payment_value",
    "ext_price", "Extended Price", "spend_usd", "Sales (€)", "Amount $", "revenue_gbp", "USD Amount", "total_eur",
    "value_in_dollars", "Amount (CHF)", "sales_jpy", "INR Amount", "Revenue (£)", "aud_total", "Total Spent",
    "amount_paid", "Purchase Amount (USD)", "TotalAmount", "sales_incl_vat", "Amount ex. tax", "GMV",
]
UNIT_PRICE_HEADERS = ["price", "Unit Price", "price_each", "Price Each", "price per unit", "unit_price_usd",
                      "Price ($)", "UnitCost"]
QUANTITY_HEADERS = [
    "qty", "Quantity", "units", "Unit Count", "items", "Item Count", "pieces", "pcs", "count", "cds", "books",
    "tickets", "bottles", "volume", "num_units", "units_sold", "qty_ordered", "Quantity Ordered", "total_quantity",
    "total_items", "net_units", "No. of Items", "Number of Units", "Quantity (kg)", "cds_bought",
]


@pytest.mark.parametrize(
    ("header", "role", "values"),
    [(h, "amount", MONEY) for h in AMOUNT_HEADERS]
    + [(h, "unit_price", PRICES) for h in UNIT_PRICE_HEADERS]
    + [(h, "quantity", COUNTS) for h in QUANTITY_HEADERS],
)
def test_real_world_header_is_recognised(header, role, values):
    roles = detect_roles(log(**{header: values}))
    assert roles.get(role) == header
    assert measures_by_content_notes(log(**{header: values}), roles) == []  # taken by name: nothing to explain


@pytest.mark.parametrize(
    ("header", "values"),
    [
        ("customer_value_segment", ["high", "mid", "low"] * 20),  # text named with "value"
        ("discount", MONEY), ("tax", MONEY), ("shipping", MONEY), ("vat", MONEY),
        ("discount_amount", MONEY), ("sales_tax", MONEY), ("shipping_cost", MONEY), ("tax_amount", MONEY),
        ("profit", MONEY), ("avg_order_value", MONEY), ("sales_rep", ["Ann", "Bo", "Cy"] * 20),
        ("payment_method", ["card", "cash", "paypal"] * 20),
        ("Spending Score (1-100)", [1 + (i * 37) % 100 for i in range(N_ROWS)]),
        ("age", [18 + (i * 7) % 50 for i in range(N_ROWS)]),
        ("year", [2019 + i % 6 for i in range(N_ROWS)]),
        ("store", [1 + i % 9 for i in range(N_ROWS)]),
        ("rating", [1 + i % 5 for i in range(N_ROWS)]),
    ],
)
def test_lookalike_columns_are_not_taken_as_measures(header, values):
    roles = detect_roles(log(**{header: values}))
    assert header not in roles.values()
    assert "amount" not in roles and "quantity" not in roles


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        (["total", "sales"], {"amount": "sales"}),
        (["value", "revenue"], {"amount": "revenue"}),
        (["net", "Net Sales"], {"amount": "Net Sales"}),
        (["value", "dollar_value"], {"amount": "dollar_value"}),
        (["order_total", "line_total"], {"amount": "line_total"}),
        (["discount_amount", "tax_amount", "shipping", "amount"], {"amount": "amount"}),
        (["vat", "total"], {"amount": "total"}),
        (["unit_price", "total_quantity", "total"], {"unit_price": "unit_price", "quantity": "total_quantity",
                                                     "amount": "total"}),
        (["net_units", "net"], {"quantity": "net_units", "amount": "net"}),
        (["total_items", "gross"], {"quantity": "total_items", "amount": "gross"}),
    ],
)
def test_explicit_money_names_beat_generic_words(columns, expected):
    kinds = {"unit_price": PRICES, "total_quantity": COUNTS, "net_units": COUNTS, "total_items": COUNTS}
    table = log(**{c: kinds.get(c, MONEY) for c in columns})
    roles = detect_roles(table)
    assert {r: roles[r] for r in expected} == expected
    assert set(roles) & {"quantity", "amount", "unit_price"} == set(expected)


# ---- content confirms the name ---------------------------------------------


def test_money_name_full_of_text_is_not_the_amount():
    table = log(sales=["online", "store", "phone"] * 20)
    roles = detect_roles(table)
    assert "amount" not in roles
    assert any(n.startswith("Column 'sales' is named like a line amount but") for n in unconfirmed_names(table, roles))


@pytest.mark.parametrize("dates", [["2024-01-05", "2024-02-11", "2024-03-17"] * 20, [20240105, 20240211, 20240317] * 20])
def test_value_holding_dates_is_not_money(dates):
    assert "amount" not in detect_roles(log(value=dates))


@pytest.mark.parametrize(
    ("header", "values"),
    [
        ("cds", MONEY),  # fractional: not a count of discs
        ("books", ["Dune", "Emma", "Ulysses"] * 20),  # titles
        ("tickets", list(range(1, N_ROWS + 1))),  # a running number
        ("bottles", [1990 + i % 30 for i in range(N_ROWS)]),  # vintages, not bottles
    ],
)
def test_goods_plural_needs_small_whole_numbers(header, values):
    assert "quantity" not in detect_roles(log(**{header: values}))


def test_a_strong_quantity_name_may_hold_fractions():
    assert detect_roles(log(**{"Quantity (kg)": [0.5, 1.25, 2.0] * 20}))["quantity"] == "Quantity (kg)"


# ---- content alone, when no name says it -----------------------------------


def test_unnamed_measures_of_a_dated_customer_log_are_taken_by_content_and_noted():
    table = log(x7=MONEY, n=COUNTS)
    roles = detect_roles(table)
    assert roles["amount"] == "x7" and roles["quantity"] == "n"
    assert measures_by_content_notes(table, roles) == [
        "Column 'n' was taken as the quantity because its values look like counts of units bought (small whole "
        "numbers); map the quantity role (data.roles.quantity) if it is not.",
        "Column 'x7' was taken as the line amount because its values look like money; map the amount role "
        "(data.roles.amount) if it is not.",
    ]


def test_content_choice_needs_exactly_one_candidate():
    roles = detect_roles(log(x7=MONEY, x8=PRICES, n=COUNTS, m=COUNTS))
    assert "amount" not in roles and "quantity" not in roles


def test_content_never_takes_running_numbers_years_or_attributes():
    table = log(line_seq=list(range(1, N_ROWS + 1)), yr=[2019 + i % 6 for i in range(N_ROWS)],
                age=[18 + i % 40 for i in range(N_ROWS)], x1=list(range(1, N_ROWS + 1)))
    roles = detect_roles(table)
    assert "quantity" not in roles and "amount" not in roles
    assert not looks_like_count(pd.Series(range(1, N_ROWS + 1)))
    assert not looks_like_count(pd.Series([2019 + i % 6 for i in range(N_ROWS)]))


def test_content_choice_only_in_a_dated_customer_log():
    undated = pd.DataFrame({"customer_id": [f"C{i % 20}" for i in range(N_ROWS)], "x7": MONEY, "n": COUNTS})
    assert detect_roles(undated) == {"customer_id": "customer_id"}
    anonymous = log(x7=MONEY, n=COUNTS).drop(columns="customer_id")
    assert detect_roles(anonymous) == {"date": "date"}


def test_content_leaves_the_amount_to_quantity_times_price():
    roles = detect_roles(log(qty=COUNTS, price=PRICES, x7=MONEY))
    assert "amount" not in roles


def test_an_override_of_none_is_not_undone_by_content():
    assert "amount" not in detect_roles(log(x7=MONEY), {"amount": None})


def test_money_and_count_shapes():
    assert looks_like_money(pd.Series(MONEY)) and not looks_like_count(pd.Series(MONEY))
    assert looks_like_count(pd.Series(COUNTS)) and not looks_like_money(pd.Series(COUNTS))
    assert not looks_like_money(pd.Series([0.1234, 0.5521, 0.9912, 0.3311, 0.2276] * 12))  # ratios
    assert looks_like_money(pd.Series(["$12.50", "$7.99", "$1,204.00", "$3.10", "$45.25"] * 12))


def test_goods_plurals_and_product_names_are_weak_so_header_sniffing_ignores_them():
    # io's header sniffing treats a strong role name in the first row as a header; "Books" as a category
    # value in a headerless file must not look like one.
    assert all(r.name_score("Books") < 2 for r in ROLES.values())


# ---- end to end: the files as exported -------------------------------------


def _lines(header: str, row) -> str:
    return header + "\n" + "".join(row(i) + "\n" for i in range(180))


@pytest.mark.parametrize("date_style", ["iso", "yyyymmdd"])
def test_cdnow_export_keeps_its_revenue(tmp_path, date_style):
    def row(i: int) -> str:
        day = f"1997-{1 + i % 12:02d}-{1 + i % 28:02d}"
        date = day if date_style == "iso" else day.replace("-", "")
        return f"{1 + i % 60},{date},{1 + (i * 3) % 4},{MONEY[i % N_ROWS]:.2f}"

    data = load_dataset(write(tmp_path, "cdnow.csv", _lines("customer_id,date,cds,dollar_value", row)))
    [info] = data.tables
    assert info.roles == {"customer_id": "customer_id", "date": "date", "quantity": "cds", "amount": "dollar_value"}
    assert data.shape == "transactions" and data.quality.customers == 60
    assert data.transactions["amount"].notna().all() and data.transactions["amount"].sum() > 0
    assert not any("monetary features are not available" in w for w in data.warnings)


def test_one_table_log_with_spaced_headers_and_currency(tmp_path):
    def row(i: int) -> str:
        return f"{1000 + i % 45},{1 + i % 28:02d}/{1 + i % 12:02d}/2023,{COUNTS[i % N_ROWS]},{MONEY[i % N_ROWS]:.2f}"

    path = write(tmp_path, "orders.csv", _lines("Customer Number,Order Date,Units,Sales (USD)", row))
    data = load_dataset(path)
    assert data.tables[0].roles == {"customer_id": "Customer Number", "date": "Order Date", "quantity": "Units",
                                    "amount": "Sales (USD)"}
    assert data.transactions["amount"].notna().all()


def test_log_with_spend_in_euros_and_no_quantity(tmp_path):
    def row(i: int) -> str:
        return f"client-{i % 30},2024-{1 + i % 12:02d}-{1 + i % 28:02d},{MONEY[i % N_ROWS]:.2f}"

    data = load_dataset(write(tmp_path, "spend.csv", _lines("client,day,spend_eur", row)))
    assert data.tables[0].roles == {"customer_id": "client", "date": "day", "amount": "spend_eur"}
    assert "quantity" not in data.transactions and data.transactions["amount"].notna().all()


def test_unnamed_amount_reaches_the_table_notes(tmp_path):
    def row(i: int) -> str:
        return f"C{i % 30},2024-{1 + i % 12:02d}-{1 + i % 28:02d},{MONEY[i % N_ROWS]:.2f}"

    data = load_dataset(write(tmp_path, "export.csv", _lines("cust,when,x7", row)))
    assert data.tables[0].roles["amount"] == "x7"
    note = ("Column 'x7' was taken as the line amount because its values look like money; map the amount role "
            "(data.roles.amount) if it is not.")
    assert note in data.tables[0].notes
    assert f"export.csv: {note}" in data.warnings  # the analyst is told, not only the inspect listing
    mapped = load_dataset(write(tmp_path, "export.csv", _lines("cust,when,x7", row)), roles={"amount": "x7"})
    assert not any("was taken as" in w for w in mapped.warnings + mapped.tables[0].notes)


# ---- exports from systems in other languages -----------------------------------

ORDER_IDS = [f"B{1000 + i // 2}" for i in range(N_ROWS)]
PRODUCTS = [f"P{i % 9:02d}" for i in range(N_ROWS)]
CATEGORIES = ["Obst", "Brot", "Milch"] * 20
PLACES = ["Nord", "Süd", "West"] * 20
FOREIGN_EXPORTS = {  # header per role, as German, French, Spanish, Dutch and Italian systems write them
    "German": {"customer_id": "Kunden-Nr.", "order_id": "Belegnummer", "date": "Buchungsdatum",
               "quantity": "Menge", "amount": "Betrag (EUR)", "product_id": "Artikelnummer",
               "category": "Warengruppe", "region": "Bundesland"},
    "French": {"customer_id": "N° client", "order_id": "N° facture", "date": "Date de facture",
               "quantity": "Quantité", "amount": "Montant TTC", "product_id": "Référence produit",
               "category": "Famille", "region": "Ville"},
    "Spanish": {"customer_id": "Código cliente", "order_id": "Número de pedido", "date": "Fecha",
                "quantity": "Cantidad", "amount": "Importe", "product_id": "Producto",
                "category": "Categoría", "region": "Provincia"},
    "Dutch": {"customer_id": "Klantnummer", "order_id": "Factuurnummer", "date": "Factuurdatum",
              "quantity": "Aantal", "amount": "Bedrag", "product_id": "Artikelnr", "category": "Productgroep",
              "region": "Stad"},
    "Italian": {"customer_id": "Codice cliente", "order_id": "Numero fattura", "date": "Data fattura",
                "quantity": "Quantità", "amount": "Importo", "product_id": "Codice articolo",
                "category": "Categoria", "region": "Regione"},
}


@pytest.mark.parametrize("language", FOREIGN_EXPORTS)
def test_headers_of_exports_in_other_languages_are_recognised(language):
    headers = FOREIGN_EXPORTS[language]
    values = {"customer_id": [f"C{i % 20:03d}" for i in range(N_ROWS)], "order_id": ORDER_IDS,
              "date": [f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}" for i in range(N_ROWS)], "quantity": COUNTS,
              "amount": MONEY, "product_id": PRODUCTS, "category": CATEGORIES, "region": PLACES}
    table = pd.DataFrame({headers[role]: values[role] for role in headers})
    assert detect_roles(table) == {role: headers[role] for role in ROLES if role in headers}


@pytest.mark.parametrize("tax", ["MwSt", "Umsatzsteuer", "TVA", "IVA", "Rabatt", "Versandkosten", "BTW"])
def test_foreign_tax_discount_and_shipping_columns_are_not_the_amount(tax):
    roles = detect_roles(log(**{tax: MONEY, "Betrag": MONEY}))
    assert roles["amount"] == "Betrag"
    assert tax not in roles.values()


@pytest.mark.parametrize("header", ["Email", "Customer Email", "billing_email", "E-mail address", "Correo electrónico",
                                    "Courriel"])
def test_an_order_export_keyed_by_the_buyers_email_has_its_customer(header):
    emails = [f"buyer{i % 20}@example.com" for i in range(N_ROWS)]
    table = log(amount=MONEY).drop(columns="customer_id").assign(**{header: emails})
    assert detect_roles(table)["customer_id"] == header
    both = log(amount=MONEY).assign(**{header: emails})  # an id column beside it stays the customer id
    assert detect_roles(both)["customer_id"] == "customer_id"
