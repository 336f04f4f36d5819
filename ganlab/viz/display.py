"""What the 2D view shows, shared by its two renderers (the plotly figure in ganlab.viz.plots and the
live picture in ganlab.viz.raster): how D's surface is labelled and scaled for each loss, and how
generated points beyond the view are kept in sight. Pure numpy."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

TARGET_RANGE = (-0.5, 1.5)  # least squares: D's targets 0 and 1 with room either side, 0.5 white
CRITIC_PERCENTILE = 95.0  # a critic's colour range covers this share of the surface's cells


@dataclass(frozen=True)
class SurfaceDisplay:
    """How D's surface is labelled and coloured: `label`, the colour range and the labelled
    ticks of its colour bar ((value, text) pairs)."""

    label: str
    zmin: float
    zmax: float
    ticks: tuple[tuple[float, str], ...]


def _tick(value: float) -> str:
    """3 significant digits, without an exponent for everyday sizes ("120", not "1.2e+02")."""
    return f"{value:.3g}" if value == 0 or 1e-3 <= abs(value) < 1e4 else f"{value:.1e}"


def surface_display(surface: np.ndarray, loss: str | None = None, label: str = "D(x)") -> SurfaceDisplay:
    """The one rule for showing D's output per loss (see `AdversarialLoss.display`):
    - minimax, non-saturating: the probability sigmoid(D(x)) that x is real, over [0, 1];
    - least squares: raw D(x), regressed to 0 on fake and 1 on real, over TARGET_RANGE
      (an LSGAN's D strays to +-19 far from the data; that must not wash out 0 and 1);
    - Wasserstein, hinge: the critic value, symmetric about 0 (hinge: its margins are +-1)
      or about the median (Wasserstein: a critic's offset means nothing), wide enough for
      CRITIC_PERCENTILE % of the cells, so a few extreme corners do not wash out the rest.
    Without a loss name (older callers): a probability if `label` is not a critic's and the
    values lie in [0, 1], else a critic symmetric about 0."""
    z = np.asarray(surface, dtype=float)
    finite = z[np.isfinite(z)]
    if loss is not None:
        from ganlab.gan.losses import DISPLAY_LABELS, get_loss  # local import: losses imports torch

        kind, centre_rule = get_loss(loss).display, get_loss(loss).critic_centre
        named = DISPLAY_LABELS[kind]
    else:
        in_unit = finite.size == 0 or (finite.min() >= 0.0 and finite.max() <= 1.0)
        kind = "probability" if "critic" not in label.lower() and in_unit else "critic"
        centre_rule, named = "zero", label
    if kind == "probability":
        return SurfaceDisplay(named, 0.0, 1.0,
                              ((0.0, "0 fake"), (0.5, "0.5"), (1.0, "1 real")))
    if kind == "target":
        return SurfaceDisplay(named, *TARGET_RANGE, ((0.0, "0 fake"), (0.5, "0.5"), (1.0, "1 real")))
    centre = float(np.median(finite)) if centre_rule == "median" and finite.size else 0.0
    if loss is None:  # the old rule: symmetric about 0 over the whole range
        spread = np.abs(finite)
        half = float(spread.max()) if spread.size else 0.0
    else:
        spread = np.abs(finite - centre)
        half = float(np.percentile(spread, CRITIC_PERCENTILE)) if spread.size else 0.0
    half = half if half > 0 and math.isfinite(half) else 1.0
    lo, hi = centre - half, centre + half
    return SurfaceDisplay(named, lo, hi,
                          tuple((v, _tick(v)) for v in (lo, centre, hi)))


@dataclass(frozen=True)
class FramedPoints:
    """A cloud fitted into the view: every finite point, those outside the bounds moved onto
    the border. `points` are the true coordinates, `shown` where they are drawn, `outside`
    which were moved, and `side` the way each moved point lies beyond the border ("left",
    "right", "up", "down"; "" for a point inside)."""

    points: np.ndarray  # (n, 2)
    shown: np.ndarray  # (n, 2)
    outside: np.ndarray  # (n,) bool
    side: np.ndarray  # (n,) str

    @property
    def outside_count(self) -> int:
        return int(self.outside.sum())


def frame_points(points: np.ndarray, bounds: tuple[float, float, float, float]) -> FramedPoints:
    """Clamp the points that lie beyond `bounds` to its border (non-finite points are dropped:
    they have no place to be drawn). A point beyond a corner is clamped on both axes and
    points the way of its larger excess, measured in view widths."""
    p = np.asarray(points, dtype=float).reshape(-1, 2)
    p = p[np.isfinite(p).all(1)]
    x0, x1, y0, y1 = bounds
    shown = np.column_stack([np.clip(p[:, 0], x0, x1), np.clip(p[:, 1], y0, y1)])
    excess = (p - shown) / np.array([x1 - x0, y1 - y0])
    outside = (excess != 0).any(1)
    horizontal = np.abs(excess[:, 0]) >= np.abs(excess[:, 1])
    side = np.where(horizontal, np.where(excess[:, 0] > 0, "right", "left"),
                    np.where(excess[:, 1] > 0, "up", "down"))
    return FramedPoints(p, shown, outside, np.where(outside, side, ""))


def outside_note(count: int) -> str:
    """The caption for generated points beyond the view ("" when there are none)."""
    if count <= 0:
        return ""
    return f"{count:,} generated point{'s' if count != 1 else ''} outside the view (drawn on its border)"
