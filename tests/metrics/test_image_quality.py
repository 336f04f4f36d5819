"""The image-quality metric functions on constructed inputs, against hand-worked values."""

import math

import numpy as np
import pytest

from ganlab.metrics.image_quality import (
    COVERAGE_FRACTION,
    QualityReference,
    class_histogram,
    classes_covered,
    coverage_thresholds,
    frechet_distance,
    gaussian_stats,
    inception_score,
    kl_divergence,
    split_indices,
    sqrtm_psd,
)


def one_hot(labels, k):
    p = np.zeros((len(labels), k))
    p[np.arange(len(labels)), labels] = 1.0
    return p


# ------------------------------------------------------------------ class histogram and coverage
def test_class_histogram_is_the_share_of_each_class():
    assert class_histogram(np.array([0, 0, 1, 3]), 4).tolist() == [0.5, 0.25, 0.0, 0.25]


def test_class_histogram_rejects_labels_outside_the_classes():
    with pytest.raises(ValueError, match="0..3"):
        class_histogram(np.array([0, 4]), 4)
    with pytest.raises(ValueError, match="non-empty"):
        class_histogram(np.array([], dtype=int), 4)


def test_a_single_class_set_covers_one_class():
    hist = class_histogram(np.full(256, 7), 10)
    assert classes_covered(hist, coverage_thresholds(np.full(10, 0.1))) == 1


def test_coverage_threshold_is_a_fifth_of_the_real_share():
    real = np.full(10, 0.1)
    assert COVERAGE_FRACTION == 0.2
    np.testing.assert_allclose(coverage_thresholds(real), np.full(10, 0.02))
    # 6 of 256 = 2.3% counts, 5 of 256 = 1.95% does not
    labels = np.array([0] * 6 + [1] * 5 + [2] * 245)
    assert classes_covered(class_histogram(labels, 10), coverage_thresholds(real)) == 2


def test_coverage_counts_a_class_at_exactly_the_threshold():
    assert classes_covered(np.array([0.5, 0.25, 0.25]), 0.25) == 3
    assert classes_covered(np.array([0.5, 0.25, 0.25]), np.array([0.1, 0.3, 0.1])) == 2


# ------------------------------------------------------------------ KL
def test_kl_of_identical_distributions_is_zero():
    p = np.array([0.2, 0.3, 0.5])
    assert kl_divergence(p, p) == pytest.approx(0.0, abs=1e-9)


def test_kl_matches_the_hand_worked_value():
    # 0.5 ln(0.5 / 0.25) + 0.5 ln(0.5 / 0.75)
    assert kl_divergence(np.array([0.5, 0.5]), np.array([0.25, 0.75])) == pytest.approx(
        0.5 * math.log(2) + 0.5 * math.log(2 / 3), rel=1e-5)


def test_kl_of_one_class_is_minus_the_log_of_its_real_share():
    assert kl_divergence(np.array([0.0, 1.0, 0.0, 0.0]), np.full(4, 0.25)) == pytest.approx(math.log(4), rel=1e-5)


def test_kl_is_finite_when_a_real_class_is_empty_thanks_to_smoothing():
    # q smoothed with eps = 1e-6: the missing class gets 1e-6 / (1 + 2e-6)
    value = kl_divergence(np.array([0.5, 0.5]), np.array([1.0, 0.0]))
    q1 = 1e-6 / (1 + 2e-6)
    q0 = (1 + 1e-6) / (1 + 2e-6)
    assert value == pytest.approx(0.5 * math.log(0.5 / q0) + 0.5 * math.log(0.5 / q1), rel=1e-9)


def test_kl_normalises_counts():
    assert kl_divergence(np.array([2, 2]), np.array([1, 3])) == pytest.approx(
        kl_divergence(np.array([0.5, 0.5]), np.array([0.25, 0.75])))


# ------------------------------------------------------------------ Frechet distance
def test_identical_sets_are_at_frechet_distance_zero():
    f = np.random.default_rng(0).normal(size=(300, 16)) @ np.random.default_rng(1).normal(size=(16, 16))
    mu, cov = gaussian_stats(f)
    assert frechet_distance(mu, cov, mu, cov) == pytest.approx(0.0, abs=1e-8)


def test_frechet_distance_in_one_dimension():
    # N(0, 1) vs N(3, 4): 3^2 + 1 + 4 - 2 * sqrt(1 * 4) = 10
    assert frechet_distance(np.array([0.0]), np.array([[1.0]]), np.array([3.0]), np.array([[4.0]])) == \
        pytest.approx(10.0)


def test_frechet_distance_of_non_commuting_covariances_matches_the_2x2_closed_form():
    # for 2x2 PSD A: tr sqrt(A) = sqrt(tr A + 2 sqrt(det A)); here A = S1^1/2 S2 S1^1/2,
    # tr A = tr(S1 S2), det A = det S1 det S2
    s1 = np.array([[2.0, 0.7], [0.7, 1.0]])
    s2 = np.array([[1.0, -0.4], [-0.4, 3.0]])
    mu1, mu2 = np.array([1.0, -2.0]), np.array([0.0, 0.5])
    cross = math.sqrt(np.trace(s1 @ s2) + 2 * math.sqrt(np.linalg.det(s1) * np.linalg.det(s2)))
    expected = 1.0 + 6.25 + np.trace(s1) + np.trace(s2) - 2 * cross
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-10)
    assert frechet_distance(mu2, s2, mu1, s1) == pytest.approx(expected, rel=1e-10)


def test_frechet_distance_is_stable_for_singular_covariances():
    # dead features (zero variance) and a rank-1 covariance: diag(1, 0) vs diag(4, 0) -> 1 + 4 - 2 * 2 = 1
    z = np.zeros(2)
    assert frechet_distance(z, np.diag([1.0, 0.0]), z, np.diag([4.0, 0.0])) == pytest.approx(1.0)
    # fewer samples than dimensions: identical sets still give ~0, never negative or NaN
    f = np.random.default_rng(2).normal(size=(5, 40))
    mu, cov = gaussian_stats(f)
    d = frechet_distance(mu, cov, mu, cov)
    assert d == pytest.approx(0.0, abs=1e-8) and d >= 0


def test_sqrtm_psd_squares_back():
    a = np.random.default_rng(3).normal(size=(6, 6))
    s = a @ a.T
    root = sqrtm_psd(s)
    np.testing.assert_allclose(root @ root, s, atol=1e-10)
    np.testing.assert_allclose(root, root.T)


def test_frechet_distance_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="shapes"):
        frechet_distance(np.zeros(2), np.eye(2), np.zeros(3), np.eye(3))


# ------------------------------------------------------------------ Inception-Score analogue
def test_inception_score_of_confident_evenly_spread_predictions_is_the_class_count():
    assert inception_score(one_hot(np.arange(40) % 10, 10)) == pytest.approx(10.0)


def test_inception_score_of_one_class_is_one():
    assert inception_score(one_hot(np.full(30, 4), 10)) == pytest.approx(1.0)
    assert inception_score(np.full((30, 10), 0.1)) == pytest.approx(1.0)


def test_inception_score_matches_the_hand_worked_value():
    # p(y) = [0.75, 0.25]; KL rows: ln(1/0.75) and 0.5 ln(0.5/0.75) + 0.5 ln(0.5/0.25)
    row1 = math.log(1 / 0.75)
    row2 = 0.5 * math.log(0.5 / 0.75) + 0.5 * math.log(2)
    assert inception_score(np.array([[1.0, 0.0], [0.5, 0.5]])) == pytest.approx(math.exp((row1 + row2) / 2))


# ------------------------------------------------------------------ the reference
def real_set(n=40, d=3, k=4, seed=0):
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % k
    features = rng.normal(size=(n, d)) + labels[:, None]
    return features, one_hot(labels, k), labels


def test_reference_baseline_is_the_other_half_scored_like_a_generated_set():
    features, probs, labels = real_set(n=40)
    ref = QualityReference.build(features, probs, sample_size=20)
    half, rest = split_indices(40)
    assert (ref.reference_size, ref.baseline_rounds, ref.sample_size) == (20, 1, 20)
    assert set(half) | set(rest) == set(range(40)) and not set(half) & set(rest)
    # the reference half itself: distance ~0, class KL 0
    same = ref.score(features[half], probs[half])
    assert same.frechet == pytest.approx(0.0, abs=1e-8)
    assert same.class_kl == pytest.approx(0.0, abs=1e-9)
    # the other half is what the baseline measured
    other = ref.score(features[rest], probs[rest])
    assert ref.frechet_baseline == pytest.approx(other.frechet)
    assert ref.kl_baseline == pytest.approx(other.class_kl)
    assert ref.inception_score_real == pytest.approx(other.inception_score)
    assert ref.frechet_baseline_std == 0.0
    np.testing.assert_allclose(ref.class_distribution, class_histogram(labels[half], 4))


def test_reference_averages_disjoint_subsets_of_the_sample_size():
    features, probs, _ = real_set(n=100)
    ref = QualityReference.build(features, probs, sample_size=10, rounds=3)
    _, rest = split_indices(100)
    scores = [ref.score(features[rest[i * 10:(i + 1) * 10]], probs[rest[i * 10:(i + 1) * 10]]) for i in range(3)]
    assert ref.baseline_rounds == 3
    assert ref.frechet_baseline == pytest.approx(np.mean([s.frechet for s in scores]))
    assert ref.frechet_baseline_std == pytest.approx(np.std([s.frechet for s in scores]))


def test_a_single_class_generated_set_covers_one_class_and_scores_low():
    features, probs, labels = real_set(n=40, k=4)
    ref = QualityReference.build(features, probs, sample_size=20)
    fake = ref.score(np.tile(features[labels == 2][:1], (20, 1)) + np.linspace(0, 1, 20)[:, None],
                     one_hot(np.full(20, 2), 4))
    share = ref.class_distribution[2]
    assert fake.classes_covered == 1
    assert fake.class_histogram == (0.0, 0.0, 1.0, 0.0)
    assert fake.class_kl == pytest.approx(-math.log((share + 1e-6) / (1 + 4e-6)), rel=1e-9)
    assert fake.inception_score == pytest.approx(1.0)


def test_reference_needs_twice_the_sample_size_and_matching_sets():
    features, probs, _ = real_set(n=40)
    with pytest.raises(ValueError, match="need at least 42"):
        QualityReference.build(features, probs, sample_size=21)
    ref = QualityReference.build(features, probs, sample_size=20)
    with pytest.raises(ValueError, match="build a reference for 10"):
        ref.score(features[:10], probs[:10])
    with pytest.raises(ValueError, match="same N"):
        QualityReference.build(features, probs[:30], sample_size=10)
