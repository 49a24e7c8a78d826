"""The playbook kept as data: personas, consistency claims and feature wording (personas.yaml).

Adding a persona or a claim is one YAML entry (docs/playbook.md). The file is
validated on load so a typo in a level word or a missing field is reported
with the entry's key instead of silently never matching.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from engine.errors import InputError
from engine.narrative.levels import LEVELS
from engine.narrative.measures import MEASURES, AbsoluteCondition

PLAYBOOK_PATH = Path(__file__).with_name("personas.yaml")


@dataclass(frozen=True)
class Condition:
    """Allowed levels of one feature; ``features`` are alternatives (``a|b`` in YAML): any present one may fit."""

    features: tuple[str, ...]
    levels: tuple[str, ...]


@dataclass(frozen=True)
class Persona:
    """One named customer type with the rule that recognises it and what to do about it."""

    key: str
    name: str
    priority: int
    rule: tuple[Condition, ...]  # every condition must hold and its feature must be present
    if_present: tuple[Condition, ...]  # must hold when the feature is present, ignored otherwise
    absolute: tuple[AbsoluteCondition, ...]  # must hold when the measure can be computed (engine/narrative/measures)
    description: str
    strategies: tuple[str, ...]
    kpis: tuple[str, ...]


@dataclass(frozen=True)
class Claim:
    """A phrase that asserts a feature level, e.g. "high value" -> monetary in (high, very high)."""

    phrase: str
    features: tuple[str, ...]
    supported: tuple[str, ...]
    absolute: tuple[AbsoluteCondition, ...] = ()  # status words ("new", "lapsed") also need these to hold
    exact: bool = False  # hyphens must be written as in the phrase ("long-time", not "a long time")


@dataclass(frozen=True)
class FeatureWording:
    """How sentences speak about one catalogue feature."""

    noun: str  # "net revenue"
    short: str  # "spend" (descriptive names: "High spend")
    fact: str  # fragment quoting the numbers
    words: dict[str, str] = field(default_factory=dict)  # level -> phrase, overrides "<level> <short>"


@dataclass(frozen=True)
class Playbook:
    personas: dict[str, Persona]
    fallback: dict
    unassigned: dict
    claims: tuple[Claim, ...]
    negations: tuple[str, ...]
    features: dict[str, FeatureWording]
    feature_claims: dict[str, tuple[str, ...]] = field(default_factory=dict)  # high / low words, stop_words
    rfm_personas: dict[str, str] = field(default_factory=dict)  # RFM segment name -> persona key (strategies)


@lru_cache(maxsize=4)
def load_playbook(path: str | Path = PLAYBOOK_PATH) -> Playbook:
    """Read and validate the playbook YAML (cached per path)."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise InputError(f"Playbook {path.name} cannot be read ({exc.__class__.__name__}{where}); fix the file.") from None
    if not isinstance(raw, dict):
        raise InputError(f"Playbook {path.name} should be a mapping with a 'personas' list.")
    personas: dict[str, Persona] = {}
    for entry in raw.get("personas") or []:
        persona = _persona(entry, path.name)
        if persona.key in personas:
            raise InputError(f"Playbook {path.name} lists persona {persona.key!r} twice; keys must be unique.")
        personas[persona.key] = persona
    names = [p.name.lower() for p in personas.values()]
    if len(set(names)) != len(names):
        raise InputError(f"Playbook {path.name} has two personas with the same name; names must be unique.")
    claims = tuple(c for entry in raw.get("claims") or [] for c in _claims(entry, path.name))
    wording = {name: _wording(name, entry, path.name) for name, entry in (raw.get("features") or {}).items()}
    for section in ("fallback", "unassigned"):
        if not isinstance(raw.get(section), dict):
            raise InputError(f"Playbook {path.name} needs a {section!r} section.")
    feature_claims = {str(k): tuple(" ".join(str(w).lower().replace("-", " ").split()) for w in v or [])
                      for k, v in (raw.get("feature_claims") or {}).items()}
    rfm_personas = {str(k): str(v) for k, v in (raw.get("rfm_personas") or {}).items() if v}
    for segment, key in rfm_personas.items():
        if key not in personas:
            raise InputError(f"Playbook {path.name} maps RFM segment {segment!r} to persona {key!r}, which it does "
                             "not define.")
    return Playbook(
        personas=personas, fallback=raw["fallback"], unassigned=raw["unassigned"], claims=claims,
        negations=tuple(str(n).lower() for n in raw.get("negations") or []), features=wording,
        feature_claims=feature_claims, rfm_personas=rfm_personas,
    )


def _persona(entry: dict, source: str) -> Persona:
    key = entry.get("key") if isinstance(entry, dict) else None
    where = f"persona {key!r} in {source}"
    if not key:
        raise InputError(f"A persona in {source} has no 'key'; give every persona a short unique key.")
    missing = [f for f in ("name", "rule", "description", "strategies") if not entry.get(f)]
    if missing:
        raise InputError(f"The {where} has no {missing[0]!r}; every persona needs name, rule, description, strategies.")
    strategies = tuple(str(s) for s in entry["strategies"])
    if not 2 <= len(strategies) <= 4:
        raise InputError(f"The {where} has {len(strategies)} strategies; give 2 to 4.")
    priority = entry.get("priority", 0)
    if not isinstance(priority, int) or isinstance(priority, bool):
        raise InputError(f"The {where} has priority {priority!r}; use a whole number (higher wins ties).")
    return Persona(
        key=str(key), name=str(entry["name"]), priority=priority,
        rule=_conditions(entry["rule"], where), if_present=_conditions(entry.get("if_present") or {}, where),
        absolute=_absolute(entry.get("absolute") or {}, where),
        description=str(entry["description"]), strategies=strategies,
        kpis=tuple(str(k) for k in entry.get("kpis") or []),
    )


def _conditions(raw, where: str) -> tuple[Condition, ...]:
    if not isinstance(raw, dict):
        raise InputError(f"The rule of {where} should map feature names to lists of levels.")
    out = []
    for features, levels in raw.items():
        levels = [levels] if isinstance(levels, str) else list(levels or [])
        _check_levels(levels, f"{where}, feature {features!r}")
        names = tuple(f.strip() for f in str(features).split("|") if f.strip())
        out.append(Condition(names, tuple(levels)))
    return tuple(out)


def _absolute(raw, where: str) -> tuple[AbsoluteCondition, ...]:
    """``{measure: {min: x, max: y}}`` -> conditions, validated against the measures registry."""
    if not isinstance(raw, dict):
        raise InputError(f"The 'absolute' conditions of {where} should map measure names to {{min: …, max: …}}.")
    out = []
    for measure, bounds in raw.items():
        if measure not in MEASURES:
            raise InputError(f"Measure {measure!r} in {where} is not a measure; use one of: {', '.join(MEASURES)}.")
        if not isinstance(bounds, dict) or not set(bounds) & {"min", "max"} or set(bounds) - {"min", "max", "required"}:
            raise InputError(f"Measure {measure!r} in {where} needs bounds like {{max: 0.25}} (keys min, max, "
                             "and required: true when the persona needs the measure).")
        for key, value in bounds.items():
            if key != "required" and (not isinstance(value, int | float) or isinstance(value, bool)):
                raise InputError(f"Measure {measure!r} in {where} has {key} {value!r}; use a number.")
        if not isinstance(bounds.get("required", False), bool):
            raise InputError(f"Measure {measure!r} in {where} has required {bounds['required']!r}; use true or false.")
        out.append(AbsoluteCondition(str(measure), bounds.get("min"), bounds.get("max"),
                                     bool(bounds.get("required", False))))
    return tuple(out)


def _claims(entry, source: str) -> list[Claim]:
    if not isinstance(entry, dict) or not entry.get("features") or not (entry.get("phrases") or entry.get("exact")):
        raise InputError(f"A claim in {source} needs 'features', 'supported' and 'phrases'.")
    first = (entry.get("phrases") or entry.get("exact"))[0]
    supported = list(entry.get("supported") or [])
    _check_levels(supported, f"claim {first!r} in {source}")
    features = tuple(str(f) for f in entry["features"])
    absolute = _absolute(entry.get("absolute") or {}, f"claim {first!r} in {source}")
    claims = [Claim(" ".join(str(p).lower().replace("-", " ").split()), features, tuple(supported), absolute)
              for p in entry.get("phrases") or []]
    return claims + [Claim(" ".join(str(p).lower().split()), features, tuple(supported), absolute, exact=True)
                     for p in entry.get("exact") or []]


def _wording(name: str, entry, source: str) -> FeatureWording:
    if not isinstance(entry, dict) or not entry.get("noun") or not entry.get("fact"):
        raise InputError(f"Feature {name!r} in {source} needs a 'noun' and a 'fact'.")
    words = dict(entry.get("words") or {})
    if words:
        _check_levels(list(words), f"feature {name!r} words in {source}")
    return FeatureWording(str(entry["noun"]), str(entry.get("short") or entry["noun"]), str(entry["fact"]), words)


def _check_levels(levels: list[str], where: str) -> None:
    if not levels:
        raise InputError(f"No levels are given for {where}; use some of: {', '.join(LEVELS)}.")
    for level in levels:
        if level not in LEVELS:
            raise InputError(f"Level {level!r} in {where} is not a level; use some of: {', '.join(LEVELS)}.")
