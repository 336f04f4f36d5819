"""Who trains on a workshop server, and how much of it each run gets.

Every run that asks trains at once: the cores are shared by the operating system (each trainer
is a process with one torch thread, so 30 runs on 2 cores each get about 1/15 of a core, and a
small room gets one core per run at full speed). What can run out is memory: a run takes its
estimated memory (ganlab.training.memory_budget, plus its process) from the memory this server
has for training, and a run that does not fit waits in line (QUEUED) until a run pauses or
leaves. A host may also cap the number of runs (GANLAB_MAX_TRAINING_RUNS; a Ray cluster's CPUs):
beyond it, runs wait in line the same way. README, "A fair share of the server", says why.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any, Callable

from ganlab.training.crowding import CrowdingPriority

log = logging.getLogger(__name__)

ENV_MAX_TRAINING = "GANLAB_MAX_TRAINING_RUNS"
GIB = 2**30


MOST_REFRESH_SLOWDOWN = 4.0


def refresh_interval(interval: float, training: int, cores: int) -> float:
    """A live page's refresh interval when `training` runs share `cores` cores: each refresh costs its
    trainer a view (D on a grid, G on samples) at a fixed rate per second, while a run sharing a core
    makes fewer steps per second; the view then ate the steps (30 runs on 2 cores with pages every
    0.45 s: 197 summed steps/s, 263 without pages). Slower by the square root of the crowding (at
    most 4x): the picture still moves about as many steps per refresh as it did alone."""
    crowding = training / max(1, cores)
    if crowding <= 1:
        return interval
    return interval * min(MOST_REFRESH_SLOWDOWN, crowding ** 0.5)


class CapacityError(RuntimeError):
    """No room to train now; the message tells the user what to do."""


def usable_cores() -> int:
    """The cores this process may run on (its affinity mask, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def max_training_from_env(default: int | None = None) -> int:
    """`GANLAB_MAX_TRAINING_RUNS`, else `default`, else one run per usable core."""
    cap = host_cap_from_env()
    if cap is not None:
        return cap
    return default if default is not None else usable_cores()


def host_cap_from_env() -> int | None:
    """The host's cap on runs training at once (`GANLAB_MAX_TRAINING_RUNS`), or None: no cap."""
    raw = os.environ.get(ENV_MAX_TRAINING, "")
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if value >= 1 else None


def _size(n: int) -> str:
    return f"{n / GIB:.1f} GB" if n >= GIB / 10 else f"{n / 2**20:.0f} MB"


class TrainingSlots:
    """`limit`: runs training at once (None: no count cap); `memory`: bytes the training runs may
    need together (None: not counted); `cores`: what the training runs share (the share shown)."""

    def __init__(self, limit: int | None = None, *, memory: int | None = None, cores: int | None = None) -> None:
        if limit is not None and limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self.memory = memory
        self.cores = cores if cores is not None else usable_cores()
        self._holders: dict[str, int] = {}  # holder -> the memory it took
        self._waiting: list[tuple[str, Callable[[], None], int]] = []
        self._lock = threading.Lock()
        self.priority = CrowdingPriority(self.cores)
        self._priority_lock = threading.Lock()  # the trainers' niceness follows the holders in order

    def track_process(self, holder: str, run: Any) -> None:
        """`run` (with a `pid`) trains as `holder`: its process steps back while the server is
        crowded (ganlab.training.crowding)."""
        self.priority.track(holder, run)

    def forget_process(self, holder: str) -> None:
        self.priority.forget(holder)

    def leave(self, holder: str) -> None:
        """`holder` is gone for good (its run released): its room back, its process no longer tracked."""
        self.release(holder)
        self.forget_process(holder)

    def refresh_priority(self) -> None:
        """The trainers' niceness set for the runs training now (also when a run's process started)."""
        with self._priority_lock:
            with self._lock:
                training = set(self._holders)
            try:
                self.priority.apply(training)
            except Exception:  # a priority is a nicety: never a reason for a Play to fail
                log.exception("setting the trainers' priority failed")

    # ------------------------------------------------------------------ taking and giving back
    def acquire(self, holder: str, need: int = 0) -> None:
        """Take room for `holder` now (idempotent); raise CapacityError when there is none (runs
        waiting in line come first)."""
        with self._lock:
            if holder in self._holders:
                return
            self._check_possible(need)
            if self._waiting or not self._fits(need):
                raise CapacityError(self._full_text())
            self._holders[holder] = need
        self.refresh_priority()

    def request(self, holder: str, on_grant: Callable[[], None], need: int = 0) -> bool:
        """Take room now (True), or join the line (False): `on_grant()` is called, from the thread
        that frees room, once `holder` holds it. Asking again while in line keeps the place."""
        with self._lock:
            if holder in self._holders:
                return True
            self._check_possible(need)
            granted = self._fits(need) and not self._waiting
            if granted:
                self._holders[holder] = need
            elif all(h != holder for h, _, _ in self._waiting):
                self._waiting.append((holder, on_grant, need))
        if granted:
            self.refresh_priority()
        return granted

    def release(self, holder: str) -> None:
        """Give `holder`'s room back (or leave the line); those next in line that now fit get it,
        in their order (the first waits for room before any later one is let in)."""
        with self._lock:
            self._holders.pop(holder, None)
            self._waiting = [w for w in self._waiting if w[0] != holder]
            granted = []
            while self._waiting and self._fits(self._waiting[0][2]):
                next_holder, callback, need = self._waiting.pop(0)
                self._holders[next_holder] = need
                granted.append(callback)
        self.refresh_priority()
        for callback in granted:
            try:
                callback()
            except Exception:  # the granted run's problem; the room goes back through its release
                log.exception("starting a queued run failed")

    def _fits(self, need: int) -> bool:
        count_ok = self.limit is None or len(self._holders) < self.limit
        return count_ok and (self.memory is None or sum(self._holders.values()) + need <= self.memory)

    def _check_possible(self, need: int) -> None:
        if self.memory is not None and need > self.memory:
            raise CapacityError(
                f"This run would need about {_size(need)} of memory to train, more than this server has for all "
                f"training runs together ({_size(self.memory)}): lower the batch size or the width.")

    def _full_text(self) -> str:
        if self.limit is not None and len(self._holders) >= self.limit:
            return (f"This server is already training {self.limit} run(s) at once, its limit. "
                    "Pause a run in another tab, or wait for someone to pause theirs, then press Play (or Step) "
                    f"again. (A host can raise the limit with the {ENV_MAX_TRAINING} environment variable.)")
        return (f"This server's memory for training is taken by the {len(self._holders)} runs training now. "
                "Pause a run in another tab, or wait for someone to pause theirs, then press Play (or Step) again.")

    # ------------------------------------------------------------------ what the pages show
    def waiting_reason(self) -> str:
        """Why runs wait in line, for the page of one that does."""
        with self._lock:
            if self.limit is not None and len(self._holders) >= self.limit:
                return f"this server trains {self.limit} run{'s' * (self.limit != 1)} at once and all are busy"
            return f"the {len(self._holders)} runs training now hold the memory this server has for training"

    def position(self, holder: str) -> int | None:
        """1 for the next run in line, 2 for the one after, ...; None when not waiting."""
        with self._lock:
            return next((i for i, (h, _, _) in enumerate(self._waiting, 1) if h == holder), None)

    def holds(self, holder: str) -> bool:
        with self._lock:
            return holder in self._holders

    @property
    def in_use(self) -> int:
        """Runs training now (a Step counts while it runs): what the cores are shared between."""
        with self._lock:
            return len(self._holders)

    @property
    def memory_in_use(self) -> int:
        with self._lock:
            return sum(self._holders.values())

    @property
    def waiting(self) -> int:
        with self._lock:
            return len(self._waiting)
