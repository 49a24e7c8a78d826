"""The whole build on Spark (local[2]): the same PDF, HTML and summary, assignments written by Spark."""

from __future__ import annotations

import csv
import json

import pytest
from pypdf import PdfReader


@pytest.fixture(scope="module")
def spark_build(spark, tmp_path_factory):
    from engine.cli import main

    out = tmp_path_factory.mktemp("spark-build")
    project = out / "project.json"  # a short k range: every (algorithm, k) is a few Spark jobs of seconds each
    project.write_text(json.dumps({"clustering": {"k_range": [4, 6], "stability_resamples": 2}}))
    code = main(["build", "--demo", "--project", str(project), "--engine", "spark", "--spark-master", "local[2]",
                 "--quiet",
                 "--out", str(out / "report.pdf"), "--html", str(out / "report.html"),
                 "--summary", str(out / "summary.json"), "--assignments", str(out / "assignments.csv")])
    assert code == 0
    return out


def test_the_report_builds_and_says_spark_ran_it(spark_build):
    pdf = PdfReader(str(spark_build / "report.pdf"))
    assert len(pdf.pages) >= 8
    html = (spark_build / "report.html").read_text()
    assert "Apache Spark" in html and "master local[2]" in html
    assert "squared Euclidean distance" in html  # which silhouette the report quotes


def test_summary_sizes_add_up_to_every_customer(spark_build, local_sample):
    summary = json.loads((spark_build / "summary.json").read_text())
    assert summary["input"]["customers"] == local_sample.quality.customers
    assert sum(c["size"] for c in summary["clusters"]) == local_sample.quality.customers
    assert summary["chosen"]["algorithm"] in {"kmeans", "bisecting_kmeans", "gmm"}
    shares = [c["revenue_share"] for c in summary["clusters"]]
    assert sum(shares) == pytest.approx(1.0, abs=0.01)
    assert summary["compute"]["engine"] == "spark" and summary["compute"]["spark_master"] == "local[2]"
    assert summary["compute"]["silhouette_distance"] == "squaredEuclidean"
    algorithms = {row["algorithm"] for row in summary["comparison"]}
    assert {"kmeans", "bisecting_kmeans", "gmm"} <= algorithms


def test_stability_is_measured_in_spark_and_reported(spark_build):
    summary = json.loads((spark_build / "summary.json").read_text())
    stability = summary["stability"]
    assert stability["n_resamples"] == 2
    assert sorted(stability["jaccard"]) == sorted(str(c["id"]) for c in summary["clusters"])
    assert all(0 <= v <= 1 for v in stability["jaccard"].values()) and 0 <= stability["ari_mean"] <= 1
    assert set(stability["verdicts"].values()) <= {"solid", "moderate", "fragile"}
    html = (spark_build / "report.html").read_text()
    assert "chosen model was refitted on 2 " in html  # the appendix's stability part
    assert "refitting the chosen model on 2 seeded subsamples" in html  # how Spark resampled


def test_assignments_name_every_customer_once(spark_build, local_sample):
    with (spark_build / "assignments.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [r["customer_id"] for r in rows] == sorted(local_sample.customers.index.astype(str))
    summary = json.loads((spark_build / "summary.json").read_text())
    names = {str(c["id"]): c["name"] for c in summary["clusters"]}
    assert all(names[r["cluster_id"]] == r["cluster_name"] for r in rows)
