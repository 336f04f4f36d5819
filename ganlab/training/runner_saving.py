"""Saving and restoring a runner's training state: export, restore and autosave (a Runner mixin)."""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

from ganlab.training.runner_state import Experiment, RunState


class RunnerSaving:
    """The Runner's methods that capture, restore and autosave its `TrainingState`; they use the
    Runner's lock (`_cond`), command queue and counters."""

    def export_state(self, timeout: float = 60.0):
        """The full training state (a ganlab.runs.state.TrainingState), captured on the runner
        thread between two steps after the commands queued before it."""
        done = threading.Event()
        box: dict[str, Any] = {}
        with self._cond:
            self._check_open()
            self._commands.append(("export", box, done))
            self._cond.notify_all()
        if not done.wait(timeout):
            raise TimeoutError("the runner did not export its state in time (busy, reset or stopped)")
        if "error" in box:
            raise box["error"]
        return box["state"]

    def restore(self, experiment: Experiment, state: Any, notice: str | None = None) -> None:
        """Pause and continue from a saved TrainingState (same step, weights, optimizer and RNG
        state) of `experiment`, whose structure must be the state's."""
        with self._cond:
            self._check_open()
            if self._state == RunState.RUNNING:
                self._release_slot()
            self._state = RunState.PAUSED
            self._knobs = state.knobs
            self._pending_knobs = None
            self._commands = [("restore", experiment, state)]
            self._notice = notice
            self._cond.notify_all()

    def set_saver(self, saver: Callable[[Any], None] | None, save_every: float | None = None) -> None:
        """Start (or stop, with None) autosaving; see `__init__`."""
        with self._cond:
            self._saver = saver
            if save_every is not None:
                self.save_every = save_every
            self._save_requested = False

    def save_now(self) -> None:
        """Autosave after the commands queued before this call (nothing without a saver)."""
        with self._cond:
            self._check_open()
            if self._saver is not None:
                self._commands.append(("save",))
                self._cond.notify_all()

    @property
    def save_error(self) -> str | None:
        """Why the last autosave failed (None when it worked)."""
        with self._cond:
            return self._save_error

    def _capture(self):
        from ganlab.runs.state import TrainingState, capture_parts, history_state

        tensors, meta = capture_parts(self._parts)
        with self._cond:
            return TrainingState(
                structure=self._experiment.structure, knobs=self._knobs, tensors=tensors, meta=meta,
                counters={"step": self._step, "d_updates": self._d_updates, "g_updates": self._g_updates,
                          "train_seconds": self._train_seconds, "last_eval_step": self._last_eval_step},
                history=history_state(self._history),
                evals=history_state(self._evals) if self._evals is not None else None,
                latest=dict(self._latest), latest_eval=dict(self._latest_eval),
            )

    def _restore(self, experiment: Experiment, state: Any) -> None:
        from ganlab.runs.state import history_from_state, restore_parts

        if experiment.structure != state.structure:
            raise ValueError("the saved state belongs to another structure than the experiment's")
        parts = experiment.build(state.knobs)
        restore_parts(parts, state.tensors, state.meta)
        history = history_from_state(state.history)
        evals = history_from_state(state.evals) if state.evals is not None else None
        with self._cond:
            self._experiment = experiment
            self._parts = parts
            self._reset_counters()
            c = state.counters
            self._step, self._d_updates, self._g_updates = int(c["step"]), int(c["d_updates"]), int(c["g_updates"])
            self._train_seconds = float(c["train_seconds"])
            self._last_eval_step = int(c["last_eval_step"])
            self._history, self._evals = history, evals
            self._latest, self._latest_eval = dict(state.latest), dict(state.latest_eval)
            self._rate_mark = (time.monotonic(), self._step)
            self._saved_step = self._step
            self._message = self._error_detail = None
            self._version += 1

    def _autosave(self) -> None:
        """Hand the saver a state; a failed save is reported, training goes on."""
        with self._cond:
            self._save_requested = False
            saver = self._saver
        try:
            state = self._capture()
            saver(state)
            error = None
            with self._cond:
                self._saved_step = state.step
        except Exception as exc:
            from ganlab.storage.guard import save_error_text

            error = save_error_text(exc)
        with self._cond:
            self._save_error = error
