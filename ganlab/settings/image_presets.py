"""Image-GAN recipes for the image page (the 2D ones are in ganlab.settings.presets).

A preset sets the nets and the knobs; the data, its image size and channels, its number
of classes and the seed stay as the user chose them. A paper's row ("PacDCGAN2 on Stacked
MNIST") is about its data too: its `data` replaces the user's dataset, image size and channels.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ganlab.data.stacked_digits import STACKED_CHANNELS, STACKED_DATASET
from ganlab.settings.config import ImageStructure, Knobs, OptimizerKnobs

DATA_FIELDS = ("dataset", "image_size", "channels", "num_classes")  # what the data decides
KEPT_FROM_USER = (*DATA_FIELDS, "seed")
KEPT_WITH_OWN_DATA = ("num_classes", "seed")  # the class count follows the data the page or command loads


@dataclass(frozen=True)
class ImagePreset:
    name: str
    label: str
    description: str
    structure: ImageStructure  # the fields in KEPT_FROM_USER are replaced by the user's (all but the data's
    knobs: Knobs               # name, size and channels when the recipe names its own `data`)
    data: str | None = None  # the dataset a paper's row is about (replacing the user's); None: the user's

    def apply(self, current: ImageStructure) -> tuple[ImageStructure, Knobs]:
        """The recipe on the user's data and seed; a paper's row on its own data (at the structure's size
        and channels), with the user's seed."""
        kept = {name: getattr(current, name) for name in (KEPT_FROM_USER if self.data is None else KEPT_WITH_OWN_DATA)}
        if self.data is not None:
            kept["dataset"] = self.data
        return dataclasses.replace(self.structure, **kept), self.knobs


_ADAM = OptimizerKnobs(name="adam", lr=2e-4, beta1=0.5, beta2=0.999)  # Radford et al.'s DCGAN settings
# β1 0, β2 0.99 (as in StyleGAN2 and most GANs since): on MNIST, width 16 without the extra
# conv, the Frechet distance at 8,000 steps was 106 against 127 with DCGAN's (0.5, 0.999)
_FAST_ADAM = OptimizerKnobs(name="adam", lr=1e-3, beta1=0.0, beta2=0.99)
_STACKED_WIDTH = 32  # G's width in the Stacked MNIST rows: a quarter of it (8) is the smallest D width


def _pacdcgan(pack: int, small_d: bool) -> ImagePreset:
    """A row of Lin et al.'s Stacked MNIST tables (PacGAN, 2018): Table 2 (D as wide as G) or Table 3
    (D a quarter of G's width), at packing 1 (their DCGAN) or more (PacDCGAN), on the fast-start
    recipe's optimizer and nets at width 32, with 32 packs a batch (as the 2D rows keep 100)."""
    name = ("dcgan" if pack == 1 else f"pacdcgan{pack}") + "-stacked" + ("-small-d" if small_d else "")
    label = ("DCGAN" if pack == 1 else f"PacDCGAN{pack}") + " on Stacked MNIST" + (", small D" if small_d else "")
    table = "Table 3 (D a quarter of G's width: 8 channels against 32)" if small_d else "Table 2 (D as wide as G)"
    packing = (f"D judges packs of {pack} images (their channels stacked; real with real, fake with fake), so a "
               "G that repeats a few of the 1,000 modes is easy to catch in a pack" if pack > 1 else
               "the plain DCGAN the table sets PacDCGAN against, its D judging one image at a time")
    batch = f"{32 * pack} images a batch (32 packs)" if pack > 1 else "32 images a batch"
    return ImagePreset(
        name, label + ("" if pack > 1 else f" (PacGAN Table {3 if small_d else 2})"),
        f"Lin et al. 2018 (PacGAN), their Stacked MNIST row of {table}: {packing}. Loads Stacked MNIST "
        "(a digit in each colour channel, 1,000 modes), whose Quality panel counts the modes covered. The "
        f"fast-start nets and optimizer at width {_STACKED_WIDTH}: Adam lr 0.001, β = (0, 0.99), {batch}. In "
        "the paper's tables the packed rows covered more modes than the plain DCGAN.",
        ImageStructure(dataset=STACKED_DATASET, image_size=28, channels=STACKED_CHANNELS, noise_dim=64,
                       width=_STACKED_WIDTH, d_width=_STACKED_WIDTH // 4 if small_d else 0, g_batch_norm=True,
                       d_batch_norm=False, d_spectral_norm=True, conditional=False, ema_decay=0.999, extra_conv=True,
                       pack=pack),
        Knobs(loss="non-saturating", g_opt=_FAST_ADAM, d_opt=_FAST_ADAM, batch_size=32 * pack),
        data=STACKED_DATASET,
    )


def _paper_rows() -> tuple[ImagePreset, ...]:
    return _pacdcgan(1, False), _pacdcgan(2, False), _pacdcgan(1, True), _pacdcgan(4, True)


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
        ImagePreset(
            "infogan-digits", "InfoGAN (fast start)",
            "Chen et al. 2016 on the fast DCGAN recipe: G also gets a 10-valued categorical code and 2 continuous "
            "codes, and D a Q head that must read them back (weight λ 1, live). Without labels, each code value "
            "comes to draw one digit (the grid's rows) and the continuous codes its width and slant (the Latent "
            "page's sliders); Code purity says how cleanly the values and the digits match.",
            ImageStructure(model="infogan", info_continuous=2, noise_dim=62, width=16, g_batch_norm=True,
                           d_batch_norm=False, d_spectral_norm=True, conditional=False, ema_decay=0.999,
                           extra_conv=True),
            Knobs(loss="non-saturating", g_opt=_FAST_ADAM, d_opt=_FAST_ADAM, batch_size=32, info_weight=1.0),
        ),
        ImagePreset(
            "stylegan-digits", "Style-based (fast start)",
            "A style-based generator in the spirit of StyleGAN2 (Karras et al.) against the fast recipe's D: a "
            "mapping network turns z into a style w, w scales every convolution's weights (modulation, then "
            "demodulation), and each layer adds noise of its own. On the Latent page, mix the coarse styles of one "
            "sample with the fine styles of another, and pull w toward the mean (truncation). About twice a fast "
            "DCGAN step's time on a CPU core.",
            ImageStructure(model="stylegan", noise_dim=64, width=16, d_batch_norm=False, d_spectral_norm=True,
                           conditional=False, ema_decay=0.999, extra_conv=True),
            Knobs(loss="non-saturating", g_opt=_FAST_ADAM, d_opt=_FAST_ADAM, batch_size=32),
        ),
        *_paper_rows(),
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
