"""What the latent-space page works on: CPU copies of a run's nets, frozen for rendering
one latent at a time, with everything the page asks of them (frames, directions,
discriminator scores, nearest training images). Pictures in and out: ganlab.explore.latent_images.

No Streamlit here: the page (ganlab/ui/latent.py) keeps one `Explorer` per source in its
session state, and the benchmark times the same calls.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from ganlab.explore.latent import (
    Directions,
    axis_directions,
    freeze_batch_norm,
    generate,
    generator_directions,
    interpolation_path,
)
from ganlab.gan.losses import get_loss, score_label
from ganlab.gan.packing import score_each
from ganlab.kinds import GanKind, get_kind, kind_of
from ganlab.metrics.nearest import Neighbours, nearest_neighbours
from ganlab.training.net_copies import NETS, WeightsMismatch, nets_from_tensors

REFERENCE_LATENTS = 512  # batch-norm statistics are frozen to this many random latents
REFERENCE_REAL = 256  # real samples for D's batch norm and for the score distributions
DIRECTION_SAMPLES = 1024
REFERENCE_SEED = 12345
log = logging.getLogger(__name__)
_versions = itertools.count(1)


class NetsUnavailable(RuntimeError):
    """The nets could not be copied out of a run (busy, released, mismatched); says why."""


@dataclass
class Explorer:
    """A run's generator and discriminator, CPU copies in eval mode with batch norm frozen
    (see `ganlab.explore.latent.freeze_batch_norm`), plus what the page needs to know about them."""

    kind: str  # a ganlab.kinds name
    structure: Any
    knobs: Any
    generator: nn.Module
    discriminator: nn.Module
    dataset: Any  # ToyDistribution or ImageDataset
    step: int
    source: str  # shown to the user, e.g. "this session's 2D playground, step 1,200"
    has_ema: bool = False  # the run keeps an averaged generator (the page offers it)
    version: int = field(default_factory=lambda: next(_versions))  # new nets, new caches
    _cache: dict = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------ facts
    @property
    def gan_kind(self) -> GanKind:
        return get_kind(self.kind)

    @property
    def noise_dim(self) -> int:
        return self.gan_kind.latent_dim(self.structure)

    @property
    def num_classes(self) -> int:
        return self.gan_kind.num_classes(self.structure)

    @property
    def class_names(self) -> tuple[str, ...]:
        names = tuple(getattr(self.dataset, "class_names", ()) or ())
        return names if len(names) == self.num_classes else tuple(str(i) for i in range(self.num_classes))

    @property
    def sample_shape(self) -> tuple[int, ...]:
        """One generated sample's shape: (2,) for a point, (C, H, W) for an image."""
        return self.gan_kind.output_shape(self.structure)



    def labels(self, n: int, cls: int | None) -> Tensor | None:
        if not self.num_classes:
            return None
        return torch.full((n,), int(cls or 0), dtype=torch.long)

    # ------------------------------------------------------------ latents and outputs
    def latents(self, n: int, seed: int) -> Tensor:
        return self.gan_kind.noise(self.structure, n, torch.Generator().manual_seed(int(seed)))

    def seed_latent(self, seed: int) -> Tensor:
        """The latent a seed names (d,): the same for a seed whatever else is drawn."""
        return self.latents(1, seed)[0]

    def render(self, z: Tensor, cls: int | None = None) -> Tensor:
        """G's outputs for latents (n, d): images (n, C, H, W) in [-1, 1] or points (n, 2)."""
        return generate(self.generator, z, self.labels(z.shape[0], cls))

    def path(self, seed_a: int, seed_b: int, frames: int, method: str) -> Tensor:
        return interpolation_path(self.seed_latent(seed_a), self.seed_latent(seed_b), frames, method)

    def directions(self, mode: str, k: int, cls: int | None = None) -> tuple[Tensor, Tensor | None]:
        """(k, d) unit latent directions and, for "pca", each one's share of the output variance."""
        k = max(1, min(k, self.noise_dim))
        if mode == "axes":
            return axis_directions(self.noise_dim, k), None
        key = ("pca", cls)
        if key not in self._cache:
            z = self.latents(max(DIRECTION_SAMPLES, 4 * self.noise_dim + 8), REFERENCE_SEED + 1)
            self._cache[key] = generator_directions(self.generator, z, k=self.noise_dim,
                                                    labels=self.labels(len(z), cls))
        dirs: Directions = self._cache[key]
        return dirs.latent[:k], dirs.explained[:k]

    # ------------------------------------------------------------ the discriminator
    def score(self, x: Tensor, cls: int | None = None) -> tuple[Tensor, Tensor]:
        """D's raw output (logit or critic value) and the loss's reading of it (D(x)); a packed D's
        (PacGAN) of each sample packed with copies of itself (ganlab.gan.packing.score_each)."""
        with torch.no_grad():
            logits = score_each(self.discriminator, x, self.labels(x.shape[0], cls))
        return logits, get_loss(self.knobs.loss).score(logits)

    @property
    def score_label(self) -> str:
        return score_label(self.knobs.loss)  # the playground's name for it

    def reference_scores(self, cls: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """D's scores on REFERENCE_REAL real samples and as many generated ones (cached)."""
        key = ("scores", cls)
        if key not in self._cache:
            real, real_labels = self.real_samples(REFERENCE_REAL)
            if self.num_classes and cls is not None and real_labels is not None and (real_labels == cls).any():
                real = real[real_labels == cls]  # compare with real images of the chosen class
            fake = self.render(self.latents(REFERENCE_REAL, REFERENCE_SEED + 2), cls)
            self._cache[key] = (self.score(real, cls)[1].numpy(), self.score(fake, cls)[1].numpy())
        return self._cache[key]

    def real_samples(self, n: int) -> tuple[Tensor, Tensor | None]:
        return self.gan_kind.real_samples(self.dataset, n, torch.Generator().manual_seed(REFERENCE_SEED))

    def score_surface(self, resolution: int = 60) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """2D only: (xs, ys, scores (resolution, resolution), rows along y) over the data's bounds."""
        key = ("surface", resolution)
        if key not in self._cache:
            x0, x1, y0, y1 = self.dataset.bounds
            xs = np.linspace(x0, x1, resolution, dtype=np.float32)
            ys = np.linspace(y0, y1, resolution, dtype=np.float32)
            gx, gy = np.meshgrid(xs, ys)
            grid = torch.from_numpy(np.stack([gx.ravel(), gy.ravel()], 1))
            self._cache[key] = (xs, ys, self.score(grid)[1].reshape(resolution, resolution).numpy())
        return self._cache[key]

    def max_directions(self, mode: str) -> int:
        """How many directions a mode offers: every latent axis, or as many principal
        directions as the latent and output dimensions allow."""
        if mode == "axes":
            return self.noise_dim
        return min(self.noise_dim, int(np.prod(self.sample_shape)))

    def nearest(self, images: Tensor, k: int, space: str = "pixels") -> Neighbours:
        """The k nearest training images of each image: by pixel L2 over [-1, 1] images, or
        ("features") by L2 in the metric classifier's feature space (see `feature_space_reason`)."""
        if not self.gan_kind.samples_are_images:
            raise ValueError("nearest neighbours are for image GANs (a 2D toy's training set is a distribution)")
        if space == "pixels":
            return nearest_neighbours(images, self.dataset.images, k, transform=self.dataset.to_float)
        if space != "features":
            raise ValueError(f"space must be 'pixels' or 'features', got {space!r}")
        reason = self.feature_space_reason()
        if reason:
            raise ValueError(reason)
        return nearest_neighbours(self._features(images), self.training_features(), k)

    def feature_space_reason(self) -> str | None:
        """None when the metric classifier's features fit this run's images, else why not."""
        if not self.gan_kind.scores_image_quality:
            return "no classifier features for 2D points"
        try:
            from ganlab.metrics.classifier import ClassifierUnavailable, load_metric_classifier, unavailable_reason_for
        except ImportError:
            return "the metric classifier is not part of this installation"
        reason = unavailable_reason_for(self.structure)
        if reason:
            return reason
        try:
            load_metric_classifier()
        except ClassifierUnavailable as exc:  # its text names a server path: for the log
            log.warning("classifier features unavailable: %s", exc)
            return "the metric classifier is not available on this server (its log says why and how to fix it)"
        return None

    def _features(self, images: Tensor) -> Tensor:
        from ganlab.metrics.classifier import load_metric_classifier, prepare_images

        feats, _ = load_metric_classifier().features_and_probs(prepare_images(images.float().numpy()))
        return torch.from_numpy(feats).float()

    def training_features(self, chunk: int = 2048) -> Tensor:
        """The classifier features of every training image (N, feature_dim), computed once."""
        if "train_features" not in self._cache:
            images = self.dataset.images
            self._cache["train_features"] = torch.cat([
                self._features(self.dataset.to_float(images[i:i + chunk])) for i in range(0, len(images), chunk)])
        return self._cache["train_features"]


# ---------------------------------------------------------------- building explorers
def _prepare(generator: nn.Module, discriminator: nn.Module, structure: Any, dataset: Any) -> tuple[nn.Module, nn.Module]:
    """CPU, eval, no grad, batch norm frozen to fixed reference batches."""
    kind = kind_of(structure)
    generator = generator.cpu().eval().requires_grad_(False)
    discriminator = discriminator.cpu().eval().requires_grad_(False)
    classes = kind.num_classes(structure)
    g = torch.Generator().manual_seed(REFERENCE_SEED)
    z = kind.noise(structure, REFERENCE_LATENTS, g)
    labels = (torch.arange(REFERENCE_LATENTS) % classes) if classes else None
    freeze_batch_norm(generator, z, labels)
    real, real_labels = kind.real_samples(dataset, REFERENCE_REAL, g)
    freeze_batch_norm(discriminator, real, real_labels if classes else None)  # a no-op for nets without it
    return generator, discriminator


def explorer_from_nets(experiment: Any, knobs: Any, generator: nn.Module, discriminator: nn.Module,
                       step: int, source: str, has_ema: bool = False) -> Explorer:
    """An Explorer around copies of nets that nobody else touches (they are changed in place)."""
    G, D = _prepare(generator, discriminator, experiment.structure, experiment.dataset)
    return Explorer(kind_of(experiment).name, experiment.structure, knobs, G, D, experiment.dataset, step, source,
                    has_ema=has_ema)


def build_nets(structure: Any) -> tuple[nn.Module, nn.Module]:
    """Fresh CPU (generator, discriminator) of a structure, built the way its experiment builds them."""
    return kind_of(structure).build_nets(structure)


def nets_from_state(state: Any) -> tuple[nn.Module, nn.Module, nn.Module | None]:
    """(generator, discriminator, EMA generator or None) of `state.structure`, loaded from a
    `ganlab.runs.state.TrainingState`'s tensors (plain tensors, no pickle). A tensor that
    does not fit the structure raises NetsUnavailable with the reason."""
    names = NETS if state.meta.get("has_ema") else NETS[:2]
    try:
        nets = nets_from_tensors(state.structure, state.tensors, names)
    except WeightsMismatch as exc:
        log.info("saved %s weights do not fit %s: %s", exc.net, state.structure, exc.__cause__)
        raise NetsUnavailable(f"the saved {exc.net} does not fit the run's structure (its weights are for a "
                              f"network of another shape)") from None
    return nets["generator"], nets["discriminator"], nets.get("ema")


# What the Latent page says when a live run's nets cannot be copied: what happened, what to do.
NOT_IN_TIME = ("could not copy the run's nets: the run did not hand them over in time (it may be busy, "
               "restarting or stopping). Press *Take the latest weights* to try again")
CLOSED = ("could not copy the run's nets: the run has been closed. Start a run on its page (the 2D playground "
          "or the image page), or open a saved run")
TRAINER_GONE = ("could not copy the run's nets: the run's trainer has stopped. Go back to the run's page, press "
                "*Restart from step …* there, then press *Take the latest weights* here")
REBUILT = ("could not copy the run's nets: the run was rebuilt (its settings changed) while they were copied. "
           "Press *Take the latest weights* to copy the new nets")
FAILED = ("could not copy the run's nets: the trainer failed to hand them over. Pause the run and press "
          "*Take the latest weights*; if it fails again, press *Reset* on the run's page to start it afresh")


def copy_runner_nets(runner: Any, timeout: float = 10.0) -> tuple[Any, Any, int, nn.Module, nn.Module, nn.Module | None]:
    """(experiment, knobs, step, generator, discriminator, EMA generator or None): CPU copies
    built from the weights taken on the runner thread between two steps (`Runner.copy_nets`),
    so no tensor the thread mutates is read here. The copies are the caller's own.
    NetsUnavailable, with what to do, when they cannot be had; the traceback goes to the log."""
    from ganlab.training.channel import WorkerLostError
    from ganlab.training.runner import RunnerClosedError
    from ganlab.training.runner_calls import NetsChanged

    try:
        knobs = runner.snapshot().knobs
        nets = runner.copy_nets(timeout=timeout)
    except TimeoutError:
        raise NetsUnavailable(NOT_IN_TIME) from None
    except RunnerClosedError:
        raise NetsUnavailable(CLOSED) from None
    except WorkerLostError:
        raise NetsUnavailable(TRAINER_GONE) from None
    except NetsChanged:
        raise NetsUnavailable(REBUILT) from None
    except Exception:
        log.exception("copying the nets of run %s failed", getattr(runner, "id", "?"))
        raise NetsUnavailable(FAILED) from None
    return nets.experiment, knobs, nets.step, nets.generator, nets.discriminator, nets.ema_generator
