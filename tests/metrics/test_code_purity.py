"""InfoGAN's code purity: the count table, the Hungarian matching (against tables worked by hand and
against brute force), the chance level, and the plain errors for bad input."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest

from ganlab.metrics.code_purity import best_matching, chance_purity, code_purity, count_matrix


def samples_of(counts: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Codes and classes, one entry per sample, whose count table is `counts`."""
    table = np.asarray(counts)
    k, m = np.indices(table.shape)
    return np.repeat(k.ravel(), table.ravel()), np.repeat(m.ravel(), table.ravel())


def matched_total(counts: np.ndarray, matching: np.ndarray) -> int:
    rows = np.flatnonzero(matching >= 0)
    return int(np.asarray(counts)[rows, matching[rows]].sum())


def brute_force_total(counts: np.ndarray) -> int:
    k, m = counts.shape
    if k <= m:
        return max(sum(counts[i, j] for i, j in enumerate(cols)) for cols in itertools.permutations(range(m), k))
    return max(sum(counts[i, j] for j, i in enumerate(rows)) for rows in itertools.permutations(range(k), m))


def greedy_total(counts: np.ndarray) -> int:
    """Take the largest count left, strike its row and column, repeat."""
    c = counts.astype(np.float64).copy()
    total = 0
    for _ in range(min(c.shape)):
        i, j = np.unravel_index(np.argmax(c), c.shape)
        total += int(counts[i, j])
        c[i, :] = -np.inf
        c[:, j] = -np.inf
    return total


def test_count_matrix_counts_each_code_class_pair():
    codes = np.array([0, 0, 1, 2, 2, 2])
    classes = np.array([1, 1, 0, 3, 3, 0])
    assert count_matrix(codes, classes, 3, 4).tolist() == [[0, 2, 0, 0], [1, 0, 0, 0], [1, 0, 0, 2]]
    assert count_matrix(codes, classes, 3, 4).dtype == np.int64


def test_square_table_worked_by_hand_where_greedy_goes_wrong():
    # [[7, 6, 0], [6, 0, 1], [0, 2, 5]], 27 samples. The six one-to-one matchings (class of code 0, 1, 2):
    # (0,1,2) 7+0+5=12  (0,2,1) 7+1+2=10  (1,0,2) 6+6+5=17  (1,2,0) 6+1+0=7  (2,0,1) 0+6+2=8  (2,1,0) 0
    # best (1,0,2): 17/27. Greedy takes the 7 first and is stuck at 12.
    # Chance: code shares (13,7,7)/27, class shares (13,8,6)/27 -> (13*13 + 7*8 + 7*6)/27^2 = 267/729.
    table = [[7, 6, 0], [6, 0, 1], [0, 2, 5]]
    result = code_purity(*samples_of(table), 3, 3)
    assert result.counts.tolist() == table
    assert result.matching == (1, 0, 2)
    assert result.purity == pytest.approx(17 / 27)
    assert result.chance == pytest.approx(267 / 729)
    assert greedy_total(np.asarray(table)) == 12


def test_more_classes_than_codes_worked_by_hand():
    # [[1, 4, 3, 0], [2, 5, 0, 1]], 16 samples. If code 1 takes class 1 (5), code 0's best other is class 2 (3): 8;
    # if code 1 takes class 0 (2), code 0 takes class 1 (4): 6; otherwise code 1 adds <= 1 and the total <= 5.
    # Best (2, 1): 8/16 = 0.5. Chance: codes (8,8)/16, classes sorted (9,3,3,1)/16 -> 0.5 * (9+3)/16 = 0.375.
    result = code_purity(*samples_of([[1, 4, 3, 0], [2, 5, 0, 1]]), 2, 4)
    assert result.matching == (2, 1)
    assert result.purity == 0.5
    assert result.chance == pytest.approx(0.375)


def test_more_codes_than_classes_worked_by_hand():
    # [[3, 1], [0, 2], [4, 4], [1, 0]], 15 samples: two codes get the two classes, two go unmatched.
    # class 0 from code 2 (4) + class 1 from code 1 (2) = 6; class 0 from code 0 (3) + class 1 from code 2 (4) = 7;
    # class 0 from code 2 + class 1 from code 0 = 5; any other pair <= 5. Best: code 0 -> 0, code 2 -> 1: 7/15.
    # Chance: codes sorted (8,4,2,1)/15, classes (8,7)/15 -> (8*8 + 4*7)/15^2 = 92/225.
    result = code_purity(*samples_of([[3, 1], [0, 2], [4, 4], [1, 0]]), 4, 2)
    assert result.matching == (0, -1, 1, -1)
    assert result.purity == pytest.approx(7 / 15)
    assert result.chance == pytest.approx(92 / 225)


def test_a_permuted_perfect_generator_is_fully_pure():
    permutation = np.array([3, 0, 4, 1, 2])
    codes = np.repeat(np.arange(5), 20)
    result = code_purity(codes, permutation[codes], 5, 5)
    assert result.purity == 1.0
    assert result.matching == (3, 0, 4, 1, 2)
    assert result.chance == pytest.approx(0.2)  # five classes, equally often


def test_a_generator_that_ignores_the_code_scores_chance():
    codes = np.repeat(np.arange(10), 100)
    classes = np.tile(np.arange(10), 100)  # every code's 100 samples: 10 of each class
    result = code_purity(codes, classes, 10, 10)
    assert result.counts.tolist() == [[10] * 10] * 10
    assert result.purity == 0.1
    assert result.chance == pytest.approx(0.1)


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        # equal codes: (1/K) * (the min(K, M) largest class shares)
        ([[5, 3, 2], [5, 3, 2]], 0.5 * (0.5 + 0.3)),  # 0.4; the table matches 5 + 3 of 20 = 0.4 too
        ([[7, 3]] * 4, 0.25 * (0.7 + 0.3)),  # 0.25: four codes, two classes; matched 7 + 3 of 40
        # unequal codes (0.75, 0.25), classes (0.6, 0.4): largest with largest, 0.75*0.6 + 0.25*0.4
        ([[9, 6], [3, 2]], 0.55),  # matched max(9 + 2, 6 + 3) = 11 of 20 = 0.55
    ],
)
def test_chance_of_a_code_blind_table_worked_by_hand(table, expected):
    result = code_purity(*samples_of(table), len(table), len(table[0]))
    assert result.chance == pytest.approx(expected)
    assert result.purity == pytest.approx(expected)  # an exactly code-blind table scores exactly chance


def test_purity_can_fall_below_chance_on_a_small_table():
    # [[2, 1], [1, 0]]: the matchings score 2 + 0 or 1 + 1, so 2/4; chance (3,1)/4 with (3,1)/4 is 10/16.
    assert chance_purity(np.array([[2, 1], [1, 0]])) == pytest.approx(10 / 16)
    assert code_purity(*samples_of([[2, 1], [1, 0]]), 2, 2).purity == 0.5


def test_hungarian_equals_brute_force_on_random_small_tables():
    rng = np.random.default_rng(20160612)
    for _ in range(200):
        k, m = rng.integers(1, 7, size=2)
        high = int(rng.choice([3, 10, 1000]))  # few values (many ties) to many
        counts = rng.integers(0, high, size=(k, m))
        matching = best_matching(counts)
        assert matching.shape == (k,)
        matched = matching[matching >= 0]
        assert len(matched) == min(k, m)  # every code (K <= M) or every class (K > M) is used
        assert len(set(matched.tolist())) == len(matched)  # one-to-one
        assert matched.min() >= 0 and matched.max() < m
        assert matched_total(counts, matching) == brute_force_total(counts), counts


def test_every_code_gets_a_class_when_there_are_enough_even_one_it_never_hit():
    matching = best_matching(np.array([[0, 0, 0], [0, 0, 5]]))
    assert matching[1] == 2
    assert matching[0] in (0, 1)


def test_a_100_by_100_table_is_fast_and_beats_greedy():
    rng = np.random.default_rng(7)
    counts = rng.integers(0, 100, size=(100, 100))
    best_matching(counts)  # warm-up: numpy's first calls
    start = time.perf_counter()
    matching = best_matching(counts)
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0  # ~0.01 s on one core; the bound leaves room for a loaded test machine
    assert sorted(matching.tolist()) == list(range(100))
    assert matched_total(counts, matching) >= greedy_total(counts)


def test_a_sorted_rank_one_table_the_slowest_shape_pairs_largest_with_largest():
    # counts[k, m] = (k+1)(m+1): every new row's augmenting path runs through all earlier rows (n^2/2
    # Dijkstra steps, ~0.04 s). Rearrangement: the unique best pairs row k with column k (largest with largest).
    counts = np.outer(np.arange(1, 101), np.arange(1, 101))
    start = time.perf_counter()
    matching = best_matching(counts)
    assert time.perf_counter() - start < 1.0
    assert matching.tolist() == list(range(100))


def test_a_planted_permutation_in_a_100_by_100_table_is_found():
    rng = np.random.default_rng(11)
    permutation = rng.permutation(100)
    counts = rng.integers(0, 50, size=(100, 100))
    counts[np.arange(100), permutation] += 1000
    assert best_matching(counts).tolist() == permutation.tolist()


def test_the_result_holds_a_read_only_table():
    result = code_purity(np.array([0, 1]), np.array([1, 0]), 2, 2)
    assert not result.counts.flags.writeable
    with pytest.raises(ValueError):
        result.counts[0, 0] = 5


@pytest.mark.parametrize(
    ("codes", "classes", "num_codes", "num_classes", "message"),
    [
        ([0, 1, 1], [0, 1], 2, 2, "one entry per sample, got 3 codes and 2 classes"),
        ([], [], 2, 2, "codes is empty"),
        ([0, 2], [0, 1], 2, 2, r"codes must lie in 0\.\.1, got values from 0 to 2"),
        ([0, 1], [-1, 1], 2, 2, r"classes must lie in 0\.\.1, got values from -1 to 1"),
        ([0.0, 1.0], [0, 1], 2, 2, "codes must hold integers, got float64"),
        ([0, 1], ["a", "b"], 2, 2, "classes must hold integers"),
        ([[0, 1]], [0, 1], 2, 2, "codes must be a 1-d array, got 2 dimensions"),
        ([0, 1], [0, 1], 0, 2, "at least one code and one class, got 0 codes"),
    ],
)
def test_bad_input_is_refused_in_plain_words(codes, classes, num_codes, num_classes, message):
    with pytest.raises(ValueError, match=message):
        code_purity(np.asarray(codes), np.asarray(classes), num_codes, num_classes)


def test_a_count_table_must_be_two_dimensional_and_finite():
    with pytest.raises(ValueError, match="2-d"):
        best_matching(np.array([1, 2, 3]))
    with pytest.raises(ValueError, match="finite"):
        best_matching(np.array([[1.0, np.nan]]))
