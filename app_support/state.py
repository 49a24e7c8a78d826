"""The session's one Analysis object, the shared engine cache and widget-state keys.

Widgets are keyed ``"w:<name>"`` and initialised from the project the first time
they render (again after a page switch, when Streamlit drops their state), so
the project is the single source of truth and nothing typed is lost between
pages. Replacing the analysis (sample data, an opened project) clears those
keys so old widget values cannot leak into the new project.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import streamlit as st

from engine.analysis import Analysis

ANALYSIS_KEY = "analysis"
WIDGET_PREFIX = "w:"


class EngineCache:
    """A small thread-safe LRU of engine results, shared by every session of the server.

    Held by ``st.cache_resource`` rather than wrapping each engine call in it: a
    cached function that draws progress bars cannot be replayed by Streamlit,
    and the results (DataFrames, fitted labels) are shared read-only anyway.
    """

    def __init__(self, max_entries: int = 64):
        self.max_entries = max_entries
        self._items: OrderedDict[tuple[str, str], Any] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_compute(self, stage: str, key: str, compute: Callable[[], Any]) -> Any:
        with self._lock:
            if (stage, key) in self._items:
                self._items.move_to_end((stage, key))
                return self._items[(stage, key)]
        value = compute()  # outside the lock: a long comparison must not block other sessions
        with self._lock:
            self._items[(stage, key)] = value
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)
        return value


@st.cache_resource(show_spinner=False)
def engine_cache() -> EngineCache:
    return EngineCache()


def memo(stage: str, key: str, compute: Callable[[], Any]) -> Any:
    """Engine results cached across reruns and sessions, keyed by stage and fingerprint."""
    return engine_cache().get_or_compute(stage, key, compute)


def get_analysis() -> Analysis:
    analysis = st.session_state.get(ANALYSIS_KEY)
    if analysis is None:
        analysis = Analysis()
        st.session_state[ANALYSIS_KEY] = analysis
    analysis.memo = memo
    return analysis


def replace_analysis(new: Analysis) -> Analysis:
    """Make ``new`` the session's analysis and forget widget values that belonged to the old one."""
    for key in list(st.session_state.keys()):
        if isinstance(key, str) and key.startswith(WIDGET_PREFIX):
            del st.session_state[key]
    new.memo = memo
    st.session_state[ANALYSIS_KEY] = new
    return new


def widget(name: str, value: Any) -> str:
    """Key of a widget, initialised from the project's ``value`` when it has no state yet."""
    key = WIDGET_PREFIX + name
    if key not in st.session_state:
        st.session_state[key] = value
    return key


def forget(prefix: str) -> None:
    """Drop widget values under ``prefix`` so they are read again from the project."""
    for key in list(st.session_state.keys()):
        if isinstance(key, str) and key.startswith(WIDGET_PREFIX + prefix):
            del st.session_state[key]
