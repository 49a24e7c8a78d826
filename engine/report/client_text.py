"""Plain words for the client body: feature names, level readings, warnings and prioritised actions.

Everything here is computed from the run (profile, levels, stability,
recommendation flags) and written for a reader who never saw the model: no
metric names, no algorithm keys, no project-file keys. The technical version of
each fact stays in the appendix.
"""

from __future__ import annotations

import math
import re

from engine.formatting import (
    approx,
    capitalise,
    integer,
    money,
    pct,
    revenue_index,
    revenue_index_words,
)
from engine.narrative.cautions import reading_cautions
from engine.report.context import ReportContext
from engine.results import NOISE

WIN_BACK_PERSONAS = ("at_risk", "lapsed")  # a "high" recency means win-back for these; "very high" always
THREE_LEVELS = {"very low": "Low", "low": "Low", "average": "Average", "high": "High", "very high": "High"}
# Words that must never reach the client body (checked by the tests on the rendered pages too).
JARGON = ("Davies", "Calinski", "silhouette", "Silhouette", "ARI", "adjusted Rand", "Jaccard", "bootstrap", "log1p",
          "PCA", "UMAP", "t-SNE", "inertia", "k = ")
PROJECT_KEY = re.compile(r"\b(?:data|features|clustering|labels|report)\.[a-z_]+")  # "clustering.choice"


def is_plain(text: str) -> bool:
    """True when the text holds no :data:`JARGON` word and no project-file key."""
    return not any(word in text for word in JARGON) and not PROJECT_KEY.search(text)


def plain(sentences: list[str]) -> list[str]:
    """The sentences that pass :func:`is_plain` (the rest belong in the appendix)."""
    return [s for s in sentences if is_plain(s)]


def has_revenue(ctx: ReportContext) -> bool:
    s = ctx.result.profile.summary
    return "revenue" in s and s["revenue"].notna().any() and "revenue_share" in s and s["revenue_share"].notna().any()


def segment_ids(ctx: ReportContext) -> list[int]:
    return [c for c in ctx.cluster_ids() if c != NOISE]


CLIENT_NOUNS = {"monetary": "spend", "frequency": "number of orders"}  # plainer than "net revenue", "order frequency"


def feature_name(ctx: ReportContext, feature: str) -> str:
    """A column header a client reads: "Spend", "Days since the last order", else the feature's label."""
    if feature in CLIENT_NOUNS:
        return capitalise(CLIENT_NOUNS[feature])
    wording = _wording().get(feature)
    if wording is None:
        return ctx.feature_label(feature)
    return capitalise(wording.noun if wording.words else wording.short)


def level_phrase(ctx: ReportContext, feature: str, level: str) -> str:
    """"Very high spend", or the feature's own words when a level is not good or bad by itself ("Recent last order")."""
    wording = _wording().get(feature)
    if wording is not None and level in wording.words:
        return capitalise(wording.words[level])
    short = wording.short if wording is not None else ctx.feature_label(feature).lower()
    return capitalise(f"{level} {short}")


def typical(row: dict) -> tuple[str, float, float]:
    """The statistic the level is read on ("median" or "average"), the segment's value and everyone's."""
    if row["basis"] == "median ratio":
        return "median", row["cluster_median"], row["population_median"]
    return "average", row["cluster_mean"], row["population_mean"]


def value_text(value, unit: str) -> str:
    """A feature value for a sentence: 427 days, 1,234 (money), 2.6 orders, 41%."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if unit == "days":
        return f"{integer(value)} day{'' if round(float(value)) == 1 else 's'}"
    if unit == "currency":
        return money(value, 0)
    if unit == "share":
        return pct(value)
    if unit in ("orders", "items", "products"):
        return f"{approx(value)} {unit if float(value) != 1 else unit[:-1]}"
    return approx(value)


def reading_warnings(ctx: ReportContext) -> list[str]:
    """The warnings that change how to read the report, in plain words (the appendix has the numbers).

    The same sentences as the Compare page's recommendation box (engine.narrative.cautions).
    """
    r = ctx.result
    return reading_cautions(r.dataset, r.features, r.recommendation, r.chosen, r.stability, ctx.names())


def actions(ctx: ReportContext) -> list[dict]:
    """One prioritised action per segment, tied to its numbers: protect, win back, grow or keep engaged.

    Priority: the segments to protect (most revenue first), then the others by
    revenue at stake (by size when revenue is unknown).
    """
    r = ctx.result
    s = r.profile.summary
    revenue = has_revenue(ctx)
    many = ctx.unit_many
    out = []
    for c in segment_ids(ctx):
        name = ctx.cluster_name(c)
        size, share = int(s.loc[c, "size"]), float(s.loc[c, "share"])
        rev = float(s.loc[c, "revenue"]) if revenue else None
        rev_share = float(s.loc[c, "revenue_share"]) if revenue else None
        index = revenue_index(rev_share, share) if revenue else math.nan
        band = revenue_index_words(index)  # the fixed bands of engine.formatting, as every table words them
        label = r.cluster_labels.get(c)
        persona = label.persona if label is not None else None
        recency = ctx.levels.get(c, {}).get("recency_days")
        who = f"{integer(size)} {many if size != 1 else ctx.unit_one} ({pct(share)} of {many})"
        money_part = f", {pct(rev_share)} of revenue" if revenue else ""
        if recency is not None and (recency["level"] == "very high"
                                    or (recency["level"] == "high" and persona in WIN_BACK_PERSONAS)):
            stat, value, overall = typical(recency)
            kind, title = "win back", f"Decide on a win-back for {name}"
            headline = (f"{integer(size)} {many} whose {stat} last order was {integer(value)} days before the "
                        "end of the data")
            detail = (f"{who}{money_part}; their {stat} last order was {integer(value)} days before the end of the "
                      f"data, against {integer(overall)} for all {many}. Test a reactivation offer on part of them "
                      "and roll it out only if it pays back.")
        elif band in ("well above its size", "above its size"):
            kind, title = "protect", f"Protect {name}"
            headline = f"{pct(rev_share)} of revenue from {pct(share)} of {many}"
            detail = (f"{who} bring {pct(rev_share)} of revenue ({money(rev, 0)}). Give their retention and "
                      "service the first call on the budget: losing a few of them costs more than any other segment.")
        elif band == "below its size":
            kind, title = "grow", f"Grow the value of {name}"
            headline = f"{pct(share)} of {many} but only {pct(rev_share)} of revenue"
            detail = (f"{who} bring only {pct(rev_share)} of revenue. Use low-cost, automated offers to raise "
                      "what they spend per order or how often they order.")
        elif band and index >= 1:
            kind, title = "develop", f"Develop {name}"
            headline = f"{pct(rev_share)} of revenue from {pct(share)} of {many}"
            detail = (f"{who} bring {pct(rev_share)} of revenue, a little more than their number. Test whether "
                      "what works for the most valuable segment also lifts them, before spending on them at scale.")
        else:
            kind, title = "keep", f"Keep {name} engaged"
            headline = f"{pct(share)} of {many}" + (f", {pct(rev_share)} of revenue" if revenue else "")
            detail = ((f"{who} bring {pct(rev_share)} of revenue, in line with their number" if revenue
                       else who) + ". Keep regular, low-cost contact and move them towards the habits of the more "
                      "valuable segments.")
        kpi = label.kpis[0] if label is not None and label.kpis else ""
        out.append({"cluster": c, "name": name, "kind": kind, "title": title, "headline": headline,
                    "detail": detail, "size": size,
                    "share": share, "revenue": rev, "revenue_share": rev_share, "kpi": kpi})
    key = (lambda a: (a["kind"] != "protect", -a["revenue"], a["cluster"])) if revenue else \
        (lambda a: (-a["size"], a["cluster"]))
    out.sort(key=key)
    for priority, action in enumerate(out, start=1):
        action["priority"] = priority
    return out


def _wording() -> dict:
    from engine.narrative.playbook import load_playbook

    return load_playbook().features
