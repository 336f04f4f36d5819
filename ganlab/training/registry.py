"""Server-wide bookkeeping of runners: who owns each one, and releasing the orphans.

Each browser session owns its runner, found again by a token (kept in the page
URL) so a refreshed page re-attaches to training that is still running. A runner
whose owner has gone (tab closed) is released after a grace period, so a
workshop server does not fill up with forgotten threads.

Liveness is injected (`is_owner_alive`), keeping this module free of Streamlit.
"""

from __future__ import annotations

import ctypes
import gc
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Mapping

from ganlab.training.runner import Runner
from ganlab.training.slots import TrainingSlots

DEFAULT_GRACE_S = 120.0


def return_freed_memory() -> None:
    """After runs are released: collect their cycles and hand the freed heap back to the system
    (glibc keeps it otherwise, and a workshop server's memory would stay at its busiest)."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to trim
        pass


@dataclass
class _Entry:
    runner: Runner
    owner: str
    orphaned_since: float | None = None
    created: float = 0.0


@dataclass(frozen=True)
class RunEntry:
    """One live run as the class view lists it. No token: a token is the key to someone's run, and
    the host's page must never show one. `participant` numbers the owning browser sessions in order
    of arrival (1, 2, ...), stable while the session lives; `labels` are what its pages reported
    (the lesson step it has open)."""

    participant: int
    runner: Runner
    created: float
    labels: Mapping[str, str] = field(default_factory=dict)


class RunnerRegistry:
    def __init__(
        self,
        slots: TrainingSlots,
        *,
        grace_s: float = DEFAULT_GRACE_S,
        is_owner_alive: Callable[[str], bool] = lambda owner: True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.slots = slots
        self.grace_s = grace_s
        self._is_owner_alive = is_owner_alive
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._participants: dict[str, int] = {}  # owner -> its number, in order of arrival
        self._labels: dict[str, dict[str, str]] = {}  # owner -> what its pages reported
        self._lock = threading.Lock()
        self._reaper: threading.Thread | None = None
        self._stop = threading.Event()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def create(self, owner: str, factory: Callable[[TrainingSlots], Runner]) -> tuple[str, Runner]:
        """Build a runner with this registry's training slots; returns (token, runner)."""
        runner = factory(self.slots)
        token = secrets.token_urlsafe(9)
        with self._lock:
            self._entries[token] = _Entry(runner, owner, created=self._clock())
            self._number(owner)
        return token, runner

    def _number(self, owner: str) -> int:
        """`owner`'s participant number (under the lock), given at its first run."""
        return self._participants.setdefault(owner, len(self._participants) + 1)

    def label_owner(self, owner: str, labels: Mapping[str, str]) -> None:
        """What `owner`'s pages report about it (its lesson step), shown beside each of its runs.
        Cheap (a dict under the lock): the participant side calls it on every page run."""
        with self._lock:
            if dict(labels) != self._labels.get(owner, {}):
                self._labels[owner] = dict(labels)

    def entries(self) -> list[RunEntry]:
        """Every run on the server, read-only and without tokens, oldest first (the class view)."""
        with self._lock:
            return [RunEntry(self._number(e.owner), e.runner, e.created, dict(self._labels.get(e.owner, {})))
                    for e in sorted(self._entries.values(), key=lambda e: e.created)]

    def get(self, token: str) -> Runner | None:
        """Look a runner up without taking ownership."""
        with self._lock:
            entry = self._entries.get(token)
            return entry.runner if entry else None

    def claim(self, token: str, owner: str) -> Runner | None:
        """Re-attach `owner` to the runner behind `token`.

        Refused (None) when the token is unknown, or when another session that is
        still open owns it (a copied link must not hijack someone's training)."""
        with self._lock:
            entry = self._entries.get(token)
            if entry is None:
                return None
            if entry.owner != owner and self._is_owner_alive(entry.owner):
                return None
            entry.owner = owner
            entry.orphaned_since = None
            self._number(owner)
            return entry.runner

    def release(self, token: str) -> None:
        with self._lock:
            entry = self._entries.pop(token, None)
        if entry is not None:
            entry.runner.release()

    def sweep(self) -> list[str]:
        """Release runners whose owner has been gone for longer than the grace period."""
        now = self._clock()
        expired = []
        with self._lock:
            for token, entry in self._entries.items():
                if self._is_owner_alive(entry.owner):
                    entry.orphaned_since = None
                elif entry.orphaned_since is None:
                    entry.orphaned_since = now
                elif now - entry.orphaned_since >= self.grace_s:
                    expired.append(token)
            self._forget_gone_owners()
        for token in expired:
            self.release(token)
        if expired:
            return_freed_memory()
        return expired

    def _forget_gone_owners(self) -> None:
        """Drop the labels of sessions that have closed and own no run (under the lock); their
        numbers stay taken, so a number always means one session."""
        owning = {e.owner for e in self._entries.values()}
        for owner in [o for o in self._labels if o not in owning and not self._is_owner_alive(o)]:
            del self._labels[owner]

    def start_reaper(self, every_s: float = 5.0) -> None:
        """Sweep in a daemon thread until `shutdown()`."""
        with self._lock:
            if self._reaper is not None:
                return
            self._reaper = threading.Thread(target=self._reap, args=(every_s,), name="ganlab-reaper", daemon=True)
        self._reaper.start()

    def _reap(self, every_s: float) -> None:
        while not self._stop.wait(every_s):
            self.sweep()

    def shutdown(self) -> None:
        self._stop.set()
        with self._lock:
            tokens = list(self._entries)
        for token in tokens:
            self.release(token)
