"""Teaching presets: named recipes of structure and knobs for the 2D playground.

Most recipes keep the user's data. A paper's row ("PacGAN2 on the ring") is about its data too:
its `data` replaces the user's, so a class that applies it reruns that row."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ganlab.settings.config import Knobs, MLPShape, OptimizerKnobs, ToyStructure


@dataclass(frozen=True)
class Preset:
    name: str
    label: str
    description: str
    structure: ToyStructure  # `seed` is taken from the user's choice, and `data` unless the recipe names its own
    knobs: Knobs
    data: str | None = None  # the data a paper's row is about (replacing the user's); None: the user's

    def apply(self, data: str, seed: int = 0, drawing: str = "") -> tuple[ToyStructure, Knobs]:
        """The recipe on the user's data (and drawing, for drawn data) and seed; a paper's row on its own data."""
        if self.data is not None:
            data, drawing = self.data, ""
        return dataclasses.replace(self.structure, data=data, seed=seed, drawing=drawing), self.knobs


def _pacgan(pack: int, data: str, where: str) -> Preset:
    """A row of Lin et al.'s 2D table (PacGAN, 2018; their code's settings): G 4 x 400 ReLU, D 3 x 200
    (maxout there, ReLU here), 2-D Gaussian noise, Adam lr 1e-4, β1 0.8, 100 packs a batch."""
    return Preset(
        f"pacgan{pack}-{data}", f"PacGAN{pack} on the {data}",
        f"Lin et al. 2018 (PacGAN), their row on {where}: D judges packs of {pack} samples (real with real, "
        f"fake with fake), so a G that repeats a few modes is easy to catch in a pack. Their 2D nets and "
        f"optimizer: G 4×400 ReLU, D 3×200 (maxout in the paper, ReLU here), Adam lr 0.0001, β1 0.8, "
        f"100 packs a batch ({100 * pack} samples). Compare with a run of the same recipe at packing 1: "
        "the plain GAN of the paper's table, which leaves modes empty more often.",
        ToyStructure(noise_dim=2, generator=MLPShape(4, 400), discriminator=MLPShape(3, 200), pack=pack),
        Knobs(loss="non-saturating", batch_size=100 * pack,
              g_opt=OptimizerKnobs(lr=1e-4, beta1=0.8), d_opt=OptimizerKnobs(lr=1e-4, beta1=0.8)),
        data=data,
    )


def _paper_rows() -> tuple[Preset, ...]:
    return (
        _pacgan(2, "ring", "the ring of 8 (radius 1, sd 0.01)"),
        _pacgan(4, "grid", "the grid of 25 (sd 0.05)"),
        Preset(
            "unrolled-ring", "Unrolled GAN on the ring",
            "Metz et al. 2017 (Unrolled GAN), their ring of 8: G's loss is taken against D as it would be "
            "after 5 more D steps (on a copy; the gradient flows back through them), so G cannot win by "
            "moving its samples to the mode D has just forgotten, the hopping a plain GAN shows. Their "
            "settings: G 2×128 and D 2×128 tanh, batch 512, Adam β1 0.5 with lr 0.001 for G and 0.0001 "
            "for D, noise 64-D (256 in the paper). Each step costs several plain ones; set Unrolled D "
            "steps to 0 for the plain GAN to compare.",
            ToyStructure(noise_dim=64, generator=MLPShape(2, 128, "tanh"), discriminator=MLPShape(2, 128, "tanh")),
            Knobs(loss="non-saturating", batch_size=512, unroll=5,
                  g_opt=OptimizerKnobs(lr=1e-3, beta1=0.5), d_opt=OptimizerKnobs(lr=1e-4, beta1=0.5)),
            data="ring",
        ),
    )


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
        Preset(
            "infogan-2d", "InfoGAN",
            "Chen et al. 2016: G also gets a categorical code with as many values as the data has modes (8 on the "
            "ring, 25 on the grid), and D a Q head that must tell from a sample which value made it (weight λ 1, "
            "live). Nothing tells G which mode is which: it learns to give each code value a mode of its own, "
            "and the Code purity number says how cleanly. The noise is 1-D, so G cannot pick the mode from the "
            "noise alone (with 2-D noise, 1 or 2 of 8 codes shared a mode in 3,000 steps). The Latent page shows "
            "each code value's samples.",
            ToyStructure(model="infogan", noise_dim=1),
            Knobs(loss="non-saturating", info_weight=1.0),
        ),
        Preset(
            "cyclegan-ring-square", "CycleGAN: ring ↔ square",
            "Zhu et al. 2017 on points: G maps the ring (domain A) onto the square of 8 (domain B), F maps it back, "
            "and each side has its own D. Nothing says which mode goes where; the cycle term (weight 10, live) "
            "asks that F(G(a)) land back on a. Turn on the \"Generator manifold\" layer to see each point's way "
            "there and back; the Cycle error number is that distance as a share of the ring's size.",
            ToyStructure(model="cyclegan", data_b="square"),
            Knobs(loss="non-saturating", batch_size=128, cycle_weight=10.0),
            data="ring",
        ),
        *_paper_rows(),
    )
}


def get_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise KeyError(f"unknown preset {name!r}; choose from {', '.join(PRESETS)}") from None
