"""One table of the evaluation metrics a run records: the label a person reads, and which
direction is better. Pages, plots, the runs store (best values) and the CLI all read it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from ganlab.formatting import format_number


@dataclass(frozen=True)
class MetricName:
    label: str  # lower case; capitalise at the start of a sentence or a title
    better: str | None = None  # "higher", "lower", or None (a baseline, a statistic)
    short: str | None = None  # for a narrow table cell


METRICS: dict[str, MetricName] = {
    # 2D runs (ToyExperiment.evaluate)
    "modes_covered": MetricName("modes covered", "higher", "modes"),
    "high_quality": MetricName("high-quality share", "higher", "HQ"),
    "mode_kl": MetricName("mode KL", "lower"),
    "kl_hist": MetricName("KL (histogram)", "lower", "KL"),
    "js_hist": MetricName("JS (histogram)", "lower", "JS"),
    # image runs: the Quality panel's numbers (ganlab.runs.evaluation) with their real-vs-real baselines
    "classes_covered": MetricName("classes covered", "higher", "classes"),
    "class_kl": MetricName("class KL", "lower"),
    "frechet": MetricName("Fréchet distance", "lower", "Fréchet"),
    "inception_score": MetricName("Inception-style score", "higher", "IS"),
    "num_classes": MetricName("classes in the data"),
    "class_kl_baseline": MetricName("class KL, real vs real"),
    "frechet_baseline": MetricName("Fréchet distance, real vs real"),
    "inception_score_baseline": MetricName("Inception-style score of real digits"),
    # InfoGAN runs (ganlab.kinds.infogan): does each categorical code value pick out one mode or class?
    "code_purity": MetricName("code purity", "higher", "purity"),
    "code_purity_chance": MetricName("code purity of a code-blind G"),
    # CycleGAN runs (ganlab.kinds.cyclegan): the round trip A -> B -> A, relative to A's spread
    "cycle_error": MetricName("cycle error", "lower", "cycle"),
    # image runs: the runner's cheap numbers
    "pixel_mean": MetricName("pixel mean"),
    "pixel_std": MetricName("pixel sd"),
    # other scores a run may carry
    "fid": MetricName("FID", "lower"), "kid": MetricName("KID", "lower"),
    "precision": MetricName("precision", "higher"), "recall": MetricName("recall", "higher"),
    "coverage": MetricName("coverage", "higher"), "density": MetricName("density", "higher"),
    "class_coverage": MetricName("class coverage", "higher"),
}

HIGHER_IS_BETTER = frozenset(k for k, m in METRICS.items() if m.better == "higher")
LOWER_IS_BETTER = frozenset(k for k, m in METRICS.items() if m.better == "lower")


def metric_label(key: str) -> str:
    """The readable name of a metric key (the key itself, with spaces, when unknown)."""
    metric = METRICS.get(key)
    return metric.label if metric is not None else key.replace("_", " ")


def short_label(key: str) -> str:
    metric = METRICS.get(key)
    return (metric.short or metric.label) if metric is not None else key.replace("_", " ")


BEST_SHOWN = ("modes_covered", "high_quality", "js_hist", "classes_covered", "frechet", "inception_score", "fid",
              "code_purity", "cycle_error")
BEST_FORMATS = {"modes_covered": ".0f", "classes_covered": ".0f", "frechet": ".1f", "inception_score": ".2f"}


def best_text(best: Mapping[str, float]) -> str:
    """A run's three headline best values with short labels ("modes 8, HQ 91%, JS 0.012"): the
    Runs page and `ganlab runs` print the same."""
    parts = []
    for key in BEST_SHOWN:
        if key in best:
            value = (format_number(100 * best[key], ".0f") + "%" if key == "high_quality"
                     else format_number(best[key], BEST_FORMATS.get(key, ".3g")))
            parts.append(f"{short_label(key)} {value}")
    return ", ".join(parts[:3]) or "—"
