"""The Dynamics page in a real browser: a click on the (theta, psi) plane adds a start there (the
boxes and the link follow), typing a start moves it, and at laptop and desktop widths the
controls and the plot are on screen with whole labels."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.browser.labels import VIEWPORTS, clipped_labels

pytestmark = pytest.mark.browser
BOXES = """['Last start θ', 'Last start ψ'].map(
    name => parseFloat(document.querySelector(`input[aria-label="${name}"]`).value))"""  # both start boxes, in JS


def _open(page, server, query: str) -> None:
    page.goto(f"{server.url}/Dynamics?{query}")
    page.get_by_role("heading", name="Dynamics").wait_for(timeout=60_000)
    page.locator(".js-plotly-plot").nth(1).wait_for(timeout=60_000)


def _settled_plot_box(page):
    """The field plot's drawing area, once the layout stops moving (charts resize after the columns)."""
    area = page.locator(".js-plotly-plot .nsewdrag").first
    area.wait_for(timeout=30_000)
    box = None
    for _ in range(40):
        page.wait_for_timeout(250)
        previous, box = box, area.bounding_box()
        if box == previous:
            break
    return box


def _starts(page) -> str:
    return parse_qs(urlparse(page.url).query).get("dy_start", [""])[-1]


def test_a_click_on_the_plane_adds_a_start_there(page, app_server):
    _open(page, app_server, "dy_start=0.5,0")
    theta, psi = page.get_by_label("Last start θ", exact=True), page.get_by_label("Last start ψ", exact=True)
    assert (theta.input_value(), psi.input_value()) == ("0.500", "0.000")
    box = _settled_plot_box(page)
    # the view is [-2, 2] on both axes: 75% across and 25% down is (1, 1); the click picks the
    # nearest point of a 41 x 41 grid (0.1 apart), give or take a cell
    page.mouse.click(box["x"] + 0.75 * box["width"], box["y"] + 0.25 * box["height"])
    page.wait_for_function(f"() => {BOXES}.every(v => v > 0.5)", timeout=30_000)
    assert 0.8 <= float(theta.input_value()) <= 1.2 and 0.8 <= float(psi.input_value()) <= 1.2
    page.get_by_text("start 2", exact=False).first.wait_for(timeout=30_000)
    page.wait_for_function("() => (new URL(location.href).searchParams.get('dy_start') || '').includes(';')",
                           timeout=30_000)
    first, second = _starts(page).split(";")
    assert first == "0.5,0" and abs(float(second.split(",")[0]) - 1.0) <= 0.2
    # a second click on another spot adds a third start (the chart was reset, nothing left selected)
    box = _settled_plot_box(page)
    page.mouse.click(box["x"] + 0.25 * box["width"], box["y"] + 0.75 * box["height"])
    page.wait_for_function("() => (new URL(location.href).searchParams.get('dy_start') || '').split(';').length === 3",
                           timeout=30_000)
    # the boxes are redrawn by the same rerun as the link, not necessarily before it
    page.wait_for_function(f"() => {BOXES}.every(v => v < -0.8)", timeout=30_000)
    assert float(theta.input_value()) < -0.8 and float(psi.input_value()) < -0.8
    assert not page.locator('[data-testid="stException"]').count()


def test_typing_a_start_moves_it(page, app_server):
    _open(page, app_server, "dy_start=1,1&dy_reg=r1")
    theta = page.get_by_label("Last start θ", exact=True)
    theta.fill("-1.5")
    theta.press("Enter")
    page.wait_for_function("() => new URL(location.href).searchParams.get('dy_start') === '-1.5,1'", timeout=30_000)
    page.get_by_text("(-1.5, 1)").first.wait_for(timeout=30_000)
    assert page.get_by_text("converges").count()


@pytest.mark.parametrize("width, height", VIEWPORTS)
def test_the_page_fits_a_laptop_and_a_desktop(page, app_server, width, height):
    page.set_viewport_size({"width": width, "height": height})
    _open(page, app_server, "dy_start=1,1;0.3,0;0.1,0.1")
    box = _settled_plot_box(page)
    assert box["x"] >= 0 and box["x"] + box["width"] <= width and box["width"] > 250, box
    labels, clipped = clipped_labels(page, '[data-testid="stButton"] button')
    assert {"Add a start", "Remove last"} <= set(labels) and not clipped, clipped
    for label in ("Loss", "Regularizer", "Learning rate h", "Iterations"):
        assert page.get_by_text(label, exact=True).first.is_visible()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"dynamics-{width}x{height}.png"))


def test_the_home_page_links_here_with_a_whole_label(page, app_server):
    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto(app_server.url)
    label = "Why GAN training circles (Dynamics)"
    page.get_by_text(label).wait_for(timeout=60_000)
    labels, clipped = clipped_labels(page, "[data-testid='stMain'] [data-testid='stPageLink'] a")
    assert label in {text.split("\n")[-1] for text in labels} and not clipped, clipped
    page.get_by_text(label).click()
    page.get_by_role("heading", name="Dynamics").wait_for(timeout=60_000)
    page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
    assert not page.locator('[data-testid="stException"]').count()


def test_a_notebook_button_sets_its_case(page, app_server):
    """Issue 27: the notebook's runs are one click each (the expander opens once)."""
    _open(page, app_server, "dy_start=0.5,0")
    page.locator("summary", has_text="27 runs").first.click()
    button = page.locator(".st-key-dy_nb_altgd5_gan_instnoise button").first  # Streamlit draws a hidden twin
    button.click()
    page.wait_for_function("() => new URL(location.href).searchParams.get('dy_reg') === 'noise'", timeout=30_000)
    params = parse_qs(urlparse(page.url).query)
    assert {k: params[k][-1] for k in ("dy_loss", "dy_noise", "dy_upd", "dy_order", "dy_ds", "dy_lr", "dy_it",
                                       "dy_start")} == {
        "dy_loss": "minimax", "dy_noise": "0.7", "dy_upd": "alternating", "dy_order": "g-first", "dy_ds": "5",
        "dy_lr": "0.2", "dy_it": "500", "dy_start": "1,-1"}
    page.get_by_text("-0.1225 ± 0.4848i", exact=False).first.wait_for(timeout=30_000)
    assert page.get_by_text("(1, -1) →", exact=False).count() and page.get_by_text("converges").count()
    assert button.get_attribute("kind") == "primary"  # the case shown stands out
    assert page.get_by_label("G first").is_checked()
    assert not page.locator('[data-testid="stException"]').count()
