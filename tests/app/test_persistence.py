"""AppTest: the analysis is found again by the token in the URL (refresh, new tab, server restart), Start over."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app_support import state
from app_support.store import valid_token

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "streamlit_app.py")
pytestmark = pytest.mark.slow


def _open(token: str | None = None) -> AppTest:
    """A new browser session (a refresh, or the link in another tab) on ``?analysis=<token>``."""
    at = AppTest.from_file(APP, default_timeout=120)
    if token is not None:
        at.query_params["analysis"] = token
    at.run()
    assert not at.exception, at.exception
    return at


def _step_links(at: AppTest) -> list[str]:
    found = []

    def walk(node) -> None:
        if getattr(node, "type", None) == "page_link":
            found.append(node.proto.label)
        for child in (getattr(node, "children", None) or {}).values():
            walk(child)

    walk(at.sidebar)
    return found


def _texts(elements) -> str:
    return " ".join(str(e.value) for e in elements)


@pytest.fixture(scope="module")
def demo_token() -> str:
    at = _open()
    token = at.query_params["analysis"]
    assert valid_token(token)
    at.button(key="sidebar.demo").click().run()
    assert not at.exception and at.header[0].value == "5 · Report"
    assert at.query_params["analysis"] == token  # the page switch kept the token in the URL
    at.switch_page("pages/4_label.py").run()
    at.text_input(key="w:label.0.name").input("Kept <across> refreshes").run()
    return token


def test_a_new_session_on_the_same_link_finds_the_same_analysis(demo_token):
    first = state.registry().live(demo_token).analysis
    again = _open(demo_token)
    assert again.session_state["analysis"] is first  # computed stages included, nothing recomputed
    assert [link.split(" — ")[1] for link in _step_links(again)] == ["done"] * 4 + ["to do"]
    again.switch_page("pages/4_label.py").run()
    assert again.text_input(key="w:label.0.name").value == "Kept <across> refreshes"
    again.switch_page("pages/5_report.py").run()
    assert "report.build_pdf" in [b.key for b in again.button]
    assert not again.info  # no notice for a good link


def test_after_a_server_restart_the_saved_copy_is_rebuilt(demo_token):
    registry = state.registry()
    before = registry.live(demo_token).analysis
    registry.forget_live(demo_token)  # what a restart leaves: only the disk copy
    at = _open(demo_token)
    restored = at.session_state["analysis"]
    assert restored is not before
    assert [link.split(" — ")[1] for link in _step_links(at)][:4] == ["done"] * 4
    assert restored.project.labels[0].name == "Kept <across> refreshes"
    assert restored.current("choice").run.labels.tolist() == before.current("choice").run.labels.tolist()
    assert "Data quality" in [s.value for s in at.subheader]


@pytest.mark.parametrize("forged", ["../../etc/passwd", "x" * 43, "short"])
def test_a_forged_or_unknown_token_starts_a_clean_session_with_a_notice(forged):
    at = _open(forged)
    assert "has expired or does not exist, so a new one was started" in _texts(at.info)
    token = at.query_params["analysis"]
    assert valid_token(token) and token != forged
    assert at.session_state["analysis"].project.data.paths == []
    assert all(link.endswith("to do") for link in _step_links(at))
    at.run()  # the notice is said once
    assert "has expired" not in _texts(at.info)


def test_start_over_forgets_the_analysis_and_its_link():
    at = _open()
    at.button(key="data.sample").click().run()
    old = at.query_params["analysis"]
    assert at.session_state["analysis"].status("data") == "done"
    assert (state.registry().store.root / old).is_dir()  # saved after the run
    at.button(key="sidebar.start_over").click().run()
    assert not at.exception
    new = at.query_params["analysis"]
    assert valid_token(new) and new != old
    assert at.session_state["analysis"].project.data.paths == []
    assert at.header[0].value == "1 · Data"
    assert not (state.registry().store.root / old).exists()
    assert "has expired or does not exist" in _texts(_open(old).info)
