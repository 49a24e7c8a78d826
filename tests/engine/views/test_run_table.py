"""The Compare page's runs table: labels, not registry keys, and "–" where a run has no value (issue 12)."""

import pandas as pd
from sklearn.datasets import make_blobs

from engine.clustering.algorithms import ALGORITHMS
from engine.clustering.compare import compare
from engine.formatting import MISSING
from engine.views.run_table import runs_table


def test_runs_table_shows_labels_and_a_dash_for_missing_values():
    X, _ = make_blobs(n_samples=300, centers=3, random_state=1)
    table = compare(X, ["kmeans", "gmm", "dbscan"], k_range=(2, 4), seed=1).table()
    shown = runs_table(table)
    assert set(shown["Algorithm"]) == {ALGORITHMS[a].label for a in ("kmeans", "gmm", "dbscan")}
    assert "kmeans" not in set(shown["Algorithm"]) and "gmm" not in set(shown["Algorithm"])
    kmeans = shown[shown["Algorithm"] == ALGORITHMS["kmeans"].label]
    gmm = shown[shown["Algorithm"] == ALGORITHMS["gmm"].label]
    assert (kmeans["BIC"] == MISSING).all() and (kmeans["AIC"] == MISSING).all()
    assert (gmm["BIC"] != MISSING).all() and gmm["BIC"].str.match(r"^-?[\d,]+\.\d+$").all()
    dbscan = shown[shown["Algorithm"] == ALGORITHMS["dbscan"].label]
    assert list(dbscan["k"]) == [MISSING] and dbscan["Clusters found"].iloc[0] != MISSING
    assert list(kmeans["k"]) == ["2", "3", "4"]
    text = shown.to_string()
    assert "None" not in text and "nan" not in text.lower().replace("–", "")


def test_runs_table_of_a_failed_run_and_of_missing_columns():
    table = pd.DataFrame([{"algorithm": "kmeans", "k": 3, "n_clusters": 0, "status": "failed", "reason": None,
                           "silhouette": float("nan")}, {"algorithm": "not_registered", "k": None}])
    shown = runs_table(table)
    assert list(shown["Silhouette"]) == [MISSING, MISSING]
    assert list(shown["Algorithm"]) == [ALGORITHMS["kmeans"].label, "not registered"]
    assert list(shown["Why"]) == ["", ""] and list(shown["Noise"]) == [MISSING, MISSING]
    assert runs_table(pd.DataFrame()).empty
