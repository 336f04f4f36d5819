"""Drawing in a real browser: strokes drawn with the mouse on the playground's canvas become the
data that trains (the real points shown lie along the stroke), a link carries the drawing, and
the image page's discriminator scores a digit drawn on its canvas."""

from __future__ import annotations

import re

import numpy as np
import pytest

from tests.browser.conftest import ARTIFACTS
from tests.browser.test_playground_browser import open_playground, press_play, wait_for_step_above

pytestmark = pytest.mark.browser
PlaywrightError = pytest.importorskip("playwright.sync_api").Error
SIDEBAR_CANVAS = "[data-testid='stSidebar'] canvas"
REAL_POINTS = """() => {
  const plot = document.querySelector('[data-testid="stMain"] .js-plotly-plot');
  const trace = plot && plot._fullData && plot._fullData.find(t => t.name === 'Real samples');  // decoded arrays
  return trace && trace.x.length ? {x: Array.from(trace.x), y: Array.from(trace.y)} : null;
}"""


def _drag(page, canvas, points: list[tuple[float, float]]) -> None:
    """A mouse stroke through `points` (fractions of the canvas's width and height)."""
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    at = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in points]
    page.mouse.move(*at[0])
    page.mouse.down()
    for x, y in at[1:]:
        page.mouse.move(x, y, steps=4)
    page.mouse.up()


def _upper_canvas(page, selector: str):
    """fabric.js stacks two canvases; the upper one takes the mouse."""
    canvas = page.locator(selector).last
    canvas.wait_for(timeout=30_000)
    return canvas


def test_a_drawn_stroke_trains_and_the_data_follows_it(page, app_server):
    page.set_viewport_size({"width": 1024, "height": 768})
    open_playground(page, app_server, "?data=drawn&gw=32&dw=32&gl=2&dl=2")
    page.get_by_text("Draw on the canvas").wait_for(timeout=30_000)
    # a diagonal from (-1.8, 1.8) to (1.8, -1.8) in data units: the line y = -x
    _drag(page, _upper_canvas(page, SIDEBAR_CANVAS), [(0.2 + 0.6 * t, 0.2 + 0.6 * t) for t in np.linspace(0, 1, 13)])
    page.wait_for_function("location.search.includes('draw=')", timeout=30_000)
    page.get_by_text(re.compile(r"4,000 points sampled around your drawing \(1 stroke\)")).wait_for(timeout=30_000)
    press_play(page)
    wait_for_step_above(page, 50)
    page.screenshot(path=str(ARTIFACTS / "draw-playground-1024x768.png"))
    page.get_by_role("button", name="Pause", exact=True).click()
    page.wait_for_function(f"({REAL_POINTS})() !== null", timeout=60_000)  # the plotly view, at rest
    real = page.evaluate(REAL_POINTS)
    x, y = np.array(real["x"]), np.array(real["y"])
    assert len(x) == 500
    # the brush was 0.1: every real point is near the line, and they spread along all of it
    assert (np.abs(x + y) / np.sqrt(2)).max() < 0.6
    assert x.min() < -1.5 and x.max() > 1.5
    link = page.url

    # the link alone (another tab, no canvas touched) recreates the drawing's data
    other = page.context.new_page()
    other.goto(re.sub(r"&run=[^&]*", "", link))
    other.get_by_role("heading", name="2D GAN playground").wait_for(timeout=60_000)
    other.get_by_text(re.compile(r"4,000 points sampled around your drawing \(1 stroke\)")).wait_for(timeout=60_000)
    other.wait_for_function(f"({REAL_POINTS})() !== null", timeout=60_000)
    again = other.evaluate(REAL_POINTS)
    np.testing.assert_allclose(again["x"], real["x"], atol=1e-5)
    other.close()


def test_clicked_points_are_modes_and_strokes_join_them(page, app_server):
    page.set_viewport_size({"width": 1400, "height": 900})
    open_playground(page, app_server, "?data=drawn&gw=16&dw=16&gl=1&dl=1")
    page.get_by_text("Points", exact=True).click()
    canvas = _upper_canvas(page, SIDEBAR_CANVAS)
    for n, (fx, fy) in enumerate(((0.25, 0.25), (0.75, 0.25), (0.5, 0.75)), 1):
        canvas.scroll_into_view_if_needed()
        box = canvas.bounding_box()
        page.mouse.click(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
        page.get_by_text(re.compile(rf"drawing \({n} points?\)")).wait_for(timeout=30_000)
    page.wait_for_function("/\\d+ \\/ 3/.test(document.body.innerText)", timeout=30_000)  # modes covered: k / 3
    # a stroke drawn after switching back keeps the points (a prop change redraws the canvas)
    page.get_by_text("Strokes", exact=True).click()
    page.get_by_text(re.compile(r"drawing \(3 points\)")).wait_for(timeout=30_000)
    _drag(page, _upper_canvas(page, SIDEBAR_CANVAS), [(0.2, 0.9), (0.5, 0.9), (0.8, 0.9)])
    page.get_by_text(re.compile(r"drawing \(1 stroke, 3 points\)")).wait_for(timeout=30_000)
    # Clear removes the drawing for good: the next rerun does not bring it back
    page.get_by_role("button", name="Clear", exact=True).click()
    page.get_by_text("Draw on the canvas").wait_for(timeout=30_000)
    page.get_by_text("Points", exact=True).click()
    from playwright.sync_api import expect  # here: without playwright the fixtures skip the test

    expect(page.get_by_role("radio", name="Points")).to_be_checked(timeout=30_000)
    page.get_by_text("Draw on the canvas").wait_for(timeout=30_000)
    assert page.get_by_text("sampled around your drawing").count() == 0


def test_the_discriminator_scores_a_drawn_digit(page, app_server):
    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto(f"{app_server.url}/Images")
    page.get_by_role("heading", name="Ask the discriminator").wait_for(timeout=120_000)
    canvas = _upper_canvas(page, "[data-testid='stMain'] canvas")
    _drag(page, canvas, [(0.5, 0.15), (0.52, 0.5), (0.5, 0.85)])  # a "1"
    page.get_by_text(re.compile(r"P\(real\) at step 0")).wait_for(timeout=60_000)
    page.get_by_text("What D sees").wait_for()
    value = page.locator("[data-testid='stMetricValue']").last.inner_text()
    assert 0.0 <= float(value) <= 1.0
    page.screenshot(path=str(ARTIFACTS / "draw-ask-d-1024x768.png"), full_page=True)


INK_PIXELS = """(c) => {
  // the opaque pixels of fabric's lower canvas, where it draws the objects (the grid is on another)
  const ctx = c.getContext('2d');
  const {data} = ctx.getImageData(0, 0, c.width, c.height);
  let ink = 0;
  for (let i = 0; i < data.length; i += 4) if (data[i + 3] > 200) ink++;
  return ink;
}"""


@pytest.mark.parametrize("width, height", [(1400, 900), (1024, 768)])
def test_the_first_point_after_switching_from_strokes_is_drawn_and_kept(page, app_server, width, height):
    """Issue 22.5: the first click after switching Strokes -> Points was counted in the caption but
    not drawn, and the next click replaced it in the data (the canvas reloaded its initial drawing
    under the click)."""
    page.set_viewport_size({"width": width, "height": height})
    open_playground(page, app_server, "?data=drawn&gw=16&dw=16&gl=1&dl=1")
    page.get_by_text("Draw on the canvas").wait_for(timeout=30_000)
    _drag(page, _upper_canvas(page, SIDEBAR_CANVAS), [(0.1, 0.9), (0.3, 0.9), (0.45, 0.9)])  # along y = -2.2
    page.get_by_text(re.compile(r"drawing \(1 stroke\)")).wait_for(timeout=30_000)
    page.get_by_text("Points", exact=True).click()
    page.wait_for_function("location.search.includes('dm=points')", timeout=30_000)
    lower = page.locator("[data-testid='stSidebar'] canvas.dc-canvas.lower-canvas")  # fabric draws the objects here
    ink_before = lower.evaluate(INK_PIXELS)
    canvas = _upper_canvas(page, SIDEBAR_CANVAS)
    for n, (fx, fy) in enumerate(((0.75, 0.25), (0.25, 0.25)), 1):  # (1.5, 1.5), then (-1.5, 1.5)
        canvas.scroll_into_view_if_needed()
        box = canvas.bounding_box()
        page.mouse.click(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
        page.get_by_text(re.compile(rf"drawing \(1 stroke, {n} points?\)")).wait_for(timeout=30_000)
        if n == 1:
            page.wait_for_timeout(1500)  # the reload that used to wipe the dot came with the click's rerun
            ink_one = lower.evaluate(INK_PIXELS)
            assert ink_one > ink_before + 20, (ink_before, ink_one)  # the dot is drawn, and stays
    page.get_by_text(re.compile(r"drawing \(1 stroke, 2 points\)")).wait_for(timeout=30_000)
    # both clicks are in the data: of 4,000 points about a quarter each (0.5 of 2.2 units of weight);
    # the paused figure is redrawn after the caption, so wait for the figure that has them (or fail)
    both = f"""() => {{ const r = ({REAL_POINTS})(); if (!r) return false;
        const near = (cx, cy) => r.x.filter((x, i) => Math.hypot(x - cx, r.y[i] - cy) < 0.5).length;
        return near(1.5, 1.5) > 10 && near(-1.5, 1.5) > 10; }}"""
    try:
        page.wait_for_function(both, timeout=60_000)
    except PlaywrightError:
        real = page.evaluate(REAL_POINTS) or {"x": [], "y": []}
        x, y = np.array(real["x"]), np.array(real["y"])
        near = lambda cx, cy: int((np.hypot(x - cx, y - cy) < 0.5).sum())  # noqa: E731
        pytest.fail(f"points near the clicks after 60 s: {near(1.5, 1.5)}, {near(-1.5, 1.5)}; link {page.url[-40:]}")
    page.screenshot(path=str(ARTIFACTS / f"draw-points-after-strokes-{width}x{height}.png"))
