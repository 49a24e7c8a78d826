"""Write the chosen model as a plain JSON model file (format "segmentation-model", version 1).

The file holds everything needed to place a new customer the way the build
placed its own: the data rules (roles, returns, duplicates, unit), the features
in order with their labels, fill values, log list and fitted scaler, the chosen
algorithm's assignment state (engine.model.fitted), the segments with their names,
build shares, centres in scaled space and the thresholds of the "outside" rule,
and where it came from (project-file hash, package versions, build date, as-of).
Before anything is returned, the stored model is run on the build's own matrix
and must give the build's segments for every customer.
"""

from __future__ import annotations

import hashlib
import json
import platform
from datetime import UTC, datetime
from importlib import metadata

import numpy as np
import pandas as pd

from engine.errors import InputError
from engine.model.assign import assign
from engine.model.fitted import assign_state
from engine.model.transform import check_reproduces, fill_values, filled_and_logged, fit_scaler
from engine.results import NOISE

FORMAT = "segmentation-model"
VERSION = 1
OUTSIDE_PERCENTILE = 99.0
_PACKAGES = ("numpy", "pandas", "scikit-learn", "scipy")


def outside_rule_sentence(percentile: float) -> str:
    return (f"A customer is flagged outside when its distance (in the scaled feature space) to every segment's "
            f"centre is beyond that segment's {percentile:g}th percentile of the build customers' distances to "
            "their own segment's centre.")


def export_model(result) -> dict:
    """The model file's content for ``result`` (an AnalysisResult), as a JSON-able dict."""
    from engine.report.exports import cluster_names

    features = result.features
    if features.unit != "customer":
        raise InputError("This analysis segments rows, not customers, so it cannot be saved as a model for scoring "
                         "new customers; set data.unit to \"customer\".")
    project = result.project
    section = _features_section(features)
    X = np.asarray(features.X, dtype="float64")
    labels = np.asarray(result.labels, dtype=np.int64)
    state = assign_state(result)
    agreement = float(np.mean(assign(X, state, features.table)[0] == labels))
    notes = []
    if state.get("capped"):  # fitted on more points than a file stores: exact for the stored ones only
        notes.append(f"The method was fitted on all {len(X):,} customers but the file stores a seeded sample of "
                     f"{len(state['points']):,} (its cap); they keep their segment and the other build customers "
                     f"get the nearest stored customer's, the build's segment for {agreement:.2%} of them.")
    elif agreement < 1.0:
        raise InputError(f"The saved model places only {agreement:.2%} of the build's customers in their segment, so "
                         "no model file was written; please report this.")
    names = cluster_names(result)
    data = result.dataset
    model = {
        "format": FORMAT,
        "version": VERSION,
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "provenance": {
            "project_sha256": hashlib.sha256(project.to_json().encode()).hexdigest(),
            "packages": {"python": platform.python_version(), **{name: _version(name) for name in _PACKAGES}},
        },
        "data": _data_section(project, data),
        "features": section,
        "algorithm": {
            "name": result.chosen.algorithm, "k": result.chosen.params.get("k"),
            "n_clusters": int(result.chosen.n_clusters), "seed": int(project.clustering.seed),
            "params": _plain(result.chosen.params), "fitted_on": int(result.chosen.fitted_on),
            "sampled": bool(result.chosen.sampled), "assign": state,
        },
        "segments": _segments(X, labels, names, state),
        "outside": {"percentile": OUTSIDE_PERCENTILE, "rule": outside_rule_sentence(OUTSIDE_PERCENTILE)},
        "build": {"customers": int(len(labels)), "agreement": agreement, "notes": notes},
    }
    return model


def model_json(result) -> str:
    """The model file's text (what ``build --export-model`` writes and the Report page downloads)."""
    return json.dumps(export_model(result), allow_nan=False, indent=1)


def _features_section(features) -> dict:
    names = list(features.names)
    fill = fill_values(features.table, names)
    log = [name for name in names if name in features.log]
    scaler = fit_scaler(filled_and_logged(features.table, names, fill, log), features.scaling)
    section = {"names": names, "labels": {n: features.labels.get(n, n) for n in names}, "fill": fill, "log": log,
               "scaling": features.scaling, "scaler": scaler}
    check_reproduces(features.table, np.asarray(features.X, dtype="float64"), section)
    return section


def _data_section(project, data) -> dict:
    q = data.quality
    last = _day(q.date_max)
    build_as_of = _day(project.data.as_of) if project.data.as_of else (last + pd.Timedelta(days=1) if last else None)
    return {
        "unit": "customer",
        "shape": data.shape,
        "roles": dict(project.data.roles),
        "tables": [{"kind": t.kind, "roles": dict(t.roles)} for t in data.tables],
        "returns": project.data.returns,
        "duplicates": project.data.duplicates,
        "sheet": project.data.sheet,
        "currency": None,  # the loader does not learn a currency from the data (money is written without one)
        "as_of_rule": "the scoring date given (--as-of), else the day after the last date in the data scored",
        "build_as_of": build_as_of.strftime("%Y-%m-%d") if build_as_of is not None else None,
        "date_range": [_day(v).strftime("%Y-%m-%d") if _day(v) is not None else None for v in (q.date_min, q.date_max)],
    }


def _segments(X: np.ndarray, labels: np.ndarray, names: dict[int, str], state: dict) -> list[dict]:
    n = len(labels)
    rows = []
    for segment in sorted(set(labels.tolist())):
        members = X[labels == segment]
        row = {"id": int(segment), "name": names.get(segment, "Unassigned" if segment == NOISE else f"Segment {segment}"),
               "build_customers": int(len(members)), "build_share": len(members) / n, "centre": None,
               "outside_threshold": None}
        if segment != NOISE:
            centre = members.mean(axis=0)
            distances = np.linalg.norm(members - centre, axis=1)
            row["centre"] = centre.tolist()
            row["outside_threshold"] = float(np.percentile(distances, OUTSIDE_PERCENTILE))
        rows.append(row)
    if state["method"] == "rfm":  # rule segments no build customer fell in can still be reached by new customers
        known = {row["id"] for row in rows}
        for segment, name in zip(state["segment_of"], state["names"], strict=True):
            if segment not in known:
                rows.append({"id": segment, "name": name, "build_customers": 0, "build_share": 0.0, "centre": None,
                             "outside_threshold": None})
    return rows


def _day(value):
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    stamp = pd.Timestamp(value)
    return (stamp.tz_localize(None) if stamp.tz is not None else stamp).normalize()


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _plain(value):
    """Parameters as JSON values (numpy scalars → Python numbers)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value
