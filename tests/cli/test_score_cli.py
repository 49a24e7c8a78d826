"""``build --export-model`` and ``python -m engine score`` (issue 14): the scored file reproduces the build's
assignments, the summary compares shares with the build's, and bad input is one line on stderr."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from engine.synthetic import make_sample, write_sample
from tests.cli.test_cli import assert_one_line_error, cli

PROJECT = {"clustering": {"algorithms": ["gmm"], "k_range": [3, 4], "choice": {"algorithm": "gmm", "k": 4},
                          "stability_resamples": 0}}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("score_cli")
    paths = [str(p) for p in write_sample(make_sample(300, seed=11), folder / "data", folder / "truth.csv")]
    project = folder / "project.json"
    project.write_text(json.dumps(PROJECT))
    out = cli("build", *paths, "--project", str(project), "--out", str(folder / "r.pdf"), "--quiet",
              "--export-model", str(folder / "model.json"), "--assignments", str(folder / "assignments.csv"))
    assert out.returncode == 0, out.stderr
    return {"folder": folder, "paths": paths, "model": folder / "model.json", "project": project}


def test_score_reproduces_the_builds_assignments_and_summarises_shares(built):
    folder = built["folder"]
    out = cli("score", str(built["model"]), *built["paths"], "--out", str(folder / "scored.csv"),
              "--summary", str(folder / "s.json"))
    assert out.returncode == 0, out.stderr
    scored = pd.read_csv(folder / "scored.csv", dtype={"customer_id": str}).set_index("customer_id")
    assert list(scored.columns) == ["segment", "segment_name", "distance", "probability", "outside"]
    build = pd.read_csv(folder / "assignments.csv", dtype={"id": str}).set_index("id")
    assert (scored["segment"].reindex(build.index) == build["cluster_id"]).all()
    assert (scored["segment_name"].reindex(build.index) == build["cluster_name"]).all()
    summary = json.loads((folder / "s.json").read_text())
    assert summary["customers"] == len(build)
    for row in summary["segments"]:
        assert row["customers_now"] == int((build["cluster_id"] == row["segment"]).sum())
        assert abs(row["share_now"] - row["build_share"]) < 1e-6
    assert summary["outside"]["customers"] == int(scored["outside"].sum())
    assert "99th percentile" in summary["outside"]["rule"] and "99th percentile" in out.stderr
    assert summary["as_of"] == "2025-01-01"


def test_export_model_goes_through_the_output_checks(built):
    folder = built["folder"]
    out = cli("build", *built["paths"], "--project", str(built["project"]), "--out", str(folder / "r2.pdf"),
              "--export-model", str(folder / "r2.pdf"))
    assert_one_line_error(out, "--export-model", "same file")
    out = cli("build", *built["paths"], "--project", str(built["project"]), "--out", str(folder / "r3.pdf"),
              "--export-model", built["paths"][0])
    assert_one_line_error(out, "--export-model", "data file")


@pytest.mark.parametrize("case", ["not json", "future version", "missing data", "out not csv", "out is the model",
                                  "missing columns", "bad as-of"])
def test_score_refuses_bad_input_in_one_line(built, tmp_path, case):
    model, paths, out_csv = str(built["model"]), built["paths"], str(tmp_path / "scored.csv")
    words: tuple[str, ...]
    if case == "not json":
        model = str(tmp_path / "model.json")
        Path(model).write_text("this is no model")
        words = ("model.json is not a segmentation model file",)
    elif case == "future version":
        spec = json.loads(built["model"].read_text())
        spec["version"] = 2
        model = str(tmp_path / "model.json")
        Path(model).write_text(json.dumps(spec))
        words = ("format version 2", "reads version 1")
    elif case == "missing data":
        paths = [str(tmp_path / "nothing.csv")]
        words = ("nothing.csv",)
    elif case == "out not csv":
        out_csv = str(tmp_path / "scored.pdf")
        words = ("--out", ".csv")
    elif case == "bad as-of":
        paths = [*paths, "--as-of", "last tuesday"]
        words = ("--as-of", "not a date")
    elif case == "out is the model":
        out_csv = str(tmp_path / "model.csv")
        Path(out_csv).write_bytes(built["model"].read_bytes())
        model = out_csv
        words = ("--out", "the model file")
    else:
        lines = pd.read_csv(next(p for p in paths if p.endswith("Transactions.csv")))
        lines[["TransactionID", "CustomerID", "TransactionDate"]].to_csv(tmp_path / "t.csv", index=False)
        paths = [str(tmp_path / "t.csv")]
        words = ("cannot give the model's features",)
    out = cli("score", model, *paths, "--out", out_csv)
    assert_one_line_error(out, *words)
    assert not (tmp_path / "scored.csv").exists()
