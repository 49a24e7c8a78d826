"""How much of a file the loader reads: rows, columns, a workbook's unpacked size.

The limits come from the project file (``data.max_rows``, ``data.max_columns``,
``data.max_workbook_mb``; defaults in :class:`engine.project.DataSpec`). A file
over a limit is refused with one sentence before it is read in full (rows,
workbook size); a table with more columns than ``max_columns`` keeps its first
``max_columns`` (and any column named in ``data.roles``), and a note says so.
Nested Parquet columns (lists, structs, maps) are left out with a note: a
segmentation has no use for them and they cannot be compared or summed.
"""

from __future__ import annotations

import math
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from engine.errors import InputError
from engine.formatting import integer
from engine.project import DataSpec

_DEFAULTS = DataSpec()


@dataclass(frozen=True)
class ReadLimits:
    max_rows: int = _DEFAULTS.max_rows
    max_workbook_mb: int = _DEFAULTS.max_workbook_mb
    max_columns: int = _DEFAULTS.max_columns
    keep: frozenset[str] = field(default_factory=frozenset)  # kept beyond max_columns (named in data.roles)

    @classmethod
    def of(cls, data: DataSpec) -> ReadLimits:
        return cls(data.max_rows, data.max_workbook_mb, data.max_columns,
                   frozenset(str(c) for c in (data.roles or {}).values() if c))


def check_workbook_size(path: Path, limits: ReadLimits) -> None:
    """Refuse a workbook whose parts unpack to more than ``max_workbook_mb``, before any XML is parsed.

    The declared sizes in the zip directory are summed; a part that unpacks to more
    than it declares cannot get past that either, as Python's zip reader stops at the
    declared size (the workbook is then unreadable, one sentence from the Excel reader).
    """
    try:
        with zipfile.ZipFile(path) as book:
            unpacked = sum(max(info.file_size, 0) for info in book.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a zip: the Excel reader says so in its own sentence
    cap = limits.max_workbook_mb * 1_000_000
    if unpacked > cap:
        raise InputError(
            f"{path} unpacks to {integer(math.ceil(unpacked / 1_000_000))} MB of workbook data, more than the limit of "
            f"{integer(limits.max_workbook_mb)} MB (data.max_workbook_mb); export the sheets as CSV or raise "
            "data.max_workbook_mb.",
            field=str(path),
        )


def check_rows(path: Path, n_rows: int, limits: ReadLimits, what: str | None = None) -> None:
    """Refuse a table with more than ``max_rows`` rows (``n_rows`` may be max_rows + 1: read no further)."""
    if n_rows > limits.max_rows:
        raise InputError(
            f"{what or path} has more than {integer(limits.max_rows)} rows, the limit set by data.max_rows; "
            "split the file, aggregate it, or raise data.max_rows.",
            field=str(path),
        )


def cap_columns(frame: pd.DataFrame, name: str, limits: ReadLimits, notes: list[str]) -> pd.DataFrame:
    """The first ``max_columns`` columns (plus those named in data.roles); a note when any are left out."""
    if frame.shape[1] <= limits.max_columns:
        return frame
    columns = [str(c) for c in frame.columns]
    kept = columns[: limits.max_columns] + [c for c in columns[limits.max_columns:] if c in limits.keep]
    notes.append(
        f"{name} has {integer(len(columns))} columns; only the first {integer(limits.max_columns)} were considered "
        f"(data.max_columns), {integer(len(columns) - len(kept))} were left out."
    )
    out = frame.loc[:, kept]
    out.attrs = dict(frame.attrs)
    return out


def parquet_columns(path: Path, limits: ReadLimits, notes: list[str]) -> list[str] | None:
    """The Parquet columns to read (None: all), after the row limit; nested columns are left out with a note."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        meta = pq.read_metadata(path)
        schema = meta.schema.to_arrow_schema()
    except Exception:  # noqa: BLE001 - not Parquet: the reader says so in its own sentence
        return None
    check_rows(path, meta.num_rows, limits)
    nested = [f.name for f in schema if pa.types.is_nested(f.type)]
    if not nested:
        return None
    flat = [f.name for f in schema if f.name not in nested]
    if not flat:
        raise InputError(f"{path} has only nested columns (lists, structs or maps); write it again with plain "
                         "columns or export it as CSV.", field=str(path))
    shown = ", ".join(repr(n) for n in nested[:5]) + (f" and {len(nested) - 5} more" if len(nested) > 5 else "")
    notes.append(f"{path.name}: nested column{'s' if len(nested) > 1 else ''} {shown} (lists, structs or maps) "
                 f"{'were' if len(nested) > 1 else 'was'} skipped.")
    return flat
