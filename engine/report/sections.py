"""The report's sections: a registry of (key, title, builder), one template partial each.

A builder turns the run's result into plain data for its partial
(``report_templates/sections/<key>.html``): numbers, names and sentences, never
HTML. The registry alone decides which sections a detail level prints and in
what order: each :class:`Section` names the levels (``report.detail``) that put
it in the body and those that put it in the technical appendix; the body comes
first, then the appendix, each in registry order. ``ReportSpec.sections`` can
leave sections of the chosen level out (None: all); the cover (and, in the
full report, the contents) are always there. To keep modules short, the
builders of the model sections live in :mod:`engine.report.section_models`,
those of the segment sections in :mod:`engine.report.section_segments`, the
client body's in :mod:`engine.report.section_client`, the client appendix's
in :mod:`engine.report.section_appendix` and "How segments moved" (printed only
when the result has a migration) in :mod:`engine.report.section_migration`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata

import pandas as pd

from engine.errors import InputError
from engine.formatting import integer, long_date, metric, pct
from engine.report import section_appendix, section_client, section_models, section_segments
from engine.report.assets import accent_colour, logo_data_uri
from engine.report.context import ReportContext
from engine.report.section_migration import build_migration
from engine.results import NOISE

PACKAGES = ("pandas", "numpy", "scikit-learn", "scipy", "altair", "vl-convert-python", "weasyprint", "jinja2")


@dataclass(frozen=True)
class Section:
    """One report section: stable key (the project-file contract), printed title, builder."""

    key: str
    title: str
    builder: Callable[[ReportContext], dict]
    always: bool = False  # cover and contents cannot be left out
    numbered: bool = True
    new_page: bool = True  # False: follows the previous section on the same page
    body: tuple[str, ...] = ("full",)  # detail levels that print it in the body
    appendix: tuple[str, ...] = ()  # detail levels that print it in the technical appendix
    needs: str = ""  # an AnalysisResult field that must be set (not None) for the section to print

    @property
    def template(self) -> str:
        return f"sections/{self.key}.html"

    def part(self, detail: str) -> str | None:
        """"body", "appendix", or None when the detail level leaves the section out."""
        return "body" if detail in self.body else "appendix" if detail in self.appendix else None


# ---- builders: front matter, data, narrative, appendix -----------------------

def build_cover(ctx: ReportContext) -> dict:
    o = ctx.options
    q = ctx.result.dataset.quality
    if o.detail == "client":  # no algorithm on a client's cover: the period the data covers instead
        scope = f"{integer(ctx.n_units)} {ctx.unit_many} · {ctx.k} segments"
        if q.date_min is not None and q.date_max is not None and not pd.isna(q.date_min) and not pd.isna(q.date_max):
            end = ctx.as_of if ctx.result.features.lines_after_as_of else q.date_max  # an analysis date inside the data
            scope += f" · data from {_month(q.date_min)} to {_month(end)}"
    else:
        scope = f"{integer(ctx.n_units)} {ctx.unit_many} · {ctx.k} segments · {ctx.algorithm}"
    return {
        "logo": logo_data_uri(o.logo) if o.logo else None,
        "analyst": o.analyst,
        "date": long_date(ctx.generated_at) if ctx.generated_at != "undated" else "",  # the day the report was made
        "scope": scope,
    }


def _month(value) -> str:
    return pd.Timestamp(value).strftime("%B %Y")


def build_toc(ctx: ReportContext) -> dict:
    return {}  # entries come from the list of included sections (see build_report)


def build_executive_summary(ctx: ReportContext) -> dict:
    r = ctx.result
    summary = r.profile.summary
    named = [c for c in ctx.cluster_ids() if c >= 0]
    largest = max(named, key=lambda c: (summary.loc[c, "size"], -c))
    tiles = [
        {"value": integer(ctx.n_units), "label": f"{ctx.unit_many} analysed"},
        {"value": str(ctx.k), "label": "segments"},
        {"value": ctx.algorithm, "label": "algorithm"},
        {"value": metric(r.chosen.metrics.get("davies_bouldin"), "davies_bouldin"),
         "label": "Davies-Bouldin (lower is better)"},
    ]
    has_revenue = "revenue_share" in summary and summary["revenue_share"].notna().any()
    if has_revenue:
        top = max(named, key=lambda c: (summary.loc[c, "revenue_share"], -c))
        tiles.append({"value": pct(summary.loc[top, "revenue_share"]), "label": f"revenue from {ctx.cluster_name(top)}",
                      "note": f"{pct(summary.loc[top, 'share'])} of {ctx.unit_many}"})
    tiles.append({"value": pct(summary.loc[largest, "share"]), "label": f"largest segment: {ctx.cluster_name(largest)}"})
    if r.stability is not None:
        tiles.append({"value": metric(r.stability.ari_mean, "ari"), "label": "stability (mean ARI, 1 = identical)"})
    rows = [
        {"name": ctx.cluster_name(c), "size": summary.loc[c, "size"], "share": summary.loc[c, "share"],
         "revenue_share": summary.loc[c, "revenue_share"] if has_revenue else None}
        for c in ctx.cluster_ids()
    ]
    return {
        "read_first": list(r.narrative.get("read_first", [])),
        "paragraphs": list(r.narrative.get("executive_summary", [])),
        "tiles": tiles[:8],
        "rows": rows,
        "has_revenue": has_revenue,
        "caption": ctx.model_context(),
    }


def build_data_methodology(ctx: ReportContext) -> dict:
    from engine.features.scaling import scaling_sentence  # lazy: it imports scikit-learn
    from engine.loading.roles import ROLES

    r = ctx.result
    q = r.dataset.quality
    f = r.features
    tables = [
        {"name": t.name, "kind": t.kind.replace("_", " "), "rows": t.n_rows,
         "roles": ", ".join(f"{ROLES[role].label if role in ROLES else role}: {col}" for role, col in t.roles.items())}
        for t in r.dataset.tables
    ]
    clustered = set(f.names)
    features = [
        {"label": ctx.feature_label(n), "key": n, "description": ctx.feature_description(n),
         "unit": ctx.feature_unit(n), "log": n in f.log, "clustered": n in clustered}
        for n in list(f.names) + [c for c in r.profile.features if c not in clustered]
    ]
    if ctx.unit == "row":
        unit_sentence = (f"The unit of analysis is the row: the {integer(ctx.n_units)} rows were clustered as they "
                         "are, so every count in this report counts rows, not customers.")
    elif r.dataset.shape == "customer_table":
        unit_sentence = (f"The unit of analysis is the customer: the data has one row per customer, and its "
                         f"{integer(ctx.n_units)} customers were clustered. Every count in this report counts customers.")
    else:
        kept = q.rows_used - f.lines_after_as_of  # with an analysis date inside the data, the lines up to it
        unit_sentence = (f"The unit of analysis is the customer: the {integer(kept)} transaction rows kept were "
                         f"aggregated to one row per customer, giving {integer(ctx.n_units)} customers. Every count "
                         "of “customers” in this report counts customers, not transactions.")
    as_of = ctx.as_of
    has_recency = as_of is not None and ctx.unit == "customer" and "recency_days" in f.table
    return {
        "tables": tables,
        "unit_sentence": unit_sentence,
        "facts": [
            ("Rows read", integer(q.rows_read)),
            ("Rows used", integer(q.rows_used)),
            ("Customers in the data", integer(q.customers)),
            (f"{ctx.unit_many.capitalize()} clustered", integer(ctx.n_units)),
            ("Date range", _date_range(q.date_min, q.date_max)),
        ] + ([("Recency measured from", long_date(as_of))] if has_recency else []) + (
            [("Lines dated after it (left out)", integer(f.lines_after_as_of))] if f.lines_after_as_of else []),
        "recency_note": (
            "" if not has_recency else
            f"Recency is counted in days back from the analysis date, {long_date(as_of)} (the end of the data in "
            f"this report), not from the day the report was built; the {integer(f.lines_after_as_of)} transaction "
            "lines dated after it were left out, as they belong to a later period." if f.lines_after_as_of else
            "Recency is counted in days back from the end of the data, not from the day the report was built, "
            "so it stays meaningful for historical data."
        ),
        "features": features,
        "log": [ctx.feature_label(n) for n in f.log],
        "scaling": f.scaling,
        "scaling_sentence": scaling_sentence(f.scaling),
        "paragraphs": list(r.narrative.get("methodology", [])),
        "findings": list(q.findings),
        "returns_treatment": _unless_listed(q.returns_treatment, q.findings),
    }


def _unless_listed(sentence: str, findings: list[str]) -> str:
    """The sentence, or "" when a finding already says it (it would print twice)."""
    return "" if not sentence or any(sentence in f or f in sentence for f in findings) else sentence


def build_business_implications(ctx: ReportContext) -> dict:
    implications = ctx.result.narrative.get("implications", {})
    return {"groups": [{"title": key.replace("_", " ").capitalize(), "points": list(items)}
                       for key, items in implications.items()]}


def build_recommendations_monitoring(ctx: ReportContext) -> dict:
    r = ctx.result
    fragile = []
    if r.stability is not None:
        fragile = [ctx.cluster_name(c) for c, v in sorted(r.stability.verdicts.items()) if v == "fragile"]
    return {"points": list(r.narrative.get("monitoring", [])), "fragile": fragile}


def build_appendix(ctx: ReportContext) -> dict:
    from engine.project import resolved_project

    r = ctx.result
    project_json = resolved_project(r.project, r.features.names).to_json()  # the file --export-project writes
    q = r.dataset.quality
    stability = None
    if r.stability is not None:
        s = r.stability
        from engine.views.chart_models import stability_chart

        stability = {
            "n_resamples": s.n_resamples, "ari_mean": s.ari_mean, "ari_std": s.ari_std, "verdict": s.verdict,
            "resample_size": s.resample_size,
            "rows": [{"name": ctx.cluster_name(c), "jaccard": s.jaccard[c], "verdict": s.verdicts.get(c, "")}
                     for c in sorted(s.jaccard, key=lambda c: (c == NOISE, c))],
            "chart": ctx.chart(stability_chart(s, ctx.names()), "stability"),
        }
    quality = [
        ("Rows read", integer(q.rows_read)), ("Rows used", integer(q.rows_used)),
        ("Rows without a customer id", integer(q.rows_missing_customer)),
        ("Return / cancellation lines", integer(q.returns)),
        ("Duplicate rows", integer(q.duplicate_rows)),
        ("Rows with non-positive prices", integer(q.non_positive_prices)),
        ("Outliers", f"{integer(q.outliers)} ({q.outlier_rule})" if q.outlier_rule else integer(q.outliers)),
    ] + [(f"Unparseable dates in {col}", integer(n)) for col, n in sorted(q.unparseable_dates.items())] + [
        (f"Infinite or implausible numbers in {col}", integer(n)) for col, n in sorted(q.implausible_numbers.items())
    ] + ([("Rows repeating a customer id", integer(q.repeated_ids))] if q.repeated_ids else []) + (
        [("Rows dated after the build day", integer(q.future_dates))] if q.future_dates else [])
    return {
        "stability": stability,
        "warnings": [{"name": ctx.cluster_name(w.cluster), "message": w.message, "suppressed": w.suppressed}
                     for w in r.warnings],
        "notes": list(r.notes),
        "parameters": section_models.parameter_rows(ctx),
        "versions": [(name, _version(name)) for name in PACKAGES],
        "seed": ctx.seed,
        "project_sha256": hashlib.sha256(project_json.encode("utf-8")).hexdigest(),
        "quality": quality,
        "findings": list(q.findings),
        "returns_treatment": _unless_listed(q.returns_treatment, q.findings),
        "joins": [{"left": j.left, "right": j.right, "key": j.key, "left_unmatched": j.left_unmatched,
                   "right_unmatched": j.right_unmatched, "examples": ", ".join(j.examples)} for j in r.dataset.joins],
    }


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _date_range(start, end) -> str:
    if start is None or end is None or pd.isna(start) or pd.isna(end):
        return "no dates in the data"
    return f"{long_date(start)} – {long_date(end)}"


# ---- the registry -------------------------------------------------------------

CLIENT, FULL = "client", "full"
ONLY_CLIENT = {"body": (CLIENT,)}

SECTIONS: dict[str, Section] = {
    s.key: s
    for s in (
        Section("cover", "Cover", build_cover, always=True, numbered=False, body=(CLIENT, FULL)),
        Section("toc", "Contents", build_toc, always=True, numbered=False),
        Section("executive_summary", "Executive summary", build_executive_summary),
        Section("client_summary", "Executive summary", section_client.build_client_summary, **ONLY_CLIENT),
        Section("segment_overview", "The segments at a glance", section_client.build_segment_overview,
                **ONLY_CLIENT),
        Section("data_methodology", "Data and methodology", build_data_methodology),
        Section("algorithm_comparison", "Algorithm comparison", section_models.build_algorithm_comparison),
        Section("choosing_k", "Choosing the number of segments", section_models.build_choosing_k),
        Section("chosen_model", "The chosen model", section_models.build_chosen_model),
        Section("cluster_sizes", "Segment sizes and revenue", section_segments.build_cluster_sizes),
        Section("profiling", "Segment profiles", section_segments.build_profiling),
        Section("characteristics", "Segment characteristics", section_segments.build_characteristics),
        Section("appendix_data", "Data and quality", section_appendix.build_appendix_data,
                body=(), appendix=(CLIENT,)),
        Section("appendix_method", "Methodology", section_appendix.build_appendix_method,
                body=(), appendix=(CLIENT,), new_page=False),
        Section("appendix_models", "Models compared and the number of segments",
                section_appendix.build_appendix_models, body=(), appendix=(CLIENT,), new_page=False),
        Section("visualisation", "Segments in two dimensions", section_segments.build_visualisation,
                appendix=(CLIENT,)),
        Section("segments", "The segments one by one", section_segments.build_segments),
        Section("segment_pages", "The segments one by one", section_client.build_segment_pages, **ONLY_CLIENT),
        Section("migration", "How segments moved", build_migration, body=(CLIENT, FULL),
                needs="migration"),
        Section("business_implications", "Business implications", build_business_implications),
        Section("actions", "Business implications", section_client.build_actions, **ONLY_CLIENT),
        Section("recommendations_monitoring", "Recommendations and monitoring", build_recommendations_monitoring,
                new_page=False),
        Section("next_steps", "Next steps and monitoring", section_client.build_next_steps, new_page=False,
                **ONLY_CLIENT),
        Section("appendix", "Appendix: stability, parameters and reproducibility", build_appendix),
        Section("appendix_checks", "Consistency checks and reproducibility", section_appendix.build_appendix_checks,
                body=(), appendix=(CLIENT,), new_page=False),
    )
}


def selected_sections(keys: list[str] | None, detail: str = FULL, result=None) -> list[Section]:
    """The sections a detail level prints (one that ``needs`` a result field: only when ``result`` has it), body
    first then appendix; unknown or foreign keys are an input error."""
    present = [s for s in SECTIONS.values() if not s.needs or getattr(result, s.needs, None) is not None]
    in_level = [s for s in present if s.part(detail) == "body"] + [s for s in present if s.part(detail) == "appendix"]
    if keys is not None:
        unknown = [k for k in keys if k not in SECTIONS]
        if unknown:
            raise InputError(
                f"report.sections names unknown section {unknown[0]!r}; choose from "
                f"{', '.join(s.key for s in in_level if not s.always)}.",
                "report.sections",
            )
        foreign = [k for k in keys if SECTIONS[k].part(detail) is None]
        if foreign:
            other = FULL if detail == CLIENT else CLIENT
            raise InputError(
                f"report.sections names {foreign[0]!r}, which the {detail} report does not have; set report.detail "
                f"to \"{other}\" or choose from {', '.join(s.key for s in in_level if not s.always)}.",
                "report.sections",
            )
        in_level = [s for s in in_level if s.always or s.key in keys]
    return in_level


def build_report(ctx: ReportContext) -> dict:
    """Template context: report meta plus each included section's number, anchor and data."""
    sections = []
    number, letters = 0, 0
    detail = ctx.options.detail
    for section in selected_sections(ctx.options.sections, detail, ctx.result):
        in_appendix = section.part(detail) == "appendix"
        label = None
        if in_appendix:  # the appendix is lettered A, B, C …; it always starts on a new page
            letters += 1
            label = chr(ord("A") + letters - 1)
        elif section.numbered:
            number += 1
            label = number
        ctx.section = section.key  # charts drawn by the builder are filed under its section
        data = section.builder(ctx)
        sections.append({
            "key": section.key, "title": section.title, "template": section.template,
            "number": label, "anchor": f"sec-{section.key}", "data": data,
            # the appendix starts on a new page and then flows on: no half-empty page between its parts
            "page_class": "major" if (letters == 1 if in_appendix else section.new_page) else "minor",
            "appendix_start": in_appendix and letters == 1,
        })
    o = ctx.options
    meta = {
        "client": o.client.strip(), "title": o.title, "generated_at": ctx.generated_at, "detail": detail,
        "accent": accent_colour(o.accent), "page_size": o.page_size if o.page_size in _PAGE_HEIGHTS else "A4",
        "page_height": _PAGE_HEIGHTS.get(o.page_size, _PAGE_HEIGHTS["A4"]),
        "unit_one": ctx.unit_one, "unit_many": ctx.unit_many,
    }
    return {"meta": meta, "sections": sections}


_PAGE_HEIGHTS = {"A4": "296mm", "Letter": "278mm"}  # a hair under the sheet so the cover never spills
