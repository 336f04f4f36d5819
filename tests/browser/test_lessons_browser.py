"""Lessons in a real browser at 1024x768: a Home card opens step 1 on its page with the panel, Next
opens step 2 with its settings in the link, and the live view still starts on the first screen."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.browser.labels import EVERY_LABEL, clipped_labels

pytestmark = pytest.mark.browser


def _link(page) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlparse(page.url).query).items()}


def test_a_home_card_opens_a_lesson_and_next_moves_on(browser, app_server):
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    page = context.new_page()
    try:
        page.goto(app_server.url)
        card = page.locator(".st-key-lesson_card_mode-collapse").get_by_role("link", name="Start")
        card.wait_for(timeout=60_000)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "lessons-home-1024.png"), full_page=True)
        labels, clipped = clipped_labels(page, EVERY_LABEL)
        assert labels.count("Start") == 6 and not clipped, clipped
        card.click()
        panel = page.locator(".st-key-lesson_panel")
        panel.get_by_text("step 1 of 3").wait_for(timeout=60_000)
        page.get_by_text("Step 0").first.wait_for(timeout=60_000)  # the page's status line: its run is there
        link = _link(page)
        assert (link["lesson"], link["lstep"], link["data"], link["gw"]) == ("mode-collapse", "1", "grid", "16")
        view = page.locator("[data-testid='stMain'] .js-plotly-plot").first  # a paused run's view: a plotly figure
        view.wait_for(timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / "lessons-step1-1024.png"))
        assert view.bounding_box()["y"] < 768  # the lesson panel leaves the live view on the first screen
        panel.get_by_role("button", name="Next").click()
        panel.get_by_text("step 2 of 3").wait_for(timeout=60_000)
        page.wait_for_function("() => new URL(location.href).searchParams.get('lstep') === '2'", timeout=30_000)
        page.wait_for_function("() => new URL(location.href).searchParams.get('gw') === '128'", timeout=60_000)
        assert _link(page)["r1"] == "0.1"
        page.screenshot(path=str(ARTIFACTS / "lessons-step2-1024.png"))
    finally:
        context.close()
