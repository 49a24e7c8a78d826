"""A small, real AnalysisResult for the report tests (no pipeline run needed).

Sixty customers in three planted groups (occasional low spenders, lapsed
one-off buyers, frequent big spenders) are scaled, clustered with k-means and
profiled with the real engine functions, so every number the report prints is
computed, not typed in. Used by the other test_report_* modules.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans

from engine.clustering.metrics import score
from engine.narrative import feature_levels
from engine.project import Project
from engine.results import (
    AnalysisResult,
    ClusterLabel,
    Comparison,
    ConsistencyWarning,
    Dataset,
    FeatureMatrix,
    JoinReport,
    QualitySummary,
    Recommendation,
    RunResult,
    Stability,
    TableInfo,
)
from engine.views.profiles import profile_clusters
from engine.views.projection import project_2d

GROUPS = (  # size, recency days, orders, revenue
    (30, 20.0, 3.0, 300.0),
    (20, 200.0, 1.0, 80.0),
    (10, 5.0, 15.0, 5000.0),
)
NAMES_BY_SPEND = ("Lapsed one-off buyers", "Occasional shoppers", "Frequent big spenders")


def feature_matrix() -> FeatureMatrix:
    rng = np.random.default_rng(0)
    parts = []
    for size, recency, orders, revenue in GROUPS:
        parts.append(pd.DataFrame({
            "recency_days": np.round(rng.normal(recency, recency * 0.15, size).clip(1)),
            "frequency": np.round(rng.normal(orders, orders * 0.2 + 0.3, size).clip(1)),
            "monetary": np.round(rng.normal(revenue, revenue * 0.2, size).clip(10), 2),
        }))
    table = pd.concat(parts, ignore_index=True)
    table.index = pd.Index([f"C{i:03d}" for i in range(len(table))], name="customer_id")
    logged = np.log1p(table.to_numpy(dtype=float))
    X = (logged - logged.mean(axis=0)) / logged.std(axis=0)
    shares = pd.DataFrame({"Books": rng.uniform(0, 1, len(table))}, index=table.index)
    shares["Garden"] = 1 - shares["Books"]
    attributes = pd.DataFrame({"region": rng.choice(["North", "South"], len(table))}, index=table.index)
    return FeatureMatrix(
        table=table, X=X, names=list(table.columns), unit="customer", scaling="standard",
        log=list(table.columns), labels={"recency_days": "Recency", "frequency": "Frequency", "monetary": "Monetary"},
        revenue=table["monetary"], attributes=attributes, category_shares=shares,
    )


def _kmeans_run(X: np.ndarray, k: int) -> RunResult:
    labels = KMeans(n_clusters=k, n_init=4, random_state=42).fit_predict(X)
    # canonical ids: ordered by first appearance, as the engine does
    order = {old: new for new, old in enumerate(dict.fromkeys(labels.tolist()))}
    labels = np.array([order[v] for v in labels])
    metrics, _ = score(X, labels, seed=42)
    sizes = np.bincount(labels)
    return RunResult("kmeans", k, labels, n_clusters=k, metrics=metrics, min_cluster_share=sizes.min() / len(labels),
                     fitted_on=len(labels), params={"n_clusters": k, "random_state": 42})


def make_result(client: str = "Sample Retail Co.", names: dict[int, str] | None = None,
                pinned_k: int | None = None, **report) -> AnalysisResult:
    """The fixture result; ``names`` overrides cluster names, ``pinned_k`` pins k-means with that k
    (the rule recommends k = 3), ``report`` sets ReportSpec fields. The report is the full analyst's
    form unless ``detail="client"`` is passed: most report tests check sections only it has."""
    report.setdefault("detail", "full")
    features = feature_matrix()
    runs = [_kmeans_run(features.X, k) for k in (2, 3, 4)]
    runs.append(RunResult("dbscan", None, None, status="failed",
                          reason="Every point was left as noise, so there are no clusters to score."))
    comparison = Comparison(runs=runs, algorithms=["kmeans", "dbscan"], k_range=(2, 4), seed=42, n_points=60)
    chosen = runs[(pinned_k or 3) - 2]
    profile = profile_clusters(features, chosen.labels)
    by_spend = profile.means["monetary"].sort_values().index
    generated = [*NAMES_BY_SPEND[:-1], *(f"Middle group {i}" for i in range(len(by_spend) - 3)), NAMES_BY_SPEND[-1]]
    cluster_labels = {
        int(c): ClusterLabel(int(c), (names or {}).get(int(c), generated[i]), f"Description of {generated[i]}.",
                             [f"Strategy for {generated[i]}."], kpis=["Repeat rate"],
                             distinctive=["monetary", "frequency"])
        for i, c in enumerate(by_spend)
    }
    project = Project()
    project.report.client = client
    for key, value in report.items():
        setattr(project.report, key, value)
    reason = "Recommended by the model-selection rule: k = 3 has the lowest Davies-Bouldin index."
    if pinned_k is not None:
        project.clustering.choice = {"algorithm": "kmeans", "k": pinned_k}
        reason = ("Chosen by the analyst; it is also the model the rule recommends." if pinned_k == 3 else
                  "Chosen by the analyst (clustering.choice), overriding the recommended kmeans with k = 3.")
    quality = QualitySummary(
        rows_read=410, rows_used=400, customers=60,
        date_min=pd.Timestamp("2024-01-03"), date_max=pd.Timestamp("2024-12-30"),
        returns=7, returns_treatment="Return lines were netted out of revenue.", duplicate_rows=3,
        findings=["3 duplicate rows were dropped.", "7 return lines were found."],
    )
    dataset = Dataset(
        tables=[TableInfo("Transactions.csv", "/data/Transactions.csv", "transactions", 410,
                          ["CustomerID", "Date", "Amount"], {"customer_id": "CustomerID", "date": "Date"})],
        shape="transactions", transactions=None, customers=None, rows=pd.DataFrame(), quality=quality,
        joins=[JoinReport("Transactions.csv", "Customers.csv", "customer_id", 0, 2, ["C900", "C901"])],
    )
    first = int(by_spend[0])
    warnings = [ConsistencyWarning(first, "high value", "monetary", "very low",
                                   f"Cluster {first} is called high value but its monetary is very low.", suppressed=True)]
    return AnalysisResult(
        project=project, dataset=dataset, features=features, comparison=comparison,
        recommendation=Recommendation("kmeans", 3, ["k = 3 has the lowest Davies-Bouldin index."],
                                      "Lowest Davies-Bouldin among runs whose smallest cluster holds at least 2%."),
        chosen=chosen,
        chosen_reason=reason,
        labels=chosen.labels, profile=profile, cluster_labels=cluster_labels, warnings=warnings,
        stability=Stability(5, 0.93, 0.04, {c: 0.95 - 0.2 * c for c in range(chosen.n_clusters)},
                            {c: ("solid", "moderate", "fragile")[min(c, 2)] for c in range(chosen.n_clusters)},
                            verdict="solid", resample_size=60),
        narrative={
            "executive_summary": ["Three segments were found.", "The big spenders bring most revenue."],
            "implications": {"targeted_marketing": ["Reward the big spenders."],
                             "resource_allocation": ["Spend less on lapsed buyers."],
                             "product_recommendations": ["Recommend garden products."]},
            "monitoring": ["Refit every quarter."],
            "methodology": ["Features were log-transformed and standardised."],
        },
        timings_s={"load": 0.1},
        notes=["A pipeline note."],
        levels=feature_levels(profile),
        projection=project_2d(features.X, project.report.projection, seed=project.clustering.seed,
                              labels=chosen.labels),
    )
