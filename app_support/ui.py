"""Page furniture shared by every step: sidebar status, notices, errors and progress."""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from typing import Any

import streamlit as st

from app_support import jobs, state, uploads, warmup
from app_support.text import md
from app_support.uploads import demo_analysis
from engine.analysis.runner import Analysis
from engine.analysis.stages import STEP_TITLES, STEPS
from engine.errors import InputError

STATUS_ICON = {
    "done": ":material/check_circle:",
    "stale": ":material/sync_problem:",
    "pending": ":material/radio_button_unchecked:",
}
STATUS_WORD = {"done": "done", "stale": "out of date", "pending": "to do"}
POLL_SECONDS = 0.3  # how often a followed background run redraws its progress
DEMO_LABEL = "Running the sample analysis"
# Measured with bench/bench_app_start.py (2 shared cores): 9-17 s for a first run on a fresh server, 1-5 s once warm.
DEMO_COLD = ("Runs the whole analysis on the bundled sample: about 15 seconds while the app is still warming up "
             "after a start (longer on a busy server), a few seconds after that.")
DEMO_WARM = "Runs the whole analysis on the bundled sample in a few seconds."


def statuses(analysis: Analysis) -> dict[str, str]:
    return {step: analysis.status(step) for step in STEPS}


def steps(pages: dict[str, Any], placeholder, status: dict[str, str]) -> None:
    """The five steps as links, each with its status (drawn into a placeholder so it can be redrawn)."""
    with placeholder.container():
        st.markdown("**Steps**")
        for number, step in enumerate(STEPS, start=1):
            page_link(pages[step], label=f"{number}. {STEP_TITLES[step]} — {STATUS_WORD[status[step]]}",
                      icon=STATUS_ICON[status[step]])


def page_link(page: Any, **kwargs: Any) -> None:
    """``st.page_link`` to a step whose address carries the analysis token, so the URL never loses it.

    (A bare link opens the page without query parameters; the token came back only on the next run.)
    """
    st.page_link(page, query_params={state.TOKEN_PARAM: state.entry().token}, **kwargs)


def demo_button(pages: dict[str, Any]) -> None:
    """One click: the bundled sample, every step with default choices, then the report."""
    clicked = st.button(
        "Try it with sample data", key="sidebar.demo", type="primary", icon=":material/play_circle:",
        help="Load the bundled sample (three tables of a retail export), run every step with the default "
        "choices, and open the report.", width="stretch",
    )
    st.caption(DEMO_WARM if warmup.READY.is_set() else DEMO_COLD)
    if clicked:
        running = state.entry().runner.find(DEMO_LABEL)
        if running is not None and running.active:  # a second click follows the run already going
            new = state.get_analysis()
        else:
            new = state.replace_analysis(demo_analysis())
        if run_with_progress(DEMO_LABEL, new.run_all):
            warmup.READY.set()  # its results are in the shared cache now
            st.switch_page(pages["report"], query_params={state.TOKEN_PARAM: state.entry().token})


def start_over_button(pages: dict[str, Any]) -> None:
    """Forget this analysis and begin a clean one (behind a confirmation)."""
    with st.popover("Start over", icon=":material/restart_alt:", width="stretch"):
        st.write("Forget this analysis — its data, choices and label edits — and start a clean one. "
                 "Its link stops working.")
        if st.button("Forget it and start over", key="sidebar.start_over", type="primary"):
            state.start_over()
            st.switch_page(pages["data"], query_params={state.TOKEN_PARAM: state.entry().token})


def link_notice() -> None:
    """The one-line notice about the link (expired or unknown), once."""
    notice = state.pop_notice()
    if notice:
        st.info(notice, icon=":material/link_off:")


def stale_notice(analysis: Analysis, step: str) -> None:
    if analysis.status(step) == "stale":
        st.warning(
            "An earlier choice changed since this step ran, so its results are out of date; "
            "run it again before using them.",
            icon=":material/sync_problem:",
        )


def require(analysis: Analysis, step: str, pages: dict[str, Any] | None = None) -> None:
    """Stop the page with a pointer when the step it builds on is not done: to the first step not done."""
    if analysis.status(step) == "done":
        return
    step = next(s for s in STEPS[: STEPS.index(step) + 1] if analysis.status(s) != "done")  # no data: step 1
    status = analysis.status(step)
    number = STEPS.index(step) + 1
    job = state.entry().runner.active()
    running = f" ({job.label.lower()} is running now: see the sidebar)" if job is not None else ""
    st.info(
        f"Step {number} ({STEP_TITLES[step]}) is {STATUS_WORD[status]}{running}; finish it first, "
        "or use “Try it with sample data” in the sidebar.",
        icon=":material/info:",
    )
    pages = pages or st.session_state.get("pages")
    if pages and step in pages:
        page_link(pages[step], label=f"Go to step {number}: {STEP_TITLES[step]}", icon=":material/arrow_back:")
    st.stop()


def attempt(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> bool:
    """Run an engine call; show bad input as st.error and keep the app working."""
    try:
        fn(*args, **kwargs)
        return True
    except Exception as exc:
        show_failure(exc)
    return False


def show_failure(exc: BaseException) -> None:
    """Bad input as its one sentence; anything else as a plain apology with the details folded away."""
    if isinstance(exc, InputError):  # uploaded files by their own name, no temp path or class name
        st.error(md(uploads.plain_message(str(exc))), icon=":material/error:")
        return
    st.error("Something went wrong inside the engine; your work so far is kept.")
    with st.expander("Technical details"):
        st.code("".join(traceback.format_exception(exc))[-4000:])


def ensure(analysis: Analysis, stage: str, run: Callable[[], Any]) -> Any:
    """The stage's up-to-date value, running it first when needed; stops the page when it cannot be had.

    When the stage is not done, a background run in progress is followed to its end first
    (it may be computing this very stage). A failed run has already shown its message
    (see :func:`attempt`); nothing is lost.
    """
    if analysis.stage_status(stage) != "done":
        wait_for_background()
    if analysis.stage_status(stage) != "done":
        attempt(run)
    value = analysis.current(stage)
    if value is None:
        st.stop()
    return value


def run_with_progress(label: str, fn: Callable[[Callable[[str, float], None]], Any]) -> bool:
    """Run ``fn(report)`` in the background and follow it here in a status box with a progress bar.

    The run belongs to the analysis, not to this page: moving to another page stops only
    the following (the sidebar keeps showing the progress). A run with the same label
    already queued or running is followed instead of being started twice. Errors are
    shown as in :func:`attempt`; True when it finished.
    """
    return follow(state.entry().runner.start(label, fn))


def background_run(label: str, fn: Callable[[Callable[[str, float], None]], Any], start: bool) -> bool:
    """A page's long run: started when ``start`` (a button), else followed if one is in progress.

    Coming back to the page while the run goes on shows its progress again; a run that
    stopped while the analyst was elsewhere shows why, once. True when a run finished here.
    """
    if start:
        return run_with_progress(label, fn)
    job = state.entry().runner.find(label)
    if job is None:
        return False
    if job.active:
        return follow(job)
    if job.state == jobs.FAILED and not job.seen:
        job.seen = True
        show_failure(job.error)
    return False


def job_running(label: str) -> bool:
    """True while the run ``label`` is queued or running for this analysis."""
    job = state.entry().runner.find(label)
    return job is not None and job.active


def follow(job: jobs.Job) -> bool:
    """Show ``job``'s progress until it ends (redrawn often, so a click elsewhere interrupts at once)."""
    with st.status(job.label, expanded=True) as box:
        bar = st.progress(job.fraction, text=_progress_text(job))
        while not job.wait(POLL_SECONDS):
            bar.progress(job.fraction, text=_progress_text(job))
        job.seen = True
        if job.error is not None:
            show_failure(job.error)
        elif not job.ok:
            st.markdown(md(job.message))
        box.update(label=f"{job.label}: {'finished' if job.ok else 'stopped'}",
                   state="complete" if job.ok else "error", expanded=not job.ok)
    return job.ok


def _progress_text(job: jobs.Job) -> str:
    """The job's message and how long it has run (which keeps counting when the analyst comes back)."""
    if job.started_at is None:
        return md(job.message)
    return f"{md(job.message)} · {time.time() - job.started_at:.0f} s"


def wait_for_background(label: str | None = None) -> None:
    """Follow the analysis's background runs (only those named ``label`` if given) to their end."""
    runner = state.entry().runner
    while (job := runner.active()) is not None and label in (None, job.label):
        follow(job)


def background_status() -> None:
    """Sidebar: the background run in progress (redrawn every second), or why the last one stopped."""
    runner = state.entry().runner
    if runner.active() is not None:
        _background_progress()
        return
    failed = runner.unseen_failure()
    if failed is not None:
        failed.seen = True  # said once, here or on its page
        reason = (uploads.plain_message(str(failed.error)) if isinstance(failed.error, InputError)
                  else "something went wrong in the engine")
        st.error(f"{md(failed.label)} stopped: {md(reason)}", icon=":material/error:")


@st.fragment(run_every=1.0)
def _background_progress() -> None:
    runner = state.entry().runner
    job = runner.active()
    if job is None:
        last = runner.latest_finished()
        if last is not None and not last.seen:  # finished while nobody followed it: redraw with its result
            st.rerun()
        return
    st.caption(f":material/hourglass_top: {job.label}")
    st.progress(job.fraction, text=_progress_text(job))


def chart(spec, key: str | None = None, share: float = 1.0, cache_key: str | None = None) -> None:
    """Show an engine chart with the report's own styling, stretched over ``share`` of the page width.

    With ``cache_key``, ``spec`` is a function building the chart, called once per key.

    Streamlit's chart theme would restyle the report's charts, so it is off; and its default
    "fit" autosize squeezes the plot to make room for titles and rotated labels, so single charts
    fit only their width ("fit-x", height as the engine set it) and composed ones keep their size.
    """
    if cache_key is not None:  # the comparison chart reads the whole run table
        spec = state.memo("chart", cache_key, spec)
    spec = dict(spec)
    composed = any(k in spec for k in ("concat", "hconcat", "vconcat", "facet"))
    spec["autosize"] = {"type": "pad" if composed else "fit-x", "contains": "padding"}
    target = st.columns([share, 1 - share])[0] if share < 1 else st.container()
    with target:
        st.vega_lite_chart(spec, theme=None, width="stretch", key=key)


def prepared_download(outputs: dict, name: str, key: str, version: str, make: Callable[[], bytes | str], *,
                      prepare: str, download: str, file_name: str, mime: str, help: str, icon: str,
                      doing: str) -> None:
    """A file drawn only when asked (``prepare`` button, ``doing`` while it runs), then offered as ``download``.

    Widget keys are ``report.<key>`` and ``report.dl_<key>``. The file is kept in ``outputs[name]`` with the ``version`` it was made for (the report's HTML), so it is
    offered again until the report changes.
    """
    kept = outputs.get(name)
    if kept is not None and kept[0] == version:
        st.download_button(download, kept[1], file_name, mime, key=f"report.dl_{key}", on_click="ignore",
                           icon=":material/download:", help=help)
    elif st.button(prepare, key=f"report.{key}", icon=icon, help=help):

        def run(progress) -> None:
            progress(doing, 0.2)
            outputs[name] = (version, make())
            progress("Ready", 1.0)

        if run_with_progress(doing, run):
            st.rerun()
