"""The image page in a real browser: a deep link on a fresh server trains on the built-in
digits, and the sample grid picture changes as the generator learns."""

from __future__ import annotations

import base64
import re
import time

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.browser.labels import VIEWPORTS, clipped_labels
from tests.browser.test_playground_browser import STEP_TEXT, press_play, step_count, wait_for_step_above

pytestmark = pytest.mark.browser


def live_grid_src(page) -> str:
    """The src of the live generator's grid picture (a new media URL whenever it is redrawn)."""
    for figure in page.locator("[data-testid='stImage']").all():
        caption = figure.inner_text()
        if caption.startswith("Generator at step"):
            return figure.locator("img").get_attribute("src") or ""
    return ""


def grid_bytes(page, src: str) -> bytes:
    """The picture's bytes: Streamlit serves a picture by URL, or inlines a small one as a data: URL."""
    if src.startswith("data:"):
        return base64.b64decode(src.split(",", 1)[1])
    return page.request.get(src).body()


def test_images_page_trains_on_built_in_digits_and_the_grid_changes(page, fresh_server):
    # Tiny nets so a CPU shared with other jobs still trains a few steps a second.
    page.goto(f"{fresh_server.url}/Images?w=8&nd=16&bs=16")
    page.get_by_role("heading", name="Image GAN").wait_for(timeout=60_000)
    page.get_by_text(STEP_TEXT).first.wait_for(timeout=60_000)
    assert step_count(page) == 0
    page.get_by_text("EMA generator at step 0").wait_for(timeout=30_000)
    first_src = live_grid_src(page)
    assert first_src
    first = grid_bytes(page, first_src)

    press_play(page)
    wait_for_step_above(page, 5)
    # The grid picture is replaced by one of later weights: different pixels.
    deadline = time.monotonic() + 30
    later = first
    while time.monotonic() < deadline and later == first:
        page.wait_for_timeout(500)
        src = live_grid_src(page)
        if src and src != first_src:
            try:
                later = grid_bytes(page, src)
            except Exception:  # the media file was replaced between reading and fetching it
                continue
    assert later != first, "the sample grid did not change while training"
    assert re.search(r"[\d,.]+ images/s", page.inner_text("body"))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "images.png"), full_page=True)
    page.get_by_role("button", name="Pause", exact=True).click()
    page.get_by_role("button", name="Play", exact=True).wait_for(timeout=30_000)
    page.wait_for_url(re.compile(r"run="), timeout=30_000)
    assert "data=digits" in page.url


@pytest.mark.parametrize("width, height", VIEWPORTS)
def test_image_page_buttons_are_readable_at_laptop_widths(browser, app_server, width, height):
    context = browser.new_context(viewport={"width": width, "height": height})
    try:
        page = context.new_page()
        page.goto(f"{app_server.url}/Images?w=8&nd=8&bs=8")
        page.get_by_text(STEP_TEXT).first.wait_for(timeout=60_000)
        page.get_by_role("button", name="G step", exact=True).wait_for(timeout=30_000)
        # The sidebar's preset buttons are drawn later in the same rerun than the transport.
        page.get_by_role("button", name="Apply and restart", exact=True).wait_for(timeout=30_000)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"images-{width}x{height}.png"))
        labels, clipped = clipped_labels(page, "button")
        assert {"Play", "Step", "D step", "G step", "Reset", "Apply and restart"} <= {label.split("\n")[-1] for label in labels}
        assert clipped == [], f"labels cut off at {width}x{height}: {clipped}"
    finally:
        context.close()
