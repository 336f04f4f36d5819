"""The Latent page's Styles view through AppTest: a saved style-based run on the digits (the
crossover slider changes the mix, the psi slider the samples and the plot's line), a live DCGAN
image run (truncation only, labelled so; no classifier for its data: one sentence says why),
a live InfoGAN image run (the same, its codes left as drawn), and a 2D run, which has no Styles view."""

from __future__ import annotations

import json

import pytest
import torch
from streamlit.testing.v1 import AppTest

from ganlab.data.image_sources import load_image_source
from ganlab.kinds.image_experiment import ImageExperiment
from ganlab.kinds.toy_experiment import ToyExperiment
from ganlab.settings.config import ImageStructure, MLPShape, ToyStructure
from tests.apptest_pages import fresh_app
from tests.apptest_pages import run_ok as run
from tests.conftest import save_trained_run
from tests.ui.test_latent_codes_apptest import infogan_images
from tests.ui.test_latent_page import give_session, tiny_images

PAGE = "pages/4_Latent.py"


@pytest.fixture
def app():
    yield from fresh_app(PAGE)


def image_values(at: AppTest) -> list:
    return [image.value for image in at.get("image")]


def image_captions(at: AppTest) -> str:
    return "\n".join(c for image in at.get("image") for c in image.captions)


def captions(at: AppTest) -> str:
    return "\n".join(c.value for c in at.caption)


def psi_line(at: AppTest) -> float:
    (chart,) = at.get("plotly_chart")
    shapes = json.loads(chart.proto.spec)["layout"]["shapes"]
    return float(shapes[0]["x0"])


def test_a_saved_style_run_mixes_styles_and_truncates(app, tmp_path, monkeypatch):
    monkeypatch.setenv("GANLAB_RUNS_DIR", str(tmp_path))
    torch.set_num_threads(1)
    structure = ImageStructure(dataset="digits", model="stylegan", noise_dim=16, width=8, d_batch_norm=False,
                               conditional=False)
    save_trained_run(tmp_path / "style-digits", ImageExperiment(structure, load_image_source("digits", 28, 1)))
    at = run(app)
    assert at.selectbox(key="lt_saved_run").value == "style-digits"
    labels = at.radio(key="lt_view").options
    assert any("Styles" in label for label in labels) and not any("Codes" in label for label in labels), labels
    at.radio(key="lt_view").set_value("styles")
    run(at)
    assert [s.label for s in at.slider] == ["Crossover: styles from A", "ψ (psi)"]
    cross, psi = at.slider(key="lt_style_cross"), at.slider(key="lt_psi")
    assert (cross.min, cross.max, cross.value) == (0, 6, 3)
    assert (psi.min, psi.max, psi.value) == (0.0, 1.0, 0.7)
    a, b, mix, strip, grid = image_values(at)
    assert "Mix: styles 1–3 (7×7 to 14×14) from A, styles 4–6 (28×28) from B" in image_captions(at)
    assert psi_line(at) == pytest.approx(0.7)
    assert "digit classes" in captions(at)

    at.slider(key="lt_style_cross").set_value(1)
    run(at)
    a2, b2, mix2, strip2, grid2 = image_values(at)
    assert (a2, b2, grid2) == (a, b, grid), "only the mix and the strip's frame follow the crossover"
    assert mix2 != mix and strip2 != strip
    assert "Mix: style 1 (7×7) from A, styles 2–6 (14×14 to 28×28) from B" in image_captions(at)
    at.slider(key="lt_style_cross").set_value(0)
    run(at)
    assert "Mix: every style from B (B's sample)" in image_captions(at)

    at.slider(key="lt_psi").set_value(0.0)
    run(at)
    *_, centre = image_values(at)
    assert centre != grid, "psi 0: every sample pulled to G(mean w)"
    assert psi_line(at) == pytest.approx(0.0)
    assert "8 samples (seeds 1–8) at ψ = 0.00" in image_captions(at)
    at.number_input(key="lt_style_a").set_value(5)
    run(at)
    assert image_values(at)[0] != a and "A: seed 5" in image_captions(at)
    assert not at.error and not at.exception


@pytest.mark.parametrize("model", ["gan", "infogan"])
def test_a_dcgan_or_infogan_image_run_offers_truncation_only(app, model):
    at = run(app)
    give_session(at, "images", tiny_images() if model == "gan" else infogan_images())
    run(at)
    labels = at.radio(key="lt_view").options
    assert any("Truncation" in label for label in labels) and not any("Styles" in label for label in labels)
    at.radio(key="lt_view").set_value("styles")
    run(at)
    assert [s.label for s in at.slider] == ["ψ (psi)"]
    assert "has no styles: style mixing needs the style-based model" in captions(at)
    assert "Truncation toward the mean noise: z′ = ψ z" in captions(at)
    assert ("the codes stay as drawn" in captions(at)) == (model == "infogan")
    assert "No classes-covered plot for 'tiny'" in captions(at)  # the classifier knows digits only
    assert not at.get("plotly_chart")
    (grid,) = image_values(at)
    at.slider(key="lt_psi").set_value(0.25)
    run(at)
    assert image_values(at) != [grid]
    assert not at.error


def test_a_2d_run_has_no_styles_view(app):
    at = run(app)
    give_session(at, "playground", ToyExperiment(ToyStructure(generator=MLPShape(1, 16),
                                                              discriminator=MLPShape(1, 16))))
    run(at)
    labels = at.radio(key="lt_view").options
    assert not any("Styles" in label or "Truncation" in label for label in labels), labels
