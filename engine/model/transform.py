"""The build's feature transforms, stored and replayed: fill values, log list and fitted scaler.

At export the fill values are the medians :func:`engine.features.scaling.fill_missing`
used (the build customers' median of every clustered feature) and the scaler is
refitted on the build's filled and logged values; :func:`check_reproduces` then
asserts that replaying the stored transforms on the build's raw table gives the
build's matrix bit for bit. Scoring replays them on new customers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.errors import InputError
from engine.features.scaling import SCALERS, apply_log

# the fitted attributes of each scaler, in the order transform() applies them
SCALER_FIELDS: dict[str, tuple[str, ...]] = {
    "none": (),
    "standard": ("mean", "scale"),
    "minmax": ("scale", "min"),
    "robust": ("center", "scale"),
}
_SKLEARN_NAMES = {"mean": "mean_", "scale": "scale_", "min": "min_", "center": "center_"}


def fill_values(table: pd.DataFrame, names: list[str]) -> list[float]:
    """The build customers' median of every feature (0 when a feature has no value), as fill_missing takes it."""
    values = table[names].astype("float64").replace([np.inf, -np.inf], np.nan)
    medians = values.median()
    return [0.0 if pd.isna(medians[name]) else float(medians[name]) for name in names]


def filled_and_logged(table: pd.DataFrame, names: list[str], fill: list[float], log: list[str]) -> pd.DataFrame:
    """Raw feature values → missing and infinite values replaced by the stored fill → log1p of the logged ones."""
    values = table[names].astype("float64").replace([np.inf, -np.inf], np.nan)
    missing = {name: values[name].fillna(value) for name, value in zip(names, fill, strict=True)
               if values[name].isna().any()}
    if missing:
        values = values.assign(**missing)
    values, _ = apply_log(values, [name for name in names if name in log], explicit=False)
    return values


def fit_scaler(values: pd.DataFrame, scaling: str) -> dict[str, list[float]]:
    """The fitted parameters of the build's scaler (refitted on the same values, so the same numbers)."""
    maker = SCALERS[scaling].make
    if maker is None:
        return {}
    fitted = maker().fit(values.to_numpy(dtype="float64", copy=True))
    return {field: [float(x) for x in getattr(fitted, _SKLEARN_NAMES[field])] for field in SCALER_FIELDS[scaling]}


def apply_scaler(values: pd.DataFrame, scaling: str, params: dict[str, list[float]]) -> np.ndarray:
    """Scaled matrix, with the operations scikit-learn's transform() does, in the same order."""
    X = values.to_numpy(dtype="float64", copy=True)
    if scaling == "standard":
        X -= np.asarray(params["mean"])
        X /= np.asarray(params["scale"])
    elif scaling == "minmax":
        X *= np.asarray(params["scale"])
        X += np.asarray(params["min"])
    elif scaling == "robust":
        X -= np.asarray(params["center"])
        X /= np.asarray(params["scale"])
    return X


def transform(table: pd.DataFrame, features: dict) -> np.ndarray:
    """The scaled matrix of ``table``'s customers under the model's stored ``features`` section."""
    values = filled_and_logged(table, features["names"], features["fill"], features["log"])
    return apply_scaler(values, features["scaling"], features["scaler"])


def check_reproduces(table: pd.DataFrame, X: np.ndarray, features: dict) -> None:
    """Refuse to save transforms that do not give the build's matrix exactly."""
    again = transform(table, features)
    if again.shape != X.shape or not np.array_equal(again, X):
        raise InputError("The saved feature transforms do not reproduce the build's feature matrix exactly, so no "
                         "model file was written; please report this.")
