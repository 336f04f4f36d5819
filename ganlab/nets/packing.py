"""Packing (PacGAN, Lin et al. 2018) inside a discriminator: `pack` consecutive samples become one input.

A packed D (its `pack` attribute above 1) joins m consecutive samples of its batch, their features side
by side (2D points: (n, 2) -> (n/m, 2m); images: their channels, (n, C, H, W) -> (n/m, mC, H, W)), and
gives one score per pack. What the step and the views do with that (batches of whole packs, one
score per sample for a picture) is ganlab.gan.packing's.
"""

from __future__ import annotations

from torch import Tensor


class PackingError(ValueError):
    """A packed D was handed a batch it cannot cut into whole packs."""


def pack_samples(x: Tensor, pack: int) -> Tensor:
    """(n, F, ...) -> (n / pack, pack * F, ...): each run of `pack` consecutive samples side by side
    along the feature (or channel) axis, the first sample's features first. A batch that is not a
    multiple of `pack` is refused, never cut."""
    if pack == 1:
        return x
    n = x.shape[0]
    if n % pack:
        raise PackingError(f"a packed discriminator judges {pack} samples at once: a batch of {n} is not a "
                           f"multiple of {pack}")
    return x.reshape(n // pack, pack * x.shape[1], *x.shape[2:])
