"""Image-GAN quality numbers in a classifier's eyes: pure numpy functions on class
probabilities and features, plus `QualityReference`, the real side built once.

- class histogram: the share of samples the classifier puts in each class (argmax).
- classes covered: a class counts when its share of the samples is at least
  `COVERAGE_FRACTION` (a fifth) of its real share: 2% of the samples for a class that
  holds 10% of real digits, i.e. at least 6 of 256. A single stray sample (0.4% of 256),
  which the classifier's own errors or one odd blob can produce, does not count; a class
  the generator makes at a fifth of its real rate or more does.
- class KL: KL(generated histogram || real class distribution), natural log. Only the real
  side is smoothed (add `KL_EPS` to every share, renormalise) so the KL is finite even
  where a real class happened to be empty; the generated side is exact (0 log 0 = 0).
  This direction punishes over-produced classes and missing ones alike: one class only
  gives log(1 / its real share), about 2.3 for digits; a perfect generator still shows
  about (K - 1) / (2 n) from sampling noise (0.018 at n = 256), reported as `kl_baseline`.
- Frechet distance between Gaussians fitted to features (FID's formula in the classifier's
  feature space): ||mu1 - mu2||^2 + tr(S1) + tr(S2) - 2 tr((S1^1/2 S2 S1^1/2)^1/2), with
  the square roots from symmetric eigendecompositions (eigenvalues clipped at 0), so a
  singular covariance (dead ReLU units, fewer samples than dimensions) is fine.
- Inception-Score analogue: exp(mean_x KL(p(y|x) || p(y))), p(y) the mean of p(y|x) over
  the same samples; 1 (all alike or all unsure) .. K (confident and evenly spread).

Sample sizes: the Frechet distance is biased upwards by the sample size (a finite sample's
mean and covariance are noisy), so a number is only meaningful beside a real-vs-real
baseline at the same size. `QualityReference.build` splits held-out real features into two
disjoint halves: one gives the reference mean, covariance and class distribution; the
other is cut into disjoint subsets of exactly the generated sample size, each measured
against the reference like a generated set, and the baselines are their means.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

COVERAGE_FRACTION = 0.2  # a class is covered when its share >= this fraction of its real share
KL_EPS = 1e-6  # added to every real class share before the KL
BASELINE_ROUNDS = 8  # most disjoint real subsets averaged for the baselines


def _as_probs(probs: np.ndarray) -> np.ndarray:
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim != 2 or p.shape[0] == 0 or p.shape[1] < 2:
        raise ValueError(f"class probabilities must be (N >= 1, K >= 2); got shape {p.shape}")
    if not np.isfinite(p).all() or (p < 0).any():
        raise ValueError("class probabilities must be finite and non-negative")
    return p


def class_histogram(labels: np.ndarray, num_classes: int) -> np.ndarray:
    """The share of `labels` (integer classes 0..num_classes-1) in each class; sums to 1."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.size == 0:
        raise ValueError(f"labels must be a non-empty 1-d array; got shape {labels.shape}")
    if labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(f"labels must be in 0..{num_classes - 1}")
    return np.bincount(labels.astype(np.int64), minlength=num_classes) / labels.size


def classes_covered(histogram: np.ndarray, threshold: float | np.ndarray) -> int:
    """How many classes hold at least `threshold` of the samples (a number, or one per class)."""
    h = np.asarray(histogram, dtype=np.float64)
    return int((h >= np.asarray(threshold, dtype=np.float64) - 1e-12).sum())


def coverage_thresholds(real_distribution: np.ndarray, fraction: float = COVERAGE_FRACTION) -> np.ndarray:
    """Per-class shares a class must reach to count as covered: `fraction` of its real share."""
    return fraction * np.asarray(real_distribution, dtype=np.float64)


def kl_divergence(p: np.ndarray, q: np.ndarray, eps: float = KL_EPS) -> float:
    """KL(p || q) in nats between two distributions (or counts) over the same classes.
    `q` is normalised, then smoothed (eps added to every share, renormalised); `p` is used as given (normalised), 0 log 0 = 0."""
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    if p.shape != q.shape or p.ndim != 1:
        raise ValueError(f"p and q must be 1-d of the same length; got {p.shape} and {q.shape}")
    if (p < 0).any() or (q < 0).any() or p.sum() <= 0 or q.sum() <= 0:
        raise ValueError("p and q must be non-negative with a positive sum")
    p = p / p.sum()
    q = q / q.sum()
    q = (q + eps) / (1 + q.size * eps)
    nz = p > 0
    return float(np.sum(p[nz] * np.log(p[nz] / q[nz])))


def gaussian_stats(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean (D,) and unbiased covariance (D, D), float64, of features (N >= 2, D)."""
    f = np.asarray(features, dtype=np.float64)
    if f.ndim != 2 or f.shape[0] < 2:
        raise ValueError(f"features must be (N >= 2, D); got shape {f.shape}")
    if not np.isfinite(f).all():
        raise ValueError("features hold NaN or infinite values")
    return f.mean(axis=0), np.atleast_2d(np.cov(f, rowvar=False))


def sqrtm_psd(matrix: np.ndarray) -> np.ndarray:
    """The symmetric square root of a symmetric positive semi-definite matrix, from its
    eigendecomposition; round-off negative eigenvalues are clipped to 0."""
    m = np.asarray(matrix, dtype=np.float64)
    m = (m + m.T) / 2
    values, vectors = np.linalg.eigh(m)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def frechet_distance(mu1: np.ndarray, cov1: np.ndarray, mu2: np.ndarray, cov2: np.ndarray) -> float:
    """Squared Frechet (2-Wasserstein) distance between N(mu1, cov1) and N(mu2, cov2):
    ||mu1 - mu2||^2 + tr(cov1) + tr(cov2) - 2 tr((cov1^1/2 cov2 cov1^1/2)^1/2). Symmetric
    eigendecompositions only, so near-singular covariances are stable; never below 0."""
    mu1, mu2 = np.asarray(mu1, dtype=np.float64), np.asarray(mu2, dtype=np.float64)
    cov1, cov2 = np.asarray(cov1, dtype=np.float64), np.asarray(cov2, dtype=np.float64)
    if mu1.shape != mu2.shape or cov1.shape != cov2.shape or cov1.shape != (mu1.size, mu1.size):
        raise ValueError(f"shapes do not match: mu {mu1.shape} / {mu2.shape}, cov {cov1.shape} / {cov2.shape}")
    root1 = sqrtm_psd(cov1)
    middle = root1 @ cov2 @ root1
    values = np.linalg.eigvalsh((middle + middle.T) / 2)
    cross = np.sqrt(np.clip(values, 0, None)).sum()
    d = float(np.sum((mu1 - mu2) ** 2) + np.trace(cov1) + np.trace(cov2) - 2 * cross)
    return max(d, 0.0)


def inception_score(probs: np.ndarray) -> float:
    """exp(mean_x KL(p(y|x) || p(y))) with p(y) the mean of the rows of `probs` (N, K)."""
    p = _as_probs(probs)
    p = p / p.sum(axis=1, keepdims=True)
    marginal = p.mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * (np.log(p) - np.log(marginal)), 0.0)
    return float(np.exp(terms.sum(axis=1).mean()))


@dataclass(frozen=True)
class QualityScores:
    """The numbers for one set of generated samples."""

    n: int
    class_histogram: tuple[float, ...]
    classes_covered: int
    num_classes: int
    class_kl: float
    frechet: float
    inception_score: float


@dataclass(frozen=True)
class QualityReference:
    """The real side, built once from held-out real features and class probabilities for
    one generated `sample_size`. `frechet_baseline`, `kl_baseline` and
    `inception_score_real` are the means over `baseline_rounds` disjoint real subsets of
    `sample_size`, each scored exactly like a generated set; `frechet_baseline_std` is
    their spread."""

    mean: np.ndarray
    cov: np.ndarray
    class_distribution: np.ndarray
    coverage_threshold: np.ndarray
    sample_size: int
    reference_size: int
    baseline_rounds: int
    frechet_baseline: float
    frechet_baseline_std: float
    kl_baseline: float
    inception_score_real: float

    @property
    def num_classes(self) -> int:
        return int(self.class_distribution.size)

    @classmethod
    def build(cls, features: np.ndarray, probs: np.ndarray, sample_size: int, *, seed: int = 0,
              rounds: int = BASELINE_ROUNDS) -> "QualityReference":
        """From held-out real `features` (N, D) and class `probs` (N, K): a fixed random
        half (seed) is the reference; the other half gives up to `rounds` disjoint subsets
        of `sample_size` for the baselines. Needs N >= 2 * sample_size."""
        f = np.asarray(features, dtype=np.float64)
        p = _as_probs(probs)
        if f.ndim != 2 or len(f) != len(p):
            raise ValueError(f"features (N, D) and probs (N, K) must have the same N; got {f.shape} and {p.shape}")
        if sample_size < 2:
            raise ValueError(f"sample size must be at least 2; got {sample_size}")
        if len(f) - len(f) // 2 < sample_size:
            raise ValueError(f"{len(f)} held-out real images are too few for a baseline at {sample_size} samples: "
                             f"need at least {2 * sample_size}")
        ref, rest = split_indices(len(f), seed)
        half = len(ref)
        mean, cov = gaussian_stats(f[ref])
        k = p.shape[1]
        distribution = class_histogram(p[ref].argmax(axis=1), k)
        thresholds = coverage_thresholds(distribution)
        n_rounds = max(1, min(rounds, len(rest) // sample_size))
        fd, kl, is_ = [], [], []
        for r in range(n_rounds):
            subset = rest[r * sample_size:(r + 1) * sample_size]
            s = score(f[subset], p[subset], mean, cov, distribution, thresholds)
            fd.append(s.frechet)
            kl.append(s.class_kl)
            is_.append(s.inception_score)
        for a in (mean, cov, distribution, thresholds):
            a.setflags(write=False)
        return cls(mean, cov, distribution, thresholds, int(sample_size), int(half), n_rounds,
                   float(np.mean(fd)), float(np.std(fd)), float(np.mean(kl)), float(np.mean(is_)))

    def score(self, features: np.ndarray, probs: np.ndarray) -> QualityScores:
        """Score generated samples; their number must be this reference's `sample_size`, so
        that the baselines are comparable."""
        if len(features) != self.sample_size:
            raise ValueError(f"{len(features)} samples, but this reference's baselines are for "
                             f"{self.sample_size}; build a reference for {len(features)}")
        return score(features, probs, self.mean, self.cov, self.class_distribution, self.coverage_threshold)


def split_indices(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The two disjoint halves `QualityReference.build` uses: (reference n // 2, the rest),
    from a fixed random permutation of range(n)."""
    order = np.random.default_rng(seed).permutation(n)
    return order[: n // 2], order[n // 2:]


def score(features: np.ndarray, probs: np.ndarray, mean: np.ndarray, cov: np.ndarray,
          class_distribution: np.ndarray, coverage_threshold: np.ndarray) -> QualityScores:
    """All the numbers for one sample set against given real statistics."""
    p = _as_probs(probs)
    if len(features) != len(p):
        raise ValueError(f"{len(features)} feature rows but {len(p)} probability rows")
    k = p.shape[1]
    histogram = class_histogram(p.argmax(axis=1), k)
    mu, sigma = gaussian_stats(features)
    return QualityScores(
        n=len(p),
        class_histogram=tuple(float(x) for x in histogram),
        classes_covered=classes_covered(histogram, coverage_threshold),
        num_classes=k,
        class_kl=kl_divergence(histogram, class_distribution),
        frechet=frechet_distance(mu, sigma, mean, cov),
        inception_score=inception_score(p),
    )
