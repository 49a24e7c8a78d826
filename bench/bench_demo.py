"""Time the demo build end to end and stage by stage, with peak memory.

Usage: ``python bench/bench_demo.py [--repeat 3]``. Targets (issue 5): the demo
PDF in under 15 s on 2 cores; the rendering stages (charts + HTML + PDF) under 5 s.
Run it in a fresh process: the first run includes import costs, like a real
``python -m engine build --demo``.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()

    t_import = time.perf_counter()
    from engine import pipeline
    from engine.report import render

    t_import = time.perf_counter() - t_import
    print(f"imports: {t_import:.2f} s")
    for i in range(args.repeat):
        t0 = time.perf_counter()
        project = pipeline.demo_project()
        result = pipeline.run(project)
        t1 = time.perf_counter()
        html = render.render_html(result, project.report)
        t2 = time.perf_counter()
        pdf = render.render_pdf(html)
        t3 = time.perf_counter()
        with tempfile.TemporaryDirectory() as d:
            (Path(d) / "demo.pdf").write_bytes(pdf)
        stages = dict(result.timings_s)
        stages.update(render_html_incl_charts=round(t2 - t1, 3), pdf=round(t3 - t2, 3))
        total = t3 - t0
        print(f"run {i + 1}: total {total:.2f} s (engine {t1 - t0:.2f} s, rendering {t3 - t1:.2f} s)")
        for name, secs in stages.items():
            print(f"    {name:<24} {secs:7.3f} s")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak_mib:.0f} MiB; PDF {len(pdf) / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
