"""Date rules (engine/loading/dates.py): day/month order per column, future-dated rows, numbers as dates,
time zones the same from CSV and Parquet. Inputs are generated here, small and seeded."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.errors import InputError
from engine.features.matrix import customer_features
from engine.loading.dataset import load_dataset
from engine.loading.inspect import format_inspect
from engine.loading.parsing import parse_dates
from engine.loading.roles import detect_roles
from tests.engine.data_fixtures import write

RNG_SEED = 13


def _log(dates: list, amounts=None, customers=None) -> str:
    """A transactions CSV: one line per date, customers C00..C19 in turn unless given."""
    n = len(dates)
    customers = customers or [f"C{i % 20:02d}" for i in range(n)]
    amounts = amounts or [f"{10 + i % 7}.50" for i in range(n)]
    lines = [f"O{i:04d},{c},{d},{a}" for i, (c, d, a) in enumerate(zip(customers, dates, amounts, strict=True))]
    return "OrderID,CustomerID,Date,Amount\n" + "\n".join(lines) + "\n"


# ---- day/month order ------------------------------------------------------------


def _mixed_column(rng, n_dmy: int, n_mdy: int, n_either: int) -> tuple[list[str], list[pd.Timestamp | None]]:
    """Day-first values with a day > 12, month-first values with a day > 12, and values with both fields <= 12
    (written day-first, as the majority here); the true dates alongside (None where the value cannot tell)."""
    values, truth = [], []
    for _ in range(n_dmy):
        day, month = int(rng.integers(13, 29)), int(rng.integers(1, 13))
        values.append(f"{day:02d}/{month:02d}/2024")
        truth.append(pd.Timestamp(2024, month, day))
    for _ in range(n_mdy):
        day, month = int(rng.integers(13, 29)), int(rng.integers(1, 13))
        values.append(f"{month:02d}/{day:02d}/2024")
        truth.append(pd.Timestamp(2024, month, day))
    for _ in range(n_either):
        day, month = int(rng.integers(1, 13)), int(rng.integers(1, 13))
        values.append(f"{day:02d}/{month:02d}/2024")
        truth.append(pd.Timestamp(2024, month, day))
    order = rng.permutation(len(values))
    return [values[i] for i in order], [truth[i] for i in order]


def test_mixed_orders_read_each_proven_value_its_own_way_and_the_rest_by_majority():
    rng = np.random.default_rng(RNG_SEED)
    values, truth = _mixed_column(rng, n_dmy=60, n_mdy=25, n_either=40)
    parsed = parse_dates(pd.Series(values))
    assert parsed.n_unreadable == 0  # a month-first "12/25/2024" is not lost in a day-first column
    votes = parsed.day_month
    assert (votes.day_first, votes.month_first, votes.either) == (60, 25, 40)
    assert votes.mixed and votes.order == "dmy" and not parsed.ambiguous
    proven = [v for v, t in zip(values, truth, strict=True) if max(int(v[:2]), int(v[3:5])) > 12]
    read = dict(zip(values, parsed.values, strict=True))
    assert all(read[v] == t for v, t in zip(values, truth, strict=True) if v in proven)
    # the ambiguous ones follow the majority (day-first), which is how they were written here
    assert parsed.values.tolist() == truth


def test_mixed_orders_say_one_sentence_with_the_counts(tmp_path):
    rng = np.random.default_rng(RNG_SEED)
    values, _ = _mixed_column(rng, n_dmy=10, n_mdy=30, n_either=20)
    data = load_dataset(write(tmp_path, "t.csv", _log(values)))
    said = [w for w in data.warnings if "mixes day-first and month-first" in w]
    assert len(said) == 1
    assert ("(10 rows can only be day-first, 30 only month-first)" in said[0]
            and "the 20 rows that could be either were read as month-first (the majority)" in said[0])
    assert data.quality.rows_used == 60 and data.quality.unparseable_dates == {"Date": 0}


def test_a_tie_between_orders_is_read_month_first_and_said():
    values = ["13/01/2024", "01/13/2024", "02/03/2024"]
    parsed = parse_dates(pd.Series(values))
    assert parsed.values.tolist() == [pd.Timestamp("2024-01-13")] * 2 + [pd.Timestamp("2024-02-03")]
    assert parsed.day_month.order == "mdy"


def test_one_proven_order_decides_the_whole_column_without_a_warning(tmp_path):
    values = ["13/01/2024", "02/03/2024", "04/05/2024"] * 3
    data = load_dataset(write(tmp_path, "t.csv", _log(values)))
    assert data.transactions["date"].iloc[1] == pd.Timestamp("2024-03-02")
    assert not [w for w in data.warnings if "day-first" in w or "month/day" in w]


def test_only_ambiguous_values_say_month_first_was_assumed_with_the_count(tmp_path):
    data = load_dataset(write(tmp_path, "t.csv", _log(["01/02/2024", "03/04/2024", "05/06/2024"] * 2)))
    assert data.transactions["date"].iloc[0] == pd.Timestamp("2024-01-02")
    said = [w for w in data.warnings if "fit both month/day and day/month order" in w]
    assert len(said) == 1 and "in 6 rows" in said[0] and "(month first)" in said[0]


def test_values_impossible_either_way_stay_unreadable():
    values = ["13/01/2024", "01/13/2024", "14/01/2024", "02/03/2024", "03/04/2024", "13/13/2024", "32/01/2024"]
    parsed = parse_dates(pd.Series(values))
    assert parsed.n_unreadable == 2 and parsed.values.iloc[5:].isna().all()
    assert (parsed.day_month.day_first, parsed.day_month.month_first, parsed.day_month.either) == (2, 1, 2)


# ---- future-dated rows -------------------------------------------------------------


def test_rows_after_the_build_day_are_excluded_and_counted(tmp_path):
    dates = [f"2024-06-{d:02d}" for d in range(1, 29)] + ["2024-06-30 23:59", "2024-07-01 00:00", "2099-01-01"]
    data = load_dataset(write(tmp_path, "t.csv", _log(dates)), today="2024-06-30")
    q = data.quality
    assert q.future_dates == 2 and q.rows_read == 31 and q.rows_used == 29
    assert data.transactions["date"].max() == pd.Timestamp("2024-06-30 23:59")  # the build day itself is kept
    assert q.date_max == pd.Timestamp("2024-06-30 23:59")
    assert ("2 of 31 rows (6.5%) were dated after the build day (2024-06-30; the latest is 2099-01-01) and were "
            "excluded.") in q.findings
    assert "Dated after build day" in format_inspect(data)


def test_future_rows_count_after_other_drops_so_the_accounting_adds_up(tmp_path):
    dates = ["2024-01-01", "2099-05-05", "2099-05-05", "garbage", "2024-01-02", "2024-01-03"]
    customers = ["A", "", "B", "B", "A", "B"]
    data = load_dataset(write(tmp_path, "t.csv", _log(dates, customers=customers)), today="2025-01-01")
    q = data.quality
    assert q.rows_missing_customer == 1 and q.unparseable_dates == {"Date": 1} and q.future_dates == 1
    assert q.rows_used + q.rows_missing_customer + 1 + q.future_dates == q.rows_read


def test_only_future_rows_is_one_sentence(tmp_path):
    with pytest.raises(InputError, match="were removed during cleaning \\(2 were dated after the build day"):
        load_dataset(write(tmp_path, "t.csv", _log(["2099-01-01", "2099-02-01"])), today="2026-01-01")


def test_default_build_day_is_today(tmp_path):
    tomorrow = (pd.Timestamp.now().normalize() + pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    data = load_dataset(write(tmp_path, "t.csv", _log(["2024-01-01", "2024-02-01", tomorrow])))
    assert data.quality.future_dates == 1


def test_recency_is_measured_from_the_last_plausible_date(tmp_path):
    rng = np.random.default_rng(RNG_SEED)
    days = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 180, 200), unit="D")
    dates = [d.strftime("%Y-%m-%d") for d in days]
    for i in range(0, 200, 20):  # 5% in 2099
        dates[i] = "2099-03-01"
    data = load_dataset(write(tmp_path, "t.csv", _log(dates)), today="2025-01-01")
    table, _, _ = customer_features(data)
    assert data.quality.future_dates == 10
    assert table["recency_days"].max() <= 181


# ---- numbers as dates --------------------------------------------------------------


def test_excel_day_numbers_and_unix_times_in_a_date_column(tmp_path):
    serials = [45000 + i for i in range(6)]  # 2023-03-15 ..
    data = load_dataset(write(tmp_path, "t.csv", _log(serials)))
    assert data.tables[0].roles["date"] == "Date"
    assert data.transactions["date"].iloc[0] == pd.Timestamp("2023-03-15")
    seconds = [1_700_000_000 + 86_400 * i for i in range(6)]
    data = load_dataset(write(tmp_path, "s.csv", _log(seconds).replace(",Date,", ",Timestamp,")))
    assert data.transactions["date"].iloc[1] == pd.Timestamp("2023-11-15 22:13:20")
    millis = [1_700_000_000_000 + 86_400_000 * i for i in range(6)]
    assert parse_dates(pd.Series(millis)).values.iloc[0] == pd.Timestamp("2023-11-14 22:13:20")


def test_numbers_outside_the_plausible_range_are_unreadable_not_dates():
    parsed = parse_dates(pd.Series([45000.0, 45001.25, 10.0, 90_000.0]))
    assert parsed.format == "Excel day number" and parsed.n_unreadable == 2
    assert parsed.values.iloc[1] == pd.Timestamp("2023-03-16 06:00")
    assert parse_dates(pd.Series([5e9, 6e9])).format == ""  # between seconds and milliseconds: neither
    assert parse_dates(pd.Series([150.0, 3000.0])).values.isna().all()


def test_amounts_and_unnamed_numbers_in_date_ranges_are_not_taken_as_dates():
    rng = np.random.default_rng(RNG_SEED)
    n = 60
    frame = pd.DataFrame({
        "CustomerID": [f"C{i % 15}" for i in range(n)],
        "Date": pd.date_range("2024-01-01", periods=n).strftime("%Y-%m-%d"),
        "Amount": rng.integers(20_000, 80_000, n).astype(float),  # car prices, in the Excel day range
        "lifetime_value": rng.integers(20_000, 80_000, n),  # a weak "time" name: not confirmed by numbers
        "x7": rng.integers(1_600_000_000, 1_700_000_000, n),  # epoch-like, no date name
    })
    roles = detect_roles(frame)
    assert roles["date"] == "Date" and roles["amount"] == "Amount"
    assert "lifetime_value" not in roles.values() and "x7" not in roles.values()
    without_date = detect_roles(frame.drop(columns=["Date"]))
    assert "date" not in without_date  # content alone never makes Excel or Unix numbers a date


# ---- time zones ----------------------------------------------------------------------


def test_offsets_keep_local_wall_time_in_csv_and_parquet_alike(tmp_path):
    local = ["2024-03-01 23:30:00", "2024-03-02 00:15:00", "2024-03-05 09:00:00", "2024-03-09 18:45:00"] * 3
    zones = ["+02:00", "-05:00", "Z", "+05:30"] * 3
    text = _log([f"{d.replace(' ', 'T')}{z}" for d, z in zip(local, zones, strict=True)])
    from_csv = load_dataset(write(tmp_path / "csv", "t.csv", text))
    frame = pd.read_csv(write(tmp_path, "plain.csv", _log(local)))
    frame["Date"] = pd.to_datetime(frame["Date"]).dt.tz_localize("Europe/Paris")
    frame.to_parquet(tmp_path / "t.parquet")
    assert str(pd.read_parquet(tmp_path / "t.parquet")["Date"].dtype).startswith("datetime64[")
    from_parquet = load_dataset(tmp_path / "t.parquet")
    expected = pd.Series(pd.to_datetime(local), name="date").astype("datetime64[ns]")
    pd.testing.assert_series_equal(from_csv.transactions["date"], expected)
    pd.testing.assert_series_equal(from_parquet.transactions["date"], expected)
    pd.testing.assert_frame_equal(customer_features(from_csv)[0], customer_features(from_parquet)[0])


def test_an_offset_needs_a_clock_time_before_it():
    parsed = parse_dates(pd.Series(["01-02-2024", "13-02-2024", "2024-03-01 10:00 -0500"]))
    assert parsed.values.iloc[0] == pd.Timestamp("2024-02-01")  # "-2024" is a year, not an offset


def test_excel_day_numbers_stored_as_text_with_some_junk(tmp_path):
    serials = [str(45000 + i) for i in range(19)] + ["unknown"]
    data = load_dataset(write(tmp_path, "t.csv", _log(serials)))
    assert data.tables[0].roles["date"] == "Date"
    assert data.transactions["date"].iloc[0] == pd.Timestamp("2023-03-15")
    assert data.quality.unparseable_dates == {"Date": 1} and data.quality.rows_used == 19


def test_decimal_numbers_as_text_are_not_dates_by_content():
    n = 40
    frame = pd.DataFrame({"CustomerID": [f"C{i % 10}" for i in range(n)],
                          "x": [f"{45000 + 37 * i}.50" for i in range(n)],  # text, in the Excel day range
                          "Quantity": [1 + i % 3 for i in range(n)]})
    assert "date" not in detect_roles(frame)
    assert detect_roles(frame.rename(columns={"x": "Date"}))["date"] == "Date"  # a date name is enough
