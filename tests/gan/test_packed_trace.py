"""The slow-motion step of a packed D (PacGAN) and of an unrolled G loss: each point shows its
pack's score and pull, the surface scores each place packed with copies of itself, and the
sub-steps say so."""

from __future__ import annotations

import copy

import numpy as np
import torch
from torch.testing import assert_close

from ganlab.gan.losses import get_loss
from ganlab.gan.step_stages import substeps
from ganlab.gan.step_trace import traced_step
from ganlab.kinds.toy_experiment import ToyExperiment
from ganlab.settings.config import Knobs, MLPShape, ToyStructure

SMALL = MLPShape(hidden_layers=2, width=16)


def test_each_point_of_a_packed_batch_shows_its_packs_score_and_pull():
    experiment = ToyExperiment(ToyStructure(generator=SMALL, discriminator=SMALL, pack=3))
    knobs = Knobs(loss="least-squares", batch_size=32)
    parts = experiment.build(knobs)
    D_before = copy.deepcopy(parts.discriminator)
    trace = traced_step(parts, experiment, knobs)
    phase = trace.d_phases[0]
    assert trace.pack == 3 and phase.real.shape == (30, 2) and phase.real_score.shape == (30,)
    packs = D_before(torch.from_numpy(phase.real)).detach()  # 10 scores, one per pack of 3
    want = packs.repeat_interleave(3)
    np.testing.assert_allclose(phase.real_score, want.numpy(), rtol=1e-5, atol=1e-6)
    # least squares: minus n_packs times d/dr of 0.5 * mean((r - 1)^2) is 1 - r, each pack's for its points
    assert_close(torch.from_numpy(phase.real_push), 1 - want, rtol=1e-5, atol=1e-6)
    # the surface before the update: each grid point packed with two copies of itself
    _, _, grid = experiment.surface_grid()
    surface = D_before(grid.repeat_interleave(3, dim=0)).detach().reshape(phase.surface_before.shape)
    np.testing.assert_allclose(phase.surface_before, surface.numpy(), rtol=1e-5, atol=1e-6)
    g = trace.g_phase
    assert g.score.shape == (30,) and g.arrows.shape == (30, 2)
    sentences = {step.stage: step.sentence for step in substeps(trace)}
    assert "D judges packs of 3" in sentences["d_score"] and "with 2 copies of itself" in sentences["d_score"]
    assert sentences["d_sample"].startswith("Draw a batch of 30 real points")


def test_the_g_update_against_an_unrolled_d_says_so_and_leaves_d_as_its_d_update_left_it():
    experiment = ToyExperiment(ToyStructure(generator=SMALL, discriminator=SMALL))
    knobs = Knobs(batch_size=16, unroll=3)
    parts = experiment.build(knobs)
    trace = traced_step(parts, experiment, knobs)
    _, _, grid = experiment.surface_grid()
    with torch.no_grad():
        now = get_loss(knobs.loss).score(parts.discriminator(grid)).reshape(trace.d_phases[-1].surface_after.shape)
    np.testing.assert_array_equal(trace.d_phases[-1].surface_after, now.numpy())  # the unrolling moved no D weight
    sentences = {step.stage: step.sentence for step in substeps(trace)}
    assert "as D would be after 3 more D steps" in sentences["g_score"]
    assert "through D's look-ahead steps" in sentences["g_grad"]
