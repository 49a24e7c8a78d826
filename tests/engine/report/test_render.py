"""HTML and PDF rendering on a small real result: escaping, no fetches, determinism, options."""

from __future__ import annotations

import base64
import io
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader

from engine.errors import InputError
from engine.formatting import long_date
from engine.report import render_html, render_pdf
from engine.report.assets import DEFAULT_ACCENT
from engine.report.fetcher import SafeFetcher
from engine.report.sections import selected_sections
from tests.engine.report.test_fixtures import make_result

IMG = '<img src="http://example.com/x.png">'
SCRIPT = "<script>alert('x')</script>"
CSS_URL = "background:url(http://example.com/a)"
HOSTILE_CLIENT = f"ACME {IMG} & Co"
HOSTILE_NAMES = {0: f"Big {SCRIPT}", 1: CSS_URL, 2: f"{IMG} spenders"}
SAFETY_SECTIONS = ["executive_summary", "cluster_sizes", "characteristics", "segments"]
QUICK = ["executive_summary", "chosen_model"]  # sections without charts: fast renders for option tests


def squash(text: str) -> str:
    """Text without any whitespace: PDF extraction breaks lines wherever the layout did."""
    return re.sub(r"\s+", "", text)


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture(scope="module")
def full_html():
    return render_html(make_result())


@pytest.fixture(scope="module")
def hostile():
    result = make_result(client=HOSTILE_CLIENT, names=HOSTILE_NAMES, title=f"Report {SCRIPT}",
                         analyst=CSS_URL, sections=SAFETY_SECTIONS)
    html = render_html(result)
    fetcher = SafeFetcher()
    pdf = render_pdf(html, fetcher=fetcher)
    return result, html, pdf, fetcher


def test_user_text_is_escaped_in_the_html(hostile):
    _, html, _, _ = hostile
    assert "<script" not in html.lower()
    assert "example.com/x.png\">" not in html  # never a live attribute
    assert "&lt;img src=&#34;http://example.com/x.png&#34;&gt;" in html
    assert "Big &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "ACME &lt;img" in html and "&amp; Co" in html
    assert CSS_URL in html  # harmless as text; it must not reach a style attribute or the stylesheet
    assert f'style="{CSS_URL}' not in html and f"{CSS_URL};" not in html


def test_user_text_prints_literally_in_the_pdf(hostile):
    _, _, pdf, _ = hostile
    text = squash(pdf_text(pdf))
    for literal in (HOSTILE_CLIENT, HOSTILE_NAMES[0], HOSTILE_NAMES[1], HOSTILE_NAMES[2], f"Report {SCRIPT}"):
        assert squash(literal) in text, literal


def test_rendering_fetches_nothing_but_data_uris(hostile):
    _, _, _, fetcher = hostile
    assert fetcher.requests, "the charts are data: URIs, so the fetcher must have been used"
    assert fetcher.non_data_requests == []
    assert fetcher.refused == []


def test_a_remote_url_in_the_html_is_refused_and_recorded():
    fetcher = SafeFetcher()
    render_pdf('<p>x</p><img src="http://example.com/pixel.png"><link rel="stylesheet" href="https://example.com/s.css">',
               fetcher=fetcher)
    assert sorted(fetcher.refused) == ["http://example.com/pixel.png", "https://example.com/s.css"]


def test_same_inputs_give_identical_html_bytes(full_html):
    first = full_html
    again = render_html(make_result())  # a fresh result object: no hidden state, no clock, no random ids
    assert first.encode() == again.encode()


def test_every_section_heading_is_in_the_html_and_numbered_in_order(full_html):
    html = full_html
    numbered = [s for s in selected_sections(None, "full") if s.numbered]  # make_result builds the full report
    for number, section in enumerate(numbered, start=1):
        assert f'<span class="num">{number}</span><span class="title-text">{section.title}</span>' in html
        assert f'href="#sec-{section.key}"' in html  # listed in the contents with its page number


def test_report_sections_option_keeps_cover_and_contents_and_renumbers():
    result = make_result(sections=["cluster_sizes", "executive_summary"])
    html = render_html(result)
    assert 'id="sec-cover"' in html and 'id="sec-toc"' in html
    assert '<span class="num">1</span><span class="title-text">Executive summary' in html
    assert '<span class="num">2</span><span class="title-text">Segment sizes and revenue' in html
    assert "Algorithm comparison" not in html


def test_unknown_section_key_is_an_input_error():
    result = make_result(sections=["executive_summary", "appendx"])
    with pytest.raises(InputError, match="report.sections names unknown section 'appendx'"):
        render_html(result)


def test_bad_logo_stops_rendering_with_one_sentence(tmp_path):
    bad = tmp_path / "logo.gif"
    bad.write_bytes(b"GIF89a" + b"\x00" * 10)
    with pytest.raises(InputError, match="logo.gif is not a PNG, JPEG or SVG image"):
        render_html(make_result(logo=str(bad), sections=QUICK))


def test_page_size_and_accent_reach_the_stylesheet_only_when_valid():
    html = render_html(make_result(page_size="Letter", accent="#AA3300", sections=QUICK))
    assert "size: Letter;" in html and "--accent: #aa3300;" in html
    html = render_html(make_result(accent="red; } body { background: url(http://example.com/) ", sections=QUICK))
    assert f"--accent: {DEFAULT_ACCENT};" in html and "example.com" not in html


def test_generated_date_defaults_to_the_day_the_report_is_made_not_the_end_of_the_data():
    result = make_result(sections=QUICK)
    today = datetime.now(UTC).date()
    html = render_html(result)
    assert f'content="{today.isoformat()}"' in html and long_date(today) in html  # the cover's date
    assert "30 December 2024" not in html  # the last date in the data is not the report's date
    assert 'content="2025-01-15"' in render_html(result, generated_at="2025-01-15")
    result.project.report.date = "2025-02-01"  # a pinned report date wins (and makes the bytes reproducible)
    assert "1 February 2025" in render_html(result)


def test_an_analyst_override_is_stated_and_a_confirming_pin_is_not_called_one():
    html = render_html(make_result(pinned_k=3, sections=QUICK))
    assert "The analyst pinned this model; it is also the rule's recommendation (k-means with k = 3)." in html
    assert "overrode" not in html
    html = render_html(make_result(pinned_k=4, sections=QUICK))
    assert "The analyst overrode the recommendation: the rule recommends k-means with k = 3." in html
    assert "k-means, k = 4" in html or "k-means with k = 4" in html


def test_chart_labels_that_look_like_markup_or_urls_stay_text_in_the_chart():
    names = {0: "Spend url(", 1: "a href='x", 2: "url(http://example.com/a) )"}
    html = render_html(make_result(names=names, sections=["cluster_sizes"]))
    uris = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', html)
    assert uris, "the sizes chart is a vector image"
    svg = base64.b64decode(uris[0]).decode()
    root = ET.fromstring(svg)
    labels = {el.text for el in root.iter() if el.tag.endswith("text") and el.text}
    assert {"Spend url(", "a href='x"} <= labels
    assert not [v for el in root.iter() for k, v in el.attrib.items() if "example.com" in v]


def test_a_run_without_stability_or_narrative_still_renders_and_says_so():
    result = make_result(sections=["executive_summary", "business_implications", "appendix"])
    result.stability = None
    result.narrative = {}
    html = render_html(result)
    assert "Stability was not computed for this run" in html
    assert "No implications were generated for this run." in html
    assert "stability (mean ARI" not in html  # no tile for a number that does not exist
