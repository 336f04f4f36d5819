"""An in-memory image dataset with a seedable sampler.

Images are kept as given: uint8 in [0, 255] (a quarter of the memory of floats) or
float in [-1, 1]; `sample` hands out float batches in [-1, 1], the range of the
generator's tanh output.
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import Tensor


class ImageDataset:
    """`images`: (N, C, H, W), uint8 in [0, 255] or float in [-1, 1]. `labels`: (N,) integer
    class indices or None. `class_names`: one name per class (default "0", "1", ...);
    only meaningful with labels."""

    def __init__(self, images: Tensor, labels: Tensor | None = None, name: str = "images",
                 class_names: Sequence[str] | None = None) -> None:
        if not isinstance(images, Tensor) or images.dim() != 4:
            shape = tuple(images.shape) if isinstance(images, Tensor) else type(images).__name__
            raise ValueError(f"images must be a tensor of shape (N, C, H, W), got {shape}")
        if images.shape[0] == 0:
            raise ValueError("images is empty")
        if images.dtype == torch.uint8:
            pass
        elif images.is_floating_point():
            if not torch.isfinite(images).all() or images.min() < -1 or images.max() > 1:
                raise ValueError("float images must be finite and in [-1, 1]")
        else:
            raise ValueError(f"images must be uint8 (0..255) or float (-1..1), got {images.dtype}")
        self.images = images.detach().cpu().contiguous()
        self.name = name
        self.labels: Tensor | None = None
        self.class_names: tuple[str, ...] = ()
        if labels is not None:
            if labels.shape != (images.shape[0],) or labels.is_floating_point() or labels.is_complex() \
                    or labels.dtype == torch.bool:
                raise ValueError(f"labels must be integer class indices of shape ({images.shape[0]},), "
                                 f"got {labels.dtype} {tuple(labels.shape)}")
            labels = labels.detach().cpu().long()
            if labels.min() < 0:
                raise ValueError(f"labels must be class indices from 0, found {int(labels.min())}")
            if class_names is None:
                class_names = [str(i) for i in range(int(labels.max()) + 1)]
            if int(labels.max()) >= len(class_names):
                raise ValueError(f"label {int(labels.max())} has no class name ({len(class_names)} names given)")
            self.labels = labels
            self.class_names = tuple(str(c) for c in class_names)
        elif class_names is not None:
            raise ValueError("class_names given without labels")

    def __len__(self) -> int:
        return self.images.shape[0]

    @property
    def channels(self) -> int:
        return self.images.shape[1]

    @property
    def image_size(self) -> int:
        """The side of a square image (the nets need square 28 or 32 px images)."""
        return self.images.shape[-1]

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def to_float(self, images: Tensor) -> Tensor:
        """Stored images (a batch of them) as float32 in [-1, 1]."""
        if images.dtype == torch.uint8:
            return images.float().div_(127.5).sub_(1.0)
        return images.float()

    def sample(self, n: int, generator: torch.Generator | None = None) -> tuple[Tensor, Tensor | None]:
        """n images drawn uniformly with replacement, as float (n, C, H, W) in [-1, 1],
        with their labels (n,) or None. Labels follow the data's own class frequencies."""
        if generator is None:
            generator = torch.Generator().manual_seed(0)
        idx = torch.randint(len(self), (n,), generator=generator)
        labels = None if self.labels is None else self.labels[idx]
        return self.to_float(self.images[idx]), labels
