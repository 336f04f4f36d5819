"""Pictures of a run with Pillow only: sample grids, 2D scatter plots, and animated GIFs."""

from __future__ import annotations

import io
from typing import Sequence

import numpy as np
import torch
from PIL import Image, ImageDraw
from torchvision.utils import make_grid

GRID_COLUMNS = 8
GRID_PADDING = 2
REAL_COLOUR = (166, 219, 160)
FAKE_COLOUR = (118, 42, 131)


def grid_image(fake: torch.Tensor, channels: int, columns: int = GRID_COLUMNS) -> np.ndarray:
    """Generator output in [-1, 1], (N, C, H, W), as a uint8 (H, W, C) grid with white lines
    (the playground's grid layout)."""
    grid = make_grid(fake.detach().float().cpu().add(1).div(2).clamp(0, 1), nrow=columns, padding=GRID_PADDING,
                     pad_value=1.0)
    return np.ascontiguousarray(grid[:channels].mul(255).round().to(torch.uint8).permute(1, 2, 0).numpy())


def png_bytes(pixels: np.ndarray) -> bytes:
    """A uint8 (H, W) / (H, W, 1) / (H, W, 3) array as PNG."""
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[:, :, 0]
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="PNG")
    return buf.getvalue()


def grid_png(fake: torch.Tensor, channels: int, columns: int = GRID_COLUMNS) -> bytes:
    return png_bytes(grid_image(fake, channels, columns))


def scatter_image(points: np.ndarray, bounds: Sequence[float], size: int = 360,
                  real: np.ndarray | None = None, label: str | None = None) -> Image.Image:
    """2D points drawn as dots in `bounds` (x0, x1, y0, y1), y up; `real` in green behind them."""
    x0, x1, y0, y1 = bounds
    img = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(img)
    margin = 6

    def to_px(p: np.ndarray) -> np.ndarray:
        p = np.asarray(p, dtype=np.float64).reshape(-1, 2)
        px = margin + (p[:, 0] - x0) / max(x1 - x0, 1e-12) * (size - 2 * margin)
        py = size - margin - (p[:, 1] - y0) / max(y1 - y0, 1e-12) * (size - 2 * margin)
        ok = np.isfinite(px) & np.isfinite(py)
        return np.stack([px[ok], py[ok]], 1)

    draw.rectangle([0, 0, size - 1, size - 1], outline=(200, 200, 200))
    for pts, colour in ((real, REAL_COLOUR), (points, FAKE_COLOUR)):
        if pts is None:
            continue
        for x, y in to_px(pts):
            draw.ellipse([x - 1.5, y - 1.5, x + 1.5, y + 1.5], fill=colour)
    if label:
        draw.text((margin + 2, margin), label, fill=(60, 60, 60))
    return img


def scatter_png(points: np.ndarray, bounds: Sequence[float], **kw) -> bytes:
    buf = io.BytesIO()
    scatter_image(points, bounds, **kw).save(buf, format="PNG")
    return buf.getvalue()


def gif_bytes(frames: Sequence[Image.Image], duration_ms: int = 250) -> bytes:
    """An animated GIF (looping) of `frames`; the last frame is held three times as long."""
    if not frames:
        raise ValueError("no frames to animate")
    frames = [f.convert("RGB") for f in frames]
    durations = [duration_ms] * (len(frames) - 1) + [duration_ms * 3]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=durations, loop=0)
    return buf.getvalue()


def label_frame(img: Image.Image, text: str) -> Image.Image:
    """A copy of `img` with a strip above it naming the step."""
    img = img.convert("RGB")
    out = Image.new("RGB", (max(img.width, 120), img.height + 16), "white")
    out.paste(img, (0, 16))
    ImageDraw.Draw(out).text((4, 2), text, fill=(40, 40, 40))
    return out
