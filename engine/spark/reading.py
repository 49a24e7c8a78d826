"""Spark mode's tables: every path any URI Spark reads, roles recognised on a small sample.

A path is a CSV or Parquet file, a folder of such files (each its own table, as on
one machine) or a folder Spark wrote (``part-*`` files, or a glob): one table. The
first lines of each table go through the single-machine reader and role
detection (:mod:`engine.loading.io`, :mod:`engine.loading.roles`), so delimiter,
header, roles and table kind are decided by the same code; Spark then reads the
whole table with those settings, every CSV column as text, and the typing happens
batch by batch with the single-machine parsers (:mod:`engine.spark.typing`).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from engine.errors import InputError
from engine.loading.canonical import Table
from engine.loading.io import CSV_SUFFIXES, PARQUET_SUFFIXES, read_table
from engine.loading.roles import ROLES, classify_with_reason, detect_roles, find_column, unconfirmed_names
from engine.results import TableInfo
from engine.spark.session import spark_errors

SAMPLE_LINES = 2_000  # lines of each table read on the driver to recognise its roles


@dataclass
class SparkTable:
    """One table: its description (roles, kind, row count) and its rows as a Spark DataFrame."""

    info: TableInfo
    frame: object  # pyspark.sql.DataFrame, every column as read (CSV: text)
    sample: pd.DataFrame  # the first lines, as the single-machine reader reads them


def _fs(spark, uri: str):
    jvm = spark._jvm
    path = jvm.org.apache.hadoop.fs.Path(uri)
    return path.getFileSystem(spark._jsc.hadoopConfiguration()), path


def _kind(name: str) -> str | None:
    suffix = Path(name.split("?")[0]).suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    if suffix in CSV_SUFFIXES or suffix in (".gz", ".bz2"):
        return "csv"
    return None


def table_sources(spark, paths: list[str]) -> list[tuple[str, str, str]]:
    """``(name, uri, format)`` per table: files and folders expanded the way the single-machine loader does."""
    if not paths:
        raise InputError("No data paths were given; name files or folders (any URI Spark reads).")
    sources = []
    for raw in paths:
        raw = str(raw)
        if any(c in raw for c in "*?["):
            fmt = _kind(raw) or "csv"
            sources.append((Path(raw).name, raw, fmt))
            continue
        with spark_errors(raw):
            fs, path = _fs(spark, raw)
            if not fs.exists(path):
                raise InputError(f"Spark cannot find {raw}; check the path (it may be any URI Spark reads, "
                                 "e.g. s3a://, abfss://, hdfs://, dbfs:/).")
            status = fs.getFileStatus(path)
            if status.isFile():
                fmt = _kind(raw)
                if fmt is None:
                    raise InputError(f"{raw} is not a CSV or Parquet file; Spark mode reads .csv, .tsv, .parquet "
                                     "and folders of them.")
                sources.append((path.getName(), raw, fmt))
                continue
            children = [c for c in fs.listStatus(path) if not c.getPath().getName().startswith(("_", "."))]
            names = [c.getPath().getName() for c in children]
        if any(n.startswith("part-") for n in names):  # a folder Spark (or Hive) wrote: one table
            fmt = next((_kind(n) for n in names if _kind(n)), "parquet")
            sources.append((Path(raw.rstrip("/")).name, raw, fmt))
            continue
        found = [(n, c.getPath().toString(), _kind(n)) for n, c in zip(names, children, strict=True)
                 if c.isFile() and _kind(n)]
        if not found:
            raise InputError(f"{raw} holds no CSV or Parquet file; Spark mode reads .csv, .tsv, .parquet and "
                             "folders of them.")
        sources += sorted(found)
    return sources


def _csv_sample(spark, uri: str, name: str) -> pd.DataFrame:
    """The first lines of a CSV table, read by the single-machine reader (delimiter, header, text ids)."""
    with spark_errors(uri):
        lines = [row.value for row in spark.read.text(uri).limit(SAMPLE_LINES + 1).collect()]
    if not any(line.strip() for line in lines):
        raise InputError(f"{uri} is empty; export the table again with its rows.")
    with tempfile.TemporaryDirectory() as folder:
        local = Path(folder) / (Path(name).stem + ".csv")
        local.write_text("\n".join(lines) + "\n", encoding="utf-8")
        (_, frame), *_ = read_table(local)
    return frame


def read_source(spark, name: str, uri: str, fmt: str, overrides: dict) -> SparkTable:
    """One table read by Spark, its roles and kind recognised on its first lines."""
    with spark_errors(uri):
        if fmt == "parquet":
            frame = spark.read.parquet(uri)
            sample = frame.limit(SAMPLE_LINES).toPandas()
        else:
            sample = _csv_sample(spark, uri, name)
            header = not sample.attrs.get("headerless", False)
            frame = spark.read.csv(uri, header=header, sep=sample.attrs.get("delimiter", ","), inferSchema=False,
                                   encoding=sample.attrs.get("encoding", "utf-8").replace("-sig", ""),
                                   ignoreLeadingWhiteSpace=True, ignoreTrailingWhiteSpace=True)
        if len(frame.columns) != sample.shape[1]:
            raise InputError(f"{uri}: Spark read {len(frame.columns)} columns but its first lines have "
                             f"{sample.shape[1]}; check the delimiter and the header line.")
        frame = frame.toDF(*[str(c) for c in sample.columns])  # the names the single-machine reader gives
    if sample.empty:
        raise InputError(f"{uri} has no data rows; export the table again with its rows.")
    columns = [str(c) for c in sample.columns]
    local = {r: c for r, c in overrides.items() if not c or find_column(columns, c)}
    roles = detect_roles(sample, local)
    kind, why = classify_with_reason(sample, roles)
    n_rows = len(sample)  # the whole table when shorter than the sample; transactions are counted while cleaned
    if len(sample) >= SAMPLE_LINES and kind != "transactions":
        with spark_errors(uri):
            n_rows = frame.count()
    notes = [f"Classified as {kind}: {why} (on its first {len(sample):,} rows)."] + unconfirmed_names(sample, roles)
    info = TableInfo(name=name, path=uri, kind=kind, n_rows=n_rows, columns=columns, roles=roles, notes=notes)
    return SparkTable(info, frame, sample)


def read_tables(spark, paths: list[str], overrides: dict | None = None) -> list[SparkTable]:
    """Every table of ``paths``; an override naming a column no table has is one sentence."""
    overrides = overrides or {}
    for role in overrides:
        if role not in ROLES:
            raise InputError(f"Unknown role {role!r}; roles are {', '.join(ROLES)}.", field=role)
    tables = [read_source(spark, name, uri, fmt, overrides) for name, uri, fmt in table_sources(spark, paths)]
    for role, column in overrides.items():
        if column and not any(find_column(t.info.columns, column) for t in tables):
            raise InputError(f"Column {column!r} given for role {role} is not in any table.", field=str(column))
    return tables


def as_table(table: SparkTable) -> Table:
    """The sample as a single-machine :class:`~engine.loading.canonical.Table` (for per-table rules)."""
    return Table(table.info, table.sample)
