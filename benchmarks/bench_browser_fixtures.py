"""Where a browser test's fixed cost goes: what a fresh server per test costs against a server
shared by a module's tests (tests/browser/conftest.py's `fresh_server` and `app_server`).

Each round starts a server (`streamlit run app.py`) and times:
  start      Popen until /_stcore/health answers;
  first      the first page (/Playground, a new browser context) until its status line is drawn:
             the app's imports, torch, the trainer forkserver's warm-up, the first script run;
  first step a Step click on that page until "Step 1": the first trainer process;
  next page  the same page in a second, fresh context on the now warm server: what a test on a
             shared server waits for instead of start + first;
  next step  its Step click until "Step 1".
It prints the medians over the rounds, the ratio (start + first) / next page, and the load
average (other jobs on the machine slow every figure, the ratio less so).

    python benchmarks/bench_browser_fixtures.py --rounds 3
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.browser.conftest import CHROMIUM_FLAGS, AppServer, _chromium_path  # noqa: E402

STEP_TEXT = re.compile(r"Step ([\d,]+) ·")
QUERY = "/Playground?gw=16&dw=16&gl=1&dl=1"


def open_page(browser, server: AppServer):
    """A new context's page, opened on the playground; (page, seconds until its status line)."""
    page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    began = time.perf_counter()
    page.goto(server.url + QUERY)
    page.get_by_text(STEP_TEXT).first.wait_for(timeout=120_000)
    return page, time.perf_counter() - began


def one_step(page) -> float:
    began = time.perf_counter()
    page.get_by_role("button", name="Step", exact=True).click()
    page.wait_for_function("document.body.innerText.includes('Step 1 ·')", timeout=120_000)
    return time.perf_counter() - began


def one_round(browser) -> dict[str, float]:
    began = time.perf_counter()
    server = AppServer()
    took = {"start": time.perf_counter() - began}
    try:
        page, took["first"] = open_page(browser, server)
        took["first step"] = one_step(page)
        page.context.close()
        page, took["next page"] = open_page(browser, server)
        took["next step"] = one_step(page)
        page.context.close()
    finally:
        server.stop()
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    load_before = os.getloadavg()
    rounds = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_chromium_path(), args=CHROMIUM_FLAGS)
        try:
            for n in range(args.rounds):
                rounds.append(one_round(browser))
                print(f"round {n + 1}: " + ", ".join(f"{k} {v:.1f} s" for k, v in rounds[-1].items()), flush=True)
        finally:
            browser.close()
    median = {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}
    print("median over %d rounds: %s" % (len(rounds), ", ".join(f"{k} {v:.1f} s" for k, v in median.items())))
    fresh = median["start"] + median["first"]
    print(f"a fresh server's start + first page: {fresh:.1f} s; a page on a warm shared server: "
          f"{median['next page']:.1f} s; ratio {fresh / median['next page']:.1f}x")
    print("load average before: %.2f %.2f %.2f, after: %.2f %.2f %.2f" % (*load_before, *os.getloadavg()))


if __name__ == "__main__":
    main()
