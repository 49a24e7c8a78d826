"""First "Try it with sample data" click on a freshly started server, timed in a real browser.

    python bench/bench_app_start.py              # 3 fresh servers, one click each
    python bench/bench_app_start.py --runs 1 --second
    python bench/bench_app_start.py --both --settle 20   # with and without the warm start, interleaved

Each run starts ``streamlit run streamlit_app.py`` (tests/browser/app_server.py),
opens the first page in Chromium through Playwright, waits ``--settle`` seconds
(an analyst reading the first page; the warm-up runs meanwhile), clicks the demo
button and times until the Report page's "Build the PDF" button shows. With
``--second`` the same browser page clicks the button once more (the warm figure);
``--no-warm`` switches the server's warm start off (app_support/warmup.py), the
figure before it existed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser.app_server import CHROMIUM, CHROMIUM_ARGS, running_app  # noqa: E402

LONG = 300_000  # ms


def _click_demo(page) -> float:
    from playwright.sync_api import expect

    started = time.perf_counter()
    page.get_by_role("button", name="Try it with sample data").click()
    expect(page.get_by_role("heading", name="5 · Report")).to_be_visible(timeout=LONG)
    expect(page.get_by_role("button", name="Build the PDF")).to_be_visible(timeout=LONG)
    return time.perf_counter() - started


def one_run(settle: float, second: bool, warm: bool) -> tuple[float, float, float | None]:
    from playwright.sync_api import expect, sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        env = {"SEGMENTATION_STORE_DIR": str(tmp_path / "store"), "SEGMENTATION_WARM": "1" if warm else "0"}
        started = time.perf_counter()
        with running_app(tmp_path / "server.log", env) as url, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.goto(url)
                expect(page.get_by_role("heading", name="1 · Data")).to_be_visible(timeout=LONG)
                first_page = time.perf_counter() - started
                time.sleep(settle)
                first = _click_demo(page)
                again = _click_demo(page) if second else None
            finally:
                browser.close()
    return first_page, first, again


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--settle", type=float, default=10.0, help="seconds between first page and click")
    parser.add_argument("--second", action="store_true", help="also time a second click on the same server")
    parser.add_argument("--no-warm", action="store_true", help="switch the warm start off (SEGMENTATION_WARM=0)")
    parser.add_argument("--both", action="store_true",
                        help="each run: one server without the warm start, then one with it (fair under load)")
    args = parser.parse_args()
    modes = [False, True] if args.both else [not args.no_warm]
    firsts: dict[bool, list[float]] = {mode: [] for mode in modes}
    for run in range(1, args.runs + 1):
        for warm in modes:
            first_page, first, again = one_run(args.settle, args.second, warm)
            firsts[warm].append(first)
            extra = f", second click {again:.1f} s" if again is not None else ""
            print(f"run {run} ({'warm start' if warm else 'no warm start'}): first page after {first_page:.1f} s, "
                  f"first demo click {first:.1f} s{extra}", flush=True)
    for warm, times in firsts.items():
        print(f"{'warm start' if warm else 'no warm start'}: first demo click median {statistics.median(times):.1f} s, "
              f"min {min(times):.1f} s, max {max(times):.1f} s over {len(times)} fresh servers "
              f"(settle {args.settle:.0f} s)")


if __name__ == "__main__":
    main()
