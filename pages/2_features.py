"""Step 2 · Features: unit of analysis, the feature catalogue, log and scaling; distributions and correlations."""

from datetime import date

import streamlit as st

from app_support import frame, state, ui
from app_support.text import md
from engine.features.catalogue import feature_def
from engine.features.matrix import available_features, default_features, feature_labels
from engine.features.scaling import SCALERS
from engine.formatting import MISSING, iso_date

frame.inside()  # the step runs inside the app's frame (app_support/frame.py)

analysis = state.get_analysis()
project = analysis.project
st.header("2 · Features")
ui.require(analysis, "data")
dataset = analysis.data.value

units = analysis.units()
unit_words = {"customer": "Customers (one row per customer, aggregated)", "row": "Rows as they are"}
if project.data.unit not in units:
    analysis.set_unit(units[0])
unit = st.radio(
    "Unit of analysis", units, format_func=unit_words.get, horizontal=True,
    key=state.widget("features.unit", project.data.unit),
    help="Customers: transactions are aggregated into one row per customer (RFM and more). "
         "Rows: the main table's rows are clustered as they are.",
)
analysis.set_unit(unit)  # a new unit clears the feature selection and log list (names differ)

quality = dataset.quality
if unit == "customer" and dataset.shape == "transactions" and iso_date(quality.date_min) != MISSING:
    first, last = quality.date_min.date(), quality.date_max.date()
    as_of = date.fromisoformat(iso_date(project.data.as_of)) if iso_date(project.data.as_of) != MISSING else None
    chosen = st.date_input(
        "Analysis date (optional)", min_value=min(first, as_of or first), max_value=max(last, as_of or last,
                                                                                       date.today()),
        format="YYYY-MM-DD", key=state.widget("features.as_of", as_of),
        help=f"Empty: the whole data, with recency counted from the day after its last date ({iso_date(last)}). "
             "A date inside the data analyses the customers as they were that day: only transactions up to it "
             "count, and recency and tenure are measured from it.",
    )
    project.data.as_of = chosen.isoformat() if chosen else None

available = available_features(dataset, unit)
defaults = default_features(dataset, unit)


labels = feature_labels(dataset, unit)


def label(name: str) -> str:
    return labels.get(name, name)


catalogue = [(n, feature_def(n) if unit == "customer" else None) for n in available]
help_text = "\n".join(f"- **{label(n)}**: {d.description}" for n, d in catalogue if d)
current = [n for n in (project.features.selected or defaults) if n in available]
selected = st.multiselect(
    "Features to cluster on", available, format_func=label, key=state.widget(f"features.selected.{unit}", current),
    help=help_text or "Numeric columns of the main table.",
)
project.features.selected = None if project.features.selected is None and selected == defaults else list(selected)

left, right = st.columns(2)
with left:
    scaling = st.selectbox(
        "Scaling", list(SCALERS), format_func=lambda s: SCALERS[s].label,
        key=state.widget("features.scaling", project.features.scaling),
        help="\n".join(f"- **{s.label}**: {s.description}" for s in SCALERS.values()),
    )
    project.features.scaling = scaling
with right:
    auto_log = st.checkbox(
        "Log-transform skewed features automatically", key=state.widget("features.auto_log", project.features.log is None),
        help="Heavy-tailed features (spend, order counts) get log1p so a few very large customers do not decide "
             "the clusters.",
    )
    if auto_log:
        project.features.log = None
    else:
        log_names = st.multiselect(
            "Log-transform these", list(selected), format_func=label,
            key=state.widget(f"features.log.{unit}", [n for n in (project.features.log or []) if n in selected]),
        )
        project.features.log = list(log_names)

with st.expander("Feature catalogue", icon=":material/menu_book:"):
    st.dataframe(
        [{"Feature": label(n), "Key": n, "Unit": d.unit if d else "", "Description": d.description if d else "column"}
         for n, d in catalogue],
        hide_index=True, width="stretch",
    )

if not selected:
    st.warning("Pick at least one feature to cluster on.")
    st.stop()
features = ui.ensure(analysis, "features", analysis.run_features)

st.caption(
    f"{len(features.table):,} {features.unit}s × {len(features.names)} features; scaling: "
    f"{SCALERS[features.scaling].label.lower()}; log-transformed: "
    f"{md(', '.join(label(n) for n in features.log)) or 'none'}."
)
for warning in features.warnings:
    st.warning(md(warning))

from engine.views import chart_features  # noqa: E402  (chart specs; imported once the page has something to draw)

st.subheader("Distributions")
st.caption("Raw values before the log transform and scaling.")
grid = st.columns(3)
for i, name in enumerate(features.names):
    with grid[i % 3]:
        ui.chart(chart_features.distribution_chart(features.table, name, label(name), features.unit),
                 key=f"features.dist.{name}")
if len(features.names) >= 2:
    st.subheader("Correlations")
    ui.chart(chart_features.correlation_chart(features.table, features.names, features.labels), share=0.55)

ui.page_link(st.session_state["pages"]["compare"], label="Next: compare algorithms", icon=":material/arrow_forward:")
