"""Generated names, descriptions, strategies and KPIs for every cluster.

Personas are assigned across clusters at once, best fit first: every (cluster,
persona) pair whose rule holds gets a fit score, and the pairs are taken
greedily from the highest score down, each persona and each cluster used once.
So the most extreme spender gets "Champions", not whichever cluster came first.

Every generated name and description goes through the same claims check as an
edited one (:class:`engine.narrative.consistency.ClaimChecker`) before it is
accepted: a persona whose wording a cluster's numbers contradict is skipped for
that cluster (the next persona, or a descriptive name, is tried), a quoted fact
or a descriptive trait that would make a false claim is left out. So a
generated label never gets a consistency warning.

A cluster whose only fitting personas are taken keeps the best of them but is
named by what sets it apart from the cluster holding it ("Loyal regulars, high
unit price"); a cluster no persona fits gets a descriptive name from its two
most distinctive features ("High spend, low order frequency"). Roman numerals
("(II)") are the last resort, for clusters no level tells apart.

With ``fixed_names`` (the RFM rule baseline's segment names) those names are
kept and only the description, strategies and KPIs are generated.

Fit of a persona to a cluster = Σ over its ``rule`` conditions of
(1 + depth), depth = how far the score lies inside the allowed levels (capped
at :data:`DEPTH_CAP`), plus :data:`PRIORITY_WEIGHT` × priority. ``if_present``
conditions are guards: they must hold when their feature exists but add nothing;
``absolute`` conditions (engine/narrative/measures.py) likewise, when their
measure can be computed.
"""

from __future__ import annotations

import math

import pandas as pd

from engine.narrative.consistency import ClaimChecker
from engine.narrative.levels import (
    LEVELS,
    distinctive_features,
    feature_levels,
    level_interval,
    levels_by_cluster,
)
from engine.narrative.measures import failed_condition
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
N_TRAITS = 2  # traits in a descriptive name
SHARE_PREFIX = "share_"
RFM_FEATURES = ("recency_days", "frequency", "monetary")


def generate_labels(
    profile: Profile, feature_labels: dict[str, str] | None = None, fixed_names: dict[int, str] | None = None,
    levels: pd.DataFrame | None = None,
) -> dict[int, ClusterLabel]:
    """Name, describe and give strategies to every cluster of ``profile`` (noise included, as "Unassigned").

    Parameters
    ----------
    profile : Profile
        Per-cluster tables (engine.profiles.profile_clusters).
    feature_labels : dict, optional
        Feature name -> human label; defaults to the labels the profile carries.
    fixed_names : dict, optional
        Cluster -> name to keep instead of a persona name (the RFM baseline's
        segment names, RunResult.extra["label_names"]); descriptions, strategies
        and KPIs are still generated from the numbers.
    levels : DataFrame, optional
        ``feature_levels(profile)`` when the caller already has it (computed here otherwise).
    """
    writer = _Writer(profile, feature_labels, levels)
    fixed = {int(c): " ".join(str(n).split()) for c, n in (fixed_names or {}).items() if n and str(n).strip()}
    out: dict[int, ClusterLabel] = {}
    for cluster in (int(c) for c in profile.summary.index):
        if cluster == NOISE:
            out[cluster] = writer.unassigned()
        elif cluster in fixed:
            out[cluster] = writer.fixed(cluster, fixed[cluster])
    free = [int(c) for c in profile.summary.index if int(c) not in out]
    assignment = assign_personas(profile, writer.by_cluster, writer.playbook, clusters=free, accept=writer.accepts)
    holders: dict[str, list[int]] = {}
    for cluster in sorted(free, key=lambda c: (assignment.get(c, (None, 0))[1], c)):
        persona, n = assignment.get(cluster, (None, 0))
        if persona is None:
            out[cluster] = writer.descriptive(cluster)
        elif n <= 1:
            out[cluster] = writer.persona_label(cluster, persona)
        else:
            out[cluster] = writer.second_holder(cluster, persona, holders.get(persona.key, []))
        if persona is not None:
            holders.setdefault(persona.key, []).append(cluster)
    ordered = {int(c): out[int(c)] for c in profile.summary.index}
    return _unique_names(ordered, writer.distinguish, keep=set(fixed))


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


class _Writer:
    """Builds the labels of one profile; every text it returns has passed the claims check."""

    def __init__(self, profile: Profile, feature_labels: dict[str, str] | None, levels: pd.DataFrame | None = None):
        self.profile = profile
        self.playbook = load_playbook()
        self.labels_of = {**profile.feature_labels, **(feature_labels or {})}
        self.levels = feature_levels(profile) if levels is None else levels
        self.by_cluster = levels_by_cluster(self.levels)
        self.checker = ClaimChecker(profile, self.levels, self.labels_of, self.playbook)
        self.one, self.many = unit_words(profile.unit)
        self.fmt = {"unit": self.one, "units": self.many, "Units": capitalise(self.many)}
        self._distinctive: dict[int, list[str]] = {}
        self._persona_labels: dict[tuple[int, str], ClusterLabel] = {}

    # ---- checks ------------------------------------------------------------

    def passes(self, cluster: int, name: str = "", description: str = "") -> bool:
        return not self.checker.warnings(cluster, name, description)

    def accepts(self, cluster: int, persona: Persona) -> bool:
        """Whether the persona's label for the cluster makes only claims its numbers support."""
        label = self.persona_label(cluster, persona)
        return self.passes(cluster, label.name, label.description)

    # ---- the kinds of label ------------------------------------------------

    def unassigned(self) -> ClusterLabel:
        spec = self.playbook.unassigned
        return ClusterLabel(
            cluster=NOISE, name=str(spec["name"]),
            description=_fill(spec["description"], self.fmt) + " " + _size_sentence(self.profile, NOISE),
            strategies=[_fill(s, self.fmt) for s in spec.get("strategies") or []],
            kpis=[_fill(k, self.fmt) for k in spec.get("kpis") or []],
        )

    def persona_label(self, cluster: int, persona: Persona, traits: tuple[str, ...] = (),
                      name: str | None = None) -> ClusterLabel:
        """The persona's label; ``traits`` (features) are added to the name and quoted first after the evidence."""
        key = (cluster, persona.key)
        if not traits and name is None and key in self._persona_labels:
            return self._persona_labels[key]
        rows = self.by_cluster.get(cluster, {})
        evidence = [f for f in (_present_feature(c, rows) for c in persona.rule) if f and rows[f]["level"] != "average"]
        words = [self.trait(f, rows[f]["level"]) for f in traits]
        label = ClusterLabel(
            cluster=cluster, name=name or ", ".join([persona.name, *words]),
            description=self.description(cluster, _fill(persona.description, self.fmt), evidence + list(traits)),
            strategies=[_fill(s, self.fmt) for s in persona.strategies], kpis=[_fill(k, self.fmt) for k in persona.kpis],
            persona=persona.key, distinctive=self.distinctive(cluster)[:3],
        )
        if not traits and name is None:
            self._persona_labels[key] = label
        return label

    def second_holder(self, cluster: int, persona: Persona, others: list[int]) -> ClusterLabel:
        """A later holder of a persona: the persona's name plus what sets it apart, else a descriptive name.

        The trait comes from outside the persona's rule ("Bargain hunters, low unit
        price" would only restate the rule): a feature whose level differs from
        every earlier holder's, the largest gap first.
        """
        own = {f for condition in persona.rule for f in condition.features}
        for feature in (f for f in self.differences(cluster, others) if f not in own):
            label = self.persona_label(cluster, persona, (feature,))
            if self.passes(cluster, label.name, label.description):
                return label
        traits = self.trait_features(cluster)[:N_TRAITS]
        if traits:
            name = capitalise(", ".join(self.trait(f, self.by_cluster[cluster][f]["level"]) for f in traits))
            label = self.persona_label(cluster, persona, name=name)
            if self.passes(cluster, label.name, label.description):
                return label
        return self.persona_label(cluster, persona)  # _unique_names tells it apart

    def descriptive(self, cluster: int) -> ClusterLabel:
        """A name from the cluster's most distinctive non-average features, with the fallback text."""
        rows = self.by_cluster.get(cluster, {})
        features = self.trait_features(cluster)
        for n in range(min(N_TRAITS, len(features)), 0, -1):
            traits = [self.trait(f, rows[f]["level"]) for f in features[:n]]
            lead = _fill(self.playbook.fallback["description"], {**self.fmt, "traits": " and ".join(traits)})
            label = self._fallback_label(cluster, capitalise(", ".join(traits)), lead, traits[0])
            if self.passes(cluster, label.name, label.description):
                return label
        lead = f"{capitalise(self.many)} close to the typical {self.one} on every clustered feature."
        if features:  # no trait could be worded truthfully: say only what the numbers say
            lead = f"{capitalise(self.many)} described by the numbers below."
        return self._fallback_label(cluster, "Average profile" if not features else f"Segment {cluster}", lead,
                                    "behaviour")

    def fixed(self, cluster: int, name: str) -> ClusterLabel:
        """A label that keeps a given name (an RFM segment); description and strategies from the numbers."""
        rows = self.by_cluster.get(cluster, {})
        lead = _rfm_lead(name)
        evidence = [f for f in RFM_FEATURES if f in rows]
        key = self.playbook.rfm_personas.get(name)
        persona = self.playbook.personas.get(key) if key else None
        if persona is not None and persona_fit(persona, rows, self.profile) is None:
            persona = None  # the rule's name is kept, but the persona's advice would not fit these numbers
        if persona is not None:
            strategies = [_fill(s, self.fmt) for s in persona.strategies]
            kpis = [_fill(k, self.fmt) for k in persona.kpis]
        else:
            top = self.trait_features(cluster)
            feature = self.trait(top[0], rows[top[0]]["level"]) if top else "behaviour"
            strategies = [_fill(s, {**self.fmt, "feature": feature}) for s in self.playbook.fallback["strategies"]]
            kpis = [_fill(k, self.fmt) for k in self.playbook.fallback.get("kpis") or []]
        return ClusterLabel(
            cluster=cluster, name=name, description=self.description(cluster, lead, evidence), strategies=strategies,
            kpis=kpis, persona=persona.key if persona else None, distinctive=self.distinctive(cluster)[:3],
        )

    def _fallback_label(self, cluster: int, name: str, lead: str, feature_words: str) -> ClusterLabel:
        fill = {**self.fmt, "feature": feature_words}
        return ClusterLabel(
            cluster=cluster, name=name, description=self.description(cluster, lead, []),
            strategies=[_fill(s, fill) for s in self.playbook.fallback["strategies"]],
            kpis=[_fill(k, self.fmt) for k in self.playbook.fallback.get("kpis") or []],
            distinctive=self.distinctive(cluster)[:3],
        )

    # ---- pieces ------------------------------------------------------------

    def description(self, cluster: int, lead: str, first: list[str]) -> str:
        """Lead sentence + up to N_FACTS facts (``first`` features first, then the most distinctive) + size."""
        rows = self.by_cluster.get(cluster, {})
        distinctive = self.distinctive(cluster)
        notable = [f for f in distinctive if rows[f]["level"] != "average"] or distinctive[:2]
        facts = []
        for feature in dict.fromkeys([f for f in first if f in rows] + notable):
            text = fact(feature, rows[feature], self.labels_of, self.playbook, self.one)
            if self.passes(cluster, "", text):  # a label's own words ("Premium" column) must not claim falsely
                facts.append(text)
            if len(facts) == N_FACTS:
                break
        return " ".join(part for part in (
            lead, capitalise("; ".join(facts)) + "." if facts else "", _size_sentence(self.profile, cluster)) if part)

    def distinctive(self, cluster: int) -> list[str]:
        if cluster not in self._distinctive:
            self._distinctive[cluster] = distinctive_features(
                self.profile, cluster, n=len(self.profile.features), levels=self.levels)
        return self._distinctive[cluster]

    def trait(self, feature: str, level: str) -> str:
        return trait(feature, level, self.labels_of, self.playbook)

    def trait_features(self, cluster: int) -> list[str]:
        """Distinctive non-average features whose trait words the numbers support, most distinctive first."""
        rows = self.by_cluster.get(cluster, {})
        return [f for f in self.distinctive(cluster) if rows[f]["level"] != "average"
                and self.passes(cluster, self.trait(f, rows[f]["level"]))]

    def differences(self, cluster: int, others: list[int]) -> list[str]:
        """Trait features on which the cluster's level differs from every one of ``others``, largest gap first."""
        rows = self.by_cluster.get(cluster, {})
        other_rows = [self.by_cluster.get(o, {}) for o in others]
        found = []
        for feature in self.trait_features(cluster):
            if all(feature in r and r[feature]["level"] != rows[feature]["level"] for r in other_rows):
                gap = min((abs(rows[feature]["score"] - r[feature]["score"]) for r in other_rows), default=0.0)
                found.append((-gap, feature))
        return [f for _, f in sorted(found, key=lambda t: t[0])]

    def distinguish(self, cluster: int, name: str, others: list[int]) -> str | None:
        """``name`` plus a trait that tells the cluster apart from ``others`` (same name); None if none does."""
        rows = self.by_cluster.get(cluster, {})
        lowered = name.lower()
        for feature in self.differences(cluster, others):
            words = self.trait(feature, rows[feature]["level"])
            if words.lower() in lowered:
                continue
            extended = f"{name}, {words}"
            if self.passes(cluster, extended):
                return extended
        return None


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


def _unique_names(labels: dict[int, ClusterLabel], distinguish=None, keep: set[int] | None = None
                  ) -> dict[int, ClusterLabel]:
    """Later clusters whose name is taken get a distinguishing trait ("…, high unit price"); "(II)" as a last resort.

    ``distinguish(cluster, name, clusters_with_that_name)`` returns the name
    with a trait added, or None when no level tells the clusters apart.
    Clusters in ``keep`` (given names) claim their names first.
    """
    keep = keep or set()
    had_name: dict[str, list[int]] = {}  # name as generated -> clusters generated with it
    final: set[str] = set()
    for cluster in sorted(labels, key=lambda c: (c not in keep, c == NOISE, c)):
        label = labels[cluster]
        base = label.name
        if base.lower() in final:
            extended = distinguish(cluster, base, had_name.get(base.lower(), [])) if distinguish else None
            if extended is not None and extended.lower() not in final:
                label.name = extended
            else:
                n = 2
                while f"{base} ({roman(n)})".lower() in final:
                    n += 1
                label.name = f"{base} ({roman(n)})"
        had_name.setdefault(base.lower(), []).append(cluster)
        final.add(label.name.lower())
    return labels


def _rfm_lead(name: str) -> str:
    """The RFM rule behind a segment name, in score terms (no claims: the numbers follow)."""
    from engine.rfm import RULES  # lazy: it imports scipy

    rule = next((r for r in RULES if r.segment.lower() == name.lower()), None)
    if rule is None:
        return "Segment named by the RFM rule baseline."
    r = str(rule.r_min) if rule.r_min == rule.r_max else f"{rule.r_min}-{rule.r_max}"
    fm = f"{rule.fm_min:g}" if rule.fm_min == rule.fm_max else f"{rule.fm_min:g}-{rule.fm_max:g}"
    return (f"Segment of the RFM rule baseline: recency score {r} and combined frequency and monetary score {fm} "
            "on a 1-5 scale.")


def labels_frame(labels: dict[int, ClusterLabel]) -> pd.DataFrame:
    """The labels as a table (cluster, name, persona, edited) for pages and debugging."""
    return pd.DataFrame(
        [{"cluster": c, "name": lab.name, "persona": lab.persona, "edited": lab.edited} for c, lab in labels.items()]
    )
