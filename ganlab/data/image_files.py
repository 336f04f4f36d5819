"""A user's own images: a folder on this machine or an uploaded zip, loaded as an
`ImageDataset` at a run's size and channels.

Every file is opened by PIL inside a try: unreadable, corrupt and non-image files are
skipped and counted, never fatal. Each image is converted to grey or colour (transparent
parts on white), centre-cropped to a square and resized. With two or more class folders
(`cats/…`, `dogs/…`) the folder names become the labels; otherwise the images are
unlabelled. A single folder wrapping everything (`my-data/cats/…`) is looked through.
Limits (file count, total bytes, pixels per image and in all) are checked before pixels
are decoded; a zip's sizes are read from its directory before anything is inflated, and
its members are inflated a piece at a time, never past their stated size
(`ganlab.data.zip_members`): a zip bomb costs no more than its directory admits. Entries
whose names leave the archive (`../x.png`, `/etc/x.png`), links and archives inside the
archive are refused. Nothing is written to disk.
"""

from __future__ import annotations

import io
import os
import stat
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Callable

import numpy as np
import torch
from PIL import Image, ImageOps

from ganlab.data.images import ImageDataset
from ganlab.data.zip_members import (
    ARCHIVE_EXTENSIONS,
    MemberSkipped,
    directory_entries_at_most,
    is_link,
    read_member,
)
from ganlab.limits import CONDITIONAL_CLASSES_MAX, IMAGE_CHANNELS, IMAGE_SIZES

MAX_FILES = 20_000
MAX_BYTES = 200 * 1024 * 1024  # image files together (a zip: uncompressed)
MAX_PIXELS = 25_000_000  # per image (a 5000 x 5000 photo); PIL's own bomb guard is at 89 M
# Pixels decoded for one load, all images together (a JPEG counts at the reduced size it is
# decoded at): 20,000 images of 120 x 120 px, or 1,200 of 500 x 500. Decoding costs about
# 7 s of CPU per 10^9 pixels, so a zip of 13 KB cannot buy minutes of a shared server's time.
MAX_TOTAL_PIXELS = 300_000_000
MAX_FILE_BYTES = 64 * 1024 * 1024  # one image file
IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm", ".pgm",
                              ".pbm", ".pnm"})
MAX_EXAMPLES = 5  # file names listed per skip reason

NOT_IMAGE = "not an image file"  # by its extension (never opened)
UNREADABLE = "unreadable or corrupt"  # an image name, but PIL cannot read it
TOO_LARGE = "too many pixels"
UNSAFE_NAME = "unsafe name in the zip"
LINK = "a link (not followed)"
ARCHIVE = "an archive inside the archive (not opened: unpack it first)"
NOT_A_FILE = "not a regular file"
FILE_TOO_BIG = f"file larger than {MAX_FILE_BYTES // 2**20} MB"
OUTSIDE_CLASSES = "outside the class folders"


class ImageFilesError(ValueError):
    """The user's images cannot be loaded at all; the message says why and what to do."""


@dataclass
class LoadReport:
    """What happened to each file: how many loaded, and the skipped ones by reason."""

    loaded: int = 0
    skipped: Counter = field(default_factory=Counter)  # reason -> count
    examples: dict[str, list[str]] = field(default_factory=dict)  # reason -> first few names
    class_names: tuple[str, ...] = ()
    note: str = ""
    bytes_read: int = 0  # bytes actually read or inflated from the files (a zip bomb's refused ones too)
    pixels: int = 0  # pixels decoded

    def skip(self, reason: str, name: str) -> None:
        self.skipped[reason] += 1
        names = self.examples.setdefault(reason, [])
        if len(names) < MAX_EXAMPLES:
            names.append(name)

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    def summary(self) -> str:
        """One readable sentence, e.g. 'Loaded 120 images in 2 classes (cats, dogs); skipped 2
        files: 1 not an image file (notes.txt), 1 unreadable or corrupt (bad.png).'"""
        classes = f" in {len(self.class_names)} classes ({', '.join(self.class_names)})" if self.class_names else \
            " without labels"
        text = f"Loaded {self.loaded} image{'s' * (self.loaded != 1)}{classes}"
        if self.skipped:
            text += f"; {self.skipped_text()}"
        return text + "." + (f" {self.note}" if self.note else "")

    def skipped_text(self) -> str:
        """'skipped 2 files: 1 not an image file (notes.txt), 1 unreadable or corrupt (bad.png)'"""
        parts = [f"{n} {reason} ({', '.join(self.examples[reason])}{', …' if n > MAX_EXAMPLES else ''})"
                 for reason, n in self.skipped.most_common()]
        return f"skipped {self.skipped_total} file{'s' * (self.skipped_total != 1)}: " + ", ".join(parts)


# ------------------------------------------------------------------ one image
def image_to_array(img: Image.Image, image_size: int, channels: int) -> np.ndarray:
    """A PIL image as uint8 (channels, size, size): grey or colour, transparent parts on
    white, centre-cropped to a square and resized (Lanczos)."""
    img = ImageOps.exif_transpose(img) or img
    if img.mode in ("I", "I;16", "I;16B", "I;16L", "F"):  # 16-bit / float grey: scale to 0..255
        a = np.asarray(img, dtype=np.float64)
        top = 65535.0 if a.max() > 255 else 255.0
        img = Image.fromarray(np.clip(a / top * 255, 0, 255).round().astype(np.uint8), "L")
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(white, rgba)
    img = img.convert("L" if channels == 1 else "RGB")
    img = ImageOps.fit(img, (image_size, image_size), method=Image.Resampling.LANCZOS)
    a = np.asarray(img, dtype=np.uint8)
    return a[None] if channels == 1 else a.transpose(2, 0, 1)


class _PixelBudget:
    """Pixels left to decode in one load; taken from each image's header before decoding it."""

    def __init__(self, limit: int, where: str, report: LoadReport) -> None:
        self.limit, self.where, self.report = limit, where, report

    def take(self, n: int) -> None:
        if self.report.pixels + n > self.limit:
            raise ImageFilesError(
                f"the images in {self.where} come to more than {self.limit:,} pixels to decode, the limit "
                "for one load. They are trained at 28 or 32 px: shrink them first (e.g. to 256 px a "
                "side) or use fewer.")
        self.report.pixels += n


def _decode(data: bytes, image_size: int, channels: int, budget: _PixelBudget) -> np.ndarray | str:
    """The image's pixels, or the reason it was skipped. Raises ImageFilesError when the
    pixels of all images together would pass the budget (checked before decoding)."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > MAX_PIXELS:
                return TOO_LARGE
            img.draft("RGB" if channels == 3 else "L", (image_size * 2, image_size * 2))  # JPEG: decode smaller
            budget.take(img.width * img.height)  # (frames past the first of a GIF or TIFF are never decoded)
            img.load()
            return image_to_array(img, image_size, channels)
    except ImageFilesError:
        raise
    except Image.DecompressionBombError:
        return TOO_LARGE
    except Exception:  # not an image inside, truncated, corrupt, a plugin's own error: skip, never crash
        return UNREADABLE


# ------------------------------------------------------------------ a set of files
@dataclass
class _Entry:
    parts: tuple[str, ...]  # path inside the folder or zip (wrapper folders dropped)
    size: int
    read: Callable[[list[int]], bytes]  # the content; raises MemberSkipped; counts bytes in its argument
    shown: str  # the name as the user knows it, for the report


def _hidden(parts: tuple[str, ...]) -> bool:
    """macOS / OS clutter that is no user image: __MACOSX/, .DS_Store, ._x.png, Thumbs.db."""
    return any(p.startswith(".") or p == "__MACOSX" for p in parts) or parts[-1].lower() == "thumbs.db"


def _strip_wrapper(entries: list[_Entry]) -> list[_Entry]:
    """Drop folders that wrap everything (`data/cats/x.png`, `data/dogs/y.png` -> `cats/…`)."""
    while entries and all(len(e.parts) > 1 for e in entries) and len({e.parts[0] for e in entries}) == 1:
        entries = [_Entry(e.parts[1:], e.size, e.read, e.shown) for e in entries]
    return entries


def _check_args(image_size: int, channels: int) -> None:
    if image_size not in IMAGE_SIZES:
        raise ValueError(f"image size must be one of {', '.join(map(str, IMAGE_SIZES))}; got {image_size!r}")
    if channels not in IMAGE_CHANNELS:
        raise ValueError(f"channels must be one of {', '.join(map(str, IMAGE_CHANNELS))}; got {channels!r}")


def _load_entries(entries: list[_Entry], report: LoadReport, where: str, name: str, image_size: int, channels: int,
                  max_files: int, max_bytes: int, max_pixels: int) -> tuple[ImageDataset, LoadReport]:
    candidates = _candidates(entries, report, where, max_files, max_bytes)
    folders = sorted({e.parts[0] for e in candidates if len(e.parts) > 1})
    labelled = len(folders) >= 2
    arrays, labels = [], []
    budget, counter = _PixelBudget(max_pixels, where, report), [0]
    for e in candidates:
        path = e.shown
        if labelled and len(e.parts) == 1:
            report.skip(OUTSIDE_CLASSES, path)
            continue
        if e.size > MAX_FILE_BYTES:
            report.skip(FILE_TOO_BIG, path)
            continue
        try:
            data = e.read(counter)
        except MemberSkipped as skipped:
            report.skip(skipped.reason, path)
            continue
        finally:
            report.bytes_read = counter[0]
        if report.bytes_read > max_bytes:  # cannot happen while sizes are checked above; never trust that alone
            raise ImageFilesError(f"the image files in {where} come to more than {max_bytes / 2**20:.0f} MB")
        pixels = _decode(data, image_size, channels, budget)
        del data
        if isinstance(pixels, str):
            report.skip(pixels, path)
            continue
        arrays.append(pixels)
        labels.append(e.parts[0] if labelled else None)
    report.loaded = len(arrays)
    if not arrays:
        found = f"no readable images ({report.skipped_text()})" if report.skipped else "no image files"
        raise ImageFilesError(f"{where} has {found}. Use PNG, JPEG, BMP, GIF, WebP or TIFF files, "
                              "optionally one subfolder per class.")
    return _dataset(arrays, labels, labelled, name, report), report


def _candidates(entries: list[_Entry], report: LoadReport, where: str, max_files: int, max_bytes: int) -> list[_Entry]:
    """The entries that look like images, sorted, their count and total size checked before any is read."""
    candidates = []
    for e in entries:
        suffix = Path(e.parts[-1]).suffix.lower()
        if suffix in IMAGE_EXTENSIONS:
            candidates.append(e)
        else:
            report.skip(ARCHIVE if suffix in ARCHIVE_EXTENSIONS else NOT_IMAGE, e.shown)
    if len(candidates) > max_files:
        raise ImageFilesError(f"{where} holds {len(candidates):,} image files; the limit is {max_files:,}. "
                              "Use a smaller selection.")
    total = sum(e.size for e in candidates)
    if total > max_bytes:
        raise ImageFilesError(f"the image files in {where} come to {total / 2**20:.1f} MB; the limit is "
                              f"{max_bytes / 2**20:.0f} MB. Use fewer or smaller images.")
    return _strip_wrapper(sorted(candidates, key=lambda e: e.parts))


def _dataset(arrays: list[np.ndarray], labels: list[str | None], labelled: bool, name: str,
             report: LoadReport) -> ImageDataset:
    """The decoded images as a dataset, labelled by class folder when there are 2 to CONDITIONAL_CLASSES_MAX."""
    images = torch.from_numpy(np.stack(arrays))
    class_names = sorted({c for c in labels if c is not None})
    if len(class_names) >= 2 and len(class_names) <= CONDITIONAL_CLASSES_MAX:
        index = {c: i for i, c in enumerate(class_names)}
        dataset = ImageDataset(images, torch.tensor([index[c] for c in labels]), name=name, class_names=class_names)
        report.class_names = tuple(class_names)
    else:
        if len(class_names) > CONDITIONAL_CLASSES_MAX:
            report.note = (f"{len(class_names)} class folders are more than the {CONDITIONAL_CLASSES_MAX} a conditional "
                           "GAN takes: loaded without labels.")
        elif labelled:
            report.note = "Only one class folder had readable images: loaded without labels."
        dataset = ImageDataset(images, name=name)
    return dataset


def _read_file(path: Path, size: int, counter: list[int]) -> bytes:
    """A file's bytes, at most its stated size (a file that grows while read is skipped)."""
    try:
        with open(path, "rb") as f:
            data = f.read(size + 1)
    except OSError:
        raise MemberSkipped(UNREADABLE) from None
    counter[0] += len(data)
    if len(data) != size:
        raise MemberSkipped(UNREADABLE)
    return data


def load_image_folder(path: str | Path, image_size: int, channels: int, *, max_files: int = MAX_FILES,
                      max_bytes: int = MAX_BYTES, max_pixels: int | None = None,
                      name: str | None = None) -> tuple[ImageDataset, LoadReport]:
    """Every image under `path` (subfolders included; symlinked folders not followed)."""
    _check_args(image_size, channels)
    root = Path(path).expanduser()
    if not root.is_dir():
        raise ImageFilesError(f"{root} is not a folder")
    entries, report = [], LoadReport()
    seen = 0
    for dirpath, dirnames, filenames in os.walk(root, onerror=None):
        dirnames[:] = sorted(d for d in dirnames if not _hidden((d,)))
        for f in filenames:
            full = Path(dirpath) / f
            parts = full.relative_to(root).parts
            if _hidden(parts):
                continue
            seen += 1
            if seen > 4 * max_files:  # a huge tree of other files: stop walking it
                raise ImageFilesError(f"{root} holds more than {4 * max_files:,} files; the limit is {max_files:,} "
                                      "images. Use a smaller folder.")
            try:
                info = full.stat()
            except OSError:
                report.skip(UNREADABLE, "/".join(parts))
                continue
            if not stat.S_ISREG(info.st_mode):  # a FIFO would block, a device never end
                report.skip(NOT_A_FILE, "/".join(parts))
                continue
            read = lambda counter, full=full, size=info.st_size: _read_file(full, size, counter)  # noqa: E731
            entries.append(_Entry(parts, info.st_size, read, "/".join(parts)))
    return _load_entries(entries, report, str(root), name or root.name or "images", image_size, channels,
                         max_files, max_bytes, MAX_TOTAL_PIXELS if max_pixels is None else max_pixels)


def _safe_parts(name: str) -> tuple[str, ...] | None:
    """A zip entry's path parts, or None when the name is absolute or climbs out (`..`)."""
    if "\\" in name or name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return None
    parts = PurePosixPath(name).parts
    if not parts or any(p in ("..", "") for p in parts):
        return None
    return tuple(p for p in parts if p != ".")


def load_image_zip(data: bytes, image_size: int, channels: int, *, name: str = "upload",
                   max_files: int = MAX_FILES, max_bytes: int = MAX_BYTES,
                   max_pixels: int | None = None) -> tuple[ImageDataset, LoadReport]:
    """Every image in a zip archive's bytes (e.g. a Streamlit upload). `max_bytes` bounds both
    the archive and its images' uncompressed total, read from the zip directory first and
    held to while inflating; `max_pixels` bounds the pixels decoded, all images together."""
    _check_args(image_size, channels)
    where = f"the zip {name!r}" if name != "upload" else "the zip"
    if len(data) > max_bytes:
        raise ImageFilesError(f"{where} is {len(data) / 2**20:.1f} MB; the limit is {max_bytes / 2**20:.0f} MB")
    if directory_entries_at_most(data) > 4 * max_files:  # before ZipFile builds an object for each
        raise ImageFilesError(f"{where} holds more than {4 * max_files:,} files; the limit is {max_files:,} images. "
                              "Zip a smaller selection.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as e:
        raise ImageFilesError(f"{where} is not a readable zip file (damaged, cut short, or another kind of file); "
                              "zip the images again and upload the new file") from e
    entries, report = [], LoadReport()
    with archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
        if len(infos) > 4 * max_files:
            raise ImageFilesError(f"{where} holds {len(infos):,} files; the limit is {max_files:,} images")
        for info in infos:
            parts = _safe_parts(info.filename)
            if parts is None:
                report.skip(UNSAFE_NAME, info.filename)
                continue
            if _hidden(parts):
                continue
            if is_link(info):
                report.skip(LINK, info.filename)
                continue
            # read lazily, one entry at a time, never inflated past its stated size (zip_members)
            entries.append(_Entry(parts, info.file_size, lambda c, info=info: read_member(data, info, c),
                                  info.filename))
        return _load_entries(entries, report, where, name.removesuffix(".zip") or "upload", image_size, channels,
                             max_files, max_bytes, MAX_TOTAL_PIXELS if max_pixels is None else max_pixels)


def load_image_zip_file(path: str | Path, image_size: int, channels: int, *, name: str | None = None,
                        max_files: int = MAX_FILES, max_bytes: int = MAX_BYTES,
                        max_pixels: int | None = None) -> tuple[ImageDataset, LoadReport]:
    """`load_image_zip` on a zip file, refused by its size before it is read into memory."""
    path = Path(path)
    size = path.stat().st_size
    where = f"the zip {name!r}" if name else "the zip"
    if size > max_bytes:
        raise ImageFilesError(f"{where} is {size / 2**20:.1f} MB; the limit is {max_bytes / 2**20:.0f} MB")
    return load_image_zip(path.read_bytes(), image_size, channels, name=name or path.name, max_files=max_files,
                          max_bytes=max_bytes, max_pixels=max_pixels)
