"""The customer feature catalogue on Spark: the same definitions, the per-customer aggregates computed by Spark.

Every catalogue entry's ``compute`` (:mod:`engine.features.catalogue`) reads named
per-customer aggregates (frequency, purchase revenue, first and last purchase day,
...) and two scalars (the reference day and the repeat customers' typical gap).
:data:`AGGREGATES` computes those aggregates with one Spark ``groupBy``; each batch
of customers then becomes a :class:`CustomerAggregates` on an executor and the
catalogue's own functions run on it (``mapInPandas``). So a feature is defined once;
what is written twice is only the short list of aggregates below, each the Spark
form of the :class:`engine.features.aggregate.CustomerLines` property of the same
name, and the tests hold both engines to the same numbers. The customer table stays
in Spark: nothing here collects it. An analysis date inside the data (``data.as_of``)
cuts the lines first, by :mod:`engine.features.period`'s rule (:func:`lines_up_to`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.features.aggregate import (
    MAX_CATEGORY_SHARES,
    _day_numbers,
    _reference_day,
    category_names,
    computable,
)
from engine.features.catalogue import FEATURES
from engine.features.period import as_of_stamp, before_first_date
from engine.spark.lines import Lines


def _aggregates(present: set[str]) -> dict:
    """name -> Spark aggregate per customer, the Spark form of each CustomerLines property of that name."""
    from pyspark.sql import functions as F

    buy = ~F.col("is_return")

    def purchases(column):
        return F.sum(F.when(buy, F.coalesce(column, F.lit(0.0))).otherwise(0.0))

    out = {"frequency": F.count_distinct(F.when(buy, F.col("_order_key"))).cast("double")}
    for column in ("amount", "quantity"):
        if column in present:
            out[f"net_{column}"] = F.sum(F.coalesce(F.col(column), F.lit(0.0)))  # number(): missing counts 0
    if "amount" in present:
        out["purchase_revenue"] = purchases(F.col("amount"))
    if "quantity" in present:
        out["items"] = purchases(F.col("quantity"))
    if "date" in present:
        out["first_day"] = F.min(F.when(buy, F.col("date_day")))
        out["last_day"] = F.max(F.when(buy, F.col("date_day")))
        out["purchase_days"] = F.count_distinct(F.when(buy, F.col("date_day"))).cast("double")
    if "signup_date" in present:
        out["signup_day"] = F.min("signup_date_day")
    if "product_id" in present:
        out["distinct_products"] = F.count_distinct(F.when(buy, F.col("product_id"))).cast("double")
    if "region" in present:
        out["region"] = F.min("region")  # one region per customer (the customers table's): its value
    return out


def _order_key(present: set[str]):
    """Order of each line: its order id, else its timestamp, else the line itself (CustomerLines.order_key)."""
    from pyspark.sql import functions as F

    if "order_id" in present:
        parts = [F.concat(F.lit("o"), "order_id")]
        if "date" in present:
            parts.append(F.concat(F.lit("d"), F.col("date").cast("string")))
        return F.coalesce(*parts, F.lit("-"))
    if "date" in present:
        return F.coalesce(F.col("date").cast("string"), F.lit("-"))
    return F.monotonically_increasing_id().cast("string")


class CustomerAggregates:
    """One batch of customers' aggregates, shaped like CustomerLines for the catalogue's ``compute`` functions."""

    def __init__(self, batch: pd.DataFrame, reference: float, typical_repeat_gap: float):
        self.batch, self.reference, self.typical_repeat_gap = batch, reference, typical_repeat_gap
        self.n = len(batch)

    def __getattr__(self, name: str):
        batch = self.__dict__["batch"]
        if name in batch.columns:
            return batch[name].to_numpy(dtype="float64", na_value=np.nan)
        raise AttributeError(name)

    @property
    def orders(self) -> np.ndarray:
        return np.where(self.frequency > 0, self.frequency, np.nan)

    def net_total(self, column: str) -> np.ndarray:
        return self.batch[f"net_{column}"].to_numpy(dtype="float64", na_value=np.nan)

    def customer_attribute(self, column: str) -> pd.Series | None:
        return self.batch[column].reset_index(drop=True) if column in self.batch else None


def lines_up_to(lines: Lines, as_of) -> Lines:
    """:func:`engine.features.period.lines_up_to` in Spark: the lines dated on or before ``as_of``'s calendar day.

    The returned :class:`Lines` counts the lines left out in ``after_as_of``; a line without a date is never after.
    An ``as_of`` on or after the last date costs no Spark job; one before the first date is refused with the
    single-machine sentence.
    """
    from dataclasses import replace

    from pyspark.sql import functions as F

    if as_of is None or "date" not in lines.present:
        return replace(lines, after_as_of=0)
    stamp = as_of_stamp(as_of)
    day = float(_day_numbers(pd.Series([stamp]))[0])
    last = lines.dates.get("last_day")
    if last is None or day >= last:
        return replace(lines, after_as_of=0)
    after = F.coalesce(F.col("date_day") > F.lit(day), F.lit(False))
    n_after = int(lines.frame.agg(F.sum(after.cast("long"))).first()[0] or 0)
    if n_after >= lines.counts["rows_used"]:
        raise before_first_date(stamp, lines.dates["date_min"])
    return replace(lines, frame=lines.frame.where(~after), after_as_of=n_after)


def features_of(lines: Lines, as_of=None, features=None):
    """Per-customer features as a Spark DataFrame (``customer_id``, numeric features, shares, region).

    Returns ``(frame, names, share_names, labels)``: ``names`` the numeric catalogue features in catalogue order,
    ``share_names`` category -> share feature. With ``as_of`` inside the data only the lines dated on or before
    it count (:func:`lines_up_to`, unless ``lines`` are already cut) and recency and tenure are measured from it.
    """
    from pyspark.sql import functions as F
    from pyspark.sql.types import DoubleType, StringType, StructField, StructType

    if as_of is not None and lines.after_as_of is None:
        lines = lines_up_to(lines, as_of)
    present = set(lines.present)
    tx = lines.frame.withColumn("_order_key", _order_key(present))
    aggregates = _aggregates(present)
    per_customer = tx.groupBy("customer_id").agg(*[value.alias(name) for name, value in aggregates.items()]).cache()
    reference, typical = float("nan"), 0.0
    if "date" in present:
        reference = _reference_day(np.array([lines.dates.get("last_day")], dtype="float64"), as_of)
        gap = (F.col("last_day") - F.col("first_day")) / (F.col("purchase_days") - 1)
        found = per_customer.where(F.col("purchase_days") >= 2).agg(F.percentile(gap, 0.5)).first()[0]
        typical = float(found) if found is not None else 0.0
    chosen = [f for f in (FEATURES.values() if features is None else features) if computable(f, present)]
    numeric = [f.name for f in chosen if f.unit != "category"]
    categorical = [f.name for f in chosen if f.unit == "category"]
    schema = StructType([StructField("customer_id", StringType())]
                        + [StructField(n, DoubleType()) for n in numeric]
                        + [StructField(n, StringType()) for n in categorical])

    def compute(batches):
        with np.errstate(divide="ignore", invalid="ignore"):
            for batch in batches:
                lines_like = CustomerAggregates(batch, reference, typical)
                out = pd.DataFrame({"customer_id": batch["customer_id"].to_numpy()})
                for feature in chosen:
                    values = feature.compute(lines_like)
                    if feature.unit == "category":
                        out[feature.name] = np.asarray(values, dtype=object) if values is not None else None
                    else:
                        out[feature.name] = np.asarray(values, dtype="float64")
                yield out

    table = per_customer.mapInPandas(compute, schema)
    share_names: dict[str, str] = {}
    if {"amount", "category"} <= present:
        table, share_names = _with_shares(tx, table)
    return table, numeric, share_names, categorical


def _with_shares(tx, table):
    """Share of each customer's purchase revenue per category (top categories by spend, the rest as Other)."""
    from pyspark.sql import functions as F

    spendable = tx.where(~F.col("is_return") & F.col("category").isNotNull() & (F.col("amount") > 0))
    totals = spendable.groupBy("category").agg(F.sum("amount").alias("amount")).toPandas()  # one row per category
    totals["is_return"] = False
    names = category_names(totals)
    kept = [c for c in names if c != "Other"]
    pooled = "Other" in names and len(totals) > MAX_CATEGORY_SHARES
    column = F.col("category")
    if pooled:
        column = F.when(column.isin(kept), column).otherwise(F.lit("Other"))
    else:
        spendable = spendable.where(column.isin(list(names)))
    spend = spendable.withColumn("_cat", column).groupBy("customer_id").pivot("_cat", list(names)).agg(F.sum("amount"))
    spend = spend.fillna(0.0, subset=list(names))
    total = sum((F.col(f"`{c}`") for c in names), F.lit(0.0))
    shares = spend.select("customer_id", *[F.when(total > 0, F.col(f"`{c}`") / total).otherwise(0.0).alias(name)
                                           for c, name in names.items()])
    table = table.join(shares, "customer_id", "left").fillna(0.0, subset=list(names.values()))
    return table, names
