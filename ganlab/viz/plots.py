"""Plotly figure builders: pure functions from snapshot data (numpy arrays, dicts) to figures.

No streamlit and no torch here. Every builder is NaN-safe (missing values draw as
gaps) and empty-safe (no rows yet gives an empty chart saying so).
"""

from __future__ import annotations

import math
from typing import Collection, Mapping

import numpy as np
import plotly.graph_objects as go

from ganlab.kinds.toy_experiment import ToyView
from ganlab.limits import VIEW_LAYERS
from ganlab.viz.display import (  # noqa: F401 - re-exported: both renderers take these from here
    CRITIC_PERCENTILE,
    TARGET_RANGE,
    FramedPoints,
    SurfaceDisplay,
    frame_points,
    outside_note,
    surface_display,
)

PALETTE = {
    "d": "#2166ac",  # discriminator
    "g": "#e08214",  # generator
    "real": "#1a9850",  # real data: green, as in GAN Lab
    "fake": "#8e44ad",  # generated data: purple
    "neutral": "#404040",  # chart lines that are neither D nor G (Wasserstein estimate, penalties)
    "guide": "#6e6e6e",  # the 2D view's aids (gradient arrows, true modes): lighter, drawn under the data
    "outside": "#4a235a",  # the outline of a generated point clamped to the view's border
}
# G's gradient arrows, in G's colour wherever they are drawn (the live plotly view, the server-drawn
# raster, the slow-motion step): orange as G's path in the model graph
PALETTE["gradient"] = PALETTE["g"]
# CycleGAN's domain A (the points G maps from), at the start of each mapping line: the blue of D's side
# would read as D, so a dark teal apart from green (B, the real data) and purple (G's images)
PALETTE["source"] = "#01665e"
# D's view of x: purple (fake-looking) -> white (unsure) -> green (real-looking), the colours of
# the fake and real points; every page that draws D uses this scale (see surface_display).
SURFACE_COLORSCALE = [[0.0, "#c2a5cf"], [0.5, "#f7f7f7"], [1.0, "#a6dba0"]]
UIREVISION = "ganlab"
CHART_HEIGHT = 260
CHART_POINTS = 400  # rows per chart series at most (thin_rows)
NO_DATA = "no data yet"

LAYERS = VIEW_LAYERS  # the 2D view's layers (ganlab.limits: the view settings check them)
LAYER_LABELS = {
    "surface": "Discriminator surface",
    "real": "Real samples",
    "fake": "Generated samples",
    "gradients": "Generator gradients",
    "manifold": "Generator manifold",
    "modes": "True modes",
}
ARROW_FRACTION = 0.06  # the longest arrows span this share of the plot's width/height
# plotly marker sizes (px): the same for both clouds, so a collapsed clump on a mode covers its
# real points (the story), while the real points of the modes it missed stay in sight
REAL_SIZE, FAKE_SIZE, OUTSIDE_SIZE = 6, 6, 10


# ------------------------------------------------------------------ 2D view
def polyline_xy(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(k, p, 2) polylines -> x and y arrays joined by NaN gaps (one trace for all).

    NaN rather than None: plotly breaks the line either way, but validates a float
    array in microseconds and an object list point by point (~20x slower)."""
    k, p, _ = lines.shape
    padded = np.full((k, p + 1, 2), np.nan)
    padded[:, :p] = lines
    flat = padded.reshape(-1, 2)[:-1] if k else padded.reshape(-1, 2)
    return flat[:, 0], flat[:, 1]


def _surface_trace(view: ToyView, loss: str | None) -> go.Heatmap:
    shown = surface_display(view.surface, loss, view.surface_label)
    as64 = lambda a: np.asarray(a, dtype=np.float64)  # noqa: E731 - plotly turns float32 into slow lists
    values, texts = zip(*shown.ticks, strict=False)
    return go.Heatmap(
        x=as64(view.surface_x), y=as64(view.surface_y), z=as64(view.surface), zmin=shown.zmin, zmax=shown.zmax,
        zsmooth="fast", colorscale=SURFACE_COLORSCALE, name=LAYER_LABELS["surface"], showscale=True,
        colorbar=dict(title=dict(text=shown.label, side="right"), thickness=12, len=0.8,
                      tickvals=list(values), ticktext=list(texts)),
        hovertemplate=f"x=%{{x:.2f}}<br>y=%{{y:.2f}}<br>{shown.label}=%{{z:.3f}}<extra></extra>",
    )


def _arrows(view: ToyView) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(starts, directions, norms in units of the target length, the 95th percentile norm)."""
    start = np.asarray(view.arrow_from, dtype=float).reshape(-1, 2)
    direction = np.asarray(view.arrow_dir, dtype=float).reshape(-1, 2)
    keep = np.isfinite(start).all(1) & np.isfinite(direction).all(1)
    start, direction = start[keep], direction[keep]
    x0, x1, y0, y1 = view.bounds
    span = np.array([x1 - x0, y1 - y0]) * ARROW_FRACTION
    norms = np.linalg.norm(direction / span, axis=1)  # arrow length in units of the target length
    longest = float(np.percentile(norms, 95)) if norms.size else 0.0
    return start, direction, norms, longest


def arrow_scale(view: ToyView) -> float:
    """How many times its gradient each arrow is drawn (the longest 5% are shortened to the
    length of the 95th percentile, ARROW_FRACTION of the span); 0 when there is none."""
    longest = _arrows(view)[3]
    return 1.0 / longest if longest > 0 else 0.0


def arrow_segments(view: ToyView) -> np.ndarray:
    """(k, 2, 2) start/tip pairs; lengths scaled so the longest is ARROW_FRACTION of the span."""
    start, direction, norms, longest = _arrows(view)
    scale = np.minimum(norms / longest, 1.0) / np.maximum(norms, 1e-12) if longest > 0 else np.zeros_like(norms)
    tips = start + direction * scale[:, None]
    return np.stack([start, tips], axis=1)


def _arrow_trace(view: ToyView) -> go.Scatter:
    xs, ys = polyline_xy(arrow_segments(view))
    # Marker only at each tip, turned along its segment ("previous" = from the start point).
    sizes = np.where(np.arange(len(xs)) % 3 == 1, 6, 0)
    return go.Scatter(
        x=xs, y=ys, mode="lines+markers", name=LAYER_LABELS["gradients"], hoverinfo="skip", opacity=0.6,
        line=dict(color=PALETTE["gradient"], width=0.8),
        marker=dict(symbol="arrow", size=sizes, angleref="previous", color=PALETTE["gradient"]),
    )


def _modes_trace(centres: np.ndarray) -> go.Scatter:
    c = np.asarray(centres, dtype=float).reshape(-1, 2)
    return go.Scatter(x=c[:, 0], y=c[:, 1], mode="markers", name=LAYER_LABELS["modes"], opacity=0.7,
                      marker=dict(symbol="circle-open", size=18, color=PALETTE["guide"], line=dict(width=1)),
                      hovertemplate="mode (%{x:.2f}, %{y:.2f})<extra></extra>")


_SIDE_SYMBOL = {"left": "triangle-left", "right": "triangle-right", "up": "triangle-up", "down": "triangle-down"}


def _points_trace(points: np.ndarray, layer: str, colour: str, size: int) -> go.Scatter:
    points = np.asarray(points, dtype=float).reshape(-1, 2)
    return go.Scatter(
        x=points[:, 0], y=points[:, 1], mode="markers", name=LAYER_LABELS[layer],
        marker=dict(color=colour, size=size, opacity=0.75), hovertemplate="(%{x:.2f}, %{y:.2f})<extra></extra>",
    )


def _fake_trace(framed: FramedPoints) -> go.Scatter:
    """One trace for every generated point; those outside the view sit on its border as
    outlined triangles pointing the way they went (hover gives their true place)."""
    trace = _points_trace(framed.shown, "fake", PALETTE["fake"], FAKE_SIZE)
    if framed.outside_count:
        out = framed.outside
        trace.update(
            cliponaxis=False, customdata=framed.points,
            hovertemplate="(%{customdata[0]:.2f}, %{customdata[1]:.2f})<extra></extra>",
            marker=dict(symbol=[_SIDE_SYMBOL.get(s, "circle") for s in framed.side],
                        size=np.where(out, OUTSIDE_SIZE, FAKE_SIZE), opacity=1.0,
                        color=PALETTE["fake"],
                        line=dict(color=PALETTE["outside"], width=np.where(out, 1.2, 0.0))),
        )
    return trace


def toy_view_figure(view: ToyView, layers: Collection[str], centres: np.ndarray | None = None, height: int = 520,
                    loss: str | None = None) -> go.Figure:
    """The GAN-Lab-style 2D view: each layer in `layers` (see LAYERS) drawn over the view's
    bounds (the data's frame). The aids (modes, arrows) lie under the points, the real points
    under the generated ones; generated points beyond the frame are drawn on its border and
    counted. `loss` (a LOSSES key) labels and scales D's surface (see surface_display)."""
    fig = go.Figure()
    if "surface" in layers:
        fig.add_trace(_surface_trace(view, loss))
    if "manifold" in layers and view.manifold is not None and np.size(view.manifold):
        xs, ys = polyline_xy(np.asarray(view.manifold, dtype=float))
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name=view.manifold_label or LAYER_LABELS["manifold"],
                                 hoverinfo="skip",
                                 line=dict(color=PALETTE["fake"], width=1), opacity=0.45))
        if view.source is not None:  # CycleGAN: domain A, where the lines start
            starts = np.asarray(view.source, dtype=float)
            fig.add_trace(go.Scatter(x=starts[:, 0], y=starts[:, 1], mode="markers", name="Domain A",
                                     marker=dict(color=PALETTE["source"], size=REAL_SIZE), hoverinfo="skip"))
    if "modes" in layers and centres is not None and np.size(centres):
        fig.add_trace(_modes_trace(centres))
    if "gradients" in layers and np.size(view.arrow_from):
        fig.add_trace(_arrow_trace(view))
    if "real" in layers:
        fig.add_trace(_points_trace(view.real, "real", PALETTE["real"], REAL_SIZE))
    if "fake" in layers:
        framed = frame_points(view.fake, view.bounds)
        fig.add_trace(_fake_trace(framed))
        note = outside_note(framed.outside_count)
        if note:
            x0, _, y0, _ = view.bounds  # the plot's bottom-left corner (the paper's is off the square plot)
            fig.add_annotation(text=note, x=x0, y=y0, xref="x", yref="y", xanchor="left", yanchor="bottom",
                               xshift=4, yshift=4, showarrow=False, font=dict(size=12, color=PALETTE["outside"]),
                               bgcolor="rgba(255,255,255,0.8)", name="outside")
    x0, x1, y0, y1 = view.bounds
    axis = dict(showgrid=False, zeroline=False, constrain="domain", fixedrange=False)
    fig.update_layout(
        height=height, margin=dict(l=10, r=10, t=30, b=10), uirevision=UIREVISION,
        plot_bgcolor="white", legend=dict(orientation="h", x=0, y=1.0, yanchor="bottom"),
        xaxis=dict(axis, range=[x0, x1]), yaxis=dict(axis, range=[y0, y1], scaleanchor="x", scaleratio=1),
    )
    return fig


# ------------------------------------------------------------------ charts
def _windowed(table: Mapping[str, np.ndarray], window: int | None, average: bool = True) -> dict[str, np.ndarray]:
    """Only the rows of the last `window` steps (rows with step > last step - window),
    thinned to at most CHART_POINTS rows (see thin_rows)."""
    steps = np.asarray(table.get("step", ()))
    out = {k: np.asarray(v) for k, v in table.items()}
    if window is None or window <= 0 or steps.size == 0:
        return thin_rows(out, average=average)
    keep = steps > steps[-1] - window
    return thin_rows({k: v[keep] if v.shape[:1] == steps.shape else v for k, v in out.items()}, average=average)


def thin_rows(table: Mapping[str, np.ndarray], max_rows: int = CHART_POINTS,
              average: bool = True) -> dict[str, np.ndarray]:
    """At most `max_rows` rows: consecutive rows in groups of k, each group drawn at its last
    step with the mean of its finite values (or, without `average`, its last row's values:
    for counts such as modes covered). Groups end at the newest row, so the latest step
    stays on the chart. Why: headless Chromium redraws four 2,000-point charts with ~1.4x
    the CPU of four 300-point ones."""
    steps = np.asarray(table.get("step", ()))
    n = steps.size
    if n <= max_rows:
        return {k: np.asarray(v) for k, v in table.items()}
    k = -(-n // max_rows)
    starts = np.arange(n - k, -1, -k)[::-1]
    starts = np.concatenate([[0], starts]) if starts[0] > 0 else starts
    ends = np.append(starts[1:], n) - 1
    out: dict[str, np.ndarray] = {}
    for key, values in table.items():
        values = np.asarray(values)
        if values.shape[:1] != steps.shape:
            out[key] = values
        elif key == "step" or not average:
            out[key] = values[ends]
        else:
            v = values.astype(float)
            finite = np.isfinite(v)
            sums = np.add.reduceat(np.where(finite, v, 0.0), starts)
            counts = np.add.reduceat(finite.astype(float), starts)
            with np.errstate(invalid="ignore", divide="ignore"):
                out[key] = np.where(counts > 0, sums / counts, np.nan)
    return out


def has_values(table: Mapping[str, np.ndarray], key: str) -> bool:
    values = table.get(key)
    return values is not None and np.size(values) > 0 and bool(np.isfinite(np.asarray(values, dtype=float)).any())


# A titled chart's legend sits under its plot, in the bottom margin (which plotly grows to fit
# it): above the plot it shared the title's band and ran over the title in a narrow column
# ("Modes covered (of 25)", the runs comparison's "Losses (solid: D, dashed: G)").
LEGEND_BELOW = dict(orientation="h", x=0, xanchor="left", yref="container", y=0, yanchor="bottom")


def new_chart(title: str, y_title: str, y_log: bool = False) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(
        title=dict(text=title, x=0, xanchor="left", font=dict(size=14)), height=CHART_HEIGHT,
        margin=dict(l=10, r=10, t=36, b=10), hovermode="x unified", uirevision=UIREVISION,
        legend=LEGEND_BELOW,
        xaxis=dict(title="step"), yaxis=dict(title=y_title, type="log" if y_log else "linear"),
    )
    return fig


def mark_no_data(fig: go.Figure) -> go.Figure:
    fig.update_layout(xaxis=dict(visible=False), yaxis=dict(visible=False), yaxis2=dict(visible=False))
    fig.add_annotation(text=NO_DATA, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
                       font=dict(size=14, color="#888888"))
    return fig


def _line(table: Mapping[str, np.ndarray], key: str, name: str, colour: str, dash: str = "solid", mode: str = "lines",
          **kw) -> go.Scatter:
    return go.Scatter(x=table["step"], y=np.asarray(table[key], dtype=float), name=name, mode=mode,
                      line=dict(color=colour, width=1.6, dash=dash), **kw)


def _series_figure(fig: go.Figure, table: Mapping[str, np.ndarray], series: list[tuple]) -> go.Figure:
    """Add each (key, name, colour, dash) series that has a finite value; 'no data yet' if none has."""
    drawn = [s for s in series if has_values(table, s[0])]
    for key, name, colour, dash in drawn:
        fig.add_trace(_line(table, key, name, colour, dash))
    return fig if drawn else mark_no_data(fig)


def loss_figure(history: Mapping[str, np.ndarray], window: int | None = None) -> go.Figure:
    """D and G losses against step (and D's penalty when one was applied)."""
    table = _windowed(history, window)
    series = [("d_loss", "D loss", PALETTE["d"], "solid"), ("g_loss", "G loss", PALETTE["g"], "solid")]
    penalty = np.asarray(table.get("d_penalty", ()), dtype=float)
    if np.nan_to_num(penalty).any():
        series.append(("d_penalty", "D penalty", PALETTE["neutral"], "dot"))
    return _series_figure(new_chart("Losses", "loss"), table, series)


def d_outputs_figure(history: Mapping[str, np.ndarray], window: int | None = None, score_label: str = "D(x)") -> go.Figure:
    """Mean D score on real and on generated batches (and the Wasserstein estimate, if any)."""
    table = _windowed(history, window)
    series = [
        ("d_real", f"{score_label} on real", PALETTE["real"], "solid"),
        ("d_fake", f"{score_label} on fake", PALETTE["fake"], "solid"),
        ("wasserstein", "Wasserstein estimate", PALETTE["neutral"], "dash"),
    ]
    return _series_figure(new_chart("Discriminator outputs", f"mean {score_label}"), table, series)


def _log_label(value: float) -> str:
    if 1e-3 <= value < 1e5:
        return f"{value:g}"
    exponent = round(math.log10(value))
    if math.isclose(value, 10.0 ** exponent, rel_tol=1e-9):
        return f"10<sup>{exponent}</sup>"
    return f"{value:.0e}"


def log_ticks(values: np.ndarray, max_ticks: int = 7) -> tuple[list[float], list[str]]:
    """Readable ticks for a log axis over the positive finite `values`, all inside their range:
    the powers of ten (every 2nd, 3rd, ... when they are many), else 1-2-5 steps, else 1-9
    steps, else the two ends; each labelled in full. Plotly's own log ticks label the minor
    steps with their first digit only ("2, 10, 5, 2, 1, 5")."""
    v = np.asarray(values, dtype=float).ravel()
    v = v[np.isfinite(v) & (v > 0)]
    if not v.size:
        return [], []
    lo, hi = float(v.min()), float(v.max())
    first, last = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    inside = lambda ticks: [t for t in ticks if lo * (1 - 1e-9) <= t <= hi * (1 + 1e-9)]  # noqa: E731
    ticks = inside([10.0 ** k for k in range(first, last + 1)])
    if len(ticks) > max_ticks:
        ticks = ticks[::math.ceil(len(ticks) / max_ticks)]
    for mantissas in ((1, 2, 5), (1, 2, 3, 4, 5, 6, 7, 8, 9)):
        if len(ticks) >= 2:
            break
        ticks = inside([m * 10.0 ** k for k in range(first, last + 1) for m in mantissas])
    if len(ticks) < 2:
        ticks = sorted({float(f"{lo:.2g}"), float(f"{hi:.2g}")})
    return ticks, [_log_label(t) for t in ticks]


def gradient_norms_figure(history: Mapping[str, np.ndarray], window: int | None = None) -> go.Figure:
    """Gradient norms of D and G (log scale with fully labelled ticks; zeros are left out)."""
    table = _windowed(history, window)
    for key in ("d_grad_norm", "g_grad_norm"):
        if key in table:
            values = np.asarray(table[key], dtype=float)
            table[key] = np.where(values > 0, values, np.nan)
    series = [("d_grad_norm", "D grad norm", PALETTE["d"], "solid"), ("g_grad_norm", "G grad norm", PALETTE["g"], "solid")]
    fig = _series_figure(new_chart("Gradient norms", "norm", y_log=True), table, series)
    drawn = [np.asarray(table[key], dtype=float) for key, *_ in series if has_values(table, key)]
    if drawn:
        ticks, labels = log_ticks(np.concatenate(drawn))
        fig.update_layout(yaxis=dict(tickmode="array", tickvals=ticks, ticktext=labels))
    return fig


def mode_coverage_figure(evals: Mapping[str, np.ndarray], modes_total: int | None, window: int | None = None) -> go.Figure:
    """Modes covered (and the high-quality share, right axis); for data without modes,
    the histogram JS and KL divergences between generated and real points."""
    table = _windowed(evals, window, average=False)  # a mean of mode counts is not a count
    if not has_values(table, "modes_covered"):
        series = [("js_hist", "JS (histogram)", PALETTE["g"], "solid"), ("kl_hist", "KL (histogram)", PALETTE["d"], "dash")]
        return _series_figure(new_chart("Divergence from the data", "divergence (nats)"), table, series)
    title = "Modes covered" + (f" (of {modes_total})" if modes_total else "")
    fig = new_chart(title, "modes covered")
    fig.add_trace(_line(table, "modes_covered", "modes covered", PALETTE["g"], mode="lines+markers", marker=dict(size=4)))
    if modes_total:
        fig.update_layout(yaxis=dict(range=[0, modes_total * 1.05]))
        fig.add_hline(y=modes_total, line=dict(color=PALETTE["real"], width=1, dash="dot"))
    if has_values(table, "high_quality"):
        fig.add_trace(_line(table, "high_quality", "high-quality share", PALETTE["fake"], "dash", yaxis="y2"))
        # Same headroom as the left axis, so 100% lines up with "all modes covered".
        fig.update_layout(yaxis2=dict(title="high-quality share", overlaying="y", side="right", range=[0, 1.05],
                                      dtick=0.25, tickformat=".0%", showgrid=False))
    return fig
