"""One screen, nothing cut (issue 22, items 8 and 9), in Chromium at 1400x900 and 1024x768:

- on both training pages the transport and the live view (with its numbers) are on the first
  screen, before any scrolling, at rest and while training;
- on every page, sidebar included, no label is drawn cut off, no chart's legend runs over its
  title, and the view's fullscreen button does not cover the status line when hovered.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import ARTIFACTS, SharedServer
from tests.browser.labels import chart_titles, every_cut_label
from tests.browser.test_runs_browser import choose, make_runs

pytestmark = pytest.mark.browser
STEP_TEXT = re.compile(r"Step ([\d,]+) ·")
SMALL_TOY = "?gw=16&dw=16&gl=1&dl=1"
SMALL_IMAGES = "?w=8&nd=8&bs=8"
# the first view element under the transport: the 2D view (a figure at rest, a picture while it
# trains) or the image grid
VIEW = "[data-testid='stMain'] [data-testid='stPlotlyChart'], [data-testid='stMain'] [data-testid='stImage']"


@pytest.fixture(scope="module")
def _servers(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    make_runs(root)
    shared = SharedServer({"GANLAB_RUNS_DIR": str(root)})
    yield shared
    shared.stop()


@pytest.fixture
def server(_servers, request):
    """One server for the module (each page is opened at both sizes), with two saved runs."""
    yield from _servers.serve(request)


def box(locator) -> dict:
    locator.wait_for(timeout=60_000)
    found = locator.bounding_box()
    assert found is not None, "not drawn"
    return found


def on_first_screen(page, locator) -> bool:
    b = box(locator)
    width, height = page.size
    return b["y"] >= 0 and b["x"] >= 0 and b["y"] + b["height"] <= height and b["x"] + b["width"] <= width


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-{page.size[0]}x{page.size[1]}.png"))


@pytest.mark.parametrize("path, numbers", [("/Playground" + SMALL_TOY, "Modes covered"),
                                           ("/Images" + SMALL_IMAGES, "D(x) / D(G(z))")])
def test_the_transport_and_live_view_are_on_the_first_screen(server, sized_page, path, numbers):
    page = sized_page
    page.goto(server.url + path)
    page.get_by_text(STEP_TEXT).first.wait_for(timeout=60_000)
    play = page.get_by_role("button", name="Play", exact=True)
    view = page.locator(VIEW).first
    assert on_first_screen(page, play), box(play)
    assert on_first_screen(page, view), (box(view), page.size)
    assert on_first_screen(page, page.get_by_text(numbers, exact=True).first)
    shot(page, "first-screen" + path.split("?")[0].replace("/", "-"))

    play.click()  # while it trains the view is a picture: on the first screen too
    pause = page.get_by_role("button", name="Pause", exact=True)
    pause.wait_for(timeout=60_000)
    picture = page.locator("[data-testid='stMain'] [data-testid='stImage']").first
    assert on_first_screen(page, picture), (box(picture), page.size)
    assert on_first_screen(page, pause)
    pause.click()
    play.wait_for(timeout=60_000)


_TOOLBAR_OVER_STATUS = """() => {
  const status = [...document.querySelectorAll("[data-testid='stMain'] p")].find(p => / G updates/.test(p.innerText));
  if (!status) return null;
  const range = document.createRange(); range.selectNodeContents(status);
  const lines = [...range.getClientRects()];
  const buttons = [...document.querySelectorAll("[data-testid='stElementToolbar'] button")]
      .map(b => b.getBoundingClientRect()).filter(r => r.width > 0 && r.height > 0);
  const hits = buttons.filter(b => lines.some(l => b.left < l.right && l.left < b.right && b.top < l.bottom && l.top < b.bottom));
  return {buttons: buttons.length, hits: hits.length};
}"""


def toolbar_over_status_line(page) -> dict:
    """Hover the first view element (the image page's grid); how many toolbar buttons show, and how
    many cover the status line's text."""
    toolbar = page.locator("[data-testid='stElementToolbar'] button").first
    for _ in range(5):  # a rerun may redraw the element under the pointer: hover again
        page.mouse.move(0, 0)
        page.locator(VIEW).first.hover()
        try:
            toolbar.wait_for(timeout=5_000)
            break
        except Exception:
            continue
    found = page.evaluate(_TOOLBAR_OVER_STATUS)
    assert found is not None, "no status line"
    return found


def no_cut_labels_or_overlaps(page, name: str) -> None:
    shot(page, f"labels-{name}")
    cut = every_cut_label(page)
    assert cut == [], f"{name} at {page.size}: labels cut off: {cut}"
    _, covered = chart_titles(page)
    assert covered == [], f"{name} at {page.size}: legends over the chart titles {covered}"


def test_every_page_shows_whole_labels_and_clear_chart_titles(server, sized_page):
    page = sized_page
    page.goto(server.url)
    page.get_by_text("Explore the latent space").wait_for(timeout=60_000)
    no_cut_labels_or_overlaps(page, "home")

    for path, name in (("/Playground" + SMALL_TOY, "playground"), ("/Images" + SMALL_IMAGES, "images")):
        page.goto(server.url + path)
        page.get_by_text(STEP_TEXT).first.wait_for(timeout=60_000)
        page.get_by_role("button", name="Step", exact=True).click()  # the charts get data, and legends
        page.get_by_text(re.compile(r"Step 1 ·")).first.wait_for(timeout=60_000)
        page.wait_for_function("document.querySelectorAll('.js-plotly-plot .legend').length >= 2", timeout=60_000)
        no_cut_labels_or_overlaps(page, name)
    # the grid's fullscreen button, shown on hover, sat over "... G updates" (a plotly view's shows inside it)
    status = toolbar_over_status_line(page)
    assert status["buttons"] >= 1 and status["hits"] == 0, f"images at {page.size}: {status}"

    page.goto(server.url + "/Runs")
    page.get_by_role("heading", name="Runs", exact=True).wait_for(timeout=60_000)
    no_cut_labels_or_overlaps(page, "runs")
    choose(page, "ring-a")
    page.get_by_role("heading", name="ring-a").wait_for(timeout=60_000)
    no_cut_labels_or_overlaps(page, "runs-open")
    choose(page, "ring-b")
    page.get_by_text("Losses (solid: D, dashed: G)").first.wait_for(timeout=60_000)
    titles, _ = chart_titles(page)
    assert "Losses (solid: D, dashed: G)" in titles, titles
    no_cut_labels_or_overlaps(page, "runs-compare")

    page.goto(server.url + "/Latent")
    page.get_by_role("heading", name="Latent space explorer").wait_for(timeout=60_000)
    page.get_by_text("Generator", exact=True).first.wait_for(timeout=60_000)
    no_cut_labels_or_overlaps(page, "latent")

    page.goto(server.url + "/Dynamics")
    page.get_by_role("heading", name="Dynamics", exact=True).wait_for(timeout=60_000)
    page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
    no_cut_labels_or_overlaps(page, "dynamics")
