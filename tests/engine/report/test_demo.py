"""The demo's full report (``report.detail: "full"``) end to end: the analyst's long form.

Slow (the whole pipeline, then a ~20-page PDF), so marked ``slow``. The client
report (the default) is checked in test_report_structure.py.
"""

from __future__ import annotations

import io
import re
from dataclasses import replace

import pandas as pd
import pytest
from pypdf import PdfReader

from engine.clustering.algorithms import ALGORITHMS
from engine.formatting import long_date
from engine.report import render_html, render_pdf, summary_dict
from engine.report.fetcher import SafeFetcher
from engine.report.sections import selected_sections

pytestmark = pytest.mark.slow
def full_options(result):
    return replace(result.project.report, detail="full")


TOC_LINE = re.compile(r"^(?:\d+ )?(?P<title>.+?)\s+(?P<page>\d+)$")


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def demo(demo_result):
    html = render_html(demo_result, full_options(demo_result))
    fetcher = SafeFetcher()
    pdf = render_pdf(html, fetcher=fetcher)
    pages = [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]
    return demo_result, html, pages, fetcher, summary_dict(demo_result)


def test_page_count_is_that_of_a_report(demo):
    _, _, pages, _, summary = demo
    assert 12 <= len(pages) <= 40
    assert f"Page 2 of {len(pages)}" in pages[1]
    assert "Page 1 of" not in pages[0]  # the cover has no header or footer


def test_every_section_is_on_the_page_the_contents_say(demo):
    _, _, pages, _, _ = demo
    entries = {}
    for line in pages[1].splitlines():
        match = TOC_LINE.match(line.strip())
        if match:
            entries[match["title"].strip()] = int(match["page"])
    for section in (s for s in selected_sections(None, "full") if s.numbered):
        assert section.title in entries, section.title
        page = pages[entries[section.title] - 1]
        assert squash(section.title) in squash(page), (section.title, entries[section.title])


def test_chosen_model_in_the_pdf_equals_the_summary(demo):
    _, _, pages, _, summary = demo
    chosen = summary["chosen"]
    label = ALGORITHMS[chosen["algorithm"]].label
    sentence = f"The chosen model is {label} with k = {chosen['k']}, Davies-Bouldin index {chosen['davies_bouldin']:.4f}."
    text = squash("".join(pages))
    assert squash(sentence) in text
    model_page = next(p for p in pages if "The chosen model" in p and "The selection rule" in p)
    assert f"{chosen['davies_bouldin']:.4f}" in model_page and f"{chosen['silhouette']:.4f}" in model_page


def test_every_segment_name_and_size_is_printed(demo):
    result, _, pages, _, summary = demo
    text = squash("".join(pages))
    for cluster in summary["clusters"]:
        assert squash(cluster["name"]) in text
        assert f"{cluster['size']:,}" in "".join(pages)
    n_units = summary["input"]["n_units"]
    assert sum(c["size"] for c in summary["clusters"]) == n_units
    assert squash(f"They add up to the {n_units:,} customers analysed") in text


def test_recency_is_measured_from_the_end_of_the_data(demo):
    result, _, pages, _, _ = demo
    last = result.dataset.quality.date_max
    as_of = long_date(last.normalize() + pd.Timedelta(days=1))
    assert squash(f"Recency measured from {as_of}") in squash("".join(pages))


def test_no_missing_value_leaks_into_the_text(demo):
    _, _, pages, _, _ = demo
    text = "\n".join(pages)
    assert not re.search(r"\bnan\b|\bNaN\b|\bNone\b|\binf\b", text)


def test_the_demo_fetches_nothing_but_data_uris(demo):
    _, _, _, fetcher, _ = demo
    assert fetcher.non_data_requests == [] and fetcher.refused == []


def test_the_demo_html_is_reproducible(demo):
    result, html, _, _, _ = demo
    assert render_html(result, full_options(result)).encode() == html.encode()
