"""Step 3 · Compare: algorithms over a k range, the recommendation and its override, 2-D view, stability."""

import streamlit as st

from app_support import frame, state, ui
from app_support.text import md
from engine.clustering.algorithms import ALGORITHMS
from engine.clustering.metrics import METRICS
from engine.narrative.cautions import reading_cautions
from engine.views.projection import METHODS

frame.inside()  # the step runs inside the app's frame (app_support/frame.py)

analysis = state.get_analysis()
clustering = analysis.project.clustering
st.header("3 · Compare")
ui.require(analysis, "features")
features = analysis.features.value

with st.container(border=True):
    left, right = st.columns([3, 2])
    algorithms = left.multiselect(
        "Algorithms", list(ALGORITHMS), format_func=lambda a: ALGORITHMS[a].label,
        key=state.widget("compare.algorithms", list(clustering.algorithms)),
        help="\n".join(f"- **{a.label}**: {a.description}" for a in ALGORITHMS.values()),
    )
    k_range = right.slider("Number of clusters (k) to try", 2, 30, key=state.widget("compare.k_range",
                                                                                      tuple(clustering.k_range)))
    left, right = st.columns([3, 2])
    seed = left.number_input("Random seed", 0, 2**31 - 1, step=1, key=state.widget("compare.seed", clustering.seed),
                             help="The random_state of every algorithm: same seed, same clusters.")
    resamples = right.number_input(
        "Stability resamples", 0, 200, step=5, key=state.widget("compare.resamples", clustering.stability_resamples),
        help="Bootstrap refits of the chosen model (0 skips the stability check).",
    )
if algorithms:
    clustering.algorithms = list(algorithms)
clustering.k_range = (int(k_range[0]), int(k_range[1]))
clustering.seed = int(seed)
clustering.stability_resamples = int(resamples)
if not algorithms:
    st.warning("Pick at least one algorithm.")
    st.stop()

comparison_status = analysis.stage_status("comparison")
running = ui.job_running("Comparing algorithms")  # started earlier, maybe from another page visit or tab
if comparison_status == "stale" and not running:
    st.warning("Features or comparison settings changed since the last run; run the comparison again.",
               icon=":material/sync_problem:")
label = "Run comparison" if comparison_status == "pending" else "Run comparison again"
run_clicked = comparison_status != "done" and not running and st.button(label, key="compare.run", type="primary",
                                                                         icon=":material/play_arrow:")
if ui.background_run("Comparing algorithms", analysis.run_comparison, start=run_clicked):
    st.rerun()
comparison = analysis.current("comparison")
if comparison is None:
    st.stop()

# ---- the model used: recommendation or the analyst's override ----------------
choice = ui.ensure(analysis, "choice", analysis.run_choice)
rec = choice.recommendation
st.subheader("Recommendation")
st.success(f"**{ALGORITHMS[rec.algorithm].label}** with **k = {rec.k}**", icon=":material/recommend:")
cautions_box = st.container()  # filled below, once the chosen model's stability check is known
for note in rec.warnings + comparison.notes:  # the technical side: k at the edge of the range, capped runs
    st.caption(md(note))
for reason in rec.reasons:
    st.markdown(f"- {md(reason)}")
with st.expander("How the recommendation is made"):
    st.markdown(md(rec.rule))

override_options = ["recommended"] + list(comparison.algorithms)
current = clustering.choice or {}
left, right = st.columns([3, 2])
picked = left.selectbox(
    "Model to use", override_options,
    format_func=lambda a: "The recommendation" if a == "recommended" else ALGORITHMS[a].label,
    key=state.widget("compare.choice_algorithm", current.get("algorithm", "recommended")),
)
if picked == "recommended":
    clustering.choice = None
else:
    needs_k = getattr(ALGORITHMS[picked], "needs_k", True)
    k = right.number_input("k", 2, 30, step=1, disabled=not needs_k,
                           key=state.widget("compare.choice_k", int(current.get("k") or rec.k)))
    clustering.choice = {"algorithm": picked, "k": int(k) if needs_k else None}
if analysis.stale_stages("labels"):  # the chosen model, its stability check and its generated labels
    ui.run_with_progress("Fitting the chosen model", lambda report: analysis.run_through("labels", report))
choice = ui.ensure(analysis, "choice", analysis.run_choice)
names = {c: lab.name for c, lab in analysis.cluster_labels()[0].items()} if analysis.current("labels") else None
run = choice.run
for caution in reading_cautions(analysis.current("data"), features, choice.recommendation, run,
                                analysis.current("stability"), names):  # the same sentences as the report
    cautions_box.warning(md(caution), icon=":material/warning:")
st.info(f"{md(choice.reason)} {run.n_clusters} clusters of {len(run.labels):,} {features.unit}s.",
        icon=":material/check:")

from engine.views import chart_models, charts, run_table  # noqa: E402

# ---- the comparison -----------------------------------------------------------
st.subheader("All runs")
table = comparison.table()
st.dataframe(  # text cells: labels, and "–" where a run has no value (BIC/AIC outside the Gaussian mixture)
    run_table.runs_table(table), hide_index=True, width="stretch",
    column_config={METRICS[m].label.split(" (")[0]: st.column_config.TextColumn(help=METRICS[m].description)
                   for m in METRICS if m in table.columns}
    | {"k": st.column_config.TextColumn(help="Requested number of clusters (–: a density method finds its own)")},
)
algorithm_labels = {a: ALGORITHMS[a].label for a in ALGORITHMS}
ui.chart(lambda: chart_models.metric_vs_k_chart(table, algorithm_labels=algorithm_labels),
         cache_key=f"metric_vs_k:{analysis.fingerprint('comparison')}{analysis.data_digest}")
density = chart_models.density_runs(table, algorithm_labels)
if not density.empty:  # their own cluster counts, kept off the k axis
    st.caption("These methods choose their own number of clusters, so they are kept off the k axis above:")
    st.dataframe(density, hide_index=True, column_config={
        "Clusters found": st.column_config.NumberColumn("Clusters found"),
        "Noise": st.column_config.NumberColumn("Noise", format="percent")})

# ---- the chosen clusters ------------------------------------------------------
st.subheader("The clusters in two dimensions")
method = st.radio("Projection", list(METHODS), format_func=METHODS.get, horizontal=True,
                  key=state.widget("compare.projection", analysis.project.report.projection),
                  help="PCA is instant; t-SNE and UMAP take longer (UMAP's first use starts its compiler).")
analysis.project.report.projection = method  # the report shows this same projection
with st.spinner(f"Projecting with {METHODS[method]}"):
    if analysis.stage_status("projection") != "done":
        ui.attempt(analysis.run_projection)
projection = analysis.current("projection")
if projection is not None:
    ui.chart(charts.cluster_scatter_chart(projection, names), share=0.7)
labelled = analysis.current("labels")
if labelled is not None:
    st.subheader("Cluster sizes")
    ui.chart(charts.sizes_chart(labelled.profile, names), share=0.7)

stab = analysis.current("stability")
if stab is not None:
    st.subheader("Stability")
    st.metric("Adjusted Rand index across resamples", f"{stab.ari_mean:.2f} ± {stab.ari_std:.2f}",
              help=f"{stab.n_resamples} bootstrap refits of the chosen model; 1 means identical clusters.")
    ui.chart(chart_models.stability_chart(stab, names), share=0.7)

ui.page_link(st.session_state["pages"]["label"], label="Next: name the clusters", icon=":material/arrow_forward:")
