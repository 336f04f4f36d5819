"""The Latent page's Codes view through AppTest: a live InfoGAN image run (the picker and a slider
change the image; the figure follows the swept code), a saved InfoGAN 2D run (clouds and the
mode a code value took), and a plain GAN, which has no Codes view."""

from __future__ import annotations

import pytest
import torch
from streamlit.testing.v1 import AppTest

from ganlab.data.images import ImageDataset
from ganlab.kinds.image_experiment import ImageExperiment
from ganlab.kinds.toy_experiment import ToyExperiment
from ganlab.settings.config import ImageStructure, MLPShape, ToyStructure
from tests.apptest_pages import fresh_app
from tests.apptest_pages import run_ok as run
from tests.conftest import save_trained_run
from tests.ui.test_latent_page import give_session, tiny_images

PAGE = "pages/4_Latent.py"


@pytest.fixture
def app():
    yield from fresh_app(PAGE)


def infogan_images() -> ImageExperiment:
    g = torch.Generator().manual_seed(0)
    images = (torch.rand(60, 1, 28, 28, generator=g) * 255).to(torch.uint8)
    dataset = ImageDataset(images, torch.arange(60) % 3, name="tiny", class_names=["zero", "one", "two"])
    structure = ImageStructure(dataset="tiny", noise_dim=8, width=8, num_classes=3, model="infogan",
                               info_continuous=2)
    return ImageExperiment(structure, dataset)


def image_values(at: AppTest) -> list:
    return [image.value for image in at.get("image")]


def captions(at: AppTest) -> str:
    return "\n".join(c.value for c in at.caption)


def show_codes(at: AppTest) -> AppTest:
    assert any("Codes" in label for label in at.radio(key="lt_view").options)
    at.radio(key="lt_view").set_value("codes")
    return run(at)


def test_infogan_image_run_codes_move_the_sample_and_the_figure_follows_the_swept_code(app):
    at = run(app)
    give_session(at, "images", infogan_images())
    run(at)
    show_codes(at)
    assert at.radio(key="lt_code_cat").options == ["code 0", "code 1", "code 2"]
    assert [s.label for s in at.slider] == ["continuous code 1", "continuous code 2"]
    assert all((s.min, s.max, s.value) == (-2.0, 2.0, 0.0) for s in at.slider)
    sample, figure = image_values(at)  # the chosen codes' image, then the paper's figure
    assert "G(seed 1's noise; code 0, continuous code 1 = +0.00, continuous code 2 = +0.00)" in \
        [c for image in at.get("image") for c in image.captions]

    at.radio(key="lt_code_cat").set_value(2)
    run(at)
    moved, same_figure = image_values(at)
    assert moved != sample, "another categorical value, another image"
    assert same_figure == figure, "the figure shows every value already"

    at.slider(key="lt_code_c0").set_value(1.5)
    run(at)
    slid, _ = image_values(at)
    assert slid != moved, "a continuous code moved, another image"
    assert "(beyond ±1: extrapolation)" in "\n".join(c for image in at.get("image") for c in image.captions)

    at.radio(key="lt_code_sweep").set_value(1)
    run(at)
    assert image_values(at)[1] != figure, "sweeping the other continuous code draws another figure"
    assert "continuous code 2 from -2 to 2" in "\n".join(c for image in at.get("image") for c in image.captions)

    at.number_input(key="lt_code_seed").set_value(7)
    run(at)
    assert image_values(at)[0] != slid, "new noise, another image"
    assert {b.label for b in at.get("download_button")} == {"Figure as PNG"}
    assert not at.error


def test_saved_infogan_2d_run_shows_each_code_values_cloud(app, tmp_path, monkeypatch):
    monkeypatch.setenv("GANLAB_RUNS_DIR", str(tmp_path))
    structure = ToyStructure(generator=MLPShape(1, 16), discriminator=MLPShape(1, 16), model="infogan",
                             info_continuous=1)
    save_trained_run(tmp_path / "info-ring", ToyExperiment(structure), steps=2)
    at = run(app)
    assert at.selectbox(key="lt_saved_run").value == "info-ring"
    show_codes(at)
    assert at.radio(key="lt_code_cat").options == [f"code {i}" for i in range(8)]  # one per ring mode
    assert "300 samples (noise from seed 1) at code 0, continuous code 1 = +0.00: " in captions(at)
    assert "nearest the mode at" in captions(at)
    charts = at.get("plotly_chart")
    assert len(charts) == 2  # the clouds under the controls, then the figure
    at.radio(key="lt_code_cat").set_value(5)
    run(at)
    assert "at code 5, continuous code 1 = +0.00" in captions(at)
    at.slider(key="lt_code_c0").set_value(-2.0)
    run(at)
    assert "continuous code 1 = -2.00 (beyond ±1: extrapolation)" in captions(at)
    assert not at.error


def test_a_plain_gan_has_no_codes_view(app):
    at = run(app)
    give_session(at, "images", tiny_images())
    run(at)
    options = at.radio(key="lt_view").options
    # the four views every run has, and Truncation (every image run); no Codes
    assert len(options) == 5 and not any("Codes" in label for label in options), options
    assert "Truncation" in options[-1], options
