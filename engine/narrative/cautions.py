"""The cautions that change how to read the segments, in plain words, for the report and the Compare page.

One function, fed only with the pieces the Compare page also holds (data set,
features, recommendation, chosen run, stability check, cluster names), so the
page's recommendation box and the client report say the same sentences. No
metric names and no project-file keys: the technical version of each fact is
the narrative's ``read_first`` (engine.analysis.steps), shown in the appendix.
"""

from __future__ import annotations

import math

import numpy as np

from engine.formatting import cluster_name, integer, join_words, unit_words
from engine.loading.quality import NO_MONEY
from engine.results import NOISE

SMALL_DATA_UNITS = 300  # fewer units than this: segments may be a few dozen customers
SHORT_WINDOW_DAYS = 180  # a data window shorter than this hides seasonal and slow buyers


def reading_cautions(dataset, features, recommendation, chosen, stability=None,
                     names: dict[int, str] | None = None) -> list[str]:
    """Money not found, no usable or weak structure, fragile model or segments, too little data, a short window.

    ``chosen`` is the run the segments come from (a :class:`engine.results.RunResult`),
    ``stability`` its check (None when skipped) and ``names`` the cluster names
    (cluster id -> name; "Cluster 2" for a missing one).
    """
    many = unit_words(features.unit)[1]
    out = []
    if any(h.startswith(NO_MONEY) for h in dataset.headline):
        out.append("The data holds no money column, so this report describes buying activity only: it gives no "
                   f"revenue figures, and priorities follow the number of {many} instead.")
    rec = recommendation
    if not rec.eligible:
        out.append(f"No grouping of the {many} passed every quality check; the segments shown are the best available, "
                   "so confirm them before large decisions.")
    elif rec.weak_structure:
        out.append(f"The {many} differ by degree rather than falling into clearly separate groups: read the "
                   f"boundaries between segments as approximate, since {many} near a boundary could belong to "
                   "either side.")
    labels = np.asarray(chosen.labels)
    s = stability
    if s is not None:
        if s.verdict == "fragile" and not rec.weak_structure:
            out.append("The segments shift noticeably when the analysis is repeated on resampled data; treat them "
                       "as provisional and confirm them at the next data refresh.")
        segments = sorted(int(c) for c in np.unique(labels) if int(c) != NOISE)
        fragile = [cluster_name(c, names) for c in segments if s.verdicts.get(c) == "fragile"]
        if fragile and s.verdict != "fragile":
            one = len(fragile) == 1
            out.append(f"{join_words(fragile)} {'is' if one else 'are'} less firm than the other segments "
                       f"({'it shifts' if one else 'they shift'} when the analysis is repeated on resampled data); "
                       f"confirm {'it' if one else 'them'} before investing heavily.")
    n_units = int(np.sum(chosen.extra["sizes"])) if "sizes" in chosen.extra else len(labels)  # Spark: labels sampled
    if n_units < SMALL_DATA_UNITS:
        out.append(f"Only {integer(n_units)} {many} were analysed, so a segment may hold just a few dozen "
                   f"{many}; confirm the findings on more data before acting at scale.")
    window = features.window_days
    if window is not None and math.isfinite(window) and window < SHORT_WINDOW_DAYS:
        out.append(f"The data covers only {integer(window)} days, so {many} who buy a few times a year may look "
                   "lapsed or occasional; read recency and frequency with that in mind.")
    return out
