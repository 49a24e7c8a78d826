"""The "How segments moved" section: present only with a migration, its table and chart, escaped names."""

from __future__ import annotations

import re

import pytest

from engine.migration import migration_table
from engine.migration.table import NEW_ROW
from engine.report.context import ReportContext
from engine.report.fetcher import SafeFetcher
from engine.report.render import render_html, render_pdf
from engine.report.sections import SECTIONS, selected_sections
from engine.views import vegalite
from engine.views.chart_migration import MAX_FLOWS, flows_chart
from tests.engine.migration.tables import END, SEGMENTS, START, after, before, scored
from tests.engine.report.test_fixtures import make_result

SCRIPT = "<script>alert('x')</script>"


def with_migration(segments=SEGMENTS, **report):
    result = make_result(**report)
    result.migration = migration_table(before(), after(), segments, start=START, end=END)
    return result


def section_keys(html: str) -> list[str]:
    return re.findall(r'id="sec-([a-z_]+)"', html)


@pytest.mark.parametrize("detail", ["client", "full"])
def test_without_a_migration_nothing_changes(detail):
    result = make_result(detail=detail)
    assert result.migration is None
    assert "migration" not in [s.key for s in selected_sections(None, detail, result)]
    assert selected_sections(None, detail, result) == selected_sections(None, detail)
    assert "sec-migration" not in render_html(result)


@pytest.mark.parametrize(("detail", "before_key", "after_key"), [
    ("client", "segment_pages", "actions"), ("full", "segments", "business_implications"),
])
def test_with_a_migration_the_section_follows_the_segments_in_the_body(detail, before_key, after_key):
    result = with_migration(detail=detail)
    keys = [s.key for s in selected_sections(None, detail, result)]
    assert keys.index("migration") == keys.index(before_key) + 1 == keys.index(after_key) - 1
    assert SECTIONS["migration"].part(detail) == "body"
    html = render_html(result)
    found = section_keys(html)
    assert found.index("migration") == found.index(before_key) + 1
    assert '<span class="title-text">How segments moved</span>' in html


def test_report_sections_can_leave_it_out_and_can_name_it_without_a_migration():
    result = with_migration(detail="client", sections=["segment_overview"])
    assert "sec-migration" not in render_html(result)
    result = make_result(detail="client", sections=["migration", "segment_overview"])  # no migration: no section
    assert section_keys(render_html(result)) == ["cover", "segment_overview"]


def test_the_section_data_is_the_migration_table():
    result = with_migration(detail="client")
    ctx = ReportContext(result=result, options=result.project.report, generated_at="2024-06-02",
                        chart_renderer=lambda spec, key: None)
    data = SECTIONS["migration"].builder(ctx)
    assert data["columns"] == [*SEGMENTS.values(), "No longer in the data"]
    assert [r["name"] for r in data["counts"]] == [*SEGMENTS.values(), NEW_ROW]
    assert [r["cells"] for r in data["counts"]] == [[1, 2, 1, 0], [1, 1, 0, 0], [0, 1, 2, 1], [1, 0, 2, 0]]
    assert [r["total"] for r in data["counts"]] == [4, 2, 4, 3]
    assert data["column_totals"] == [3, 4, 5, 1]
    assert [r["total"] for r in data["revenue"]] == [460, 800, 40, 800]
    assert data["revenue_totals"] == [1800, 0, 300, None]  # nobody gone has revenue at the second date
    assert data["flows"][0].startswith("2 customers (50.0% of Loyal regulars) slipped to At risk")
    assert (data["start"], data["end"]) == ("1 March 2024", "1 June 2024")


def test_the_html_prints_the_numbers_and_sentences():
    html = render_html(with_migration(detail="client"))
    part = html[html.index('id="sec-migration"'):html.index('id="sec-actions"')]
    assert "1 customer (50.0% of At risk) moved up to Loyal regulars, worth 800 of revenue in the last period." in part
    assert re.search(r"<td>" + NEW_ROW + r"</td>(<td class=\"num\">[^<]*</td>){5}", part)
    assert '<td class="num">2,100</td>' in part  # the revenue of the last period, every group
    assert "<h2>Revenue between 1 March 2024 and 1 June 2024" in part


def test_without_money_there_is_no_revenue_table():
    result = make_result(detail="client")
    b, a = before(), after()
    for t in (b, a):
        t["revenue"] = float("nan")
    result.migration = migration_table(b, a, SEGMENTS, start=START, end=END)
    html = render_html(result)
    part = html[html.index('id="sec-migration"'):html.index('id="sec-actions"')]
    assert "<h2>Revenue" not in part and "worth" not in part
    assert "2 customers (50.0% of Loyal regulars) moved to At risk." in part


def test_hostile_segment_names_are_text_in_the_html_and_the_pdf():
    names = {0: f"Big {SCRIPT}", 1: '<img src="http://example.com/x.png">', 2: "Fine & dandy"}
    result = with_migration(segments=names, detail="client", sections=["migration"])
    html = render_html(result)
    assert "<script" not in html.lower() and "<img src=\"http" not in html
    assert "(50.0% of Big &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;) slipped to" in html
    result.migration.warnings = [f"On 1 June 2024: {SCRIPT}"]
    result.migration.note = f"Both placements use the saved model {SCRIPT}.json."
    html = render_html(result)
    assert "<script" not in html.lower()
    assert "<li>On 1 June 2024: &lt;script&gt;" in html and "the saved model &lt;script&gt;" in html
    fetcher = SafeFetcher()
    render_pdf(html, fetcher=fetcher)
    assert fetcher.non_data_requests == [] and fetcher.refused == []


def test_the_chart_is_valid_vega_lite_with_one_bar_per_flow():
    from altair.utils.schemapi import validate_jsonschema
    from altair.vegalite.v6.schema import core

    from engine.migration import biggest_flows

    m = migration_table(before(), after(), SEGMENTS, start=START, end=END)
    spec = flows_chart(biggest_flows(m, MAX_FLOWS))
    validate_jsonschema(spec, core.load_schema())
    rows = spec["datasets"]["flows"]
    assert [r["flow"] for r in rows] == ["Loyal regulars → At risk", "At risk → Loyal regulars",
                                         "Loyal regulars → Occasional buyers", "Occasional buyers → At risk"]
    assert [r["customers"] for r in rows] == [2, 1, 1, 1]
    assert vegalite.to_svg(spec).lstrip().startswith("<svg")


def test_the_chart_says_so_when_nobody_moved_and_repeated_names_stay_apart():
    b = scored({"a": (0, 10, "2024-01-01")})
    m = migration_table(b, b, SEGMENTS)
    spec = flows_chart(m.flows[m.flows["kind"] == "moved"])
    assert spec["datasets"]["message"][0]["message"] == "No customer changed segment between the two dates."
    twins = migration_table(scored({"a": (0, 1, "2024-01-01"), "b": (2, 1, "2024-01-01")}),
                            scored({"a": (1, 1, "2024-01-01"), "b": (1, 1, "2024-01-01")}),
                            {0: "Same", 1: "Other", 2: "Same"})
    labels = [r["flow"] for r in flows_chart(twins.flows[twins.flows["kind"] == "moved"])["datasets"]["flows"]]
    assert labels == ["Same → Other", "Same (2) → Other"]  # the migration's names already tell them apart


def test_the_summary_json_has_a_migration_block_only_with_a_migration():
    import json

    from engine.report.exports import summary_dict

    assert "migration" not in summary_dict(make_result())
    block = json.loads(json.dumps(summary_dict(with_migration()), allow_nan=False))["migration"]
    assert (block["from"], block["to"], block["moved"], block["appeared"], block["quiet"]) == (
        "2024-03-01", "2024-06-01", 5, 3, 4)
    assert [f["customers"] for f in block["flows"]] == [1, 2, 1, 1, 1, 1, 2, 1, 1, 2]
