"""The model overview graph's miniatures: where the noise dots land, the image cells cropped and
tiled as in the sample grid, and the pictures each node of the 2D graph gets."""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image

from ganlab.kinds.toy_experiment import ToyView
from ganlab.viz.model_graph_pictures import (
    NOISE_COLOUR,
    grid_corner,
    image_pictures,
    mosaic,
    noise_picture,
    noise_strip,
    toy_fixed_pictures,
    toy_live_pictures,
)


def decode(uri: str) -> np.ndarray:
    head, data = uri.split(",", 1)
    assert head in ("data:image/png;base64", "data:image/jpeg;base64")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(data))))


def test_noise_dots_land_where_the_noise_is():
    img = np.asarray(noise_picture(np.array([[0.0, 0.0], [3.0, 3.0]]), "gaussian", size=65))
    assert tuple(img[32, 32]) == NOISE_COLOUR  # the origin, in the middle
    assert tuple(img[0, 64]) == NOISE_COLOUR  # (+3, +3): the top-right corner of the [-3, 3] square
    assert tuple(img[64, 0]) == (255, 255, 255)
    line = np.asarray(noise_picture(np.array([[-1.1], [1.1]]), "uniform", size=65))  # 1-D: along the middle
    assert (line[20:45, 0] == NOISE_COLOUR).all(axis=1).any() and (line[20:45, 64] == NOISE_COLOUR).all(axis=1).any()


def test_image_cells_are_cropped_and_tiled_like_the_grid():
    images = np.stack([np.full((4, 4, 1), v, np.uint8) for v in (10, 20, 30, 40)])
    tiled = mosaic(images)  # 2 x 2 cells of 4 px with 2 px of white padding round each
    assert tiled.shape == (14, 14, 1)
    assert tiled[2, 2, 0] == 10 and tiled[2, 8, 0] == 20 and tiled[8, 2, 0] == 30 and tiled[8, 8, 0] == 40
    assert tiled[0, 0, 0] == tiled[6, 6, 0] == 255
    big = np.zeros((6 * 8 + 2, 6 * 8 + 2, 1), np.uint8)
    assert grid_corner(big, 4).shape == (14, 14, 1)
    strip = noise_strip(np.array([[-2.5, 0.0, 2.5, 9.0], [0.0] * 4]), columns=4)
    assert strip.shape == (4, 4, 1)  # 2 vectors of 4 values, each vector 2 rows tall
    assert strip[:2, :, 0].tolist() == [[0, 128, 255, 255]] * 2
    pictures = image_pictures(big, images, np.zeros((4, 8)), 4)
    assert set(pictures) == {"fake", "real", "noise"}
    assert decode(pictures["real"]).shape[:2] == (42, 42)  # 14 px enlarged 3x


def toy_view(manifold) -> ToyView:
    rng = np.random.default_rng(0)
    xs = np.linspace(-1, 1, 8)
    return ToyView(real=rng.normal(size=(50, 2)), fake=rng.normal(size=(50, 2)), surface_x=xs, surface_y=xs,
                   surface=np.full((8, 8), 0.5), surface_label="P(real)", arrow_from=np.zeros((0, 2)),
                   arrow_dir=np.zeros((0, 2)), manifold=manifold, bounds=(-2.0, 2.0, -2.0, 2.0))


def test_the_2d_graph_gets_a_picture_per_node_and_g_its_manifold_only_when_there_is_one():
    lines = np.stack([np.column_stack([np.linspace(-1, 1, 5), np.full(5, v)]) for v in (-1, 1)])
    live = toy_live_pictures(toy_view(lines), "non-saturating", size=32)
    fixed = toy_fixed_pictures(toy_view(lines), np.zeros((10, 2)), "gaussian", size=32)
    assert set(live) == {"fake", "discriminator", "generator"} and set(fixed) == {"real", "noise"}
    assert all(decode(uri).shape[:2] == (32, 32) for uri in (*live.values(), *fixed.values()))
    assert "generator" not in toy_live_pictures(toy_view(None), None, size=32)
    assert "noise" not in toy_fixed_pictures(toy_view(None), None, "gaussian", size=32)
