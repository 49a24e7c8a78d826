"""Section builders of the client body: executive summary, segment overview, segment pages, actions, next steps.

Written for the person who pays for the report: numbers in plain words, a
High / Average / Low reading instead of standardised scores, decisions tied to
revenue at stake and customers reached. Model details live in the technical
appendix (:mod:`engine.report.section_appendix`).
"""

from __future__ import annotations

from engine.formatting import (
    integer,
    join_words,
    pct,
    revenue_index,
    revenue_index_legend,
    revenue_index_words,
)
from engine.report import client_text as ct
from engine.report.context import ReportContext
from engine.results import NOISE

MAX_DECISIONS = 5
MIN_DECISIONS = 3
KEY_FEATURES = ("monetary", "frequency", "recency_days")  # figures on a segment page, when present


def build_client_summary(ctx: ReportContext) -> dict:
    r = ctx.result
    s = r.profile.summary
    ids = ct.segment_ids(ctx)
    revenue = ct.has_revenue(ctx)
    many = ctx.unit_many
    who = ctx.options.client.strip()
    objective = ctx.options.objective.strip() or (
        f"To divide {who + '’s' if who else 'the'} {many} into a few groups that behave alike, so that marketing, "
        "service and budget can be aimed at each group, and to say which groups matter most.")
    found = [f"The {integer(ctx.n_units)} {many} analysed fall into {len(ids)} segment{'s' if len(ids) != 1 else ''}"
             + (f" that differ most in {join_words(_differing(ctx))}." if _differing(ctx) else ".")]
    if ids and revenue:
        top = max(ids, key=lambda c: (s.loc[c, "revenue"], -c))
        found.append(f"{ctx.cluster_name(top)} bring the most revenue: {pct(s.loc[top, 'revenue_share'])} of it "
                     f"from {pct(s.loc[top, 'share'])} of {many}.")
        largest = max(ids, key=lambda c: (s.loc[c, "size"], -c))
        if largest != top:
            found.append(f"The largest segment, {ctx.cluster_name(largest)}, is {pct(s.loc[largest, 'share'])} of "
                         f"{many} and brings {pct(s.loc[largest, 'revenue_share'])} of revenue.")
    elif ids:
        largest = max(ids, key=lambda c: (s.loc[c, "size"], -c))
        found.append(f"Revenue is not known for this data, so segments are compared by size and behaviour; the "
                     f"largest, {ctx.cluster_name(largest)}, is {pct(s.loc[largest, 'share'])} of {many}.")
    if NOISE in s.index:
        found.append(f"{integer(s.loc[NOISE, 'size'])} {many} ({pct(s.loc[NOISE, 'share'])}) fit no segment "
                     "and are reported apart as “Unassigned”.")
    actions = ct.actions(ctx)
    decisions = [{"title": a["title"], "detail": a["headline"] + "."} for a in actions[:MAX_DECISIONS]]
    if len(decisions) < MIN_DECISIONS:
        decisions.append({"title": "Tag every customer with their segment",
                          "detail": "and re-check the segments at each data refresh (see “Next steps and "
                                    "monitoring”)."})
    rows = [{"name": ctx.cluster_name(c), "size": int(s.loc[c, "size"]), "share": s.loc[c, "share"],
             "revenue": s.loc[c, "revenue"] if revenue else None,
             "revenue_share": s.loc[c, "revenue_share"] if revenue else None,
             "reading": revenue_index_words(revenue_index(s.loc[c, "revenue_share"], s.loc[c, "share"]))
             if revenue and s.loc[c, "share"] > 0 else ""}
            for c in (sorted(ids, key=lambda c: (-s.loc[c, "revenue"], c)) if revenue else ids)]
    return {"objective": objective, "found": found, "warnings": ct.reading_warnings(ctx), "rows": rows,
            "has_revenue": revenue, "bands": revenue_index_legend(ctx.unit_many), "total_revenue": float(s["revenue"].sum()) if revenue else None,
            "decisions": decisions}


def _differing(ctx: ReportContext) -> list[str]:
    """The (up to three) clustering features on which the most segments read other than average."""
    features = [f for f in ctx.result.profile.clustered_on if f in ctx.result.profile.features]
    counts = {f: sum(ctx.levels[c][f]["level"] != "average" for c in ct.segment_ids(ctx)) for f in features}
    ranked = sorted((f for f in features if counts[f] > 0), key=lambda f: (-counts[f], features.index(f)))
    return [ct.feature_name(ctx, f).lower() for f in ranked[:3]]


def build_segment_overview(ctx: ReportContext) -> dict:
    from engine.report.client_charts import segment_map_chart

    r = ctx.result
    p = r.profile
    s = p.summary
    revenue = ct.has_revenue(ctx)
    features = [f for f in p.clustered_on if f in p.features] or list(p.features)[:6]
    rows = []
    for c in ct.segment_ids(ctx):
        cells = []
        for f in features:
            level = ctx.levels[c][f]["level"]
            cells.append({"word": ct.THREE_LEVELS.get(level, level.capitalize()), "strong": level.startswith("very"),
                          "css": ct.THREE_LEVELS.get(level, "Average").lower()})
        rows.append({"name": ctx.cluster_name(c), "size": int(s.loc[c, "size"]), "share": s.loc[c, "share"],
                     "revenue_share": s.loc[c, "revenue_share"] if revenue else None, "cells": cells})
    spec = segment_map_chart(r.features.table, r.labels, ctx.names(), ctx.seed, ctx.unit_many)
    return {
        "features": [{"name": ct.feature_name(ctx, f)} for f in features],
        "rows": rows, "has_revenue": revenue,
        "chart": ctx.chart(spec, "segment_map") if spec is not None else None,
    }


def build_segment_pages(ctx: ReportContext) -> dict:
    r = ctx.result
    p = r.profile
    s = p.summary
    revenue = ct.has_revenue(ctx)
    by_cluster = {a["cluster"]: a for a in ct.actions(ctx)}
    segments = []
    for c in ctx.cluster_ids():
        label = r.cluster_labels.get(c)
        figures = [{"value": integer(s.loc[c, "size"]), "label": ctx.unit_many, "note": ""},
                   {"value": pct(s.loc[c, "share"]), "label": f"of {ctx.unit_many}", "note": ""}]
        if revenue:
            figures.append({"value": pct(s.loc[c, "revenue_share"]), "label": "of revenue", "note": ""})
        for f in (f for f in KEY_FEATURES if f in p.features and c != NOISE):
            stat, value, overall = ct.typical(ctx.levels[c][f])
            unit = ctx.feature_unit(f)
            figures.append({"value": ct.value_text(value, unit),
                            "label": f"{stat} {ct.feature_name(ctx, f).lower()}",
                            "note": f"all {ctx.unit_many}: {ct.value_text(overall, unit)}"})
        keys = list(label.distinctive) if label is not None and label.distinctive else []
        if not keys and c != NOISE:
            from engine.narrative.levels import distinctive_features

            keys = distinctive_features(p, c, n=3)
        apart = []
        for f in [f for f in keys if f in p.features][:4]:
            row = ctx.levels[c][f]
            stat, value, overall = ct.typical(row)
            unit = ctx.feature_unit(f)
            apart.append(f"{ct.level_phrase(ctx, f, row['level'])}: {stat} {ct.value_text(value, unit)}, against "
                         f"{ct.value_text(overall, unit)} for all {ctx.unit_many}.")
        fragile = r.stability is not None and r.stability.verdicts.get(c) == "fragile"
        segments.append({
            "id": c, "anchor": f"segment-{c}" if c >= 0 else "segment-noise", "name": ctx.cluster_name(c),
            "description": (label.description if label is not None else
                            f"{ctx.unit_many.capitalize()} that fit no segment." if c == NOISE else ""),
            "figures": figures, "apart": apart,
            "strategies": list(label.strategies)[:3] if label is not None else [],
            "kpis": list(label.kpis)[:2] if label is not None else [],
            "categories": list(p.top_categories.get(c, []))[:4],
            "priority": by_cluster[c]["priority"] if c in by_cluster else None,
            "fragile": fragile,
        })
    return {"segments": segments}


def build_actions(ctx: ReportContext) -> dict:
    actions = ct.actions(ctx)
    revenue = ct.has_revenue(ctx)
    top = actions[:2]
    reach = sum(a["size"] for a in top)
    summary = ""
    if top:
        summary = (f"The first {len(top)} priorities reach {integer(reach)} {ctx.unit_many} "
                   f"({pct(reach / ctx.n_units)} of all)"
                   + (f" and {pct(sum(a['revenue_share'] for a in top))} of revenue" if revenue else "") + ".")
        if len(top) == 1:
            summary = summary.replace("The first 1 priorities reach", "The first priority reaches")
    return {"actions": actions, "has_revenue": revenue, "summary": summary}


def build_next_steps(ctx: ReportContext) -> dict:
    r = ctx.result
    actions = ct.actions(ctx)
    first = actions[0] if actions else None
    steps = [
        "Agree the segment names and the priorities above with the teams that will act on them "
        "(marketing, service, finance).",
        f"Tag every {ctx.unit_one} with their segment in the customer database: the assignments file delivered "
        "with this report lists each one.",
    ]
    if first is not None:
        steps.append(f"Start with priority 1 ({first['title'][0].lower() + first['title'][1:]}): run it on part of "
                     "the segment and keep a comparable group untouched, so the effect can be measured"
                     + (f" on {first['kpi'][0].lower() + first['kpi'][1:]}." if first["kpi"] else "."))
    steps.append("Review the result after one cycle, keep what paid back and move on to the next priority.")
    monitoring = ct.plain(list(r.narrative.get("monitoring", [])))
    if r.stability is not None:
        fragile = [ctx.cluster_name(c) for c in ct.segment_ids(ctx) if r.stability.verdicts.get(c) == "fragile"]
        if fragile:
            monitoring.append(f"Re-check {join_words(fragile)} at the next refresh before changing "
                              f"{'its' if len(fragile) == 1 else 'their'} budget: "
                              f"{'it is' if len(fragile) == 1 else 'they are'} the least firm.")
    return {"steps": steps, "monitoring": monitoring}
