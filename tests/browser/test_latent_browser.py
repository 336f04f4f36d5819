"""The latent-space page in a real browser: open a saved image run, move the
interpolation slider with the keyboard, and see the generated image change; click
the discriminator's 2D map to ask about a point; on a fresh tab, at a desktop and a
laptop width, reach "Nearest training images" and search (issue 11.1 and 11.9)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

from ganlab.data.image_sources import load_image_source
from ganlab.kinds.image_experiment import ImageExperiment
from ganlab.settings.config import ImageStructure
from tests.browser.conftest import ARTIFACTS, SharedServer
from tests.browser.labels import VIEWPORTS
from tests.browser.test_playground_browser import press_play
from tests.conftest import save_trained_run

pytestmark = pytest.mark.browser
FRAME = '[data-testid="stImage"]:has-text("t = ") img'  # the interpolation frame (its caption is "t = ...")
FRAME_SRC_JS = """() => { for (const el of document.querySelectorAll('[data-testid="stImage"]'))
    if (el.innerText.includes('t = ')) { const img = el.querySelector('img'); return img ? img.src : null; }
  return null; }"""


def save_image_run(root: Path, name: str = "digits-run", **structure) -> None:
    """A 28x28 DCGAN on the built-in digits, a couple of steps trained, saved as a run."""
    torch.set_num_threads(1)
    experiment = ImageExperiment(ImageStructure(dataset="digits", **structure), load_image_source("digits", 28, 1))
    save_trained_run(root / name, experiment, batch_size=16)


@pytest.fixture(scope="module")
def _saved_run_servers(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    save_image_run(root, width=16, noise_dim=16)
    shared = SharedServer({"GANLAB_RUNS_DIR": str(root)})
    yield shared
    shared.stop()


@pytest.fixture
def saved_run_server(_saved_run_servers, request):
    """A server shared by the module's tests whose runs folder holds one saved image run, 'digits-run'."""
    yield from _saved_run_servers.serve(request)


def view_choice(page, name: str):
    """The label of a choice of the View radio row (what a user clicks; the radio input is hidden)."""
    return page.locator('[data-testid="stRadio"]:has-text("View") label').filter(has_text=name).first


def open_latent_page(page, server) -> None:
    page.goto(f"{server.url}/Latent")
    page.get_by_role("heading", name="Latent space explorer").wait_for(timeout=60_000)
    page.locator(FRAME).first.wait_for(timeout=60_000)


def test_moving_the_interpolation_slider_changes_the_image(page, saved_run_server):
    open_latent_page(page, saved_run_server)
    page.get_by_text("saved run 'digits-run': the generator at step 2").wait_for(timeout=30_000)
    frame = page.locator(FRAME).first
    before = frame.get_attribute("src")
    assert page.get_by_text("t = 0.50").first.is_visible()

    slider = page.get_by_role("slider", name="t (from A to B)")
    slider.focus()
    for _ in range(5):  # 0.50 -> 0.55 in steps of 0.01
        slider.press("ArrowRight")
    page.get_by_text("t = 0.55").first.wait_for(timeout=30_000)
    page.wait_for_function(f"(before) => {{ const src = ({FRAME_SRC_JS})(); return src && src !== before; }}",
                           arg=before, timeout=30_000)
    after = page.locator(FRAME).first.get_attribute("src")
    assert after != before
    # The endpoint is exact: back at t = 0 the frame is endpoint A's image, a third distinct picture.
    slider.press("Home")
    page.get_by_text("t = 0.00").first.wait_for(timeout=30_000)
    page.wait_for_function(f"([a, b]) => {{ const src = ({FRAME_SRC_JS})(); return src && src !== a && src !== b; }}",
                           arg=[before, after], timeout=30_000)
    assert not page.get_by_text("Traceback").count()


def test_clicking_the_2d_score_map_places_the_point(page, app_server):
    """A live playground run, opened from the sidebar (same session); a click on D's map asks about that point."""
    page.goto(f"{app_server.url}/Playground?gw=16&dw=16")
    page.get_by_role("button", name="Step", exact=True).wait_for(timeout=60_000)
    page.get_by_role("link", name="Latent space").click()
    page.get_by_text("Showing this session's 2D playground").wait_for(timeout=60_000)
    view_choice(page, "Ask the discriminator").click()
    page.get_by_text("Click the map").wait_for(timeout=30_000)
    x_input, y_input = page.get_by_label("x", exact=True), page.get_by_label("y", exact=True)
    assert (x_input.input_value(), y_input.input_value()) == ("0.00", "0.00")
    plot_area = page.locator(".js-plotly-plot .nsewdrag").first
    plot_area.wait_for(timeout=30_000)
    box = None
    for _ in range(40):  # wait for the layout to settle (the chart is resized once the columns are drawn)
        page.wait_for_timeout(250)
        previous, box = box, plot_area.bounding_box()
        if box == previous:
            break
    # the ring's map spans [-1.5, 1.5] on both axes: 80% across and 25% down is about (0.9, 0.75);
    # the click selects the nearest cell of a 60 x 60 grid, give or take a few cells
    page.mouse.click(box["x"] + 0.8 * box["width"], box["y"] + 0.25 * box["height"])
    page.wait_for_function("() => document.querySelector('input[aria-label=\"x\"]').value !== '0.00'",
                           timeout=30_000)
    assert 0.6 < float(x_input.input_value()) < 1.2
    assert 0.45 < float(y_input.input_value()) < 1.05


def test_refreshing_the_page_keeps_the_live_run(page, app_server):
    """The page keeps its live runs' tokens in its URL: a browser refresh (a new session) takes them back."""
    page.goto(f"{app_server.url}/Playground?gw=16&dw=16")
    page.get_by_role("button", name="Step", exact=True).wait_for(timeout=60_000)
    page.get_by_role("link", name="Latent space").click()
    page.get_by_text("Showing this session's 2D playground").wait_for(timeout=60_000)
    page.wait_for_function("() => new URL(location.href).searchParams.has('pgrun')", timeout=30_000)
    page.reload()
    page.get_by_text("Showing this session's 2D playground").wait_for(timeout=60_000)
    assert not page.get_by_text("no live run").count()


def test_the_image_pages_default_run_opens_while_it_trains(page, app_server):
    """Issue 22.3: Images page with its defaults ("DCGAN (fast start)": spectral norm in D), Play, then
    the Latent page: it showed "Could not copy the run's nets" (a spectral-norm module cannot leave a
    trainer process). Now the nets open, and Take the latest weights moves on to a later step."""
    page.goto(f"{app_server.url}/Images")
    page.get_by_role("heading", name="Image GAN").wait_for(timeout=60_000)
    press_play(page)
    page.get_by_role("button", name="Pause", exact=True).wait_for(timeout=60_000)
    page.get_by_role("link", name="Latent space").click()
    shown = page.get_by_text("Showing this session's image GAN: the generator at step")
    shown.wait_for(timeout=90_000)
    page.locator(FRAME).first.wait_for(timeout=60_000)
    first = int(re.search(r"at step ([\d,]+)", shown.inner_text()).group(1).replace(",", ""))
    page.get_by_role("button", name="Take the latest weights").click()
    page.wait_for_function(
        """(first) => { const m = document.body.innerText.match(/image GAN: the generator at step ([\\d,]+)/);
                        return m && Number(m[1].replaceAll(',', '')) > first; }""", arg=first, timeout=90_000)
    assert not page.locator('[data-testid="stAlertContentError"]').count()
    assert not page.locator('[data-testid="stException"]').count()
    page.get_by_role("link", name="Image GAN").click()  # back on its page the run still trains: pause it
    page.get_by_role("button", name="Pause", exact=True).click()
    page.get_by_role("button", name="Play", exact=True).wait_for(timeout=60_000)


@pytest.mark.parametrize("width, height", VIEWPORTS)
def test_nearest_training_images_first_on_a_fresh_tab(page, saved_run_server, width, height):
    """A fresh tab opens on a saved run; the Nearest view, chosen first, is labelled and on screen at
    laptop width, and its button searches (it raised KeyError 'lt_seed_a': a fragment re-run draws
    only its own view, and the interpolation view's settings had never been set)."""
    page.set_viewport_size({"width": width, "height": height})
    open_latent_page(page, saved_run_server)
    page.get_by_text("saved run 'digits-run': the generator at step 2").wait_for(timeout=30_000)
    assert page.get_by_text("View", exact=True).first.is_visible(), "the view switcher has a visible label"
    choice = page.get_by_role("radio", name=re.compile("Nearest training images"))
    label = view_choice(page, "Nearest training images")
    label.scroll_into_view_if_needed()
    box = label.bounding_box()
    assert box is not None and box["width"] > 0 and box["x"] >= 0 and box["x"] + box["width"] <= width, box
    assert label.is_visible()
    label.click()
    assert choice.is_checked()
    page.get_by_role("button", name="Find the nearest training images", exact=True).click()
    page.get_by_text("real training images lie a median").wait_for(timeout=60_000)
    neighbours = page.locator('[data-testid="stImage"]:has-text(" · d ")')
    neighbours.nth(4).wait_for(timeout=30_000)  # the images may land after the summary text
    assert neighbours.count() == 5
    assert not page.locator('[data-testid="stException"]').count()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"latent-nearest-{width}x{height}.png"), full_page=True)


def test_a_digit_drawn_on_the_latent_page_is_scored_by_the_saved_d(page, saved_run_server):
    from tests.browser.test_draw_browser import _drag, _upper_canvas

    page.set_viewport_size({"width": 1024, "height": 768})
    open_latent_page(page, saved_run_server)
    view_choice(page, "Ask the discriminator").click()
    page.locator('[data-testid="stRadio"]:has-text("Input") label').filter(has_text="Draw a digit").first.click()
    page.get_by_text("Draw a digit to see what the discriminator makes of it.").wait_for(timeout=30_000)
    _drag(page, _upper_canvas(page, "[data-testid='stMain'] canvas"), [(0.5, 0.15), (0.52, 0.5), (0.5, 0.85)])
    page.get_by_text("What D sees").wait_for(timeout=60_000)
    score = page.locator('[data-testid="stMetric"]:has-text("P(real)") [data-testid="stMetricValue"]').first
    assert 0.0 <= float(score.inner_text()) <= 1.0
    page.screenshot(path=str(ARTIFACTS / "latent-drawn-digit-1024x768.png"), full_page=True)
    assert not page.get_by_text("Traceback").count()
