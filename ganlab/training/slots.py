"""A server-wide cap on how many runs train at once (a workshop server's cores are shared), with
a queue: a run that asks while every slot is taken waits in line and starts when one frees."""

from __future__ import annotations

import logging
import os
import threading
from typing import Callable

log = logging.getLogger(__name__)

ENV_MAX_TRAINING = "GANLAB_MAX_TRAINING_RUNS"


class CapacityError(RuntimeError):
    """No training slot is free; the message tells the user what to do."""


def usable_cores() -> int:
    """The cores this process may run on (its affinity mask, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def max_training_from_env(default: int | None = None) -> int:
    """`GANLAB_MAX_TRAINING_RUNS`, else `default`, else one run per usable core."""
    fallback = default if default is not None else usable_cores()
    raw = os.environ.get(ENV_MAX_TRAINING, "")
    try:
        value = int(raw)
    except ValueError:
        return fallback
    return value if value >= 1 else fallback


class TrainingSlots:
    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self._holders: set[str] = set()
        self._waiting: list[tuple[str, Callable[[], None]]] = []
        self._lock = threading.Lock()

    def acquire(self, holder: str) -> None:
        """Take a slot for `holder` now (idempotent); raise CapacityError when none is free
        (runs waiting in line come first)."""
        with self._lock:
            if holder in self._holders:
                return
            if len(self._holders) >= self.limit or self._waiting:
                raise CapacityError(
                    f"This server is already training {self.limit} run(s) at once, its limit. "
                    "Pause a run in another tab, or wait for someone to pause theirs, then press Play (or Step) again. "
                    f"(A host can raise the limit with the {ENV_MAX_TRAINING} environment variable.)"
                )
            self._holders.add(holder)

    def request(self, holder: str, on_grant: Callable[[], None]) -> bool:
        """Take a slot now (True), or join the line (False): `on_grant()` is called, from the thread
        that frees a slot, once `holder` holds one. Asking again while in line keeps the place."""
        with self._lock:
            if holder in self._holders:
                return True
            if len(self._holders) < self.limit and not self._waiting:
                self._holders.add(holder)
                return True
            if all(h != holder for h, _ in self._waiting):
                self._waiting.append((holder, on_grant))
            return False

    def release(self, holder: str) -> None:
        """Give `holder`'s slot back (or leave the line); the next in line gets the slot."""
        with self._lock:
            self._holders.discard(holder)
            self._waiting = [(h, cb) for h, cb in self._waiting if h != holder]
            granted = []
            while self._waiting and len(self._holders) < self.limit:
                next_holder, callback = self._waiting.pop(0)
                self._holders.add(next_holder)
                granted.append(callback)
        for callback in granted:
            try:
                callback()
            except Exception:  # the granted run's problem; the slot goes back through its release
                log.exception("starting a queued run failed")

    def position(self, holder: str) -> int | None:
        """1 for the next run in line, 2 for the one after, ...; None when not waiting."""
        with self._lock:
            return next((i for i, (h, _) in enumerate(self._waiting, 1) if h == holder), None)

    def holds(self, holder: str) -> bool:
        with self._lock:
            return holder in self._holders

    @property
    def in_use(self) -> int:
        with self._lock:
            return len(self._holders)

    @property
    def waiting(self) -> int:
        with self._lock:
            return len(self._waiting)
