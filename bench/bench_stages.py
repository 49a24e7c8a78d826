"""CPU seconds and peak memory of each stage of one build, in this process (no PDF).

    python bench/bench_stages.py /tmp/segbench/customers-1000000/parquet

Runs the stages as ``engine.analysis.runner.run_project`` does (the line tables let go
after the features), printing per stage the CPU seconds (``getrusage``: user + system)
and the peak resident memory (VmHWM, reset before each stage through
``/proc/self/clear_refs``). CPU seconds and peaks stay meaningful on a busy machine,
where wall times do not.
"""

from __future__ import annotations

import gc
import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _memory_mb() -> dict[str, int]:
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(value.split()[0]) // 1024
    return values


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(paths: list[str]) -> dict:
    from engine.analysis.memory import release_lines
    from engine.analysis.runner import Analysis
    from engine.project import Project

    project = Project()
    project.data.paths = paths
    analysis = Analysis(project=project)
    stages = [("data", analysis.run_data), ("features", analysis.run_features),
              ("release lines", lambda: release_lines(analysis)), ("comparison", analysis.run_comparison),
              ("choice", analysis.run_choice), ("stability", analysis.run_stability), ("labels", analysis.run_labels),
              ("projection", analysis.run_projection), ("result", analysis.to_result)]
    report = {}
    started = _cpu()
    for name, run in stages:
        Path("/proc/self/clear_refs").write_text("5")  # VmHWM from here
        before, wall = _cpu(), time.perf_counter()
        run()
        gc.collect()
        memory = _memory_mb()
        report[name] = {"cpu_s": round(_cpu() - before, 1), "wall_s": round(time.perf_counter() - wall, 1),
                        "peak_mb": memory["VmHWM"], "rss_after_mb": memory["VmRSS"]}
        print(f"{name:14s} {json.dumps(report[name])}", flush=True)
    chosen = analysis.to_result().chosen
    report["total"] = {"cpu_s": round(_cpu() - started, 1), "peak_mb": max(r["peak_mb"] for r in report.values()),
                       "chosen": f"{chosen.algorithm} k={chosen.n_clusters}"}
    print(f"{'total':14s} {json.dumps(report['total'])}")
    return report


if __name__ == "__main__":
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    main(sys.argv[1:])
