"""The slow-motion step's pictures: what each sub-step's figure draws, from a real trace."""

from __future__ import annotations

import numpy as np
import pytest

from ganlab.settings.config import Knobs, MLPShape, ToyStructure
from ganlab.viz.plots import LAYER_LABELS, arrow_segments
from ganlab.viz.plots_step import ARROW_STRETCH, substep_figures
from ganlab.gan.step_stages import substeps
from ganlab.gan.step_trace import traced_step
from ganlab.kinds.toy_experiment import ToyExperiment

SMALL = MLPShape(hidden_layers=1, width=16)


@pytest.fixture(scope="module")
def traced():
    knobs = Knobs(batch_size=32, gp_weight=1.0, r1_weight=1.0)
    experiment = ToyExperiment(ToyStructure(generator=SMALL, discriminator=SMALL))
    trace = traced_step(experiment.build(knobs), experiment, knobs)
    return trace, {s.stage: s for s in substeps(trace)}, experiment.dataset.centres


def names(fig) -> list[str]:
    return [t.name for t in fig.data]


def test_every_sub_step_has_its_picture(traced):
    trace, steps, centres = traced
    for sub in steps.values():
        figures = substep_figures(trace, sub, centres)
        assert len(figures) == (3 if sub.stage == "d_update" else 1)
        assert all(f.to_json() for f in figures)
    first = substep_figures(trace, steps["d_sample"], centres)[0]
    fakes = next(t for t in first.data if t.name == LAYER_LABELS["fake"])
    assert len(fakes.x) == 0  # G has not made them yet
    scored = substep_figures(trace, steps["d_score"], centres)[0]
    reals = next(t for t in scored.data if t.name == LAYER_LABELS["real"])
    np.testing.assert_allclose(np.asarray(reals.customdata)[:, 2], trace.d_phases[0].real_score, rtol=1e-6)


def test_d_update_before_after_on_one_scale_and_the_change(traced):
    trace, steps, centres = traced
    phase = trace.d_phases[0]
    before, after, change = substep_figures(trace, steps["d_update"], centres)
    b, a = before.data[0], after.data[0]
    np.testing.assert_array_equal(b.z, phase.surface_before)
    np.testing.assert_array_equal(a.z, phase.surface_after)
    assert (b.zmin, b.zmax) == (a.zmin, a.zmax)
    np.testing.assert_allclose(change.data[0].z, phase.surface_after - phase.surface_before)
    assert change.data[0].zmid == 0


def test_penalty_points_are_drawn(traced):
    trace, steps, centres = traced
    fig = substep_figures(trace, steps["d_penalty"], centres)[0]
    mixed = next(t for t in fig.data if t.name == "penalty points")
    np.testing.assert_allclose(np.column_stack([mixed.x, mixed.y]), trace.d_phases[0].penalty_points["gp"])
    assert "R1 points" in names(fig)


def test_arrows_start_at_the_fakes_and_stretch_the_live_views(traced):
    trace, steps, centres = traced
    fig = substep_figures(trace, steps["g_grad"], centres)[0]
    arrows = next(t for t in fig.data if t.name == LAYER_LABELS["gradients"])
    xs = np.asarray(arrows.x, dtype=float)
    from ganlab.viz.plots_step import _view  # the live view's arrows of the same points

    live = arrow_segments(_view(trace, trace.d_phases[0].surface_after, np.zeros((0, 2)), trace.g_phase.fake_before,
                                trace.g_phase.fake_before, trace.g_phase.arrows))
    np.testing.assert_allclose(xs[0::3], live[:, 0, 0])
    np.testing.assert_allclose(xs[1::3], live[:, 0, 0] + ARROW_STRETCH * (live[:, 1, 0] - live[:, 0, 0]))


def test_g_update_draws_the_new_fakes_over_the_old(traced):
    trace, steps, centres = traced
    fig = substep_figures(trace, steps["g_update"], centres)[0]
    assert names(fig)[-1] == LAYER_LABELS["fake"]
    assert "before G's update" in names(fig)
    np.testing.assert_allclose(np.column_stack([fig.data[-1].x, fig.data[-1].y]), trace.g_phase.fake_after)
