"""Figures of the Dynamics page (the Dirac-GAN): the gradient vector field in the (theta, psi)
plane with trajectories, and the losses and distance along them. Pure functions, no streamlit."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ganlab.viz.plots import PALETTE, polyline_xy

START_COLOURS = ("#d62728", "#1f77b4", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2")  # one per start; green is the data's
CLICK_TRACE = "click grid"
ARROWS_PER_SIDE = 17
CLICK_CELLS = 41  # per side: a click selects the nearest of these points
ARROW_SHARE = 0.75  # of the spacing between arrows


def start_colour(i: int) -> str:
    return START_COLOURS[i % len(START_COLOURS)]


def arrow_grid(view: float, n: int = ARROWS_PER_SIDE) -> tuple[np.ndarray, np.ndarray]:
    """The arrows' feet: an n x n grid over [-view, view]^2, flattened (theta, psi)."""
    ticks = np.linspace(-view, view, n)
    theta, psi = np.meshgrid(ticks, ticks)
    return theta.ravel(), psi.ravel()


def arrow_segments(theta: np.ndarray, psi: np.ndarray, v_theta: np.ndarray, v_psi: np.ndarray,
                   length: float) -> np.ndarray:
    """(k, 2, 2) arrows centred on their points, all of `length` (a direction field: the speeds
    differ by orders of magnitude, the hover says them); a zero vector gives a zero arrow."""
    v = np.stack([v_theta, v_psi], axis=1).astype(float)
    norm = np.linalg.norm(v, axis=1, keepdims=True)
    unit = np.divide(v, norm, out=np.zeros_like(v), where=norm > 1e-12)
    centre = np.stack([theta, psi], axis=1).astype(float)
    half = 0.5 * length * unit
    return np.stack([centre - half, centre + half], axis=1)


def field_figure(theta: np.ndarray, psi: np.ndarray, v_theta: np.ndarray, v_psi: np.ndarray,
                 paths: Sequence[np.ndarray], view: float, height: int = 560) -> go.Figure:
    """The field's arrows at (theta, psi), the trajectories `paths` ((n + 1, 2) each), the equilibrium,
    and an invisible grid of markers on top, so a click anywhere selects a point (plotly
    selects markers only); the grid is the last trace, named CLICK_TRACE."""
    spacing = 2 * view / (ARROWS_PER_SIDE - 1)
    xs, ys = polyline_xy(arrow_segments(theta, psi, v_theta, v_psi, ARROW_SHARE * spacing))
    tips = np.where(np.arange(len(xs)) % 3 == 1, 7, 0)
    traces: list[go.BaseTraceType] = [go.Scatter(
        x=xs, y=ys, mode="lines+markers", name="gradient field", hoverinfo="skip", opacity=0.55,
        line=dict(color=PALETTE["guide"], width=1.2),
        marker=dict(symbol="arrow", size=tips, angleref="previous", color=PALETTE["guide"]))]
    for i, path in enumerate(paths):
        path = np.asarray(path, dtype=float)
        colour = start_colour(i)
        traces.append(go.Scatter(
            x=path[:, 0], y=path[:, 1], mode="lines", name=f"start {i + 1}", legendgroup=str(i),
            line=dict(color=colour, width=2), hovertemplate="θ %{x:.3f}, ψ %{y:.3f}<extra>start " + f"{i + 1}</extra>"))
        finite = path[np.isfinite(path).all(axis=1)]
        traces.append(go.Scatter(
            x=finite[[0, -1], 0], y=finite[[0, -1], 1], mode="markers", legendgroup=str(i), showlegend=False,
            marker=dict(symbol=["circle", "x"], size=[11, 11], color=colour, line=dict(width=1, color="white")),
            hovertemplate="%{text}: θ %{x:.3f}, ψ %{y:.3f}<extra></extra>", text=["start", "end"]))
    traces.append(go.Scatter(x=[0.0], y=[0.0], mode="markers", name="equilibrium (0, 0)", hoverinfo="skip",
                             marker=dict(symbol="star", size=15, color=PALETTE["real"],
                                         line=dict(width=1, color="white"))))
    ticks = np.linspace(-view, view, CLICK_CELLS)
    gx, gy = np.meshgrid(ticks, ticks)
    traces.append(go.Scatter(
        x=gx.ravel(), y=gy.ravel(), mode="markers", name=CLICK_TRACE, showlegend=False,
        hovertemplate="start at θ %{x:.2f}, ψ %{y:.2f}<extra></extra>",
        marker=dict(size=max(4.0, 0.9 * 480 / CLICK_CELLS), opacity=0, symbol="square")))
    fig = go.Figure(traces)
    axis = dict(range=[-view, view], zeroline=True, zerolinecolor="#bbbbbb", showgrid=False, constrain="domain")
    fig.update_layout(
        height=height, margin=dict(l=10, r=10, t=10, b=10), clickmode="event+select", dragmode=False,
        xaxis=dict(axis, title="θ (generator: its point; the data is at 0)"),
        yaxis=dict(axis, title="ψ (discriminator: its slope)", scaleanchor="x", scaleratio=1),
        legend=dict(orientation="h", y=-0.12, yanchor="top", x=0), plot_bgcolor="white",
        uirevision="dynamics", font=dict(size=14))
    return fig


def log_ticks(values: Sequence[np.ndarray], most: int = 6) -> list[float]:
    """1-2-5 ticks spanning the positive finite `values`, at most `most` of them (plotly's own
    labels every minor tick of a log axis spanning less than a decade, on top of each other)."""
    flat = np.concatenate([np.ravel(v) for v in values]) if len(values) else np.array([])
    flat = flat[np.isfinite(flat) & (flat > 0)]
    if not flat.size:
        return []
    lo, hi = np.floor(np.log10(flat.min())), np.ceil(np.log10(flat.max()))
    for mantissas in ((1, 2, 5), (1, 3), (1,)):
        ticks = [m * 10.0 ** e for e in np.arange(lo, hi + 1) for m in mantissas]
        ticks = [t for t in ticks if flat.min() / 1.5 <= t <= flat.max() * 1.5]
        if len(ticks) <= most:
            return [float(t) for t in ticks]
    step = int(np.ceil((hi - lo + 1) / most))
    return [float(10.0 ** e) for e in np.arange(lo, hi + 1, step)]


def curves_figure(paths: Sequence[np.ndarray], d_losses: Sequence[np.ndarray], g_losses: Sequence[np.ndarray],
                  height: int = 560) -> go.Figure:
    """Three panels over the iterations, one line per start: D loss, G loss, and the distance to
    (0, 0) on a log scale (a spiral out or in is then a straight line)."""
    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.07,
                        subplot_titles=("D loss", "G loss", "distance to (0, 0)"))
    for i, (path, d, g) in enumerate(zip(paths, d_losses, g_losses, strict=False)):
        it = np.arange(len(path))
        colour = start_colour(i)
        distance = np.hypot(path[:, 0], path[:, 1])
        shown = np.where(distance > 0, distance, np.nan)  # log axis: 0 cannot be drawn
        for row, y in ((1, d), (2, g), (3, shown)):
            fig.add_trace(go.Scatter(x=it, y=np.asarray(y, dtype=float), mode="lines", name=f"start {i + 1}",
                                     legendgroup=str(i), showlegend=row == 1, line=dict(color=colour, width=2),
                                     hovertemplate="iteration %{x}: %{y:.4g}<extra>" + f"start {i + 1}</extra>"),
                          row=row, col=1)
    fig.update_yaxes(type="log", row=3, col=1, tickformat="~g",  # 1e-05, not plotly's "10µ"
                     tickvals=log_ticks([np.hypot(p[:, 0], p[:, 1]) for p in paths]))
    fig.update_xaxes(title_text="iteration (G updates)", row=3, col=1)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10), showlegend=False,
                      uirevision="dynamics-curves", font=dict(size=14))
    return fig
