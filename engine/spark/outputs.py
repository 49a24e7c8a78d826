"""Outputs Spark writes itself: the cluster assignments, one line per customer, never through the driver.

``--assignments`` ending in ``.parquet`` (or naming a folder) gets a folder of part files;
one ending in ``.csv`` gets a single CSV file (Spark writes it from one task, then the
part is moved into place). The columns are the single-machine file's: ``customer_id,
cluster_id, cluster_name``; text a spreadsheet would run as a formula is neutralised
(:func:`engine.formatting.neutralise`'s rule).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from engine.formatting import _FORMULA_PREFIXES, cluster_name, neutralise


def _safe(column):
    from pyspark.sql import functions as F

    pattern = "^[" + "".join("\\" + c for c in _FORMULA_PREFIXES) + "]"
    return F.when(column.rlike(pattern), F.concat(F.lit("'"), column)).otherwise(column)


def write_assignments(assignments, names: dict[int, str], path: str) -> str:
    """Write ``assignments`` (customer_id, cluster) with the segment names; returns what was written."""
    from pyspark.sql import functions as F

    labels = F.create_map(*[F.lit(v) for c, name in sorted(names.items())
                            for v in (int(c), neutralise(name or cluster_name(int(c))))])
    frame = assignments.select(_safe(F.col("customer_id")).alias("customer_id"),
                               F.col("cluster").cast("int").alias("cluster_id"),
                               labels[F.col("cluster")].alias("cluster_name")).orderBy("customer_id")
    target = Path(path) if "://" not in path and not path.startswith("dbfs:") else None
    if path.endswith(".parquet") or target is None or not path.endswith(".csv"):
        writer = frame.write.mode("overwrite")
        (writer.parquet(path) if path.endswith(".parquet") else writer.option("header", True).csv(path))
        return f"{path} (a folder of part files)"
    folder = Path(tempfile.mkdtemp(prefix="assignments-", dir=target.parent))
    try:
        frame.coalesce(1).write.mode("overwrite").option("header", True).csv(str(folder / "out"))
        part = next((folder / "out").glob("part-*.csv"))
        shutil.move(str(part), target)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return str(target)
