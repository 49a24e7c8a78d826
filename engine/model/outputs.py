"""What ``python -m engine score`` writes: the scored customers as CSV and the summary JSON."""

from __future__ import annotations

import numpy as np

from engine.model.saved import SavedModel, Scored


def scored_csv(scored: Scored) -> str:
    """``customer_id, segment, segment_name, distance[, probability], outside`` per customer."""
    columns = ["segment", "segment_name", "distance"] + (["probability"] if "probability" in scored.table else [])
    frame = scored.table[columns + ["outside"]].copy()
    frame["distance"] = frame["distance"].round(6)
    if "probability" in frame:
        frame["probability"] = frame["probability"].round(6)
    return frame.to_csv(index=True, lineterminator="\n")


def summary_dict(scored: Scored, model: SavedModel) -> dict:
    """Counts and shares now against at build time, the outside count and its rule."""
    shares = scored.shares
    table = scored.table
    return {
        "model": {"algorithm": model.algorithm, "source": model.source,
                  "build_customers": model.spec["build"]["customers"], "created": model.spec.get("created")},
        "as_of": scored.as_of.strftime("%Y-%m-%d") if scored.as_of is not None else None,
        "customers": int(len(table)),
        "segments": [
            {"segment": int(row.segment), "name": row.name, "customers_now": int(row.customers_now),
             "share_now": round(float(row.share_now), 6), "build_share": round(float(row.build_share), 6),
             "change_points": round(100 * (float(row.share_now) - float(row.build_share)), 2)}
            for row in shares.itertuples(index=False)
        ],
        "outside": {"customers": int(table["outside"].sum()), "rule": scored.outside_rule},
        "revenue": float(np.nansum(table["revenue"])) if table["revenue"].notna().any() else None,
        "warnings": list(scored.warnings),
    }


def summary_lines(scored: Scored) -> list[str]:
    """The command line's closing lines: counts and shares per segment, then the outside count and rule."""
    table = scored.table
    lines = [f"Scored {len(table):,} customers"
             + (f" as of {scored.as_of:%Y-%m-%d}" if scored.as_of is not None else "") + "."]
    for row in scored.shares.itertuples(index=False):
        lines.append(f"  {row.segment:>3}  {row.name}: {row.customers_now:,} ({row.share_now:.1%} now, "
                     f"{row.build_share:.1%} at build)")
    lines.append(f"{int(table['outside'].sum()):,} outside. {scored.outside_rule}")
    return lines
