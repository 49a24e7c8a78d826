"""What every report section needs to know about the run: names, units, labels and the context line.

Section builders read the :class:`ReportContext` instead of digging through the
result each time, so a cluster is called the same thing and a metric carries the
same context sentence (features, scaling, unit, algorithm, k, seed) everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

from engine.formatting import cluster_name, integer
from engine.project import ReportSpec
from engine.report.assets import ChartImage, chart_image
from engine.results import NOISE, AnalysisResult, FeatureDef
from engine.views.profiles import is_additive

UNIT_WORDS = {"customer": ("customer", "customers"), "row": ("row", "rows")}
# Customer features that are sums over transactions, so a cluster total means something
# (a total of recency days, of average prices or of shares does not).
ADDITIVE_ROLES = ("amount", "quantity")  # for unit="row": the line amount and quantity columns


def algorithm_label(key: str) -> str:
    """The algorithm's display name from the registry (the key itself if unregistered)."""
    from engine.clustering.algorithms import ALGORITHMS

    entry = ALGORITHMS.get(key)
    return entry.label if entry is not None else key


def feature_def(name: str) -> FeatureDef | None:
    """The catalogue entry of a customer feature (share_<category> included), else None."""
    from engine.features.catalogue import feature_def as lookup

    return lookup(name)


@dataclass
class ReportContext:
    """One run's result plus the report options, with the derived names every section shares."""

    result: AnalysisResult
    options: ReportSpec
    generated_at: str
    # spec, key -> image (or a ChartRef that becomes one); RenderPool passes its own to draw in its workers
    chart_renderer: Callable[[dict, str], ChartImage] = chart_image
    section: str = ""  # key of the section being built (build_report sets it)
    # (section key, chart key, spec) of every chart drawn, in report order (engine.report.deck exports them)
    charts: list[tuple[str, str, dict]] = field(default_factory=list)

    def chart(self, spec: dict, key: str) -> ChartImage:
        """A chart spec (from engine.views.charts) as an image for the page: vector SVG, or JPEG when it is dense.

        vl-convert renders it, refusing any external URL; SVG is rebuilt from an allow-list
        (engine.report.assets.sanitize_svg) before it is embedded.
        """
        self.charts.append((self.section, key, spec))
        return self.chart_renderer(spec, key)

    # ---- units and names ---------------------------------------------------
    @property
    def unit(self) -> str:
        return self.result.features.unit

    @property
    def unit_one(self) -> str:
        return UNIT_WORDS.get(self.unit, (self.unit, self.unit + "s"))[0]

    @property
    def unit_many(self) -> str:
        return UNIT_WORDS.get(self.unit, (self.unit, self.unit + "s"))[1]

    @property
    def n_units(self) -> int:
        return int(self.result.profile.n_units)

    @property
    def k(self) -> int:
        return int(self.result.chosen.n_clusters)

    @property
    def algorithm(self) -> str:
        return algorithm_label(self.result.chosen.algorithm)

    @property
    def seed(self) -> int:
        return int(self.result.project.clustering.seed)

    def cluster_ids(self) -> list[int]:
        """Cluster ids in profile order, noise (if any) last."""
        ids = [int(c) for c in self.result.profile.summary.index]
        return sorted(c for c in ids if c != NOISE) + [c for c in ids if c == NOISE]

    @cached_property
    def _names(self) -> dict[int, str]:
        names = {c: label.name for c, label in self.result.cluster_labels.items()}
        return {c: cluster_name(c, names) for c in self.cluster_ids()}

    def names(self) -> dict[int, str]:
        """Cluster id -> display name, for the chart builders."""
        return dict(self._names)

    def cluster_name(self, cluster: int) -> str:
        """The name the report, the CSVs and the summary all use (noise: "Unassigned")."""
        return self._names[cluster]

    @cached_property
    def levels(self) -> dict[int, dict[str, dict]]:
        """Level of every (cluster, feature): the levels the narrative named the clusters from (result.levels)."""
        from engine.narrative.levels import levels_by_cluster

        if self.result.levels is None:
            raise ValueError("The result carries no feature levels; build it with engine.analysis.runner.Analysis.")
        return levels_by_cluster(self.result.levels)

    # ---- features ----------------------------------------------------------
    def _def(self, name: str) -> FeatureDef | None:
        return feature_def(name) if self.unit == "customer" else None

    def feature_label(self, name: str) -> str:
        labels = {**self.result.profile.feature_labels, **self.result.features.labels}
        if name in labels:
            return labels[name]
        entry = self._def(name)
        return entry.label if entry is not None else name

    def feature_unit(self, name: str) -> str:
        entry = self._def(name)
        return entry.unit if entry is not None else ""

    def is_additive(self, name: str) -> bool:
        """Whether summing the feature over a cluster's units gives a meaningful total."""
        if self.unit == "customer":
            return is_additive(name)
        role_columns = {t.roles.get(role) for t in self.result.dataset.tables for role in ADDITIVE_ROLES}
        return name in role_columns

    def feature_description(self, name: str) -> str:
        entry = self._def(name)
        if entry is not None:
            return entry.description
        return f"Column {name!r} as loaded." if self.unit == "row" else ""

    def feature_list(self) -> str:
        """Clustering features as text, '(log)' after those log-transformed."""
        f = self.result.features
        return ", ".join(self.feature_label(n) + (" (log)" if n in f.log else "") for n in f.names)

    # ---- context lines -----------------------------------------------------
    def data_context(self) -> str:
        """Features, scaling and unit: the part of every metric's context common to all runs."""
        f = self.result.features
        return (
            f"{integer(self.n_units)} {self.unit_many}; features: {self.feature_list()}; "
            f"scaling: {f.scaling}"
        )

    def model_context(self) -> str:
        """The full context line of a number from the chosen model."""
        return f"{self.data_context()}; algorithm: {self.algorithm}, k = {self.k}; seed {self.seed}."

    def comparison_context(self) -> str:
        """The context line of a number from the comparison (every algorithm, every k)."""
        c = self.result.comparison
        low, high = c.k_range
        return f"{self.data_context()}; k = {low}–{high} for algorithms that take k; seed {c.seed}."

    @property
    def as_of(self) -> pd.Timestamp | None:
        """The recency reference date: data.as_of, or the day after the last date in the data."""
        as_of = self.result.project.data.as_of
        if as_of:
            return pd.Timestamp(as_of)
        last = self.result.dataset.quality.date_max
        return None if last is None or pd.isna(last) else pd.Timestamp(last).normalize() + pd.Timedelta(days=1)

