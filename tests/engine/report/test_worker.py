"""The rendering worker gives what in-process rendering gives, and never loses a report when it fails."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest
from pypdf import PdfReader

from engine.report.assets import chart_image
from engine.report.render import render_pdf
from engine.report.worker import ChartRef, RenderPool, RenderWorker

SPEC = {
    "datasets": {"bars": [{"segment": "Loyal <b>VIP</b>", "n": 3}, {"segment": "Lapsed", "n": 5}]},
    "data": {"name": "bars"}, "mark": "bar", "width": 200, "height": 100,
    "encoding": {"x": {"field": "segment", "type": "nominal"}, "y": {"field": "n", "type": "quantitative"}},
}
HTML = """<html><head><style>@page { @bottom-right { content: "Page " counter(page) " of " counter(pages) } }</style></head>
<body><h1>Segment report</h1><p>Champions &amp; loyal customers</p><p style="break-before: page">Second page</p></body></html>"""


def _text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


@pytest.fixture(scope="module")
def worker():
    with RenderWorker() as w:
        yield w


def test_worker_draws_the_same_chart_and_pdf_as_this_process(worker):
    assert worker.alive
    assert worker.chart_image(SPEC, "bars") == chart_image(SPEC, "bars")
    pdf = worker.pdf(HTML)
    assert worker.alive
    assert _text(pdf) == _text(render_pdf(HTML))
    assert "Page 2 of 2" in _text(pdf)[1]


def test_pool_draws_charts_in_both_workers_and_renders_the_same_report(demo_result):
    from engine.report.render import build_context, render_html

    full = replace(demo_result.project.report, detail="full")  # the long form: the most charts
    with RenderPool(size=2) as pool:
        pool.clear_chart_cache()
        context = build_context(demo_result, full, chart_renderer=pool.chart_image)
        refs = [v for section in context["sections"] for v in section["data"].values() if isinstance(v, ChartRef)]
        assert len(refs) >= 4 and {id(ref._worker) for ref in refs} == {id(w) for w in pool.workers}
        html, pdf = pool.report(context)
        assert pool.alive and set(pool.timings) == {"charts_wait", "html", "pdf"}
    assert html == render_html(demo_result, full)  # same context, same templates, same charts: same bytes
    pages = _text(pdf)
    assert len(pages) >= 12 and "Executive summary" in pages[2]


def test_pool_draws_here_what_a_dead_worker_cannot(demo_result):
    from engine.report.render import build_context, render_html

    with RenderPool(size=2) as pool:
        pool.clear_chart_cache()
        context = build_context(demo_result, chart_renderer=pool.chart_image)
        second = pool.workers[1]
        assert any(ref._worker is second for ref in pool._queued[second])
        second._proc.kill()
        second._proc.wait()
        html, _ = pool.report(context)
        assert not pool.alive
    assert html == render_html(demo_result)


def test_an_error_in_the_worker_is_raised_here_with_its_own_message(worker):
    bad = {"data": {"url": "https://example.com/data.csv"}, "mark": "point"}
    with pytest.raises(ValueError, match="not allowed"):
        worker.chart_image(bad, "remote")
    assert worker.alive  # one failed request does not end the worker


def test_a_dead_worker_falls_back_to_this_process():
    worker = RenderWorker()
    worker._proc.kill()
    worker._proc.wait()
    assert worker.chart_image(SPEC, "bars") == chart_image(SPEC, "bars")
    assert "Second page" in _text(worker.pdf(HTML))[1]
    assert not worker.alive
    worker.close()


def test_disabled_worker_renders_in_this_process():
    with RenderWorker(enabled=False) as worker:
        assert not worker.alive
        assert worker.chart_image(SPEC, "bars").src.startswith("data:image/svg+xml;base64,")
        assert _text(worker.pdf(HTML))[0].startswith("Segment report")


def test_a_failed_build_stops_the_workers_without_waiting_for_their_warm_up():
    import time

    with pytest.raises(RuntimeError), RenderPool(size=2) as pool:
        procs = [w._proc for w in pool.workers]
        started = time.perf_counter()
        raise RuntimeError("bad input found while the workers warm up")
    assert time.perf_counter() - started < 1.0  # warming up takes ~2 s; the workers are killed instead
    assert all(proc.poll() is not None for proc in procs)
