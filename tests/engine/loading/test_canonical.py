"""Typed role columns are computed once per table, and duplicate rows are found exactly as pandas finds them."""

from __future__ import annotations

import numpy as np
import pandas as pd

import engine.loading.canonical as canonical
from engine.loading.dataset import load_dataset
from engine.loading.quality import identical_rows
from tests.engine.data_fixtures import write_three_tables


def test_each_date_and_id_column_is_parsed_once_per_table(tmp_path, monkeypatch):
    dates, ids = [], []
    real_dates, real_ids = canonical.parse_dates, canonical.normalise_ids
    monkeypatch.setattr(canonical, "parse_dates", lambda s: dates.append(s.name) or real_dates(s))
    monkeypatch.setattr(canonical, "normalise_ids", lambda s: ids.append(s.name) or real_ids(s))
    dataset = load_dataset(write_three_tables(tmp_path))
    # Transactions: date; Customers: signup date; ids: three in the lines, one in each side table.
    assert sorted(dates) == ["SignupDate", "TransactionDate"]
    assert sorted(ids) == ["CustomerID", "CustomerID", "ProductID", "ProductID", "TransactionID"]
    assert dataset.customers["signup_date"].notna().all() and dataset.quality.rows_used == 6


def test_identical_rows_agree_with_pandas_on_missing_values_mixed_types_and_stacked_text():
    rng = np.random.default_rng(7)
    for _ in range(200):
        n = int(rng.integers(1, 40))
        frame = pd.DataFrame({
            "text": rng.choice(["a", "b", " a", None], n),
            "number": rng.choice([1.0, np.nan, 2.0], n),
            "whole": rng.integers(0, 2, n),
            "mixed": pd.Series(rng.choice(np.array([1, "1", None, "x"], dtype=object), n), dtype=object),
            "when": pd.to_datetime(rng.choice(["2024-01-01", None], n)),
        })
        stacked = pd.concat([frame, frame.iloc[::-1]], ignore_index=True)  # Arrow text in several chunks
        for table in (frame, frame[["text"]], stacked):
            assert identical_rows(table).tolist() == table.duplicated(keep="first").tolist()


def test_a_unique_first_column_means_no_identical_rows_even_if_the_rest_repeats():
    frame = pd.DataFrame({"id": ["T1", "T2", "T3"], "amount": [5.0, 5.0, 5.0]})
    assert not identical_rows(frame).any()
    assert identical_rows(frame.assign(id=["T1", "T1", "T2"])).tolist() == [False, True, False]
