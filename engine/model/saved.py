"""A loaded model file: read new data with its rules, compute its features and assign segments.

Scoring recomputes the build's customer features on the new data (the same
catalogue code, with the model's reference-date rule: the ``as_of`` given, else
the day after the last date of the new data), replays the stored fill values,
log transform and scaler, and assigns with the stored algorithm state
(engine.model.assign). Each customer also gets its distance to its segment's
centre in the scaled space and an "outside" flag (the rule is in the model).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from engine.errors import InputError
from engine.model.assign import assign
from engine.model.transform import transform
from engine.results import NOISE, Dataset


@dataclass
class Scored:
    """Every scored customer and the segment shares now against at build time."""

    table: pd.DataFrame  # index customer_id: segment, segment_name, distance, outside, [probability], revenue, last_date
    as_of: pd.Timestamp | None
    shares: pd.DataFrame  # segment, name, build_share, share_now, customers_now
    outside_rule: str
    warnings: list[str] = field(default_factory=list)


class SavedModel:
    """A validated model file (engine.model.validate.load_model builds it)."""

    def __init__(self, spec: dict, source: str = "the model file"):
        self.spec = spec
        self.source = source
        self.segments: dict[int, str] = {int(s["id"]): s["name"] for s in spec["segments"]}
        self.build_shares: dict[int, float] = {int(s["id"]): float(s["build_share"]) for s in spec["segments"]}
        self.unit: str = spec["data"]["unit"]
        self.algorithm: str = spec["algorithm"]["name"]
        self.features: list[str] = list(spec["features"]["names"])

    # ---- data --------------------------------------------------------------
    def load_data(self, paths: list[str]) -> Dataset:
        """Read new data with the model's roles, sheet, returns and duplicates rules."""
        from engine.loading.dataset import load_dataset

        data = self.spec["data"]
        if not paths:
            raise InputError("No data files were given to score; pass one or more files or a folder.")
        return load_dataset(list(paths), roles=data["roles"] or None, sheet=data["sheet"], returns=data["returns"],
                            duplicates=data["duplicates"])

    def score(self, paths: list[str], as_of=None) -> Scored:
        """load_data + score_dataset."""
        return self.score_dataset(self.load_data(paths), as_of=as_of)

    # ---- scoring -------------------------------------------------------------
    def score_dataset(self, dataset: Dataset, as_of=None) -> Scored:
        """The model's features for ``dataset``'s customers at ``as_of``, assigned to the model's segments."""
        from engine.features.matrix import customer_features

        self._check_dataset(dataset)
        table = customer_features(dataset, as_of)[0]
        self._check_features(table)
        if len(table) == 0:
            raise InputError("The data to score has no customers with a transaction up to the scoring date.")
        X = transform(table, self.spec["features"])
        segment, probability = assign(X, self.spec["algorithm"]["assign"], table)
        distance, outside = self._distances(X, segment)
        out = pd.DataFrame({"segment": segment.astype(np.int64),
                            "segment_name": [self.segments.get(int(s), "Unassigned") for s in segment],
                            "distance": distance, "outside": outside}, index=table.index.astype("str"))
        if probability is not None:
            out["probability"] = probability
        out["revenue"] = table["monetary"].to_numpy(dtype="float64") if "monetary" in table else np.nan
        out["last_date"] = _last_dates(dataset, out.index, as_of)
        out.index.name = "customer_id"
        reference = _reference(dataset, as_of)
        return Scored(table=out, as_of=reference, shares=self._shares(out), outside_rule=self.spec["outside"]["rule"],
                      warnings=self._warnings(dataset, out))

    def _check_dataset(self, dataset: Dataset) -> None:
        if dataset.shape == "rows":
            raise InputError("The data to score has no customer id column, so its customers cannot be placed in "
                             "segments; load data with a customer id (or name its column in the project's data.roles).")
        built_on = self.spec["data"]["shape"]
        if dataset.shape != built_on:
            words = {"transactions": "transaction lines", "customer_table": "one row per customer"}
            raise InputError(f"The model was built on {words.get(built_on, built_on)} but the data to score has "
                             f"{words.get(dataset.shape, dataset.shape)}; score data of the same shape as the build's.")

    def _check_features(self, table: pd.DataFrame) -> None:
        from engine.features.catalogue import feature_def

        missing = [name for name in self.features if name not in table.columns]
        if not missing:
            return
        labels = self.spec["features"]["labels"]
        needs = sorted({col for name in missing if feature_def(name) for col in feature_def(name).needs})
        because = f" (it needs the columns for {', '.join(needs)})" if needs else ""
        raise InputError(f"The data to score cannot give the model's feature{'s' if len(missing) > 1 else ''} "
                         f"{', '.join(labels.get(n, n) for n in missing)}{because}; load data with the same columns "
                         "as the build's.")

    def _distances(self, X: np.ndarray, segment: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Distance to the assigned segment's centre (noise and centre-less segments: the nearest centre's),
        and whether the point is beyond every segment's threshold."""
        rows = [s for s in self.spec["segments"] if s["centre"] is not None]
        ids = np.array([s["id"] for s in rows], dtype=np.int64)
        centres = np.array([s["centre"] for s in rows], dtype="float64")
        thresholds = np.array([s["outside_threshold"] for s in rows], dtype="float64")
        # one column per centre, computed as the build computed the thresholds (norm of the difference)
        all_distances = np.column_stack([np.linalg.norm(X - centre, axis=1) for centre in centres])
        position = np.searchsorted(ids, segment)
        known = (position < len(ids)) & (ids[np.minimum(position, len(ids) - 1)] == segment)
        distance = np.where(known, all_distances[np.arange(len(X)), np.minimum(position, len(ids) - 1)],
                            all_distances.min(axis=1))
        outside = (all_distances > thresholds[None, :]).all(axis=1)
        return distance, outside

    def _shares(self, table: pd.DataFrame) -> pd.DataFrame:
        counts = table["segment"].value_counts()
        ids = sorted(set(self.segments) | set(counts.index.tolist()))
        return pd.DataFrame({
            "segment": ids,
            "name": [self.segments.get(i, "Unassigned") for i in ids],
            "build_share": [self.build_shares.get(i, 0.0) for i in ids],
            "share_now": [int(counts.get(i, 0)) / len(table) for i in ids],
            "customers_now": [int(counts.get(i, 0)) for i in ids],
        })

    def _warnings(self, dataset: Dataset, table: pd.DataFrame) -> list[str]:
        warnings = self._role_warnings(dataset)
        n_outside = int(table["outside"].sum())
        if n_outside:
            warnings.append(f"{n_outside:,} of {len(table):,} customers sit outside every segment the model saw "
                            "(see the outside rule); their segment is the nearest one, read it with care.")
        noise = int((table["segment"] == NOISE).sum())
        if noise:
            warnings.append(f"{noise:,} customers are unassigned (density noise), as the model would have left them.")
        return warnings


    def _role_warnings(self, dataset: Dataset) -> list[str]:
        """Roles the build's tables had and the data scored lacks (the features it needs were checked)."""
        now: dict[str, set[str]] = {}
        for info in dataset.tables:
            now.setdefault(info.kind, set()).update(info.roles)
        warnings = []
        for info in self.spec["data"].get("tables", []):
            kind, roles = info.get("kind"), info.get("roles") or {}
            if kind not in ("transactions", "customers", "products", "customer_table") or not roles:
                continue
            if kind not in now:
                warnings.append(f"The build read a {kind} table; the data scored has none.")
                continue
            lacking = [f"{role} ({column})" for role, column in roles.items() if role not in now[kind]]
            if lacking:
                warnings.append(f"The {kind} table scored has no column for {', '.join(lacking)}, which the "
                                "build's had.")
        return list(dict.fromkeys(warnings))


def _reference(dataset: Dataset, as_of) -> pd.Timestamp | None:
    if as_of is not None:
        return pd.Timestamp(as_of).normalize()
    last = dataset.quality.date_max
    if last is None or pd.isna(last):
        return None
    stamp = pd.Timestamp(last)
    return (stamp.tz_localize(None) if stamp.tz is not None else stamp).normalize() + pd.Timedelta(days=1)


def _last_dates(dataset: Dataset, ids: pd.Index, as_of) -> np.ndarray:
    """Last purchase (not a return) per customer, up to ``as_of`` (NaT without dates)."""
    tx = dataset.transactions
    if tx is None or "date" not in tx.columns:
        return np.full(len(ids), np.datetime64("NaT"), dtype="datetime64[ns]")
    dates = pd.to_datetime(tx["date"])
    if dates.dt.tz is not None:
        dates = dates.dt.tz_localize(None)
    keep = dates.notna()
    if "is_return" in tx.columns:
        keep &= ~tx["is_return"].fillna(False).astype(bool)
    if as_of is not None:
        keep &= dates < pd.Timestamp(as_of).normalize() + pd.Timedelta(days=1)
    last = dates[keep].groupby(tx["customer_id"][keep].astype("str")).max()
    return last.reindex(ids).to_numpy(dtype="datetime64[ns]")
