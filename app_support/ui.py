"""Page furniture shared by every step: sidebar status, notices, errors and progress."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

import streamlit as st

from app_support import state
from app_support.uploads import demo_analysis
from engine.analysis import STEP_TITLES, STEPS, Analysis
from engine.errors import InputError

STATUS_ICON = {
    "done": ":material/check_circle:",
    "stale": ":material/sync_problem:",
    "pending": ":material/radio_button_unchecked:",
}
STATUS_WORD = {"done": "done", "stale": "out of date", "pending": "to do"}


def statuses(analysis: Analysis) -> dict[str, str]:
    return {step: analysis.status(step) for step in STEPS}


def steps(pages: dict[str, Any], placeholder, status: dict[str, str]) -> None:
    """The five steps as links, each with its status (drawn into a placeholder so it can be redrawn)."""
    with placeholder.container():
        st.markdown("**Steps**")
        for number, step in enumerate(STEPS, start=1):
            st.page_link(pages[step], label=f"{number}. {STEP_TITLES[step]} — {STATUS_WORD[status[step]]}",
                         icon=STATUS_ICON[status[step]])


def demo_button(pages: dict[str, Any]) -> None:
    """One click: the bundled sample, every step with default choices, then the report."""
    clicked = st.button(
        "Try it with sample data", key="sidebar.demo", type="primary", icon=":material/play_circle:",
        help="Load the bundled sample (three tables of a retail export), run every step with the default "
        "choices, and open the report.", width="stretch",
    )
    st.caption("Runs the whole analysis on the bundled sample in a few seconds.")
    if clicked:
        new = state.replace_analysis(demo_analysis())
        if run_with_progress("Running the sample analysis", new.run_all):
            st.switch_page(pages["report"])


def stale_notice(analysis: Analysis, step: str) -> None:
    if analysis.status(step) == "stale":
        st.warning(
            "An earlier choice changed since this step ran, so its results are out of date; "
            "run it again before using them.",
            icon=":material/sync_problem:",
        )


def require(analysis: Analysis, step: str, pages: dict[str, Any] | None = None) -> None:
    """Stop the page with a pointer when the step it builds on is not done."""
    status = analysis.status(step)
    if status == "done":
        return
    number = STEPS.index(step) + 1
    st.info(
        f"Step {number} ({STEP_TITLES[step]}) is {STATUS_WORD[status]}; finish it first, "
        "or use “Try it with sample data” in the sidebar.",
        icon=":material/info:",
    )
    st.stop()


def attempt(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> bool:
    """Run an engine call; show bad input as st.error and keep the app working."""
    try:
        fn(*args, **kwargs)
        return True
    except InputError as exc:
        st.error(str(exc), icon=":material/error:")
    except Exception as exc:  # a bug: say so plainly, keep the session alive
        st.error(f"Something went wrong inside the engine ({exc.__class__.__name__}); your work so far is kept.")
        with st.expander("Technical details"):
            st.code("".join(traceback.format_exception(exc))[-4000:])
    return False


def ensure(analysis: Analysis, stage: str, run: Callable[[], Any]) -> Any:
    """The stage's up-to-date value, running it first when needed; stops the page when it cannot be had.

    A failed run has already shown its message (see :func:`attempt`); nothing is lost.
    """
    if analysis.stage_status(stage) != "done":
        attempt(run)
    value = analysis.current(stage)
    if value is None:
        st.stop()
    return value


def run_with_progress(label: str, fn: Callable[[Callable[[str, float], None]], Any]) -> bool:
    """Run ``fn(report)`` inside a status box with a progress bar; errors shown as in :func:`attempt`."""
    with st.status(label, expanded=True) as box:
        bar = st.progress(0.0, text="Starting")

        def report(message: str, fraction: float) -> None:
            bar.progress(min(max(float(fraction), 0.0), 1.0), text=message)

        ok = attempt(fn, report)
        box.update(label=f"{label}: {'finished' if ok else 'stopped'}", state="complete" if ok else "error",
                   expanded=not ok)
    return ok


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
