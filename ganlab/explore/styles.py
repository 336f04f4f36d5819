"""Styles on the Latent page: style mixing (Karras et al. 2019, figure 3: the coarse styles of one
sample with the fine styles of another) for style-based generators (ganlab.nets.style), and the
truncation trick for every image generator, with how it trades variety for confidence.

Truncation pulls G's input toward its centre: w_mean + psi (w - w_mean). A style-based G's centre
is the mean style w over MEAN_SAMPLES mapped latents (StyleGAN); any other G's is the mean of its
noise, 0 for Gaussian and for uniform noise on [-1, 1] (BigGAN's truncation, which resamples
instead, aims at the same centre). InfoGAN's codes are not noise: only its noise part is pulled in,
the codes stay as drawn. psi 1 leaves every sample as it was; psi 0 makes every one G's image of
the centre (for an InfoGAN, one image per code value).

No Streamlit here: ganlab/ui/latent_styles.py draws these.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any, Callable, Sequence, cast

import numpy as np
import torch
from torch import Tensor

from ganlab.kinds.models import model_of
from ganlab.nets.style import mix_styles, truncate

MEAN_SAMPLES = 4096  # latents mapped for the mean style w
MEAN_SEED = 4242  # the mean w's latents (fixed: the centre is the same every time the page opens)
CURVE_SEED = 777  # the truncation curve's samples
CURVE_SAMPLES = 128  # about 1.5 s on one core with a width-16 G (the classifier takes two thirds)
CURVE_PSIS = tuple(round(0.1 * i, 1) for i in range(11))  # 0, 0.1, ..., 1

# images (n, C, H, W) in [-1, 1] -> (each image's class (n,) ints, the classifier's confidence in it (n,))
Classify = Callable[[Tensor], tuple[np.ndarray, np.ndarray]]


def has_styles(ex: Any) -> bool:
    """The explorer's generator maps z to styles w (mixing and truncation toward the mean w)."""
    return bool(model_of(ex.structure).has_styles)


def offers_truncation(ex: Any) -> bool:
    """Truncation is for image generators (a 2D toy's centre is one point, which says little)."""
    return bool(ex.gan_kind.samples_are_images)


def _noise_dim(ex: Any) -> int:
    """How many leading inputs of G are noise (an InfoGAN's codes follow them)."""
    layout = model_of(ex.structure).code_layout(ex.structure)
    return layout.noise_dim if layout is not None else ex.noise_dim


def mean_style(ex: Any) -> Tensor:
    """The centre truncation pulls toward, cached on the explorer: a style-based G's mean w over
    MEAN_SAMPLES latents drawn as training draws them, (w_dim,); any other G's mean noise, zeros
    (noise_dim,) (Gaussian noise and uniform noise on [-1, 1] both have mean 0)."""
    if "mean_style" not in ex._cache:
        if has_styles(ex):
            with torch.no_grad():
                ex._cache["mean_style"] = ex.generator.mapping(ex.latents(MEAN_SAMPLES, MEAN_SEED)).mean(dim=0)
        else:
            ex._cache["mean_style"] = torch.zeros(_noise_dim(ex))
    return ex._cache["mean_style"]


def _check_psi(psi: float) -> float:
    if isinstance(psi, bool) or not isinstance(psi, numbers.Real) or not np.isfinite(float(psi)):
        raise ValueError(f"psi must be a finite number, got {psi!r}")
    return float(psi)


def truncated(ex: Any, latents_or_w: Tensor, psi: float) -> Tensor:
    """Inputs pulled toward the centre by psi (1: unchanged, 0: the centre): for a style-based G,
    styles w (n, w_dim); for any other, G's latents (n, d), of which only the noise part moves."""
    psi = _check_psi(psi)
    centre = mean_style(ex)
    if has_styles(ex):
        return truncate(latents_or_w, centre, psi)
    k = centre.shape[0]
    noise = truncate(latents_or_w[:, :k], centre, psi)
    return torch.cat([noise, latents_or_w[:, k:]], dim=1) if latents_or_w.shape[1] > k else noise


def _seed_latents(ex: Any, seeds: Sequence[int]) -> Tensor:
    return torch.stack([ex.seed_latent(int(s)) for s in seeds])


def _synthesize(ex: Any, w: Tensor) -> Tensor:
    """A style-based G's images for one style per sample (n, w_dim), every layer that style."""
    G = ex.generator
    return G.synthesize(w[:, None, :].expand(-1, G.num_styles, -1))


@torch.no_grad()
def render_truncated(ex: Any, seeds: Sequence[int], psi: float, cls: int | None = None) -> Tensor:
    """The seeds' samples (n, C, H, W) at truncation psi (each seed's latent as `ex.seed_latent`
    names it); `cls` for a conditional G."""
    z = _seed_latents(ex, seeds)
    if has_styles(ex):
        return _synthesize(ex, truncated(ex, ex.generator.mapping(z), psi))
    return ex.render(truncated(ex, z, psi), cls)


@dataclass(frozen=True)
class Mix:
    """Style mixing's figure: the sources' images and every (a, b) pair's mix, coarse styles from a."""

    a: Tensor  # (len(seeds_a), C, H, W): the coarse styles' sources
    b: Tensor  # (len(seeds_b), C, H, W): the fine styles' sources
    mixed: Tensor  # (len(seeds_a), len(seeds_b), C, H, W): styles < crossover from a's seed, the rest from b's
    crossover: int


def _seeds(seeds: int | Sequence[int]) -> list[int]:
    if isinstance(seeds, numbers.Integral):
        return [int(seeds)]
    return [int(s) for s in cast(Sequence[int], seeds)]


def num_styles(ex: Any) -> int:
    """How many styles the explorer's style-based G takes (one per modulated layer, toRGB last)."""
    return int(ex.generator.num_styles)


@torch.no_grad()
def render_mixed(ex: Any, seeds_a: int | Sequence[int], seeds_b: int | Sequence[int], crossover: int,
                 psi: float = 1.0) -> Mix:
    """StyleGAN's style-mixing figure for a style-based G: styles 0..crossover-1 (the coarse ones,
    at the small maps) from each seed of `seeds_a`, the rest (the fine ones) from each of `seeds_b`,
    in one generator pass; every w truncated by `psi` first (1: as drawn)."""
    if not has_styles(ex):
        raise ValueError("style mixing needs a style-based generator (the stylegan model)")
    a, b = _seeds(seeds_a), _seeds(seeds_b)
    G = ex.generator
    w = truncated(ex, G.mapping(_seed_latents(ex, a + b)), psi)
    w_a, w_b = w[: len(a)], w[len(a):]
    pairs_a = w_a.repeat_interleave(len(b), dim=0)  # (a0 b0, a0 b1, ..., a1 b0, ...)
    pairs_b = w_b.repeat(len(a), 1)
    ws = torch.cat([
        w_a[:, None, :].expand(-1, G.num_styles, -1),
        w_b[:, None, :].expand(-1, G.num_styles, -1),
        mix_styles(pairs_a, pairs_b, G.num_styles, crossover),
    ])
    images = G.synthesize(ws)
    mixed = images[len(a) + len(b):]
    return Mix(images[: len(a)], images[len(a): len(a) + len(b)], mixed.reshape(len(a), len(b), *mixed.shape[1:]),
               int(crossover))


@torch.no_grad()
def render_crossovers(ex: Any, seed_a: int, seed_b: int, psi: float = 1.0) -> Tensor:
    """The mix of two seeds at every crossover, (num_styles + 1, C, H, W): crossover 0 is b's
    sample, num_styles a's; in one generator pass."""
    G = ex.generator
    w = truncated(ex, G.mapping(_seed_latents(ex, [seed_a, seed_b])), psi)
    count = G.num_styles + 1
    ws = torch.cat([mix_styles(w[:1], w[1:], G.num_styles, k) for k in range(count)])
    return G.synthesize(ws)


def style_sides(ex: Any) -> list[int]:
    """The side (px) of the map each style acts on, coarse to fine (the last: toRGB at full size)."""
    G = ex.generator
    return [int(layer.fixed_noise.shape[-1]) for layer in G.layers] + [int(G.image_size)]


@dataclass(frozen=True)
class TruncationCurve:
    """What truncation does to a fixed set of samples, psi by psi."""

    psis: tuple[float, ...]
    covered: tuple[int, ...]  # distinct classes among the samples
    confidence: tuple[float, ...]  # the classifier's mean confidence in its class (its max probability)
    samples: int


def truncation_curve(ex: Any, psis: Sequence[float], n: int, classify: Classify, cls: int | None = None,
                     seed: int = CURVE_SEED, chunk: int = 512) -> TruncationCurve:
    """For each psi, the classes covered by n samples (seeds seed .. seed + n - 1) and the
    classifier's mean confidence in them: the same samples at every psi, so the curve shows
    truncation's trade alone. `classify` reads images (its result as `Classify` says)."""
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    seeds = list(range(int(seed), int(seed) + int(n)))
    covered, confidence = [], []
    for psi in psis:
        classes, conf = [], []
        for i in range(0, n, chunk):
            images = render_truncated(ex, seeds[i:i + chunk], float(psi), cls)
            c, p = classify(images)
            classes.append(np.asarray(c).reshape(-1))
            conf.append(np.asarray(p, dtype=np.float64).reshape(-1))
        covered.append(int(len(np.unique(np.concatenate(classes)))))
        confidence.append(float(np.concatenate(conf).mean()))
    return TruncationCurve(tuple(float(p) for p in psis), tuple(covered), tuple(confidence), int(n))


# ---------------------------------------------------------------- the shipped classifier
def classifier_reason(ex: Any) -> str | None:
    """None when the shipped digit classifier can read this run's images, else one sentence why not."""
    try:
        from ganlab.metrics.classifier import ClassifierUnavailable, load_metric_classifier, unavailable_reason_for
    except ImportError:
        return "No classes-covered plot: the metric classifier is not part of this installation."
    reason = unavailable_reason_for(ex.structure)
    if reason:
        return reason.replace("No quality numbers", "No classes-covered plot", 1)
    try:
        load_metric_classifier()
    except ClassifierUnavailable:
        return ("No classes-covered plot: the metric classifier is not available on this server "
                "(its log says why and how to fix it).")
    return None


def class_count(ex: Any) -> int:
    """How many classes the classifier tells apart for this run: 10 digits, or Stacked MNIST's 1,000 modes."""
    from ganlab.data.stacked_digits import STACKED_DATASET, STACKED_MODES
    from ganlab.metrics.classifier import NUM_CLASSES

    return STACKED_MODES if ex.structure.dataset == STACKED_DATASET else NUM_CLASSES


def digit_classify(ex: Any) -> Classify:
    """The shipped classifier as a `Classify` for this run (check `classifier_reason` first): a
    digit's class and max probability; Stacked MNIST's mode (a digit per channel) and the
    product of the channels' max probabilities (the mode's probability)."""
    from ganlab.data.stacked_digits import STACKED_DATASET
    from ganlab.metrics.classifier import load_metric_classifier, prepare_images
    from ganlab.metrics.stacked_modes import channel_features_and_probs, modes_from_channel_probs

    classifier = load_metric_classifier()
    if ex.structure.dataset == STACKED_DATASET:
        def classify_stacked(images: Tensor) -> tuple[np.ndarray, np.ndarray]:
            _, probs = channel_features_and_probs(classifier, images.float().numpy())
            return modes_from_channel_probs(probs), probs.max(axis=2).prod(axis=1)
        return classify_stacked

    def classify(images: Tensor) -> tuple[np.ndarray, np.ndarray]:
        _, probs = classifier.features_and_probs(prepare_images(images.float().numpy()))
        return probs.argmax(axis=1), probs.max(axis=1)
    return classify


def cached_truncation_curve(ex: Any, cls: int | None = None, psis: Sequence[float] = CURVE_PSIS,
                            n: int = CURVE_SAMPLES) -> TruncationCurve:
    """`truncation_curve` with the shipped classifier, computed once per explorer (and class)."""
    key = ("truncation_curve", cls, tuple(psis), n)
    if key not in ex._cache:
        ex._cache[key] = truncation_curve(ex, psis, n, digit_classify(ex), cls)
    return ex._cache[key]
