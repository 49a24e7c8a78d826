"""The migration table: where each segment's customers went between two dates, and what they spent meanwhile.

Both inputs are a ``Scored.table`` of :mod:`engine.model` (index: customer id;
columns ``segment``, ``revenue`` = cumulative net revenue up to that date,
``last_date`` = last purchase up to that date), one scored at ``from``, one at
``to``, with the same model. Each customer falls in one of four kinds:

- **stayed**: in the same segment at both dates;
- **moved**: in another segment at ``to``;
- **appeared**: absent at ``from`` (first purchase after it), present at ``to``;
- **gone**: present at ``from``, absent at ``to`` (only when the two scorings read
  different data; the same data scored at a later date keeps every customer).

A customer present at both dates **went quiet** when the last purchase at ``to``
is no later than the last purchase at ``from``: nothing bought between the dates.
The **revenue of the last period** is revenue at ``to`` minus revenue at ``from``
(a new customer's revenue at ``to``); it can be negative when returns outweigh
purchases. A flow's **share** is of its from-segment's customers at ``from`` (of
all new customers for the "appeared" row).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from engine.errors import InputError
from engine.formatting import cluster_name
from engine.results import NOISE

STAYED, MOVED, APPEARED, GONE = "stayed", "moved", "appeared", "gone"
REQUIRED = ("segment", "revenue", "last_date")
NEW_ROW = "Not yet a customer"  # the matrix row of customers who appeared (not "New customers": a segment name)
GONE_COLUMN = "No longer in the data"  # the matrix column of customers who are gone
FLOW_COLUMNS = ["kind", "from_segment", "from_name", "to_segment", "to_name", "customers", "share", "revenue",
                "quiet"]


@dataclass
class Migration:
    """Who moved where between ``start`` and ``end`` (see the module docstring for every rule)."""

    customers: pd.DataFrame  # index customer_id: from_segment, to_segment (Int64, NA when absent), kind,
    #                          revenue (last period; NaN without money), quiet (boolean, NA when not known)
    flows: pd.DataFrame  # one row per (from, to) pair holding customers, in segment order: FLOW_COLUMNS
    segments: dict[int, str]  # every segment id shown -> display name (a repeated name gets its id), in order
    has_revenue: bool
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    value: dict[int, float] = field(default_factory=dict)  # last-period revenue per customer of each segment at ``end``
    note: str = ""  # how the customers were scored (the model used), printed under the table
    warnings: list[str] = field(default_factory=list)  # the scorings' warnings, each once

    def count(self, kind: str) -> int:
        return int((self.customers["kind"] == kind).sum())

    @property
    def n_start(self) -> int:
        """Customers scored at ``start``."""
        return int(self.customers["from_segment"].notna().sum())

    @property
    def n_end(self) -> int:
        return int(self.customers["to_segment"].notna().sum())

    @property
    def quiet(self) -> int | None:
        """Customers present at both dates who bought nothing between them (None: no dates to tell)."""
        known = self.customers["quiet"].dropna()
        return None if known.empty else int(known.sum())

    def matrix(self, measure: str = "customers") -> pd.DataFrame:
        """From-segment (rows, then "Not yet a customer") × to-segment (columns, then "No longer in the data" if any).

        ``measure``: "customers" (counts, 0 where no one moved) or "revenue" (the
        last period's revenue of each flow, NaN where no one moved).
        """
        if measure not in ("customers", "revenue"):
            raise ValueError(f"measure is {measure!r}; use 'customers' or 'revenue'.")
        rows = list(self.segments.values()) + ([NEW_ROW] if self.count(APPEARED) else [])
        cols = list(self.segments.values()) + ([GONE_COLUMN] if self.count(GONE) else [])
        f = self.flows
        table = pd.DataFrame(0 if measure == "customers" else np.nan, index=rows, columns=cols, dtype=float)
        for r in f.itertuples(index=False):
            row = NEW_ROW if r.kind == APPEARED else r.from_name
            col = GONE_COLUMN if r.kind == GONE else r.to_name
            table.loc[row, col] = getattr(r, measure)
        table.index.name, table.columns.name = "from", "to"
        return table.astype(int) if measure == "customers" else table


def migration_table(before: pd.DataFrame, after: pd.DataFrame, segments: dict[int, str] | None = None, *,
                    start=None, end=None) -> Migration:
    """Compare the scoring at ``start`` (``before``) with the scoring at ``end`` (``after``).

    Parameters
    ----------
    before, after : DataFrame
        ``Scored.table`` at the two dates: index customer id, columns segment, revenue, last_date.
    segments : dict, optional
        Segment id -> name (the model's); an id without a name is "Cluster <id>", -1 "Unassigned".
    start, end : date, optional
        The two dates, for the sentences; ``start`` must be before ``end``.
    """
    before = _checked(before, "the table at the first date")
    after = _checked(after, "the table at the second date")
    if before.empty and after.empty:
        raise InputError("Neither date has any customer to compare; choose dates inside the data.")
    start = None if start is None else pd.Timestamp(start)
    end = None if end is None else pd.Timestamp(end)
    if start is not None and end is not None and start >= end:
        raise InputError(f"The first date ({start.date()}) must be before the second ({end.date()}).")

    seen = np.union1d(np.unique(before["segment"].to_numpy()), np.unique(after["segment"].to_numpy()))
    ids = sorted({int(s) for s in seen} | set(segments or {}))
    ids = [c for c in ids if c != NOISE] + ([NOISE] if NOISE in ids else [])
    names = _display_names(ids, segments or {})

    # every customer once: those at the first date in its order, then the new ones; positions, not labels
    # (one get_indexer per table: reindexing each column by text labels is slow on a million customers)
    new = np.flatnonzero(before.index.get_indexer(after.index) < 0)  # positions in ``after`` of new customers
    both = before.index.append(after.index[new])
    pos_b = np.concatenate([np.arange(len(before)), np.full(len(new), -1)])
    pos_a = np.concatenate([after.index.get_indexer(before.index), new])
    in_before, in_after = pos_b >= 0, pos_a >= 0
    seg_b, seg_a = _take(before["segment"].to_numpy(), pos_b, 0), _take(after["segment"].to_numpy(), pos_a, 0)
    frame = pd.DataFrame({
        "from_segment": pd.arrays.IntegerArray(seg_b.astype(np.int64), ~in_before),
        "to_segment": pd.arrays.IntegerArray(seg_a.astype(np.int64), ~in_after),
        "kind": np.select([~in_before, ~in_after, seg_b == seg_a], [APPEARED, GONE, STAYED], MOVED),
    }, index=pd.Index(both, name="customer_id"))

    rev_b = _take(pd.to_numeric(before["revenue"], errors="coerce").to_numpy(dtype=float), pos_b, np.nan)
    rev_a = _take(pd.to_numeric(after["revenue"], errors="coerce").to_numpy(dtype=float), pos_a, np.nan)
    has_revenue = bool(np.isfinite(rev_b).any() or np.isfinite(rev_a).any())
    frame["revenue"] = np.where(in_after, np.nan_to_num(rev_a) - np.nan_to_num(rev_b), np.nan) if has_revenue \
        else np.nan
    last_b = _take(pd.to_datetime(before["last_date"], errors="coerce").to_numpy(dtype="datetime64[ns]"), pos_b,
                   np.datetime64("NaT"))
    last_a = _take(pd.to_datetime(after["last_date"], errors="coerce").to_numpy(dtype="datetime64[ns]"), pos_a,
                   np.datetime64("NaT"))
    known = in_before & in_after & ~np.isnat(last_b) & ~np.isnat(last_a)
    frame["quiet"] = pd.arrays.BooleanArray(np.where(known, last_a <= last_b, False), ~known)

    value = {}
    if has_revenue and in_after.any():  # what a customer of each segment spent in the period, at its end
        period = np.nan_to_num(rev_a[in_after]) - np.nan_to_num(rev_b[in_after])
        per_customer = pd.Series(period).groupby(seg_a[in_after]).mean()
        value = {int(c): float(v) for c, v in per_customer.items() if np.isfinite(v)}
    return Migration(customers=frame, flows=_flows(frame, ids, names, has_revenue), segments=names,
                     has_revenue=has_revenue, start=start, end=end, value=value)


def _take(values: np.ndarray, positions: np.ndarray, missing) -> np.ndarray:
    """``values`` at ``positions``; ``missing`` where the position is -1 (not in that table)."""
    if len(values) == 0:
        return np.full(len(positions), missing, dtype=values.dtype)
    out = values[np.maximum(positions, 0)]
    if (positions < 0).any():
        out = out.copy()
        out[positions < 0] = missing
    return out


def _checked(table, what: str) -> pd.DataFrame:
    if not isinstance(table, pd.DataFrame):
        raise InputError(f"{what.capitalize()} is not a table of scored customers.")
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise InputError(f"{what.capitalize()} has no column {missing[0]!r}; score the customers with the model first.")
    index = pd.Index(np.asarray(table.index.astype(str), dtype=object), dtype=object)  # plain labels: fast lookups
    if index.has_duplicates:
        repeated = index[index.duplicated()][0]
        raise InputError(f"{what.capitalize()} lists customer {repeated!r} twice; each customer must appear once.")
    segment = pd.to_numeric(table["segment"], errors="coerce")
    if segment.isna().any() or not np.all(np.mod(segment.to_numpy(dtype=float), 1) == 0):
        bad = table.index[segment.isna() | (np.mod(segment.fillna(0).to_numpy(dtype=float), 1) != 0)][0]
        raise InputError(f"{what.capitalize()} has no whole segment number for customer {str(bad)!r}.")
    out = table.copy()
    out.index = index
    out["segment"] = segment.astype(int).to_numpy()
    return out


def _display_names(ids: list[int], segments: dict[int, str]) -> dict[int, str]:
    """Id -> name; a name used twice gets its id appended, so every row and column label is distinct."""
    display, seen = {}, set()
    for c in ids:
        name = cluster_name(c, segments)
        display[c] = f"{name} ({c})" if name in seen or name in (NEW_ROW, GONE_COLUMN) else name
        seen.add(display[c])
    return display


def _flows(frame: pd.DataFrame, ids: list[int], names: dict[int, str], has_revenue: bool) -> pd.DataFrame:
    """One row per (from, to) pair with customers: from-segments in order, new customers last; to in order."""
    order = {c: i for i, c in enumerate(ids)}
    sizes = frame["from_segment"].value_counts()
    n_new = int((frame["kind"] == APPEARED).sum())
    rows = []
    absent = -(10**9)  # group key of "not there" (groupby drops missing keys)
    keys = [frame["from_segment"].fillna(absent).astype(int), frame["to_segment"].fillna(absent).astype(int)]
    for (f, t), part in frame.groupby(keys, sort=False):
        f = None if f == absent else int(f)
        t = None if t == absent else int(t)
        kind = part["kind"].iloc[0]
        n = len(part)
        quiet = part["quiet"].dropna()
        rows.append({
            "kind": kind,
            "from_segment": f, "from_name": names[f] if f is not None else NEW_ROW,
            "to_segment": t, "to_name": names[t] if t is not None else GONE_COLUMN,
            "customers": n,
            "share": n / (n_new if f is None else int(sizes[f])),
            "revenue": float(part["revenue"].sum(min_count=1)) if has_revenue else np.nan,
            "quiet": int(quiet.sum()) if not quiet.empty else None,
        })
    rows.sort(key=lambda r: (r["from_segment"] is None, order.get(r["from_segment"], -1),
                             r["to_segment"] is None, order.get(r["to_segment"], -1)))
    flows = pd.DataFrame(rows, columns=FLOW_COLUMNS)
    for column in ("from_segment", "to_segment", "quiet"):
        flows[column] = flows[column].astype("Int64")
    flows["customers"] = flows["customers"].astype(int)
    flows["share"] = flows["share"].astype(float)
    flows["revenue"] = flows["revenue"].astype(float)
    return flows
