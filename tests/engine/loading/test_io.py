"""Reading files (CSV dialects, encodings, Excel sheets, Parquet, folders) and parsing values."""

from __future__ import annotations

from io import StringIO

import numpy as np
import pandas as pd
import pytest

from engine.loading.io import expand_paths, read_table
from engine.loading.parsing import normalise_ids, parse_dates, to_numbers
from tests.engine.data_fixtures import (
    HEADERLESS_CSV,
    MALL_CSV,
    PRODUCTS_CSV,
    padded_ids_csv,
    write,
    write_excel,
    write_excel_cells,
)

# ---- CSV dialects ------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_is_sniffed(tmp_path, delimiter):
    text = MALL_CSV.replace(",", delimiter)
    [(name, frame)] = read_table(write(tmp_path, "mall.csv", text))
    assert name == "mall.csv"
    assert list(frame.columns) == ["CustomerID", "Gender", "Age", "Annual Income (k$)", "Spending Score (1-100)"]
    assert frame.shape == (8, 5)
    assert frame["Spending Score (1-100)"].tolist() == [39, 81, 6, 77, 40, 76, 6, 94]


def test_semicolon_csv_with_decimal_commas(tmp_path):
    text = "Kunde;Datum;Menge;Betrag\nK1;15.03.2024;2;19,98\nK2;16.03.2024;1;1.234,50\nK1;17.03.2024;3;7,00\n"
    [(_, frame)] = read_table(write(tmp_path, "umsatz.csv", text))
    assert list(frame.columns) == ["Kunde", "Datum", "Menge", "Betrag"]
    assert frame["Betrag"].tolist() == [19.98, 1234.5, 7.0]
    assert frame["Datum"].tolist() == ["15.03.2024", "16.03.2024", "17.03.2024"]  # dates left as text


def test_bom_is_not_part_of_the_first_column_name(tmp_path):
    [(_, frame)] = read_table(write(tmp_path, "bom.csv", PRODUCTS_CSV, encoding="utf-8-sig"))
    assert list(frame.columns)[0] == "ProductID"
    assert frame["Category"].tolist() == ["Home Decor", "Books", "Electronics"]


def test_latin1_file_is_read(tmp_path):
    text = "CustomerID,City,Spend\n1,Zürich,10.5\n2,Besançon,3.0\n"
    [(_, frame)] = read_table(write(tmp_path, "latin.csv", text, encoding="latin-1"))
    assert frame["City"].tolist() == ["Zürich", "Besançon"]


def test_latin1_byte_after_the_sniffed_sample_falls_back(tmp_path):
    # 70 KB of plain ASCII lines, then one Latin-1 "é": the sample decodes as UTF-8, the full read does not.
    lines = "".join(f"{i},Paris,{i}.5\n" for i in range(5000))
    text = "CustomerID,City,Spend\n" + lines + "5000,Orléans,1.0\n"
    path = write(tmp_path, "late.csv", text, encoding="latin-1")
    assert path.stat().st_size > 64 * 1024
    [(_, frame)] = read_table(path)
    assert len(frame) == 5001
    assert frame["City"].iloc[-1] == "Orléans"


def test_utf16_with_bom_is_read(tmp_path):
    [(_, frame)] = read_table(write(tmp_path, "excel_unicode.tsv", MALL_CSV.replace(",", "\t"), encoding="utf-16"))
    assert frame.shape == (8, 5)


def test_headerless_csv_gets_numbered_columns(tmp_path):
    [(_, frame)] = read_table(write(tmp_path, "log.csv", HEADERLESS_CSV))
    assert list(frame.columns) == ["column_1", "column_2", "column_3", "column_4"]
    assert len(frame) == 5  # the first line is data, not a header
    assert frame["column_1"].iloc[0] == "C1"
    assert frame.attrs["headerless"] is True


def test_headerless_detection_with_text_in_first_row(tmp_path):
    # Two words and two numbers: the words have text below them too, so the first row is data.
    [(_, frame)] = read_table(write(tmp_path, "people.csv", "Alice,UK,3,4.5\nBob,FR,1,2.0\n"))
    assert list(frame.columns) == ["column_1", "column_2", "column_3", "column_4"]
    assert len(frame) == 2


def test_header_with_numbers_below_is_a_header(tmp_path):
    [(_, frame)] = read_table(write(tmp_path, "h.csv", "customer,2023,2024\nA,10,12\nB,3,4\n"))
    assert list(frame.columns) == ["customer", "2023", "2024"]
    assert frame.attrs["headerless"] is False


def test_trailing_delimiters_and_blank_lines_are_ignored(tmp_path):
    [(_, frame)] = read_table(write(tmp_path, "t.csv", "a,b,\n1,2,\n\n3,4,\n"))
    assert list(frame.columns) == ["a", "b"]
    assert frame["a"].tolist() == [1, 3]


def test_exported_index_column_is_dropped(tmp_path):
    source = pd.read_csv(StringIO(MALL_CSV))
    source.to_csv(tmp_path / "with_index.csv")  # pandas writes an unnamed 0..n-1 column first
    [(_, frame)] = read_table(tmp_path / "with_index.csv")
    assert list(frame.columns) == list(source.columns)
    assert frame.attrs["dropped_index"] is True
    # an unnamed column that is data (not 0..n-1) is kept under a generated name
    [(_, kept)] = read_table(write(tmp_path, "u.csv", ",Spend\n5,1.0\n9,2.0\n"))
    assert list(kept.columns) == ["column_1", "Spend"]


def test_names_are_trimmed(tmp_path):
    [(_, frame)] = read_table(write(tmp_path, "t.csv", " Customer ID , Spend \n1,2\n"))
    assert list(frame.columns) == ["Customer ID", "Spend"]


# ---- identifiers stay text ------------------------------------------------------


def test_ids_with_leading_zeros_are_read_as_text(tmp_path):
    [(_, frame)] = read_table(write(tmp_path, "sales.csv", padded_ids_csv(60)))
    assert frame["CustomerID"].tolist()[:3] == ["00001", "00001", "00002"]
    assert frame["Quantity"].tolist()[:2] == [1, 1]  # measurements stay numbers


def test_id_named_columns_are_text_and_other_padded_codes_too(tmp_path):
    # OrderNo: an id name over whole numbers (a later "0999" must not lose its zero) -> text;
    # Zip: no id name, but "02134" has a leading zero -> text; Qty: numbers.
    text = "OrderNo,CustomerID,Zip,Qty\n1000,17850.0,02134,3\n1001,,10001,1\n0999,13047.0,02134,2\n"
    [(_, frame)] = read_table(write(tmp_path, "o.csv", text))
    assert frame["OrderNo"].tolist() == ["1000", "1001", "0999"]
    assert frame["CustomerID"].tolist()[0] == "17850.0" and pd.isna(frame["CustomerID"].iloc[1])
    assert frame["Zip"].tolist() == ["02134", "10001", "02134"]
    assert frame["Qty"].tolist() == [3, 1, 2]
    assert normalise_ids(frame["CustomerID"]).tolist()[::2] == ["17850", "13047"]


def test_padded_ids_survive_decimal_comma_files(tmp_path):
    text = "Kunde;Datum;Betrag\n00017;15.03.2024;19,98\n00018;16.03.2024;1.234,50\n"
    [(_, frame)] = read_table(write(tmp_path, "umsatz.csv", text))
    assert frame["Kunde"].tolist() == ["00017", "00018"]
    assert frame["Betrag"].tolist() == [19.98, 1234.5]


def test_headerless_padded_ids_are_text(tmp_path):
    [(_, frame)] = read_table(write(tmp_path, "log.csv", "00001,2024-01-05,2,19.98\n00002,2024-02-10,1,9.99\n"))
    assert frame["column_1"].tolist() == ["00001", "00002"]


def test_excel_ids_stored_as_text_keep_their_zeros(tmp_path):
    path = write_excel_cells(tmp_path, "c.xlsx", [["Code", "Spend"], ["00001", 1.5], ["00002", 2.5]])
    [(_, frame)] = read_table(path)
    assert frame["Code"].tolist() == ["00001", "00002"]  # pandas alone reads 1 and 2
    assert frame["Spend"].tolist() == [1.5, 2.5]


def test_excel_numbers_formatted_with_zeros_read_as_displayed(tmp_path):
    rows = [["CustomerID", "Spend", "Visits"], [17, 1.5, 3], [123, 2.5, 4], [None, 3.0, 5]]
    path = write_excel_cells(tmp_path, "c.xlsx", rows, formats={0: "00000", 2: "0"})
    [(_, frame)] = read_table(path)
    assert frame["CustomerID"].tolist()[:2] == ["00017", "00123"] and pd.isna(frame["CustomerID"].iloc[2])
    assert frame["Visits"].tolist() == [3, 4, 5]  # a one-digit "0" format pads nothing


def test_parquet_text_ids_stay_text(tmp_path):
    pd.DataFrame({"CustomerID": ["00001", "00002"], "Spend": [1.0, 2.0]}).to_parquet(tmp_path / "t.parquet")
    [(_, frame)] = read_table(tmp_path / "t.parquet")
    assert frame["CustomerID"].tolist() == ["00001", "00002"]


# ---- Excel and Parquet -------------------------------------------------------


def test_excel_default_reads_every_non_empty_sheet(tmp_path):
    path = write_excel(tmp_path, "book.xlsx", {"Notes": "", "Mall": MALL_CSV, "Products": PRODUCTS_CSV})
    notes: list[str] = []
    [(name, frame), (other, _)] = read_table(path, notes=notes)
    assert (name, other) == ("book.xlsx: Mall", "book.xlsx: Products")
    assert frame.shape == (8, 5)
    assert frame.attrs["sheet"] == "Mall"
    assert notes == ["book.xlsx: sheet 'Notes' is empty and was skipped."]


def test_excel_sheet_choice_by_name_index_and_all(tmp_path):
    path = write_excel(tmp_path, "book.xlsx", {"Notes": "", "Mall": MALL_CSV, "Products": PRODUCTS_CSV})
    [(name, frame)] = read_table(path, sheet="Products")
    assert name == "book.xlsx: Products"
    assert frame["Price"].tolist() == [20.0, 12.5, 40.0]
    assert read_table(path, sheet=2)[0][0] == "book.xlsx: Products"
    assert [n for n, _ in read_table(path, sheet="*")] == ["book.xlsx: Mall", "book.xlsx: Products"]


def test_excel_table_below_title_rows(tmp_path):
    path = tmp_path / "report.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        pd.DataFrame({"CustomerID": [1, 2], "Spend": [5.0, 7.5]}).to_excel(writer, sheet_name="S", startrow=3,
                                                                            index=False)
    [(_, frame)] = read_table(path)
    assert list(frame.columns) == ["CustomerID", "Spend"]
    assert frame["Spend"].tolist() == [5.0, 7.5]


def test_parquet_round_trip(tmp_path):
    source = pd.DataFrame({"CustomerID": ["A", "B"], "Spend": [1.5, 2.5]})
    source.to_parquet(tmp_path / "t.parquet")
    [(name, frame)] = read_table(tmp_path / "t.parquet")
    assert name == "t.parquet"
    assert frame["Spend"].tolist() == [1.5, 2.5]


# ---- folders -----------------------------------------------------------------


def test_folder_expands_to_sorted_supported_files(tmp_path):
    for name in ("b.csv", "a.xlsx", "c.parquet", "notes.md", ".DS_Store", "~$a.xlsx"):
        (tmp_path / name).write_text("x")
    (tmp_path / "sub").mkdir()
    assert [p.name for p in expand_paths(tmp_path)] == ["a.xlsx", "b.csv", "c.parquet"]
    # a file named twice is loaded once
    assert [p.name for p in expand_paths([tmp_path / "b.csv", tmp_path / "b.csv"])] == ["b.csv"]


# ---- value parsers -----------------------------------------------------------


def test_parse_online_retail_dates():
    parsed = parse_dates(pd.Series(["12/1/10 8:26", "12/13/10 10:01", "1/4/11 9:00", None]))
    assert parsed.format == "%m/%d/%y %H:%M"
    assert parsed.values.tolist()[:3] == [pd.Timestamp("2010-12-01 08:26"), pd.Timestamp("2010-12-13 10:01"),
                                          pd.Timestamp("2011-01-04 09:00")]
    assert pd.isna(parsed.values.iloc[3])
    assert parsed.n_unreadable == 0  # a blank is missing, not unreadable
    assert str(parsed.values.dtype) == "datetime64[ns]"


def test_parse_iso_with_and_without_time():
    parsed = parse_dates(pd.Series(["2024-03-15 14:22:00", "2024-03-16", "garbage"]))
    assert parsed.values.iloc[0] == pd.Timestamp("2024-03-15 14:22:00")
    assert parsed.values.iloc[1] == pd.Timestamp("2024-03-16")
    assert parsed.n_unreadable == 1


def test_day_first_when_the_data_says_so():
    parsed = parse_dates(pd.Series(["01/02/2024", "13/02/2024", "05/03/2024"]))
    assert parsed.values.tolist() == [pd.Timestamp("2024-02-01"), pd.Timestamp("2024-02-13"),
                                      pd.Timestamp("2024-03-05")]
    assert not parsed.ambiguous


def test_day_first_hidden_from_the_sample_is_found_on_the_whole_column():
    # 20,000 month-ambiguous values and one "25/02/2024": whether or not the sample sees it,
    # the whole column must end up read day-first with nothing unreadable.
    values = ["01/02/2024"] * 20_000
    values[12_345] = "25/02/2024"
    parsed = parse_dates(pd.Series(values))
    assert parsed.n_unreadable == 0
    assert parsed.values.iloc[0] == pd.Timestamp("2024-02-01")
    assert parsed.values.iloc[12_345] == pd.Timestamp("2024-02-25")


def test_ambiguous_day_month_is_month_first_and_flagged():
    parsed = parse_dates(pd.Series(["01/02/2024", "03/04/2024"]))
    assert parsed.values.iloc[0] == pd.Timestamp("2024-01-02")
    assert parsed.ambiguous


def test_impossible_values_are_unreadable_not_shifted():
    parsed = parse_dates(pd.Series(["12/1/10 8:26", "13/45/10 8:26", "12/1/2010 8:26x"]))
    assert parsed.n_unreadable == 2


def test_typed_and_numeric_dates():
    typed = pd.Series(pd.to_datetime(["2024-01-01 10:00"]).tz_localize("Europe/Paris"))
    assert parse_dates(typed).values.iloc[0] == pd.Timestamp("2024-01-01 10:00")
    assert parse_dates(pd.Series([20240315, 20240401])).values.tolist() == [pd.Timestamp("2024-03-15"),
                                                                             pd.Timestamp("2024-04-01")]
    assert parse_dates(pd.Series([45366.0])).values.iloc[0] == pd.Timestamp("2024-03-15")  # Excel day number


def test_to_numbers():
    values = pd.Series(["€1.234,50", "2,5", "(12,00)", "n/a"])
    assert to_numbers(values).tolist()[:3] == [1234.5, 2.5, -12.0]
    assert np.isnan(to_numbers(values).iloc[3])
    assert to_numbers(pd.Series(["$1,234.50", "3.25", " 7 "])).tolist() == [1234.5, 3.25, 7.0]


def test_normalise_ids():
    assert normalise_ids(pd.Series([17850.0, np.nan, 13047.0])).tolist()[::2] == ["17850", "13047"]
    assert pd.isna(normalise_ids(pd.Series([17850.0, np.nan])).iloc[1])
    assert normalise_ids(pd.Series([" 17850.0 ", "C0001", "", "N/A"])).tolist()[:2] == ["17850", "C0001"]
    assert normalise_ids(pd.Series([" 17850.0 ", "C0001", "", "N/A"])).isna().tolist() == [False, False, True, True]
    assert normalise_ids(pd.Series([1.5, 2.0])).tolist() == ["1.5", "2.0"]  # fractional ids keep their decimals


# ---- a title block above the column names -----------------------------------------

TITLED_ROWS = [["C001", "2024-01-05", "12.50"], ["C002", "2024-01-09", "7.25"], ["C001", "2024-02-11", "30.00"],
               ["C003", "2024-02-20", "18.40"]]


@pytest.mark.parametrize("title", [
    "Sales report Q1 2024\n",  # one line
    "Sales report Q1 2024\nExported 2024-04-01 by J. Smith\n\n",  # a block with a blank line
    '"Sales report, Q1 2024"\n',  # quoted: the title's own comma is inside the field
])
def test_a_title_above_the_csv_column_names_is_skipped_and_said(tmp_path, title):
    from engine.loading.dataset import load_dataset

    body = "Cust No,Order Date,Sales\n" + "".join(",".join(r) + "\n" for r in TITLED_ROWS)
    path = write(tmp_path, "report.csv", title + body)
    [(_, frame)] = read_table(path)
    assert list(frame.columns) == ["Cust No", "Order Date", "Sales"]
    assert frame["Cust No"].tolist() == [r[0] for r in TITLED_ROWS]
    lines = title.count("\n")
    findings = load_dataset(path).quality.findings
    assert any(f.startswith("report.csv: the first ") and f" {lines} lines" in f if lines > 1 else
               f.startswith("report.csv: the first line above the column names (a title) was skipped")
               for f in findings), findings


def test_a_title_above_the_column_names_of_a_sheet_is_skipped(tmp_path):
    header = ["Cust No", "Order Date", "Sales"]
    path = write_excel_cells(tmp_path, "report.xlsx", [["Sales report Q1 2024"], [None], header, *TITLED_ROWS])
    [(_, frame)] = read_table(path)
    assert list(frame.columns) == header and len(frame) == len(TITLED_ROWS)


def test_a_headerless_file_whose_first_row_is_sparse_keeps_every_row(tmp_path):
    rows = [[r[0][1:], *r[1:]] for r in TITLED_ROWS]  # numeric ids: every line reads as data
    text = "9,,\n" + "".join(",".join(r) + "\n" for r in rows)
    [(_, frame)] = read_table(write(tmp_path, "log.csv", text))
    assert frame.attrs["headerless"] is True and frame.attrs["title_rows"] == 0
    assert len(frame) == len(rows) + 1 and str(frame.iloc[0, 0]) == "9"
