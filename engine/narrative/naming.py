"""Generated names, descriptions, strategies and KPIs for every cluster.

Personas are assigned across clusters at once, best fit first: every (cluster,
persona) pair whose rule holds gets a fit score, and the pairs are taken
greedily from the highest score down, each persona and each cluster used once.
So the most extreme spender gets "Champions", not whichever cluster came first.
A cluster whose only fitting personas are taken gets the best of them with a
qualifier ("Champions (II)"); a cluster no persona fits gets a descriptive name
from its two most distinctive features ("High spend, low order frequency").

Fit of a persona to a cluster = Σ over its ``rule`` conditions of
(1 + depth), depth = how far the score lies inside the allowed levels (capped
at :data:`DEPTH_CAP`), plus :data:`PRIORITY_WEIGHT` × priority. ``if_present``
conditions are guards: they must hold when their feature exists but add nothing.
"""

from __future__ import annotations

import math

import pandas as pd

from engine.narrative.levels import (
    LEVELS,
    distinctive_features,
    feature_levels,
    level_interval,
    levels_by_cluster,
)
from engine.narrative.playbook import Condition, Persona, Playbook, load_playbook
from engine.narrative.text import (
    capitalise,
    fmt_count,
    fmt_number,
    fmt_pct,
    fmt_ratio,
    is_number,
    roman,
    unit_words,
)
from engine.results import NOISE, ClusterLabel, Profile

DEPTH_CAP = 2.0
PRIORITY_WEIGHT = 0.25
N_FACTS = 3  # numbers quoted per description
SHARE_PREFIX = "share_"


def generate_labels(profile: Profile, feature_labels: dict[str, str] | None = None) -> dict[int, ClusterLabel]:
    """Name, describe and give strategies to every cluster of ``profile`` (noise included, as "Unassigned").

    Parameters
    ----------
    profile : Profile
        Per-cluster tables (engine.profiles.profile_clusters).
    feature_labels : dict, optional
        Feature name -> human label; defaults to the labels the profile carries.
    """
    playbook = load_playbook()
    labels_of = {**profile.feature_labels, **(feature_labels or {})}
    levels = feature_levels(profile)
    by_cluster = levels_by_cluster(levels)
    assignment = assign_personas(profile, by_cluster, playbook)
    one, many = unit_words(profile.unit)
    fmt = {"unit": one, "units": many, "Units": capitalise(many)}
    out: dict[int, ClusterLabel] = {}
    for cluster in profile.summary.index:
        cluster = int(cluster)
        rows = by_cluster.get(cluster, {})
        if cluster == NOISE:
            spec = playbook.unassigned
            out[cluster] = ClusterLabel(
                cluster=cluster, name=str(spec["name"]),
                description=_fill(spec["description"], fmt) + " " + _size_sentence(profile, cluster),
                strategies=[_fill(s, fmt) for s in spec.get("strategies") or []],
                kpis=[_fill(k, fmt) for k in spec.get("kpis") or []],
            )
            continue
        distinctive = distinctive_features(profile, cluster, n=len(profile.features), levels=levels)
        persona, qualifier = assignment.get(cluster, (None, 0))
        if persona is not None:
            name = persona.name + (f" ({roman(qualifier)})" if qualifier > 1 else "")
            lead = _fill(persona.description, fmt)
            evidence = [f for f in (_present_feature(c, rows) for c in persona.rule)
                        if f and rows[f]["level"] != "average"]
            strategies, kpis = list(persona.strategies), list(persona.kpis)
        else:
            traits = [trait(f, rows[f]["level"], labels_of, playbook) for f in distinctive
                      if rows[f]["level"] != "average"][:2]
            name = capitalise(", ".join(traits)) if traits else "Average profile"
            lead = _fill(playbook.fallback["description"], {**fmt, "traits": " and ".join(traits)}) if traits else (
                f"{capitalise(many)} close to the typical {one} on every clustered feature.")
            evidence = []
            feature_fill = {**fmt, "feature": traits[0] if traits else "behaviour"}
            strategies = [_fill(s, feature_fill) for s in playbook.fallback["strategies"]]
            kpis = [_fill(k, fmt) for k in playbook.fallback.get("kpis") or []]
        notable = [f for f in distinctive if rows[f]["level"] != "average"] or distinctive[:2]
        quoted = list(dict.fromkeys(evidence + notable))[:N_FACTS]
        facts = [fact(f, rows[f], labels_of, playbook, one) for f in quoted]
        description = " ".join(
            part for part in (lead, capitalise("; ".join(facts)) + "." if facts else "", _size_sentence(profile, cluster))
            if part
        )
        out[cluster] = ClusterLabel(
            cluster=cluster, name=name, description=description, strategies=[_fill(s, fmt) for s in strategies],
            kpis=[_fill(k, fmt) for k in kpis], persona=persona.key if persona else None, distinctive=distinctive[:3],
        )
    return _unique_names(out)


def assign_personas(
    profile: Profile, by_cluster: dict[int, dict[str, dict]], playbook: Playbook | None = None
) -> dict[int, tuple[Persona, int]]:
    """Best-fit persona per cluster: {cluster: (persona, n)}, n = 1 for the first holder, 2 for "(II)" …"""
    playbook = playbook or load_playbook()
    clusters = [int(c) for c in profile.summary.index if int(c) != NOISE]
    candidates = []
    for cluster in clusters:
        for persona in playbook.personas.values():
            score = persona_fit(persona, by_cluster.get(cluster, {}))
            if score is not None:
                candidates.append((-score, -persona.priority, cluster, persona.key))
    candidates.sort()
    assigned: dict[int, tuple[Persona, int]] = {}
    used: dict[str, int] = {}
    for _, _, cluster, key in candidates:  # each persona once, best fits first
        if cluster not in assigned and key not in used:
            assigned[cluster] = (playbook.personas[key], 1)
            used[key] = 1
    for _, _, cluster, key in candidates:  # only taken personas fit: best of them, with a qualifier
        if cluster not in assigned:
            used[key] += 1
            assigned[cluster] = (playbook.personas[key], used[key])
    return assigned


def persona_fit(persona: Persona, rows: dict[str, dict]) -> float | None:
    """How well a cluster's levels fit a persona's rule; None when the rule does not hold."""
    total = 0.0
    for condition in persona.rule:
        depth = condition_depth(condition, rows)
        if depth is None:
            return None
        total += 1.0 + min(depth, DEPTH_CAP)
    for condition in persona.if_present:
        present = any(f in rows for f in condition.features)
        if present and condition_depth(condition, rows) is None:
            return None
    return total + PRIORITY_WEIGHT * persona.priority


def condition_depth(condition: Condition, rows: dict[str, dict]) -> float | None:
    """Distance of the score inside the allowed levels (best alternative); None if no present feature fits."""
    best = None
    for feature in condition.features:
        row = rows.get(feature)
        if row is None or row["level"] not in condition.levels:
            continue
        low, high = _run_bounds(row["level"], condition.levels)
        distances = [d for d in (row["score"] - low, high - row["score"]) if math.isfinite(d)]
        depth = max(min(distances), 0.0) if distances else 0.0
        best = depth if best is None else max(best, depth)
    return best


def trait(feature: str, level: str, labels: dict[str, str], playbook: Playbook) -> str:
    """Words for a feature at a level, direction-aware for recency and tenure ("long since last order")."""
    wording = playbook.features.get(feature)
    if wording is not None and level in wording.words:
        return wording.words[level]
    noun = wording.short if wording is not None else labels.get(feature, feature)
    return f"{level} {noun}"


def fact(feature: str, row: dict, labels: dict[str, str], playbook: Playbook, unit: str) -> str:
    """A fragment quoting the cluster's value, the population's and their ratio for one feature."""
    by_median = row["basis"] == "median ratio"
    stat = "median" if by_median else "average"
    value = row["cluster_median"] if by_median else row["cluster_mean"]
    overall = row["population_median"] if by_median else row["population_mean"]
    ratio = row["ratio"]
    label = labels.get(feature, feature)
    if feature.startswith(SHARE_PREFIX):
        return f"{label}: {stat} {fmt_pct(value)} vs {fmt_pct(overall)} overall"
    wording = playbook.features.get(feature)
    ratio_ok = is_number(ratio) and ratio > 0
    if wording is not None and (ratio_ok or "{ratio}" not in wording.fact):
        return wording.fact.format(
            stat=stat, a_stat=f"a {stat}" if by_median else f"an {stat}", value=fmt_number(value),
            overall=fmt_number(overall), ratio=fmt_ratio(ratio).rstrip("×"), unit=unit,
        )
    text = f"{label}: {stat} {fmt_number(value)} vs {fmt_number(overall)} overall"
    return text + (f" ({fmt_ratio(ratio)})" if ratio_ok else "")


# ---- helpers ---------------------------------------------------------------


def _run_bounds(level: str, allowed: tuple[str, ...]) -> tuple[float, float]:
    """Score bounds of the contiguous run of allowed levels that contains ``level``."""
    i = LEVELS.index(level)
    lo = hi = i
    while lo > 0 and LEVELS[lo - 1] in allowed:
        lo -= 1
    while hi < len(LEVELS) - 1 and LEVELS[hi + 1] in allowed:
        hi += 1
    return level_interval(LEVELS[lo])[0], level_interval(LEVELS[hi])[1]


def _present_feature(condition: Condition, rows: dict[str, dict]) -> str | None:
    """The alternative of a rule condition that holds (the evidence to quote)."""
    for feature in condition.features:
        if feature in rows and rows[feature]["level"] in condition.levels:
            return feature
    return None


def _size_sentence(profile: Profile, cluster: int) -> str:
    s = profile.summary.loc[cluster]
    _, many = unit_words(profile.unit)
    text = f"{fmt_count(s['size'])} {many} ({fmt_pct(s['share'])})"
    revenue_share = s.get("revenue_share", float("nan"))
    if is_number(revenue_share):
        text += f", {fmt_pct(revenue_share)} of revenue"
    return text + "."


class _Defaults(dict):
    def __missing__(self, key: str) -> str:  # unknown placeholders stay visible, never crash
        return "{" + key + "}"


def _fill(template: str, values: dict) -> str:
    return str(template).format_map(_Defaults(values))


def _unique_names(labels: dict[int, ClusterLabel]) -> dict[int, ClusterLabel]:
    """Second and later clusters with the same name (descriptive names can repeat) get "(II)", "(III)"."""
    seen: dict[str, int] = {}
    for cluster in sorted(labels, key=lambda c: (c == NOISE, c)):
        label = labels[cluster]
        key = label.name.lower()
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            label.name = f"{label.name} ({roman(seen[key])})"
    return labels


def labels_frame(labels: dict[int, ClusterLabel]) -> pd.DataFrame:
    """The labels as a table (cluster, name, persona, edited) for pages and debugging."""
    return pd.DataFrame(
        [{"cluster": c, "name": lab.name, "persona": lab.persona, "edited": lab.edited} for c, lab in labels.items()]
    )
