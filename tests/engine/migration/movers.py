"""Customers who change behaviour at a known date: the planted movers the migration table must find.

One transactions table (TransactionID, CustomerID, TransactionDate, Quantity, Price,
TotalValue) from 1 January 2023 to :data:`END`, with seven groups:

- ``loyal``: buy about every 10 days, big baskets, all along;
- ``at_risk``: bought like the loyal ones, then stopped 200-330 days before :data:`CHANGE`;
- ``occasional``: a small order every 45-90 days, all along;
- ``lapsed``: one to three small orders in the first half of 2023, nothing since;
- ``stoppers`` (planted): loyal until :data:`CHANGE`, nothing after it;
- ``starters`` (planted): occasional until :data:`CHANGE`, then an order about every 8 days, big baskets;
- ``new``: first order after :data:`CHANGE`.

A model built on the data up to :data:`CHANGE` sees loyal+stoppers, at risk,
occasional+starters and lapsed; scored again at :data:`END`, the stoppers should
slip from the loyal segment to the at-risk one and the starters move up from the
occasional segment to the loyal one, while everyone else stays.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

START = pd.Timestamp("2023-01-01")
CHANGE = pd.Timestamp("2024-06-30")  # the known date: stoppers stop, starters start
END = pd.Timestamp("2024-12-31")
GROUPS = {"loyal": 150, "at_risk": 120, "occasional": 200, "lapsed": 150, "stoppers": 60, "starters": 60, "new": 60}
PLANTED = ("stoppers", "starters")


def _every(rng, first: float, last: float, gap) -> list[float]:
    """Order days from ``first`` to ``last`` (days after START), successive gaps drawn by ``gap(rng)``."""
    days, day = [], first
    while day <= last:
        days.append(day)
        day += gap(rng)
    return days


def make_movers(seed: int = 11) -> tuple[pd.DataFrame, pd.Series]:
    """The transactions table and each customer's group (index CustomerID)."""
    rng = np.random.default_rng(seed)
    change, end = (CHANGE - START).days, (END - START).days
    frequent = lambda r: r.exponential(10.0) + 1  # noqa: E731 - one line each, read as a table
    heavy = lambda r: r.exponential(7.0) + 1  # noqa: E731
    rare = lambda r: r.uniform(45.0, 90.0)  # noqa: E731
    lines, groups = [], {}
    number = 0
    for group, size in GROUPS.items():
        for _ in range(size):
            number += 1
            customer = f"M{number:04d}"
            groups[customer] = group
            if group in ("loyal", "stoppers", "at_risk"):
                stop = {"loyal": end, "stoppers": change - rng.uniform(0, 7),
                        "at_risk": change - rng.uniform(200, 330)}[group]
                orders = [(d, 110.0) for d in _every(rng, rng.uniform(0, 60), stop, frequent)]
            elif group in ("occasional", "starters"):
                stop = end if group == "occasional" else change
                orders = [(d, 35.0) for d in _every(rng, rng.uniform(0, 60), stop, rare)]
                if group == "starters":
                    orders += [(d, 140.0) for d in _every(rng, change + rng.uniform(1, 10), end, heavy)]
            elif group == "lapsed":
                orders = [(d, 30.0) for d in np.sort(rng.uniform(0, 180, rng.integers(1, 4)))]
            else:  # new
                orders = [(d, 50.0) for d in _every(rng, change + rng.uniform(1, end - change - 30), end,
                                                     lambda r: r.uniform(20, 40))]
            for day, price in orders:
                quantity = int(rng.integers(1, 4))
                unit = round(float(price * np.exp(rng.normal(0, 0.25))), 2)
                when = START + pd.Timedelta(days=float(day)) + pd.Timedelta(hours=int(rng.integers(8, 20)))
                lines.append((customer, min(when, END), quantity, unit))
    table = pd.DataFrame(lines, columns=["CustomerID", "TransactionDate", "Quantity", "Price"])
    table = table.sort_values(["TransactionDate", "CustomerID"], kind="stable").reset_index(drop=True)
    table.insert(0, "TransactionID", [f"T{i + 1:06d}" for i in range(len(table))])
    table["TotalValue"] = (table["Quantity"] * table["Price"]).round(2)
    table["TransactionDate"] = table["TransactionDate"].dt.strftime("%Y-%m-%d %H:%M:%S")
    return table, pd.Series(groups, name="group").rename_axis("CustomerID")
