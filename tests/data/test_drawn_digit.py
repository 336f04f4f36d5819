"""A canvas digit made MNIST-like: the ink's box fit to 20 px, its centre of mass centred in 28 x 28."""

from __future__ import annotations

import numpy as np

from ganlab.data.drawn_digit import as_run_image, ink_of_rgba, mnist_like


def test_a_bar_is_scaled_to_20_pixels_and_centred_by_mass():
    ink = np.zeros((280, 280))
    ink[40:240, 60:80] = 1.0  # a vertical bar 200 tall, 20 wide, off to the left
    image = mnist_like(ink)
    assert image.shape == (28, 28) and 0 <= image.min() and image.max() <= 1
    rows, cols = np.flatnonzero(image.max(axis=1) > 0.5), np.flatnonzero(image.max(axis=0) > 0.5)
    assert len(rows) == 20 and len(cols) == 2  # 200 -> 20 px, 20 -> 2 px
    cy, cx = (np.indices(image.shape) * image).sum(axis=(1, 2)) / image.sum()
    assert abs(cy - 14) <= 0.6 and abs(cx - 14) <= 0.6


def test_nothing_drawn_is_none_and_transparency_is_black():
    assert mnist_like(np.zeros((280, 280))) is None
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., :3] = 255  # white, but fully transparent
    rgba[1, 1, 3] = 255
    grey = ink_of_rgba(rgba)
    assert grey[1, 1] == 1.0 and grey.sum() == 1.0


def test_a_run_image_is_in_minus_one_to_one_at_the_runs_shape():
    image = np.zeros((28, 28))
    image[10:18, 10:18] = 1.0
    x = as_run_image(image, 28, 1)
    assert x.shape == (1, 1, 28, 28) and x.min() == -1 and x.max() == 1
    assert as_run_image(image, 32, 3).shape == (1, 3, 32, 32)
