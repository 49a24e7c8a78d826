"""The report's structure per detail level: a short client body, a technical appendix, the full long form.

The registry tests and the fixture renders are quick; the demo's client report
(the whole pipeline, then the PDF) is marked ``slow``.
"""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader

from engine.cli import main
from engine.clustering.metrics import METRICS
from engine.errors import InputError
from engine.formatting import (
    REVENUE_INDEX_BANDS,
    long_date,
    revenue_index,
    revenue_index_legend,
    revenue_index_words,
)
from engine.loading.quality import NO_MONEY
from engine.project import Project
from engine.report import render_html, render_pdf
from engine.report.client_charts import segment_map_chart
from engine.report.client_text import JARGON, THREE_LEVELS, actions, is_plain, reading_warnings
from engine.report.context import ReportContext
from engine.report.sections import SECTIONS, selected_sections
from tests.engine.report.test_fixtures import make_result

CLIENT_BODY = ["cover", "client_summary", "segment_overview", "segment_pages", "actions", "next_steps"]
CLIENT_APPENDIX = ["appendix_data", "appendix_method", "appendix_models", "visualisation", "appendix_checks"]
FULL = ["cover", "toc", "executive_summary", "data_methodology", "algorithm_comparison", "choosing_k", "chosen_model",
        "cluster_sizes", "profiling", "characteristics", "visualisation", "segments", "business_implications",
        "recommendations_monitoring", "appendix"]  # the long form as it was before report.detail existed
SUMMARY_BANNED = ("Davies", "Calinski", "silhouette", "Silhouette", "log1p", "PCA", "_")


def project_keys() -> set[str]:
    """Every key of the project file, dotted ("clustering.k_range") and bare when it is not an English word."""
    keys = set()
    for section, body in Project().to_dict().items():
        for key in body:
            keys.add(f"{section}.{key}")
            if "_" in key:
                keys.add(key)
    return keys


def context(result) -> ReportContext:
    return ReportContext(result=result, options=result.project.report, generated_at="2025-01-15")


def section_html(html: str, key: str) -> str:
    """The section's content, from just after its opening tag to the next page-starting section."""
    start = html.index(">", html.index(f'id="sec-{key}"')) + 1
    end = html.find('<section class="major', start)
    return html[start:] if end < 0 else html[start:end]


# ---- the registry --------------------------------------------------------------

def test_each_detail_level_prints_its_sections_in_order_body_then_appendix():
    client = selected_sections(None, "client")
    assert [s.key for s in client] == CLIENT_BODY + CLIENT_APPENDIX
    assert [s.part("client") for s in client] == ["body"] * len(CLIENT_BODY) + ["appendix"] * len(CLIENT_APPENDIX)
    full = selected_sections(None, "full")
    assert [s.key for s in full] == FULL  # "full" is still today's long form, in today's order
    assert all(s.part("full") == "body" for s in full)
    assert all(s.part("client") or s.part("full") for s in SECTIONS.values())  # no section printed by no level


def test_the_client_body_is_numbered_and_the_appendix_lettered_after_it():
    html = render_html(make_result(detail="client"))
    heads = re.findall(r'<span class="num">([^<]*)</span><span class="title-text">([^<]*)</span>', html)
    assert [n for n, _ in heads] == ["1", "2", "3", "4", "5", "A", "B", "C", "D", "E"]
    assert [t for _, t in heads] == [SECTIONS[k].title for k in CLIENT_BODY[1:] + CLIENT_APPENDIX]
    assert html.count("Technical appendix</div>") == 1
    assert html.index("Technical appendix</div>") > html.index('id="sec-next_steps"')
    assert 'id="sec-toc"' not in html  # ten pages need no contents


def test_report_sections_leaves_out_within_a_level_and_names_the_level_for_a_foreign_key():
    html = render_html(make_result(detail="client", sections=["appendix_models", "segment_overview"]))
    assert [k for k in re.findall(r'id="sec-([a-z_]+)"', html)] == ["cover", "segment_overview", "appendix_models"]
    with pytest.raises(InputError, match="names 'chosen_model', which the client report does not have; set "
                                         'report.detail to "full"'):
        render_html(make_result(detail="client", sections=["chosen_model"]))
    with pytest.raises(InputError, match="unknown section 'apendix_data'"):
        render_html(make_result(detail="client", sections=["apendix_data"]))


@pytest.mark.parametrize("value, sentence", [
    ("short", "report.detail is 'short'; allowed values are client, full."),
    ("", "report.detail is ''; allowed values are client, full."),
    ("Client", "report.detail is 'Client'; allowed values are client, full."),
    (None, "report.detail is None; allowed values are client, full."),
    (3, "report.detail is 3; it should be text."),
])
def test_a_bad_report_detail_is_one_sentence(value, sentence):
    with pytest.raises(InputError) as info:
        Project.from_dict({"report": {"detail": value}})
    assert str(info.value) == sentence
    assert Project.from_dict({"report": {"detail": "full"}}).report.detail == "full"
    assert Project().report.detail == "client"  # the default


def test_the_command_line_refuses_a_bad_detail_in_one_line(tmp_path, capsys):
    assert main(["build", "--demo", "--detail", "long", "--out", str(tmp_path / "r.pdf"), "--quiet"]) != 0
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--detail is 'long'; use client or full." in err
    assert not (tmp_path / "r.pdf").exists()


def test_the_full_report_still_has_every_old_section():
    html = render_html(make_result(detail="full"))
    for key in FULL:
        assert f'id="sec-{key}"' in html, key
    for key in CLIENT_BODY[1:] + [k for k in CLIENT_APPENDIX if k != "visualisation"]:
        assert f'id="sec-{key}"' not in html, key


# ---- the client body on the fixture ---------------------------------------------

def test_the_cover_prints_the_day_the_report_was_made_and_no_client_line_without_a_client():
    html = section_html(render_html(make_result(client="", detail="client")), "cover")
    assert "Prepared for" not in html and "cover-client" not in html
    assert long_date(datetime.now(UTC).date()) in html and "30 December 2024" not in html  # data ends 30 Dec 2024
    named = section_html(render_html(make_result(client="Acme & Sons", detail="client")), "cover")
    assert "Prepared for</dt><dd>Acme &amp; Sons</dd>" in named
    assert "<title>Customer Segmentation Report</title>" in render_html(make_result(client="", detail="client"))


def test_actions_are_prioritised_by_revenue_at_stake_and_tied_to_the_segments_numbers():
    result = make_result(detail="client")
    s = result.profile.summary
    ranked = actions(context(result))
    assert [a["priority"] for a in ranked] == list(range(1, len(s) + 1))
    for a in ranked:
        c = a["cluster"]
        assert a["size"] == s.loc[c, "size"] and a["revenue"] == pytest.approx(s.loc[c, "revenue"])
        band = revenue_index_words(revenue_index(s.loc[c, "revenue_share"], s.loc[c, "share"]))
        assert (a["kind"] == "protect") == (band.endswith("above its size") and a["kind"] != "win back")
        assert (a["kind"] == "grow") == (band == "below its size" and a["kind"] != "win back")
        assert f"{int(a['size']):,}" in a["detail"]
        assert not any(x in a["detail"] for x in result.cluster_labels[c].strategies)  # not a copy of the strategy
    protect = [a for a in ranked if a["kind"] == "protect"]
    rest = [a for a in ranked if a["kind"] != "protect"]
    assert ranked == protect + rest
    assert [a["revenue"] for a in rest] == sorted((a["revenue"] for a in rest), reverse=True)


def test_the_revenue_table_words_each_segment_in_the_fixed_bands_and_its_note_states_them():
    result = make_result(detail="client")
    s = result.profile.summary
    data = SECTIONS["client_summary"].builder(context(result))
    for row in data["rows"]:
        c = next(c for c in s.index if context(result).cluster_name(c) == row["name"])
        assert row["reading"] == revenue_index_words(revenue_index(s.loc[c, "revenue_share"], s.loc[c, "share"]))
    assert data["bands"] == revenue_index_legend(context(result).unit_many)
    for _edge, words in REVENUE_INDEX_BANDS:
        assert words in data["bands"]
    assert "1.5 times" not in data["bands"] and "0.67" not in data["bands"]


def test_reading_warnings_say_what_changes_the_reading_in_plain_words():
    result = make_result(detail="client")
    fragile = [result.cluster_labels[c].name for c, v in result.stability.verdicts.items() if v == "fragile"]
    warnings = reading_warnings(context(result))
    assert any(w.startswith(f"{fragile[0]} is less firm") for w in warnings)
    assert any("Only 60 customers were analysed" in w for w in warnings)
    assert not any("boundaries between segments as approximate" in w for w in warnings)
    result.recommendation.weak_structure = True
    result.dataset.headline = [f"{NO_MONEY} in Transactions.csv: map it as data.roles amount."]
    warnings = reading_warnings(context(result))
    assert any("boundaries between segments as approximate" in w for w in warnings)
    assert any(w.startswith("The data holds no money column") for w in warnings)
    for w in warnings:
        assert is_plain(w), w


def test_the_overview_reads_every_segment_and_feature_on_the_narratives_levels():
    result = make_result(detail="client")
    ctx = context(result)
    html = section_html(render_html(result), "segment_overview")
    for c in ctx.cluster_ids():
        row = html[html.index(f"<td>{ctx.cluster_name(c)}</td>"):]
        row = row[: row.index("</tr>")]
        words = re.findall(r'<td class="lvl [^"]*">([^<]+)</td>', row)
        assert words == [THREE_LEVELS[ctx.levels[c][f]["level"]] for f in result.profile.clustered_on]


def test_the_segment_map_plots_spend_against_orders_on_log_scales_coloured_by_segment():
    result = make_result(detail="client")
    names = {c: label.name for c, label in result.cluster_labels.items()}
    table = result.features.table.copy()
    table.iloc[0, table.columns.get_loc("monetary")] = 0.0  # no positive spend: cannot sit on a log scale
    spec = segment_map_chart(table, result.labels, names, seed=42)
    points, medians = spec["layer"]
    assert points["encoding"]["x"]["field"] == "orders" and points["encoding"]["y"]["field"] == "spend"
    assert points["encoding"]["x"]["scale"]["type"] == "log" == points["encoding"]["y"]["scale"]["type"]
    assert points["encoding"]["color"]["scale"]["domain"] == [names[c] for c in sorted(names)]
    assert len(spec["datasets"]["points"]) == len(table) - 1 and "1 with no positive spend left out" in \
        spec["title"]["subtitle"]
    assert len(spec["datasets"]["medians"]) == len(names)
    assert segment_map_chart(table.drop(columns="monetary"), result.labels, names, seed=42) is None
    from altair.utils.schemapi import validate_jsonschema
    from altair.vegalite.v6.schema import core

    validate_jsonschema(spec, core.load_schema())


def test_every_metric_has_one_plain_sentence_and_the_appendix_prints_it():
    html = section_html(render_html(make_result(detail="client")), "appendix_models")
    for key in ("davies_bouldin", "silhouette", "calinski_harabasz"):
        plain = METRICS[key].plain
        assert plain.endswith(".") and plain.count(". ") == 0 and "_" not in plain
        assert plain.replace("'", "&#39;") in html


# ---- the demo's client report (slow) ----------------------------------------------

@pytest.fixture(scope="module")
def client_demo(demo_result):
    options = replace(demo_result.project.report, detail="client")
    html = render_html(demo_result, options)
    pages = [p.extract_text() or "" for p in PdfReader(io.BytesIO(render_pdf(html))).pages]
    appendix = next(i for i, p in enumerate(pages) if "TECHNICAL APPENDIX" in p)  # the kicker, in capitals
    return demo_result, html, pages, appendix


@pytest.mark.slow
def test_the_demo_client_report_is_at_most_twelve_pages_with_the_appendix_last(client_demo):
    _, _, pages, appendix = client_demo
    assert len(pages) <= 12
    assert "Executive summary" in pages[1] and "Page 2 of" in pages[1]
    assert appendix >= 8 and all("Consistency checks" not in p for p in pages[:appendix])


@pytest.mark.slow
def test_the_demo_executive_summary_holds_no_metric_jargon_or_project_keys(client_demo):
    _, html, pages, _ = client_demo
    for text in (pages[1], re.sub(r"<[^>]+>", " ", section_html(html, "client_summary"))):
        assert not re.search(r"\bARI\b", text)
        for word in SUMMARY_BANNED:
            assert word not in text, word
        for key in project_keys():
            assert key not in text, key
    assert "Objective." in pages[1] and "Decisions to make" in pages[1]


@pytest.mark.slow
def test_the_demo_client_body_holds_no_raw_keys_and_the_appendix_all_technical_content(client_demo):
    result, _, pages, appendix = client_demo
    from engine.clustering.algorithms import ALGORITHMS

    body = "\n".join(pages[:appendix])
    raw = [f for f in result.profile.features if "_" in f] + list(ALGORITHMS)
    for key in raw:
        assert not re.search(rf"\b{re.escape(key)}\b", body), key
    for word in JARGON:
        assert word not in body, word
    assert is_plain(body)
    tail = "\n".join(pages[appendix:])
    for needed in ("Davies-Bouldin", "Silhouette", "Calinski-Harabasz", "adjusted Rand", "log1p", "PCA", "SHA-256",
                   "Consistency checks", "Number of clusters"):
        assert needed in tail, needed
    for cluster in result.cluster_labels.values():
        assert re.sub(r"\s+", "", cluster.name) in re.sub(r"\s+", "", body)
