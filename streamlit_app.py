"""Entry point of the Streamlit app: page config, navigation and the frame shared by the five steps.

Pages are thin views over the session's one :class:`engine.analysis.runner.Analysis`.
The sidebar lists the steps with their status (done / out of date / to do) and
is redrawn after the page ran when the page changed a status. The analysis is
kept under a token in the URL (app_support.state), saved after every run.
"""

import streamlit as st

from app_support import sessions, state, ui

st.set_page_config(page_title="Customer Segmentation Report Builder", page_icon="📊", layout="wide")

PAGES = {
    "data": st.Page("app_pages/1_data.py", title="Data", url_path="data", default=True),
    "features": st.Page("app_pages/2_features.py", title="Features", url_path="features"),
    "compare": st.Page("app_pages/3_compare.py", title="Compare", url_path="compare"),
    "label": st.Page("app_pages/4_label.py", title="Label", url_path="label"),
    "report": st.Page("app_pages/5_report.py", title="Report", url_path="report"),
}
st.session_state["pages"] = PAGES  # pages link to each other through these objects

navigation = st.navigation(list(PAGES.values()), position="hidden")
analysis = state.get_analysis()  # found again by the token in the URL after a refresh or in a new tab
ui.link_notice()
with st.sidebar:
    st.markdown("### :material/donut_small: Segmentation Report Builder")
    steps_box = st.empty()
    before = ui.statuses(analysis)
    ui.steps(PAGES, steps_box, before)
    ui.background_status()
    st.divider()
    ui.demo_button(PAGES)
    ui.start_over_button(PAGES)
ui.wait_for_background(sessions.RESTORE_LABEL)  # an analysis rebuilt from disk: its stages first

try:
    navigation.run()
finally:  # also when the page stopped early or asked for a rerun
    state.save()

after = ui.statuses(state.get_analysis())
if after != before:
    ui.steps(PAGES, steps_box, after)
