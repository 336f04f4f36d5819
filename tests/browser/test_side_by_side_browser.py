"""The side-by-side page in Chromium at 1024x768 (sidebar open): a pair link opens two runs, Play
both trains both, Pause both stops both; transports, views and table on the first screens."""

from __future__ import annotations

import re
import time

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.browser.labels import every_cut_label

pytestmark = pytest.mark.browser
STEP_TEXT = re.compile(r"Step ([\d,]+)")
PAIR_LINK = "/Side_by_side?gw=16&dw=16&gl=1&dl=1&data=grid&b.loss=hinge"
STATUS = "[class*='st-key-p'][class*='_status_line']"  # the runs' status lines (pa_status_line, pb_status_line)


def step_counts(page) -> list[int]:
    texts = page.locator(STATUS).all_inner_texts()
    return [int(STEP_TEXT.search(t).group(1).replace(",", "")) for t in texts if STEP_TEXT.search(t)]


def wait_for_counts(page, ok, timeout: float = 90.0) -> list[int]:
    deadline = time.monotonic() + timeout
    counts: list[int] = []
    while time.monotonic() < deadline:
        try:
            counts = step_counts(page)
        except Exception:  # the fragment is being redrawn
            counts = []
        if len(counts) == 2 and ok(counts):
            return counts
        time.sleep(0.25)
    raise AssertionError(f"step counts {counts} did not reach the condition within {timeout} s")


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


def test_a_pair_link_plays_and_pauses_both_runs_at_1024(browser, app_server):
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    page = context.new_page()
    try:
        page.goto(app_server.url + PAIR_LINK)
        page.get_by_role("heading", name="Side by side").wait_for(timeout=60_000)
        assert wait_for_counts(page, lambda c: c == [0, 0]) == [0, 0]
        page.get_by_text("A and B differ in (A / B): Loss non-saturating / hinge").wait_for(timeout=30_000)
        page.locator("[data-testid='stMain'] [data-testid='stImage']").nth(1).wait_for(timeout=60_000)
        # both transports and both views on the first screen (the table starts under them)
        for selector in (".st-key-pair_both", ".st-key-pa_transport", ".st-key-pb_transport"):
            found = page.locator(selector).bounding_box()
            assert found is not None and found["y"] + found["height"] <= 768, selector
        views = [page.locator("[data-testid='stMain'] [data-testid='stImage']").nth(i).bounding_box() for i in (0, 1)]
        assert all(v is not None and v["y"] + v["height"] <= 768 for v in views), views
        assert views[0]["x"] + views[0]["width"] <= views[1]["x"]  # side by side, not stacked
        assert every_cut_label(page) == []
        shot(page, "side-by-side-1024.png")

        page.get_by_role("button", name=re.compile("Play both")).click()
        first = wait_for_counts(page, lambda c: min(c) > 0)
        wait_for_counts(page, lambda c: c[0] > first[0] and c[1] > first[1])
        table = page.locator("[data-testid='stMain'] table").last
        assert "Modes covered" in table.inner_text() and "Steps/s" in table.inner_text()
        shot(page, "side-by-side-1024-training.png")

        page.get_by_role("button", name=re.compile("Pause both")).click()
        page.locator(".st-key-pa_play").wait_for(timeout=30_000)
        page.locator(".st-key-pb_play").wait_for(timeout=30_000)
        assert page.get_by_role("button", name=re.compile("Play both")).is_enabled()
        paused = wait_for_counts(page, lambda c: min(c) > 0)

        page.reload()  # a new session: it takes both runs back from the link's arun / brun
        page.get_by_role("heading", name="Side by side").wait_for(timeout=60_000)
        assert wait_for_counts(page, lambda c: min(c) > 0) == paused
        page.get_by_text("A and B differ in (A / B): Loss non-saturating / hinge").wait_for(timeout=30_000)
    finally:
        context.close()
