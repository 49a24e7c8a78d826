"""A real browser walks the demo: first page → "Try it with sample data" → report → PDF download.

Starts ``streamlit run streamlit_app.py`` on a free port and drives the system
Chromium through Playwright. Set SEGMENTATION_SHOTS=/some/dir to also save a
screenshot of every page there.
"""

import io
import os
import re
from pathlib import Path

import pytest

from tests.browser.app_server import chromium, running_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture()
def server_url(tmp_path):
    with running_app(tmp_path / "server.log") as url:
        yield url


def _shot(page, name: str) -> None:
    folder = os.environ.get("SEGMENTATION_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        # Streamlit scrolls inside its own container, so a tall viewport shows the whole page
        page.set_viewport_size({"width": 1400, "height": 3600})
        page.wait_for_timeout(8000)  # let lazily loaded widgets and charts draw
        page.screenshot(path=str(Path(folder) / f"{name}.png"))
        page.set_viewport_size({"width": 1400, "height": 1000})


def test_demo_from_first_page_to_pdf(server_url, tmp_path, demo_result):
    from playwright.sync_api import expect
    from pypdf import PdfReader

    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        page.goto(server_url)
        expect(page.get_by_role("heading", name="1 · Data")).to_be_visible(timeout=60_000)
        _shot(page, "0_start")
        page.get_by_role("button", name="Try it with sample data").click()
        expect(page.get_by_role("heading", name="5 · Report")).to_be_visible(timeout=180_000)
        build = page.get_by_role("button", name="Build the PDF")
        expect(build).to_be_visible(timeout=120_000)
        build.click()
        download_button = page.get_by_role("button", name="PDF report")
        expect(download_button).to_be_visible(timeout=180_000)
        _shot(page, "5_report")
        with page.expect_download(timeout=60_000) as info:
            download_button.click()
        target = tmp_path / "report.pdf"
        info.value.save_as(target)
        # the page was not reset by the download
        expect(page.get_by_role("button", name="PDF report")).to_be_visible()
        if os.environ.get("SEGMENTATION_SHOTS"):
            for number, (slug, heading) in enumerate(
                [("data", "1 · Data"), ("features", "2 · Features"), ("compare", "3 · Compare"),
                 ("label", "4 · Label")], start=1):
                page.get_by_role("link", name=re.compile(rf"^{number}\. ")).click()
                expect(page.get_by_role("heading", name=heading)).to_be_visible(timeout=120_000)
                _shot(page, f"{number}_{slug}")

    data = target.read_bytes()
    assert data.startswith(b"%PDF")
    text = " ".join(" ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages).split())
    names = [label.name for label in demo_result.cluster_labels.values()]
    assert names and all(" ".join(name.split()) in text for name in names), names
    assert "Sample Retail Co." in text
