"""Issue 13, items 2 and 5, through ``python -m engine build``: one customer, one row in the summary, the
assignments and the report; infinite and 1e308 prices are counted bad values, with no warning on stderr."""

from __future__ import annotations

import csv
import html
import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from tests.cli.test_cli import cli


def report_text(path: Path) -> str:
    text = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", path.read_text(encoding="utf-8"), flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", text)))


def build(tmp_path: Path, data: Path) -> tuple[dict, list[dict], str, str]:
    out = cli("build", str(data), "--out", str(tmp_path / "r.pdf"), "--html", str(tmp_path / "r.html"),
              "--summary", str(tmp_path / "s.json"), "--assignments", str(tmp_path / "a.csv"), "--quiet")
    assert out.returncode == 0, out.stderr
    assert "Warning" not in out.stderr and "Traceback" not in out.stderr, out.stderr
    summary = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    with open(tmp_path / "a.csv", encoding="utf-8", newline="") as handle:
        assignments = list(csv.DictReader(handle))
    return summary, assignments, report_text(tmp_path / "r.html"), out.stderr


def test_a_customer_table_with_repeated_ids_is_one_customer_one_row_everywhere(tmp_path):
    rng = np.random.default_rng(13)
    n = 100
    table = pd.DataFrame({"CustomerID": [f"C{i:03d}" for i in range(n)], "Spend": rng.gamma(2, 100, n).round(2),
                          "Visits": rng.integers(1, 30, n), "Tenure": rng.integers(1, 60, n)})
    repeats = table.iloc[[3, 7]].assign(Spend=[999.0, 5.0])
    repeats["CustomerID"] = [" C003", "C007 "]  # a stray space is the same id
    data = tmp_path / "customers.csv"
    pd.concat([table, repeats]).to_csv(data, index=False)
    summary, assignments, text, _ = build(tmp_path, data)
    ids = [row["id"] for row in assignments]
    assert summary["input"]["customers"] == summary["input"]["n_units"] == len(assignments) == len(set(ids)) == n
    assert summary["input"]["rows_read"] == n + 2
    assert f"{n} customers" in text and f"{n + 2} customers" not in text
    assert "2 of 102 rows (2.0%) of customers.csv repeat the customer id of an earlier row (e.g. C003, C007)" in text


def test_infinite_and_overflowing_prices_are_counted_and_the_revenue_stays_finite(tmp_path):
    rng = np.random.default_rng(5)
    m = 600
    lines = pd.DataFrame({
        "InvoiceNo": [f"I{i}" for i in range(m)], "CustomerID": rng.choice([f"C{i}" for i in range(90)], m),
        "InvoiceDate": pd.date_range("2024-01-01", periods=m, freq="13h").strftime("%Y-%m-%d"),
        "Quantity": rng.integers(1, 5, m).astype(str), "UnitPrice": rng.gamma(2, 10, m).round(2).astype(str)})
    lines.loc[[5, 6, 7, 8], "UnitPrice"] = ["inf", "-inf", "1e308", "Infinity"]
    lines.loc[[20, 21], "Quantity"] = ["1e308", "-1e300"]
    data = tmp_path / "lines.csv"
    lines.to_csv(data, index=False)
    summary, assignments, text, _ = build(tmp_path, data)
    revenue = [c["revenue"] for c in summary["clusters"]]
    assert all(isinstance(r, float) and math.isfinite(r) for r in revenue)
    assert math.isclose(sum(c["revenue_share"] for c in summary["clusters"]), 1.0, abs_tol=0.01)
    assert summary["input"]["rows"] == m - 6 and len(assignments) == summary["input"]["customers"]
    assert "4 values in 'UnitPrice' of lines.csv were infinite or beyond ±1e15" in text
    assert "2 values in 'Quantity' of lines.csv were infinite or beyond ±1e15" in text
    assert not re.search(r"\d[\d,]{20,}", text)  # no 309-digit revenue
    assert "– of revenue" not in text and "n/a" not in text
