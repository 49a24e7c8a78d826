"""Read the analyst's files into DataFrames, or say in one sentence why not.

CSV is sniffed rather than configured (delimiter among ``, ; TAB |``; UTF-8 with
or without BOM, UTF-16 with BOM, Latin-1 as the last resort; a first row that
looks like data means there is no header), because analysts upload whatever
their tool exported. Excel (every sheet a table, :mod:`engine.loading.excel`) and Parquet are read as they are. Every failure
caused by the file raises :class:`InputError` naming the file. Reading a
file's first lines (delimiter, header row, decimal comma, id columns kept as
text) lives in :mod:`engine.loading.sniff`; turning text columns into typed values in
:mod:`engine.loading.parsing`, applied once per table by :mod:`engine.loading.canonical`.
"""

from __future__ import annotations

import csv
import re
import warnings
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from engine.errors import InputError
from engine.loading.excel import read_excel
from engine.loading.limits import ReadLimits, cap_columns, check_rows, parquet_columns
from engine.loading.parsing import to_numbers
from engine.loading.sniff import (
    check_duplicate_names,
    decimal_mark,
    delimiter_name,
    id_text_columns,
    looks_like_data,
    sniff_delimiter,
    title_rows,
)

CSV_SUFFIXES = (".csv", ".tsv")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
PARQUET_SUFFIXES = (".parquet", ".pq")
SUPPORTED_SUFFIXES = CSV_SUFFIXES + EXCEL_SUFFIXES + PARQUET_SUFFIXES

_SAMPLE_BYTES = 64 * 1024
_SAMPLE_LINES = 50
_MAGIC = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive or Excel workbook (if it is a workbook, rename it to .xlsx)"),
    (b"\xd0\xcf\x11\xe0", "an old Office file such as .xls (save it as .xlsx or CSV)"),
    (b"PAR1", "a Parquet file (rename it to .parquet)"),
    (b"\x1f\x8b", "a gzip archive (unpack it first)"),
)
_CONTROLS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")  # control characters but tab, newlines, form feed
_SUPPORTED_TEXT = "CSV (.csv, .tsv), Excel (.xlsx, .xlsm) or Parquet (.parquet, .pq)"


def expand_paths(paths: str | Path | Iterable[str | Path]) -> list[Path]:
    """Turn files and folders into the list of files to load.

    A folder expands to its supported files (sorted by name, hidden files and
    Excel lock files skipped) so an analyst can point at an export folder.
    """
    items = [paths] if isinstance(paths, str | Path) else list(paths)
    if not items:
        raise InputError(f"No data files were given; pass one or more {_SUPPORTED_TEXT} files or a folder.")
    files: list[Path] = []
    for item in items:
        path = Path(item)
        if not path.exists():
            raise InputError(f"{path} does not exist; check the path.", field=str(path))
        if path.is_dir():
            found = sorted(
                p
                for p in path.iterdir()
                if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES and not p.name.startswith((".", "~$"))
            )
            if not found:
                raise InputError(f"Folder {path} has no data files; put {_SUPPORTED_TEXT} files in it.", field=str(path))
            files.extend(found)
        else:
            files.append(path)
    return list(dict.fromkeys(files))


def read_table(path: str | Path, sheet: str | int | None = None, exclude: Iterable[str] = (),
               notes: list[str] | None = None, limits: ReadLimits | None = None) -> list[tuple[str, pd.DataFrame]]:
    """Read one file into ``[(name, frame)]``.

    CSV and Parquet give one table named after the file; a workbook gives every
    non-empty sheet not in ``exclude`` (or only the pinned ``sheet``, a name or
    position), each named ``book.xlsx: Sheet``. Sheets not read (empty,
    excluded, or beside a pinned one) are said in ``notes``, never skipped
    silently. ``frame.attrs`` carries ``sheet`` and ``headerless`` so the
    loader can explain what it did. ``limits`` (:mod:`engine.loading.limits`):
    rows, columns and a workbook's unpacked size; over a limit, one sentence
    (columns: the first ones are kept, with a note).
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path} does not exist; check the path.", field=str(path))
    if path.is_dir():
        raise InputError(f"{path} is a folder; pass it through expand_paths or name the files in it.", field=str(path))
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        shown = f"'{suffix}'" if suffix else "no extension"
        raise InputError(f"{path} has an unsupported file type ({shown}); use {_SUPPORTED_TEXT}.", field=str(path))
    if path.stat().st_size == 0:
        raise InputError(f"{path} is empty; export the table again with its rows.", field=str(path))
    notes = notes if notes is not None else []
    limits = limits or ReadLimits()
    if suffix in EXCEL_SUFFIXES:
        tables = read_excel(path, sheet, set(exclude), notes, limits)
    elif suffix in PARQUET_SUFFIXES:
        tables = [(path.name, _read_parquet(path, limits, notes))]
    else:
        tables = [(path.name, _read_csv(path, limits))]
    tidy = []
    for name, frame in tables:
        if frame.attrs.get("title_rows"):
            n, what = frame.attrs["title_rows"], "row" if frame.attrs.get("sheet") else "line"
            notes.append(f"{name}: {f'the first {what}' if n == 1 else f'the first {n} {what}s'} above the column "
                         f"names ({'a title' if n == 1 else 'a title block'}) {'was' if n == 1 else 'were'} skipped.")
        try:
            tidy.append((name, cap_columns(_tidy(frame, path, name), name, limits, notes)))
        except InputError:
            if len(tables) == 1:
                raise
            notes.append(f"{name} has no data rows (only a header or a title) and was skipped.")
    if not tidy:  # every sheet of the workbook only had a header
        raise InputError(f"{path} has no data rows in any sheet; check the workbook.", field=str(path))
    return tidy


# ---- CSV -------------------------------------------------------------------


def _read_csv(path: Path, limits: ReadLimits) -> pd.DataFrame:
    with path.open("rb") as handle:
        head = handle.read(_SAMPLE_BYTES)
        complete = not handle.read(1)
    encoding = _sniff_encoding(head, path)
    text = head.decode(encoding, errors="ignore")
    lines = text.splitlines() if complete else text.splitlines()[:-1]  # last line may be cut
    lines = [line for line in lines if line.strip()][:_SAMPLE_LINES]
    if not lines:
        raise InputError(f"{path} is empty (only blank lines); export the table again with its rows.", field=str(path))
    delimiter = sniff_delimiter(lines)
    rows = [[field.strip() for field in row] for row in csv.reader(lines, delimiter=delimiter)]
    title = title_rows(rows)
    skip_lines = 0
    if title:  # the file's own line number of the column names (blank lines above them count too)
        delimiter = sniff_delimiter(lines[title:])
        rows = [[field.strip() for field in row] for row in csv.reader(lines[title:], delimiter=delimiter)]
        skip_lines = next(i for i, line in enumerate(text.splitlines()) if line.strip() == lines[title].strip())
    headerless = looks_like_data(rows[0], rows[1:])
    if not headerless:
        check_duplicate_names(rows[0], path)
    values = [field for row in rows[1:] for field in row]
    decimal = decimal_mark(values, delimiter)
    as_text = id_text_columns(rows if headerless else rows[1:], None if headerless else rows[0])
    options = dict(sep=delimiter, header=None if headerless else 0, decimal=decimal, skiprows=skip_lines or None,
                   low_memory=False, skipinitialspace=True, index_col=False,
                   dtype=dict.fromkeys(as_text, str) or None, nrows=limits.max_rows + 1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)  # "loss of data": more fields than names
            try:
                frame = pd.read_csv(path, encoding=encoding, **options)
            except UnicodeDecodeError:  # the sample was clean UTF-8, a later line is not
                frame = pd.read_csv(path, encoding="latin-1", **options)
    except pd.errors.EmptyDataError:
        raise InputError(f"{path} is empty; export the table again with its rows.", field=str(path)) from None
    except (pd.errors.ParserError, pd.errors.ParserWarning) as exc:
        found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        detail = f" (line {found[2]} has {found[3]} fields, the first line {found[1]})" if found else ""
        raise InputError(
            f"{path} could not be read as a table{detail}; check that every line has the same number of "
            f"{delimiter_name(delimiter)}-separated fields.",
            field=str(path),
        ) from None
    check_rows(path, len(frame), limits)
    if headerless:
        frame.columns = [f"column_{i + 1}" for i in range(frame.shape[1])]
    if decimal == ",":  # "1.234,50" stays text in pandas (a thousands option would also eat "15.03.2024")
        text_ids = {frame.columns[i] for i in as_text if i < frame.shape[1]}
        for column in frame.columns:
            if column in text_ids:
                continue
            if not pd.api.types.is_numeric_dtype(frame[column]) and frame[column].notna().any():
                numbers = to_numbers(frame[column])
                if numbers.notna().sum() == frame[column].notna().sum():
                    frame[column] = numbers
    frame.attrs.update(sheet=None, headerless=headerless, delimiter=delimiter, encoding=encoding,
                       title_rows=skip_lines)
    return frame


def _sniff_encoding(head: bytes, path: Path) -> str:
    """UTF-16 by BOM; refuse binary; UTF-8 (BOM-tolerant) when it decodes, else Latin-1."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise InputError(f"{path} is not a text table but {what}; export the data as {_SUPPORTED_TEXT}.",
                             field=str(path))
    if b"\x00" in head:
        raise InputError(f"{path} contains binary data, not a text table; export the data as {_SUPPORTED_TEXT}.",
                         field=str(path))
    try:
        head.decode("utf-8-sig")
        encoding = "utf-8-sig"
    except UnicodeDecodeError as exc:
        # a multi-byte character cut by the sample boundary is still UTF-8
        encoding = "utf-8-sig" if exc.start >= len(head) - 3 else "latin-1"
    text = head.decode(encoding, errors="ignore")
    controls = len(_CONTROLS.findall(text))
    if text and controls / len(text) > 0.05:
        raise InputError(f"{path} contains binary data, not a text table; export the data as {_SUPPORTED_TEXT}.",
                         field=str(path))
    return encoding


# ---- Parquet -----------------------------------------------------------


def _read_parquet(path: Path, limits: ReadLimits, notes: list[str]) -> pd.DataFrame:
    columns = parquet_columns(path, limits, notes)  # the row limit first; nested columns left out
    try:
        frame = pd.read_parquet(path, columns=columns)
    except Exception as exc:  # pyarrow raises ArrowInvalid / OSError for non-Parquet bytes
        raise InputError(f"{path} is not a readable Parquet file ({exc.__class__.__name__}); "
                         "write it again or export it as CSV.", field=str(path)) from None
    frame.columns = [str(c) for c in frame.columns]
    check_duplicate_names(list(frame.columns), path)
    frame.attrs.update(sheet=None, headerless=False)
    return frame


# ---- common clean-up -------------------------------------------------------


def _tidy(frame: pd.DataFrame, path: Path, name: str) -> pd.DataFrame:
    """Trim names, drop empty rows and unnamed empty columns, refuse header-only tables."""
    attrs = dict(frame.attrs)
    names = [str(c).strip() for c in frame.columns]
    unnamed = [n.startswith("Unnamed: ") or n == "" for n in names]
    frame.columns = names
    keep = [not (u and (frame.iloc[:, i].isna().all() or _is_row_number(frame.iloc[:, i])))
            for i, u in enumerate(unnamed)]
    attrs["dropped_index"] = any(u and _is_row_number(frame.iloc[:, i]) for i, u in enumerate(unnamed))
    frame = frame.loc[:, keep]
    frame.columns = [f"column_{i + 1}" if u else n for i, (n, u) in enumerate(zip(names, unnamed, strict=True))
                     if keep[i]]
    check_duplicate_names(list(frame.columns), path, None if name == path.name else name)
    frame = frame.dropna(how="all").reset_index(drop=True)
    if frame.shape[1] == 0:
        raise InputError(f"{name} has no columns; export the table again with its header and rows.", field=str(path))
    if len(frame) == 0:
        raise InputError(f"{name} has a header row but no data rows; export the table again with its rows.",
                         field=str(path))
    frame.attrs = attrs
    return frame


def _is_row_number(column: pd.Series) -> bool:
    """An unnamed 0..n-1 or 1..n column is an index pandas or a database exported, not data."""
    if not pd.api.types.is_integer_dtype(column) or len(column) == 0:
        return False
    values = column.to_numpy()
    start = values[0]
    return start in (0, 1) and bool((values == np.arange(start, start + len(values))).all())

