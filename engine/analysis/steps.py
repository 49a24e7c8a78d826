"""The stages of an analysis, one function each: load → features → compare → choose → stability → label → narrative.

Each reads the project and the previous stages' results and returns its own.
:class:`engine.analysis.runner.Analysis` runs them (caching each result with the
fingerprint of what it read), for the app, the command line and the tests alike.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from engine.project import Project
from engine.results import (
    ClusterLabel,
    Comparison,
    ConsistencyWarning,
    Dataset,
    FeatureMatrix,
    Profile,
    Recommendation,
    RunResult,
    Stability,
)

if TYPE_CHECKING:
    import pandas as pd

Progress = Callable[[str, float], None]  # (message, fraction 0..1)


def notes_for_report(narrative: dict, dataset: Dataset, features: FeatureMatrix, comparison: Comparison,
                     edit_notes: list[str]) -> list[str]:
    """Pipeline-level warnings in reading order: the read-first ones, then data, features, comparison, labels."""
    notes = list(narrative.get("read_first", [])) + list(dataset.warnings) + list(features.warnings)
    return list(dict.fromkeys(notes + list(comparison.notes) + list(edit_notes)))


def load(project: Project) -> Dataset:
    """Stage 1: read, recognise and join the data files named in the project."""
    from engine.analysis.memory import arrow_pool_that_returns_memory
    from engine.errors import InputError
    from engine.loading.dataset import load_dataset
    from engine.loading.limits import ReadLimits

    if not project.data.paths:
        raise InputError("No data files were given; pass one or more files or a folder (or use --demo).")
    arrow_pool_that_returns_memory()
    return load_dataset(
        project.data.paths, roles=project.data.roles or None, sheet=project.data.sheet, returns=project.data.returns,
        duplicates=project.data.duplicates, exclude_sheets=project.data.exclude_sheets,
        limits=ReadLimits.of(project.data),
    )


def build_features(project: Project, dataset: Dataset) -> FeatureMatrix:
    """Stage 2: customer (or row) features, transformed and scaled."""
    from engine.features.matrix import build_matrix

    return build_matrix(dataset, project.features, project.data.unit, as_of=project.data.as_of,
                        min_units=project.data.min_units)


def run_comparison(project: Project, features: FeatureMatrix, progress: Progress | None = None) -> Comparison:
    """Stage 3: every algorithm over the k range, scored with every metric."""
    from engine.clustering.compare import compare
    from engine.clustering.selection import SelectionRule

    c = project.clustering
    rule = SelectionRule.from_dict(c.selection)
    return compare(
        features.X,
        c.algorithms,
        k_range=tuple(c.k_range),
        seed=c.seed,
        params=c.params,
        context=features.table,
        progress=progress,
        max_k=rule.max_k(len(features.X)),
        unit=features.unit,
    )


def choose_model(
    project: Project, features: FeatureMatrix, comparison: Comparison
) -> tuple[Recommendation, RunResult, str]:
    """Stage 4: the recommended run, or the analyst's pinned ``clustering.choice``."""
    from engine.clustering.compare import fit_chosen
    from engine.clustering.selection import SelectionRule, recommend

    c = project.clustering
    recommendation = recommend(comparison, features.X, SelectionRule.from_dict(c.selection), c.params,
                               context=features.table)
    choice = project.clustering.choice
    if choice:
        algorithm, k = choice["algorithm"], choice.get("k")
        run = comparison.get(algorithm, k) if algorithm in comparison.algorithms else None
        if run is None or run.labels is None:
            run = fit_chosen(features.X, algorithm, k, c.seed, c.params.get(algorithm, {}), context=features.table)
        if algorithm == recommendation.algorithm and run.n_clusters == recommendation.k:
            reason = "Chosen by the analyst; it is also the model the rule recommends."
        else:
            reason = (
                f"Chosen by the analyst (clustering.choice), overriding the recommended "
                f"{recommendation.algorithm} with k = {recommendation.k}."
            )
        return recommendation, run, reason
    run = comparison.get(recommendation.algorithm, recommendation.k)
    return recommendation, run, "Recommended by the model-selection rule: " + " ".join(recommendation.reasons[:1])


def check_stability(project: Project, features: FeatureMatrix, chosen: RunResult) -> Stability | None:
    """Stage 5: bootstrap stability of the chosen model (None when switched off or nothing was fitted)."""
    from engine.clustering.stability import stability

    c = project.clustering
    if not c.stability_resamples or chosen.labels is None:
        return None
    return stability(
        features.X,
        chosen.algorithm,
        chosen.k if chosen.k is not None else chosen.n_clusters,
        c.seed,
        c.params.get(chosen.algorithm, {}),
        chosen.labels,
        n_resamples=c.stability_resamples,
        context=features.table,
    )


def profile_and_name(features: FeatureMatrix, chosen: RunResult) -> tuple[Profile, dict[int, ClusterLabel], pd.DataFrame]:
    """Stage 6: the chosen clusters' profile, their generated names, descriptions and strategies, and the
    feature levels (engine.narrative.levels) the names were written from, which the report prints."""
    from engine.narrative import feature_levels, generate_labels
    from engine.views.profiles import profile_clusters

    profile = profile_clusters(features, chosen.labels)
    levels = feature_levels(profile)
    fixed = chosen.extra.get("label_names") if chosen.algorithm == "rfm" else None  # RFM keeps its segment names
    return profile, generate_labels(profile, features.labels, fixed_names=fixed, levels=levels), levels


def edited_labels(
    project: Project, generated: dict[int, ClusterLabel], profile: Profile
) -> tuple[dict[int, ClusterLabel], list[ConsistencyWarning], list[str]]:
    """The analyst's edits (``project.labels``) over the generated labels, their consistency warnings and notes."""
    from engine.narrative import apply_edits, check_consistency

    labels, notes = apply_edits(generated, project.labels)
    return labels, check_consistency(labels, profile), list(notes)


def read_first(dataset: Dataset, recommendation: Recommendation, chosen: RunResult, stab: Stability | None) -> list[str]:
    """The warnings that change how to read the whole report, for its first pages and the summary's top.

    Money not found, weak natural structure, no usable model, k at the edge of
    the range, and a chosen model whose segments do not come back on resampling.
    """
    sentences = list(dataset.headline) + list(recommendation.warnings)
    if stab is not None and stab.verdict == "fragile" and not recommendation.weak_structure:
        from engine.clustering.algorithms import ALGORITHMS

        pinned = (chosen.algorithm, chosen.n_clusters) != (recommendation.algorithm, recommendation.k)
        sentences.append(
            f"The segments of the chosen model are fragile: refitted on resampled data they come back only partly "
            f"(mean adjusted Rand index {stab.ari_mean:.2f}; 1 means identical), so treat the boundaries as "
            "approximate" + (f" and compare with the recommended {ALGORITHMS[recommendation.algorithm].label} with k = "
                             f"{recommendation.k}." if pinned else ".")
        )
    return list(dict.fromkeys(sentences))


def report_narrative(project, dataset, features, chosen, recommendation, profile, cluster_labels, stab) -> dict:
    """Report-level sentences: executive summary, implications, monitoring, methodology."""
    from engine.clustering.algorithms import ALGORITHMS
    from engine.narrative import business_implications, executive_summary, methodology, monitoring

    q = dataset.quality
    context = {
        "rows": q.rows_used,
        "customers": q.customers,
        "unit": features.unit,
        "shape": dataset.shape,
        "date_min": q.date_min,
        "date_max": q.date_max,
        "features": [features.labels.get(n, n) for n in features.names],
        "log": [features.labels.get(n, n) for n in features.log],
        "scaling": features.scaling,
        "algorithm": ALGORITHMS[chosen.algorithm].label,
        "k": chosen.n_clusters,
        "reasons": list(recommendation.reasons),
        "metrics": dict(chosen.metrics),
        "seed": project.clustering.seed,
    }
    if features.lines_after_as_of:  # an analysis date inside the data: only the lines up to it were aggregated
        context.update(rows=q.rows_used - features.lines_after_as_of, customers=profile.n_units,
                       date_max=features.as_of, as_of=features.as_of, lines_after=features.lines_after_as_of)
    return {
        "read_first": read_first(dataset, recommendation, chosen, stab),
        "executive_summary": executive_summary(
            profile, cluster_labels, recommendation=recommendation, stability=stab, unit=features.unit
        ),
        "implications": business_implications(profile, cluster_labels),
        "monitoring": monitoring(profile, cluster_labels, stability=stab),
        "methodology": methodology(context),
    }
