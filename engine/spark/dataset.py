"""Spark mode's data step: tables read, the main one picked, its lines cleaned, the quality summary counted.

The main table is picked as on one machine (:func:`engine.loading.tables.pick_main`'s rule:
transaction tables with a customer id, same-column files stacked); Spark mode needs
transactions with a customer id, since its point is data too large for one machine
and a one-row-per-customer table is not that.
"""

from __future__ import annotations

from dataclasses import replace
from functools import reduce

import pandas as pd

from engine.errors import InputError
from engine.project import Project
from engine.results import QualitySummary
from engine.spark.lines import Lines, canonical_lines
from engine.spark.reading import SparkTable, read_tables


def pick_main(tables: list[SparkTable]) -> tuple[SparkTable, list[str]]:
    """Transaction tables with a customer id; those with the most common columns stacked (a Spark union)."""
    logs = [t for t in tables if t.info.kind == "transactions" and "customer_id" in t.info.roles]
    if not logs:
        kinds = ", ".join(f"{t.info.name} ({t.info.kind.replace('_', ' ')})" for t in tables)
        raise InputError(f"Spark mode needs transaction lines with a customer id, and none of the tables is one "
                         f"({kinds}); build on one machine, or map the roles in data.roles.")
    groups: dict[tuple[str, ...], list[SparkTable]] = {}
    for t in logs:
        groups.setdefault(tuple(t.info.columns), []).append(t)
    group = max(groups.values(), key=lambda g: sum(t.info.n_rows for t in g))
    warnings = [f"{t.info.name} also looks like transactions but has different columns from {group[0].info.name}; "
                "it was not used." for t in logs if t not in group]
    if len(group) == 1:
        return group[0], warnings
    names = [t.info.name for t in group]
    warnings.append(f"{len(group)} transaction files with the same columns were stacked: {', '.join(names)}.")
    frame = reduce(lambda a, b: a.unionByName(b), [t.frame for t in group])
    info = replace(group[0].info, name=" + ".join(names), n_rows=sum(t.info.n_rows for t in group))
    return SparkTable(info, frame, group[0].sample), warnings


def load_lines(spark, project: Project, today=None) -> tuple[Lines, list[SparkTable], QualitySummary]:
    """Read, join and clean the project's data in Spark; the lines stay in Spark, the summary is small."""
    data = project.data
    tables = read_tables(spark, list(data.paths), data.roles)
    main, warnings = pick_main(tables)
    lines = canonical_lines(spark, main, tables, data.returns, data.duplicates, today)
    lines.warnings[:0] = warnings
    lines.frame = lines.frame.cache()
    main.info.n_rows = lines.rows_read
    summary = {"customers": lines.counts["customers"], **lines.dates}
    roles = main.info.roles
    bad_dates = {roles[r]: lines.counts.get(f"bad_{r}", 0) for r in ("date", "signup_date") if r in roles}
    implausible = {roles[r]: lines.counts[f"huge_{r}"] for r in ("quantity", "unit_price", "amount")
                   if lines.counts.get(f"huge_{r}")}
    quality = QualitySummary(
        rows_read=lines.rows_read, rows_used=lines.counts["rows_used"], customers=int(summary["customers"]),
        date_min=pd.Timestamp(summary["date_min"]) if summary.get("date_min") is not None else None,
        date_max=pd.Timestamp(summary["date_max"]) if summary.get("date_max") is not None else None,
        rows_missing_customer=lines.steps[0][0], returns=lines.counts["returns"],
        returns_treatment=lines.findings[-1],
        duplicate_rows=sum(n for n, what in lines.steps if "duplicates" in what),
        identical_rows_kept=lines.counts["identical_kept"], unparseable_dates=bad_dates,
        implausible_numbers=implausible,
        future_dates=sum(n for n, what in lines.steps if "after the build day" in what),
        outlier_rule="Not assessed in Spark mode.", findings=list(lines.findings))
    return lines, tables, quality
