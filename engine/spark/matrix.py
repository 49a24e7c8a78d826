"""The matrix clustering runs on, built in Spark with the single-machine rules (engine.features.matrix, scaling).

Selected features (the same defaults and checks), missing values given the feature's
median, log1p on the catalogue's skewed features (sign-preserving where a value is
negative, with the same warning), then the named scaling with scikit-learn's
conventions (population standard deviation; a constant feature is not divided).
Statistics are Spark aggregates; quantiles (median, quartiles) are Spark's
``percentile_approx`` at a relative error of 1e-6, exact on data of the sample's size.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.errors import InputError
from engine.features.catalogue import DEFAULT_CUSTOMER_FEATURES, feature_def
from engine.features.matrix import _check_selected
from engine.features.scaling import SCALERS
from engine.project import FeatureSpec

ACCURACY = 1_000_000  # percentile_approx accuracy: relative error 1/ACCURACY


@dataclass
class SparkMatrix:
    """Scaled features per customer in Spark (``customer_id``, ``x0..``, ``features`` vector) and the choices made."""

    frame: object
    names: list[str]
    scaling: str
    log: list[str]
    n_units: int
    labels: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    stats: dict[str, dict[str, float]] = field(default_factory=dict)  # per feature: centre, scale used


def build_matrix(table, available: list[str], spec: FeatureSpec, n_units: int) -> SparkMatrix:
    """``table``: the per-customer features (engine.spark.features.features_of); ``available``: its numeric names."""
    from pyspark.ml.feature import VectorAssembler
    from pyspark.sql import functions as F

    if spec.scaling not in SCALERS:
        raise InputError(f"features.scaling is {spec.scaling!r}; allowed values are {', '.join(SCALERS)}.",
                         field="features.scaling")
    selected = (list(dict.fromkeys(spec.selected)) if spec.selected is not None
                else [n for n in DEFAULT_CUSTOMER_FEATURES if n in available])
    _check_selected(selected, available, "customer")
    labels = {n: feature_def(n).label if feature_def(n) else n for n in available}
    cols = {n: F.when(F.col(n).isNaN() | F.col(n).isin(float("inf"), float("-inf")), None).otherwise(F.col(n))
            for n in selected}
    frame = table.select("customer_id", *[c.alias(n) for n, c in cols.items()])
    counts = frame.agg(*[F.count(F.when(F.col(n).isNull(), 1)).alias(n) for n in selected]).first().asDict()
    warnings = []
    missing = [n for n in selected if counts[n]]
    if missing:
        medians = frame.agg(*[F.percentile_approx(n, 0.5, ACCURACY).alias(n) for n in missing]).first().asDict()
        for n in missing:
            median = medians[n] if medians[n] is not None else 0.0
            frame = frame.fillna({n: median})
            warnings.append(f"Feature {labels.get(n, n)} is missing for {counts[n]:,} of {n_units:,} customers; "
                            f"they were given its median ({median:,.4g}).")
    if spec.log is None:
        log_names = [n for n in selected if feature_def(n) is not None and feature_def(n).skewed]
    else:
        unknown = [n for n in spec.log if n not in available]
        if unknown:
            raise InputError(f"features.log names {unknown[0]!r}, which is not an available feature; available: "
                             f"{', '.join(available)}.", field="features.log")
        log_names = [n for n in selected if n in spec.log]
    if log_names:
        negatives = frame.agg(*[F.count(F.when(F.col(n) < 0, 1)).alias(n) for n in log_names]).first().asDict()
        for n in log_names:
            if negatives[n] and spec.log is not None:
                raise InputError(f"features.log includes {n}, which has {negatives[n]:,} negative values; remove it "
                                 "from features.log or leave features.log unset.", field="features.log")
            if negatives[n]:
                warnings.append(f"Feature {labels.get(n, n)} has {negatives[n]:,} negative values; it was transformed "
                                "with sign(x)·log1p(|x|) instead of log1p.")
        frame = frame.select("customer_id", *[(F.signum(n) * F.log1p(F.abs(n))).alias(n) if n in log_names
                                              else F.col(n) for n in selected])
    stats = _scaling_stats(frame, selected, spec.scaling)
    scaled = [((F.col(n) - stats[n]["centre"]) / stats[n]["scale"]).alias(f"x{i}") for i, n in enumerate(selected)]
    frame = frame.select("customer_id", *scaled)
    frame = VectorAssembler(inputCols=[f"x{i}" for i in range(len(selected))], outputCol="features").transform(frame)
    return SparkMatrix(frame.cache(), selected, spec.scaling, log_names, n_units, labels, warnings, stats)


def _scaling_stats(frame, names: list[str], scaling: str) -> dict[str, dict[str, float]]:
    """Centre and divisor per feature, as scikit-learn's scalers compute them (a zero spread divides by 1)."""
    from pyspark.sql import functions as F

    if scaling == "none":
        return {n: {"centre": 0.0, "scale": 1.0} for n in names}
    if scaling == "standard":
        parts = [F.avg(n).alias(f"{n}|a") for n in names] + [F.stddev_pop(n).alias(f"{n}|b") for n in names]
    elif scaling == "minmax":
        parts = [F.min(n).alias(f"{n}|a") for n in names] + [F.max(n).alias(f"{n}|b") for n in names]
    else:  # robust: median and interquartile range
        parts = [F.percentile_approx(n, [0.25, 0.5, 0.75], ACCURACY).alias(f"{n}|q") for n in names]
    row = frame.agg(*parts).first().asDict()
    out = {}
    for n in names:
        if scaling == "standard":
            centre, spread = row[f"{n}|a"], row[f"{n}|b"]
        elif scaling == "minmax":
            centre, spread = row[f"{n}|a"], row[f"{n}|b"] - row[f"{n}|a"]
        else:
            q1, centre, q3 = row[f"{n}|q"]
            spread = q3 - q1
        out[n] = {"centre": float(centre), "scale": float(spread) if spread and spread > 1e-12 * max(abs(centre), 1)
                  else 1.0}
    return out
