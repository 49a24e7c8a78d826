"""Benchmark the Spark build (``--engine spark``) against the single-machine build on the same export (issue 15).

Usage::

    python bench/bench_spark.py                              # 1M and 10M transaction lines, local[2]
    python bench/bench_spark.py --lines 1000000 --master local[2] --formats parquet
    python bench/bench_spark.py --lines 20000 --skip-local   # a quick check of the script itself

Data: the generator of ``bench/bench_build.py`` (three tables, five planted segments,
about 11 lines per customer), so ``--lines`` picks the number of customers
(lines / 11, rounded to 1,000) and the files are cached under ``--data-dir``, shared
with bench_build. Each build is ``python -m engine build DATA --out x.pdf --summary s.json``
in its own process, with ``--engine spark --spark-master MASTER`` for Spark; wall time
from start to exit and memory read by bench_build's ``measure``: ``main`` is the
Python driver's own peak, ``tree`` the largest sum over the process tree at one poll
(Python driver + the driver JVM, which in local mode also runs the executors, + the
report's render workers), ``max1`` the largest single process (the JVM, for Spark).
In local mode the JVM's heap is set by ``spark.driver.memory`` (``--driver-memory``).

Timings on a shared machine vary; run it alone for figures.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_build import dataset, measure  # noqa: E402

LINES_PER_CUSTOMER = 11.2  # what the generator draws (bench_build: 11.3M lines for 1M customers)


def build(paths: list[Path], work: Path, spark: dict | None) -> dict:
    """One build in a subprocess; time, memory and the summary's chosen model and stage times."""
    summary = work / "summary.json"
    cmd = [sys.executable, "-m", "engine", "build", *map(str, paths), "--out", str(work / "report.pdf"),
           "--summary", str(summary), "--quiet"]
    if spark is not None:
        project = work / "project.json"
        project.write_text(json.dumps({"compute": {"engine": "spark", "spark_master": spark["master"],
                                                   "spark_conf": spark["conf"]}}))
        cmd += ["--project", str(project)]
    m = measure(cmd, work / "build.log")
    if m["rc"] != 0:
        raise SystemExit(f"build failed (exit {m['rc']}):\n{(work / 'build.log').read_text()[-3000:]}")
    m["summary"] = json.loads(summary.read_text())
    return m


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--formats", nargs="+", choices=("csv", "parquet"), default=["parquet"])
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--driver-memory", default="2g")
    parser.add_argument("--skip-local", action="store_true", help="only the Spark build")
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/segbench"))
    args = parser.parse_args(argv)
    spark = {"master": args.master, "conf": {"spark.driver.memory": args.driver_memory,
                                             "spark.sql.shuffle.partitions": "8", "spark.ui.enabled": "false"}}
    print(f"{'lines':>11} {'customers':>10} {'format':>7} {'engine':>8} {'wall s':>8} {'main MB':>8} {'tree MB':>8} "
          f"{'max1 MB':>8}  chosen; stages (s)")
    with tempfile.TemporaryDirectory(prefix="bench-spark-") as tmp:
        for lines in args.lines:
            n = max(1_000, round(lines / LINES_PER_CUSTOMER / 1_000) * 1_000)
            paths = dataset(n, args.data_dir)
            drawn = json.loads((args.data_dir / f"customers-{n}" / "done.json").read_text())["lines"]
            for fmt in args.formats:
                for engine in (["spark"] if args.skip_local else ["local", "spark"]):
                    work = Path(tmp) / f"{n}-{fmt}-{engine}"
                    work.mkdir()
                    m = build(paths[fmt], work, spark if engine == "spark" else None)
                    c, stages = m["summary"]["chosen"], m["summary"].get("timings_s", {})
                    shown = ", ".join(f"{k} {v:.1f}" for k, v in stages.items() if isinstance(v, int | float) and v >= 0.5)
                    print(f"{drawn:>11,} {n:>10,} {fmt:>7} {engine:>8} {m['wall_s']:>8.1f} {m['main_mb']:>8.0f} "
                          f"{m['tree_mb']:>8.0f} {m['max1_mb']:>8.0f}  {c['algorithm']} k={c['k']}; {shown}", flush=True)


if __name__ == "__main__":
    main()
