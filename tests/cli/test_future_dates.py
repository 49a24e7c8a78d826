"""A build on a log with 5% of its lines dated 2099: those lines are excluded and counted, recency stays real."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from engine.synthetic import make_sample
from tests.cli.test_cli import cli


def test_lines_dated_2099_do_not_push_recency_to_decades(tmp_path):
    sample = make_sample(n_customers=200, seed=7, end_date="2024-12-31")
    lines = sample["transactions"].copy()
    rng = np.random.default_rng(13)
    future = rng.choice(len(lines), size=len(lines) // 20, replace=False)
    lines.loc[lines.index[future], "TransactionDate"] = "2099-06-01 10:00:00"
    folder = tmp_path / "data"
    folder.mkdir()
    lines.to_csv(folder / "Transactions.csv", index=False)
    sample["customers"].to_csv(folder / "Customers.csv", index=False)
    sample["products"].to_csv(folder / "Products.csv", index=False)
    out = cli("build", str(folder), "--out", str(tmp_path / "r.pdf"), "--summary", str(tmp_path / "s.json"),
              "--html", str(tmp_path / "r.html"), "--quiet")
    assert out.returncode == 0, out.stderr
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["input"]["date_max"] <= "2024-12-31"
    assert max(c["means"]["recency_days"] for c in summary["clusters"]) < 800  # ~27,000 when 2099 counts
    assert summary["input"]["rows_read"] - summary["input"]["rows"] >= len(future)
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert f"{len(future):,} of {len(lines):,} rows" in html and "dated after the build day" in html
    assert pd.Timestamp(summary["input"]["date_max"]).year == 2024
