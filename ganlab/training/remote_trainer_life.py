"""Starting and letting go of a remote run's trainer, and noticing that it died or hung (a
RemoteRunner mixin). A trainer that does not answer a call in QUICK_S seconds is hung: the run
shows the restart offer at once, and Restart (or Reset) kills it without waiting on it."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from ganlab.settings.config import Knobs
from ganlab.training.channel import WorkerLostError
from ganlab.training.runner_saving import end_saver

log = logging.getLogger(__name__)

OPEN_TIMEOUT_S = 120.0  # building a run can mean moving a dataset to a GPU
QUICK_S = 5.0  # a call that only queues a command or reads a counter: longer, and the trainer is hung
HUNG_AFTER_S = 8.0  # the background poll's patience (beyond its own wait): a busy machine is not a hung trainer
MAX_PATIENCE = 15.0  # at most this many times longer (30 runs on 2 cores: each gets 1/15 of a core)
KILL_WAIT_S = 0.5  # asking a hung or unwanted trainer to stop before it is killed
START_FAILED = ("The server could not start a trainer for this run (it may be short of memory, or the "
                "cluster unreachable). Try again in a moment; if it keeps failing, tell the workshop host.")


class TrainerStartError(RuntimeError):
    """No trainer could be started for a run; the message is for the user."""


class RemoteTrainerLife:
    """Uses the RemoteRunner's lock, factory, options, transport and its flags."""

    @property
    def pid(self) -> int | None:
        """The trainer's process id; None while the run has no trainer."""
        return getattr(self._transport, "pid", None)

    def _ensure_trainer(self) -> None:
        """Start the run's trainer if it has none (a fresh run about to train); TrainerStartError
        when none could be started."""
        with self._start_lock:
            with self._lock:
                self._check_open()
                if self._transport is not None or self._lost:
                    return
                notice = self._notice
            self._start(self.experiment, self._knobs, notice=notice)

    def _let_go(self) -> None:
        """No trainer any more (a fresh run, or before a new one takes over): the old one is asked
        to stop and killed in the background, so no page waits on it."""
        with self._lock:
            transport, self._transport = self._transport, None
            hung = self._hung_since is not None
            self._lost, self._hung_since = False, None
        if transport is not None:
            wait = KILL_WAIT_S if hung else 5.0
            threading.Thread(target=transport.close, args=(wait,), daemon=True, name=f"{self.id}-close").start()

    def _start(self, experiment: Any, knobs: Knobs, *, state: Any = None, notice: str | None = None) -> None:
        """A new trainer for `experiment` (continuing from `state`, when given)."""
        seq = self._remember(experiment)
        try:
            transport = self._factory(self.id)
        except (OSError, RuntimeError, TimeoutError) as exc:  # no process (memory, limits), no cluster, a hung host
            log.exception("%s: starting a trainer failed", self.id)
            raise TrainerStartError(START_FAILED) from exc
        try:
            self._device = transport.call("open", experiment, knobs, seq, self._options, timeout=OPEN_TIMEOUT_S)
            if state is not None:
                transport.call("restore", seq, experiment, state, notice, timeout=OPEN_TIMEOUT_S)
                transport.call("wait_idle", OPEN_TIMEOUT_S, timeout=OPEN_TIMEOUT_S + QUICK_S)  # restored when we return
            elif notice is not None:
                transport.call("reset", None, None, notice, timeout=OPEN_TIMEOUT_S)
            if self._saver is not None:
                transport.call("set_save_every", self.save_every, timeout=QUICK_S)
        except (WorkerLostError, TimeoutError) as exc:
            transport.close(1.0)
            log.exception("%s: the new trainer did not open the run", self.id)
            raise TrainerStartError(START_FAILED) from exc
        except BaseException:
            transport.close(1.0)
            raise
        old = self._transport
        with self._lock:
            self._transport, self._lost, self._hung_since, self._current_seq = transport, False, None, seq
            self._timeline, self._timeline_gen = {}, -1
            self._notice = self._start_error = None
            self._preview = None
        if old is not None:
            old.close(KILL_WAIT_S)
        if self._slots is not None:  # a new process starts at the server's priority: crowded, it steps back
            self._slots.refresh_priority()
        threading.Thread(target=self._pump_events, args=(transport,), daemon=True, name=f"{self.id}-events").start()

    def _start_or_stay_lost(self, experiment: Any, knobs: Knobs, state: Any, notice: str) -> None:
        """A new trainer for a run with state worth keeping; if none starts, the run stays in error
        with its restart offer (its restart point kept), not a fresh run."""
        try:
            self._start(experiment, knobs, state=state, notice=notice)
        except TrainerStartError:
            with self._lock:
                self._lost = True
            raise

    def _patience(self) -> float:
        """How many times longer than on a core of its own a trainer may take to answer: with more
        runs training than cores, each gets its share of a core (ganlab.training.slots) and answers
        that much slower without being hung."""
        slots = self._slots
        if slots is None:
            return 1.0
        return min(MAX_PATIENCE, max(1.0, slots.in_use / max(1, slots.cores)))

    def _on_no_answer(self, transport: Any, name: str, timeout: float) -> None:
        with self._lock:
            if transport is not self._transport or self._hung_since is not None:
                return
            self._hung_since = time.monotonic()
        log.warning("%s: its trainer (pid %s) did not answer %r in %.0f s: offering a restart",
                    self.id, getattr(transport, "pid", "?"), name, timeout)

    def _on_answer(self, transport: Any) -> None:
        """The trainer answered the background poll: if it was hung, the run goes on."""
        with self._lock:
            if transport is not self._transport or self._hung_since is None:
                return
            self._hung_since = None
        log.warning("%s: its trainer answers again", self.id)

    def _on_lost(self, transport: Any) -> None:
        with self._lock:
            if self._released or self._lost or transport is not self._transport:
                return
            self._lost = True
            saver, state = self._saver, self._restart_point
        self._stop_playing()
        log.error("%s: its trainer (pid %s) is gone", self.id, getattr(transport, "pid", "?"))
        if saver is not None:  # the saved run says so at once; a Restart takes it up again (RunSaver.reopen)
            end_saver(saver, state, "lost")
        transport.close(1.0)
