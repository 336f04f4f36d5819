"""Toy 2D distributions with seedable samplers and, where they have them, their true modes.

Mode-collapse benchmarks follow the literature: the ring of 8 (PacGAN: radius 1,
sd 0.01) and the grid of 25 ({-4,-2,0,2,4}^2, sd 0.05). Ring angles are
`arange(8) * 2pi / 8`: a `linspace(0, 2pi, 8)` ring has only 7 distinct modes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from torch import Tensor

Sampler = Callable[[int, torch.Generator], Tensor]


@dataclass(frozen=True)
class ToyDistribution:
    name: str
    label: str
    sampler: Sampler
    bounds: tuple[float, float, float, float]  # x_min, x_max, y_min, y_max for plots and histograms
    centres: np.ndarray | None = None  # (K, 2) mode centres, for discrete-mode data
    sd: np.ndarray | None = None  # (K,) per-mode standard deviation
    weights: np.ndarray | None = None  # (K,) mode probabilities; None = uniform
    description: str = ""
    points: np.ndarray | None = None  # (n, 2) the data's own points, for the user's data (saved with a run)

    @property
    def has_modes(self) -> bool:
        return self.centres is not None

    @property
    def mode_weights(self) -> np.ndarray:
        if self.centres is None:
            raise ValueError(f"{self.name} has no discrete modes")
        if self.weights is None:
            return np.full(len(self.centres), 1.0 / len(self.centres))
        return self.weights

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        if generator is None:
            generator = torch.Generator().manual_seed(0)
        return self.sampler(n, generator)


class GaussianMixtureSampler:
    """Draws from a mixture of isotropic Gaussians (a class, not a closure: a run's data travels
    to its trainer process by pickling)."""

    def __init__(self, centres: np.ndarray, sd: np.ndarray, weights: np.ndarray | None = None) -> None:
        self.centres = torch.as_tensor(centres, dtype=torch.float32)
        self.sd = torch.as_tensor(sd, dtype=torch.float32).unsqueeze(1)
        self.weights = None if weights is None else torch.as_tensor(weights, dtype=torch.float32)

    def __call__(self, n: int, generator: torch.Generator) -> Tensor:
        if self.weights is None:
            idx = torch.randint(len(self.centres), (n,), generator=generator)
        else:
            idx = torch.multinomial(self.weights, n, replacement=True, generator=generator)
        noise = torch.randn(n, 2, generator=generator)
        return self.centres[idx] + self.sd[idx] * noise


def gaussian_mixture_sampler(centres: np.ndarray, sd: np.ndarray, weights: np.ndarray | None = None) -> Sampler:
    return GaussianMixtureSampler(centres, sd, weights)


def _mixture(name: str, label: str, centres: np.ndarray, sd: float | np.ndarray, bounds, weights=None,
             description="") -> ToyDistribution:
    sd_arr = np.broadcast_to(np.asarray(sd, dtype=np.float64), (len(centres),)).copy()
    w = None if weights is None else np.asarray(weights, dtype=np.float64) / np.sum(weights)
    return ToyDistribution(
        name, label, gaussian_mixture_sampler(centres, sd_arr, w), bounds,
        centres=np.asarray(centres, dtype=np.float64), sd=sd_arr, weights=w, description=description,
    )


def ring(modes: int = 8, radius: float = 1.0, sd: float = 0.01) -> ToyDistribution:
    angles = np.arange(modes) * 2 * np.pi / modes
    centres = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    r = radius * 1.5
    return _mixture("ring", f"Ring of {modes}", centres, sd, (-r, r, -r, r),
                    description=f"{modes} Gaussians on a circle of radius {radius:g}, sd {sd:g} (PacGAN).")


def grid(sd: float = 0.05) -> ToyDistribution:
    axis = np.array([-4.0, -2.0, 0.0, 2.0, 4.0])
    centres = np.array([(x, y) for x in axis for y in axis])
    return _mixture("grid", "Grid of 25", centres, sd, (-6, 6, -6, 6),
                    description=f"25 Gaussians at {{-4,-2,0,2,4}}², sd {sd:g} (PacGAN, VEEGAN).")


def square(sd: float = 0.02) -> ToyDistribution:
    """8 Gaussians on a square's corners and edge midpoints: as many modes as the ring, set differently
    (a CycleGAN pair: ring <-> square)."""
    centres = np.array([(1.0, 0.0), (1.0, 1.0), (0.0, 1.0), (-1.0, 1.0), (-1.0, 0.0), (-1.0, -1.0), (0.0, -1.0),
                        (1.0, -1.0)])
    return _mixture("square", "Square of 8", centres, sd, (-1.8, 1.8, -1.8, 1.8),
                    description=f"8 Gaussians on the corners and edge midpoints of a square of side 2, sd {sd:g}.")


def skewed_mix() -> ToyDistribution:
    centres = np.array([[-1.0, -0.5], [1.5, 1.0]])
    return _mixture("skewed", "Skewed 2-Gaussian mix", centres, np.array([0.25, 0.15]), (-3, 3, -3, 3),
                    weights=[0.8, 0.2], description="Two Gaussians holding 80% and 20% of the mass.")


def _moons(n: int, g: torch.Generator) -> Tensor:
    upper = torch.rand(n, generator=g) < 0.5
    t = torch.rand(n, generator=g) * math.pi
    x = torch.where(upper, torch.cos(t), 1 - torch.cos(t))
    y = torch.where(upper, torch.sin(t), 0.5 - torch.sin(t))
    pts = torch.stack([x - 0.5, y - 0.25], dim=1)
    return pts + 0.05 * torch.randn(n, 2, generator=g)


def _spiral(n: int, g: torch.Generator) -> Tensor:
    t = torch.sqrt(torch.rand(n, generator=g)) * 3 * math.pi
    r = t / (3 * math.pi) * 2
    pts = torch.stack([r * torch.cos(t), r * torch.sin(t)], dim=1)
    return pts + 0.04 * torch.randn(n, 2, generator=g)


def _circles(n: int, g: torch.Generator) -> Tensor:
    outer = torch.rand(n, generator=g) < 0.5
    radius = torch.where(outer, torch.tensor(2.0), torch.tensor(1.0))
    t = torch.rand(n, generator=g) * 2 * math.pi
    pts = torch.stack([radius * torch.cos(t), radius * torch.sin(t)], dim=1)
    return pts + 0.05 * torch.randn(n, 2, generator=g)


def _line(n: int, g: torch.Generator) -> Tensor:
    t = torch.rand(n, generator=g) * 2 - 1
    pts = torch.stack([t * 1.5, t * 0.75], dim=1)
    return pts + 0.03 * torch.randn(n, 2, generator=g)


def _continuous(name: str, label: str, sampler: Sampler, bounds, description: str) -> ToyDistribution:
    return ToyDistribution(name, label, sampler, bounds, description=description)


TOY_DISTRIBUTIONS: dict[str, ToyDistribution] = {
    d.name: d
    for d in (
        ring(),
        grid(),
        square(),
        skewed_mix(),
        _continuous("moons", "Two moons", _moons, (-2, 2, -2, 2), "Two interleaved half circles."),
        _continuous("spiral", "Spiral", _spiral, (-3, 3, -3, 3), "One arm, denser at the centre."),
        _continuous("circles", "Concentric circles", _circles, (-3, 3, -3, 3), "Radii 1 and 2, equal mass."),
        _continuous("line", "A line", _line, (-2.5, 2.5, -2.5, 2.5), "A thin segment: a 1D manifold in 2D."),
    )
}


def get_toy(name: str) -> ToyDistribution:
    try:
        return TOY_DISTRIBUTIONS[name]
    except KeyError:
        raise KeyError(f"unknown 2D dataset {name!r}; choose from {', '.join(TOY_DISTRIBUTIONS)}") from None
