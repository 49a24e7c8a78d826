"""The migration as files: the flows table (CSV) and the summary's ``migration`` block (JSON-ready dict).

Shares are fractions rounded like every share of the summary (:func:`engine.formatting.round_share`),
revenue to 2 decimals; missing values are empty CSV cells and JSON ``null``. A text
cell a spreadsheet would run as a formula gets a leading quote.
"""

from __future__ import annotations

import csv
import io

from engine.formatting import is_missing, iso_date, neutralise, round_share
from engine.migration.sentences import flow_sentences, summary_sentences
from engine.migration.table import APPEARED, GONE, MOVED, STAYED, Migration

CSV_COLUMNS = ("kind", "from_segment", "from_name", "to_segment", "to_name", "customers", "share", "revenue",
               "quiet")


def _value(value, decimals: int | None = None):
    if is_missing(value):
        return None
    if isinstance(value, str):
        return value
    number = float(value)
    if decimals is None and number == int(number):
        return int(number)
    return round(number, decimals if decimals is not None else 4)


def flow_records(migration: Migration) -> list[dict]:
    """One dict per flow (segment order), JSON-ready."""
    out = []
    for r in migration.flows.itertuples(index=False):
        out.append({
            "kind": r.kind,
            "from_segment": _value(r.from_segment), "from_name": r.from_name,
            "to_segment": _value(r.to_segment), "to_name": r.to_name,
            "customers": int(r.customers), "share": round_share(r.share),
            "revenue": _value(r.revenue, 2) if migration.has_revenue else None,
            "quiet": _value(r.quiet),
        })
    return out


def flows_csv(migration: Migration) -> str:
    """The flows table as CSV (``--out`` of ``migrate``): one line per from → to pair holding customers."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for record in flow_records(migration):
        writer.writerow(["" if record[c] is None else neutralise(record[c]) if isinstance(record[c], str)
                         else record[c] for c in CSV_COLUMNS])
    return buffer.getvalue()


def summary_block(migration: Migration) -> dict:
    """The summary JSON's ``migration`` block: dates, counts, every flow and the sentences."""
    m = migration
    return {
        "from": iso_date(m.start) if m.start is not None else None,
        "to": iso_date(m.end) if m.end is not None else None,
        "customers_from": m.n_start, "customers_to": m.n_end,
        "stayed": m.count(STAYED), "moved": m.count(MOVED), "appeared": m.count(APPEARED), "gone": m.count(GONE),
        "quiet": m.quiet,
        "revenue": _value(m.customers["revenue"].sum(min_count=1), 2) if m.has_revenue else None,
        "segments": [{"id": c, "name": name} for c, name in m.segments.items()],
        "flows": flow_records(m),
        "sentences": flow_sentences(m) + summary_sentences(m),
    }

