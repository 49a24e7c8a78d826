"""Benchmark the whole build as a user runs it, and a naive notebook pipeline beside it (issue 17).

Usage::

    python bench/bench_build.py                                  # 20k, 100k, 1M customers; CSV and Parquet; naive at 20k
    python bench/bench_build.py --sizes 20000 --formats csv --repeat 3
    python bench/bench_build.py --sizes 3000 --naive-size 3000   # a quick check of the script itself

Data: transaction exports of the three-table shape (Customers, Products,
Transactions; ``bench/scenarios.py``), five planted segments, about 11 lines per
customer, drawn once in parts of 50,000 customers (so a million customers never
sit in memory at once) and cached under ``--data-dir`` as CSV and as Parquet
copies of the same rows (in Parquet, dates are typed timestamps, as a database
export writes them).

Build: ``python -m engine build DATA... --out x.pdf --summary s.json`` in a
subprocess per size and format, wall time from start to exit, per-stage times
from the summary's ``timings_s``. Memory, read from /proc every 0.05 s over the
build's process tree (the main process and its render workers, found every 0.5 s):

* ``main``: the main process's own peak (its VmHWM);
* ``tree``: the largest sum of the tree's resident sizes seen at one poll (what
  the machine had to hold at once; a short spike between polls can be missed);
* ``max1``: ``wait4``'s ``ru_maxrss``, the largest single process of the tree
  (the kernel's figure; it never adds processes together).

Naive pipeline (``--naive``, at ``--naive-size`` customers, once): what the seed
reports did, in a notebook's way: pandas reads the transactions, a groupby gives
recency, frequency and monetary value, StandardScaler; k-means with
``n_init=10`` and full Ward agglomerative for every k in 2..10, DBSCAN with its
defaults; exact silhouette (every point), Davies-Bouldin and Calinski-Harabasz
for every run; t-SNE and UMAP on every point. It runs in its own process too,
measured the same way; the ratio is its wall time over the product build's (CSV).

Metric check (with ``--naive``): the product is run in this process on the same
CSV files (``engine.analysis.runner.run_project``); the chosen model's reported
silhouette, Davies-Bouldin and Calinski-Harabasz are compared with their exact
values on the product's own feature matrix and labels, and the same
algorithm and k is refitted on every point with the same seed (what a notebook
would report) for comparison. ``--check-all-runs`` checks every run of the
comparison, not only the chosen one (exact silhouette per run: slow above 20k).

Timings on a shared machine vary; run it alone for figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from scenarios import Scenario, generate  # noqa: E402

TABLES = ("Customers", "Products", "Transactions")
DATE_COLUMNS = ("TransactionDate", "SignupDate")
PART = 50_000  # customers drawn at once
SHARED_SEED = 7  # segment sizes, centres and products (chosen for ~11 lines per customer)
SEED = 20_260  # first part's seed; part i uses SEED + i
K, SEPARATION = 5, 7.0
POLL_S = 0.05  # resident sizes of the build's processes read this often
SCAN_S = 0.5  # and the process tree (a scan of /proc) this often
NAIVE_KS = range(2, 11)


# ---- data ---------------------------------------------------------------------------------------------------------

def dataset(n: int, data_dir: Path) -> dict[str, list[Path]]:
    """CSV and Parquet paths of the ``n``-customer export, drawn and written once (cached in ``data_dir``)."""
    folder = data_dir / f"customers-{n}"
    done = folder / "done.json"
    if not done.exists():
        _write_dataset(n, folder)
    return {fmt: [folder / fmt / f"{name}.{fmt}" for name in TABLES] for fmt in ("csv", "parquet")}


def _write_dataset(n: int, folder: Path) -> None:
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    for fmt in ("csv", "parquet"):
        (folder / fmt).mkdir(exist_ok=True)
    t0 = time.perf_counter()
    writers: dict[str, pq.ParquetWriter] = {}
    first_id = first_line = 0
    width = len(str(n))
    try:
        for part, start in enumerate(range(0, n, PART)):
            m = min(PART, n - start)
            s = Scenario(f"build-{n}", K, m, SEPARATION, SEED + part)
            tables, _ = generate(s, shared_seed=SHARED_SEED, first_id=first_id, id_width=width,
                                 first_line=first_line)
            first_id += m
            first_line += len(tables["Transactions.csv"])
            for name in TABLES:
                frame = tables[f"{name}.csv"]
                if name == "Products" and part > 0:
                    continue  # shared by every part: written once
                frame.to_csv(folder / "csv" / f"{name}.csv", index=False, lineterminator="\n",
                             mode="w" if part == 0 else "a", header=part == 0)
                dates = [c for c in DATE_COLUMNS if c in frame.columns]  # Parquet keeps them typed, as exports do
                table = pa.Table.from_pandas(frame.assign(**{c: pd.to_datetime(frame[c]) for c in dates}),
                                             preserve_index=False)
                if name not in writers:
                    writers[name] = pq.ParquetWriter(folder / "parquet" / f"{name}.parquet", table.schema)
                writers[name].write_table(table.cast(writers[name].schema))
            del tables
            print(f"  data {n:,}: {first_id:,} customers, {first_line:,} lines", file=sys.stderr)
    finally:
        for writer in writers.values():
            writer.close()
    (folder / "done.json").write_text(json.dumps({"customers": n, "lines": first_line,
                                                  "seconds": round(time.perf_counter() - t0, 1)}))


# ---- measuring a process tree ---------------------------------------------------------------------------------------

def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def _status_kb(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) in KiB; zeros once the process is gone."""
    rss = hwm = 0
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
                elif line.startswith("VmHWM:"):
                    hwm = int(line.split()[1])
    except OSError:
        pass
    return rss, hwm


def measure(cmd: list[str], log: Path) -> dict:
    """Run ``cmd``; wall seconds, exit code and peak memory (MB) of its process tree (see the module docstring)."""
    t0 = time.perf_counter()
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        main_hwm = tree_peak = 0
        hwm: dict[int, int] = {}
        tree, scanned = [proc.pid], 0.0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - scanned > SCAN_S:  # the whole of /proc, for new descendants
                children, scanned = _children_map(), time.perf_counter()
                tree, todo = [], [proc.pid]
                while todo:
                    p = todo.pop()
                    tree.append(p)
                    todo.extend(children.get(p, []))
            total = 0
            for p in tree:
                rss, high = _status_kb(p)
                total += rss
                hwm[p] = max(hwm.get(p, 0), high)
            main_hwm = max(main_hwm, hwm.get(proc.pid, 0))
            tree_peak = max(tree_peak, total)
            time.sleep(POLL_S)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {"wall_s": wall, "rc": proc.returncode, "main_mb": main_hwm / 1024, "tree_mb": tree_peak / 1024,
            "max1_mb": usage.ru_maxrss / 1024, "processes": len(hwm)}


def run_build(paths: list[Path], work: Path, repeat: int) -> dict:
    """The product's full default build, ``repeat`` times; medians of time, largest memory figures."""
    runs = []
    for i in range(repeat):
        summary = work / f"summary-{i}.json"
        cmd = [sys.executable, "-m", "engine", "build", *map(str, paths), "--out", str(work / f"report-{i}.pdf"),
               "--summary", str(summary), "--quiet"]
        m = measure(cmd, work / f"build-{i}.log")
        if m["rc"] != 0:
            raise SystemExit(f"build failed (exit {m['rc']}):\n{(work / f'build-{i}.log').read_text()[-3000:]}")
        m["summary"] = json.loads(summary.read_text())
        runs.append(m)
    stages = runs[0]["summary"]["timings_s"].keys()
    return {
        "wall_s": statistics.median(r["wall_s"] for r in runs),
        "walls": [r["wall_s"] for r in runs],
        **{key: max(r[key] for r in runs) for key in ("main_mb", "tree_mb", "max1_mb")},
        "stages": {s: statistics.median(r["summary"]["timings_s"].get(s) or 0.0 for r in runs) for s in stages},
        "chosen": runs[0]["summary"]["chosen"],
    }


# ---- the naive notebook pipeline ------------------------------------------------------------------------------------

def naive_pipeline(transactions: Path, seed: int = 0) -> dict:
    """What the seed reports did, the notebook way; seconds per step and the metrics of every run."""
    import warnings

    import pandas as pd
    from sklearn.cluster import DBSCAN, AgglomerativeClustering, KMeans
    from sklearn.manifold import TSNE
    from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score
    from sklearn.preprocessing import StandardScaler

    warnings.filterwarnings("ignore")
    times: dict[str, float] = {}
    runs: list[dict] = []

    def timed(name, fn):
        t0 = time.perf_counter()
        value = fn()
        times[name] = times.get(name, 0.0) + time.perf_counter() - t0
        print(f"naive: {name} {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)  # progress, in its log
        return value

    def score(algorithm, k, labels):
        if len(set(labels)) < 2:
            runs.append({"algorithm": algorithm, "k": k, "clusters": 1})
            return
        runs.append({"algorithm": algorithm, "k": k, "clusters": len(set(labels)),
                     "silhouette": timed("silhouette", lambda: silhouette_score(X, labels)),
                     "davies_bouldin": timed("davies_bouldin", lambda: davies_bouldin_score(X, labels)),
                     "calinski_harabasz": timed("calinski_harabasz", lambda: calinski_harabasz_score(X, labels))})

    tx = timed("read", lambda: pd.read_csv(transactions, parse_dates=["TransactionDate"]))

    def rfm():
        end = tx["TransactionDate"].max() + pd.Timedelta(days=1)
        g = tx.groupby("CustomerID").agg(last=("TransactionDate", "max"), frequency=("TransactionID", "nunique"),
                                         monetary=("TotalValue", "sum"))
        return pd.DataFrame({"recency": (end - g["last"]).dt.days, "frequency": g["frequency"],
                             "monetary": g["monetary"]})

    features = timed("rfm", rfm)
    X = timed("scale", lambda: StandardScaler().fit_transform(features))
    for k in NAIVE_KS:
        score("kmeans", k, timed("kmeans", lambda k=k: KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(X)))
    for k in NAIVE_KS:
        score("ward", k, timed("ward", lambda k=k: AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(X)))
    score("dbscan", None, timed("dbscan", lambda: DBSCAN().fit_predict(X)))
    timed("tsne", lambda: TSNE(n_components=2, random_state=seed).fit_transform(X))

    def umap_embedding():
        import umap

        return umap.UMAP(random_state=seed).fit_transform(X)

    timed("umap", umap_embedding)
    return {"customers": len(X), "times_s": times, "runs": runs}


# ---- metrics: reported against exact ------------------------------------------------------------------------------

def metric_check(paths: list[Path], all_runs: bool) -> None:
    """The product in this process: its reported metrics against exact ones on its own features and labels."""
    from sklearn import cluster, mixture
    from sklearn.metrics import (
        adjusted_rand_score,
        calinski_harabasz_score,
        davies_bouldin_score,
        silhouette_score,
    )

    from engine.analysis.runner import run_project
    from engine.project import Project
    from engine.results import NOISE

    project = Project()
    project.data.paths = [str(p) for p in paths]
    t0 = time.perf_counter()
    result = run_project(project)
    print(f"\nMetric check (product in-process, {time.perf_counter() - t0:.1f} s, "
          f"{len(result.features.X):,} points, features {', '.join(result.features.names)})")
    X, seed = result.features.X, int(result.project.clustering.seed)

    def exact(labels):
        keep = labels != NOISE
        if len(set(labels[keep])) < 2:
            return None
        x, y = X[keep], labels[keep]
        return {"silhouette": float(silhouette_score(x, y)), "davies_bouldin": float(davies_bouldin_score(x, y)),
                "calinski_harabasz": float(calinski_harabasz_score(x, y))}

    def line(name, reported, truth):
        cells = []
        for key, value in truth.items():
            got = reported.get(key)
            diff = abs(got - value) if got is not None else float("nan")
            rel = f" ({diff / abs(value):.2%})" if key == "calinski_harabasz" and value else ""
            cells.append(f"{key} {got if got is None else round(got, 4)} vs {value:.4f} |Δ| {diff:.4f}{rel}")
        print(f"  {name}: " + "; ".join(cells))
        return [abs(reported[key] - value) for key, value in truth.items()
                if key != "calinski_harabasz" and reported.get(key) is not None]

    chosen = result.chosen
    diffs = line(f"chosen {chosen.algorithm} k={chosen.n_clusters} (reported vs exact on its labels)",
                 chosen.metrics, exact(chosen.labels))
    if all_runs:
        for run in result.comparison.runs:
            if run is chosen or run.labels is None or run.status != "ok":
                continue
            truth = exact(run.labels)
            if truth is not None:
                diffs += line(f"{run.algorithm} k={run.n_clusters}", run.metrics, truth)
    print(f"  max |reported - exact| over silhouette and Davies-Bouldin: {max(diffs):.4f} "
          f"(Calinski-Harabasz: relative difference shown above)")
    estimators = {
        "kmeans": lambda k: cluster.KMeans(n_clusters=k, n_init=10, random_state=seed),
        "minibatch_kmeans": lambda k: cluster.MiniBatchKMeans(n_clusters=k, random_state=seed),
        "gmm": lambda k: mixture.GaussianMixture(n_components=k, covariance_type="full", random_state=seed),
        "agglomerative": lambda k: cluster.AgglomerativeClustering(n_clusters=k, linkage="ward"),
        "birch": lambda k: cluster.Birch(n_clusters=k),
    }
    if chosen.algorithm in estimators:
        t0 = time.perf_counter()
        refit = estimators[chosen.algorithm](chosen.n_clusters).fit_predict(X)
        truth = exact(refit)
        print(f"  refit on every point ({chosen.algorithm}, k={chosen.n_clusters}, seed {seed}, "
              f"{time.perf_counter() - t0:.1f} s): ARI with the product's labels "
              f"{adjusted_rand_score(chosen.labels, refit):.4f}")
        line("product's reported vs the refit's exact", chosen.metrics, truth)
    else:
        print(f"  no full-data refit for {chosen.algorithm} (no k, or not a notebook algorithm)")


# ---- main ---------------------------------------------------------------------------------------------------------

def _fmt_stages(stages: dict) -> str:
    return ", ".join(f"{name} {seconds:.1f}" for name, seconds in stages.items())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000, 1_000_000])
    parser.add_argument("--formats", nargs="+", choices=("csv", "parquet"), default=["csv", "parquet"])
    parser.add_argument("--naive", action=argparse.BooleanOptionalAction, default=True,
                        help="run the naive notebook pipeline once and the metric check (default: yes)")
    parser.add_argument("--naive-size", type=int, default=20_000, help="customers for the naive pipeline")
    parser.add_argument("--check-all-runs", action="store_true", help="exact metrics of every run, not only the chosen")
    parser.add_argument("--repeat", type=int, default=1, help="builds per size and format (median time)")
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/segbench"))
    parser.add_argument("--naive-worker", type=Path, help=argparse.SUPPRESS)  # internal: run the naive pipeline
    args = parser.parse_args(argv)
    if args.naive_worker:
        print(json.dumps(naive_pipeline(args.naive_worker)))
        return
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    builds: dict[tuple[int, str], dict] = {}
    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        work = Path(tmp)
        print(f"{'customers':>10} {'format':>7} {'lines':>11} {'wall s':>8} {'main MB':>8} {'tree MB':>8} "
              f"{'max1 MB':>8}  chosen; stages (s)")
        sizes = list(args.sizes) + ([args.naive_size] if args.naive and args.naive_size not in args.sizes else [])
        for n in sizes:
            paths = dataset(n, args.data_dir)
            lines = json.loads((args.data_dir / f"customers-{n}" / "done.json").read_text())["lines"]
            formats = args.formats if n in args.sizes else []
            if args.naive and n == args.naive_size and "csv" not in formats:
                formats = [*formats, "csv"]  # the naive pipeline is compared with the CSV build
            for fmt in formats:
                run_dir = work / f"{n}-{fmt}"
                run_dir.mkdir()
                b = builds[n, fmt] = run_build(paths[fmt], run_dir, args.repeat)
                c = b["chosen"]
                print(f"{n:>10,} {fmt:>7} {lines:>11,} {b['wall_s']:>8.1f} {b['main_mb']:>8.0f} {b['tree_mb']:>8.0f} "
                      f"{b['max1_mb']:>8.0f}  {c['algorithm']} k={c['k']}; {_fmt_stages(b['stages'])}", flush=True)
                if args.repeat > 1:
                    print(f"{'':>30} walls: {', '.join(f'{w:.1f}' for w in b['walls'])}")
        if not args.naive:
            return
        n = args.naive_size
        paths = dataset(n, args.data_dir)
        transactions = paths["csv"][TABLES.index("Transactions")]
        naive_out = work / "naive.json"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--naive-worker", str(transactions)]
        m = measure(cmd, naive_out)
        if m["rc"] != 0:
            raise SystemExit(f"naive pipeline failed (exit {m['rc']}):\n{naive_out.read_text()[-3000:]}")
        naive = json.loads([t for t in naive_out.read_text().splitlines() if t.startswith("{")][-1])
        product = builds[n, "csv"]
        print(f"\nNaive notebook pipeline at {n:,} customers: {m['wall_s']:.1f} s, main {m['main_mb']:.0f} MB, "
              f"tree {m['tree_mb']:.0f} MB; steps (s): {_fmt_stages(naive['times_s'])}")
        print(f"Product build (CSV, PDF included) at {n:,}: {product['wall_s']:.1f} s -> "
              f"naive/product = {m['wall_s'] / product['wall_s']:.1f}x")
        best = max((r for r in naive["runs"] if "silhouette" in r), key=lambda r: r["silhouette"], default=None)
        if best:
            print(f"  (naive's best silhouette: {best['algorithm']} k={best['k']}, {best['silhouette']:.4f})")
        metric_check(paths["csv"], args.check_all_runs)


if __name__ == "__main__":
    main()
