"""Render the report: Jinja2 templates to HTML, WeasyPrint HTML to PDF.

Autoescaping is on for every .html template and undefined names raise, so user
text (client name, labels) always reaches the page as text and a template typo
fails loudly. Output is deterministic: no random ids, and the only clock read is
the report date: ``report.date`` when set, else the day the report is made
(UTC), so the same inputs on the same day (or with ``report.date`` pinned)
give the same HTML bytes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from engine.formatting import iso_date
from engine.project import ReportSpec
from engine.report import TEMPLATE_DIR
from engine.report.filters import FILTERS

_ENV: Environment | None = None


def environment() -> Environment:
    """The report's Jinja environment (created once): autoescape for html, StrictUndefined."""
    global _ENV
    if _ENV is None:
        env = Environment(
            loader=FileSystemLoader(TEMPLATE_DIR),
            autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True, default=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        env.filters.update(FILTERS)
        _ENV = env
    return _ENV


def default_generated_at(result) -> str:
    """The date the report is made: ``report.date`` if set, else today (UTC), never the last date in the data."""
    options = result.project.report
    if options.date:
        return str(options.date)
    return iso_date(datetime.now(UTC).date())


def build_context(
    result, options: ReportSpec | None = None, generated_at: str | None = None, chart_renderer=None,
    charts: list | None = None,
) -> dict:
    """The template context of the whole report (section data included), without rendering.

    ``chart_renderer`` ``(spec, key) -> image`` draws the charts; default
    :func:`engine.report.assets.chart_image` in this process (``RenderPool.chart_image``
    sends them to the rendering workers). ``charts``, when given, receives
    (section key, chart key, spec) of every chart in report order (see engine.report.deck).
    """
    from engine.report.context import ReportContext
    from engine.report.sections import build_report

    options = options if options is not None else result.project.report
    ctx = ReportContext(result=result, options=options, generated_at=generated_at or default_generated_at(result))
    if chart_renderer is not None:
        ctx.chart_renderer = chart_renderer
    if charts is not None:
        ctx.charts = charts
    return build_report(ctx)


def render_html(result, options: ReportSpec | None = None, generated_at: str | None = None) -> str:
    """The report as one self-contained HTML document (styles inline, charts inline SVG).

    Parameters
    ----------
    result : engine.results.AnalysisResult
        The run to report on.
    options : ReportSpec, optional
        Client, title, page size, accent, logo, detail, sections; default ``result.project.report``.
    generated_at : str, optional
        The date printed as "generated"; default the report date or today.
    """
    return render_template(build_context(result, options, generated_at))


def render_template(context: dict) -> str:
    """The report HTML from a context made by :func:`build_context`."""
    return environment().get_template("base.html").render(**context)


def compile_templates() -> None:
    """Compile every report template now (a cold first render spends ~0.25 s compiling them)."""
    env = environment()
    for name in env.list_templates(extensions=("html",)):
        env.get_template(name)


def render_pdf(html: str, base_dir: str | Path | None = None, fetcher=None) -> bytes:
    """The PDF of a rendered report; only data: URIs and files in report_templates/ can be loaded.

    Parameters
    ----------
    html : str
        Output of :func:`render_html`.
    base_dir : path, optional
        Where relative URLs resolve (default report_templates/); the fetcher still refuses
        anything outside report_templates/.
    fetcher : engine.report.fetcher.SafeFetcher, optional
        Pass one to inspect afterwards which URLs were requested (tests do).
    """
    from weasyprint import HTML  # imported here: rendering HTML (the app's preview) does not need it

    from engine.report.fetcher import SafeFetcher

    fetcher = fetcher if fetcher is not None else SafeFetcher(TEMPLATE_DIR)
    base = Path(base_dir) if base_dir is not None else TEMPLATE_DIR
    return HTML(string=html, base_url=base.resolve().as_uri() + "/", url_fetcher=fetcher).write_pdf()
