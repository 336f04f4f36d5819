"""The pictures of the slow-motion step: one 2D-plane figure per sub-step of a `StepTrace`
(two for D's update: its surface before and after). Built on the live view's figure
(`toy_view_figure`), with what a sub-step adds: each point's score on hover, the penalty's
points, how hard each point pulls on D, the arrows at the fakes, the fakes before and after.
Pure: numpy in, plotly figures out."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ganlab.gan.step_stages import SubStep
from ganlab.gan.step_trace import StepTrace
from ganlab.kinds.toy_experiment import ToyView
from ganlab.viz.display import surface_display
from ganlab.viz.plots import LAYER_LABELS, PALETTE, SURFACE_COLORSCALE, arrow_scale, polyline_xy, toy_view_figure
from ganlab.viz.view_range import Bounds

FIGURE_HEIGHT = 430
PAIR_HEIGHT = 340  # each of D's before/after figures
CHANGE_HEIGHT = 340  # and the figure of what changed, under them
ARROW_STRETCH = 2.5  # times the live view's arrow length
SEGMENTS_SHOWN = 48  # real-fake segments drawn under the gradient penalty's points
PULL_SIZES = (3.0, 16.0)  # marker sizes (px) of the weakest and the strongest pull on D
EMPTY = np.zeros((0, 2), dtype=np.float32)


def _view(trace: StepTrace, surface: np.ndarray, real: np.ndarray, fake: np.ndarray,
          arrow_from: np.ndarray = EMPTY, arrow_dir: np.ndarray = EMPTY, bounds: Bounds | None = None) -> ToyView:
    """The sub-step's points and D's surface (recorded over the data's frame), framed to `bounds`:
    the View range the user chose, or the data's frame."""
    return ToyView(real=real, fake=fake, surface_x=trace.surface_x, surface_y=trace.surface_y, surface=surface,
                   surface_label=trace.surface_label, arrow_from=arrow_from, arrow_dir=arrow_dir, manifold=None,
                   bounds=trace.bounds if bounds is None else tuple(bounds))


def _named(fig: go.Figure, layer: str) -> go.Scatter | None:
    return next((t for t in fig.data if t.name == LAYER_LABELS[layer]), None)


def _with_scores(fig: go.Figure, layer: str, points: np.ndarray, scores: np.ndarray, label: str) -> None:
    """Hover on a point gives its place and D's score of it."""
    trace = _named(fig, layer)
    if trace is not None and len(points) == len(scores):
        trace.update(customdata=np.column_stack([points, scores]).astype(np.float64),
                     hovertemplate=f"(%{{customdata[0]:.2f}}, %{{customdata[1]:.2f}})<br>{label} "
                                   "%{customdata[2]:.3f}<extra></extra>")


def _pull_sizes(fig: go.Figure, layer: str, pulls: np.ndarray, strongest: float) -> None:
    trace = _named(fig, layer)
    if trace is None or not np.size(pulls):
        return
    lo, hi = PULL_SIZES
    sizes = lo + (hi - lo) * np.clip(np.abs(pulls) / max(strongest, 1e-12), 0, 1)
    trace.update(marker=dict(size=sizes.astype(np.float64), opacity=0.6, line=dict(width=0)),
                 customdata=np.column_stack([trace.x, trace.y, pulls]).astype(np.float64),
                 hovertemplate="(%{customdata[0]:.2f}, %{customdata[1]:.2f})<br>pull %{customdata[2]:.3g}<extra></extra>")


def _penalty_points(fig: go.Figure, trace: StepTrace, phase) -> None:
    mixed = phase.penalty_points.get("gp")
    if mixed is not None:
        k = min(SEGMENTS_SHOWN, len(mixed), len(phase.real), len(phase.fake))
        xs, ys = polyline_xy(np.stack([phase.real[:k], phase.fake[:k]], axis=1).astype(np.float64))
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name="real–fake segments", hoverinfo="skip",
                                 line=dict(color=PALETTE["guide"], width=0.7), opacity=0.5))
        fig.add_trace(go.Scatter(x=mixed[:, 0], y=mixed[:, 1], mode="markers", name="penalty points",
                                 marker=dict(symbol="x-thin", size=6, color=PALETTE["neutral"], opacity=0.7,
                                             line=dict(width=1.2)),
                                 hovertemplate="interpolate (%{x:.2f}, %{y:.2f})<extra></extra>"))
    at_real = phase.penalty_points.get("r1")
    if at_real is not None:
        fig.add_trace(go.Scatter(x=at_real[:, 0], y=at_real[:, 1], mode="markers", name="R1 points",
                                 marker=dict(symbol="circle-open", size=11, color=PALETTE["neutral"],
                                             line=dict(width=1)),
                                 hovertemplate="R1 at (%{x:.2f}, %{y:.2f})<extra></extra>"))


def _bold_arrows(fig: go.Figure) -> None:
    """The arrows are this sub-step's subject: longer and bolder than the live view's (in the same
    colour, PALETTE["gradient"], as everywhere)."""
    trace = _named(fig, "gradients")
    if trace is None:
        return
    xs, ys = np.array(trace.x, dtype=np.float64), np.array(trace.y, dtype=np.float64)
    start = np.arange(len(xs)) % 3 == 0
    tip = np.roll(start, 1)  # each tip follows its start; NaN gaps stay
    for values in (xs, ys):
        values[tip] = values[start] + ARROW_STRETCH * (values[tip] - values[start])
    trace.update(x=xs, y=ys, opacity=0.85, line=dict(color=PALETTE["gradient"], width=1.2),
                 marker=dict(color=PALETTE["gradient"]))


def arrow_note(times: float) -> str:
    """The scale the arrows are drawn at, for the picture: they are gradients, far shorter."""
    if not times > 0:
        return ""
    return f"arrows drawn {times:,.3g}× the gradient (the longest 5% shortened)"


def _scale_note(fig: go.Figure, times: float) -> None:
    text = arrow_note(times)
    if text:
        fig.add_annotation(text=text, x=0.01, y=0.99, xref="paper", yref="paper", xanchor="left", yanchor="top",
                           showarrow=False, font=dict(size=12, color=PALETTE["gradient"]), bgcolor="rgba(255,255,255,0.8)")


def _faded_fakes(fig: go.Figure, points: np.ndarray, name: str) -> None:
    fig.add_trace(go.Scatter(x=points[:, 0], y=points[:, 1], mode="markers", name=name,
                             marker=dict(color=PALETTE["fake"], size=6, opacity=0.22),
                             hovertemplate="before (%{x:.2f}, %{y:.2f})<extra></extra>"))


def _same_scale(figures: list[go.Figure], surfaces: list[np.ndarray], loss: str, label: str) -> None:
    """One colour range for D's before and after pictures, so a change of colour is a change of D."""
    shown = surface_display(np.concatenate([s.ravel() for s in surfaces]), loss, label)
    values, texts = zip(*shown.ticks, strict=False)
    for fig in figures:
        fig.update_traces(selector=dict(type="heatmap"), zmin=shown.zmin, zmax=shown.zmax,
                          colorbar=dict(tickvals=list(values), ticktext=list(texts)))


def _change_figure(trace: StepTrace, phase, centres: np.ndarray | None, bounds: Bounds | None) -> go.Figure:
    """After minus before: where D's update raised its score (green) and lowered it (purple)."""
    change = (phase.surface_after - phase.surface_before).astype(np.float64)
    finite = np.abs(change[np.isfinite(change)])
    reach = float(np.percentile(finite, 99)) if finite.size else 0.0
    reach = reach if reach > 0 else 1e-6
    fig = toy_view_figure(_view(trace, phase.surface_after, phase.real, phase.fake, bounds=bounds),
                          ["modes", "real", "fake"], centres, CHANGE_HEIGHT)
    fig.add_trace(go.Heatmap(
        x=trace.surface_x.astype(np.float64), y=trace.surface_y.astype(np.float64), z=change, zmin=-reach,
        zmax=reach, zmid=0, zsmooth="fast", colorscale=SURFACE_COLORSCALE, name="change",
        colorbar=dict(title=dict(text=f"change of {trace.surface_label}", side="right"), thickness=12, len=0.8),
        hovertemplate="x=%{x:.2f}<br>y=%{y:.2f}<br>change %{z:.3g}<extra></extra>"))
    fig.data = fig.data[-1:] + fig.data[:-1]  # under the points
    fig.update_layout(showlegend=False)
    return _titled(fig, "What the update changed (after − before)")


def _titled(fig: go.Figure, title: str) -> go.Figure:
    fig.update_layout(title=dict(text=title, x=0.5, xanchor="center", font=dict(size=14)),
                      margin=dict(l=10, r=10, t=40, b=10))
    return fig


def substep_figures(trace: StepTrace, sub: SubStep, centres: np.ndarray | None = None,
                    bounds: Bounds | None = None) -> list[go.Figure]:
    """The picture(s) of `sub`: one figure, or three for D's update (before, after, and what changed),
    framed to `bounds` (the View range the user chose; default the data's frame)."""
    loss, label = trace.knobs.loss, trace.surface_label
    base = ["surface", "modes"]
    if sub.phase is not None:
        phase = trace.d_phases[sub.phase]
        if sub.stage == "d_update":
            view = lambda s: _view(trace, s, phase.real, phase.fake, bounds=bounds)  # noqa: E731
            figs = [_titled(toy_view_figure(view(s), base + ["real", "fake"], centres, PAIR_HEIGHT, loss), title)
                    for s, title in ((phase.surface_before, "D before its update"),
                                     (phase.surface_after, "D after its update"))]
            _same_scale(figs, [phase.surface_before, phase.surface_after], loss, label)
            for fig in figs:
                fig.update_layout(showlegend=False)  # the sub-steps before name the points
                fig.update_traces(selector=dict(type="heatmap"), showscale=False)  # equal sizes; the bar is under them
            return figs + [_change_figure(trace, phase, centres, bounds)]
        fake = EMPTY if sub.stage == "d_sample" else phase.fake
        fig = toy_view_figure(_view(trace, phase.surface_before, phase.real, fake, bounds=bounds),
                              base + ["real", "fake"], centres, FIGURE_HEIGHT, loss)
        if sub.stage in ("d_score", "d_loss", "d_penalty"):
            _with_scores(fig, "real", phase.real, phase.real_score, label)
            _with_scores(fig, "fake", phase.fake, phase.fake_score, label)
        if sub.stage == "d_penalty":
            _penalty_points(fig, trace, phase)
        if sub.stage == "d_grad":
            strongest = float(np.max(np.abs(np.concatenate([phase.real_push, phase.fake_push]))))
            _pull_sizes(fig, "real", phase.real_push, strongest)
            _pull_sizes(fig, "fake", phase.fake_push, strongest)
        return [fig]
    g = trace.g_phase
    surface = trace.d_phases[-1].surface_after if trace.d_phases else np.zeros((len(trace.surface_y), len(trace.surface_x)))
    arrows = sub.stage in ("g_grad", "g_update")
    fake = g.fake_after if sub.stage == "g_update" else g.fake_before
    view = _view(trace, surface, EMPTY, fake, g.fake_before if arrows else EMPTY, g.arrows if arrows else EMPTY,
                 bounds)
    fig = toy_view_figure(view, base + ["fake"] + (["gradients"] if arrows else []), centres, FIGURE_HEIGHT, loss)
    if arrows:
        stretch = ARROW_STRETCH if sub.stage == "g_grad" else 1.0
        _scale_note(fig, stretch * arrow_scale(view))
    if sub.stage == "g_grad":  # in G's update they are drawn as in the live view, under the move
        _bold_arrows(fig)
    if sub.stage in ("g_score", "g_loss"):
        _with_scores(fig, "fake", g.fake_before, g.score, label)
    if sub.stage == "g_update":
        _faded_fakes(fig, g.fake_before, "before G's update")
        xs, ys = polyline_xy(np.stack([g.fake_before, g.fake_after], axis=1).astype(np.float64))
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name="moved", hoverinfo="skip",
                                 line=dict(color=PALETTE["fake"], width=0.8), opacity=0.5))
        after = _named(fig, "fake")  # drawn last: over the faded points and the trails
        fig.data = tuple(t for t in fig.data if t is not after) + ((after,) if after is not None else ())
    return [fig]
