"""The background runner: one daemon thread that owns a GAN and trains it on command.

Pages talk to it only through methods that take a lock for a moment (play, pause,
step, reset, set_knobs) and through `snapshot()`, which returns an immutable copy
of everything worth drawing. Torch tensors never leave the thread.
"""

from __future__ import annotations

import itertools
import threading
import time
from typing import Any, Callable

import torch

from ganlab.gan.history import BoundedHistory
from ganlab.gan.step import (
    RECORD_KEYS,
    GanParts,
    StepObserver,
    apply_lr_schedule,
    apply_optimizer_knobs,
    first_non_finite,
    train_step,
)
from ganlab.gan.step_trace import SlowMotionUnavailable
from ganlab.settings.config import TRAIN_WHICH, Knobs
from ganlab.training.run_guard import check_memory, pause_if_over_budget, take_step_slot
from ganlab.training.runner_calls import RunnerCalls
from ganlab.training.runner_outcomes import RunnerOutcomes
from ganlab.training.runner_saving import RunnerSaving
from ganlab.training.runner_state import Experiment, RunnerClosedError, RunState
from ganlab.training.runner_view import RunnerView
from ganlab.training.slots import TrainingSlots

_ids = itertools.count(1)


class Runner(RunnerCalls, RunnerSaving, RunnerView, RunnerOutcomes):
    """Trains one experiment on its own thread. Saving and restoring (RunnerSaving), calls run on
    the thread (RunnerCalls) and the snapshot with its view (RunnerView) are in the mixins."""

    def __init__(
        self,
        experiment: Experiment,
        knobs: Knobs,
        *,
        slots: TrainingSlots | None = None,
        eval_every: int = 100,
        view_interval: float = 0.2,
        history_capacity: int = 2000,
        torch_threads: int | None = 1,
        saver: Callable[[Any], None] | None = None,
        save_every: float = 60.0,
        memory_budget: int | None = None,
    ) -> None:
        """`torch_threads`: intra-op threads for this runner's thread (None: torch's default).
        One core per runner lets many runners share a server without oversubscribing it;
        OpenMP teams of 2 inside the Streamlit server process were measured 70x slower.

        `saver`: called on the runner thread with a `TrainingState` (ganlab.runs.state) every
        `save_every` seconds of training and on pause (autosave to a run directory).

        `memory_budget`: bytes a run may need (ganlab.training.memory_budget); Play and Step over
        it are refused with OverBudgetError. None: no limit."""
        self.id = f"runner-{next(_ids)}"
        self._experiment = experiment
        self._knobs = knobs
        self._slots = slots
        self.memory_budget = memory_budget
        self._step_slot: str | None = None  # the slot a Step of a paused run holds until the steps are done
        self.eval_every = eval_every
        self.view_interval = view_interval
        self._history_capacity = history_capacity
        self._torch_threads = torch_threads
        self._cond = threading.Condition()
        self._commands: list[tuple] = []
        self._pending_knobs: Knobs | None = None
        self._state = RunState.PAUSED
        self._stop = False
        self._view_requested = False
        self._view_time = 0.0
        self._version = 0  # bumped whenever what the view shows may have changed
        self._view_range = None  # the (x0, x1, y0, y1) the last view request asked for (runner_view)
        self._message: str | None = None
        self._notice: str | None = None
        self._error_detail: str | None = None
        self._busy = False
        self._doing: str | None = None  # what the thread does now, for the failure message
        self._saver = saver
        self.save_every = save_every
        self._save_requested = False
        self._save_error: str | None = None
        self._reset_counters()
        self._parts: GanParts | None = None
        self._commands.append(("reset", None))
        self._thread = threading.Thread(target=self._loop, name=self.id, daemon=True)
        self._thread.start()

    # ----------------------------------------------------------- page side
    @property
    def state(self) -> RunState:
        with self._cond:
            return self._state

    @property
    def experiment(self) -> Experiment:
        with self._cond:
            return self._experiment

    def play(self) -> None:
        """Start training continuously. Raises CapacityError when the server is full (a thread runner
        does not wait in line: the CLI and the comparison transport). Does nothing
        after an error (e.g. a failed restore: the nets are not the run's): Reset first."""
        with self._cond:
            self._check_open()
            if self._state in (RunState.RUNNING, RunState.ERROR):
                return
            need = check_memory(self._experiment, self._knobs, self.memory_budget)
            if self._slots is not None:
                self._slots.acquire(self.id, need)
            self._state = RunState.RUNNING
            self._message = None
            self._cond.notify_all()

    def pause(self) -> None:
        with self._cond:
            if self._state == RunState.RUNNING:
                self._state = RunState.PAUSED
                self._release_slot()
                self._save_requested = self._saver is not None  # autosave on pause
                self._cond.notify_all()

    def step(self, which: str = "both", count: int = 1, *, evaluate: bool = True) -> None:
        """Queue `count` single steps; `which` is "both", "d" (D only) or "g" (G only).

        With `evaluate` (the default) the metrics are measured after the last of
        them; without, only at the usual multiples of `eval_every` (the CLI queues
        its run in chunks and wants no extra evaluations at chunk ends)."""
        if which not in TRAIN_WHICH:
            raise ValueError(f"which must be one of {TRAIN_WHICH}")
        with self._cond:
            self._check_open()
            need = check_memory(self._experiment, self._knobs, self.memory_budget)
            if self._state != RunState.RUNNING and self._step_slot is None:
                self._step_slot = take_step_slot(self._slots, self.id, need)  # CapacityError when the server is full
            self._commands.append(("step", which, int(count), bool(evaluate)))
            self._cond.notify_all()

    def reset(self, experiment: Experiment | None = None, notice: str | None = None) -> None:
        """Pause and start again from fresh weights (of a new structure, if given)."""
        with self._cond:
            self._check_open()
            if self._state == RunState.RUNNING:
                self._release_slot()
            self._state = RunState.PAUSED
            # the saved run's last save, then fresh weights: another run, never autosaved over it
            self._commands, self._saver = [("end_saver", self._saver, "reset"), ("reset", experiment)], None
            self._notice = notice
            self._cond.notify_all()

    def set_knobs(self, knobs: Knobs) -> None:
        """Applied before the next step; optimizer state is kept."""
        self._check_open()
        try:  # too big for the budget while playing: paused first, the knobs kept all the same
            pause_if_over_budget(self, knobs, self.state == RunState.RUNNING)
        finally:
            with self._cond:
                self._pending_knobs = knobs
                self._knobs = knobs
                self._cond.notify_all()

    def release(self, timeout: float = 5.0) -> None:
        """Stop the thread for good and give back the training slot."""
        with self._cond:
            self._stop = True
            self._release_slot()
            self._release_step_slot()
            self._state = RunState.RELEASED
            self._cond.notify_all()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    def restart(self) -> str | None:
        """Nothing to do: a thread of this process is never lost the way a worker process is
        (the `Trainer` interface's restart is for those); None: nothing was restarted."""
        return None

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until queued commands are done (tests and the CLI use this)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._commands or self._pending_knobs is not None or self._busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return True

    # --------------------------------------------------------- thread side
    def _check_open(self) -> None:
        if self._stop:
            raise RunnerClosedError("this runner has been released; start a new one")

    def _reset_counters(self) -> None:
        self._step = self._d_updates = self._g_updates = 0
        self._steps_per_sec = 0.0
        self._train_seconds = 0.0
        self._history = BoundedHistory(RECORD_KEYS, self._history_capacity)
        self._evals: BoundedHistory | None = None
        self._latest: dict[str, float] = {}
        self._latest_eval: dict[str, float] = {}
        self._last_eval_step = -1
        self._saved_step = 0  # the step the last autosave wrote (a fresh or restored run counts as saved)
        self._view = None
        self._view_step = -1
        self._view_version = -1
        self._rate_mark = (time.monotonic(), 0)

    def _loop(self) -> None:
        torch.set_flush_denormal(True)  # denormals made toy training ~9x slower on these CPUs
        if self._torch_threads is not None:
            torch.set_num_threads(self._torch_threads)
        last_view = 0.0
        last_save = time.monotonic()
        while True:
            with self._cond:
                while not (self._stop or self._commands or self._pending_knobs or self._state == RunState.RUNNING
                           or self._view_due(last_view) or self._save_requested):
                    self._cond.wait(0.5)
                if self._stop:
                    saver, self._saver = self._saver, None
                    break
                commands, self._commands = self._commands, []
                knobs, self._pending_knobs = self._pending_knobs, None
                running = self._state == RunState.RUNNING
                current_knobs = self._knobs
                self._busy = True
            try:
                if knobs is not None and self._parts is not None:
                    self._apply_knobs(knobs)
                for command in commands:
                    self._run_command(command, current_knobs)
                if running:
                    self._doing = "train"
                    self._train_once(current_knobs, "both")
                with self._cond:
                    view_due = self._view_due(last_view)
                if view_due and self._parts is not None:
                    last_view = time.monotonic()
                    self._doing = "view"
                    self._compute_view(current_knobs)
                with self._cond:
                    save_due = self._saver is not None and self._parts is not None and (
                        self._save_requested or (self._step != self._saved_step  # trained since (Play or queued steps)
                                                 and time.monotonic() - last_save >= self.save_every))
                if save_due:
                    last_save = time.monotonic()
                    self._autosave()
            except Exception as exc:  # shown on the page, never swallowed
                self._fail(exc)
            finally:
                with self._cond:
                    self._busy = False
                    if not self._commands:
                        self._release_step_slot()
                    self._cond.notify_all()
        self._end_saver(saver, "released")
        self._parts = None

    def _run_command(self, command: tuple, knobs: Knobs) -> None:
        self._doing = command[0]
        if command[0] == "reset":
            experiment = command[1]
            parts = (experiment or self._experiment).build(knobs)
            with self._cond:
                if experiment is not None:
                    self._experiment = experiment
                self._parts = parts
                self._reset_counters()
                self._message = self._error_detail = None
                if self._state == RunState.ERROR:
                    self._state = RunState.PAUSED  # fresh nets: Play is allowed again
                self._version += 1
            self._evaluate()
        elif command[0] == "step":
            _, which, count, evaluate = command
            for _ in range(count):
                if not self._train_once(knobs, which):
                    break
            if evaluate:
                self._evaluate()
        elif command[0] == "traced":
            _, box, done = command
            try:
                box["result"] = self._traced_step(knobs)
            except Exception as exc:
                box["error"] = exc
                if not isinstance(exc, SlowMotionUnavailable):
                    raise  # the step itself failed: the run shows it, as after a Step
            finally:
                done.set()
        elif command[0] == "end_saver":
            self._end_saver(command[1], command[2])
        elif command[0] == "save":
            if self._saver is not None and self._parts is not None:
                self._autosave()
        elif command[0] == "restore":
            _, experiment, state = command
            self._restore(experiment, state)
        elif command[0] == "export":
            _, box, done = command
            try:
                box["state"] = self._capture()
            except Exception as exc:  # handed to the caller, not a training failure
                box["error"] = exc
            finally:
                done.set()
        elif command[0] == "call":
            _, fn, box, done = command
            try:
                with self._cond:
                    step = self._step
                box["result"] = fn(self._parts, self._experiment, step)
            except Exception as exc:  # handed to the caller, not a training failure
                box["error"] = exc
            finally:
                done.set()

    def _apply_knobs(self, knobs: Knobs) -> None:
        parts = self._parts
        assert parts is not None  # built by the first reset, before any command
        parts.g_optimizer = apply_optimizer_knobs(parts.g_optimizer, parts.generator, knobs.g_opt)
        parts.d_optimizer = apply_optimizer_knobs(parts.d_optimizer, parts.discriminator, knobs.d_opt)
        with self._cond:
            self._version += 1

    def _train_once(self, knobs: Knobs, which: str, observer: StepObserver | None = None) -> bool:
        """One step; False when it diverged."""
        started = time.perf_counter()
        parts = self._parts
        assert parts is not None  # built by the first reset, before any command
        if knobs.lr_half_life:
            apply_lr_schedule(parts, knobs, self._step)
        record = train_step(parts, knobs, which, observer)
        elapsed = time.perf_counter() - started
        bad = first_non_finite(record)
        with self._cond:
            self._step += 1
            if which in ("both", "d"):
                self._d_updates += knobs.d_steps if which == "both" else 1
            if which in ("both", "g"):
                self._g_updates += 1
            self._train_seconds += elapsed
            self._history.append(self._step, record)
            self._latest = record
            self._version += 1
            now = time.monotonic()
            mark_time, mark_step = self._rate_mark
            if now - mark_time >= 0.5:
                self._steps_per_sec = (self._step - mark_step) / (now - mark_time)
                self._rate_mark = (now, self._step)
            if bad is not None:
                self._diverge(bad, record[bad])
                return False
        if which == "both" and self._step % self.eval_every == 0:
            self._evaluate()
        return True
