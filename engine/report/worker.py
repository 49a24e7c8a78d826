"""A rendering process that warms up while the engine clusters.

A cold ``python -m engine build`` spends about 1.7 s before it can draw
anything: importing WeasyPrint (~0.8 s, mostly cffi reading Pango's
declarations and the user-agent stylesheets) and starting vl-convert's
JavaScript runtime (~0.9 s). Both hold the interpreter lock, so a warm-up thread
does not help (measured: the clustering slowed by as much as the warm-up
saved). A separate process does: started before the analysis, it pays the
start-up on the second core (the clustering slowed by ~0.3 s), then draws the
charts and lays out the PDF when asked.

:class:`RenderPool` runs two of them on a two-core machine: charts are sent
as the report's sections ask for them, drawn in both processes at once while
this one goes on building the sections, and collected before the first
worker lays out the PDF.

Workers run in their own process group and ignore SIGINT: Ctrl-C in a terminal
interrupts the build alone, which stops its workers (no traceback from them).

Protocol: pickled ``(operation, payload)`` requests on the worker's stdin and
pickled ``(ok, value)`` answers on its stdout, in request order; a reader
thread takes requests in as they come, so sending one never waits for the
worker to finish the one before. Anything else the worker prints goes to
stderr. If the worker cannot start, fails on a request or dies, that
call is made in this process instead, so a report never depends on the worker
(and a genuine error is raised here, with its real message).

Typical use::

    with RenderPool() as pool:
        result = run_project(project)
        context = build_context(result, project.report, chart_renderer=pool.chart_image)
        html, pdf = pool.report(context)
"""

from __future__ import annotations

import os
import pickle
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from engine.report.assets import ChartImage, chart_image, clear_chart_cache, drawn_as_raster

ROOT = Path(__file__).resolve().parents[2]  # the folder holding the engine package
_FAILED = object()
_WARM_UP_HTML = '<html><body><p style="font-family: \'Liberation Sans\', sans-serif">Warm-up</p></body></html>'
_WARM_UP_SPEC = {"data": {"values": [{"a": 1}]}, "mark": "point", "encoding": {"x": {"field": "a", "type": "quantitative"}}}


class RenderWorker:
    """A rendering process; ``chart_image`` and ``pdf`` behave exactly like their in-process versions.

    Parameters
    ----------
    enabled : bool
        False renders everything in this process (no worker is started).
    charts_only : bool
        Warm up vl-convert only (a pool's second worker draws charts, never the PDF).
    """

    def __init__(self, enabled: bool = True, charts_only: bool = False) -> None:
        self._proc: subprocess.Popen | None = None
        self.pending = 0  # requests sent whose answers are not read yet
        self.timings: dict[str, float] = {}  # seconds spent on the last report's HTML and PDF
        if enabled:
            env = dict(os.environ)
            env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
            try:
                self._proc = subprocess.Popen(
                    [sys.executable, "-m", "engine.report.worker", *(["--charts-only"] if charts_only else [])],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                    env=env, cwd=ROOT,
                    process_group=0,  # Ctrl-C in a terminal reaches the build, which stops its workers itself
                )
            except OSError:
                self._proc = None

    @property
    def alive(self) -> bool:
        """True while a worker process is running and answering."""
        return self._proc is not None and self._proc.poll() is None

    def chart_image(self, spec: dict, key: str) -> ChartImage:
        """:func:`engine.report.assets.chart_image`, drawn in the worker."""
        image = self._call("chart", (spec, key))
        return chart_image(spec, key) if image is _FAILED else image

    def pdf(self, html: str) -> bytes:
        """:func:`engine.report.render.render_pdf` with its default safe fetcher, laid out in the worker."""
        pdf = self._call("pdf", html)
        if pdf is _FAILED:
            from engine.report.render import render_pdf

            return render_pdf(html)
        return pdf

    def report(self, context: dict) -> tuple[str, bytes]:
        """The report's HTML (from a :func:`engine.report.render.build_context` context) and its PDF.

        The worker compiled the templates while warming up, so a cold build does not pay for it here.
        """
        answer = self._call("report", context)
        if answer is _FAILED:
            answer = _report(context)
        html, pdf, self.timings = answer
        return html, pdf

    def clear_chart_cache(self) -> None:
        """Forget the charts drawn so far, here and in the worker (benchmarks time real drawing)."""
        clear_chart_cache()
        self._call("clear", None)

    def close(self, kill: bool = False) -> None:
        """Let the worker finish (it exits when its input closes); stop it if it does not, or at once with ``kill``."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            if kill:
                proc.kill()
            proc.stdin.close()
            proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()
        finally:
            proc.stdout.close()

    def __enter__(self) -> RenderWorker:
        return self

    def __exit__(self, exc_type, *exc) -> None:
        self.close(kill=exc_type is not None)  # a failed build (bad input) must not wait for a warm-up

    def submit(self, operation: str, payload) -> bool:
        """Send a request without waiting for its answer; False when there is no worker to send it to."""
        if not self.alive:
            return False
        try:
            pickle.dump((operation, payload), self._proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self._proc.stdin.flush()
        except OSError:
            self.close()
            return False
        self.pending += 1
        return True

    def receive(self):
        """The answer to the oldest unanswered request, or _FAILED (the caller then works in this process)."""
        if self._proc is None:
            return _FAILED
        self.pending -= 1
        try:
            ok, value = pickle.load(self._proc.stdout)
        except (OSError, EOFError, pickle.UnpicklingError):
            self.close()  # died or garbled: from now on, render here
            return _FAILED
        return value if ok else _FAILED

    def _call(self, operation: str, payload):
        while self.pending and self._proc is not None:  # answers come in order: older ones first
            self.receive()
        return self.receive() if self.submit(operation, payload) else _FAILED


class ChartRef:
    """A chart being drawn in a worker; reads like the :class:`ChartImage` it becomes (waiting if needed)."""

    def __init__(self, pool: RenderPool, worker: RenderWorker, spec: dict, key: str) -> None:
        self._pool, self._worker, self.spec, self.key = pool, worker, spec, key
        self.image: ChartImage | None = None

    def get(self) -> ChartImage:
        if self.image is None:
            self._pool._collect(self._worker, until=self)
        return self.image

    def __getattr__(self, name: str):  # src, width, height, raster
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.get(), name)


class RenderPool:
    """Rendering workers: charts drawn in all of them at once, the PDF laid out by the first.

    Parameters
    ----------
    size : int, optional
        Number of workers; default 2, or 1 on a one-core machine (there a second
        process would only compete with the first).
    enabled : bool
        False renders everything in this process.
    """

    def __init__(self, size: int | None = None, enabled: bool = True) -> None:
        size = size if size is not None else max(1, min(2, os.cpu_count() or 1))
        self.workers = [RenderWorker(enabled, charts_only=i > 0) for i in range(size)]
        self._queued: dict[RenderWorker, list[ChartRef]] = {w: [] for w in self.workers}
        self.timings: dict[str, float] = {}
        self._load = dict.fromkeys(self.workers, 0)

    @property
    def alive(self) -> bool:
        """True while every worker runs and answers."""
        return all(w.alive for w in self.workers)

    def chart_image(self, spec: dict, key: str) -> ChartImage | ChartRef:
        """Send the chart to the least busy worker and return at once; in this process if none runs."""
        live = [w for w in self.workers if w.alive]
        if not live:
            return chart_image(spec, key)
        worker = min(live, key=lambda w: self._load[w])
        self._load[worker] += 2 if drawn_as_raster(spec) else 1  # raster charts take about twice as long
        ref = ChartRef(self, worker, spec, key)
        if not worker.submit("chart", (spec, key)):
            return chart_image(spec, key)
        self._queued[worker].append(ref)
        return ref

    def report(self, context: dict) -> tuple[str, bytes]:
        """Wait for the charts, then the HTML and PDF from the first worker (see RenderWorker.report).

        ``timings`` then holds the seconds spent waiting for charts, on the HTML and on the PDF.
        """
        t0 = time.perf_counter()
        context = _resolved(context)
        waited = round(time.perf_counter() - t0, 3)
        html, pdf = self.workers[0].report(context)
        self.timings = {"charts_wait": waited, **self.workers[0].timings}
        return html, pdf

    def clear_chart_cache(self) -> None:
        for worker in self.workers:
            worker.clear_chart_cache()

    def close(self, kill: bool = False) -> None:
        for worker in self.workers:
            worker.close(kill)

    def __enter__(self) -> RenderPool:
        return self

    def __exit__(self, exc_type, *exc) -> None:
        self.close(kill=exc_type is not None)

    def _collect(self, worker: RenderWorker, until: ChartRef) -> None:
        """Read the worker's answers in order up to ``until``; what it cannot answer is drawn here."""
        queued = self._queued[worker]
        while queued:
            ref = queued.pop(0)
            image = worker.receive()
            ref.image = chart_image(ref.spec, ref.key) if image is _FAILED else image
            if ref is until:
                return


def _resolved(value):
    """The context with every ChartRef replaced by its image (it travels to the worker pickled)."""
    if isinstance(value, ChartRef):
        return value.get()
    if isinstance(value, dict):
        return {k: _resolved(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolved(v) for v in value]
    if type(value) is tuple:
        return tuple(_resolved(v) for v in value)
    return value

def _serve(requests, answers) -> None:
    """Answer requests until the input closes."""
    from engine.report.render import render_pdf

    inbox: queue.Queue = queue.Queue()

    def read() -> None:  # take requests in as they come, so a sender never waits on a busy worker
        while True:
            try:
                inbox.put(pickle.load(requests))
            except (EOFError, OSError, pickle.UnpicklingError):
                inbox.put(None)
                return

    threading.Thread(target=read, daemon=True).start()
    while (request := inbox.get()) is not None:
        operation, payload = request
        try:
            if operation == "chart":
                value = chart_image(*payload)
            elif operation == "pdf":
                value = render_pdf(payload)
            elif operation == "clear":
                value = clear_chart_cache()
            elif operation == "report":
                value = _report(payload)
            else:
                raise ValueError(f"unknown operation {operation!r}")
            answer = (True, value)
        except Exception as exc:  # noqa: BLE001  (the caller redoes the work in its process and raises there)
            answer = (False, f"{type(exc).__name__}: {exc}")
        pickle.dump(answer, answers, protocol=pickle.HIGHEST_PROTOCOL)
        answers.flush()


def _report(context: dict) -> tuple[str, bytes, dict[str, float]]:
    from engine.report.render import render_pdf, render_template

    t0 = time.perf_counter()
    html = render_template(context)
    t1 = time.perf_counter()
    pdf = render_pdf(html)
    return html, pdf, {"html": round(t1 - t0, 3), "pdf": round(time.perf_counter() - t1, 3)}


def _warm_up(charts_only: bool) -> None:
    """Start vl-convert's runtime, compile the templates, load WeasyPrint and the fonts (in the order needed)."""
    from engine.views import vegalite

    vegalite.to_svg(_WARM_UP_SPEC)
    if charts_only:
        return
    import numpy  # noqa: F401  (report contexts carry numpy numbers)

    from engine.report.render import compile_templates, render_pdf

    compile_templates()
    render_pdf(_WARM_UP_HTML)


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # interrupting is the build's business: it closes or kills us
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # stray prints must not corrupt the answers
    _warm_up(charts_only="--charts-only" in sys.argv[1:])
    _serve(sys.stdin.buffer, answers)


if __name__ == "__main__":
    main()
