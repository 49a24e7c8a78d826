"""The analyst's tables as read: each file's tables with their roles and kind, the main one, the side ones.

:func:`load_tables` reads every file (:mod:`engine.loading.io`) and recognises each
table's column roles and kind (:mod:`engine.loading.roles`); :func:`pick_main` picks
the table the analysis runs on (transactions, same-layout files stacked, else a
one-row-per-customer table, else the largest) and :func:`side_table` the
customers or products table to join to it.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from engine.errors import InputError
from engine.loading.canonical import Table
from engine.loading.excel import workbook_sheets
from engine.loading.io import EXCEL_SUFFIXES, expand_paths, read_table
from engine.loading.limits import ReadLimits
from engine.loading.roles import (
    ROLES,
    classify_with_reason,
    detect_roles,
    find_column,
    measures_by_content_notes,
    unconfirmed_names,
)
from engine.results import TableInfo


def load_tables(files, overrides: dict[str, str | None], sheet, exclude_sheets=(),
                notes: list[str] | None = None, limits: ReadLimits | None = None) -> list[Table]:
    """Every table of every file (each workbook sheet its own), roles recognised; ``notes`` gets unread sheets.

    ``limits``: rows, columns and workbook size read (:mod:`engine.loading.limits`); notes say what was left out.
    """
    for role in overrides:
        if role not in ROLES:
            raise InputError(f"Unknown role {role!r}; roles are {', '.join(ROLES)}.", field=role)
    exclude = check_exclusions(files, sheet, exclude_sheets)
    tables, file_notes = [], notes if notes is not None else []
    for path in files:
        for name, frame in read_table(path, sheet=sheet, exclude=exclude, notes=file_notes, limits=limits):
            columns = [str(c) for c in frame.columns]
            local = {r: c for r, c in overrides.items() if not c or find_column(columns, c)}
            roles = detect_roles(frame, local)
            kind, why = classify_with_reason(frame, roles)
            why_notes = [f"Classified as {kind}: {why}."] + unconfirmed_names(frame, roles)
            by_content = measures_by_content_notes(frame, {r: c for r, c in roles.items() if r not in local})
            why_notes += [n for n in by_content if n not in why_notes]
            if frame.attrs.get("dropped_index"):
                why_notes.append("An unnamed row-number column (an exported index) was dropped.")
            if frame.attrs.get("headerless"):
                why_notes.append(f"No header row: columns are named column_1..column_{len(columns)}.")
            info = TableInfo(name=name, path=str(path), kind=kind, n_rows=len(frame), columns=columns,
                             roles=roles, sheet=frame.attrs.get("sheet"), notes=why_notes)
            tables.append(Table(info, frame))
    for role, column in overrides.items():
        if column and not any(find_column(t.info.columns, column) for t in tables):
            listing = "; ".join(f"{t.info.name}: {', '.join(t.info.columns)}" for t in tables)
            raise InputError(f"Column {column!r} given for role {role} is not in any table (columns are {listing}).",
                             field=str(column))
    return tables


def check_exclusions(files, sheet, exclude_sheets) -> set[str]:
    """The sheet names of ``data.exclude_sheets``, each the name of a sheet in some workbook given."""
    exclude = set(exclude_sheets or ())
    if not exclude:
        return exclude
    if isinstance(sheet, str) and sheet in exclude:
        raise InputError(f"Sheet {sheet!r} is both pinned by data.sheet and listed in data.exclude_sheets; "
                         "remove it from one of them.", field="data.exclude_sheets")
    books = [Path(f) for f in files if Path(f).suffix.lower() in EXCEL_SUFFIXES]
    known = {name for book in books for name in workbook_sheets(book)}
    unknown = sorted(exclude - known)
    if unknown:
        where = (f"the workbooks' sheets are {', '.join(sorted(known))}" if known
                 else "no Excel workbook was given")
        raise InputError(f"data.exclude_sheets names {'a sheet' if len(unknown) == 1 else 'sheets'} that no workbook "
                         f"has ({', '.join(repr(n) for n in unknown)}); {where}.", field="data.exclude_sheets")
    return exclude


def sheet_statuses(data, tables: list[TableInfo]) -> list[dict[str, str]]:
    """One row per sheet of each workbook in ``data.paths`` (a DataSpec): whether and as what it was read."""
    try:
        books = [p for p in expand_paths(data.paths) if p.suffix.lower() in EXCEL_SUFFIXES]
    except InputError:  # the files moved since loading: nothing to list
        return []
    rows = []
    for book in books:
        read = {t.sheet: t.kind for t in tables if t.sheet is not None and Path(t.path) == book}
        for name in workbook_sheets(book):
            if name in read:
                status = f"read as {read[name].replace('_', ' ')}"
            elif data.sheet is not None:
                status = "not read: the project pins another sheet (data.sheet)"
            elif name in (data.exclude_sheets or ()):
                status = "excluded"
            else:
                status = "skipped: no data rows"
            rows.append({"Workbook": book.name, "Sheet": name, "Status": status})
    return rows


def pick_main(tables: list[Table]) -> tuple[Table, list[str]]:
    """Transactions (same-layout files stacked), else a customer table, else the largest table."""
    warnings: list[str] = []
    logs = [t for t in tables if t.info.kind == "transactions"]
    logs = [t for t in logs if "customer_id" in t.info.roles] or logs
    if not logs:
        tables_by_pref = [t for t in tables if t.info.kind == "customer_table"] or tables
        return max(tables_by_pref, key=lambda t: t.info.n_rows), warnings
    groups: dict[tuple[str, ...], list[Table]] = {}
    for t in logs:
        groups.setdefault(tuple(t.info.columns), []).append(t)
    group = max(groups.values(), key=lambda g: sum(t.info.n_rows for t in g))
    for t in logs:
        if t not in group:
            warnings.append(f"{t.info.name} also looks like transactions but has different columns from "
                            f"{group[0].info.name}; it was not used.")
    if len(group) == 1:
        return group[0], warnings
    frame = pd.concat([t.frame for t in group], ignore_index=True)
    names = [t.info.name for t in group]
    warnings.append(f"{len(group)} transaction files with the same columns were stacked: {', '.join(names)}.")
    info = replace(group[0].info, name=" + ".join(names), n_rows=len(frame), notes=list(group[0].info.notes))
    return Table(info, frame), warnings


def side_table(tables: list[Table], main: Table, kinds: tuple[str, ...], key: str,
                warnings: list[str]) -> Table | None:
    used = set(main.info.name.split(" + "))
    found = [t for t in tables if t.info.kind in kinds and key in t.info.roles and t.info.name not in used]
    for extra in found[1:]:
        warnings.append(f"{extra.info.name} was not used: {found[0].info.name} already provides the {extra.info.kind}.")
    return found[0] if found else None
