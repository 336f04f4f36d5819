"""The metric classifier: a small CNN trained on real MNIST digits (by
`scripts/train_metric_classifier.py`) whose predictions and penultimate-layer features
give the image GAN's quality numbers (class histogram, Frechet distance, Inception-Score
analogue; see `ganlab.metrics.image_quality`).

The weights ship as safetensors in `ganlab/assets/mnist_classifier.safetensors`, together
with the features of held-out real digits (MNIST's official test set, which neither the
classifier nor any GAN trained on), so every machine measures against the same real
reference without the test set on disk.

Which runs it fits (`unavailable_reason`): grey 28x28 images of the 10 digit classes,
i.e. the datasets "mnist" and "digits". At 32 px those datasets are MNIST padded with 2
black pixels a side (`ImageSource.grow == "pad"`), so cropping the centre 28x28 of a
generated 32 px image recovers exactly the frame the classifier was trained on: sound,
and done by `prepare_images`. Resizing instead would blur strokes the classifier never saw
blurred. Colour runs, Fashion-MNIST, CIFAR-10 and user folders get a reason, not a number.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from ganlab.data.stacked_digits import STACKED_CHANNELS, STACKED_DATASET, STACKED_MODES

log = logging.getLogger(__name__)
CLASSIFIER_ASSET = "mnist_classifier.safetensors"
IMAGE_SIZE = 28
NUM_CLASSES = 10
FEATURE_DIM = 64
FORMAT_VERSION = "1"
FITTING_DATASETS = ("mnist", "digits")  # the grey digit datasets the classifier was trained for
REFERENCE_FEATURES = "reference.features"  # (N, FEATURE_DIM) float32: held-out real digits
REFERENCE_LABELS = "reference.labels"  # (N,) uint8: their true labels


class ClassifierUnavailable(RuntimeError):
    """The classifier file is missing, damaged or of another format; the message says how to fix it."""


class DigitClassifier(nn.Module):
    """Three 3x3 conv blocks (32, 64, 64 channels, each ReLU + 2x2 max-pool: 28 -> 14 -> 7 -> 3),
    a 64-unit ReLU feature layer and a linear head over 10 classes. About 93k parameters.
    Input: float (N, 1, 28, 28) in [-1, 1] (pixel / 127.5 - 1, white ink on black): the
    generator's tanh range, so no further normalisation."""

    def __init__(self, feature_dim: int = FEATURE_DIM, num_classes: int = NUM_CLASSES, dropout: float = 0.3) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 32, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(64, 64, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * 3 * 3, feature_dim), nn.ReLU(),
        )
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(feature_dim, num_classes)

    def features(self, x: Tensor) -> Tensor:
        """The penultimate layer (N, feature_dim): the space the Frechet distance is measured in."""
        return self.body(x)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.dropout(self.features(x)))


@dataclass(frozen=True)
class MetricClassifier:
    """The loaded classifier (eval mode, CPU) with its metadata and the shipped real
    reference: `reference_features` (N, feature_dim) and `reference_labels` (N,) of
    held-out real MNIST test digits, as numpy."""

    net: DigitClassifier
    metadata: dict[str, str]
    reference_features: np.ndarray
    reference_labels: np.ndarray
    path: Path

    @property
    def test_accuracy(self) -> float:
        return float(self.metadata["test_accuracy"])

    @torch.no_grad()
    def features_and_probs(self, images: Any, batch_size: int = 512) -> tuple[np.ndarray, np.ndarray]:
        """Features (N, feature_dim) float64 and class probabilities (N, 10) float64 of
        images (N, 1, 28, 28) in [-1, 1] (numpy or tensor). Runs on the caller's thread
        with whatever intra-op threads it has set."""
        # a copy: the caller's array may be read-only (a snapshot) or shared with another thread
        x = images.detach().cpu().float().clone() if isinstance(images, Tensor) else \
            torch.from_numpy(np.array(images, dtype=np.float32))
        check_images(x)
        feats, probs = [], []
        for chunk in x.split(batch_size):
            f = self.net.features(chunk)
            feats.append(f)
            probs.append(torch.softmax(self.net.head(f), dim=1))
        return torch.cat(feats).double().numpy(), torch.cat(probs).double().numpy()

    @torch.no_grad()
    def probs_from_features(self, features: np.ndarray) -> np.ndarray:
        """Class probabilities from features (the head is one linear layer)."""
        f = torch.tensor(np.asarray(features), dtype=torch.float32)
        return torch.softmax(self.net.head(f), dim=1).double().numpy()

    @torch.no_grad()
    def predict(self, images: Any) -> np.ndarray:
        """The predicted class (N,) of each image."""
        return self.features_and_probs(images)[1].argmax(axis=1)


def check_images(x: Tensor) -> None:
    """Raise ValueError unless `x` is finite float (N, 1, 28, 28) with N >= 1."""
    if x.dim() != 4 or tuple(x.shape[1:]) != (1, IMAGE_SIZE, IMAGE_SIZE) or x.shape[0] == 0:
        raise ValueError(f"the metric classifier reads grey 28x28 images of shape (N, 1, 28, 28); "
                         f"got {tuple(x.shape)}")
    if not torch.isfinite(x).all():
        raise ValueError("the images hold NaN or infinite values")


def classifier_path() -> Path:
    """The shipped classifier file (package data)."""
    return Path(str(resources.files("ganlab") / "assets" / CLASSIFIER_ASSET))


_cache: dict[Path, MetricClassifier] = {}
_cache_lock = threading.Lock()


def load_metric_classifier(path: str | Path | None = None) -> MetricClassifier:
    """The metric classifier from `path` (default: the shipped file), loaded once per path
    and shared (read-only: eval mode, no gradients). Raises ClassifierUnavailable with a
    clear message when the file is missing, damaged or not this format. Never unpickles."""
    path = Path(path) if path is not None else classifier_path()
    with _cache_lock:
        if path in _cache:
            return _cache[path]
        loaded = _load(path)
        _cache[path] = loaded
        return loaded


def _load(path: Path) -> MetricClassifier:
    from safetensors import safe_open

    fix = "reinstall ganlab or run scripts/train_metric_classifier.py"
    what = f"the metric classifier file {path.name}"  # its name only: no server folders in a message
    if not path.is_file():
        raise ClassifierUnavailable(f"{what} is missing; {fix}")
    try:
        tensors: dict[str, Tensor] = {}
        with safe_open(str(path), framework="pt") as f:
            metadata = dict(f.metadata() or {})
            for key in f.keys():
                tensors[key] = f.get_tensor(key)
    except Exception as e:  # safetensors raises its own error types for a damaged header or body
        log.warning("cannot read the metric classifier %s", path, exc_info=e)
        raise ClassifierUnavailable(f"{what} is damaged (not a readable safetensors file); {fix}") from e
    if metadata.get("format_version") != FORMAT_VERSION:
        raise ClassifierUnavailable(f"{what} has format "
                                    f"{metadata.get('format_version')!r}, not {FORMAT_VERSION!r}; {fix}")
    try:
        feature_dim = int(metadata["feature_dim"])
        ref_features = tensors.pop(REFERENCE_FEATURES).float().numpy()
        ref_labels = tensors.pop(REFERENCE_LABELS).long().numpy()
        net = DigitClassifier(feature_dim=feature_dim)
        net.load_state_dict(tensors, strict=True)
        float(metadata["test_accuracy"])
    except (KeyError, ValueError, RuntimeError) as e:
        log.warning("the metric classifier %s does not fit", path, exc_info=e)
        raise ClassifierUnavailable(f"{what} does not hold the expected weights and reference; {fix}") from e
    if ref_features.ndim != 2 or ref_features.shape[1] != feature_dim or len(ref_labels) != len(ref_features) \
            or not np.isfinite(ref_features).all():
        raise ClassifierUnavailable(f"{what} has a malformed real reference; {fix}")
    net.eval()
    for p in net.parameters():
        p.requires_grad_(False)
    ref_features.setflags(write=False)
    ref_labels.setflags(write=False)
    return MetricClassifier(net, metadata, ref_features, ref_labels, path)


def unavailable_reason(dataset: str, image_size: int, channels: int, num_classes: int | None = None) -> str | None:
    """None when the metric classifier fits a run on `dataset` at this size and channel count;
    otherwise the sentence to show instead of a number. `dataset` is the run's dataset name
    (`ImageStructure.dataset`): only the built-in digit datasets count, since a user folder's
    images could be anything."""
    if dataset == STACKED_DATASET:  # a digit per channel: each read as a grey digit
        return _stacked_unavailable_reason(image_size, channels, num_classes)
    if dataset not in FITTING_DATASETS:
        return (f"No quality numbers for {dataset!r}: the metric classifier knows only handwritten digits "
                f"(datasets {', '.join(repr(d) for d in (*FITTING_DATASETS, STACKED_DATASET))}), so a score here "
                "would mean nothing.")
    if channels != 1:
        return (f"No quality numbers for colour {dataset!r} images: the metric classifier reads grey digits; "
                "set channels to 1.")
    if image_size not in (IMAGE_SIZE, IMAGE_SIZE + 4):
        return (f"No quality numbers at {image_size} px: the metric classifier reads 28 px digits "
                "(or 32 px MNIST padded by 2 px a side).")
    if num_classes is not None and num_classes != NUM_CLASSES:
        return f"No quality numbers: the metric classifier knows {NUM_CLASSES} classes, this run says {num_classes}."
    return None


def _stacked_unavailable_reason(image_size: int, channels: int, num_classes: int | None) -> str | None:
    if channels != STACKED_CHANNELS:
        return ("No quality numbers: Stacked MNIST has a digit in each of 3 colour channels; set channels to 3 "
                "(in grey its channels are blended into one picture that is no digit).")
    if image_size not in (IMAGE_SIZE, IMAGE_SIZE + 4):
        return (f"No quality numbers at {image_size} px: the metric classifier reads 28 px digits "
                "(or 32 px MNIST padded by 2 px a side).")
    if num_classes is not None and num_classes not in (STACKED_MODES, NUM_CLASSES):
        return f"No quality numbers: Stacked MNIST has {STACKED_MODES} modes, this run says {num_classes} classes."
    return None


def unavailable_reason_for(structure: Any) -> str | None:
    """`unavailable_reason` for an `ImageStructure`."""
    return unavailable_reason(structure.dataset, structure.image_size, structure.channels, structure.num_classes)


def prepare_images(images: Any) -> np.ndarray:
    """Generated images (N, 1, 28 or 32, same) in [-1, 1] as float32 (N, 1, 28, 28): a 32 px
    image loses its 2 px border (MNIST at 32 px is padded, see the module note)."""
    x = np.asarray(images, dtype=np.float32)
    if x.ndim != 4 or x.shape[1] != 1 or x.shape[2] != x.shape[3] or x.shape[2] not in (IMAGE_SIZE, IMAGE_SIZE + 4):
        raise ValueError(f"expected grey square images (N, 1, 28 or 32, same); got shape {x.shape}")
    if x.shape[2] == IMAGE_SIZE + 4:
        x = x[:, :, 2:-2, 2:-2]
    return np.ascontiguousarray(x)


def describe(metadata: dict[str, str]) -> str:
    """One line about the classifier for a page's caption."""
    return (f"metric classifier: {metadata.get('architecture', 'small CNN')}, "
            f"{float(metadata.get('test_accuracy', 'nan')):.2%} on MNIST's 10,000 test digits")


def metadata_dict(**values: Any) -> dict[str, str]:
    """safetensors metadata must be str -> str; non-strings are JSON-encoded."""
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in values.items()}
