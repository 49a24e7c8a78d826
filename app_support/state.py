"""The session's Analysis (kept under a token in the URL), the shared engine cache and widget-state keys.

The analysis lives in :mod:`app_support.sessions` under a random token carried
in the page URL (``?analysis=<token>``), so a refresh or the same link in a new
tab finds it again, computed stages and background runs included.

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
from streamlit.logger import get_logger

from app_support import jobs
from app_support.sessions import Entry, Registry
from app_support.store import Store
from engine.analysis.runner import Analysis

ANALYSIS_KEY = "analysis"
ENTRY_KEY = "store.entry"
NOTICE_KEY = "store.notice"
TOKEN_PARAM = "analysis"
WIDGET_PREFIX = "w:"
EXPIRED_NOTICE = "The analysis in this link has expired or does not exist, so a new one was started."
CLOSED_NOTICE = "This analysis was closed with “Start over” in another tab, so a new one was started."


class EngineCache:
    """A small thread-safe LRU of engine results, shared by every session of the server.

    Held by ``st.cache_resource`` rather than wrapping each engine call in it: a
    cached function that draws progress bars cannot be replayed by Streamlit,
    and the results (DataFrames, fitted labels) are shared read-only anyway.
    """

    def __init__(self, max_entries: int = 64):
        self.max_entries = max_entries
        self._items: OrderedDict[tuple[str, str], Any] = OrderedDict()
        self._computing: dict[tuple[str, str], threading.Event] = {}
        self._lock = threading.Lock()

    def get_or_compute(self, stage: str, key: str, compute: Callable[[], Any]) -> Any:
        """The cached value, else ``compute()``; a value another thread is computing now is waited for, not
        computed twice (the server's warm-up runs the sample analysis a first demo click asks for)."""
        while True:
            with self._lock:
                if (stage, key) in self._items:
                    self._items.move_to_end((stage, key))
                    return self._items[(stage, key)]
                busy = self._computing.get((stage, key))
                if busy is None:
                    self._computing[(stage, key)] = done = threading.Event()
                    break
            busy.wait()  # then take its value (or compute it here, if that run failed)
        try:
            value = compute()  # outside the lock: a long comparison must not block other sessions
            with self._lock:
                self._items[(stage, key)] = value
                while len(self._items) > self.max_entries:
                    self._items.popitem(last=False)
        finally:
            with self._lock:
                del self._computing[(stage, key)]
            done.set()
        return value


@st.cache_resource(show_spinner=False)
def engine_cache() -> EngineCache:
    return EngineCache()


def memo(stage: str, key: str, compute: Callable[[], Any]) -> Any:
    """Engine results cached across reruns and sessions, keyed by stage and fingerprint."""
    return engine_cache().get_or_compute(stage, key, compute)


@st.cache_resource(show_spinner=False)
def registry() -> Registry:
    """Every analysis of the server process under its token, backed by the disk store."""
    get_logger(jobs.__name__)  # background runs are logged with Streamlit's own messages
    return Registry(Store.from_env(), memo=engine_cache().get_or_compute)


def entry() -> Entry:
    """The session's analysis entry, found by the token in the URL when the session is new.

    A new session (first visit, refresh, another tab) reads ``?analysis=<token>``:
    a known token brings its analysis back; a forged, unknown or expired one
    starts a clean analysis and leaves a one-line notice (:func:`pop_notice`).
    The token is written back into the URL on every run, since a page switch
    clears the query parameters.
    """
    reg = registry()
    current: Entry | None = st.session_state.get(ENTRY_KEY)
    if current is not None and not reg.adopt(current):  # Start over in another tab with this link, or expired
        st.session_state[NOTICE_KEY] = EXPIRED_NOTICE if current.expired else CLOSED_NOTICE
        current = reg.new()
        st.session_state[ENTRY_KEY] = current
    if current is None:
        token = st.query_params.get(TOKEN_PARAM)
        current = reg.open(token) if token else None
        if token and current is None:
            st.session_state[NOTICE_KEY] = EXPIRED_NOTICE
        if current is None:
            current = reg.new()
        st.session_state[ENTRY_KEY] = current
    if st.query_params.get(TOKEN_PARAM) != current.token:
        st.query_params[TOKEN_PARAM] = current.token
    return current


def get_analysis() -> Analysis:
    """The session's analysis (shared with every tab holding the same link)."""
    analysis = entry().analysis
    if st.session_state.get(ANALYSIS_KEY) is not analysis:  # replaced, possibly in another tab
        if st.session_state.get(ANALYSIS_KEY) is not None:
            _forget_widgets()
        st.session_state[ANALYSIS_KEY] = analysis
    analysis.memo = engine_cache().get_or_compute
    return analysis


def replace_analysis(new: Analysis) -> Analysis:
    """Make ``new`` the session's analysis and forget widget values that belonged to the old one."""
    _forget_widgets()
    registry().replace(entry(), new)
    st.session_state[ANALYSIS_KEY] = new
    return new


def save() -> None:
    """Write the analysis to disk if it changed (after every script run, also one a page stopped);
    upload folders it no longer reads are removed."""
    current = st.session_state.get(ENTRY_KEY)
    if current is not None:
        registry().save(current)
        registry().tidy(current)


def start_over() -> None:
    """Forget the analysis (memory and disk) and every session value; a clean analysis under a new token."""
    reg = registry()
    current = st.session_state.get(ENTRY_KEY)
    if current is not None:
        reg.discard(current)
    for key in list(st.session_state.keys()):
        if key != "pages":
            del st.session_state[key]
    st.session_state[ENTRY_KEY] = fresh = reg.new()
    st.session_state[ANALYSIS_KEY] = fresh.analysis
    st.query_params[TOKEN_PARAM] = fresh.token


def pop_notice() -> str | None:
    """The one-line notice about the link (shown once), if any."""
    return st.session_state.pop(NOTICE_KEY, None)


def _forget_widgets() -> None:
    for key in list(st.session_state.keys()):
        if isinstance(key, str) and key.startswith(WIDGET_PREFIX):
            del st.session_state[key]


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
