"""Which column plays which role, and what kind of table a frame is.

A role is recognised by its column name first (normalised: lower case, no
spaces or punctuation, so "Customer ID", "customer_id" and "CustomerID" are the
same) and then confirmed by the column's content (a "date" must parse as dates,
an "amount" must be numbers). A strong name match (a known synonym) beats a
weak one (a name that merely contains a telling word). Analyst overrides win
over detection. The registry is data: adding a role or a synonym is one edit.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from engine.errors import InputError
from engine.parsing import parse_dates, sample_values, to_numbers

TABLE_KINDS = ("transactions", "customers", "products", "customer_table", "unknown")
ID_ROLES = ("customer_id", "order_id", "product_id")
MEASURE_ROLES = ("quantity", "amount")
_ID_END = r"(id|no|nr|num|number|code|key|ref)"


def normalise_name(name: str) -> str:
    """Column name reduced to lower-case letters and digits ("Customer ID" -> "customerid")."""
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


# ---- content checks (run on a sample; they confirm a name match) -----------


def looks_like_id(series: pd.Series) -> bool:
    """Whole numbers or short strings; never dates, booleans or fractional numbers."""
    if pd.api.types.is_datetime64_any_dtype(series) or pd.api.types.is_bool_dtype(series):
        return False
    sample = sample_values(series)
    if sample.empty:
        return False
    if pd.api.types.is_numeric_dtype(series):
        return bool((sample.astype(float) % 1 == 0).all())
    return bool(sample.astype("str").str.len().mean() <= 40)


def looks_like_date(series: pd.Series, min_share: float = 0.5) -> bool:
    """Typed dates, or text of which at least ``min_share`` reads as dates (0.5 confirms a date-like name)."""
    if pd.api.types.is_datetime64_any_dtype(series):
        return True
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return False
    sample = sample_values(series.astype("str").str.strip(), n=200)
    datelike = sample.str.contains(r"\d[-/.]\d|\d [A-Za-z]{3}|[A-Za-z]{3} \d", regex=True)
    if sample.empty or datelike.mean() < min_share:
        return False
    return parse_dates(sample).values.notna().mean() >= min_share


def looks_like_number(series: pd.Series, min_share: float = 0.5) -> bool:
    """Numeric dtype, or text of which at least ``min_share`` reads as numbers (e.g. "1.234,50 €")."""
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_datetime64_any_dtype(series):
        return False
    if pd.api.types.is_numeric_dtype(series):
        return True
    sample = sample_values(series)
    return bool(not sample.empty and to_numbers(sample).notna().mean() >= min_share)


def looks_like_text(series: pd.Series) -> bool:
    """Labels such as a category or a country: text, not numbers or dates."""
    return not (
        pd.api.types.is_numeric_dtype(series)
        or pd.api.types.is_bool_dtype(series)
        or pd.api.types.is_datetime64_any_dtype(series)
    ) and not sample_values(series).empty


@dataclass(frozen=True)
class Role:
    """One column role: how to recognise it by name and confirm it by content.

    ``names`` are regular expressions matched against the whole normalised
    column name (strong evidence); ``hints`` are searched within it (weak).
    """

    name: str
    label: str
    description: str
    names: tuple[str, ...]
    hints: tuple[str, ...]
    check: Callable[[pd.Series], bool]

    def name_score(self, column: str) -> int:
        """2 for a known synonym, 1 for a telling word inside the name, 0 otherwise."""
        key = normalise_name(column)
        if any(re.fullmatch(p, key) for p in self.names):
            return 2
        return 1 if any(re.search(p, key) for p in self.hints) else 0


ROLES: dict[str, Role] = {
    r.name: r
    for r in (
        Role("customer_id", "Customer id", "Who bought: one value per customer.",
             (rf"(customer|cust|client|user|member|buyer|shopper|consumer|patron|account)s?{_ID_END}?",),
             (rf"(customer|cust|client|member|buyer|shopper).*{_ID_END}$",), looks_like_id),
        Role("order_id", "Order id", "Which order, invoice or basket a line belongs to.",
             (rf"(order|invoice|inv|transaction|trans|txn|receipt|basket|bill|ticket|booking){_ID_END}?",),
             (rf"(order|invoice|transaction|txn|receipt|basket).*{_ID_END}$",), looks_like_id),
        Role("signup_date", "Signup date", "When the customer joined (for tenure).",
             (r"(signup|signon|signedup|registration|registered|register|join|joined|joining|enrol+(ment|ed)?"
              r"|onboard(ing|ed)?|membersince|customersince|accountcreated|firstseen)(date|on|at|time|datetime)?",
              r"date(joined|registered|signedup|created)|since|firstpurchase(date)?"),
             (r"signup|regist|joined|joindate|enrol|onboard|since",), looks_like_date),
        Role("date", "Date", "When the purchase happened (for recency).",
             (r"(invoice|transaction|trans|txn|order|purchase|sale|sales|booking|visit|event|payment|receipt)?"
              r"(date|datetime|time|timestamp|day|dt)",),
             (r"^(?!.*birth).*(date|time|timestamp)",), looks_like_date),
        Role("quantity", "Quantity", "How many units on the line.",
             (r"(quantity|qty|units?|unitssold|quantitysold|qtysold|items|itemcount|numitems|noofitems|pieces|pcs"
              r"|volume)",),
             (r"quantity|qty",), looks_like_number),
        Role("amount", "Line amount", "Money for the line (quantity x unit price when not given).",
             (r"(total|line|net|gross|order|sales?|transaction|invoice|purchase|payment|extended)?"
              r"(amount|amt|revenue|sales|spend|spent|turnover)",
              r"(total|line|net|gross|order|transaction|invoice|purchase|payment|extended)(value|total|price|sum)"
              r"|total|value|sum|subtotal|monetary",),
             (r"amount|revenue|sales|linetotal|totalvalue|spent",), looks_like_number),
        Role("unit_price", "Unit price", "Price of one unit.",
             (r"(unit|item|product|list|sale|selling|retail|base)?price(each|perunit|perpiece|perunit)?|"
              r"(unit|item)(cost|amount)|rate",),
             (r"price",), looks_like_number),
        Role("product_id", "Product id", "Which product was bought.",
             (rf"(product|prod|item|article|stock|part|sku|style|model){_ID_END}|product|item|article|sku|asin"
              r"|upc|ean|barcode|stockcode",),
             (rf"(product|prod|item|article|sku|stock).*{_ID_END}$",), looks_like_id),
        Role("category", "Category", "Product category or department.",
             (r"(product|item|main|sub)?(category|categ|department|dept)(name)?|productline|productgroup"
              r"|producttype|itemtype",),
             (r"categ",), looks_like_text),
        Role("region", "Region", "Where the customer is: country, region, state or city.",
             (r"(customer|sales|shipping|billing|ship)?(region|country|countryname|countrycode|state|province"
              r"|city|town|location|territory|area|market|zone|geo|geography)",),
             (r"region|country",), looks_like_text),
    )
}



def detect_roles(df: pd.DataFrame, overrides: dict[str, str | None] | None = None) -> dict[str, str]:
    """Map roles to columns of ``df``: overrides first, then names confirmed by content.

    Parameters
    ----------
    df : DataFrame
        One table as read.
    overrides : dict, optional
        role -> column name chosen by the analyst (``None`` means "this table has
        no such column"). Matching is exact, else case/space-insensitive.

    Returns
    -------
    dict
        role -> column, in registry order. Each column plays at most one role.
    """
    chosen = resolve_overrides(df, overrides or {})
    taken = {c for c in chosen.values() if c}
    candidates = []
    for priority, role in enumerate(ROLES.values()):
        if role.name in chosen:
            continue
        for position, column in enumerate(df.columns):
            score = role.name_score(column) if column not in taken else 0
            if score:
                candidates.append((-score, priority, position, role.name, column))
    for _, _, _, role_name, column in sorted(candidates):
        if role_name in chosen or column in taken or not ROLES[role_name].check(df[column]):
            continue
        chosen[role_name] = column
        taken.add(column)
    if "date" not in chosen:  # content fallback: an oddly named column full of dates
        for column in df.columns:
            if column not in taken and looks_like_date(df[column], min_share=0.9):
                chosen["date"] = column
                break
    return {name: chosen[name] for name in ROLES if chosen.get(name)}


def unconfirmed_names(df: pd.DataFrame, roles: dict[str, str]) -> list[str]:
    """Sentences for columns named like a missing role whose content did not confirm it.

    A "Date" column full of text is left unused; saying so saves the analyst a
    search for why recency is missing.
    """
    notes = []
    used = set(roles.values())
    for role in ROLES.values():
        if role.name in roles:
            continue
        for column in df.columns:
            if column not in used and role.name_score(column) == 2:
                notes.append(f"Column {column!r} is named like a {role.label.lower()} but its values do not look "
                             f"like one, so it was not used; name it with roles={{{role.name!r}: ...}} if it is.")
                break
    return notes


def resolve_overrides(df: pd.DataFrame, overrides: dict[str, str | None]) -> dict[str, str | None]:
    """Check analyst overrides against the registry and the table's columns."""
    resolved: dict[str, str | None] = {}
    columns = [str(c) for c in df.columns]
    for role, column in overrides.items():
        if role not in ROLES:
            raise InputError(f"Unknown role {role!r}; roles are {', '.join(ROLES)}.", field=role)
        if column is None or column == "":
            resolved[role] = None
            continue
        match = find_column(columns, column)
        if match is None:
            raise InputError(f"Column {column!r} given for role {role} is not in the table; its columns are "
                             f"{', '.join(columns)}.", field=str(column))
        resolved[role] = match
    used = [c for c in resolved.values() if c]
    if len(used) != len(set(used)):
        twice = sorted({c for c in used if used.count(c) > 1})
        raise InputError(f"Column {twice[0]!r} is given for more than one role; give each role its own column.",
                         field=twice[0])
    return resolved


def find_column(columns: list[str], wanted: str) -> str | None:
    """The column named ``wanted``: exact, else the single case/space/underscore-insensitive match."""
    if wanted in columns:
        return wanted
    loose = [c for c in columns if normalise_name(c) == normalise_name(wanted)]
    return loose[0] if len(loose) == 1 else None


# ---- table kinds -----------------------------------------------------------


def classify_table(df: pd.DataFrame, roles: dict[str, str]) -> str:
    """Kind of table: transactions, customers, products, customer_table or unknown."""
    return classify_with_reason(df, roles)[0]


def classify_with_reason(df: pd.DataFrame, roles: dict[str, str]) -> tuple[str, str]:
    """Kind of table and one sentence saying why (shown by ``inspect``)."""
    measures = [r for r in MEASURE_ROLES if r in roles]
    id_columns = {roles[r] for r in ID_ROLES if r in roles}
    behaviour = [
        c for c in df.columns
        if c not in id_columns and pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])
    ]
    if "customer_id" in roles:
        per_customer = _mostly_unique(df[roles["customer_id"]], df)
        if measures and (not per_customer or "order_id" in roles or "product_id" in roles):
            return "transactions", f"several lines per customer with {' and '.join(measures)}"
        if not per_customer and "date" in roles:
            return "transactions", "several dated lines per customer"
        if per_customer and behaviour:
            return "customer_table", f"one row per customer with numeric columns ({', '.join(behaviour[:4])})"
        if per_customer:
            return "customers", "one row per customer with attributes and no numeric behaviour columns"
        return "unknown", "customer ids repeat but there is no date, quantity or amount"
    if "product_id" in roles and _mostly_unique(df[roles["product_id"]], df):
        return "products", "one row per product"
    if "date" in roles and measures:
        return "transactions", f"dated lines with {' and '.join(measures)} but no customer id"
    return "unknown", "no customer id, and not a product list or a dated log"


def _mostly_unique(ids: pd.Series, df: pd.DataFrame) -> bool:
    """One row per key, allowing a few repeats (messy exports): at least 95% distinct among distinct rows.

    Exact duplicate rows do not make a customer table a log; they are only
    looked for when the ids are nearly unique, so big logs skip that cost.
    """
    present = ids.dropna()
    distinct = present.nunique()
    if not len(present) or distinct < 0.5 * len(present):
        return False
    if distinct >= 0.95 * len(present):
        return True
    present = present[~df.loc[present.index].duplicated()]
    return distinct >= 0.95 * len(present)
