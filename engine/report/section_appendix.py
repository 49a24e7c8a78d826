"""Section builders of the client report's technical appendix: data, methodology, models, checks.

They reuse the full report's builders (:mod:`engine.report.sections`,
:mod:`engine.report.section_models`) and keep what an analyst reviewing the
work needs, in fewer pages: the sources and data quality, how the features
were built and scaled, which algorithms were compared and how the number of
segments was chosen, every metric with one plain sentence, stability,
consistency checks and what reproduces the report.
"""

from __future__ import annotations

from engine.formatting import edited_fields
from engine.report import section_models
from engine.report.context import ReportContext, algorithm_label
from engine.results import NOISE

MODEL_METRICS = ("davies_bouldin", "silhouette", "calinski_harabasz")  # columns of the compact comparison table


def build_appendix_data(ctx: ReportContext) -> dict:
    from engine.report.sections import build_data_methodology

    data = build_data_methodology(ctx)
    r = ctx.result
    return {
        "tables": data["tables"], "unit_sentence": data["unit_sentence"], "facts": data["facts"],
        "recency_note": data["recency_note"], "findings": data["findings"],
        "returns_treatment": data["returns_treatment"],
        "joins": [f"{j.left} joined to {j.right} on {j.key.replace('_', ' ')}: {j.left_unmatched:,} rows without a "
                  f"match, {j.right_unmatched:,} rows of {j.right} unused." for j in r.dataset.joins],
    }


def build_appendix_method(ctx: ReportContext) -> dict:
    from engine.features.scaling import scaling_sentence  # lazy: it imports scikit-learn

    r = ctx.result
    f = r.features
    c = r.comparison
    low, high = c.k_range
    s = r.stability
    stability = None if s is None else {"n_resamples": s.n_resamples, "ari_mean": s.ari_mean, "ari_std": s.ari_std,
                                        "verdict": s.verdict}
    return {
        "features": [{"label": ctx.feature_label(n), "unit": ctx.feature_unit(n), "log": n in f.log}
                     for n in f.names],
        "profiled": [ctx.feature_label(n) for n in r.profile.features if n not in set(f.names)],
        "scaling_sentence": scaling_sentence(f.scaling),
        "algorithms": [algorithm_label(a) for a in c.algorithms],
        "k_range": f"{low}–{high}",
        "chosen": f"{ctx.algorithm} with {ctx.k} segments",
        "chosen_reason": r.chosen_reason,
        "reasons": [reason for reason in r.recommendation.reasons if reason not in r.chosen_reason],
        "technical_warnings": list(r.narrative.get("read_first", [])),
        "stability": stability,
        "seed": ctx.seed,
    }


def build_appendix_models(ctx: ReportContext) -> dict:
    from engine.clustering.metrics import METRICS

    comparison = section_models.build_algorithm_comparison(ctx)
    sweep = section_models.build_choosing_k(ctx)
    keys = [k for k in MODEL_METRICS if k in {h["key"] for h in comparison["headers"]}]
    shown = {h["key"] for h in sweep["headers"]} | set(keys)
    return {
        "headers": [h for h in comparison["headers"] if h["key"] in keys],
        "rows": comparison["rows"],
        "n_runs": comparison["n_runs"],
        "n_eligible": comparison["n_eligible"],
        "failed": sum(1 for p in comparison["problems"] if p["status"] == "failed"),
        "explained": [{"label": m.label, "plain": m.plain} for key, m in METRICS.items() if key in shown],
        "sweep_algorithm": sweep["algorithm"],
        "best_db_k": sweep["best_db_k"],
        "chosen_k": sweep["chosen_k"],
        "sweep_note": sweep["note"],
        "chart": sweep["chart"],
        "caption": comparison["caption"],
    }


def build_appendix_checks(ctx: ReportContext) -> dict:
    import hashlib

    from engine.project import resolved_project
    from engine.report.sections import PACKAGES, _version

    r = ctx.result
    project_json = resolved_project(r.project, r.features.names).to_json()
    return {
        "warnings": [{"name": ctx.cluster_name(w.cluster), "message": w.message, "suppressed": w.suppressed}
                     for w in r.warnings],
        "notes": list(r.notes),
        "edited": [f"{ctx.cluster_name(c)} ({edited_fields(label.edited_fields)})"
                   for c, label in sorted(r.cluster_labels.items()) if label.edited],
        "stability": [] if r.stability is None else [
            {"name": ctx.cluster_name(k), "jaccard": r.stability.jaccard[k], "verdict": r.stability.verdicts.get(k, "")}
            for k in sorted(r.stability.jaccard, key=lambda k: (k == NOISE, k))],
        "seed": ctx.seed,
        "project_sha256": hashlib.sha256(project_json.encode("utf-8")).hexdigest(),
        "versions": ", ".join(f"{name} {_version(name)}" for name in PACKAGES),
    }
