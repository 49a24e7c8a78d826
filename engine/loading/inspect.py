"""Plain-text report of what the loader saw, for ``python -m engine inspect``.

It answers the analyst's first questions before any clustering: which table is
which, which column was taken for which role, did the joins match, and what
did cleaning remove. Everything here is read from the Dataset; nothing is
recomputed.
"""

from __future__ import annotations

import textwrap

from engine.loading.roles import ROLES
from engine.results import Dataset, QualitySummary

_WIDTH = 100
_SHAPES = {
    "transactions": "transaction lines, aggregated to one row per customer",
    "customer_table": "one row per customer, analysed as it is",
    "rows": "rows without customer ids: only row-level analysis is possible",
}


def format_inspect(dataset: Dataset) -> str:
    """Tables, roles, joins, quality figures, findings and warnings as aligned text."""
    lines = [f"Data shape: {dataset.shape} ({_SHAPES.get(dataset.shape, dataset.shape)})", ""]
    lines += _tables(dataset)
    if dataset.joins:
        lines += ["Joins"]
        for join in dataset.joins:
            examples = f" (e.g. {', '.join(join.examples)})" if join.examples else ""
            lines += _wrap(f"{join.left} -> {join.right} on {join.key}: {join.left_unmatched:,} rows unmatched"
                           f"{examples}; {join.right_unmatched:,} {join.right} rows never referenced",
                           indent=2, hang=2)
        lines.append("")
    lines += _quality(dataset.quality)
    lines += _bullets("Findings", dataset.quality.findings)
    lines += _bullets("Warnings", dataset.warnings) if dataset.warnings else ["Warnings", "  none"]
    return "\n".join(lines).rstrip() + "\n"


def _tables(dataset: Dataset) -> list[str]:
    lines = ["Tables"]
    for info in dataset.tables:
        lines.append(f"  {info.name}  [{info.kind}]  {info.n_rows:,} rows x {len(info.columns)} columns")
        width = max((len(role) for role in info.roles), default=0)
        for role, column in info.roles.items():
            lines.append(f"    {role:<{width}}  {column}")
        if not info.roles:
            lines.append("    no column roles recognised")
        unused = [c for c in info.columns if c not in info.roles.values()]
        if unused:
            lines += _wrap("other columns: " + ", ".join(unused), indent=4)
        for note in info.notes:
            lines += _wrap(note, indent=4)
        lines.append("")
    lines += _wrap(f"Roles: {', '.join(ROLES)}; override with data.roles in a project file.", indent=2, hang=2)
    lines.append("")
    return lines


def _quality(quality: QualitySummary) -> list[str]:
    dates = ("-" if quality.date_min is None else
             f"{quality.date_min:%Y-%m-%d} to {quality.date_max:%Y-%m-%d}")
    unreadable = ", ".join(f"{col}: {n:,}" for col, n in quality.unparseable_dates.items()) or "0"
    rows = [
        ("Rows read", f"{quality.rows_read:,}"),
        ("Rows used", f"{quality.rows_used:,}"),
        ("Customers", f"{quality.customers:,}"),
        ("Date range", dates),
        ("Missing customer id", f"{quality.rows_missing_customer:,}"),
        ("Returns / cancellations", f"{quality.returns:,}"),
        ("Exact duplicate rows", f"{quality.duplicate_rows:,}"),
        ("Identical rows kept", f"{quality.identical_rows_kept:,}"),
        ("Unreadable dates", unreadable),
        *([("Dated after build day", f"{quality.future_dates:,}")] if quality.future_dates else []),
        ("Zero/negative prices", f"{quality.non_positive_prices:,}"),
        ("Infinite/huge numbers", ", ".join(f"{col}: {n:,}" for col, n in quality.implausible_numbers.items()) or "0"),
        ("Repeated customer ids", f"{quality.repeated_ids:,}"),
        ("Outliers", f"{quality.outliers:,}"),
    ]
    width = max(len(label) for label, _ in rows)
    lines = ["Data quality"] + [f"  {label:<{width}}  {value}" for label, value in rows]
    lines += _wrap(f"{'Outlier rule':<{width}}  {quality.outlier_rule}", indent=2, hang=width + 2)
    lines += _wrap(f"{'Returns':<{width}}  {quality.returns_treatment}", indent=2, hang=width + 2)
    return lines + [""]


def _bullets(title: str, items: list[str]) -> list[str]:
    lines = [title]
    for item in items:
        lines += _wrap(f"- {item}", indent=2, hang=2)
    return lines + [""]


def _wrap(text: str, indent: int, hang: int = 0) -> list[str]:
    return textwrap.wrap(text, width=_WIDTH, initial_indent=" " * indent,
                         subsequent_indent=" " * (indent + hang), break_on_hyphens=False) or [""]
