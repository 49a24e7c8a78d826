"""Cleaning rules and data-quality findings: returns, amounts, identical lines, signup dates, outliers.

The rules :func:`engine.loading.dataset.load_dataset` applies to the joined lines, and
the sentences that report them (counts with their share of rows, so the report
can say exactly what was removed or kept and why).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from engine.formatting import plural
from engine.loading.parsing import MAX_MAGNITUDE_TEXT, implausible

OUTLIER_IQR_FACTOR = 3.0  # customer tables: Tukey's "far out" fences per numeric column


OUTLIER_SPEND_FACTOR = 3.0  # transactions: total spend above this multiple of the 95th percentile


def add_amount(tx: pd.DataFrame, roles: dict[str, str], findings: list[str], warnings: list[str]) -> None:
    """amount = given amount, else quantity x unit price (which also fills gaps in a given amount)."""
    product = tx["quantity"] * tx["unit_price"] if {"quantity", "unit_price"} <= set(tx.columns) else None
    huge = implausible(product) if product is not None else None
    if huge is not None and huge.any():  # two plausible factors, an implausible product
        n = int(huge.sum())
        findings.append(f"{n:,} quantity x price {plural(n, 'product')} beyond ±{MAX_MAGNITUDE_TEXT} (not a plausible "
                        f"amount) {'was' if n == 1 else 'were'} treated as missing.")
        product = product.mask(huge)
    if "amount" in tx:
        if product is not None:
            tx["amount"] = tx["amount"].fillna(product)
    elif product is not None:
        tx["amount"] = product
        price = roles.get("unit_price", "the products table's price")
        findings.append(f"Line amounts were computed as {roles['quantity']} x {price}.")
    else:
        warnings.append(NO_MONEY)


NO_MONEY = "No money column was found"  # the dataset's headline sentence about it starts so (see no_money)


def no_money(frame: pd.DataFrame, roles: dict[str, str], name: str) -> str:
    """The headline sentence when no money was found, naming the columns that could hold it and the fix."""
    used = set(roles.values())
    numeric = [str(c) for c in frame.columns if c not in used and pd.api.types.is_numeric_dtype(frame[c])
               and not pd.api.types.is_bool_dtype(frame[c])]
    candidates = f" ({', '.join(repr(c) for c in numeric[:5])} {'is' if len(numeric) == 1 else 'are'} numeric and unused)" \
        if numeric else ""
    example = numeric[0] if numeric else "<column>"
    return (f"{NO_MONEY} in {name}: no column was recognised as the line amount, nor a quantity with a unit price, "
            "so the segments describe buying activity only and no revenue is reported. If a column holds the money "
            f"of each line{candidates}, map it as the line amount: \"amount\": \"{example}\" under data.roles in "
            "the project file, or Change column roles → Line amount on the Data page.")


def implausible_sentence(count: int, column: str, name: str) -> str:
    """ "2 values in 'UnitPrice' of tx.csv are infinite or beyond ±1e15 ..." (the rule of ``parsing.implausible``)."""
    values, were = ("1 value", "was") if count == 1 else (f"{count:,} values", "were")
    return (f"{values} in {column!r} of {name} {were} infinite or beyond ±{MAX_MAGNITUDE_TEXT} (not a plausible "
            f"figure) and {were} treated as missing.")


def mask_implausible(frame: pd.DataFrame, skip=()) -> dict[str, int]:
    """Make infinite or huge values of the frame's numeric columns (but ``skip``) missing, in place; count them."""
    counts = {}
    for column in frame.columns:
        values = frame[column]
        if column in skip or not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            continue
        bad = implausible(values)
        if bad.any():
            frame[column] = values.astype("float64").mask(bad)
            counts[str(column)] = int(bad.sum())
    return counts


def repeated_ids_finding(ids: pd.Series, first: np.ndarray, total: int, name: str,
                         treatment: str = "were excluded") -> str:
    """The rule for a customer table's repeated ids (``first``: the first row of each id), with a few examples."""
    examples = ", ".join(sorted(pd.unique(ids[~first].astype(str)))[:3])
    count = int((~first).sum())
    return rows_sentence(count, total, f"of {name} repeat the customer id of an earlier row (e.g. {examples}) and "
                         f"{treatment}: a table with one row per customer lists each customer once, so the first "
                         "row of each id was kept. Ids are compared after trimming spaces and a trailing \".0\" "
                         "(\" 17\", \"17\" and 17.0 are one customer); letter case counts (\"ab1\" and \"AB1\" are "
                         "two customers)")


def flag_returns(tx: pd.DataFrame) -> None:
    """Negative quantity/amount, or an order id like "C536379" (unless every id starts with C)."""
    is_return = pd.Series(False, index=tx.index)
    for column in ("quantity", "amount"):
        if column in tx:
            is_return |= tx[column] < 0
    if "order_id" in tx:
        cancelled = tx["order_id"].str.match(r"^[Cc]\d").fillna(False).astype(bool)
        if cancelled.mean() < 0.5:
            is_return |= cancelled
    tx["is_return"] = is_return
    for column in ("quantity", "amount"):
        if column in tx:
            tx[column] = tx[column].mask(is_return, -tx[column].abs())


def identical_rows(frame: pd.DataFrame) -> np.ndarray:
    """Rows equal to an earlier row in every column: ``frame.duplicated(keep="first")``, column by column.

    A row whose values so far are unique cannot repeat another, so each column
    is compared only on the rows still tied; a unique transaction id settles
    the question after one column, instead of hashing every column of every row.
    """
    rows = np.arange(len(frame))  # rows still tied with another on every column so far
    group = np.zeros(len(frame), dtype=np.int64)  # their group of equal values so far (0..len(rows)-1)
    for i, column in enumerate(frame.columns):
        codes, n_codes = value_codes(frame[column] if len(rows) == len(frame) else frame[column].iloc[rows])
        key = codes + 1 if i == 0 else group * (n_codes + 1) + codes + 1  # missing values share code 0
        group = key if i == 0 else pd.factorize(key)[0]
        tied = np.bincount(group)[group] > 1
        rows, group = rows[tied], group[tied]
        if not len(rows):
            break
    identical = np.zeros(len(frame), dtype=bool)
    identical[rows[pd.Series(group).duplicated(keep="first").to_numpy()]] = True
    return identical


def value_codes(values: pd.Series) -> tuple[np.ndarray, int]:
    """Codes of equal values (-1 for missing) and how many distinct values; Arrow text is encoded in C++.

    A column that strictly increases (a sorted transaction id, the usual first column of an export)
    holds no two equal values: its codes are its row numbers, without hashing a million strings.
    """
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        array = pa.array(values)
        array = array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array  # one dictionary
        if _strictly_increasing(array):
            return np.arange(len(array), dtype=np.int64), len(array)
        encoded = pc.dictionary_encode(array)
        return encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64), len(encoded.dictionary)
    codes, uniques = pd.factorize(values)
    return codes.astype(np.int64), len(uniques)


def _strictly_increasing(array: pa.Array) -> bool:
    if len(array) < 2 or array.null_count:
        return False
    return bool(pc.all(pc.less(array.slice(0, len(array) - 1), array.slice(1))).as_py())


def drops_identical(duplicates: str, roles: dict[str, str]) -> bool:
    """Identical lines are export duplicates when an order id would tell repeat purchases apart."""
    return duplicates == "drop" or (duplicates == "auto" and "order_id" in roles)


def identical_kept_finding(count: int, total: int, roles: dict[str, str]) -> str:
    why = ("as possible repeat purchases (there is no order id to tell them apart)" if "order_id" not in roles
           else "because data.duplicates is \"keep\"")
    return rows_sentence(count, total, f"are identical to an earlier row; they were kept {why}")


def identical_kept_warning(count: int, roles: dict[str, str]) -> str:
    """ "3 identical rows kept, possibly repeat purchases (there is no order id to tell them apart); ..." """
    if "order_id" in roles:
        return (f"{count:,} identical {plural(count, 'row')} kept because data.duplicates is \"keep\", although "
                f"{'it repeats' if count == 1 else 'each repeats'} an earlier line of the same order "
                f"({roles['order_id']}).")
    what = "a repeat purchase" if count == 1 else "repeat purchases"
    them = "it" if count == 1 else "them"
    return (f"{count:,} identical {plural(count, 'row')} kept, possibly {what} (there is no order id to tell "
            f"{them} apart); set data.duplicates to \"drop\" if {'it is a double export' if count == 1 else 'they are double exports'}.")


def purchases_before_signup(tx: pd.DataFrame, customers: pd.DataFrame, who: tuple[np.ndarray, pd.Index],
                            warnings: list[str]) -> int:
    """Customers whose first purchase (calendar day) is before their signup date; tenure starts at the earlier.

    ``who``: each line's customer code and the distinct ids (:func:`engine.loading.joins.customer_codes`).
    """
    if "date" not in tx or "signup_date" not in customers or customers["signup_date"].isna().all():
        return 0
    purchase = (~tx["is_return"] & tx["date"].notna()).to_numpy()
    first = tx["date"][purchase].groupby(who[0][purchase]).min().dt.normalize()
    first.index = who[1][first.index]
    signup = pd.to_datetime(customers["signup_date"]).reindex(first.index).dt.normalize()
    known = signup.notna()
    early = first[known] < signup[known]
    count, total = int(early.sum()), int(known.sum())
    if count:
        whom = "customers" if total == len(customers) else "customers with a signup date"
        example = sorted(early.index[early.to_numpy()])[0]
        warnings.append(f"{count:,} of {total:,} {whom} ({share_text(count, total)}) made their first purchase before "
                        f"their signup date (e.g. {example}); their tenure is counted from the first purchase.")
    return count


def customer_outliers(tx: pd.DataFrame, who: tuple[np.ndarray, pd.Index]) -> tuple[int, float, str]:
    """Customers whose total spend is over 3x the 95th percentile of customers' spend ("whales").

    Tukey fences on log spend flag nothing when segments make the body wide (the
    bundled sample's seven whales sit inside them); a multiple of a high
    percentile flags the few customers far beyond even the top of the body.
    """
    if "amount" not in tx:
        return 0, np.nan, "Not assessed: there is no amount to total per customer."
    totals = tx["amount"].groupby(who[0]).sum()  # by customer code (``who``: engine.loading.joins.customer_codes)
    if len(totals) < 20:
        return 0, np.nan, "Not assessed: fewer than 20 customers."
    limit = OUTLIER_SPEND_FACTOR * float(totals.quantile(0.95))
    if limit <= 0:
        return 0, np.nan, "Not assessed: the 95th percentile of customer spend is not positive."
    count = int((totals > limit).sum())
    return count, limit, (f"Customers whose total spend is above {limit:,.2f} ({OUTLIER_SPEND_FACTOR:g} x the 95th "
                          "percentile of customers' total spend) are flagged, not removed.")


def row_outliers(units: pd.DataFrame, numeric: list[str]) -> tuple[int, str]:
    extreme = pd.Series(False, index=units.index)
    for column in numeric:
        values = units[column].astype(float)
        q1, q3 = values.quantile([0.25, 0.75])
        spread = OUTLIER_IQR_FACTOR * (q3 - q1)
        extreme |= (values < q1 - spread) | (values > q3 + spread)
    return int(extreme.sum()), (f"Rows with a value below Q1 - {OUTLIER_IQR_FACTOR:g} x IQR or above Q3 + "
                                f"{OUTLIER_IQR_FACTOR:g} x IQR in any numeric column are flagged, not removed.")


def share_text(part: int, whole: int) -> str:
    if whole == 0:
        return "0%"
    share = 100 * part / whole
    return "<0.1%" if 0 < share < 0.1 else f"{share:.1f}%"


def rows_sentence(count: int, total: int, what: str) -> str:
    """ "1,454 of 541,909 rows (0.3%) had no customer id and were excluded." """
    return f"{count:,} of {total:,} rows ({share_text(count, total)}) {what}."


def returns_sentence(count: int, total: int, returns: str) -> str:
    if count == 0:
        return "No return or cancellation lines were found."
    lines = (f"{count:,} of {total:,} rows ({share_text(count, total)}) are returns or cancellations (negative quantity "
             "or amount, or an order id starting with 'C')")
    if returns == "exclude":
        return f"{lines}; they were removed, so monetary value counts purchases only."
    return f"{lines}; they were kept as negative amounts, so monetary value is net of returns, and they do not count as purchases."
