"""The migration finds planted movers: a model built on the data up to the change date, scored again later.

Data from :mod:`tests.engine.migration.movers`: 60 loyal customers stop buying at
the change date (stoppers) and 60 occasional ones start buying heavily (starters).
A k-means model with four segments is built on the data up to that date (data.as_of),
saved as JSON and loaded back; :func:`engine.migration.run.migrate` scores the same
data at the change date and at the end. The stoppers must slip from the loyal
customers' segment to the at-risk one and the starters move up from the occasional
customers' segment to the loyal one; everyone else should stay.
"""

from __future__ import annotations

import pandas as pd
import pytest

from engine.analysis.runner import run_project
from engine.migration import APPEARED, MOVED, flow_sentences
from engine.migration.run import migrate
from engine.model import load_model, model_json
from engine.project import Project
from tests.engine.migration.movers import CHANGE, END, GROUPS, PLANTED, make_movers

MIN_RECALL = 0.9  # planted movers found in their expected flow
MIN_PRECISION = 0.9  # customers in those flows who are planted movers (and of all customers who moved)


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("movers")
    table, groups = make_movers()
    path = folder / "transactions.csv"
    table.to_csv(path, index=False)
    project = Project.from_dict({
        "data": {"paths": [str(path)], "as_of": CHANGE.date().isoformat()},
        "features": {"selected": ["recency_days", "frequency", "monetary"]},
        "clustering": {"algorithms": ["kmeans"], "k_range": [3, 5], "choice": {"algorithm": "kmeans", "k": 4},
                       "stability_resamples": 0},
    })
    result = run_project(project)
    model = load_model(model_json(result))
    migration = migrate(model, CHANGE.date().isoformat(), END.date().isoformat(), paths=[str(path)],
                        model_name="movers.json")
    return {"table": table, "groups": groups, "result": result, "model": model, "migration": migration}


def _segment_of(scored: pd.Series, groups: pd.Series, group: str) -> int:
    """The segment most customers of ``group`` are in."""
    return int(scored.reindex(groups.index[groups == group]).dropna().mode().iloc[0])


def test_the_model_built_at_the_change_date_sees_four_groups(planted):
    customers = planted["migration"].customers
    groups = planted["groups"]
    at_change = customers["from_segment"].dropna()
    seg = {g: _segment_of(at_change, groups, g) for g in ("loyal", "at_risk", "occasional", "lapsed")}
    assert len(set(seg.values())) == 4  # four distinct segments
    assert _segment_of(at_change, groups, "stoppers") == seg["loyal"]  # before the change they were loyal
    assert _segment_of(at_change, groups, "starters") == seg["occasional"]
    assert len(at_change) == sum(n for g, n in GROUPS.items() if g != "new")  # the new ones did not exist yet


def test_the_migration_table_finds_the_planted_movers(planted):
    m, groups = planted["migration"], planted["groups"]
    at_change = m.customers["from_segment"].dropna()
    loyal, at_risk, occasional = (_segment_of(at_change, groups, g) for g in ("loyal", "at_risk", "occasional"))
    expected = {"stoppers": (loyal, at_risk), "starters": (occasional, loyal)}
    c = m.customers
    in_flow = {name: c.index[(c["from_segment"] == a) & (c["to_segment"] == b)] for name, (a, b) in expected.items()}
    found = in_flow["stoppers"].union(in_flow["starters"])
    planted_ids = groups.index[groups.isin(PLANTED)]
    right = sum(len(in_flow[name].intersection(groups.index[groups == name])) for name in PLANTED)
    recall = right / len(planted_ids)
    precision = len(found.intersection(planted_ids)) / len(found)
    moved = c.index[c["kind"] == MOVED]
    moved_precision = len(moved.intersection(planted_ids)) / len(moved)
    print(f"planted movers: recall {recall:.3f}, precision {precision:.3f} in the two expected flows; "
          f"{len(moved)} moved in all, {moved_precision:.3f} of them planted")
    assert recall >= MIN_RECALL
    assert precision >= MIN_PRECISION
    assert moved_precision >= MIN_PRECISION
    # the two planted flows are the biggest ones, so the first two sentences are about them
    names = m.segments
    first_two = flow_sentences(m, 2)
    assert any(f"of {names[loyal]}) slipped to {names[at_risk]}" in s for s in first_two), first_two
    assert any(f"of {names[occasional]}) moved up to {names[loyal]}" in s for s in first_two), first_two


def test_new_and_quiet_customers_are_counted_from_the_data(planted):
    m, groups, table = planted["migration"], planted["groups"], planted["table"]
    dates = pd.to_datetime(table["TransactionDate"])
    after = set(table.loc[dates > CHANGE + pd.Timedelta(days=1), "CustomerID"])  # lines after the change day
    before = set(table.loc[dates < CHANGE + pd.Timedelta(days=1), "CustomerID"])
    appeared = set(m.customers.index[m.customers["kind"] == APPEARED])
    assert appeared == after - before == set(groups.index[groups == "new"])
    assert m.quiet == len(before - after)
    assert set(m.customers.index[m.customers["quiet"].fillna(False)]) == before - after
