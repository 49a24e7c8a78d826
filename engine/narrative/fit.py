"""Persona fit: whether a cluster's levels meet a persona's rule, how deeply, and the best-fit assignment.

Personas are assigned across clusters at once, best fit first: every (cluster,
persona) pair whose rule holds gets a fit score, and the pairs are taken
greedily from the highest score down, each persona and each cluster used once.
So the most extreme spender gets "Champions", not whichever cluster came first.

Fit of a persona to a cluster = Σ over its ``rule`` conditions of
(1 + depth), depth = how far the score lies inside the allowed levels (capped
at :data:`DEPTH_CAP`), plus :data:`PRIORITY_WEIGHT` × priority. ``if_present``
conditions are guards: they must hold when their feature exists but add nothing;
``absolute`` conditions (engine/narrative/measures.py) likewise, when their
measure can be computed.
"""

from __future__ import annotations

import math

from engine.narrative.levels import LEVELS, level_interval
from engine.narrative.measures import failed_condition
from engine.narrative.playbook import Condition, Persona, Playbook, load_playbook
from engine.results import NOISE, Profile

DEPTH_CAP = 2.0
PRIORITY_WEIGHT = 0.25


def assign_personas(
    profile: Profile, by_cluster: dict[int, dict[str, dict]], playbook: Playbook | None = None,
    clusters: list[int] | None = None, accept=None,
) -> dict[int, tuple[Persona, int]]:
    """Best-fit persona per cluster: {cluster: (persona, n)}, n = 1 for the first holder, 2 for the second …

    ``clusters`` limits the clusters considered (default: all but noise);
    ``accept(cluster, persona)`` can veto a pair (generation vetoes wording the
    claims check rejects).
    """
    playbook = playbook or load_playbook()
    if clusters is None:
        clusters = [int(c) for c in profile.summary.index if int(c) != NOISE]
    candidates = []
    for cluster in clusters:
        for persona in playbook.personas.values():
            score = persona_fit(persona, by_cluster.get(cluster, {}), profile)
            if score is not None and (accept is None or accept(cluster, persona)):
                candidates.append((-score, -persona.priority, cluster, persona.key))
    candidates.sort()
    assigned: dict[int, tuple[Persona, int]] = {}
    used: dict[str, int] = {}
    for _, _, cluster, key in candidates:  # each persona once, best fits first
        if cluster not in assigned and key not in used:
            assigned[cluster] = (playbook.personas[key], 1)
            used[key] = 1
    for _, _, cluster, key in candidates:  # only taken personas fit: best of them, named by what sets it apart
        if cluster not in assigned:
            used[key] += 1
            assigned[cluster] = (playbook.personas[key], used[key])
    return assigned


def persona_fit(persona: Persona, rows: dict[str, dict], profile: Profile | None = None) -> float | None:
    """How well a cluster's levels fit a persona's rule; None when the rule does not hold.

    ``profile`` gives the data window for ``absolute`` conditions; without it
    window-relative measures cannot be computed and are skipped.
    """
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
    if failed_condition(persona.absolute, rows, profile) is not None:
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


def _run_bounds(level: str, allowed: tuple[str, ...]) -> tuple[float, float]:
    """Score bounds of the contiguous run of allowed levels that contains ``level``."""
    i = LEVELS.index(level)
    lo = hi = i
    while lo > 0 and LEVELS[lo - 1] in allowed:
        lo -= 1
    while hi < len(LEVELS) - 1 and LEVELS[hi + 1] in allowed:
        hi += 1
    return level_interval(LEVELS[lo])[0], level_interval(LEVELS[hi])[1]


def present_feature(condition: Condition, rows: dict[str, dict]) -> str | None:
    """The alternative of a rule condition that holds (the evidence to quote)."""
    for feature in condition.features:
        if feature in rows and rows[feature]["level"] in condition.levels:
            return feature
    return None
