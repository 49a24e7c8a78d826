"""The session model: staleness is a comparison of fingerprints; the analyst's words survive re-runs."""

import json
from pathlib import Path

import pytest

from engine.analysis.runner import Analysis
from engine.analysis.stages import Stored, stage_fingerprint
from engine.errors import InputError
from engine.project import LabelSpec, Project
from engine.project_paths import REPO_ROOT

STAGES = ("data", "features", "comparison", "choice", "stability", "labels", "projection")


def _all_done(project: Project | None = None) -> Analysis:
    """An analysis whose every stage is stored with the current fingerprint (values are placeholders)."""
    analysis = Analysis(project=project or Project())
    for stage in STAGES:
        setattr(analysis, stage, Stored(f"{stage}-value", analysis.fingerprint(stage)))
    analysis.pdf = Stored(b"%PDF", analysis.fingerprint("pdf"))
    return analysis


def _statuses(analysis: Analysis) -> dict[str, str]:
    return {step: analysis.status(step) for step in ("data", "features", "compare", "label", "report")}


def test_new_analysis_is_pending_everywhere():
    assert set(_statuses(Analysis()).values()) == {"pending"}


def test_stored_with_current_fingerprint_is_done():
    assert set(_statuses(_all_done()).values()) == {"done"}


def test_role_override_makes_data_and_everything_after_it_stale():
    analysis = _all_done()
    analysis.project.data.roles = {"amount": "TotalValue"}
    assert set(_statuses(analysis).values()) == {"stale"}
    assert analysis.current("features") is None  # a stale value is never handed out


def test_scaling_change_keeps_data_but_stales_features_onwards():
    analysis = _all_done()
    analysis.project.features.scaling = "robust"
    assert _statuses(analysis) == {
        "data": "done", "features": "stale", "compare": "stale", "label": "stale", "report": "stale",
    }


def test_unit_of_analysis_does_not_reload_the_files():
    analysis = _all_done()
    analysis.project.data.unit = "row"
    assert analysis.status("data") == "done"
    assert analysis.status("features") == "stale"


def test_pinning_a_model_keeps_the_comparison_but_not_the_choice():
    analysis = _all_done()
    analysis.project.clustering.choice = {"algorithm": "kmeans", "k": 3}
    assert analysis.stage_status("comparison") == "done"
    assert analysis.stage_status("choice") == "stale"
    assert analysis.status("compare") == "stale"
    assert analysis.status("label") == "stale"


def test_k_range_change_stales_the_comparison():
    analysis = _all_done()
    analysis.project.clustering.k_range = (2, 6)
    assert analysis.stage_status("comparison") == "stale"
    assert analysis.status("features") == "done"


def test_stability_resamples_only_affect_the_stability_check():
    analysis = _all_done()
    analysis.project.clustering.stability_resamples = 25
    assert analysis.stage_status("choice") == "done"
    assert analysis.stage_status("stability") == "stale"
    assert analysis.stage_status("labels") == "done"
    # with the check switched off the step no longer waits for it
    analysis.project.clustering.stability_resamples = 0
    assert analysis.status("compare") == "done"


def test_label_edits_and_report_options_only_stale_the_report():
    analysis = _all_done()
    analysis.project.labels[0] = LabelSpec(name="Big spenders")
    assert _statuses(analysis)["label"] == "done"
    assert _statuses(analysis)["report"] == "stale"
    analysis = _all_done()
    analysis.project.report.client = "Acme"
    assert _statuses(analysis)["report"] == "stale"


def test_going_back_to_the_old_choice_makes_it_done_again():
    analysis = _all_done()
    analysis.project.features.scaling = "minmax"
    assert analysis.status("features") == "stale"
    analysis.project.features.scaling = "standard"
    assert analysis.status("features") == "done"


def test_fingerprints_are_chained_downstream():
    a, b = Project(), Project()
    b.data.paths = ["other.csv"]
    for stage in ("data", "features", "comparison", "choice", "labels", "stability", "projection", "report"):
        assert stage_fingerprint(a, stage) != stage_fingerprint(b, stage), stage


def test_running_a_stage_on_stale_input_is_refused():
    analysis = _all_done()
    analysis.project.features.scaling = "robust"
    with pytest.raises(InputError, match="Features step is not up to date"):
        analysis.run_comparison()
    with pytest.raises(InputError, match="not up to date"):
        analysis.to_result()


def test_memo_is_keyed_by_stage_fingerprint(tmp_path):
    calls = []

    def memo(stage, key, compute):
        calls.append((stage, key))
        return "cached"

    analysis = _all_done()
    analysis.memo = memo
    analysis.project.features.scaling = "robust"
    analysis.run_features()
    assert calls == [("features", analysis.fingerprint("features"))]
    assert analysis.features.value == "cached" and analysis.status("features") == "done"


# ---- project files -----------------------------------------------------------

def test_project_file_round_trip_keeps_every_choice():
    project = Project()
    project.data.paths = ["data/sample"]
    project.features.scaling = "robust"
    project.clustering.choice = {"algorithm": "kmeans", "k": 4}
    project.labels[2] = LabelSpec(name="Bargain <hunters>", strategies=["Bundle offers"])
    project.report.client = "Acme & Co"
    restored = Analysis.from_project_json(project.to_json())
    assert restored.project.data.paths == [str(REPO_ROOT / "data" / "sample")]
    assert restored.project.features.scaling == "robust"
    assert restored.project.clustering.choice == {"algorithm": "kmeans", "k": 4}
    assert restored.project.labels[2].name == "Bargain <hunters>"
    assert restored.project.report.client == "Acme & Co"
    assert set(_statuses(restored).values()) == {"pending"}


def test_absolute_path_from_another_checkout_maps_to_this_data_folder():
    text = json.dumps({"data": {"paths": ["/home/someone/segmentation/data/sample"]}})
    restored = Analysis.from_project_json(text)
    assert restored.project.data.paths == [str(REPO_ROOT / "data" / "sample")]


def test_uploaded_file_is_found_by_name(tmp_path):
    (tmp_path / "Transactions.csv").write_text("a,b\n1,2\n")
    text = json.dumps({"data": {"paths": ["/tmp/segmentation-upload-xyz/Transactions.csv"]}})
    restored = Analysis.from_project_json(text, tmp_path)
    assert restored.project.data.paths == [str((tmp_path / "Transactions.csv").resolve())]


@pytest.mark.parametrize("path", ["/etc/passwd", "../../etc/passwd", "missing.csv"])
def test_paths_outside_data_and_uploads_are_refused(tmp_path, path):
    text = json.dumps({"data": {"paths": [path]}})
    with pytest.raises(InputError, match=f"upload {Path(path).name} together with the project file"):
        Analysis.from_project_json(text, tmp_path)


def test_missing_logo_is_dropped_with_a_note(tmp_path):
    text = json.dumps({"report": {"logo": "/somewhere/logo.png"}})
    restored = Analysis.from_project_json(text, tmp_path)
    assert restored.project.report.logo is None
    assert "logo.png" in restored.notes[0]


@pytest.mark.parametrize(
    "text, words",
    [("{not json", "not valid JSON (line 1"), ('{"data": {"unit": "household"}}', "data.unit"), ("[1, 2]", "JSON object")],
)
def test_bad_project_files_say_what_is_wrong(text, words):
    with pytest.raises(InputError, match=words.replace("(", r"\(")):
        Analysis.from_project_json(text)


# ---- real stages on the bundled sample ---------------------------------------------

def _small_sample_project() -> Project:
    project = Project()
    project.data.paths = [str(REPO_ROOT / "data" / "sample")]
    project.clustering.algorithms = ["kmeans"]
    project.clustering.k_range = (3, 5)
    project.clustering.stability_resamples = 0
    return project


def test_label_edits_survive_rerunning_upstream_stages():
    analysis = Analysis(project=_small_sample_project())
    analysis.run_all()
    assert set(_statuses(analysis).values()) - {"pending"} == {"done"}
    generated = analysis.labels.value.generated
    first = min(generated)
    analysis.project.labels[first] = LabelSpec(name="Weekend shoppers", strategies=["Saturday flash sales"])
    analysis.project.features.scaling = "robust"
    assert analysis.status("compare") == "stale"
    analysis.run_all()
    assert analysis.status("label") == "done"
    labels, _, _ = analysis.cluster_labels()
    assert labels[first].name == "Weekend shoppers" and labels[first].edited
    assert labels[first].strategies == ["Saturday flash sales"]
    assert analysis.project.labels[first].name == "Weekend shoppers"
    result = analysis.to_result()
    assert result.cluster_labels[first].name == "Weekend shoppers"
    assert result.features.scaling == "robust"
    assert len(result.labels) == result.profile.n_units


def test_a_new_model_flags_edits_written_for_the_old_one():
    analysis = Analysis(project=_small_sample_project())
    analysis.run_all()
    analysis.project.labels[0] = LabelSpec(name="Loyal")
    analysis.mark_labels_reviewed()
    assert not analysis.edits_for_other_model()
    analysis.project.clustering.choice = {"algorithm": "kmeans", "k": 5}
    analysis.run_all()
    assert analysis.edits_for_other_model()
    assert analysis.project.labels[0].name == "Loyal"  # flagged, never dropped
    analysis.mark_labels_reviewed()
    assert not analysis.edits_for_other_model()


def test_failed_load_keeps_the_previous_dataset(tmp_path):
    analysis = Analysis(project=_small_sample_project())
    analysis.run_data()
    loaded = analysis.data
    (tmp_path / "empty.csv").write_text("CustomerID,TotalValue\n")
    analysis.project.data.paths = [str(tmp_path / "empty.csv")]
    with pytest.raises(InputError):
        analysis.run_data()
    assert analysis.data is loaded
    assert analysis.status("data") == "stale"  # the project now names other files


# ---- the projection is a stage --------------------------------------------------

def test_projection_method_stales_the_projection_and_the_report_only():
    analysis = _all_done()
    analysis.project.report.projection = "tsne"
    assert [analysis.stage_status(s) for s in ("comparison", "choice", "stability", "labels")] == ["done"] * 4
    assert analysis.stage_status("projection") == "stale"
    assert analysis.status("compare") == "stale" and analysis.status("label") == "done"
    assert analysis.status("report") == "stale"
    analysis.project.report.projection = "pca"
    assert analysis.status("compare") == "done"


def test_the_report_shows_the_projection_the_app_shows():
    from engine.report.context import ReportContext
    from engine.report.section_segments import MAX_SCATTER_POINTS, build_visualisation
    from engine.views.projection import PROJECTION_POINTS

    analysis = Analysis(project=_small_sample_project())
    analysis.run_all()
    app_view = analysis.current("projection")
    assert app_view.method == "pca" and len(app_view.frame) == min(PROJECTION_POINTS, app_view.n_points)
    result = analysis.to_result()
    assert result.projection is app_view
    assert result.levels is analysis.current("labels").levels  # the narrative's levels, not recomputed
    assert "projection" in result.timings_s
    data = build_visualisation(ReportContext(result, result.project.report, "today", lambda spec, key: spec))
    points = data["chart"]["datasets"]["points"]
    assert data["shown"] == len(points) == min(MAX_SCATTER_POINTS, len(app_view.frame))
    app_points = set(zip(app_view.frame["x"].round(4), app_view.frame["y"].round(4), strict=True))
    assert {(p["x"], p["y"]) for p in points} <= app_points  # a sample of the same coordinates, nothing re-fitted


def test_no_report_module_runs_a_stage_or_a_projection():
    from engine.project_paths import REPO_ROOT as root

    for path in (root / "engine" / "report").rglob("*.py"):
        text = path.read_text()
        assert "engine.analysis.steps" not in text and "from engine import pipeline" not in text, path.name
        assert "project_2d" not in text and "feature_levels" not in text, path.name


# ---- run_through ----------------------------------------------------------------

def test_run_through_on_a_fresh_analysis_runs_every_upstream_stage_and_no_later_one():
    analysis = Analysis(project=_small_sample_project())
    messages = []
    analysis.run_through("labels", lambda message, fraction: messages.append((message, fraction)))
    assert [analysis.stage_status(s) for s in STAGES[:-1]] == ["done"] * 6
    assert analysis.stage_status("projection") == "pending"
    assert messages[0] == ("Loading data", 0.0) and messages[-1] == ("Done", 1.0)
    fractions = [f for _, f in messages]
    assert fractions == sorted(fractions)
    assert analysis.stale_stages("labels") == [] and analysis.stale_stages() == ["projection"]


def test_run_through_does_nothing_when_up_to_date_and_reruns_only_stale_stages():
    analysis = Analysis(project=_small_sample_project())
    analysis.run_all()
    before = {s: getattr(analysis, s) for s in STAGES}
    messages = []
    analysis.run_through("projection", lambda message, fraction: messages.append(message))
    assert messages == ["Done"]
    assert all(getattr(analysis, s) is before[s] for s in STAGES)
    analysis.project.clustering.choice = {"algorithm": "kmeans", "k": 4}
    analysis.run_through("labels")
    assert all(getattr(analysis, s) is before[s] for s in ("data", "features", "comparison"))
    assert analysis.current("choice").run.n_clusters == 4 and len(analysis.current("labels").generated) == 4
    assert analysis.stage_status("projection") == "stale"  # later than asked: left alone


def test_run_through_an_unknown_stage_is_refused():
    with pytest.raises(ValueError, match="unknown stage 'pdf'"):
        Analysis().run_through("pdf")


# ---- label edits ------------------------------------------------------------------

@pytest.fixture(scope="module")
def labelled() -> Analysis:
    analysis = Analysis(project=_small_sample_project())
    analysis.run_through("labels")
    return analysis


def test_set_label_stores_only_what_differs_from_the_generated_label(labelled):
    labelled.project.labels = {}
    cluster, generated = min(labelled.labels.value.generated.items())
    assert labelled.set_label(cluster, "Weekend shoppers", generated.description, "\n".join(generated.strategies))
    assert labelled.project.labels[cluster] == LabelSpec(name="Weekend shoppers")
    strategies = "  Saturday   flash sales \n\n Loyalty card "
    assert labelled.set_label(cluster, "Weekend shoppers", generated.description, strategies)
    assert labelled.project.labels[cluster].strategies == ["Saturday flash sales", "Loyalty card"]
    assert labelled.project.labels[cluster].description is None
    labels, _, _ = labelled.cluster_labels()
    assert labels[cluster].name == "Weekend shoppers" and labels[cluster].edited
    assert not labelled.set_label(cluster, "Weekend  shoppers ", generated.description, strategies)  # spacing only


def test_editing_back_to_the_generated_text_removes_the_edit(labelled):
    labelled.project.labels = {}
    cluster, generated = max(labelled.labels.value.generated.items())
    labelled.set_label(cluster, "Renamed", "A new description.", ["One strategy"])
    assert cluster in labelled.project.labels
    spaced = "  " + generated.name.replace(" ", "   ") + " "
    assert labelled.set_label(cluster, spaced, generated.description, generated.strategies)
    assert cluster not in labelled.project.labels
    assert not labelled.cluster_labels()[0][cluster].edited
    # blank fields mean "the generated text", so clearing a box is not an edit either
    assert not labelled.set_label(cluster, "   ", "", "")
    assert labelled.project.labels == {}


def test_suppressing_warnings_alone_is_kept_and_reset_clears_everything(labelled):
    labelled.project.labels = {}
    generated = labelled.labels.value.generated
    first, second = sorted(generated)[:2]
    g = generated[first]
    assert labelled.set_label(first, g.name, g.description, g.strategies, suppress_warnings=True)
    assert labelled.project.labels[first] == LabelSpec(suppress_warnings=True)
    labelled.set_label(second, "Second", "", "")
    labelled.reset_labels(first)
    assert list(labelled.project.labels) == [second]
    labelled.reset_labels()
    assert labelled.project.labels == {} and not labelled.edits_for_other_model()


def test_set_label_refuses_unknown_clusters_and_missing_labels(labelled):
    with pytest.raises(InputError, match="There is no cluster 99"):
        labelled.set_label(99, "Ghosts", "", "")
    fresh = Analysis(project=_small_sample_project())
    with pytest.raises(InputError, match="Label step is not up to date"):
        fresh.set_label(0, "Early", "", "")
    assert fresh.project.labels == {}


# ---- unit of analysis --------------------------------------------------------------

def test_unit_change_clears_the_selection_and_log_list_and_stales_features_only():
    analysis = Analysis(project=_small_sample_project())
    analysis.project.features.selected = ["recency_days", "monetary"]
    analysis.project.features.log = ["monetary"]
    analysis.run_through("features")
    assert analysis.units() == ["customer", "row"]
    assert analysis.set_unit("row")
    assert analysis.project.data.unit == "row"
    assert analysis.project.features.selected is None and analysis.project.features.log == []
    assert analysis.status("data") == "done" and analysis.status("features") == "stale"
    analysis.project.features.selected = ["Quantity"]
    assert not analysis.set_unit("row")  # the same unit: nothing is cleared
    assert analysis.project.features.selected == ["Quantity"]
    analysis.project.features.log = None  # "log the skewed defaults" survives a unit change
    assert analysis.set_unit("customer") and analysis.project.features.log is None


def test_a_unit_the_data_cannot_give_is_refused(tmp_path):
    with pytest.raises(InputError, match="'household' is not possible"):
        Analysis().set_unit("household")
    (tmp_path / "log.csv").write_text("C1,2024-01-03,2,9.99\nC2,2024-02-01,1,70\nC3,2024-03-05,1,5\n")
    analysis = Analysis(project=Project())
    analysis.project.data.paths = [str(tmp_path / "log.csv")]
    analysis.project.data.unit = "row"
    analysis.run_data()
    assert analysis.units() == ["row"]  # no customer id: rows only
    with pytest.raises(InputError, match="choose row"):
        analysis.set_unit("customer")
    assert analysis.project.data.unit == "row"


def test_a_one_shot_build_lets_the_lines_go_after_customer_features(tmp_path):
    """run_project keeps the dataset's line tables only until the customer features are built (zero rows,
    same columns after); a dataset passed in by the caller keeps its own lines, and the result is the same."""
    from engine.analysis.runner import run_project
    from engine.analysis.steps import load
    from engine.project import demo_project

    project = demo_project()
    project.clustering.algorithms = ["kmeans"]
    project.clustering.k_range = (2, 4)
    project.clustering.stability_resamples = 0
    dataset = load(project)
    lines, rows = dataset.transactions, dataset.rows
    result = run_project(project, dataset=dataset)
    assert dataset.transactions is lines and dataset.rows is rows and len(lines) > 0
    assert len(result.dataset.transactions) == 0 and list(result.dataset.transactions.columns) == list(lines.columns)
    assert len(result.dataset.rows) == 0 and list(result.dataset.rows.columns) == list(rows.columns)
    assert result.dataset.quality is dataset.quality and result.dataset.customers is dataset.customers
    again = Analysis(project=project)
    again.data = Stored(dataset, again.fingerprint("data"))
    again.run_all()
    assert result.chosen.metrics == again.to_result().chosen.metrics
    assert len(again.to_result().dataset.transactions) == len(lines)  # the app's Analysis keeps them
