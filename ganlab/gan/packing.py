"""Training and reading a packed discriminator (PacGAN, Lin et al. 2018; the nets pack in
ganlab.nets.packing): D judges `pack` samples at once and gives one score per pack.

- The step draws batches of whole packs: the batch-size knob rounded down to a multiple of the
  pack (`usable_batch`: 256 with packs of 3 trains on 255), and packs real with real, fake with fake.
- A view that wants one score per sample (D's surface, "ask the discriminator") uses `score_each`:
  each sample packed with pack - 1 copies of itself, D's verdict on a pack with no variety.
- A view that shows a training batch's scores per point (the slow-motion step) gives each
  point its pack's score (`per_sample`).
"""

from __future__ import annotations

import math

from torch import Tensor, nn


def pack_of(discriminator: nn.Module) -> int:
    """How many samples `discriminator` judges at once (its `pack`; 1 for a D that does not pack)."""
    return int(getattr(discriminator, "pack", 1))


def usable_batch(n: int, pack: int, multiple: int = 1) -> int:
    """The batch the step draws for a batch-size knob of `n`: the largest multiple of `pack` (and of
    `multiple`, e.g. 2 for two halves) not above `n`, and at least one such multiple."""
    unit = math.lcm(pack, multiple)
    return max(unit, n - n % unit)


def score_each(discriminator: nn.Module, x: Tensor, labels: Tensor | None = None) -> Tensor:
    """One raw score per sample of `x`, shape (n,): for a packed D, each sample packed with `pack - 1`
    copies of itself; for any other D, its plain output."""
    pack = pack_of(discriminator)
    if pack == 1:
        return discriminator(x, labels)
    return discriminator(x.repeat_interleave(pack, dim=0), labels)


def per_sample(scores: Tensor, pack: int) -> Tensor:
    """One value per pack -> one per sample: each sample gets its pack's value."""
    return scores if pack == 1 else scores.repeat_interleave(pack, dim=0)
