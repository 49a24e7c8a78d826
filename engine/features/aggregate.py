"""Customer features from transaction lines: vectorised group-bys over canonical columns.

Runs the catalogue (:mod:`engine.features.catalogue`: one entry per feature, with its
requirements and its computation) over one :class:`CustomerLines`, which
groups the lines by customer once and keeps the aggregates several features
share. Used by :mod:`engine.features.matrix`. Conventions: the reference date is the day after the last date in
the data unless ``as_of`` is given, and then only the lines dated on or before it count
(:mod:`engine.features.period`); return lines (``is_return``) count in
monetary and total_quantity (netted out) but never as orders or purchases;
orders are distinct order ids, else distinct purchase timestamps, else lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cached_property

import numpy as np
import pandas as pd

from engine.errors import InputError
from engine.features.catalogue import FEATURES, SHARE_PREFIX, repeat_gap
from engine.features.period import as_of_stamp, lines_up_to
from engine.loading.quality import value_codes
from engine.results import Dataset, FeatureDef

MAX_CATEGORY_SHARES = 20  # categories beyond the top 20 by spend are pooled as "Other"


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
    lines = tx[["category", "amount"]]  # only the two columns: a subset of every column is a copy of the lines
    buy = lines[_purchase_mask(tx) & lines["category"].notna() & (lines["amount"] > 0)]
    category = buy["category"]
    if isinstance(category.dtype, pd.CategoricalDtype):  # joined from the products table: group by the codes, not
        spend = buy["amount"].groupby(category.cat.codes.to_numpy()).sum()  # by 11M strings spelled out
        spend.index = category.cat.categories.astype("str")[spend.index]
    else:
        spend = buy.groupby(category.astype("str"))["amount"].sum()
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
    """The day after the last date, or the ``as_of`` day (the lines are already cut at it: see ``period``)."""
    if as_of is None:
        return np.nanmax(day) + 1
    return float(_day_numbers(pd.Series([as_of_stamp(as_of)]))[0])


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


class CustomerLines:
    """The transaction lines of one aggregation, grouped by customer once.

    This is what a catalogue entry's ``compute`` receives. Aggregates several
    features share (orders, purchase days, purchase revenue, ...) are properties
    computed on first use and then kept, so each is computed once however many
    features read it. Per-customer values are arrays in ``ids`` order (``ids``:
    the customer ids as text, sorted); ``present`` lists the canonical columns
    with data. Returns are netted out of sums over all lines (``total``) but never
    count as purchases (``buy``).
    """

    def __init__(self, dataset: Dataset, tx: pd.DataFrame, present: set[str], as_of):
        self.dataset, self.tx, self.present, self.as_of = dataset, tx, present, as_of
        self.codes, self.ids = pd.factorize(tx["customer_id"].astype("str"), sort=True)
        self.n = len(self.ids)
        self.buy = _purchase_mask(tx)
        self._numbers: dict[str, np.ndarray] = {}

    @cached_property
    def groups(self) -> _Groups:
        return _Groups(self.codes, self.n)

    def number(self, column: str) -> np.ndarray:
        """The column as float64 per line, missing or unreadable as 0 (kept after the first call)."""
        if column not in self._numbers:
            self._numbers[column] = np.nan_to_num(pd.to_numeric(self.tx[column], errors="coerce")
                                                  .to_numpy(dtype="float64"))
        return self._numbers[column]

    def total(self, values: np.ndarray, purchases_only: bool = False) -> np.ndarray:
        """Sum of ``values`` per customer, over purchase lines only or over every line (returns netted out)."""
        if purchases_only:
            return np.bincount(self.codes[self.buy], values[self.buy], minlength=self.n)
        return np.bincount(self.codes, values, minlength=self.n)

    def net_total(self, column: str) -> np.ndarray:
        """Sum of ``column`` per customer over every line: returns (negative) netted out."""
        return self.total(self.number(column))

    @cached_property
    def distinct_products(self) -> np.ndarray:
        """Different products bought (purchase lines with a product id) per customer."""
        valid = self.buy & self.tx["product_id"].notna().to_numpy()
        return self.distinct(pd.factorize(self.tx["product_id"][valid])[0], valid)

    @cached_property
    def typical_repeat_gap(self) -> float:
        """Median of the repeat customers' mean gap between purchase days (0 when no customer repeats)."""
        gap = repeat_gap(self)
        return float(np.nanmedian(gap)) if (~np.isnan(gap)).any() else 0.0

    def distinct(self, keys: np.ndarray, lines: np.ndarray) -> np.ndarray:
        """Number of distinct non-negative integer ``keys`` per customer among the ``lines`` (a mask)."""
        return _distinct_per_customer(self.codes[lines], keys, self.n)

    def first(self, values: pd.Series) -> pd.Series:
        """The first non-missing value per customer (NaN when none), in ``ids`` order."""
        return values.reset_index(drop=True).groupby(self.codes).first().reindex(range(self.n))

    @cached_property
    def order_key(self) -> np.ndarray:
        """Order of each line: its order id, else its timestamp (lines without either: one shared key)."""
        tx, present = self.tx, self.present
        if "order_id" in present:  # lines without an order id fall back to their timestamp
            key = value_codes(tx["order_id"])[0]  # pd.factorize's codes, without hashing sorted (unique) ids
            if "date" in present and (key < 0).any():
                key = np.where(key < 0, key.max() + 1 + pd.factorize(tx["date"])[0], key)
        elif "date" in present:
            key = pd.factorize(tx["date"])[0]
        else:
            key = np.arange(len(tx))
        return np.where(key < 0, key.max() + 1, key)

    @cached_property
    def frequency(self) -> np.ndarray:
        """Distinct orders per customer, return lines excluded."""
        return _distinct_per_customer(self.codes[self.buy], self.order_key[self.buy], self.n)

    @cached_property
    def orders(self) -> np.ndarray:
        """``frequency`` with NaN for customers without a purchase (a divisor)."""
        return np.where(self.frequency > 0, self.frequency, np.nan)

    @cached_property
    def purchase_revenue(self) -> np.ndarray:
        return self.total(self.number("amount"), purchases_only=True)

    @cached_property
    def items(self) -> np.ndarray:
        """Items bought (purchase lines' quantity) per customer."""
        return self.total(self.number("quantity"), purchases_only=True)

    @cached_property
    def day(self) -> np.ndarray:
        """Calendar day number of each line's date (NaN when missing)."""
        return _day_numbers(self.tx["date"])

    @cached_property
    def reference(self) -> float:
        """The reference day: the day after the last date in the data, unless ``as_of`` (the lines are cut at it)."""
        return _reference_day(self.day, self.as_of)

    @cached_property
    def first_day(self) -> np.ndarray:
        """Day of each customer's first purchase (NaN without one)."""
        return self.groups.reduce(self._buy_day, np.fmin)

    @cached_property
    def last_day(self) -> np.ndarray:
        """Day of each customer's last purchase (NaN without one)."""
        return self.groups.reduce(self._buy_day, np.fmax)

    @cached_property
    def _buy_day(self) -> np.ndarray:
        return np.where(self.buy, self.day, np.nan)

    @cached_property
    def purchase_days(self) -> np.ndarray:
        """Distinct calendar days with a purchase, per customer."""
        valid = self.buy & ~np.isnan(self.day)
        return self.distinct((self.day[valid] - np.nanmin(self.day)).astype("int64"), valid)

    @cached_property
    def signup_day(self) -> np.ndarray:
        """Signup day per customer: the earliest on its lines, else the customers table (NaN when unknown)."""
        tx = self.tx
        if "signup_date" not in self.present:
            return np.full(self.n, np.nan)
        if "signup_date" in tx and tx["signup_date"].notna().any():
            return self.groups.reduce(_day_numbers(tx["signup_date"]), np.fmin)
        return _day_numbers(self._from_customers("signup_date"))

    def customer_attribute(self, column: str) -> pd.Series | None:
        """A customer attribute: its first value on the lines, else the customers table (None when neither)."""
        tx, customers = self.tx, self.dataset.customers
        if column in tx and tx[column].notna().any():
            return self.first(tx[column])
        return self._from_customers(column) if customers is not None and column in customers else None

    def _from_customers(self, column: str) -> pd.Series:
        """``column`` of the customers table per customer, in ``ids`` order (the first row of a repeated id)."""
        source = self.dataset.customers[column]
        source = source[~source.index.duplicated()]
        return source.set_axis(source.index.astype("str")).reindex(self.ids)


def computable(feature: FeatureDef, present: set[str]) -> bool:
    """Whether the data has every canonical column ``feature`` needs (its requirements)."""
    return feature.compute is not None and all(column in present for column in feature.needs)


def aggregate_transactions(dataset: Dataset, as_of, features: Iterable[FeatureDef] | None = None
                           ) -> tuple[pd.DataFrame, pd.DataFrame | None, pd.DataFrame | None]:
    """Every computable catalogue feature (or only ``features``) per customer, attributes and category shares.

    Returns ``(table, attributes, category_shares)`` as
    :func:`engine.features.matrix.customer_features` documents. Each feature is its
    catalogue entry's ``compute`` over one :class:`CustomerLines`; entries whose
    requirements the data does not meet are left out.
    """
    tx = dataset.transactions
    present = present_columns(dataset)
    if "customer_id" not in present:
        raise no_customer_id_error()
    if tx["customer_id"].isna().any():  # (a mask that keeps every line would still copy them all)
        tx = tx[tx["customer_id"].notna()]
    if as_of is not None and "date" in present and not tx.empty:
        tx, _ = lines_up_to(tx, as_of)  # only the lines on or before the analysis date (no copy when all are)
    if tx.empty:
        return pd.DataFrame(index=pd.Index([], name="customer_id", dtype="str")), None, None
    lines = CustomerLines(dataset, tx, present, as_of)
    if "date" in present:
        lines.reference  # noqa: B018  (a bad as_of is refused whichever features are asked for)
    index = pd.Index(lines.ids, name="customer_id")
    numeric: dict[str, np.ndarray] = {}
    categorical: dict[str, np.ndarray] = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        for feature in (FEATURES.values() if features is None else features):
            if not computable(feature, present):
                continue
            values = feature.compute(lines)
            if values is None:
                continue
            if isinstance(values, pd.Series) and not isinstance(values.index, pd.RangeIndex):
                values = values.reindex(index)  # a Series by customer id
            if feature.unit == "category":
                categorical[feature.name] = np.asarray(values)
            else:
                numeric[feature.name] = np.asarray(values, dtype="float64")
    table = pd.DataFrame(numeric, index=index)
    category_shares = None
    if {"amount", "category"} <= present:
        names = category_names(tx)
        category_shares = _category_shares(tx, lines.codes, lines.ids, lines.buy, names)
        table = table.join(category_shares.rename(columns=names))
    attributes = pd.DataFrame(categorical, index=index) if categorical else None
    return table, attributes, category_shares


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
    shares = np.divide(spend, totals, out=np.zeros(spend.shape), where=totals > 0)  # (bincount of nothing is int)
    return pd.DataFrame(shares, index=pd.Index(ids, name="customer_id"), columns=categories)
