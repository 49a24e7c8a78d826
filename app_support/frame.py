"""The frame shared by the five steps: page config, navigation, the sidebar and saving the analysis.

Pages are thin views over the session's one :class:`engine.analysis.runner.Analysis`.
The sidebar lists the steps with their status (done / out of date / to do) and
is redrawn after the page ran when the page changed a status. The analysis is
kept under a token in the URL (app_support.state), saved after every run.

Streamlit still runs a file of a top-level ``pages/`` folder on its own when a
script run starts in its old multipage mode (the first run of a server process
on a deep link, and every AppTest run): :func:`inside` sees that the frame is not
around the page and runs the frame, which runs the page in its place.
"""

import threading

import streamlit as st
from streamlit.logger import get_logger
from streamlit.runtime import Runtime

from app_support import sessions, state, ui, warmup

_RUNNING = threading.local()  # Streamlit runs each session's script in its own thread


def run() -> None:
    _RUNNING.frame = True
    try:
        _frame()
    finally:
        _RUNNING.frame = False
        if _real_server():  # after the first page was drawn: it never waits for the warm-up
            get_logger(warmup.__name__)  # its steps are logged with Streamlit's own messages
            warmup.start(state.engine_cache().get_or_compute)


def _real_server() -> bool:
    """True under ``streamlit run``; False under AppTest, whose runtime is a stand-in (no warm-up there)."""
    return Runtime.exists() and type(Runtime.instance()) is Runtime


def inside() -> None:
    """Called first by every page: make sure the frame is around it."""
    if not getattr(_RUNNING, "frame", False):
        run()  # the navigation runs this page again, inside the frame
        st.stop()


def _frame() -> None:
    st.set_page_config(page_title="Customer Segmentation Report Builder", page_icon="📊", layout="wide")

    pages = {
        "data": st.Page("pages/1_data.py", title="Data", url_path="data", default=True),
        "features": st.Page("pages/2_features.py", title="Features", url_path="features"),
        "compare": st.Page("pages/3_compare.py", title="Compare", url_path="compare"),
        "label": st.Page("pages/4_label.py", title="Label", url_path="label"),
        "report": st.Page("pages/5_report.py", title="Report", url_path="report"),
    }
    st.session_state["pages"] = pages  # pages link to each other through these objects

    navigation = st.navigation(list(pages.values()), position="hidden")
    analysis = state.get_analysis()  # found again by the token in the URL after a refresh or in a new tab
    ui.link_notice()
    with st.sidebar:
        st.markdown("### :material/donut_small: Segmentation Report Builder")
        steps_box = st.empty()
        before = ui.statuses(analysis)
        ui.steps(pages, steps_box, before)
        ui.background_status()
        st.divider()
        ui.demo_button(pages)
        ui.start_over_button(pages)
    ui.wait_for_background(sessions.RESTORE_LABEL)  # an analysis rebuilt from disk: its stages first

    try:
        navigation.run()
    finally:  # also when the page stopped early or asked for a rerun
        state.save()

    after = ui.statuses(state.get_analysis())
    if after != before:
        ui.steps(pages, steps_box, after)
