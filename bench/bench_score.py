"""Benchmark scoring new customers with a saved model (issue 14): 1,000,000 customers, k-means and GMM.

Usage::

    python bench/bench_score.py                                     # models built on 20k, scored on 1M (Parquet)
    python bench/bench_score.py --build-size 20000 --score-size 20000 --format csv   # a quick check of the script

Data: the transaction exports of ``bench_build.py`` (three tables, five planted
segments, about 11 lines per customer), drawn once and cached under
``--data-dir``. Models: the project pins k-means (k = 5) or a Gaussian mixture
(k = 5) on ``--build-size`` customers (no comparison of other algorithms, no
bootstrap), exported with ``engine.model.model_json`` and cached beside the data.

Scoring runs in a fresh process per model (what ``python -m engine score`` does:
read the files with the model's rules, compute the features, replay fill, log and
scaler, assign, distances and the outside flag, write the CSV) and reports, per
stage, wall seconds, plus the process's CPU seconds and peak RSS (``ru_maxrss``).
The assignment stage alone (transform + assign + distances of the 1M-row feature
matrix) is the figure the model file decides; reading and aggregating 11 million
transaction lines is the same work as a build's first two stages.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_build import dataset  # noqa: E402

MODELS = ("kmeans", "gmm")
K = 5


def build_model(algorithm: str, paths: list[Path], target: Path) -> dict:
    """Build the pinned model on ``paths`` and write its model file (once; cached)."""
    if target.exists():
        return {"cached": True}
    from engine.analysis.runner import run_project
    from engine.model import model_json
    from engine.project import Project

    project = Project.from_dict({
        "data": {"paths": [str(p) for p in paths]},
        "clustering": {"algorithms": [algorithm], "k_range": [K, K], "choice": {"algorithm": algorithm, "k": K},
                       "stability_resamples": 0},
    })
    t0 = time.perf_counter()
    result = run_project(project)
    t1 = time.perf_counter()
    text = model_json(result)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    return {"build_s": round(t1 - t0, 1), "export_s": round(time.perf_counter() - t1, 2), "kb": len(text) // 1024}


def worker(model_path: Path, paths: list[str], out: Path) -> dict:
    """Score ``paths`` with the model in this process, timing each stage (run in a subprocess)."""
    import engine.model.saved as saved
    from engine.model import load_model
    from engine.model.outputs import scored_csv

    stages: dict[str, float] = {}
    cpu: dict[str, float] = {}  # CPU seconds of the process per stage: the figure a loaded machine does not distort

    def timed(name, fn):
        def wrapper(*args, **kwargs):
            t, c = time.perf_counter(), time.process_time()
            value = fn(*args, **kwargs)
            stages[name] = stages.get(name, 0.0) + time.perf_counter() - t
            cpu[name] = cpu.get(name, 0.0) + time.process_time() - c
            return value
        return wrapper

    # the assignment stages, timed where score_dataset calls them
    saved.transform = timed("transform", saved.transform)
    saved.assign = timed("assign", saved.assign)
    saved.SavedModel._distances = timed("distances", saved.SavedModel._distances)
    model = timed("load model", load_model)(model_path)
    data = timed("read data", model.load_data)(paths)
    scored = timed("score", model.score_dataset)(data)
    parts = ("transform", "assign", "distances")
    assignment, assignment_cpu = sum(stages[p] for p in parts), sum(cpu[p] for p in parts)
    stages["features"], cpu["features"] = stages.pop("score") - assignment, cpu.pop("score") - assignment_cpu
    timed("write csv", lambda: out.write_text(scored_csv(scored)))()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"customers": len(scored.table), "stages": {k: round(v, 2) for k, v in stages.items()},
            "cpu": {k: round(v, 2) for k, v in cpu.items()}, "assignment_cpu_s": round(assignment_cpu, 2),
            "assignment_s": round(assignment, 2), "stages_s": round(sum(stages.values()), 1),
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 1), "peak_rss_mb": round(usage.ru_maxrss / 1024),
            "outside": int(scored.table["outside"].sum()),
            "shares": {str(r.segment): [round(r.build_share, 4), round(r.share_now, 4)]
                       for r in scored.shares.itertuples(index=False)}}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build-size", type=int, default=20_000)
    parser.add_argument("--score-size", type=int, default=1_000_000)
    parser.add_argument("--format", choices=("csv", "parquet"), default="parquet")
    parser.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/segbench"))
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)  # internal: MODEL OUT DATA...
    args = parser.parse_args(argv)
    if args.worker:
        model, out, *paths = args.worker
        print(json.dumps(worker(Path(model), paths, Path(out))))
        return
    build_paths = dataset(args.build_size, args.data_dir)[args.format]
    score_paths = dataset(args.score_size, args.data_dir)[args.format]
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
    print(f"Scoring {args.score_size:,} customers ({args.format}) with models built on {args.build_size:,}; "
          f"load average {' '.join(load)}")
    for algorithm in args.models:
        model = args.data_dir / "models" / f"{algorithm}-{args.build_size}-{args.format}.json"
        built = build_model(algorithm, build_paths, model)
        out = args.data_dir / "models" / f"scored-{algorithm}-{args.score_size}.csv"
        t = time.perf_counter()
        cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", str(model), str(out),
               *map(str, score_paths)]
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        wall = time.perf_counter() - t
        if done.returncode != 0:
            raise SystemExit(f"scoring with {algorithm} failed:\n{done.stderr[-3000:]}")
        r = json.loads(done.stdout.strip().splitlines()[-1])
        stages = ", ".join(f"{k} {v:.2f}" for k, v in r["stages"].items())
        print(f"\n{algorithm}: model {built}; process wall {wall:.1f} s, CPU {r['cpu_s']} s, peak RSS "
              f"{r['peak_rss_mb']:,} MB; {r['customers']:,} customers, {r['outside']:,} outside")
        print(f"  assignment of the {r['customers']:,}-row matrix (transform + assign + distances): "
              f"{r['assignment_s']:.2f} s wall, {r['assignment_cpu_s']:.2f} s CPU")
        print(f"  stages, wall s: {stages} (sum {r['stages_s']}; the rest of the wall is starting Python and imports)")
        print(f"  stages, CPU s: {', '.join(f'{k} {v:.2f}' for k, v in r['cpu'].items())}")
        print(f"  shares (build, now): {r['shares']}")


if __name__ == "__main__":
    main()
