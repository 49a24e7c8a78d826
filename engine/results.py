"""Plain result types passed between engine stages.

Each stage of the engine returns one of these dataclasses. They carry numbers,
tables and the configuration they were computed with, never presentation. The
app pages, the HTML/PDF report and the summary JSON are three renderings of the
same objects ("compute once, render many").

Stage order (one direction only)::

    load  -> Dataset            (engine.loading.dataset)
    features -> FeatureMatrix   (engine.features.matrix)
    compare -> Comparison       (engine.clustering.compare)
    choose -> Recommendation, RunResult, Stability   (engine.clustering.selection, engine.clustering.stability)
    profile -> Profile          (engine.views.profiles)
    narrative -> ClusterLabel per cluster, ConsistencyWarning list (engine.narrative)
    all of it -> AnalysisResult (engine.analysis.runner)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from engine.views.projection import Projection

# Canonical column names of the joined transaction frame. Loaders map the
# analyst's columns onto these; everything downstream uses only these names.
CANONICAL_COLUMNS = (
    "customer_id",  # str
    "order_id",  # str (invoice / transaction id); may be absent
    "date",  # datetime64[ns]
    "quantity",  # float
    "unit_price",  # float
    "amount",  # float, line amount (given, or quantity * unit_price); negative for returns
    "product_id",  # str
    "category",  # str
    "region",  # str
    "signup_date",  # datetime64[ns]
    "is_return",  # bool: cancellation / return line
)

NOISE = -1  # label of points a density method leaves unassigned


@dataclass
class TableInfo:
    """One loaded table: where it came from, what it is, which column plays which role."""

    name: str  # e.g. "Transactions.csv" or "book.xlsx: Sheet1"
    path: str
    kind: str  # "transactions" | "customers" | "products" | "customer_table" | "unknown"
    n_rows: int
    columns: list[str]
    roles: dict[str, str]  # role -> column name in this table
    sheet: str | None = None
    notes: list[str] = field(default_factory=list)  # why this kind / these roles


@dataclass
class JoinReport:
    """How two tables were joined and which keys did not match."""

    left: str
    right: str
    key: str  # role used as key ("customer_id" / "product_id")
    left_unmatched: int  # left rows whose key is absent on the right
    right_unmatched: int  # right rows never referenced from the left
    examples: list[str] = field(default_factory=list)  # a few unmatched key values


@dataclass
class QualitySummary:
    """Data-quality figures the report quotes. Counts are rows unless stated."""

    rows_read: int
    rows_used: int
    customers: int
    date_min: pd.Timestamp | None = None
    date_max: pd.Timestamp | None = None
    rows_missing_customer: int = 0
    returns: int = 0  # cancellation / return lines
    returns_treatment: str = ""  # one sentence on how they were treated
    duplicate_rows: int = 0  # identical rows removed
    identical_rows_kept: int = 0  # identical rows kept: no order id to tell a repeat purchase from a double export
    unparseable_dates: dict[str, int] = field(default_factory=dict)  # column -> count
    implausible_numbers: dict[str, int] = field(default_factory=dict)  # column -> infinite or |x| > 1e15, made missing
    repeated_ids: int = 0  # rows of a customer table repeating an earlier row's customer id (the first row is kept)
    future_dates: int = 0  # transaction rows dated after the build day, removed
    non_positive_prices: int = 0
    outliers: int = 0  # extreme values (customers or rows, see outlier_rule)
    outlier_rule: str = ""
    first_purchase_before_signup: int = 0  # customers; their tenure starts at the first purchase
    findings: list[str] = field(default_factory=list)  # sentences for the report


@dataclass
class Dataset:
    """Everything loaded, recognised and joined.

    ``shape`` is "transactions" (line-level data; customer features are built by
    aggregation), "customer_table" (already one row per customer) or "rows"
    (no customer id role; only unit="row" is possible).
    """

    tables: list[TableInfo]
    shape: str
    transactions: pd.DataFrame | None  # canonical columns, rows kept after cleaning
    customers: pd.DataFrame | None  # one row per customer_id (attributes), index customer_id
    rows: pd.DataFrame  # the main table's rows kept by cleaning (for unit="row"), original column names
    quality: QualitySummary
    joins: list[JoinReport] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    headline: list[str] = field(default_factory=list)  # warnings that change how to read the whole report
    currency: str | None = None  # what the money columns say they are in ("EUR", "$"), None when they do not say


@dataclass(frozen=True)
class FeatureDef:
    """One entry of the feature catalogue (engine.features.matrix.FEATURES)."""

    name: str  # stable key used in project files, e.g. "recency_days"
    label: str  # "Recency"
    description: str  # one line
    unit: str  # "days", "orders", "currency", "items", "share", ...
    skewed: bool = False  # heavy right tail: log1p by default
    needs: tuple[str, ...] = ()  # canonical columns required: where the feature is offered and computed
    additive: bool = False  # a cluster total means something (revenue, orders, items; not days or prices)
    # per-customer values from an engine.features.aggregate.CustomerLines (None: computed as a family, e.g. shares)
    compute: Callable[[Any], Any] | None = field(default=None, compare=False, repr=False)


@dataclass
class FeatureMatrix:
    """The numbers clustering runs on, with everything needed to explain them.

    ``table`` holds raw (untransformed) values of *every* available numeric
    feature, one row per unit (index: customer id, or row number for
    unit="row"); ``X`` holds only ``names`` after log1p and scaling, in the same
    row order.
    """

    table: pd.DataFrame
    X: np.ndarray
    names: list[str]
    unit: str  # "customer" | "row"
    scaling: str  # "none" | "standard" | "minmax" | "robust"
    log: list[str]  # features log1p-transformed before scaling
    labels: dict[str, str] = field(default_factory=dict)  # feature -> human label
    revenue: pd.Series | None = None  # per-unit revenue (monetary) when known
    attributes: pd.DataFrame | None = None  # categorical per unit (region, ...)
    category_shares: pd.DataFrame | None = None  # per-unit share of spend by category
    warnings: list[str] = field(default_factory=list)
    window_days: float | None = None  # days from the first date in the data to the reference date (None: no dates)
    as_of: pd.Timestamp | None = None  # reference date recency and tenure are measured from (None: no dates)
    lines_after_as_of: int = 0  # transaction lines left out for being dated after data.as_of


@dataclass
class RunResult:
    """One (algorithm, k) fit in the comparison."""

    algorithm: str
    k: int | None  # requested k (None for density methods)
    labels: np.ndarray | None  # canonical ids 0..m-1, NOISE for unassigned; None if failed
    n_clusters: int = 0
    metrics: dict[str, float] = field(default_factory=dict)  # METRICS keys + bic/aic
    noise_share: float = 0.0
    min_cluster_share: float = 0.0
    fit_seconds: float = 0.0
    fitted_on: int = 0  # points the model was fitted on (sample size if sampled)
    sampled: bool = False
    silhouette_sample: int | None = None  # points used for silhouette when sampled
    status: str = "ok"  # "ok" | "degenerate" | "failed" | "skipped" (not run on purpose, e.g. too large)
    reason: str = ""  # why degenerate / failed, one sentence
    params: dict = field(default_factory=dict)  # parameters actually used
    extra: dict = field(default_factory=dict)  # eps, bic/aic, warnings, RFM label_names/notes/edges


@dataclass
class Comparison:
    """All runs, plus the settings they were run with."""

    runs: list[RunResult]
    algorithms: list[str]
    k_range: tuple[int, int]  # the k range run (capped so every segment can be usable)
    seed: int
    n_points: int
    k_asked: tuple[int, int] | None = None  # the project's k range, when the cap lowered it
    notes: list[str] = field(default_factory=list)  # e.g. why k was capped

    def table(self) -> pd.DataFrame:
        """One row per run: algorithm, k, n_clusters, metrics, status."""
        rows = []
        for r in self.runs:
            row = {
                "algorithm": r.algorithm,
                "k": r.k,
                "n_clusters": r.n_clusters,
                **r.metrics,
                "min_cluster_share": r.min_cluster_share,
                "noise_share": r.noise_share,
                "fit_seconds": r.fit_seconds,
                "sampled": r.sampled,
                "status": r.status,
                "reason": r.reason,
            }
            rows.append(row)
        return pd.DataFrame(rows)

    def get(self, algorithm: str, k: int | None) -> RunResult | None:
        for r in self.runs:
            if r.algorithm == algorithm and (k is None or r.k == k or r.n_clusters == k):
                return r
        return None


@dataclass
class Recommendation:
    """The model the rule picks, and why, in sentences the report can print."""

    algorithm: str
    k: int
    reasons: list[str]
    rule: str  # one paragraph describing the rule
    ranking: pd.DataFrame | None = None  # eligible runs in recommendation order, ranks and bootstrap stability
    warnings: list[str] = field(default_factory=list)  # change how to read the result: weak structure, k at the edge
    weak_structure: bool = False
    bootstrap_ari: float = float("nan")  # mean bootstrap ARI of the recommended run (NaN when not checked)
    eligible: bool = True  # False when no run had usable segments


@dataclass
class Stability:
    """Bootstrap stability of the chosen model."""

    n_resamples: int
    ari_mean: float
    ari_std: float
    jaccard: dict[int, float]  # cluster id -> mean best-match Jaccard
    verdicts: dict[int, str] = field(default_factory=dict)  # "solid" | "moderate" | "fragile"
    verdict: str = ""  # whole model, from ari_mean, same thresholds
    resample_size: int = 0  # points drawn per resample


@dataclass
class Profile:
    """Per-cluster description on the raw feature scale.

    Index of every table is the cluster id (NOISE included when present, so
    sizes add up to the number of units analysed).
    """

    unit: str
    n_units: int
    summary: pd.DataFrame  # size, share, revenue, revenue_share
    means: pd.DataFrame  # cluster x feature
    medians: pd.DataFrame
    totals: pd.DataFrame
    standardized: pd.DataFrame  # (cluster mean - population mean) / population std
    population_mean: pd.Series
    population_median: pd.Series
    population_std: pd.Series
    features: list[str]  # features profiled (all numeric available)
    clustered_on: list[str]  # features the model was fitted on
    top_categories: dict[int, list[tuple[str, float]]] = field(default_factory=dict)
    region_mix: dict[int, list[tuple[str, float]]] = field(default_factory=dict)
    feature_labels: dict[str, str] = field(default_factory=dict)  # feature -> human label (for tables)
    window_days: float | None = None  # length of the data window in days (FeatureMatrix.window_days)


@dataclass
class ClusterLabel:
    """Name, description and strategies of one cluster (generated or edited)."""

    cluster: int
    name: str
    description: str
    strategies: list[str]
    kpis: list[str] = field(default_factory=list)
    persona: str | None = None  # playbook key when a persona matched
    distinctive: list[str] = field(default_factory=list)  # features, most distinctive first
    edited: bool = False
    edited_fields: tuple[str, ...] = ()  # which of "name", "description", "strategies" the analyst changed
    suppress_warnings: bool = False


@dataclass
class ConsistencyWarning:
    """An edited or generated label that contradicts the numbers."""

    cluster: int
    claim: str  # the word or phrase in the label, e.g. "high value"
    feature: str
    level: str  # the level the data gives, e.g. "very low"
    message: str  # one sentence naming claim and contradicting number
    suppressed: bool = False


@dataclass
class AnalysisResult:
    """Everything one run of the engine produced, ready to render (built by :meth:`engine.analysis.runner.Analysis.to_result`)."""

    project: object  # engine.project.Project (results stay free of the project module)
    dataset: Dataset
    features: FeatureMatrix
    comparison: Comparison
    recommendation: Recommendation
    chosen: RunResult  # the run used (recommended, or pinned by clustering.choice)
    chosen_reason: str  # one sentence: recommended by the rule, or chosen by the analyst
    labels: np.ndarray  # cluster id per unit, same order as features.table
    profile: Profile
    cluster_labels: dict[int, ClusterLabel]
    warnings: list[ConsistencyWarning]
    stability: Stability | None
    narrative: dict = field(default_factory=dict)  # report-level sentences (engine.narrative)
    timings_s: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # pipeline-level warnings for the report
    levels: pd.DataFrame | None = None  # level of every (cluster, feature): the narrative's, names were checked on it
    projection: Projection | None = None  # the chosen clusters in 2-D (report.projection), as the app shows them
    migration: object | None = None  # engine.migration.Migration when the project file asks for one (section "migration")
