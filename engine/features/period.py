"""The analysis date (``data.as_of``): which transaction lines an analysis uses.

An analysis "as of" a date inside the data uses only the lines dated on or
before that calendar day, as if the data had been exported that evening;
recency and tenure are then measured from it (:mod:`engine.features.aggregate`).
Customers whose first line is later did not exist yet and are not analysed.
Without ``as_of``, or with one on or after the last date, every line is used.
The data stage reads every line whatever ``as_of`` says (its cache ignores it),
so the cut is made here, in the features stage.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.errors import InputError
from engine.formatting import counted, iso_date
from engine.results import Dataset


def as_of_stamp(as_of) -> pd.Timestamp:
    """``as_of`` as a timezone-free calendar day (midnight); InputError when it is not a date."""
    try:
        stamp = pd.Timestamp(as_of)
    except (TypeError, ValueError):
        stamp = pd.NaT
    if pd.isna(stamp):
        raise InputError(f"data.as_of is {as_of!r}, which is not a date; use YYYY-MM-DD.", field="data.as_of")
    return (stamp.tz_localize(None) if stamp.tz is not None else stamp).normalize()


def _naive(dates: pd.Series) -> pd.Series:
    dates = pd.to_datetime(dates, errors="coerce")
    return dates.dt.tz_localize(None) if getattr(dates.dt, "tz", None) is not None else dates


def _after(dates: pd.Series, stamp: pd.Timestamp) -> np.ndarray:
    """True for lines dated after the calendar day ``stamp`` (lines without a date are never after)."""
    return (_naive(dates) >= stamp + pd.Timedelta(days=1)).to_numpy(dtype=bool)


def lines_up_to(tx: pd.DataFrame, as_of) -> tuple[pd.DataFrame, int]:
    """The lines dated on or before ``as_of`` and how many were dated after it.

    An ``as_of`` before the first date leaves nothing to analyse and is refused
    with one sentence (field ``data.as_of``).
    """
    stamp = as_of_stamp(as_of)
    after = _after(tx["date"], stamp)
    n_after = int(after.sum())
    if n_after == 0:
        return tx, 0
    if n_after == len(tx):
        raise before_first_date(stamp, _naive(tx["date"]).min())
    return tx[~after], n_after


def before_first_date(stamp: pd.Timestamp, first) -> InputError:
    """The refusal of an ``as_of`` (``stamp``) before the first transaction date ``first``: nothing left."""
    return InputError(
        f"data.as_of is {iso_date(stamp)}, before the first transaction date {iso_date(first)}, so no "
        f"transaction is left to analyse; choose a date from {iso_date(first)} on, or leave as_of unset to "
        "use the day after the last date.", field="data.as_of",
    )


def reference_date(dataset: Dataset, as_of) -> pd.Timestamp | None:
    """The day recency and tenure are measured from: ``as_of``, else the day after the last date (None: no dates)."""
    last = dataset.quality.date_max
    if last is None or pd.isna(last):
        return None
    return as_of_stamp(as_of) if as_of is not None else as_of_stamp(last) + pd.Timedelta(days=1)


def lines_after(dataset: Dataset, as_of) -> int:
    """How many transaction lines with a customer id the analysis date leaves out (0 without ``as_of``)."""
    tx = dataset.transactions
    if as_of is None or tx is None or "date" not in tx or "customer_id" not in tx:
        return 0
    return int((_after(tx["date"], as_of_stamp(as_of)) & tx["customer_id"].notna().to_numpy()).sum())


def cut_sentence(as_of, n_after: int, n_later_customers: int) -> str:
    """The note an analysis at a past date carries: what was left out, and why."""
    who = (f"; {counted(n_later_customers, 'customer')} whose first purchase came after it "
           f"{'is' if n_later_customers == 1 else 'are'} not in the analysis" if n_later_customers > 0 else "")
    return (f"Analysis as of {iso_date(as_of_stamp(as_of))}: {counted(n_after, 'transaction line')} dated after it "
            f"{'was left out (it belongs' if n_after == 1 else 'were left out (they belong'} to a later period){who}.")
