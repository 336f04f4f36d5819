"""A view request carries the range to draw (x0, x1, y0, y1): the toy experiment evaluates D on
a grid over exactly that range, and the runner (in this process or a trainer process) redraws
when the range changes, paused or training, without touching the run."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ganlab.gan.losses import get_loss
from ganlab.kinds.toy_experiment import SURFACE_RESOLUTION, ToyExperiment
from ganlab.settings.config import Knobs, ToyStructure
from ganlab.training.remote_runner import RemoteRunner
from ganlab.training.runner import Runner
from ganlab.training.runner_state import RunState
from ganlab.training.worker_process import ProcessTransport, wait_gone
from tests.conftest import wait_until

SMALL = ToyStructure.from_dict({"generator": {"width": 16, "hidden_layers": 1},
                                "discriminator": {"width": 16, "hidden_layers": 1}})
ZOOMED = (0.5, 1.5, -0.25, 0.75)


def test_the_surface_is_d_on_a_grid_over_the_asked_range():
    exp = ToyExperiment(SMALL)
    knobs = Knobs()
    parts = exp.build(knobs)
    view = exp.view(parts, knobs, bounds=ZOOMED)
    assert view.bounds == ZOOMED
    assert view.surface_x[0] == 0.5 and view.surface_x[-1] == 1.5 and len(view.surface_x) == SURFACE_RESOLUTION
    assert view.surface_y[0] == -0.25 and view.surface_y[-1] == 0.75
    r, c = 7, 41  # surface rows run along y, columns along x
    point = torch.tensor([[view.surface_x[c], view.surface_y[r]]])
    with torch.no_grad():
        expected = get_loss(knobs.loss).score(parts.discriminator(point)).item()
    assert view.surface[r, c] == pytest.approx(expected, abs=1e-6)
    # the points and arrows are the same fixed-noise samples whatever the range
    full = exp.view(parts, knobs)
    assert full.bounds == exp.dataset.bounds and full.surface_x[0] == exp.dataset.bounds[0]
    np.testing.assert_array_equal(full.fake, view.fake)
    np.testing.assert_array_equal(full.arrow_from, view.arrow_from)


def _check_range_follows_requests(runner) -> None:
    runner.step("both", count=3)
    assert runner.wait_idle(30)
    snap = runner.snapshot(want_view=True, wait_for_view=10, view_range=ZOOMED)
    assert snap.view.bounds == ZOOMED and snap.settled and snap.step == 3  # paused: redrawn, not trained
    back = runner.snapshot(want_view=True, wait_for_view=10)  # no range: the data's frame
    assert back.view.bounds == runner.experiment.dataset.bounds and back.step == 3
    runner.play()
    wait_until(lambda: runner.snapshot().step > 3, timeout=30)
    at_change = runner.snapshot().step
    wait_until(lambda: runner.snapshot(want_view=True, wait_for_view=1, view_range=ZOOMED).view.bounds == ZOOMED,
               timeout=30)
    wait_until(lambda: runner.snapshot(want_view=True, view_range=ZOOMED).view_step > at_change, timeout=30)
    assert runner.state == RunState.RUNNING  # the range changed while it trained on
    runner.pause()


def test_a_thread_runner_redraws_for_a_new_range(release_runners):
    runner = Runner(ToyExperiment(SMALL), Knobs(batch_size=16))
    _check_range_follows_requests(runner)


def test_the_range_reaches_a_trainer_process():
    runner = RemoteRunner(ToyExperiment(SMALL), Knobs(batch_size=16), transport_factory=ProcessTransport)
    try:
        _check_range_follows_requests(runner)
    finally:
        runner.release()
    assert wait_gone([runner.pid]) == []
