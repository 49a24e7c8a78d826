"""The RFM baseline: quantile scores and the standard named segments.

Recency, frequency and monetary value are each scored 1 (worst) to ``bins``
(best) by quantile, or by the analyst's cut points. The segment of a customer
comes from :data:`RULES`, a visible table of score ranges read top to bottom
(first match wins). It is the baseline the clustering has to beat, so it is
scored with the same metrics on the same matrix.

Ties never straddle a bin: a value's score is set by the share of customers
with a *strictly lower* value, so all one-time buyers score the same. When
more than one bin's worth of customers share one value (typically
frequency = 1), some scores stay empty; that is reported as a sentence in
``notes`` rather than hidden by splitting equal customers arbitrarily.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from engine.errors import InputError

RFM_COLUMNS = ("recency_days", "frequency", "monetary")
_NAMES = {"recency_days": "Recency", "frequency": "Frequency", "monetary": "Monetary"}


@dataclass(frozen=True)
class SegmentRule:
    """Customers whose R score and FM score (mean of F and M) fall in both ranges (inclusive)."""

    segment: str
    r_min: int
    r_max: int
    fm_min: float
    fm_max: float
    description: str


# Scores are on the 1-5 scale (other bin counts are mapped onto it). The rows
# cover every (R, FM) pair, so every customer gets exactly one segment.
RULES: tuple[SegmentRule, ...] = (
    SegmentRule("Champions", 4, 5, 4.0, 5.0, "Bought recently, buy often and spend the most."),
    SegmentRule("Loyal", 3, 5, 3.0, 5.0, "Buy regularly and spend well; respond to recognition."),
    SegmentRule("Potential loyalist", 4, 5, 2.0, 2.5, "Recent customers with average frequency and spend."),
    SegmentRule("New customers", 5, 5, 1.0, 1.5, "Bought very recently, but only once or twice and little."),
    SegmentRule("Promising", 4, 4, 1.0, 1.5, "Recent shoppers who have not bought much yet."),
    SegmentRule("Need attention", 3, 3, 2.0, 2.5, "Average on all three; slipping without a reason to return."),
    SegmentRule("About to sleep", 3, 3, 1.0, 1.5, "Below average and fading; lost unless reactivated soon."),
    SegmentRule("Can't lose them", 1, 1, 4.0, 5.0, "Used to buy often and spend the most, but not for a long time."),
    SegmentRule("At risk", 1, 2, 3.0, 5.0, "Spent well and often, but long ago."),
    SegmentRule("Hibernating", 2, 2, 1.0, 2.5, "Last bought long ago, few orders and low spend."),
    SegmentRule("Lost", 1, 1, 1.0, 2.5, "Lowest recency, frequency and spend."),
)
SEGMENTS: tuple[str, ...] = tuple(rule.segment for rule in RULES)


@dataclass
class RFMResult:
    """RFM scores, segments and how the bins were cut."""

    scores: pd.DataFrame  # r_score, f_score, m_score (1..bins), fm_score (1-5 scale), segment
    segments: pd.Series  # segment name per unit (index of the context)
    labels: np.ndarray  # position of the segment in SEGMENTS, per unit
    edges: pd.DataFrame  # feature, score, low, high, units, share
    rules: pd.DataFrame  # RULES as a table for the report
    bins: int
    notes: list[str] = field(default_factory=list)  # collapsed bins, in sentences


def rule_table() -> pd.DataFrame:
    """RULES as a DataFrame (order matters: the first matching row wins)."""
    return pd.DataFrame(
        {
            "segment": [r.segment for r in RULES],
            "recency score": [f"{r.r_min}-{r.r_max}" if r.r_min != r.r_max else str(r.r_min) for r in RULES],
            "frequency+monetary score": [f"{r.fm_min:g}-{r.fm_max:g}" for r in RULES],
            "description": [r.description for r in RULES],
        }
    )


def segment_of(r5: np.ndarray, fm5: np.ndarray) -> np.ndarray:
    """Index into RULES of the first rule matching each (R, FM) pair on the 1-5 scale."""
    out = np.full(len(r5), -1)
    for i, rule in enumerate(RULES):
        hit = (out < 0) & (r5 >= rule.r_min) & (r5 <= rule.r_max) & (fm5 >= rule.fm_min) & (fm5 <= rule.fm_max)
        out[hit] = i
    return out


def quantile_scores(values: np.ndarray, bins: int, higher_is_better: bool = True) -> np.ndarray:
    """Score 1..bins from the share of units with a strictly worse value (ties share a score)."""
    v = np.asarray(values, dtype=float) if higher_is_better else -np.asarray(values, dtype=float)
    strictly_worse = rankdata(v, method="min") - 1
    return np.clip(1 + np.floor(bins * strictly_worse / len(v)).astype(int), 1, bins)


def cut_scores(values: np.ndarray, cuts: list[float], higher_is_better: bool = True) -> np.ndarray:
    """Score by the analyst's ascending cut points: (-inf, c1] → 1, (c1, c2] → 2, ... (reversed for recency)."""
    position = np.searchsorted(np.asarray(cuts, dtype=float), np.asarray(values, dtype=float), side="left")
    return position + 1 if higher_is_better else len(cuts) + 1 - position


def rfm_segments(context: pd.DataFrame, bins: int = 5, cuts: dict[str, list[float]] | None = None) -> RFMResult:
    """Score recency, frequency and monetary value and name the standard RFM segments.

    Parameters
    ----------
    context : DataFrame
        One row per customer with raw ``recency_days``, ``frequency`` and ``monetary``.
    bins : int
        Number of quantile bins per score (4 or 5 are usual).
    cuts : dict, optional
        Feature name → ascending cut points (``bins - 1`` of them) replacing quantiles
        for that feature, in the feature's own unit.
    """
    _validate(context, bins, cuts)
    cuts = cuts or {}
    scores = pd.DataFrame(index=context.index)
    for column, prefix in zip(RFM_COLUMNS, "rfm", strict=True):
        values = context[column].to_numpy(dtype=float)
        better_high = column != "recency_days"
        if column in cuts:
            scores[f"{prefix}_score"] = cut_scores(values, cuts[column], better_high)
        else:
            scores[f"{prefix}_score"] = quantile_scores(values, bins, better_high)
    r5, f5, m5 = (_to_five(scores[f"{p}_score"].to_numpy(), bins) for p in "rfm")
    fm5 = (f5 + m5) / 2.0
    labels = segment_of(r5, fm5)
    scores["fm_score"] = fm5
    scores["segment"] = np.asarray(SEGMENTS)[labels]
    edges, notes = _edges_and_notes(context, scores, bins, cuts)
    return RFMResult(
        scores=scores,
        segments=scores["segment"].copy(),
        labels=labels,
        edges=edges,
        rules=rule_table(),
        bins=bins,
        notes=notes,
    )


def customer_scores(context: pd.DataFrame, params: dict | None = None) -> pd.DataFrame | None:
    """``r_score, f_score, m_score, rfm_segment`` per customer, as the RFM baseline would score them.

    ``params`` is the baseline's ``clustering.params["rfm"]`` (``bins``, ``cuts``),
    so the scores match the comparison's RFM row. Customers missing one of the
    three values get no scores (the others are scored among themselves); None
    when the context has no RFM columns or no complete customer.
    """
    if context is None or not set(RFM_COLUMNS) <= set(context.columns):
        return None
    params = params or {}
    complete = context[list(RFM_COLUMNS)].notna().all(axis=1).to_numpy()
    if not complete.any():
        return None
    result = rfm_segments(context[complete], bins=params.get("bins", 5), cuts=params.get("cuts"))
    scores = result.scores[["r_score", "f_score", "m_score", "segment"]].rename(columns={"segment": "rfm_segment"})
    out = scores.reindex(context.index)
    for column in ("r_score", "f_score", "m_score"):
        out[column] = out[column].astype("Int64")
    return out


def _to_five(scores: np.ndarray, bins: int) -> np.ndarray:
    """Map 1..bins onto the 1-5 scale of RULES (rounded half up)."""
    if bins == 5:
        return scores.astype(float)
    return np.floor(1 + (scores - 1) * 4 / (bins - 1) + 0.5)


def _edges_and_notes(
    context: pd.DataFrame, scores: pd.DataFrame, bins: int, cuts: dict
) -> tuple[pd.DataFrame, list[str]]:
    rows, notes = [], []
    n_units = len(context)
    for column, prefix in zip(RFM_COLUMNS, "rfm", strict=True):
        values = context[column].to_numpy(dtype=float)
        s = scores[f"{prefix}_score"].to_numpy()
        for score in range(1, bins + 1):
            members = values[s == score]
            rows.append({
                "feature": column,
                "score": score,
                "low": float(members.min()) if len(members) else np.nan,
                "high": float(members.max()) if len(members) else np.nan,
                "units": int(len(members)),
                "share": len(members) / n_units,
            })
        empty = [score for score in range(1, bins + 1) if not (s == score).any()]
        if empty and column in cuts:
            notes.append(f"{_NAMES[column]}: no customer falls in score{'s' if len(empty) > 1 else ''} "
                         f"{_join(empty)} with the analyst's cut points {list(cuts[column])}.")
        elif empty:
            uniques, counts = np.unique(values, return_counts=True)
            top = counts.argmax()
            top_score = int(s[values == uniques[top]][0])
            notes.append(
                f"{_NAMES[column]}: {counts[top] / n_units:.0%} of customers share the value {uniques[top]:g}, "
                f"so {_NAMES[column].lower()} score{'s' if len(empty) > 1 else ''} {_join(empty)} "
                f"{'are' if len(empty) > 1 else 'is'} empty and those customers all score {top_score} "
                "(quantile bins cannot split tied values)."
            )
    return pd.DataFrame(rows), notes


def _join(numbers: list[int]) -> str:
    text = [str(x) for x in numbers]
    return text[0] if len(text) == 1 else ", ".join(text[:-1]) + " and " + text[-1]


def _validate(context: pd.DataFrame, bins: int, cuts: dict | None) -> None:
    missing = [c for c in RFM_COLUMNS if c not in getattr(context, "columns", [])]
    if missing:
        raise InputError(
            f"The RFM baseline needs {', '.join(missing)} per customer; use unit \"customer\" with "
            "transaction dates and amounts, or drop \"rfm\" from clustering.algorithms."
        )
    if len(context) == 0:
        raise InputError("The RFM baseline got no customers; check the data filters.")
    if not isinstance(bins, int) or isinstance(bins, bool) or not 3 <= bins <= 10:
        raise InputError(f"clustering.params.rfm.bins is {bins!r}; use a whole number from 3 to 10 (5 is usual).")
    for column in RFM_COLUMNS:
        if context[column].isna().any():
            raise InputError(f"Column {column} has missing values; the RFM baseline needs a value for every customer.")
    for column, points in (cuts or {}).items():
        if column not in RFM_COLUMNS:
            raise InputError(
                f"clustering.params.rfm.cuts has key {column!r}; allowed keys are {', '.join(RFM_COLUMNS)}."
            )
        ok = isinstance(points, list | tuple) and all(
            isinstance(x, int | float) and not isinstance(x, bool) for x in points
        )
        if not ok or len(points) != bins - 1 or any(b <= a for a, b in zip(points, points[1:], strict=False)):
            raise InputError(
                f"clustering.params.rfm.cuts.{column} is {points!r}; give {bins - 1} increasing numbers "
                f"(one fewer than bins = {bins})."
            )
