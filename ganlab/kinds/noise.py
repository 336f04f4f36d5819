"""G's noise, drawn the one way every kind and model draws it (a leaf of the kinds package)."""

from __future__ import annotations

import torch
from torch import Tensor


def draw_noise(noise: str, n: int, dim: int, generator: torch.Generator) -> Tensor:
    """n latent vectors: uniform on [-1, 1]^dim for "uniform", standard Gaussian otherwise."""
    if noise == "uniform":
        return torch.rand(n, dim, generator=generator) * 2 - 1
    return torch.randn(n, dim, generator=generator)
