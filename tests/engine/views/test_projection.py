"""2-D projections: seeded, capped, stratified so small clusters stay visible, UMAP only on demand."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.errors import InputError
from engine.results import NOISE
from engine.views.projection import project_2d, stratified_sample

ROOT = Path(__file__).resolve().parents[3]


def _blobs(n_points: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three well-separated blobs in 4-D plus a 3-point cluster and two noise points."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, n_points)
    labels[:3] = 3  # tiny cluster
    labels[3:5] = NOISE
    centres = np.array([[0, 0, 0, 0], [6, 0, 0, 0], [0, 6, 0, 0], [0, 0, 6, 6], [3, 3, 3, 3]], dtype=float)
    X = centres[labels] + rng.normal(scale=0.5, size=(n_points, 4))
    return X, labels


def test_stratified_sample_by_hand():
    # Sizes 900, 90, 10 and 100 points to show: floor = min(50, 100 // 6) = 16, so quotas start at
    # 16, 16, 10 (42). The other 58 go by remaining capacity 884 : 74 : 0 -> 53.52 / 4.48
    # -> 53 + 4 = 57, and the one left over goes to the larger remainder (.52): 54, 4.
    labels = np.repeat([0, 1, 2], [900, 90, 10])
    rows = stratified_sample(labels, len(labels), 100, seed=1)
    assert len(rows) == 100 and len(np.unique(rows)) == 100
    assert np.all(np.diff(rows) > 0)
    assert np.bincount(labels[rows]).tolist() == [70, 20, 10]


def test_stratified_sample_with_more_clusters_than_points_keeps_the_largest():
    labels = np.repeat(np.arange(10), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    rows = stratified_sample(labels, len(labels), 4, seed=0)
    assert sorted(labels[rows].tolist()) == [6, 7, 8, 9]


def test_stratified_sample_takes_everything_under_the_cap():
    assert stratified_sample(np.zeros(5, int), 5, 10, seed=0).tolist() == [0, 1, 2, 3, 4]
    unlabelled = stratified_sample(None, 1000, 10, seed=3)
    assert len(unlabelled) == 10 and len(np.unique(unlabelled)) == 10


def test_pca_sample_is_capped_and_keeps_a_three_point_cluster():
    X, labels = _blobs(20_000)
    proj = project_2d(X, "pca", seed=7, max_points=3000, labels=labels)
    assert len(proj.frame) == 3000 and proj.sampled and proj.n_points == 20_000
    assert proj.n_fitted == 20_000  # PCA is fitted on every point
    assert (proj.frame["cluster"] == 3).sum() == 3
    assert (proj.frame["cluster"] == NOISE).sum() == 2
    np.testing.assert_array_equal(proj.frame["cluster"].to_numpy(dtype=int), labels[proj.frame["row"]])


def test_pca_coordinates_come_from_all_points():
    X, labels = _blobs(4000)
    full = project_2d(X, "pca", max_points=4000, labels=labels)
    sampled = project_2d(X, "pca", max_points=500, labels=labels)
    assert not full.sampled and len(full.frame) == 4000
    by_row = full.frame.set_index("row")
    np.testing.assert_allclose(sampled.frame[["x", "y"]].to_numpy(), by_row.loc[sampled.frame["row"], ["x", "y"]])
    # The first axis separates the blobs and explains most of their variance.
    assert sum(full.explained_variance) > 0.5
    assert full.explained_variance[0] >= full.explained_variance[1]
    assert full.axis_titles[0].startswith("PC1 (") and "% of variance" in full.axis_titles[0]


def test_same_seed_same_frame_other_seed_other_sample():
    X, labels = _blobs(5000)
    a = project_2d(X, "pca", seed=3, max_points=1000, labels=labels)
    b = project_2d(X, "pca", seed=3, max_points=1000, labels=labels)
    c = project_2d(X, "pca", seed=4, max_points=1000, labels=labels)
    assert a.frame.equals(b.frame)
    assert not np.array_equal(a.frame["row"], c.frame["row"])


def test_tsne_runs_on_a_seeded_sample_and_is_deterministic():
    X, labels = _blobs(200)
    a = project_2d(X, "tsne", seed=5, max_points=60, labels=labels)
    b = project_2d(X, "tsne", seed=5, max_points=60, labels=labels)
    assert a.n_fitted == 60 and len(a.frame) == 60 and a.sampled
    assert a.explained_variance is None and a.axis_titles == ("t-SNE 1", "t-SNE 2")
    np.testing.assert_allclose(a.frame[["x", "y"]], b.frame[["x", "y"]])
    assert (a.frame["cluster"] == 3).sum() == 3


def test_without_labels_cluster_is_missing():
    X, _ = _blobs(50)
    proj = project_2d(X, "pca")
    assert proj.frame["cluster"].isna().all()
    assert proj.frame["row"].tolist() == list(range(50))


def test_single_feature_gets_a_flat_second_axis():
    X = np.arange(10, dtype=float).reshape(-1, 1)
    proj = project_2d(X, "pca")
    assert proj.explained_variance == pytest.approx((1.0, 0.0))
    assert np.all(proj.frame["y"] == 0)
    assert np.ptp(proj.frame["x"]) == pytest.approx(9.0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "mds"}, "'mds' is unknown"),
        ({"max_points": 1}, "max_points"),
        ({"X": np.array([[1.0, np.nan], [2.0, 3.0]])}, "missing or infinite"),
        ({"X": np.ones((1, 3))}, "at least 2 rows"),
        ({"X": np.ones(5)}, "shape"),
    ],
)
def test_bad_input_is_an_input_error(kwargs, message):
    args = {"X": np.random.default_rng(0).normal(size=(20, 3)), **kwargs}
    with pytest.raises(InputError, match=message):
        project_2d(**args)


def test_labels_of_the_wrong_length_are_refused():
    with pytest.raises(ValueError, match="labels"):
        project_2d(np.ones((10, 2)), labels=np.zeros(9, int))


def test_umap_missing_is_a_clear_input_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "umap", None)  # makes `import umap` raise ImportError
    X, labels = _blobs(50)
    with pytest.raises(InputError, match="UMAP is unavailable.*PCA or t-SNE"):
        project_2d(X, "umap", labels=labels)


def test_umap_is_not_imported_by_the_module_or_by_pca():
    code = (
        "import sys, numpy as np\n"
        "import engine.views.projection as p\n"
        "p.project_2d(np.random.default_rng(0).normal(size=(100, 3)), 'pca')\n"
        "assert 'umap' not in sys.modules, 'umap was imported'\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "ok"


@pytest.mark.slow
def test_umap_runs_on_a_sample_and_is_deterministic():
    pytest.importorskip("umap")
    X, labels = _blobs(400)
    a = project_2d(X, "umap", seed=1, max_points=150, labels=labels)
    b = project_2d(X, "umap", seed=1, max_points=150, labels=labels)
    assert a.n_fitted == 150 and len(a.frame) == 150
    np.testing.assert_allclose(a.frame[["x", "y"]], b.frame[["x", "y"]])


def test_sample_keeps_the_coordinates_and_every_cluster_and_is_seeded():
    X, labels = _blobs(1200)
    full = project_2d(X, "pca", seed=3, max_points=1000, labels=labels)
    small = full.sample(200)
    assert len(small.frame) == 200 and small.sampled
    assert (small.n_points, small.n_fitted, small.method, small.seed) == (1200, 1200, "pca", 3)
    assert small.explained_variance == full.explained_variance
    by_row = full.frame.set_index("row")
    assert np.allclose(by_row.loc[small.frame["row"], ["x", "y"]].to_numpy(), small.frame[["x", "y"]].to_numpy())
    assert (by_row.loc[small.frame["row"], "cluster"].to_numpy() == small.frame["cluster"].to_numpy()).all()
    assert set(small.frame["cluster"]) == set(full.frame["cluster"])  # the 3-point cluster and the noise stay
    assert small.frame.equals(full.sample(200).frame)


def test_sample_larger_than_the_projection_is_the_projection_itself():
    X, labels = _blobs(300)
    full = project_2d(X, "pca", seed=0, labels=labels)
    assert full.sample(300) is full and full.sample(5000) is full
    unlabelled = project_2d(X, "pca", seed=0).sample(50)
    assert len(unlabelled.frame) == 50 and unlabelled.frame["cluster"].isna().all()
