"""The migration table and its sentences on hand-built scorings (numbers checked by hand in tables.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.errors import InputError
from engine.migration import (
    APPEARED,
    GONE,
    MOVED,
    STAYED,
    biggest_flows,
    flow_sentences,
    migration_table,
    summary_sentences,
)
from engine.migration.table import GONE_COLUMN, NEW_ROW
from tests.engine.migration.tables import END, SEGMENTS, START, after, before, scored


@pytest.fixture
def migration():
    return migration_table(before(), after(), SEGMENTS, start=START, end=END)


def test_every_customer_gets_its_kind(migration):
    kinds = migration.customers["kind"]
    assert sorted(kinds[kinds == STAYED].index) == ["c01", "c05", "c07", "c09"]
    assert sorted(kinds[kinds == MOVED].index) == ["c02", "c03", "c04", "c06", "c08"]
    assert sorted(kinds[kinds == APPEARED].index) == ["c11", "c12", "c13"]
    assert list(kinds[kinds == GONE].index) == ["c10"]
    assert (migration.n_start, migration.n_end) == (10, 12)


def test_counts_matrix_from_rows_to_columns(migration):
    counts = migration.matrix("customers")
    names = list(SEGMENTS.values())
    assert list(counts.index) == names + [NEW_ROW]
    assert list(counts.columns) == names + [GONE_COLUMN]
    assert counts.to_numpy().tolist() == [[1, 2, 1, 0], [1, 1, 0, 0], [0, 1, 2, 1], [1, 0, 2, 0]]
    assert counts.to_numpy().sum() == 13  # every customer once: 10 at the start + 3 new


def test_revenue_of_the_last_period_is_the_difference_per_customer(migration):
    revenue = migration.matrix("revenue")
    expected = [[400, 0, 60, np.nan], [800, 0, np.nan, np.nan], [np.nan, 0, 40, np.nan], [600, np.nan, 200, np.nan]]
    np.testing.assert_array_equal(revenue.to_numpy(), np.array(expected, dtype=float))
    assert migration.customers.loc["c07", "revenue"] == -20  # a return bigger than the purchases


def test_shares_are_of_the_from_segment_and_quiet_counts_no_purchase_between(migration):
    f = migration.flows.set_index(["from_name", "to_name"])
    assert f.loc[("Loyal regulars", "At risk"), "share"] == 0.5
    assert f.loc[("Loyal regulars", "Occasional buyers"), "share"] == 0.25
    assert f.loc[("Occasional buyers", GONE_COLUMN), "share"] == 0.25
    assert f.loc[(NEW_ROW, "Occasional buyers"), "share"] == pytest.approx(2 / 3)
    assert f.loc[("Loyal regulars", "At risk"), "quiet"] == 2
    assert f.loc[("Loyal regulars", "Loyal regulars"), "quiet"] == 0
    assert migration.quiet == 4  # c02, c03, c05, c08
    assert sorted(migration.customers.index[migration.customers["quiet"].fillna(False)]) == ["c02", "c03", "c05",
                                                                                           "c08"]
    for kind in (APPEARED, GONE):
        assert migration.customers.loc[migration.customers["kind"] == kind, "quiet"].isna().all()


def test_biggest_flows_most_customers_then_most_revenue(migration):
    top = biggest_flows(migration, 10)
    assert list(zip(top["from_segment"], top["to_segment"], strict=True)) == [(0, 1), (1, 0), (0, 2), (2, 1)]
    assert list(biggest_flows(migration, 2)["to_segment"]) == [1, 0]
    assert biggest_flows(migration, 0).empty


def test_flow_sentences(migration):
    assert flow_sentences(migration) == [
        "2 customers (50.0% of Loyal regulars) slipped to At risk, with no revenue in the last period.",
        "1 customer (50.0% of At risk) moved up to Loyal regulars, worth 800 of revenue in the last period.",
        "1 customer (25.0% of Loyal regulars) slipped to Occasional buyers, worth 60 of revenue in the last period.",
        "1 customer (25.0% of Occasional buyers) slipped to At risk, with no revenue in the last period.",
    ]


def test_summary_sentences(migration):
    assert summary_sentences(migration) == [
        "Of the 10 customers there on 1 March 2024, 4 (40.0%) stayed in their segment and 5 (50.0%) moved to another.",
        "4 customers (40.0%) bought nothing between 1 March 2024 and 1 June 2024.",
        "3 new customers appeared between 1 March 2024 and 1 June 2024, most of them (2, 66.7%) in Occasional "
        "buyers, worth 800 of revenue in the last period.",
        "1 customer scored at the first date is not in the data at the second.",
    ]


def test_a_net_return_is_said_as_returns():
    b = scored({"a": (0, 500, "2024-01-01"), "b": (1, 50, "2024-01-01")})
    a = scored({"a": (1, 300, "2024-04-01"), "b": (1, 50, "2024-01-01")})
    m = migration_table(b, a, SEGMENTS)
    # Loyal regulars is empty at the second date: nothing to compare what its customers spend with
    assert flow_sentences(m) == ["1 customer (100.0% of Loyal regulars) moved to At risk, with net returns of 200 "
                                 "in the last period."]
    assert summary_sentences(m)[1] == "1 customer (50.0%) bought nothing in the last period."


def test_order_of_the_input_rows_changes_nothing(migration):
    shuffled = migration_table(before().sample(frac=1, random_state=1), after().sample(frac=1, random_state=2),
                               SEGMENTS, start=START, end=END)
    pd.testing.assert_frame_equal(shuffled.flows, migration.flows)
    assert flow_sentences(shuffled) == flow_sentences(migration)
    assert summary_sentences(shuffled) == summary_sentences(migration)


def test_without_money_or_dates_the_sentences_leave_them_out():
    b, a = before(), after()
    for t in (b, a):
        t["revenue"] = np.nan
        t["last_date"] = pd.NaT
    m = migration_table(b, a, SEGMENTS)
    assert not m.has_revenue and m.quiet is None and m.value == {}
    assert m.matrix("revenue").isna().all().all()
    assert flow_sentences(m)[0] == "2 customers (50.0% of Loyal regulars) moved to At risk."
    assert not any("bought nothing" in s or "worth" in s for s in summary_sentences(m))
    assert summary_sentences(m)[0].startswith("Of the 10 customers there at the first date,")


def test_noise_is_last_unnamed_segments_get_a_name_and_repeated_names_their_id():
    b = scored({"a": (-1, 10, "2024-01-01"), "b": (3, 10, "2024-01-01"), "c": (0, 10, "2024-01-01")})
    a = scored({"a": (3, 10, "2024-01-01"), "b": (-1, 10, "2024-01-01"), "c": (0, 10, "2024-01-01")})
    m = migration_table(b, a, {0: "Twins", 3: "Twins", -1: ""})
    assert list(m.segments) == [0, 3, -1]
    assert list(m.segments.values()) == ["Twins", "Twins (3)", "Unassigned"]
    assert list(m.matrix().index) == ["Twins", "Twins (3)", "Unassigned"]  # no new customers: no "New" row
    clash = migration_table(b, a, {0: NEW_ROW})
    assert clash.segments[0] == f"{NEW_ROW} (0)" and clash.segments[3] == "Cluster 3"


def test_ids_are_compared_as_text():
    b = scored({"1": (0, 10, "2024-01-01")})
    b.index = pd.Index([1], name="customer_id")
    a = scored({"1": (1, 30, "2024-03-01")})
    m = migration_table(b, a, SEGMENTS)
    assert list(m.customers["kind"]) == [MOVED] and m.customers["revenue"].tolist() == [20.0]


def test_everyone_new_when_the_first_date_has_no_customers():
    empty = before().iloc[:0]  # at the second date: 5 in Occasional buyers, 4 At risk, 3 Loyal; revenue 6,500
    m = migration_table(empty, after(), SEGMENTS)
    assert m.count(APPEARED) == 12 and m.n_start == 0 and flow_sentences(m) == []
    assert summary_sentences(m) == ["12 new customers appeared in the last period, most of them (5, 41.7%) in "
                                    "Occasional buyers, worth 6,500 of revenue in the last period."]


@pytest.mark.parametrize(("change", "message"), [
    (lambda b, a: (b.drop(columns="segment"), a), "table at the first date has no column 'segment'"),
    (lambda b, a: (b, a.drop(columns="last_date")), "table at the second date has no column 'last_date'"),
    (lambda b, a: (pd.concat([b, b.iloc[:1]]), a), "lists customer 'c01' twice"),
    (lambda b, a: (b.assign(segment=[0, 1, None, 2, 2, 1, 0, 1, 2, 2]), a), "no whole segment number for customer 'c03'"),
    (lambda b, a: (b, a.assign(segment=0.5)), "no whole segment number for customer 'c01'"),
    (lambda b, a: (b.iloc[:0], a.iloc[:0]), "Neither date has any customer"),
    (lambda b, a: ([1, 2], a), "not a table of scored customers"),
])
def test_bad_input_is_one_sentence(change, message):
    b, a = change(before(), after())
    with pytest.raises(InputError, match=message):
        migration_table(b, a, SEGMENTS)


def test_the_first_date_must_come_first():
    with pytest.raises(InputError, match=r"first date \(2024-06-01\) must be before the second \(2024-03-01\)"):
        migration_table(before(), after(), SEGMENTS, start=END, end=START)
    with pytest.raises(InputError, match="must be before"):
        migration_table(before(), after(), SEGMENTS, start=START, end=START)


def test_the_flows_csv_and_the_summary_block(migration):
    import csv
    import io
    import json

    from engine.migration.export import flows_csv, summary_block

    rows = list(csv.DictReader(io.StringIO(flows_csv(migration))))
    assert len(rows) == 10
    assert rows[1] == {"kind": "moved", "from_segment": "0", "from_name": "Loyal regulars", "to_segment": "1",
                       "to_name": "At risk", "customers": "2", "share": "0.5", "revenue": "0.0", "quiet": "2"}
    assert rows[-1]["kind"] == "appeared" and rows[-1]["from_segment"] == "" and rows[-1]["share"] == "0.6667"
    gone = next(r for r in rows if r["kind"] == "gone")
    assert (gone["to_segment"], gone["revenue"], gone["quiet"]) == ("", "", "")
    block = json.loads(json.dumps(summary_block(migration), allow_nan=False))
    assert {k: block[k] for k in ("from", "to", "customers_from", "customers_to", "stayed", "moved", "appeared",
                                  "gone", "quiet", "revenue")} == {
        "from": "2024-03-01", "to": "2024-06-01", "customers_from": 10, "customers_to": 12, "stayed": 4,
        "moved": 5, "appeared": 3, "gone": 1, "quiet": 4, "revenue": 2100}
    assert block["flows"][1]["share"] == 0.5 and block["flows"][-1]["share"] == 0.6667
    assert block["sentences"][0] == flow_sentences(migration)[0]
    assert block["segments"] == [{"id": 0, "name": "Loyal regulars"}, {"id": 1, "name": "At risk"},
                                 {"id": 2, "name": "Occasional buyers"}]


def test_a_name_a_spreadsheet_would_run_is_quoted_in_the_csv():
    from engine.migration.export import flows_csv

    m = migration_table(before(), after(), {0: "=HYPERLINK(1)", 1: "At risk", 2: "+1"})
    text = flows_csv(m)
    assert "'=HYPERLINK(1)" in text and ",'+1," in text


def test_the_verb_compares_what_customers_spent_in_the_period_not_their_lifetime_revenue():
    # "b" is a lapsed big spender (5,000 over its life, nothing lately); "a", a new customer who bought once and
    # stopped, joins it: a slip, although At risk's customers have spent more in their lives than Occasional buyers'
    b = scored({"a": (2, 50, "2024-02-01"), "b": (1, 5000, "2023-01-01"), "c": (2, 40, "2024-02-20")})
    a = scored({"a": (1, 50, "2024-02-01"), "b": (1, 5000, "2023-01-01"), "c": (2, 140, "2024-05-01")})
    m = migration_table(b, a, SEGMENTS)
    assert m.value == {1: 0.0, 2: 100.0}
    assert flow_sentences(m) == ["1 customer (50.0% of Occasional buyers) slipped to At risk, with no revenue in the "
                                 "last period."]
