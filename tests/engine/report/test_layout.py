"""The laid-out pages (WeasyPrint boxes): nothing runs past the right margin, figure tiles stay on one line."""

from __future__ import annotations

import copy
from dataclasses import replace

import pytest

LONG_NAMES = ["Premium occasional buyers of home decor", "Lapsed / hibernating weekend shoppers",
              "New customers from the spring campaign", "Bulk buyers", "Champions"]


def _boxes(box):
    yield box
    for child in getattr(box, "children", None) or []:
        yield from _boxes(child)


@pytest.fixture(scope="module", params=["client", "full"])
def pages(request, demo_result):
    """The demo report (client and full) laid out, with long segment names (they widened tables, cut labels)."""
    from weasyprint import HTML

    from engine.report import TEMPLATE_DIR
    from engine.report.fetcher import SafeFetcher
    from engine.report.render import render_html

    result = copy.copy(demo_result)
    result.cluster_labels = {c: replace(label, name=LONG_NAMES[i % len(LONG_NAMES)])
                             for i, (c, label) in enumerate(sorted(demo_result.cluster_labels.items()))}
    html = render_html(result, replace(result.project.report, detail=request.param))
    document = HTML(string=html, base_url=TEMPLATE_DIR.resolve().as_uri() + "/",
                    url_fetcher=SafeFetcher(TEMPLATE_DIR)).render()
    return document.pages


def test_no_box_runs_past_the_right_margin_on_any_page(pages):
    over = []
    for number, page in enumerate(pages, 1):
        page_box = page._page_box
        right = page_box.content_box_x() + page_box.width
        for box in _boxes(page_box):
            if box is page_box or getattr(box, "element_tag", None) in (None, "html", "body"):
                continue
            if not hasattr(box, "position_x") or box.width is None:
                continue
            edge = box.position_x + box.margin_width() - (box.margin_right or 0)
            if edge > right + 0.5:  # half a CSS px of rounding
                element = box.element
                over.append((number, box.element_tag, element.get("class") if element is not None else None,
                             round((edge - right) * 25.4 / 96, 1)))
    assert not over, over[:10]


def test_text_figures_in_tiles_stay_on_one_line(pages, request):
    values = [box for page in pages for box in _boxes(page._page_box)
              if getattr(box, "element_tag", None) == "div"
              and "value" in (box.element.get("class") or "").split() and "long" in (box.element.get("class") or "")]
    if "full" in request.node.callspec.id:  # the full report's chosen-model tiles; the client body has none
        assert values, "the chosen model's 'k-means, k = 5' tile is drawn with the long-value style"
    for box in values:
        texts = [t for t in _boxes(box) if type(t).__name__ == "TextBox"]
        assert texts and len({round(t.position_y) for t in texts}) == 1, [(t.text, t.position_y) for t in texts]
