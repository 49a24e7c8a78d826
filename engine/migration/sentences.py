"""The migration in words: the biggest flows, and who stayed, appeared or went quiet.

Sentences are plain text (the report's template escapes them, the app's
``app_support.text.md`` too); every number goes through :mod:`engine.formatting`.
A flow's verb compares what the customers of the two segments spent in the period
(:attr:`Migration.value`: last-period revenue per customer of each segment at the
second date; lifetime revenue would rank a segment of lapsed long-time buyers
above one of new customers): to a segment whose customers spent less it "slipped
to", to one whose customers spent more it "moved up to", otherwise (no money in
the data, or a segment empty at the second date) it "moved to".
"""

from __future__ import annotations

import math

from engine.formatting import counted, integer, long_date, money, pct
from engine.migration.table import APPEARED, GONE, MOVED, STAYED, Migration

TOP_FLOWS = 5


def biggest_flows(migration: Migration, top: int = TOP_FLOWS):
    """The ``top`` flows between two different segments: most customers first, then most revenue, then segment order."""
    flows = migration.flows
    moved = flows[flows["kind"] == MOVED].copy()
    moved["_rank"] = range(len(moved))  # segment order, already stable
    moved["_revenue"] = moved["revenue"].fillna(0.0)
    moved = moved.sort_values(["customers", "_revenue", "_rank"], ascending=[False, False, True], kind="stable")
    return moved.drop(columns=["_rank", "_revenue"]).head(max(int(top), 0))


def verb(migration: Migration, source: int, target: int) -> str:
    """ "slipped to", "moved up to" or "moved to" (see the module docstring)."""
    a, b = migration.value.get(source), migration.value.get(target)
    if a is None or b is None or a == b:
        return "moved to"
    return "slipped to" if b < a else "moved up to"


def _worth(migration: Migration, revenue: float) -> str:
    if not migration.has_revenue or revenue is None or not math.isfinite(revenue):
        return ""
    if revenue == 0:
        return ", with no revenue in the last period"
    if revenue < 0:
        return f", with net returns of {money(-revenue, 0)} in the last period"
    return f", worth {money(revenue, 0)} of revenue in the last period"


def flow_sentences(migration: Migration, top: int = TOP_FLOWS) -> list[str]:
    """One sentence per biggest flow: "412 customers (18.0% of Loyal regulars) slipped to At risk, worth 96,000 …"."""
    out = []
    for r in biggest_flows(migration, top).itertuples(index=False):
        out.append(
            f"{counted(r.customers, 'customer')} ({pct(r.share)} of {r.from_name}) "
            f"{verb(migration, int(r.from_segment), int(r.to_segment))} {r.to_name}{_worth(migration, r.revenue)}."
        )
    return out


def period(migration: Migration) -> str:
    """ "between 1 March 2024 and 1 June 2024", or "in the last period" without dates."""
    if migration.start is None or migration.end is None:
        return "in the last period"
    return f"between {long_date(migration.start)} and {long_date(migration.end)}"


def summary_sentences(migration: Migration) -> list[str]:
    """Who stayed and moved, who went quiet, who appeared and (rarely) who is gone."""
    m = migration
    out = []
    n_start = m.n_start
    if n_start:
        stayed, moved = m.count(STAYED), m.count(MOVED)
        there = f"on {long_date(m.start)}" if m.start is not None else "at the first date"
        out.append(f"Of the {counted(n_start, 'customer')} there {there}, {integer(stayed)} ({pct(stayed / n_start)}) "
                   f"stayed in their segment and {integer(moved)} ({pct(moved / n_start)}) moved to another.")
        quiet = m.quiet
        if quiet is not None:
            out.append(f"{counted(quiet, 'customer')} ({pct(quiet / n_start)}) bought nothing {period(m)}.")
    new = m.count(APPEARED)
    if new:
        rows = m.flows[m.flows["kind"] == APPEARED].sort_values("customers", ascending=False, kind="stable")
        top = rows.iloc[0]
        where = ("" if new == 1 else "all " if len(rows) == 1
                 else f"most of them ({integer(top['customers'])}, {pct(top['share'])}) ") + f"in {top['to_name']}"
        out.append(f"{counted(new, 'new customer')} appeared {period(m)}, {where}"
                   f"{_worth(m, float(rows['revenue'].sum(min_count=1)) if m.has_revenue else None)}.")
    gone = m.count(GONE)
    if gone:
        out.append(f"{counted(gone, 'customer')} scored at the first date {'is' if gone == 1 else 'are'} not in the "
                   "data at the second.")
    return out
