"""The command line on a bad project file and on files past the read limits: one line, exit 2."""

from __future__ import annotations

import json

from tests.cli.test_cli import assert_one_line_error, cli
from tests.engine.data_fixtures import write
from tests.engine.loading.test_limits import rows_csv, wide_csv, write_bomb


def test_a_project_file_with_bad_values_lists_every_problem_on_one_line(tmp_path):
    project = write(tmp_path, "p.json", json.dumps({
        "clustering": {"stability_resamples": 2.5, "seed": 2**40, "k_range": [2, "10"]},
        "report": {"detial": "full"},
    }))
    out = cli("build", "--demo", "--project", str(project), "--out", str(tmp_path / "r.pdf"))
    assert out.returncode == 2
    assert_one_line_error(
        out, "The project file has 4 problems:",
        "clustering.stability_resamples is 2.5; use a whole number from 0 to 200.",
        "clustering.seed is 1099511627776; use a whole number from 0 to 2,147,483,647.",
        "clustering.k_range is [2, '10']; use two whole numbers",
        "report has unknown key 'detial'; did you mean 'detail'?",
    )
    assert not (tmp_path / "r.pdf").exists()


def test_a_zip_bomb_workbook_and_too_many_rows_fail_with_one_line(tmp_path):
    limits = write(tmp_path, "p.json", json.dumps({"data": {"max_workbook_mb": 20, "max_rows": 100}}))
    bomb = write_bomb(tmp_path / "bomb.xlsx", 50)
    out = cli("inspect", str(bomb), "--project", str(limits))
    assert out.returncode == 2
    assert_one_line_error(out, "bomb.xlsx unpacks to 51 MB of workbook data, more than the limit of 20 MB")
    rows = write(tmp_path, "rows.csv", rows_csv(101))
    out = cli("inspect", str(rows), "--project", str(limits))
    assert out.returncode == 2
    assert_one_line_error(out, "rows.csv has more than 100 rows, the limit set by data.max_rows")


def test_a_2000_column_csv_is_inspected_on_its_first_200_columns(tmp_path):
    path = write(tmp_path, "wide.csv", wide_csv(80, 2_000))
    out = cli("inspect", str(path))
    assert out.returncode == 0, out.stderr
    assert "wide.csv has 2,000 columns; only the first 200 were considered (data.max_columns)" in \
        " ".join(out.stdout.split())
