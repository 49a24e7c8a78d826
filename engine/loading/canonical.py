"""One table's role columns as typed canonical columns, each computed once.

A :class:`TypedColumns` wraps a table as read and hands out its role columns
typed: ids as normalised text (:func:`~engine.loading.parsing.normalise_ids`), dates
parsed (:func:`~engine.loading.parsing.parse_dates`, with the count of unreadable
values), numbers read (:func:`~engine.loading.parsing.to_numbers`, with the count of
values present but unreadable), labels cleaned. Each is computed the first time
it is asked for and kept, so the loader, the joins and the cleaning rules never
parse a column twice.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.errors import InputError
from engine.formatting import plural
from engine.loading.parsing import (
    ParsedDates,
    clean_text,
    implausible,
    normalise_ids,
    parse_dates,
    to_numbers,
)
from engine.loading.roles import ID_ROLES
from engine.results import TableInfo

DATE_ROLES = ("date", "signup_date")
NUMBER_ROLES = ("quantity", "unit_price", "amount")
TEXT_ROLES = ("category", "region")


class TypedColumns:
    """The typed role columns of one table (``frame`` as read, ``roles``: role -> column)."""

    def __init__(self, frame: pd.DataFrame, roles: dict[str, str]):
        self.frame, self.roles = frame, roles
        self._typed: dict[str, pd.Series] = {}
        self.dates: dict[str, ParsedDates] = {}  # date role -> how it was read
        self.unreadable: dict[str, int] = {}  # number role -> values present that are not numbers
        self.implausible: dict[str, int] = {}  # number role -> infinite or huge values (read, then made missing)

    def __contains__(self, role: str) -> bool:
        return role in self.roles

    def __getitem__(self, role: str) -> pd.Series:
        """The role's column typed (on the frame's index): ids and labels as text, dates, floats."""
        if role not in self._typed:
            raw = self.frame[self.roles[role]]
            if role in ID_ROLES:
                self._typed[role] = normalise_ids(raw)
            elif role in DATE_ROLES:
                self.dates[role] = parse_dates(raw)
                self._typed[role] = self.dates[role].values
            elif role in NUMBER_ROLES:
                numbers = to_numbers(raw)
                bad = implausible(numbers)
                self.implausible[role] = int(bad.sum())
                self._typed[role] = numbers.mask(bad)
                self.unreadable[role] = int((raw.notna() & numbers.isna()).sum())
            else:
                self._typed[role] = clean_text(raw)
        return self._typed[role]

    def parsed_dates(self, role: str) -> ParsedDates:
        self[role]
        return self.dates[role]

    def unreadable_numbers(self, role: str) -> int:
        self[role]
        return self.unreadable[role]

    def implausible_numbers(self, role: str) -> int:
        self[role]
        return self.implausible[role]


class Table:
    """One table as read: where it came from and its roles (``info``), its rows, and its typed role columns."""

    def __init__(self, info: TableInfo, frame: pd.DataFrame):
        self.info, self.frame = info, frame
        self.typed = TypedColumns(frame, info.roles)


def canonical_lines(table: Table, warnings: list[str]) -> tuple[pd.DataFrame, dict[str, int]]:
    """The main table's role columns under canonical names, typed; unreadable values said in ``warnings``.

    Returns the lines and the unreadable signup dates by column; dates of which
    none can be read are an error for the purchase date, a warning otherwise.
    """
    typed, roles, name = table.typed, table.info.roles, table.info.name
    tx = pd.DataFrame(index=table.frame.index)
    bad_dates: dict[str, int] = {}
    for role in ID_ROLES:
        if role in roles:
            tx[role] = typed[role]
    for role in DATE_ROLES:
        if role in roles:
            parsed = typed.parsed_dates(role)
            _say_dates(parsed, table.frame[roles[role]], roles[role], name, warnings, strict=role == "date")
            tx[role] = parsed.values
            if role == "signup_date":
                bad_dates[roles[role]] = parsed.n_unreadable
    for role in NUMBER_ROLES:
        if role in roles:
            tx[role] = typed[role]
            unreadable = typed.unreadable_numbers(role)
            if unreadable:
                count = "1 value" if unreadable == 1 else f"{unreadable:,} values"
                warnings.append(f"{count} in {roles[role]!r} of {name} could not be read as numbers and were "
                                "treated as missing.")
    for role in TEXT_ROLES:
        if role in roles:
            tx[role] = typed[role]
    return tx, bad_dates


def _say_dates(parsed: ParsedDates, raw: pd.Series, column: str, name: str, warnings: list[str],
               strict: bool) -> None:
    present = int(raw.notna().sum())
    if present and parsed.values.notna().sum() == 0:
        example = str(raw.dropna().iloc[0])
        message = (f"None of the {present:,} values in column {column!r} of {name} could be read as dates "
                   f"(e.g. {example!r}); fix the format or pick another date column with roles.")
        if strict:
            raise InputError(message, field=column)
        warnings.append(message)
    votes = parsed.day_month
    if parsed.ambiguous:
        warnings.append(f"Dates in {column!r} of {name} fit both month/day and day/month order (no day or month "
                        f"above 12 in {votes.either:,} {plural(votes.either, 'row')}); they were read as "
                        f"{parsed.format!r} (month first).")
    elif votes.mixed:
        majority = "day-first" if votes.order == "dmy" else "month-first"
        why = "the majority" if votes.day_first != votes.month_first else "a tie is read month-first"
        warnings.append(f"Column {column!r} of {name} mixes day-first and month-first dates ({votes.day_first:,} "
                        f"{plural(votes.day_first, 'row')} can only be day-first, {votes.month_first:,} only "
                        f"month-first): each was read the one way it fits, and the {votes.either:,} "
                        f"{plural(votes.either, 'row')} that could be either were read as {majority} ({why}), so "
                        "some of those may have day and month swapped.")


def put_ids(rows: pd.DataFrame, table: Table, keep: np.ndarray) -> pd.DataFrame:
    """``rows`` (the table's ``keep`` rows) with its id columns as normalised text, as in the canonical lines."""
    for role in ID_ROLES:
        if role in table.info.roles and table.info.roles[role] in rows:
            ids = table.typed[role][keep]
            # an all-missing column goes through numpy as before (it becomes float); text keeps its array
            rows[table.info.roles[role]] = ids.array if ids.notna().any() else ids.to_numpy()
    return rows


def kept_lines(frame: pd.DataFrame, keep: np.ndarray) -> pd.DataFrame:
    """``frame[keep]`` renumbered 0..n-1; without a copy when every row is kept (a million lines: ~1 GB)."""
    return (frame if keep.all() else frame[keep]).reset_index(drop=True)


def kept_rows(table: Table, keep: np.ndarray, lines: pd.DataFrame) -> pd.DataFrame:
    """The table's ``keep`` rows with normalised ids, as :func:`put_ids` gives them, but the id columns taken
    from ``lines`` (the canonical lines of the same rows, whose id columns hold the same values) instead of a
    second copy: at a million customers each id column is ~150 MB."""
    frame, roles = table.frame, table.info.roles
    shared = {roles[r]: r for r in ID_ROLES if r in roles and roles[r] in frame and r in lines
              and lines[r].notna().any()}  # an all-missing id column goes through put_ids (numpy) as before
    rows = kept_lines(frame.drop(columns=list(shared)), keep)
    for column in [c for c in frame.columns if c in shared]:  # left to right: each goes back to its place
        rows.insert(frame.columns.get_loc(column), column, lines[shared[column]].array)
    return put_ids(rows, table, keep) if len(shared) < sum(r in roles and roles[r] in frame for r in ID_ROLES) else rows
