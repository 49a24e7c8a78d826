"""Which column plays which role, and what kind of table a frame is: the role registry and its detection.

A role is recognised by its column name first (normalised: lower case, no
spaces or punctuation, so "Customer ID", "customer_id" and "CustomerID" are the
same) and then confirmed by the column's content (a "date" must parse as dates,
an "amount" must be numbers). A strong name match (a known synonym) beats a
weak one (a name that merely contains a telling word), and among strong
matches the more telling synonym wins ("sales" over "total"). Analyst
overrides win over detection. The registry is data: adding a role or a
synonym is one edit. The pieces role names are built from are in
:mod:`engine.loading.role_names`, the checks on a column's values (and the quantity
or amount taken on its values alone) in :mod:`engine.loading.role_content`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from engine.errors import InputError
from engine.loading.role_content import (
    CONTENT_MEASURES,
    looks_like_count,
    looks_like_date,
    looks_like_id,
    looks_like_measure,
    looks_like_named_date,
    looks_like_text,
)
from engine.loading.role_names import (
    AMOUNT_WORDS,
    ATTRIBUTE_NAMES,
    CATEGORY_WORDS,
    CURRENCY,
    CUSTOMER_WORDS,
    DATE_WORDS,
    EMAIL,
    GENERIC_MONEY,
    GOODS,
    ID_END,
    ID_START,
    MEASURE_UNIT,
    MONEY_PREFIX,
    MONEY_WORD,
    NOT_GOODS,
    NOT_REVENUE,
    ORDER_WORDS,
    PRODUCT_WORDS,
    QTY_PREFIX,
    QTY_SUFFIX,
    QTY_WORD,
    QUANTITY_WORDS,
    REGION_WORDS,
    SIGNUP_WORDS,
    money,
)

TABLE_KINDS = ("transactions", "customers", "products", "customer_table", "unknown")
ID_ROLES = ("customer_id", "order_id", "product_id")
MEASURE_ROLES = ("quantity", "amount")


def normalise_name(name: str) -> str:
    """Column name reduced to lower-case letters and digits, accents dropped ("Customer ID" -> "customerid",
    "Quantité" -> "quantite", "Straße" -> "strasse")."""
    text = unicodedata.normalize("NFKD", str(name).lower().replace("ß", "ss"))
    return re.sub(r"[^a-z0-9]", "", text.encode("ascii", "ignore").decode())


@dataclass(frozen=True)
class Role:
    """One column role: how to recognise it by name and confirm it by content.

    ``names`` are regular expressions matched against the whole normalised
    column name (strong evidence), listed from the most telling to the most
    generic: when two columns match, the earlier pattern wins ("sales" over
    "total"). ``hints`` are searched within the name (weak evidence); a weak
    match must also pass ``weak_check`` when one is given, because "books"
    says less than "quantity". ``never`` are searched too: a name containing
    one is not this role whatever else it says ("sales_tax" is not the amount).
    """

    name: str
    label: str
    description: str
    names: tuple[str, ...]
    hints: tuple[str, ...]
    check: Callable[[pd.Series], bool]
    weak_check: Callable[[pd.Series], bool] | None = None
    never: tuple[str, ...] = ()

    def name_score(self, column: str) -> int:
        """2 for a known synonym, 1 for a telling word inside the name, 0 otherwise."""
        key = normalise_name(column)
        if self.refuses(column):
            return 0
        if any(re.fullmatch(p, key) for p in self.names):
            return 2
        return 1 if any(re.search(p, key) for p in self.hints) else 0

    def name_rank(self, column: str) -> int:
        """Position of the first of ``names`` the column matches (len(names) when only a hint does)."""
        key = normalise_name(column)
        return next((i for i, p in enumerate(self.names) if re.fullmatch(p, key)), len(self.names))

    def refuses(self, column: str) -> bool:
        """True when the name says it is something else (a tax, a discount, a rating)."""
        key = normalise_name(column)
        return any(re.search(p, key) for p in self.never)

    def confirms(self, series: pd.Series, score: int) -> bool:
        """Content agrees with a name match of this ``score``; weak matches may need more evidence."""
        if not self.check(series):
            return False
        return score >= 2 or self.weak_check is None or self.weak_check(series)


ROLES: dict[str, Role] = {
    r.name: r
    for r in (
        Role("customer_id", "Customer id", "Who bought: one value per customer.",
             (rf"(customer|cust|client|user|member|buyer|shopper|consumer|patron|account)s?{ID_END}?",
              rf"{CUSTOMER_WORDS}{ID_END}?|{ID_START}(customer|cust|client|member|account|{CUSTOMER_WORDS})",
              EMAIL),
             (rf"(customer|cust|client|member|buyer|shopper|{CUSTOMER_WORDS}).*{ID_END}$",), looks_like_id),
        Role("order_id", "Order id", "Which order, invoice or basket a line belongs to.",
             (rf"(order|invoice|inv|transaction|trans|txn|receipt|basket|bill|ticket|booking){ID_END}?",
              rf"{ORDER_WORDS}{ID_END}?|{ID_START}(order|invoice|transaction|receipt|{ORDER_WORDS})"),
             (rf"(order|invoice|transaction|txn|receipt|basket|{ORDER_WORDS}).*{ID_END}$",), looks_like_id),
        Role("signup_date", "Signup date", "When the customer joined (for tenure).",
             (r"(signup|signon|signedup|registration|registered|register|join|joined|joining|enrol+(ment|ed)?"
              r"|onboard(ing|ed)?|membersince|customersince|accountcreated|firstseen)(date|on|at|time|datetime)?",
              r"date(joined|registered|signedup|created)|since|firstpurchase(date)?", SIGNUP_WORDS),
             (r"signup|regist|joined|joindate|enrol|onboard|since",), looks_like_named_date,
             weak_check=looks_like_date),
        Role("date", "Date", "When the purchase happened (for recency).",
             (r"(invoice|transaction|trans|txn|order|purchase|sale|sales|booking|visit|event|payment|receipt)?"
              r"(date|datetime|time|timestamp|day|dt)", DATE_WORDS),
             (r"^(?!.*birth).*(date|time|timestamp)",), looks_like_named_date, weak_check=looks_like_date),
        Role("quantity", "Quantity", "How many units on the line.",
             (rf"{QTY_PREFIX}?{QTY_WORD}{QTY_SUFFIX}?{MEASURE_UNIT}?", QUANTITY_WORDS),
             (r"quantity|qty", rf"^(num|no|noof|numberof|n|total)?{GOODS}(bought|purchased|sold|ordered)?$"),
             looks_like_measure, weak_check=looks_like_count),
        Role("amount", "Line amount", "Money for the line (quantity x unit price when not given).",
             (money(rf"{MONEY_PREFIX}?{MONEY_WORD}(paid|charged|spent|total|value|sum)?|(total|amount)paid"
                    r"|(line|item)(total|value|sum)|(total|extended|ext|line)price"
                    r"|(price|unitprice)(x|times)(qty|quantity)|(qty|quantity)(x|times)(unit)?price"),
              money(r"(order|invoice|transaction|trans|txn|basket|cart|purchase|receipt|bill|ticket|grand|sub)"
                    r"(total|value|sum)")
              + rf"|{CURRENCY}{GENERIC_MONEY}|{GENERIC_MONEY}(in)?{CURRENCY}",
              money(rf"{GENERIC_MONEY}|(net|gross|total)(value|total|sum)|monetaryvalue"), money(AMOUNT_WORDS)),
             (r"amount|revenue|sales|linetotal|totalvalue|spent|spend(?!ing)|turnover",), looks_like_measure,
             never=(NOT_GOODS, *NOT_REVENUE)),
        Role("unit_price", "Unit price", "Price of one unit.",
             (money(r"(unit|item|product|list|sale|selling|retail|base)?price(each|perunit|perpiece|peritem)?"
                    r"|(unit|item)(cost|amount)|rate|eachprice"),),
             (r"price",), looks_like_measure, never=(NOT_GOODS,)),
        Role("product_id", "Product id", "Which product was bought.",
             (rf"(product|prod|item|article|stock|part|sku|style|model){ID_END}|product|item|article|sku|asin"
              r"|upc|ean|barcode|stockcode", rf"{PRODUCT_WORDS}{ID_END}?|{ID_START}{PRODUCT_WORDS}"),
             (rf"(product|prod|item|article|sku|stock).*{ID_END}$",), looks_like_id),
        Role("category", "Category", "Product category or department.",
             (r"(product|item|main|sub)?(category|categ|department|dept)(name)?|productline|productgroup"
              r"|producttype|itemtype", CATEGORY_WORDS),
             (r"categ",), looks_like_text),
        Role("region", "Region", "Where the customer is: country, region, state or city.",
             (r"(customer|sales|shipping|billing|ship)?(region|country|countryname|countrycode|state|province"
              r"|city|town|location|territory|area|market|zone|geo|geography)", REGION_WORDS),
             (r"region|country",), looks_like_text),
    )
}


def detect_roles(df: pd.DataFrame, overrides: dict[str, str | None] | None = None) -> dict[str, str]:
    """Map roles to columns of ``df``: overrides first, then names confirmed by content, then content alone.

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
    _roles_by_name(df, chosen, taken)
    if "date" not in chosen:  # content fallback: an oddly named column full of dates
        for column in df.columns:
            if column not in taken and looks_like_date(df[column], min_share=0.9):
                chosen["date"] = column
                taken.add(column)
                break
    _measures_by_content(df, chosen, taken)
    return {name: chosen[name] for name in ROLES if chosen.get(name)}


def _roles_by_name(df: pd.DataFrame, chosen: dict[str, str | None], taken: set[str]) -> None:
    """Fill ``chosen`` from column names, best evidence first, each confirmed by the column's content.

    Order: strong before weak names, then registry order of roles, then the
    role's own preference among its patterns, then column position.
    """
    candidates = []
    for priority, role in enumerate(ROLES.values()):
        if role.name in chosen:
            continue
        for position, column in enumerate(df.columns):
            score = role.name_score(column) if column not in taken else 0
            if score:
                candidates.append((-score, priority, role.name_rank(column), position, role.name, column))
    for negative_score, _, _, _, role_name, column in sorted(candidates):
        if role_name in chosen or column in taken or not ROLES[role_name].confirms(df[column], -negative_score):
            continue
        chosen[role_name] = column
        taken.add(column)


def _measures_by_content(df: pd.DataFrame, chosen: dict[str, str | None], taken: set[str]) -> None:
    """In a dated log of customers, take an unnamed quantity or amount column when its values leave no doubt.

    Without this, a log whose money sits in a column called "x7" is segmented
    on activity alone and nobody is told. Only columns whose names match no
    role and name no attribute are looked at, and a role is filled only when
    exactly one column qualifies. The amount is not guessed when quantity and
    unit price are known: it is their product.
    """
    if not (chosen.get("customer_id") and chosen.get("date")):
        return
    free = [c for c in df.columns if c not in taken and _unclaimed_name(c)]
    for role, (test, _, _) in CONTENT_MEASURES.items():
        if role in chosen or (role == "amount" and chosen.get("quantity") and chosen.get("unit_price")):
            continue
        found = [c for c in free if test(df[c])]
        if len(found) == 1:
            chosen[role] = found[0]
            taken.add(found[0])
            free.remove(found[0])


def _unclaimed_name(column: str) -> bool:
    """No role knows or refuses this name, and it does not name an attribute such as an age or a store."""
    key = normalise_name(column)
    return (all(r.name_score(column) == 0 and not r.refuses(column) for r in ROLES.values())
            and not any(re.search(p, key) for p in ATTRIBUTE_NAMES))


def measures_by_content_notes(df: pd.DataFrame, roles: dict[str, str]) -> list[str]:
    """One sentence per quantity or amount column used although its name does not say so.

    The column was taken (or given) for its values alone; the analyst should
    know, and know how to correct it.
    """
    notes = []
    for role, (test, what, looks) in CONTENT_MEASURES.items():
        column = roles.get(role)
        if column is not None and column in df.columns and _unclaimed_name(column) and test(df[column]):
            notes.append(f"Column {column!r} was taken as {what} because its values look like {looks}; map the "
                         f"{role} role (data.roles.{role}) if it is not.")
    return notes


def unconfirmed_names(df: pd.DataFrame, roles: dict[str, str]) -> list[str]:
    """Sentences about roles the analyst should check, for the table's notes.

    A column named like a missing role whose content did not confirm it: a
    "Date" column full of text is left unused, and saying so saves the analyst
    a search for why recency is missing. (A quantity or amount taken for its
    values alone is :func:`measures_by_content_notes`.)
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
