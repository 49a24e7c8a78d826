"""One object carries the analysis: the project plus each stage's result and its fingerprint.

The app keeps one :class:`Analysis` per browser session; the command line and
tests can drive it too. Every stored result remembers the fingerprint of the
project parts it was computed from, so :meth:`Analysis.status` is a comparison
of fingerprints: an upstream change makes every later step "stale", and
:meth:`Analysis.to_result` refuses stale parts instead of silently reusing them.
The analyst's own words (``project.labels``, ``project.report``) live in the
project and are never cleared by re-running a stage.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from engine import pipeline
from engine.errors import InputError
from engine.project import Project, resolved_project
from engine.results import AnalysisResult, ClusterLabel, ConsistencyWarning, Dataset, Profile

T = TypeVar("T")
Progress = Callable[[str, float], None]
# memo(stage, key, compute) -> value; the app passes a cache shared across reruns.
Memo = Callable[[str, str, Callable[[], Any]], Any]

STEPS = ("data", "features", "compare", "label", "report")
STEP_TITLES = {"data": "Data", "features": "Features", "compare": "Compare", "label": "Label", "report": "Report"}
REPO_ROOT = Path(__file__).resolve().parent.parent


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
    """Profile of the chosen model and the generated (unedited) cluster labels."""

    profile: Profile
    generated: dict[int, ClusterLabel]


def _hash(*parts: Any) -> str:
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
        return _hash("data", {k: v for k, v in d["data"].items() if k not in ("unit", "as_of")})
    if stage == "features":
        return _hash(stage_fingerprint(project, "data"), project.fingerprint("features"))
    if stage == "comparison":
        clustering = {k: v for k, v in d["clustering"].items() if k not in ("choice", "stability_resamples")}
        return _hash(stage_fingerprint(project, "features"), clustering)
    if stage == "choice":
        return _hash(stage_fingerprint(project, "comparison"), d["clustering"]["choice"])
    if stage in ("labels", "stability"):
        extra = d["clustering"]["stability_resamples"] if stage == "stability" else None
        return _hash(stage_fingerprint(project, "choice"), stage, extra)
    if stage == "report":
        return _hash(stage_fingerprint(project, "stability"), project.fingerprint("report"))
    raise ValueError(f"unknown stage {stage!r}")


# which stored stages make up each of the five steps the analyst sees
_STEP_STAGES = {
    "data": ("data",),
    "features": ("features",),
    "compare": ("comparison", "choice", "stability"),
    "label": ("labels",),
    "report": ("pdf",),
}
_STAGE_FP = {"pdf": "report", "html": "report", "result": "report"}
_TIMED = ("data", "features", "comparison", "choice", "stability", "labels")  # stored stages with their seconds
TIMING_NAMES = {"data": "load"}  # summary JSON key per stage (DESIGN.md: timings_s.load)


@dataclass
class Analysis:
    """The project and every stage result computed from it, with fingerprints."""

    project: Project = field(default_factory=Project)
    data: Stored | None = None  # Dataset
    features: Stored | None = None  # FeatureMatrix
    comparison: Stored | None = None  # Comparison
    choice: Stored | None = None  # Choice
    stability: Stored | None = None  # Stability | None (None when resamples = 0)
    labels: Stored | None = None  # Labelled
    result: Stored | None = None  # AnalysisResult assembled for the report
    html: Stored | None = None  # str, the rendered report
    pdf: Stored | None = None  # bytes
    labels_written_for: str | None = None  # choice fingerprint the label edits were written for
    data_digest: str = ""  # identity of the input files' contents, part of every cache key
    notes: list[str] = field(default_factory=list)  # e.g. what opening a project file changed
    memo: Memo | None = field(default=None, repr=False, compare=False)

    # ---- status --------------------------------------------------------
    def fingerprint(self, stage: str) -> str:
        return stage_fingerprint(self.project, _STAGE_FP.get(stage, stage))

    def stage_status(self, stage: str) -> str:
        stored: Stored | None = getattr(self, stage)
        if stored is None:
            return "pending"
        return "done" if stored.fingerprint == self.fingerprint(stage) else "stale"

    def status(self, step: str) -> str:
        """"done", "stale" or "pending" for one of :data:`STEPS`, from fingerprints only."""
        stages = [s for s in _STEP_STAGES[step] if s != "stability" or self.project.clustering.stability_resamples]
        states = [self.stage_status(s) for s in stages]
        if all(s == "done" for s in states):
            return "done"
        return "stale" if "stale" in states else "pending"

    def current(self, stage: str) -> Any:
        """The stage's value if it is up to date, else None (never a stale value)."""
        stored: Stored | None = getattr(self, stage)
        return stored.value if stored is not None and self.stage_status(stage) == "done" else None

    # ---- running stages ------------------------------------------------
    def _run(self, stage: str, compute: Callable[[], Any]) -> Any:
        fp = self.fingerprint(stage)
        t0 = time.perf_counter()
        value = self.memo(stage, fp + self.data_digest, compute) if self.memo else compute()
        setattr(self, stage, Stored(value, fp, round(time.perf_counter() - t0, 3)))
        return value

    def _need(self, stage: str, step: str) -> Any:
        value = self.current(stage)
        if value is None:
            raise InputError(f"The {STEP_TITLES[step]} step is not up to date; run it first.")
        return value

    def run_data(self):
        """Stage 1: load the files named in ``project.data`` (stored only if loading succeeds)."""
        project = _copy(self.project)
        previous, self.data_digest = self.data_digest, _files_digest(project.data.paths)
        try:
            return self._run("data", lambda: pipeline.load(project))
        except BaseException:
            self.data_digest = previous
            raise

    def run_features(self):
        dataset = self._need("data", "data")
        project = _copy(self.project)
        return self._run("features", lambda: pipeline.build_features(project, dataset))

    def run_comparison(self, progress: Progress | None = None):
        features = self._need("features", "features")
        project = _copy(self.project)
        return self._run("comparison", lambda: pipeline.run_comparison(project, features, progress))

    def run_choice(self) -> Choice:
        features = self._need("features", "features")
        comparison = self._need("comparison", "compare")
        project = _copy(self.project)
        return self._run("choice", lambda: Choice(*pipeline.choose_model(project, features, comparison)))

    def run_stability(self):
        features = self._need("features", "features")
        chosen = self._need("choice", "compare").run
        project = _copy(self.project)
        return self._run("stability", lambda: pipeline.check_stability(project, features, chosen))

    def run_labels(self) -> Labelled:
        """Profile the chosen clusters and generate their names (the analyst's edits apply on top)."""
        features = self._need("features", "features")
        chosen = self._need("choice", "compare").run
        labelled = self._run("labels", lambda: Labelled(*pipeline.profile_and_name(features, chosen)))
        if self.labels_written_for is None:
            self.labels_written_for = self.fingerprint("choice")
        return labelled

    def run_all(self, progress: Progress | None = None) -> None:
        """Run every stage that is not up to date, in order (what the demo button does)."""

        def say(msg: str, frac: float) -> None:
            if progress:
                progress(msg, frac)

        steps = [
            ("data", "Loading data", 0.0, self.run_data),
            ("features", "Building features", 0.1, self.run_features),
            ("comparison", "Comparing algorithms", 0.15,
             lambda: self.run_comparison(lambda m, f: say(m, 0.15 + 0.6 * f))),
            ("choice", "Choosing the model", 0.75, self.run_choice),
            ("stability", "Checking stability", 0.8, self.run_stability),
            ("labels", "Profiling and naming clusters", 0.9, self.run_labels),
        ]
        for stage, message, frac, step in steps:
            if self.stage_status(stage) != "done":
                say(message, frac)
                step()
        say("Done", 1.0)

    def projection(self, method: str, max_points: int = 3000):
        """The chosen clusters in 2-D (engine.projection), cached per model and method."""
        from engine.projection import project_2d

        features = self._need("features", "features")
        chosen = self._need("choice", "compare").run
        seed = self.project.clustering.seed
        key = f"{self.fingerprint('choice')}{self.data_digest}:{method}:{max_points}"

        def compute():
            return project_2d(features.X, method, seed=seed, max_points=max_points, labels=chosen.labels)

        return self.memo("projection", key, compute) if self.memo else compute()

    # ---- labels --------------------------------------------------------
    def cluster_labels(self) -> tuple[dict[int, ClusterLabel], list[ConsistencyWarning], list[str]]:
        """Generated labels with the analyst's edits applied, the consistency warnings, and edit notes."""
        labelled: Labelled = self._need("labels", "label")
        return pipeline.edited_labels(self.project, labelled.generated, labelled.profile)

    def edits_for_other_model(self) -> bool:
        """True when label edits exist that were written while a different model was chosen."""
        return bool(self.project.labels) and self.labels_written_for not in (None, self.fingerprint("choice"))

    def mark_labels_reviewed(self) -> None:
        self.labels_written_for = self.fingerprint("choice")

    # ---- the report ----------------------------------------------------
    def to_result(self) -> AnalysisResult:
        """Assemble the report's input from up-to-date stages only (raises if any is stale).

        The one place an :class:`AnalysisResult` is built, for the app, the
        command line and the tests alike. Kept until the report fingerprint
        changes (labels and report options included).
        """
        current = self.current("result")
        if current is not None:
            return current
        dataset = self._need("data", "data")
        features = self._need("features", "features")
        comparison = self._need("comparison", "compare")
        choice: Choice = self._need("choice", "compare")
        stab = self.current("stability")
        if self.project.clustering.stability_resamples and self.stage_status("stability") != "done":
            raise InputError("The stability check is not up to date; run the Compare step first.")
        labelled: Labelled = self._need("labels", "label")
        started = time.perf_counter()
        cluster_labels, warnings, edit_notes = self.cluster_labels()
        narrative = pipeline.report_narrative(
            self.project, dataset, features, choice.run, choice.recommendation, labelled.profile,
            cluster_labels, stab,
        )
        timings = {TIMING_NAMES.get(stage, stage): getattr(self, stage).seconds for stage in _TIMED
                   if getattr(self, stage) is not None}
        timings["narrative"] = round(time.perf_counter() - started, 3)
        result = AnalysisResult(
            project=_copy(self.project), dataset=dataset, features=features, comparison=comparison,
            recommendation=choice.recommendation, chosen=choice.run, chosen_reason=choice.reason,
            labels=choice.run.labels, profile=labelled.profile, cluster_labels=cluster_labels,
            warnings=warnings, stability=stab, narrative=narrative, timings_s=timings,
            notes=pipeline.notes_for_report(narrative, dataset, features, comparison, edit_notes),
        )
        self.result = Stored(result, self.fingerprint("result"))
        return result

    def render_html(self, generated_at: str | None = None) -> str:
        """The report as HTML, rendered once per report fingerprint."""
        from engine.report.render import render_html

        current = self.current("html")
        if current is not None:
            return current
        result = self.to_result()
        return self._run("html", lambda: render_html(result, result.project.report, generated_at=generated_at))

    def render_pdf(self) -> bytes:
        """The PDF of :meth:`render_html`, built once per report fingerprint."""
        from engine.report.render import render_pdf

        current = self.current("pdf")
        if current is not None:
            return current
        html = self.render_html()
        return self._run("pdf", lambda: render_pdf(html))

    # ---- project files -------------------------------------------------
    def to_project_json(self) -> str:
        """The project file that rebuilds the report (defaulted features written out)."""
        features = self.current("features")
        return resolved_project(self.project, features.names if features is not None else None).to_json()

    @classmethod
    def from_project_json(cls, text: str, data_dir: str | Path | None = None) -> Analysis:
        """Restore an analysis from a project file; nothing is computed yet (call :meth:`run_all`).

        Data paths must point into the repository's ``data/`` folder or to files
        the analyst uploaded with the project (``data_dir``); a path anywhere
        else is matched by file name among the uploads, so a project file
        cannot make the app read arbitrary files on the server.
        """
        project = Project.from_json(text, fix="export it again from the app")
        roots = [REPO_ROOT / "data"] + ([Path(data_dir)] if data_dir else [])
        project.data.paths = [_resolve(p, roots) for p in project.data.paths]
        notes = []
        if project.report.logo:
            try:
                project.report.logo = _resolve(project.report.logo, roots)
            except InputError:
                notes.append(f"The logo {Path(project.report.logo).name} was not uploaded; the report has no logo.")
                project.report.logo = None
        analysis = cls(project=project, notes=notes)
        analysis.labels_written_for = None
        return analysis


def _copy(project: Project) -> Project:
    """A frozen snapshot, so a cached computation never sees later edits."""
    return Project.from_dict(json.loads(project.to_json()))


def _files_digest(paths: list[str]) -> str:
    """Cheap identity of the input files (name, size, mtime) for cache keys."""
    items = []
    for raw in paths:
        p = Path(raw)
        files = sorted(p.rglob("*")) if p.is_dir() else [p]
        for f in files:
            if f.is_file():
                st = f.stat()
                items.append((str(f), st.st_size, st.st_mtime_ns))
    return _hash(items)


def _resolve(raw: str, roots: list[Path]) -> str:
    path = Path(raw)
    candidates = [path] if path.is_absolute() else [REPO_ROOT / path] + [root / path for root in roots[1:]]
    if "data" in path.parts:  # a path from another checkout: .../data/sample -> <repo>/data/sample
        idx = len(path.parts) - 1 - path.parts[::-1].index("data")
        candidates.append(REPO_ROOT.joinpath(*path.parts[idx:]))
    candidates += [root / path.name for root in roots[1:]]
    for cand in candidates:
        resolved = cand.resolve()
        if resolved.exists() and any(resolved.is_relative_to(root.resolve()) for root in roots):
            return str(resolved)
    raise InputError(
        f"The project file names {raw!r}, which is neither in the bundled data/ folder nor among the uploaded "
        f"files; upload {path.name} together with the project file."
    )


def run_project(project: Project, progress: Progress | None = None, dataset: Dataset | None = None) -> AnalysisResult:
    """Every stage of ``project``, in order, and the result the report renders.

    What the command line, the benchmarks and the tests run; the app drives the
    same :class:`Analysis` step by step. ``dataset`` skips loading (already read).
    """
    analysis = Analysis(project=project)
    if dataset is not None:
        analysis.data = Stored(dataset, analysis.fingerprint("data"))
    analysis.run_all(progress)
    return analysis.to_result()
