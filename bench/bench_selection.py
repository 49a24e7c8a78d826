"""Model-selection benchmark: does the default build recover planted segments as well as an oracle told k?

Usage::

    python bench/bench_selection.py                 # every scenario of bench/scenarios.py
    python bench/bench_selection.py k5-sep6-6k ...  # some of them
    python bench/bench_selection.py --markdown      # the table as Markdown (for bench/README.md)

For each scenario (bench/scenarios.py: true k 3-8, 3,000-20,000 customers,
separated and overlapping segments, whales, single-purchase-heavy bases, the
three-table and the Online Retail shapes, and the bundled sample's own
generator) the files are written to a temporary folder and the **default build**
runs on them exactly as ``python -m engine build`` would (load, default
features, comparison, recommendation). Its adjusted Rand index (ARI) against
the planted segments is compared with an **oracle** that is told the true k: the
better of k-means (ten starts) and a Gaussian mixture on the same feature
matrix. The ratio is the build's ARI over the oracle's; above 1 means the build
beat the oracle (which can happen: the oracle is told k, not the segments).
Scenarios without planted structure check that the build says so.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from scenarios import SCENARIOS, WEAK_SCENARIOS, Scenario, write  # noqa: E402
from sklearn.cluster import KMeans  # noqa: E402
from sklearn.metrics import adjusted_rand_score  # noqa: E402
from sklearn.mixture import GaussianMixture  # noqa: E402

from engine.analysis import steps as pipeline  # noqa: E402
from engine.project import Project  # noqa: E402


def _key(ids) -> list[str]:
    """Ids compared without leading zeros (the Online Retail shape writes numbers)."""
    return [str(v).lstrip("0") or "0" for v in ids]


def run_scenario(s: Scenario, folder: Path) -> dict:
    paths, truth = write(s, folder)
    project = Project()
    project.data.paths = [str(p) for p in paths]
    started = time.perf_counter()
    dataset = pipeline.load(project)
    features = pipeline.build_features(project, dataset)
    comparison = pipeline.run_comparison(project, features)
    recommendation, chosen, _ = pipeline.choose_model(project, features, comparison)
    seconds = time.perf_counter() - started
    planted = pd.Series(truth["segment"].astype(str).to_numpy(), index=_key(truth["CustomerID"]))
    y = planted.reindex(_key(features.table.index)).to_numpy()
    known = pd.notna(y)
    row = {"scenario": s.name, "true_k": s.k, "customers": len(features.X), "chosen": chosen.algorithm,
           "chosen_k": chosen.n_clusters, "weak": recommendation.weak_structure, "seconds": seconds}
    if s.k < 2:
        return row
    build = adjusted_rand_score(y[known], chosen.labels[known])
    kmeans = KMeans(s.k, n_init=10, random_state=0).fit_predict(features.X)
    gmm = GaussianMixture(s.k, random_state=0, n_init=2).fit(features.X).predict(features.X)
    oracle = max(adjusted_rand_score(y[known], kmeans[known]), adjusted_rand_score(y[known], gmm[known]))
    return {**row, "ari": build, "oracle": oracle, "ratio": build / oracle}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", help="scenario names (default: all)")
    parser.add_argument("--markdown", action="store_true", help="print the tables as Markdown")
    parser.add_argument("--reseed", type=int, default=0,
                        help="add this to every scenario's seed: fresh draws of the same scenarios (a held-out check)")
    args = parser.parse_args()
    chosen = [replace(s, seed=s.seed + args.reseed) for s in SCENARIOS + WEAK_SCENARIOS
              if not args.names or s.name in args.names]
    rows = []
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for s in chosen:
            rows.append(run_scenario(s, Path(tmp) / s.name))
            r = rows[-1]
            tail = (f"ARI {r['ari']:.3f}  oracle {r['oracle']:.3f}  ratio {r['ratio']:.2f}" if "ratio" in r
                    else f"weak structure flagged: {r['weak']}")
            print(f"{s.name:24s} true k {s.k}  chose {r['chosen']} k = {r['chosen_k']:<3d} {tail}  "
                  f"({r['seconds']:.0f} s)", file=sys.stderr, flush=True)
    planted = pd.DataFrame([r for r in rows if "ratio" in r])
    flat = pd.DataFrame([r for r in rows if "ratio" not in r])
    if args.markdown:
        print("| scenario | customers | true k | chosen | ARI | oracle ARI | ratio |")
        print("|---|---|---|---|---|---|---|")
        for r in planted.itertuples():
            print(f"| {r.scenario} | {r.customers:,} | {r.true_k} | {r.chosen} k = {r.chosen_k} | {r.ari:.3f} | "
                  f"{r.oracle:.3f} | {r.ratio:.2f} |")
        for r in flat.itertuples():
            print(f"| {r.scenario} (no planted segments) | {r.customers:,} | 1 | {r.chosen} k = {r.chosen_k} | "
                  f"weak structure flagged: {'yes' if r.weak else 'no'} | | |")
    else:
        print(planted.round(3).to_string(index=False))
        if len(flat):
            print(flat.to_string(index=False))
    if len(planted):
        ratios = planted["ratio"].to_numpy()
        print(f"\n{len(ratios)} scenarios: ratio median {np.median(ratios):.2f}, min {ratios.min():.2f}; "
              f"{(ratios >= 0.95).sum()} at or above 0.95, {(ratios < 0.90).sum()} below 0.90.")


if __name__ == "__main__":
    main()
