"""What a column's values look like: the content checks behind role detection.

A role suggested by a column's name is taken only when the content agrees (a
"date" must parse as dates, an "amount" must be numbers); each
:class:`engine.loading.roles.Role` names one of these checks. The checks read a sample
of the column.

Money and quantity hide under many names (``dollar_value``, ``spend_usd``,
``cds``); missing them silently turns a revenue segmentation into an activity
one. So in a dated log of customers, a numeric column no name explains is
taken as the quantity or the amount when its values leave no doubt
(:data:`CONTENT_MEASURES`, used by :func:`engine.loading.roles.detect_roles`), and
:func:`engine.loading.roles.measures_by_content_notes` says so in the table's notes.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from engine.loading.dates import looks_like_numeric_dates
from engine.loading.parsing import parse_dates, sample_values, to_numbers


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
    datelike = (sample.str.contains(r"\d[-/.]\d|\d [A-Za-z]{3}|[A-Za-z]{3} \d", regex=True)
                & ~sample.str.fullmatch(r"\d+(\.\d+)?"))  # "45000.50" is a number, whatever range it is in
    if sample.empty or datelike.mean() < min_share:
        return False
    return parse_dates(sample).values.notna().mean() >= min_share


def looks_like_named_date(series: pd.Series) -> bool:
    """What confirms a column named like a date: :func:`looks_like_date`, or numbers nearly all of which are
    Excel day numbers or Unix seconds/milliseconds (ranges in :data:`engine.loading.dates.NUMERIC_DATES`)."""
    if looks_like_date(series):
        return True
    if not looks_like_number(series, min_share=0.9):  # numbers, or text that reads as numbers ("45000")
        return False
    numbers = _numbers_spread(series)
    return not numbers.empty and looks_like_numeric_dates(numbers)


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


# Measures a dated customer log may carry under a name no role knows ("x7"): the test its values must
# pass, what it is taken as, and what its values look like (for the note telling the analyst).
CONTENT_MEASURES: dict[str, tuple[Callable[[pd.Series], bool], str, str]] = {
    "quantity": (looks_like_count, "the quantity", "counts of units bought (small whole numbers)"),
    "amount": (looks_like_money, "the line amount", "money"),
}
