"""Customer features from transaction lines: vectorised group-bys over canonical columns.

Used by :mod:`engine.features`, which owns the catalogue (names, labels, which
are skewed). Conventions: the reference date is the day after the last date in
the data unless ``as_of`` is given; return lines (``is_return``) count in
monetary and total_quantity (netted out) but never as orders or purchases;
orders are distinct order ids, else distinct purchase timestamps, else lines.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from engine.errors import InputError
from engine.results import Dataset

MAX_CATEGORY_SHARES = 20  # categories beyond the top 20 by spend are pooled as "Other"
SHARE_PREFIX = "share_"


def no_customer_id_error() -> InputError:
    """The message for asking customer features of data without a customer id."""
    return InputError(
        "The data has no customer id column, so it cannot be analysed per customer; choose unit \"row\" "
        "or map the customer id role (data.roles.customer_id).", field="data.unit",
    )


def present_columns(dataset: Dataset) -> set[str]:
    """Canonical columns with at least one value (transactions, plus customer attributes)."""
    tx = dataset.transactions
    present = {c for c in tx.columns if tx[c].notna().any()} if tx is not None else set()
    if dataset.customers is not None:
        present |= {c for c in ("signup_date", "region") if c in dataset.customers and dataset.customers[c].notna().any()}
    if "signup_date" in present and "date" not in present:
        present.discard("signup_date")
    return present


def category_names(tx: pd.DataFrame) -> dict[str, str]:
    """Category → share feature name, the top categories by purchase spend (the rest pooled as Other)."""
    buy = tx[_purchase_mask(tx) & tx["category"].notna() & (tx["amount"] > 0)]
    spend = buy.groupby(buy["category"].astype("str"))["amount"].sum()
    spend = spend.sort_index().sort_values(ascending=False, kind="stable")
    kept = list(spend.index[:MAX_CATEGORY_SHARES]) + (["Other"] if len(spend) > MAX_CATEGORY_SHARES else [])
    names: dict[str, str] = {}
    for category in dict.fromkeys(kept):
        name = SHARE_PREFIX + (re.sub(r"\W+", "_", category).strip("_") or "blank")
        while name in names.values():
            name += "_"
        names[category] = name
    return names


def _purchase_mask(tx: pd.DataFrame) -> np.ndarray:
    """True for purchase lines: not flagged is_return (without the flag: no negative quantity or amount)."""
    if "is_return" not in tx:
        negative = np.zeros(len(tx), dtype=bool)
        for column in ("quantity", "amount"):
            if column in tx:
                negative |= (pd.to_numeric(tx[column], errors="coerce") < 0).to_numpy()
        return ~negative
    return ~tx["is_return"].fillna(False).to_numpy(dtype=bool)


def _day_numbers(dates: pd.Series) -> np.ndarray:
    """Calendar day of each timestamp as a float day number (NaN for missing)."""
    dates = pd.to_datetime(dates, errors="coerce")
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    days = dates.to_numpy().astype("datetime64[D]")
    out = days.astype("int64").astype("float64")
    out[np.isnat(days)] = np.nan
    return out


def _reference_day(day: np.ndarray, as_of) -> float:
    last = np.nanmax(day)
    if as_of is None:
        return last + 1
    try:
        stamp = pd.Timestamp(as_of)
    except (TypeError, ValueError):
        stamp = pd.NaT
    if pd.isna(stamp):
        raise InputError(f"data.as_of is {as_of!r}, which is not a date; use YYYY-MM-DD.", field="data.as_of")
    as_of_day = float(_day_numbers(pd.Series([stamp.tz_localize(None) if stamp.tz else stamp]))[0])
    if as_of_day < last:
        last_text = str(np.datetime64(int(last), "D"))
        raise InputError(
            f"data.as_of is {stamp.date()}, before the last transaction date {last_text}; choose a date on or "
            "after it, or leave as_of unset to use the day after the last date.", field="data.as_of",
        )
    return as_of_day


def _distinct_per_customer(codes: np.ndarray, keys: np.ndarray, n: int) -> np.ndarray:
    """Number of distinct ``keys`` per customer code (keys are non-negative integers)."""
    width = int(keys.max(initial=0)) + 1
    pairs = np.sort(codes.astype("int64") * width + keys)  # sorting beats np.unique's hashing here
    first = np.r_[True, pairs[1:] != pairs[:-1]] if len(pairs) else np.zeros(0, dtype=bool)
    return np.bincount(pairs[first] // width, minlength=n).astype("float64")


class _Groups:
    """Lines sorted by customer once, so per-customer minima and maxima are one reduceat each."""

    def __init__(self, codes: np.ndarray, n: int):
        self.order = np.argsort(codes, kind="stable")
        self.starts = np.searchsorted(codes[self.order], np.arange(n))

    def reduce(self, values: np.ndarray, ufunc: np.ufunc) -> np.ndarray:
        """``ufunc`` (np.fmax / np.fmin) of ``values`` per customer, ignoring NaN; NaN when none."""
        return ufunc.reduceat(values[self.order], self.starts)


def _first_per_customer(values: pd.Series, codes: np.ndarray, n: int) -> pd.Series:
    return values.reset_index(drop=True).groupby(codes).first().reindex(range(n))


def aggregate_transactions(dataset: Dataset, as_of) -> tuple[pd.DataFrame, pd.DataFrame | None, pd.DataFrame | None]:
    tx = dataset.transactions
    present = present_columns(dataset)
    if "customer_id" not in present:
        raise no_customer_id_error()
    tx = tx[tx["customer_id"].notna()]
    if tx.empty:
        return pd.DataFrame(index=pd.Index([], name="customer_id", dtype="str")), None, None
    codes, ids = pd.factorize(tx["customer_id"].astype("str"), sort=True)
    n = len(ids)
    groups = _Groups(codes, n)
    buy = _purchase_mask(tx)
    numbers = {c: np.nan_to_num(pd.to_numeric(tx[c], errors="coerce").to_numpy(dtype="float64"))
               for c in ("amount", "quantity") if c in present}
    out: dict[str, np.ndarray] = {}

    if "order_id" in present:  # lines without an order id fall back to their timestamp
        order_key = pd.factorize(tx["order_id"])[0]
        if "date" in present and (order_key < 0).any():
            order_key = np.where(order_key < 0, order_key.max() + 1 + pd.factorize(tx["date"])[0], order_key)
    elif "date" in present:
        order_key = pd.factorize(tx["date"])[0]
    else:
        order_key = np.arange(len(tx))
    order_key = np.where(order_key < 0, order_key.max() + 1, order_key)
    frequency = _distinct_per_customer(codes[buy], order_key[buy], n)
    with np.errstate(divide="ignore", invalid="ignore"):
        orders = np.where(frequency > 0, frequency, np.nan)
        if "date" in present:
            day = _day_numbers(tx["date"])
            reference = _reference_day(day, as_of)
            buy_day = np.where(buy, day, np.nan)
            last_day = groups.reduce(buy_day, np.fmax)
            first_day = groups.reduce(buy_day, np.fmin)
            out["recency_days"] = reference - last_day
        out["frequency"] = frequency
        if "amount" in present:
            amount = numbers["amount"]
            purchase_revenue = np.bincount(codes[buy], amount[buy], minlength=n)
            out["monetary"] = np.bincount(codes, amount, minlength=n)
        if "quantity" in present:
            quantity = numbers["quantity"]
            items = np.bincount(codes[buy], quantity[buy], minlength=n)
            out["total_quantity"] = np.bincount(codes, quantity, minlength=n)
        if "amount" in present:
            out["avg_order_value"] = purchase_revenue / orders
        if {"amount", "quantity"} <= present:
            out["avg_unit_price"] = np.where(items > 0, purchase_revenue / items, np.nan)
        if "quantity" in present:
            out["avg_items_per_order"] = items / orders
        if "date" in present:
            signup = _signup_days(dataset, tx, groups, ids) if "signup_date" in present else np.full(n, np.nan)
            start = np.fmin(signup, first_day)  # the earlier: some customers buy before they sign up
            out["tenure_days"] = np.clip(reference - start, 0, None)
            valid = buy & ~np.isnan(day)
            purchase_days = _distinct_per_customer(codes[valid], (day[valid] - np.nanmin(day)).astype("int64"), n)
            gap = np.where(purchase_days >= 2, (last_day - first_day) / (purchase_days - 1), np.nan)
            typical_gap = np.nanmedian(gap) if (purchase_days >= 2).any() else 0.0
            single = purchase_days == 1
            gap[single] = np.maximum(out["recency_days"][single], typical_gap)
            out["mean_days_between_orders"] = gap
    if "product_id" in present:
        valid = buy & tx["product_id"].notna().to_numpy()
        out["distinct_products"] = _distinct_per_customer(
            codes[valid], pd.factorize(tx["product_id"][valid])[0], n)
    table = pd.DataFrame(out, index=pd.Index(ids, name="customer_id"))
    category_shares = None
    if {"amount", "category"} <= present:
        names = category_names(tx)
        category_shares = _category_shares(tx, codes, ids, buy, names)
        table = table.join(category_shares.rename(columns=names))
    return table, _attributes(dataset, tx, codes, ids), category_shares


def _signup_days(dataset: Dataset, tx: pd.DataFrame, groups: _Groups, ids: pd.Index) -> np.ndarray:
    if "signup_date" in tx and tx["signup_date"].notna().any():
        return groups.reduce(_day_numbers(tx["signup_date"]), np.fmin)
    signup = dataset.customers["signup_date"]
    signup = signup[~signup.index.duplicated()]
    signup.index = signup.index.astype("str")
    return _day_numbers(signup.reindex(ids))


def _category_shares(tx: pd.DataFrame, codes: np.ndarray, ids: pd.Index, buy: np.ndarray,
                     names: dict[str, str]) -> pd.DataFrame:
    """Share of each customer's purchase revenue (lines with a category) per category."""
    categories = list(names)
    raw_code, uniques = pd.factorize(tx["category"])
    position = {c: i for i, c in enumerate(categories)}
    other = position.get("Other", -1)  # present only when small categories are pooled
    lookup = np.array([position.get(str(u), other) for u in uniques] + [-1], dtype="int64")
    cat_code = lookup[raw_code]  # raw_code -1 (missing) picks the trailing -1
    amount = np.nan_to_num(pd.to_numeric(tx["amount"], errors="coerce").to_numpy(dtype="float64"))
    valid = buy & (cat_code >= 0) & (amount > 0)
    n, m = len(ids), len(categories)
    spend = np.bincount(codes[valid] * m + cat_code[valid], amount[valid], minlength=n * m).reshape(n, m)
    totals = spend.sum(axis=1, keepdims=True)
    shares = np.divide(spend, totals, out=np.zeros_like(spend), where=totals > 0)
    return pd.DataFrame(shares, index=pd.Index(ids, name="customer_id"), columns=categories)


def _attributes(dataset: Dataset, tx: pd.DataFrame, codes: np.ndarray, ids: pd.Index) -> pd.DataFrame | None:
    """Region per customer: its first value on the lines, else the customers table."""
    if "region" in tx and tx["region"].notna().any():
        region = _first_per_customer(tx["region"], codes, len(ids))
    elif dataset.customers is not None and "region" in dataset.customers:
        source = dataset.customers["region"]
        source = source[~source.index.duplicated()]
        source.index = source.index.astype("str")
        region = source.reindex(ids)
    else:
        return None
    return pd.DataFrame({"region": region.to_numpy()}, index=pd.Index(ids, name="customer_id"))
