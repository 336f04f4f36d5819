"""A run trained elsewhere (a worker process on this machine, or a Ray actor), behind the same
interface the pages use for a `Runner`: play, pause, step, reset, knobs, snapshot, saving.

The server side keeps what is the server's: the training slot and the queue for it, the copy
of each experiment the page made (its data, for drawing), the run's saver (saved runs land in
this server's runs folder) and the last autosave, which is where a run goes on from when its
trainer dies. A call to the trainer waits a bounded time; a dead trainer turns the run into an
error with a restart offer, never into a page that hangs.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import threading
import time
from typing import Any, Callable

from ganlab.settings.config import TRAIN_WHICH, Knobs
from ganlab.training.channel import WorkerLostError
from ganlab.training.remote_events import RemoteEvents
from ganlab.training import run_guard
from ganlab.training.runner_calls import RunnerCalls
from ganlab.training.runner_state import RunnerClosedError, RunState, Snapshot
from ganlab.training.slots import TrainingSlots

log = logging.getLogger(__name__)
_ids = itertools.count(1)

OPEN_TIMEOUT_S = 120.0  # building a run can mean moving a dataset to a GPU
QUICK_S = 5.0  # a call that only queues a command or reads a counter
UNANSWERED_S = 10.0  # after a read timed out, pages get the last known numbers at once for this long
NOT_ANSWERING = ("The trainer of this run is not answering (the server may be overloaded); the numbers "
                 "shown are the last it sent. The page goes on asking.")
LOST_TEXT = (
    "The trainer process of this run stopped unexpectedly (it was killed, or the server ran out of "
    "memory). Nobody else's run was affected. Press Restart to go on from {where}, or Reset to start "
    "from fresh weights."
)


class TrainerStartError(RuntimeError):
    """No trainer could be started for a run; the message is for the user."""


START_FAILED = ("The server could not start a trainer for this run (it may be short of memory, or the "
                "cluster unreachable). Try again in a moment; if it keeps failing, tell the workshop host.")


class RemoteRunner(RemoteEvents, RunnerCalls):
    """`transport_factory(name)` starts a trainer and returns its transport (`call(name, *args,
    timeout=...)`, `lost`, `close()`); see `worker_process.ProcessTransport` and `ray_trainers`."""

    def __init__(self, experiment: Any, knobs: Knobs, *, transport_factory: Callable[[str], Any],
                 slots: TrainingSlots | None = None, eval_every: int = 100, view_interval: float = 0.2,
                 history_capacity: int = 2000, saver: Callable[[Any], None] | None = None,
                 save_every: float = 60.0, image_device: str = "auto", torch_threads: int | None = 1,
                 memory_budget: int | None = None) -> None:
        self.id = f"remote-{next(_ids)}"
        self.eval_every = eval_every
        self._factory = transport_factory
        self._slots = slots
        self._options = {"eval_every": eval_every, "view_interval": view_interval,
                         "history_capacity": history_capacity, "image_device": image_device,
                         "memory_limit": memory_budget}  # the worker's limit (worker_process.limit_memory)
        self.memory_budget = memory_budget  # Play and Step over it are refused (run_guard)
        self._lock = threading.RLock()
        self._seqs = itertools.count(1)
        self._experiments: dict[int, Any] = {}
        self._current_seq = 0
        self._knobs = knobs
        self._saver = saver
        self.save_every = save_every
        self._save_error: str | None = None
        self._restart_point: Any = None  # the last autosave's TrainingState
        self._play_gen = 0
        self._wants_play = False  # Play pressed and not paused since: training, or waiting in line
        self._released = False
        self._lost = False
        self._device = "cpu"
        self._last_snap: Snapshot | None = None
        self._last_tables: tuple[dict, dict] = ({}, {})
        self._timeline: dict[int, Any] = {}
        self._timeline_gen = -1
        self._transport = None
        self._quiet_until = 0.0
        self._start(experiment, knobs)

    # ------------------------------------------------------------- page side
    @property
    def alive(self) -> bool:
        """Until released (a run whose trainer died is still this session's: it shows the error)."""
        return not self._released

    @property
    def pid(self) -> int | None:
        return getattr(self._transport, "pid", None)

    @property
    def experiment(self) -> Any:
        seq = self._read("experiment_seq")
        if seq is not None:
            self._current_seq = seq
        with self._lock:
            current = self._experiments.get(self._current_seq)
            return current if current is not None else self._experiments[max(self._experiments)]

    @property
    def state(self) -> RunState:
        if self._lost:
            return RunState.ERROR
        if self._queued():
            return RunState.QUEUED
        answer = self._read("state")
        if answer is None:
            return RunState.ERROR if self._lost else self._last_snap.state if self._last_snap else RunState.PAUSED
        state, self._current_seq = answer
        return state

    def play(self) -> None:
        """Train continuously, or wait in line for a training slot (state QUEUED) and start when
        one frees. Does nothing after an error: Reset (or Restart) first."""
        with self._lock:
            self._check_open()
            if self._lost or self._wants_play:
                return
            run_guard.check_memory(self.experiment, self._knobs, self.memory_budget)
            self._wants_play = True
            self._play_gen += 1
            gen = self._play_gen
        if self._slots is None or self._slots.request(self.id, lambda: self._granted(gen)):
            self._send_play(gen)

    def pause(self) -> None:
        with self._lock:
            self._wants_play = False
        if self._slots is not None:
            self._slots.release(self.id)
        self._command("pause")

    def step(self, which: str = "both", count: int = 1, *, evaluate: bool = True) -> None:
        if which not in TRAIN_WHICH:
            raise ValueError(f"which must be one of {TRAIN_WHICH}")
        self._check_open()
        run_guard.check_memory(self.experiment, self._knobs, self.memory_budget)
        holder = None if self._wants_play or self._lost else run_guard.take_step_slot(self._slots, self.id)
        self._command("step", which, int(count), bool(evaluate))
        run_guard.release_when_idle(self, self._slots, holder)

    def step_traced(self, timeout: float = 30.0) -> Any:
        """One iteration recorded for the slow-motion view (see Runner.step_traced): its StepTrace."""
        self._check_open()
        if self._lost:
            raise WorkerLostError("the trainer of this run is gone")
        with run_guard.held_step_slot(self._slots, self.id):  # a slow-motion step is a Step: it takes a slot too
            return self._call("step_traced", timeout, timeout=timeout + QUICK_S)

    def reset(self, experiment: Any | None = None, notice: str | None = None) -> None:
        """Pause and start again from fresh weights (of a new structure, if given)."""
        self._check_open()
        self._stop_playing()
        with self._lock:
            self._saver = None  # fresh weights are another run: never autosave them over the saved one
            self._save_error = None
            self._restart_point = None  # a restart goes back to this fresh start
        if self._lost:
            self._start(experiment or self.experiment, self._knobs, notice=notice)
            return
        seq = self._remember(experiment) if experiment is not None else None
        self._call("reset", seq, experiment, notice, timeout=QUICK_S + 30)
        if seq is not None:
            self._current_seq = seq  # what the trainer builds next (its next answer says if the build failed)

    def restore(self, experiment: Any, state: Any, notice: str | None = None) -> None:
        """Pause and continue from a saved TrainingState of `experiment` (see Runner.restore)."""
        self._check_open()
        self._stop_playing()
        with self._lock:
            self._knobs = state.knobs
            self._restart_point = state
        if self._lost:
            self._start(experiment, state.knobs, state=state, notice=notice)
            return
        seq = self._remember(experiment)
        self._call("restore", seq, experiment, state, notice, timeout=QUICK_S + 60)
        self._current_seq = seq

    def restart(self) -> None:
        """After the trainer died: a new trainer, going on from the last autosave (or, before the
        first one, from the run's start)."""
        with self._lock:
            self._check_open()
            if not self._lost:
                return
            state = self._restart_point
        experiment = self.experiment
        notice = (f"Restarted from the last autosave, at step {state.step:,}." if state is not None
                  else "Restarted from the start of the run (its trainer had not autosaved yet).")
        self._start(experiment, state.knobs if state is not None else self._knobs, state=state, notice=notice)

    def set_knobs(self, knobs: Knobs) -> None:
        """Applied before the next step; optimizer state is kept."""
        self._check_open()
        self._knobs = knobs  # (one assignment: no lock needed)
        try:  # too big for the budget while playing: paused first, the knobs sent all the same
            run_guard.pause_if_over_budget(self, knobs, self._wants_play)
        finally:
            self._command("set_knobs", knobs)

    def release(self, timeout: float = 5.0) -> None:
        """Stop the trainer for good and give back the training slot."""
        with self._lock:
            if self._released:
                return
            self._released = True
            self._wants_play = False
            transport = self._transport
        if self._slots is not None:
            self._slots.release(self.id)
        if transport is not None:
            transport.close(timeout)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        if self._lost or self._released:
            return True
        try:
            return self._call("wait_idle", timeout, timeout=timeout + QUICK_S)
        except WorkerLostError:
            return True

    def snapshot(self, want_view: bool = False, wait_for_view: float = 0.0, *,
                 with_history: bool = True, view_range: tuple | None = None) -> Snapshot:
        answer = self._read("snapshot", want_view, wait_for_view, with_history, view_range,
                            timeout=wait_for_view + QUICK_S)
        if answer is not None:
            snap, self._current_seq = answer
            return self._page_snapshot(snap, with_history)
        if self._lost:
            return self._lost_snapshot()
        if self._last_snap is not None:  # a trainer that does not answer: the last known numbers
            return dataclasses.replace(self._last_snap, settled=False, message=NOT_ANSWERING)
        return self._blank_snapshot(RunState.PAUSED, NOT_ANSWERING)

    def export_state(self, timeout: float = 60.0) -> Any:
        """The training state; the page's copy of the experiment gets the trainer's timeline up to
        it (a saver writing the state writes those frames too)."""
        state = self._call("export_state", timeout, timeout=timeout + QUICK_S)
        self.timeline_frames()
        return state

    def call_on_thread(self, fn: Callable, timeout: float = 30.0, what: str = "the request") -> Any:
        """`fn(parts, experiment, step)` on the trainer, between two steps: `fn` must be picklable
        (a module-level function, or a functools.partial of one), and so must its result: tensors
        and plain data, never a module (`copy_nets` sends weights: ganlab.training.net_copies)."""
        return self._call("call", fn, timeout, what, timeout=timeout + QUICK_S)

    def timeline_frames(self) -> tuple:
        """The trainer's timeline frames, fetched incrementally and mirrored into the page's copy
        of the experiment (whose `timeline` a run's saver reads)."""
        answer = self._read("timeline_since", self._timeline_gen, max(self._timeline, default=-1))
        if answer is not None:
            gen, steps, new = answer
            with self._lock:
                if gen != self._timeline_gen:
                    self._timeline = {}
                self._timeline_gen = gen
                self._timeline.update({f.step: f for f in new})
                self._timeline = {s: self._timeline[s] for s in steps if s in self._timeline}
        frames = tuple(self._timeline[s] for s in sorted(self._timeline))
        timeline = getattr(self.experiment, "timeline", None)
        if timeline is not None:
            timeline.mirror(frames)
        return frames

    # ------------------------------------------------------------------ saving
    def set_saver(self, saver: Callable[[Any], None] | None, save_every: float | None = None) -> None:
        with self._lock:
            self._saver = saver
            if save_every is not None:
                self.save_every = save_every
        self._command("set_save_every", self.save_every if saver is not None else None)

    def save_now(self) -> None:
        """Autosave after the queued commands: into the run's folder when it has a saver, and in
        any case as the point a restart goes on from."""
        self._check_open()
        self._command("save_now")

    @property
    def save_error(self) -> str | None:
        return self._save_error

    # ------------------------------------------------------------------ inside
    def _start(self, experiment: Any, knobs: Knobs, *, state: Any = None, notice: str | None = None) -> None:
        """A new trainer for `experiment` (continuing from `state`, when given)."""
        seq = self._remember(experiment)
        try:
            transport = self._factory(self.id)
        except (OSError, RuntimeError, TimeoutError) as exc:  # no process (memory, limits) or no cluster
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
            self._transport, self._lost, self._current_seq = transport, False, seq
            self._timeline, self._timeline_gen = {}, -1
        if old is not None:
            old.close(1.0)
        threading.Thread(target=self._pump_events, args=(transport,), daemon=True, name=f"{self.id}-events").start()

    def _remember(self, experiment: Any) -> int:
        seq = next(self._seqs)
        with self._lock:
            keep = {s: e for s, e in self._experiments.items() if s == self._current_seq}
            self._experiments = {**keep, seq: experiment}
        return seq

    def _call(self, name: str, *args: Any, timeout: float) -> Any:
        transport = self._transport
        try:
            return transport.call(name, *args, timeout=timeout)
        except WorkerLostError:
            self._on_lost(transport)
            raise

    def _read(self, name: str, *args: Any, timeout: float | None = None) -> Any:
        """A read for a page: the answer, or None when the trainer is lost or does not answer (after
        one read timed out, the next ones within UNANSWERED_S do not wait again)."""
        if self._lost or time.monotonic() < self._quiet_until:
            return None
        timeout = QUICK_S if timeout is None else timeout
        try:
            return self._call(name, *args, timeout=timeout)
        except TimeoutError:
            log.warning("%s: its trainer did not answer %r in %.0f s", self.id, name, timeout)
            self._quiet_until = time.monotonic() + UNANSWERED_S
        except WorkerLostError:
            pass
        return None

    def _command(self, name: str, *args: Any) -> None:
        """A page's command (a step, knobs, a save): a trainer that does not answer makes its page
        say so (the next snapshot) rather than fail; a page re-sends knobs that did not arrive."""
        if self._lost:
            return
        try:
            self._call(name, *args, timeout=QUICK_S)
        except TimeoutError:
            log.warning("%s: its trainer did not take %r in %.0f s", self.id, name, QUICK_S)
            self._quiet_until = time.monotonic() + UNANSWERED_S
        except WorkerLostError:
            pass

    def _check_open(self) -> None:
        if self._released:
            raise RunnerClosedError("this runner has been released; start a new one")

    def _page_snapshot(self, snap: Snapshot, with_history: bool) -> Snapshot:
        with self._lock:
            if with_history:
                self._last_tables = (snap.history, snap.evals)
            self._last_snap = snap
        position = self._slots.position(self.id) if self._slots is not None and self._wants_play else None
        if position is not None:
            return dataclasses.replace(snap, state=RunState.QUEUED, queue_position=position, settled=False)
        return snap

    def _blank_snapshot(self, state: RunState, message: str | None) -> Snapshot:
        return Snapshot(state, 0, 0, 0, 0.0, 0.0, self._knobs, self.experiment.structure, {}, {}, {}, {},
                        message=message, device=self._device)

    def _lost_snapshot(self) -> Snapshot:
        state = self._restart_point
        where = f"its last autosave at step {state.step:,}" if state is not None else "its start (step 0)"
        last = self._last_snap or self._blank_snapshot(RunState.ERROR, None)
        history, evals = self._last_tables
        return dataclasses.replace(last, state=RunState.ERROR, message=LOST_TEXT.format(where=where),
                                   history=history, evals=evals, error_detail=None, settled=True,
                                   worker_lost=True, restart_step=state.step if state is not None else 0,
                                   steps_per_sec=0.0)
