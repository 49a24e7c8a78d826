"""What every chart shares: the size limits, the palettes and the small spec helpers.

Split from engine.charts (which re-exports the public names): cluster ``c`` always
gets ``PALETTE[c]``, noise is grey and called "Unassigned".
"""

from __future__ import annotations

from engine import vegalite as vl
from engine.profiles import cluster_name
from engine.results import NOISE

MAX_ROWS = 5000  # Altair's default limit on inline rows per chart
WIDTH = 520
# Tableau 10, then its lighter companions: clusters 0..19 get distinct colours.
PALETTE = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
    "#a0cbe8", "#ffbe7d", "#ff9d9a", "#86bcb6", "#8cd17d", "#f1ce63", "#d4a6c8", "#fabfd2", "#d7b5a6", "#79706e",
)
NOISE_COLOR = "#c7c7c7"
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


def _category_axis(names: list[str], limit: int = 140) -> dict:
    """Horizontal labels when they fit side by side, slanted otherwise (long segment names overlap)."""
    fits = len(names) <= 6 and max((len(n) for n in names), default=0) * 6 * len(names) <= WIDTH - 40
    if fits:
        return {"labelAngle": 0, "labelLimit": limit}
    return {"labelAngle": -30, "labelAlign": "right", "labelLimit": limit}


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
    return vl.nominal("cluster", scale=scale, title="Cluster", legend={} if legend else None)


def _title(text: str, subtitle: str) -> dict:
    return {"text": text, "subtitle": subtitle}


def _message_chart(title: str, message: str) -> dict:
    return vl.spec(
        title, {"message": [{"message": message}]}, data={"name": "message"},
        mark={"type": "text", "fontSize": 12, "color": "#555"}, encoding={"text": vl.nominal("message")},
        width=WIDTH - 80, height=60,
    )
