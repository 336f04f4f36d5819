"""An image GAN experiment: DCGAN-style nets on an in-memory image dataset, trained by
the same step and runner as the 2D experiment. The view is a sample grid from fixed noise
(and the averaged generator's grid beside it when EMA is on); a timeline of earlier grids
is recorded on the runner thread at every evaluation, so it fills while no page watches."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torchvision.utils import make_grid

from ganlab.data.images import ImageDataset
from ganlab.data.stacked_digits import STACKED_DATASET
from ganlab.gan.ema import GeneratorEMA
from ganlab.gan.step import GanParts, make_optimizer
from ganlab.gan.timeline import Frame, GridTimeline
from ganlab.kinds.base import seeded_nets
from ganlab.kinds.infogan import code_purity_of
from ganlab.kinds.models import model_of
from ganlab.metrics.stacked_modes import LIVE_SAMPLES as STACKED_LIVE_SAMPLES
from ganlab.nets.image_nets import image_nets
from ganlab.settings.config import ImageStructure, Knobs

EVAL_SAMPLES = 256
REAL_REFERENCE_SAMPLES = 2048
GRID_COLUMNS = 8
GRID_ROWS = 8  # unconditional grid; a conditional grid has one row per class
GRID_PADDING = 2
GRID_PAD_VALUE = 1.0  # white lines between cells (black ones vanish into MNIST's background)
TIMELINE_CAPACITY = 100  # grids kept for the timeline (thinned evenly beyond it)
PURITY_PER_CODE = 50  # InfoGAN's live code purity: images per categorical value (500 for 10 values)


@dataclass(frozen=True)
class ImageView:
    """What the image page draws: uint8 (H, W, C) read-only grids from the fixed grid noise."""

    grid: np.ndarray
    ema_grid: np.ndarray | None = None  # the EMA generator's grid, when EMA is on


class ImageExperiment:
    """An image GAN on `dataset`, whose images must match the structure's size and channels
    (and, for a conditional GAN, whose labels must have the structure's number of classes)."""

    kind = "image"  # ganlab.kinds.image.IMAGE's name (the kind is never imported back)

    def __init__(self, structure: ImageStructure, dataset: ImageDataset, device: str | torch.device = "cpu") -> None:
        s = structure
        got = (dataset.channels, dataset.images.shape[-2], dataset.images.shape[-1])
        if got != (s.channels, s.image_size, s.image_size):
            raise ValueError(f"dataset {dataset.name!r} has images of shape {got}; the structure wants "
                             f"{(s.channels, s.image_size, s.image_size)}")
        if s.conditional:
            if dataset.labels is None:
                raise ValueError(f"a conditional GAN needs labels; dataset {dataset.name!r} has none")
            if dataset.num_classes != s.num_classes:
                raise ValueError(f"dataset {dataset.name!r} has {dataset.num_classes} classes; "
                                 f"the structure says {s.num_classes}")
        self.structure = structure
        self.dataset = dataset
        self.device = torch.device(device)
        fixed = torch.Generator().manual_seed(s.seed + 1)
        k = s.net_classes
        # metrics: fixed noise, classes balanced when conditional; Stacked MNIST's 1,000 modes need more
        count = STACKED_LIVE_SAMPLES if s.dataset == STACKED_DATASET else EVAL_SAMPLES
        self.model = model_of(s)
        self.eval_noise = self.model.draw_latents(s, count, fixed).to(self.device)
        self.eval_labels = (torch.arange(count) % k).to(self.device) if k else None
        # the grid: conditional -> one row per class, the same z down each column; InfoGAN -> one row
        # per categorical value (the paper's figure), the same noise and continuous codes down each column
        self.grid_labels: torch.Tensor | None
        layout = self.model.code_layout(s)
        if layout is not None and layout.categories:
            column = layout.draw(GRID_COLUMNS, fixed, category=torch.zeros(GRID_COLUMNS, dtype=torch.long))
            z, _, cont = layout.split(column.repeat(layout.categories, 1))
            rows = torch.arange(layout.categories).repeat_interleave(GRID_COLUMNS)
            self.grid_noise = layout.compose(z, rows, cont).to(self.device)
            self.grid_labels = None
        elif k:
            column_noise = torch.randn(GRID_COLUMNS, s.noise_dim, generator=fixed)
            self.grid_noise = column_noise.repeat(k, 1).to(self.device)
            self.grid_labels = torch.arange(k).repeat_interleave(GRID_COLUMNS).to(self.device)
        else:
            self.grid_noise = self.model.draw_latents(s, GRID_ROWS * GRID_COLUMNS, fixed).to(self.device)
            self.grid_labels = None
        if len(dataset) <= REAL_REFERENCE_SAMPLES:
            real = dataset.to_float(dataset.images)
        else:
            real, _ = dataset.sample(REAL_REFERENCE_SAMPLES, fixed)
        self.real_pixel_mean = float(real.mean())
        self.real_pixel_std = float(real.std())
        self.timeline = GridTimeline(TIMELINE_CAPACITY)

    def on_device(self, device: str | torch.device) -> "ImageExperiment":
        """The same experiment training on `device` (its fixed noise moved there; same values)."""
        if torch.device(device) == self.device:
            return self
        moved = ImageExperiment(self.structure, self.dataset, device)
        moved.timeline = self.timeline
        return moved

    def build(self, knobs: Knobs) -> GanParts:
        s = self.structure
        model = self.model
        G, D = seeded_nets(lambda st: model.make_nets(image_nets, st), s, self.device)
        rng = torch.Generator().manual_seed(s.seed)
        dataset, device, conditional = self.dataset, self.device, s.conditional

        def sample_noise(n: int) -> torch.Tensor:
            return model.draw_latents(s, n, rng).to(device)

        def sample_real(n: int):
            # The step conditions G on these labels too (the fake batch of a D update, and the
            # G update's own draw): the labels of data samples follow the empirical distribution.
            x, labels = dataset.sample(n, rng)
            return x.to(device), (labels.to(device) if conditional and labels is not None else None)

        def sample_labels(n: int) -> torch.Tensor:  # a G update's classes: drawn as in a data batch
            return sample_real(n)[1]

        parts = GanParts(G, D, make_optimizer(G.parameters(), knobs.g_opt), make_optimizer(D.parameters(), knobs.d_opt),
                         sample_real, sample_noise, rng, sample_labels=sample_labels if conditional else None)
        parts.extra_loss = model.extra_loss(s, parts)
        # train_step updates `parts.ema` after every G update
        parts.ema = GeneratorEMA(G, s.ema_decay) if s.ema_decay > 0 else None
        self.timeline.clear()  # a fresh run (build runs on every reset)
        return parts

    @torch.no_grad()
    def evaluate(self, parts: GanParts) -> dict[str, float]:
        """Cheap numbers only: the mean and spread of generated pixels (compare with
        `real_pixel_mean` / `real_pixel_std`). Not a sample-quality score."""
        labels = None if self.eval_labels is None else self.eval_labels[:EVAL_SAMPLES]
        fake = parts.generator(self.eval_noise[:EVAL_SAMPLES], labels)
        mean, std = torch.stack([fake.mean(), fake.std()]).tolist()
        return {"pixel_mean": mean, "pixel_std": std, **self._code_purity(parts.generator)}

    def _code_purity(self, generator: torch.nn.Module) -> dict[str, float]:
        """InfoGAN on digits: does each categorical value pick out one digit, in the shipped classifier's eyes?"""
        from ganlab.metrics.classifier import (
            NUM_CLASSES,
            ClassifierUnavailable,
            load_metric_classifier,
            prepare_images,
            unavailable_reason_for,
        )

        layout = self.model.code_layout(self.structure)
        if layout is None or self.structure.dataset == STACKED_DATASET or unavailable_reason_for(self.structure):
            return {}
        try:
            classifier = load_metric_classifier()
        except ClassifierUnavailable:
            return {}
        return code_purity_of(generator, layout, lambda x: classifier.predict(prepare_images(x.float().cpu().numpy())),
                              NUM_CLASSES, self.structure.seed + 3, per_code=PURITY_PER_CODE,
                              device=self.device)

    def view(self, parts: GanParts, knobs: Knobs | None = None) -> ImageView:
        """The live generator's fixed-noise grid, and the EMA generator's when EMA is on."""
        ema = getattr(parts, "ema", None)
        return ImageView(self.grid(parts.generator), self.grid(ema.module) if ema is not None else None)

    def record_timeline(self, parts: GanParts, step: int) -> None:
        """Offer this step's grids to the timeline (the runner calls it at every evaluation)."""
        view = self.view(parts, None)
        self.timeline.offer(Frame(step, view.grid, view.ema_grid))

    @torch.no_grad()
    def grid(self, generator: torch.nn.Module) -> np.ndarray:
        """`generator`'s fixed-noise sample grid, uint8 (H, W, channels), read-only. Conditional:
        row r shows class r, with the same z in every row of a column."""
        was_training = generator.training  # eval mode: a style-based G's noise inputs are its fixed ones
        generator.eval()
        try:
            fake = generator(self.grid_noise, self.grid_labels).float().cpu()
        finally:
            generator.train(was_training)
        grid = make_grid(fake.add(1).div(2).clamp(0, 1), nrow=GRID_COLUMNS, padding=GRID_PADDING,
                         pad_value=GRID_PAD_VALUE)
        # make_grid repeats a single channel three times; keep the image's own channels
        pixels = grid[: self.structure.channels].mul(255).round().to(torch.uint8).permute(1, 2, 0).numpy()
        pixels = np.ascontiguousarray(pixels)
        pixels.setflags(write=False)
        return pixels


def grid_shape(rows: int, columns: int, image_size: int, channels: int, padding: int = GRID_PADDING) -> tuple[int, int, int]:
    """The (H, W, C) of a make_grid grid of rows x columns images."""
    cell = image_size + padding
    return rows * cell + padding, columns * cell + padding, channels
