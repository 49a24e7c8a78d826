"""``python -m engine migrate`` and ``build`` with a project file's ``migration`` block (issue 14).

The data are the planted movers of tests/engine/migration/movers.py; the model is built
on the data up to the change date and exported with ``build --export-model``.
"""

from __future__ import annotations

import csv
import json

import pytest

from tests.cli.test_cli import assert_one_line_error, cli
from tests.engine.migration.movers import CHANGE, END, GROUPS, make_movers

FROM, TO = CHANGE.date().isoformat(), END.date().isoformat()
PROJECT = {"data": {"as_of": FROM}, "features": {"selected": ["recency_days", "frequency", "monetary"]},
           "clustering": {"algorithms": ["kmeans"], "k_range": [3, 5], "choice": {"algorithm": "kmeans", "k": 4},
                          "stability_resamples": 0}}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("migrate_cli")
    data = folder / "transactions.csv"
    make_movers()[0].to_csv(data, index=False)
    project = folder / "project.json"
    project.write_text(json.dumps(PROJECT))
    out = cli("build", str(data), "--project", str(project), "--out", str(folder / "r.pdf"), "--quiet",
              "--export-model", str(folder / "model.json"))
    assert out.returncode == 0, out.stderr
    return {"folder": folder, "data": str(data), "model": str(folder / "model.json")}


def test_migrate_prints_the_biggest_flows_and_writes_the_table_and_the_summary(built):
    folder = built["folder"]
    out = cli("migrate", built["model"], built["data"], "--from", FROM, "--to", TO, "--out", str(folder / "m.csv"),
              "--summary", str(folder / "m.json"), "--top", "2")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    # the two planted flows, 60 customers each; the starters' (revenue) before the stoppers' (none)
    assert lines[0].startswith("60 customers (") and " moved up to " in lines[0], lines[0]
    assert lines[1].startswith("60 customers (") and " slipped to " in lines[1], lines[1]
    assert lines[1].endswith("with no revenue in the last period.")
    assert lines[2].startswith(f"Of the {sum(n for g, n in GROUPS.items() if g != 'new')} customers there on "
                               "30 June 2024,")
    assert "60 new customers appeared between 30 June 2024 and 31 December 2024" in out.stdout
    summary = json.loads((folder / "m.json").read_text())
    assert (summary["model"], summary["from"], summary["to"], summary["appeared"]) == ("model.json", FROM, TO, 60)
    assert summary["sentences"][:2] == lines[:2]
    rows = list(csv.DictReader((folder / "m.csv").open()))
    assert [int(r["customers"]) for r in rows] == [f["customers"] for f in summary["flows"]]
    assert sum(int(r["customers"]) for r in rows) == sum(GROUPS.values())


@pytest.mark.parametrize(("args", "words"), [
    (["--from", TO, "--to", FROM], ["--from (2024-12-31) must be before --to (2024-06-30)"]),
    (["--from", "30/06/2024", "--to", TO], ["--from is '30/06/2024', which is not a date"]),
    (["--from", FROM, "--to", TO, "--top", "-1"], ["--top is -1"]),
    (["--from", "2022-06-30", "--to", TO], ["--from (2022-06-30) is before the first transaction date (2023-01-01)"]),
])
def test_bad_dates_are_one_line(built, args, words):
    assert_one_line_error(cli("migrate", built["model"], built["data"], *args), *words)


def test_bad_files_are_one_line(built, tmp_path):
    out = cli("migrate", built["model"], built["data"], "--from", FROM, "--to", TO, "--out", built["data"])
    assert_one_line_error(out, "--out", "data file")
    out = cli("migrate", built["model"], built["data"], "--from", FROM, "--to", TO, "--summary", built["model"])
    assert_one_line_error(out, "--summary", "model file")
    not_a_model = tmp_path / "model.json"
    not_a_model.write_text('{"hello": 1}')
    assert_one_line_error(cli("migrate", str(not_a_model), built["data"], "--from", FROM, "--to", TO), "model")
    assert_one_line_error(cli("migrate", str(tmp_path / "missing.json"), built["data"], "--from", FROM, "--to", TO),
                          "missing.json")


def test_build_with_a_migration_in_the_project_file_adds_the_section_and_the_summary_block(built):
    folder = built["folder"]
    project = folder / "with_migration.json"
    project.write_text(json.dumps({**PROJECT, "migration": {"model": built["model"], "from": FROM, "to": TO}}))
    out = cli("build", built["data"], "--project", str(project), "--out", str(folder / "m.pdf"), "--quiet",
              "--html", str(folder / "m.html"), "--summary", str(folder / "s.json"))
    assert out.returncode == 0, out.stderr
    html = (folder / "m.html").read_text()
    assert 'id="sec-migration"' in html and "How segments moved" in html
    block = json.loads((folder / "s.json").read_text())["migration"]
    assert (block["from"], block["to"], block["appeared"]) == (FROM, TO, 60)
    assert sum(f["customers"] for f in block["flows"]) == sum(GROUPS.values())
    assert block["sentences"][0].startswith("60 customers (")


def test_build_refuses_a_missing_migration_model_before_the_analysis(built, tmp_path):
    project = tmp_path / "p.json"
    project.write_text(json.dumps({**PROJECT, "migration": {"model": str(tmp_path / "gone.json"), "from": FROM,
                                                            "to": TO}}))
    out = cli("build", built["data"], "--project", str(project), "--out", str(tmp_path / "r.pdf"))
    assert_one_line_error(out, "gone.json")
    assert not (tmp_path / "r.pdf").exists()


def test_a_second_date_after_the_data_is_said(built):
    out = cli("migrate", built["model"], built["data"], "--from", FROM, "--to", "2025-03-31", "--top", "0")
    assert out.returncode == 0, out.stderr
    assert ("warning: The data ends on 31 December 2024, before --to (31 March 2025): nothing bought after "
            "31 December 2024 is in it") in out.stderr
    assert out.stdout.startswith("Of the 740 customers there on 30 June 2024,")  # --top 0: no flow sentences
