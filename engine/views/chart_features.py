"""Charts about the features before clustering: one feature's distribution, the correlation matrix.

Split from engine.views.charts (which re-exports them).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.errors import InputError
from engine.views import vegalite as vl
from engine.views.chart_base import PALETTE, WIDTH, _annotated_cells, _title

CORRELATION_MAX_FEATURES = 70  # 70 x 70 cells stays under MAX_ROWS


def distribution_chart(table: pd.DataFrame, feature: str, label: str, unit: str = "customer") -> dict:
    """Histogram of one feature, binned here so any number of rows fits.

    When a few extreme values would squash every other bar into one, values
    above the 99th percentile are counted in the last bar (the subtitle says so).
    """
    if feature not in table.columns:
        raise InputError(f"Column {feature!r} is not in the feature table; choose one of {', '.join(map(str, table.columns))}.")
    raw = pd.to_numeric(table[feature], errors="coerce").to_numpy(dtype=float)
    values = raw[np.isfinite(raw)]
    if values.size == 0:
        raise InputError(f"Column {feature!r} has no numeric values to plot; choose another feature.")
    low, high = float(values.min()), float(values.max())
    cap, n_capped = high, 0
    q99 = float(np.quantile(values, 0.99))
    if high - q99 > q99 - low > 0:  # the top 1% spans more than the other 99%
        cap, n_capped = q99, int((values > q99).sum())
    if cap == low:
        edges = np.array([low - 0.5, low + 0.5])
    else:
        edges = np.histogram_bin_edges(np.clip(values, low, cap), bins="auto")
        edges = edges if len(edges) <= 41 else np.linspace(low, cap, 41)
    counts, edges = np.histogram(np.clip(values, low, cap), bins=edges)
    data = pd.DataFrame({"start": edges[:-1].round(6), "end": edges[1:].round(6), "count": counts})
    plural = f"{unit}s"
    subtitle = f"{values.size:,} {plural}"
    if n_capped:
        subtitle += f"; {n_capped:,} above {cap:,.4g} are counted in the last bar"
    if values.size < raw.size:
        subtitle += f"; {raw.size - values.size:,} missing left out"
    return vl.spec(
        _title(f"Distribution of {label}", subtitle), {"bins": vl.records(data)}, data={"name": "bins"},
        mark={"type": "bar", "color": PALETTE[0], "stroke": "white", "strokeWidth": 0.5},
        encoding={
            "x": vl.quantitative("start", bin="binned", title=label),
            "x2": {"field": "end"},
            "y": vl.quantitative("count", title=f"Number of {plural}"),
            "tooltip": [vl.quantitative("start", title="from"), vl.quantitative("end", title="to"), vl.quantitative("count")],
        },
        width=WIDTH - 80, height=200,
    )


def correlation_chart(
    table: pd.DataFrame, features: list[str], labels: dict[str, str] | None = None, method: str = "pearson"
) -> dict:
    """Correlation matrix of the features (Pearson or Spearman) with the values written in."""
    if method not in ("pearson", "spearman"):
        raise InputError(f"Correlation method {method!r} is unknown; choose pearson or spearman.")
    missing = [f for f in features if f not in table.columns]
    if missing:
        raise InputError(f"Column {missing[0]!r} is not in the feature table; choose from {', '.join(map(str, table.columns))}.")
    if not 2 <= len(features) <= CORRELATION_MAX_FEATURES:
        raise InputError(f"{len(features)} features were given; choose between 2 and {CORRELATION_MAX_FEATURES} to correlate.")
    labels = labels or {}
    numeric = table[list(features)].apply(pd.to_numeric, errors="coerce")
    matrix = numeric.corr(method=method)
    names = [labels.get(f, f) for f in features]
    rows = [
        {"a": labels.get(a, a), "b": labels.get(b, b), "value": round(float(matrix.loc[a, b]), 2)}
        for a in features for b in features if pd.notna(matrix.loc[a, b])
    ]
    position = {
        "x": vl.nominal("a", sort=names, title=None, axis={"labelAngle": -35, "labelAlign": "left", "orient": "top"}),
        "y": vl.nominal("b", sort=names, title=None),
    }
    side = min(WIDTH - 140, 45 * len(features))
    subtitle = f"{method.capitalize()} correlation over {len(numeric):,} rows"
    if len(rows) < len(features) ** 2:
        subtitle += "; blank cells: a feature without variation"
    return vl.spec(
        _title("Correlation between features", subtitle), {"correlations": rows}, data={"name": "correlations"},
        layer=_annotated_cells(
            position, vl.quantitative("value", title="Correlation", scale={"scheme": "blueorange", "domain": [-1, 1]}),
            text_format=".2f", font_size=10 if len(features) <= 12 else 7, white_above=0.65,
        ),
        width=side, height=side,
    )

