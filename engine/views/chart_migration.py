"""The chart of how segments moved: one horizontal bar per from → to flow, coloured by the segment left.

It takes the flows as a plain table (``engine.migration.Migration.flows``, or any frame
with from_segment, from_name, to_name, customers, share), so this step needs no later one.
"""

from __future__ import annotations

import pandas as pd

from engine.views import vegalite as vl
from engine.views.chart_base import WIDTH, _message_chart, _percent, _title, cluster_color

MAX_FLOWS = 12  # bars shown; the rest are in the table beside the chart
ARROW = "\u2192"


def flows_chart(flows: pd.DataFrame, title: str = "Biggest moves between segments", subtitle: str = "") -> dict:
    """Customers per flow, biggest first (the order given), labelled "From → To" with the share of the from-segment."""
    if flows.empty:
        return _message_chart(title, "No customer changed segment between the two dates.")
    flows = flows.head(MAX_FLOWS)
    labels = [f"{a} {ARROW} {b}" for a, b in zip(flows["from_name"], flows["to_name"], strict=True)]
    rows = [
        {"flow": label, "customers": int(n), "from": str(name), "text": f"{n:,} ({_percent(float(share))})"}
        for label, n, name, share in zip(labels, flows["customers"], flows["from_name"], flows["share"], strict=True)
    ]
    sources = list(dict.fromkeys(zip(flows["from_name"], flows["from_segment"], strict=True)))
    color = vl.nominal("from", title="Segment left", legend={"orient": "bottom", "columns": 3},
                       scale={"domain": [str(n) for n, _ in sources],
                              "range": [cluster_color(int(c)) for _, c in sources]})
    encoding = {
        "y": vl.nominal("flow", sort=labels, title=None, axis={"labelLimit": 260}),
        "x": vl.quantitative("customers", title="Customers",  # whole ticks only: no "0.5 customers"
                             axis={"format": ",d", "tickCount": int(min(5, flows["customers"].max()))}),
    }
    return vl.spec(
        _title(title, subtitle), {"flows": rows}, data={"name": "flows"},
        layer=[
            {"mark": {"type": "bar"}, "encoding": {**encoding, "color": color}},
            {"mark": {"type": "text", "align": "left", "dx": 3, "fontSize": 9, "color": "#333"},
             "encoding": {**encoding, "text": vl.nominal("text")}},
        ],
        width=WIDTH - 300, height=max(60, 22 * len(rows)),
    )
