"""Stacked MNIST (the VEEGAN and PacGAN benchmark): three digits drawn at random, one in each
colour channel, so a 3-channel image has one of 10 x 10 x 10 = 1,000 modes. A GAN that covers
MNIST's 10 classes can still miss most of the 1,000 combinations: the meter of modes covered out
of 1,000 (ganlab.metrics.stacked_modes) shows collapse that 10 classes hide.

The mode's label is 100 * (red digit) + 10 * (green digit) + (blue digit), so "472" is a 4 in red,
a 7 in green and a 2 in blue."""

from __future__ import annotations

import torch
from torch import Tensor

STACKED_DATASET = "stacked-mnist"  # its name in the image datasets (ganlab.data.image_sources)
STACKED_CHANNELS = 3
STACKED_MODES = 10 ** STACKED_CHANNELS
STACKED_COUNT = 30_000  # training images made (about 30 of each mode; 70 MB at 28 px)
MODE_NAMES = tuple(f"{m:03d}" for m in range(STACKED_MODES))


def mode_of(channel_digits: Tensor) -> Tensor:
    """(N, 3) digits, red first -> (N,) mode labels 0..999."""
    d = channel_digits.long()
    return d[:, 0] * 100 + d[:, 1] * 10 + d[:, 2]


def stack_digits(images: Tensor, labels: Tensor, count: int = STACKED_COUNT, seed: int = 0) -> tuple[Tensor, Tensor]:
    """`count` stacked images (count, 3, H, W) from grey digits `images` (N, 1, H, W) with their
    `labels` (N,): each channel an independent uniform draw (fixed by `seed`), and each image's
    mode label. Same dtype as `images`."""
    if images.ndim != 4 or images.shape[1] != 1:
        raise ValueError(f"expected grey digits (N, 1, H, W); got shape {tuple(images.shape)}")
    if len(images) != len(labels) or len(images) == 0:
        raise ValueError(f"{len(images)} images but {len(labels)} labels")
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    rng = torch.Generator().manual_seed(seed)
    picks = torch.randint(len(images), (count, STACKED_CHANNELS), generator=rng)
    stacked = images[picks.flatten(), 0].view(count, STACKED_CHANNELS, *images.shape[-2:])
    return stacked, mode_of(labels[picks])
