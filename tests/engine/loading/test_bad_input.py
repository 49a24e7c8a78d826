"""Every kind of bad input gives one InputError sentence naming the file, sheet or column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.errors import InputError
from engine.loading.dataset import load_dataset
from engine.loading.io import expand_paths, read_table
from tests.engine.data_fixtures import MALL_CSV, TRANSACTIONS_CSV, write, write_excel

PNG_HEADER = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"


def error_of(call, *args, **kwargs) -> str:
    with pytest.raises(InputError) as err:
        call(*args, **kwargs)
    message = str(err.value)
    assert "\n" not in message and message.endswith(".")  # one sentence, one line
    assert "Traceback" not in message
    return message


def test_missing_file(tmp_path):
    message = error_of(load_dataset, tmp_path / "nope.csv")
    assert "nope.csv does not exist" in message


def test_empty_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    assert "empty.csv is empty" in error_of(read_table, path)


def test_blank_lines_only(tmp_path):
    assert "blank.csv is empty" in error_of(read_table, write(tmp_path, "blank.csv", "\n\n  \n"))


def test_header_only_csv(tmp_path):
    message = error_of(load_dataset, write(tmp_path, "head.csv", "CustomerID,Date,Amount\n"))
    assert "head.csv has a header row but no data rows" in message


def test_header_only_excel_sheet(tmp_path):
    path = tmp_path / "head.xlsx"
    pd.DataFrame(columns=["CustomerID", "Spend"]).to_excel(path, index=False)
    assert "head.xlsx: Sheet1 has a header row but no data rows" in error_of(read_table, path)


def test_png_renamed_csv(tmp_path):
    path = tmp_path / "photo.csv"
    path.write_bytes(PNG_HEADER + bytes(200))
    message = error_of(load_dataset, path)
    assert "photo.csv is not a text table but a PNG image" in message


def test_random_bytes(tmp_path):
    path = tmp_path / "noise.csv"
    path.write_bytes(np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    assert "noise.csv contains binary data" in error_of(read_table, path)


def test_random_bytes_without_nul(tmp_path):
    raw = np.random.default_rng(2).integers(1, 256, 300, dtype=np.uint8).tobytes()  # no NUL byte at all
    path = tmp_path / "noise.tsv"
    path.write_bytes(raw)
    assert "noise.tsv contains binary data" in error_of(read_table, path)


def test_workbook_renamed_csv_says_what_it_is(tmp_path):
    book = write_excel(tmp_path, "book.xlsx", {"S": MALL_CSV})
    renamed = tmp_path / "book.csv"
    renamed.write_bytes(book.read_bytes())
    assert "rename it to .xlsx" in error_of(read_table, renamed)


def test_text_renamed_xlsx(tmp_path):
    message = error_of(read_table, write(tmp_path, "fake.xlsx", MALL_CSV))
    assert "fake.xlsx is not a readable Excel workbook" in message


def test_text_renamed_parquet(tmp_path):
    assert "fake.parquet is not a readable Parquet file" in error_of(read_table, write(tmp_path, "fake.parquet", "a,b\n"))


def test_unsupported_extension_lists_supported(tmp_path):
    message = error_of(load_dataset, write(tmp_path, "data.json", '{"a": 1}'))
    assert "data.json has an unsupported file type ('.json')" in message
    assert ".csv" in message and ".xlsx" in message and ".parquet" in message
    assert "no extension" in error_of(read_table, write(tmp_path, "README", "a,b\n1,2\n"))
    assert "unsupported file type ('.txt')" in error_of(read_table, write(tmp_path, "notes.txt", "hello"))


def test_duplicate_column_names_csv(tmp_path):
    path = write(tmp_path, "dupes.csv", "CustomerID,Amount,Date,Amount,Date\nA,1,2024-01-01,2,2024-01-02\n")
    message = error_of(load_dataset, path)
    assert "dupes.csv has duplicate column names ('Amount', 'Date')" in message


def test_duplicate_column_names_after_trimming(tmp_path):
    message = error_of(read_table, write(tmp_path, "trim.csv", "Qty, Qty \n1,2\n"))
    assert "trim.csv has duplicate column names ('Qty')" in message


def test_duplicate_column_names_excel(tmp_path):
    path = tmp_path / "dupes.xlsx"
    pd.DataFrame([["CustomerID", "Spend", "Spend"], ["A", 1, 2]]).to_excel(path, header=False, index=False)
    assert "dupes.xlsx has duplicate column names ('Spend')" in error_of(read_table, path)


def test_empty_folder(tmp_path):
    message = error_of(load_dataset, tmp_path)
    assert f"Folder {tmp_path} has no data files" in message


def test_folder_with_only_unsupported_files(tmp_path):
    (tmp_path / "notes.md").write_text("hello")
    assert "has no data files" in error_of(expand_paths, tmp_path)


def test_no_paths_at_all():
    assert "No data files were given" in error_of(expand_paths, [])


def test_ragged_csv_names_the_line(tmp_path):
    message = error_of(read_table, write(tmp_path, "ragged.csv", "a,b\n1,2\n3,4,5\n"))
    assert "ragged.csv could not be read as a table (line 3 has 3 fields, the first line 2)" in message


def test_missing_excel_sheet_lists_sheets(tmp_path):
    path = write_excel(tmp_path, "book.xlsx", {"Mall": MALL_CSV, "Other": MALL_CSV})
    message = error_of(load_dataset, path, sheet="Sales")
    assert "book.xlsx has no sheet 'Sales'; its sheets are Mall, Other" in message


def test_chosen_sheet_is_empty(tmp_path):
    path = write_excel(tmp_path, "book.xlsx", {"Blank": "", "Mall": MALL_CSV})
    assert "Sheet 'Blank' of" in error_of(read_table, path, sheet="Blank")


def test_workbook_with_only_empty_sheets(tmp_path):
    path = write_excel(tmp_path, "book.xlsx", {"A": "", "B": ""})
    assert "book.xlsx has no data in any sheet" in error_of(read_table, path)


def test_role_override_column_not_found_names_it(tmp_path):
    path = write(tmp_path, "mall.csv", MALL_CSV)
    message = error_of(load_dataset, path, roles={"customer_id": "Client Number"})
    assert "'Client Number'" in message and "mall.csv: CustomerID, Gender" in message


def test_role_override_unknown_role(tmp_path):
    message = error_of(load_dataset, write(tmp_path, "mall.csv", MALL_CSV), roles={"colour": "Gender"})
    assert "Unknown role 'colour'" in message


def test_all_dates_unreadable_names_column_and_count(tmp_path):
    text = "CustomerID,OrderDate,Amount\nA,soon-ish,1\nA,later-on,2\nB,2024-13-45,3\n"
    message = error_of(load_dataset, write(tmp_path, "t.csv", text), roles={"date": "OrderDate"})
    assert "None of the 3 values in column 'OrderDate' of t.csv could be read as dates" in message


def test_no_numeric_column_to_cluster_on(tmp_path):
    text = "CustomerID,Name,Region\n1,Ann,North\n2,Bo,South\n"
    message = error_of(load_dataset, write(tmp_path, "people.csv", text))
    assert "people.csv has no numeric column to cluster on" in message


def test_no_customer_id_and_no_numeric_column(tmp_path):
    text = "Colour,Shape\nred,round\nblue,square\n"
    message = error_of(load_dataset, write(tmp_path, "shapes.csv", text))
    assert "shapes.csv has no column that looks like a customer id and no numeric column" in message


def test_bad_returns_option(tmp_path):
    message = error_of(load_dataset, write(tmp_path, "t.csv", TRANSACTIONS_CSV), returns="ignore")
    assert "returns is 'ignore'; allowed values are net, exclude" in message


def test_text_that_is_not_a_table(tmp_path):
    path = write(tmp_path, "letter.csv", "Dear client,\nhere are the numbers, as promised, for March.\nBest\n")
    assert "letter.csv could not be read as a table" in error_of(read_table, path)
