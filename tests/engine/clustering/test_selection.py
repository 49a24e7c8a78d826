"""The recommendation rule: usable segments, consensus of the indices, stability, weak structure, k at the edge."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

from engine.clustering.algorithms import ALGORITHMS
from engine.clustering.compare import compare
from engine.clustering.selection import SelectionRule, recommend, usability
from engine.clustering.selection_stability import split_modes
from engine.errors import InputError
from engine.results import Comparison, RunResult

REPO = Path(__file__).resolve().parents[3]


def blobs(n=300, seed=0, std=0.7):
    return make_blobs(n_samples=n, centers=[[0, 0], [6, 0], [0, 6]], cluster_std=std, random_state=seed)


def rfm_context(n, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"recency_days": rng.integers(1, 400, n), "frequency": rng.integers(1, 9, n),
                         "monetary": rng.lognormal(5, 1, n)})


def run_with(labels, algorithm="kmeans", k=None, **metrics) -> RunResult:
    labels = np.asarray(labels)
    sizes = np.bincount(labels[labels >= 0])
    k = len(sizes) if k is None else k
    values = {"davies_bouldin": 1.0, "silhouette": 0.3, "calinski_harabasz": 100.0, **metrics}
    return RunResult(algorithm, k, labels.astype(np.int32), n_clusters=len(sizes), metrics=values,
                     noise_share=float(np.mean(labels < 0)), min_cluster_share=sizes.min() / len(labels))


# ---- usable segments ---------------------------------------------------------------

def test_usability_by_hand():
    rule = SelectionRule()
    # 200 units: the smallest segment must hold max(1% = 2, 10) = 10 units; none more than 80%
    assert usability(run_with([0] * 150 + [1] * 40 + [2] * 10), 200, rule) is None
    assert usability(run_with([0] * 170 + [1] * 30), 200, rule) == ("large", "one segment holds 85% of the units")
    assert usability(run_with([0] * 150 + [1] * 41 + [2] * 9), 200, rule) == (
        "small", "its smallest segment holds only 9 units (4.5%)")
    # 3,000 units: 1% (30) beats 10
    assert rule.smallest_segment(3000) == 30 and rule.max_k(3000) == 100 and rule.max_k(55) == 5
    noisy = run_with([-1] * 50 + [0] * 75 + [1] * 75, algorithm="dbscan")
    assert usability(noisy, 200, rule) == ("noise", "it leaves 25% of the units as noise")


def test_a_91_9_split_is_never_recommended():
    """The seed-report case: BIRCH k = 2 putting 91% of customers in one segment."""
    lopsided = run_with([0] * 182 + [1] * 18, "birch", 2, davies_bouldin=0.4, silhouette=0.7, calinski_harabasz=900)
    even = run_with([0] * 70 + [1] * 70 + [2] * 60, "kmeans", 3)
    rec = recommend(Comparison([lopsided, even], ["kmeans", "birch"], (2, 3), 0, 200))
    assert (rec.algorithm, rec.k) == ("kmeans", 3)
    assert "1 run was not eligible (1 for a segment too large)." in rec.reasons


def test_whales_do_not_decide_k():
    X, y = blobs()
    X = np.vstack([X, [[60.0, 60.0], [61.0, 59.0]]])  # two extreme customers far from everyone
    comparison = compare(X, ["kmeans", "gmm", "agglomerative", "hdbscan"], k_range=(2, 6), seed=0)
    naive = recommend(comparison, rule=SelectionRule(min_share=0.0, min_size=1))
    assert comparison.get(naive.algorithm, naive.k).min_cluster_share < 0.01  # without the rule, whales win
    rec = recommend(comparison, X)
    run = comparison.get(rec.algorithm, rec.k)
    assert run.n_clusters == 3 and run.min_cluster_share >= 0.01
    assert adjusted_rand_score(y, run.labels[:300]) > 0.95
    assert any("not eligible" in r and "for a segment too small" in r for r in rec.reasons)
    assert "1%" in rec.rule and "80%" in rec.rule and "20%" in rec.rule and "10 units" in rec.rule


def test_no_usable_run_returns_the_best_available_with_a_warning():
    X, _ = blobs(n=60)
    X = np.vstack([X, [[60.0, 60.0]]])
    comparison = compare(X, ["kmeans"], k_range=(2, 2))  # k = 2 sets the whale apart from the other 60
    rec = recommend(comparison, rule=SelectionRule(max_share=0.5))
    assert not rec.eligible and rec.reasons[0].startswith("No model gave usable segments")
    assert rec.reasons[0].endswith("should be treated with caution: one segment holds 98% of the units.")
    assert rec.warnings[0] == rec.reasons[0]


def test_empty_or_failed_comparison_does_not_crash():
    failed = RunResult("kmeans", 2, None, status="failed", reason="k-means with k = 2 failed (boom).")
    rec = recommend(Comparison([failed], ["kmeans"], (2, 2), 0, 10))
    assert rec.algorithm == "kmeans" and rec.ranking is None
    assert rec.reasons[0].startswith("No run produced at least two clusters")


# ---- consensus, reasons and the ranking table ---------------------------------------

def test_recommendation_reasons_quote_the_numbers_and_skip_rfm():
    X, _ = blobs()
    comparison = compare(X, ["kmeans", "agglomerative", "rfm"], k_range=(2, 5), context=rfm_context(len(X)))
    rec = recommend(comparison, X, context=rfm_context(len(X)))
    assert rec.algorithm != "rfm" and rec.k == 3
    best = comparison.get(rec.algorithm, rec.k)
    label = ALGORITHMS[rec.algorithm].label
    assert rec.reasons[0].startswith(f"{label} with k = 3 has the lowest Davies-Bouldin index "
                                     f"({best.metrics['davies_bouldin']:.2f})")
    assert f"({best.metrics['silhouette']:.2f})" in rec.reasons[0]
    assert f"mean bootstrap ARI {rec.bootstrap_ari:.2f}" in rec.reasons[0] and rec.bootstrap_ari > 0.95
    assert any(r.startswith("The RFM segments baseline") for r in rec.reasons)
    assert "rfm" not in set(rec.ranking["algorithm"]) and "rfm" in set(comparison.table()["algorithm"])
    assert int(rec.ranking.loc[0, "run"]) == comparison.runs.index(best)
    checked = rec.ranking[rec.ranking["bootstrap_ari"].notna()]
    near = rec.ranking[rec.ranking["score"] >= rec.ranking["score"].max() - SelectionRule().near]
    assert set(checked["run"]) <= set(near["run"])  # only near-equivalents are refitted ...
    finer = near[near["n_clusters"] > rec.k]
    assert set(finer["run"]) <= set(checked["run"])  # ... from the most segments down, until one qualifies
    assert not rec.weak_structure and rec.warnings == []


def test_density_runs_are_ranked_with_noise_counted_against_them():
    X, _ = blobs()
    comparison = compare(X, ["kmeans", "dbscan"], k_range=(3, 3))
    dbscan = comparison.get("dbscan", None)
    assert dbscan.noise_share > 0
    assert usability(dbscan, 300, SelectionRule())[0] == "small"  # a 6-point cluster: not usable by default
    ranking = recommend(comparison, rule=SelectionRule(min_size=1)).ranking.set_index("algorithm")
    assert ranking.loc["dbscan", "silhouette_ranked"] == pytest.approx(
        dbscan.metrics["silhouette"] * (1 - dbscan.noise_share))
    assert ranking.loc["kmeans", "silhouette_ranked"] == ranking.loc["kmeans", "silhouette"]


def test_rank_by_one_metric():
    X, _ = blobs()
    comparison = compare(X, ["kmeans", "gmm"], k_range=(2, 5))
    rec = recommend(comparison, rule=SelectionRule(rank_by="calinski_harabasz", resamples=0))
    eligible = [r for r in comparison.runs if usability(r, 300, SelectionRule()) is None]
    best = max(eligible, key=lambda r: r.metrics["calinski_harabasz"])
    assert (rec.algorithm, rec.k) == (best.algorithm, best.k)
    assert "; runs are ranked by the Calinski-Harabasz index alone)" in rec.reasons[0]
    assert "clustering." not in rec.reasons[0] + rec.rule  # no project-file keys in client text
    assert "where its Calinski-Harabasz index sits between the worst (0) and the best (1)" in rec.rule


# ---- stability is part of the choice --------------------------------------------------

def test_a_fragile_model_does_not_win_over_a_solid_one():
    # Three round, far-apart blobs in 5-D: k = 3 comes back in every resample; k = 12 cuts each blob into
    # arbitrary pieces, which move from one resample to the next. Its metrics are made the best on purpose.
    X, _ = make_blobs(n_samples=450, centers=3, n_features=5, cluster_std=1.0, center_box=(-20, 20), random_state=0)
    comparison = compare(X, ["kmeans"], k_range=(3, 12))
    fragile = comparison.get("kmeans", 12)
    fragile.metrics.update(davies_bouldin=0.01, silhouette=0.99, calinski_harabasz=1e9)
    rec = recommend(comparison, X)
    table = rec.ranking.set_index("k")
    assert table.loc[12, "bootstrap_ari"] < 0.6 and table.loc[3, "bootstrap_ari"] >= 0.75
    assert rec.k != 12 and table.loc[rec.k, "bootstrap_ari"] >= 0.6
    assert any(r.startswith("Better-scored but fragile runs were passed over") and "k-means with k = 12" in r
               for r in rec.reasons)
    without_stability = recommend(comparison, X, SelectionRule(resamples=0))
    assert without_stability.k == 12  # the consensus alone would have taken it


# ---- the indices' lean towards few clusters -----------------------------------------------

def test_split_modes_tells_two_groups_from_one_group_cut_in_two():
    rng = np.random.default_rng(0)
    one = rng.normal(size=(600, 2))
    assert split_modes(one, (one[:, 0] > 0).astype(int)) < 0  # a round cloud halved: one mode between the halves
    two = np.vstack([rng.normal(size=(300, 2)), rng.normal(size=(300, 2)) + [8, 0]])
    assert split_modes(two, np.repeat([0, 1], 300)) > 1.0
    with_noise = np.repeat([0, 1, -1], [300, 290, 10])
    assert split_modes(two, with_noise) > 1.0  # noise is left out
    assert np.isnan(split_modes(two, np.zeros(600, dtype=int)))


def test_a_reproducible_finer_split_of_separate_groups_is_preferred():
    # Two pairs of blobs: the indices prefer 2 clusters (the pairs), but all four blobs are separate groups
    # and come back in every resample, so the finer split is recommended and the reasons say why.
    X, y = make_blobs(n_samples=800, centers=[[0, 0], [4, 0], [20, 0], [24, 0]], cluster_std=0.8, random_state=1)
    comparison = compare(X, ["kmeans", "agglomerative"], k_range=(2, 6))
    rec = recommend(comparison, X)
    assert rec.k == 4 and adjusted_rand_score(y, comparison.get(rec.algorithm, 4).labels) > 0.95
    assert rec.ranking["score"].idxmax() != 0  # not the best score: the rule moved to the finer split
    assert any(r.startswith("Runs within 0.15 of the best score are near-equivalent") and "(4)" in r
               for r in rec.reasons)
    assert recommend(comparison, X, SelectionRule(resamples=0)).k == 2  # the indices alone merge the pairs


def test_a_reproducible_split_that_cuts_one_group_is_not_preferred():
    # An elongated blob and two round ones: k = 4 halves the long blob the same way every time (reproducible),
    # but there is no gap between the halves.
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(size=(400, 2)) * [4, 0.5], rng.normal(size=(300, 2)) * 0.7 + [0, 12],
                   rng.normal(size=(300, 2)) * 0.7 + [14, 12]])
    rec = recommend(compare(X, ["kmeans"], k_range=(2, 6)), X)
    table = rec.ranking.set_index("k")
    assert rec.k == 3 and table.loc[4, "min_jaccard"] >= 0.85 and table.loc[4, "split_gain"] < 0
    assert any(r.startswith("k-means with k = 4 also reproduces, but at least one of its segments is one group cut")
               for r in rec.reasons)


# ---- warnings that change how to read the result --------------------------------------

def test_weak_structure_still_chooses_a_partition_and_says_so():
    X = np.random.default_rng(0).normal(size=(400, 6))  # one round cloud: no natural segments
    comparison = compare(X, ["kmeans", "gmm"], k_range=(2, 6))
    rec = recommend(comparison, X)
    assert rec.weak_structure and rec.k >= 2
    assert rec.warnings[0].startswith("The data has weak natural structure: the best model's silhouette is ")
    assert "segments are a practical partition" in rec.warnings[0]
    strong = recommend(compare(blobs()[0], ["kmeans"], k_range=(2, 5)), blobs()[0])
    assert not strong.weak_structure


def test_a_reproducible_split_of_one_cloud_is_still_weak_structure():
    # One 6-D cloud, longer on one axis: k-means halves it the same way every time (ARI > 0.9), but the halves
    # overlap (silhouette below 0.25: no substantial structure in Kaufman and Rousseeuw's bands).
    X = np.random.default_rng(0).normal(size=(500, 6)) * [2, 1, 1, 1, 1, 1]
    rec = recommend(compare(X, ["kmeans"], k_range=(2, 5)), X)
    assert rec.bootstrap_ari > 0.9 and rec.weak_structure
    assert "(below 0.25: the segments overlap heavily, although the same split comes back" in rec.warnings[0]


def test_k_at_the_edge_of_the_range_is_flagged():
    X, _ = blobs()
    top = recommend(compare(X, ["kmeans"], k_range=(2, 3)), X)
    assert top.k == 3 and top.warnings == [
        "The recommended k = 3 is the largest in the range tried; widen the range of k (for example to "
        "2–8) to see whether more segments fit the data better."]
    bottom = recommend(compare(X, ["kmeans"], k_range=(3, 6)), X)
    assert bottom.k == 3 and bottom.warnings == [
        "The recommended k = 3 is the smallest in the range tried; widen the range of k (for example to "
        "2–6) to see whether fewer segments fit the data better."]
    capped = compare(X[:40], ["kmeans"], k_range=(2, 10), max_k=4)  # the cap, not the analyst, set the edge
    assert not any("largest in the range" in w for w in recommend(capped, X[:40]).warnings)


# ---- the project file ----------------------------------------------------------------

@pytest.mark.parametrize(("raw", "message"), [
    ({"rank_by": "inertia"}, "clustering.selection.rank_by is 'inertia'; allowed values are consensus, "),
    ({"max_share": 1.5}, "clustering.selection.max_share is 1.5; use a number from 0 to 1."),
    ({"min_size": 0}, "clustering.selection.min_size is 0; use a whole number from 1 to 1,000,000,000."),
    ({"resamples": 10**6}, "clustering.selection.resamples is 1000000; use a whole number from 0 to 200."),
    ({"candidates": "6"}, "clustering.selection.candidates is '6'; use a whole number from 1 to 50."),
    ({"threshold": 2}, "clustering.selection has unknown key 'threshold'; allowed keys are rank_by, "),
    ({"max_share": 0.2, "min_share": 0.3}, "clustering.selection.max_share must be larger than min_share."),
])
def test_selection_settings_are_validated(raw, message):
    from engine.project import Project

    with pytest.raises(InputError) as caught:
        Project.from_dict({"clustering": {"selection": raw}})
    assert str(caught.value).startswith(message)


def test_selection_settings_round_trip_and_change_the_comparison_fingerprint():
    from engine.analysis.stages import stage_fingerprint
    from engine.project import Project

    project = Project.from_dict({"clustering": {"selection": {"rank_by": "silhouette", "min_size": 20}}})
    again = Project.from_json(project.to_json())
    assert again.clustering.selection == {"rank_by": "silhouette", "min_size": 20}
    assert SelectionRule.from_dict(again.clustering.selection).min_size == 20
    assert stage_fingerprint(project, "comparison") != stage_fingerprint(Project(), "comparison")


def test_a_fragile_chosen_model_is_said_first_and_a_pinned_one_points_to_the_recommendation():
    from engine.analysis.steps import read_first
    from engine.results import Dataset, QualitySummary, Recommendation, Stability

    dataset = Dataset([], "transactions", None, None, pd.DataFrame(), QualitySummary(0, 0, 0), headline=["Money."])
    rec = Recommendation("kmeans", 4, [], "", None, warnings=["Edge."])
    fragile = Stability(10, 0.41, 0.1, {0: 0.5}, verdict="fragile")
    recommended = run_with([0] * 50 + [1] * 50 + [2] * 50 + [3] * 50, "kmeans", 4)
    pinned = run_with([0] * 100 + [1] * 100, "gmm", 2)
    own = read_first(dataset, rec, recommended, fragile)
    assert own[:2] == ["Money.", "Edge."] and own[2].endswith("(mean adjusted Rand index 0.41; 1 means identical), "
                                                              "so treat the boundaries as approximate.")
    assert read_first(dataset, rec, pinned, fragile)[2].endswith("compare with the recommended k-means with k = 4.")
    steady = Stability(10, 0.95, 0.01, {0: 0.97}, verdict="solid")
    assert read_first(dataset, rec, pinned, steady) == ["Money.", "Edge."]
