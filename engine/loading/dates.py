"""The rules for what a date means, beyond its format (:func:`engine.loading.parsing.parse_dates` applies them).

- **Time zones**: the local wall time written in the value is kept and the
  offset dropped, the same for text ("2024-03-01T23:30:00+02:00" is
  2024-03-01 23:30) and for typed time-zone-aware columns (Parquet
  ``timestamp[us, tz=...]``): a purchase belongs to the calendar day on which it
  happened where it happened. :func:`wall_time` is the one place this happens.
- **Numbers as dates** (:data:`NUMERIC_DATES`): yyyymmdd integers, Excel day
  numbers 20,000-80,000 (1954-10-03 to 2119-01-11), Unix seconds 1e8-4e9 and
  milliseconds 1e11-4e12 (both 1973-03-03 to 2096-10-02). The column's median
  picks the kind; values outside its range are unreadable. Excel and Unix
  numbers are taken as dates only from a column named or mapped as a date
  (:func:`looks_like_numeric_dates` confirms a date name): by content alone
  they are indistinguishable from amounts, ids or barcodes.
- **Day/month order** (:func:`day_month_votes`): a first field above 12 proves
  day-first, a second field above 12 proves month-first. The order with more
  proving rows is used (a tie or no proof: month-first); every value is read
  the only way it can be, and only values that fit both orders follow the
  chosen order. A column holding both proofs is said with its counts.
- **Future dates** (:func:`future_cutoff`): transactions dated after the build
  day (the day the data is loaded) are excluded and counted, so the last date,
  and the recency reference derived from it, is never in the future.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# kind -> (lowest, highest) plausible value, how to convert it (pandas unit, origin)
NUMERIC_DATES: dict[str, tuple[float, float, str, str]] = {
    "%Y%m%d": (19_000_101, 21_001_231, "", ""),
    "Excel day number": (20_000, 80_000, "D", "1899-12-30"),  # 1954-10-03 .. 2119-01-11
    "unix seconds": (1e8, 4e9, "s", "unix"),  # 1973-03-03 .. 2096-10-02
    "unix milliseconds": (1e11, 4e12, "ms", "unix"),  # 1973-03-03 .. 2096-10-02
}
_MIN_SHARE = 0.95  # of a named date column's numbers that must fit its kind's range

# a UTC offset (or Z/UTC/GMT) after a clock time: "23:30:00+02:00", "23:30 -0500", "23:30:00.123Z"
_OFFSET = r"\s*(?:Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)$"
_HAS_OFFSET = r"\d:\d{2}(?::\d{2}(?:[.,]\d+)?)?" + _OFFSET
# the two leading numeric fields of "03/04/2024", "3.4.24", "03-04-2024 10:00"
_FIELDS = r"^(\d{1,2})[/.\-](\d{1,2})[/.\-]\d{2,4}(?!\d)"


def wall_time(values: pd.Series) -> pd.Series:
    """Dates and date text with their time zone dropped, keeping the local clock time written in them."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.dt.tz_localize(None) if getattr(values.dt, "tz", None) is not None else values
    text = _arrow_text(values)
    offset = pc.match_substring_regex(text, _HAS_OFFSET)
    if not pc.any(offset).as_py():
        return values
    stripped = pc.if_else(offset, pc.replace_substring_regex(text, _OFFSET, ""), text)
    return pd.Series(stripped.to_pandas(), index=values.index, dtype=values.dtype)


def _arrow_text(values: pd.Series) -> pa.Array:
    return pa.array(values.astype("str").array if values.dtype == object else values.array, type=pa.string(),
                    from_pandas=True)


def numeric_date_kind(numbers: pd.Series) -> str:
    """Which of :data:`NUMERIC_DATES` the numbers' median falls in ("" when none, or not whole yyyymmdd)."""
    numbers = numbers.dropna()
    if numbers.empty:
        return ""
    median = float(numbers.median())
    for kind, (low, high, _, _) in NUMERIC_DATES.items():
        if low <= median <= high:
            return "" if kind == "%Y%m%d" and not (numbers % 1 == 0).all() else kind
    return ""


def numeric_dates(numbers: pd.Series, kind: str) -> pd.Series:
    """``numbers`` read as dates of ``kind`` (NaT outside its range); yyyymmdd is read as text by the caller."""
    low, high, unit, origin = NUMERIC_DATES[kind]
    plausible = numbers.where(numbers.between(low, high))
    return pd.to_datetime(plausible, unit=unit, origin=origin, errors="coerce")


def looks_like_numeric_dates(numbers: pd.Series) -> bool:
    """Numbers of which nearly all fit one kind of numeric date (for a column whose name says it is a date)."""
    kind = numeric_date_kind(numbers)
    if not kind:
        return False
    low, high = NUMERIC_DATES[kind][:2]
    return bool(numbers.between(low, high).mean() >= _MIN_SHARE)


@dataclass(frozen=True)
class DayMonthVotes:
    """Rows whose day/month order is proven by a field above 12, and rows that fit both orders."""

    day_first: int = 0
    month_first: int = 0
    either: int = 0

    @property
    def mixed(self) -> bool:
        return bool(self.day_first and self.month_first)

    @property
    def order(self) -> str | None:
        """"dmy" or "mdy" when some value proves an order (more proofs win; a tie is month-first), else None."""
        if not (self.day_first or self.month_first):
            return None
        return "dmy" if self.day_first > self.month_first else "mdy"


def day_month_votes(text: pd.Series) -> DayMonthVotes:
    """Count the rows of ``text`` (stripped date text) proving day-first, month-first, or fitting both."""
    heads = pc.utf8_slice_codeunits(_arrow_text(text), 0, 10)  # "03/04/2024" without its time: few distinct
    counts = pc.value_counts(heads.drop_null())
    if not len(counts):
        return DayMonthVotes()
    fields = pd.Series(counts.field("values").to_pylist(), dtype="str").str.extract(_FIELDS).astype(float)
    first, second = fields[0].to_numpy(), fields[1].to_numpy()
    rows = counts.field("counts").to_numpy()
    valid = (first >= 1) & (first <= 31) & (second >= 1) & (second <= 31) & ((first <= 12) | (second <= 12))
    return DayMonthVotes(day_first=int(rows[valid & (first > 12)].sum()),
                         month_first=int(rows[valid & (second > 12)].sum()),
                         either=int(rows[valid & (first <= 12) & (second <= 12)].sum()))


def future_cutoff(today=None) -> pd.Timestamp:
    """The first instant after the build day (``today``, default the machine's date): later dates are future."""
    day = pd.Timestamp.now() if today is None else pd.Timestamp(today)
    day = day.tz_localize(None) if day.tz is not None else day
    return day.normalize() + pd.Timedelta(days=1)


def future_rows(dates: pd.Series, today=None) -> np.ndarray:
    """Rows dated after the build day (see :func:`future_cutoff`)."""
    return (dates >= future_cutoff(today)).fillna(False).to_numpy(dtype=bool)
