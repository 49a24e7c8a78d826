"""Labels against the numbers: analyst edits, and warnings when a name or description contradicts the data.

A hand-written report once called its highest-spending cluster "low value".
:func:`check_consistency` reads every name and description (generated or
edited) for claims from the playbook's claims table ("high value", "lapsed",
"frequent", …) and warns when the cluster's level of the claimed feature is not
one the claim allows. Matching is case-insensitive, on whole words, treats
hyphens as spaces ("high-value"), prefers the longest phrase ("premium
customers" over "premium"), and drops a claim negated in its clause ("not high
value", "no longer active").
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache

from engine.errors import InputError
from engine.narrative.levels import feature_levels, levels_by_cluster
from engine.narrative.playbook import Claim, Playbook, load_playbook
from engine.narrative.text import capitalise, fmt_number, fmt_pct, fmt_ratio, is_number
from engine.project import LabelSpec
from engine.results import NOISE, ClusterLabel, ConsistencyWarning, Profile

NEGATION_WINDOW = 3  # words before a claim searched for a negation
_CLAUSE_BREAK = re.compile(r"[.,;:!?()\[\]\n]")


def apply_edits(
    generated: dict[int, ClusterLabel], edits: dict[int, LabelSpec] | None
) -> tuple[dict[int, ClusterLabel], list[str]]:
    """The generated labels with the analyst's edits on top, plus notes about edits that could not apply.

    An edited field (not None) replaces the generated one and marks the label
    ``edited``; a field equal to the generated text is not an edit.
    ``suppress_warnings`` is carried over. Edits for clusters the current model
    does not have are reported in the notes, never dropped silently.
    """
    out = {c: replace(label, strategies=list(label.strategies), kpis=list(label.kpis),
                      distinctive=list(label.distinctive)) for c, label in generated.items()}
    notes: list[str] = []
    for key, spec in sorted((edits or {}).items(), key=lambda kv: str(kv[0])):
        cluster, spec = _edit_key(key), _as_spec(spec, key)
        if cluster not in out:
            shown = f" ({spec.name!r})" if spec.name else ""
            notes.append(
                f"The label edit for cluster {cluster}{shown} was not applied because the chosen model has no "
                f"cluster {cluster} (it has {_cluster_list(out)}); it stays in the project file."
            )
            continue
        label = out[cluster]
        changed = False
        if spec.name is not None:
            name = " ".join(spec.name.split())
            if not name:
                notes.append(f"The edited name of cluster {cluster} is blank, so the generated name "
                             f"{label.name!r} is kept.")
            elif name != label.name:
                label.name, changed = name, True
        if spec.description is not None and spec.description.strip() != label.description:
            label.description, changed = spec.description.strip(), True
        if spec.strategies is not None:
            strategies = [s.strip() for s in spec.strategies if s and s.strip()]
            if strategies != label.strategies:
                label.strategies, changed = strategies, True
        label.edited = changed
        label.suppress_warnings = bool(spec.suppress_warnings)
    names: dict[str, list[int]] = {}
    for cluster, label in out.items():
        names.setdefault(label.name.lower(), []).append(cluster)
    for clusters in names.values():
        if len(clusters) > 1:
            notes.append(f"Clusters {', '.join(map(str, sorted(clusters)))} share the name "
                         f"{out[clusters[0]].name!r}; give each a distinct name so the report can tell them apart.")
    return out, notes


def check_consistency(labels: dict[int, ClusterLabel], profile: Profile) -> list[ConsistencyWarning]:
    """Warnings for claims in names and descriptions that the cluster's levels contradict.

    Claims about features absent from the profile are skipped; a label with
    ``suppress_warnings`` still gets its warnings, marked ``suppressed=True``.
    One warning per cluster and claim group (the first phrase found, name first).
    """
    playbook = load_playbook()
    by_cluster = levels_by_cluster(feature_levels(profile))
    warnings: list[ConsistencyWarning] = []
    for cluster in sorted(labels, key=lambda c: (c == NOISE, c)):
        label, rows = labels[cluster], by_cluster.get(int(cluster))
        if rows is None:
            continue
        seen: set[tuple] = set()
        for where, text in (("name", label.name), ("description", label.description)):
            for matched, claim in find_claims(text or "", playbook):
                present = [f for f in claim.features if f in rows]
                group = (claim.features, claim.supported)
                if not present or group in seen or any(rows[f]["level"] in claim.supported for f in present):
                    continue
                seen.add(group)
                feature = present[0]
                warnings.append(ConsistencyWarning(
                    cluster=int(cluster), claim=claim.phrase, feature=feature, level=rows[feature]["level"],
                    message=_message(matched, int(cluster), where, feature, rows[feature], profile, playbook),
                    suppressed=bool(label.suppress_warnings),
                ))
    return warnings


def find_claims(text: str, playbook: Playbook | None = None) -> list[tuple[str, Claim]]:
    """Claims made by ``text``: (matched text, claim), in reading order, negated ones left out."""
    playbook = playbook or load_playbook()
    lowered = text.lower().replace("\u2019", "'")
    found = []
    for claim in playbook.claims:
        for m in _pattern(claim.phrase).finditer(lowered):
            found.append((m.start(), m.end(), claim))
    found.sort(key=lambda t: (t[0] - t[1], t[0]))  # longest first
    kept: list[tuple[int, int, Claim]] = []
    for start, end, claim in found:
        if all(end <= s or start >= e for s, e, _ in kept):
            kept.append((start, end, claim))
    return [(text[s:e], c) for s, e, c in sorted(kept, key=lambda t: t[0])
            if not _negated(lowered[:s], playbook.negations)]


# ---- helpers ---------------------------------------------------------------


@lru_cache(maxsize=512)
def _pattern(phrase: str) -> re.Pattern:
    words = [re.escape(w) for w in phrase.split()]
    return re.compile(r"(?<!\w)" + r"[\s\-_]+".join(words) + r"(?!\w)")


def _negated(before: str, negations: tuple[str, ...]) -> bool:
    clause = _CLAUSE_BREAK.split(before)[-1]
    words = re.findall(r"[\w']+", clause)[-NEGATION_WINDOW:]
    window = " " + " ".join(words) + " "
    return any((" " + n + " ") in window for n in negations)


def _message(matched: str, cluster: int, where: str, feature: str, row: dict, profile: Profile,
             playbook: Playbook) -> str:
    by_median = row["basis"] == "median ratio"
    stat = "median" if by_median else "average"
    value = row["cluster_median"] if by_median else row["cluster_mean"]
    overall = row["population_median"] if by_median else row["population_mean"]
    wording = playbook.features.get(feature)
    noun = wording.noun if wording else profile.feature_labels.get(feature, feature)
    show = fmt_pct if feature.startswith("share_") else fmt_number
    ratio = row["ratio"]
    context = f"{fmt_ratio(ratio)}, {row['level']}" if is_number(ratio) and ratio > 0 else row["level"]
    return (f"'{capitalise(matched)}' is claimed for cluster {cluster} (in its {where}), but its {stat} {noun} "
            f"is {show(value)} vs {show(overall)} overall ({context}).")


def _edit_key(key) -> int:
    try:
        return int(key)
    except (TypeError, ValueError):
        raise InputError(f"labels key {key!r} is not a cluster id; use the cluster number, e.g. \"0\".") from None


def _as_spec(spec, key) -> LabelSpec:
    if isinstance(spec, LabelSpec):
        return spec
    if isinstance(spec, dict):
        unknown = sorted(set(spec) - set(LabelSpec.__dataclass_fields__))
        if unknown:
            raise InputError(f"labels.{key} has unknown key {unknown[0]!r}; allowed keys are "
                             f"{', '.join(LabelSpec.__dataclass_fields__)}.")
        return LabelSpec(**spec)
    raise InputError(f"labels.{key} should be an object with name, description or strategies.")


def _cluster_list(labels: dict[int, ClusterLabel]) -> str:
    ids = sorted(c for c in labels if c != NOISE)
    text = ", ".join(map(str, ids)) if ids else "no clusters"
    return text + (" and Unassigned" if NOISE in labels else "")
