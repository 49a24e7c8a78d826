"""Charts for the client body of the report: axes a client reads without a statistics course.

The segment map plots each customer's spend against their number of orders on
log scales (a few very large customers would otherwise squeeze everyone else
into a corner), coloured by segment, with each segment's median customer drawn
as a large outlined marker. Specs are Vega-Lite dicts built like
:mod:`engine.views.charts` (inline data, the report's config, the fixed segment
palette), so they render through the same safe path.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.results import NOISE
from engine.views import vegalite as vl
from engine.views.chart_base import WIDTH, cluster_color
from engine.views.projection import stratified_sample

MAX_POINTS = 1500  # enough to show each segment's cloud; stratified so small segments stay visible
SPEND, ORDERS = "monetary", "frequency"
JITTER = 0.06  # orders are whole numbers: a small multiplicative jitter keeps points on one count from stacking


def segment_map_chart(table: pd.DataFrame, labels: np.ndarray, names: dict[int, str], seed: int,
                      unit_many: str = "customers") -> dict | None:
    """Spend against number of orders per customer, log scales, coloured by segment; None without both features.

    Customers with no positive spend cannot sit on a log scale; they are left out
    and the subtitle says how many.
    """
    if SPEND not in table or ORDERS not in table or len(table) != len(labels):
        return None
    spend = pd.to_numeric(table[SPEND], errors="coerce").to_numpy(dtype=float)
    orders = pd.to_numeric(table[ORDERS], errors="coerce").to_numpy(dtype=float)
    labels = np.asarray(labels, dtype=int)
    keep = np.isfinite(spend) & np.isfinite(orders) & (spend > 0) & (orders > 0)
    if keep.sum() < 2:
        return None
    left_out = int((~keep).sum())
    positions = np.flatnonzero(keep)
    if len(positions) > MAX_POINTS:
        positions = positions[stratified_sample(labels[positions], len(positions), MAX_POINTS, seed)]
    rng = np.random.default_rng(seed)
    jitter = np.exp(rng.uniform(-JITTER, JITTER, len(positions)))
    ids = [c for c in sorted(set(labels.tolist())) if c != NOISE] + ([NOISE] if NOISE in labels else [])
    display = _display(ids, names)
    points = pd.DataFrame({
        "orders": np.round(orders[positions] * jitter, 3), "spend": np.round(spend[positions], 2),
        "segment": [display[c] for c in labels[positions]],
    })
    points = points.iloc[np.argsort(labels[positions] != NOISE, kind="stable")]  # unassigned underneath
    medians = pd.DataFrame([
        {"orders": float(np.median(orders[keep & (labels == c)])), "spend": float(np.median(spend[keep & (labels == c)])),
         "segment": display[c]}
        for c in ids if (keep & (labels == c)).any()
    ])
    colour = vl.nominal("segment", title=None, scale={"domain": [display[c] for c in ids],
                                                      "range": [cluster_color(c) for c in ids]},
                        legend={"orient": "bottom", "columns": 2, "labelLimit": 0, "symbolOpacity": 1})
    kept_orders, kept_spend = orders[keep], spend[keep]
    x_domain = [round(float(kept_orders.min()) * 0.85, 3), round(float(kept_orders.max()) * 1.2, 3)]
    y_domain = [round(float(kept_spend.min()) * 0.75, 2), round(float(kept_spend.max()) * 1.35, 2)]
    x = vl.quantitative("orders", title="Number of orders (log scale)",
                        scale={"type": "log", "nice": False, "domain": x_domain},
                        axis={"format": ",~r"})
    y = vl.quantitative("spend", title="Spend (log scale)", scale={"type": "log", "nice": False, "domain": y_domain},
                        axis={"format": ",~r"})
    shown = f"{len(points):,} {unit_many} shown" if len(points) < keep.sum() else f"all {len(points):,} {unit_many}"
    subtitle = f"Each dot is one {unit_many[:-1] if unit_many.endswith('s') else unit_many}; " \
               f"large outlined markers are each segment's median ({shown}"
    subtitle += f"; {left_out:,} with no positive spend left out)" if left_out else ")"
    return vl.spec(
        {"text": "Segments by spend and number of orders", "subtitle": subtitle},
        {"points": vl.records(points), "medians": vl.records(medians)},
        layer=[
            {"data": {"name": "points"}, "mark": {"type": "circle", "size": 14, "opacity": 0.45},
             "encoding": {"x": x, "y": y, "color": colour, "tooltip": [vl.nominal("segment")]}},
            {"data": {"name": "medians"},
             "mark": {"type": "point", "shape": "diamond", "size": 220, "filled": True, "opacity": 1,
                      "stroke": "#222", "strokeWidth": 1.2},
             "encoding": {"x": x, "y": y, "color": {**colour, "legend": None}}},
        ],
        width=WIDTH - 100, height=300,
    )


def _display(ids: list[int], names: dict[int, str]) -> dict[int, str]:
    """Segment id -> legend name; a repeated name gets its id so the legend stays one-to-one."""
    out, seen = {}, set()
    for c in ids:
        name = names.get(c) or ("Unassigned" if c == NOISE else f"Segment {c}")
        out[c] = f"{name} ({c})" if name in seen else name
        seen.add(out[c])
    return out
