"""Plotly figures for the latent-space page: pure functions, numpy in, figure out.

Real data, generated data and D's map take their colours from `ganlab.viz.plots` (PALETTE,
SURFACE_COLORSCALE), the one place they are defined, so this page speaks the playground's
visual language: green real, purple generated, D's map purple (fake) to green (real)."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from ganlab.viz.display import surface_display
from ganlab.viz.plots import PALETTE, SURFACE_COLORSCALE

# One curve per direction slider: neither real nor generated, so colours of their own (no green
# or purple, which mean real and generated).
WALK_COLOURS = ("#1f77b4", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#d62728", "#7f7f7f")


def _f64(a) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)


def _frame(fig: go.Figure, bounds: tuple[float, float, float, float], height: int) -> go.Figure:
    x0, x1, y0, y1 = bounds
    fig.update_layout(
        height=height, margin=dict(l=10, r=10, t=30, b=10), legend=dict(orientation="h", y=1.02, yanchor="bottom"),
        xaxis=dict(range=[x0, x1], zeroline=False), yaxis=dict(range=[y0, y1], zeroline=False, scaleanchor="x"),
        plot_bgcolor="white", uirevision="latent",
    )
    return fig


def _real(real: np.ndarray) -> go.Scattergl:
    real = _f64(real)
    return go.Scattergl(x=real[:, 0], y=real[:, 1], mode="markers", name="real data",
                        marker=dict(size=4, color=PALETTE["real"], opacity=0.5), hoverinfo="skip")


def _generated_point(point: np.ndarray, name: str) -> go.Scatter:
    """The one generated point the sliders move: generated colour, a large outlined star."""
    return go.Scatter(x=point[:1], y=point[1:2], mode="markers", name=name,
                      marker=dict(size=16, color=PALETTE["fake"], symbol="star",
                                  line=dict(color=PALETTE["neutral"], width=1.5)))


def interpolation_figure(real: np.ndarray, path: np.ndarray, frames: np.ndarray, current: np.ndarray,
                         bounds: tuple[float, float, float, float], height: int = 480) -> go.Figure:
    """The generator's image of the latent path (`path` (m, 2), dense) drawn over the real
    points, with the strip's frames numbered and the point at the slider's t."""
    path, frames, current = _f64(path), _f64(frames), _f64(current)
    fig = go.Figure([
        _real(real),
        go.Scatter(x=path[:, 0], y=path[:, 1], mode="lines", name="G(path)", line=dict(color=PALETTE["fake"], width=2)),
        go.Scatter(x=frames[:, 0], y=frames[:, 1], mode="markers+text", name="frames",
                   text=[str(i + 1) for i in range(len(frames))], textposition="top center",
                   marker=dict(size=8, color=PALETTE["fake"], line=dict(color="white", width=1))),
        _generated_point(current, "G(z(t))"),
    ])
    return _frame(fig, bounds, height)


def directions_figure(real: np.ndarray, point: np.ndarray, walks: Sequence[np.ndarray], names: Sequence[str],
                      bounds: tuple[float, float, float, float], height: int = 480) -> go.Figure:
    """Where the generator puts the current latent (`point`) and, for each direction, the
    curve its slider sweeps (`walks[j]` (m, 2) over the slider's range)."""
    point = _f64(point)
    traces = [_real(real)]
    for j, (walk, name) in enumerate(zip(walks, names, strict=False)):
        walk = _f64(walk)
        traces.append(go.Scatter(x=walk[:, 0], y=walk[:, 1], mode="lines", name=name,
                                 line=dict(color=WALK_COLOURS[j % len(WALK_COLOURS)], width=2)))
    traces.append(_generated_point(point, "G(z)"))
    return _frame(go.Figure(traces), bounds, height)


CLICK_TRACE = "click anywhere"  # the name of the invisible grid that makes the whole plane clickable


def score_map_figure(real: np.ndarray, xs: np.ndarray, ys: np.ndarray, surface: np.ndarray, label: str,
                     point: np.ndarray, bounds: tuple[float, float, float, float], height: int = 480,
                     loss: str | None = None) -> go.Figure:
    """D's score over the plane (`surface` rows along y) with the real points and the asked point.
    A heatmap cannot be clicked (plotly selects markers only), so an invisible marker sits on
    every surface cell: a click anywhere selects the nearest cell's centre (last trace)."""
    point = _f64(point)
    gx, gy = np.meshgrid(_f64(xs), _f64(ys))
    step = float(xs[1] - xs[0]) if len(xs) > 1 else 1.0
    shown = surface_display(surface, loss, label)  # the playground's rule: one per loss
    fig = go.Figure([
        go.Heatmap(x=_f64(xs), y=_f64(ys), z=_f64(surface), colorscale=SURFACE_COLORSCALE, zmin=shown.zmin,
                   zmax=shown.zmax, name=shown.label, hoverinfo="skip",
                   colorbar=dict(title=shown.label, thickness=12, tickvals=[v for v, _ in shown.ticks],
                                 ticktext=[t for _, t in shown.ticks])),
        _real(real),
        go.Scatter(x=point[:1], y=point[1:2], mode="markers", name="your point", hoverinfo="skip",
                   marker=dict(size=16, color=PALETTE["neutral"], symbol="x")),
        go.Scatter(x=gx.ravel(), y=gy.ravel(), mode="markers", name=CLICK_TRACE, showlegend=False,
                   customdata=_f64(surface).ravel(), hovertemplate="x %{x:.2f}, y %{y:.2f}: %{customdata:.3f}<extra></extra>",
                   marker=dict(size=max(4.0, 0.9 * 400 * step / (bounds[1] - bounds[0])), opacity=0, symbol="square")),
    ])
    fig.update_layout(clickmode="event+select", dragmode=False)
    return _frame(fig, bounds, height)


def score_histogram(real_scores: np.ndarray, fake_scores: np.ndarray, value: float | None, label: str,
                    height: int = 260) -> go.Figure:
    """D's scores on real and generated samples, with a line at the asked input's score."""
    fig = go.Figure([
        go.Histogram(x=_f64(real_scores), name="real", marker_color=PALETTE["real"], opacity=0.6, nbinsx=40),
        go.Histogram(x=_f64(fake_scores), name="generated", marker_color=PALETTE["fake"], opacity=0.6, nbinsx=40),
    ])
    if value is not None:
        fig.add_vline(x=float(value), line=dict(color=PALETTE["neutral"], width=3), annotation_text="this input")
    fig.update_layout(barmode="overlay", height=height, margin=dict(l=10, r=10, t=30, b=10), xaxis_title=label,
                      yaxis_title="count", legend=dict(orientation="h", y=1.02, yanchor="bottom"))
    return fig


def truncation_figure(psis: Sequence[float], covered: Sequence[int], confidence: Sequence[float], psi: float,
                      num_classes: int, samples: int, height: int = 340) -> go.Figure:
    """Truncation's trade, psi by psi: the classes `samples` samples cover (left axis, of
    `num_classes`) and the classifier's mean confidence in them (right axis, 0 to 1), with a
    line at the slider's psi."""
    psis_f = _f64(psis)
    fig = go.Figure([
        go.Scatter(x=psis_f, y=_f64(covered), mode="lines+markers", name=f"classes covered (of {num_classes:,})",
                   line=dict(color=WALK_COLOURS[0], width=2),
                   hovertemplate="ψ %{x:.1f}: %{y:.0f} classes<extra></extra>"),
        go.Scatter(x=psis_f, y=_f64(confidence), mode="lines+markers", name="mean confidence", yaxis="y2",
                   line=dict(color=WALK_COLOURS[1], width=2, dash="dot"),
                   hovertemplate="ψ %{x:.1f}: confidence %{y:.2f}<extra></extra>"),
    ])
    fig.add_vline(x=float(psi), line=dict(color=PALETTE["neutral"], width=2),
                  annotation_text=f"ψ = {float(psi):.2f}", annotation_position="top")
    top = max(float(num_classes), float(np.max(_f64(covered))) if len(covered) else 1.0)
    fig.update_layout(
        height=height, margin=dict(l=10, r=10, t=40, b=10), plot_bgcolor="white",
        legend=dict(orientation="h", y=1.12, yanchor="bottom", x=0),
        xaxis=dict(title="ψ (truncation: 0 the mean, 1 as drawn)", range=[-0.03, max(1.03, float(psi) + 0.03)],
                   gridcolor="#eeeeee", zeroline=False),
        yaxis=dict(title=f"classes covered in {samples:,} samples", range=[0, top * 1.05], gridcolor="#eeeeee",
                   zeroline=False, color=WALK_COLOURS[0], tickmode="auto", rangemode="tozero"),
        # its own ticks, 0 to 1 by 0.2 (not synced to the left axis's grid: 0.194, 0.389, ...)
        yaxis2=dict(title="mean confidence", range=[0, 1.02], overlaying="y", side="right", showgrid=False,
                    zeroline=False, color=WALK_COLOURS[1], tickmode="array",
                    tickvals=[0, 0.2, 0.4, 0.6, 0.8, 1.0], ticktext=["0", "0.2", "0.4", "0.6", "0.8", "1"]),
    )
    return fig
