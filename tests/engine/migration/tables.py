"""Hand-built scorings of the same customers at two dates (the Scored.table shape of engine.model).

Numbers worked out by hand (from = 1 March 2024, to = 1 June 2024):

====  =====================  ======================  ==========================
id    at from: seg, revenue   at to: seg, revenue     what happened
====  =====================  ======================  ==========================
c01   0, 1000                0, 1400                 stayed, +400
c02   0, 800                 1, 800                  0 -> 1, quiet
c03   0, 900                 1, 900                  0 -> 1, quiet
c04   0, 700                 2, 760                  0 -> 2, +60
c05   1, 100                 1, 100                  stayed, quiet
c06   1, 150                 0, 950                  1 -> 0, +800
c07   2, 300                 2, 280                  stayed, -20 (a return)
c08   2, 250                 1, 250                  2 -> 1, quiet
c09   2, 200                 2, 260                  stayed, +60
c10   2, 50                  (absent)                gone
c11   (absent)               2, 120                  appeared, +120
c12   (absent)               0, 600                  appeared, +600
c13   (absent)               2, 80                   appeared, +80
====  =====================  ======================  ==========================
"""

from __future__ import annotations

import pandas as pd

SEGMENTS = {0: "Loyal regulars", 1: "At risk", 2: "Occasional buyers"}
START, END = "2024-03-01", "2024-06-01"


def scored(rows: dict[str, tuple]) -> pd.DataFrame:
    """A Scored.table: id -> (segment, revenue, last purchase)."""
    table = pd.DataFrame(
        {"segment": [r[0] for r in rows.values()],
         "segment_name": [SEGMENTS.get(r[0], f"Cluster {r[0]}") for r in rows.values()],
         "distance": 0.5, "outside": False,
         "revenue": [float(r[1]) for r in rows.values()],
         "last_date": pd.to_datetime([r[2] for r in rows.values()])},
        index=pd.Index(list(rows), name="customer_id"),
    )
    table["segment"] = table["segment"].astype(int)
    return table


def before() -> pd.DataFrame:
    return scored({
        "c01": (0, 1000, "2024-02-20"), "c02": (0, 800, "2024-02-25"), "c03": (0, 900, "2024-01-10"),
        "c04": (0, 700, "2024-02-01"), "c05": (1, 100, "2023-11-01"), "c06": (1, 150, "2023-12-01"),
        "c07": (2, 300, "2024-02-10"), "c08": (2, 250, "2024-01-15"), "c09": (2, 200, "2024-02-28"),
        "c10": (2, 50, "2023-10-01"),
    })


def after() -> pd.DataFrame:
    return scored({
        "c01": (0, 1400, "2024-05-20"), "c02": (1, 800, "2024-02-25"), "c03": (1, 900, "2024-01-10"),
        "c04": (2, 760, "2024-04-01"), "c05": (1, 100, "2023-11-01"), "c06": (0, 950, "2024-05-30"),
        "c07": (2, 280, "2024-04-10"), "c08": (1, 250, "2024-01-15"), "c09": (2, 260, "2024-03-15"),
        "c11": (2, 120, "2024-04-20"), "c12": (0, 600, "2024-05-01"), "c13": (2, 80, "2024-05-05"),
    })
