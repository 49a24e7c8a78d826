"""The recommendation in sentences: why the chosen run won, and the warnings that change how to read it.

Every reason quotes its numbers, so a client report can print it as it is;
:func:`describe_run` names a run the same way everywhere ("k-means with k = 5").
The rule itself is :mod:`engine.clustering.selection`; the stability step it reports on is
:mod:`engine.clustering.selection_stability`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from engine.clustering.algorithms import ALGORITHMS
from engine.clustering.metrics import METRICS, RANKED
from engine.clustering.selection_stability import Candidate
from engine.clustering.stability import MODERATE
from engine.formatting import counted
from engine.results import RunResult

if TYPE_CHECKING:
    from engine.clustering.selection import SelectionRule


UNUSABLE_KINDS = {"noise": "too much noise", "large": "a segment too large", "small": "a segment too small"}


def is_weak(best: Candidate, rule: SelectionRule) -> bool:
    """The recommended run shows weak natural structure (the rule's silhouette and bootstrap ARI bands)."""
    silhouette = best.run.metrics["silhouette"]
    unstable = not np.isfinite(best.ari) or best.ari < rule.weak_ari
    return bool(silhouette < rule.no_structure_silhouette or (silhouette < rule.weak_silhouette and unstable))


def describe_run(run: RunResult) -> str:
    """ "k-means with k = 5", or "HDBSCAN (7 clusters)" for methods that find k themselves."""
    label = ALGORITHMS[run.algorithm].label
    return f"{label} with k = {run.k}" if run.k is not None else f"{label} ({run.n_clusters} clusters)"


def _metric_phrase(m: str, value: float, rank: float, noise_share: float, adjusted: float) -> str:
    spec = METRICS[m]
    shown = f"{value:,.0f}" if spec.decimals <= 1 else f"{value:.2f}"  # prose rounds coarser than the tables
    if m == "silhouette" and noise_share > 0:
        shown += f", {adjusted:.2f} counting noise as 0"
    best = "highest" if spec.greater_is_better else "lowest"
    place = best if rank == 1 else f"{_ordinal(int(rank))}-{best}"
    return f"the {place} {spec.in_sentence} ({shown})"


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def recommendation_reasons(best, order, shortlist, table, pool, scored, unusable, eligible, rule,
             comparison) -> tuple[list[str], list[str]]:
    """Sentences on why ``best`` was chosen, and the warnings that change how to read the result.

    ``order`` is the score order; ``shortlist`` the near-equivalent runs checked for stability.
    """
    run = best.run
    row = table.loc[pool.index(best)]
    what = "runs with usable segments" if eligible else "scored runs"
    metrics = RANKED if rule.rank_by == "consensus" else (rule.rank_by,)
    parts = [_metric_phrase(m, row[m], row[f"{m}_rank"], run.noise_share, row["silhouette_ranked"]) for m in metrics]
    listed = parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"
    top = order[0]
    first = f"{describe_run(run)} has {listed} among the {len(pool)} {what} (score {row['score']:.2f} of 1"
    first += ", the best" if best is top else f"; the best is {table['score'].iloc[0]:.2f}"
    first += ")" if rule.rank_by == "consensus" else f"; runs are ranked by the {METRICS[rule.rank_by].in_sentence} alone)"
    if np.isfinite(best.min_jaccard):
        how = "come back" if best.min_jaccard >= rule.solid else "come back only partly"
        first += (f", and its segments {how} when the data is resampled (mean bootstrap ARI {best.ari:.2f}; "
                  f"every segment's Jaccard similarity at least {best.min_jaccard:.2f})")
    reasons = [first + "."]
    if best is not top and best.min_jaccard >= rule.solid and best.split_gain > rule.split_gain:
        fewer = [c for c in shortlist if c.run.n_clusters < run.n_clusters]
        reasons.append(
            f"Runs within {rule.near:.2f} of the best score are near-equivalent on the indices, which lean towards "
            f"fewer segments; of those, this is the one with the most segments ({run.n_clusters}) whose every segment "
            "reproduces in bootstrap resamples and whose neighbouring segments are separate groups"
            + (f", so it is preferred to {describe_run(fewer[0].run)}." if fewer else ".")
        )
    cut = [c for c in shortlist if c.run.n_clusters > run.n_clusters and c.min_jaccard >= rule.solid
           and not c.split_gain > rule.split_gain]
    if cut:
        reasons.append(f"{describe_run(cut[0].run)} also reproduces, but at least one of its segments is one group "
                       "cut in two (no gap between it and its nearest neighbour), so the finer split is not "
                       "recommended.")
    passed = [c for c in shortlist if c is not best and np.isfinite(c.ari) and c.ari < MODERATE
              and order.index(c) < order.index(best)]
    if passed:
        names = "; ".join(f"{describe_run(c.run)} (mean bootstrap ARI {c.ari:.2f})" for c in passed)
        reasons.append(f"Better-scored but fragile runs were passed over because their segments did not come back "
                       f"reliably in bootstrap resamples: {names}.")
    warnings: list[str] = []
    if not eligible:
        caution = (f"No model gave usable segments ({rule.describe_usable()}), so this is the best of the rest "
                   f"and should be treated with caution: {unusable[id(best)][1]}.")
        reasons.insert(0, caution)
        warnings.append(caution)
    else:
        sizes = np.bincount(run.labels[run.labels >= 0]) if run.labels is not None else np.asarray(run.extra["sizes"])
        n = len(run.labels) if run.labels is not None else comparison.n_points
        reasons.append(f"Its smallest segment holds {sizes.min():,} units ({sizes.min() / n:.1%}) and "
                       f"its largest {sizes.max() / n:.0%}; the rule asks for at least "
                       f"{rule.smallest_segment(n):,} units and at most {rule.max_share:.0%}.")
    if run.noise_share > 0:
        reasons.append(f"It leaves {run.noise_share:.1%} of the units as noise (at most {rule.max_noise:.0%} "
                       "allowed); its metrics are computed without them, and they are reported as a group of their own.")
    runner = next((c for c in order if c is not best), None)
    if runner is not None:
        reasons.append(f"The runner-up is {describe_run(runner.run)} "
                       f"(score {table.loc[pool.index(runner), 'score']:.2f}).")
    counts: dict[str, int] = {}
    for c in scored:
        if unusable[id(c)] is not None:
            kind = unusable[id(c)][0]
            counts[kind] = counts.get(kind, 0) + 1
    if counts and eligible:
        listing = ", ".join(f"{counts[kind]} for {UNUSABLE_KINDS[kind]}" for kind in UNUSABLE_KINDS if kind in counts)
        n_unusable = sum(counts.values())
        verb = "was" if n_unusable == 1 else "were"
        reasons.append(f"{counted(n_unusable, 'run')} {verb} not eligible ({listing}).")
    if is_weak(best, rule):
        if np.isfinite(best.ari) and best.ari < rule.weak_ari:
            stab = (f" and its segments come back only partly when the data is resampled (mean bootstrap ARI "
                    f"{best.ari:.2f})")
        elif np.isfinite(best.ari):
            stab = (f" (below {rule.no_structure_silhouette:.2f}: the segments overlap heavily, although the same "
                    "split comes back when the data is resampled)")
        else:
            stab = ""
        warnings.append(
            f"The data has weak natural structure: the best model's silhouette is {run.metrics['silhouette']:.2f}"
            f"{stab}, so the segments are a practical partition of customers who differ by degree, not "
            "distinct groups; read the boundaries between segments as approximate."
        )
    low, high = comparison.k_range
    k = run.k
    if k is not None and k == high and high == (comparison.k_asked or comparison.k_range)[1]:
        warnings.append(f"The recommended k = {k} is the largest in the range tried; widen the range of k "
                        f"(for example to {low}–{high + 5}) to see whether more segments fit the data better.")
    elif k is not None and k == low and low > 2:
        warnings.append(f"The recommended k = {k} is the smallest in the range tried; widen the range of k "
                        f"(for example to 2–{high}) to see whether fewer segments fit the data better.")
    return reasons, warnings
