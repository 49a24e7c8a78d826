"""``build`` with a project file whose data.as_of is mid-period on the bundled sample: the later lines are left out."""

from __future__ import annotations

import html
import json
import re

import pandas as pd
import pytest

from tests.cli.test_cli import SAMPLE, assert_one_line_error, cli


@pytest.mark.slow
def test_build_as_of_mid_period_states_the_date_and_what_it_left_out(tmp_path):
    project = tmp_path / "project.json"
    project.write_text(json.dumps({"data": {"paths": [str(SAMPLE)], "as_of": "2024-06-30"},
                                   "clustering": {"stability_resamples": 0}}))
    out = cli("build", "--project", str(project), "--out", str(tmp_path / "r.pdf"),
              "--summary", str(tmp_path / "s.json"), "--html", str(tmp_path / "r.html"),
              "--assignments", str(tmp_path / "a.csv"), "--quiet")
    assert out.returncode == 0, out.stderr

    raw = pd.read_csv(SAMPLE / "Transactions.csv")
    dates = pd.to_datetime(raw["TransactionDate"])
    later = dates >= pd.Timestamp("2024-07-01")
    known = raw["CustomerID"].notna()
    summary = json.loads((tmp_path / "s.json").read_text())
    inputs = summary["input"]
    assert inputs["as_of"] == "2024-06-30" and inputs["date_max"] > "2024-06-30"
    # the loader drops a few rows (duplicates, ...): the count left out is the raw count less at most those
    dropped = inputs["rows_read"] - inputs["rows"]
    assert int((later & known).sum()) - dropped <= inputs["lines_after_as_of"] <= int((later & known).sum())
    # customers: those with a line up to the date, not those who first bought later
    assert inputs["n_units"] == raw.loc[~later & known, "CustomerID"].nunique() < inputs["customers"]
    assert sum(c["size"] for c in summary["clusters"]) == inputs["n_units"]
    assert max(c["means"]["recency_days"] for c in summary["clusters"]) <= (
        pd.Timestamp("2024-06-30") - dates.min().normalize()).days
    note = (f"Analysis as of 2024-06-30: {inputs['lines_after_as_of']:,} transaction lines dated after it were "
            f"left out (they belong to a later period); {inputs['customers'] - inputs['n_units']:,} customers whose "
            "first purchase came after it are not in the analysis.")
    assert note in summary["warnings"]
    assigned = pd.read_csv(tmp_path / "a.csv", dtype={"id": str})
    assert set(assigned["id"]) == set(raw.loc[~later & known, "CustomerID"])

    text = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", (tmp_path / "r.html").read_text("utf-8"))))
    assert "Recency measured from 30 June 2024" in text
    assert ("Recency is counted in days back from the analysis date, 30 June 2024 (the end of the data in this "
            f"report), not from the day the report was built; the {inputs['lines_after_as_of']:,} transaction lines "
            "dated after it were left out") in text
    assert (f"the {inputs['rows'] - inputs['lines_after_as_of']:,} transaction rows kept were aggregated to one row "
            f"per customer, giving {inputs['n_units']:,} customers") in text
    assert re.search(r"customers · \d+ segments · data from January 2023 to June 2024", text)  # the cover's period


def test_build_as_of_before_the_data_is_one_line(tmp_path):
    project = tmp_path / "project.json"
    project.write_text(json.dumps({"data": {"paths": [str(SAMPLE)], "as_of": "2022-12-31"}}))
    assert_one_line_error(cli("build", "--project", str(project), "--out", str(tmp_path / "r.pdf")),
                          "data.as_of is 2022-12-31, before the first transaction date 2023-01-02")
