"""Background runs of one analysis: a queue worked by a thread that outlives the page that started it.

Streamlit stops a script run when the analyst moves to another page; a long
comparison computed inside that run was lost with it. A :class:`Runner` belongs
to the analysis (see :mod:`app_support.sessions`), not to a script run: pages
start jobs on it and only *follow* their progress, so leaving the page stops
the following, never the job. Jobs of one runner run one after the other
(they change the same analysis), and starting a job whose label is already
queued or running returns that job instead of starting it twice.

No Streamlit here, so the tests drive it directly.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Progress = Callable[[str, float], None]
log = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"


@dataclass(eq=False)
class Job:
    """One background run: its label, progress, outcome and whether a page has shown the outcome."""

    label: str
    fn: Callable[[Progress], Any] = field(repr=False)
    state: str = QUEUED
    message: str = "Waiting for the run before it to finish"
    fraction: float = 0.0
    error: BaseException | None = None
    started_at: float | None = None
    finished_at: float | None = None
    seen: bool = False  # a page showed the outcome (a failure is shown once)
    _finished: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def active(self) -> bool:
        return self.state in (QUEUED, RUNNING)

    @property
    def ok(self) -> bool:
        return self.state == DONE

    def report(self, message: str, fraction: float) -> None:
        """The progress callback handed to the job's function."""
        self.message = str(message)
        with contextlib.suppress(TypeError, ValueError):
            self.fraction = min(max(float(fraction), 0.0), 1.0)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job has finished (True) or ``timeout`` seconds passed (False)."""
        return self._finished.wait(timeout)


class Runner:
    """Runs started jobs one at a time, in order, on a daemon thread that exists while there is work."""

    def __init__(self, on_finish: Callable[[Job], None] | None = None, keep: int = 8):
        self.on_finish = on_finish
        self.keep = keep  # finished jobs remembered (the latest of each label is always kept)
        self._jobs: list[Job] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False

    def start(self, label: str, fn: Callable[[Progress], Any]) -> Job:
        """Queue ``fn(progress)`` under ``label``; the already queued or running job of that label if any."""
        with self._lock:
            for job in self._jobs:
                if job.label == label and job.active:
                    return job
            job = Job(label, fn)
            if self._closed:
                job.state, job.message = CANCELLED, "The analysis was closed"
                job._finished.set()
                return job
            self._jobs.append(job)
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name=f"analysis-run-{label}", daemon=True)
                self._thread.start()
            return job

    def find(self, label: str) -> Job | None:
        """The most recent job with ``label`` (queued, running or finished)."""
        with self._lock:
            for job in reversed(self._jobs):
                if job.label == label:
                    return job
        return None

    def active(self) -> Job | None:
        """The running job, else the first queued one, else None."""
        with self._lock:
            running = [j for j in self._jobs if j.state == RUNNING]
            queued = [j for j in self._jobs if j.state == QUEUED]
        return (running or queued or [None])[0]

    def latest_finished(self) -> Job | None:
        """The job that finished last (done, failed or cancelled)."""
        with self._lock:
            finished = [j for j in self._jobs if not j.active]
        return max(finished, key=lambda j: j.finished_at or 0.0, default=None)

    def unseen_failure(self) -> Job | None:
        """The latest failed job whose message no page has shown yet."""
        with self._lock:
            for job in reversed(self._jobs):
                if job.state == FAILED and not job.seen:
                    return job
        return None

    @property
    def busy(self) -> bool:
        return self.active() is not None

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no job is queued or running (True), or ``timeout`` seconds passed (False)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while (job := self.active()) is not None:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return False
            job.wait(left)
        return True

    def close(self) -> None:
        """Cancel queued jobs and refuse new ones; a running job cannot be interrupted and finishes."""
        with self._lock:
            self._closed = True
            for job in self._jobs:
                if job.state == QUEUED:
                    job.state, job.message = CANCELLED, "The analysis was closed"
                    job._finished.set()

    # ---- the worker thread ----------------------------------------------
    def _next(self) -> Job | None:
        with self._lock:
            for job in self._jobs:
                if job.state == QUEUED:
                    job.state, job.message, job.started_at = RUNNING, "Starting", time.time()
                    return job
            self._thread = None  # decided under the lock: a later start() makes a new thread
            return None

    def _work(self) -> None:
        while (job := self._next()) is not None:
            log.info("Started background run: %s", job.label)
            try:
                job.fn(job.report)
            except BaseException as exc:  # kept for the page to show; the thread lives on
                job.error, job.state = exc, FAILED
                log.info("Background run stopped: %s (%s)", job.label, exc.__class__.__name__)
            else:
                job.state, job.fraction = DONE, 1.0
                log.info("Finished background run: %s", job.label)
            job.finished_at = time.time()
            self._prune()
            if self.on_finish is not None:
                try:
                    self.on_finish(job)
                except Exception:  # saving must not kill the worker
                    log.exception("After the background run %s", job.label)
            job._finished.set()

    def _prune(self) -> None:
        with self._lock:
            finished = [j for j in self._jobs if not j.active]
            latest = {j.label: j for j in finished}
            drop = [j for j in finished[:-self.keep] if latest[j.label] is not j] if self.keep else []
            self._jobs = [j for j in self._jobs if j not in drop]
