"""The range the 2D view shows: zooming and panning as arithmetic on (x0, x1, y0, y1) bounds.

The page keeps the range the user chose and sends it with every view request; the trainer
computes D's surface, the points and the gradient arrows for it (ToyExperiment.view). A plotly
zoom would not do while training runs: the live view is a server-drawn picture, and a Plotly
update re-creates the chart and loses its zoom (DESIGN.md). No Streamlit here.
"""

from __future__ import annotations

import math

Bounds = tuple[float, float, float, float]  # x_min, x_max, y_min, y_max

ZOOM_STEP = 2.0  # one "Zoom in" halves the shown width and height, one "Zoom out" doubles them
PAN_STEP = 0.25  # one pan moves the view by a quarter of its shown width (or height)
MOST_IN = 1 / 64  # the shown span never falls below 1/64 of the data's frame ...
MOST_OUT = 4.0  # ... nor grows beyond 4 times it


def _spans(bounds: Bounds) -> tuple[float, float]:
    x0, x1, y0, y1 = bounds
    return x1 - x0, y1 - y0


def _centre(bounds: Bounds) -> tuple[float, float]:
    x0, x1, y0, y1 = bounds
    return (x0 + x1) / 2, (y0 + y1) / 2


def _around(cx: float, cy: float, wx: float, wy: float) -> Bounds:
    return cx - wx / 2, cx + wx / 2, cy - wy / 2, cy + wy / 2


def usable(bounds: object) -> bool:
    """Whether `bounds` is four finite numbers with x0 < x1 and y0 < y1."""
    try:
        x0, x1, y0, y1 = (float(v) for v in bounds)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        return False
    return all(math.isfinite(v) for v in (x0, x1, y0, y1)) and x0 < x1 and y0 < y1


def clamp(bounds: Bounds, data: Bounds) -> Bounds:
    """`bounds` kept within reach of the data: each span between MOST_IN and MOST_OUT times the
    data frame's, and the centre inside the data frame widened by one frame on every side (so
    no click sequence loses the data off screen for good)."""
    dx, dy = _spans(data)
    wx, wy = _spans(bounds)
    wx = min(max(wx, dx * MOST_IN), dx * MOST_OUT)
    wy = min(max(wy, dy * MOST_IN), dy * MOST_OUT)
    cx, cy = _centre(bounds)
    x0, x1, y0, y1 = data
    cx = min(max(cx, x0 - dx), x1 + dx)
    cy = min(max(cy, y0 - dy), y1 + dy)
    return _around(cx, cy, wx, wy)


def zoom(bounds: Bounds, data: Bounds, factor: float) -> Bounds:
    """The view about the same centre, `factor` times closer (above 1 zooms in, below 1 out)."""
    wx, wy = _spans(bounds)
    return clamp(_around(*_centre(bounds), wx / factor, wy / factor), data)


def pan(bounds: Bounds, data: Bounds, right: float, up: float) -> Bounds:
    """The view moved by `right` shown widths and `up` shown heights (negative: left, down)."""
    wx, wy = _spans(bounds)
    cx, cy = _centre(bounds)
    return clamp(_around(cx + right * wx, cy + up * wy, wx, wy), data)


def same(a: Bounds, b: Bounds, data: Bounds) -> bool:
    """Whether two ranges are equal up to float rounding (relative to the data frame's size)."""
    dx, dy = _spans(data)
    return all(abs(p - q) <= 1e-9 * s for p, q, s in zip(a, b, (dx, dx, dy, dy), strict=False))


def from_box(xs: object, ys: object, data: Bounds) -> Bounds | None:
    """The range of a box dragged on the paused figure (its two x and two y corners, either
    order), widened about its centre to the data frame's shape (the live picture is drawn in
    that shape, the figure keeps x and y to one scale), kept within reach of the data; None
    for a box that is not one (a click, NaN)."""
    try:
        (a, b), (c, d) = xs, ys  # type: ignore[misc]
        bounds = (min(a, b), max(a, b), min(c, d), max(c, d))
    except (TypeError, ValueError):
        return None
    if not usable(bounds):
        return None
    dx, dy = _spans(data)
    wx, wy = _spans(bounds)
    scale = max(wx / dx, wy / dy)
    return clamp(_around(*_centre(bounds), dx * scale, dy * scale), data)


def is_full(bounds: Bounds, data: Bounds) -> bool:
    """Whether `bounds` is the data's own frame."""
    return same(bounds, data, data)


def magnification(bounds: Bounds, data: Bounds) -> float:
    """How many times closer than the data's frame the view is (2.0 after one Zoom in)."""
    return _spans(data)[0] / _spans(bounds)[0]


def describe(bounds: Bounds, data: Bounds) -> str:
    """The range in words for the caption beside the controls."""
    x0, x1, y0, y1 = bounds
    where = f"x {x0:.3g} to {x1:.3g}, y {y0:.3g} to {y1:.3g}"
    if is_full(bounds, data):
        return f"View range: the whole data frame ({where})."
    times = magnification(bounds, data)
    closer = f"{times:.3g}× closer" if times >= 1 else f"{1 / times:.3g}× wider"
    return f"View range: {where} ({closer} than the data frame)."
