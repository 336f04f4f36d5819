"""Regularizers: gradient penalties for the discriminator, mode seeking for the generator.
Each returns an unweighted penalty; the step multiplies it by an explicit weight from the knobs."""

from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor

Critic = Callable[[Tensor], Tensor]


def _input_gradient_sq_norm(critic: Critic, points: Tensor, pack: int = 1) -> Tensor:
    """Squared norm of d critic(x) / d x per input of the critic, keeping the graph for backprop:
    per sample, or for a critic that packs `pack` consecutive samples into one input (PacGAN,
    ganlab.nets.packing), per pack (the sum over its samples: the norm in the packed input)."""
    points = points.detach().requires_grad_(True)
    out = critic(points)
    (grad,) = torch.autograd.grad(out.sum(), points, create_graph=True)
    per_sample = grad.flatten(1).pow(2).sum(1)
    return per_sample if pack == 1 else per_sample.reshape(-1, pack).sum(1)


def interpolates(real: Tensor, fake: Tensor, generator: torch.Generator | None = None, pack: int = 1) -> Tensor:
    """WGAN-GP's points: one uniform random point on each segment from a real to its fake; for a
    packed critic, from a real pack to a fake pack (one draw per pack, shared by its samples)."""
    shape = (real.shape[0] // pack,) + (1,) * (real.dim() - 1)
    alpha = torch.rand(shape, device=real.device, dtype=real.dtype, generator=generator)
    if pack > 1:
        alpha = alpha.repeat_interleave(pack, dim=0)
    return alpha * real.detach() + (1 - alpha) * fake.detach()


def gradient_penalty_at(critic: Critic, mixed: Tensor, pack: int = 1) -> Tensor:
    """E[(||grad D(x_hat)|| - 1)^2] at the given points (see `interpolates`), per packed input."""
    norms = _input_gradient_sq_norm(critic, mixed, pack).add(1e-12).sqrt()
    return (norms - 1).pow(2).mean()


def gradient_penalty(critic: Critic, real: Tensor, fake: Tensor, generator: torch.Generator | None = None,
                     pack: int = 1) -> Tensor:
    """WGAN-GP: E[(||grad D(x_hat)|| - 1)^2] at random points between real and fake."""
    return gradient_penalty_at(critic, interpolates(real, fake, generator, pack), pack)


def r1_penalty(critic: Critic, real: Tensor, pack: int = 1) -> Tensor:
    """R1 (Mescheder et al. 2018): 0.5 * E[||grad D(x)||^2] on real data, so weight = gamma;
    for a packed critic, on the real packs."""
    return 0.5 * _input_gradient_sq_norm(critic, real, pack).mean()


def mode_seeking_penalty(fake: Tensor, noise: Tensor, eps: float = 1e-5) -> Tensor:
    """Mode seeking (Mao et al. 2019, MSGAN) for the generator: 1 / (d_images / d_noise + eps),
    with d the mean absolute difference between the first and second half of the batch,
    which the step draws with the same labels and different noise. Large when G maps
    different noise to the same image: the collapse inside each class that conditional
    GANs are prone to."""
    half = fake.shape[0] // 2
    if half < 1:
        raise ValueError("mode seeking needs a batch of at least 2 (two halves to compare)")
    d_images = (fake[:half] - fake[half: 2 * half]).abs().mean()
    d_noise = (noise[:half] - noise[half: 2 * half]).abs().mean()
    return 1.0 / (d_images / d_noise + eps)
