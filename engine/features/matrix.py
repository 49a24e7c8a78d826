"""The feature matrix clustering runs on, and which customer features the data offers.

Customer features are aggregates of the canonical transaction lines (see
``engine.results.CANONICAL_COLUMNS``): one entry each in the catalogue
(:mod:`engine.features.catalogue`), computed with vectorised group-bys
(:mod:`engine.features.aggregate`). Two
conventions matter for every number the report quotes:

* the reference date ("as of") is the day after the last date in the data, not
  today, unless the analyst gives one: recency from today would be thousands of
  days for every customer of an old export;
* return / cancellation lines (``is_return``) are netted out of monetary and
  total_quantity but never count as orders or as purchases.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from engine.errors import InputError
from engine.features.aggregate import (
    aggregate_transactions,
    category_names,
    computable,
    no_customer_id_error,
    present_columns,
)
from engine.features.aliases import catalogue_aliases
from engine.features.catalogue import DEFAULT_CUSTOMER_FEATURES, FEATURES, feature_def, is_categorical
from engine.features.period import as_of_stamp, cut_sentence, lines_after, reference_date
from engine.features.scaling import apply_log, auto_log, fill_missing, scale
from engine.project import FeatureSpec
from engine.results import Dataset, FeatureMatrix

_ID_NAME = re.compile(r"(^|[_\s\-.])(id|key|code|no|nr|number|zip|postcode)$|[a-z](ID|Id)$|^(id|index)$|^unnamed",
                      re.IGNORECASE)
_ID_ROLES = ("customer_id", "order_id", "product_id")


def customer_features(
    dataset: Dataset, as_of=None
) -> tuple[pd.DataFrame, pd.DataFrame | None, pd.DataFrame | None]:
    """Every available numeric customer feature, the categorical attributes, and category shares.

    Returns ``(table, attributes, category_shares)``, each indexed by customer id
    (customers with at least one transaction line, sorted). ``table`` also holds
    the ``share_<Category>`` columns; ``category_shares`` holds the same shares
    with the category names as columns (None without categories).
    """
    if dataset.shape == "rows":
        raise no_customer_id_error()
    if dataset.shape == "customer_table" or dataset.transactions is None:
        return _customer_table(dataset)
    return aggregate_transactions(dataset, as_of)


def available_features(dataset: Dataset, unit: str) -> list[str]:
    """Names the analyst can select for this data and unit, in catalogue order."""
    _check_unit(unit)
    if unit == "row":
        return list(_row_table(dataset).columns)
    if dataset.shape == "rows":
        raise no_customer_id_error()
    if dataset.shape == "customer_table" or dataset.transactions is None:
        return list(_customer_table(dataset)[0].columns)
    present = present_columns(dataset)
    names = [f.name for f in FEATURES.values() if not is_categorical(f.name) and computable(f, present)]
    if {"amount", "category"} <= present:
        names += list(category_names(dataset.transactions).values())
    return names


def feature_labels(dataset: Dataset, unit: str) -> dict[str, str]:
    """How the analyst knows each available feature: a customer table's own column names, else the catalogue's
    labels (keys without a label map to themselves)."""
    names = available_features(dataset, unit)
    if unit == "customer" and (dataset.shape == "customer_table" or dataset.transactions is None):
        own = _customer_table(dataset)[0].attrs.get("labels", {})
        return {name: own.get(name, name) for name in names}
    definitions = {name: feature_def(name) if unit == "customer" else None for name in names}
    return {name: d.label if d else name for name, d in definitions.items()}


def default_features(dataset: Dataset, unit: str) -> list[str]:
    """The features used when the analyst picks none: RFM plus basket, price level and tenure."""
    available = available_features(dataset, unit)
    if unit == "customer" and dataset.shape == "transactions" and dataset.transactions is not None:
        return [name for name in DEFAULT_CUSTOMER_FEATURES if name in available]
    return available


def build_matrix(dataset: Dataset, spec: FeatureSpec, unit: str, as_of=None, min_units: int = 3) -> FeatureMatrix:
    """Features → missing values filled → log1p → scaling, with every choice recorded.

    Parameters
    ----------
    dataset : Dataset
        Loaded data (engine.loading.dataset.load_dataset).
    spec : FeatureSpec
        ``selected`` (None: :func:`default_features`), ``log`` (None: skewed
        features automatically) and ``scaling``.
    unit : str
        "customer" (one row per customer) or "row" (the main table's rows as they are).
    as_of : date-like, optional
        Analysis date: only transaction lines dated on or before it are used (the rest are counted in a
        warning), and recency and tenure are measured from it; default the day after the last date.
    min_units : int
        Fewer units than this is refused (``data.min_units``; the pipeline passes the project's, default 50).
    """
    _check_unit(unit)
    catalogue = unit == "customer" and dataset.shape == "transactions" and dataset.transactions is not None
    if unit == "customer":
        if dataset.shape == "rows":
            raise no_customer_id_error()
        table, attributes, category_shares = customer_features(dataset, as_of)
        revenue = _customer_revenue(dataset, table)
        n_after = lines_after(dataset, as_of) if catalogue else 0
    else:
        table, attributes, category_shares = _row_table(dataset), None, None
        revenue = _row_revenue(dataset)
        n_after = 0
    require_enough_units(len(table), unit, min_units)
    available = list(table.columns)
    own = table.attrs.get("labels", {})  # catalogue key -> the customer table's own column name
    by_column = {column: key for key, column in own.items()}
    selected = (list(dict.fromkeys(by_column.get(n, n) for n in spec.selected)) if spec.selected is not None
                else default_features(dataset, unit))
    _check_selected(selected, available, unit)
    labels = {name: own.get(name) or (feature_def(name).label if catalogue and feature_def(name) else name)
              for name in available}
    if category_shares is not None:  # the categories as written in the data, not as in the feature key
        share_columns = table.columns[len(table.columns) - category_shares.shape[1]:]
        labels.update({c: f"Share of spend: {cat}" for c, cat in zip(share_columns, category_shares.columns, strict=True)})
    values, warnings = fill_missing(table[selected], unit, labels)
    if n_after:  # customers first seen after as_of are not in the table
        warnings.insert(0, cut_sentence(as_of, n_after, max(int(dataset.quality.customers) - len(table), 0)))
    flat = near_constant(values)
    if flat:
        if len(flat) == len(selected):
            raise InputError(
                f"Every selected feature ({', '.join(labels.get(n, n) for n in selected)}) has (nearly) the same value for every {unit}, so "
                "there is nothing to segment on; select other features or load a longer period of data.",
                field="features.selected",
            )
        warnings.append(_dropped_sentence(flat, values, unit, labels))
        selected = [name for name in selected if name not in flat]
        values = values[selected]
    if spec.log is None:
        skewed = {name: (feature_def(name).skewed if catalogue and feature_def(name) else None) for name in selected}
        log_names = auto_log(values, skewed)
    else:
        log_given = [by_column.get(name, name) for name in spec.log]
        unknown = [name for name in log_given if name not in available]
        if unknown:
            raise InputError(
                f"features.log names {unknown[0]!r}, which is not an available feature; available: "
                f"{', '.join(available)}.", field="features.log",
            )
        log_names = [name for name in selected if name in log_given]
    values, log_warnings = apply_log(values, log_names, explicit=spec.log is not None, labels=labels)
    X = scale(values, spec.scaling)
    return FeatureMatrix(
        table=table, X=X, names=selected, unit=unit, scaling=spec.scaling, log=log_names, labels=labels,
        revenue=revenue, attributes=attributes, category_shares=category_shares,
        warnings=warnings + log_warnings, window_days=_window_days(dataset, as_of) if catalogue else None,
        as_of=reference_date(dataset, as_of) if catalogue else None, lines_after_as_of=n_after,
    )


def _window_days(dataset: Dataset, as_of) -> float | None:
    """Days from the first date in the data to the reference date (the day after the last, unless ``as_of``).

    With an ``as_of`` inside the data the lines after it are left out, so the window ends there.
    """
    q = dataset.quality
    reference = reference_date(dataset, as_of)
    if q.date_min is None or pd.isna(q.date_min) or reference is None:
        return None
    return float((reference - as_of_stamp(q.date_min)).days)


def require_enough_units(n_units: int, unit: str, minimum: int) -> None:
    """Refuse data with fewer units than ``minimum``: a handful of customers makes single-customer "segments"."""
    minimum = max(int(minimum), 3)
    if n_units < minimum:
        words = f"{unit}s" if n_units != 1 else unit
        raise InputError(
            f"The data has {n_units:,} {words} to segment, fewer than the minimum of {minimum:,}; load a longer "
            f"period or more {unit}s (or lower data.min_units if you accept segments this small).",
            field="data.min_units",
        )


def units_to_segment(dataset: Dataset, unit: str) -> tuple[int, str]:
    """How many units the analysis would segment, and the unit word, before any feature is built."""
    if unit == "row" or dataset.shape == "rows":
        return len(dataset.rows), "row"
    if dataset.shape == "transactions":
        return int(dataset.quality.customers), "customer"
    return (len(dataset.customers) if dataset.customers is not None else len(dataset.rows)), "customer"


def near_constant(values: pd.DataFrame) -> list[str]:
    """Features on which (almost) every unit has the same value, so they cannot shape a usable segment.

    A feature is dropped when fewer units differ from its most common value than
    the smallest segment the recommendation accepts (max(1% of units, 10 units),
    or a fifth of the units on very small data): such a feature can at most set apart a
    group too small to be a segment. Values are compared relative to the
    feature's largest magnitude at ten decimals, so floating-point noise is not variation.
    """
    # the default rule's smallest segment: features come before the clustering settings are read
    from engine.clustering.selection import SelectionRule

    flat = []
    n = len(values)
    smallest_segment = min(SelectionRule().smallest_segment(n), int(np.ceil(n / 5)))
    for name in values.columns:
        column = values[name].to_numpy(dtype="float64")
        magnitude = float(np.nanmax(np.abs(column))) if n else 0.0
        rounded = np.round(column / magnitude, 10) if magnitude > 0 else column
        _, counts = np.unique(rounded, return_counts=True)
        if n - int(counts.max(initial=0)) < smallest_segment:
            flat.append(name)
    return flat


def _dropped_sentence(flat: list[str], values: pd.DataFrame, unit: str, labels: dict[str, str]) -> str:
    parts = []
    for name in flat:
        column = values[name]
        typical = column.mode().iloc[0]
        differing = int((column != typical).sum())
        who = f"every {unit}" if differing == 0 else f"all but {differing:,} {unit}s"
        parts.append(f"{labels.get(name, name)} ({typical:,.4g} for {who})")
    what = "Feature" if len(flat) == 1 else "Features"
    return (f"{what} {', '.join(parts)} {'was' if len(flat) == 1 else 'were'} dropped before clustering: "
            "too few units differ to shape a segment.")


# ---- helpers -----------------------------------------------------------------

def _check_unit(unit: str) -> None:
    if unit not in ("customer", "row"):
        raise InputError(f"data.unit is {unit!r}; allowed values are customer, row.", field="data.unit")


def _check_selected(selected: list[str], available: list[str], unit: str) -> None:
    if not selected:
        raise InputError(
            f"No features are selected; choose at least one of: {', '.join(available) or '(none available)'}.",
            field="features.selected",
        )
    for name in selected:
        if name in available:
            continue
        if is_categorical(name) and unit == "customer":
            raise InputError(
                f"Feature {name!r} is a category shown in the cluster profiles, not a number to cluster on; "
                "remove it from features.selected.", field="features.selected",
            )
        raise InputError(
            f"Feature {name!r} is not available for unit {unit!r}; available: {', '.join(available)}.",
            field="features.selected",
        )


def _main_table(dataset: Dataset):
    """TableInfo of the table behind ``dataset.rows`` (matching columns, else the first data table)."""
    columns = [str(c) for c in dataset.rows.columns]
    for info in dataset.tables:
        if list(info.columns) == columns:
            return info
    for info in dataset.tables:
        if info.kind in ("transactions", "customer_table"):
            return info
    return None


def _numeric_columns(frame: pd.DataFrame, exclude: set[str]) -> list[str]:
    """Numeric columns that are measurements, not identifiers or row numbers."""
    names = []
    for name in frame.columns:
        column = frame[name]
        if str(name) in exclude or _ID_NAME.search(str(name)):
            continue
        if not pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
            continue
        if pd.api.types.is_integer_dtype(column) and len(column) > 2 and column.is_unique and (
            column.is_monotonic_increasing or column.is_monotonic_decreasing
        ):
            continue  # a running number
        names.append(str(name))
    return names


def _row_table(dataset: Dataset) -> pd.DataFrame:
    info = _main_table(dataset)
    exclude = {info.roles[r] for r in _ID_ROLES if info and r in info.roles}
    columns = _numeric_columns(dataset.rows, exclude)
    table = dataset.rows[columns].astype("float64").reset_index(drop=True)
    table.index.name = "row"
    return table


def _row_revenue(dataset: Dataset) -> pd.Series | None:
    info = _main_table(dataset)
    roles = info.roles if info else {}
    rows = dataset.rows
    if roles.get("amount") in rows.columns:
        revenue = pd.to_numeric(rows[roles["amount"]], errors="coerce")
    elif roles.get("quantity") in rows.columns and roles.get("unit_price") in rows.columns:
        revenue = pd.to_numeric(rows[roles["quantity"]], errors="coerce") * pd.to_numeric(
            rows[roles["unit_price"]], errors="coerce")
    else:
        return None
    return revenue.astype("float64").reset_index(drop=True).rename("revenue").rename_axis("row")


def _customer_table(dataset: Dataset) -> tuple[pd.DataFrame, pd.DataFrame | None, None]:
    """One row per customer as given: numeric columns are the features, region the attribute.

    Columns that are catalogue features under another name (:mod:`engine.features.aliases`) take the
    catalogue key; ``table.attrs["labels"]`` maps the key back to the column's own name.

    The main table as loaded (``dataset.rows``, indexed by its customer id
    column) is preferred, since it keeps every column; ``dataset.customers`` is
    the fallback.
    """
    info = _main_table(dataset)
    roles = info.roles if info else {}
    if roles.get("customer_id") in dataset.rows.columns:
        id_column = roles["customer_id"]
        frame = dataset.rows[dataset.rows[id_column].notna()]
        frame = frame.set_index(frame[id_column].astype("str")).drop(columns=id_column)
    elif dataset.customers is not None:
        frame = dataset.customers
    else:
        raise no_customer_id_error()
    frame = frame.rename_axis("customer_id")
    exclude = {roles[r] for r in _ID_ROLES if r in roles}
    table = frame[_numeric_columns(frame, exclude)].astype("float64")
    aliases = catalogue_aliases(list(table.columns), roles.get("amount"))  # "Days Since Last Purchase" is recency
    table = table.rename(columns=aliases)
    table.attrs["labels"] = {key: column for column, key in aliases.items()}
    region_column = roles.get("region") if roles.get("region") in frame.columns else "region"
    attributes = None
    if region_column in frame.columns:
        attributes = pd.DataFrame({"region": frame[region_column].astype("str").to_numpy()}, index=frame.index)
    return table, attributes, None


def _customer_revenue(dataset: Dataset, table: pd.DataFrame) -> pd.Series | None:
    if "monetary" in table.columns:
        return table["monetary"].rename("revenue")
    info = _main_table(dataset)
    amount = info.roles.get("amount") if info else None
    if amount in table.columns:
        return table[amount].rename("revenue")
    return None
