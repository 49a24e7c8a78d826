"""Benchmark the clustering engine: full comparison, stability, memory and silhouette sampling error.

Usage::

    python bench/bench_clustering.py                       # 10,000 and 100,000 points
    python bench/bench_clustering.py --sizes 10000 100000 1000000

Each size runs in a fresh process, so its peak memory (max RSS) is its own.
The data are customer-like features with planted segments and heavy tails
(lognormal spend, a few whales), log1p-transformed and standard-scaled as the
pipeline does. Timings on a shared machine vary; run it alone for figures.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.clustering.compare import compare  # noqa: E402
from engine.clustering.metrics import SAMPLE_SIZE, silhouette_values  # noqa: E402
from engine.clustering.sampling import random_sample, stratified_sample  # noqa: E402
from engine.clustering.selection import recommend  # noqa: E402
from engine.clustering.stability import stability  # noqa: E402
from engine.project import DEFAULT_ALGORITHMS  # noqa: E402
from engine.results import NOISE  # noqa: E402

# segment: share, orders (Poisson mean), basket size, unit price (lognormal median), recency days, tenure days
SEGMENTS = {
    "champions": (0.15, 22, 3.0, 60, 15, 750),
    "bulk_buyers": (0.20, 9, 14.0, 14, 60, 630),
    "premium_occasional": (0.15, 3, 1.2, 250, 110, 540),
    "lapsed": (0.25, 3, 2.0, 30, 420, 750),
    "new": (0.25, 2, 2.0, 30, 25, 45),
}


def make_features(n_points: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Scaled matrix, planted segment per point and the raw RFM columns (for the rfm baseline)."""
    rng = np.random.default_rng(seed)
    shares = np.array([s[0] for s in SEGMENTS.values()])
    segment = rng.choice(len(SEGMENTS), size=n_points, p=shares / shares.sum())
    params = np.array([s[1:] for s in SEGMENTS.values()], dtype=float)[segment]
    orders = 1 + rng.poisson(params[:, 0] - 1)
    basket = params[:, 1] * rng.lognormal(0, 0.3, n_points)
    price = params[:, 2] * rng.lognormal(0, 0.35, n_points)
    recency = np.maximum(0, params[:, 3] * rng.lognormal(0, 0.4, n_points)).round()
    tenure = np.maximum(recency + 1, params[:, 4] * rng.lognormal(0, 0.15, n_points)).round()
    whales = rng.choice(n_points, size=max(2, n_points // 2000), replace=False)
    orders[whales] *= 3
    basket[whales] *= 7
    monetary = orders * basket * price
    raw = pd.DataFrame({"recency_days": recency, "frequency": orders, "monetary": monetary,
                        "avg_items_per_order": basket, "avg_unit_price": price, "tenure_days": tenure})
    logged = np.log1p(raw.to_numpy())
    X = (logged - logged.mean(axis=0)) / logged.std(axis=0)
    return X, segment, raw


def silhouette_errors(X, runs, seed: int, exact_limit: int) -> dict:
    """Stratified (and plain random) sampled silhouette vs exact, on the same points."""
    idx = random_sample(len(X), exact_limit, seed)
    Xe = X[idx]
    label_sets = [r.labels[idx] for r in runs]
    started = time.perf_counter()
    exact_values = silhouette_values(Xe, label_sets)
    exact_seconds = time.perf_counter() - started
    out = {"exact_on": len(idx), "exact_seconds": round(exact_seconds, 1), "runs": []}
    for run, labels, values in zip(runs, label_sets, exact_values, strict=True):
        keep = labels != NOISE
        exact = float(values[keep].mean())
        s_idx, weights = stratified_sample(labels[keep], SAMPLE_SIZE, seed)
        strat = float(np.average(silhouette_values(Xe[keep][s_idx], [labels[keep][s_idx]])[0], weights=weights))
        r_idx = random_sample(int(keep.sum()), len(s_idx), seed)
        plain_labels = labels[keep][r_idx]
        plain = (float(silhouette_values(Xe[keep][r_idx], [plain_labels])[0].mean())
                 if len(np.unique(plain_labels)) > 1 else float("nan"))
        out["runs"].append({"run": f"{run.algorithm} k={run.k or run.n_clusters}", "exact": round(exact, 4),
                            "stratified_error": round(abs(strat - exact), 4),
                            "random_error": round(abs(plain - exact), 4), "sample": len(s_idx)})
    return out


def bench_one(n_points: int, exact_limit: int, resamples: int) -> dict:
    X, truth, raw = make_features(n_points)
    rss_data = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    stage_times: dict[str, float] = {}
    last = [time.perf_counter(), None]

    def progress(message: str, fraction: float) -> None:  # time per algorithm from the progress calls
        now = time.perf_counter()
        if last[1] is not None:
            stage_times[last[1]] = stage_times.get(last[1], 0.0) + now - last[0]
        last[0], last[1] = now, message.split(" with ")[0].split(" (")[0].replace("Fitting ", "")
        if message.startswith("Scor"):
            last[1] = "scoring"

    started = time.perf_counter()
    comparison = compare(X, DEFAULT_ALGORITHMS, k_range=(2, 10), seed=42, context=raw, progress=progress)
    compare_seconds = time.perf_counter() - started
    started = time.perf_counter()
    rec = recommend(comparison, X, context=raw)
    recommend_seconds = time.perf_counter() - started
    chosen = comparison.get(rec.algorithm, rec.k)
    started = time.perf_counter()
    stab = stability(X, rec.algorithm, rec.k, 42, None, chosen.labels, n_resamples=resamples)
    stability_seconds = time.perf_counter() - started
    rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    from sklearn.metrics import adjusted_rand_score

    check = [chosen] + [r for r in comparison.runs if r.status == "ok" and
                        ((r.algorithm == "kmeans" and r.k == 10) or r.algorithm == "hdbscan")]
    errors = silhouette_errors(X, check, 7, min(n_points, exact_limit))
    return {
        "n_points": n_points,
        "compare_seconds": round(compare_seconds, 1),
        "recommend_seconds": round(recommend_seconds, 1),
        "per_stage_seconds": {k: round(v, 1) for k, v in stage_times.items()},
        "runs": len(comparison.runs),
        "status": pd.Series([r.status for r in comparison.runs]).value_counts().to_dict(),
        "recommended": f"{rec.algorithm} k={rec.k}",
        "ari_vs_planted": round(float(adjusted_rand_score(truth, chosen.labels)), 3),
        "stability_seconds": round(stability_seconds, 1),
        "stability": {"ari_mean": round(stab.ari_mean, 3), "verdict": stab.verdict,
                      "resample_size": stab.resample_size, "resamples": stab.n_resamples},
        "rss_after_data_mb": round(rss_data), "rss_peak_mb": round(rss_peak),
        "silhouette": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--exact-limit", type=int, default=30_000,
                        help="exact silhouette on at most this many points (a seeded subset above it)")
    parser.add_argument("--resamples", type=int, default=10)
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(bench_one(args.worker, args.exact_limit, args.resamples)))
        return
    for n_points in args.sizes:
        cmd = [sys.executable, __file__, "--worker", str(n_points), "--exact-limit", str(args.exact_limit),
               "--resamples", str(args.resamples)]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(f"n = {n_points:,}: failed\n{done.stderr[-2000:]}")
            continue
        result = json.loads(done.stdout.strip().splitlines()[-1])
        print(json.dumps(result, indent=2))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
