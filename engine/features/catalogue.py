"""The customer-feature catalogue: one entry per feature, with its requirements and its computation.

Adding a customer feature is one :class:`~engine.results.FeatureDef` in
:data:`FEATURES` (plus its persona wording in :mod:`engine.narrative`, if any):
``needs`` lists the canonical columns it requires, which decides where it is
offered (:func:`engine.features.matrix.available_features`) and computed;
``compute`` takes the lines grouped by customer (:class:`engine.features.aggregate.CustomerLines`,
which computes shared aggregates such as orders, first and last purchase day
or purchase revenue once) and returns one value per customer, as an array in
``lines.ids`` order or a Series indexed by customer id. A ``compute`` reads only
those named per-customer aggregates (and the scalars ``reference`` and
``typical_repeat_gap``), never the lines themselves: Spark mode computes the same
aggregates with Spark and runs these very functions on them
(:mod:`engine.spark.features`), so each feature has one definition. Entries with unit
"category" are profile attributes, not numbers to cluster on.

Conventions: the reference date is the day after the last date in the data
unless the analyst gives one; return lines are netted out of monetary and
total_quantity but never count as orders or purchases.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from engine.results import FeatureDef

if TYPE_CHECKING:
    from engine.features.aggregate import CustomerLines

SHARE_PREFIX = "share_"


def _tenure(lines: CustomerLines) -> np.ndarray:
    start = np.fmin(lines.signup_day, lines.first_day)  # the earlier: some customers buy before they sign up
    return np.clip(lines.reference - start, 0, None)


def repeat_gap(lines: CustomerLines) -> np.ndarray:
    """Mean days between distinct purchase days, for customers with two or more (NaN for the others)."""
    days = lines.purchase_days
    return np.where(days >= 2, (lines.last_day - lines.first_day) / (days - 1), np.nan)


def _mean_days_between_orders(lines: CustomerLines) -> np.ndarray:
    gap = repeat_gap(lines)
    single = lines.purchase_days == 1
    gap[single] = np.maximum((lines.reference - lines.last_day)[single], lines.typical_repeat_gap)
    return gap


FEATURES: dict[str, FeatureDef] = {
    f.name: f
    for f in (
        FeatureDef("recency_days", "Recency", "Days from the last purchase to the reference date "
                   "(the day after the last date in the data, unless given).", "days", True,
                   ("customer_id", "date"), compute=lambda lines: lines.reference - lines.last_day),
        FeatureDef("frequency", "Frequency", "Distinct orders, return lines excluded (order id, else purchase "
                   "timestamp, else line).", "orders", True, ("customer_id",), additive=True,
                   compute=lambda lines: lines.frequency),
        FeatureDef("monetary", "Monetary", "Net revenue: purchases minus returns.", "currency", True,
                   ("customer_id", "amount"), additive=True, compute=lambda lines: lines.net_total("amount")),
        FeatureDef("total_quantity", "Total quantity", "Items bought minus items returned.", "items", True,
                   ("customer_id", "quantity"), additive=True,
                   compute=lambda lines: lines.net_total("quantity")),
        FeatureDef("avg_order_value", "Average order value", "Revenue of purchase lines divided by orders.",
                   "currency", True, ("customer_id", "amount"),
                   compute=lambda lines: lines.purchase_revenue / lines.orders),
        FeatureDef("avg_unit_price", "Average unit price", "Price paid per item, weighted by quantity "
                   "(purchase revenue / purchased items).", "currency", True, ("customer_id", "quantity", "amount"),
                   compute=lambda lines: np.where(lines.items > 0, lines.purchase_revenue / lines.items, np.nan)),
        FeatureDef("avg_items_per_order", "Items per order", "Purchased items divided by orders.", "items", True,
                   ("customer_id", "quantity"), compute=lambda lines: lines.items / lines.orders),  # a ratio: never totalled
        FeatureDef("tenure_days", "Tenure", "Days from the earlier of signup and first purchase to the reference date.",
                   "days", False, ("customer_id", "date"), compute=_tenure),
        FeatureDef("mean_days_between_orders", "Days between orders", "Mean gap between distinct purchase days; "
                   "with a single purchase day: the longer of the days since it and the median gap of repeat "
                   "customers.", "days", True, ("customer_id", "date"), compute=_mean_days_between_orders),
        FeatureDef("distinct_products", "Distinct products", "Different products bought.", "products", True,
                   ("customer_id", "product_id"), compute=lambda lines: lines.distinct_products),
        FeatureDef("region", "Region", "Customer's region or country (a profile attribute, not clustered on).",
                   "category", False, ("customer_id", "region"),
                   compute=lambda lines: lines.customer_attribute("region")),
    )
}
DEFAULT_CUSTOMER_FEATURES = (
    "recency_days", "frequency", "monetary", "avg_items_per_order", "avg_unit_price", "tenure_days",
)


def feature_def(name: str) -> FeatureDef | None:
    """Catalogue entry for ``name``, including the data-dependent ``share_<Category>`` features."""
    if name in FEATURES:
        return FEATURES[name]
    if name.startswith(SHARE_PREFIX):
        category = name[len(SHARE_PREFIX):].replace("_", " ")
        return FeatureDef(name, f"Share of spend: {category}", f"Part of purchase revenue spent on {category}.",
                          "share", False, ("customer_id", "amount", "category"))
    return None


def is_categorical(name: str) -> bool:
    """Whether ``name`` is a catalogue attribute shown in profiles rather than a number to cluster on."""
    entry = FEATURES.get(name)
    return entry is not None and entry.unit == "category"
