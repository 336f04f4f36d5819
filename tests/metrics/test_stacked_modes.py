"""Stacked MNIST's numbers: modes covered out of 1,000 and KL to uniform, on constructed inputs,
and the evaluator on real stacked digits against one repeated image."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ganlab.metrics.stacked_modes import (
    expected_coverage,
    kl_to_uniform,
    mode_counts,
    modes_covered,
    modes_from_channel_probs,
    product_inception_score,
)


def test_every_mode_once_covers_all_with_kl_zero():
    counts = mode_counts(np.arange(1000))
    assert modes_covered(counts) == 1000
    assert kl_to_uniform(counts) == pytest.approx(0.0, abs=1e-12)


def test_one_mode_covers_one_with_kl_log_1000():
    counts = mode_counts(np.full(26_000, 472))
    assert modes_covered(counts) == 1
    assert kl_to_uniform(counts) == pytest.approx(math.log(1000))


def test_half_the_modes_equally_give_kl_log_2():
    counts = mode_counts(np.repeat(np.arange(0, 1000, 2), 3))
    assert modes_covered(counts) == 500
    assert kl_to_uniform(counts) == pytest.approx(math.log(2))


def test_modes_read_each_channels_most_likely_digit():
    probs = np.full((2, 3, 10), 0.01)
    for i, digits in enumerate([(4, 7, 2), (0, 0, 9)]):
        for c, d in enumerate(digits):
            probs[i, c, d] = 0.91
    assert modes_from_channel_probs(probs).tolist() == [472, 9]


def test_product_inception_score_is_the_number_of_modes_for_certain_uniform_samples():
    # every image certain of its mode, all 1,000 modes equally often: exp(log 1000) = 1000
    probs = np.zeros((1000, 3, 10))
    modes = np.arange(1000)
    for c, digits in enumerate((modes // 100, modes // 10 % 10, modes % 10)):
        probs[np.arange(1000), c, digits] = 1.0
    assert product_inception_score(probs) == pytest.approx(1000, rel=1e-6)
    assert product_inception_score(probs[:1].repeat(50, axis=0)) == pytest.approx(1.0, rel=1e-6)


def test_a_perfect_generator_covers_1_minus_e_to_the_minus_n_over_1000():
    assert expected_coverage(1000) == pytest.approx(1000 * (1 - 0.999 ** 1000))
    assert expected_coverage(2_600) == pytest.approx(925.8, abs=0.1)
    assert expected_coverage(26_000) > 999.9


@pytest.mark.parametrize("bad", [np.array([]), np.array([1000]), np.array([-1])])
def test_modes_outside_0_to_999_are_refused(bad):
    with pytest.raises(ValueError):
        mode_counts(bad)


@pytest.fixture(scope="module")
def stacked_real():
    from ganlab.data.image_sources import load_image_source

    data = load_image_source("stacked-mnist", 28, 3, max_images=2_600)
    return data.to_float(data.images).numpy()


def test_real_stacked_digits_score_near_their_baselines_and_one_repeated_image_collapses(stacked_real):
    from ganlab.metrics.evaluator import ImageQualityEvaluator

    evaluator = ImageQualityEvaluator()
    real = evaluator(3, stacked_real)
    assert real.num_classes == 1000 and real.n == 2_600
    assert real.classes_covered > 0.95 * expected_coverage(2_600)  # the classifier reads ~99 % of digits right
    assert real.class_kl < 2 * real.kl_baseline + 0.05
    assert real.frechet < 3 * real.frechet_baseline
    one = evaluator(4, np.repeat(stacked_real[:1], 2_600, axis=0))
    assert one.classes_covered == 1
    assert one.class_kl == pytest.approx(math.log(1000))
    assert one.frechet > 20 * real.frechet
