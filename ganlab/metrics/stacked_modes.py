"""Stacked MNIST's numbers (ganlab.data.stacked_digits): each of a generated image's three
channels read by the metric classifier gives its mode out of 1,000, and then

- modes covered: modes with at least one of the samples (the count VEEGAN and PacGAN report, on
  26,000 samples; a perfect generator covers 1000 * (1 - e^(-n/1000)) of them in n samples:
  999.95 in 10,000, 926 in 2,600);
- KL to uniform: KL(generated mode shares || uniform over 1,000), nats (0 when every mode is
  equally common; log 1000 = 6.91 when one mode takes every sample);
- the Frechet distance between the three channels' classifier features, concatenated, of the
  generated images and of real stacked triples, and an Inception-style score over the 1,000
  modes (each image's mode distribution is the product of its channels' class distributions).

Each number comes with its real-vs-real baseline for the same sample size, from triples of the
shipped held-out real digits, as for plain digits (ganlab.metrics.evaluator)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from ganlab.data.stacked_digits import STACKED_CHANNELS as CHANNELS
from ganlab.data.stacked_digits import STACKED_MODES
from ganlab.metrics.image_quality import BASELINE_ROUNDS, frechet_distance, gaussian_stats

LIVE_SAMPLES = 2_600  # the Quality panel's, every few seconds (~4 s of one core); a perfect G covers ~926
FINAL_SAMPLES = 26_000  # `ganlab eval` and the reproduced tables: VEEGAN's and PacGAN's count


def expected_coverage(samples: int, num_modes: int = STACKED_MODES) -> float:
    """Modes a perfect (uniform) generator covers on average in `samples` draws: the ceiling of
    "modes covered" at that sample size."""
    return num_modes * (1 - (1 - 1 / num_modes) ** samples)


def mode_counts(modes: np.ndarray, num_modes: int = STACKED_MODES) -> np.ndarray:
    """How many samples fell in each mode (integer modes 0..num_modes-1)."""
    m = np.asarray(modes)
    if m.ndim != 1 or m.size == 0 or m.min() < 0 or m.max() >= num_modes:
        raise ValueError(f"modes must be a non-empty 1-d array of integers in 0..{num_modes - 1}")
    return np.bincount(m.astype(np.int64), minlength=num_modes)


def modes_covered(counts: np.ndarray) -> int:
    """Modes with at least one sample."""
    return int((np.asarray(counts) > 0).sum())


def kl_to_uniform(counts: np.ndarray) -> float:
    """KL(shares || uniform) in nats, 0 log 0 = 0."""
    c = np.asarray(counts, dtype=np.float64)
    p = c / c.sum()
    nz = p > 0
    return float(np.sum(p[nz] * np.log(p[nz] * p.size)))


def modes_from_channel_probs(channel_probs: np.ndarray) -> np.ndarray:
    """(N, 3, 10) class probabilities per channel -> (N,) modes (each channel's argmax)."""
    digits = channel_probs.argmax(axis=2)
    return digits[:, 0] * 100 + digits[:, 1] * 10 + digits[:, 2]


def product_inception_score(channel_probs: np.ndarray) -> float:
    """exp(mean_x KL(p(y|x) || p(y))) over the 1,000 modes, where p(y|x) is the product of the
    channels' distributions, without making the (N, 1000) table: KL(p1 p2 p3 || q) is
    -H(p1) - H(p2) - H(p3) - sum_y p1 p2 p3 log q(y)."""
    p = np.clip(np.asarray(channel_probs, dtype=np.float64), 1e-12, None)
    p = p / p.sum(axis=2, keepdims=True)
    red, green, blue = p[:, 0], p[:, 1], p[:, 2]
    marginal = np.einsum("na,nb,nc->abc", red, green, blue) / len(p)
    cross = np.einsum("na,nb,nc,abc->n", red, green, blue, np.log(np.clip(marginal, 1e-300, None)))
    neg_entropy = (p * np.log(p)).sum(axis=(1, 2))
    return float(np.exp((neg_entropy - cross).mean()))


@dataclass(frozen=True)
class StackedScores:
    n: int
    histogram: np.ndarray  # mode shares (1000,)
    covered: int
    kl: float
    frechet: float
    inception_score: float


def score_stacked(features: np.ndarray, channel_probs: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> StackedScores:
    """The numbers for one sample set: `features` (N, 3 * D) and `channel_probs` (N, 3, 10)."""
    counts = mode_counts(modes_from_channel_probs(channel_probs))
    mu, sigma = gaussian_stats(features)
    return StackedScores(len(features), counts / counts.sum(), modes_covered(counts), kl_to_uniform(counts),
                         frechet_distance(mu, sigma, mean, cov), product_inception_score(channel_probs))


@dataclass(frozen=True)
class StackedReference:
    """Real stacked triples' statistics for one sample size, and the real-vs-real baselines
    (means over up to BASELINE_ROUNDS fresh sets of triples, each scored as a generated set)."""

    mean: np.ndarray
    cov: np.ndarray
    sample_size: int
    frechet_baseline: float
    kl_baseline: float
    inception_score_real: float

    @classmethod
    def build(cls, features: np.ndarray, probs: np.ndarray, sample_size: int, *, seed: int = 0,
              rounds: int = BASELINE_ROUNDS) -> "StackedReference":
        """From held-out real digits' `features` (M, D) and class `probs` (M, 10): the reference
        is `2 * sample_size` random triples of the first half of the digits, each baseline set
        `sample_size` triples of the other half (so no digit is in both)."""
        rng = np.random.default_rng(seed)
        order = rng.permutation(len(features))
        ref, rest = order[: len(order) // 2], order[len(order) // 2:]

        def triples(pool: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
            picks = pool[rng.integers(len(pool), size=(n, CHANNELS))]
            return features[picks].reshape(n, -1), probs[picks]

        f_ref, _ = triples(ref, 2 * sample_size)
        mean, cov = gaussian_stats(f_ref)
        baselines = [score_stacked(*triples(rest, sample_size), mean, cov) for _ in range(max(1, min(rounds, 3)))]
        return cls(mean, cov, sample_size, float(np.mean([b.frechet for b in baselines])),
                   float(np.mean([b.kl for b in baselines])), float(np.mean([b.inception_score for b in baselines])))


def channel_features_and_probs(classifier: Any, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N, 3, S, S) images -> features (N, 3 * D) and class probabilities (N, 3, 10), each channel
    read as a grey digit (`classifier.features_and_probs` takes (M, 1, 28, 28))."""
    from ganlab.metrics.classifier import prepare_images

    x = np.asarray(images, dtype=np.float32)
    if x.ndim != 4 or x.shape[1] != CHANNELS:
        raise ValueError(f"expected stacked images (N, 3, 28 or 32, same); got shape {x.shape}")
    n = len(x)
    grey = prepare_images(x.reshape(n * CHANNELS, 1, *x.shape[2:]))
    features, probs = classifier.features_and_probs(grey)
    return features.reshape(n, -1), probs.reshape(n, CHANNELS, -1)


def stacked_quality(classifier: Any, reference: StackedReference, step: int, images: np.ndarray) -> dict[str, Any]:
    """The fields of a QualityResult (ganlab.metrics.evaluator) for stacked images."""
    started = time.perf_counter()
    features, probs = channel_features_and_probs(classifier, images)
    s = score_stacked(features, probs, reference.mean, reference.cov)
    return dict(step=int(step), n=s.n, class_histogram=tuple(float(v) for v in s.histogram),
                real_class_distribution=(1 / STACKED_MODES,) * STACKED_MODES, classes_covered=s.covered,
                num_classes=STACKED_MODES, class_kl=s.kl, kl_baseline=reference.kl_baseline, frechet=s.frechet,
                frechet_baseline=reference.frechet_baseline, inception_score=s.inception_score,
                inception_score_real=reference.inception_score_real, seconds=time.perf_counter() - started)
