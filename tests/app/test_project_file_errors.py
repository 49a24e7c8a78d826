"""A project file with bad values: the Data page shows the schema's sentences, not an internal error."""

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app_support.text import unescape
from app_support.uploads import limits_help, open_project
from engine.errors import InputError
from engine.project import DataSpec

ROOT = Path(__file__).resolve().parents[2]
BAD = {"clustering": {"stability_resamples": "10", "seed": 2**40}, "data": {"max_row": 5}}
SENTENCES = ["clustering.stability_resamples is '10' (text); use a whole number from 0 to 200.",
             "clustering.seed is 1099511627776; use a whole number from 0 to 2,147,483,647.",
             "data has unknown key 'max_row'; did you mean 'max_rows'?"]


def test_open_project_raises_every_problem_as_one_input_error():
    with pytest.raises(InputError) as info:
        open_project([("project.json", json.dumps(BAD).encode())])
    assert info.value.problems == SENTENCES  # in the order of the file


@pytest.mark.slow
def test_the_data_page_shows_the_sentences_and_states_the_read_limits():
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120).run()
    at.switch_page("pages/1_data.py").run()
    uploader = next(e for e in at.get("file_uploader") if e.proto.label == "CSV, Excel or Parquet files")
    assert uploader.proto.help == limits_help(DataSpec())
    assert "At most 20,000,000 rows per table and 200 MB of unpacked data per workbook" in uploader.proto.help
    at.session_state["data.project_uploads"] = [("project.json", json.dumps(BAD).encode())]
    at.run()
    at.button(key="data.open_project").click().run()
    assert not at.exception
    [error] = at.error
    shown = unescape(error.value)  # data text is shown escaped (never as Markdown)
    assert "Something went wrong" not in shown
    assert shown.startswith("The project file has 3 problems: ")
    assert all(sentence in shown for sentence in SENTENCES)
