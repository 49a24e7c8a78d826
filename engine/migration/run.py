"""Score the same customers at two dates with one saved model, and compare: the ``migrate`` command's work.

The data is read once, with the model's own rules (:meth:`SavedModel.load_data`),
then scored with the transactions up to each date (:meth:`SavedModel.score_dataset`
with ``as_of``), so the two placements differ only by what the customers did
between the dates.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from engine.errors import InputError
from engine.formatting import long_date
from engine.migration.table import Migration, migration_table


def parse_day(text, what: str) -> pd.Timestamp:
    """A YYYY-MM-DD date (a time after it is ignored), or one sentence naming ``what``."""
    try:
        return pd.Timestamp(date.fromisoformat(str(text).strip()[:10]))
    except (TypeError, ValueError):
        raise InputError(f"{what} is {str(text)!r}, which is not a date; use YYYY-MM-DD, e.g. 2024-12-31.") from None


def check_dates(start, end, what: tuple[str, str] = ("--from", "--to")) -> tuple[pd.Timestamp, pd.Timestamp]:
    first, second = parse_day(start, what[0]), parse_day(end, what[1])
    if first >= second:
        raise InputError(f"{what[0]} ({first.date()}) must be before {what[1]} ({second.date()}).")
    return first, second


def migrate(model, start, end, *, paths: list[str] | None = None, dataset=None, model_name: str = "",
            what: tuple[str, str] = ("--from", "--to")) -> Migration:
    """The migration of ``model``'s segments from ``start`` to ``end`` (dates) on ``dataset`` (or the data at ``paths``).

    ``model`` is an :class:`engine.model.SavedModel`; ``model_name`` names it in the
    report's note (a file name). ``what`` names the two dates in error messages.
    """
    start, end = check_dates(start, end, what)
    if dataset is None:
        if not paths:
            raise InputError("Name the data to score: one or more files or folders.")
        dataset = model.load_data(list(paths))
    first, last = _date_range(dataset)
    if first is not None and start < first:
        raise InputError(f"{what[0]} ({start.date()}) is before the first transaction date ({first.date()}); "
                         "choose dates inside the data.")
    before = model.score_dataset(dataset, as_of=start)
    after = model.score_dataset(dataset, as_of=end)
    migration = migration_table(before.table, after.table, model.segments, start=start, end=end)
    called = f"the saved model {model_name}" if model_name else "the saved model"
    migration.note = (f"Both placements use {called} ({len(model.segments)} segments)"
                      + (f"; the data runs to {long_date(last)}." if last is not None else "."))
    seen = [] if last is None or end <= last else [
        f"The data ends on {long_date(last)}, before {what[1]} ({long_date(end)}): nothing bought after "
        f"{long_date(last)} is in it, so recency at the second date includes days without data."]
    for day, scored in ((start, before), (end, after)):
        seen += [f"On {long_date(day)}: {warning}" for warning in scored.warnings]
    migration.warnings = seen
    return migration


def _date_range(dataset) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """First and last transaction day of the data (None without dates)."""
    q = dataset.quality

    def day(value):
        if value is None or pd.isna(value):
            return None
        stamp = pd.Timestamp(value)
        return (stamp.tz_localize(None) if stamp.tz is not None else stamp).normalize()

    return day(q.date_min), day(q.date_max)


def migrate_project(project) -> Migration:
    """The migration a project file's ``migration`` block asks for, on the project's data."""
    from pathlib import Path

    from engine.model import load_model

    spec = project.migration
    model = load_model(spec.model)
    return migrate(model, spec.start, spec.end, paths=list(project.data.paths), model_name=Path(spec.model).name,
                   what=("migration.from", "migration.to"))


def migration_spec(model_path: str, start, end):
    """A checked :class:`engine.project.MigrationSpec` (the app's Report page): the model loads, the dates are in order."""
    from engine.model import load_model
    from engine.project import MigrationSpec

    first, second = check_dates(start, end, ("The first date", "the second"))
    load_model(model_path)  # a file that is not a model gets its one sentence now, not when the report renders
    return MigrationSpec(str(model_path), first.date().isoformat(), second.date().isoformat())
