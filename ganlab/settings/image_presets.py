"""Image-GAN recipes for the image page (the 2D ones are in ganlab.settings.presets).

A preset sets the nets and the knobs; the data, its image size and channels, its number
of classes and the seed stay as the user chose them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ganlab.settings.config import ImageStructure, Knobs, OptimizerKnobs

KEPT_FROM_USER = ("dataset", "image_size", "channels", "num_classes", "seed")


@dataclass(frozen=True)
class ImagePreset:
    name: str
    label: str
    description: str
    structure: ImageStructure  # the fields in KEPT_FROM_USER are replaced by the user's
    knobs: Knobs

    def apply(self, current: ImageStructure) -> tuple[ImageStructure, Knobs]:
        kept = {name: getattr(current, name) for name in KEPT_FROM_USER}
        return dataclasses.replace(self.structure, **kept), self.knobs


_ADAM = OptimizerKnobs(name="adam", lr=2e-4, beta1=0.5, beta2=0.999)  # Radford et al.'s DCGAN settings
# β1 0, β2 0.99 (as in StyleGAN2 and most GANs since): on MNIST, width 16 without the extra
# conv, the Frechet distance at 8,000 steps was 106 against 127 with DCGAN's (0.5, 0.999)
_FAST_ADAM = OptimizerKnobs(name="adam", lr=1e-3, beta1=0.0, beta2=0.99)

IMAGE_PRESETS: dict[str, ImagePreset] = {
    p.name: p
    for p in (
        ImagePreset(
            "dcgan", "DCGAN (fast start)",
            "Non-saturating loss, Adam (lr 0.001, β1 0, β2 0.99), batch 32, small nets (width 16) with batch "
            "norm in G, spectral norm in D and an extra 3×3 convolution at the smallest map of each, and an EMA "
            "generator (decay 0.999) beside the live one. Tuned for one CPU core: many more steps a minute than "
            "the paper's settings, so the built-in digits take shape within about a minute.",
            ImageStructure(noise_dim=64, width=16, g_batch_norm=True, d_batch_norm=False, d_spectral_norm=True,
                           conditional=False, ema_decay=0.999, extra_conv=True),
            Knobs(loss="non-saturating", g_opt=_FAST_ADAM, d_opt=_FAST_ADAM, batch_size=32),
        ),
        ImagePreset(
            "conditional", "Conditional DCGAN",
            "The fast DCGAN recipe with class labels: G gets a class embedding, D a projection head. The grid "
            "shows one row per class, so you can see which classes G has learnt. Mode seeking (weight 1) keeps "
            "each row varied: set it to 0 and within a few hundred steps every row repeats one style whatever "
            "the noise, the collapse inside a class that conditional GANs are prone to. Needs labelled data.",
            ImageStructure(noise_dim=64, width=16, g_batch_norm=True, d_batch_norm=False, d_spectral_norm=True,
                           conditional=True, ema_decay=0.999, extra_conv=True),
            Knobs(loss="non-saturating", g_opt=_FAST_ADAM, d_opt=_FAST_ADAM, batch_size=32, ms_weight=1.0),
        ),
        ImagePreset(
            "dcgan-classic", "DCGAN (paper settings)",
            "Radford et al.'s recipe: Adam lr 0.0002, β1 0.5, batch 128, width 64 and 100-dimensional noise. "
            "Slower per step on a CPU, steadier over a long run.",
            ImageStructure(noise_dim=100, width=64, g_batch_norm=True, d_batch_norm=False, d_spectral_norm=True,
                           conditional=False, ema_decay=0.999),
            Knobs(loss="non-saturating", g_opt=_ADAM, d_opt=_ADAM, batch_size=128),
        ),
        ImagePreset(
            "wgan-gp", "WGAN-GP",
            "Wasserstein loss with a gradient penalty of 10 (Gulrajani et al.): 5 critic steps per generator "
            "step, Adam lr 0.0001 with β = (0.5, 0.9), no normalisation in the critic (the penalty assumes "
            "independent samples).",
            ImageStructure(noise_dim=64, width=16, g_batch_norm=True, d_batch_norm=False, d_spectral_norm=False,
                           conditional=False, ema_decay=0.999),
            Knobs(loss="wasserstein-gp", gp_weight=10.0, d_steps=5, batch_size=32,
                  g_opt=OptimizerKnobs(lr=1e-4, beta1=0.5, beta2=0.9), d_opt=OptimizerKnobs(lr=1e-4, beta1=0.5, beta2=0.9)),
        ),
    )
}
DEFAULT_IMAGE_PRESET = "dcgan"


def get_image_preset(name: str) -> ImagePreset:
    try:
        return IMAGE_PRESETS[name]
    except KeyError:
        raise KeyError(f"unknown image preset {name!r}; choose from {', '.join(IMAGE_PRESETS)}") from None


def default_image_settings() -> tuple[ImageStructure, Knobs]:
    """What the image page opens with: the default preset on the built-in digits."""
    return get_image_preset(DEFAULT_IMAGE_PRESET).apply(ImageStructure())
