"""The project file: defaults, validation messages, round trip, fingerprints."""

import json

import pytest

from engine.errors import InputError
from engine.project import Project


def test_empty_project_gets_documented_defaults():
    p = Project.from_dict({})
    assert p.data.unit == "customer"
    assert p.features.scaling == "standard"
    assert p.features.log is None  # automatic log of skewed features
    assert p.clustering.k_range == (2, 10)
    assert p.clustering.seed == 42
    assert p.clustering.choice is None
    assert p.report.page_size == "A4"


def test_design_example_parses_and_round_trips():
    raw = {
        "data": {
            "paths": ["a.csv"],
            "unit": "customer",
            "roles": {"customer_id": "CustomerID", "date": "TransactionDate", "quantity": "Quantity",
                      "amount": "TotalValue"},
        },
        "features": {"selected": ["recency_days", "frequency", "monetary"], "scaling": "standard", "log": []},
        "clustering": {
            "algorithms": ["kmeans", "gmm", "agglomerative", "birch", "dbscan", "hdbscan"],
            "k_range": [2, 10], "seed": 42, "params": {"kmeans": {"n_init": 1}},
            "choice": {"algorithm": "gmm", "k": 4},
        },
        "labels": {"0": {"name": "Loyal", "description": "d", "strategies": ["s1"]}},
        "report": {"client": "Acme", "title": "T", "page_size": "A4"},
    }
    p = Project.from_dict(raw)
    assert p.labels[0].name == "Loyal"
    assert p.features.log == []
    again = Project.from_dict(json.loads(p.to_json()))
    assert again.to_dict() == p.to_dict()
    assert again.fingerprint("report") == p.fingerprint("report")


@pytest.mark.parametrize(
    "raw, words",
    [
        ({"data": {"unit": "household"}}, ["data.unit", "household", "customer, row"]),
        ({"features": {"scaling": "zscore"}}, ["features.scaling", "zscore", "robust"]),
        ({"clustering": {"k_range": [5, 3]}}, ["clustering.k_range", "[5, 3]"]),
        ({"clustering": {"k_range": [1, 3]}}, ["clustering.k_range"]),
        ({"clustering": {"seed": -1}}, ["clustering.seed", "-1"]),
        ({"clustering": {"algorithms": ["kmeans", "magic"]}}, ["magic", "kmeans"]),
        ({"clustering": {"choice": {"algorithm": "gmm", "k": 1}}}, ["clustering.choice.k"]),
        ({"clustering": {"choice": "gmm"}}, ["clustering.choice"]),
        ({"report": {"page_size": "A3"}}, ["report.page_size", "A3", "Letter"]),
        ({"labels": {"first": {"name": "x"}}}, ["labels key", "first"]),
        ({"colour": "red"}, ["unknown key", "colour"]),
        ({"data": {"roles": {"shoe_size": "x"}}}, ["data.roles", "shoe_size"]),
        ({"features": {"selected": "monetary"}}, ["features.selected", "list"]),
        ({"data": []}, ["data", "object"]),
    ],
)
def test_bad_values_name_the_key_and_the_rule(raw, words):
    with pytest.raises(InputError) as exc:
        Project.from_dict(raw)
    message = str(exc.value)
    assert "\n" not in message
    for word in words:
        assert word in message


def test_load_reports_bad_json_with_line(tmp_path):
    f = tmp_path / "p.json"
    f.write_text('{"data": {"unit": "customer",}\n}')
    with pytest.raises(InputError, match="not valid JSON"):
        Project.load(f)
    with pytest.raises(InputError, match="does not exist"):
        Project.load(tmp_path / "missing.json")


def test_fingerprints_mark_downstream_steps_only():
    p = Project()
    before = {s: p.fingerprint(s) for s in ("data", "features", "clustering", "labels", "report")}
    p.features.scaling = "robust"
    after = {s: p.fingerprint(s) for s in before}
    assert after["data"] == before["data"]
    assert all(after[s] != before[s] for s in ("features", "clustering", "labels", "report"))
    p2 = Project()
    p2.report.client = "Other"
    assert p2.fingerprint("clustering") == before["clustering"]
    assert p2.fingerprint("report") != before["report"]


def test_load_accepts_a_byte_order_mark_and_names_other_unreadable_files(tmp_path):
    bom = tmp_path / "bom.json"
    bom.write_bytes(b"\xef\xbb\xbf" + b'{"clustering": {"seed": 7}}')
    assert Project.load(bom).clustering.seed == 7
    latin = tmp_path / "latin.json"
    latin.write_bytes('{"report": {"client": "Caf\xe9"}}'.encode("latin-1"))
    with pytest.raises(InputError, match="is not UTF-8 text; save it as UTF-8") as err:
        Project.load(latin)
    assert "Error" not in str(err.value)
    with pytest.raises(InputError, match="is a folder"):
        Project.load(tmp_path)
