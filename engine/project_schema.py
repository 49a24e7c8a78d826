"""Checking a project file against its schema: every problem, one sentence each, all at once.

The schema itself (which key takes which values) is the table ``RULES`` next to
the dataclasses in :mod:`engine.project`; this module holds the rule kinds and
the walk. A key with no rule in the table is checked by its dataclass type
(text, whole number, yes/no, list of names), so a new field is never unchecked.
:func:`check` returns the sentences; :func:`raise_problems` raises them as one
:class:`~engine.errors.InputError` (one sentence when there is one problem).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from datetime import date

from engine.errors import InputError

Problems = list[str]


def shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class Rule:
    nullable = False

    def check(self, value, key: str) -> Problems:  # pragma: no cover - every rule overrides it
        raise NotImplementedError


@dataclass
class Whole(Rule):
    low: int
    high: int
    nullable: bool = False

    def check(self, value, key):
        if value is None and self.nullable:
            return []
        if not _whole(value) or not self.low <= value <= self.high:
            kind = " (text)" if isinstance(value, str) else ""
            return [f"{key} is {shown(value)}{kind}; use a whole number from {self.low:,} to {self.high:,}."]
        return []


class Flag(Rule):
    def check(self, value, key):
        return [] if isinstance(value, bool) else [f"{key} is {shown(value)}; use true or false."]


@dataclass
class Text(Rule):
    nullable: bool = False
    pattern: object = None  # a compiled regular expression the text must match
    hint: str = ""  # what a matching text looks like, for the message

    def check(self, value, key):
        if value is None and self.nullable:
            return []
        if not isinstance(value, str):
            return [f"{key} is {shown(value)}; it should be text."]
        if self.pattern is not None and not self.pattern.match(value.strip()):
            return [f"{key} is {shown(value)}; use {self.hint}."]
        return []


@dataclass
class Day(Rule):
    """A calendar date written YYYY-MM-DD (a time after it is allowed)."""

    nullable: bool = True

    def check(self, value, key):
        if value is None and self.nullable:
            return []
        try:
            date.fromisoformat(value.strip()[:10])
            return []
        except (AttributeError, TypeError, ValueError):
            return [f"{key} is {shown(value)}, which is not a date; use YYYY-MM-DD, e.g. \"2024-12-31\"."]


@dataclass
class OneOf(Rule):
    values: tuple | Callable[[], Iterable]  # a callable: the registry, read when first needed

    def allowed(self) -> tuple:
        return tuple(self.values() if callable(self.values) else self.values)

    def check(self, value, key):
        allowed = self.allowed()
        if value in allowed:
            return []
        if value is not None and not isinstance(value, str):
            return [f"{key} is {shown(value)}; it should be text."]
        return [f"{key} is {shown(value)}; allowed values are {', '.join(map(str, allowed))}."]


@dataclass
class Names(Rule):
    nullable: bool = False
    item: Rule | None = None  # each name's own rule (e.g. OneOf a registry)
    at_least: int = 0
    example: str = '["monetary"]'

    def check(self, value, key):
        if value is None and self.nullable:
            return []
        if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
            return [f"{key} should be a list of names, e.g. {self.example}; it is {shown(value)}."]
        if len(value) < self.at_least:
            return [f"{key} is empty; name at least {self.at_least}, e.g. {self.example}."]
        if self.item is None:
            return []
        return [p for x in value for p in self.item.check(x, f"{key} entry")]


@dataclass
class Range(Rule):
    """Two whole numbers [low, high] with ``least <= low <= high <= most``."""

    least: int
    most: int

    def check(self, value, key):
        if (isinstance(value, list | tuple) and len(value) == 2 and all(_whole(v) for v in value)
                and self.least <= value[0] <= value[1] <= self.most):
            return []
        value = list(value) if isinstance(value, tuple) else value
        return [f"{key} is {shown(value)}; use two whole numbers [low, high] with "
                f"{self.least} <= low <= high <= {self.most}."]


@dataclass
class Mapping(Rule):
    """A JSON object whose keys follow ``keys`` and whose values follow ``values``."""

    keys: Rule
    values: Rule
    what: str = "key"

    def check(self, value, key):
        if value is None:
            return []
        if not isinstance(value, dict):
            return [f"{key} should be a JSON object, not {_json_type(value)}."]
        problems = []
        for name, item in value.items():
            found = self.keys.check(name, f"{key} {self.what}")
            problems += found or self.values.check(item, f"{key}.{name}")
        return problems


@dataclass
class Delegate(Rule):
    """A check that lives with its subject (raises InputError); its sentence is one problem."""

    validate: Callable
    keyed: bool = False  # validate(key, value) rather than validate(value)
    nullable: bool = True

    def check(self, value, key):
        if value is None and self.nullable:
            return []
        try:
            self.validate(key, value) if self.keyed else self.validate(value)
        except InputError as exc:
            return [str(exc)]
        return []


@dataclass
class AllOf(Rule):
    """Rules in turn: the first one that finds problems gives them (a cross-key check runs on a sound object)."""

    rules: tuple
    nullable: bool = True

    def check(self, value, key):
        if value is None and self.nullable:
            return []
        for rule in self.rules:
            problems = rule.check(value, key)
            if problems:
                return problems
        return []


@dataclass
class Section(Rule):
    """A JSON object with known keys: a dataclass's fields, each by its rule (or its type)."""

    cls: type | None
    rules: dict
    required: tuple = ()
    example: str = ""

    def known(self) -> dict[str, Rule]:
        by_type = {f.name: rule_for_type(str(f.type)) for f in fields(self.cls)} if self.cls else {}
        return {**by_type, **self.rules}

    def check(self, value, key):
        if value is None:
            return []
        if not isinstance(value, dict):
            return [f"{key} should be a JSON object, not {_json_type(value)}."]
        known = self.known()
        problems = [f"{key} needs the key {name!r}, e.g. {self.example}." for name in self.required if name not in value]
        for name, item in value.items():
            path = f"{key}.{name}" if key != "project file" else str(name)
            if name not in known:
                problems.append(unknown_key(name, key, known))
            else:
                problems += known[name].check(item, path)
        return problems


def rule_for_type(annotation: str) -> Rule:
    """The rule a dataclass field's type implies, for a key the table does not list."""
    nullable = annotation.endswith("| None")
    base = annotation.removesuffix("| None").strip()
    if base == "str":
        return Text(nullable=nullable)
    if base == "bool":
        return Flag()
    if base == "int":
        return Whole(0, 2**31 - 1, nullable=nullable)
    if base == "list[str]":
        return Names(nullable=nullable)
    return Delegate(lambda value: None)  # dict and the like: checked where it is used


def unknown_key(name, where: str, known: dict) -> str:
    """A sentence naming the unknown key and the nearest known one."""
    allowed = sorted(known)
    close = difflib.get_close_matches(str(name), allowed, n=1, cutoff=0.6)
    label = "The project file" if where == "project file" else where
    if close:
        return f"{label} has unknown key {shown(name)}; did you mean {close[0]!r}?"
    return f"{label} has unknown key {shown(name)}; allowed keys are {', '.join(allowed)}."


def nearest_anywhere(name: str, schema: Section) -> str | None:
    """The dotted key, in any section, whose last part is closest to ``name`` (for a misplaced key)."""
    leaves = {f"{s}.{k}": k for s, rule in schema.known().items() if isinstance(rule, Section)
              for k in rule.known()}
    close = difflib.get_close_matches(str(name), list(leaves.values()), n=1, cutoff=0.6)
    return next((path for path, leaf in leaves.items() if close and leaf == close[0]), None)


def check(raw, schema: Section) -> Problems:
    """Every problem of a project file (a parsed JSON value), one sentence each."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        return [f"The project file should be a JSON object, not {_json_type(raw)}."]
    problems = []
    for name in raw:
        if name not in schema.known():
            near = nearest_anywhere(name, schema)
            problems.append(
                f"The project file has unknown key {shown(name)}; did you mean {near!r}?" if near
                else unknown_key(name, "project file", schema.known())
            )
    known = {k: v for k, v in raw.items() if k in schema.known()}
    return problems + schema.check(known, "project file")


def raise_problems(problems: Problems) -> None:
    """Raise every problem as one InputError: the sentence itself, or a count and every sentence."""
    if not problems:
        return
    message = problems[0] if len(problems) == 1 else (
        f"The project file has {len(problems)} problems: " + " ".join(problems))
    error = InputError(message, field=None)
    error.problems = list(problems)
    raise error


def _json_type(value) -> str:
    names = {list: "a list", str: "text", bool: "true/false", int: "a number", float: "a number",
             type(None): "null"}
    return names.get(type(value), type(value).__name__)
