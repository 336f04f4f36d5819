"""InfoGAN (Chen et al. 2016) on 2D points and on images: G's input is the noise followed by a
one-hot categorical code and continuous codes; D carries a Q head (ganlab.nets.info) that reads
the codes back; both nets minimise the codes' reconstruction error (a lower bound on the mutual
information between codes and samples), weighted by the live `info_weight` knob.

Its metric is code purity (ganlab.metrics.code_purity): samples made with each categorical
value, classified (nearest mode in 2D, the shipped digit classifier on digits), matched one to
one to the classes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganlab.kinds.noise import draw_noise
from ganlab.nets.info import InfoDiscriminator

CONTINUOUS_WEIGHT = 0.1  # the continuous codes' squared error counts a tenth (the paper's smaller λ for them)
DEFAULT_CATEGORIES = 10  # when the data has no modes or classes to count
PURITY_PER_CODE = 200  # samples per categorical value for the purity metric
PURITY_CHUNK = 1024


@dataclass(frozen=True)
class CodeLayout:
    """Where the codes sit in G's input: [noise (noise_dim) | one-hot (categories) | continuous]."""

    noise_dim: int
    categories: int  # 0: no categorical code
    continuous: int
    noise: str = "gaussian"

    @property
    def total(self) -> int:
        return self.noise_dim + self.categories + self.continuous

    def compose(self, z: Tensor, category: Tensor | None, continuous: Tensor | None) -> Tensor:
        parts = [z]
        if self.categories:
            if category is None:
                raise ValueError("this layout has a categorical code: give each latent's category")
            parts.append(F.one_hot(category, self.categories).to(z.dtype))
        if self.continuous:
            if continuous is None:
                raise ValueError("this layout has continuous codes: give each latent's values")
            parts.append(continuous.to(z.dtype))
        return torch.cat(parts, dim=1)

    def draw(self, n: int, rng: torch.Generator, category: Tensor | None = None) -> Tensor:
        """n latents: noise, a uniform category (or the given ones), continuous codes uniform on [-1, 1]."""
        z = draw_noise(self.noise, n, self.noise_dim, rng)
        if category is None and self.categories:
            category = torch.randint(self.categories, (n,), generator=rng)
        cont = torch.rand(n, self.continuous, generator=rng) * 2 - 1 if self.continuous else None
        return self.compose(z, category, cont)

    def split(self, latents: Tensor) -> tuple[Tensor, Tensor | None, Tensor]:
        """(noise, category index or None, continuous codes (n, continuous))."""
        z = latents[:, : self.noise_dim]
        one_hot = latents[:, self.noise_dim: self.noise_dim + self.categories]
        category = one_hot.argmax(dim=1) if self.categories else None
        return z, category, latents[:, self.noise_dim + self.categories:]


def resolved_categories(structure: Any) -> int:
    """The categorical code's size: the structure's, or for 0 the data's modes (2D) or classes (images)."""
    if structure.info_categories == 1:
        return 0  # continuous codes only
    if structure.info_categories:
        return structure.info_categories
    classes = getattr(structure, "num_classes", None)
    if classes is not None:
        return classes if 2 <= classes <= 50 else DEFAULT_CATEGORIES
    return _toy_modes(structure) or DEFAULT_CATEGORIES


def _toy_modes(structure: Any) -> int:
    from ganlab.data.drawn import DRAWN_DATA
    from ganlab.data.toy import TOY_DISTRIBUTIONS

    ds: Any
    if structure.data == DRAWN_DATA and structure.drawing:
        from ganlab.data.drawn import DrawingCodeError, drawn_distribution

        try:
            ds = drawn_distribution(structure.drawing)
        except DrawingCodeError:
            return 0
    else:
        ds = TOY_DISTRIBUTIONS.get(structure.data)
    if ds is None or not ds.has_modes or ds.centres is None:
        return 0
    return min(len(ds.centres), 50)


def layout_of(structure: Any) -> CodeLayout:
    return CodeLayout(structure.noise_dim, resolved_categories(structure), structure.info_continuous,
                      getattr(structure, "noise", "gaussian"))


def info_discriminator(plain: nn.Module, layout: CodeLayout) -> InfoDiscriminator:
    return InfoDiscriminator(plain, layout.categories, layout.continuous)


def info_loss(discriminator: InfoDiscriminator, layout: CodeLayout, latents: Tensor, fake: Tensor) -> Tensor:
    """The codes' reconstruction error: cross-entropy of the categorical code plus a tenth of the
    continuous codes' squared error (summed over codes, averaged over the batch)."""
    _, category, continuous = layout.split(latents)
    logits, estimate = discriminator.codes(fake)
    loss = F.cross_entropy(logits, category) if category is not None else fake.new_zeros(())
    if layout.continuous:
        loss = loss + CONTINUOUS_WEIGHT * (estimate - continuous).pow(2).sum(dim=1).mean()
    return loss


def extra_loss_for(discriminator: nn.Module, layout: CodeLayout
                   ) -> Callable[[Tensor, Tensor, Any, str], tuple[Tensor, dict[str, Tensor]]]:
    """The step's extra term (ganlab.gan.step.GanParts.extra_loss) for both nets' updates:
    (λ × the info loss, {"info_loss": the info loss})."""
    if not isinstance(discriminator, InfoDiscriminator):
        raise TypeError(f"InfoGAN's term needs D's Q head; got a {type(discriminator).__name__}")
    info = discriminator

    def extra(latents: Tensor, fake: Tensor, knobs: Any, which: str) -> tuple[Tensor, dict[str, Tensor]]:
        loss = info_loss(info, layout, latents, fake)
        return knobs.info_weight * loss, {"info_loss": loss}

    return extra


@torch.no_grad()
def purity_samples(generator: nn.Module, layout: CodeLayout, seed: int, per_code: int = PURITY_PER_CODE,
                   device: torch.device | str = "cpu") -> tuple[np.ndarray, Tensor]:
    """(the categorical value of each sample, the samples): `per_code` samples for each value, from
    fixed noise (the same draw at every evaluation, so the number moves only with G)."""
    rng = torch.Generator().manual_seed(seed)
    category = torch.arange(layout.categories).repeat_interleave(per_code)
    latents = layout.draw(len(category), rng, category=category).to(device)
    fakes = torch.cat([generator(chunk) for chunk in latents.split(PURITY_CHUNK)])
    return category.numpy(), fakes


def code_purity_of(generator: nn.Module, layout: CodeLayout, classify: Callable[[Tensor], np.ndarray],
                   num_classes: int, seed: int, per_code: int = PURITY_PER_CODE,
                   device: torch.device | str = "cpu") -> dict[str, float]:
    """{"code_purity", "code_purity_chance"} for `generator`, each sample's class by `classify`;
    {} when the code has no categorical part."""
    from ganlab.metrics.code_purity import code_purity

    if layout.categories < 2:
        return {}
    codes, fakes = purity_samples(generator, layout, seed, per_code, device)
    result = code_purity(codes, np.asarray(classify(fakes)), layout.categories, num_classes)
    return {"code_purity": result.purity, "code_purity_chance": result.chance}


def nearest_mode(centres: np.ndarray) -> Callable[[Tensor], np.ndarray]:
    """A classifier of 2D points: the index of the nearest centre."""
    c = torch.as_tensor(np.asarray(centres), dtype=torch.float32)

    def classify(points: Tensor) -> np.ndarray:
        return torch.cdist(points.float().cpu(), c).argmin(dim=1).numpy()

    return classify
