"""The image page's drawn "Ask the discriminator": the page shows the panel, and a drawing is
scored by the run's D as every class of a conditional GAN, in the loss's display units."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ganlab.kinds.image_experiment import ImageExperiment
from ganlab.settings.config import Knobs
from ganlab.training.runner import Runner
from ganlab.ui.ask_discriminator import _scores
from tests.apptest_pages import fresh_app, open_with
from tests.kinds.test_image_experiment import blobs, structure


@pytest.fixture
def app():
    yield from fresh_app("pages/2_Images.py")


def test_the_image_page_offers_the_panel(app):
    at = open_with(app, {})
    assert "Ask the discriminator" in [h.value for h in at.subheader]
    assert any("D scores what you draw here" in i.value for i in at.info)  # nothing drawn yet


@pytest.mark.parametrize("loss, shown", [("non-saturating", torch.sigmoid), ("hinge", lambda x: x)])
def test_a_drawing_is_scored_as_every_class(loss, shown):
    runner = Runner(ImageExperiment(structure(conditional=True, num_classes=3), blobs(classes=3)),
                    Knobs(batch_size=8, loss=loss))
    try:
        image = np.zeros((28, 28))
        image[6:22, 13:15] = 1.0  # a "1"
        step, logits, scores = _scores(runner, image)
        assert step == 0 and logits.shape == (3,)
        D = runner.copy_nets().discriminator
        x = torch.full((3, 1, 28, 28), -1.0)
        x[:, :, 6:22, 13:15] = 1.0
        np.testing.assert_allclose(logits, D(x, torch.arange(3)).numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(scores, shown(torch.from_numpy(logits)).numpy(), rtol=1e-6)
    finally:
        runner.release()


def test_a_closed_run_gets_a_message_not_an_error():
    runner = Runner(ImageExperiment(structure(), blobs()), Knobs(batch_size=8))
    runner.release()
    assert "This run is closed" in _scores(runner, np.zeros((28, 28)))
