"""D's score for given images (the image page's "Ask the discriminator"): taken between two
steps on the trainer, equal to D's own output in eval mode, per class for a conditional D,
bad images refused with a message; the same through a trainer process."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ganlab.kinds.image_experiment import ImageExperiment
from ganlab.settings.config import Knobs
from ganlab.training.remote_runner import RemoteRunner
from ganlab.training.runner import Runner
from ganlab.training.worker_process import ProcessTransport, wait_gone
from tests.kinds.test_image_experiment import blobs, structure

KNOBS = Knobs(batch_size=8)


def _images(n: int, size: int = 28) -> np.ndarray:
    return np.random.default_rng(0).uniform(-1, 1, (n, 1, size, size)).astype(np.float32)


@pytest.fixture
def runner():
    made: list = []

    def make(experiment, remote=False):
        r = (RemoteRunner(experiment, KNOBS, transport_factory=ProcessTransport) if remote
             else Runner(experiment, KNOBS))
        made.append(r)
        return r

    yield make
    for r in made:
        r.release()
    assert wait_gone([r.pid for r in made if getattr(r, "pid", None)]) == []


def test_scores_are_ds_logits_at_the_current_step(runner):
    r = runner(ImageExperiment(structure(d_spectral_norm=True), blobs()))
    r.step("both", 3)
    assert r.wait_idle(60)
    step, scores = r.score_images(_images(4))
    assert step == 3 and len(scores) == 4 and all(isinstance(s, float) for s in scores)
    D = r.copy_nets().discriminator  # eval mode, the same weights
    np.testing.assert_allclose(scores, D(torch.from_numpy(_images(4))).numpy(), rtol=1e-5, atol=1e-6)
    # a look at D changes nothing: the same images score the same after it
    assert r.score_images(_images(4))[1] == scores


def test_a_conditional_d_scores_each_image_as_its_class(runner):
    r = runner(ImageExperiment(structure(conditional=True, num_classes=3), blobs(classes=3)))
    one = np.repeat(_images(1), 3, axis=0)
    _, scores = r.score_images(one, np.arange(3))
    D = r.copy_nets().discriminator
    np.testing.assert_allclose(scores, D(torch.from_numpy(one), torch.arange(3)).numpy(), rtol=1e-5, atol=1e-6)
    assert len(set(scores)) == 3  # the class changes the score
    with pytest.raises(ValueError, match="needs a class for each image"):
        r.score_images(one)
    with pytest.raises(ValueError, match="classes must be one per image, from 0 to 2"):
        r.score_images(one, np.array([0, 1, 3]))


def test_images_that_do_not_fit_the_run_are_refused(runner):
    r = runner(ImageExperiment(structure(), blobs()))
    with pytest.raises(ValueError, match=r"images must be 1 to 256 of shape \(1, 28, 28\), got \(1, 1, 32, 32\)"):
        r.score_images(_images(1, 32))
    with pytest.raises(ValueError, match="not conditional"):
        r.score_images(_images(1), np.array([0]))
    with pytest.raises(ValueError, match="finite"):
        r.score_images(np.full((1, 1, 28, 28), np.nan, np.float32))
    assert r.score_images(_images(1))[0] == 0  # the runner still answers


def test_scores_come_back_from_a_trainer_process(runner):
    experiment = ImageExperiment(structure(), blobs())
    r = runner(experiment, remote=True)
    step, scores = r.score_images(_images(2))
    local = Runner(ImageExperiment(structure(), blobs()), KNOBS)  # the same seed: the same initial D
    try:
        np.testing.assert_allclose(scores, local.score_images(_images(2))[1], rtol=1e-4, atol=1e-5)
    finally:
        local.release()
    assert step == 0
