"""Pictures for the latent-space page: generator outputs to uint8 strips, PNG and GIF
bytes, and a user's uploaded image checked and conformed to a discriminator's input."""

from __future__ import annotations

import io
import logging
import warnings

import numpy as np
import torch
from PIL import Image, ImageOps
from torch import Tensor

log = logging.getLogger(__name__)

ACCEPTED_FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP")  # Pillow's names; the uploader lists the same
ACCEPTED = "PNG, JPEG, GIF, BMP or WebP"
MAX_UPLOAD_PIXELS = 25_000_000  # checked on the size the file declares, before anything is decoded
WORK_SIDE = 1024  # larger images are scaled down to this before they are padded and resized


class UnusableImage(ValueError):
    """An uploaded file that cannot be used; the message is for the user (it names the file)."""


_SIGNATURES = (
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or a Word, Excel or PowerPoint file)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"\x00\x00\x01\x00", "an icon (ICO) file"),
    (b"8BPS", "a Photoshop (PSD) file"),
    (b"\x89HDF", "an HDF5 data file"),
)


def describe_file(data: bytes) -> str:
    """What a file that is no readable image seems to be, in words ("a PDF document")."""
    for magic, what in _SIGNATURES:
        if data.startswith(magic):
            return what
    if data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypavif"):
        return "a HEIC/AVIF photo (the iPhone's format)"
    head = data[:4096]
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return "binary data in no image format we know"
    if "<svg" in text.lower():
        return "an SVG drawing"
    if text.lstrip().startswith("{") or text.lstrip().startswith("["):
        return "a JSON or other text file"
    return "a text file"


def _open(data: bytes, name: str) -> Image.Image:
    """The image decoded, its declared size checked first (a small file may declare a huge
    image: a decompression bomb). Raises UnusableImage saying what was wrong."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # refused below, with a message
        try:
            img = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
        except Image.DecompressionBombError:
            raise UnusableImage(f"{name} declares an image of hundreds of millions of pixels; images of at most "
                                f"{MAX_UPLOAD_PIXELS // 1_000_000} million pixels are accepted.") from None
        except Exception as exc:  # Pillow raises many kinds for files it cannot identify
            log.info("upload %r not identified as an image: %r", name, exc)
            raise UnusableImage(f"{name} is not an image we can read: it looks like {describe_file(data)}. "
                                f"Upload a {ACCEPTED} image.") from None
        width, height = img.size
        if width * height > MAX_UPLOAD_PIXELS:
            raise UnusableImage(f"{name} is {width:,}x{height:,} pixels ({width * height / 1e6:,.0f} million); "
                                f"images of at most {MAX_UPLOAD_PIXELS // 1_000_000} million pixels are accepted: "
                                f"scale it down and upload it again.")
        try:
            img.load()
        except Exception as exc:
            log.info("upload %r (%s) not decoded: %r", name, img.format, exc)
            raise UnusableImage(f"{name} looks like a {img.format} image but could not be decoded: it may be "
                                f"truncated or damaged. Save it again and upload the new file.") from None
    return img


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


def load_user_image(data: bytes, size: int, channels: int, invert: bool | None = None,
                    name: str = "The file") -> tuple[Tensor, list[str]]:
    """An uploaded image as the discriminator's input (1, channels, size, size) in [-1, 1],
    with notes on what was changed. `invert`: None inverts dark-on-light images when the
    net expects grey images (MNIST-style light strokes on black). Raises UnusableImage with
    a message for the user (naming the file `name`) when the file is not a usable image."""
    if not data:
        raise UnusableImage(f"{name} is empty: upload a {ACCEPTED} image.")
    img = _open(data, name)
    notes = []
    if getattr(img, "n_frames", 1) > 1:
        notes.append("an animated image: its first frame is used")
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        background = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(background, img.convert("RGBA"))
        notes.append("transparent parts shown on white")
    img = img.convert("L" if channels == 1 else "RGB")
    if max(img.size) > WORK_SIDE:
        before = img.size
        img.thumbnail((WORK_SIDE, WORK_SIDE), Image.Resampling.LANCZOS)
        notes.append(f"scaled down from {before[0]}x{before[1]} to {img.width}x{img.height} first")
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
