"""The client report: section builders, Jinja templates to HTML, WeasyPrint to PDF, and exports.

Typical use::

    from engine.report import render_html, render_pdf
    html = render_html(result, result.project.report)
    pdf = render_pdf(html)

Names are loaded on first use, so ``from engine.report.sections import SECTIONS``
(the app's section picker) does not import WeasyPrint.
"""

from importlib import import_module
from pathlib import Path

TEMPLATE_DIR = Path(__file__).resolve().parent.parent.parent / "report_templates"  # partials and print CSS

_EXPORTS = {
    "SECTIONS": "engine.report.sections",
    "assignments_csv": "engine.report.exports",
    "profiles_csv": "engine.report.exports",
    "summary_dict": "engine.report.exports",
    "render_html": "engine.report.render",
    "render_pdf": "engine.report.render",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'engine.report' has no attribute {name!r}")
