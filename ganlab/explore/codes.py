"""InfoGAN's codes on the Latent page: latents with chosen code values, and the paper's figure
(Chen et al. 2016, figure 2: rows the categorical code, columns one continuous code swept).

G's input is [noise | one-hot categorical | continuous codes] (ganlab.kinds.infogan.CodeLayout);
training drew the continuous codes uniformly from [-1, 1], so values beyond ±1 ask G to
extrapolate. The noise is drawn from a seed the way training draws it (`draw_noise` with a
generator seeded once), so a seed's noise here is the noise part of the explorer's
`seed_latent(seed)` in the other views.

No Streamlit here: ganlab/ui/latent_codes.py draws these.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch
from torch import Tensor

from ganlab.kinds.base import draw_noise
from ganlab.kinds.infogan import CodeLayout
from ganlab.kinds.models import model_of

SWEEP_VALUES = tuple(float(v) for v in np.linspace(-2.0, 2.0, 9))  # the figure's columns: -2, -1.5, ..., 2
TRAINED_RANGE = (-1.0, 1.0)  # where training drew the continuous codes from


def code_layout_of(ex: Any) -> CodeLayout | None:
    """Where the codes sit in the explorer's generator input, or None for a model without codes."""
    return model_of(ex.structure).code_layout(ex.structure)


def seed_noise(layout: CodeLayout, seed: int, n: int = 1) -> Tensor:
    """The noise part (n, noise_dim) of n latents drawn from `seed`."""
    return draw_noise(layout.noise, n, layout.noise_dim, torch.Generator().manual_seed(int(seed)))


def _category(layout: CodeLayout, category: int | None, n: int) -> Tensor | None:
    if not layout.categories:
        return None
    if category is None or not 0 <= int(category) < layout.categories:
        raise ValueError(f"category must be one of 0..{layout.categories - 1}, got {category!r}")
    return torch.full((n,), int(category), dtype=torch.long)


def _continuous(layout: CodeLayout, values: Sequence[float] | None, n: int) -> Tensor | None:
    if not layout.continuous:
        return None
    values = list(values or [0.0] * layout.continuous)
    if len(values) != layout.continuous:
        raise ValueError(f"{layout.continuous} continuous values expected, got {len(values)}")
    return torch.tensor([float(v) for v in values], dtype=torch.float32).expand(n, -1)


def code_latents(layout: CodeLayout, seed: int, n: int, category: int | None,
                 continuous_values: Sequence[float] | None) -> Tensor:
    """n latents (n, layout.total) sharing one categorical value and one set of continuous values,
    each with its own noise drawn from `seed` (n = 1: the seed's sample; many: the cloud those code
    values make). `category` is ignored without a categorical code; missing continuous values are 0."""
    z = seed_noise(layout, seed, n)
    return layout.compose(z, _category(layout, category, n), _continuous(layout, continuous_values, n))


def code_sweep(layout: CodeLayout, seed: int, code_index: int, values: Sequence[float] = SWEEP_VALUES) -> Tensor:
    """The figure's latents (rows, columns, layout.total): row r has categorical value r (one row
    without a categorical code), column c has continuous code `code_index` at `values[c]` and the
    other continuous codes at 0, and every cell the seed's noise. Without a continuous code the
    columns are samples of seeds seed, seed + 1, ... (as many as `values`), each row the same seeds."""
    rows, cols = max(layout.categories, 1), len(values)
    if layout.continuous:
        if not 0 <= code_index < layout.continuous:
            raise ValueError(f"code_index must be one of 0..{layout.continuous - 1}, got {code_index}")
        z = seed_noise(layout, seed).expand(rows * cols, -1)
        cont = torch.zeros(rows, cols, layout.continuous)
        cont[:, :, code_index] = torch.tensor([float(v) for v in values], dtype=torch.float32)
        cont = cont.reshape(rows * cols, layout.continuous)
    else:
        z = torch.cat([seed_noise(layout, seed + c) for c in range(cols)]).repeat(rows, 1)
        cont = None
    category = torch.arange(rows).repeat_interleave(cols) if layout.categories else None
    return layout.compose(z, category, cont).reshape(rows, cols, layout.total)


def category_clouds(layout: CodeLayout, seed: int, per_code: int,
                    continuous_values: Sequence[float] | None = None) -> Tensor:
    """(categories, per_code, layout.total): every categorical value with the same `per_code` noise
    vectors (drawn from `seed`); the continuous codes at `continuous_values`, or, for None, drawn
    as training draws them (uniform on [-1, 1], from the same seed: the same draws for every value)."""
    rows = max(layout.categories, 1)
    rng = torch.Generator().manual_seed(int(seed))
    z = draw_noise(layout.noise, per_code, layout.noise_dim, rng)
    cont: Tensor | None = (torch.rand(per_code, layout.continuous, generator=rng) * 2 - 1
                           if continuous_values is None and layout.continuous
                           else _continuous(layout, continuous_values, per_code))
    category = torch.arange(rows).repeat_interleave(per_code) if layout.categories else None
    return layout.compose(z.repeat(rows, 1), category,
                          None if cont is None else cont.repeat(rows, 1)).reshape(rows, per_code, layout.total)


def dominant_mode(points: Tensor | np.ndarray, centres: np.ndarray) -> tuple[int, float]:
    """(the mode most of `points` are nearest to, the share of points nearest to it)."""
    nearest = torch.cdist(torch.as_tensor(np.asarray(points), dtype=torch.float32),
                          torch.as_tensor(np.asarray(centres), dtype=torch.float32)).argmin(dim=1)
    counts = torch.bincount(nearest, minlength=len(centres))
    mode = int(counts.argmax())
    return mode, float(counts[mode]) / max(len(nearest), 1)
