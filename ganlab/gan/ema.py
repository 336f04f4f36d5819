"""An exponential moving average of the generator's weights (Karras et al., Yazıcı et al.).

The averaged generator usually draws smoother, steadier samples than the live one,
whose weights jump with every adversarial update. `train_step` updates it after each
G update when `GanParts.ema` is set; the image view draws its grid beside the live one.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from ganlab.limits import EMA_DECAY_RANGE as DECAY_RANGE


class GeneratorEMA:
    """`module` is an averaged copy of `generator` (eval mode, no gradients):
    after each `update(generator)`, every parameter is `d * average + (1 - d) * live`
    and every buffer (e.g. batch-norm running statistics) is copied from the live net.

    With `warmup` the decay of update n (counting from 1) is `min(decay, (1 + n) / (10 + n))`
    (TensorFlow's ExponentialMovingAverage with num_updates): early on, when the live net
    changes fastest, the average follows it closely instead of remembering the random start
    for thousands of steps (0.999 would still give the initial weights 37% after 1,000 updates)."""

    def __init__(self, generator: nn.Module, decay: float, *, warmup: bool = True) -> None:
        if isinstance(decay, bool) or not isinstance(decay, (int, float)) or not DECAY_RANGE[0] <= decay <= DECAY_RANGE[1]:
            raise ValueError(f"EMA decay must be a number between {DECAY_RANGE[0]} and {DECAY_RANGE[1]}, got {decay!r}")
        self.decay = float(decay)
        self.warmup = warmup
        self.updates = 0
        self.module = copy.deepcopy(generator).eval()
        self.module.requires_grad_(False)

    def current_decay(self) -> float:
        """The decay the next `update` applies."""
        if not self.warmup:
            return self.decay
        n = self.updates + 1
        return min(self.decay, (1 + n) / (10 + n))

    @torch.no_grad()
    def update(self, generator: nn.Module) -> None:
        d = self.current_decay()
        averaged = list(self.module.parameters())
        live = list(generator.parameters())
        if len(averaged) != len(live):
            raise ValueError("the generator's parameters no longer match the averaged copy's")
        for mine, theirs in zip(averaged, live, strict=False):
            mine.lerp_(theirs.detach(), 1.0 - d)
        for mine, theirs in zip(self.module.buffers(), generator.buffers(), strict=False):
            mine.copy_(theirs)
        self.updates += 1
