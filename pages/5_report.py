"""Step 5 · Report: branding and sections, an HTML preview, the PDF and every download."""

import datetime as dt

import streamlit as st

from app_support import frame, state, ui
from app_support.text import md
from app_support.uploads import save_logo, save_model
from engine.analysis.stages import STEP_TITLES, STEPS
from engine.errors import InputError
from engine.project import DETAILS, PAGE_SIZES

frame.inside()  # the step runs inside the app's frame (app_support/frame.py)

analysis = state.get_analysis()
report = analysis.project.report
st.header("5 · Report")
ui.require(analysis, "data")

behind = [STEP_TITLES[s] for s in STEPS[:-1] if analysis.status(s) != "done"]
if behind:
    st.warning(f"Not up to date yet: {', '.join(behind)}. The report is built from finished steps only.",
               icon=":material/sync_problem:")
    catching_up = ui.job_running("Bringing the analysis up to date")
    catch_up = not catching_up and st.button("Run the remaining steps with the current choices",
                                             key="report.catch_up", type="primary")
    if ui.background_run("Bringing the analysis up to date", analysis.run_all, start=catch_up):
        st.rerun()
    st.stop()

from engine.report.sections import SECTIONS, selected_sections  # noqa: E402  (Jinja and the charts: only here)

# in report order; "How segments moved" when the project has a migration (Section.needs reads project.migration)
optional_sections = [s.key for s in selected_sections(None, report.detail, analysis.project) if not s.always]
DETAIL_LABELS = {"client": "Client report (short body, technical appendix)", "full": "Full analyst's report"}
with st.form("report.options"):
    st.subheader("Branding and contents")
    left, right = st.columns(2)
    client = left.text_input("Client", key=state.widget("report.client", report.client))
    title = left.text_input("Title", key=state.widget("report.title", report.title))
    analyst = left.text_input("Analyst", key=state.widget("report.analyst", report.analyst))
    date = left.date_input("Report date (empty: the day it is built)", format="YYYY-MM-DD",
                            key=state.widget("report.date", dt.date.fromisoformat(report.date) if report.date else None))
    page_size = right.radio("Page size", list(PAGE_SIZES), horizontal=True,
                            key=state.widget("report.page_size", report.page_size))
    accent = right.color_picker("Accent colour", key=state.widget("report.accent", report.accent))
    logo = right.file_uploader("Logo (PNG, SVG or JPEG, up to 1 MB)", type=["png", "svg", "jpg", "jpeg"],
                               key="report.logo_upload")
    drop_logo = right.checkbox("No logo", key=state.widget("report.no_logo", False), disabled=not report.logo)
    detail = right.radio("Detail", list(DETAILS), format_func=DETAIL_LABELS.get,
                         key=state.widget("report.detail", report.detail))
    sections_key = state.widget("report.sections", report.sections if report.sections is not None else optional_sections)
    chosen = st.session_state[sections_key]  # shown in report order, whatever order they were picked in
    st.session_state[sections_key] = [k for k in optional_sections if k in chosen]
    sections = st.multiselect(
        "Sections", optional_sections, format_func=lambda k: SECTIONS[k].title, key=sections_key,
        help="The cover is always included (and the contents, in the full report).",
    )
    if st.form_submit_button("Apply", type="primary", icon=":material/check:"):
        report.client, report.title, report.analyst = client.strip(), title.strip(), analyst.strip()
        report.date = date.isoformat() if date else None
        report.page_size, report.accent = page_size, accent
        report.sections = None if list(sections) == optional_sections or detail != report.detail else list(sections)
        report.detail = detail  # another detail level has other sections: a new level starts with all of them
        if logo is not None:
            ui.attempt(lambda: setattr(report, "logo", save_logo(logo.name, logo.getvalue())))
        elif drop_logo:
            report.logo = None
            state.forget("report.no_logo")

# "How segments moved": a saved model places the customers at two dates (engine.migration).
migration = analysis.project.migration
with st.expander("How segments moved (optional)", expanded=migration is not None, icon=":material/swap_horiz:"):
    st.caption("Upload a model file saved from an earlier report (“Prepare the model file” below) and choose "
               "two dates inside the data: each customer is placed with that model using the data up to each date, "
               "and the report gains the section “How segments moved”.")
    if migration is not None:
        from pathlib import Path

        st.info(md(f"The report shows how segments moved from {migration.start} to {migration.end} with the "
                   f"model {Path(migration.model).name}."), icon=":material/swap_horiz:")
    with st.form("report.migration"):
        model_upload = st.file_uploader("Model file (JSON)", type=["json"], key="report.model_upload")
        left, right = st.columns(2)
        start = left.date_input("From", format="YYYY-MM-DD", key=state.widget(
            "report.migration_from", dt.date.fromisoformat(migration.start) if migration else None))
        end = right.date_input("To", format="YYYY-MM-DD", key=state.widget(
            "report.migration_to", dt.date.fromisoformat(migration.end) if migration else None))
        show, remove = st.columns(2)
        apply_migration = show.form_submit_button("Show how segments moved", icon=":material/check:")
        drop_migration = remove.form_submit_button("Remove the section", disabled=migration is None)
    if apply_migration:
        from engine.migration.run import migration_spec

        def set_migration() -> None:
            if model_upload is None and migration is None:
                raise InputError("Upload the model file first.")
            if start is None or end is None:
                raise InputError("Choose both dates, the first before the second.")
            path = (save_model(model_upload.name, model_upload.getvalue()) if model_upload is not None
                    else migration.model)
            analysis.project.migration = migration_spec(path, start.isoformat(), end.isoformat())
            state.forget("report.sections")  # the list of sections offered changes
            state.forget("report.migration_")  # the dates shown are the project's

        if ui.attempt(set_migration):
            st.rerun()
    elif drop_migration:
        analysis.project.migration = None
        state.forget("report.sections")
        state.forget("report.migration_")
        st.rerun()

html = []
with st.spinner("Rendering the report"):
    ui.attempt(lambda: html.append(analysis.render_html()))
if not html:
    st.stop()

st.subheader("Downloads")
pdf = analysis.current("pdf")
if pdf is None:
    if analysis.pdf is not None:
        st.info("The report changed since the PDF was built; build it again.", icon=":material/sync_problem:")

    def build(progress) -> None:
        progress("Writing the PDF (charts, tables, fonts)", 0.2)
        analysis.render_pdf()
        progress("PDF ready", 1.0)

    building = ui.job_running("Building the PDF")
    clicked = not building and st.button("Build the PDF", key="report.build_pdf", type="primary",
                                         icon=":material/picture_as_pdf:")
    if ui.background_run("Building the PDF", build, start=clicked):
        st.rerun()

from engine.report import exports  # noqa: E402

result = analysis.to_result()
stem = "".join(ch if ch.isalnum() else "-" for ch in (report.client or "segmentation")).strip("-").lower()
cols = st.columns(5)
if pdf is not None:
    cols[0].download_button("PDF report", pdf, f"{stem}-segmentation.pdf", "application/pdf", key="report.dl_pdf",
                            on_click="ignore", type="primary", icon=":material/download:")
cols[1].download_button("HTML report", html[0], f"{stem}-segmentation.html", "text/html", key="report.dl_html",
                        on_click="ignore", icon=":material/download:")
cols[2].download_button("Assignments (CSV)", exports.assignments_csv(result), f"{stem}-assignments.csv", "text/csv",
                        key="report.dl_assignments", on_click="ignore", icon=":material/download:")
cols[3].download_button("Profiles (CSV)", exports.profiles_csv(result), f"{stem}-profiles.csv", "text/csv",
                        key="report.dl_profiles", on_click="ignore", icon=":material/download:")
cols[4].download_button("Project file", analysis.to_project_json(), f"{stem}-project.json", "application/json",
                        key="report.dl_project", on_click="ignore", icon=":material/download:",
                        help="Every choice in this analysis; open it in step 1 to rebuild the report.")

# Charts for slides: drawn when asked (PNG and SVG of every chart take a few seconds), kept for this report.
from engine.report import deck  # noqa: E402

outputs = state.entry().outputs  # written by the background run, which has no page session of its own
ui.prepared_download(
    outputs, "charts_zip", "charts", html[0], lambda: deck.charts_zip(deck.deck_charts(result, report)),
    prepare="Prepare the charts for slides", download="Charts for slides (ZIP: PNG and SVG)",
    file_name=f"{stem}-charts.zip", mime="application/zip", icon=":material/bar_chart:",
    doing="Drawing every chart as PNG and SVG",
    help="Every chart of the report, named after its section, as PNG (print resolution) and SVG.")

# Model file (issue 14): the chosen model as JSON for `python -m engine score`; saved when asked (it repeats the fit).
from engine.model import model_json  # noqa: E402

if result.features.unit != "customer":
    st.caption("A model file can be saved only for a customer segmentation (this analysis segments rows).")
else:
    ui.prepared_download(
        outputs, "model_json", "model", html[0], lambda: model_json(result), prepare="Prepare the model file",
        download="Download model file", file_name=f"{stem}-model.json", mime="application/json",
        icon=":material/save:", doing="Saving the chosen model",
        help="The chosen model as JSON: score new customers with python -m engine score.")

st.subheader("Preview")
st.iframe(html[0], height=1100, alt="Report preview")
