"""Upload handling (the part of step 1 AppTest cannot drive): saving, bad files, opening a project."""

import json
from pathlib import Path

import pytest

from app_support.uploads import load_uploads, open_project, save_uploads
from engine.analysis.runner import Analysis
from engine.analysis.stages import Stored
from engine.errors import InputError
from engine.project_paths import REPO_ROOT

SAMPLE = REPO_ROOT / "data" / "sample"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


def test_uploads_land_in_a_fresh_temporary_folder_under_their_base_name():
    paths = save_uploads([("../../evil.csv", b"a,b\n1,2\n"), ("t.parquet", b"PAR1")])
    folder = Path(paths[0]).parent
    assert [Path(p).name for p in paths] == ["evil.csv", "t.parquet"]
    assert folder.name.startswith("segmentation-upload-")
    assert Path(paths[0]).read_bytes() == b"a,b\n1,2\n"
    assert save_uploads([("x.csv", b"1")])[0] != paths[0]  # every batch gets its own folder


@pytest.mark.parametrize(
    "files, words",
    [
        ([], "No files were uploaded"),
        ([("notes.docx", b"PK\x03\x04")], "notes.docx is not a file type the app reads"),
        ([("empty.csv", b"")], "empty.csv is empty (0 bytes)"),
    ],
)
def test_unusable_uploads_are_refused_with_their_name(files, words):
    with pytest.raises(InputError) as info:
        save_uploads(files)
    assert words in str(info.value)


@pytest.mark.parametrize(
    "name, content",
    [("header_only.csv", b"CustomerID,TransactionDate,TotalValue\n"), ("picture.csv", PNG)],
)
def test_bad_data_file_keeps_the_previous_analysis(name, content):
    analysis = Analysis()
    analysis.project.data.paths = [str(SAMPLE)]
    analysis.data = Stored("previous dataset", analysis.fingerprint("data"))
    with pytest.raises(InputError) as info:
        load_uploads(analysis, [(name, content)])
    assert name in str(info.value)
    assert analysis.project.data.paths == [str(SAMPLE)]
    assert analysis.status("data") == "done" and analysis.data.value == "previous dataset"


def test_good_upload_is_loaded_and_replaces_the_paths():
    files = [(p.name, p.read_bytes()) for p in sorted(SAMPLE.iterdir())]
    analysis = Analysis()
    load_uploads(analysis, files)
    assert analysis.status("data") == "done"
    assert {Path(p).name for p in analysis.project.data.paths} == {name for name, _ in files}
    assert analysis.data.value.quality.customers > 0


def test_open_project_with_its_data_files():
    files = [(p.name, p.read_bytes()) for p in sorted(SAMPLE.iterdir())]
    project = {"data": {"paths": [f"/tmp/elsewhere/{name}" for name, _ in files]},
               "clustering": {"choice": {"algorithm": "kmeans", "k": 4}}, "labels": {"1": {"name": "Loyal"}}}
    analysis = open_project([("project.json", json.dumps(project).encode())] + files)
    assert all(Path(p).exists() for p in analysis.project.data.paths)
    assert analysis.project.labels[1].name == "Loyal"
    assert analysis.project.clustering.choice == {"algorithm": "kmeans", "k": 4}


@pytest.mark.parametrize(
    "files, words",
    [
        ([("a.csv", b"x\n1\n")], "exactly one project file"),
        ([("p.json", b"\xff\xfe")], "p.json is not a text (UTF-8) project file"),
        ([("p.json", b'{"data": {"paths": ["Transactions.csv"]}}')], "upload Transactions.csv together"),
    ],
)
def test_open_project_problems_are_explained(files, words):
    with pytest.raises(InputError) as info:
        open_project(files)
    assert words in str(info.value)


def test_open_project_keeps_its_excluded_sheets_and_new_uploads_read_every_sheet(tmp_path):
    from tests.engine.loading.test_sheets import SHOP, write_book

    book = write_book(tmp_path, "shop.xlsx", SHOP)
    project = {"data": {"paths": [f"/tmp/elsewhere/{book.name}"], "exclude_sheets": ["Customers"], "min_units": 3}}
    analysis = open_project([("project.json", json.dumps(project).encode()), (book.name, book.read_bytes())])
    analysis.run_data()
    assert analysis.project.data.exclude_sheets == ["Customers"]
    assert [t.name for t in analysis.data.value.tables] == ["shop.xlsx: Transactions"]
    load_uploads(analysis, [(book.name, book.read_bytes())])  # a new upload: its sheets are all read
    assert analysis.project.data.exclude_sheets == []
    assert [t.sheet for t in analysis.data.value.tables] == ["Customers", "Transactions"]


@pytest.mark.parametrize("name, content, words", [
    ("Online Retail.xlsx", b"PK\x03\x04 not really a workbook", "The uploaded file Online Retail.xlsx is not a readable"),
    ("t.parquet", b"PAR1 not really parquet", "The uploaded file t.parquet is not a readable Parquet file"),
    ("photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "The uploaded file photo.csv is not a text table"),
])
def test_error_messages_name_the_uploaded_file_without_temp_path_or_class_name(name, content, words):
    from app_support.uploads import UPLOAD_PREFIX, blank_analysis, plain_message

    with pytest.raises(InputError) as info:
        load_uploads(blank_analysis(), [(name, content)])
    raw = str(info.value)
    assert UPLOAD_PREFIX in raw  # the engine names the path (right for the command line) ...
    shown = plain_message(raw)  # ... the app names the file as the analyst uploaded it
    assert shown.startswith(words), shown
    assert UPLOAD_PREFIX not in shown and "/tmp" not in shown and "Error" not in shown
    assert "BadZipFile" not in shown and "ArrowInvalid" not in shown and "OSError" not in shown
    assert plain_message("Sheet 'May' of C:\\Temp\\segmentation-upload-x1_y\\May.xlsx could not be read (OSError); "
                         "check it (only blank lines).") == (
        "Sheet 'May' of the uploaded file May.xlsx could not be read; check it (only blank lines).")


def test_reopening_a_project_keeps_its_logo_when_the_file_is_there():
    from app_support.uploads import demo_analysis, save_logo

    analysis = demo_analysis()
    analysis.project.report.logo = save_logo("brand logo.png", PNG)
    text = analysis.to_project_json().encode()
    uploaded = open_project([("project.json", text), ("brand logo.png", PNG)])  # uploaded with it
    assert Path(uploaded.project.report.logo).read_bytes() == PNG and not uploaded.notes
    same_session = open_project([("project.json", text)], current_logo=analysis.project.report.logo)
    assert Path(same_session.project.report.logo).name == "brand logo.png" and not same_session.notes
    assert Path(same_session.project.report.logo).read_bytes() == PNG
    other = save_logo("other.png", PNG)  # the session's logo is another file: not taken for this one
    dropped = open_project([("project.json", text)], current_logo=other)
    assert dropped.project.report.logo is None
    assert dropped.notes == ["The logo brand logo.png was not uploaded; the report has no logo."]
    assert open_project([("project.json", text)], current_logo="/nonexistent/brand logo.png").project.report.logo is None
