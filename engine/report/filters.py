"""Number and date formats of the report, as Jinja filters (the only place numbers become text).

The summary JSON rounds with the same tables (:data:`METRIC_DECIMALS`,
:data:`SHARE_DECIMALS`), so a value printed in the PDF is the value in the JSON
written with separators: Davies-Bouldin 0.7491 in both, a share 0.2345 printed
as 23.5%.
"""

from __future__ import annotations

import math

import pandas as pd

from engine.metrics import METRICS

MISSING = "–"  # en dash: shown for a value that does not exist (never "nan")

# Decimals per metric key, shared by the PDF, the app and the summary JSON: the registry's, plus stability.
METRIC_DECIMALS = {**{key: m.decimals for key, m in METRICS.items()}, "ari": 3, "jaccard": 3}
DEFAULT_METRIC_DECIMALS = 4
SHARE_DECIMALS = 4  # shares are fractions; 4 decimals = percentages to 2 decimals
MEAN_DECIMALS = 4  # cluster means in the summary JSON (shares are fractions, so 2 would lose them)

_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)


def is_missing(value) -> bool:
    """True for None, NaN, pd.NA, NaT and infinities (values the report prints as a dash)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return not math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def round_metric(key: str, value) -> float | None:
    """A metric rounded as the report prints it; None when missing (JSON null)."""
    if is_missing(value):
        return None
    return round(float(value), METRIC_DECIMALS.get(key, DEFAULT_METRIC_DECIMALS))


def round_share(value) -> float | None:
    """A share (fraction 0..1) rounded as the report prints it; None when missing."""
    return None if is_missing(value) else round(float(value), SHARE_DECIMALS)


def integer(value) -> str:
    """Whole number with thousands separators: 12,345."""
    return MISSING if is_missing(value) else f"{round(float(value)):,d}"


def number(value, decimals: int = 2) -> str:
    """Number with separators and fixed decimals: 1,234.57."""
    return MISSING if is_missing(value) else f"{float(value):,.{decimals}f}"


def metric(value, key: str = "") -> str:
    """A clustering metric with the decimals of :data:`METRIC_DECIMALS`."""
    rounded = round_metric(key, value)
    if rounded is None:
        return MISSING
    return f"{rounded:,.{METRIC_DECIMALS.get(key, DEFAULT_METRIC_DECIMALS)}f}"


def pct(value, decimals: int = 1) -> str:
    """A fraction as a percentage: 0.2345 -> 23.5%, from the same rounding as the JSON."""
    rounded = round_share(value)
    return MISSING if rounded is None else f"{rounded * 100:,.{decimals}f}%"


def money(value, decimals: int = 2) -> str:
    """An amount without a currency symbol (the data does not say which): 12,345.67."""
    return number(value, decimals)


def days(value, decimals: int = 0) -> str:
    """A duration in days: 45 days, 1 day."""
    if is_missing(value):
        return MISSING
    text = f"{float(value):,.{decimals}f}"
    return f"{text} day" if text == "1" else f"{text} days"


def signed(value, decimals: int = 2) -> str:
    """A standardised difference with its sign: +0.53, −1.20 (true minus sign)."""
    if is_missing(value):
        return MISSING
    text = f"{float(value):+.{decimals}f}"
    return text.replace("-", "\u2212")


def long_date(value) -> str:
    """A date written out, locale-independent: 31 December 2024."""
    if value is None:
        return MISSING
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        return str(value)
    if pd.isna(ts):
        return MISSING
    return f"{ts.day} {_MONTHS[ts.month - 1]} {ts.year}"


def iso_date(value) -> str:
    """A date as YYYY-MM-DD (tables, appendix)."""
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        return MISSING
    return MISSING if pd.isna(ts) else ts.strftime("%Y-%m-%d")


# Feature units (FeatureDef.unit) -> how a value of that feature is written.
_BY_UNIT = {
    "days": lambda v: number(v, 1),
    "currency": lambda v: money(v, 2),
    "share": pct,
    "orders": lambda v: number(v, 2),
    "items": lambda v: number(v, 1),
    "count": lambda v: number(v, 2),
}


def feature_value(value, unit: str = "") -> str:
    """A feature value written in its unit's format (days 1 dp, currency 2 dp, shares %)."""
    return _BY_UNIT.get(unit, lambda v: number(v, 2))(value)


def feature_total(value, unit: str = "") -> str:
    """A cluster total of an additive feature: whole orders, items and currency units (totals get large)."""
    return integer(value) if unit in ("orders", "items", "currency") else feature_value(value, unit)


def ratio(value, decimals: int = 2) -> str:
    """A multiple: 3.83×."""
    return MISSING if is_missing(value) else f"{float(value):,.{decimals}f}\u00d7"


FILTERS = {
    "integer": integer,
    "number": number,
    "metric": metric,
    "pct": pct,
    "money": money,
    "days": days,
    "signed": signed,
    "long_date": long_date,
    "iso_date": iso_date,
    "feature_value": feature_value,
    "feature_total": feature_total,
    "ratio": ratio,
}
