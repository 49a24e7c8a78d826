"""Absolute measures for persona rules and claims: what a level relative to the base cannot say.

Levels compare a cluster with the whole base, so in a cohort (every customer
first bought in the same quarter) the cluster that started a few days later
than the rest still reads "low tenure" relative to it. A status word such as
"new" or "lapsed" also needs an absolute anchor: new customers first bought in
the newest part of the data window; lapsed customers have gone quiet for well
over the base's typical gap between orders.

Each :class:`Measure` turns one cluster's rows of ``feature_levels`` (and the
profile's data window) into a number; a playbook entry bounds it
(``absolute: {tenure_days_share_of_window: {max: 0.25}}``). A measure that
cannot be computed (feature not profiled, window unknown) is None and its
condition is skipped, like an ``if_present`` guard: without dates there is no
tenure and nothing to contradict. Adding a measure is one entry in
:data:`MEASURES`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from engine.formatting import approx, pct, ratio
from engine.results import Profile

GAP_FEATURE = "mean_days_between_orders"


@dataclass(frozen=True)
class Measure:
    """A number about one cluster, with the words a warning uses to quote it."""

    key: str
    feature: str  # the feature a warning names
    compute: Callable[[dict[str, dict], Profile | None], float | None]
    describe: Callable[[float, dict[str, dict], Profile | None], str]  # "its median tenure is …"
    bound: Callable[[str, float], str]  # ("min" | "max", threshold) -> what the claim needs


@dataclass(frozen=True)
class AbsoluteCondition:
    """``measure`` must lie in [minimum, maximum] (either bound may be None) when it can be computed.

    ``required``: the condition fails when the measure cannot be computed (a
    persona that *is* the absolute statement, e.g. "quiet since their first
    orders", must not be given without dates).
    """

    measure: str
    minimum: float | None = None
    maximum: float | None = None
    required: bool = False

    def holds(self, value: float) -> bool:
        return (self.minimum is None or value >= self.minimum) and (self.maximum is None or value <= self.maximum)


def _median(rows: dict[str, dict], feature: str) -> float | None:
    row = rows.get(feature)
    if row is None:
        return None
    value = float(row["cluster_median"])
    return value if math.isfinite(value) else None


def _population_median(rows: dict[str, dict], feature: str) -> float | None:
    row = rows.get(feature)
    if row is None:
        return None
    value = float(row["population_median"])
    return value if math.isfinite(value) else None


def _window(profile: Profile | None) -> float | None:
    window = getattr(profile, "window_days", None)
    if window is None or not math.isfinite(float(window)) or float(window) <= 0:
        return None
    return float(window)


def _tenure_share(rows, profile):
    tenure, window = _median(rows, "tenure_days"), _window(profile)
    return None if tenure is None or window is None else tenure / window


def _tenure_below_base(rows, profile):
    tenure, overall = _median(rows, "tenure_days"), _population_median(rows, "tenure_days")
    return None if tenure is None or overall is None else overall - tenure


def _recency_share(rows, profile):
    recency, window = _median(rows, "recency_days"), _window(profile)
    return None if recency is None or window is None else recency / window


def _recency_over_gap(rows, profile):
    recency, gap = _median(rows, "recency_days"), _population_median(rows, GAP_FEATURE)
    return None if recency is None or gap is None or gap <= 0 else recency / gap


def _share_of_base(rows, profile):
    if profile is None or not rows or "share" not in getattr(profile.summary, "columns", ()):
        return None
    cluster = next(iter(rows.values())).get("cluster")
    return float(profile.summary.loc[cluster, "share"]) if cluster in profile.summary.index else None


MEASURES: dict[str, Measure] = {m.key: m for m in (
    Measure(
        "tenure_days_share_of_window", "tenure_days", _tenure_share,
        lambda v, rows, p: (f"its median tenure is {approx(_median(rows, 'tenure_days'))} days, "
                            f"{pct(v)} of the {approx(_window(p))}-day data window"),
        lambda side, t: (f"first purchases in the newest {pct(t)} of the window" if side == "max"
                         else f"at least {pct(t)} of the window"),
    ),
    Measure(
        "tenure_days_below_base", "tenure_days", _tenure_below_base,
        lambda v, rows, p: (f"its median tenure of {approx(_median(rows, 'tenure_days'))} days is "
                            f"{approx(v)} days shorter than the overall median of "
                            f"{approx(_population_median(rows, 'tenure_days'))}"),
        lambda side, t: (f"a tenure at least {approx(t)} days shorter than the overall median" if side == "min"
                         else f"at most {approx(t)} days shorter"),
    ),
    Measure(
        "recency_days_share_of_window", "recency_days", _recency_share,
        lambda v, rows, p: (f"its median last order is {approx(_median(rows, 'recency_days'))} days before the "
                            f"end of the data, {pct(v)} of the {approx(_window(p))}-day data window"),
        lambda side, t: (f"a last order in the older {pct(1 - t)} of the window" if side == "min"
                         else f"a last order in the newest {pct(t)} of the window"),
    ),
    Measure(
        "recency_days_over_base_gap", "recency_days", _recency_over_gap,
        lambda v, rows, p: (f"its median last order, {approx(_median(rows, 'recency_days'))} days before the "
                            f"end of the data, is only {ratio(v)} the overall median of "
                            f"{approx(_population_median(rows, GAP_FEATURE))} days between orders"),
        lambda side, t: (f"at least {ratio(t)} the typical gap between orders" if side == "min"
                         else f"at most {ratio(t)} the typical gap between orders"),
    ),
    Measure(  # "the best customers" cannot be most of the base: above the median they are the typical customer
        "share_of_base", "size", _share_of_base,
        lambda v, rows, p: f"it holds {pct(v)} of the base",
        lambda side, t: f"at least {pct(t)} of the base" if side == "min" else f"at most {pct(t)} of the base",
    ),
)}


def measure_value(key: str, rows: dict[str, dict], profile: Profile | None) -> float | None:
    """The measure for one cluster, or None when it cannot be computed."""
    value = MEASURES[key].compute(rows, profile)
    return float(value) if value is not None and math.isfinite(float(value)) else None


def failed_condition(
    conditions: tuple[AbsoluteCondition, ...], rows: dict[str, dict], profile: Profile | None
) -> tuple[AbsoluteCondition, float] | None:
    """The first condition that fails, with its value (NaN when a required measure is missing); None when all hold."""
    for condition in conditions:
        value = measure_value(condition.measure, rows, profile)
        if value is None and condition.required:
            return condition, float("nan")
        if value is not None and not condition.holds(value):
            return condition, value
    return None


def explain(condition: AbsoluteCondition, value: float, rows: dict[str, dict], profile: Profile | None) -> str:
    """"its median tenure is 478 days, 88% of the 545-day data window (needs …)" for a failed condition."""
    measure = MEASURES[condition.measure]
    if not math.isfinite(value):
        return f"{measure.feature} cannot be placed in the data window (the claim needs dates)"
    side, threshold = ("min", condition.minimum) if (
        condition.minimum is not None and value < condition.minimum) else ("max", condition.maximum)
    return f"{measure.describe(value, rows, profile)} (the claim needs {measure.bound(side, threshold)})"
