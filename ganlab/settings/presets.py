"""Teaching presets: named recipes of structure and knobs for the 2D playground."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ganlab.settings.config import Knobs, MLPShape, OptimizerKnobs, ToyStructure


@dataclass(frozen=True)
class Preset:
    name: str
    label: str
    description: str
    structure: ToyStructure  # `data` and `seed` are taken from the user's choice
    knobs: Knobs

    def apply(self, data: str, seed: int = 0, drawing: str = "") -> tuple[ToyStructure, Knobs]:
        """The recipe on the user's data (and drawing, for drawn data) and seed."""
        return dataclasses.replace(self.structure, data=data, seed=seed, drawing=drawing), self.knobs


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            "default", "Default", "Non-saturating loss, Adam, 3x128 nets: a sound start.",
            ToyStructure(), Knobs(),
        ),
        Preset(
            "mode-collapse", "Mode collapse",
            "A small generator (one hidden layer of 16 units) against a 3x128 discriminator, with the "
            "non-saturating loss: G cannot spread over every mode, and D's gradient pulls each of its "
            "samples to the nearest mode it already reaches, so within 3,000 steps most samples pile up "
            "sharply on a few modes (ring: 1-3 of 8; grid: 1-6 of 25 for most seeds) while the others stay "
            "empty. "
            "Learning rates halve every 200 steps after step 2,400 so the clumps settle. Then try "
            "\"All modes\" (a 3x128 generator), or widen G yourself.",
            ToyStructure(noise_dim=2, generator=MLPShape(1, 16), discriminator=MLPShape(3, 128)),
            Knobs(loss="non-saturating", d_steps=1,
                  g_opt=OptimizerKnobs(lr=2e-3, beta1=0.5), d_opt=OptimizerKnobs(lr=2e-3, beta1=0.5),
                  lr_decay_start=2400, lr_half_life=200),
        ),
        Preset(
            "all-modes", "All modes",
            "Non-saturating loss with a light R1 penalty on D (it keeps D from overshooting, so G "
            "spreads over every mode), then learning rates that halve every 900 steps after step 4,500 "
            "so the samples settle sharply onto the modes.",
            ToyStructure(noise_dim=2, generator=MLPShape(3, 128), discriminator=MLPShape(3, 128)),
            Knobs(loss="non-saturating", r1_weight=0.1, lr_decay_start=4500, lr_half_life=900),
        ),
        Preset(
            "wgan-gp", "WGAN-GP",
            "Wasserstein loss with a gradient penalty (Gulrajani et al.): 5 critic steps per generator step.",
            ToyStructure(),
            Knobs(loss="wasserstein-gp", gp_weight=10.0, d_steps=5,
                  g_opt=OptimizerKnobs(lr=1e-4, beta1=0.5, beta2=0.9), d_opt=OptimizerKnobs(lr=1e-4, beta1=0.5, beta2=0.9)),
        ),
    )
}


def get_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise KeyError(f"unknown preset {name!r}; choose from {', '.join(PRESETS)}") from None
