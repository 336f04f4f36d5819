"""Discriminator regularizers. Each returns an unweighted penalty; the step multiplies
it by an explicit weight from the knobs."""

from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor

Critic = Callable[[Tensor], Tensor]


def _input_gradient_sq_norm(critic: Critic, points: Tensor) -> Tensor:
    """Per-sample squared norm of d critic(x) / d x, keeping the graph for backprop."""
    points = points.detach().requires_grad_(True)
    out = critic(points)
    (grad,) = torch.autograd.grad(out.sum(), points, create_graph=True)
    return grad.flatten(1).pow(2).sum(1)


def gradient_penalty(critic: Critic, real: Tensor, fake: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """WGAN-GP: E[(||grad D(x_hat)|| - 1)^2] at random points between real and fake."""
    shape = (real.shape[0],) + (1,) * (real.dim() - 1)
    alpha = torch.rand(shape, device=real.device, dtype=real.dtype, generator=generator)
    mixed = alpha * real.detach() + (1 - alpha) * fake.detach()
    norms = _input_gradient_sq_norm(critic, mixed).add(1e-12).sqrt()
    return (norms - 1).pow(2).mean()


def r1_penalty(critic: Critic, real: Tensor) -> Tensor:
    """R1 (Mescheder et al. 2018): 0.5 * E[||grad D(x)||^2] on real data, so weight = gamma."""
    return 0.5 * _input_gradient_sq_norm(critic, real).mean()
