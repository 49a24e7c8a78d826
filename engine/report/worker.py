"""A rendering process that warms up while the engine clusters.

A cold ``python -m engine build`` spends about 1.7 s before it can draw
anything: importing WeasyPrint (~0.8 s, mostly cffi reading Pango's
declarations and the user-agent stylesheets) and starting vl-convert's
JavaScript runtime (~0.9 s). Both hold the interpreter lock, so a warm-up thread
does not help (measured: the clustering slowed by as much as the warm-up
saved). A separate process does: started before the analysis, it pays the
start-up on the second core (the clustering slowed by ~0.3 s), then draws the
charts and lays out the PDF when asked.

Protocol: pickled ``(operation, payload)`` requests on the worker's stdin and
pickled ``(ok, value)`` answers on its stdout; anything else the worker prints
goes to stderr. If the worker cannot start, fails on a request or dies, that
call is made in this process instead, so a report never depends on the worker
(and a genuine error is raised here, with its real message).

Typical use::

    with RenderWorker() as worker:
        result = pipeline.run(project)
        context = build_context(result, project.report, chart_renderer=worker.chart_image)
        html, pdf = worker.report(context)
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

from engine.report.assets import ChartImage, chart_image, clear_chart_cache

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
    """

    def __init__(self, enabled: bool = True) -> None:
        self._proc: subprocess.Popen | None = None
        if enabled:
            env = dict(os.environ)
            env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
            try:
                self._proc = subprocess.Popen(
                    [sys.executable, "-m", "engine.report.worker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                    env=env, cwd=ROOT,
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
            from engine.report.render import render_pdf, render_template

            html = render_template(context)
            return html, render_pdf(html)
        return answer

    def clear_chart_cache(self) -> None:
        """Forget the charts drawn so far, here and in the worker (benchmarks time real drawing)."""
        clear_chart_cache()
        self._call("clear", None)

    def close(self) -> None:
        """Let the worker finish (it exits when its input closes); stop it if it does not."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            proc.stdin.close()
            proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()
        finally:
            proc.stdout.close()

    def __enter__(self) -> RenderWorker:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _call(self, operation: str, payload):
        if not self.alive:
            return _FAILED
        try:
            pickle.dump((operation, payload), self._proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self._proc.stdin.flush()
            ok, value = pickle.load(self._proc.stdout)
        except (OSError, EOFError, pickle.UnpicklingError):
            self.close()  # died or garbled: from now on, render here
            return _FAILED
        return value if ok else _FAILED


def _serve(requests, answers) -> None:
    """Answer requests until the input closes."""
    from engine.report.render import render_pdf, render_template

    while True:
        try:
            operation, payload = pickle.load(requests)
        except EOFError:
            return
        try:
            if operation == "chart":
                value = chart_image(*payload)
            elif operation == "pdf":
                value = render_pdf(payload)
            elif operation == "clear":
                value = clear_chart_cache()
            elif operation == "report":
                html = render_template(payload)
                value = (html, render_pdf(html))
            else:
                raise ValueError(f"unknown operation {operation!r}")
            answer = (True, value)
        except Exception as exc:  # noqa: BLE001  (the caller redoes the work in its process and raises there)
            answer = (False, f"{type(exc).__name__}: {exc}")
        pickle.dump(answer, answers, protocol=pickle.HIGHEST_PROTOCOL)
        answers.flush()


def _warm_up() -> None:
    """Start vl-convert's runtime, compile the templates, load WeasyPrint and the fonts (in the order needed)."""
    import numpy  # noqa: F401  (report contexts carry numpy numbers)

    from engine import vegalite
    from engine.report.render import compile_templates, render_pdf

    vegalite.to_svg(_WARM_UP_SPEC)
    compile_templates()
    render_pdf(_WARM_UP_HTML)


def main() -> None:
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # stray prints must not corrupt the answers
    _warm_up()
    _serve(sys.stdin.buffer, answers)


if __name__ == "__main__":
    main()
