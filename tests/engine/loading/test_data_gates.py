"""Data gates and identity: identical lines, signups after first purchases, customers without
transactions, ids kept as text, and what identifies each line of the assignments CSV."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from engine.errors import InputError
from engine.features.aggregate import aggregate_transactions
from engine.features.matrix import build_matrix
from engine.features.rfm import customer_scores, rfm_segments
from engine.loading.dataset import load_dataset
from engine.loading.inspect import format_inspect
from engine.project import FeatureSpec, Project
from engine.report.exports import assignments_csv
from engine.views.profiles import profile_clusters
from tests.engine.data_fixtures import (
    MALL_CSV,
    REPEATS_CSV,
    padded_ids_csv,
    write,
    write_excel_cells,
    write_online_retail,
    write_signup_tables,
    write_three_tables,
)
from tests.engine.report.test_fixtures import make_result

REPEATS_KEPT = ("2 identical rows kept, possibly repeat purchases (there is no order id to tell them apart); "
                "set data.duplicates to \"drop\" if they are double exports.")


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def adds_up(q) -> bool:
    removed = q.rows_missing_customer + sum(q.unparseable_dates.values()) + q.duplicate_rows
    return q.rows_read == q.rows_used + removed


# ---- 1. identical lines -----------------------------------------------------------------


def test_identical_lines_without_an_order_id_are_kept_and_said(tmp_path):
    data = load_dataset(write(tmp_path, "t.csv", REPEATS_CSV))
    q = data.quality
    # counts worked out by hand in data_fixtures.REPEATS_CSV
    assert (q.rows_read, q.rows_used, q.duplicate_rows, q.identical_rows_kept) == (6, 6, 0, 2)
    assert adds_up(q)
    assert data.warnings == [REPEATS_KEPT]
    assert ("2 of 6 rows (33.3%) are identical to an earlier row; they were kept as possible repeat purchases "
            "(there is no order id to tell them apart).") in q.findings
    assert data.transactions.groupby("customer_id")["amount"].sum().to_dict() == {"A": 19.0, "B": 3.5, "C": 4.0}
    assert len(data.rows) == 6
    assert "  Identical rows kept      2\n" in format_inspect(data)


def test_duplicates_drop_forces_dropping_without_an_order_id(tmp_path):
    data = load_dataset(write(tmp_path, "t.csv", REPEATS_CSV), duplicates="drop")
    q = data.quality
    assert (q.rows_read, q.rows_used, q.duplicate_rows, q.identical_rows_kept) == (6, 4, 2, 0)
    assert adds_up(q)
    assert data.warnings == []
    assert ("2 of 6 rows (33.3%) were exact duplicates of an earlier row (data.duplicates is \"drop\") and were "
            "excluded.") in q.findings
    assert data.transactions.groupby("customer_id")["amount"].sum().to_dict() == {"A": 12.0, "B": 3.5, "C": 2.0}


def test_with_an_order_id_duplicates_are_dropped_unless_kept(tmp_path):
    path = write_online_retail(tmp_path)
    auto = load_dataset(path).quality  # row 5 repeats row 4 of invoice 536367 (data_fixtures.ONLINE_RETAIL_CSV)
    assert (auto.rows_used, auto.duplicate_rows, auto.identical_rows_kept) == (8, 1, 0)
    kept = load_dataset(path, duplicates="keep")
    q = kept.quality
    assert (q.rows_read, q.rows_used, q.duplicate_rows, q.identical_rows_kept) == (12, 9, 0, 1)
    assert adds_up(q)
    assert kept.warnings == ["1 identical row kept because data.duplicates is \"keep\", although it repeats an earlier "
                             "line of the same order (InvoiceNo)."]
    assert "1 of 12 rows (8.3%) are identical to an earlier row; they were kept because data.duplicates is " \
           "\"keep\"." in q.findings


def test_customer_table_double_export_is_dropped_and_said(tmp_path):
    text = MALL_CSV + "8,Female,23,18,94\n"  # an exact copy of customer 8
    path = write(tmp_path, "mall.csv", text)
    data = load_dataset(path)
    assert (data.quality.rows_read, data.quality.duplicate_rows, data.quality.customers) == (9, 1, 8)
    assert data.warnings == ["1 identical row of mall.csv was dropped as a double export: a table with one row per "
                             "customer lists each customer once."]
    forced = load_dataset(path, duplicates="keep")
    assert forced.quality.duplicate_rows == 1 and len(forced.rows) == 8
    assert forced.warnings[0].endswith("(data.duplicates \"keep\" applies to transaction lines only).")


def test_lines_without_customer_ids_follow_the_transaction_rule(tmp_path):
    text = "Date,Quantity,Amount\n2024-01-01,1,5.0\n2024-01-01,1,5.0\n2024-01-02,2,8.0\n"  # line 2 repeats line 1
    data = load_dataset(write(tmp_path, "log.csv", text))
    assert data.shape == "rows"
    assert (data.quality.rows_used, data.quality.identical_rows_kept, data.quality.duplicate_rows) == (3, 1, 0)
    assert ("1 identical row kept, possibly a repeat purchase (there is no order id to tell it apart); set "
            "data.duplicates to \"drop\" if it is a double export.") in data.warnings
    dropped = load_dataset(write(tmp_path, "log.csv", text), duplicates="drop")
    assert (dropped.quality.rows_used, dropped.quality.duplicate_rows) == (2, 1)


def test_unknown_duplicates_option_is_refused(tmp_path):
    with pytest.raises(InputError, match="duplicates is 'sometimes'; allowed values are auto, drop, keep"):
        load_dataset(write(tmp_path, "t.csv", REPEATS_CSV), duplicates="sometimes")


def test_pipeline_load_passes_the_project_setting(tmp_path):
    from engine.analysis.steps import load

    project = Project.from_dict({"data": {"paths": [str(write(tmp_path, "t.csv", REPEATS_CSV))],
                                          "duplicates": "drop"}})
    assert load(project).quality.duplicate_rows == 2


# ---- 2. first purchase before signup ------------------------------------------------------

EARLY = ("2 of 4 customers with a signup date (50.0%) made their first purchase before their signup date (e.g. C01); "
         "their tenure is counted from the first purchase.")
ABSENT = ("1 of 7 customers in Customers.csv has no transaction and is not in the analysis. 1 more is not in the "
          "analysis because cleaning removed all its transaction lines.")


def test_first_purchase_before_signup_is_counted_and_said(tmp_path):
    data = load_dataset(write_signup_tables(tmp_path))
    # counts worked out by hand in data_fixtures.SIGNUP_TRANSACTIONS_CSV
    assert data.quality.first_purchase_before_signup == 2
    assert EARLY in data.warnings
    assert data.quality.customers == 5


def test_tenure_starts_at_the_earlier_of_signup_and_first_purchase(tmp_path):
    table, _, _ = aggregate_transactions(load_dataset(write_signup_tables(tmp_path)), None)
    assert table["tenure_days"].to_dict() == {"C01": 86, "C02": 59, "C03": 45, "C04": 71, "C05": 90}


def test_every_customer_with_a_signup_date_reads_customers(tmp_path):
    customers = "CustomerID,SignupDate\nA,2024-02-01\nB,2024-01-01\n"
    lines = "CustomerID,Date,Amount\nA,2024-01-15,5\nA,2024-02-20,6\nB,2024-01-02,7\n"  # A bought 17 days early
    write(tmp_path, "Customers.csv", customers)
    write(tmp_path, "Sales.csv", lines)
    data = load_dataset(tmp_path)
    assert data.warnings == ["1 of 2 customers (50.0%) made their first purchase before their signup date (e.g. A); "
                             "their tenure is counted from the first purchase."]


def test_no_warning_when_signups_come_first(tmp_path):
    data = load_dataset(write_three_tables(tmp_path))  # every signup is before the first purchase
    assert data.quality.first_purchase_before_signup == 0
    assert not any("signup" in w for w in data.warnings)


# ---- 3. customers with no transaction -----------------------------------------------------


def test_customers_without_transactions_are_said(tmp_path):
    data = load_dataset(write_signup_tables(tmp_path))
    assert ABSENT in data.warnings
    assert data.joins[0].right_unmatched == 1  # C06; C07 had a line, removed by cleaning
    assert sorted(data.customers.index) == ["C01", "C02", "C03", "C04", "C05"]


def test_several_customers_without_transactions(tmp_path):
    write(tmp_path, "Customers.csv", "CustomerID,Region\nA,N\nB,S\nC,N\nD,S\nE,N\n")
    write(tmp_path, "Sales.csv", "CustomerID,Date,Amount\nA,2024-01-15,5\nB,2024-01-20,6\nA,2024-02-01,7\n")
    data = load_dataset(tmp_path)
    assert data.warnings == ["3 of 5 customers in Customers.csv have no transaction and are not in the analysis."]


# ---- 4. ids are text end to end ---------------------------------------------------------


def _run(paths, unit: str = "customer", **clustering):
    from engine.analysis.runner import run_project as run

    project = Project.from_dict({
        "data": {"paths": [str(p) for p in paths], "unit": unit},
        "clustering": {"algorithms": ["kmeans"], "k_range": [2, 3], "stability_resamples": 0, **clustering},
    })
    return run(project)


def test_leading_zero_ids_survive_csv_loading_and_the_assignments(tmp_path):
    path = write(tmp_path, "sales.csv", padded_ids_csv(60))
    data = load_dataset(path)
    assert data.transactions["customer_id"].iloc[0] == "00001"
    assert data.customers.index[:3].tolist() == ["00001", "00002", "00003"]
    assert data.quality.customers == 60
    result = _run([path])
    table = rows(assignments_csv(result))
    assert [r[0] for r in table[1:4]] == ["00001", "00002", "00003"]
    assert len(table) - 1 == 60


def test_leading_zero_ids_of_a_customer_table(tmp_path):
    lines = "".join(f"{i:05d},{i % 7 + 1},{10 + (i * 37) % 50}.5\n" for i in range(1, 61))
    path = write(tmp_path, "people.csv", "CustomerID,Visits,Spend\n" + lines)
    data = load_dataset(path)
    assert data.shape == "customer_table"
    assert data.customers.index[0] == "00001" and data.rows["CustomerID"].iloc[0] == "00001"
    table = rows(assignments_csv(_run([path])))
    assert table[1][0] == "00001"


@pytest.mark.parametrize("stored", ["text", "formatted number"])
def test_leading_zero_ids_from_excel(tmp_path, stored):
    header = ["CustomerID", "Date", "Quantity", "UnitPrice"]
    body = [[f"{i:05d}" if stored == "text" else i, f"2024-01-{i % 28 + 1:02d}", i, 2.5] for i in range(1, 31)]
    path = write_excel_cells(tmp_path, "sales.xlsx", [header, *body], formats={0: "00000"})
    data = load_dataset(path)
    assert data.customers.index[:2].tolist() == ["00001", "00002"]


def test_float_ids_of_a_customer_table_lose_their_decimals(tmp_path):
    text = "CustomerID,Visits,Spend\n17850.0,3,10.5\n13047.0,1,4.0\n,2,7.0\n12583.0,5,30.0\n"
    data = load_dataset(write(tmp_path, "c.csv", text))
    assert data.customers.index.tolist() == ["17850", "13047", "12583"]
    assert data.rows["CustomerID"].tolist()[:2] == ["17850", "13047"]
    matrix = build_matrix(data, FeatureSpec(), "customer")
    assert matrix.table.index.tolist() == ["17850", "13047", "12583"]


# ---- 5. per-line assignments carry the line's id --------------------------------------------


def _row_result(data, labels=None):
    features = build_matrix(data, FeatureSpec(), "row")
    labels = np.arange(len(features.table)) % 2 if labels is None else labels
    return replace(make_result(), dataset=data, features=features, labels=labels,
                   profile=profile_clusters(features, labels), cluster_labels={})


def test_row_assignments_use_a_unique_transaction_id(tmp_path):
    data = load_dataset(write_three_tables(tmp_path))
    table = rows(assignments_csv(_row_result(data)))
    assert table[0] == ["id", "cluster_id", "cluster_name"]
    assert [r[0] for r in table[1:]] == ["T001", "T002", "T003", "T004", "T005", "T006"]
    assert [r[2] for r in table[1:3]] == ["Cluster 0", "Cluster 1"]


def test_row_assignments_with_shared_order_ids_carry_row_and_order_id(tmp_path):
    data = load_dataset(write_online_retail(tmp_path))
    table = rows(assignments_csv(_row_result(data)))
    assert table[0] == ["row", "order_id", "cluster_id", "cluster_name"]
    # the 8 rows cleaning kept (data_fixtures.ONLINE_RETAIL_CSV), in file order
    assert [r[:2] for r in table[1:]] == [["0", "536365"], ["1", "536365"], ["2", "536366"], ["3", "536367"],
                                          ["4", "536368"], ["5", "C536379"], ["6", "536370"], ["7", "536374"]]


def test_row_assignments_of_a_customer_table_use_the_customer_id(tmp_path):
    data = load_dataset(write(tmp_path, "mall.csv", MALL_CSV))
    table = rows(assignments_csv(_row_result(data)))
    assert table[0][0] == "id" and [r[0] for r in table[1:]] == [str(i) for i in range(1, 9)]


def test_row_assignment_ids_are_formula_safe_and_rows_without_ids_are_numbered(tmp_path):
    text = "Ref,Date,Quantity,Amount\n-7,2024-01-01,1,5.0\n@x,2024-01-02,2,8.0\n+3,2024-01-03,3,9.0\n"
    table = rows(assignments_csv(_row_result(load_dataset(write(tmp_path, "log.csv", text)))))
    assert [r[0] for r in table[1:]] == ["'-7", "'@x", "'+3"]  # "Ref" names each line once
    plain = "Date,Quantity,Amount\n2024-01-01,1,5.0\n2024-01-02,2,8.0\n2024-01-03,3,9.0\n"
    table = rows(assignments_csv(_row_result(load_dataset(write(tmp_path, "plain.csv", plain)))))
    assert table[0] == ["id", "cluster_id", "cluster_name"] and [r[0] for r in table[1:]] == ["0", "1", "2"]


# ---- 6. RFM scores in every customer assignments CSV ----------------------------------------

# Five customers, each best on one end: recency 1..5 days scores R 5..1; frequency 1..5 and
# monetary 10..50 score F and M 1..5. FM = (F + M) / 2 = F, so the rule table (engine.features.rfm.RULES) gives:
#   a: R5 FM1 -> New customers;  b: R4 FM2 -> Potential loyalist;  c: R3 FM3 -> Loyal;
#   d: R2 FM4 -> At risk;        e: R1 FM5 -> Can't lose them;     f: no recency -> no scores
FIVE = pd.DataFrame({"recency_days": [1, 2, 3, 4, 5, np.nan], "frequency": [1, 2, 3, 4, 5, 1],
                     "monetary": [10, 20, 30, 40, 50, 5]}, index=pd.Index(list("abcdef"), name="customer_id"))


def test_customer_scores_by_hand():
    scores = customer_scores(FIVE)
    assert list(scores.columns) == ["r_score", "f_score", "m_score", "rfm_segment"]
    assert scores["r_score"].tolist()[:5] == [5, 4, 3, 2, 1]
    assert scores["f_score"].tolist()[:5] == [1, 2, 3, 4, 5] == scores["m_score"].tolist()[:5]
    assert scores["rfm_segment"].tolist()[:5] == ["New customers", "Potential loyalist", "Loyal", "At risk",
                                                  "Can't lose them"]
    assert scores.loc["f"].isna().all()
    assert customer_scores(FIVE.drop(columns="monetary")) is None
    three = customer_scores(FIVE, {"bins": 3})
    # 1 + floor(3 x customers strictly worse / 5): recency 1..5 has 4, 3, 2, 1, 0 customers worse than it
    assert three["r_score"].tolist()[:5] == [3, 2, 2, 1, 1]


def test_customer_assignments_carry_the_rfm_baseline_scores():
    result = make_result()
    table = rows(assignments_csv(result))
    assert table[0] == ["id", "cluster_id", "cluster_name", "r_score", "f_score", "m_score", "rfm_segment"]
    expected = rfm_segments(result.features.table).scores
    for line in table[1:]:
        row = expected.loc[line[0]]
        assert [int(v) for v in line[3:6]] == [row["r_score"], row["f_score"], row["m_score"]]
        assert line[6] == row["segment"]


def test_rfm_scores_follow_the_baseline_bins_and_skip_non_customer_units(tmp_path):
    result = make_result()
    result.project.clustering.params = {"rfm": {"bins": 4}}
    scores = [int(r[3]) for r in rows(assignments_csv(result))[1:]]
    assert max(scores) == 4
    result.project.clustering.params = {"rfm": {"bins": 99}}  # invalid: the comparison says so; no columns here
    assert rows(assignments_csv(result))[0] == ["id", "cluster_id", "cluster_name"]
    mall = load_dataset(write(tmp_path, "mall.csv", MALL_CSV))
    assert "r_score" not in rows(assignments_csv(_row_result(mall)))[0]
