"""An analysis at a date inside the data: the data stage is read once, the features and the narrative follow the date."""

from __future__ import annotations

import pandas as pd

from engine.analysis.runner import Analysis, run_project
from engine.analysis.stages import Stored
from engine.loading.dataset import load_dataset
from engine.project import Project
from engine.synthetic import make_sample


def test_changing_as_of_keeps_the_loaded_data_and_stales_the_features():
    analysis = Analysis(project=Project())
    for stage in ("data", "features"):
        setattr(analysis, stage, Stored(stage, analysis.fingerprint(stage)))
    analysis.project.data.as_of = "2024-06-30"
    assert analysis.status("data") == "done" and analysis.status("features") == "stale"


def test_run_at_a_past_date_narrates_the_cut(tmp_path):
    sample = make_sample(n_customers=300, seed=11, end_date="2024-12-31")
    for name in ("transactions", "customers", "products"):
        sample[name].to_csv(tmp_path / f"{name.capitalize()}.csv", index=False)
    dataset = load_dataset([tmp_path])
    lines = dataset.transactions
    later = lines["date"] >= pd.Timestamp("2024-07-01")
    project = Project()
    project.data.paths = [str(tmp_path)]
    project.data.as_of = "2024-06-30"
    project.clustering.algorithms = ["kmeans"]
    project.clustering.k_range = (2, 4)
    project.clustering.stability_resamples = 0
    result = run_project(project, dataset=dataset)

    assert result.features.lines_after_as_of == int(later.sum()) > 0
    assert len(result.labels) == lines.loc[~later, "customer_id"].nunique()
    first, second = result.narrative["methodology"][:2]
    assert first.endswith(f"{int((~later).sum()):,} transaction lines dated {lines['date'].min():%Y-%m-%d} to "
                          f"2024-06-30 were aggregated into one row per customer, {len(result.labels):,} customers "
                          "in all; every count in this report is customers.")
    assert second.startswith("Recency and tenure are counted in days before the analysis date (2024-06-30")
    assert any(note.startswith("Analysis as of 2024-06-30: ") for note in result.notes)
