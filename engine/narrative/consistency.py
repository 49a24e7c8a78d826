"""Labels against the numbers: warnings when a name or description contradicts the data.

A hand-written report once called its highest-spending cluster "low value".
:func:`check_consistency` reads every name and description (generated or
edited) for claims from the playbook's claims table ("high value", "lapsed",
"frequent", …) and warns when the cluster's level of the claimed feature is not
one the claim allows. Matching is case-insensitive, on whole words, treats
hyphens as spaces ("high-value"), prefers the longest phrase ("premium
customers" over "premium"), and drops a claim negated in its clause ("not high
value", "no longer active"). Besides the claims table, every feature of the
profile can be claimed by its label ("high income" for a column "Annual Income
(k$)", "low order frequency"), and status words carry absolute conditions
("new" needs first purchases in the newest quarter of the data window).

Generated labels go through the same :class:`ClaimChecker` before they are
accepted (engine.narrative.naming), so a generated name never contradicts the
numbers. The analyst's edits are applied before this check, in
:mod:`engine.narrative.edits`.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pandas as pd

from engine.formatting import MISSING, approx, capitalise, feature_label, is_number, pct, ratio
from engine.narrative.levels import feature_levels, levels_by_cluster
from engine.narrative.measures import MEASURES, explain, failed_condition
from engine.narrative.playbook import Claim, Playbook, load_playbook
from engine.results import NOISE, ClusterLabel, ConsistencyWarning, Profile

NEGATION_WINDOW = 3  # words before a claim searched for a negation
_CLAUSE_BREAK = re.compile(r"[.,;:!?()\[\]\n]")
_SEPARATOR = r"[\s\-_:/&+]+"  # between the words of a phrase: spaces, hyphens, "Share of spend: Books"
_WORD = re.compile(r"[\w']+")
HIGH_LEVELS, LOW_LEVELS = ("high", "very high"), ("very low", "low")


def check_consistency(labels: dict[int, ClusterLabel], profile: Profile) -> list[ConsistencyWarning]:
    """Warnings for claims in names and descriptions that the cluster's numbers contradict.

    A claim fails when the cluster's level of the claimed feature is not one the
    claim allows, or when one of its absolute conditions fails ("new" in the
    oldest part of the data window). Claims about features absent from the
    profile are skipped; a label with
    ``suppress_warnings`` still gets its warnings, marked ``suppressed=True``.
    One warning per cluster and claim group (the first phrase found, name first).
    """
    checker = ClaimChecker(profile)
    warnings: list[ConsistencyWarning] = []
    for cluster in sorted(labels, key=lambda c: (c == NOISE, c)):
        label = labels[cluster]
        warnings += checker.warnings(int(cluster), label.name, label.description, bool(label.suppress_warnings))
    return warnings


class ClaimChecker:
    """The claims check for one profile, reusable for many texts (names, descriptions, candidate wording).

    ``feature_labels`` adds label phrases to the profile's own (generation may
    use labels the analyst passed in); more phrases only mean more checks.
    """

    def __init__(self, profile: Profile, levels: pd.DataFrame | None = None,
                 feature_labels: dict[str, str] | None = None, playbook: Playbook | None = None):
        self.profile = profile
        self.playbook = playbook or load_playbook()
        self.by_cluster = levels_by_cluster(feature_levels(profile) if levels is None else levels)
        names: dict[str, list[str]] = {}
        for feature in profile.features:
            names[feature] = list(dict.fromkeys(
                str(x) for x in (profile.feature_labels.get(feature), (feature_labels or {}).get(feature), feature)
                if x))
        self.features = tuple((f, tuple(v)) for f, v in names.items())
        self._index = _index(_claims_about(self.features, self.playbook))

    def claims(self, text: str) -> list[tuple[str, Claim]]:
        """Claims ``text`` makes about this profile's features (negated ones left out)."""
        return _match(text, self._index, self.playbook)

    def warnings(self, cluster: int, name: str = "", description: str = "",
                 suppressed: bool = False) -> list[ConsistencyWarning]:
        """Warnings for one cluster's name and description (empty: they agree with the numbers)."""
        rows = self.by_cluster.get(int(cluster))
        if rows is None:
            return []
        seen: set[tuple] = set()
        out: list[ConsistencyWarning] = []
        for where, text in (("name", name), ("description", description)):
            for matched, claim in self.claims(text or ""):
                present = [f for f in claim.features if f in rows]
                group = (claim.features, claim.supported)
                if not present or group in seen:
                    continue
                feature = next((f for f in present if rows[f]["level"] in claim.supported), None)
                if feature is None:
                    feature = present[0]
                    message = _message(matched, int(cluster), where, feature, rows[feature], self.profile,
                                       self.playbook)
                else:
                    failed = failed_condition(claim.absolute, rows, self.profile)
                    if failed is None:
                        continue
                    condition, value = failed
                    feature = _measure_feature(condition.measure)
                    message = (f"'{capitalise(matched)}' is claimed for cluster {cluster} (in its {where}), but "
                               f"{explain(condition, value, rows, self.profile)}.")
                seen.add(group)
                out.append(ConsistencyWarning(
                    cluster=int(cluster), claim=claim.phrase, feature=feature,
                    level=rows[feature]["level"] if feature in rows else MISSING, message=message,
                    suppressed=suppressed,
                ))
        return out


def find_claims(
    text: str, playbook: Playbook | None = None, features: dict[str, str | tuple[str, ...]] | None = None
) -> list[tuple[str, Claim]]:
    """Claims made by ``text``: (matched text, claim), in reading order, negated ones left out.

    Without ``features`` only the claims table is read. With ``features``
    (feature -> label, or several labels), claims about other features are left
    out *before* the longest phrase is chosen ("premium customers" on data
    without spend is read as the price claim "premium"), and each feature's
    label phrases are claims too ("high income").
    """
    playbook = playbook or load_playbook()
    if features is None:
        claims = playbook.claims
    else:
        claims = _claims_about(tuple((f, (v,) if isinstance(v, str) else tuple(v)) for f, v in features.items()),
                               playbook)
    return _match(text, _index(claims), playbook)


def _claims_about(features: tuple[tuple[str, tuple[str, ...]], ...], playbook: Playbook) -> tuple[Claim, ...]:
    """The claims table's entries about present features, then the label claims of those features."""
    present = {f for f, _ in features}
    return tuple(c for c in playbook.claims if present.intersection(c.features)) + feature_claims(features, playbook)


def _index(claims: tuple[Claim, ...]) -> dict[str, list[Claim]]:
    """Claims by their first word, so a text is only matched against claims that can occur in it."""
    index: dict[str, list[Claim]] = {}
    for claim in claims:
        index.setdefault(_WORD.findall(claim.phrase.replace("-", " "))[0], []).append(claim)
    return index


def _match(text: str, index: dict[str, list[Claim]], playbook: Playbook) -> list[tuple[str, Claim]]:
    lowered = text.lower().replace("\u2019", "'")
    words = set(_WORD.findall(lowered.replace("-", " ")))
    found = []
    for claim in (c for w in words & index.keys() for c in index[w]):
        if not _words_of(claim.phrase) <= words:
            continue
        for m in _pattern(claim.phrase, claim.exact).finditer(lowered):
            found.append((m.start(), m.end(), claim))
    found.sort(key=lambda t: (t[0] - t[1], t[0], t[2].phrase, t[2].features, t[2].supported))  # longest first
    kept: list[tuple[int, int, Claim]] = []
    for start, end, claim in found:  # claims on exactly the same words are all kept (alternatives)
        if all(end <= s or start >= e or (start, end) == (s, e) for s, e, _ in kept):
            kept.append((start, end, claim))
    return [(text[s:e], c) for s, e, c in sorted(kept, key=lambda t: (t[0], t[1]))
            if not _negated(lowered[:s], playbook.negations)]


def feature_claims(features: tuple[tuple[str, tuple[str, ...]], ...], playbook: Playbook) -> tuple[Claim, ...]:
    """Claims "<high word> <feature phrase>" / "<low word> <feature phrase>" for every feature given.

    Phrases of a feature: each label without its bracketed part ("Annual Income
    (k$)" -> "annual income"), the feature name with spaces, the catalogue
    ``short`` and ``noun``, and for raw columns every label word that is not a
    stop word ("income"). Features with direction-aware ``words`` (recency, gaps,
    tenure) are left out: "high recency" is read both ways. A phrase shared by
    several features claims either of them.
    """
    key = (features, id(playbook))
    cached = _FEATURE_CLAIMS.get(key)
    if cached is not None and cached[0] is playbook:
        return cached[1]
    if len(_FEATURE_CLAIMS) > 256:
        _FEATURE_CLAIMS.clear()
    claims = _feature_claims(features, playbook)
    _FEATURE_CLAIMS[key] = (playbook, claims)
    return claims


_FEATURE_CLAIMS: dict[tuple, tuple[Playbook, tuple[Claim, ...]]] = {}


def _feature_claims(features: tuple[tuple[str, tuple[str, ...]], ...], playbook: Playbook) -> tuple[Claim, ...]:
    words = playbook.feature_claims
    stop = set(words.get("stop_words", ()))
    owners: dict[str, list[str]] = {}
    for feature, labels in features:
        wording = playbook.features.get(feature)
        if wording is not None and wording.words:
            continue
        phrases = {_clean(x, camel) for x in (*labels, feature.replace("_", " ")) for camel in (True, False)}
        if wording is not None:
            phrases |= {_clean(wording.short), _clean(wording.noun)}
        elif not feature.startswith("share_"):
            phrases |= {w for x in labels for w in _clean(x).split() if w not in stop and len(w) >= 3
                        and not w.isdigit()}
        phrases = {p for p in phrases - {""} - stop}
        phrases |= {_plural(p) for p in phrases}
        for phrase in phrases:
            owners.setdefault(phrase, [])
            if feature not in owners[phrase]:
                owners[phrase].append(feature)
    out = []
    for direction, supported in (("high", HIGH_LEVELS), ("low", LOW_LEVELS)):
        for word in words.get(direction, ()):
            out += [Claim(f"{word} {phrase}", tuple(owner), supported) for phrase, owner in sorted(owners.items())]
    return tuple(out)


# ---- helpers ---------------------------------------------------------------


@lru_cache(maxsize=8192)
def _pattern(phrase: str, exact: bool = False) -> re.Pattern:
    if exact:  # as written: "long-time" needs its hyphen
        return re.compile(r"(?<![\w-])" + r"\s+".join(re.escape(w) for w in phrase.split()) + r"(?![\w-])")
    words = [re.escape(w) for w in phrase.split()]
    return re.compile(r"(?<!\w)" + _SEPARATOR.join(words) + r"(?!\w)")


@lru_cache(maxsize=8192)
def _words_of(phrase: str) -> frozenset[str]:
    return frozenset(_WORD.findall(phrase.replace("-", " ")))


def _clean(label: str, camel: bool = True) -> str:
    """A label as a phrase: bracketed parts, punctuation and camel case gone ("Annual Income (k$)" -> "annual income",
    "UnitPrice" -> "unit price")."""
    text = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", str(label)) if camel else str(label)
    text = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", text.lower())
    return " ".join(re.sub(r"[^\w\s]|_", " ", text).split())


def _plural(phrase: str) -> str:
    """"quantity" -> "quantities", "income" -> "incomes" (last word only; good enough for claims)."""
    if phrase.endswith("y") and not phrase.endswith(("ay", "ey", "oy", "uy")):
        return phrase[:-1] + "ies"
    return phrase if phrase.endswith("s") else phrase + "s"


def _measure_feature(measure: str) -> str:
    return MEASURES[measure].feature


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
    noun = wording.noun if wording else feature_label(feature, profile.feature_labels)
    show = pct if feature.startswith("share_") else approx
    times = row["ratio"]
    context = f"{ratio(times)}, {row['level']}" if is_number(times) and times > 0 else row["level"]
    return (f"'{capitalise(matched)}' is claimed for cluster {cluster} (in its {where}), but its {stat} {noun} "
            f"is {show(value)} vs {show(overall)} overall ({context}).")

