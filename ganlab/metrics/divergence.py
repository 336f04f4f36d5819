"""KL and JS divergence between real and fake 2D point clouds, via histograms.

Both histograms use the same bins plus one overflow bin for points outside
the plotted bounds, so every sample is counted exactly once and each histogram
sums to 1. Empty bins get additive smoothing `alpha` (in counts) so KL stays
finite; JS needs none and is bounded by ln 2.
"""

from __future__ import annotations

import numpy as np


def histogram_probs(points: np.ndarray, bounds: tuple[float, float, float, float], bins: int = 24,
                    alpha: float = 0.0) -> np.ndarray:
    """Probabilities over bins*bins cells + 1 overflow cell, smoothed by `alpha` counts per cell."""
    points = np.asarray(points, dtype=np.float64)
    x0, x1, y0, y1 = bounds
    finite = np.isfinite(points).all(1)
    pts = points[finite]
    inside = (pts[:, 0] >= x0) & (pts[:, 0] < x1) & (pts[:, 1] >= y0) & (pts[:, 1] < y1)
    counts, _, _ = np.histogram2d(pts[inside, 0], pts[inside, 1], bins=bins, range=[[x0, x1], [y0, y1]])
    overflow = (~inside).sum() + (~finite).sum()
    flat = np.append(counts.ravel(), overflow).astype(np.float64) + alpha
    return flat / flat.sum()


def kl_divergence(p: np.ndarray, q: np.ndarray) -> float:
    """KL(p || q) in nats; terms with p = 0 are 0; infinite where q = 0 < p."""
    p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
    nz = p > 0
    with np.errstate(divide="ignore"):
        return float(np.sum(p[nz] * np.log(p[nz] / q[nz])))


def js_divergence(p: np.ndarray, q: np.ndarray) -> float:
    """Jensen-Shannon divergence in nats, between 0 and ln 2."""
    m = 0.5 * (np.asarray(p, dtype=np.float64) + np.asarray(q, dtype=np.float64))
    return 0.5 * kl_divergence(p, m) + 0.5 * kl_divergence(q, m)


def point_cloud_divergences(real: np.ndarray, fake: np.ndarray, bounds, bins: int = 24, alpha: float = 0.5) -> dict[str, float]:
    """{"kl": KL(real || fake), "js": JS(real, fake)} on shared histograms."""
    p_raw, q_raw = histogram_probs(real, bounds, bins), histogram_probs(fake, bounds, bins)
    p_s, q_s = histogram_probs(real, bounds, bins, alpha), histogram_probs(fake, bounds, bins, alpha)
    return {"kl": kl_divergence(p_s, q_s), "js": js_divergence(p_raw, q_raw)}
