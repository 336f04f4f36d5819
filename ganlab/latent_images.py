"""Pictures for the latent-space page: generator outputs to uint8 strips, PNG and GIF
bytes, and a user's uploaded image checked and conformed to a discriminator's input."""

from __future__ import annotations

import io

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError
from torch import Tensor

MAX_UPLOAD_PIXELS = 25_000_000


def to_uint8(images: Tensor) -> np.ndarray:
    """Images (n, C, H, W) in [-1, 1] -> uint8 (n, H, W, C)."""
    x = images.detach().float().add(1).mul(127.5).round().clamp(0, 255).to(torch.uint8)
    return x.permute(0, 2, 3, 1).numpy()


def strip(frames: np.ndarray, padding: int = 2, pad_value: int = 255) -> np.ndarray:
    """uint8 frames (n, H, W, C) side by side, with `padding` pixels between and around."""
    n, h, w, c = frames.shape
    out = np.full((h + 2 * padding, n * (w + padding) + padding, c), pad_value, dtype=np.uint8)
    for i, frame in enumerate(frames):
        x = padding + i * (w + padding)
        out[padding:padding + h, x:x + w] = frame
    return out


def upscale(image: np.ndarray, factor: int) -> np.ndarray:
    """Nearest-neighbour enlargement (H, W, C) -> (H*f, W*f, C): crisp pixels in the browser."""
    return np.ascontiguousarray(image.repeat(factor, axis=0).repeat(factor, axis=1))


def _pil(image: np.ndarray) -> Image.Image:
    return Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image)


def png_bytes(image: np.ndarray) -> bytes:
    buf = io.BytesIO()
    _pil(image).save(buf, format="PNG")
    return buf.getvalue()


def gif_bytes(frames: np.ndarray, frame_ms: int = 120, bounce: bool = True) -> bytes:
    """An animated GIF (looping) of uint8 frames (n, H, W, C); `bounce` plays back and forth."""
    images = [_pil(f) for f in frames]
    if bounce and len(images) > 2:
        images = images + images[-2:0:-1]
    buf = io.BytesIO()
    images[0].save(buf, format="GIF", save_all=True, append_images=images[1:], duration=frame_ms, loop=0)
    return buf.getvalue()


def load_user_image(data: bytes, size: int, channels: int, invert: bool | None = None) -> tuple[Tensor, list[str]]:
    """An uploaded image as the discriminator's input (1, channels, size, size) in [-1, 1],
    with notes on what was changed. `invert`: None inverts dark-on-light images when the
    net expects grey images (MNIST-style light strokes on black). Raises ValueError with
    a message for the user when the file is not a usable image."""
    if not data:
        raise ValueError("The file is empty.")
    try:
        img = Image.open(io.BytesIO(data))
        if img.width * img.height > MAX_UPLOAD_PIXELS:
            raise ValueError(f"The image is {img.width}x{img.height} pixels; at most {MAX_UPLOAD_PIXELS:,} are accepted.")
        img.load()
    except ValueError:
        raise
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError) as exc:
        raise ValueError(f"This file is not an image that can be read (PNG, JPEG, GIF, BMP, WebP): {exc}") from None
    notes = []
    if getattr(img, "n_frames", 1) > 1:
        notes.append("an animated image: its first frame is used")
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        background = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(background, img.convert("RGBA"))
        notes.append("transparent parts shown on white")
    img = img.convert("L" if channels == 1 else "RGB")
    if img.width != img.height:
        side = max(img.size)
        corner = img.getpixel((0, 0))
        img = ImageOps.pad(img, (side, side), color=corner)
        notes.append(f"padded to a square ({side}x{side}) with its corner colour")
    if img.size != (size, size):
        notes.append(f"resized from {img.width}x{img.height} to {size}x{size}")
        img = img.resize((size, size), Image.Resampling.LANCZOS)
    arr = np.asarray(img, dtype=np.float32)
    if arr.ndim == 2:
        arr = arr[..., None]
    if invert is None:
        invert = channels == 1 and float(arr.mean()) > 127.5
        if invert:
            notes.append("inverted to light strokes on a dark background, like the training digits")
    elif invert:
        notes.append("inverted")
    if invert:
        arr = 255.0 - arr
    x = torch.from_numpy(arr).permute(2, 0, 1)[None].div(127.5).sub(1.0)
    return x.contiguous(), notes
