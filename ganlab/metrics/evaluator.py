"""The image quality evaluator: generated digits scored by the metric classifier against the shipped
held-out real digits (class coverage, class KL, Frechet distance, Inception score), each beside its
real-vs-real baseline for the same sample size; 3-channel images are Stacked MNIST, scored by
ganlab.metrics.stacked_modes (modes covered of 1,000, KL to uniform). Used by the training Quality
monitor and `ganlab eval`."""

from __future__ import annotations

import time
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from ganlab.metrics.classifier import MetricClassifier, load_metric_classifier, prepare_images
from ganlab.metrics.image_quality import QualityReference
from ganlab.metrics.stacked_modes import CHANNELS as STACKED_CHANNELS
from ganlab.metrics.stacked_modes import StackedReference, stacked_quality


@dataclass(frozen=True)
class QualityResult:
    """The quality numbers at one training step, with the real-vs-real baselines for the
    same sample size beside them."""

    step: int
    n: int
    class_histogram: tuple[float, ...]
    real_class_distribution: tuple[float, ...]
    classes_covered: int
    num_classes: int
    class_kl: float
    kl_baseline: float
    frechet: float
    frechet_baseline: float
    inception_score: float
    inception_score_real: float
    seconds: float  # time spent scoring (not counting the sample source)

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @property
    def frechet_ratio(self) -> float:
        """Frechet distance / the real-vs-real baseline (1 is as good as real data)."""
        return self.frechet / self.frechet_baseline if self.frechet_baseline > 0 else float("inf")


class ImageQualityEvaluator:
    """Scores `(step, images)`: images (N, 1 or 3, 28 or 32, same) in [-1, 1], numpy. Loads the
    metric classifier on first use (on the caller's thread: the monitor's) and builds one
    `QualityReference` per sample size from the shipped held-out real features."""

    def __init__(self, classifier: MetricClassifier | None = None, seed: int = 0) -> None:
        self._classifier = classifier
        self._seed = seed
        self._references: dict[int, QualityReference] = {}
        self._stacked: dict[int, StackedReference] = {}

    @property
    def classifier(self) -> MetricClassifier:
        if self._classifier is None:
            self._classifier = load_metric_classifier()
        return self._classifier

    def reference(self, sample_size: int) -> QualityReference:
        if sample_size not in self._references:
            c = self.classifier
            probs = c.probs_from_features(c.reference_features)
            self._references[sample_size] = QualityReference.build(c.reference_features, probs, sample_size,
                                                                   seed=self._seed)
        return self._references[sample_size]

    def stacked_reference(self, sample_size: int) -> StackedReference:
        if sample_size not in self._stacked:
            c = self.classifier
            self._stacked[sample_size] = StackedReference.build(
                c.reference_features, c.probs_from_features(c.reference_features), sample_size, seed=self._seed)
        return self._stacked[sample_size]

    def __call__(self, step: int, images: np.ndarray) -> QualityResult:
        if not np.isfinite(np.asarray(images)).all():
            raise ValueError("the generated images hold NaN or infinite values")
        if np.ndim(images) == 4 and np.shape(images)[1] == STACKED_CHANNELS:
            return QualityResult(**stacked_quality(self.classifier, self.stacked_reference(len(images)), step, images))
        x = prepare_images(images)
        started = time.perf_counter()
        features, probs = self.classifier.features_and_probs(x)
        ref = self.reference(len(x))
        s = ref.score(features, probs)
        return QualityResult(
            step=int(step), n=s.n, class_histogram=s.class_histogram,
            real_class_distribution=tuple(float(v) for v in ref.class_distribution),
            classes_covered=s.classes_covered, num_classes=s.num_classes, class_kl=s.class_kl,
            kl_baseline=ref.kl_baseline, frechet=s.frechet, frechet_baseline=ref.frechet_baseline,
            inception_score=s.inception_score, inception_score_real=ref.inception_score_real,
            seconds=time.perf_counter() - started,
        )
