"""A real browser: the analysis survives a reload and a second tab, forged links start clean,
and a comparison keeps running while the analyst is on another page.

The server gets its own store folder and writes its log to a file, where every background run
it starts is logged ("Started background run: <label>").
"""

import re

import pytest

from tests.browser.app_server import chromium, running_app
from tests.browser.test_demo_browser import _shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]
LONG = 240_000  # ms; the machine running the tests may be busy


@pytest.fixture()
def server(tmp_path):
    log_path = tmp_path / "server.log"
    env = {"SEGMENTATION_STORE_DIR": str(tmp_path / "store")}
    with running_app(log_path, env, ("--logger.level", "info")) as url:
        yield url, log_path, tmp_path / "store"


def _token(url: str) -> str:
    found = re.search(r"[?&]analysis=([A-Za-z0-9_-]+)", url)
    assert found, url
    return found.group(1)


def _step(page, number: int, status: str):
    return page.get_by_role("link", name=re.compile(rf"\b{number}\. \w+ — {status}$"))


def test_reload_and_second_tab_keep_the_analysis_and_a_forged_link_starts_clean(server):
    from playwright.sync_api import expect

    url, _, store = server
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.goto(url)
        expect(page.get_by_role("heading", name="1 · Data")).to_be_visible(timeout=60_000)
        page.get_by_role("button", name="Try it with sample data").click()
        expect(page.get_by_role("heading", name="5 · Report")).to_be_visible(timeout=LONG)
        page.get_by_role("button", name="Build the PDF").click()
        expect(page.get_by_role("button", name="PDF report")).to_be_visible(timeout=LONG)
        token = _token(page.url)
        assert (store / token / "project.json").is_file()

        page.reload()  # F5
        expect(page.get_by_role("heading", name="5 · Report")).to_be_visible(timeout=60_000)
        for number in range(1, 6):
            expect(_step(page, number, "done")).to_be_visible(timeout=60_000)
        expect(page.get_by_role("button", name="PDF report")).to_be_visible(timeout=60_000)
        assert _token(page.url) == token
        _shot(page, "persist_after_reload")

        other = context.new_page()  # the same link in a second tab
        other.goto(page.url)
        expect(other.get_by_role("heading", name="5 · Report")).to_be_visible(timeout=60_000)
        expect(_step(other, 4, "done")).to_be_visible(timeout=60_000)
        expect(other.get_by_role("button", name="PDF report")).to_be_visible(timeout=60_000)
        addresses = []  # every address the tab shows from here on, page switches included
        other.on("framenavigated", lambda frame: addresses.append(frame.url) if frame == other.main_frame else None)
        expect(_step(other, 4, "done")).to_have_attribute("href", re.compile(rf"[?&]analysis={token}(?![\w-])"))
        _step(other, 4, "done").click()
        expect(other.get_by_role("heading", name="4 · Label")).to_be_visible(timeout=60_000)
        next_link = other.get_by_role("link", name="Next: build the report")
        expect(next_link).to_have_attribute("href", re.compile(rf"[?&]analysis={token}(?![\w-])"), timeout=60_000)
        next_link.click()
        expect(other.get_by_role("heading", name="5 · Report")).to_be_visible(timeout=60_000)
        assert _token(other.url) == token  # page switches keep the token in the URL ...
        assert addresses and all(_token(a) == token for a in addresses), addresses  # ... at every moment
        other.close()

        forged = "A" * 43
        page.goto(f"{url}/?analysis={forged}")
        expect(page.get_by_text("The analysis in this link has expired or does not exist, so a new one was "
                                "started.")).to_be_visible(timeout=60_000)
        expect(page.get_by_role("heading", name="1 · Data")).to_be_visible()
        expect(_step(page, 1, "to do")).to_be_visible()
        page.wait_for_url(re.compile(r"analysis=(?!A{43})[A-Za-z0-9_-]{43}"), timeout=30_000)
        _shot(page, "persist_forged_link")
        assert not (store / forged).exists()


def test_a_comparison_keeps_running_while_the_analyst_is_on_another_page(server, tmp_path):
    from playwright.sync_api import expect

    from tests.real_shapes import write_cd_store_log

    url, log_path, _ = server
    log = write_cd_store_log(tmp_path / "upload", n_customers=600)
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        expect(page.get_by_role("heading", name="1 · Data")).to_be_visible(timeout=60_000)
        page.locator("input[type=file]").first.set_input_files(str(log))
        load = page.get_by_role("button", name="Load 1 file")
        expect(load).to_be_visible(timeout=60_000)
        load.click()
        expect(page.get_by_role("heading", name="Data quality")).to_be_visible(timeout=LONG)
        page.get_by_role("link", name=re.compile(r"^2\. ")).click()
        expect(page.get_by_role("heading", name="Distributions")).to_be_visible(timeout=LONG)
        page.get_by_role("link", name=re.compile(r"^3\. ")).click()
        page.get_by_role("button", name="Run comparison").click()
        main = page.get_by_test_id("stMain")
        expect(main.get_by_text("Comparing algorithms").first).to_be_visible(timeout=60_000)
        expect(main.get_by_text(re.compile(r" · \d+ s$")).first).to_be_visible(timeout=60_000)  # it is running

        page.get_by_role("link", name=re.compile(r"^1\. ")).click()  # leave while it runs
        expect(page.get_by_role("heading", name="1 · Data")).to_be_visible(timeout=60_000)
        sidebar = page.get_by_test_id("stSidebar")
        expect(sidebar.get_by_text("Comparing algorithms")).to_be_visible(timeout=30_000)
        _shot(page, "background_sidebar")

        page.get_by_role("link", name=re.compile(r"^3\. ")).click()  # and come back
        expect(page.get_by_role("heading", name="3 · Compare")).to_be_visible(timeout=60_000)
        expect(page.get_by_role("heading", name="Recommendation")).to_be_visible(timeout=LONG)
        expect(page.get_by_role("heading", name="All runs")).to_be_visible(timeout=60_000)
        expect(_step(page, 3, "done")).to_be_visible(timeout=60_000)
        expect(page.get_by_role("button", name=re.compile("Run comparison"))).to_have_count(0)

    started = re.findall(r"Started background run: Comparing algorithms", log_path.read_text(errors="replace"))
    assert len(started) == 1, log_path.read_text(errors="replace")[-3000:]


def test_a_deep_link_as_the_servers_first_request_opens_the_step_inside_the_app(server):
    """The first run of a server process starts in Streamlit's old ``pages/`` mode; the step still gets its frame."""
    from playwright.sync_api import expect

    url, _, _ = server
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/label")  # nothing has run on this server yet
        expect(page.get_by_role("heading", name="4 · Label")).to_be_visible(timeout=60_000)
        for number in range(1, 6):
            expect(_step(page, number, "to do")).to_be_visible(timeout=60_000)
        expect(page.get_by_text("finish it first")).to_be_visible()
        _token(page.url)  # the frame gave the session its link
        _step(page, 3, "to do").click()
        expect(page.get_by_role("heading", name="3 · Compare")).to_be_visible(timeout=60_000)
        assert not page.get_by_text("Traceback").count()
