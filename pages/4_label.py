"""Step 4 · Label: profiles, and one editable card per cluster with its consistency warnings."""

import math

import streamlit as st

from app_support import frame, state, ui
from app_support.text import md
from engine.project import LabelSpec
from engine.views.profiles import profiling_table

PLAIN_HEADERS = {"Cluster id": "#", "Cluster": "Segment"}  # the profile table's headers as the analyst reads them

frame.inside()  # the step runs inside the app's frame (app_support/frame.py)

analysis = state.get_analysis()
project = analysis.project
st.header("4 · Label")
ui.require(analysis, "compare")
labelled = ui.ensure(analysis, "labels", analysis.run_labels)
profile = labelled.profile

if analysis.edits_for_other_model():
    st.warning("Your edited labels were written while a different model was chosen; cluster numbers may now "
               "mean different groups. Check them below, or start again from the generated labels.",
               icon=":material/sync_problem:")
    keep, discard, _ = st.columns([1, 1, 3])
    if keep.button("Keep my edits", key="label.keep"):
        analysis.mark_labels_reviewed()
        st.rerun()
    if discard.button("Use the generated labels", key="label.discard"):
        analysis.reset_labels()
        state.forget("label.")
        st.rerun()

labels, warnings, notes = analysis.cluster_labels()
names = {c: lab.name for c, lab in labels.items()}
for note in notes:
    st.info(md(note))

from engine.views import charts  # noqa: E402

st.subheader("Profiles")
table = profiling_table(profile, names).rename(columns=PLAIN_HEADERS)  # the CSV export keeps "Cluster id"


def number_format(column: str) -> str:
    if column.startswith(("Share", "Avg Share")):
        return "percent"
    return "%d" if column == "#" else "%.2f" if column.startswith("Avg") else "localized"


st.dataframe(table, hide_index=True, width="stretch", column_config={
    c: st.column_config.NumberColumn(c, format=number_format(c)) for c in table.columns if c not in ("Segment",)})
all_features = st.toggle("Show every profiled feature in the heatmap", key="label.heatmap_all",
                         help="Off: only the features the clusters were fitted on.")
ui.chart(charts.heatmap_chart(profile, names, features=None if all_features else profile.clustered_on), share=0.75)

st.subheader("Clusters")
st.caption("Names, descriptions and strategies are generated from the numbers; edit them freely. "
           "Strategies: one per line.")
size = profile.summary["size"]
share = profile.summary["share"]
for cluster, generated in sorted(labelled.generated.items()):
    current = labels.get(cluster, generated)
    spec = project.labels.get(cluster, LabelSpec())
    with st.container(border=True):
        card, side = st.columns([3, 2])
        with card:
            st.markdown(f"**Cluster {cluster}** · {int(size.get(cluster, 0)):,} {profile.unit}s "
                        f"({float(share.get(cluster, 0)):.1%})")
            name = st.text_input("Name", key=state.widget(f"label.{cluster}.name", current.name))
            description = st.text_area("Description", key=state.widget(f"label.{cluster}.description",
                                                                       current.description), height=130)
            strategies = st.text_area("Strategies", key=state.widget(f"label.{cluster}.strategies",
                                                                     "\n".join(current.strategies)), height=130)
        with side:
            revenue_share = float(profile.summary["revenue_share"].get(cluster, float("nan")))
            if math.isfinite(revenue_share):
                st.metric("Share of revenue", f"{revenue_share:.1%}")
            if generated.distinctive:
                st.caption("Most distinctive: " + md(", ".join(profile.feature_labels.get(f, f)
                                                            for f in generated.distinctive[:4])))
            mine = [w for w in warnings if w.cluster == cluster]
            for warning in mine:
                if warning.suppressed:
                    st.caption(f"Suppressed: {md(warning.message)}")
                else:
                    st.warning(md(warning.message), icon=":material/report:")
            suppress = st.checkbox("Suppress warnings for this cluster",
                                   key=state.widget(f"label.{cluster}.suppress", spec.suppress_warnings),
                                   disabled=not mine and not spec.suppress_warnings)
            edited = spec != LabelSpec()
            if edited and st.button("Back to the generated label", key=f"label.{cluster}.reset"):
                analysis.reset_labels(cluster)
                state.forget(f"label.{cluster}.")
                st.rerun()
    if analysis.set_label(cluster, name, description, strategies, suppress):  # keeps only what differs
        st.rerun()  # warnings and the profile table follow the new words at once

ui.page_link(st.session_state["pages"]["report"], label="Next: build the report", icon=":material/arrow_forward:")
