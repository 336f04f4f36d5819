"""Named image datasets: the built-in offline "digits" and torchvision's MNIST,
Fashion-MNIST and CIFAR-10, each loaded as an `ImageDataset` at the size and channels a
run asks for; plus the shape conversions they share with user images, and the check
that a dataset fits an `ImageStructure`.

torchvision datasets live under the data folder (`data_dir()`): `$GANLAB_DATA_DIR`, else
`$XDG_CACHE_HOME/ganlab/data`, else `~/.cache/ganlab/data` (a cache: a server's working
directory is no place for 200 MB of downloads). They are downloaded only when the caller
passes `download=True` (the UI does so on a user's explicit request); when the files are
missing, `DatasetUnavailable` names the folder and the files to put there.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Callable, Protocol

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from ganlab.data.images import ImageDataset
from ganlab.data.stacked_digits import MODE_NAMES, STACKED_DATASET, stack_digits
from ganlab.limits import IMAGE_CHANNELS, IMAGE_SIZES

log = logging.getLogger(__name__)
ENV_DATA_DIR = "GANLAB_DATA_DIR"
DIGITS_ASSET = "digits.npz"
_RESIZE_CHUNK = 4096  # images resized at a time (bounds the float copy's memory)


class DatasetUnavailable(ValueError):
    """A dataset's files are not on this machine (and downloading is off or failed);
    the message names the folder and the files to put there."""


class DatasetMismatch(ValueError):
    """A dataset does not fit a run's structure; the message says what differs and how to fix it."""


def data_dir() -> Path:
    """Where downloadable datasets live: $GANLAB_DATA_DIR, else $XDG_CACHE_HOME/ganlab/data,
    else ~/.cache/ganlab/data."""
    if os.environ.get(ENV_DATA_DIR):
        return Path(os.environ[ENV_DATA_DIR]).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache).expanduser() / "ganlab" / "data"


# ------------------------------------------------------------------ shape conversions
def convert_channels(images: Tensor, channels: int) -> Tensor:
    """(N, C, H, W) images with `channels` channels: grey -> colour repeats the channel,
    colour -> grey takes the luminance (ITU-R 601: 0.299 R + 0.587 G + 0.114 B, as PIL does)."""
    if channels not in IMAGE_CHANNELS:
        raise ValueError(f"channels must be one of {', '.join(map(str, IMAGE_CHANNELS))}; got {channels!r}")
    have = images.shape[1]
    if have == channels:
        return images
    if have == 1:
        return images.expand(-1, channels, -1, -1).contiguous()
    if have == 3 and channels == 1:
        weights = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
        grey = (images.float() * weights).sum(1, keepdim=True)
        return grey.round().clamp(0, 255).to(torch.uint8) if images.dtype == torch.uint8 else grey.clamp(-1, 1)
    raise ValueError(f"cannot convert images with {have} channels; expected 1 (grey) or 3 (colour)")


def resize_images(images: Tensor, size: int, grow: str = "resize") -> Tensor:
    """Square (N, C, H, W) images at `size` x `size`. Shrinking resamples (bilinear,
    antialiased); growing pads with black when `grow="pad"` (MNIST 28 -> 32 adds 2 px a
    side, the digit untouched) or resamples when `grow="resize"`. Keeps the dtype."""
    if grow not in ("pad", "resize"):
        raise ValueError(f"grow must be 'pad' or 'resize', got {grow!r}")
    h, w = images.shape[-2:]
    if h != w:
        raise ValueError(f"images must be square to resize, got {h}x{w}")
    if h == size:
        return images
    if size > h and grow == "pad":
        before = (size - h) // 2
        after = size - h - before
        black = 0 if images.dtype == torch.uint8 else -1.0
        return F.pad(images, (before, after, before, after), value=black)
    out = []
    for chunk in images.split(_RESIZE_CHUNK):
        resized = F.interpolate(chunk.float(), size=(size, size), mode="bilinear", align_corners=False, antialias=True)
        out.append(resized.round().clamp(0, 255).to(torch.uint8) if images.dtype == torch.uint8
                   else resized.clamp(-1, 1))
    return torch.cat(out)


def conform(images: Tensor, image_size: int, channels: int, grow: str = "resize") -> Tensor:
    """Images at the size and channels a run asks for (see `resize_images`, `convert_channels`)."""
    if image_size not in IMAGE_SIZES:
        raise ValueError(f"image size must be one of {', '.join(map(str, IMAGE_SIZES))}; got {image_size!r}")
    if images.shape[1] == 3 and channels == 1:  # shrink the channels first: less to resize
        return resize_images(convert_channels(images, channels), image_size, grow)
    return convert_channels(resize_images(images, image_size, grow), channels)


# ------------------------------------------------------------------ the registry
@dataclass(frozen=True)
class ImageSource:
    """A named dataset. `load(image_size, channels, root=..., download=..., max_images=...)`
    returns an ImageDataset; `native_size`/`native_channels` are the files' own shape."""

    name: str
    title: str
    native_size: int
    native_channels: int
    class_names: tuple[str, ...]
    builtin: bool  # ships with ganlab: no files, no network
    grow: str  # how to enlarge: "pad" (black background) or "resize"
    licence: str
    _load: Callable[..., tuple[Tensor, Tensor, tuple[str, ...]]]

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def load(self, image_size: int | None = None, channels: int | None = None, *, root: str | Path | None = None,
             download: bool = False, max_images: int | None = None, seed: int = 0) -> ImageDataset:
        """The training split at `image_size` and `channels` (default: the native ones).
        More than `max_images` images: a random subset of that many (fixed by `seed`)."""
        image_size = self.native_size if image_size is None else image_size
        channels = self.native_channels if channels is None else channels
        root = data_dir() if root is None else Path(root)
        images, labels, class_names = self._load(root, download)  # uint8 (N, C, H, W), int64 (N,)
        if max_images is not None and len(images) > max_images:
            if max_images < 1:
                raise ValueError(f"max_images must be at least 1, got {max_images}")
            keep = torch.randperm(len(images), generator=torch.Generator().manual_seed(seed))[:max_images]
            images, labels = images[keep], labels[keep]
        images = conform(images, image_size, channels, self.grow)
        return ImageDataset(images, labels, name=self.name, class_names=class_names)

    def is_available(self, root: str | Path | None = None) -> bool:
        """Whether `load` can work without a download."""
        if self.builtin:
            return True
        root = data_dir() if root is None else Path(root)
        return _missing(self.name, root) == []


def load_image_source(name: str, image_size: int | None = None, channels: int | None = None, **kwargs) -> ImageDataset:
    """`IMAGE_SOURCES[name].load(...)`, with a clear error for an unknown name."""
    if name not in IMAGE_SOURCES:
        raise ValueError(f"unknown image dataset {name!r}; choose one of {', '.join(IMAGE_SOURCES)}")
    return IMAGE_SOURCES[name].load(image_size, channels, **kwargs)


# ------------------------------------------------------------------ built-in digits
def digits_path() -> Path:
    """The shipped digits file (package data, found by an installed or editable ganlab)."""
    return Path(str(resources.files("ganlab") / "assets" / DIGITS_ASSET))


def _load_digits(root: Path, download: bool) -> tuple[Tensor, Tensor, tuple[str, ...]]:
    path = digits_path()
    try:
        with np.load(path) as data:
            images, labels = data["images"], data["labels"]
    except (OSError, KeyError, ValueError) as e:
        log.warning("cannot read the built-in digits %s", path, exc_info=e)
        raise DatasetUnavailable(f"the built-in digits file {path.name} is missing or damaged; "
                                 "reinstall ganlab or run scripts/make_builtin_digits.py") from e
    return torch.from_numpy(images).unsqueeze(1), torch.from_numpy(labels).long(), DIGIT_NAMES


# ------------------------------------------------------------------ torchvision datasets
_MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                "t10k-labels-idx1-ubyte")
_CIFAR_FILES = ("data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch",
                "batches.meta")
_TV = {  # name -> (torchvision class name, folder under root, files in it, where they come from)
    "mnist": ("MNIST", "MNIST/raw", _MNIST_FILES,
              "from https://ossci-datasets.s3.amazonaws.com/mnist/; the .gz files may stay zipped"),
    "fashion-mnist": ("FashionMNIST", "FashionMNIST/raw", _MNIST_FILES,
                      "from https://github.com/zalandoresearch/fashion-mnist; the .gz files may stay zipped"),
    "cifar10": ("CIFAR10", "cifar-10-batches-py", _CIFAR_FILES,
                "unpacked from https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz; or put that .tar.gz "
                "itself in the data folder"),
}


def _missing(name: str, root: Path) -> list[str]:
    """The files `name` needs under `root` that are not there (a .gz for an idx file counts;
    CIFAR's .tar.gz in root counts for all of its files)."""
    _, folder, files, _ = _TV[name]
    if name == "cifar10" and (root / "cifar-10-python.tar.gz").is_file():
        return []
    where = root / folder
    return [f for f in files if not (where / f).is_file() and not (where / f"{f}.gz").is_file()]


def _unpack_local_archives(name: str, root: Path) -> None:
    """Unpack archives the user put in the data folder (torchvision reads only unpacked files)."""
    from torchvision.datasets.utils import extract_archive

    _, folder, files, _ = _TV[name]
    if name == "cifar10":
        archive = root / "cifar-10-python.tar.gz"
        if archive.is_file() and not all((root / folder / f).is_file() for f in files):
            extract_archive(str(archive), str(root))
        return
    for f in files:
        target, packed = root / folder / f, root / folder / f"{f}.gz"
        if not target.is_file() and packed.is_file():
            extract_archive(str(packed), str(target.parent))


def _unavailable(name: str, root: Path, why: str) -> DatasetUnavailable:
    _, folder, files, source = _TV[name]
    missing = _missing(name, root) or list(files)
    return DatasetUnavailable(  # the folder relative to the data folder: no server path in a message
        f"{IMAGE_SOURCES[name].title} is not available: {why}. Put {', '.join(missing)} in {folder}/ inside "
        f"the data folder ({source}); {ENV_DATA_DIR} chooses that folder, by default ~/.cache/ganlab/data. "
        "The built-in 'digits' dataset needs no files."
    )


def _torchvision_loader(name: str) -> Callable[[Path, bool], tuple[Tensor, Tensor, tuple[str, ...]]]:
    def load(root: Path, download: bool) -> tuple[Tensor, Tensor, tuple[str, ...]]:
        import torchvision.datasets as tvd

        cls = getattr(tvd, _TV[name][0])
        try:
            _unpack_local_archives(name, root)
        except Exception as e:  # a damaged archive: say so rather than crash
            log.warning("cannot unpack the %s archive under %s", name, root, exc_info=e)
            raise _unavailable(name, root, "an archive in the data folder could not be unpacked "
                                           "(damaged, or the disk is full)") from e
        if _missing(name, root) and not download:
            raise _unavailable(name, root, "its files are not in the data folder and downloading is off")
        try:
            if download:
                root.mkdir(parents=True, exist_ok=True)
            ds = cls(root=str(root), train=True, download=download)
        except Exception as e:  # offline (URLError, RuntimeError), corrupt files, a full disk ...
            log.warning("cannot load %s from %s", name, root, exc_info=e)  # the details, for the server log
            why = ("the download failed (no internet connection, or the files could not be written)" if download
                   else "its files could not be read (damaged or incomplete)")
            raise _unavailable(name, root, why) from e
        data = ds.data if isinstance(ds.data, Tensor) else torch.from_numpy(np.asarray(ds.data))
        images = data.unsqueeze(1) if data.dim() == 3 else data.permute(0, 3, 1, 2)  # (N, H, W[, C]) -> NCHW
        labels = torch.as_tensor(ds.targets).long()
        class_names = DIGIT_NAMES if name == "mnist" else tuple(ds.classes)
        return images.contiguous(), labels, class_names

    return load


DIGIT_NAMES = tuple(str(d) for d in range(10))


def _load_stacked(root: Path, download: bool) -> tuple[Tensor, Tensor, tuple[str, ...]]:
    """Stacked MNIST from MNIST's 60,000 digits when they are in the data folder, else from the
    built-in 5,000 (offline, the default); never downloads (a download is the MNIST entry's)."""
    if _missing("mnist", root) == []:
        images, labels, _ = _torchvision_loader("mnist")(root, False)
    else:
        images, labels, _ = _load_digits(root, False)
    stacked, modes = stack_digits(images, labels)
    return stacked, modes, MODE_NAMES


_MNIST_LICENCE = "MNIST: Yann LeCun and Corinna Cortes, CC BY-SA 3.0"

IMAGE_SOURCES: dict[str, ImageSource] = {
    s.name: s
    for s in (
        ImageSource("digits", "Handwritten digits (built in, 5,000 MNIST images)", 28, 1, DIGIT_NAMES, True, "pad",
                    _MNIST_LICENCE, _load_digits),
        ImageSource("mnist", "MNIST handwritten digits", 28, 1, DIGIT_NAMES, False, "pad", _MNIST_LICENCE,
                    _torchvision_loader("mnist")),
        ImageSource("fashion-mnist", "Fashion-MNIST clothing", 28, 1,
                    ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                     "Ankle boot"), False, "pad", "Fashion-MNIST: Zalando Research, MIT",
                    _torchvision_loader("fashion-mnist")),
        ImageSource("cifar10", "CIFAR-10 small photos", 32, 3,
                    ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"),
                    False, "resize", "CIFAR-10: Alex Krizhevsky, Vinod Nair and Geoffrey Hinton",
                    _torchvision_loader("cifar10")),
        ImageSource(STACKED_DATASET, "Stacked MNIST: a digit in each colour channel, 1,000 modes (built in)", 28, 3,
                    MODE_NAMES, True, "pad", _MNIST_LICENCE, _load_stacked),
    )
}


# ------------------------------------------------------------------ dataset vs structure
class ImageShape(Protocol):
    """What a dataset is checked against: an `ImageStructure` (ganlab.settings.config, a layer above)."""

    image_size: int
    channels: int
    conditional: bool
    num_classes: int


def check_for_structure(dataset: ImageDataset, structure: ImageShape) -> None:
    """Raise DatasetMismatch, naming every difference and its fix, when `dataset` cannot
    train `structure` (image size, channels; labels and class count for a conditional GAN).
    The same conditions as ImageExperiment's own checks, worded for a user."""
    s, problems = structure, []
    h, w = dataset.images.shape[-2:]
    if (h, w) != (s.image_size, s.image_size):
        problems.append(f"its images are {h}x{w} px but the nets make {s.image_size}x{s.image_size}: "
                        f"load the data at {s.image_size} px or set the image size to match")
    if dataset.channels != s.channels:
        kind = {1: "grey (1 channel)", 3: "colour (3 channels)"}
        problems.append(f"its images are {kind.get(dataset.channels, f'{dataset.channels}-channel')} but the nets "
                        f"make {kind[s.channels]}: load the data with {s.channels} channel(s) or change channels")
    if s.conditional:
        if dataset.labels is None:
            problems.append("a conditional GAN needs labelled images and these have none (for your own images, "
                            "put each class in its own subfolder); switch conditional off to train on them")
        elif dataset.num_classes != s.num_classes:
            problems.append(f"it has {dataset.num_classes} classes but the structure says {s.num_classes}: "
                            f"set the number of classes to {dataset.num_classes}")
    if problems:
        raise DatasetMismatch(f"dataset {dataset.name!r} does not fit this GAN: " + "; ".join(problems))
