import dataclasses

import numpy as np
import plotly.graph_objects as go
import pytest

from ganlab.kinds.toy_experiment import ToyView
from ganlab.viz import plots
from ganlab.viz.plots import (
    LAYER_LABELS,
    LAYERS,
    NO_DATA,
    d_outputs_figure,
    gradient_norms_figure,
    loss_figure,
    mode_coverage_figure,
    toy_view_figure,
)

BOUNDS = (-2.0, 2.0, -1.5, 1.5)


def make_view(surface_label="D(x)", surface=None, manifold="lines", arrows=3) -> ToyView:
    rng = np.random.default_rng(0)
    xs, ys = np.linspace(-2, 2, 5), np.linspace(-1.5, 1.5, 4)
    if surface is None:
        surface = rng.uniform(0, 1, (4, 5))
    if manifold == "lines":
        manifold = rng.normal(size=(2, 6, 2))
    return ToyView(
        real=rng.normal(size=(10, 2)), fake=rng.normal(size=(8, 2)),
        surface_x=xs, surface_y=ys, surface=surface, surface_label=surface_label,
        arrow_from=rng.normal(size=(arrows, 2)), arrow_dir=rng.normal(size=(arrows, 2)),
        manifold=manifold, bounds=BOUNDS,
    )


def names(fig: go.Figure) -> set[str]:
    return {t.name for t in fig.data}


def trace(fig: go.Figure, layer: str):
    (found,) = [t for t in fig.data if t.name == LAYER_LABELS[layer]]
    return found


def history(n=100, **overrides) -> dict[str, np.ndarray]:
    step = np.arange(1, n + 1)
    out = {"step": step}
    for key in ("d_loss", "g_loss", "d_penalty", "d_real", "d_fake", "d_grad_norm", "g_grad_norm", "wasserstein"):
        out[key] = np.linspace(0.1, 1.0, n)
    out["d_penalty"] = np.zeros(n)
    out["wasserstein"] = np.full(n, np.nan)
    out.update(overrides)
    return out


def has_no_data_note(fig: go.Figure) -> bool:
    return any(a.text == NO_DATA for a in fig.layout.annotations)


def test_layer_constants():
    assert LAYERS == ("surface", "real", "fake", "gradients", "manifold", "modes")
    assert set(LAYER_LABELS) == set(LAYERS)


def test_all_layers_drawn():
    fig = toy_view_figure(make_view(), LAYERS, centres=np.zeros((3, 2)))
    assert names(fig) == set(LAYER_LABELS.values())
    assert isinstance(trace(fig, "surface"), go.Heatmap)


@pytest.mark.parametrize("layers", [(), ("real",), ("fake", "gradients"), ("surface", "manifold", "modes")])
def test_only_requested_layers(layers):
    fig = toy_view_figure(make_view(), layers, centres=np.zeros((3, 2)))
    assert names(fig) == {LAYER_LABELS[layer] for layer in layers}


def test_modes_need_centres_and_manifold_may_be_none():
    fig = toy_view_figure(make_view(manifold=None), LAYERS, centres=None)
    assert LAYER_LABELS["manifold"] not in names(fig)
    assert LAYER_LABELS["modes"] not in names(fig)
    assert LAYER_LABELS["real"] in names(fig)


def test_axis_ranges_are_bounds_with_equal_aspect():
    fig = toy_view_figure(make_view(), ("real",), height=400)
    assert list(fig.layout.xaxis.range) == [BOUNDS[0], BOUNDS[1]]
    assert list(fig.layout.yaxis.range) == [BOUNDS[2], BOUNDS[3]]
    assert fig.layout.yaxis.scaleanchor == "x"
    assert fig.layout.height == 400
    assert fig.layout.uirevision == plots.UIREVISION


def test_arrows_are_one_trace_of_segments_with_nan_separators():
    view = make_view(arrows=4)
    arrows = trace(toy_view_figure(view, ("gradients",)), "gradients")
    xs, ys = list(arrows.x), list(arrows.y)
    assert len(xs) == 4 * 3 - 1
    assert [i for i, v in enumerate(xs) if np.isnan(v)] == [2, 5, 8]
    assert [i for i, v in enumerate(ys) if np.isnan(v)] == [2, 5, 8]
    np.testing.assert_allclose(xs[0::3], view.arrow_from[:, 0])
    np.testing.assert_allclose(ys[0::3], view.arrow_from[:, 1])


def test_arrows_point_along_direction_and_fit_the_plot():
    view = make_view(arrows=20)
    arrows = trace(toy_view_figure(view, ("gradients",)), "gradients")
    start = np.array([arrows.x[0::3], arrows.y[0::3]], dtype=float).T
    tip = np.array([arrows.x[1::3], arrows.y[1::3]], dtype=float).T
    delta = tip - start
    cos = (delta * view.arrow_dir).sum(1) / np.linalg.norm(delta, axis=1) / np.linalg.norm(view.arrow_dir, axis=1)
    np.testing.assert_allclose(cos, 1.0, atol=1e-9)
    span = np.array([BOUNDS[1] - BOUNDS[0], BOUNDS[3] - BOUNDS[2]])
    relative = np.linalg.norm(delta / span, axis=1)
    assert relative.max() == pytest.approx(plots.ARROW_FRACTION, rel=1e-9)


def test_non_finite_and_zero_gradients_do_not_crash():
    view = make_view(arrows=3)
    view.arrow_dir[1] = np.nan
    arrows = trace(toy_view_figure(view, ("gradients",)), "gradients")
    assert len(arrows.x) == 2 * 3 - 1
    view.arrow_dir[:] = 0.0
    arrows = trace(toy_view_figure(view, ("gradients",)), "gradients")
    assert len(arrows.x) == 3 * 3 - 1


def test_manifold_polylines_joined_with_nan_gaps():
    view = make_view()
    manifold = trace(toy_view_figure(view, ("manifold",)), "manifold")
    assert len(manifold.x) == 2 * 7 - 1
    assert np.isnan(manifold.x[6]) and np.isnan(manifold.y[6])
    np.testing.assert_allclose(manifold.x[:6], view.manifold[0, :, 0])


def test_probability_surface_has_fixed_colour_range():
    surface = trace(toy_view_figure(make_view(surface=np.full((4, 5), 0.9)), ("surface",)), "surface")
    assert (surface.zmin, surface.zmax) == (0.0, 1.0)
    assert surface.colorbar.title.text == "D(x)"


def test_critic_surface_is_symmetric_around_zero():
    values = np.linspace(-1.0, 3.0, 20).reshape(4, 5)
    values[0, 0] = np.nan
    surface = trace(toy_view_figure(make_view("critic D(x)", values), ("surface",)), "surface")
    assert (surface.zmin, surface.zmax) == (-3.0, 3.0)
    assert surface.colorbar.title.text == "critic D(x)"


def test_window_keeps_only_last_steps():
    fig = loss_figure(history(100), window=10)
    for t in fig.data:
        assert list(t.x) == list(range(91, 101))
    assert [t.name for t in fig.data] == ["D loss", "G loss"]  # zero penalty not drawn
    assert len(loss_figure(history(100)).data[0].x) == 100


def test_window_counts_steps_not_rows():
    strided = history(50, step=np.arange(1, 51) * 4)
    fig = gradient_norms_figure(strided, window=20)
    assert list(fig.data[0].x) == [184, 188, 192, 196, 200]
    assert fig.layout.yaxis.type == "log"


def test_charts_share_palette_and_layout():
    fig = loss_figure(history(5, d_penalty=np.ones(5)))
    assert [t.line.color for t in fig.data] == [plots.PALETTE["d"], plots.PALETTE["g"], plots.PALETTE["neutral"]]
    assert fig.layout.hovermode == "x unified"
    assert fig.layout.height == plots.CHART_HEIGHT
    assert fig.layout.title.text


def test_wasserstein_drawn_only_when_present():
    assert "Wasserstein estimate" not in names(d_outputs_figure(history(5)))
    fig = d_outputs_figure(history(5, wasserstein=np.ones(5)), score_label="critic")
    assert names(fig) == {"critic on real", "critic on fake", "Wasserstein estimate"}


@pytest.mark.parametrize("build", [loss_figure, d_outputs_figure, gradient_norms_figure])
def test_nan_history_does_not_raise(build):
    h = history(10)
    h["d_loss"][3] = np.nan
    h["g_loss"][:] = np.nan
    h["d_grad_norm"][2] = 0.0
    fig = build(h, window=5)
    assert isinstance(fig, go.Figure)


@pytest.mark.parametrize("build", [loss_figure, d_outputs_figure, gradient_norms_figure])
def test_empty_history_gives_annotation(build):
    assert has_no_data_note(build({}))
    empty = {k: np.array([]) for k in history(1)}
    fig = build(empty, window=10)
    assert has_no_data_note(fig) and len(fig.data) == 0
    all_nan = history(4, d_loss=np.full(4, np.nan), g_loss=np.full(4, np.nan), d_real=np.full(4, np.nan),
                      d_fake=np.full(4, np.nan), d_grad_norm=np.full(4, np.nan), g_grad_norm=np.full(4, np.nan))
    assert has_no_data_note(build(all_nan))


def test_mode_coverage_with_modes():
    evals = {"step": np.array([100, 200, 300]), "kl_hist": np.ones(3), "js_hist": np.ones(3),
             "modes_covered": np.array([2.0, np.nan, 8.0]), "high_quality": np.array([0.1, 0.5, 0.9]),
             "mode_kl": np.ones(3)}
    fig = mode_coverage_figure(evals, modes_total=8, window=150)
    assert names(fig) == {"modes covered", "high-quality share"}
    assert list(fig.data[0].x) == [200, 300]
    assert fig.data[1].yaxis == "y2"
    assert list(fig.layout.yaxis2.range) == [0, 1.05]
    assert list(fig.layout.yaxis.range) == [0, pytest.approx(8 * 1.05)]


def test_mode_coverage_without_modes_shows_divergences():
    evals = {"step": np.array([100, 200]), "kl_hist": np.array([0.5, np.nan]), "js_hist": np.array([0.2, 0.1])}
    fig = mode_coverage_figure(evals, modes_total=None)
    assert names(fig) == {"JS (histogram)", "KL (histogram)"}
    assert has_no_data_note(mode_coverage_figure({}, modes_total=8))


def test_thin_rows_averages_groups_ending_at_the_newest_row():
    from ganlab.viz.plots import thin_rows

    steps = np.arange(1, 11)  # 10 rows -> at most 4: groups of 3 from the end: [1], [2,3,4], [5,6,7], [8,9,10]
    loss = np.array([1.0, 2.0, 3.0, np.nan, 5.0, 6.0, 7.0, 8.0, np.inf, 10.0])
    out = thin_rows({"step": steps, "d_loss": loss, "meta": np.array([7.0])}, max_rows=4)
    np.testing.assert_array_equal(out["step"], [1, 4, 7, 10])
    np.testing.assert_allclose(out["d_loss"], [1.0, 2.5, 6.0, 9.0])  # non-finite values left out of the means
    np.testing.assert_array_equal(out["meta"], [7.0])  # not a per-row column: untouched
    last = thin_rows({"step": steps, "modes_covered": np.arange(10.0)}, max_rows=4, average=False)
    np.testing.assert_array_equal(last["modes_covered"], [0.0, 3.0, 6.0, 9.0])  # each group's last row
    same = thin_rows({"step": steps, "d_loss": loss}, max_rows=10)
    np.testing.assert_array_equal(same["d_loss"], loss)


def test_charts_draw_at_most_chart_points_per_series():
    from ganlab.viz.plots import CHART_POINTS

    fig = loss_figure(history(5 * CHART_POINTS + 3))
    assert len(fig.data[0].x) <= CHART_POINTS
    assert fig.data[0].x[-1] == history(5 * CHART_POINTS + 3)["step"][-1]



# ------------------------------------------------------------------ every point visible (issue 11.3)
OUTSIDE_POINTS = np.array([
    (0.0, 0.0),  # inside
    (2.0, 1.5),  # on the corner: inside
    (3.0, 0.0),  # right
    (-5.0, 1.0),  # left
    (1.0, 4.0),  # up
    (0.0, -2.0),  # down
    (3.0, -1.6),  # beyond a corner: x by 1/4 of the width, y by 0.1/3 of the height -> right
    (np.nan, 0.0),  # no place to draw: dropped
])
OUTSIDE_SHOWN = [(0, 0), (2, 1.5), (2, 0), (-2, 1), (1, 1.5), (0, -1.5), (2, -1.5)]


def test_frame_points_clamps_points_beyond_the_view_onto_its_border():
    framed = plots.frame_points(OUTSIDE_POINTS, BOUNDS)
    np.testing.assert_allclose(framed.shown, OUTSIDE_SHOWN)
    np.testing.assert_allclose(framed.points, OUTSIDE_POINTS[:7])
    assert framed.outside.tolist() == [False, False, True, True, True, True, True]
    assert framed.side.tolist() == ["", "", "right", "left", "up", "down", "right"]
    assert framed.outside_count == 5


def test_figure_draws_outside_points_on_the_border_and_counts_them():
    view = dataclasses.replace(make_view(), fake=OUTSIDE_POINTS)
    fig = toy_view_figure(view, ("fake",))
    fake = trace(fig, "fake")
    np.testing.assert_allclose(np.column_stack([fake.x, fake.y]), OUTSIDE_SHOWN)
    assert list(fake.marker.symbol) == ["circle", "circle", "triangle-right", "triangle-left", "triangle-up",
                                        "triangle-down", "triangle-right"]
    np.testing.assert_allclose(fake.customdata, OUTSIDE_POINTS[:7])  # hover gives the true place
    assert fake.cliponaxis is False
    assert [a.text for a in fig.layout.annotations] == ["5 generated points outside the view (drawn on its border)"]
    note = fig.layout.annotations[0]  # in the plot's bottom-left corner, not off the square plot
    assert (note.xref, note.yref, note.x, note.y) == ("x", "y", BOUNDS[0], BOUNDS[2])


def test_no_outside_note_when_every_point_is_inside():
    view = dataclasses.replace(make_view(), fake=np.array([[0.0, 0.0], [1.0, 1.0]]))
    fig = toy_view_figure(view, ("fake",))
    assert len(fig.layout.annotations) == 0 and trace(fig, "fake").marker.symbol is None
    assert plots.outside_note(0) == "" and plots.outside_note(1) == "1 generated point outside the view (drawn on its border)"


# ------------------------------------------------------------------ one visual language (issue 11.10)
def test_aids_lie_under_the_points_and_real_points_read():
    view = dataclasses.replace(make_view(), fake=np.array([[0.0, 0.0], [1.0, 1.0]]))
    fig = toy_view_figure(view, LAYERS, centres=np.zeros((3, 2)))
    order = [t.name for t in fig.data]
    for aid in ("modes", "gradients"):
        assert order.index(LAYER_LABELS[aid]) < order.index(LAYER_LABELS["real"]) < order.index(LAYER_LABELS["fake"])
    assert trace(fig, "real").marker.size == trace(fig, "fake").marker.size >= 6
    assert trace(fig, "modes").marker.color == plots.PALETTE["guide"]
    assert trace(fig, "gradients").marker.color == plots.PALETTE["gradient"]  # G's arrows in G's colour
    for aid in ("modes", "gradients"):
        assert trace(fig, aid).opacity < 1
    assert trace(fig, "gradients").line.width < 1


def test_surface_display_per_loss_with_hand_worked_ranges():
    probability = plots.surface_display(np.array([[0.2, 0.9]]), "non-saturating")
    assert (probability.label, probability.zmin, probability.zmax) == ("P(real)", 0.0, 1.0)
    assert plots.surface_display(np.array([[0.2]]), "minimax") == probability
    # LSGAN's D strays far from its targets 0 and 1 away from the data: the range stays on them
    lsgan = plots.surface_display(np.array([[-19.0, 0.0, 1.0, 19.0]]), "least-squares")
    assert (lsgan.label, lsgan.zmin, lsgan.zmax) == ("D(x)", -0.5, 1.5)
    assert [text for _, text in lsgan.ticks] == ["0 fake", "0.5", "1 real"]
    # hinge: about 0; |z| = 1..20, 95th percentile at rank 0.95 * 19 = 18.05 -> 19 + 0.05 = 19.05
    hinge = plots.surface_display(np.arange(1.0, 21.0).reshape(4, 5), "hinge")
    assert hinge.label == "critic value"
    assert (hinge.zmin, hinge.zmax) == (pytest.approx(-19.05), pytest.approx(19.05))
    # Wasserstein: about the median (110.5); |z - 110.5| = 0.5, 0.5, 1.5, 1.5, ..., 9.5, 9.5 -> 9.5
    wgan = plots.surface_display(100.0 + np.arange(1.0, 21.0), "wasserstein-gp")
    assert (wgan.zmin, wgan.zmax) == (pytest.approx(101.0), pytest.approx(120.0))
    assert [v for v, _ in wgan.ticks] == [pytest.approx(101.0), pytest.approx(110.5), pytest.approx(120.0)]
    # one extreme corner does not wash the rest out (the largest |z| would give +-1000)
    spiky = plots.surface_display(np.append(np.linspace(-0.5, 0.5, 99), 1000.0), "wasserstein-clip")
    assert spiky.zmax < 1.0


def test_every_loss_has_a_display_rule():
    from ganlab.gan.losses import LOSSES

    for name in LOSSES:
        shown = plots.surface_display(np.array([[0.3, 0.7, np.nan]]), name)
        assert shown.zmin < shown.zmax and shown.label in ("P(real)", "D(x)", "critic value")


def test_the_figure_labels_an_lsgan_surface_by_its_targets():
    view = make_view("critic D(x)", np.linspace(-19.0, 19.0, 20).reshape(4, 5))
    surface = trace(toy_view_figure(view, ("surface",), loss="least-squares"), "surface")
    assert (surface.zmin, surface.zmax) == (-0.5, 1.5)
    assert surface.colorbar.title.text == "D(x)"
    assert list(surface.colorbar.ticktext) == ["0 fake", "0.5", "1 real"]


# ------------------------------------------------------------------ gradient-norm chart (issue 11.11)
def test_gradient_norm_axis_labels_every_tick_in_full():
    h = history(100, d_grad_norm=np.geomspace(0.01, 30, 100), g_grad_norm=np.geomspace(0.05, 3, 100))
    y = gradient_norms_figure(h).layout.yaxis
    assert y.type == "log" and y.tickmode == "array"
    assert list(y.tickvals) == [0.01, 0.1, 1.0, 10.0]
    assert list(y.ticktext) == ["0.01", "0.1", "1", "10"]


@pytest.mark.parametrize("lo, hi, ticks, texts", [
    (0.2, 3.0, [0.2, 0.5, 1.0, 2.0], ["0.2", "0.5", "1", "2"]),  # under two powers of ten inside: 1-2-5
    (0.002, 0.004, [0.002, 0.003, 0.004], ["0.002", "0.003", "0.004"]),  # under two 1-2-5 steps: 1-9
    (1.1, 1.3, [1.1, 1.3], ["1.1", "1.3"]),  # narrower still: the two ends
    (1e-7, 1e3, [1e-7, 1e-5, 1e-3, 1e-1, 10.0, 1e3],  # 11 powers of ten: every 2nd
     ["10<sup>-7</sup>", "10<sup>-5</sup>", "0.001", "0.1", "10", "1000"]),
])
def test_log_ticks(lo, hi, ticks, texts):
    got_ticks, got_texts = plots.log_ticks(np.array([lo, hi, np.nan, 0.0]))
    np.testing.assert_allclose(got_ticks, ticks)
    assert got_texts == texts


def _legend_clear_of_title(fig: go.Figure) -> bool:
    """The legend sits under the plot (in the bottom margin), the title above it: they never share
    a band, however narrow the column (the legend above the plot ran over the title)."""
    legend = fig.layout.legend
    below = ((legend.yref == "container" and legend.y is not None and legend.y <= 0.1 and legend.yanchor == "bottom")
             or ((legend.yref in (None, "paper")) and legend.y is not None and legend.y < 0 and legend.yanchor == "top"))
    return below and fig.layout.title.text is not None and (fig.layout.title.y is None or fig.layout.title.y >= 0.9)


def test_titled_charts_keep_their_legend_off_the_title():
    from ganlab.viz.plots_runs import compare_losses_figure, compare_metric_figure

    steps = np.arange(5.0)
    history = {"step": steps, "d_loss": np.ones(5), "g_loss": np.ones(5), "d_real": np.ones(5),
               "d_fake": np.zeros(5), "d_grad_norm": np.ones(5), "g_grad_norm": np.ones(5)}
    evals = {"step": steps, "modes_covered": np.array([1, 3, 5, 8, 8.0]), "high_quality": np.linspace(0, 1, 5),
             "kl_hist": np.ones(5), "js_hist": np.ones(5)}
    figures = {
        "losses": loss_figure(history), "D outputs": d_outputs_figure(history),
        "gradients": gradient_norms_figure(history), "modes": mode_coverage_figure(evals, 25),
        "divergence": mode_coverage_figure({k: evals[k] for k in ("step", "kl_hist", "js_hist")}, None),
        "runs' losses": compare_losses_figure({"ring-a": history, "ring-b": history}),
        "runs' metric": compare_metric_figure({"ring-a": evals, "ring-b": evals}, "kl_hist"),
    }
    for name, fig in figures.items():
        assert sum(bool(t.showlegend is not False) for t in fig.data) >= 1, name
        assert _legend_clear_of_title(fig), (name, fig.layout.legend, fig.layout.title)
