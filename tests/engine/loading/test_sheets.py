"""Workbooks: every non-empty sheet is its own table, joined like separate files; data.sheet pins one,
data.exclude_sheets leaves some out, and every sheet not read is said in the data-quality findings."""

from __future__ import annotations

import csv
from datetime import datetime
from io import StringIO
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from engine.errors import InputError
from engine.loading.dataset import load_dataset
from engine.loading.excel import workbook_sheets
from engine.project import Project
from tests.engine.data_fixtures import (
    MALL_CSV,
    SIGNUP_CUSTOMERS_CSV,
    SIGNUP_TRANSACTIONS_CSV,
    write,
    write_signup_tables,
)


def _cell(text: str):
    """The value Excel would hold for a CSV field: a number, a date, blank, or text."""
    if text == "":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    for layout in ("%Y-%m-%d", "%Y-%m-%d %H:%M"):
        try:
            return datetime.strptime(text, layout)
        except ValueError:
            pass
    return text


def write_book(folder: Path, name: str, sheets: dict[str, str]) -> Path:
    """A workbook written with openpyxl, one sheet per CSV text with typed cells ("" gives an empty sheet)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, text in sheets.items():
        sheet = book.create_sheet(title)
        for r, row in enumerate(csv.reader(StringIO(text)), start=1):
            for c, field in enumerate(row, start=1):
                sheet.cell(row=r, column=c, value=field if r == 1 else _cell(field))
    path = Path(folder) / name
    book.save(path)
    return path


SHOP = {"Customers": SIGNUP_CUSTOMERS_CSV, "Transactions": SIGNUP_TRANSACTIONS_CSV}


def test_two_sheets_give_the_same_dataset_as_two_csv_files(tmp_path):
    (tmp_path / "csv").mkdir()
    from_csv = load_dataset(write_signup_tables(tmp_path / "csv"))
    from_book = load_dataset(write_book(tmp_path, "shop.xlsx", SHOP))
    assert [(t.name, t.kind, t.sheet) for t in from_book.tables] == [
        ("shop.xlsx: Customers", "customers", "Customers"), ("shop.xlsx: Transactions", "transactions", "Transactions")]
    assert [t.kind for t in from_csv.tables] == [t.kind for t in from_book.tables]
    assert [t.roles for t in from_csv.tables] == [t.roles for t in from_book.tables]
    pd.testing.assert_frame_equal(from_book.transactions, from_csv.transactions)
    pd.testing.assert_frame_equal(from_book.customers, from_csv.customers)
    assert from_book.quality.findings == from_csv.quality.findings  # nothing skipped: no sheet note
    for count in ("rows_read", "rows_used", "customers", "returns", "first_purchase_before_signup"):
        assert getattr(from_book.quality, count) == getattr(from_csv.quality, count)
    assert from_book.quality.unparseable_dates == {"OrderDate": 1, "shop.xlsx: Customers:SignupDate": 0}
    assert from_csv.quality.unparseable_dates == {"OrderDate": 1, "Customers.csv:SignupDate": 0}
    [join] = from_book.joins
    assert (join.left, join.right) == ("shop.xlsx: Transactions", "shop.xlsx: Customers")


def test_an_empty_sheet_is_skipped_with_a_note(tmp_path):
    path = write_book(tmp_path, "shop.xlsx", {"Notes": "", **SHOP})
    data = load_dataset(path)
    assert [t.sheet for t in data.tables] == ["Customers", "Transactions"]
    assert data.quality.findings[-1] == "shop.xlsx: sheet 'Notes' is empty and was skipped."
    assert data.quality.customers == 5


def test_sheet_notes_of_a_workbook_after_another_file_still_reach_the_findings(tmp_path):
    """A workbook given after a CSV: its skipped sheet is said (the notes used to go to the CSV's table)."""
    (tmp_path / "csv").mkdir()
    customers = next(p for p in write_signup_tables(tmp_path / "csv") if "ustomer" in p.name)
    book = write_book(tmp_path, "orders.xlsx", {"Notes": "", "Transactions": SIGNUP_TRANSACTIONS_CSV})
    data = load_dataset([customers, book])
    assert "orders.xlsx: sheet 'Notes' is empty and was skipped." in data.quality.findings
    assert all("skipped" not in note for t in data.tables for note in t.notes)


def test_excluded_sheet_is_not_read_and_is_said(tmp_path):
    path = write_book(tmp_path, "shop.xlsx", {**SHOP, "Mall": MALL_CSV})
    everything = load_dataset(path)
    assert "shop.xlsx: Mall was not used: shop.xlsx: Customers already provides the customer_table." in (
        everything.warnings)
    data = load_dataset(path, exclude_sheets=["Mall"])
    assert [t.sheet for t in data.tables] == ["Customers", "Transactions"]
    assert not any("Mall" in w for w in data.warnings)
    assert data.quality.findings[-1] == "shop.xlsx: sheet 'Mall' was not read (excluded by data.exclude_sheets)."
    # excluding the customers sheet leaves the transactions alone: nothing joined
    alone = load_dataset(path, exclude_sheets=["Customers", "Mall"])
    assert [t.sheet for t in alone.tables] == ["Transactions"] and alone.joins == []
    assert "region" not in alone.transactions


def test_pinned_sheet_says_which_sheets_were_not_read(tmp_path):
    path = write_book(tmp_path, "shop.xlsx", {"Notes": "", **SHOP})
    data = load_dataset(path, sheet="Transactions")
    assert [t.name for t in data.tables] == ["shop.xlsx: Transactions"]
    assert data.joins == []
    assert data.quality.findings[-1] == ("shop.xlsx: sheets 'Notes', 'Customers' were not read "
                                         "(data.sheet pins 'Transactions').")


def test_unknown_excluded_sheet_is_one_sentence(tmp_path):
    path = write_book(tmp_path, "shop.xlsx", SHOP)
    with pytest.raises(InputError) as caught:
        load_dataset(path, exclude_sheets=["Sales", "Customers", "Notes"])
    message = str(caught.value)
    assert message == ("data.exclude_sheets names sheets that no workbook has ('Notes', 'Sales'); "
                       "the workbooks' sheets are Customers, Transactions.")
    assert caught.value.field == "data.exclude_sheets"
    csv_only = write(tmp_path, "mall.csv", MALL_CSV)
    with pytest.raises(InputError, match=r"names a sheet that no workbook has \('Mall'\); no Excel workbook was given\.$"):
        load_dataset(csv_only, exclude_sheets=["Mall"])


def test_excluding_every_sheet_or_pinning_an_excluded_one_is_refused(tmp_path):
    path = write_book(tmp_path, "shop.xlsx", {"Notes": "", **SHOP})
    with pytest.raises(InputError, match="has no data in any sheet not excluded by data.exclude_sheets"):
        load_dataset(path, exclude_sheets=["Customers", "Transactions"])
    with pytest.raises(InputError, match="'Customers' is both pinned by data.sheet and listed in data.exclude_sheets"):
        load_dataset(path, sheet="Customers", exclude_sheets=["Customers"])


def test_sheet_exclusion_in_the_project_file(tmp_path):
    project = Project.from_dict({"data": {"exclude_sheets": ["Mall"]}})
    assert project.data.exclude_sheets == ["Mall"]
    assert Project.from_dict(project.to_dict()).data.exclude_sheets == ["Mall"]
    assert Project().fingerprint("data") != project.fingerprint("data")  # a change reloads the data
    with pytest.raises(InputError, match="data.exclude_sheets should be a list of names"):
        Project.from_dict({"data": {"exclude_sheets": "Mall"}})


def test_workbook_sheets_lists_names_and_refuses_non_workbooks(tmp_path):
    path = write_book(tmp_path, "shop.xlsx", {"Notes": "", **SHOP})
    assert workbook_sheets(path) == ["Notes", "Customers", "Transactions"]
    fake = write(tmp_path, "fake.xlsx", "not a workbook")
    with pytest.raises(InputError, match="fake.xlsx is not a readable Excel workbook"):
        workbook_sheets(fake)


def test_a_sheet_with_only_a_header_or_a_title_is_skipped_with_a_note(tmp_path):
    path = write_book(tmp_path, "shop.xlsx", {"About": "Exported from the shop system\n", **SHOP,
                                              "Template": "CustomerID,Region\n"})
    data = load_dataset(path)
    assert [t.sheet for t in data.tables] == ["Customers", "Transactions"]
    assert data.quality.findings[-2:] == [
        "shop.xlsx: About has no data rows (only a header or a title) and was skipped.",
        "shop.xlsx: Template has no data rows (only a header or a title) and was skipped."]
    only_headers = write_book(tmp_path, "heads.xlsx", {"A": "CustomerID,Region\n", "B": "Title\n"})
    with pytest.raises(InputError, match=r"heads.xlsx has no data rows in any sheet; check the workbook\.$"):
        load_dataset(only_headers)
