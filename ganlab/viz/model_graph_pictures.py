"""The model overview graph's miniatures, as data-URI images: the noise batch, G's manifold,
real and generated samples, D's surface (the 2D view's pictures, drawn small by ganlab.viz.raster),
and for image GANs a few grid cells and the noise vectors behind them. Pure numpy + Pillow."""

from __future__ import annotations

import base64
from typing import Sequence

import numpy as np
from PIL import Image

from ganlab.kinds.toy_experiment import ToyView
from ganlab.viz.raster import jpeg_bytes, png_bytes, render_plot_square

TOY_PIXELS = 128  # drawn at twice the SVG's 64 units: sharp when a wide page enlarges the graph
NOISE_POINTS = 300
NOISE_COLOUR = (90, 90, 90)
NOISE_LIMITS = {"uniform": 1.1, "gaussian": 3.0}  # the noise picture's half-width
CELL_SCALE = 3  # image-GAN cells are enlarged by repeating pixels (crisp, and PNG stays small)


def data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def noise_picture(noise: np.ndarray, kind: str, size: int = TOY_PIXELS) -> Image.Image:
    """The fixed noise batch: its first two coordinates as grey dots (1-D noise: a row of dots
    along the middle, spread a little vertically so that clumps show)."""
    z = np.asarray(noise, dtype=float)[:NOISE_POINTS]
    if z.ndim == 1:
        z = z[:, None]
    if z.shape[1] == 1:
        jitter = np.random.default_rng(0).uniform(-0.08, 0.08, len(z)) * NOISE_LIMITS.get(kind, 3.0)
        z = np.column_stack([z[:, 0], jitter])
    lim = NOISE_LIMITS.get(kind, 3.0)
    uv = np.round((z[:, :2] + lim) / (2 * lim) * (size - 1)).astype(int)
    uv[:, 1] = size - 1 - uv[:, 1]
    pixels = np.full((size, size, 3), 255, dtype=np.uint8)
    for du in (-1, 0, 1):  # 3x3 dots
        for dv in (-1, 0, 1):
            u, v = uv[:, 0] + du, uv[:, 1] + dv
            keep = (u >= 0) & (u < size) & (v >= 0) & (v < size)
            pixels[v[keep], u[keep]] = NOISE_COLOUR
    mid = size // 2
    pixels[mid, :] = np.minimum(pixels[mid, :], 225)  # faint axes through 0
    pixels[:, mid] = np.minimum(pixels[:, mid], 225)
    return Image.fromarray(pixels, "RGB")


def _square(view: ToyView, layers: Sequence[str], loss: str | None, size: int) -> str:
    img = render_plot_square(view, layers, None, size, supersample=1, loss=loss)
    return data_uri(jpeg_bytes(img, 88), "image/jpeg")


def toy_live_pictures(view: ToyView, loss: str | None, size: int = TOY_PIXELS) -> dict[str, str]:
    """{node id: data URI} of what changes with the weights: the generated samples, D's surface
    and G's manifold (the image of a noise grid; absent when the noise has more than 2
    dimensions). About 5 ms a view, most of it the points."""
    out = {"fake": _square(view, ("fake",), loss, size), "discriminator": _square(view, ("surface",), loss, size)}
    if view.manifold is not None and np.size(view.manifold):
        out["generator"] = _square(view, ("manifold",), loss, size)
    return out


def toy_fixed_pictures(view: ToyView, noise: np.ndarray | None, noise_kind: str,
                       size: int = TOY_PIXELS) -> dict[str, str]:
    """{node id: data URI} of what a run keeps: its real samples and its fixed noise batch
    (drawn once a run: the real points alone cost ~5 ms)."""
    out = {"real": _square(view, ("real",), None, size)}
    if noise is not None and np.size(noise):
        out["noise"] = data_uri(png_bytes(noise_picture(noise, noise_kind, size)), "image/png")
    return out


def _enlarged_png(pixels: np.ndarray) -> str:
    big = np.repeat(np.repeat(np.asarray(pixels, dtype=np.uint8), CELL_SCALE, 0), CELL_SCALE, 1)
    img = Image.fromarray(big[..., 0] if big.shape[-1] == 1 else big)
    return data_uri(png_bytes(img), "image/png")


def grid_corner(grid: np.ndarray, image_size: int, cells: int = 2, padding: int = 2) -> np.ndarray:
    """The top-left `cells` x `cells` images of a make_grid sample grid, with their padding."""
    side = cells * (image_size + padding) + padding
    return np.asarray(grid)[:side, :side]


def mosaic(images: np.ndarray, cells: int = 2, padding: int = 2, pad_value: int = 255) -> np.ndarray:
    """(n, H, W, C) uint8 images -> one (cells x cells) mosaic laid out as a make_grid grid."""
    n, h, w, c = images.shape
    out = np.full((cells * (h + padding) + padding, cells * (w + padding) + padding, c), pad_value, dtype=np.uint8)
    for i in range(min(n, cells * cells)):
        r, col = divmod(i, cells)
        y, x = padding + r * (h + padding), padding + col * (w + padding)
        out[y:y + h, x:x + w] = images[i]
    return out


def noise_strip(noise: np.ndarray, columns: int = 16, limit: float = 2.5) -> np.ndarray:
    """Noise vectors as a grey picture: one row per vector, its first `columns` values from
    black (-limit) to white (+limit); the rows repeated to make the picture about square."""
    z = np.asarray(noise, dtype=float)[:, :columns]
    grey = np.round((np.clip(z, -limit, limit) + limit) / (2 * limit) * 255).astype(np.uint8)
    rows = max(1, z.shape[1] // max(1, len(z)))  # a square picture: each vector a band of rows
    return np.repeat(grey, rows, 0)[..., None]


def image_pictures(grid: np.ndarray, real: np.ndarray | None, noise: np.ndarray | None,
                   image_size: int) -> dict[str, str]:
    """{node id: data URI} for the image page's compact graph: 2 x 2 generated images (the grid's
    corner), 2 x 2 real ones, and the noise vectors of those generated cells."""
    out = {"fake": _enlarged_png(grid_corner(grid, image_size))}
    if real is not None and len(real):
        out["real"] = _enlarged_png(mosaic(real))
    if noise is not None and np.size(noise):
        out["noise"] = _enlarged_png(noise_strip(noise))
    return out
