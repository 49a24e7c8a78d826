"""Chart specs: valid Vega-Lite, inline data under Altair's row limit, one colour per cluster everywhere, SVG that fetches nothing."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from engine.errors import InputError
from engine.results import NOISE, FeatureMatrix, Stability
from engine.views import chart_base, chart_features, chart_models, charts, vegalite
from engine.views.profiles import profile_clusters
from engine.views.projection import Projection, project_2d

N_POINTS = 20_000


def _rows(spec: dict) -> int:
    """Rows embedded in a spec: named datasets plus any inline values."""
    total = sum(len(v) for v in spec.get("datasets", {}).values())

    def walk(node):
        nonlocal total
        if isinstance(node, dict):
            if isinstance(node.get("data"), dict) and "values" in node["data"]:
                total += len(node["data"]["values"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk({k: v for k, v in spec.items() if k != "datasets"})
    return total


def _urls(node) -> list[str]:
    """Every ``url`` key anywhere in the spec (external data)."""
    found = []
    if isinstance(node, dict):
        found += [str(v) for k, v in node.items() if k == "url"]
        for v in node.values():
            found += _urls(v)
    elif isinstance(node, list):
        for v in node:
            found += _urls(v)
    return found


def _layers(spec: dict) -> list[dict]:
    out = []
    for key in ("layer", "concat", "hconcat", "vconcat"):
        for sub in spec.get(key, []):
            out += _layers(sub)
    return out or [spec]


def _color_scale(spec: dict) -> dict:
    for layer in _layers(spec):
        scale = layer.get("encoding", {}).get("color", {}).get("scale")
        if scale and "domain" in scale and "range" in scale:
            return dict(zip(scale["domain"], scale["range"], strict=True))
    raise AssertionError("no colour scale with a domain")


@pytest.fixture(scope="module")
def big():
    """20,000 customers in four clusters, a 3-customer cluster and 30 noise points."""
    rng = np.random.default_rng(11)
    labels = rng.integers(0, 4, N_POINTS)
    labels[:30] = NOISE
    labels[30:33] = 4
    table = pd.DataFrame(
        {
            "recency_days": rng.integers(1, 400, N_POINTS).astype(float),
            "frequency": rng.poisson(3, N_POINTS) + 1.0,
            "monetary": rng.lognormal(5, 1, N_POINTS),
        }
    )
    X = np.log1p(table.to_numpy())
    X = (X - X.mean(0)) / X.std(0)
    features = FeatureMatrix(
        table=table, X=X, names=list(table.columns), unit="customer", scaling="standard", log=["monetary"],
        labels={"recency_days": "Recency (days)", "frequency": "Orders", "monetary": "Spend"},
        revenue=table["monetary"],
    )
    profile = profile_clusters(features, labels)
    projection = project_2d(X, "pca", seed=1, max_points=N_POINTS, labels=labels)  # all 20,000 kept
    stability = Stability(10, 0.81, 0.04, {0: 0.9, 1: 0.7, 2: 0.55, 3: 0.8, 4: 0.3},
                          {0: "solid", 1: "moderate", 2: "fragile", 3: "solid", 4: "fragile"})
    comparison = pd.DataFrame(
        [{"algorithm": a, "k": k, "n_clusters": k, "davies_bouldin": 1.0 / k, "silhouette": 0.1 * k,
          "calinski_harabasz": 100.0 * k, "inertia": 1e5 / k, "status": "ok"}
         for a in ("kmeans", "gmm") for k in range(2, 11)]
        + [{"algorithm": "dbscan", "k": None, "n_clusters": 5, "davies_bouldin": 0.8, "silhouette": 0.3,
            "calinski_harabasz": 90.0, "status": "ok"},
           {"algorithm": "hdbscan", "k": None, "n_clusters": 0, "status": "failed"}]
    )
    names = {0: "Loyal", 1: "Lapsed", 2: "New", 3: "Bargain", 4: "Whales"}
    built = {
        "metric_vs_k": chart_models.metric_vs_k_chart(comparison, algorithm_labels={"kmeans": "k-means"}),
        "scatter": charts.cluster_scatter_chart(projection, names),
        "sizes": charts.sizes_chart(profile, names),
        "heatmap": charts.heatmap_chart(profile, names),
        "distribution": chart_features.distribution_chart(table, "monetary", "Spend (currency)"),
        "correlation": chart_features.correlation_chart(table, list(table.columns), features.labels),
        "stability": chart_models.stability_chart(stability, names),
    }
    return {"charts": built, "labels": labels, "projection": projection, "profile": profile, "table": table,
            "names": names, "comparison": comparison}


CHARTS = ["metric_vs_k", "scatter", "sizes", "heatmap", "distribution", "correlation", "stability"]


@pytest.mark.parametrize("name", CHARTS)
def test_every_chart_fits_altair_row_limit_with_inline_data(big, name):
    spec = big["charts"][name]
    assert 0 < _rows(spec) <= chart_base.MAX_ROWS
    assert _urls(spec) == []
    json.dumps(spec, allow_nan=False)  # plain JSON: no numpy scalars, no NaN


@pytest.mark.parametrize("name", CHARTS)
def test_every_chart_is_valid_vega_lite(big, name):
    """The dict specs pass the Vega-Lite schema Altair ships, as Altair-built charts would."""
    from altair.utils.schemapi import validate_jsonschema
    from altair.vegalite.v6.schema import core

    validate_jsonschema(big["charts"][name], core.load_schema())


@pytest.mark.parametrize("name", CHARTS)
def test_every_chart_renders_to_svg(big, name):
    svg = vegalite.to_svg(big["charts"][name])
    assert svg.lstrip().startswith("<svg")
    assert "href=\"http" not in svg and "url(http" not in svg
    assert 'width="' in svg


def test_scatter_samples_to_the_cap_and_keeps_the_tiny_cluster(big):
    spec = big["charts"]["scatter"]
    (values,) = spec["datasets"].values()
    assert len(values) == chart_base.MAX_ROWS
    counts = pd.Series([v["cluster"] for v in values]).value_counts()
    assert counts["Whales"] == 3 and counts["Unassigned"] == 30
    assert values[0]["cluster"] == "Unassigned"  # noise drawn first, underneath
    assert "5,000 of 20,000 points shown" in spec["title"]["subtitle"]


def test_cluster_colours_are_the_same_in_every_chart(big):
    expected = {"Loyal": chart_base.PALETTE[0], "Lapsed": chart_base.PALETTE[1], "New": chart_base.PALETTE[2],
                "Bargain": chart_base.PALETTE[3], "Whales": chart_base.PALETTE[4]}
    for name in ("scatter", "sizes", "stability"):
        scale = _color_scale(big["charts"][name])
        assert {k: v for k, v in scale.items() if k != "Unassigned"} == expected, name
    assert _color_scale(big["charts"]["scatter"])["Unassigned"] == chart_base.NOISE_COLOR


def test_colour_follows_cluster_id_not_position():
    proj = Projection(pd.DataFrame({"x": [0.0, 1.0], "y": [0.0, 1.0], "row": [0, 1],
                                    "cluster": pd.array([2, 7], dtype="Int64")}), "pca", 2, 2, False, 0, (0.6, 0.4))
    scale = _color_scale(charts.cluster_scatter_chart(proj, {2: "A"}))
    assert scale == {"A": chart_base.PALETTE[2], "Cluster 7": chart_base.PALETTE[7]}


def test_repeated_names_stay_distinct_in_the_legend():
    proj = Projection(pd.DataFrame({"x": [0.0, 1.0], "y": [0.0, 1.0], "row": [0, 1],
                                    "cluster": pd.array([0, 1], dtype="Int64")}), "tsne", 2, 2, False, 0)
    spec = charts.cluster_scatter_chart(proj, {0: "Loyal", 1: "Loyal"})
    assert list(_color_scale(spec)) == ["Loyal", "Loyal (1)"]
    assert spec["encoding"]["x"]["title"] == "t-SNE 1"


def test_metric_panels_state_direction_and_skip_failed_runs(big):
    spec = big["charts"]["metric_vs_k"]
    titles = [panel["title"] for panel in spec["concat"]]
    assert titles == [
        "Davies-Bouldin (lower is better)", "Silhouette (higher is better)",
        "Calinski-Harabasz (higher is better)", "Inertia (lower is better; look for the elbow)",
    ]
    rows = [r for values in spec["datasets"].values() for r in values]
    assert "hdbscan" not in {r["algorithm"] for r in rows}
    assert "k-means" in {r["algorithm"] for r in rows}
    assert "dbscan" not in {r["algorithm"] for r in rows}  # a density method: listed beside the chart, not on k
    assert len(rows) == 2 * 9 * 4  # 4 metrics x 9 k for each of the two swept algorithms
    assert "1 run that chooses its own number of clusters (density methods) is listed separately." in (
        spec["title"]["subtitle"])


def test_density_runs_stay_off_the_k_axis_and_are_listed_with_their_own_counts():
    """DBSCAN finding 150 clusters must not stretch the axis of a k = 2-10 sweep (issue 12)."""
    from engine.clustering.algorithms import ALGORITHMS

    density = [a for a, entry in ALGORITHMS.items() if not entry.needs_k]
    assert density, "the registry has no density method"
    sweep = [{"algorithm": "kmeans", "k": k, "n_clusters": k, "silhouette": 0.3 + k / 100, "davies_bouldin": 1.0,
              "noise_share": 0.0, "status": "ok"} for k in range(2, 11)]
    found = [{"algorithm": a, "k": None, "n_clusters": 150 + i, "silhouette": 0.1, "davies_bouldin": 0.9,
              "noise_share": 0.25, "status": "ok"} for i, a in enumerate(density)]
    table = pd.DataFrame(sweep + found)
    labels = {a: ALGORITHMS[a].label for a in ALGORITHMS}
    spec = chart_models.metric_vs_k_chart(table, algorithm_labels=labels)
    for panel in spec["concat"]:
        for layer in panel["layer"]:
            assert layer["encoding"]["x"]["scale"]["domain"] == [2, 10]
    rows = [r for values in spec["datasets"].values() for r in values]
    assert max(r["k"] for r in rows) == 10 and {r["algorithm"] for r in rows} == {"k-means"}
    listed = chart_models.density_runs(table, labels)
    assert list(listed["Algorithm"]) == [ALGORITHMS[a].label for a in density]
    assert list(listed["Clusters found"]) == [150 + i for i in range(len(density))]
    assert list(listed["Noise"]) == [0.25] * len(density)
    assert chart_models.density_runs(pd.DataFrame(sweep), labels).empty
    only = chart_models.metric_vs_k_chart(pd.DataFrame(found), algorithm_labels=labels)
    (values,) = only["datasets"].values()
    assert "choose their own number of clusters" in values[0]["message"]


@pytest.mark.parametrize(
    "table",
    [pd.DataFrame([{"algorithm": "kmeans", "k": 3, "n_clusters": 0, "status": "failed"}]),
     pd.DataFrame([{"algorithm": "kmeans", "k": 3, "n_clusters": 3, "status": "ok"}]),  # no metric columns
     pd.DataFrame()],
)
def test_metric_chart_with_nothing_to_plot_says_so(table):
    spec = chart_models.metric_vs_k_chart(table)
    (values,) = spec["datasets"].values()
    assert values == [{"message": "No successful runs to compare."}]


def test_sizes_chart_pairs_customer_and_revenue_shares(big):
    profile = big["profile"]
    spec = big["charts"]["sizes"]
    rows = [r for values in spec["datasets"].values() for r in values]
    customers = {r["cluster"]: r["value"] for r in rows if r["measure"] == "Share of customers"}
    revenue = {r["cluster"]: r["value"] for r in rows if r["measure"] == "Share of revenue"}
    assert sum(customers.values()) == pytest.approx(1.0, abs=1e-3)
    assert sum(revenue.values()) == pytest.approx(1.0, abs=1e-3)
    assert customers["Whales"] == pytest.approx(3 / N_POINTS, abs=1e-4)
    assert {r["text"] for r in rows if r["cluster"] == "Whales" and r["measure"] == "Share of customers"} == {"<0.1%"}
    assert customers["Loyal"] == pytest.approx(profile.summary.loc[0, "share"], abs=1e-4)


def test_sizes_chart_without_revenue_draws_visible_bars(big):
    """With one measure, the bars must not sit on a one-value opacity scale (they rendered invisible)."""
    from dataclasses import replace

    summary = big["profile"].summary.copy()
    summary["revenue"] = np.nan
    summary["revenue_share"] = np.nan
    spec = charts.sizes_chart(replace(big["profile"], summary=summary))
    bars = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "bar")
    assert "opacity" not in bars["encoding"]
    assert spec["title"]["text"] == "Cluster sizes: customers"
    with_revenue = big["charts"]["sizes"]
    bars = next(layer for layer in with_revenue["layer"] if layer["mark"]["type"] == "bar")
    assert bars["encoding"]["opacity"]["scale"]["range"] == [1.0, 0.45]


def _two_basis_profile():
    """Spend (heavy-tailed: compared by medians) and a symmetric score (compared in standard deviations)."""
    rng = np.random.default_rng(5)
    labels = np.repeat([0, 1, 2], 400)
    table = pd.DataFrame({
        "monetary": rng.lognormal(4, 1, 1200) * np.repeat([1.0, 3.0, 0.3], 400),
        "satisfaction": rng.normal(5, 1, 1200) + np.repeat([0.0, 1.5, -1.5], 400),
    })
    features = FeatureMatrix(table=table, X=table.to_numpy(), names=list(table.columns), unit="customer",
                             scaling="standard", log=[], labels={"monetary": "Spend", "satisfaction": "Score"})
    return profile_clusters(features, labels)


def test_heatmap_colours_the_level_words_of_the_tables_with_the_number_behind_each():
    """Same statistic as the level words: median ratio for skewed money, SD for the rest; no invented cap."""
    from engine.narrative.levels import feature_levels

    profile = _two_basis_profile()
    spec = charts.heatmap_chart(profile, {0: "Middle", 1: "High", 2: "Low"})
    (rows,) = spec["datasets"].values()
    levels = feature_levels(profile).set_index(["cluster", "feature"])
    names, labels = {"Middle": 0, "High": 1, "Low": 2}, {"Spend": "monetary", "Score": "satisfaction"}
    bases = set()
    for cell in rows:
        row = levels.loc[(names[cell["cluster"]], labels[cell["feature"]])]
        assert cell["level"] == row["level"]
        bases.add(row["basis"])
        if row["basis"] == "median ratio":
            assert cell["text"] == f"{row['ratio']:.2f}×"
        else:
            assert cell["text"] == f"{row['z']:+.2f} sd".replace("-", "\u2212")
    assert bases == {"median ratio", "z"}
    assert {c["level"] for c in rows if c["cluster"] == "High"} <= {"high", "very high"}
    assert {c["level"] for c in rows if c["cluster"] == "Low"} <= {"low", "very low"}
    color = spec["layer"][0]["encoding"]["color"]
    assert color["scale"]["domain"] == ["very low", "low", "average", "high", "very high"]
    subtitle = " ".join(spec["title"]["subtitle"])
    assert "capped" not in subtitle and "median" in subtitle and "standard deviations" in subtitle


def test_heatmap_refuses_an_unknown_feature(big):
    with pytest.raises(InputError, match="'margin' is not in the profile"):
        charts.heatmap_chart(big["profile"], features=["margin"])


def test_distribution_bins_by_hand_and_groups_a_far_tail():
    # 0..998 and 1,000,000: the 99th percentile is 989 + 0.01 * (990 - 989) = 989.01 (linear
    # interpolation at position 0.99 * 999 = 989.01). The tail above it (990..998 and the million,
    # 10 values) spans far more than the rest, so it is counted in the last bar and the axis stops there.
    values = np.append(np.arange(999, dtype=float), 1_000_000.0)
    spec = chart_features.distribution_chart(pd.DataFrame({"spend": values}), "spend", "Spend")
    (rows,) = spec["datasets"].values()
    assert sum(r["count"] for r in rows) == 1000
    assert rows[0]["start"] == 0 and rows[-1]["end"] == pytest.approx(989.01)
    assert rows[-1]["count"] >= 10
    assert "10 above 989 are counted in the last bar" in spec["title"]["subtitle"]


def test_distribution_without_a_far_tail_keeps_the_full_range():
    values = np.arange(100, dtype=float)
    spec = chart_features.distribution_chart(pd.DataFrame({"spend": values}), "spend", "Spend")
    (rows,) = spec["datasets"].values()
    assert rows[0]["start"] == 0 and rows[-1]["end"] == 99
    assert spec["title"]["subtitle"] == "100 customers"


def test_distribution_of_many_rows_is_pre_binned(big):
    spec = big["charts"]["distribution"]
    (rows,) = spec["datasets"].values()
    assert len(rows) <= 40 and sum(r["count"] for r in rows) == N_POINTS


def test_distribution_of_a_constant_and_with_missing_values():
    spec = chart_features.distribution_chart(pd.DataFrame({"v": [5.0, 5.0, np.nan]}), "v", "V", unit="row")
    (rows,) = spec["datasets"].values()
    assert rows == [{"start": 4.5, "end": 5.5, "count": 2}]
    assert spec["title"]["subtitle"] == "2 rows; 1 missing left out"


@pytest.mark.parametrize(
    ("frame", "message"),
    [(pd.DataFrame({"x": [1.0]}), "'spend' is not in the feature table"),
     (pd.DataFrame({"spend": ["a", "b"]}), "no numeric values")],
)
def test_distribution_bad_input(frame, message):
    with pytest.raises(InputError, match=message):
        chart_features.distribution_chart(frame, "spend", "Spend")


def test_correlation_values_by_hand():
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    table = pd.DataFrame({"x": x, "double": 2 * x, "reverse": -x, "cube": x**3, "flat": 1.0})
    pearson = chart_features.correlation_chart(table, ["x", "double", "reverse", "cube", "flat"])
    (rows,) = pearson["datasets"].values()
    cell = {(r["a"], r["b"]): r["value"] for r in rows}
    assert cell[("x", "double")] == 1.0 and cell[("x", "reverse")] == -1.0
    assert cell[("x", "cube")] < 1.0
    assert not any("flat" in key for key in cell)  # no variation: no correlation to show
    assert "without variation" in pearson["title"]["subtitle"]
    spearman = chart_features.correlation_chart(table, ["x", "cube"], method="spearman")
    (rows,) = spearman["datasets"].values()
    assert all(r["value"] == 1.0 for r in rows)  # monotone: rank correlation is exactly 1


@pytest.mark.parametrize(
    ("features", "method", "message"),
    [(["x"], "pearson", "between 2 and"), (["x", "y"], "kendall", "kendall"), (["x", "zz"], "pearson", "'zz'")],
)
def test_correlation_bad_input(features, method, message):
    table = pd.DataFrame({"x": [1.0, 2.0], "y": [2.0, 1.0]})
    with pytest.raises(InputError, match=message):
        chart_features.correlation_chart(table, features, method=method)


def test_stability_chart_draws_reference_lines(big):
    spec = big["charts"]["stability"]
    rows = [r for values in spec["datasets"].values() for r in values]
    assert sorted(r["y"] for r in rows if "y" in r) == [0.6, 0.75]  # rules and their labels share data
    jaccard = {r["cluster"]: r["jaccard"] for r in rows if "jaccard" in r}
    assert jaccard == {"Loyal": 0.9, "Lapsed": 0.7, "New": 0.55, "Bargain": 0.8, "Whales": 0.3}
    assert "10 bootstrap resamples" in spec["title"]["subtitle"]
    # the line labels start at the plot's right edge, so they cannot overprint a bar; "width" is that edge
    # at any width (the app stretches the chart to its column: a fixed pixel position fell between the bars)
    label = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "text")
    assert label["encoding"]["x"] == {"value": "width"} and label["mark"]["align"] == "left"


LONG_NAMES = {0: "Premium occasional buyers", 1: "Lapsed", 2: "New", 3: "Bargain", 4: "Very loyal weekend families"}


@pytest.mark.parametrize("name", ["sizes", "stability", "scatter", "heatmap"])
def test_long_segment_names_are_wrapped_not_cut(big, name):
    build = {
        "sizes": lambda: charts.sizes_chart(big["profile"], LONG_NAMES),
        "stability": lambda: chart_models.stability_chart(Stability(10, 0.8, 0.05, {c: 0.8 for c in range(5)}, {}), LONG_NAMES),
        "scatter": lambda: charts.cluster_scatter_chart(big["projection"], LONG_NAMES),
        "heatmap": lambda: charts.heatmap_chart(big["profile"], LONG_NAMES),
    }
    svg = vegalite.to_svg(build[name]())
    assert "…" not in svg, name  # no label truncated with an ellipsis
    lines = [re.findall(r"<tspan[^>]*>([^<]*)</tspan>", text) for text in re.findall(r"<text[^>]*>(.*?)</text>", svg)]
    wrapped = next((t for t in lines if t and t[0].startswith("Premium")), None)
    assert wrapped and len(wrapped) >= 2 and " ".join(wrapped) == "Premium occasional buyers", (name, lines)


def test_wrapped_names_reach_the_expression_as_quoted_strings():
    expr = chart_base.wrap_label_expr(['Quote " and \\ backslash segment', "Short"], 12)
    mapping = json.loads(expr.split("[datum.label]")[0])
    assert mapping == {'Quote " and \\ backslash segment': ["Quote \" and", "\\ backslash", "segment"]}
    assert chart_base.wrap_label_expr(["Short", "Also short"], 12) is None


def test_failed_runs_are_mentioned_only_when_some_failed(big):
    assert "1 failed run left out" in big["charts"]["metric_vs_k"]["title"]["subtitle"]
    ok = big["comparison"][big["comparison"]["status"] == "ok"]
    for table in (ok, ok[ok["algorithm"] == "kmeans"]):
        assert "failed" not in json.dumps(chart_models.metric_vs_k_chart(table)["title"]).lower()


@pytest.mark.parametrize("render", [vegalite.to_svg, lambda spec: vegalite.to_jpeg(spec, scale=1, quality=80)])
def test_rendering_never_fetches_external_data(render):
    spec = {"data": {"url": "https://example.com/data.csv"}, "mark": "point", "encoding": {"x": {"field": "a", "type": "quantitative"}}}
    with pytest.raises(ValueError, match="not allowed"):
        render(spec)


def test_same_input_same_spec(big):
    again = charts.cluster_scatter_chart(big["projection"], big["names"])
    assert json.dumps(again) == json.dumps(big["charts"]["scatter"])
    assert json.dumps(chart_models.metric_vs_k_chart(big["comparison"], algorithm_labels={"kmeans": "k-means"})) == (
        json.dumps(big["charts"]["metric_vs_k"])
    )


def test_metric_chart_titles_the_k_axis_once_per_column_and_drops_a_one_entry_legend(big):
    several = big["charts"]["metric_vs_k"]
    x_titles = [panel["layer"][0]["encoding"]["x"]["title"] for panel in several["concat"]]
    assert x_titles == [None, None, "Number of clusters (k)", "Number of clusters (k)"]
    assert several["concat"][0]["layer"][0]["encoding"]["color"]["legend"] == {}
    kmeans = big["comparison"][big["comparison"]["algorithm"] == "kmeans"]
    single = chart_models.metric_vs_k_chart(kmeans, metrics=("davies_bouldin", "silhouette", "inertia"),
                                      algorithm_labels={"kmeans": "k-means"})
    assert single["title"]["text"] == "k-means: quality by number of clusters"
    assert all(layer["encoding"]["color"]["legend"] is None for panel in single["concat"] for layer in panel["layer"])
    # three panels in two columns: nothing sits below the second and the third
    assert [p["layer"][0]["encoding"]["x"]["title"] for p in single["concat"]] == [None, "Number of clusters (k)",
                                                                                  "Number of clusters (k)"]
