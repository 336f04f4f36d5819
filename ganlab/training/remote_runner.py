"""A run trained elsewhere (a worker process on this machine, or a Ray actor), behind the same
interface the pages use for a `Runner`: play, pause, step, reset, knobs, snapshot, saving.

The server side keeps what is the server's: the training slot and the queue for it, the copy
of each experiment the page made (its data, for drawing), the run's saver (saved runs land in
this server's runs folder) and the last autosave, which is where a run goes on from when its
trainer dies. A call to the trainer waits a bounded time; a dead trainer, or one that stops
answering (a stopped or stuck process), turns the run into an error with a restart offer, never
into a page that hangs: once a trainer has not answered, no page call waits on it again (only the
background event poll does, and its next answer makes the run normal again).

A trainer exists only while the run trains or holds state worth keeping: a fresh run (a new page,
or after Reset) has none until the first Play, Step or call that needs its nets
(`remote_snapshots` draws its step 0 meanwhile), so an idle page holds no process or Ray actor.
"""

from __future__ import annotations

import itertools
import logging
import threading
from typing import Any, Callable

from ganlab.settings.config import TRAIN_WHICH, Knobs
from ganlab.training import run_guard
from ganlab.training.channel import NoAnswerError, WorkerLostError
from ganlab.training.remote_events import RemoteEvents
from ganlab.training.remote_snapshots import RemoteSnapshots
from ganlab.training.remote_trainer_life import (  # noqa: F401  (TrainerStartError: the pages catch it from here)
    KILL_WAIT_S,
    QUICK_S,
    RemoteTrainerLife,
    TrainerStartError,
)
from ganlab.training.runner_calls import RunnerCalls
from ganlab.training.runner_state import RunnerClosedError, RunState, Snapshot
from ganlab.training.slots import TrainingSlots

log = logging.getLogger(__name__)
_ids = itertools.count(1)

class RemoteRunner(RemoteEvents, RemoteTrainerLife, RemoteSnapshots, RunnerCalls):
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
        if slots is not None:  # its process steps back while the server is crowded (ganlab.training.crowding)
            slots.track_process(self.id, self)
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
        self._lost = False  # the trainer died (or was killed as hung): Restart or Reset
        self._hung_since: float | None = None  # a trainer that has not answered since then
        self._notice: str | None = None  # a fresh run's notice, until its trainer starts
        self._start_error: str | None = None  # a start after a wait in line failed: the page says so
        self._start_lock = threading.Lock()
        self._starting = False  # a trainer starts for a run that waited in line (it still counts as waiting)
        self._preview: tuple | None = None  # a fresh run's (key, view range, Snapshot) (remote_snapshots)
        self._device = "cpu"
        self._last_snap: Snapshot | None = None
        self._last_snap_at: float | None = None  # time.monotonic() of _last_snap (recent_snapshot)
        self._last_tables: tuple[dict, dict] = ({}, {})
        self._timeline: dict[int, Any] = {}
        self._timeline_gen = -1
        self._transport = None  # none until the run needs a trainer
        self._current_seq = self._remember(experiment)

    # ------------------------------------------------------------- page side
    @property
    def alive(self) -> bool:
        """Until released (a run whose trainer died is still this session's: it shows the error)."""
        return not self._released

    @property
    def has_trainer(self) -> bool:
        """A trainer process (or actor) holds this run now (not a fresh run, and not lost)."""
        return self._transport is not None and not self._lost

    @property
    def hung(self) -> bool:
        """The trainer has not answered a call in time (stopped or stuck); it may answer again."""
        return self._hung_since is not None and not self._lost

    @property
    def restart_point(self) -> Any:
        """The last autosave's TrainingState (where a restart goes on from), or None."""
        return self._restart_point

    @property
    def experiment(self) -> Any:
        seq = self._read("experiment_seq") if self._transport is not None else None
        if seq is not None:
            self._current_seq = seq
        with self._lock:
            current = self._experiments.get(self._current_seq)
            return current if current is not None else self._experiments[max(self._experiments)]

    @property
    def state(self) -> RunState:
        if self._lost or self.hung:
            return RunState.ERROR
        if self._queued():
            return RunState.QUEUED
        if self._transport is None:
            return RunState.PAUSED
        answer = self._read("state")
        if answer is None:
            return RunState.ERROR if self._lost or self.hung else \
                self._last_snap.state if self._last_snap else RunState.PAUSED
        state, self._current_seq = answer
        return state

    def play(self) -> None:
        """Train continuously, or wait in line for a training slot (state QUEUED) and start when
        one frees. Does nothing after an error: Reset (or Restart) first."""
        self._check_open()
        if self._transport is not None and not self._wants_play and self.state == RunState.ERROR:
            return  # asked first: a Play would wait in line for a slot (QUEUED) only to be refused
        with self._lock:
            self._check_open()
            if self._lost or self.hung or self._wants_play:
                return
            need = run_guard.check_memory(self.experiment, self._knobs, self.memory_budget)
            self._wants_play = True
            self._play_gen += 1
            gen = self._play_gen
            self._start_error = None
        try:  # a run that can never fit in the server's memory for training is refused (CapacityError)
            granted = self._slots is None or self._slots.request(self.id, lambda: self._granted(gen), need)
        except BaseException:
            self._stop_playing()
            raise
        if granted:
            try:
                self._ensure_trainer()
            except BaseException:
                self._stop_playing()
                raise
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
        need = run_guard.check_memory(self.experiment, self._knobs, self.memory_budget)
        holder = None if self._wants_play or self._lost else run_guard.take_step_slot(self._slots, self.id, need)
        try:
            self._ensure_trainer()  # a fresh run's trainer starts at its first step
        except BaseException:
            if holder is not None:
                self._slots.release(holder)
            raise
        self._command("step", which, int(count), bool(evaluate))
        run_guard.release_when_idle(self, self._slots, holder)

    def step_traced(self, timeout: float = 30.0) -> Any:
        """One iteration recorded for the slow-motion view (see Runner.step_traced): its StepTrace."""
        self._check_open()
        if self._lost:
            raise WorkerLostError("the trainer of this run is gone")
        self._ensure_trainer()
        with run_guard.held_step_slot(self._slots, self.id):  # a slow-motion step is a Step: it takes a slot too
            return self._call("step_traced", timeout, timeout=timeout + QUICK_S)

    def reset(self, experiment: Any | None = None, notice: str | None = None) -> None:
        """Pause and start again from fresh weights (of a new structure, if given). Fresh weights
        are not worth a trainer: the old one is let go (killed, if it hung), none waits on it."""
        self._check_open()
        self._stop_playing()
        experiment = experiment if experiment is not None else self.experiment
        with self._lock:
            saver, self._saver = self._saver, None  # fresh weights are another run: never autosaved over it
            self._save_error = self._start_error = None
        if saver is not None:
            self._end_saver(saver, "reset")  # before the reset: the last save is the run's own state
        with self._lock:
            self._restart_point = None  # a restart goes back to this fresh start
            self._notice = notice
            self._current_seq = self._remember(experiment)
            self._preview = None
        self._let_go()

    def restore(self, experiment: Any, state: Any, notice: str | None = None) -> None:
        """Pause and continue from a saved TrainingState of `experiment` (see Runner.restore)."""
        self._check_open()
        self._stop_playing()
        with self._lock:
            self._knobs = state.knobs
            self._restart_point = state
        if self._transport is None or self._lost or self.hung:
            self._let_go()
            self._start_or_stay_lost(experiment, state.knobs, state, notice)
            return
        seq = self._remember(experiment)
        try:
            self._call("restore", seq, experiment, state, notice, timeout=QUICK_S)
        except NoAnswerError:  # hung meanwhile: a new trainer takes the state over
            self._let_go()
            self._start_or_stay_lost(experiment, state.knobs, state, notice)
            return
        self._current_seq = seq

    def restart(self) -> str | None:
        """After the trainer died or hung: a new trainer (the hung one killed), going on from the
        last autosave (or, before the first one, from the run's start). Returns what happened,
        for the page; None when there was nothing to restart."""
        with self._lock:
            self._check_open()
            if not (self._lost or self.hung):
                return None
            state = self._restart_point
            saver = self._saver
        experiment = self.experiment
        last_seen = self._last_snap.step if self._last_snap is not None else 0
        self._let_go()
        notice = (f"Restarted from the last autosave, at step {state.step:,}." if state is not None
                  else "Restarted from the start of the run (its trainer had not autosaved yet).")
        extra = ""
        if saver is not None and not getattr(saver, "reopen", lambda: True)():
            with self._lock:
                self._saver = None
            extra = (" Another session or process writes its saved run now, so this training is not saved "
                     "into it: save it under a new name on the Runs page to keep it.")
        self._start_or_stay_lost(experiment, state.knobs if state is not None else self._knobs, state, notice + extra)
        if state is None:
            return ("A new trainer started the run again at step 0 with fresh weights: the old one had not "
                    "autosaved yet, so its steps were lost." + extra)
        lost = last_seen - state.step
        return (f"A new trainer took over at step {state.step:,}, the run's last autosave"
                + (f" (the {lost:,} step{'s' * (lost != 1)} after it were lost)" if lost > 0 else "") + "." + extra)

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
            saver, self._saver = self._saver, None
        if self._slots is not None:
            self._slots.leave(self.id)
        if saver is not None:
            self._end_saver(saver, "released")  # the run is not "training (live)" once its page is gone
        if transport is not None:
            transport.close(KILL_WAIT_S if self.hung else timeout)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        if self._lost or self._released or self._transport is None:
            return True
        if self.hung:
            return False
        try:
            return self._call("wait_idle", timeout, timeout=timeout + QUICK_S)
        except WorkerLostError:
            return True
        except NoAnswerError:
            return False

    def snapshot(self, want_view: bool = False, wait_for_view: float = 0.0, *,
                 with_history: bool = True, view_range: tuple | None = None) -> Snapshot:
        if self._transport is None and not self._lost:
            return self._preview_snapshot(want_view, with_history, view_range)
        answer = self._read("snapshot", want_view, wait_for_view, with_history, view_range,
                            timeout=wait_for_view + QUICK_S)
        if answer is not None:
            snap, self._current_seq = answer
            return self._page_snapshot(snap, with_history)
        if self._lost:
            return self._lost_snapshot()
        return self._hung_snapshot()  # the last known numbers, and the restart offer

    def export_state(self, timeout: float = 60.0) -> Any:
        """The training state; the page's copy of the experiment gets the trainer's timeline up to
        it (a saver writing the state writes those frames too)."""
        self._check_open()
        self._ensure_trainer()
        state = self._call("export_state", timeout, timeout=timeout + QUICK_S)
        self.timeline_frames()
        return state

    def call_on_thread(self, fn: Callable, timeout: float = 30.0, what: str = "the request") -> Any:
        """`fn(parts, experiment, step)` on the trainer, between two steps: `fn` must be picklable
        (a module-level function, or a functools.partial of one), and so must its result: tensors
        and plain data, never a module (`copy_nets` sends weights: ganlab.training.net_copies)."""
        self._check_open()  # released: RunnerClosedError, as a thread runner raises
        self._ensure_trainer()
        return self._call("call", fn, timeout, what, timeout=timeout + QUICK_S)

    def timeline_frames(self) -> tuple:
        """The trainer's timeline frames, fetched incrementally and mirrored into the page's copy
        of the experiment (whose `timeline` a run's saver reads)."""
        if self._transport is None:  # a fresh run: the page's copy holds its frames
            timeline = getattr(self.experiment, "timeline", None)
            return tuple(timeline.frames()) if timeline is not None else ()
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

    # ------------------------------------------------------------------ inside
    def _remember(self, experiment: Any) -> int:
        seq = next(self._seqs)
        with self._lock:
            keep = {s: e for s, e in self._experiments.items() if s == self._current_seq}
            self._experiments = {**keep, seq: experiment}
        return seq

    def _call(self, name: str, *args: Any, timeout: float) -> Any:
        """A call to the trainer. WorkerLostError when it is gone; NoAnswerError at once when it hung
        (no page waits on it twice), or after `timeout` s without an answer (it is hung from then;
        `timeout` stretched by the run's share of a core, see _patience)."""
        transport = self._transport
        if transport is None:
            raise WorkerLostError("this run has no trainer")
        if self._hung_since is not None:
            raise NoAnswerError("the trainer of this run is not answering")
        timeout *= self._patience()
        try:
            return transport.call(name, *args, timeout=timeout)
        except WorkerLostError:
            self._on_lost(transport)
            raise
        except NoAnswerError:
            self._on_no_answer(transport, name, timeout)
            raise

    def _read(self, name: str, *args: Any, timeout: float | None = None) -> Any:
        """A read for a page: the answer, or None when the trainer is lost or does not answer."""
        if self._lost:
            return None
        try:
            return self._call(name, *args, timeout=QUICK_S if timeout is None else timeout)
        except (NoAnswerError, WorkerLostError):
            return None

    def _command(self, name: str, *args: Any) -> None:
        """A page's command (a step, knobs, a save): a trainer that does not answer makes its page
        say so (the next snapshot) rather than fail; a page re-sends knobs that did not arrive."""
        if self._lost or self._transport is None:
            return
        try:
            self._call(name, *args, timeout=QUICK_S)
        except (NoAnswerError, WorkerLostError):
            pass

    def _check_open(self) -> None:
        if self._released:
            raise RunnerClosedError("this runner has been released; start a new one")
