"""Step 1 · Data: upload files (or the sample, or a project file); tables, roles, quality, previews."""

import streamlit as st

from app_support import frame, state, ui, uploads
from app_support.text import md
from app_support.uploads import demo_analysis, load_uploads, open_project
from engine.features.matrix import require_enough_units, units_to_segment
from engine.loading.tables import sheet_statuses
from engine.project import ROLE_NAMES

frame.inside()  # the step runs inside the app's frame (app_support/frame.py)

analysis = state.get_analysis()
st.header("1 · Data")
st.caption("Upload a transactions export (with customers and products tables if you have them), "
           "or one table with one row per customer.")

upload_tab, sample_tab, project_tab = st.tabs(["Upload files", "Sample data", "Open a project file"])
with upload_tab:
    files = st.file_uploader(
        "CSV, Excel or Parquet files", type=[x.lstrip(".") for x in uploads.DATA_SUFFIXES],
        accept_multiple_files=True, key="data.uploader", help=uploads.limits_help(analysis.project.data),
    )
    if files:  # kept in the session so a page switch does not forget them
        st.session_state["data.uploads"] = [(f.name, f.getvalue()) for f in files]
    staged = st.session_state.get("data.uploads") or []
    last = st.session_state.get("data.loaded_uploads")  # (names, digest, paths) of the last upload loaded
    current = last is not None and last[2] == list(analysis.project.data.paths)  # and still the analysis's data
    if current and (not staged or uploads.digest(staged) == last[1]):
        st.success(f"Loaded: {md(', '.join(last[0]))}", icon=":material/check:")  # nothing new to load
        staged = []
    label = "Load again" if current else f"Load {len(staged)} file{'s' if len(staged) != 1 else ''}"
    load_clicked = bool(staged) and st.button(label, key="data.load", type="primary")
    if load_clicked:
        with st.spinner("Reading and recognising the files"):
            loaded = ui.attempt(load_uploads, analysis, staged)
        if loaded:
            st.session_state["data.loaded_uploads"] = ([name for name, _ in staged], uploads.digest(staged),
                                                       list(analysis.project.data.paths))
            st.rerun()
with sample_tab:
    st.write("A synthetic retail export with three tables (customers, products, transactions) and planted "
             "customer segments.")
    if st.button("Use the sample data", key="data.sample"):
        new = state.replace_analysis(demo_analysis())
        with st.spinner("Reading the sample"):
            loaded = ui.attempt(new.run_data)
        if loaded:
            st.rerun()
with project_tab:
    st.write("A project file (.json) exported from the Report step rebuilds the whole analysis. Upload it "
             "together with its data files (unless it uses the bundled sample).")
    project_files = st.file_uploader(
        "Project file, data files and logo",
        type=["json"] + [x.lstrip(".") for x in uploads.DATA_SUFFIXES + uploads.LOGO_SUFFIXES],
        accept_multiple_files=True, key="data.project_uploader",
    )
    if project_files:  # kept in the session like the data uploads (and settable by the tests)
        st.session_state["data.project_uploads"] = [(f.name, f.getvalue()) for f in project_files]
    project_uploads = st.session_state.get("data.project_uploads") or []
    if project_uploads and st.button("Open project", key="data.open_project", type="primary"):
        restored = []
        logo = analysis.project.report.logo
        if ui.attempt(lambda: restored.append(open_project(project_uploads, current_logo=logo))):
            new = state.replace_analysis(restored[0])
            if ui.run_with_progress("Rebuilding the analysis", new.run_all):
                st.rerun()
    for note in analysis.notes:  # what opening the project file changed (e.g. a logo that was not uploaded)
        st.info(md(note), icon=":material/info:")

if analysis.data is None:
    st.info("No data loaded yet: upload files above, use the sample, or press “Try it with sample data” "
            "in the sidebar.", icon=":material/upload_file:")
    st.stop()

if analysis.stage_status("data") == "stale":
    st.warning("The column roles changed since the data was loaded.", icon=":material/sync_problem:")
    if st.button("Reload with these roles", key="data.reload", type="primary"):
        with st.spinner("Reloading"):
            loaded = ui.attempt(analysis.run_data)
        if loaded:
            st.rerun()
dataset = analysis.data.value
quality = dataset.quality
for headline in dataset.headline:  # e.g. no money found: the whole analysis reads differently
    st.error(md(headline), icon=":material/error:")
ui.attempt(require_enough_units, *units_to_segment(dataset, analysis.project.data.unit), analysis.project.data.min_units)

st.subheader("Data quality")
cols = st.columns(5)
cols[0].metric("Rows read", f"{quality.rows_read:,}")
cols[1].metric("Rows used", f"{quality.rows_used:,}")
cols[2].metric("Customers", f"{quality.customers:,}")
cols[3].metric("Returns / cancellations", f"{quality.returns:,}")
cols[4].metric("Duplicate rows", f"{quality.duplicate_rows:,}")
cols = st.columns(5)
cols[0].metric("Rows without customer", f"{quality.rows_missing_customer:,}")
cols[1].metric("Unreadable dates", f"{sum(quality.unparseable_dates.values()):,}")
cols[2].metric("Non-positive prices", f"{quality.non_positive_prices:,}")
cols[3].metric("Outliers", f"{quality.outliers:,}", help=md(quality.outlier_rule) if quality.outlier_rule else None)
if quality.date_min is not None and quality.date_max is not None:
    cols[4].metric("Days covered", f"{(quality.date_max - quality.date_min).days + 1:,}",
                   help=f"From {quality.date_min:%Y-%m-%d} to {quality.date_max:%Y-%m-%d}.")
    st.caption(f"Dates run from {quality.date_min:%d %B %Y} to {quality.date_max:%d %B %Y}.")
for finding in quality.findings:
    st.markdown(f"- {md(finding)}")
for warning in dataset.warnings:
    if warning not in dataset.headline:
        st.warning(md(warning))

st.subheader("Tables and column roles")
table_rows = [
    {"Table": t.name, "Recognised as": t.kind, "Rows": t.n_rows, "Columns": len(t.columns),
     "Roles": ", ".join(f"{role} → {col}" for role, col in t.roles.items())}
    for t in dataset.tables
]
st.dataframe(table_rows, hide_index=True, width="stretch")
for join in dataset.joins:
    st.caption(f"Joined {md(join.left)} to {md(join.right)} on {md(join.key)}: {join.left_unmatched:,} unmatched rows on the "
               f"left, {join.right_unmatched:,} unreferenced on the right.")

sheets = sheet_statuses(analysis.project.data, dataset.tables)
if sheets:
    st.subheader("Workbook sheets")
    st.caption("Every sheet with data is read as its own table and joined like a separate file. Exclude the "
               "sheets that should not be read.")
    st.dataframe(sheets, hide_index=True, width="stretch")
    if analysis.project.data.sheet is not None:
        st.caption("The project file pins one sheet (data.sheet), so the other sheets are not read.")
    else:
        names = list(dict.fromkeys(row["Sheet"] for row in sheets))
        excluded = [n for n in analysis.project.data.exclude_sheets if n in names]
        with st.form("data.sheets_form", border=False):
            chosen = st.multiselect("Sheets not to read", names, default=excluded,
                                    key=f"data.exclude_sheets.{analysis.fingerprint('data')}")
            if st.form_submit_button("Apply and reload", key="data.apply_sheets") and chosen != excluded:
                previous = list(analysis.project.data.exclude_sheets)
                analysis.project.data.exclude_sheets = chosen
                with st.spinner("Reloading without the excluded sheets"):
                    loaded = ui.attempt(analysis.run_data)
                if loaded:
                    st.rerun()
                analysis.project.data.exclude_sheets = previous  # e.g. every sheet excluded: keep the data as it was

with st.expander("Change column roles", icon=":material/edit:"):
    st.caption("Each role is matched to a column automatically; pick another column where the detection is wrong.")
    detected: dict[str, str] = {}
    for table in dataset.tables:
        for role, column in table.roles.items():
            detected.setdefault(role, column)
    detected.update(analysis.project.data.roles)
    columns = sorted({c for t in dataset.tables for c in t.columns})
    options = ["(none)"] + columns
    with st.form("data.roles_form", border=False):
        grid = st.columns(2)
        chosen = {}
        for i, role in enumerate(ROLE_NAMES):
            current = detected.get(role, "(none)")
            key = state.widget(f"data.role.{role}", current if current in options else "(none)")
            chosen[role] = grid[i % 2].selectbox(role.replace("_", " ").capitalize(), options, key=key)
        if st.form_submit_button("Apply roles and reload", type="primary"):
            overrides = {r: c for r, c in chosen.items() if c != "(none)" and c != detected.get(r)}
            if overrides:
                previous = dict(analysis.project.data.roles)
                analysis.project.data.roles = {**previous, **overrides}
                with st.spinner("Reloading with the new roles"):
                    loaded = ui.attempt(analysis.run_data)
                if loaded:
                    st.rerun()
                analysis.project.data.roles = previous  # a bad mapping leaves the loaded data as it was

st.subheader("Previews")
previews = [("Main table (as loaded)", dataset.rows)]
if dataset.transactions is not None:
    previews.append(("Transactions (cleaned, standard column names)", dataset.transactions))
if dataset.customers is not None:
    previews.append(("Customers", dataset.customers))
for title, table in previews:
    with st.expander(f"{title}: {len(table):,} rows"):
        st.dataframe(table.head(20), width="stretch")

ui.page_link(st.session_state["pages"]["features"], label="Next: choose features", icon=":material/arrow_forward:")
