"""The algorithm registry: the same property checks for every entry, then each method's specifics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import AgglomerativeClustering, Birch
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

import engine.clustering.algorithms as algorithms
from engine.clustering.algorithms import ALGORITHMS, RunSkipped, check_params, fit_labels, knee_eps
from engine.clustering.compare import fit_chosen
from engine.errors import InputError
from engine.features.rfm import SEGMENTS, rfm_segments

N_POINTS = 240


def blob_data(n=N_POINTS, seed=0):
    """Three well-separated blobs, plus the raw RFM columns the rfm baseline reads."""
    X, y = make_blobs(n_samples=n, centers=[[0, 0, 0], [8, 0, 0], [0, 8, 0]], cluster_std=0.7, random_state=seed)
    rng = np.random.default_rng(seed)
    context = pd.DataFrame({
        "recency_days": rng.integers(1, 400, n),
        "frequency": rng.integers(1, 9, n),
        "monetary": rng.lognormal(5, 1, n).round(2),
    })
    return X, y, context


def assert_canonical(labels: np.ndarray, n: int) -> None:
    assert len(labels) == n
    kept = labels[labels != -1]
    ids = np.unique(kept)
    assert ids.tolist() == list(range(len(ids))), "ids are 0..m-1"
    sizes = np.bincount(kept)
    assert (np.diff(sizes) <= 0).all(), "largest cluster first"
    assert sizes.sum() + (labels == -1).sum() == n, "sizes (and noise) add up to the number of units"


@pytest.mark.parametrize("name", list(ALGORITHMS))
def test_every_algorithm_same_seed_same_labels_and_canonical(name):
    X, _, context = blob_data()
    first = fit_chosen(X, name, 3, seed=1, params=None, context=context)
    again = fit_chosen(X, name, 3, seed=1, params=None, context=context)
    assert first.status == "ok", first.reason
    assert np.array_equal(first.labels, again.labels)
    assert first.metrics == again.metrics
    assert_canonical(first.labels, N_POINTS)
    assert first.n_clusters == len(np.unique(first.labels[first.labels != -1]))
    if ALGORITHMS[name].needs_k:
        assert first.n_clusters == 3 and first.k == 3
    else:
        assert first.k is None


@pytest.mark.parametrize("name", list(ALGORITHMS))
def test_every_algorithm_other_seed_still_valid(name):
    X, _, context = blob_data()
    run = fit_chosen(X, name, 3, seed=99, params=None, context=context)
    assert run.status == "ok", run.reason
    assert_canonical(run.labels, N_POINTS)
    assert set(run.metrics) >= {"davies_bouldin", "silhouette", "calinski_harabasz", "inertia"}


@pytest.mark.parametrize("name", [n for n in ALGORITHMS if n != "rfm"])
def test_every_clustering_algorithm_recovers_separated_blobs(name):
    X, y, _ = blob_data()
    labels = fit_labels(name, X, 3, seed=0).labels
    clustered = labels != -1
    assert adjusted_rand_score(y[clustered], labels[clustered]) > 0.95
    if ALGORITHMS[name].density:  # Gaussian tails are sparse: density methods leave some noise
        assert clustered.mean() > 0.7
    else:
        assert clustered.all()


def test_registry_metadata():
    assert set(ALGORITHMS) == {"kmeans", "minibatch_kmeans", "bisecting_kmeans", "gmm", "agglomerative", "birch",
                               "dbscan", "hdbscan", "spectral", "rfm"}
    for name, spec in ALGORITHMS.items():
        assert spec.name == name
        assert spec.description.endswith(".") and "\n" not in spec.description
        assert spec.scales in ("n", "n log n", "n²")
        if spec.scales == "n²":
            assert spec.sample_threshold or spec.max_points, f"{name} must not see every point of large data"
    assert ALGORITHMS["gmm"].defaults["covariance_type"] == "full"
    assert ALGORITHMS["agglomerative"].defaults["linkage"] == "ward"
    assert not ALGORITHMS["dbscan"].needs_k and not ALGORITHMS["rfm"].needs_k
    with pytest.raises(TypeError):
        ALGORITHMS["kmeans"].defaults["n_init"] = 5  # registry entries are read-only


def test_bisecting_kmeans_finds_planted_groups_reproducibly():
    X, truth, _ = blob_data()
    first = fit_labels("bisecting_kmeans", X, 3, seed=7)
    assert adjusted_rand_score(truth, first.labels) > 0.9
    assert np.array_equal(first.labels, fit_labels("bisecting_kmeans", X, 3, seed=7).labels)


def test_seed_is_the_random_state_and_params_are_recorded():
    X, _, _ = blob_data()
    outcome = fit_labels("kmeans", X, 3, seed=7, params={"n_init": 2})
    assert outcome.params == {"n_init": 2, "k": 3, "random_state": 7}
    gmm = fit_labels("gmm", X, 3, seed=7)
    assert gmm.params["covariance_type"] == "full" and gmm.params["random_state"] == 7
    assert gmm.extra["bic"] > 0 and gmm.extra["aic"] < gmm.extra["bic"]


@pytest.mark.parametrize(
    "name, params, fragment",
    [
        ("kmeans", {"n_clusters": 4}, "unknown key 'n_clusters'"),
        ("kmeans", {"bogus": 1}, "unknown key 'bogus'"),
        ("kmeans", {"n_init": "many"}, "'n_init' parameter of KMeans"),
        ("gmm", {"covariance_type": "round"}, "'covariance_type' parameter"),
        ("agglomerative", {"memory": "/tmp"}, "allowed keys are linkage, metric, sample_threshold"),
        ("agglomerative", {"linkage": "ward", "metric": "manhattan"}, "Ward linkage needs"),
        ("dbscan", {"eps": -1.0}, "'eps' parameter of DBSCAN"),
        ("hdbscan", {"sample_threshold": 3}, "sample_threshold is 3"),
        ("rfm", {"quantiles": 5}, "unknown key 'quantiles'"),
        ("nonsense", {}, "Algorithm 'nonsense' is unknown"),
    ],
)
def test_bad_params_raise_one_clear_sentence(name, params, fragment):
    """Unknown keys and values outside scikit-learn's constraint table name the key and the value."""
    with pytest.raises(InputError) as info:
        check_params(name, params)
    assert fragment in str(info.value)


def test_impossible_requests_raise_input_error():
    X, _, _ = blob_data(n=30)
    with pytest.raises(InputError, match="k = 30 needs more than 30 units"):
        fit_labels("kmeans", X, 30, seed=0)
    with pytest.raises(InputError, match="needs a number of clusters"):
        fit_labels("gmm", X, None, seed=0)
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(InputError, match="missing or infinite"):
        fit_labels("kmeans", bad, 3, seed=0)


def test_agglomerative_tree_is_built_once_per_sweep_and_matches_scikit_learn(monkeypatch):
    X, _, _ = blob_data()
    calls = []
    real = algorithms.hierarchy
    monkeypatch.setattr(algorithms, "hierarchy", lambda *a, **kw: calls.append(1) or real(*a, **kw))
    cache: dict = {}
    for k in range(2, 8):
        labels = fit_labels("agglomerative", X, k, seed=0, cache=cache).labels
        expected = AgglomerativeClustering(n_clusters=k).fit_predict(X)
        assert adjusted_rand_score(expected, labels) == pytest.approx(1.0)
    assert len(calls) == 1


def test_birch_sweep_matches_scikit_learn_birch():
    X, _, _ = blob_data()
    cache: dict = {}
    for k in (2, 3, 5):
        labels = fit_labels("birch", X, k, seed=0, cache=cache).labels
        assert adjusted_rand_score(Birch(n_clusters=k).fit_predict(X), labels) == pytest.approx(1.0)


def test_large_data_is_fitted_on_a_sample_and_the_rest_assigned():
    X, y, _ = blob_data(n=900)
    for name in ("agglomerative", "dbscan", "hdbscan", "birch"):
        outcome = fit_labels(name, X, 3, seed=0, params={"sample_threshold": 200})
        assert outcome.sampled and outcome.fitted_on == 200, name
        assert len(outcome.labels) == 900
        clustered = outcome.labels != -1
        assert adjusted_rand_score(y[clustered], outcome.labels[clustered]) > 0.95, name
        assert clustered.mean() > 0.7, name
    again = fit_labels("agglomerative", X, 3, seed=0, params={"sample_threshold": 200}).labels
    assert np.array_equal(again, fit_labels("agglomerative", X, 3, seed=0, params={"sample_threshold": 200}).labels)


def test_dbscan_assigns_far_points_to_noise_when_sampled():
    X, _, _ = blob_data(n=900)
    far = np.vstack([X, [[100.0, 100.0, 100.0]]])
    outcome = fit_labels("dbscan", far, None, seed=0, params={"sample_threshold": 200})
    assert outcome.labels[-1] == -1


def test_dbscan_eps_from_the_knee_unless_given():
    X, _, _ = blob_data()
    chosen = fit_labels("dbscan", X, None, seed=0)
    assert chosen.extra["eps_source"] == "k-distance knee"
    assert chosen.params["eps"] == chosen.extra["eps"] == pytest.approx(knee_eps(X, 5))
    given = fit_labels("dbscan", X, None, seed=0, params={"eps": 0.9})
    assert given.extra == {"eps_source": "given", "eps": 0.9}


def test_knee_by_hand_and_robust_to_whales():
    # Points on a line: 90 spaced 1 apart, then 10 spaced ever wider. The 2nd-neighbour
    # distance (self included) is 1 inside the dense run and jumps where spacing grows.
    positions = np.concatenate([np.arange(90.0), 89 + np.cumsum(np.arange(2, 12) ** 2)])
    X = positions[:, None]
    eps = knee_eps(X, 2)
    assert eps == pytest.approx(1.0)
    with_whales = np.vstack([X, [[1e6], [2e6]]])
    assert knee_eps(with_whales, 2) < 100  # two extreme points do not drag the knee onto themselves


def test_spectral_is_skipped_on_large_data_with_a_reason():
    X, _, _ = blob_data()
    with pytest.raises(RunSkipped, match="Spectral clustering was not run.*240 points is above its limit of 100"):
        fit_labels("spectral", X, 3, seed=0, params={"max_points": 100})


def test_rfm_needs_its_context():
    X, _, context = blob_data()
    for missing in (None, context.drop(columns="frequency")):  # e.g. unit = "row" data
        with pytest.raises(RunSkipped, match="needs recency_days, frequency and monetary per customer"):
            fit_labels("rfm", X, None, seed=0, context=missing)
    outcome = fit_labels("rfm", X, None, seed=0, context=context)
    assert outcome.extra["label_names"] == dict(enumerate(SEGMENTS))
    run = fit_chosen(X, "rfm", None, seed=0, context=context)  # names follow the renumbered ids
    segments = rfm_segments(context).segments.to_numpy()
    for cluster, name in run.extra["label_names"].items():
        assert set(segments[run.labels == cluster]) == {name}
    with pytest.raises(InputError, match="has 10 rows but the feature matrix has 240"):
        fit_labels("rfm", X, None, seed=0, context=context.iloc[:10])


def test_convergence_warnings_are_recorded_not_raised():
    X = np.vstack([np.zeros((10, 2)), np.ones((10, 2))])  # two distinct points, k = 4
    outcome = fit_labels("kmeans", X, 4, seed=0)
    assert len(np.unique(outcome.labels)) == 2
    assert any("distinct clusters" in w for w in outcome.extra["warnings"])


def test_params_must_be_an_object():
    with pytest.raises(InputError, match="clustering.params.kmeans should be a JSON object"):
        check_params("kmeans", "n_init=3")


def test_agglomerative_other_linkages_and_metrics():
    X, y, _ = blob_data()
    for linkage_name, metric in (("average", "manhattan"), ("complete", "cosine"), ("single", "l2")):
        outcome = fit_labels("agglomerative", X, 3, seed=0, params={"linkage": linkage_name, "metric": metric})
        expected = AgglomerativeClustering(n_clusters=3, linkage=linkage_name, metric=metric).fit_predict(X)
        assert adjusted_rand_score(expected, outcome.labels) == pytest.approx(1.0), (linkage_name, metric)
    with pytest.raises(InputError, match="metric is 'precomputed'; allowed values are euclidean"):
        check_params("agglomerative", {"linkage": "average", "metric": "precomputed"})


@pytest.mark.parametrize("method", ["ward", "single", "average"])
def test_hierarchy_cuts_like_scipy_linkage(method):
    """fastcluster's tree (Ward, single) gives the same clusters as scipy's linkage at every k."""
    from scipy.cluster.hierarchy import fcluster, linkage
    from sklearn.metrics import adjusted_rand_score

    from engine.clustering.algorithms import hierarchy

    rng = np.random.default_rng(5)
    X = np.vstack([rng.normal(c, 1.0, size=(300, 4)) for c in (0.0, 2.5, 5.0)])
    ours, scipys = hierarchy(X, method), linkage(X, method=method)
    np.testing.assert_allclose(np.sort(ours[:, 2]), np.sort(scipys[:, 2]), rtol=1e-9)
    for k in range(2, 11):
        assert adjusted_rand_score(fcluster(ours, k, "maxclust"), fcluster(scipys, k, "maxclust")) == 1.0
