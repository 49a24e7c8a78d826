"""Turn a table of raw feature values into the matrix clustering runs on.

Three steps, each recorded so the report can state them: fill missing values
(median, with a warning naming the feature), log-transform heavy-tailed
features (so a few very large customers do not decide the clusters), and
scale (so no feature dominates the distances by its unit alone).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler

from engine.errors import InputError

SKEWNESS_FOR_LOG = 1.0  # raw columns more skewed than this get log1p automatically


@dataclass(frozen=True)
class ScalerDef:
    """One scaling choice (the project file's ``features.scaling`` values)."""

    name: str
    label: str
    description: str
    make: Callable[[], object] | None  # sklearn transformer factory; None: leave values as they are


SCALERS: dict[str, ScalerDef] = {
    "none": ScalerDef(
        "none", "None",
        "Values are used as they are, after any log transform, so features with large values dominate distances.",
        None,
    ),
    "standard": ScalerDef(
        "standard", "Standard", "Each feature centred on its mean and divided by its standard deviation.",
        StandardScaler,
    ),
    "minmax": ScalerDef("minmax", "Min-max", "Each feature mapped onto 0..1 from its minimum and maximum.",
                        MinMaxScaler),
    "robust": ScalerDef(
        "robust", "Robust", "Each feature centred on its median and divided by its interquartile range.",
        RobustScaler,
    ),
}


def scaling_sentence(key: str) -> str:
    """One sentence on the scaling for the report and the narrative, from the registry."""
    entry = SCALERS.get(key)
    if entry is None:
        return f"Scaling: {key}."
    return f"Scaling: {entry.label.lower()} ({entry.description[0].lower()}{entry.description[1:].rstrip('.')})."


def fill_missing(values: pd.DataFrame, unit: str,
                 labels: dict[str, str] | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Replace missing and infinite values by the feature's median; one warning per feature touched (by its label)."""
    values = values.astype("float64").replace([np.inf, -np.inf], np.nan)
    warnings = []
    filled = {}
    for name in values.columns:
        column = values[name]
        n_missing = int(column.isna().sum())
        if n_missing == 0:
            continue
        median = column.median()
        if pd.isna(median):
            median = 0.0
        filled[name] = column.fillna(median)
        warnings.append(
            f"Feature {(labels or {}).get(name, name)} is missing for {n_missing:,} of {len(column):,} {unit}s; "
            f"they were given its median ({median:,.4g})."
        )
    if filled:
        values = values.assign(**filled)
    return values, warnings


def auto_log(values: pd.DataFrame, skewed: dict[str, bool | None]) -> list[str]:
    """Features to log-transform when the analyst did not say.

    ``skewed`` maps a feature to its catalogue flag, or None for a raw column,
    which is logged when its skewness exceeds :data:`SKEWNESS_FOR_LOG` and it has
    no negative values.
    """
    chosen = []
    for name in values.columns:
        flag = skewed.get(name)
        column = values[name]
        if flag is None:
            if column.min() >= 0 and column.nunique() > 2 and column.skew() > SKEWNESS_FOR_LOG:
                chosen.append(name)
        elif flag:
            chosen.append(name)
    return chosen


def apply_log(values: pd.DataFrame, names: list[str], explicit: bool,
              labels: dict[str, str] | None = None) -> tuple[pd.DataFrame, list[str]]:
    """log1p the named columns.

    A column with negative values (e.g. net refunds in monetary) cannot take
    log1p: when the analyst asked for the log explicitly that is an InputError;
    when the engine chose it, the sign-preserving sign(x)·log1p(|x|) is used
    and a warning says so (it equals log1p for the non-negative values).
    """
    warnings = []
    transformed = {}
    for name in names:
        column = values[name]
        n_negative = int((column < 0).sum())
        if n_negative and explicit:
            raise InputError(
                f"features.log includes {name}, which has {n_negative:,} negative values (lowest "
                f"{column.min():,.4g}); remove it from features.log or leave features.log unset.",
                field="features.log",
            )
        if n_negative:
            warnings.append(
                f"Feature {(labels or {}).get(name, name)} has {n_negative:,} negative values; it was transformed with "
                "sign(x)·log1p(|x|) instead of log1p."
            )
        transformed[name] = np.sign(column) * np.log1p(column.abs())
    if transformed:
        values = values.assign(**transformed)
    return values, warnings


def scale(values: pd.DataFrame, scaling: str) -> np.ndarray:
    """Apply the named scaler; constant columns come out as 0 (or unchanged for "none")."""
    if scaling not in SCALERS:
        raise InputError(
            f"features.scaling is {scaling!r}; allowed values are {', '.join(SCALERS)}.", field="features.scaling"
        )
    X = values.to_numpy(dtype="float64", copy=True)
    maker = SCALERS[scaling].make
    if maker is None:
        return X
    return np.asarray(maker().fit_transform(X), dtype="float64")
