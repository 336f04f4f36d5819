"""A digit drawn on a canvas, made into an image the way MNIST's were: white ink on black, the
ink's bounding box scaled to fit 20x20 pixels and placed in a 28x28 frame with its centre of
mass at the centre (LeCun et al.'s preprocessing), then fitted to a run's image size and
channels in [-1, 1] (the range the nets see)."""

from __future__ import annotations

import numpy as np
from PIL import Image

MNIST_SIZE = 28
MNIST_BOX = 20
INK_THRESHOLD = 0.05  # of full brightness: fainter pixels are background


def ink_of_rgba(rgba: np.ndarray) -> np.ndarray:
    """The canvas's RGBA pixels (h, w, 4), white ink on a black or transparent background, as
    brightness in [0, 1] (h, w)."""
    rgba = np.asarray(rgba, dtype=np.float64)
    if rgba.ndim != 3 or rgba.shape[2] not in (3, 4):
        raise ValueError(f"expected RGB(A) pixels, got shape {rgba.shape}")
    grey = rgba[..., :3].mean(axis=2) / 255.0
    if rgba.shape[2] == 4:
        grey = grey * rgba[..., 3] / 255.0  # transparent counts as black
    return grey


def mnist_like(ink: np.ndarray) -> np.ndarray | None:
    """A 28x28 image in [0, 1] from ink brightness (h, w), or None when nothing is drawn."""
    ink = np.asarray(ink, dtype=np.float64)
    rows, cols = np.flatnonzero(ink.max(axis=1) > INK_THRESHOLD), np.flatnonzero(ink.max(axis=0) > INK_THRESHOLD)
    if not len(rows):
        return None
    crop = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    scale = MNIST_BOX / max(crop.shape)
    h, w = max(1, round(crop.shape[0] * scale)), max(1, round(crop.shape[1] * scale))
    small = np.asarray(Image.fromarray((crop * 255).astype(np.uint8)).resize((w, h), Image.Resampling.LANCZOS),
                       dtype=np.float64) / 255.0
    out = np.zeros((MNIST_SIZE, MNIST_SIZE))
    total = small.sum()
    cy, cx = ((np.indices(small.shape) * small).sum(axis=(1, 2)) / total) if total > 0 else (h / 2, w / 2)
    top = int(np.clip(round(MNIST_SIZE / 2 - cy), 0, MNIST_SIZE - h))
    left = int(np.clip(round(MNIST_SIZE / 2 - cx), 0, MNIST_SIZE - w))
    out[top:top + h, left:left + w] = small
    return np.clip(out, 0.0, 1.0)


def as_run_image(image: np.ndarray, size: int, channels: int) -> np.ndarray:
    """A 28x28 image in [0, 1] as one image for a run: (1, channels, size, size) in [-1, 1]."""
    if image.shape != (size, size):
        image = np.asarray(Image.fromarray((image * 255).astype(np.uint8)).resize((size, size), Image.Resampling.BILINEAR),
                           dtype=np.float64) / 255.0
    x = (image * 2 - 1).astype(np.float32)
    return np.repeat(x[None, None], channels, axis=1)
