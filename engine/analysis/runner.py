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

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.analysis import steps as pipeline
from engine.analysis.memory import release_lines
from engine.analysis.stages import (
    STAGE_FP,
    STAGE_ORDER,
    STEP_STAGES,
    STEP_TITLES,
    TIMING_NAMES,
    Choice,
    Labelled,
    Memo,
    Progress,
    Stored,
    stage_fingerprint,
)
from engine.errors import InputError
from engine.project import LabelSpec, Project, resolved_project
from engine.project_paths import files_digest, resolve_paths
from engine.results import AnalysisResult, ClusterLabel, ConsistencyWarning, Dataset


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
    projection: Stored | None = None  # engine.views.projection.Projection of the chosen clusters (report.projection)
    result: Stored | None = None  # AnalysisResult assembled for the report
    html: Stored | None = None  # str, the rendered report
    pdf: Stored | None = None  # bytes
    labels_written_for: str | None = None  # choice fingerprint the label edits were written for
    data_digest: str = ""  # identity of the input files' contents, part of every cache key
    notes: list[str] = field(default_factory=list)  # e.g. what opening a project file changed
    memo: Memo | None = field(default=None, repr=False, compare=False)

    # ---- status --------------------------------------------------------
    def fingerprint(self, stage: str) -> str:
        return stage_fingerprint(self.project, STAGE_FP.get(stage, stage))

    def stage_status(self, stage: str) -> str:
        stored: Stored | None = getattr(self, stage)
        if stored is None:
            return "pending"
        return "done" if stored.fingerprint == self.fingerprint(stage) else "stale"

    def status(self, step: str) -> str:
        """"done", "stale" or "pending" for one of :data:`STEPS`, from fingerprints only."""
        stages = [s for s in STEP_STAGES[step] if s != "stability" or self.project.clustering.stability_resamples]
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
        previous, self.data_digest = self.data_digest, files_digest(project.data.paths)
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

    def run_projection(self):
        """The chosen clusters in 2-D with ``report.projection``: the one scatter the app and the report show."""
        from engine.views.projection import PROJECTION_POINTS, project_2d

        features = self._need("features", "features")
        chosen = self._need("choice", "compare").run
        method, seed = self.project.report.projection, self.project.clustering.seed
        return self._run("projection", lambda: project_2d(features.X, method, seed=seed,
                                                          max_points=PROJECTION_POINTS, labels=chosen.labels))

    def stale_stages(self, through: str = STAGE_ORDER[-1]) -> list[str]:
        """The stages up to and including ``through``, in run order, that are not up to date."""
        return [stage for stage in STAGE_ORDER[: STAGE_ORDER.index(through) + 1] if self.stage_status(stage) != "done"]

    def run_through(self, stage: str, progress: Progress | None = None) -> None:
        """Run every stage up to and including ``stage`` that is not up to date, in order."""

        def say(msg: str, frac: float) -> None:
            if progress:
                progress(msg, frac)

        steps = {
            "data": ("Loading data", 0.0, self.run_data),
            "features": ("Building features", 0.1, self.run_features),
            "comparison": ("Comparing algorithms", 0.15,
                           lambda: self.run_comparison(lambda m, f: say(m, 0.15 + 0.6 * f))),
            "choice": ("Choosing the model", 0.75, self.run_choice),
            "stability": ("Checking stability", 0.8, self.run_stability),
            "labels": ("Profiling and naming clusters", 0.88, self.run_labels),
            "projection": ("Projecting the clusters to two dimensions", 0.94, self.run_projection),
        }
        if stage not in steps:
            raise ValueError(f"unknown stage {stage!r}")
        for name in STAGE_ORDER[: STAGE_ORDER.index(stage) + 1]:
            if self.stage_status(name) != "done":
                message, frac, step = steps[name]
                say(message, frac)
                step()
        say("Done", 1.0)

    def run_all(self, progress: Progress | None = None) -> None:
        """Run every stage that is not up to date, in order (what the demo button does)."""
        self.run_through(STAGE_ORDER[-1], progress)

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

    def set_label(self, cluster: int, name: str, description: str, strategies: str | list[str],
                  suppress_warnings: bool = False) -> bool:
        """Store the analyst's words for one cluster: only what differs from the generated label.

        Spacing is ignored and empty text means "the generated one", so editing back
        to the generated words removes the edit. ``strategies``: a list, or one per
        line. True when ``project.labels`` changed (the edits then count as reviewed).
        """
        generated = self._need("labels", "label").generated
        if cluster not in generated:
            raise InputError(f"There is no cluster {cluster!r}; the clusters are {', '.join(map(str, generated))}.")
        spec = LabelSpec.edit_of(generated[cluster], name, description, strategies, suppress_warnings)
        if spec == self.project.labels.get(cluster, LabelSpec()):
            return False
        if spec == LabelSpec():
            self.project.labels.pop(cluster, None)
        else:
            self.project.labels[cluster] = spec
        self.mark_labels_reviewed()
        return True

    def reset_labels(self, cluster: int | None = None) -> None:
        """Back to the generated label of ``cluster`` (every cluster when None); the edits count as reviewed."""
        if cluster is None:
            self.project.labels = {}
        else:
            self.project.labels.pop(cluster, None)
        self.mark_labels_reviewed()

    # ---- features ------------------------------------------------------
    def units(self) -> list[str]:
        """The units of analysis the loaded data allows (no customer id: rows only)."""
        dataset = self.current("data")
        return ["row"] if dataset is not None and dataset.shape == "rows" else ["customer", "row"]

    def set_unit(self, unit: str) -> bool:
        """Cluster customers or rows; a new unit clears the feature selection and log list (names differ).

        True when the unit changed. A unit the loaded data cannot give is refused.
        """
        units = self.units()
        if unit not in units:
            raise InputError(f"The unit of analysis {unit!r} is not possible here; choose {' or '.join(units)}.")
        if unit == self.project.data.unit:
            return False
        features = self.project.features
        self.project.data.unit = unit
        features.selected = None
        features.log = None if features.log is None else []
        return True

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
        projection = self._need("projection", "compare")
        started = time.perf_counter()
        cluster_labels, warnings, edit_notes = self.cluster_labels()
        narrative = pipeline.report_narrative(
            self.project, dataset, features, choice.run, choice.recommendation, labelled.profile,
            cluster_labels, stab,
        )
        timings = {TIMING_NAMES.get(stage, stage): getattr(self, stage).seconds for stage in STAGE_ORDER
                   if getattr(self, stage) is not None}
        timings["narrative"] = round(time.perf_counter() - started, 3)
        result = AnalysisResult(
            project=_copy(self.project), dataset=dataset, features=features, comparison=comparison,
            recommendation=choice.recommendation, chosen=choice.run, chosen_reason=choice.reason,
            labels=choice.run.labels, profile=labelled.profile, cluster_labels=cluster_labels,
            warnings=warnings, stability=stab, narrative=narrative, timings_s=timings,
            levels=labelled.levels, projection=projection,
            notes=pipeline.notes_for_report(narrative, dataset, features, comparison, edit_notes),
        )
        if self.project.migration is not None:  # "How segments moved": the saved model at two dates
            from engine.migration.run import migrate_project  # lazy: a later step

            result.migration = migrate_project(self.project)
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

        Paths are resolved by :func:`engine.project_paths.resolve_paths`: into
        the bundled ``data/`` folder or among the uploads in ``data_dir``.
        """
        project = Project.from_json(text, fix="export it again from the app")
        notes = resolve_paths(project, data_dir)
        return cls(project=project, notes=notes)


def _copy(project: Project) -> Project:
    """A frozen snapshot, so a cached computation never sees later edits."""
    return Project.from_dict(json.loads(project.to_json()))


def run_project(project: Project, progress: Progress | None = None, dataset: Dataset | None = None) -> AnalysisResult:
    """Every stage of ``project``, in order, and the result the report renders.

    What the command line, the benchmarks and the tests run; the app drives the
    same :class:`Analysis` step by step. ``dataset`` skips loading (already read).
    """
    analysis = Analysis(project=project)
    if dataset is not None:
        analysis.data = Stored(dataset, analysis.fingerprint("data"))
    analysis.run_through("features", progress and (lambda message, fraction: fraction < 1 and progress(message, fraction)))
    release_lines(analysis)
    analysis.run_all(progress)
    return analysis.to_result()
