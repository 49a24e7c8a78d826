"""Analyses that outlive a browser session: token -> live analysis in memory, backed by the disk store.

A refresh (F5) or the same link in another tab is a new Streamlit session; it
finds its analysis here by the token in the page URL. The :class:`Registry`
keeps the live :class:`Entry` (the :class:`~engine.analysis.runner.Analysis` with
every computed stage, and the :class:`~app_support.jobs.Runner` of its
background runs) for the server process, and writes the project file, the
uploaded files and the list of finished stages to :class:`~app_support.store.Store`
after every change. When the live entry is gone (evicted, or the server
restarted) the analysis is rebuilt from disk: the project file is read with
:meth:`Analysis.from_project_json` (JSON only, never unpickled) and the stages
that were done are computed again in the background.

No Streamlit here; :mod:`app_support.state` is the glue.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from app_support.jobs import Progress, Runner
from app_support.store import Store, new_token, valid_token
from app_support.uploads import remove_folder, upload_folders
from engine.analysis.runner import Analysis
from engine.analysis.stages import Memo
from engine.errors import InputError
from engine.project_paths import REPO_ROOT

RESTORE_LABEL = "Restoring your analysis"
SAVED_STAGES = ("data", "features", "comparison", "choice", "stability", "labels", "pdf")
TOUCH_EVERY = 600.0  # seconds between "still in use" marks on disk for a live analysis
log = logging.getLogger(__name__)


@dataclass(eq=False)
class Entry:
    """One analysis under its token: the live object, its background runner and what was last saved."""

    token: str
    analysis: Analysis
    runner: Runner = field(repr=False)
    used: float = 0.0
    saved: tuple | None = field(default=None, repr=False)  # what the disk holds, to skip unchanged saves
    touched: float = 0.0
    closed: bool = False  # Start over in some tab (or expired): the token no longer works
    expired: bool = False  # closed because nobody used it for the store's time to live
    uploads: set = field(default_factory=set, repr=False)  # upload folders the analysis read (removed when not)
    # files a background run made for the pages (e.g. the charts ZIP), keyed by name: (html they belong to, bytes)
    outputs: dict = field(default_factory=dict, repr=False)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


def done_stages(analysis: Analysis) -> list[str]:
    return [stage for stage in SAVED_STAGES if analysis.stage_status(stage) == "done"]


def kept_files(analysis: Analysis) -> list[str]:
    """The files the analysis reads that must be kept with it: uploads, the logo and the migration's model file,
    not the bundled data."""
    bundled = (REPO_ROOT / "data").resolve()
    project = analysis.project
    paths = list(project.data.paths) + ([project.report.logo] if project.report.logo else []) + (
        [project.migration.model] if project.migration is not None else [])
    return [p for p in paths if Path(p).is_file() and not Path(p).resolve().is_relative_to(bundled)]


def rebuild(analysis: Analysis, done: list[str], progress: Progress) -> None:
    """Compute again the stages that were done when the analysis was saved (same project, same seed)."""
    share = 0.9 if "pdf" in done else 1.0
    if "comparison" in done:
        analysis.run_all(lambda message, fraction: progress(message, share * fraction))
    else:
        if "data" in done:
            progress("Loading data", 0.1)
            analysis.run_data()
        if "features" in done:
            progress("Building features", 0.6)
            analysis.run_features()
    if "pdf" in done:
        progress("Building the PDF", 0.9)
        analysis.render_pdf()
    progress("Done", 1.0)


class Registry:
    """Token -> live entry, for the whole server process; thread-safe.

    At most ``max_live`` entries stay in memory (least recently used leave
    first, never one with a run in progress); they come back from disk.
    """

    def __init__(self, store: Store, memo: Memo | None = None, max_live: int = 20,
                 clock: Callable[[], float] = time.time):
        self.store = store
        self.memo = memo
        self.max_live = max_live
        self.clock = clock
        self._live: dict[str, Entry] = {}
        self._lock = threading.RLock()

    def new(self, analysis: Analysis | None = None) -> Entry:
        """A fresh analysis under a new token."""
        entry = self._entry(new_token(), analysis or Analysis())
        self._keep(entry)
        return entry

    def open(self, token: object) -> Entry | None:
        """The analysis saved under ``token``, live or rebuilt from disk; None when forged, unknown or expired."""
        if not valid_token(token):
            return None
        with self._lock:
            entry = self._live.get(token)  # type: ignore[arg-type]
            if entry is not None and self.clock() - entry.used > self.store.ttl_seconds and not entry.runner.busy:
                entry.expired = True
                self.discard(entry)  # expired while nobody used it
                return None
            if entry is not None:
                self._keep(entry)
                return entry
            saved = self.store.load(token)
            if saved is None:
                return None
            try:
                analysis = Analysis.from_project_json(saved.project_json, saved.files_dir)
            except InputError:  # the saved files no longer match the project: nothing to restore
                self.store.delete(token)  # type: ignore[arg-type]
                return None
            entry = self._entry(token, analysis)  # type: ignore[arg-type]
            done = [s for s in saved.meta.get("done", []) if s in SAVED_STAGES]
            entry.saved = None  # paths now point into the store: save once more
            entry.touched = self.clock()
            self._keep(entry)
        if done:
            entry.runner.start(RESTORE_LABEL, lambda progress: rebuild(analysis, done, progress))
        return entry

    def adopt(self, entry: Entry) -> bool:
        """Mark ``entry`` in use by a session (back in memory if it had been evicted); False if it was closed."""
        if entry.closed:
            return False
        self._keep(entry)
        if entry.saved is not None and self.clock() - entry.touched > TOUCH_EVERY:
            entry.touched = self.clock()
            try:
                self.store.touch(entry.token)
            except OSError:
                log.warning("Could not mark the saved analysis as in use", exc_info=True)
        return True

    def replace(self, entry: Entry, analysis: Analysis) -> None:
        """Put a new analysis under the same token; the old one's queued runs are cancelled."""
        entry.runner.close()
        entry.runner = self._runner(entry)
        if self.memo is not None:
            analysis.memo = self.memo
        entry.analysis = analysis

    def discard(self, entry: Entry) -> None:
        """Forget the entry in memory and on disk (Start over); its token stops working."""
        entry.closed = True
        entry.runner.close()
        with self._lock:
            if self._live.get(entry.token) is entry:
                del self._live[entry.token]
        self.store.delete(entry.token)
        self.tidy(entry)

    def tidy(self, entry: Entry) -> None:
        """Remove the upload folders the entry's analysis no longer reads (all of them once it is closed).

        Called after each script run (:func:`app_support.state.save`), never from a background
        run: a page loading new files is over by then, so a folder it just made is already read.
        """
        project = entry.analysis.project
        model = project.migration.model if project.migration is not None else None
        reading = set() if entry.closed else upload_folders([*project.data.paths, project.report.logo, model])
        with self._lock:
            gone = entry.uploads - reading
            entry.uploads = reading
        for folder in gone:
            remove_folder(folder)

    def forget_live(self, token: str) -> None:
        """Drop the in-memory entry only (what eviction or a server restart does); the disk copy stays."""
        with self._lock:
            self._live.pop(token, None)

    def live(self, token: str) -> Entry | None:
        with self._lock:
            return self._live.get(token)

    def save(self, entry: Entry) -> bool:
        """Write the entry's project, files and finished stages to disk if they changed; False if not kept."""
        analysis = entry.analysis
        if entry.closed or not analysis.project.data.paths:
            return False  # nothing loaded yet: nothing worth keeping
        restoring = entry.runner.find(RESTORE_LABEL)
        if restoring is not None and restoring.active:
            return False  # half rebuilt: the disk copy still lists every stage to rebuild
        with entry.lock:
            try:
                text = analysis.project.to_json()
                files = kept_files(analysis)
                done = done_stages(analysis)
            except Exception:  # the page changed the project while we read it: the next save catches up
                log.warning("Could not read the analysis to save it", exc_info=True)
                return False
            signature = (text, tuple(files), tuple(done))
            if signature == entry.saved:
                return True
            try:
                kept = self.store.save(entry.token, text, files, {"done": done})
            except OSError:
                log.warning("Could not save the analysis to disk", exc_info=True)
                return False
            entry.saved = signature if kept else None
            entry.touched = self.clock()
            return kept

    # ---- internals -------------------------------------------------------
    def _runner(self, entry: Entry) -> Runner:
        def saved_after_run(_job) -> None:
            if entry.runner is runner:
                self.save(entry)

        runner = Runner(on_finish=saved_after_run)
        return runner

    def _entry(self, token: str, analysis: Analysis) -> Entry:
        if self.memo is not None:
            analysis.memo = self.memo
        entry = Entry(token, analysis, runner=Runner())
        entry.runner = self._runner(entry)
        return entry

    def _keep(self, entry: Entry) -> None:
        """(Re)insert ``entry`` as the most recently used; evict expired and surplus idle entries."""
        now = self.clock()
        with self._lock:
            entry.used = now
            self._live.pop(entry.token, None)
            self._live[entry.token] = entry
            for token, other in list(self._live.items()):
                if other is not entry and now - other.used > self.store.ttl_seconds and not other.runner.busy:
                    del self._live[token]
                    other.expired = other.closed = True  # as open() finds it: its token, uploads and all
                    other.runner.close()
                    self.tidy(other)
            idle = [t for t, e in self._live.items() if e is not entry and not e.runner.busy]
            while len(self._live) > self.max_live and idle:
                del self._live[idle.pop(0)]
