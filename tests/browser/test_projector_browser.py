"""Projector mode in Chromium (issue 25): with present=1, at 1024x768 and 1400x900, the
transport, the live view's figure, the key numbers and the model graph are all on the first
screen with the sidebar folded, and the keyboard steps the run and plays it."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import AppServer
from tests.browser.test_layout_browser import VIEW, box, on_first_screen, shot

pytestmark = pytest.mark.browser
STEP_TEXT = re.compile(r"Step ([\d,]+) ·")
SMALL_TOY = "&gw=16&dw=16&gl=1&dl=1"
SMALL_IMAGES = "&w=8&nd=8&bs=8"
GRAPH = "[data-testid='stMain'] .ganlab-model-graph svg"


@pytest.fixture(scope="module")
def server():
    app = AppServer()
    yield app
    app.stop()


def step_count(page) -> int:
    text = page.get_by_text(STEP_TEXT).first.inner_text()
    return int(STEP_TEXT.search(text).group(1).replace(",", ""))


@pytest.mark.parametrize("path, numbers", [("/Playground?present=1" + SMALL_TOY, "Modes covered"),
                                           ("/Images?present=1" + SMALL_IMAGES, "D(x) / D(G(z))")])
def test_present_1_puts_transport_view_numbers_and_graph_on_the_first_screen(server, sized_page, path, numbers):
    page = sized_page
    page.goto(server.url + path)
    page.get_by_text(STEP_TEXT).first.wait_for(timeout=60_000)
    for name, locator in (("Play", page.get_by_role("button", name=re.compile(r"^Play"))),
                          ("the view", page.locator(VIEW).first),
                          ("the numbers", page.locator(".ganlab-projector-numbers").get_by_text(numbers, exact=True)),
                          ("the graph", page.locator(GRAPH).first),
                          ("the toggle", page.get_by_text("Projector mode", exact=True).first)):
        assert on_first_screen(page, locator), (name, box(locator), page.size)
    assert page.locator("[data-testid='stSidebar'][aria-expanded='true']").count() == 0  # folded
    number = page.locator(".ganlab-projector-numbers .value").first
    assert float(number.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 36
    shot(page, "projector" + path.split("?")[0].replace("/", "-"))


def press_until(page, key: str, shown: re.Pattern, tries: int = 6) -> None:
    """Press `key` until `shown` appears: a key pressed while the page is still being drawn (its
    first runs) reaches no button yet."""
    for _ in range(tries):
        page.keyboard.press(key)
        try:
            page.get_by_text(shown).first.wait_for(timeout=10_000)
            return
        except Exception:  # playwright's TimeoutError: not yet; press again
            continue
    raise AssertionError(f"pressing {key} did not bring {shown.pattern}")


def test_the_keyboard_steps_and_plays_the_run(server, browser):
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    page = context.new_page()
    try:
        page.goto(server.url + "/Playground?present=1" + SMALL_TOY)
        page.get_by_text(STEP_TEXT).first.wait_for(timeout=60_000)
        page.locator(VIEW).first.wait_for(timeout=60_000)
        assert step_count(page) == 0
        press_until(page, "s", re.compile(r"Step [1-9]\d* ·"))  # Step: the count rises
        stepped = step_count(page)
        page.keyboard.press("m")  # a slow-motion step: the run advances by one more
        page.get_by_text(re.compile(rf"Step {stepped + 1} ·")).first.wait_for(timeout=60_000)
        progress = page.get_by_text(re.compile(r"Sub-step 1 of \d+"))
        progress.first.wait_for(timeout=60_000)
        page.keyboard.press("ArrowRight")  # the slow-motion step's next sub-step
        page.get_by_text(re.compile(r"Sub-step 2 of \d+")).first.wait_for(timeout=60_000)
        page.keyboard.press("ArrowLeft")
        progress.first.wait_for(timeout=60_000)
        page.keyboard.press(" ")  # Play ...
        page.get_by_role("button", name=re.compile(r"^Pause")).wait_for(timeout=60_000)
        page.keyboard.press(" ")  # ... and Pause
        page.get_by_role("button", name=re.compile(r"^Play")).wait_for(timeout=60_000)
        assert step_count(page) > 2
    finally:
        context.close()


def test_the_toggle_turns_it_on_and_the_keys_work_at_once(server, browser):
    """Clicked, the sidebar's toggle moves to the transport row: the link gets present=1, the
    sidebar folds, and the keys work without clicking elsewhere first (the focus is not left in
    the toggle's checkbox, where Streamlit ignores shortcuts and Space would turn it off again)."""
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    page = context.new_page()
    page.size = (1024, 768)
    try:
        page.goto(server.url + "/Playground?" + SMALL_TOY[1:])
        page.locator(VIEW).first.wait_for(timeout=60_000)
        page.locator("[data-testid='stSidebar']").get_by_text("Projector mode", exact=True).click()
        page.wait_for_url(re.compile(r"[?&]present=1(&|$)"), timeout=60_000)
        page.locator(GRAPH).first.wait_for(timeout=60_000)
        assert on_first_screen(page, page.locator(GRAPH).first)
        assert page.locator("[data-testid='stSidebar'][aria-expanded='true']").count() == 0
        press_until(page, "s", re.compile(r"Step [1-9]\d* ·"))
        assert "present=1" in page.url
    finally:
        context.close()
