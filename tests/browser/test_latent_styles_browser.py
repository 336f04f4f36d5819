"""The Latent page's Styles view in a real browser (1400 px wide): a saved style-based run on the
digits; the crossover slider changes the mix, the psi slider the truncated samples, and the plot
of classes covered against psi sits beside them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

from ganlab.data.image_sources import load_image_source
from ganlab.kinds.image_experiment import ImageExperiment
from ganlab.settings.config import ImageStructure
from tests.browser.conftest import ARTIFACTS, SharedServer
from tests.conftest import save_trained_run

pytestmark = pytest.mark.browser
MIX = '[data-testid="stImage"]:has-text("Mix:") img'
GRID = '[data-testid="stImage"]:has-text("8 samples") img'
CHART = '[data-testid="stPlotlyChart"]'
SRC_JS = """(text) => { for (const el of document.querySelectorAll('[data-testid="stImage"]'))
    if (el.innerText.includes(text)) { const img = el.querySelector('img'); return img ? img.src : null; }
  return null; }"""


def save_style_run(root: Path, name: str = "style-digits") -> None:
    """A 28x28 style-based G (width 16) on the built-in digits, two steps trained."""
    torch.set_num_threads(1)
    structure = ImageStructure(dataset="digits", model="stylegan", noise_dim=32, width=16, d_batch_norm=False,
                               d_spectral_norm=True, conditional=False)
    save_trained_run(root / name, ImageExperiment(structure, load_image_source("digits", 28, 1)), batch_size=16)


@pytest.fixture(scope="module")
def _style_servers(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    save_style_run(root)
    shared = SharedServer({"GANLAB_RUNS_DIR": str(root)})
    yield shared
    shared.stop()


@pytest.fixture
def style_server(_style_servers, request):
    """A server whose runs folder holds one saved style-based image run, 'style-digits'."""
    yield from _style_servers.serve(request)


def choice(page, group: str, name: str):
    """The label of a choice in the radio row labelled `group` (what a user clicks)."""
    return page.locator(f'[data-testid="stRadio"]:has-text("{group}") label').filter(
        has_text=re.compile(rf"{re.escape(name)}$")).first


def wait_for_new(page, caption: str, before: str | None) -> str:
    page.wait_for_function(f"([text, before]) => {{ const src = ({SRC_JS})(text); return src && src !== before; }}",
                           arg=[caption, before], timeout=30_000)
    return page.evaluate(SRC_JS, caption)


def open_styles(page, url: str, run: str, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{url}/Latent")
    page.get_by_role("heading", name="Latent space explorer").wait_for(timeout=60_000)
    page.get_by_text(f"saved run '{run}': the").first.wait_for(timeout=60_000)
    choice(page, "View", "Styles").click()
    page.locator(MIX).first.wait_for(timeout=30_000)
    page.locator(GRID).first.wait_for(timeout=30_000)
    page.locator(CHART).first.wait_for(timeout=60_000)  # the truncation curve: once per generator


def move_sliders(page) -> None:
    """Crossover one left, psi to 0: each changes its picture."""
    mix = page.evaluate(SRC_JS, "Mix:")
    slider = page.get_by_role("slider", name="Crossover: styles from A")
    slider.focus()
    slider.press("ArrowLeft")
    page.get_by_text("Mix: styles 1–2 (7×7 to 14×14) from A").wait_for(timeout=30_000)
    assert wait_for_new(page, "Mix:", mix) != mix
    grid = page.evaluate(SRC_JS, "8 samples")
    psi = page.get_by_role("slider", name="ψ (psi)")
    psi.focus()
    psi.press("Home")
    page.get_by_text("at ψ = 0.00").wait_for(timeout=30_000)
    assert wait_for_new(page, "8 samples", grid) != grid


def settled(page) -> None:
    """Wait until no element is stale (greyed while a script or fragment run redraws it)."""
    page.wait_for_function("() => !document.querySelector('[data-stale=\"true\"]')", timeout=60_000)


def full_page_shot(page, width: int, path: Path) -> None:
    # Streamlit scrolls inside its main block, so a full-page shot is one viewport: make the viewport the page's height
    settled(page)
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": width, "height": min(int(height) + 50, 4000)})
    page.locator(CHART).first.wait_for(timeout=30_000)
    settled(page)
    page.screenshot(path=str(path))


def test_mixing_and_truncation_sliders_change_their_pictures_beside_the_curve(page, style_server):
    open_styles(page, style_server.url, "style-digits", 1400)
    move_sliders(page)
    grid, chart = page.locator(GRID).first.bounding_box(), page.locator(CHART).first.bounding_box()
    assert grid is not None and chart is not None
    assert chart["x"] > grid["x"] + grid["width"] - 1 and chart["x"] + chart["width"] <= 1400, (grid, chart)
    assert abs(chart["y"] - grid["y"]) < 200, "the curve beside the samples"
    assert not page.locator('[data-testid="stException"]').count()
    assert not page.locator('[data-testid="stAlertContentError"]').count()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    full_page_shot(page, 1400, ARTIFACTS / "latent-styles-1400.png")
