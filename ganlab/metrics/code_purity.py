"""InfoGAN's code purity (Chen et al. 2016): how well a categorical code c in 0..K-1 picks out a class.

Generate samples for each code value, classify each one into M classes (a toy distribution's nearest
mode, a digit classifier's argmax), count them in a K x M table, match codes to classes one-to-one so
the matched counts add up to the most, and report matched / total. The code's values carry no names,
so a generator that sends code 3 to the digit 7 every time is as pure as one that sends it to 3: the
matching, not the diagonal, is what counts. The paper's 5% error on MNIST is a purity of 0.95.

Pure numpy (no scipy, no torch): the matching is the Hungarian algorithm, written out below."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


def _integer_array(values: np.ndarray, name: str, upper: int) -> np.ndarray:
    a = np.asarray(values)
    if a.ndim != 1:
        raise ValueError(f"{name} must be a 1-d array, got {a.ndim} dimensions")
    if a.size == 0:
        raise ValueError(f"{name} is empty: code purity needs at least one sample")
    if a.dtype.kind not in "iu":
        raise ValueError(f"{name} must hold integers, got {a.dtype} values")
    if a.min() < 0 or a.max() >= upper:
        raise ValueError(f"{name} must lie in 0..{upper - 1}, got values from {a.min()} to {a.max()}")
    return a.astype(np.int64)


def count_matrix(codes: np.ndarray, classes: np.ndarray, num_codes: int, num_classes: int) -> np.ndarray:
    """(K, M) int64 table: how many samples generated with code k were classified as class m.
    The sizes are given, not read from the data, so a code or class nobody hit still has its row."""
    if num_codes < 1 or num_classes < 1:
        raise ValueError(f"need at least one code and one class, got {num_codes} codes and {num_classes} classes")
    c = _integer_array(codes, "codes", num_codes)
    m = _integer_array(classes, "classes", num_classes)
    if c.size != m.size:
        raise ValueError(f"codes and classes must have one entry per sample, got {c.size} codes and {m.size} classes")
    return np.bincount(c * num_classes + m, minlength=num_codes * num_classes).reshape(num_codes, num_classes)


def _hungarian(cost: np.ndarray) -> np.ndarray:
    """Minimum-cost perfect matching of a square matrix: the column of each row. Kuhn-Munkres as
    shortest augmenting paths (the form of Crouse 2016, scipy's): each round matches one more row by
    Dijkstra on the reduced costs cost - u - v, then moves the potentials u, v so they stay tight;
    O(n^3), the scan over columns vectorised. Among tied columns an unmatched one is taken, ending
    the round at once, so tables full of ties (a code-blind G's) stay fast."""
    n = cost.shape[0]
    u, v = np.zeros(n), np.zeros(n)
    row_of = np.full(n, -1, dtype=np.int64)  # each column's row, -1 for none
    col_of = np.full(n, -1, dtype=np.int64)  # each row's column
    path = np.zeros(n, dtype=np.int64)  # the row before each column on the shortest path
    settled = np.zeros(n)  # each column's distance when Dijkstra reached it
    for start in range(n):
        reduced_cost = cost - v
        dist = np.full(n, np.inf)  # columns not yet reached; inf once reached
        done = np.zeros(n, dtype=bool)
        unmatched = np.flatnonzero(row_of < 0)
        rows, i, reached = [], start, 0.0
        while True:
            rows.append(i)
            through_i = reduced_cost[i] + (reached - u[i])
            through_i[done] = np.inf
            path[through_i < dist] = i
            np.minimum(dist, through_i, out=dist)
            j = int(dist.argmin())
            reached = float(dist[j])
            if row_of[j] >= 0:  # prefer an unmatched column at the same distance
                k = int(unmatched[dist[unmatched].argmin()])
                j = k if dist[k] == reached else j
            settled[j], dist[j], done[j] = reached, np.inf, True
            if row_of[j] < 0:
                break
            i = int(row_of[j])
        u[start] += reached
        tree = np.array(rows[1:], dtype=np.int64)
        u[tree] += reached - settled[col_of[tree]]
        v[done] -= reached - settled[done]
        while True:  # flip the path from the free column j back to the new row
            i = int(path[j])
            row_of[j] = i
            col_of[i], j = j, int(col_of[i])
            if i == start:
                break
    return col_of


def best_matching(counts: np.ndarray) -> np.ndarray:
    """For each code (row), the class (column) it is matched to, or -1: one-to-one, with the largest
    sum of matched counts. A K x M table is padded with zero rows or columns to square; a code matched
    to a padding column (K > M) is unmatched. When K <= M every code gets a class, even one it never hit."""
    c = np.asarray(counts, dtype=np.float64)
    if c.ndim != 2:
        raise ValueError(f"counts must be a 2-d (codes x classes) table, got {c.ndim} dimensions")
    if not np.isfinite(c).all():
        raise ValueError("counts must be finite numbers")
    k, m = c.shape
    if k == 0 or m == 0:
        return np.full(k, -1, dtype=np.int64)
    n = max(k, m)
    cost = np.zeros((n, n))
    cost[:k, :m] = -c  # minimising -counts maximises counts; padding costs 0 either way
    column = _hungarian(cost)[:k]
    return np.where(column < m, column, -1)


def chance_purity(counts: np.ndarray) -> float:
    """The purity of a generator that ignores the code, given this table's code and class shares.
    Ignoring the code, the expected table is n * q p^T (q: code shares, p: class shares), rank one;
    a matching scores n * sum_k q_k p_sigma(k), largest (rearrangement inequality) when the codes and
    classes are paired in order of size: chance = sum over i < min(K, M) of q_(i) p_(i), both sorted
    descending. With codes equally often (q = 1/K) that is (1/K) * (the min(K, M) largest p_j): 1/M
    for K = M and even classes. It is the purity of the expected table; on a finite sample the noise
    lets a code-blind generator's observed purity sit a little above it (the best of noisy counts)."""
    c = np.asarray(counts, dtype=np.float64)
    total = c.sum()
    q = np.sort(c.sum(axis=1))[::-1] / total
    p = np.sort(c.sum(axis=0))[::-1] / total
    r = min(q.size, p.size)
    return float(np.dot(q[:r], p[:r]))


@dataclass(frozen=True)
class PurityResult:
    """The score with what it rests on: the table and matching to read it, chance to compare it with."""

    purity: float  # matched samples / all samples, in [0, 1]
    matching: tuple[int, ...]  # for each code, its class or -1
    counts: np.ndarray = field(compare=False)  # the (K, M) table, read-only
    chance: float  # what a code-blind generator would score on these shares (chance_purity); purity
    # can fall below it: [[2, 1], [1, 0]] matches 2 of 4 against a chance of 10/16


def code_purity(codes: np.ndarray, classes: np.ndarray, num_codes: int, num_classes: int) -> PurityResult:
    """Code purity of samples generated with `codes` and classified as `classes` (one entry each)."""
    counts = count_matrix(codes, classes, num_codes, num_classes)
    matching = best_matching(counts)
    rows = np.flatnonzero(matching >= 0)
    matched = int(counts[rows, matching[rows]].sum())
    counts.setflags(write=False)
    return PurityResult(purity=matched / int(counts.sum()), matching=tuple(int(j) for j in matching),
                        counts=counts, chance=chance_purity(counts))
