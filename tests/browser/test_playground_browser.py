"""The 2D playground in a real browser: deep link, play, live charts, pause, live knob change, refresh."""

from __future__ import annotations

import re
import shutil
import time

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.browser.labels import VIEWPORTS, clipped_labels

pytestmark = pytest.mark.browser
STEP_TEXT = re.compile(r"Step ([\d,]+) ·")


def step_count(page) -> int:
    text = page.get_by_text(STEP_TEXT).first.inner_text()
    return int(STEP_TEXT.search(text).group(1).replace(",", ""))


def press_play(page, tries: int = 3, wait_s: float = 25.0) -> None:
    """Click Play until the page shows Pause. A click that lands while the page is still settling (its
    first runs after a load) can be lost: CI's browser runs showed "Step 0 · paused" and Play a minute
    after a click, with nothing in the server log. A user clicks again; so does this helper, at most
    `tries` times, so a page that never starts still fails."""
    play = page.get_by_role("button", name="Play", exact=True)
    pause = page.get_by_role("button", name="Pause", exact=True)
    for _ in range(tries):
        play.click()
        try:
            pause.wait_for(timeout=wait_s * 1000)
            return
        except Exception:  # still Play: the click was lost, or the run is slow to start
            if pause.count():
                return
    raise AssertionError(f"Play did not turn into Pause after {tries} clicks; {_what_the_page_shows(page)}")


def wait_for_step_above(page, value: int, timeout: float = 60.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            current = step_count(page)
        except Exception:  # the element is being re-rendered
            current = -1
        if current > value:
            return current
        time.sleep(0.25)
    raise AssertionError(f"step counter did not pass {value} within {timeout} s; {_what_the_page_shows(page)}")


def _what_the_page_shows(page) -> str:
    """For a failure's message: the page's status lines and buttons, and a screenshot in the artifacts
    (a run that never stepped can be waiting in line, lost its trainer, or be a page that stopped
    refreshing: each reads differently)."""
    try:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / f"no-step-{int(time.time())}.png"
        page.screenshot(path=str(shot), full_page=True)
        text = " | ".join(line for line in page.inner_text("[data-testid='stMain']").splitlines()[:40] if line.strip())
        buttons = [b.inner_text() for b in page.get_by_role("button").all()[:30]]
        return f"screenshot {shot.name}; the page says: {text[:1500]}; buttons: {buttons}"
    except Exception as exc:  # the page itself is gone: say so rather than hide the timeout
        return f"(the page could not be read: {exc!r})"


def open_playground(page, app_server, query: str = "") -> None:
    page.goto(f"{app_server.url}/Playground{query}")
    page.get_by_role("heading", name="2D GAN playground").wait_for(timeout=60_000)
    page.get_by_text(STEP_TEXT).first.wait_for(timeout=60_000)


def test_deep_link_on_a_fresh_server_opens_the_playground(page, fresh_server):
    open_playground(page, fresh_server, "?data=grid&glr=0.0005")
    assert step_count(page) == 0
    # The link's settings reached the widgets, and the page is the real playground.
    page.get_by_role("button", name="Play", exact=True).wait_for(timeout=30_000)
    # data=grid: the coverage meter counts 25 modes.
    page.wait_for_function("/\\d+ \\/ 25/.test(document.body.innerText)", timeout=30_000)
    from playwright.sync_api import expect  # here: without playwright the fixtures skip the test

    # a fresh server's first page can draw the widget once before the link's value reaches it
    expect(page.locator("input[aria-label='Learning rate']").first).to_have_value("0.000500", timeout=15_000)
    assert "Modes covered" in page.content()


def test_play_watch_pause_and_change_learning_rate_live(page, app_server):
    open_playground(page, app_server, "?gw=32&dw=32")
    press_play(page)
    first = wait_for_step_above(page, 0)
    second = wait_for_step_above(page, first)
    assert second > first
    # The four live charts are drawn, and the 2D view (a picture while training runs) keeps changing.
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= 4", timeout=30_000)
    view = page.locator("[data-testid='stMain'] [data-testid='stImage'] img").first
    view.wait_for(timeout=30_000)
    first_src = view.get_attribute("src")
    page.wait_for_function("(src) => { const img = document.querySelector("
                           "\"[data-testid='stMain'] [data-testid='stImage'] img\");"
                           " return img && img.getAttribute('src') !== src && img.complete; }",
                           arg=first_src, timeout=30_000)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "playground.png"), full_page=True)

    # Change the generator's learning rate while training runs.
    lr = page.locator("input[aria-label='Learning rate']").first
    lr.fill("0.000250")
    lr.press("Enter")
    page.wait_for_url(re.compile(r"glr=0\.00025"), timeout=30_000)
    after_change = wait_for_step_above(page, second)
    assert after_change > second, "training should continue, not restart, after a live knob change"
    page.get_by_role("button", name="Pause", exact=True).wait_for(timeout=30_000)

    page.get_by_role("button", name="Pause", exact=True).click()
    page.get_by_role("button", name="Play", exact=True).wait_for(timeout=30_000)
    # A step in flight when Pause was pressed may still land, and a loaded machine may show the
    # status line of the step it paused at a little after the Play button: once the counter has
    # held still for 1.5 s (bounded: a run that kept training never would), it must stay put.
    paused_at, deadline = step_count(page), time.monotonic() + 20
    while time.monotonic() < deadline:
        page.wait_for_timeout(1500)
        now = step_count(page)
        if now == paused_at:
            break
        paused_at = now
    page.wait_for_timeout(1500)
    assert step_count(page) == paused_at
    page.reload()
    page.get_by_text(STEP_TEXT).first.wait_for(timeout=60_000)
    assert step_count(page) == paused_at, "a paused run stays where it is (and a refresh re-attaches to it)"


def test_refresh_reattaches_to_running_training(page, app_server):
    open_playground(page, app_server, "?gw=16&dw=16")
    press_play(page)
    before = wait_for_step_above(page, 5)
    page.reload()
    page.get_by_text(STEP_TEXT).first.wait_for(timeout=60_000)
    assert wait_for_step_above(page, before) > before
    page.get_by_role("button", name="Pause", exact=True).wait_for(timeout=30_000)
    # The widgets show the running run's settings (width 16), not the defaults.
    widths = page.locator("input[aria-label='Width']")
    assert widths.first.input_value() == "16"
    page.get_by_role("button", name="Pause", exact=True).click()
    page.get_by_role("button", name="Play", exact=True).wait_for(timeout=30_000)


def test_structure_change_resets_with_a_notice(page, app_server):
    open_playground(page, app_server, "?gw=16&dw=16")
    page.get_by_role("button", name="Step", exact=True).click()
    page.wait_for_function("document.body.innerText.includes('Step 1 ·')", timeout=30_000)
    page.get_by_label("Seed", exact=True).fill("7")
    page.get_by_label("Seed", exact=True).press("Enter")
    page.get_by_text("You changed the structure (seed)").wait_for(timeout=30_000)
    assert step_count(page) == 1  # nothing lost until confirmed
    page.get_by_role("button", name="Restart with these settings", exact=True).click()
    page.get_by_text("Structure changed (seed): restarted from step 0 with fresh weights. Paused: press Play").wait_for(
        timeout=30_000)
    assert step_count(page) == 0


TRANSPORT = ["Play", "Step", "D step", "G step", "Reset"]


@pytest.mark.parametrize("width, height", VIEWPORTS)
def test_transport_and_preset_buttons_are_readable_at_laptop_widths(browser, app_server, width, height):
    context = browser.new_context(viewport={"width": width, "height": height})
    try:
        page = context.new_page()
        open_playground(page, app_server, "?gw=16&dw=16")
        page.get_by_role("button", name="D step", exact=True).wait_for(timeout=30_000)
        page.get_by_role("button", name="Apply and restart", exact=True).wait_for(timeout=30_000)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"playground-{width}x{height}.png"))
        labels, clipped = clipped_labels(page, "button")
        assert set(TRANSPORT) | {"Apply and restart", "Apply, keep training"} <= {label.split("\n")[-1] for label in labels}
        assert clipped == [], f"labels cut off at {width}x{height}: {clipped}"
    finally:
        context.close()


@pytest.mark.parametrize("width, height", VIEWPORTS)
def test_home_links_are_readable_at_laptop_widths(browser, app_server, width, height):
    context = browser.new_context(viewport={"width": width, "height": height})
    try:
        page = context.new_page()
        page.goto(app_server.url)
        page.get_by_text("Explore the latent space").wait_for(timeout=60_000)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"home-{width}x{height}.png"))
        labels, clipped = clipped_labels(page, "[data-testid='stMain'] [data-testid='stPageLink'] a")
        assert {"Open the 2D playground", "Open the image GAN", "Saved runs", "Explore the latent space"} <= {
            label.split("\n")[-1] for label in labels}
        assert clipped == [], f"links cut off at {width}x{height}: {clipped}"
    finally:
        context.close()


@pytest.fixture(autouse=True, scope="module")
def _keep_screenshot():
    yield
    shot = ARTIFACTS / "playground.png"
    if shot.exists():
        shutil.copy(shot, ARTIFACTS / "playground-latest.png")
