"""The stages of an analysis as stored results: what each reads from the project (its fingerprint).

:class:`engine.analysis.runner.Analysis` stores every stage's result with the
fingerprint of the project parts it was computed from; this module says which
parts those are, which stages make up each of the five steps the analyst sees,
and the order the stages run in.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from engine.project import Project
from engine.results import ClusterLabel, Profile

T = TypeVar("T")
Progress = Callable[[str, float], None]
# memo(stage, key, compute) -> value; the app passes a cache shared across reruns.
Memo = Callable[[str, str, Callable[[], Any]], Any]

STEPS = ("data", "features", "compare", "label", "report")
STEP_TITLES = {"data": "Data", "features": "Features", "compare": "Compare", "label": "Label", "report": "Report"}


@dataclass
class Stored(Generic[T]):
    """A stage result with the fingerprint of the inputs it was computed from."""

    value: T
    fingerprint: str
    seconds: float = 0.0


@dataclass
class Choice:
    """The chosen model: the rule's recommendation, the run used and why."""

    recommendation: Any  # engine.results.Recommendation
    run: Any  # engine.results.RunResult
    reason: str


@dataclass
class Labelled:
    """Profile of the chosen model, the generated (unedited) cluster labels and the levels they were written from."""

    profile: Profile
    generated: dict[int, ClusterLabel]
    levels: Any = None  # pandas DataFrame of engine.narrative.levels.feature_levels


def hash_parts(*parts: Any) -> str:
    payload = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def stage_fingerprint(project: Project, stage: str) -> str:
    """Hash of exactly what one stage reads from the project (chained to upstream stages).

    Finer than :meth:`Project.fingerprint`: the unit of analysis does not reload
    the files, and pinning a model or changing the stability resamples does not
    re-run the comparison.
    """
    d = project.to_dict()
    if stage == "data":
        return hash_parts("data", {k: v for k, v in d["data"].items() if k not in ("unit", "as_of")})
    if stage == "features":
        return hash_parts(stage_fingerprint(project, "data"), project.fingerprint("features"))
    if stage == "comparison":
        clustering = {k: v for k, v in d["clustering"].items() if k not in ("choice", "stability_resamples")}
        return hash_parts(stage_fingerprint(project, "features"), clustering)
    if stage == "choice":
        return hash_parts(stage_fingerprint(project, "comparison"), d["clustering"]["choice"])
    if stage == "projection":
        return hash_parts(stage_fingerprint(project, "choice"), stage, d["report"]["projection"])
    if stage in ("labels", "stability"):
        extra = d["clustering"]["stability_resamples"] if stage == "stability" else None
        return hash_parts(stage_fingerprint(project, "choice"), stage, extra)
    if stage == "report":
        return hash_parts(stage_fingerprint(project, "stability"), stage_fingerprint(project, "projection"),
                          project.fingerprint("report"))
    raise ValueError(f"unknown stage {stage!r}")


# which stored stages make up each of the five steps the analyst sees
STEP_STAGES = {
    "data": ("data",),
    "features": ("features",),
    "compare": ("comparison", "choice", "stability", "projection"),
    "label": ("labels",),
    "report": ("pdf",),
}
STAGE_FP = {"pdf": "report", "html": "report", "result": "report"}
# the stored stages in run order (each with its seconds in the summary's timings)
STAGE_ORDER = ("data", "features", "comparison", "choice", "stability", "labels", "projection")
TIMING_NAMES = {"data": "load"}  # summary JSON key per stage (DESIGN.md: timings_s.load)
