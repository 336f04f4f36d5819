"""A server-wide cap on how many runners train at once (a workshop server's CPU is shared)."""

from __future__ import annotations

import os
import threading

DEFAULT_MAX_TRAINING = 4
ENV_MAX_TRAINING = "GANLAB_MAX_TRAINING_RUNS"


class CapacityError(RuntimeError):
    """No training slot is free; the message tells the user what to do."""


def max_training_from_env(default: int = DEFAULT_MAX_TRAINING) -> int:
    raw = os.environ.get(ENV_MAX_TRAINING, "")
    try:
        value = int(raw)
    except ValueError:
        return default
    return value if value >= 1 else default


class TrainingSlots:
    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self._holders: set[str] = set()
        self._lock = threading.Lock()

    def acquire(self, holder: str) -> None:
        """Take a slot for `holder` (idempotent); raise CapacityError when all are taken."""
        with self._lock:
            if holder in self._holders:
                return
            if len(self._holders) >= self.limit:
                raise CapacityError(
                    f"This server is already training {self.limit} run(s) at once, its limit. "
                    "Pause a run in another tab, or wait for someone to pause theirs, then press Play again. "
                    f"(A host can raise the limit with the {ENV_MAX_TRAINING} environment variable.)"
                )
            self._holders.add(holder)

    def release(self, holder: str) -> None:
        with self._lock:
            self._holders.discard(holder)

    @property
    def in_use(self) -> int:
        with self._lock:
            return len(self._holders)
