"""AppTest of a workbook upload: each sheet is a table on the Data page, and a sheet can be excluded."""

from pathlib import Path

import pandas as pd
import pytest

from engine.project import Project
from engine.project_paths import REPO_ROOT
from tests.app.test_pages import _app, _texts

SAMPLE = REPO_ROOT / "data" / "sample"
pytestmark = pytest.mark.slow


def _shop_book(folder: Path) -> Path:
    """The sample's first 150 customers and their transactions as two sheets, and an empty "Notes" sheet."""
    customers = pd.read_csv(SAMPLE / "Customers.csv").head(150)
    transactions = pd.read_csv(SAMPLE / "Transactions.csv")
    transactions = transactions[transactions["CustomerID"].isin(customers["CustomerID"])]
    path = folder / "shop.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        customers.to_excel(writer, sheet_name="Customers", index=False)
        pd.DataFrame().to_excel(writer, sheet_name="Notes", index=False)
        transactions.to_excel(writer, sheet_name="Transactions", index=False)
    return path


def _sheet_rows(at) -> list[tuple[str, str]]:
    [table] = [d for d in at.dataframe if "Status" in d.value.columns]
    return list(zip(table.value["Sheet"], table.value["Status"], strict=True))


def test_two_sheet_workbook_is_joined_and_a_sheet_can_be_excluded(tmp_path):
    book = _shop_book(tmp_path)
    at = _app()
    at.session_state["data.uploads"] = [(book.name, book.read_bytes())]
    at.run()
    at.button(key="data.load").click().run()
    assert not at.exception, at.exception
    analysis = at.session_state["analysis"]
    dataset = analysis.data.value
    assert [t.name for t in dataset.tables] == ["shop.xlsx: Customers", "shop.xlsx: Transactions"]
    assert [(j.left, j.right) for j in dataset.joins] == [("shop.xlsx: Transactions", "shop.xlsx: Customers")]
    assert dataset.quality.customers == 150 and dataset.transactions["region"].notna().all()
    assert _sheet_rows(at) == [("Customers", "read as customers"), ("Notes", "skipped: no data rows"),
                               ("Transactions", "read as transactions")]
    assert "shop.xlsx: sheet 'Notes' is empty and was skipped." in _texts(at.markdown)

    [choice] = [m for m in at.multiselect if m.label == "Sheets not to read"]
    choice.select("Customers")
    at.button(key="data.apply_sheets").click().run()
    assert not at.exception, at.exception
    assert analysis.project.data.exclude_sheets == ["Customers"]
    dataset = analysis.data.value
    assert [t.name for t in dataset.tables] == ["shop.xlsx: Transactions"] and dataset.joins == []
    assert "region" not in dataset.transactions
    assert ("shop.xlsx: sheet 'Customers' was not read (excluded by data.exclude_sheets)."
            in _texts(at.markdown))
    assert _sheet_rows(at)[0] == ("Customers", "excluded")
    # the exclusion is part of the project file, so a reopened project leaves the sheet out too
    assert Project.from_json(analysis.project.to_json()).data.exclude_sheets == ["Customers"]

    [choice] = [m for m in at.multiselect if m.label == "Sheets not to read"]
    choice.select("Transactions")  # both data sheets excluded: refused, the loaded data stays
    at.button(key="data.apply_sheets").click().run()
    assert not at.exception, at.exception
    assert "has no data in any sheet not excluded by data.exclude_sheets" in _texts(at.error)
    assert analysis.project.data.exclude_sheets == ["Customers"]
    assert [t.name for t in analysis.data.value.tables] == ["shop.xlsx: Transactions"]
