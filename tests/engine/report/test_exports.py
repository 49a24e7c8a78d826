"""Assignments CSV, summary dict and profile CSV (engine.report.exports)."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from engine.formatting import neutralise
from engine.report.exports import assignments_csv, profiles_csv, summary_dict
from engine.results import NOISE
from engine.views.profiles import profile_clusters
from tests.engine.report.test_fixtures import make_result

FORMULAS = ("=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx")


@pytest.fixture(scope="module")
def result():
    return make_result()


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("cell", FORMULAS)
def test_formula_triggers_get_a_leading_quote(cell):
    assert neutralise(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["Big spenders", "1+1", "", "'quoted"])
def test_ordinary_text_is_left_alone(cell):
    assert neutralise(cell) == cell


def test_assignments_have_one_line_per_unit_with_the_report_names(result):
    table = rows(assignments_csv(result))
    # customers of transaction data: the RFM baseline's scores follow (tests/engine/loading/test_data_gates.py)
    assert table[0] == ["id", "cluster_id", "cluster_name", "r_score", "f_score", "m_score", "rfm_segment"]
    body = table[1:]
    assert len(body) == len(result.features.table) == 60
    assert [r[0] for r in body] == list(result.features.table.index)
    assert [int(r[1]) for r in body] == [int(v) for v in result.labels]
    for r in body:
        assert r[2] == result.cluster_labels[int(r[1])].name


def test_assignment_cells_cannot_run_as_formulas():
    names = {0: "=HYPERLINK(\"http://example.com\")", 1: "+danger", 2: "@SUM(A1)"}
    result = make_result(names=names)
    result.features.table.index = ["-1+2" if i == 0 else v for i, v in enumerate(result.features.table.index)]
    table = rows(assignments_csv(result))
    assert table[1][0] == "'-1+2"
    for r in table[1:]:
        assert not r[2].startswith(("=", "+", "-", "@")), r
        assert r[2] == "'" + names[int(r[1])]


def test_noise_is_called_unassigned_and_keeps_its_numeric_id():
    result = make_result()
    labels = np.asarray(result.labels).copy()
    labels[:2] = NOISE
    result.labels = labels
    result.profile = profile_clusters(result.features, labels)
    table = rows(assignments_csv(result))
    assert table[1][1:3] == ["-1", "Unassigned"]  # a number, not neutralised text
    assert table[3][1] != "-1"
    summary = summary_dict(result)
    noise = [c for c in summary["clusters"] if c["noise"]]
    assert noise == [{**noise[0], "id": -1, "name": "Unassigned", "size": 2}]
    assert sum(c["size"] for c in summary["clusters"]) == 60


def test_summary_has_the_design_keys_and_is_strict_json(result):
    summary = summary_dict(result)
    json.dumps(summary, allow_nan=False)  # raises on NaN / infinity
    assert {"input", "features", "scaling", "comparison", "chosen", "clusters", "warnings", "timings_s"} <= set(summary)
    assert summary["input"] == {**summary["input"], "rows": 400, "customers": 60, "unit": "customer"}
    assert summary["features"] == ["recency_days", "frequency", "monetary"]
    assert summary["scaling"] == "standard"
    for entry in summary["comparison"]:
        assert {"algorithm", "k", "davies_bouldin", "silhouette", "calinski_harabasz"} <= set(entry)
    failed = [e for e in summary["comparison"] if e["algorithm"] == "dbscan"][0]
    assert failed["davies_bouldin"] is None and failed["status"] == "failed"  # null, not NaN
    assert {"algorithm", "k", "reason", "davies_bouldin", "silhouette"} <= set(summary["chosen"])


def test_summary_numbers_are_rounded_as_the_report_prints_them(result):
    summary = summary_dict(result)
    db = result.chosen.metrics["davies_bouldin"]
    assert summary["chosen"]["davies_bouldin"] == round(db, 4)
    assert summary["chosen"]["k"] == 3 and summary["chosen"]["algorithm"] == "kmeans"
    sizes = [c["size"] for c in summary["clusters"]]
    assert sum(sizes) == summary["input"]["n_units"] == 60
    assert sum(c["share"] for c in summary["clusters"]) == pytest.approx(1.0, abs=1e-3)
    big = max(summary["clusters"], key=lambda c: c["means"]["monetary"])
    assert big["name"] == "Frequent big spenders" and big["size"] == 10
    assert big["revenue_share"] == round(float(result.profile.summary.loc[big["id"], "revenue_share"]), 4)


def test_suppressed_warnings_are_kept_apart_from_live_ones(result):
    summary = summary_dict(result)
    assert summary["suppressed_warnings"] == [w.message for w in result.warnings]
    assert summary["warnings"] == ["A pipeline note."]


def test_profile_csv_lists_every_cluster_with_its_report_name(result):
    table = rows(profiles_csv(result))
    names = [r[table[0].index("Cluster")] for r in table[1:]]
    assert sorted(names) == sorted(label.name for label in result.cluster_labels.values())
    counts = [int(r[table[0].index("Customer count")]) for r in table[1:]]
    assert sum(counts) == 60
