"""Nets out of a live run, on a thread and in a real trainer process, with every net option:
`copy_nets` (the Latent page) and the quality panel's generator copies hand over the trainer's
own weights, spectral norm's power-iteration vectors and batch norm's statistics included
(issue 22.3: a spectral-norm D could not be sent back from a trainer process)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.testing import assert_close

from ganlab.kinds.toy_experiment import ToyExperiment
from ganlab.settings.config import MLPShape, ToyStructure
from ganlab.training.quality_monitor import runner_sample_source
from ganlab.training.worker_process import wait_gone
from tests.live_runs import NET_OPTIONS, TRAINERS, image_experiment, make_live_runner
from tests.trainer_probes import ema_on_eval_noise, net_state


@pytest.fixture
def live():
    made = []

    def make(trainer: str, experiment):
        runner = make_live_runner(trainer, experiment)
        made.append(runner)
        runner.step("both", 2)
        assert runner.wait_idle(60)
        return runner

    yield make
    for runner in made:
        runner.release()
    assert wait_gone([r.pid for r in made if getattr(r, "pid", None)]) == []


def assert_same_weights(copies: dict, live: dict[str, torch.Tensor]) -> None:
    """Each copy holds exactly the live tensors of its prefix, and is frozen for looking at."""
    for prefix, module in copies.items():
        mine = {f"{prefix}.{k}": v for k, v in module.state_dict().items()}
        theirs = {k: v for k, v in live.items() if k.startswith(prefix + ".")}
        assert mine.keys() == theirs.keys() and mine, prefix
        for key, value in theirs.items():
            assert torch.equal(mine[key], value), key
        assert not module.training and not any(p.requires_grad for p in module.parameters()), prefix


@pytest.mark.parametrize("option", NET_OPTIONS)
@pytest.mark.parametrize("trainer", TRAINERS)
def test_copied_nets_are_the_trainers_own(live, trainer, option):
    runner = live(trainer, image_experiment(option))
    s = runner.experiment.structure
    nets = runner.copy_nets()
    weights = runner.call_on_thread(net_state)
    assert nets.step == 2 and nets.experiment is runner.experiment
    assert (nets.ema_generator is not None) == (s.ema_decay > 0)
    copies = {"generator": nets.generator, "discriminator": nets.discriminator}
    if nets.ema_generator is not None:
        copies["ema"] = nets.ema_generator
    assert_same_weights(copies, weights)
    if s.d_spectral_norm:  # the power iteration's vector came along: D answers as the trainer's D does
        assert any(k.endswith("parametrizations.weight.0._u") for k in weights)
    images = runner.experiment.dataset.to_float(runner.experiment.dataset.images[:4])
    labels = torch.arange(4) % 3 if s.conditional else None
    _, logits = runner.score_images(images.numpy(), None if labels is None else labels.numpy())
    with torch.no_grad():
        assert_close(nets.discriminator(images, labels).flatten(), torch.tensor(logits), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("option", NET_OPTIONS)
@pytest.mark.parametrize("trainer", TRAINERS)
def test_the_quality_panels_samples_are_the_trainers_generators(live, trainer, option):
    runner = live(trainer, image_experiment(option))
    step, images = runner_sample_source(runner)()
    # the live copy keeps the live G's (training) mode: batch statistics, as the trainer's own samples
    assert step == 2
    np.testing.assert_allclose(images, runner.generate_eval_samples(), rtol=1e-5, atol=1e-6)
    if runner.experiment.structure.ema_decay > 0:
        step, averaged = runner_sample_source(runner, ema=True)()
        np.testing.assert_allclose(averaged, runner.call_on_thread(ema_on_eval_noise), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("trainer", TRAINERS)
def test_a_2d_runs_nets_come_over_too(live, trainer):
    tiny = ToyStructure(generator=MLPShape(1, 16), discriminator=MLPShape(1, 16))
    runner = live(trainer, ToyExperiment(tiny))
    nets = runner.copy_nets()
    assert nets.step == 2 and nets.ema_generator is None
    assert_same_weights({"generator": nets.generator, "discriminator": nets.discriminator},
                        runner.call_on_thread(net_state))
