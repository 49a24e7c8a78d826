"""What every chart shares: the size limits, the palettes and the small spec helpers.

Split from engine.views.charts (which re-exports the public names): cluster ``c`` always
gets ``PALETTE[c]``, noise is grey and called "Unassigned".
"""

from __future__ import annotations

import json
import textwrap

from engine.formatting import cluster_name
from engine.results import NOISE
from engine.views import vegalite as vl

MAX_ROWS = 5000  # Altair's default limit on inline rows per chart
WIDTH = 520
# Tableau 10, then its lighter companions: clusters 0..19 get distinct colours.
PALETTE = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
    "#a0cbe8", "#ffbe7d", "#ff9d9a", "#86bcb6", "#8cd17d", "#f1ce63", "#d4a6c8", "#fabfd2", "#d7b5a6", "#79706e",
)
NOISE_COLOR = "#c7c7c7"
LABEL_LINE_CHARS = 16  # segment names longer than this are wrapped onto several lines on axes and legends
ALGORITHM_PALETTE = ("#1f4e79", "#c55a11", "#548235", "#7030a0", "#bf9000", "#2e75b6", "#843c0c", "#7f7f7f")


def cluster_color(cluster: int) -> str:
    """The fixed colour of a cluster id in every chart."""
    return NOISE_COLOR if cluster == NOISE else PALETTE[cluster % len(PALETTE)]



# ---- helpers ---------------------------------------------------------------


def _annotated_cells(position: dict, color: dict, text_format: str, font_size: int, white_above: float) -> list[dict]:
    """Coloured rectangles with their value written in, white on the darkest cells."""
    return [
        {"mark": {"type": "rect", "stroke": "white", "strokeWidth": 1}, "encoding": {**position, "color": color}},
        {"mark": {"type": "text", "fontSize": font_size}, "encoding": {
            **position,
            "text": vl.quantitative("value", format=text_format),
            "color": {"condition": {"test": f"abs(datum.value) > {white_above:g}", "value": "white"}, "value": "#222"},
        }},
    ]


def wrapped_lines(name: str, width: int = LABEL_LINE_CHARS) -> list[str]:
    """A label cut at spaces into lines of at most ``width`` characters (a longer word gets a line of its own)."""
    return textwrap.wrap(str(name), width, break_long_words=False) or [str(name)]


def wrap_label_expr(names, width: int = LABEL_LINE_CHARS) -> str | None:
    """A Vega ``labelExpr`` that prints each long name on several lines (None when every name fits on one).

    The lines are looked up in a JSON object literal keyed by the name, so segment
    names reach the expression as quoted strings, never as code.
    """
    mapping = {str(n): lines for n in names if len(lines := wrapped_lines(n, width)) > 1}
    if not mapping:
        return None
    return f"{json.dumps(mapping, ensure_ascii=True)}[datum.label] || datum.label"


def _category_axis(names: list[str], limit: int = 140, width: int = WIDTH - 80) -> dict:
    """Horizontal labels, wrapped onto several lines, when they fit side by side; slanted otherwise.

    ``width`` is the plot's width in px; a label may use its share of it (about 5.6 px per character of a 10 px label).
    """
    names = [str(n) for n in names]
    if names:
        chars = max(6, min(LABEL_LINE_CHARS + 4, int(width / len(names) / 5.6)))
        lines = [wrapped_lines(n, chars) for n in names]
        if len(names) <= 8 and all(len(x) <= 4 and max(map(len, x)) <= chars for x in lines):
            axis = {"labelAngle": 0, "labelLimit": max(limit, int(width / len(names)))}
            expr = wrap_label_expr(names, chars)
            return {**axis, "labelExpr": expr, "labelLineHeight": 11} if expr else axis
    return {"labelAngle": -30, "labelAlign": "right", "labelLimit": max(limit, 300)}


def _percent(share: float) -> str:
    """Bar label: whole percent, one decimal below 1% (a 0.15% cluster must not read as 0%)."""
    if share == 0 or abs(share) >= 0.01:
        return f"{share:.0%}"
    return f"{share:.1%}" if abs(share) >= 0.001 else "<0.1%"


def _metric_title(metric: str, registry: dict) -> tuple[str, str]:
    entry = registry.get(metric)
    if entry is None:
        return metric.replace("_", " ").capitalize(), ""
    return entry.short_title, entry.direction + ("; look for the elbow" if metric == "inertia" else "")


def _ordered_ids(clusters) -> list[int]:
    ids = sorted({int(c) for c in clusters})
    return [c for c in ids if c != NOISE] + ([NOISE] if NOISE in ids else [])


def _display_names(ids: list[int], names: dict[int, str] | None) -> dict[int, str]:
    """Cluster id -> legend name; a repeated name gets its id appended so legends stay one-to-one."""
    display, seen = {}, set()
    for c in ids:
        name = cluster_name(c, names)
        display[c] = f"{name} ({c})" if name in seen else name
        seen.add(display[c])
    return display


def _cluster_color_encoding(display: dict[int, str], legend: bool = True) -> dict:
    scale = {"domain": list(display.values()), "range": [cluster_color(c) for c in display]}
    expr = wrap_label_expr(display.values(), LABEL_LINE_CHARS + 6) if legend else None
    shown = ({"labelExpr": expr, "labelLimit": 220} if expr else {}) if legend else None
    return vl.nominal("cluster", scale=scale, title="Cluster", legend=shown)


def _title(text: str, subtitle: str) -> dict:
    return {"text": text, "subtitle": subtitle}


def _message_chart(title: str, message: str) -> dict:
    return vl.spec(
        title, {"message": [{"message": message}]}, data={"name": "message"},
        mark={"type": "text", "fontSize": 12, "color": "#555"}, encoding={"text": vl.nominal("message")},
        width=WIDTH - 80, height=60,
    )
