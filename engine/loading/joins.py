"""Joining side tables to the transaction lines: customers (region, signup date) and products (category, price).

Keys are matched with Arrow's hash lookup; every join reports the keys
without a partner on each side, and a join where nothing matches is an error
(the files do not use the same ids).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from engine.errors import InputError
from engine.loading.canonical import Table
from engine.loading.quality import repeated_ids_finding, rows_sentence
from engine.loading.roles import ROLES
from engine.results import JoinReport


def customer_attributes(table: Table, findings: list[str], bad_dates: dict[str, int]) -> pd.DataFrame:
    """The customers table indexed by normalised id, region/signup_date under canonical names."""
    frame, roles, typed = table.frame, table.info.roles, table.typed
    attrs = frame.drop(columns=[roles["customer_id"]])
    if "region" in roles:
        attrs["region"] = typed["region"]
    if "signup_date" in roles:
        parsed = typed.parsed_dates("signup_date")
        attrs["signup_date"] = parsed.values
        unreadable = parsed.n_unreadable
        bad_dates[f"{table.info.name}:{roles['signup_date']}"] = unreadable
        if unreadable:
            findings.append(rows_sentence(unreadable, len(frame), f"of {table.info.name} have an unreadable "
                                           f"{roles['signup_date']!r}; their signup date was left blank"))
    renamed = {roles[r] for r in ("region", "signup_date") if r in roles and roles[r] not in ("region", "signup_date")}
    # a raw column that only bears a canonical name (not recognised as that role) must not pass for it
    renamed |= {c for c in ("region", "signup_date") if c not in roles and c in attrs}
    attrs = attrs.drop(columns=list(renamed))
    attrs.index = pd.Index(typed["customer_id"], name="customer_id")
    attrs = attrs[attrs.index.notna()]
    first = ~attrs.index.duplicated(keep="first")
    if not first.all():
        findings.append(repeated_ids_finding(pd.Series(attrs.index), first, len(frame), table.info.name,
                                             "were not used for region and signup date"))
    return attrs[first]


def product_attributes(table: Table) -> pd.DataFrame:
    roles, typed = table.info.roles, table.typed
    products = pd.DataFrame(index=pd.Index(typed["product_id"], name="product_id"))
    if "category" in roles:
        products["category"] = typed["category"].to_numpy()
    if "unit_price" in roles:
        products["unit_price"] = typed["unit_price"].to_numpy()
    products = products[products.index.notna()]
    return products[~products.index.duplicated(keep="first")]


def join_report(keys: pd.Series, where: np.ndarray, right_keys: pd.Index, left: str, right: str, role: str,
                 consequence: str, warnings: list[str]) -> JoinReport:
    """Count keys on each side without a partner; a join where nothing matches is an error."""
    present = keys.notna().to_numpy()
    unmatched = present & (where < 0)
    n_unmatched = int(unmatched.sum())
    examples = sorted(pd.unique(keys[unmatched]))[:5]
    right_unmatched = len(right_keys) - len(np.unique(where[where >= 0]))
    label = ROLES[role].label.lower()
    if present.any() and n_unmatched == present.sum():
        theirs = ", ".join(map(repr, list(right_keys[:3])))
        raise InputError(f"No {label} of {left} matches {right} (e.g. {examples[0]!r} vs {theirs}); check that both "
                         "files use the same ids.", field=right)
    if n_unmatched:
        what = rows_sentence(n_unmatched, int(present.sum()), f"of {left} have a {label} not found in {right}")
        warnings.append(f"{what[:-1]} (e.g. {', '.join(examples)}); {consequence}.")
    return JoinReport(left=left, right=right, key=role, left_unmatched=n_unmatched,
                      right_unmatched=right_unmatched, examples=examples)


def positions(keys: pd.Series, index: pd.Index) -> np.ndarray:
    """Position of each key in ``index`` (-1 when absent or missing), by Arrow's hash lookup.

    pandas' ``isin``/``map`` on Arrow-backed strings loop in Python; this stays in C++ (1M keys: ~0.1 s).
    """
    haystack, needles = _arrow_text(index), _arrow_text(keys)
    return pc.index_in(needles, value_set=haystack).fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def _arrow_text(values: pd.Series | pd.Index) -> pa.Array:
    """Text as an Arrow array: Arrow-backed text as it is (no round trip through a million Python strings)."""
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        array = pa.array(values.array)
        return array.cast(pa.large_string()) if array.type != pa.large_string() else array
    return pa.array(values.to_numpy(dtype=object, na_value=None), type=pa.large_string(), from_pandas=True)


def take(values: pd.Series, where: np.ndarray, index: pd.Index) -> pd.Series:
    """values[where] aligned to ``index``; missing (-1) positions become NaN/NaT; text becomes categorical."""
    if len(values) == 0:
        return pd.Series(np.nan, index=index).astype(values.dtype)
    if isinstance(values.dtype, pd.StringDtype):  # a label per line as a code into the side table's labels:
        values = values.astype("category")  # a million customers' lines hold ~350 MB less of region/category text
    picked = pd.Series(values.iloc[np.maximum(where, 0)].array, index=index)
    return picked.where(where >= 0)


def customer_codes(ids: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Each line's position among the distinct customer ids (sorted), and those ids: one factorisation of the
    id column for every per-customer count (string ids are slow to hash again and again)."""
    codes, uniques = pd.factorize(ids, sort=True)
    return codes, pd.Index(uniques, name="customer_id")


def customers_frame(tx: pd.DataFrame, attrs: pd.DataFrame | None, who: tuple[np.ndarray, pd.Index]) -> pd.DataFrame:
    """One row per customer of the lines (``who``: :func:`customer_codes` of them), sorted by id."""
    codes, index = who
    customers = pd.DataFrame(index=index) if attrs is None else attrs.reindex(index)
    if "region" in tx and ("region" not in customers or customers["region"].isna().all()):
        counts = tx["region"].groupby(codes).value_counts().rename("n").reset_index()  # most lines, then A-Z
        counts = counts.set_axis(["code", "region", "n"], axis=1)
        counts = counts.sort_values(["code", "n", "region"], ascending=[True, False, True]).drop_duplicates("code")
        customers["region"] = pd.Series(counts["region"].array, index=index[counts["code"].to_numpy()])
    if "signup_date" in tx and "signup_date" not in customers:
        customers["signup_date"] = tx["signup_date"].groupby(codes).min().set_axis(index)
    return customers


def customers_without_transactions(listed: pd.Index, used: pd.Index, join: JoinReport,
                                    warnings: list[str]) -> None:
    """Customers of the customers table who are not in the analysis (``used``: the distinct ids of the lines kept):
    no line at all, or every line cleaned away."""
    absent = int((positions(pd.Series(listed), used) < 0).sum())
    total, none = len(listed), join.right_unmatched
    cleaned = absent - none
    parts = []
    if none:
        verbs = ("has", "is") if none == 1 else ("have", "are")
        parts.append(f"{none:,} of {total:,} customers in {join.right} {verbs[0]} no transaction and {verbs[1]} not "
                     "in the analysis.")
    if cleaned:
        lead = f"{cleaned:,} more" if none else f"{cleaned:,} of {total:,} customers in {join.right}"
        verb = "is" if cleaned == 1 else "are"
        parts.append(f"{lead} {verb} not in the analysis because cleaning removed all "
                     f"{'its' if cleaned == 1 else 'their'} transaction lines.")
    if parts:
        warnings.append(" ".join(parts))
