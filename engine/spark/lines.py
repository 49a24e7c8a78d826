"""Spark mode's canonical transaction lines: typed by the single-machine parsers, joined, cleaned and counted.

Each batch of a table goes through :class:`engine.loading.canonical.TypedColumns` on an
executor (``mapInPandas``), so ids, dates, numbers and labels are read by exactly the
code that reads them on one machine; unreadable and implausible values are flagged
per line and counted in Spark. The side tables (customers, products) are joined in
Spark, the amount and the returns rule are the loader's (:func:`engine.loading.quality.add_amount`,
:func:`~engine.loading.quality.flag_returns`) written as column expressions, and the
cleaning rules run in the loader's order so each removed row is counted once:
no customer id -> no readable date -> dated after the build day -> exact duplicate
-> no readable amount -> (returns="exclude") return lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from engine.errors import InputError
from engine.features.aggregate import _day_numbers
from engine.loading.canonical import DATE_ROLES, NUMBER_ROLES, TEXT_ROLES, TypedColumns
from engine.loading.dates import future_cutoff
from engine.loading.parsing import MAX_MAGNITUDE
from engine.loading.quality import drops_identical, returns_sentence, rows_sentence
from engine.loading.roles import ID_ROLES
from engine.spark.reading import SparkTable

KEY = "_row"  # fingerprint of a line's raw values: identical lines share it


@dataclass
class Lines:
    """The cleaned lines (a Spark DataFrame of canonical columns plus ``day``) and what cleaning did."""

    frame: object
    present: set[str]
    rows_read: int
    steps: list[tuple[int, str]] = field(default_factory=list)  # (rows removed, why), in the rules' order
    counts: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    dates: dict = field(default_factory=dict)  # date_min, date_max (timestamps) and last_day (day number) kept
    after_as_of: int | None = None  # lines dated after data.as_of, left out (None: not cut at an analysis date)


def _typed_schema(roles: dict[str, str]):
    from pyspark.sql.types import DoubleType, StringType, StructField, StructType, TimestampNTZType

    fields = [StructField(KEY, StringType())]
    for role in roles:
        if role in DATE_ROLES:
            fields += [StructField(role, TimestampNTZType()), StructField(f"{role}_day", DoubleType())]
        elif role in NUMBER_ROLES:
            fields += [StructField(role, DoubleType())]
        else:
            fields += [StructField(role, StringType())]
        if role in DATE_ROLES + NUMBER_ROLES:
            fields += [StructField(f"bad_{role}", DoubleType())]
        if role in NUMBER_ROLES:
            fields += [StructField(f"huge_{role}", DoubleType())]
    return StructType(fields)


def _type_batches(roles: dict[str, str]):
    """The mapInPandas function: each batch's role columns typed by the single-machine parsers."""
    wanted = [r for r in ID_ROLES + DATE_ROLES + NUMBER_ROLES + TEXT_ROLES if r in roles]

    def typed(batches):
        for batch in batches:
            columns = TypedColumns(batch.drop(columns=[KEY]), roles)
            out = pd.DataFrame({KEY: batch[KEY].to_numpy()})
            for role in wanted:
                values = columns[role]
                raw = batch[roles[role]]
                if role in DATE_ROLES:
                    out[role] = values.to_numpy(dtype="datetime64[us]")
                    out[f"{role}_day"] = _day_numbers(values)
                    out[f"bad_{role}"] = (_present(raw) & values.isna()).to_numpy(dtype="float64")
                elif role in NUMBER_ROLES:
                    out[role] = values.to_numpy(dtype="float64", na_value=np.nan)
                    out[f"bad_{role}"] = float(0)
                    out.loc[(raw.notna() & values.isna()).to_numpy(), f"bad_{role}"] = 1.0
                    out[f"huge_{role}"] = 0.0
                    if columns.implausible.get(role):
                        numbers = pd.to_numeric(raw, errors="coerce").abs() > MAX_MAGNITUDE
                        out.loc[numbers.to_numpy(), f"huge_{role}"] = 1.0
                else:
                    out[role] = values.astype("object").where(values.notna(), None).to_numpy()
            yield out

    return typed, [r for r in wanted]


def _present(raw: pd.Series) -> pd.Series:
    text = raw.astype("str").str.strip()
    return raw.notna() & ~text.isin(("", "nan", "NaN", "None", "NULL", "null", "NA", "N/A", "n/a", "#N/A", "-", "?"))


def typed_lines(table: SparkTable, roles: dict[str, str] | None = None):
    """The table's role columns typed (canonical names), with ``<date>_day`` numbers and bad-value flags."""
    from pyspark.sql import functions as F

    roles = dict(table.info.roles if roles is None else roles)
    frame = table.frame.withColumn(KEY, F.sha2(F.to_json(F.struct(*[F.col(f"`{c}`") for c in table.frame.columns])),
                                             256))
    needed = [KEY] + list(dict.fromkeys(roles.values()))
    frame = frame.select(*[F.col(f"`{c}`").cast("string") if c != KEY else F.col(KEY) for c in needed])
    function, _ = _type_batches(roles)
    return frame.mapInPandas(function, _typed_schema(roles))


def _side(table: SparkTable, key: str, columns: tuple[str, ...]):
    """A customers or products table typed, one row per id (the first row of a repeated id), ``columns`` kept."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    roles = {r: c for r, c in table.info.roles.items() if r == key or r in columns}
    typed = typed_lines(table, roles).withColumn("_order", F.monotonically_increasing_id())
    typed = typed.where(F.col(key).isNotNull())
    first = Window.partitionBy(key).orderBy("_order")
    typed = typed.withColumn("_n", F.row_number().over(first)).where("_n = 1")
    kept = [c for c in columns if c in roles]
    return typed.select(key, *kept, *[f"{c}_day" for c in kept if c in DATE_ROLES])


def canonical_lines(spark, main: SparkTable, tables: list[SparkTable], returns: str, duplicates: str,
                    today=None) -> Lines:
    """Typed, joined and cleaned transaction lines, with every count the quality summary needs."""
    from pyspark.sql import functions as F

    roles, name = main.info.roles, main.info.name
    tx = typed_lines(main)
    present = set(roles)
    warnings: list[str] = []
    findings: list[str] = []
    side = {t.info.kind: t for t in tables if t is not main}
    people = next((t for t in tables if t is not main and t.info.kind in ("customers", "customer_table")
                   and "customer_id" in t.info.roles), None)
    if people is not None:
        wanted = tuple(c for c in ("region", "signup_date") if c not in roles and c in people.info.roles)
        attrs = _side(people, "customer_id", wanted)
        tx = tx.join(F.broadcast(attrs) if people.info.n_rows < 1_000_000 else attrs, "customer_id", "left")
        present |= set(wanted)
    goods = side.get("products")
    if goods is not None and "product_id" in roles and "product_id" in goods.info.roles:
        wanted = tuple(c for c in ("category", "unit_price") if c not in roles and c in goods.info.roles)
        products = _side(goods, "product_id", wanted)
        tx = tx.join(F.broadcast(products), "product_id", "left")
        present |= set(wanted)
    if "date" not in present:
        warnings.append(f"{name} has no date column, so recency, tenure and purchase intervals cannot be computed.")
    tx = _amount(tx, present, roles, findings).cache()  # the typing (Python) runs once; every count reads this
    lines = Lines(tx, present, main.info.n_rows, warnings=warnings, findings=findings)
    return _clean(lines, roles, name, returns, duplicates, today)


def _amount(tx, present: set[str], roles: dict[str, str], findings: list[str]):
    """amount = given amount, else quantity x unit price (which also fills gaps in a given amount)."""
    from pyspark.sql import functions as F

    if {"quantity", "unit_price"} <= present:
        product = F.col("quantity") * F.col("unit_price")
        product = F.when(F.abs(product) <= MAX_MAGNITUDE, product)
        if "amount" in present:
            return tx.withColumn("amount", F.coalesce("amount", product))
        findings.append(f"Line amounts were computed as {roles['quantity']} x "
                        f"{roles.get('unit_price', 'the products table' + chr(39) + 's price')}.")
        present.add("amount")
        return tx.withColumn("amount", product)
    return tx


def _cancelled(present: set[str]):
    """An order id like "C536379" (the loader's rule; it counts only when fewer than half the ids look so)."""
    from pyspark.sql import functions as F

    return F.coalesce(F.col("order_id").rlike(r"^[Cc]\d"), F.lit(False)) if "order_id" in present else F.lit(False)


def _returns(tx, present: set[str], cancelled_share: float):
    """Negative quantity/amount, or a cancelled order id: :func:`engine.loading.quality.flag_returns` in Spark."""
    from pyspark.sql import functions as F

    is_return = F.lit(False)
    for column in ("quantity", "amount"):
        if column in present:
            is_return = is_return | F.coalesce(F.col(column) < 0, F.lit(False))
    if cancelled_share < 0.5:
        is_return = is_return | _cancelled(present)
    tx = tx.withColumn("is_return", is_return)
    for column in ("quantity", "amount"):
        if column in present:
            tx = tx.withColumn(column, F.when(F.col("is_return"), -F.abs(column)).otherwise(F.col(column)))
    return tx


def _clean(lines: Lines, roles: dict[str, str], name: str, returns: str, duplicates: str, today) -> Lines:
    """The loader's cleaning rules in its order, counted in two passes over the cached lines."""
    from pyspark.sql import functions as F

    tx, present = lines.frame, lines.present
    rules = [("had no customer id", F.col("customer_id").isNull())]
    if "date" in present:
        cutoff = future_cutoff(today)
        rules += [(f"had a missing or unreadable date in {roles['date']!r}", F.col("date").isNull()),
                  (f"were dated after the build day ({cutoff - pd.Timedelta(days=1):%Y-%m-%d})",
                   F.col("date") >= F.lit(cutoff.to_pydatetime()))]
    prefixes = list(_prefixes(rules))
    bad = [F.sum(f"bad_{r}").alias(f"bad_{r}") for r in roles if r in DATE_ROLES + NUMBER_ROLES]
    bad += [F.sum(f"huge_{r}").alias(f"huge_{r}") for r in roles if r in NUMBER_ROLES]
    first = tx.agg(F.count(F.lit(1)).alias("read"), F.avg(_cancelled(present).cast("double")).alias("cancelled"),
                   *[F.sum(F.when(~condition, 1).otherwise(0)).alias(f"keep{i}")
                     for i, (_, condition) in enumerate(prefixes)], *bad).first().asDict()
    lines.rows_read = kept = int(first["read"])
    removed = []
    for i, (what, _) in enumerate(rules):
        now = int(first[f"keep{i}"])
        removed.append((kept - now, what))
        kept = now
    tx = _returns(tx.where(~prefixes[-1][1]), present, float(first["cancelled"] or 0.0))
    dropping = drops_identical(duplicates, roles)
    if dropping:
        tx = tx.dropDuplicates([KEY])
    has_amount = F.col("amount").isNotNull() if "amount" in present else F.lit(True)
    final = has_amount & (~F.col("is_return") if returns == "exclude" else F.lit(True))
    second = tx.agg(
        F.count(F.lit(1)).alias("rows"), F.sum(has_amount.cast("int")).alias("with_amount"),
        F.sum((has_amount & F.col("is_return")).cast("int")).alias("returns"),
        F.sum(final.cast("int")).alias("final"), F.count_distinct(F.when(final, F.col(KEY))).alias("distinct"),
        F.count_distinct(F.when(final, F.col("customer_id"))).alias("customers"),
        *([F.min(F.when(final, F.col("date"))).alias("date_min"), F.max(F.when(final, F.col("date"))).alias("date_max"),
           F.max(F.when(final, F.col("date_day"))).alias("last_day")] if "date" in present else []),
    ).first().asDict()
    if dropping:
        forced = " (data.duplicates is \"drop\")" if "order_id" not in roles else ""
        removed.append((kept - int(second["rows"]), f"were exact duplicates of an earlier row{forced}"))
    if "amount" in present:
        removed.append((int(second["rows"]) - int(second["with_amount"]), "had no readable amount"))
    n_returns = int(second["returns"] or 0)
    if returns == "exclude":
        removed.append((n_returns, "were returns or cancellations (returns='exclude')"))
    kept = int(second["final"] or 0)
    if kept == 0:
        reasons = ", ".join(f"{n:,} {what}" for n, what in removed if n)
        raise InputError(f"All {lines.rows_read:,} rows of {name} were removed during cleaning ({reasons}); "
                         "check the column roles with `python -m engine inspect`.")
    lines.frame, lines.steps = tx.where(final).drop(KEY), removed
    lines.counts = {"rows_used": kept, "returns": n_returns, "customers": int(second["customers"]),
                    "identical_kept": 0 if dropping else kept - int(second["distinct"]),
                    **{k: int(v or 0) for k, v in first.items() if k.startswith(("bad_", "huge_"))}}
    lines.dates = {k: second.get(k) for k in ("date_min", "date_max", "last_day")}
    lines.findings[:0] = [rows_sentence(n, lines.rows_read, f"{what} and were excluded") for n, what in removed if n]
    lines.findings.append(returns_sentence(n_returns, lines.rows_read, returns))
    if not any(n for n, _ in removed):
        lines.findings.insert(0, f"All {lines.rows_read:,} rows were used; no row was removed by cleaning.")
    return lines


def _prefixes(rules):
    """Each rule joined with the ones before it: rows surviving rules 0..i."""
    from pyspark.sql import functions as F

    combined = F.lit(False)
    for what, condition in rules:
        combined = combined | F.coalesce(condition, F.lit(False))
        yield what, combined
