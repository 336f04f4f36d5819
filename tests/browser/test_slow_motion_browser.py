"""The slow-motion step in a real browser: take one, click through, let auto-play advance it."""

from __future__ import annotations

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.browser.labels import clipped_labels
from tests.browser.test_playground_browser import open_playground, step_count

pytestmark = pytest.mark.browser


def progress(page, text: str) -> None:
    page.get_by_text(text).first.wait_for(timeout=30_000)


def test_take_walk_and_auto_play_a_slow_motion_step(page, app_server):
    page.set_viewport_size({"width": 1024, "height": 768})
    open_playground(page, app_server, "?gw=16&dw=16&gl=1&dl=1")
    assert step_count(page) == 0
    page.get_by_text("Slow-motion step", exact=True).first.click()  # open the expander
    page.get_by_role("button", name="Take a slow-motion step", exact=True).click()
    progress(page, "Sub-step 1 of 11: draw a real batch and noise")
    page.wait_for_function("/Step 1 ·/.test(document.body.innerText)", timeout=30_000)
    for n, title in ((2, "G makes fakes"), (3, "D scores both")):
        page.get_by_role("button", name="Next", exact=True).click()
        progress(page, f"Sub-step {n} of 11: {title}")
    assert "Mean P(real)" in page.content()
    page.get_by_role("button", name="Previous", exact=True).click()
    progress(page, "Sub-step 2 of 11: G makes fakes")
    page.get_by_role("button", name="Auto-play", exact=True).click()  # a sub-step every 2 s
    progress(page, "Sub-step 3 of 11: D scores both")
    progress(page, "Sub-step 4 of 11: D's loss")
    page.get_by_role("button", name="Stop auto-play", exact=True).click()
    assert step_count(page) == 1  # replaying trains nothing
    labels, clipped = clipped_labels(page, "[data-testid='stExpander'] button")
    assert {"Next", "Previous", "Another slow-motion step"} <= {label for label in labels}, labels
    assert not clipped, clipped
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.get_by_text("Sub-step").first.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "slow_motion_1024.png"))
