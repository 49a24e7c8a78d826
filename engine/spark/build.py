"""A whole build on Spark: the stages of engine.analysis, each on Spark DataFrames, ending in the same result.

Data, features, the model comparison, the chosen model's assignments and the
profiles run in Spark; the recommendation, naming, narrative and report are the
single-machine code, fed with what Spark computed. The one thing brought to the
driver per customer is a stratified sample (at most
:data:`engine.views.projection.PROJECTION_POINTS` customers, every segment in
proportion and at least a few of each) for the 2-D views and the charts that plot
customers; every count, share and mean in the report is over all customers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from engine.errors import InputError
from engine.project import Project
from engine.results import AnalysisResult, Dataset, FeatureMatrix

MIN_PER_SEGMENT = 30  # the sample keeps at least this many of each segment (when it has them)


@dataclass
class SparkBuild:
    """The report's result and, kept in Spark, the assignments (``customer_id``, ``cluster``)."""

    result: AnalysisResult
    assignments: object  # pyspark DataFrame
    info: object  # engine.spark.session.SparkInfo


def run_spark(project: Project, progress=None, today=None) -> SparkBuild:
    """The Spark build; a Spark job that fails (a task's Java exception, the JVM out of memory) is one sentence
    saying during which stage, never a JVM stack trace."""
    from py4j.protocol import Py4JJavaError

    from engine.spark.session import java_failure

    stage = ["starting Spark"]

    def tracking(message: str, fraction: float) -> None:
        stage[0] = message[:1].lower() + message[1:]
        if progress:
            progress(message, fraction)

    try:
        return _run_spark(project, tracking, today)
    except Py4JJavaError as exc:
        raise InputError(java_failure(exc, stage[0])) from None


def _run_spark(project: Project, progress=None, today=None) -> SparkBuild:
    from engine.analysis import steps as pipeline
    from engine.clustering.selection import SelectionRule, recommend
    from engine.features.matrix import _window_days, require_enough_units
    from engine.features.period import cut_sentence, reference_date
    from engine.project import DEFAULT_ALGORITHMS
    from engine.spark.clustering import SPARK_ALGORITHMS, canonical_order, compare, predict
    from engine.spark.dataset import load_lines
    from engine.spark.features import features_of, lines_up_to
    from engine.spark.matrix import build_matrix
    from engine.spark.metrics import SILHOUETTE_NOTE
    from engine.spark.profiles import spark_profile
    from engine.spark.session import session_info, spark_session

    def say(message: str, fraction: float) -> None:
        if progress:
            progress(message, fraction)

    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        timings[name] = round(time.perf_counter() - clock, 3)
        clock = time.perf_counter()

    compute = project.compute
    say(f"Starting Spark ({compute.spark_master})", 0.0)
    spark = spark_session(compute.spark_master, compute.spark_conf)
    info = session_info(spark)
    lap("spark_start")
    say("Loading data in Spark", 0.05)
    lines, tables, quality = load_lines(spark, project, today)
    lap("load")
    say("Building features in Spark", 0.15)
    as_of = project.data.as_of
    lines = lines_up_to(lines, as_of)  # an analysis date inside the data: the lines up to it (period's rule)
    table, numeric, shares, categorical = features_of(lines, as_of)
    table = table.cache()  # read by the matrix's statistics and again by the profiles: the features run once
    n_units = table.count() if lines.after_as_of else quality.customers
    require_enough_units(n_units, "customer", project.data.min_units)
    available = numeric + list(shares.values())
    matrix = build_matrix(table, available, project.features, n_units)
    if lines.after_as_of:  # customers first seen after as_of are not in the table
        matrix.warnings.insert(0, cut_sentence(as_of, lines.after_as_of, max(quality.customers - n_units, 0)))
    lap("features")
    c = project.clustering
    rule = SelectionRule.from_dict(c.selection)
    algorithms = list(c.algorithms)
    if algorithms == DEFAULT_ALGORITHMS:  # the defaults on Spark: what MLlib offers, the rest listed as not run
        algorithms = list(SPARK_ALGORITHMS) + [a for a in algorithms if a not in SPARK_ALGORITHMS]
    fitted: dict = {}  # (algorithm, k) -> (model, cluster statistics): the chosen model is not fitted twice
    comparison = compare(matrix, algorithms, c.k_range, c.seed, c.params, rule,
                         progress=lambda m, f: say(m, 0.2 + 0.5 * f), keep=fitted)
    if not any(r.status == "ok" for r in comparison.runs):
        raise InputError("No Spark MLlib algorithm was run; include kmeans, bisecting_kmeans or gmm in "
                         "clustering.algorithms.")
    recommendation = recommend(comparison, None, replace(rule, resamples=0), c.params)
    chosen, reason = _choose(project, comparison, recommendation)
    lap("comparison")
    say("Assigning customers and profiling segments in Spark", 0.75)
    model, stats = fitted.pop((chosen.algorithm, chosen.k))
    fitted.clear()
    predictions = predict(matrix, chosen.algorithm, model)
    mapping = canonical_order(stats)
    from pyspark.sql import functions as F

    recode = F.create_map(*[F.lit(v) for pair in mapping.items() for v in pair])
    clusters = predictions.select("customer_id", recode[F.col("prediction")].alias("cluster"),
                                  *[f"x{i}" for i in range(len(matrix.names))])
    assigned = table.join(clusters, "customer_id").cache()
    labels_by_name = matrix.labels | {column: f"Share of spend: {category}" for category, column in shares.items()}
    dataset = Dataset(tables=[t.info for t in tables], shape="transactions", transactions=None, customers=None,
                      rows=pd.DataFrame(), quality=quality, joins=[], warnings=list(lines.warnings))
    window = _window_days(dataset, as_of)
    profile = spark_profile(assigned, available, matrix.names, shares, labels_by_name, window)
    lap("profiles")
    stab, stability_notes = None, []
    if c.stability_resamples:
        say(f"Checking stability: {c.stability_resamples} refits on subsamples in Spark", 0.8)
        from engine.spark.stability import NOTE, spark_stability

        stab = spark_stability(matrix, chosen.algorithm, chosen.k, c.seed, c.params.get(chosen.algorithm), assigned,
                               c.stability_resamples)
        stability_notes = [NOTE.format(n=stab.n_resamples, share=stab.resample_size / matrix.n_units)]
        lap("stability")
    say("Sampling customers for the charts", 0.85)
    features, sample_labels = _sample(assigned, matrix, available, shares, categorical, labels_by_name, window,
                                      c.seed)
    features.as_of, features.lines_after_as_of = reference_date(dataset, as_of), lines.after_as_of
    chosen = replace(chosen, labels=None)
    from engine.narrative import feature_levels, generate_labels
    from engine.views.projection import PROJECTION_POINTS, project_2d

    levels = feature_levels(profile)
    generated = generate_labels(profile, features.labels, levels=levels)
    cluster_labels, warnings, edit_notes = pipeline.edited_labels(project, generated, profile)
    projection = project_2d(features.X, project.report.projection, seed=c.seed, max_points=PROJECTION_POINTS,
                            labels=sample_labels)
    narrative = pipeline.report_narrative(project, dataset, features, replace(chosen, labels=sample_labels),
                                          recommendation, profile, cluster_labels, stab)
    narrative["methodology"] = (list(narrative.get("methodology", [])) + [info.sentence(), SILHOUETTE_NOTE]
                                + stability_notes)
    comparison.notes = [info.sentence(), SILHOUETTE_NOTE] + stability_notes + list(comparison.notes)  # appendix
    lap("narrative")
    result = AnalysisResult(
        project=project, dataset=dataset, features=features, comparison=comparison, recommendation=recommendation,
        chosen=replace(chosen, labels=sample_labels), chosen_reason=reason, labels=sample_labels, profile=profile,
        cluster_labels=cluster_labels, warnings=warnings, stability=stab, narrative=narrative, timings_s=timings,
        levels=levels, projection=projection,
        notes=pipeline.notes_for_report(narrative, dataset, features, comparison, edit_notes))
    del model
    say("Done", 1.0)
    return SparkBuild(result, assigned.select("customer_id", "cluster"), info)


def _choose(project: Project, comparison, recommendation):
    choice = project.clustering.choice
    if choice:
        algorithm, k = choice["algorithm"], choice.get("k")
        run = comparison.get(algorithm, k) if algorithm in comparison.algorithms else None
        if run is None or run.status != "ok":
            raise InputError(f"clustering.choice names {algorithm} with k = {k}, which was not run on Spark; choose "
                             "kmeans, bisecting_kmeans or gmm with a k in clustering.k_range.")
        same = algorithm == recommendation.algorithm and run.n_clusters == recommendation.k
        return run, ("Chosen by the analyst; it is also the model the rule recommends." if same else
                     f"Chosen by the analyst (clustering.choice), overriding the recommended "
                     f"{recommendation.algorithm} with k = {recommendation.k}.")
    run = comparison.get(recommendation.algorithm, recommendation.k)
    return run, "Recommended by the model-selection rule: " + " ".join(recommendation.reasons[:1])


def _sample(assigned, matrix, available, shares, categorical, labels, window, seed):
    """A stratified sample of customers brought to the driver: every segment in proportion, at least a few each."""
    from pyspark.sql import functions as F

    from engine.views.projection import PROJECTION_POINTS

    sizes = dict(assigned.groupBy("cluster").count().collect())
    n = sum(sizes.values())
    fractions = {int(k): min(1.0, max(PROJECTION_POINTS / n, MIN_PER_SEGMENT / v)) for k, v in sizes.items()}
    sample = assigned.sampleBy("cluster", fractions, seed).orderBy("customer_id").limit(
        PROJECTION_POINTS + MIN_PER_SEGMENT * len(sizes)).toPandas().set_index("customer_id")
    xs = [f"x{i}" for i in range(len(matrix.names))]
    table = sample[available].astype(float)
    category_shares = None
    if shares:
        category_shares = sample[list(shares.values())].astype(float).set_axis(list(shares), axis=1)
    attributes = sample[categorical] if categorical else None
    features = FeatureMatrix(
        table=table, X=sample[xs].to_numpy(dtype="float64"), names=list(matrix.names), unit="customer",
        scaling=matrix.scaling, log=list(matrix.log), labels=dict(labels),
        revenue=table["monetary"].rename("revenue") if "monetary" in table else None, attributes=attributes,
        category_shares=category_shares, warnings=list(matrix.warnings), window_days=window)
    del F
    return features, sample["cluster"].to_numpy(dtype=np.int64)
