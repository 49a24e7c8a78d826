"""The Report page's "How segments moved": a saved model at two dates adds the section; bad dates are one sentence.

``st.file_uploader`` cannot be filled in AppTest, so the model file is saved as the
page saves it (:func:`app_support.uploads.save_model`) and the page is driven from
there: new dates, dates in the wrong order, and removing the section.
"""

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app_support.text import unescape
from app_support.uploads import save_model
from engine.errors import InputError
from engine.migration.run import migration_spec

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _texts(elements) -> str:
    return " ".join(unescape(str(e.value)) for e in elements)


@pytest.fixture(scope="module")
def report_page():
    from engine.model import model_json

    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=180).run()
    at.button(key="sidebar.demo").click().run()  # the sample, analysed; lands on the report
    assert not at.exception, at.exception
    analysis = at.session_state["analysis"]
    model = save_model("demo [model].json", model_json(analysis.to_result()).encode())
    return at, analysis, model


def test_a_model_and_two_dates_add_the_section_and_remove_takes_it_away(report_page):
    at, analysis, model = report_page
    assert "sec-migration" not in analysis.render_html()
    analysis.project.migration = migration_spec(model, "2024-06-30", "2024-12-31")
    at.run()
    assert not at.exception and not at.error, _texts(at.error)
    assert "The report shows how segments moved from 2024-06-30 to 2024-12-31 with the model demo [model].json." \
        in _texts(at.info)
    html = analysis.render_html()
    assert 'id="sec-migration"' in html and "Of the " in html
    at.date_input(key="w:report.migration_from").set_value(dt.date(2024, 9, 30))
    at.date_input(key="w:report.migration_to").set_value(dt.date(2024, 12, 31))
    at.button(key="FormSubmitter:report.migration-Show how segments moved").click().run()
    assert not at.exception and not at.error, _texts(at.error)
    assert at.date_input(key="w:report.migration_from").value == dt.date(2024, 9, 30)
    assert (analysis.project.migration.start, analysis.project.migration.end) == ("2024-09-30", "2024-12-31")
    assert analysis.project.migration.model == model  # no new upload: the same model file
    at.date_input(key="w:report.migration_from").set_value(dt.date(2025, 1, 31))
    at.button(key="FormSubmitter:report.migration-Show how segments moved").click().run()
    assert not at.exception
    assert _texts(at.error) == "The first date (2025-01-31) must be before the second (2024-12-31)."
    assert analysis.project.migration.start == "2024-09-30"  # unchanged
    at.button(key="FormSubmitter:report.migration-Remove the section").click().run()
    assert not at.exception and analysis.project.migration is None
    assert "sec-migration" not in analysis.render_html()


def test_migration_spec_refuses_a_file_that_is_not_a_model(tmp_path):
    not_a_model = save_model("notes.json", b'{"hello": "world"}')
    with pytest.raises(InputError):
        migration_spec(not_a_model, "2024-06-30", "2024-12-31")
    with pytest.raises(InputError, match="not a file type"):
        save_model("model.pkl", b"x")
