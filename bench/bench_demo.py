"""Time the demo build end to end and stage by stage, with peak memory.

Usage: ``python bench/bench_demo.py [--repeat 3] [--in-process]``. Targets (issue 5):
the demo PDF in under 15 s on 2 cores; the rendering stages (charts + HTML + PDF)
under 5 s. Run it in a fresh process: the first run includes import costs, like a
real ``python -m engine build --demo``.

By default rendering goes through a RenderPool started before the first
analysis, exactly as ``python -m engine build`` does (its workers import
WeasyPrint and start vl-convert while the engine clusters, then draw the charts
side by side). ``--in-process``
renders in this process instead, for comparison; then the first run's rendering
includes those start-up costs.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--in-process", action="store_true", help="render without worker processes")
    args = ap.parse_args()

    t_import = time.perf_counter()
    from engine.analysis.runner import run_project
    from engine.project import demo_project
    from engine.report import render
    from engine.report.worker import RenderPool

    t_import = time.perf_counter() - t_import
    print(f"imports: {t_import:.2f} s; rendering {'in this process' if args.in_process else 'in worker processes'}")
    rendering = []
    with RenderPool(enabled=not args.in_process) as pool:
        for i in range(args.repeat):
            pool.clear_chart_cache()  # every run draws its charts, as a first build would
            t0 = time.perf_counter()
            project = demo_project()
            result = run_project(project)
            t1 = time.perf_counter()
            context = render.build_context(result, project.report, chart_renderer=pool.chart_image)
            t2 = time.perf_counter()
            html, pdf = pool.report(context)
            t3 = time.perf_counter()
            with tempfile.TemporaryDirectory() as d:
                (Path(d) / "demo.pdf").write_bytes(pdf)
                (Path(d) / "demo.html").write_text(html, encoding="utf-8")
            stages = dict(result.timings_s)
            stages.update(sections=round(t2 - t1, 3), **pool.timings)
            rendering.append(t3 - t1)
            print(f"run {i + 1}: total {t3 - t0:.2f} s (engine {t1 - t0:.2f} s, rendering {t3 - t1:.2f} s)")
            for name, secs in stages.items():
                print(f"    {name:<24} {secs:7.3f} s")
        alive = pool.alive
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worker_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"rendering: first {rendering[0]:.2f} s, median {statistics.median(rendering):.2f} s"
          + ("" if args.in_process else f"; workers {'answered every request' if alive else 'FELL BACK to in-process'}"))
    workers = "" if args.in_process else f" (largest worker {worker_mib:.0f} MiB)"
    print(f"peak RSS: {peak_mib:.0f} MiB{workers}; PDF {len(pdf) / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
