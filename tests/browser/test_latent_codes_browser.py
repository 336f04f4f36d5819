"""The Latent page's Codes view in a real browser (1400 px wide): a saved InfoGAN run on the digits;
the categorical picker and a continuous slider change the generated image, and the paper's figure
(rows the categorical code, columns a continuous code from -2 to 2) is drawn below."""

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
SAMPLE = '[data-testid="stImage"]:has-text("G(seed") img'  # the chosen codes' image (its caption starts so)
FIGURE = '[data-testid="stImage"]:has-text("Rows: the categorical code") img'
SAMPLE_SRC_JS = """() => { for (const el of document.querySelectorAll('[data-testid="stImage"]'))
    if (el.innerText.includes('G(seed')) { const img = el.querySelector('img'); return img ? img.src : null; }
  return null; }"""


def save_infogan_run(root: Path, name: str = "info-digits") -> None:
    """A 28x28 InfoGAN on the built-in digits (10-way code, 2 continuous codes), two steps trained."""
    torch.set_num_threads(1)
    structure = ImageStructure(dataset="digits", width=16, noise_dim=16, model="infogan", info_continuous=2)
    save_trained_run(root / name, ImageExperiment(structure, load_image_source("digits", 28, 1)), batch_size=16)


@pytest.fixture(scope="module")
def _infogan_servers(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    save_infogan_run(root)
    shared = SharedServer({"GANLAB_RUNS_DIR": str(root)})
    yield shared
    shared.stop()


@pytest.fixture
def infogan_server(_infogan_servers, request):
    """A server whose runs folder holds one saved InfoGAN image run, 'info-digits'."""
    yield from _infogan_servers.serve(request)


def choice(page, group: str, name: str):
    """The label of a choice in the radio row labelled `group` (what a user clicks)."""
    return page.locator(f'[data-testid="stRadio"]:has-text("{group}") label').filter(
        has_text=re.compile(rf"{re.escape(name)}$")).first


def wait_for_new_sample(page, before: str) -> str:
    page.wait_for_function(f"(before) => {{ const src = ({SAMPLE_SRC_JS})(); return src && src !== before; }}",
                           arg=before, timeout=30_000)
    return page.locator(SAMPLE).first.get_attribute("src")


def test_the_codes_picker_and_slider_change_the_image_and_the_figure_is_drawn(page, infogan_server):
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"{infogan_server.url}/Latent")
    page.get_by_role("heading", name="Latent space explorer").wait_for(timeout=60_000)
    page.get_by_text("saved run 'info-digits': the generator at step 2").wait_for(timeout=60_000)
    choice(page, "View", "Codes").click()
    page.locator(SAMPLE).first.wait_for(timeout=30_000)
    page.locator(FIGURE).first.wait_for(timeout=30_000)
    before = page.locator(SAMPLE).first.get_attribute("src")

    choice(page, "Categorical code", "code 3").click()
    page.get_by_text("G(seed 1's noise; code 3,").wait_for(timeout=30_000)
    picked = wait_for_new_sample(page, before)

    slider = page.get_by_role("slider", name="continuous code 1")
    slider.focus()
    slider.press("End")  # to +2: beyond what training drew
    page.get_by_text("continuous code 1 = +2.00").first.wait_for(timeout=30_000)
    slid = wait_for_new_sample(page, picked)
    assert len({before, picked, slid}) == 3
    assert page.get_by_text("(beyond ±1: extrapolation)").first.is_visible()

    figure = page.locator(FIGURE).first
    figure.scroll_into_view_if_needed()
    box = figure.bounding_box()
    assert box is not None and box["width"] > 500 and box["x"] + box["width"] <= 1400, box  # 9 labelled columns
    assert not page.locator('[data-testid="stException"]').count()
    assert not page.locator('[data-testid="stAlertContentError"]').count()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # Streamlit scrolls inside its main block, so a full-page shot is one viewport: make the viewport the page's height
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": 1400, "height": min(int(height) + 50, 4000)})
    page.locator(SAMPLE).first.wait_for(timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "latent-codes-1400.png"))
