"""Generated names, descriptions, strategies and KPIs for every cluster.

Personas are assigned across clusters at once, best fit first
(:mod:`engine.narrative.fit`), so the most extreme spender gets "Champions",
not whichever cluster came first; the words of a label (traits, quoted facts,
the size sentence) are in :mod:`engine.narrative.wording`.

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

"""

from __future__ import annotations

import pandas as pd

from engine.formatting import capitalise, roman, unit_words
from engine.narrative.consistency import ClaimChecker
from engine.narrative.fit import assign_personas, persona_fit, present_feature
from engine.narrative.levels import distinctive_features, feature_levels, levels_by_cluster
from engine.narrative.playbook import Persona, load_playbook
from engine.narrative.wording import fact, fill_in, rfm_lead, size_sentence, trait
from engine.results import NOISE, ClusterLabel, Profile

N_FACTS = 3  # numbers quoted per description
N_TRAITS = 2  # traits in a descriptive name
RFM_FEATURES = ("recency_days", "frequency", "monetary")


def generate_labels(
    profile: Profile, feature_labels: dict[str, str] | None = None, fixed_names: dict[int, str] | None = None,
    levels: pd.DataFrame | None = None,
) -> dict[int, ClusterLabel]:
    """Name, describe and give strategies to every cluster of ``profile`` (noise included, as "Unassigned").

    Parameters
    ----------
    profile : Profile
        Per-cluster tables (engine.views.profiles.profile_clusters).
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
            description=fill_in(spec["description"], self.fmt) + " " + size_sentence(self.profile, NOISE),
            strategies=[fill_in(s, self.fmt) for s in spec.get("strategies") or []],
            kpis=[fill_in(k, self.fmt) for k in spec.get("kpis") or []],
        )

    def persona_label(self, cluster: int, persona: Persona, traits: tuple[str, ...] = (),
                      name: str | None = None) -> ClusterLabel:
        """The persona's label; ``traits`` (features) are added to the name and quoted first after the evidence."""
        key = (cluster, persona.key)
        if not traits and name is None and key in self._persona_labels:
            return self._persona_labels[key]
        rows = self.by_cluster.get(cluster, {})
        evidence = [f for f in (present_feature(c, rows) for c in persona.rule) if f and rows[f]["level"] != "average"]
        words = [self.trait(f, rows[f]["level"]) for f in traits]
        label = ClusterLabel(
            cluster=cluster, name=name or ", ".join([persona.name, *words]),
            description=self.description(cluster, fill_in(persona.description, self.fmt), evidence + list(traits)),
            strategies=[fill_in(s, self.fmt) for s in persona.strategies], kpis=[fill_in(k, self.fmt) for k in persona.kpis],
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
            lead = fill_in(self.playbook.fallback["description"], {**self.fmt, "traits": " and ".join(traits)})
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
        lead = rfm_lead(name)
        evidence = [f for f in RFM_FEATURES if f in rows]
        key = self.playbook.rfm_personas.get(name)
        persona = self.playbook.personas.get(key) if key else None
        if persona is not None and persona_fit(persona, rows, self.profile) is None:
            persona = None  # the rule's name is kept, but the persona's advice would not fit these numbers
        if persona is not None:
            strategies = [fill_in(s, self.fmt) for s in persona.strategies]
            kpis = [fill_in(k, self.fmt) for k in persona.kpis]
        else:
            top = self.trait_features(cluster)
            feature = self.trait(top[0], rows[top[0]]["level"]) if top else "behaviour"
            strategies = [fill_in(s, {**self.fmt, "feature": feature}) for s in self.playbook.fallback["strategies"]]
            kpis = [fill_in(k, self.fmt) for k in self.playbook.fallback.get("kpis") or []]
        return ClusterLabel(
            cluster=cluster, name=name, description=self.description(cluster, lead, evidence), strategies=strategies,
            kpis=kpis, persona=persona.key if persona else None, distinctive=self.distinctive(cluster)[:3],
        )

    def _fallback_label(self, cluster: int, name: str, lead: str, feature_words: str) -> ClusterLabel:
        fill = {**self.fmt, "feature": feature_words}
        return ClusterLabel(
            cluster=cluster, name=name, description=self.description(cluster, lead, []),
            strategies=[fill_in(s, fill) for s in self.playbook.fallback["strategies"]],
            kpis=[fill_in(k, self.fmt) for k in self.playbook.fallback.get("kpis") or []],
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
            lead, capitalise("; ".join(facts)) + "." if facts else "", size_sentence(self.profile, cluster)) if part)

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


def labels_frame(labels: dict[int, ClusterLabel]) -> pd.DataFrame:
    """The labels as a table (cluster, name, persona, edited) for pages and debugging."""
    return pd.DataFrame(
        [{"cluster": c, "name": lab.name, "persona": lab.persona, "edited": lab.edited} for c, lab in labels.items()]
    )
