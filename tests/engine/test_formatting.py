"""One formatting module: numbers, percentages, missing values, plurals, articles, bands, labels, exports."""

from __future__ import annotations

import dataclasses
import html as html_lib
import math
import re

import numpy as np
import pandas as pd
import pytest

from engine import formatting as f
from engine.clustering.algorithms import ALGORITHMS
from engine.features.catalogue import FEATURES
from engine.narrative import apply_edits, business_implications, generate_labels
from engine.project import LabelSpec
from tests.engine.narrative.test_fixtures import retail_profile

MISSING_VALUES = (None, float("nan"), np.nan, pd.NA, pd.NaT, float("inf"), -float("inf"))


# ---- plurals and articles ---------------------------------------------------------


@pytest.mark.parametrize(("count", "expected"), [
    (1, "1 customer"), (1.0, "1 customer"), (0, "0 customers"), (2, "2 customers"), (3003, "3,003 customers"),
    (np.int64(1), "1 customer"),
])
def test_counted_nouns_agree_with_their_number(count, expected):
    assert f.counted(count, "customer") == expected
    assert f.units(count, "customer") == expected


def test_unit_words_and_irregular_plurals():
    assert f.units(1, "row") == "1 row" and f.units(12_345, "row") == "12,345 rows"
    assert f.unit_words("something else") == ("row", "rows")  # an unknown unit is never printed raw
    assert f.counted(2, "category", "categories") == "2 categories"
    assert f.counted(1, "category", "categories") == "1 category"
    assert f.plural(1, "run") == "run" and f.plural(5, "run") == "runs"


def test_a_missing_count_is_a_dash_with_the_plural():
    assert f.counted(None, "customer") == "– customers"
    assert f.counted(float("nan"), "row") == "– rows"


@pytest.mark.parametrize(("word", "expected"), [
    ("average", "an average"), ("median", "a median"), ("high", "a high"), ("hour", "an hour"),
    ("unique buyer", "a unique buyer"), ("unusual mix", "an unusual mix"), ("one-off", "a one-off"),
    ("Eligible run", "an Eligible run"), ("euro amount", "a euro amount"), ("  order", "an   order"),
])
def test_indefinite_articles_agree_with_the_word_after(word, expected):
    assert f.with_article(word) == expected


def test_article_of_empty_text_is_a():
    assert f.article("") == "a" and f.article("   ") == "a"


# ---- percentages, numbers and missing values ----------------------------------------


def test_one_percentage_rule_one_decimal():
    assert f.pct(0.4128) == "41.3%"
    assert f.pct(0.41) == "41.0%"  # no trailing-zero trimming: tables and sentences read alike
    assert f.pct(0.0004) == "0.0%"
    assert f.pct(1) == "100.0%"
    assert f.pct(0.1585081585) == "15.9%"  # rounded once (rounding the JSON's 0.1585 again gave 15.8%)


@pytest.mark.parametrize("missing", MISSING_VALUES)
def test_missing_values_are_one_dash_in_every_format(missing):
    for format_ in (f.integer, f.number, f.approx, f.metric, f.pct, f.ratio, f.money, f.days, f.signed):
        assert format_(missing) == f.MISSING == "–", format_.__name__


@pytest.mark.parametrize("text", ["n/a", "abc", "", "None"])
def test_text_where_a_number_belongs_is_never_printed_as_nan(text):
    assert f.approx(text) == f.MISSING
    assert not f.is_number(text)


def test_numbers_ratios_and_metrics():
    assert f.integer(12345.6) == "12,346"
    assert f.approx(1540.4) == "1,540" and f.approx(12.54) == "12.5" and f.approx(3.254) == "3.25"
    assert f.approx(-0.001) == "0"
    assert f.ratio(0.7) == "0.70×" and f.ratio(3.834) == "3.83×"
    assert f.metric(0.71543, "davies_bouldin") == "0.7154"
    assert f.metric(0.8302, "ari") == "0.830"
    assert f.signed(-1.2) == "\u22121.20"


# ---- revenue-index bands ----------------------------------------------------------


@pytest.mark.parametrize(("index", "words"), [
    (0.0, "below its size"), (0.7, "below its size"), (0.794, "below its size"),
    (0.795, "in line with its size"),  # printed 0.80×: the band of the printed number
    (0.8, "in line with its size"), (1.0, "in line with its size"), (1.244, "in line with its size"),
    (1.25, "above its size"), (1.99, "above its size"),
    (1.996, "well above its size"), (2.0, "well above its size"), (7.5, "well above its size"),
])
def test_revenue_index_bands_at_their_edges(index, words):
    assert f.revenue_index_words(index) == words


def test_revenue_index_of_missing_or_empty_segments_has_no_band():
    assert math.isnan(f.revenue_index(0.1, 0))
    assert math.isnan(f.revenue_index(None, 0.2))
    assert math.isnan(f.revenue_index(float("nan"), 0.2))
    assert f.revenue_index(0.14, 0.2) == pytest.approx(0.7)
    assert f.revenue_index_words(float("nan")) == "" and f.revenue_index_words(None) == ""


def test_resource_allocation_words_each_segment_by_the_band_of_its_printed_index():
    profile = retail_profile()
    sentences = business_implications(profile, generate_labels(profile))["resource_allocation"]
    assert len(sentences) == 5
    bands = []
    for sentence in sentences:
        shown = re.search(r"revenue share ([\d.]+)× its share", sentence)
        assert shown is not None, sentence
        band = f.revenue_index_words(float(shown.group(1)))
        assert f"earns {band}" in sentence, sentence
        bands.append(band)
    # retail_profile: champions 3.71×, bulk 1.41×, premium 0.76×, lapsed 0.12×, new 0.06×
    assert sorted(set(bands)) == ["above its size", "below its size", "well above its size"]


# ---- labels, names, exports -------------------------------------------------------


def test_feature_and_algorithm_keys_become_their_registry_labels():
    assert f.feature_label("recency_days") == FEATURES["recency_days"].label != "recency_days"
    assert f.feature_label("recency_days", {"recency_days": "Days since last order"}) == "Days since last order"
    assert f.feature_label("share_Home_Garden") == "Share of spend: Home Garden"
    assert f.feature_label("loyalty_points") == "loyalty points"  # not in the catalogue: words, not a key
    assert f.algorithm_label("kmeans") == ALGORITHMS["kmeans"].label != "kmeans"
    assert f.algorithm_label("my_method") == "my method"


def test_cluster_display_names():
    assert f.cluster_name(-1) == "Unassigned"
    assert f.cluster_name(3) == "Cluster 3"
    assert f.cluster_name(3, {3: "Champions"}) == "Champions"
    assert f.cluster_name(3, {3: ""}) == "Cluster 3"


@pytest.mark.parametrize(("text", "expected"), [
    ("=1+1", "'=1+1"), ("@cmd", "'@cmd"), ("-2", "'-2"), ("\tx", "'\tx"), ("Champions", "Champions"), ("", ""),
])
def test_csv_formula_neutralising(text, expected):
    assert f.neutralise(text) == expected


@pytest.mark.parametrize(("fields", "expected"), [
    (("name",), "name edited by the analyst"),
    (("strategies", "name"), "name and strategies edited by the analyst"),
    (("name", "description", "strategies"), "name, description and strategies edited by the analyst"),
    ((), ""), (None, ""),
])
def test_edited_note_says_what_was_edited(fields, expected):
    assert f.edited_note(fields) == expected


# ---- the demo report --------------------------------------------------------------


def _body_sentences(html: str, detail: str) -> dict[str, str]:
    """Text of the paragraphs, list items, captions and headings of each section of the report's body."""
    from engine.report.sections import SECTIONS

    html = re.sub(r"<(style|svg|script)\b.*?</\1>", " ", html, flags=re.S)
    parts = re.split(r'<section[^>]*\bid="([^"]+)"[^>]*>', html)
    out = {}
    for sid, body in zip(parts[1::2], parts[2::2], strict=True):
        key = sid.removeprefix("sec-")
        if key in SECTIONS and SECTIONS[key].part(detail) != "body":
            continue
        pieces = re.findall(r"<(p|li|figcaption|h[1-6])\b[^>]*>(.*?)</\1>", body, flags=re.S)
        text = " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", inner)) for _, inner in pieces)
        out[sid] = re.sub(r"\s+", " ", text)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("detail", ["client", "full"])
def test_demo_report_body_has_no_missing_markers_or_internal_keys(demo_result, detail):
    from engine.report import render_html

    labels, _ = apply_edits(demo_result.cluster_labels, {
        0: LabelSpec(name="Top spenders", strategies=["Invite them to the loyalty tier."])})
    edited = dataclasses.replace(demo_result, cluster_labels=labels)
    options = dataclasses.replace(demo_result.project.report, detail=detail)
    sections = _body_sentences(render_html(edited, options), detail)
    summary = "sec-client_summary" if detail == "client" else "sec-executive_summary"
    assert summary in sections and "sec-appendix_method" not in sections
    feature_keys = [k for k in demo_result.profile.features if "_" in k]
    assert feature_keys  # the demo clusters on recency_days, tenure_days, ...
    for sid, text in sections.items():
        assert text.strip(), sid
        for bad in (r"\bn/a\b", r"\bnan\b", r"\bNaN\b", r"\bNone\b"):
            assert not re.search(bad, text), (sid, bad)
        for key in feature_keys:
            assert key not in text, (sid, key)
        for key in ALGORITHMS:
            assert not re.search(rf"\b{re.escape(key)}\b", text), (sid, key)
        assert not re.search(r"\b(clustering|features|report|data|labels)\.[a-z_]+", text), sid
    if detail == "client":
        assert "Top spenders" in " ".join(sections.values())
        return
    segment = sections["segment-0"]
    assert "Top spenders" in segment
    assert "name and strategies edited by the analyst" in segment
    assert "description edited" not in segment
