"""Report-level narrative: executive summary, business implications, monitoring and methodology.

Every sentence is built from the profile, the labels and the run's settings,
and every number in it carries its context (unit, statistic, what it is a share
of). Recency is always "before the end of the data", never before today.
"""

from __future__ import annotations

import pandas as pd

from engine.formatting import (
    algorithm_label,
    approx,
    counted,
    feature_label,
    integer,
    is_number,
    join_words,
    metric,
    pct,
    ratio,
    revenue_index,
    revenue_index_words,
    unit_words,
    with_article,
)
from engine.narrative.levels import feature_levels, levels_by_cluster
from engine.narrative.playbook import load_playbook
from engine.results import NOISE, ClusterLabel, Profile, Recommendation, Stability

ARI_WORDS = ((0.8, "stable"), (0.6, "moderately stable"), (-1.0, "unstable"))  # mean ARI >= cut
SIZE_ALERT_POINTS = 5  # percentage-point move in a segment's share that signals drift
CADENCE = ((45, "every month"), (120, "every quarter"), (float("inf"), "twice a year"))  # by median days between orders
WIN_BACK_PERSONAS = ("at_risk", "lapsed")  # a "high" recency is flagged for these; "very high" always


def executive_summary(
    profile: Profile, labels: dict[int, ClusterLabel], recommendation: Recommendation | None = None,
    stability: Stability | None = None, unit: str | None = None,
) -> list[str]:
    """Sentences for the front page: how many segments, which matter most, revenue concentration, stability.

    ``unit`` defaults to the profile's unit ("customer" or "row"), so counts are never mislabelled.
    """
    one, many = unit_words(unit or profile.unit)
    s = profile.summary
    ids = _cluster_ids(profile)
    name = _namer(labels)
    first = f"The {integer(profile.n_units)} {many} analysed fall into {counted(len(ids), 'segment')}"
    if NOISE in s.index:
        first += (f", plus {integer(s.loc[NOISE, 'size'])} {many} ({pct(s.loc[NOISE, 'share'])}) "
                  "that the density method left unassigned")
    sentences = [first + "."]
    if not ids:
        return sentences
    if _has_revenue(profile):
        by_revenue = sorted(ids, key=lambda c: (-s.loc[c, "revenue"], c))
        top = by_revenue[0]
        sentences.append(f"{name(top)} is the segment with the most revenue: {pct(s.loc[top, 'revenue_share'])} "
                         f"of revenue from {pct(s.loc[top, 'share'])} of {many}.")
        if len(by_revenue) >= 3:
            pair = by_revenue[:2]
            sentences.append(
                f"The top two segments by revenue ({name(pair[0])} and {name(pair[1])}) are "
                f"{pct(s.loc[pair, 'share'].sum())} of {many} and {pct(s.loc[pair, 'revenue_share'].sum())} "
                "of revenue.")
        largest = max(ids, key=lambda c: (s.loc[c, "size"], -c))
        if largest != top:
            conjunction = "but" if s.loc[largest, "revenue_share"] < s.loc[largest, "share"] else "and"
            sentences.append(f"The largest segment, {name(largest)}, is {pct(s.loc[largest, 'share'])} of "
                             f"{many} {conjunction} {pct(s.loc[largest, 'revenue_share'])} of revenue.")
    else:
        largest = max(ids, key=lambda c: (s.loc[c, "size"], -c))
        sentences.append(f"Revenue was not available, so segments are compared by size; the largest, "
                         f"{name(largest)}, is {pct(s.loc[largest, 'share'])} of {many}.")
    sentences += _recency_alerts(profile, labels, ids, name, many)
    if recommendation is not None:
        reason = f": {recommendation.reasons[0]}" if recommendation.reasons else "."
        sentences.append(f"The model-selection rule recommends {algorithm_label(recommendation.algorithm)} "
                         f"with k = {recommendation.k}{reason}")
    if stability is not None:
        sentences.append(_stability_sentence(stability, name))
    return sentences


def business_implications(profile: Profile, labels: dict[int, ClusterLabel]) -> dict[str, list[str]]:
    """Targeted marketing, resource allocation and product recommendations, one bullet per segment."""
    s = profile.summary
    _, many = unit_words(profile.unit)
    name = _namer(labels)
    ids = _cluster_ids(profile)
    if _has_revenue(profile):
        ids = sorted(ids, key=lambda c: (-s.loc[c, "revenue"], c))
    marketing = []
    for c in ids:
        strategies = labels[c].strategies if c in labels else []
        action = strategies[0] if strategies else "no strategy is recorded for this segment yet."
        marketing.append(f"{name(c)} ({pct(s.loc[c, 'share'])} of {many}): {action}")
    if _has_revenue(profile):
        allocation = []
        for c in ids:
            index = revenue_index(s.loc[c, "revenue_share"], s.loc[c, "share"])
            band = revenue_index_words(index)
            advice = f"earns {band}" if band else "has no revenue index"
            if band.endswith("above its size"):
                advice += ", so retention spend here protects the most revenue"
            elif band == "below its size":
                advice += ", so serve it through low-cost, automated channels"
            allocation.append(f"{name(c)}: {pct(s.loc[c, 'revenue_share'])} of revenue from "
                              f"{pct(s.loc[c, 'share'])} of {many} (revenue share {ratio(index)} its share "
                              f"of {many}); it {advice}.")
    else:
        allocation = ["Revenue was not available, so effort cannot be weighed against value; allocate by segment "
                      "size and the strategies above, and add revenue data to the next run."]
    products = []
    for c in ids:
        top = profile.top_categories.get(c) or []
        if top:
            listed = join_words([f"{cat} ({pct(share)})" for cat, share in top])
            products.append(f"{name(c)}: its largest categories by spend are {listed}; lead its campaigns with "
                            f"{top[0][0]}.")
    if not products:
        products = ["Product or category data was not provided, so no product recommendations are made."]
    return {"targeted_marketing": marketing, "resource_allocation": allocation, "product_recommendations": products}


def monitoring(profile: Profile, labels: dict[int, ClusterLabel], stability: Stability | None = None) -> list[str]:
    """What to watch after delivery: refresh cadence, segment sizes, key feature values, fragile segments."""
    s = profile.summary
    _, many = unit_words(profile.unit)
    name = _namer(labels)
    ids = _cluster_ids(profile)
    items = []
    gap = "mean_days_between_orders"
    if gap in profile.features and is_number(profile.population_median[gap]):
        days = float(profile.population_median[gap])
        cadence = next(word for limit, word in CADENCE if days <= limit)
        items.append(f"Re-score {many} against these segments {cadence}: the median {one_word(many)} orders "
                     f"{approx(days)} days apart. Re-run the full comparison at least once a year.")
    else:
        items.append(f"Re-score {many} against these segments every quarter and re-run the full comparison at "
                     "least once a year.")
    shares = join_words([f"{name(c)} {pct(s.loc[c, 'share'])}" for c in ids])
    items.append(f"Watch segment sizes (today: {shares} of {many}); a move of more than {SIZE_ALERT_POINTS} "
                 "percentage points means the customer base has shifted.")
    watched = [f for f in profile.clustered_on if f in profile.features][:3]
    if watched:
        by_cluster = levels_by_cluster(feature_levels(profile))
        wording = load_playbook().features
        parts = []
        for f in watched:
            row = by_cluster[ids[0]][f] if ids else None
            if row is None:
                continue
            by_median = row["basis"] == "median ratio"
            overall = row["population_median"] if by_median else row["population_mean"]
            noun = wording[f].noun if f in wording else feature_label(f, profile.feature_labels)
            parts.append(f"{noun} ({'median' if by_median else 'average'} {approx(overall)} today)")
        items.append(f"Watch each segment's {join_words(parts)}; when a segment's value moves past a "
                     "neighbouring segment's, its name and strategy may no longer fit.")
    if NOISE in s.index:
        items.append(f"Watch the unassigned share ({pct(s.loc[NOISE, 'share'])} of {many} today); if it grows, "
                     "the segments no longer cover the base.")
    if stability is None:
        items.append("Stability was not measured; run the bootstrap check before acting on small segments.")
    else:
        fragile = [c for c in ids if stability.verdicts.get(c) == "fragile"]
        for c in fragile:
            items.append(f"{name(c)} is fragile (mean Jaccard {metric(stability.jaccard.get(c), 'jaccard')} "
                         f"over {stability.n_resamples} resamples): treat its boundary as provisional and check it "
                         "again at the next refresh.")
        if not fragile:
            items.append(f"No segment was fragile across {stability.n_resamples} bootstrap resamples; re-check "
                         "stability at every refresh.")
    return items


def methodology(context: dict) -> list[str]:
    """Methodology sentences stating unit of analysis, features, scaling, algorithm and metrics together.

    ``context`` keys: rows, customers, unit, shape (Dataset.shape), date_min, date_max, features (labels),
    log (labels), scaling, algorithm (label), k, reasons, metrics, seed (optional); as_of and lines_after
    (optional: an analysis date inside the data, and the lines dated after it that were left out).
    """
    unit = context.get("unit", "customer")
    one, many = unit_words(unit)
    rows, customers = context.get("rows"), context.get("customers")
    n_units = customers if unit == "customer" and customers is not None else rows
    span = _span(context.get("date_min"), context.get("date_max"))
    if unit == "customer":
        first = "Unit of analysis: the customer."
        if context.get("shape") == "customer_table" and customers is not None:
            first += (f" The data already holds one row per customer ({integer(customers)} customers); "
                      "nothing was aggregated, and every count in this report is customers.")
        elif rows is not None and customers is not None:
            first += (f" {integer(rows)} transaction lines{span} were aggregated into one row per customer, "
                      f"{integer(customers)} customers in all; every count in this report is customers.")
    else:
        first = ("Unit of analysis: the row. " + (f"The {integer(rows)} rows{span} " if rows is not None else
                 "The rows ") + "were clustered as they are, so every count in this report is rows, not customers.")
    out = [first]
    if unit == "customer" and context.get("as_of") is not None:  # an analysis date inside the data
        out.append(f"Recency and tenure are counted in days before the analysis date ({_date(context['as_of'])}, "
                   f"the end of the data in this report), not before today; the "
                   f"{integer(context.get('lines_after', 0))} transaction lines dated after it were left out, as they "
                   "belong to a later period.")
    elif unit == "customer" and context.get("date_max") is not None:
        out.append(f"Recency and tenure are counted in days before the end of the data "
                   f"({_date(context['date_max'])}), not before today.")
    features = list(context.get("features") or [])
    out.append(f"Features ({len(features)}): {join_words(features)}." if features else "No features were recorded.")
    log = list(context.get("log") or [])
    out.append(f"Before scaling, log1p was applied to {join_words(log)} so that a few very large values do not "
               "dominate the distances." if log else "No log transform was applied.")
    from engine.features.scaling import scaling_sentence  # lazy: it imports scikit-learn

    scaling = context.get("scaling", "none")
    out.append(scaling_sentence(scaling))
    algorithm, k = context.get("algorithm", "the chosen algorithm"), context.get("k")
    seed = context.get("seed")
    out.append(f"Algorithm: {algorithm} with {k} clusters" + (f" (random seed {seed})." if seed is not None else "."))
    reasons = [r for r in context.get("reasons") or [] if r]
    if reasons:
        out.append("Why this model: " + " ".join(reasons))
    metric_text = _metric_list(context.get("metrics") or {})
    if metric_text:
        units_text = f"{integer(n_units)} {many}" if n_units is not None else many
        out.append(f"On the {len(features)} {_scaled(scaling)} features of the {units_text}, {algorithm} with "
                   f"k = {k} scored {metric_text}.")
    return out


# ---- helpers ---------------------------------------------------------------

def one_word(many: str) -> str:
    return many[:-1] if many.endswith("s") else many


def _scaled(scaling: str) -> str:
    return "unscaled" if scaling == "none" else {"minmax": "min-max"}.get(scaling, scaling) + "-scaled"


def _cluster_ids(profile: Profile) -> list[int]:
    return [int(c) for c in profile.summary.index if int(c) != NOISE]


def _has_revenue(profile: Profile) -> bool:
    s = profile.summary
    return "revenue" in s and s["revenue"].notna().any() and "revenue_share" in s and s["revenue_share"].notna().any()


def _namer(labels: dict[int, ClusterLabel]):
    def name(cluster: int) -> str:
        label = labels.get(cluster)
        if label is not None and label.name:
            return label.name
        return "Unassigned" if cluster == NOISE else f"Cluster {cluster}"

    return name


def _recency_alerts(profile: Profile, labels: dict[int, ClusterLabel], ids: list[int], name, many: str) -> list[str]:
    """Segments whose last order lies long before the end of the data, with their share of revenue."""
    if "recency_days" not in profile.features:
        return []
    rows = levels_by_cluster(feature_levels(profile))
    out = []
    for c in ids:
        row = rows[c]["recency_days"]
        persona = labels[c].persona if c in labels else None
        if not (row["level"] == "very high" or (row["level"] == "high" and persona in WIN_BACK_PERSONAS)):
            continue
        by_median = row["basis"] == "median ratio"
        stat = "median" if by_median else "average"
        value = row["cluster_median"] if by_median else row["cluster_mean"]
        overall = row["population_median"] if by_median else row["population_mean"]
        revenue = (f", {pct(profile.summary.loc[c, 'revenue_share'])} of revenue"
                   if _has_revenue(profile) else "")
        out.append(f"{name(c)} ({pct(profile.summary.loc[c, 'share'])} of {many}{revenue}) last ordered "
                   f"{with_article(stat)} {approx(value)} days before the end of the data, against an overall {stat} of "
                   f"{approx(overall)}: a win-back priority.")
    return out


def _stability_sentence(stability: Stability, name) -> str:
    word = next(w for cut, w in ARI_WORDS if stability.ari_mean >= cut)
    text = (f"Across {stability.n_resamples} bootstrap resamples the segments were {word} (mean adjusted Rand "
            f"index {metric(stability.ari_mean, 'ari')})")
    fragile = [name(c) for c, v in sorted(stability.verdicts.items()) if v == "fragile"]
    if fragile:
        text += f"; {join_words(fragile)} {'is' if len(fragile) == 1 else 'are'} fragile"
    return text + "."


def _metric_list(metrics: dict) -> str:
    from engine.clustering.metrics import METRICS

    parts = []
    for key, value in metrics.items():
        if not is_number(value):
            continue
        entry = METRICS.get(key)
        if entry is None:
            parts.append(f"{key.replace('_', ' ')} {metric(value, key)}")
            continue
        parts.append(f"{entry.label} {metric(value, key)} ({entry.direction})")
    return join_words(parts)


def _date(value) -> str:
    return pd.Timestamp(value).strftime("%Y-%m-%d")


def _span(date_min, date_max) -> str:
    if date_min is None or date_max is None:
        return ""
    return f" dated {_date(date_min)} to {_date(date_max)}"
