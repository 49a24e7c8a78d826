"""Which column plays which role, and what kind of table a frame is.

A role is recognised by its column name first (normalised: lower case, no
spaces or punctuation, so "Customer ID", "customer_id" and "CustomerID" are the
same) and then confirmed by the column's content (a "date" must parse as dates,
an "amount" must be numbers). A strong name match (a known synonym) beats a
weak one (a name that merely contains a telling word), and among strong
matches the more telling synonym wins ("sales" over "total"). Analyst
overrides win over detection. The registry is data: adding a role or a
synonym is one edit.

Money and quantity hide under many names (``dollar_value``, ``spend_usd``,
``cds``); missing them silently turns a revenue segmentation into an activity
one. So in a dated log of customers, a numeric column no name explains is
taken as the quantity or the amount when its values leave no doubt, and
:func:`unconfirmed_names` says so in the table's notes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
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
    """Typed dates, yyyymmdd numbers, or text of which at least ``min_share`` reads as dates.

    0.5 confirms a date-like name. Numbers count only as yyyymmdd (19970101, as
    in the CDNOW export): Unix times and Excel day numbers are too easily
    mistaken for amounts or ids to be taken on content.
    """
    if pd.api.types.is_datetime64_any_dtype(series):
        return True
    if pd.api.types.is_bool_dtype(series):
        return False
    if pd.api.types.is_numeric_dtype(series):
        numbers = _numbers_spread(series)
        return not numbers.empty and _looks_like_day_numbers(numbers)
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


def looks_like_measure(series: pd.Series) -> bool:
    """Numbers that are not dates in disguise: a "value" column of yyyymmdd integers is not money."""
    if not looks_like_number(series):
        return False
    numbers = _numbers_spread(series)
    return numbers.empty or not _looks_like_day_numbers(numbers)


def looks_like_count(series: pd.Series) -> bool:
    """Units bought: mostly non-negative small whole numbers (returns may be negative).

    Confirms a name that only hints at a quantity ("cds", "books") and picks an
    unnamed quantity column; running numbers (row or order numbers) and years
    are whole numbers too, so they are ruled out by spread and size.
    """
    numbers = _numbers_spread(series) if looks_like_number(series, min_share=0.9) else pd.Series(dtype=float)
    if numbers.empty:
        return False
    size = numbers.abs()
    return bool((numbers % 1 == 0).mean() >= 0.95 and (numbers >= 0).mean() >= 0.9
                and size.median() <= 100 and size.quantile(0.95) <= 10_000 and not _running_number(numbers))


def looks_like_money(series: pd.Series) -> bool:
    """Line amounts: positive numbers with (mostly) cents, at most two decimals, and some spread.

    Used only when no column is named like an amount: whole numbers could be
    counts, more decimals could be coordinates or ratios, and values below one
    are rarely what a customer paid for a line.
    """
    numbers = _numbers_spread(series) if looks_like_number(series, min_share=0.9) else pd.Series(dtype=float)
    if numbers.empty:
        return False
    cents = numbers * 100
    two_decimals = np.isclose(cents, np.round(cents), rtol=0, atol=1e-6)
    return bool((numbers > 0).mean() >= 0.9 and two_decimals.mean() >= 0.95 and (numbers % 1 != 0).mean() >= 0.2
                and numbers.median() >= 1 and numbers.nunique() >= 5)


def _numbers_spread(series: pd.Series, n: int = 2_000) -> pd.Series:
    """Up to ``n`` values spread over the column, as floats (unreadable ones dropped); repeats kept."""
    values = series.dropna()
    if len(values) > n:
        values = values.iloc[np.linspace(0, len(values) - 1, n).astype(int)]
    return to_numbers(values).dropna().reset_index(drop=True)


def _running_number(numbers: pd.Series) -> bool:
    """Nearly every value distinct: a row, line or order number, not a count of units."""
    return len(numbers) >= 20 and numbers.nunique() > 0.9 * len(numbers)


def _looks_like_day_numbers(numbers: pd.Series) -> bool:
    """Whole numbers that read as yyyymmdd dates (20240105)."""
    whole = numbers[numbers % 1 == 0]
    if len(whole) < 0.95 * len(numbers) or whole.empty:
        return False
    month, day = (whole // 100) % 100, whole % 100
    ok = whole.between(19_000_101, 21_001_231) & month.between(1, 12) & day.between(1, 31)
    return bool(ok.mean() >= 0.95)


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


# ---- name patterns for the measures ------------------------------------------
# Currency codes and words around a money name ("spend_usd", "USD Amount", "value_in_dollars");
# signs such as "$" or "(€)" vanish in normalise_name, so "Sales (€)" is simply "sales".
_CURRENCY = (r"(usd|eur|gbp|chf|jpy|inr|aud|cad|nzd|sgd|hkd|cny|rmb|sek|nok|dkk|brl|mxn|zar|dollars?|euros?"
             r"|pounds?|sterling|yen|rupees?|francs?)")
_MONEY_WORD = r"(amount|amt|revenues?|sales|spend|spent|spending|turnover|payments?|monetary|gmv)"
_MONEY_PREFIX = (r"(total|line|item|net|gross|order|sale|sales|transaction|trans|txn|invoice|purchase|payment|customer"
                 r"|extended|ext|billed|charged)")
_GENERIC_MONEY = r"(total|totals|value|sum|subtotal|net|gross)"
# What a money figure includes or leaves out ("sales_incl_vat", "amount_ex_tax", "pretax_total").
_TAX_CLAUSE = (r"(incl|including|inc|excl|excluding|ex|before|after|netof|less|plus|with|without)"
               r"(tax|taxes|vat|gst|discounts?|returns|refunds|shipping|fees)")
# Charges that are not the goods, and figures that are not what the customer paid. The look-behinds keep
# "sales_incl_vat", "amount_ex_tax" and "pretax_total" as amounts.
_NOT_GOODS = (r"(?<!incl)(?<!inc)(?<!excl)(?<!ex)(?<!including)(?<!excluding)(?<!pre)(?<!after)(?<!before)"
              r"(?<!netof)(?<!less)(?<!plus)(?<!with)(?<!without)"
              r"(tax(?!able)|vat|gst|duty|discount(?!ed)|rebate|coupon|voucher|shipping|freight|postage|delivery"
              r"|handling|refund|return|chargeback|commission)")
_NOT_REVENUE = (r"margin|profit|cost(?!ume)|budget|target|forecast|quota|balance",
                r"^(avg|average|mean|median|max|min|std)",
                r"(percent|pct|share|ratio|rate|growth|rank|score|segment|tier|band|class|group|bucket|category|type"
                r"|method|mode|status|flag|person|rep|agent|channel|count|date|time)$",
                r"quantity|qty|units|items|pieces|pcs|volume")
_QTY_PREFIX = (r"(total|net|n|num|numof|no|noof|nr|nb|number|numberof|order|ordered|sold|sales|line|item|product"
               r"|unit)")
_QTY_WORD = r"(quantity|quantities|qty|qnty|qtys|units|unit|items|pieces|pcs|volume|(item|unit|piece|product|total)count|count)"
_QTY_SUFFIX = r"(sold|ordered|purchased|bought|shipped|delivered|sale|order|returned)"
_MEASURE_UNIT = r"(kg|kgs|g|gr|lbs?|l|lt|litres?|liters?|ml|oz|tons?|tonnes?|m|pcs|pieces|units|items|ea|each)"
# Things people buy by the piece: a column named after them counts them when its values are small whole numbers.
_GOODS = (r"(cds|dvds|lps|vinyls|records|albums|books|ebooks|magazines|tickets|bottles|cans|cases|boxes|packs|packets"
          r"|bags|cartons|crates|pairs|seats|nights|games|cards|licen[cs]es|copies|meals|drinks|cups|pizzas|shirts"
          r"|shoes|garments|articles|products|goods|tyres|tires|pallets|rolls|lessons|classes)")


def _money(pattern: str) -> str:
    """``pattern`` with optional currency and tax words around it.

    "usdamount", "revenuegbp", "valueindollars", "salesinclvat", "pretaxtotal".
    """
    return rf"({_CURRENCY}|pretax|aftertax)?({pattern})({_TAX_CLAUSE})?((in)?{_CURRENCY})?"


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
             (rf"{_QTY_PREFIX}?{_QTY_WORD}{_QTY_SUFFIX}?{_MEASURE_UNIT}?",),
             (r"quantity|qty", rf"^(num|no|noof|numberof|n|total)?{_GOODS}(bought|purchased|sold|ordered)?$"),
             looks_like_measure, weak_check=looks_like_count),
        Role("amount", "Line amount", "Money for the line (quantity x unit price when not given).",
             (_money(rf"{_MONEY_PREFIX}?{_MONEY_WORD}(paid|charged|spent|total|value|sum)?|(total|amount)paid"
                     r"|(line|item)(total|value|sum)|(total|extended|ext|line)price"
                     r"|(price|unitprice)(x|times)(qty|quantity)|(qty|quantity)(x|times)(unit)?price"),
              _money(r"(order|invoice|transaction|trans|txn|basket|cart|purchase|receipt|bill|ticket|grand|sub)"
                     r"(total|value|sum)")
              + rf"|{_CURRENCY}{_GENERIC_MONEY}|{_GENERIC_MONEY}(in)?{_CURRENCY}",
              _money(rf"{_GENERIC_MONEY}|(net|gross|total)(value|total|sum)|monetaryvalue"),),
             (r"amount|revenue|sales|linetotal|totalvalue|spent|spend(?!ing)|turnover",), looks_like_measure,
             never=(_NOT_GOODS, *_NOT_REVENUE)),
        Role("unit_price", "Unit price", "Price of one unit.",
             (_money(r"(unit|item|product|list|sale|selling|retail|base)?price(each|perunit|perpiece|peritem)?"
                     r"|(unit|item)(cost|amount)|rate|eachprice"),),
             (r"price",), looks_like_measure, never=(_NOT_GOODS,)),
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

# Measures a dated customer log may carry under a name no role knows ("x7"): the test its values must
# pass, what it is taken as, and what its values look like (for the note telling the analyst).
CONTENT_MEASURES: dict[str, tuple[Callable[[pd.Series], bool], str, str]] = {
    "quantity": (looks_like_count, "the quantity", "counts of units bought (small whole numbers)"),
    "amount": (looks_like_money, "the line amount", "money"),
}
# Names of numbers that are attributes, not measures: never taken as a quantity or amount by content.
_ATTRIBUTE_NAMES = (
    r"^(customer|client)?age$|birth|year|quarter|month|week|day|hour|minute|second|period|season",
    r"rating|score|stars?$|rank|level|tier|grade|priority|weight|height",
    r"store|shop|branch|outlet|channel|terminal|register|till|cashier|staff|employee|agent",
    r"zip|post(al)?code|phone|lat(itude)?$|lon(g|gitude)?$|gender|sex|flag|status|type|kind|class|segment|cluster"
    r"|group|version|size|code|(?<!pa)id$|no$|nr$|num$|number$|index|idx|row|line|seq",
)


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
            and not any(re.search(p, key) for p in _ATTRIBUTE_NAMES))


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
