"""Clustering metrics computed in Spark from per-cluster statistics, plus MLlib's silhouette.

Davies-Bouldin, Calinski-Harabasz and inertia need only each cluster's size, centre,
sum of squared distances to its centre and mean distance to it: two aggregations
over the predictions (centres first, then distances to them), whatever the number
of customers. They equal scikit-learn's ``davies_bouldin_score``,
``calinski_harabasz_score`` and the single-machine inertia on the same labels.

The silhouette is MLlib's ``ClusteringEvaluator``, which supports only the
*squared* Euclidean distance (and cosine); scikit-learn's silhouette on one machine
uses the Euclidean distance. The two are different numbers on the same clusters
(squared distances widen the gap between near and far points, so the squared
silhouette is usually higher), so the report states which one it quotes:
:data:`SILHOUETTE_DISTANCE`.
"""

from __future__ import annotations

import numpy as np

SILHOUETTE_DISTANCE = "squaredEuclidean"
SILHOUETTE_NOTE = ("Silhouette computed by Spark MLlib with the squared Euclidean distance (MLlib's only Euclidean "
                   "option); scikit-learn on one machine uses the Euclidean distance, so the two are not comparable.")


def cluster_statistics(predictions, d: int) -> dict[str, np.ndarray]:
    """Per cluster (ids 0..m-1 as found): size, centre, sum of squared distances and sum of distances to the centre.

    Two aggregations, one Spark job each (plus the shuffle's): the centres, then each row's distance to its
    centre, which the second reads from an array of the k centres (constants in the plan: no join).
    """
    from pyspark.sql import functions as F

    xs = [f"x{i}" for i in range(d)]
    rows = sorted(predictions.groupBy("prediction").agg(F.count(F.lit(1)).alias("n"), *[F.avg(x).alias(x) for x in xs])
                  .collect(), key=lambda r: r["prediction"])
    ids = np.array([r["prediction"] for r in rows], dtype=int)
    sizes = np.array([r["n"] for r in rows], dtype=float)
    centres = np.array([[r[x] for x in xs] for r in rows], dtype=float).reshape(len(rows), d)
    table = np.zeros((int(ids.max(initial=0)) + 1, d))  # row = MLlib id (ids with no rows stay 0: never read)
    table[ids] = centres
    cluster = F.col("prediction").cast("int")
    squared = sum(((F.col(f"x{i}") - F.array(*[F.lit(float(v)) for v in table[:, i]])[cluster]) ** 2
                   for i in range(d)), F.lit(0.0))
    spread = predictions.groupBy("prediction").agg(F.sum(squared).alias("sse"), F.sum(F.sqrt(squared)).alias("dist")) \
        .collect()
    by_id = {r["prediction"]: r for r in spread}
    sse = np.array([by_id[i]["sse"] for i in ids], dtype=float)
    dist = np.array([by_id[i]["dist"] for i in ids], dtype=float)
    return {"ids": ids, "sizes": sizes, "centres": centres, "sse": sse, "dist": dist}


def metrics_from_statistics(stats: dict[str, np.ndarray]) -> dict[str, float]:
    """Davies-Bouldin, Calinski-Harabasz and inertia from :func:`cluster_statistics` (scikit-learn's formulas)."""
    sizes, centres, sse, dist = stats["sizes"], stats["centres"], stats["sse"], stats["dist"]
    n, k = sizes.sum(), len(sizes)
    inertia = float(sse.sum())
    if k < 2:
        return {"inertia": inertia}
    intra = dist / sizes  # mean distance of a cluster's points to its centre
    gaps = np.sqrt(((centres[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (intra[:, None] + intra[None, :]) / gaps
    ratio[np.isinf(ratio) | np.isnan(ratio)] = 0.0
    np.fill_diagonal(ratio, 0.0)
    overall = (centres * sizes[:, None]).sum(axis=0) / n
    between = float((sizes * ((centres - overall) ** 2).sum(axis=1)).sum())
    ch = 1.0 if inertia == 0 else between * (n - k) / (inertia * (k - 1))
    return {"davies_bouldin": float(ratio.max(axis=1).mean()), "calinski_harabasz": float(ch), "inertia": inertia}


def silhouette(predictions) -> float:
    """MLlib's silhouette (squared Euclidean distance) of the predictions."""
    from pyspark.ml.evaluation import ClusteringEvaluator

    evaluator = ClusteringEvaluator(featuresCol="features", predictionCol="prediction", metricName="silhouette",
                                    distanceMeasure=SILHOUETTE_DISTANCE)
    return float(evaluator.evaluate(predictions))
