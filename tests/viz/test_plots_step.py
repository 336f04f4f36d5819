"""The slow-motion step's pictures: what each sub-step's figure draws, from a real trace."""

from __future__ import annotations

import numpy as np
import pytest

from ganlab.gan.step_stages import substeps
from ganlab.gan.step_trace import traced_step
from ganlab.kinds.toy_experiment import ToyExperiment
from ganlab.settings.config import Knobs, MLPShape, ToyStructure
from ganlab.viz.plots import LAYER_LABELS, arrow_segments
from ganlab.viz.plots_step import ARROW_STRETCH, _view, substep_figures

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
    # the live view's arrows of the same points

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


# ------------------------------------------------------------------ issue 22.7: say what is drawn
def test_the_arrows_are_one_colour_in_every_picture_and_the_live_view(traced):
    """They were orange in G's gradient sub-step and grey in G's update and in the live view."""
    from ganlab.viz.plots import PALETTE, toy_view_figure
    from ganlab.viz.raster import render_plot_square

    trace, steps, centres = traced
    for stage in ("g_grad", "g_update"):
        fig = substep_figures(trace, steps[stage], centres)[0]
        arrows = next(t for t in fig.data if t.name == LAYER_LABELS["gradients"])
        assert arrows.line.color == arrows.marker.color == PALETTE["gradient"], stage
    live = _view(trace, trace.d_phases[0].surface_after, np.zeros((0, 2)), trace.g_phase.fake_before,
                 trace.g_phase.fake_before, trace.g_phase.arrows)
    live_fig = toy_view_figure(live, ["gradients"], None)
    assert next(t for t in live_fig.data if t.name == LAYER_LABELS["gradients"]).line.color == PALETTE["gradient"]
    # the server-drawn live view: every inked pixel is a blend of white and the arrows' colour
    pixels = np.asarray(render_plot_square(live, ["gradients"], None, 240, supersample=1)).reshape(-1, 3).astype(float)
    inked = pixels[(pixels < 250).any(axis=1)]
    assert len(inked) > 50
    colour = np.array([int(PALETTE["gradient"][i:i + 2], 16) for i in (1, 3, 5)], dtype=float)
    share = (255 - inked[:, 0]) / (255 - colour[0])  # how much of the colour each pixel holds
    np.testing.assert_allclose(inked, 255 - share[:, None] * (255 - colour), atol=6)  # rounded per channel


def test_arrow_scale_is_worked_by_hand():
    """Gradients of 0.0036 in a 6-unit frame: the target length is 6% of 6 = 0.36, so the arrows are
    drawn 100 times their length (and a gradient 10x longer is shortened to the same 0.36)."""
    from ganlab.kinds.toy_experiment import ToyView
    from ganlab.viz.plots import arrow_scale

    starts = np.zeros((100, 2))
    directions = np.tile([[0.0036, 0.0]], (100, 1))
    directions[0] = [0.036, 0.0]  # one of 100: beyond the 95th percentile
    view = ToyView(real=np.zeros((0, 2)), fake=starts, surface_x=np.zeros(2), surface_y=np.zeros(2),
                   surface=np.zeros((2, 2)), surface_label="D(x)", arrow_from=starts, arrow_dir=directions,
                   manifold=None, bounds=(-3.0, 3.0, -3.0, 3.0))
    assert arrow_scale(view) == pytest.approx(100.0)
    lengths = np.linalg.norm(np.diff(arrow_segments(view), axis=1)[:, 0], axis=1)
    np.testing.assert_allclose(lengths, 0.36)


def test_the_pictures_say_the_scale_the_arrows_are_drawn_at(traced):
    """Beside "mean gradient length 0.0105" the arrows were drawn ~0.3 units long with no word of it."""
    from ganlab.viz.plots import arrow_scale
    from ganlab.viz.plots_step import arrow_note

    trace, steps, centres = traced
    live = _view(trace, trace.d_phases[0].surface_after, np.zeros((0, 2)), trace.g_phase.fake_before,
                 trace.g_phase.fake_before, trace.g_phase.arrows)
    scale = arrow_scale(live)
    assert scale > 1
    for stage, times in (("g_grad", ARROW_STRETCH * scale), ("g_update", scale)):
        fig = substep_figures(trace, steps[stage], centres)[0]
        assert [a.text for a in fig.layout.annotations] == [arrow_note(times)], stage
    assert arrow_note(28.64) == "arrows drawn 28.6× the gradient (the longest 5% shortened)"
    assert "mean gradient length" in dict(steps["g_grad"].numbers)


def test_the_pictures_follow_the_view_range(traced):
    """At step 0 the fakes are a speck near (0, 0): a zoomed View range must frame them here too."""
    trace, steps, centres = traced
    zoomed = (-0.5, 0.5, -0.25, 0.75)
    for sub in steps.values():
        for fig in substep_figures(trace, sub, centres, zoomed):
            assert tuple(fig.layout.xaxis.range) == (-0.5, 0.5) and tuple(fig.layout.yaxis.range) == (-0.25, 0.75)
    whole = substep_figures(trace, steps["g_grad"], centres)[0]
    assert tuple(whole.layout.xaxis.range) == trace.bounds[:2]
