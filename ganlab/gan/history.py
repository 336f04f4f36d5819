"""A training history whose memory stays flat however long a run lasts.

Rows are averaged into buckets of `stride` steps. When the table is full,
neighbouring rows are merged pairwise and the stride doubles, so an hour-long
run keeps at most `capacity` rows, each the mean of the steps it covers (a
smoothed curve, not a sparse sample of a noisy one).
"""

from __future__ import annotations

import math
import warnings
from typing import Iterable, Mapping

import numpy as np


class BoundedHistory:
    def __init__(self, columns: Iterable[str], capacity: int = 2000) -> None:
        if capacity < 4 or capacity % 2:
            raise ValueError("capacity must be an even number of at least 4")
        self.columns = tuple(columns)
        self.capacity = capacity
        self.stride = 1
        self._steps = np.zeros(capacity, dtype=np.int64)
        self._values = np.full((capacity, len(self.columns)), np.nan)
        self._size = 0
        self._index = {c: i for i, c in enumerate(self.columns)}
        self._acc_sum = np.zeros(len(self.columns))
        self._acc_count = np.zeros(len(self.columns))
        self._acc_steps = 0

    def __len__(self) -> int:
        return self._size

    def append(self, step: int, record: Mapping[str, float]) -> None:
        """Add one step's values; keys not in `columns` are ignored, missing ones count as absent."""
        for key, value in record.items():
            i = self._index.get(key)
            if i is not None:
                self._acc_sum[i] += value
                self._acc_count[i] += 1
        self._acc_steps += 1
        if self._acc_steps >= self.stride:
            self._flush(step)

    def _flush(self, step: int) -> None:
        if self._size == self.capacity:
            self._halve()
            if self._acc_steps < self.stride:
                return  # the pending bucket holds half the new stride: keep accumulating
        with np.errstate(invalid="ignore", divide="ignore"):
            row = np.where(self._acc_count > 0, self._acc_sum / np.maximum(self._acc_count, 1), np.nan)
        self._steps[self._size] = step
        self._values[self._size] = row
        self._size += 1
        self._acc_sum[:] = 0
        self._acc_count[:] = 0
        self._acc_steps = 0

    def _halve(self) -> None:
        half = self.capacity // 2
        pairs = self._values.reshape(half, 2, -1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN pairs stay NaN
            merged = np.nanmean(pairs, axis=1)
        self._values[:half] = merged
        self._values[half:] = np.nan
        self._steps[:half] = self._steps[1::2]
        self._size = half
        self.stride *= 2

    def to_arrays(self) -> dict[str, np.ndarray]:
        """A copy: {"step": ..., column: ...}, safe to hand to another thread."""
        out = {"step": self._steps[: self._size].copy()}
        for c, i in self._index.items():
            out[c] = self._values[: self._size, i].copy()
        return out

    def last(self) -> dict[str, float]:
        if not self._size:
            return {}
        last = self._values[self._size - 1]
        return {c: float(last[i]) for c, i in self._index.items() if not math.isnan(last[i])}
