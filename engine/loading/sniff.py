"""What the first lines of a table say: its delimiter, whether it has a header, which columns hold ids.

:mod:`engine.loading.io` reads a sample of each CSV file (and the first rows of each
sheet) and asks these functions how to read the rest: which delimiter, whether
the first row is a header or data, whether decimals use commas, and which
columns to read as text so identifiers keep their exact spelling.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from engine.errors import InputError
from engine.loading.roles import ID_ROLES, ROLES, normalise_name

DELIMITERS = (",", ";", "\t", "|")
_NUMBER = re.compile(r"^[-+(]?[$€£¥]?\s?\d[\d,.' ]*\)?%?$")
_DATE = re.compile(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}([ T]\d{1,2}:\d{2}(:\d{2})?.*)?$")
_COMMA_DECIMAL = re.compile(r"^-?\d{1,3}(\.\d{3})*,\d+$|^-?\d+,\d+$")
_DOT_DECIMAL = re.compile(r"^-?\d+\.\d+$")
_PADDED_DIGITS = re.compile(r"^0\d+$")  # "00017": an identifier or code, never a quantity
_WHOLE_DIGITS = re.compile(r"^\d+(\.0+)?$")  # "17850", "17850.0"
_ID_WORD_END = re.compile(r"(id|no|nr|num|number|nummer|numero|nro|code|key|ref|sku|upc|ean|barcode|asin)$")  # normalised names


def id_text_columns(data: list[list[str]], header: list[str] | None) -> list[int]:
    """Positions of columns to read as text so identifiers keep their exact spelling ("00017" stays "00017").

    A column is read as text when its sampled values are all digits and one has
    a leading zero (whatever its name), or when its name is that of an id role
    (customer, order, product) ending in an id word ("CustomerID", "InvoiceNo",
    "StockCode"; not "Accounts", which may count something) and its values are
    whole numbers: read as numbers, a leading zero later in the file would be
    lost too.
    """
    width = max((len(row) for row in data), default=0)
    positions = []
    for i in range(width):
        values = [row[i] for row in data if len(row) > i and row[i]]
        if not values:
            continue
        padded = all(v.isdigit() and v.isascii() for v in values) and any(_PADDED_DIGITS.match(v) for v in values)
        id_named = (header is not None and i < len(header) and bool(_ID_WORD_END.search(normalise_name(header[i])))
                    and any(ROLES[r].name_score(header[i]) for r in ID_ROLES))
        if padded or (id_named and all(_WHOLE_DIGITS.match(v) for v in values)):
            positions.append(i)
    return positions


def sniff_delimiter(lines: list[str]) -> str:
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


def looks_like_data(first: list[str], rest: list[list[str]]) -> bool:
    """A first row of mostly numbers/dates with no word sitting above a numeric column is data."""
    fields = [f for f in first if f]
    if not fields:
        return False
    data_like = sum(bool(_NUMBER.match(f) or _DATE.match(f)) for f in fields)
    if data_like / len(fields) < 0.5:
        return False
    if any(role.name_score(value) == 2 for value in fields for role in ROLES.values()):
        return False  # a known column name ("customer", "qty", "date") marks a header
    for i, value in enumerate(first):
        if not value or re.search(r"\d", value):
            continue
        below = [row[i] for row in rest if len(row) > i and row[i]]
        if below and sum(bool(_NUMBER.match(v) or _DATE.match(v)) for v in below) / len(below) >= 0.8:
            return False  # a word heading a numeric/date column is a header
    return True


MAX_TITLE_ROWS = 10


def title_rows(rows: list[list[str]]) -> int:
    """How many leading rows are a title block above the column names ("Sales report 2024", "Exported by ...").

    A title row fills one cell (at most a third of the table's width) of a table at least two columns wide, and
    the row after the block must read as column names, not data, with table rows under it: a headerless file
    keeps every row, and a letter is still not a table.
    """
    widths = [sum(bool(field) for field in row) for row in rows]
    table_width = max(widths, default=0)
    if table_width < 2:
        return 0
    skip = 0
    while skip < min(MAX_TITLE_ROWS, len(rows) - 2) and 0 < widths[skip] <= max(1, table_width // 3):
        skip += 1
    below = sum(width >= 2 for width in widths[skip + 1:])  # table rows under the names: a letter has none
    if skip and (widths[skip] < 2 or below < 2 or looks_like_data(rows[skip], rows[skip + 1:])):
        return 0
    return skip


def _mostly(values: list[str], pattern: re.Pattern, over: re.Pattern) -> bool:
    hits = sum(bool(pattern.match(v)) for v in values)
    return hits > 0 and hits > sum(bool(over.match(v)) for v in values)


def decimal_mark(values: list[str], delimiter: str) -> str:
    """"," when the sampled fields mostly use a decimal comma (never with a comma delimiter), else "."."""
    return "," if delimiter != "," and _mostly(values, _COMMA_DECIMAL, over=_DOT_DECIMAL) else "."


def delimiter_name(delimiter: str) -> str:
    return {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}[delimiter]


def check_duplicate_names(names: list[str], path: Path, table: str | None = None) -> None:
    seen: set[str] = set()
    dupes = [n for n in names if n and (n in seen or seen.add(n))]
    if dupes:
        listed = ", ".join(f"'{n}'" for n in dict.fromkeys(dupes))
        where = table or str(path)
        raise InputError(f"{where} has duplicate column names ({listed}); rename them so each column is unique.",
                         field=str(path))
