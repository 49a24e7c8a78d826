"""Warm start: the heavy imports, the sample analysis and numba's compilation happen once per server.

A fresh server process has imported little when it draws the first page; the first
"Try it with sample data" would pay for scikit-learn, SciPy, the engine's
clustering, views and report modules, and the whole sample analysis. :func:`start`
(called by the frame after the first page has been drawn, under a real server
only) does that work in one background daemon thread instead:

1. the sample analysis, every stage, through the server's shared engine cache
   (the first demo click then finds its results there; an analyst clicking
   earlier follows the same imports, never waits for more than the warm-up);
2. the modules the step pages and the report import (charts, tables, Jinja, WeasyPrint);
3. one tiny UMAP projection, which imports umap and compiles numba's functions.

Nothing here is shown to anyone; a failure is logged and the app works as before.
``SEGMENTATION_WARM=0`` switches it off (bench/bench_app_start.py measures both).
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
import time
from collections.abc import Callable

import numpy as np

from engine.analysis.stages import Memo

log = logging.getLogger(__name__)
MODULES = (  # what the pages and the PDF import lazily, heaviest first
    "engine.views.chart_models", "engine.views.charts", "engine.views.run_table", "engine.views.chart_features",
    "engine.views.profiles", "engine.report.sections", "engine.report.render", "engine.report.exports",
    "engine.report.deck", "weasyprint", "engine.report.fetcher",
)
_started = False
_lock = threading.Lock()
READY = threading.Event()  # set once the sample analysis is in the cache: a demo click then takes a few seconds


def enabled(environ: dict[str, str] | None = None) -> bool:
    return (os.environ if environ is None else environ).get("SEGMENTATION_WARM", "1").strip() not in {"0", "no",
                                                                                                     "false"}


def start(memo: Memo | None, steps: tuple[Callable[..., None], ...] | None = None) -> threading.Thread | None:
    """Start the warm-up thread once per process (None when it already started or is switched off)."""
    global _started
    with _lock:
        if _started or not enabled():
            return None
        _started = True
    thread = threading.Thread(target=run, args=(memo, steps), name="segmentation-warm-up", daemon=True)
    thread.start()
    return thread


def run(memo: Memo | None, steps: tuple[Callable[..., None], ...] | None = None) -> list[str]:
    """Every warm-up step in order; returns the names of those that finished (each one failing alone)."""
    done = []
    for step in steps or (sample_analysis, import_modules, compile_umap):
        started = time.perf_counter()
        try:
            step(memo)
        except Exception:  # never let the warm-up disturb the app: it only makes later clicks faster
            log.warning("Warm-up step %s failed", step.__name__, exc_info=True)
            continue
        done.append(step.__name__)
        log.info("Warm-up: %s in %.1f s", step.__name__, time.perf_counter() - started)
    return done


def sample_analysis(memo: Memo | None) -> None:
    """The demo button's analysis, every stage, its results left in the shared cache."""
    from app_support.uploads import demo_analysis

    analysis = demo_analysis()
    analysis.memo = memo
    analysis.run_all()
    analysis.run_projection()
    READY.set()


def import_modules(_memo: Memo | None = None) -> None:
    for name in MODULES:
        importlib.import_module(name)


def compile_umap(_memo: Memo | None = None) -> None:
    """A UMAP of 60 random points: imports umap and has numba compile what a real projection runs."""
    from engine.project import Project
    from engine.views.projection import project_2d

    seed = Project().clustering.seed
    X = np.random.default_rng(seed).normal(size=(60, 4))
    project_2d(X, "umap", seed=seed, max_points=60)
