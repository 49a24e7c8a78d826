"""Warm start (app_support/warmup.py) and the shared engine cache it fills (app_support/state.EngineCache)."""

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from app_support import warmup
from app_support.state import EngineCache
from app_support.uploads import demo_analysis

ROOT = Path(__file__).resolve().parents[2]


def test_a_value_being_computed_is_waited_for_not_computed_twice():
    cache, calls, release = EngineCache(), [], threading.Event()

    def slow():
        calls.append(threading.current_thread().name)
        release.wait(10)
        return object()

    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.get_or_compute("comparison", "k", slow)))
               for _ in range(3)]
    for thread in threads:
        thread.start()
    release.set()
    for thread in threads:
        thread.join(10)
    assert len(calls) == 1 and len(results) == 3 and all(r is results[0] for r in results)


def test_a_failed_computation_is_tried_again_by_whoever_waited():
    cache, started, release = EngineCache(), threading.Event(), threading.Event()

    def failing():
        started.set()
        release.wait(10)
        raise ValueError("the first run failed")

    errors = []
    first = threading.Thread(target=lambda: errors.append(pytest.raises(ValueError, cache.get_or_compute, "s", "k",
                                                                        failing)))
    first.start()
    started.wait(10)
    waiter_value = []
    waiter = threading.Thread(target=lambda: waiter_value.append(cache.get_or_compute("s", "k", lambda: 42)))
    waiter.start()
    release.set()
    first.join(10)
    waiter.join(10)
    assert errors and waiter_value == [42]
    assert cache.get_or_compute("s", "k", lambda: 0) == 42


@pytest.mark.slow
def test_the_warm_up_leaves_the_demo_results_in_the_shared_cache():
    cache = EngineCache()
    assert warmup.run(cache.get_or_compute, steps=(warmup.sample_analysis,)) == ["sample_analysis"]
    computed = []

    def counting(stage, key, compute):
        return cache.get_or_compute(stage, key, lambda: computed.append(stage) or compute())

    demo = demo_analysis()
    demo.memo = counting
    demo.run_all()  # what the first "Try it with sample data" does
    assert computed == [] and demo.status("label") == "done"


def test_it_starts_once_per_process_and_can_be_switched_off(monkeypatch):
    monkeypatch.setattr(warmup, "_started", False)
    ran = []
    monkeypatch.setenv("SEGMENTATION_WARM", "0")
    assert warmup.start(None, steps=(ran.append,)) is None
    monkeypatch.setenv("SEGMENTATION_WARM", "1")
    thread = warmup.start(None, steps=(ran.append,))
    assert thread is not None and thread.daemon
    thread.join(10)
    assert ran == [None] and warmup.start(None, steps=(ran.append,)) is None


def test_a_failing_step_is_logged_and_the_next_one_still_runs(caplog):
    def broken(_memo):
        raise RuntimeError("no disk")

    def fine(_memo):
        pass

    assert warmup.run(None, steps=(broken, fine)) == ["fine"]
    assert "Warm-up step broken failed" in caplog.text


@pytest.mark.slow
def test_imports_and_umap_warm_up_load_the_heavy_modules():
    code = ("import sys\nfrom app_support import warmup\n"
            "warmup.import_modules(); warmup.compile_umap()\n"
            "print(sorted(m for m in ('weasyprint', 'umap', 'numba', 'engine.views.charts') if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "['engine.views.charts', 'numba', 'umap', 'weasyprint']" in out.stdout


@pytest.mark.slow
def test_the_demo_caption_says_how_long_it_takes_before_and_after_the_warm_up(monkeypatch):
    from streamlit.testing.v1 import AppTest

    from app_support import ui

    monkeypatch.setattr(warmup, "READY", threading.Event())  # a server that has not warmed up yet
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120).run()
    assert ui.DEMO_COLD in [c.value for c in at.sidebar.caption]
    at.button(key="sidebar.demo").click().run()  # the first run fills the cache as the warm-up would
    assert not at.exception, at.exception
    assert warmup.READY.is_set() and ui.DEMO_WARM in [c.value for c in at.sidebar.caption]
