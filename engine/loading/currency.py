"""Which currency the data's money is in, when the data says so.

The data rarely names its currency, so reports print money without a symbol.
When it does (a column named "Amount (EUR)" or "usd_total", or values written
"€12.50"), the currency is recorded so that a saved model refuses data in
another one (engine.model). The column name wins over the values; a dollar sign
alone says "$", which any dollar currency matches.
"""

from __future__ import annotations

import re

import pandas as pd

MONEY_ROLES = ("amount", "unit_price")
_NAMED = (  # word in a column name -> currency
    (r"usd|dollars?", "USD"), (r"eur|euros?", "EUR"), (r"gbp|pounds?|sterling", "GBP"), (r"jpy|yen", "JPY"),
    (r"chf|francs?", "CHF"), (r"inr|rupees?", "INR"), (r"aud", "AUD"), (r"cad", "CAD"), (r"nzd", "NZD"),
    (r"sgd", "SGD"), (r"hkd", "HKD"), (r"cny|rmb", "CNY"), (r"sek", "SEK"), (r"nok", "NOK"), (r"dkk", "DKK"),
    (r"brl", "BRL"), (r"mxn", "MXN"), (r"zar", "ZAR"),
)
_SYMBOLS = {"€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "$": "$"}
DOLLARS = {"$", "USD", "AUD", "CAD", "NZD", "SGD", "HKD", "MXN"}
SAMPLE = 200


def _from_name(column: str) -> str | None:
    words = [w for w in re.split(r"[^a-z]+", column.lower()) if w]
    for word in words:
        for pattern, code in _NAMED:
            if re.fullmatch(pattern, word):
                return code
    return None


def _from_values(values: pd.Series) -> str | None:
    if pd.api.types.is_numeric_dtype(values):
        return None
    text = values.head(SAMPLE * 5).dropna().astype("str").head(SAMPLE)  # a look at the first lines, at any size
    for symbol, code in _SYMBOLS.items():  # € before $: "US$" and "$" both say dollars, and come last
        if text.str.contains(symbol, regex=False).mean() >= 0.5:
            return code
    return None


def money_currency(tables) -> str | None:
    """The currency the first money column says it is in (name first, then its values), or None.

    ``tables``: the loader's tables (engine.loading.canonical.Table: ``info`` and the raw ``frame``).
    """
    for table in tables:
        for role in MONEY_ROLES:
            column = table.info.roles.get(role)
            if column is None or column not in table.frame.columns:
                continue
            found = _from_name(str(column)) or _from_values(table.frame[column])
            if found:
                return found
    return None


def same_currency(a: str | None, b: str | None) -> bool:
    """True unless both are known and differ ("$" matches any dollar currency)."""
    if a is None or b is None or a == b:
        return True
    return "$" in (a, b) and {a, b} <= DOLLARS
