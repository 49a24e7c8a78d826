"""Every chart of the report as files for slides: PNG at print resolution and SVG, named after its section.

The report's sections draw their charts through :meth:`ReportContext.chart`, which
records each spec with the key of the section asking for it; this module names
them ``<section number>-<section key>-<n>`` (``07-characteristics-1.png``) in the
order the report prints them, and renders each twice. A section added to the
registry is exported without any change here.

Typical use::

    charts = deck_charts(result)            # specs only, nothing drawn yet
    write_charts(charts, Path("slides"))    # 2 files per chart
    data = charts_zip(charts)               # or one ZIP for a download button
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from engine.errors import InputError
from engine.project_paths import write_output
from engine.report.assets import ChartImage

PNG_PPI = 216  # pixels per inch in the PNG (vl-convert draws 72 px per inch at scale 1: 3x, print quality)
FORMATS = ("png", "svg")
_ZIP_DATE = (2024, 1, 1, 0, 0, 0)  # fixed timestamps: the same charts give the same ZIP bytes


@dataclass(frozen=True)
class DeckChart:
    """One chart of the report: its file name without extension, its section and its Vega-Lite spec."""

    name: str
    section: str
    spec: dict

    @property
    def title(self) -> str:
        title = self.spec.get("title", "")
        return str(title.get("text", "") if isinstance(title, dict) else title)


def name_charts(recorded: list[tuple[str, str, dict]], numbers: dict[str, int | None]) -> list[DeckChart]:
    """File names for the charts recorded while the report was built, in report order.

    ``recorded`` holds (section key, chart key, spec) as :meth:`ReportContext.chart` saw them;
    ``numbers`` maps a section key to its printed number (None: an unnumbered section, 00) or, in the
    technical appendix, its letter (``B-appendix-models-1``: after the body's numbered files).
    """
    counts: dict[str, int] = {}
    charts = []
    for section, _key, spec in recorded:
        counts[section] = counts.get(section, 0) + 1
        number = numbers.get(section) or 0
        prefix = number if isinstance(number, str) else f"{number:02d}"
        stem = re.sub(r"[^a-z0-9]+", "-", section.lower()).strip("-") or "report"
        charts.append(DeckChart(f"{prefix}-{stem}-{counts[section]}", section, spec))
    return charts


def deck_charts(result, options=None) -> list[DeckChart]:
    """The charts the report on ``result`` includes (its sections and options decide which), not drawn yet."""
    from engine.report.render import build_context

    recorded: list[tuple[str, str, dict]] = []
    context = build_context(result, options, chart_renderer=_not_drawn, charts=recorded)
    return name_charts(recorded, {s["key"]: s["number"] for s in context["sections"]})


def render_chart(chart: DeckChart, fmt: str) -> bytes:
    """One chart as PNG (PNG_PPI pixels per inch) or SVG bytes; nothing is fetched."""
    from engine.views import vegalite

    if fmt == "png":
        return vegalite.to_png(chart.spec, ppi=PNG_PPI)
    if fmt == "svg":
        return vegalite.to_svg(chart.spec).encode("utf-8")
    raise ValueError(f"unknown chart format {fmt!r}; choose png or svg")


def chart_files(charts: list[DeckChart]) -> list[tuple[str, bytes]]:
    """(file name, bytes) of every chart in every format, in report order."""
    return [(f"{chart.name}.{fmt}", render_chart(chart, fmt)) for chart in charts for fmt in FORMATS]


def charts_zip(charts: list[DeckChart]) -> bytes:
    """Every chart file in one ZIP (the app's download); the same charts give the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in chart_files(charts):
            archive.writestr(zipfile.ZipInfo(name, date_time=_ZIP_DATE), data, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def check_charts_folder(path: str | Path) -> Path:
    """The folder for --charts, checked before any work: it may exist (as a folder) or be new in an existing folder."""
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"--charts {path} is a file, not a folder; give a folder for the chart files.")
    parent = folder.parent if str(folder.parent) else Path(".")
    if not folder.exists() and not parent.is_dir():
        raise InputError(f"The folder {parent} for --charts does not exist; create it or choose another path.")
    return folder


def write_charts(charts: list[DeckChart], folder: str | Path) -> list[Path]:
    """Write every chart as PNG and SVG into ``folder`` (created if needed); the paths written, in report order."""
    folder = check_charts_folder(folder)
    folder.mkdir(exist_ok=True)
    paths = []
    for name, data in chart_files(charts):
        path = folder / name
        write_output(path, data)
        paths.append(path)
    return paths


def _not_drawn(spec: dict, key: str) -> ChartImage:
    """A stand-in image: collecting the specs needs no drawing (the templates are not rendered)."""
    return ChartImage("", 0.0, 0.0, False)
