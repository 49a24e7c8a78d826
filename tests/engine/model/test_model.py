"""Saved models (issue 14): build → export → load → score the same data gives the build's segments exactly,
for every algorithm that can be chosen (fitted on every point and on a sample); bad model files and
incompatible data get one sentence each; a planted far-away customer is flagged outside."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from engine.analysis.runner import run_project
from engine.clustering.algorithms import ALGORITHMS
from engine.errors import InputError
from engine.model import SavedModel, export_model, load_model, model_json
from engine.project import Project
from engine.synthetic import make_sample, write_sample
from tests.engine.data_fixtures import write_mall

SMALL_SAMPLE = 150  # clustering.params.<name>.sample_threshold below the 400 customers: the fit uses a sample


@pytest.fixture(scope="module")
def sample_paths(tmp_path_factory) -> list[str]:
    folder = tmp_path_factory.mktemp("model_data")
    paths = write_sample(make_sample(400, seed=3), folder / "data", folder / "truth.csv")
    return [str(p) for p in paths]


def _build(paths, algorithm: str, params: dict | None = None, **data):
    choice = {"algorithm": algorithm} | ({"k": 4} if ALGORITHMS[algorithm].needs_k else {})
    project = Project.from_dict({
        "data": {"paths": paths, **data},
        "clustering": {"algorithms": [algorithm], "k_range": [3, 5], "choice": choice, "stability_resamples": 0,
                       "params": {algorithm: params} if params else {}},
    })
    return run_project(project)


@pytest.fixture(scope="module")
def kmeans_result(sample_paths):
    return _build(sample_paths, "kmeans")


@pytest.fixture(scope="module")
def kmeans_spec(kmeans_result) -> dict:
    return export_model(kmeans_result)


def _one_sentence(message: str) -> None:
    assert "\n" not in message and message.endswith("."), message
    assert re.search(r"[.;:]\s+[A-Z]", message) is None, message


def _round_trip(result, paths):
    model = load_model(model_json(result))
    scored = model.score(paths)
    ids = result.features.table.index.astype(str)
    assert sorted(scored.table.index) == sorted(ids)
    return model, scored, scored.table["segment"].reindex(ids).to_numpy()


CASES = [(name, None) for name in ALGORITHMS] + [
    (name, {"sample_threshold": SMALL_SAMPLE}) for name, spec in ALGORITHMS.items() if spec.sample_threshold
]


@pytest.mark.parametrize("algorithm, params", CASES, ids=[f"{a}{'-sampled' if p else ''}" for a, p in CASES])
def test_scoring_the_build_data_gives_the_build_segments(sample_paths, algorithm, params):
    result = _build(sample_paths, algorithm, params)
    assert result.chosen.algorithm == algorithm
    assert result.chosen.sampled == bool(params)  # the sampled cases really fit on a sample
    model, scored, segments = _round_trip(result, sample_paths)
    assert np.array_equal(segments, result.labels)  # the same ids, not only the same partition
    assert adjusted_rand_score(result.labels, segments) == 1.0
    names = {c: label.name for c, label in result.cluster_labels.items()}
    for segment, name in scored.table.groupby("segment")["segment_name"].first().items():
        assert name == names.get(segment, "Unassigned")
    shares = scored.shares.set_index("segment")
    assert np.allclose(shares["share_now"], shares["build_share"])
    assert (scored.table["distance"] >= 0).all() and np.isfinite(scored.table["distance"]).all()
    assert ("probability" in scored.table) == (algorithm == "gmm")
    monetary = result.features.table["monetary"].reindex(scored.table.index)
    assert np.allclose(scored.table["revenue"], monetary)


def test_the_gmm_probability_is_the_assigned_components(sample_paths):
    result = _build(sample_paths, "gmm")
    model, scored, _ = _round_trip(result, sample_paths)
    probability = scored.table["probability"]
    assert ((probability > 1 / 4) & (probability <= 1)).all()  # the most probable of 4 components
    from engine.model.assign import mixture

    ids = result.features.table.index.astype(str)
    expected = mixture(model.spec["algorithm"]["assign"]).predict_proba(result.features.X).max(axis=1)
    assert np.allclose(probability.reindex(ids).to_numpy(), expected, rtol=0, atol=1e-12)


def test_the_model_file_is_plain_json_with_what_placing_a_customer_needs(kmeans_result, kmeans_spec):
    text = model_json(kmeans_result)
    again, spec = json.loads(text), json.loads(json.dumps(kmeans_spec))
    assert again.pop("created") >= spec.pop("created")  # the build date; all the rest is the same on a re-export
    assert again == spec
    assert "NaN" not in text and "Infinity" not in text
    assert kmeans_spec["format"] == "segmentation-model" and kmeans_spec["version"] == 1
    features = kmeans_spec["features"]
    assert features["names"] == kmeans_result.features.names
    assert len(features["fill"]) == len(features["names"]) == len(features["scaler"]["mean"])
    assert set(features["log"]) == set(kmeans_result.features.log)
    assert kmeans_spec["algorithm"]["name"] == "kmeans"
    assert np.asarray(kmeans_spec["algorithm"]["assign"]["centroids"]).shape == (4, len(features["names"]))
    assert kmeans_spec["data"]["returns"] == "net" and kmeans_spec["data"]["unit"] == "customer"
    assert len(kmeans_spec["provenance"]["project_sha256"]) == 64
    assert kmeans_spec["provenance"]["packages"]["scikit-learn"]
    assert sum(s["build_customers"] for s in kmeans_spec["segments"]) == len(kmeans_result.labels)
    assert kmeans_spec["build"]["agreement"] == 1.0


def test_a_row_unit_analysis_cannot_be_saved(tmp_path):
    rng = np.random.default_rng(5)
    rows = pd.DataFrame({"Age": rng.integers(18, 70, 80), "Income": rng.normal(50, 15, 80).round(1),
                         "Score": rng.integers(1, 100, 80)})
    rows.to_csv(tmp_path / "survey.csv", index=False)
    result = _build([str(tmp_path / "survey.csv")], "kmeans", unit="row")
    with pytest.raises(InputError) as err:
        export_model(result)
    _one_sentence(str(err.value))
    assert "rows, not customers" in str(err.value)


# ---- bad model files ------------------------------------------------------------

def _mutated(spec: dict, change) -> str:
    copy = json.loads(json.dumps(spec))
    change(copy)
    return json.dumps(copy)


def _drop_fill(s):
    del s["features"]["fill"]


def _nan_centroid(s):
    s["algorithm"]["assign"]["centroids"][0][0] = float("nan")


def _one_feature_short(s):
    s["algorithm"]["assign"]["centroids"] = [row[:-1] for row in s["algorithm"]["assign"]["centroids"]]


BAD = [
    ("not JSON", lambda spec: "{not json", "is not a segmentation model file (it is not JSON"),
    ("wrong format", lambda spec: json.dumps({"format": "something-else", "version": 1}),
     "is not a segmentation model file"),
    ("a list", lambda spec: "[1, 2]", "is not a segmentation model file"),
    ("future version", lambda spec: _mutated(spec, lambda s: s.update(version=3)),
     "written by format version 3; this version reads version 1"),
    ("missing key", lambda spec: _mutated(spec, _drop_fill), "features.fill is missing"),
    ("NaN centroid", lambda spec: _mutated(spec, _nan_centroid), "not a finite number"),
    ("wrong feature count", lambda spec: _mutated(spec, _one_feature_short), "algorithm.assign.centroids has shape"),
    ("text for a number", lambda spec: _mutated(spec, lambda s: s["features"].update(fill=["1"] * len(s["features"]["fill"]))),
     "features.fill should be"),
    ("row model", lambda spec: _mutated(spec, lambda s: s["data"].update(unit="row")), "built on row data"),
    ("unknown algorithm", lambda spec: _mutated(spec, lambda s: s["algorithm"].update(name="magic")),
     "'magic' is not an algorithm"),
]


@pytest.mark.parametrize("what, make, words", BAD, ids=[b[0] for b in BAD])
def test_a_bad_model_file_is_one_sentence(kmeans_spec, what, make, words):
    with pytest.raises(InputError) as err:
        load_model(make(kmeans_spec))
    _one_sentence(str(err.value))
    assert words in str(err.value)


def test_a_model_file_is_read_from_a_path_and_named_in_errors(tmp_path, kmeans_spec):
    good = tmp_path / "model.json"
    good.write_text(json.dumps(kmeans_spec))
    assert isinstance(load_model(good), SavedModel)
    assert load_model(str(good)).segments == {s["id"]: s["name"] for s in kmeans_spec["segments"]}
    bad = tmp_path / "old.json"
    bad.write_text(_mutated(kmeans_spec, lambda s: s.update(version=0)))
    with pytest.raises(InputError, match=r"^old\.json was written by format version 0"):
        load_model(bad)
    with pytest.raises(InputError, match="was not found"):
        load_model(tmp_path / "missing.json")


# ---- incompatible data and the outside flag ------------------------------------------

def test_new_data_without_the_amount_columns_is_one_sentence(tmp_path, sample_paths, kmeans_spec):
    lines = pd.read_csv(next(p for p in sample_paths if p.endswith("Transactions.csv")))
    lines[["TransactionID", "CustomerID", "TransactionDate"]].to_csv(tmp_path / "Transactions.csv", index=False)
    with pytest.raises(InputError) as err:
        load_model(json.dumps(kmeans_spec)).score([str(tmp_path / "Transactions.csv")])
    _one_sentence(str(err.value))
    assert "Monetary" in str(err.value) and "cannot give" in str(err.value)


def test_a_customer_table_cannot_be_scored_with_a_transactions_model(tmp_path, kmeans_spec):
    with pytest.raises(InputError) as err:
        load_model(json.dumps(kmeans_spec)).score([str(write_mall(tmp_path))])
    _one_sentence(str(err.value))
    assert "built on transaction lines" in str(err.value)


def test_a_planted_far_away_customer_is_outside_and_the_others_keep_their_segments(tmp_path, sample_paths,
                                                                                   kmeans_result, kmeans_spec):
    source = next(p for p in sample_paths if p.endswith("Transactions.csv"))
    lines = pd.read_csv(source)
    template = lines.iloc[0]
    dates = pd.date_range("2024-01-02", periods=60, freq="5D").strftime("%Y-%m-%d %H:%M:%S")
    planted = pd.DataFrame([{**template.to_dict(), "TransactionID": f"TX-FAR-{i}", "CustomerID": "C-FAR",
                             "TransactionDate": d, "Quantity": 400, "TotalValue": 400 * 900.0, "Price": 900.0}
                            for i, d in enumerate(dates)])
    folder = tmp_path / "new"
    folder.mkdir()
    pd.concat([lines, planted]).to_csv(folder / "Transactions.csv", index=False)
    others = [p for p in sample_paths if not p.endswith("Transactions.csv")]
    scored = load_model(json.dumps(kmeans_spec)).score(others + [str(folder / "Transactions.csv")])
    table = scored.table
    assert bool(table.loc["C-FAR", "outside"])
    assert table.loc["C-FAR", "distance"] > max(s["outside_threshold"] for s in kmeans_spec["segments"])
    ids = kmeans_result.features.table.index.astype(str)
    assert np.array_equal(table["segment"].reindex(ids).to_numpy(), kmeans_result.labels)
    assert table["outside"].drop("C-FAR").mean() < 0.05  # the 99th-percentile rule flags few build customers
    assert "99th percentile" in scored.outside_rule
    assert any("outside every segment" in w for w in scored.warnings)


def test_as_of_is_passed_to_the_features(sample_paths, kmeans_spec):
    model = load_model(json.dumps(kmeans_spec))
    later = model.score(sample_paths, as_of="2025-06-30")
    assert later.as_of == pd.Timestamp("2025-06-30")
    base = model.score(sample_paths)
    assert base.as_of == pd.Timestamp("2025-01-01")  # the day after the sample's last date (2024-12-31)
    assert later.shares.set_index("segment")["share_now"].to_dict() != base.shares.set_index("segment")["share_now"].to_dict()
    assert (later.table["last_date"] == base.table["last_date"]).all()


def test_a_table_the_build_read_and_the_new_data_lacks_is_a_warning(sample_paths, kmeans_spec):
    without_products = [p for p in sample_paths if not p.endswith("Products.csv")]
    scored = load_model(json.dumps(kmeans_spec)).score(without_products)
    assert "The build read a products table; the data scored has none." in scored.warnings
    assert len(scored.table) == kmeans_spec["build"]["customers"]


def test_a_method_fitted_on_more_points_than_the_cap_stores_a_sample_and_says_so(sample_paths, monkeypatch):
    import engine.model.fitted as fitted

    result = _build(sample_paths, "spectral")  # fitted on all 403 customers, no predict step
    _, _, segments = _round_trip(result, sample_paths)  # under the cap: every point stored, exact
    assert np.array_equal(segments, result.labels)
    monkeypatch.setattr(fitted, "REFERENCE_CAP", 100)
    spec = export_model(result)
    state = spec["algorithm"]["assign"]
    assert state["capped"] and len(state["points"]) == 100
    assert "stores a seeded sample of 100" in spec["build"]["notes"][0]
    capped = load_model(json.dumps(spec)).score(sample_paths).table["segment"]
    X = result.features.X
    stored = {tuple(p): s for p, s in zip(state["points"], state["segments"], strict=True)}
    ids = result.features.table.index.astype(str)
    hits = [i for i, row in enumerate(X) if tuple(row.tolist()) in stored]
    assert len(hits) >= 100 and all(capped[ids[i]] == stored[tuple(X[i].tolist())] for i in hits)
    assert 0.5 < spec["build"]["agreement"] <= 1.0


def _with_money(tmp_path, sample_paths, name: str, column: str, scale: float = 1.0, symbol: str = "") -> list[str]:
    """The sample with its line value column renamed to ``column``, multiplied by ``scale``, written with ``symbol``."""
    lines = pd.read_csv(next(p for p in sample_paths if p.endswith("Transactions.csv")))
    values = lines.pop("TotalValue") * scale
    lines[column] = [f"{symbol}{v:.2f}" for v in values] if symbol else values
    folder = tmp_path / name
    folder.mkdir()
    lines.to_csv(folder / "Transactions.csv", index=False)
    return [p for p in sample_paths if not p.endswith("Transactions.csv")] + [str(folder / "Transactions.csv")]


def test_the_currency_the_data_names_is_kept_and_another_is_refused(tmp_path, sample_paths):
    euros = _with_money(tmp_path, sample_paths, "eur", "Amount (EUR)")
    spec = export_model(_build(euros, "kmeans"))
    assert spec["data"]["currency"] == "EUR"
    model = load_model(json.dumps(spec))
    customers = spec["build"]["customers"]
    assert len(model.score(_with_money(tmp_path, sample_paths, "symbol", "Amount", symbol="€")).table) == customers
    with pytest.raises(InputError) as err:
        model.score(_with_money(tmp_path, sample_paths, "gbp", "Amount", symbol="£"))
    _one_sentence(str(err.value))
    assert "money in EUR" in str(err.value) and "is in GBP" in str(err.value)
    with pytest.raises(InputError, match="money in EUR"):
        model.score(_with_money(tmp_path, sample_paths, "usd", "usd_total"))
    # data that does not say its currency is scored (nothing to compare), and the sample names none
    assert len(model.score(_with_money(tmp_path, sample_paths, "plain", "Amount")).table) == customers


def test_money_a_hundred_times_the_builds_is_refused_as_another_unit(tmp_path, sample_paths, kmeans_spec):
    model = load_model(json.dumps(kmeans_spec))
    assert kmeans_spec["data"]["currency"] is None
    with pytest.raises(InputError) as err:
        model.score(_with_money(tmp_path, sample_paths, "cents", "TotalValue", scale=100.0))
    _one_sentence(str(err.value))
    assert "100 times the build's" in str(err.value) and "another currency or unit" in str(err.value)
    # a real change of spending (doubled) is scored, not refused
    doubled = model.score(_with_money(tmp_path, sample_paths, "double", "TotalValue", scale=2.0))
    assert len(doubled.table) == kmeans_spec["build"]["customers"]


def test_a_bisecting_tree_is_stored_flat_and_a_looping_tree_is_refused(sample_paths):
    spec = export_model(_build(sample_paths, "bisecting_kmeans"))
    tree = spec["algorithm"]["assign"]
    leaves = [i for i, child in enumerate(tree["left"]) if child < 0]
    assert len(leaves) == 4 and len(tree["centres"]) == 2 * 4 - 1  # k leaves, k - 1 splits
    assert sorted(tree["segment_of"][i] for i in leaves) == [0, 1, 2, 3]
    tree["left"][0] = 0  # the root's child is the root: scoring would never end
    with pytest.raises(InputError) as err:
        load_model(json.dumps(spec))
    _one_sentence(str(err.value))
    assert "algorithm.assign.left" in str(err.value)
