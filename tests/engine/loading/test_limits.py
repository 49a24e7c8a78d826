"""Read limits: rows, columns, a workbook's unpacked size; nested Parquet columns skipped with a note."""

from __future__ import annotations

import io
import struct
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.errors import InputError
from engine.loading.dataset import load_dataset
from engine.loading.io import read_table
from engine.loading.limits import ReadLimits
from tests.engine.data_fixtures import write

SHEET = "xl/worksheets/sheet1.xml"
_ROW = b'<row><c t="inlineStr"><is><t>C1</t></is></c><c><v>1</v></c></row>'


def write_bomb(path: Path, megabytes: int, stream: bool = True) -> Path:
    """A valid workbook whose one sheet holds ``megabytes`` MB of identical rows: it compresses ~150 to 1."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["customer_id", "spend"])
    book.active.append(["C1", 1])
    buffer = io.BytesIO()
    book.save(buffer)
    chunk = _ROW * (1_000_000 // len(_ROW))
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out:
        for info in source.infolist():
            data = source.read(info)
            if info.filename != SHEET:
                out.writestr(info.filename, data)
                continue
            head, tail = data.split(b"</sheetData>")[0], b"</sheetData></worksheet>"  # the header row kept
            if not stream:  # one 32-bit entry (its declared size can then be patched)
                out.writestr(SHEET, head + chunk * megabytes + tail)
                continue
            with out.open(SHEET, "w", force_zip64=True) as part:
                part.write(head)
                for _ in range(megabytes):
                    part.write(chunk)
                part.write(tail)
    return path


def declare_size(path: Path, member: str, size: int) -> None:
    """Make the zip directory lie: ``member`` declares ``size`` unpacked bytes (the data is unchanged)."""
    data = bytearray(path.read_bytes())
    at = data.find(b"PK\x01\x02")
    while at != -1:
        name_length = struct.unpack_from("<H", data, at + 28)[0]
        if bytes(data[at + 46: at + 46 + name_length]).decode() == member:
            struct.pack_into("<I", data, at + 24, size)
        at = data.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(data))


def test_a_zip_bomb_workbook_is_refused_before_any_xml_is_parsed(tmp_path):
    path = write_bomb(tmp_path / "bomb.xlsx", 50)
    assert path.stat().st_size < 1_000_000  # 50 MB of sheet XML in under 1 MB
    started = time.perf_counter()
    with pytest.raises(InputError) as info:
        read_table(path, limits=ReadLimits(max_workbook_mb=20))
    assert time.perf_counter() - started < 2.0  # the check reads the zip directory only: milliseconds
    assert str(info.value) == (f"{path} unpacks to 51 MB of workbook data, more than the limit of 20 MB "
                               "(data.max_workbook_mb); export the sheets as CSV or raise data.max_workbook_mb.")


def test_the_default_limit_is_200_mb_and_a_larger_limit_reads_the_same_kind_of_book(tmp_path):
    big = write_bomb(tmp_path / "big.xlsx", 205)
    started = time.perf_counter()
    with pytest.raises(InputError, match="unpacks to 206 MB of workbook data, more than the limit of 200 MB"):
        load_dataset([big])
    assert time.perf_counter() - started < 2.0
    small = write_bomb(tmp_path / "small.xlsx", 1)  # 1 MB of rows: under the limit, read in full
    [(_, frame)] = read_table(small, limits=ReadLimits(max_workbook_mb=2))
    assert list(frame.columns) == ["customer_id", "spend"] and len(frame) > 10_000


def test_a_workbook_whose_sheet_unpacks_past_its_declared_size_fails_with_a_sentence_quickly(tmp_path):
    path = write_bomb(tmp_path / "liar.xlsx", 30, stream=False)
    declare_size(path, SHEET, 2_000)  # the directory claims 2 KB: the size check passes ...
    with zipfile.ZipFile(path) as book:
        assert book.getinfo(SHEET).file_size == 2_000
    started = time.perf_counter()
    with pytest.raises(InputError) as info:  # ... and the reader stops at the declared size
        read_table(path)
    assert time.perf_counter() - started < 2.0
    assert str(info.value) == (f"{path} is not a readable Excel workbook (BadZipFile); save it again as .xlsx or "
                               "export it as CSV.")


def rows_csv(n: int) -> str:
    return "customer_id,spend\n" + "".join(f"C{i},{i}\n" for i in range(n))


def test_a_csv_over_max_rows_is_refused_and_one_at_the_limit_is_read(tmp_path):
    path = write(tmp_path, "t.csv", rows_csv(30))
    with pytest.raises(InputError) as info:
        read_table(path, limits=ReadLimits(max_rows=29))
    assert str(info.value) == (f"{path} has more than 29 rows, the limit set by data.max_rows; split the file, "
                               "aggregate it, or raise data.max_rows.")
    [(_, frame)] = read_table(path, limits=ReadLimits(max_rows=30))
    assert len(frame) == 30


def test_a_sheet_over_max_rows_is_refused(tmp_path):
    from tests.engine.data_fixtures import write_excel

    path = write_excel(tmp_path, "b.xlsx", {"Sales": rows_csv(30)})
    with pytest.raises(InputError, match=r"Sheet 'Sales' of .*b.xlsx has more than 25 rows"):
        read_table(path, limits=ReadLimits(max_rows=25))
    assert len(read_table(path, limits=ReadLimits(max_rows=30))[0][1]) == 30


def test_a_parquet_over_max_rows_is_refused_from_its_metadata(tmp_path):
    path = tmp_path / "t.parquet"
    pd.DataFrame({"customer_id": [f"C{i}" for i in range(40)], "spend": range(40)}).to_parquet(path)
    with pytest.raises(InputError, match="t.parquet has more than 39 rows, the limit set by data.max_rows"):
        read_table(path, limits=ReadLimits(max_rows=39))
    assert len(read_table(path, limits=ReadLimits(max_rows=40))[0][1]) == 40


def wide_csv(n_rows: int, n_columns: int) -> str:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(rng.integers(0, 100, size=(n_rows, n_columns - 1)), columns=[f"m{i}" for i in range(1, n_columns)])
    frame.insert(0, "customer_id", [f"C{i:03d}" for i in range(n_rows)])
    return frame.to_csv(index=False)


def test_only_the_first_max_columns_are_considered_and_a_note_says_so(tmp_path):
    path = write(tmp_path, "wide.csv", wide_csv(60, 2_000))
    notes: list[str] = []
    [(_, frame)] = read_table(path, notes=notes, limits=ReadLimits(keep=frozenset({"m1500"})))
    assert list(frame.columns[:3]) == ["customer_id", "m1", "m2"]
    assert frame.shape[1] == 201 and frame.columns[-1] == "m1500"  # a column named in data.roles is kept
    assert notes == ["wide.csv has 2,000 columns; only the first 200 were considered (data.max_columns), "
                     "1,799 were left out."]
    assert read_table(path, limits=ReadLimits(max_columns=2_000))[0][1].shape[1] == 2_000


def test_the_column_cap_reaches_the_data_quality_findings(tmp_path):
    path = write(tmp_path, "wide.csv", wide_csv(60, 300))
    data = load_dataset([path], limits=ReadLimits(max_columns=50))
    assert "wide.csv has 300 columns; only the first 50 were considered (data.max_columns), 250 were left out." \
        in data.quality.findings
    assert len(data.tables[0].columns) == 50


def test_nested_parquet_columns_are_skipped_with_a_note(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    n = 60
    table = pa.table({
        "customer_id": [f"C{i}" for i in range(n)],
        "spend": [float(i) for i in range(n)],
        "tags": [[i, i + 1] for i in range(n)],
        "address": [{"city": "Leeds", "zip": str(i)} for i in range(n)],
        "extra": pa.array([[("a", i)] for i in range(n)], type=pa.map_(pa.string(), pa.int64())),
    })
    pq.write_table(table, tmp_path / "nested.parquet")
    notes: list[str] = []
    [(_, frame)] = read_table(tmp_path / "nested.parquet", notes=notes)
    assert list(frame.columns) == ["customer_id", "spend"]
    assert notes == ["nested.parquet: nested columns 'tags', 'address', 'extra' (lists, structs or maps) were skipped."]
    data = load_dataset([tmp_path / "nested.parquet"])  # the whole load runs on the flat columns
    assert data.quality.findings[-1] == notes[0]
    pq.write_table(table.select(["tags", "address"]), tmp_path / "only.parquet")
    with pytest.raises(InputError, match="only.parquet has only nested columns"):
        read_table(tmp_path / "only.parquet")
