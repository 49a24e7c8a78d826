"""Load the analyst's files into one :class:`~engine.results.Dataset`.

Every file is read, each table's column roles detected and its kind
classified; the main table is picked (transactions, else a one-row-per-customer
table, else the largest) and, for transactions, customers and products tables
are joined on their ids. Cleaning removes rows in a fixed order, so each row is
counted once and the counts add up: no customer id -> no readable date ->
dated after the build day -> exact duplicate -> no readable amount ->
(returns="exclude") return lines.

Identical lines are dropped only when an order id tells them apart from a
genuine repeat purchase (``duplicates="auto"``; "drop" and "keep" force
either way); kept ones are counted and said. Identifiers stay text end to
end: id columns are read as text (:mod:`engine.loading.io`) and normalised with
:func:`~engine.loading.parsing.normalise_ids`, in the canonical frames and in ``rows``.

Each table's role columns are typed once (:mod:`engine.loading.canonical`: ids
normalised, dates and numbers parsed, unreadable values counted as they are
read); joining, cleaning and the quality counts then work on those columns.

The canonical transactions frame always has ``customer_id`` (str) and
``is_return`` (bool); every other column of ``CANONICAL_COLUMNS`` is present
only when some table provides it (``amount`` also when quantity and unit price
exist, as their product). Return lines carry negative quantity and amount.
``Dataset.customers`` holds one row per customer kept, indexed by
``customer_id``: canonical ``region`` / ``signup_date`` when known, plus the
customers table's other columns under their own names.

Reading the files and picking the main and side tables lives in
:mod:`engine.loading.tables`; joining the side tables in :mod:`engine.loading.joins`; the
cleaning rules and the data-quality sentences in :mod:`engine.loading.quality`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.errors import InputError
from engine.formatting import plural
from engine.loading.canonical import NUMBER_ROLES, Table, canonical_lines, kept_lines, kept_rows, put_ids
from engine.loading.currency import money_currency
from engine.loading.dates import future_cutoff, future_rows
from engine.loading.io import expand_paths
from engine.loading.joins import (
    customer_attributes,
    customer_codes,
    customers_frame,
    customers_without_transactions,
    join_report,
    positions,
    product_attributes,
    take,
)
from engine.loading.limits import ReadLimits
from engine.loading.quality import (
    NO_MONEY,
    OUTLIER_IQR_FACTOR,
    add_amount,
    customer_outliers,
    drops_identical,
    flag_returns,
    identical_kept_finding,
    identical_kept_warning,
    identical_rows,
    implausible_sentence,
    mask_implausible,
    no_money,
    purchases_before_signup,
    repeated_ids_finding,
    returns_sentence,
    row_outliers,
    rows_sentence,
)
from engine.loading.roles import ID_ROLES
from engine.loading.tables import load_tables, pick_main, side_table
from engine.results import CANONICAL_COLUMNS, Dataset, JoinReport, QualitySummary

RETURNS_OPTIONS = ("net", "exclude")
DUPLICATES_OPTIONS = ("auto", "drop", "keep")  # identical lines: drop when there is an order id | always | never


def load_dataset(paths, roles: dict[str, str | None] | None = None, sheet: str | int | None = None,
                 returns: str = "net", duplicates: str = "auto", exclude_sheets=(),
                 limits: ReadLimits | None = None, today=None) -> Dataset:
    """Read, recognise, join and clean the analyst's files.

    Parameters
    ----------
    paths : path or list of paths
        Files and/or folders (a folder means its supported files).
    roles : dict, optional
        role -> column overrides; applied to every table that has that column.
    sheet : str or int, optional
        The one Excel sheet to read (default, or "*": every non-empty sheet, each its own table).
    returns : {"net", "exclude"}
        Keep return lines (monetary is net of them) or drop them.
    duplicates : {"auto", "drop", "keep"}
        Identical transaction lines: "auto" drops them when the table has an
        order id (they repeat a line of the same order) and keeps them when it
        has none (they may be genuine repeat purchases); "drop" and "keep"
        force either. A one-row-per-customer table always drops them (a
        customer cannot be listed twice).
    exclude_sheets : list of str
        Workbook sheets not to read (each must name a sheet of a workbook given).
    limits : ReadLimits, optional
        Rows, columns and workbook size read (default: the project file's defaults).
    today : date-like, optional
        The build day (default: today); transaction lines dated after it are excluded and counted.

    Workbook sheets that were not read (empty, excluded, or beside a pinned
    sheet) are listed at the end of the data-quality findings.
    """
    if returns not in RETURNS_OPTIONS:
        raise InputError(f"returns is {returns!r}; allowed values are {', '.join(RETURNS_OPTIONS)}.")
    if duplicates not in DUPLICATES_OPTIONS:
        raise InputError(f"duplicates is {duplicates!r}; allowed values are {', '.join(DUPLICATES_OPTIONS)}.",
                         field="data.duplicates")
    sheet_notes: list[str] = []
    tables = load_tables(expand_paths(paths), roles or {}, sheet, exclude_sheets, sheet_notes, limits)
    data = _dataset(tables, returns, duplicates, today)
    data.quality.findings.extend(sheet_notes)
    data.currency = money_currency(tables)
    return data


def _dataset(tables: list[Table], returns: str, duplicates: str, today=None) -> Dataset:
    main, warnings = pick_main(tables)
    warnings += [f"{main.info.name}: {note}" for note in main.info.notes if " was taken as " in note]
    if main.info.kind == "transactions" and "customer_id" in main.info.roles:
        return _transactions_dataset(main, tables, returns, duplicates, warnings, today)
    if main.info.kind in ("customer_table", "customers"):
        return _unit_table_dataset(main, tables, warnings, shape="customer_table", duplicates=duplicates)
    if main.info.kind == "transactions":
        warnings.append(f"{main.info.name} has no column recognised as a customer id, so only row-level analysis "
                        "is possible; name it with roles={'customer_id': ...} if there is one.")
    return _unit_table_dataset(main, tables, warnings, shape="rows", duplicates=duplicates)


# ---- transactions ----------------------------------------------------------


def _transactions_dataset(main: Table, tables: list[Table], returns: str, duplicates: str,
                          warnings: list[str], today=None) -> Dataset:
    frame, roles, name = main.frame, main.info.roles, main.info.name
    n_read = len(frame)
    tx, bad_dates = canonical_lines(main, warnings)
    findings: list[str] = []
    joins: list[JoinReport] = []
    customers_attr = None
    people = side_table(tables, main, ("customers", "customer_table"), "customer_id", warnings)
    if people is not None:
        customers_attr = customer_attributes(people, findings, bad_dates)
        where = positions(tx["customer_id"], customers_attr.index)
        joins.append(join_report(tx["customer_id"], where, customers_attr.index, name, people.info.name,
                                  "customer_id", "their region and signup date are unknown", warnings))
        for column in ("region", "signup_date"):
            if column in customers_attr and column not in tx:
                tx[column] = take(customers_attr[column], where, tx.index)
    goods = side_table(tables, main, ("products",), "product_id", warnings)
    if goods is not None and "product_id" in tx:
        products = product_attributes(goods)
        where = positions(tx["product_id"], products.index)
        joins.append(join_report(tx["product_id"], where, products.index, name, goods.info.name, "product_id",
                                  "their category is unknown", warnings))
        for column in ("category", "unit_price"):
            if column in products and column not in tx:
                tx[column] = take(products[column], where, tx.index)
    elif goods is not None:
        warnings.append(f"{goods.info.name} was not joined: {name} has no product id column.")
    if "date" not in tx:
        warnings.append(f"{name} has no date column, so recency, tenure and purchase intervals cannot be computed.")
    implausible = [(name, roles[r], main.typed.implausible_numbers(r)) for r in NUMBER_ROLES if r in roles]
    if goods is not None and "unit_price" in goods.info.roles and "unit_price" not in roles:
        implausible.append((goods.info.name, goods.info.roles["unit_price"], goods.typed.implausible_numbers("unit_price")))
    add_amount(tx, roles, findings, warnings)
    headline = []
    if NO_MONEY in warnings:
        warnings.remove(NO_MONEY)
        headline.append(no_money(frame, roles, name))
        warnings.insert(0, headline[0])
    flag_returns(tx)

    keep = pd.Series(True, index=tx.index)
    steps: list[tuple[int, str]] = []

    def drop(mask: pd.Series, what: str) -> int:
        nonlocal keep
        removed = int((keep & mask).sum())
        keep &= ~mask
        steps.append((removed, what))
        return removed

    n_missing = drop(tx["customer_id"].isna(), "had no customer id")
    n_future = 0
    if "date" in tx:
        bad_dates[roles["date"]] = drop(tx["date"].isna(), f"had a missing or unreadable date in {roles['date']!r}")
        future = pd.Series(future_rows(tx["date"], today), index=tx.index)
        build_day = future_cutoff(today) - pd.Timedelta(days=1)
        latest = f"; the latest is {tx['date'][future].max():%Y-%m-%d}" if future.any() else ""
        n_future = drop(future, f"were dated after the build day ({build_day:%Y-%m-%d}{latest})")
    identical = pd.Series(identical_rows(frame), index=tx.index)
    drop_identical = drops_identical(duplicates, roles)
    n_duplicates = 0
    if drop_identical:
        forced = " (data.duplicates is \"drop\")" if "order_id" not in roles else ""
        n_duplicates = drop(identical, f"were exact duplicates of an earlier row{forced}")
    if "amount" in tx:
        drop(tx["amount"].isna(), "had no readable amount")
    n_returns = int((keep & tx["is_return"]).sum())
    if returns == "exclude":
        drop(tx["is_return"], "were returns or cancellations (returns='exclude')")
    n_non_positive = int((keep & (tx["unit_price"] <= 0)).sum()) if "unit_price" in tx else 0
    if not keep.any():
        reasons = ", ".join(f"{n:,} {what}" for n, what in steps if n)
        raise InputError(f"All {n_read:,} rows of {name} were removed during cleaning ({reasons}); "
                         "check the column roles with `python -m engine inspect`.")
    n_identical_kept = 0 if drop_identical else int((keep & identical).sum())
    tx = kept_lines(tx, keep.to_numpy())
    by_customer = customer_codes(tx["customer_id"])  # one factorisation serves every per-customer count below
    findings[:0] = [rows_sentence(n, n_read, f"{what} and were excluded") for n, what in steps if n]
    if n_identical_kept:
        findings.append(identical_kept_finding(n_identical_kept, n_read, roles))
        warnings.append(identical_kept_warning(n_identical_kept, roles))
    treatment = returns_sentence(n_returns, n_read, returns)
    findings.append(treatment)
    if n_non_positive:
        findings.append(rows_sentence(n_non_positive, n_read, "have a zero or negative unit price; they were kept"))
    outliers, limit, rule = customer_outliers(tx, by_customer)
    if outliers:
        who = "1 customer has" if outliers == 1 else f"{outliers:,} customers have"
        findings.append(f"{who} a total spend above {limit:,.2f}, far above the rest; they were kept and can "
                        "dominate clusters built on raw spend.")
    if not any(n for n, _ in steps):
        findings.insert(0, f"All {n_read:,} rows were used; no row was removed by cleaning.")
    tx = tx[[c for c in CANONICAL_COLUMNS if c in tx]]
    customers = customers_frame(tx, customers_attr, by_customer)
    n_early = purchases_before_signup(tx, customers, by_customer, warnings)
    if people is not None:
        customers_without_transactions(customers_attr.index, by_customer[1], joins[0], warnings)
    quality = QualitySummary(
        rows_read=n_read, rows_used=len(tx), customers=len(by_customer[1]),
        date_min=tx["date"].min() if "date" in tx else None, date_max=tx["date"].max() if "date" in tx else None,
        rows_missing_customer=n_missing, returns=n_returns, returns_treatment=treatment,
        duplicate_rows=n_duplicates, identical_rows_kept=n_identical_kept, unparseable_dates=bad_dates,
        future_dates=n_future,
        non_positive_prices=n_non_positive, outliers=outliers, outlier_rule=rule,
        first_purchase_before_signup=n_early, findings=findings)
    # unit="row" clusters the main table's own columns, on the same rows the quality summary counts as used.
    rows = kept_rows(main, keep.to_numpy(), tx)
    masked = mask_implausible(rows, skip={roles[r] for r in ID_ROLES + NUMBER_ROLES if r in roles})
    _say_implausible(quality, name, implausible + [(name, column, n) for column, n in masked.items()])
    return Dataset(tables=[t.info for t in tables], shape="transactions", transactions=tx, customers=customers,
                   rows=rows, quality=quality, joins=joins, warnings=warnings, headline=headline)


def _say_implausible(quality: QualitySummary, main: str, counts: list[tuple[str, str, int]]) -> None:
    """Infinite or huge numbers made missing, by (table, column): counted in the summary (a side table's column
    as "table:column") and said in the findings."""
    counts = [(table, column, n) for table, column, n in counts if n]
    quality.implausible_numbers = {(column if table == main else f"{table}:{column}"): n for table, column, n in counts}
    quality.findings.extend(implausible_sentence(n, column, table) for table, column, n in counts)


# ---- one row per unit (customer table, or rows without customer ids) ------


def _unit_table_dataset(main: Table, tables: list[Table], warnings: list[str], shape: str,
                        duplicates: str = "auto") -> Dataset:
    frame, roles, name = main.frame, main.info.roles, main.info.name
    id_columns = [roles[r] for r in ID_ROLES if r in roles]
    numeric = [c for c in frame.columns if c not in id_columns and pd.api.types.is_numeric_dtype(frame[c])
               and not pd.api.types.is_bool_dtype(frame[c])]
    if not numeric:
        if "customer_id" not in roles:
            raise InputError(f"{name} has no column that looks like a customer id and no numeric column; name the "
                             "customer id with roles={'customer_id': ...} or load a table with numbers.")
        raise InputError(f"{name} has no numeric column to cluster on; add numeric columns (e.g. spend, visits) "
                         "or load the transactions too.")
    for t in tables:
        if t.info.name not in name.split(" + ") and t is not main:
            warnings.append(f"{t.info.name} ({t.info.kind}) was not used: the analysis runs on {name}.")
    n_read = len(frame)
    identical = pd.Series(identical_rows(frame), index=frame.index)
    n_identical = int(identical.sum())
    # A customer table lists each customer once, so identical rows are a double export whatever
    # data.duplicates says; rows without customer ids are lines, kept or dropped like transactions.
    drop_identical = shape == "customer_table" or drops_identical(duplicates, roles)
    duplicated = identical if drop_identical else pd.Series(False, index=frame.index)
    kept = np.flatnonzero(~duplicated.to_numpy())  # positions in the table of the rows used
    rows = put_ids(frame.iloc[kept].reset_index(drop=True), main, kept)
    findings = [rows_sentence(n_identical, n_read, "were exact duplicates of an earlier row and were "
                               "excluded")] if n_identical and drop_identical else []
    n_identical_kept = 0 if drop_identical else n_identical
    if n_identical and shape == "customer_table":
        ignored = " (data.duplicates \"keep\" applies to transaction lines only)" if duplicates == "keep" else ""
        warnings.append(f"{n_identical:,} identical {plural(n_identical, 'row')} of {name} "
                        f"{'was' if n_identical == 1 else 'were'} dropped as a double export: a table with one row "
                        f"per customer lists each customer once{ignored}.")
    elif n_identical_kept:
        findings.append(identical_kept_finding(n_identical_kept, n_read, roles))
        warnings.append(identical_kept_warning(n_identical_kept, roles))
    customers, n_missing, n_repeated = None, 0, 0
    if shape == "customer_table":
        ids = main.typed["customer_id"].iloc[kept]
        n_missing = int(ids.isna().sum())
        if n_missing:
            findings.append(rows_sentence(n_missing, n_read, "had no customer id and were excluded"))
        # One customer, one row: a row repeating an earlier row's customer id leaves ``rows`` too, so the customers
        # clustered, the assignments and every count agree (a row without an id stays for row-level analysis).
        repeat = (ids.notna() & ids.duplicated(keep="first")).to_numpy()
        n_repeated = int(repeat.sum())
        if n_repeated:
            findings.append(repeated_ids_finding(ids, ~repeat, n_read, name))
            warnings.append(f"{n_repeated:,} {plural(n_repeated, 'row')} of {name} repeat an earlier row's customer "
                            "id and were excluded; the first row of each customer was kept.")
            ids, kept = ids[~repeat], kept[~repeat]
            rows = put_ids(frame.iloc[kept].reset_index(drop=True), main, kept)
        known = ids.notna().to_numpy()
        customers = rows[known].drop(columns=[roles["customer_id"]])
        customers.index = pd.Index(ids.dropna(), name="customer_id")
        kept = kept[known]
        for role in ("region", "signup_date"):
            if role in roles:
                values = roles[role]
                customers[role] = main.typed[role].iloc[kept].set_axis(customers.index)
                if values != role:
                    customers = customers.drop(columns=[values])
    masked = mask_implausible(rows, skip=set(id_columns))
    if customers is not None:
        mask_implausible(customers, skip=set(id_columns))
    units = rows if customers is None else customers
    outliers, rule = row_outliers(units, [c for c in numeric if c in units])
    if outliers:
        findings.append(rows_sentence(outliers, len(units), "have an extreme value in at least one numeric column "
                                       f"(beyond {OUTLIER_IQR_FACTOR:g} x IQR from the quartiles); they were kept"))
    if not findings:
        findings.append(f"All {n_read:,} rows were used; no row was removed by cleaning.")
    quality = QualitySummary(
        rows_read=n_read, rows_used=len(units), customers=0 if customers is None else len(customers),
        rows_missing_customer=n_missing, duplicate_rows=int(duplicated.sum()), identical_rows_kept=n_identical_kept,
        returns_treatment="Not applicable: there are no transaction lines.", outliers=outliers,
        outlier_rule=rule, findings=findings, repeated_ids=n_repeated)
    _say_implausible(quality, name, [(name, column, n) for column, n in masked.items()])
    return Dataset(tables=[t.info for t in tables], shape=shape, transactions=None, customers=customers, rows=rows,
                   quality=quality, joins=[], warnings=warnings)

