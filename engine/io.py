"""Read the analyst's files into DataFrames, or say in one sentence why not.

CSV is sniffed rather than configured (delimiter among ``, ; TAB |``; UTF-8 with
or without BOM, UTF-16 with BOM, Latin-1 as the last resort; a first row that
looks like data means there is no header), because analysts upload whatever
their tool exported. Excel and Parquet are read as they are. Every failure
caused by the file raises :class:`InputError` naming the file.

The second half turns text columns into typed values the same forgiving way:
:func:`parse_dates` (explicit formats tried on a sample, the winner applied to
the whole column, day-first only when the data says so), :func:`to_numbers`
(currency signs, decimal commas) and :func:`normalise_ids` (17850.0 -> "17850").
All are vectorised: a million rows take about a second.
"""

from __future__ import annotations

import csv
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from engine.errors import InputError

CSV_SUFFIXES = (".csv", ".tsv")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
PARQUET_SUFFIXES = (".parquet", ".pq")
SUPPORTED_SUFFIXES = CSV_SUFFIXES + EXCEL_SUFFIXES + PARQUET_SUFFIXES
DELIMITERS = (",", ";", "\t", "|")
ALL_SHEETS = "*"  # sheet=ALL_SHEETS reads every non-empty sheet of a workbook

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
_NUMBER = re.compile(r"^[-+(]?[$€£¥]?\s?\d[\d,.' ]*\)?%?$")
_DATE = re.compile(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}([ T]\d{1,2}:\d{2}(:\d{2})?.*)?$")
_COMMA_DECIMAL = re.compile(r"^-?\d{1,3}(\.\d{3})*,\d+$|^-?\d+,\d+$")
_DOT_DECIMAL = re.compile(r"^-?\d+\.\d+$")
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


def read_table(path: str | Path, sheet: str | int | None = None) -> list[tuple[str, pd.DataFrame]]:
    """Read one file into ``[(name, frame)]``.

    CSV and Parquet give one table named after the file; a workbook gives the
    chosen ``sheet`` (default: the first non-empty one, ``"*"``: all non-empty
    ones) named ``book.xlsx[Sheet]``. ``frame.attrs`` carries ``sheet`` and
    ``headerless`` so the loader can explain what it did.
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
    if suffix in EXCEL_SUFFIXES:
        tables = _read_excel(path, sheet)
    elif suffix in PARQUET_SUFFIXES:
        tables = [(path.name, _read_parquet(path))]
    else:
        tables = [(path.name, _read_csv(path))]
    return [(name, _tidy(frame, path, name)) for name, frame in tables]


# ---- CSV -------------------------------------------------------------------


def _read_csv(path: Path) -> pd.DataFrame:
    with path.open("rb") as handle:
        head = handle.read(_SAMPLE_BYTES)
        complete = not handle.read(1)
    encoding = _sniff_encoding(head, path)
    text = head.decode(encoding, errors="ignore")
    lines = text.splitlines() if complete else text.splitlines()[:-1]  # last line may be cut
    lines = [line for line in lines if line.strip()][:_SAMPLE_LINES]
    if not lines:
        raise InputError(f"{path} is empty (only blank lines); export the table again with its rows.", field=str(path))
    delimiter = _sniff_delimiter(lines)
    rows = [[field.strip() for field in row] for row in csv.reader(lines, delimiter=delimiter)]
    headerless = _looks_like_data(rows[0], rows[1:])
    if not headerless:
        _check_duplicate_names(rows[0], path)
    values = [field for row in rows[1:] for field in row]
    decimal = "," if delimiter != "," and _mostly(values, _COMMA_DECIMAL, over=_DOT_DECIMAL) else "."
    options = dict(sep=delimiter, header=None if headerless else 0, decimal=decimal,
                   low_memory=False, skipinitialspace=True, index_col=False)
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
            f"{_delimiter_name(delimiter)}-separated fields.",
            field=str(path),
        ) from None
    if headerless:
        frame.columns = [f"column_{i + 1}" for i in range(frame.shape[1])]
    if decimal == ",":  # "1.234,50" stays text in pandas (a thousands option would also eat "15.03.2024")
        for column in frame.columns:
            if not pd.api.types.is_numeric_dtype(frame[column]) and frame[column].notna().any():
                numbers = to_numbers(frame[column])
                if numbers.notna().sum() == frame[column].notna().sum():
                    frame[column] = numbers
    frame.attrs.update(sheet=None, headerless=headerless, delimiter=delimiter, encoding=encoding)
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
    controls = sum(1 for ch in text if (ord(ch) < 32 and ch not in "\t\n\r\f") or 127 <= ord(ch) < 160)
    if text and controls / len(text) > 0.05:
        raise InputError(f"{path} contains binary data, not a text table; export the data as {_SUPPORTED_TEXT}.",
                         field=str(path))
    return encoding


def _sniff_delimiter(lines: list[str]) -> str:
    """The delimiter giving the same number (>1) of fields on most lines; ties go to more fields."""
    best, best_score = ",", (0.0, 0)
    for delimiter in DELIMITERS:
        counts = [len(row) for row in csv.reader(lines, delimiter=delimiter)]
        if counts[0] < 2:
            continue
        consistent = sum(c == counts[0] for c in counts) / len(counts)
        score = (consistent, counts[0])
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _looks_like_data(first: list[str], rest: list[list[str]]) -> bool:
    """A first row of mostly numbers/dates with no word sitting above a numeric column is data."""
    fields = [f for f in first if f]
    if not fields:
        return False
    data_like = sum(bool(_NUMBER.match(f) or _DATE.match(f)) for f in fields)
    if data_like / len(fields) < 0.5:
        return False
    from engine.roles import ROLES  # local: roles imports this module's parsers

    if any(role.name_score(value) == 2 for value in fields for role in ROLES.values()):
        return False  # a known column name ("customer", "qty", "date") marks a header
    for i, value in enumerate(first):
        if not value or re.search(r"\d", value):
            continue
        below = [row[i] for row in rest if len(row) > i and row[i]]
        if below and sum(bool(_NUMBER.match(v) or _DATE.match(v)) for v in below) / len(below) >= 0.8:
            return False  # a word heading a numeric/date column is a header
    return True


def _mostly(values: list[str], pattern: re.Pattern, over: re.Pattern) -> bool:
    hits = sum(bool(pattern.match(v)) for v in values)
    return hits > 0 and hits > sum(bool(over.match(v)) for v in values)


def _delimiter_name(delimiter: str) -> str:
    return {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}[delimiter]


def _check_duplicate_names(names: list[str], path: Path, table: str | None = None) -> None:
    seen: set[str] = set()
    dupes = [n for n in names if n and (n in seen or seen.add(n))]
    if dupes:
        listed = ", ".join(f"'{n}'" for n in dict.fromkeys(dupes))
        where = table or str(path)
        raise InputError(f"{where} has duplicate column names ({listed}); rename them so each column is unique.",
                         field=str(path))


# ---- Excel and Parquet -----------------------------------------------------


def _read_excel(path: Path, sheet: str | int | None) -> list[tuple[str, pd.DataFrame]]:
    try:
        book = pd.ExcelFile(path, engine="openpyxl")
    except Exception as exc:  # openpyxl raises zip, XML and key errors for non-workbooks
        raise InputError(f"{path} is not a readable Excel workbook ({exc.__class__.__name__}); "
                         "save it again as .xlsx or export it as CSV.", field=str(path)) from None
    with book:
        return _read_sheets(book, path, sheet)


def _read_sheets(book: pd.ExcelFile, path: Path, sheet: str | int | None) -> list[tuple[str, pd.DataFrame]]:
    names = [str(n) for n in book.sheet_names]
    if sheet is None or sheet == ALL_SHEETS:
        wanted = names
    elif isinstance(sheet, int) and 0 <= sheet < len(names):
        wanted = [names[sheet]]
    elif str(sheet) in names:
        wanted = [str(sheet)]
    else:
        raise InputError(f"{path} has no sheet {sheet!r}; its sheets are {', '.join(names)}.", field=str(path))
    tables = []
    for name in wanted:
        frame = _parse_sheet(book, name, path)
        if frame is not None:
            tables.append((f"{path.name}[{name}]", frame))
            if sheet is None:
                break  # default: the first non-empty sheet
        elif len(wanted) == 1 and sheet is not None:
            raise InputError(f"Sheet {name!r} of {path} is empty; choose another sheet.", field=str(path))
    if not tables:
        raise InputError(f"{path} has no data in any sheet; check the workbook.", field=str(path))
    return tables


def _parse_sheet(book: pd.ExcelFile, sheet: str, path: Path) -> pd.DataFrame | None:
    try:
        grid = pd.read_excel(book, sheet_name=sheet, header=None, nrows=_SAMPLE_LINES).dropna(how="all").dropna(axis=1, how="all")
        if grid.empty:
            return None
        top = int(grid.index[0])  # first non-empty row: header or first data row
        rows = [["" if pd.isna(v) else str(v).strip() for v in row] for row in grid.itertuples(index=False)]
        headerless = _looks_like_data(rows[0], rows[1:])
        if not headerless:
            _check_duplicate_names([v for v in rows[0] if v], path, f"Sheet {sheet!r} of {path}")
        frame = pd.read_excel(book, sheet_name=sheet, header=None if headerless else top,
                              skiprows=top if headerless else None)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"Sheet {sheet!r} of {path} could not be read ({exc.__class__.__name__}); "
                         "save the workbook again or export the sheet as CSV.", field=str(path)) from None
    frame = frame.dropna(axis=1, how="all") if headerless else frame
    if headerless:
        frame.columns = [f"column_{i + 1}" for i in range(frame.shape[1])]
    frame.attrs.update(sheet=sheet, headerless=headerless)
    return frame


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid / OSError for non-Parquet bytes
        raise InputError(f"{path} is not a readable Parquet file ({exc.__class__.__name__}); "
                         "write it again or export it as CSV.", field=str(path)) from None
    frame.columns = [str(c) for c in frame.columns]
    _check_duplicate_names(list(frame.columns), path)
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
    _check_duplicate_names(list(frame.columns), path, None if name == path.name else name)
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


# ---- value parsers ---------------------------------------------------------


@dataclass(frozen=True)
class ParsedDates:
    """A date column read as datetime64[ns], with what it took to read it."""

    values: pd.Series  # NaT where blank or unreadable
    format: str  # winning format ("datetime" when already typed, "" when nothing could be read)
    n_unreadable: int  # non-blank values that could not be read
    ambiguous: bool = False  # day/month order could not be told from the data (month-first used)


def _date_formats() -> tuple[tuple[str, str], ...]:
    """(format, order) candidates; order tells which formats agree on day/month position."""
    formats = [("ISO8601", "ymd")]
    times = ("", " %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p")
    for order, first, second in (("mdy", "%m", "%d"), ("dmy", "%d", "%m")):
        for sep in "/-.":
            for year in ("%Y", "%y"):
                formats += [(f"{first}{sep}{second}{sep}{year}{t}", order) for t in times]
    formats += [(f"%Y{sep}%m{sep}%d{t}", "ymd") for sep in "/." for t in times[:3]]
    formats += [(f, "text") for f in ("%d-%b-%Y", "%d-%b-%y", "%d %b %Y", "%d %B %Y", "%b %d, %Y",
                                       "%B %d, %Y", "%b %d %Y", "%d-%b-%Y %H:%M", "%d %b %Y %H:%M")]
    formats.append(("%Y%m%d", "ymd"))
    return tuple(formats)


DATE_FORMATS = _date_formats()
_SWAP = {"mdy": "dmy", "dmy": "mdy"}
_MISSING_TOKENS = ("", "nan", "NaN", "NAN", "None", "none", "NULL", "null", "NA", "N/A", "n/a", "#N/A", "-", "?")


def parse_dates(series: pd.Series) -> ParsedDates:
    """Read a column of dates whatever its format.

    Explicit formats are tried on a sample spread over the column and the one
    reading most values is applied to the whole column (vectorised). If that
    leaves failures, the day/month-swapped format is tried on the whole column
    (values > 12 in the first field reveal day-first data), then the remaining
    failures are filled from formats that agree on the day/month order.
    """
    if pd.api.types.is_datetime64_any_dtype(series):
        values = series.dt.tz_localize(None) if getattr(series.dt, "tz", None) else series  # keep wall time
        return ParsedDates(_in_range(values), "datetime", 0)
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return _parse_numeric_dates(series)
    text = _blank_to_na(series.astype("str").str.strip())
    present = text.notna()
    sample = sample_values(text)
    if sample.empty:
        return ParsedDates(_to_datetime(text, "ISO8601"), "", 0)
    fmt, order, ambiguous = _best_format(sample)
    values = _to_datetime(text, fmt)
    failed = present & values.isna()
    if failed.any() and order in _SWAP:
        swapped = _swap_day_month(fmt)
        alternative = _to_datetime(text, swapped)
        if (present & alternative.isna()).sum() < failed.sum():
            values, fmt, order = alternative, swapped, _SWAP[order]
            failed = present & values.isna()
    if failed.any():
        values = _fill_failures(text, values, failed, fmt, order)
        failed = present & values.isna()
    return ParsedDates(values, fmt, int(failed.sum()), ambiguous)


def sample_values(series: pd.Series, n: int = 400) -> pd.Series:
    """Up to ``n`` distinct non-missing values spread over the whole column (cheap on big columns)."""
    values = series.dropna()
    if len(values) > 20 * n:
        values = values.iloc[np.linspace(0, len(values) - 1, 20 * n).astype(int)]
    return pd.Series(values.unique()[:n])


def _best_format(sample: pd.Series) -> tuple[str, str, bool]:
    scores: dict[str, int] = {}
    for fmt, order in DATE_FORMATS:  # listed order: the first format reading every value wins at once
        scores[fmt] = _count_readable(sample, fmt)
        if scores[fmt] == len(sample):
            ambiguous = order in _SWAP and _count_readable(sample, _swap_day_month(fmt)) == len(sample)
            return fmt, order, ambiguous
    fmt, order = max(DATE_FORMATS, key=lambda item: scores[item[0]])  # ties: earliest listed
    if scores[fmt] < 0.5 * len(sample):
        mixed = int(_to_datetime(sample, "mixed").notna().sum())
        if mixed > scores[fmt]:
            return "mixed", "text", False
    ambiguous = order in _SWAP and scores[_swap_day_month(fmt)] == scores[fmt]
    return fmt, order, ambiguous


def _count_readable(sample: pd.Series, fmt: str) -> int:
    if fmt in ("ISO8601", "mixed"):
        return int(_to_datetime(sample, fmt).notna().sum())
    try:
        text = pa.array(sample.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
        return len(text) - _arrow_strptime(text, fmt).null_count
    except (pa.ArrowException, TypeError, ValueError):
        return int(_to_datetime(sample, fmt).notna().sum())


_FORMAT_PARTS = {
    "%Y": r"\d{4}", "%y": r"\d{2}", "%m": r"(0?[1-9]|1[0-2])", "%d": r"(0?[1-9]|[12]\d|3[01])",
    "%H": r"([01]?\d|2[0-3])", "%I": r"(0?[1-9]|1[0-2])", "%M": r"[0-5]\d", "%S": r"[0-5]\d",
    "%p": r"[AaPp][Mm]", "%b": r"[A-Za-z]{3}", "%B": r"[A-Za-z]{3,9}",
}


def _format_regex(fmt: str) -> str:
    """A strict pattern for ``fmt``: Arrow's strptime alone accepts "10" for %Y and trailing digits."""
    pieces = re.split(r"(%[A-Za-z])", fmt)
    return "^" + "".join(_FORMAT_PARTS.get(p, re.escape(p)) for p in pieces if p) + "$"


def _arrow_strptime(text: pa.Array, fmt: str) -> pa.Array:
    parsed = pc.strptime(text, format=fmt, unit="s", error_is_null=True)
    strict = pc.match_substring_regex(text, _format_regex(fmt))
    return pc.if_else(strict, parsed, pa.scalar(None, parsed.type))


def _fill_failures(text: pd.Series, values: pd.Series, failed: pd.Series, fmt: str, order: str) -> pd.Series:
    """Read leftovers with other formats of the same day/month order (never mixing orders)."""
    leftovers = pd.Series(text[failed].unique())
    if len(leftovers) > 10_000:
        return values  # a column this messy is reported, not guessed at
    filled = pd.Series(pd.NaT, index=leftovers.index, dtype="datetime64[ns]")
    for other, other_order in DATE_FORMATS:
        if other == fmt or other_order not in (order, "ymd", "text") or not _count_readable(leftovers, other):
            continue
        filled = filled.fillna(_to_datetime(leftovers, other))
        if filled.notna().all():
            break
    lookup = pd.Series(filled.to_numpy(), index=leftovers.to_numpy())
    values = values.copy()
    values[failed] = text[failed].map(lookup).astype("datetime64[ns]")
    return values


def _swap_day_month(fmt: str) -> str:
    return fmt.replace("%m", "\0").replace("%d", "%m").replace("\0", "%d")


def _to_datetime(values: pd.Series, fmt: str) -> pd.Series:
    """Parse with one format; explicit formats go through Arrow's C++ strptime (25x faster than pandas')."""
    if fmt not in ("ISO8601", "mixed"):
        try:
            text = pa.array(values.array, type=pa.string(), from_pandas=True)
            parsed = _arrow_strptime(text, fmt)
            return _in_range(pd.Series(parsed.to_pandas(), index=values.index))
        except (pa.ArrowException, TypeError, ValueError):
            pass  # fall back to pandas below
    try:
        parsed = pd.to_datetime(values, format=fmt, errors="coerce", utc=True)
    except (ValueError, TypeError, OverflowError):
        return pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    return _in_range(parsed.dt.tz_convert(None))


def _in_range(values: pd.Series) -> pd.Series:
    """Drop dates outside what datetime64[ns] can hold (year 1678..2261) instead of overflowing."""
    years = values.dt.year
    return values.where((years > 1677) & (years < 2262)).astype("datetime64[ns]")


def _parse_numeric_dates(series: pd.Series) -> ParsedDates:
    """yyyymmdd integers, Unix seconds/milliseconds, or Excel serial day numbers."""
    numbers = series.astype(float)
    present = numbers.notna()
    median = float(numbers.median()) if present.any() else 0.0
    values = pd.Series(pd.NaT, index=series.index, dtype="datetime64[ns]")
    fmt = ""
    if 19_000_101 <= median <= 21_001_231 and (numbers.dropna() % 1 == 0).all():
        fmt = "%Y%m%d"
        values = _to_datetime(numbers.astype("Int64").astype("str"), fmt)
    elif 1e9 <= median < 1e13:
        fmt = "unix seconds" if median < 1e11 else "unix milliseconds"
        unit = "s" if median < 1e11 else "ms"
        values = _in_range(pd.to_datetime(numbers, unit=unit, errors="coerce"))
    elif 20_000 <= median <= 80_000:
        fmt = "Excel day number"
        values = _in_range(pd.to_datetime(numbers, unit="D", origin="1899-12-30", errors="coerce"))
    return ParsedDates(values, fmt, int((present & values.isna()).sum()))


def to_numbers(series: pd.Series) -> pd.Series:
    """Read a column as floats, forgiving currency signs, spaces, (negatives) and decimal commas."""
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        return series.astype(float)
    text = _blank_to_na(series.astype("str").str.strip())
    text = text.str.replace(r"[\s\u00a0$€£¥%']", "", regex=True)
    negative = text.str.match(r"^\(.*\)$").fillna(False).astype(bool)
    text = text.str.strip("()")
    sample = sample_values(text).astype("str")
    comma_votes = sample.str.match(r"^-?\d{1,3}(\.\d{3})+(,\d+)?$|^-?\d+,(\d{1,2}|\d{4,})$").sum()
    dot_votes = sample.str.match(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$|^-?\d+\.(\d{1,2}|\d{4,})$").sum()
    if comma_votes > dot_votes:
        text = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        text = text.str.replace(",", "", regex=False)
    numbers = pd.to_numeric(text, errors="coerce").astype(float)
    return numbers.mask(negative, -numbers)


def normalise_ids(series: pd.Series) -> pd.Series:
    """Identifiers as trimmed strings, missing as NaN; integer-valued floats lose their ".0".

    Customer ids often arrive as floats (17850.0) because a column with blanks
    cannot be integer in pandas; "17850" must match "17850" in another file.
    """
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        numbers = series.astype(float)
        whole = numbers.dropna()
        if (whole % 1 == 0).all() and (whole.abs() < 2**53).all():
            return numbers.astype("Int64").astype("str")
        return numbers.astype("str").mask(numbers.isna())
    text = series.astype("str").str.strip()
    float_like = text.str.contains(r"^-?\d+\.0+$", regex=True).fillna(False).astype(bool)
    if float_like.any():  # replace only where needed: a regex replace over a million ids costs 0.2 s
        text = text.mask(float_like, text[float_like].str.replace(r"\.0+$", "", regex=True))
    return _blank_to_na(text)


def _blank_to_na(text: pd.Series) -> pd.Series:
    return text.mask(text.isin(_MISSING_TOKENS))


def clean_text(series: pd.Series) -> pd.Series:
    """Labels (category, region) as trimmed strings, blanks and placeholders ("N/A", "-") as NaN."""
    return _blank_to_na(series.astype("str").str.strip())
