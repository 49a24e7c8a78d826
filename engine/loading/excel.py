"""Read an Excel workbook: every non-empty sheet is its own table, or the one sheet pinned.

Each sheet is read like a CSV file (:mod:`engine.loading.sniff` finds its header
row and its id columns kept as text); whole numbers shown with a zero-padding
format become the text Excel displays. Sheets that are not read (empty,
excluded with ``data.exclude_sheets``, or beside the sheet ``data.sheet`` pins)
are said in the notes the loader passes on to the data-quality findings.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from engine.errors import InputError
from engine.loading.limits import ReadLimits, check_rows, check_workbook_size
from engine.loading.roles import ROLES
from engine.loading.sniff import check_duplicate_names, id_text_columns, looks_like_data, title_rows

ALL_SHEETS = "*"  # sheet=ALL_SHEETS (or None) reads every non-empty sheet of a workbook
_GRID_ROWS = 50  # rows sampled to find the header row and the id columns
_ZERO_FORMAT = re.compile(r"^0{2,}$")  # an Excel number format such as "00000" that pads with zeros


def read_excel(path: Path, sheet: str | int | None, exclude: set[str], notes: list[str],
               limits: ReadLimits | None = None) -> list[tuple[str, pd.DataFrame]]:
    limits = limits or ReadLimits()
    check_workbook_size(path, limits)  # before any XML is parsed: a zip bomb costs nothing
    try:
        book = pd.ExcelFile(path, engine="openpyxl")
    except Exception as exc:  # openpyxl raises zip, XML and key errors for non-workbooks
        raise _unreadable_book(path, exc) from None
    with book:
        return _read_sheets(book, path, sheet, exclude, notes, limits)


def workbook_sheets(path: str | Path) -> list[str]:
    """The sheet names of a workbook, in order, without reading its cells."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True)
    except Exception as exc:  # noqa: BLE001 - zip, XML and key errors for non-workbooks
        raise _unreadable_book(Path(path), exc) from None
    try:
        return [str(n) for n in book.sheetnames]
    finally:
        book.close()


def _unreadable_book(path: Path, exc: Exception) -> InputError:
    return InputError(f"{path} is not a readable Excel workbook ({exc.__class__.__name__}); "
                      "save it again as .xlsx or export it as CSV.", field=str(path))


def _read_sheets(book: pd.ExcelFile, path: Path, sheet: str | int | None, exclude: set[str],
                 notes: list[str], limits: ReadLimits) -> list[tuple[str, pd.DataFrame]]:
    names = [str(n) for n in book.sheet_names]
    pinned = sheet is not None and sheet != ALL_SHEETS
    if not pinned:
        wanted = [n for n in names if n not in exclude]
    elif isinstance(sheet, int) and 0 <= sheet < len(names):
        wanted = [names[sheet]]
    elif str(sheet) in names:
        wanted = [str(sheet)]
    else:
        raise InputError(f"{path} has no sheet {sheet!r}; its sheets are {', '.join(names)}.", field=str(path))
    tables, empty = [], []
    for name in wanted:
        frame = _parse_sheet(book, name, path, limits)
        if frame is not None:
            tables.append((f"{path.name}: {name}", frame))
        elif pinned:
            raise InputError(f"Sheet {name!r} of {path} is empty; choose another sheet.", field=str(path))
        else:
            empty.append(name)
    if not tables:
        left = " not excluded by data.exclude_sheets" if exclude & set(names) else ""
        raise InputError(f"{path} has no data in any sheet{left}; check the workbook.", field=str(path))
    if empty:
        notes.append(f"{path.name}: {_sheet_list(empty)} {'is' if len(empty) == 1 else 'are'} empty and "
                     f"{'was' if len(empty) == 1 else 'were'} skipped.")
    skipped = [n for n in names if n not in wanted]
    if skipped:
        why = f"data.sheet pins {wanted[0]!r}" if pinned else "excluded by data.exclude_sheets"
        notes.append(f"{path.name}: {_sheet_list(skipped)} {'was' if len(skipped) == 1 else 'were'} not read "
                     f"({why}).")
    return tables


def _sheet_list(names: list[str]) -> str:
    return ("sheet " if len(names) == 1 else "sheets ") + ", ".join(repr(n) for n in names)


def _parse_sheet(book: pd.ExcelFile, sheet: str, path: Path, limits: ReadLimits) -> pd.DataFrame | None:
    try:
        grid = pd.read_excel(book, sheet_name=sheet, header=None, nrows=_GRID_ROWS).dropna(how="all").dropna(axis=1, how="all")
        if grid.empty:
            return None
        rows = [["" if pd.isna(v) else str(v).strip() for v in row] for row in grid.itertuples(index=False)]
        title = title_rows(rows)  # a report title and notes above the column names
        rows = rows[title:]
        top = int(grid.index[title])  # first non-empty row after the title: header or first data row
        headerless = looks_like_data(rows[0], rows[1:])
        if not headerless and _two_row_header(rows):
            raise InputError(
                f"Sheet {sheet!r} of {path} has a two-row header: row {top + 1} has merged or blank cells above the "
                f"column names in row {top + 2}; delete row {top + 1} so one row names the columns, then load it again.",
                field=str(path))
        if not headerless:
            check_duplicate_names([v for v in rows[0] if v], path, f"Sheet {sheet!r} of {path}")
        found = id_text_columns(rows if headerless else rows[1:], None if headerless else rows[0])
        as_text = {int(grid.columns[i]): str for i in found}  # grid positions -> sheet columns
        frame = pd.read_excel(book, sheet_name=sheet, header=None if headerless else top,
                              skiprows=top if headerless else None, dtype=as_text or None,
                              nrows=limits.max_rows + 1)
        check_rows(path, len(frame), limits, f"Sheet {sheet!r} of {path}")
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"Sheet {sheet!r} of {path} could not be read ({exc.__class__.__name__}); "
                         "save the workbook again or export the sheet as CSV.", field=str(path)) from None
    _pad_zero_formatted(book, sheet, frame, first_data_row=top + (1 if headerless else 2))
    frame = frame.dropna(axis=1, how="all") if headerless else frame
    if headerless:
        frame.columns = [f"column_{i + 1}" for i in range(frame.shape[1])]
    frame.attrs.update(sheet=sheet, headerless=headerless, title_rows=top if title else 0)
    return frame


def _two_row_header(rows: list[list[str]]) -> bool:
    """Group titles over merged cells (a row with gaps) above a full row of known column names."""
    if len(rows) < 3 or all(rows[0]) or not all(rows[1]) or looks_like_data(rows[1], rows[2:]):
        return False
    return any(role.name_score(value) == 2 for value in rows[1] for role in ROLES.values())


def _pad_zero_formatted(book: pd.ExcelFile, sheet: str, frame: pd.DataFrame, first_data_row: int) -> None:
    """Whole numbers shown with a zero-padding format ("00000") become the text Excel displays.

    A workbook stores the id 00017 as the number 17 formatted "00000"; pandas
    reads 17. The format of the first few data cells (sheet column i+1 holds
    frame column i, as pandas reads from column A) says which columns to pad.
    """
    try:
        rows = list(book.book[sheet].iter_rows(min_row=first_data_row, max_row=first_data_row + 4))
    except Exception:  # noqa: BLE001 - formats are a nicety; the values are already read
        return
    for i, column in enumerate(frame.columns):
        formats = [str(getattr(row[i], "number_format", "")) for row in rows
                   if len(row) > i and isinstance(getattr(row[i], "value", None), int | float)]
        if not formats or not all(_ZERO_FORMAT.match(f) for f in formats):
            continue
        values = frame[column]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            present = values.dropna()
            if not ((present % 1 == 0).all() and (present >= 0).all()):
                continue
            values = values.astype("Int64").astype("str").mask(values.isna())
        text = values.astype("str")
        digits = text.str.fullmatch(r"\d+").fillna(False).astype(bool)
        frame[column] = text.mask(digits, text.str.zfill(len(formats[0]))).mask(values.isna())
