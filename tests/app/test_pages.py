"""AppTest walks of the five pages on the bundled sample (started from streamlit_app.py, pages by switch_page)."""

import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app_support.text import unescape

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "streamlit_app.py")
PAGES = {path.stem.split("_", 1)[1]: f"pages/{path.name}" for path in sorted((ROOT / "pages").glob("*.py"))}
pytestmark = pytest.mark.slow


def _app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=120).run()


def _goto(at: AppTest, page: str) -> AppTest:
    at.switch_page(PAGES[page]).run()
    assert not at.exception, at.exception
    return at


def _texts(elements) -> str:
    """The elements' text as the reader sees it (data and engine sentences are shown Markdown-escaped)."""
    return " ".join(unescape(str(e.value)) for e in elements)


def _step_links(at: AppTest) -> str:
    """Labels of the sidebar's step links ("3. Compare — out of date")."""
    found = []

    def walk(node) -> None:
        if getattr(node, "type", None) == "page_link":
            found.append(node.proto.label)
        for child in (getattr(node, "children", None) or {}).values():
            walk(child)

    walk(at.sidebar)
    return " | ".join(found)


@pytest.fixture(scope="module")
def demo() -> AppTest:
    """One session that pressed "Try it with sample data" (and landed on the report)."""
    at = _app()
    at.button(key="sidebar.demo").click().run()
    assert not at.exception, at.exception
    return at


def test_first_page_renders_without_umap_or_weasyprint():
    code = (
        "import sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        f"at = AppTest.from_file({APP!r}, default_timeout=120).run()\n"
        "assert not at.exception, at.exception\n"
        "assert at.header[0].value == '1 · Data'\n"
        "heavy = [m for m in ('weasyprint', 'umap', 'numba') if m in sys.modules]\n"
        "print('heavy:', heavy)\n"
        "import threading\n"  # the server's warm-up starts only under `streamlit run`, after the first page
        "print('warm-up:', [t.name for t in threading.enumerate() if t.name == 'segmentation-warm-up'])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "heavy: []" in out.stdout and "warm-up: []" in out.stdout


def test_fresh_session_shows_five_pending_steps_and_pages_ask_for_data():
    at = _app()
    assert _step_links(at).count("to do") == 5
    assert list(PAGES) == ["data", "features", "compare", "label", "report"]  # every file in pages/ is a step
    for page in ("features", "compare", "label", "report", "data"):
        # AppTest starts every run in Streamlit's old pages/ mode, which runs a page file on its own:
        # the page must still come up inside the frame (sidebar steps, the link's token)
        _goto(at, page)
        assert at.header[0].value.endswith(page.title())
        assert _step_links(at).count("to do") == 5
        assert at.query_params.get("analysis")
        if page != "data":
            assert "finish it first" in _texts(at.info)


def test_demo_reaches_the_report_with_every_step_done(demo):
    assert demo.header[0].value == "5 · Report"
    assert _step_links(demo).count("done") == 4  # the PDF is not built yet
    analysis = demo.session_state["analysis"]
    assert analysis.current("html") is not None and "<html" in analysis.current("html").lower()
    labels = [b.label for b in demo.download_button]
    assert {"HTML report", "Assignments (CSV)", "Profiles (CSV)", "Project file"} <= set(labels)
    assert "report.build_pdf" in [b.key for b in demo.button]


def test_report_page_prepares_every_chart_for_slides(demo):
    import io
    import zipfile

    from engine.report.deck import deck_charts

    _goto(demo, "report")
    assert "Charts for slides (ZIP: PNG and SVG)" not in [b.label for b in demo.download_button]
    demo.button(key="report.charts").click().run()
    assert not demo.exception, demo.exception
    assert "Charts for slides (ZIP: PNG and SVG)" in [b.label for b in demo.download_button]
    from app_support import state

    entry = demo.session_state[state.ENTRY_KEY]
    html, data = entry.outputs["charts_zip"]
    assert html == demo.session_state["analysis"].current("html")
    analysis = demo.session_state["analysis"]
    expected = [f"{c.name}.{ext}" for c in deck_charts(analysis.to_result()) for ext in ("png", "svg")]
    assert zipfile.ZipFile(io.BytesIO(data)).namelist() == expected and len(expected) >= 6  # 3 charts, 2 files each


def test_report_page_offers_the_model_file(demo):
    import json

    from engine.model import load_model

    _goto(demo, "report")
    assert "Download model file" not in [b.label for b in demo.download_button]
    demo.button(key="report.model").click().run()
    assert not demo.exception, demo.exception
    assert "Download model file" in [b.label for b in demo.download_button]
    from app_support import state

    html, text = demo.session_state[state.ENTRY_KEY].outputs["model_json"]
    assert html == demo.session_state["analysis"].current("html")
    result = demo.session_state["analysis"].to_result()
    assert json.loads(text)["algorithm"]["name"] == result.chosen.algorithm
    assert load_model(text).segments == {c: label.name for c, label in result.cluster_labels.items()}


@pytest.mark.parametrize("page, expected", [
    ("data", ["Data quality", "Tables and column roles", "Previews"]),
    ("features", ["Distributions", "Correlations"]),
    ("compare", ["Recommendation", "All runs", "The clusters in two dimensions", "Stability"]),
    ("label", ["Profiles", "Clusters"]),
    ("report", ["Branding and contents", "Downloads", "Preview"]),
])
def test_every_page_renders_the_demo(demo, page, expected):
    _goto(demo, page)
    subheaders = [s.value for s in demo.subheader]
    assert all(word in subheaders for word in expected), subheaders
    assert not demo.error, _texts(demo.error)


def test_data_page_shows_quality_metrics(demo):
    _goto(demo, "data")
    metrics = {m.label: m.value for m in demo.metric}
    assert int(metrics["Customers"].replace(",", "")) > 0
    assert int(metrics["Rows used"].replace(",", "")) <= int(metrics["Rows read"].replace(",", ""))


def test_edited_label_survives_page_switches_and_reaches_the_report():
    at = _app()
    at.button(key="sidebar.demo").click().run()
    _goto(at, "label")
    at.text_input(key="w:label.0.name").input("Weekend <Bargain> Hunters").run()
    assert at.session_state["analysis"].project.labels[0].name == "Weekend <Bargain> Hunters"
    _goto(at, "features")
    _goto(at, "label")
    assert at.text_input(key="w:label.0.name").value == "Weekend <Bargain> Hunters"
    _goto(at, "report")
    html = at.session_state["analysis"].current("html")
    assert "Weekend &lt;Bargain&gt; Hunters" in html  # escaped, and there
    assert "Weekend <Bargain> Hunters" not in html


def test_upstream_change_marks_later_steps_stale_and_keeps_labels():
    at = _app()
    at.button(key="sidebar.demo").click().run()
    _goto(at, "label")
    at.text_input(key="w:label.1.name").input("Kept across reruns").run()
    _goto(at, "features")
    at.selectbox(key="w:features.scaling").select("robust").run()
    assert not at.exception
    links = _step_links(at)
    assert "2. Features — done" in links and "3. Compare — out of date" in links
    _goto(at, "compare")
    assert "run the comparison again" in _texts(at.warning)
    at.button(key="compare.run").click().run()
    assert not at.exception and not at.error, _texts(at.error)
    assert at.session_state["analysis"].project.labels[1].name == "Kept across reruns"
    assert "3. Compare — done" in _step_links(at)


def test_model_override_is_stored_in_the_project(demo):
    _goto(demo, "compare")
    demo.selectbox(key="w:compare.choice_algorithm").select("kmeans").run()
    demo.number_input(key="w:compare.choice_k").set_value(3).run()
    assert not demo.exception
    analysis = demo.session_state["analysis"]
    assert analysis.project.clustering.choice == {"algorithm": "kmeans", "k": 3}
    assert analysis.current("choice").run.n_clusters == 3
    demo.selectbox(key="w:compare.choice_algorithm").select("recommended").run()
    assert analysis.project.clustering.choice is None


@pytest.mark.parametrize("name, content, words", [
    ("header_only.csv", b"CustomerID,TransactionDate,TotalValue\n", "header_only.csv"),
    ("photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01", "The uploaded file photo.csv is"),
    ("Online Retail.xlsx", b"PK\x03\x04 not a workbook", "The uploaded file Online Retail.xlsx is not a readable"),
])
def test_bad_upload_shows_its_message_and_keeps_the_data(name, content, words):
    at = _app()
    at.button(key="data.sample").click().run()
    before = at.session_state["analysis"].project.data.paths
    at.session_state["data.uploads"] = [(name, content)]  # what the file uploader stores
    at.run()
    at.button(key="data.load").click().run()
    assert not at.exception
    assert words in _texts(at.error)
    assert "segmentation-upload" not in _texts(at.error) and "(BadZipFile)" not in _texts(at.error)
    analysis = at.session_state["analysis"]
    assert analysis.project.data.paths == before and analysis.status("data") == "done"
    assert "Data quality" in [s.value for s in at.subheader]  # the loaded sample is still shown


def test_too_few_customers_and_no_money_are_said_on_the_data_page(tmp_path):
    """The one-day extract: the Data page shows the build's refusal sentence; a log without money says so first."""
    from tests.real_shapes import write_cd_store_log, write_one_day_extract

    at = _app()
    extract = write_one_day_extract(tmp_path)
    at.session_state["data.uploads"] = [(extract.name, extract.read_bytes())]
    at.run()
    at.button(key="data.load").click().run()
    assert not at.exception
    assert ("The data has 14 customers to segment, fewer than the minimum of 50; load a longer period or more "
            "customers (or lower data.min_units if you accept segments this small).") in _texts(at.error)
    _goto(at, "features")  # the Features step refuses with the same sentence
    assert "fewer than the minimum of 50" in _texts(at.error)

    log = write_cd_store_log(tmp_path / "log", n_customers=80)
    import pandas as pd

    pd.read_csv(log).drop(columns=["dollar_value"]).to_csv(log, index=False)
    _goto(at, "data")
    at.session_state["data.uploads"] = [(log.name, log.read_bytes())]
    at.run()
    at.button(key="data.load").click().run()
    assert not at.exception
    assert unescape(at.error[0].value).startswith("No money column was found in cd_store.csv")


def test_recommendation_box_says_the_reports_cautions_on_weak_small_data(tmp_path):
    """200 customers without planted structure: the box says what the client report says, word for word."""
    from engine.report.client_text import reading_warnings
    from engine.report.context import ReportContext
    from tests.real_shapes import write_weak_three_tables

    at = _app()
    at.session_state["data.uploads"] = [(p.name, p.read_bytes()) for p in write_weak_three_tables(tmp_path)]
    at.run()
    at.button(key="data.load").click().run()
    _goto(at, "features")
    _goto(at, "compare")
    at.button(key="compare.run").click().run()
    assert not at.exception and not at.error, _texts(at.error)
    shown = [unescape(w.value) for w in at.warning]
    assert any(w.startswith("Only 199 customers were analysed") for w in shown), shown  # C0200 never bought
    assert any("differ by degree" in w for w in shown), shown
    result = at.session_state["analysis"].to_result()
    expected = reading_warnings(ReportContext(result=result, options=result.project.report, generated_at="today"))
    assert expected and [w for w in shown if w in expected] == expected  # all of them, in the report's order


def test_compare_and_label_pages_show_labels_not_internal_keys(demo):
    """Algorithm and feature labels, "–" for a metric a method has no value for (issue 12)."""
    from engine.clustering.algorithms import ALGORITHMS
    from engine.formatting import MISSING, feature_label

    analysis = demo.session_state["analysis"]
    renamed = [a for a in analysis.project.clustering.algorithms if ALGORITHMS[a].label != a]
    _goto(demo, "compare")
    runs = demo.dataframe[0].value
    assert set(runs["Algorithm"]) >= {ALGORITHMS[a].label for a in renamed} and not set(runs["Algorithm"]) & set(renamed)
    kmeans = runs[runs["Algorithm"] == ALGORITHMS["kmeans"].label]
    assert len(kmeans) and (kmeans["BIC"] == MISSING).all() and (kmeans["AIC"] == MISSING).all()
    assert not runs.isin(["None", "nan"]).any().any() and not runs.isna().any().any()
    keys = [f for f in analysis.features.value.names if "_" in f and feature_label(f) != f]  # "recency_days"
    assert keys  # the demo clusters on catalogue features with labels of their own
    for page in ("compare", "label"):
        _goto(demo, page)
        texts = " ".join(_texts(getattr(demo, kind)) for kind in ("caption", "markdown", "warning", "info", "error"))
        headers = " ".join(str(c) for df in demo.dataframe for c in df.value.columns)
        for key in keys:
            assert key not in texts and key not in headers, (page, key)
    profiles = demo.dataframe[0].value  # the Label page's profile table
    assert list(profiles.columns[:2]) == ["#", "Segment"] and "Cluster id" not in profiles.columns
    assert all("_" not in str(c) for c in profiles.columns), list(profiles.columns)


def test_report_sections_are_offered_and_kept_in_report_order():
    from engine.report.sections import SECTIONS, selected_sections

    at = _app()
    at.button(key="sidebar.demo").click().run()
    analysis = at.session_state["analysis"]
    order = [s.key for s in selected_sections(None, analysis.project.report.detail) if not s.always]
    [sections] = [m for m in at.multiselect if m.label == "Sections"]
    assert list(sections.options) == [SECTIONS[k].title for k in order]
    assert sections.value == order
    picked = [order[-1], order[2], order[0]]  # picked out of order, as an analyst clicks them
    sections.set_value(picked)
    [apply] = [b for b in at.button if b.label == "Apply"]
    apply.click().run()
    assert not at.exception, at.exception
    in_order = [order[0], order[2], order[-1]]
    assert analysis.project.report.sections == in_order
    [sections] = [m for m in at.multiselect if m.label == "Sections"]
    assert sections.value == in_order
    _goto(at, "report")
    [sections] = [m for m in at.multiselect if m.label == "Sections"]
    assert sections.value == in_order


def test_pages_without_data_point_to_the_first_step_not_done():
    at = _app()
    for page in ("features", "compare", "label", "report"):
        _goto(at, page)
        assert _texts(at.info).startswith("Step 1 (Data) is"), (page, _texts(at.info))
    at.button(key="sidebar.demo").click().run()  # every step done ...
    at.session_state["analysis"].project.features.scaling = "robust"  # ... then the features change
    _goto(at, "label")
    assert _texts(at.info).startswith("Step 2 (Features) is out of date"), _texts(at.info)  # not step 3


def test_load_button_gives_way_to_the_loaded_state_until_the_files_change(tmp_path):
    from tests.real_shapes import write_cd_store_log

    log = write_cd_store_log(tmp_path, n_customers=120)
    at = _app()
    at.session_state["data.uploads"] = [(log.name, log.read_bytes())]  # what the file uploader stores
    at.run()
    assert [b.label for b in at.button if b.key == "data.load"] == ["Load 1 file"]
    at.button(key="data.load").click().run()
    assert not at.exception and at.session_state["analysis"].status("data") == "done"
    at.run()  # the uploader still holds the file on the next run
    assert "data.load" not in [b.key for b in at.button]
    assert "Loaded: cd_store.csv" in _texts(at.success)
    at.session_state["data.uploads"] = [(log.name, log.read_bytes())]  # chosen again in the uploader
    at.run()
    assert "data.load" not in [b.key for b in at.button]  # same name, same bytes: nothing to load
    changed = log.read_bytes() + b"99999,19980101,1,12.50\n"  # one more purchase
    at.session_state["data.uploads"] = [(log.name, changed)]
    at.run()
    assert [b.label for b in at.button if b.key == "data.load"] == ["Load again"]
    assert "Loaded:" not in _texts(at.success)
    at.button(key="data.sample").click().run()  # other data now: the upload is no longer what is loaded
    assert [b.label for b in at.button if b.key == "data.load"] == ["Load 1 file"]


def test_reopened_project_keeps_its_logo_in_the_report():
    from app_support.uploads import save_logo

    at = _app()
    at.button(key="sidebar.demo").click().run()
    analysis = at.session_state["analysis"]
    analysis.project.report.logo = save_logo("brand.png", _PNG)
    project = analysis.to_project_json().encode()
    _goto(at, "data")
    at.session_state["data.project_uploads"] = [("project.json", project)]  # the logo is this session's already
    at.run()
    at.button(key="data.open_project").click().run()
    assert not at.exception and not at.error, _texts(at.error)
    reopened = at.session_state["analysis"]
    assert reopened is not analysis and reopened.project.report.logo is not None
    assert "was not uploaded" not in _texts(at.info)
    _goto(at, "report")
    assert '<img class="cover-logo"' in reopened.current("html")  # the cover shows it


_PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
        b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")


def test_analysis_date_on_the_features_page_cuts_the_data():
    at = _app()
    at.button(key="sidebar.demo").click().run()
    _goto(at, "features")
    analysis = at.session_state["analysis"]
    everyone = len(analysis.features.value.table)
    assert at.date_input(key="w:features.as_of").value is None  # empty: the whole data
    q = analysis.data.value.quality
    middle = (q.date_min + (q.date_max - q.date_min) / 2).date()
    at.date_input(key="w:features.as_of").set_value(middle).run()
    assert not at.exception and not at.error, _texts(at.error)
    assert analysis.project.data.as_of == middle.isoformat()
    assert f"Analysis as of {middle.isoformat()}: " in _texts(at.warning)
    assert 0 < len(analysis.features.value.table) < everyone
    at.date_input(key="w:features.as_of").set_value(None).run()
    assert analysis.project.data.as_of is None and len(analysis.features.value.table) == everyone
