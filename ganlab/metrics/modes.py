"""Mode-collapse numbers for 2D data with known modes (PacGAN / VEEGAN definitions).

- high-quality sample: within `k` (3) standard deviations of its nearest mode centre;
- a mode is covered when at least `min_count` high-quality samples sit at it;
- mode KL: KL(histogram of nearest-mode assignments || true mode weights).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ModeStats:
    modes_covered: int
    modes_total: int
    high_quality: float  # share of samples within k sd of their nearest centre
    mode_kl: float  # KL(assignment histogram || mode weights), nats
    counts: np.ndarray  # high-quality samples per mode


def nearest_mode(samples: np.ndarray, centres: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of and Euclidean distance to the nearest centre, for each sample."""
    d2 = ((samples[:, None, :] - centres[None, :, :]) ** 2).sum(-1)
    idx = d2.argmin(1)
    return idx, np.sqrt(d2[np.arange(len(samples)), idx])


def kl_to_reference(counts: np.ndarray, reference: np.ndarray) -> float:
    """KL(p || q) with p = counts normalized; empty bins of p contribute 0. Needs q > 0."""
    total = counts.sum()
    if total == 0:
        return float("nan")
    p = counts / total
    nz = p > 0
    return float(np.sum(p[nz] * np.log(p[nz] / reference[nz])))


def mode_stats(
    samples: np.ndarray,
    centres: np.ndarray,
    sd: np.ndarray,
    weights: np.ndarray | None = None,
    k: float = 3.0,
    min_count: int = 1,
) -> ModeStats:
    samples = np.asarray(samples, dtype=np.float64)
    finite = np.isfinite(samples).all(1)
    n_modes = len(centres)
    weights = np.full(n_modes, 1.0 / n_modes) if weights is None else np.asarray(weights, dtype=np.float64)
    if not finite.any():
        return ModeStats(0, n_modes, 0.0, float("nan"), np.zeros(n_modes, dtype=np.int64))
    idx, dist = nearest_mode(samples[finite], centres)
    good = dist <= k * np.asarray(sd)[idx]
    hq_counts = np.bincount(idx[good], minlength=n_modes)
    assignment = np.bincount(idx, minlength=n_modes)
    return ModeStats(
        modes_covered=int((hq_counts >= min_count).sum()),
        modes_total=n_modes,
        high_quality=float(good.sum() / len(samples)),
        mode_kl=kl_to_reference(assignment.astype(np.float64), weights),
        counts=hq_counts,
    )
