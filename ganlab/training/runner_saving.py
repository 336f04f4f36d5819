"""Saving and restoring a runner's training state: export, restore and autosave (a Runner mixin)."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any, Callable

from ganlab.training.runner_state import Experiment, RunState

if TYPE_CHECKING:
    from ganlab.gan.step import GanParts
    from ganlab.settings.config import Knobs


# What a saved run's config.json says when it stops being trained here (status, message).
ENDED = {
    "released": ("paused", "Saved at step {step} when the page that trained it was closed."),
    "reset": ("paused", "Saved at step {step} when its page was reset (the page's fresh weights are not saved here)."),
    "lost": ("interrupted", "Its trainer stopped unexpectedly; the run keeps its last autosave (step {step})."),
    "hung": ("interrupted", "Its trainer stopped answering; the run keeps its last autosave (step {step})."),
}


def end_saver(saver: Any, state: Any | None, why: str) -> None:
    """The last save of a run that stops being trained here, `why` a key of ENDED (see
    ganlab.training.resume.RunSaver.finish); savers without an end (the CLI's, a test's) are left alone."""
    finish = getattr(saver, "finish", None)
    if finish is None:
        return
    status, text = ENDED[why]
    finish(state, status, text.format(step=f"{state.step:,}" if state is not None else "?"))


def close_saver(saver: Any) -> None:
    """Give a replaced saver's run back without a save."""
    close = getattr(saver, "close", None)
    if close is not None:
        close()


class RunnerSaving:
    """The Runner's methods that capture, restore and autosave its `TrainingState`; they use the
    Runner's lock (`_cond`), command queue and counters."""

    _pending_knobs: Knobs | None
    _parts: GanParts | None
    _message: str | None
    _error_detail: str | None

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

    @property
    def saver(self) -> Callable[[Any], None] | None:
        with self._cond:
            return self._saver

    def set_saver(self, saver: Callable[[Any], None] | None, save_every: float | None = None) -> None:
        """Start (or stop, with None) autosaving; see `__init__`. A replaced saver's run is given back."""
        with self._cond:
            old, self._saver = self._saver, saver
            if old is not saver:
                close_saver(old)
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

    def _end_saver(self, saver: Any, why: str) -> None:
        """On the runner thread: the last save of the run `saver` writes (see end_saver), if any."""
        if saver is None or self._parts is None:
            return
        try:
            state = self._capture()
        except Exception:
            state = None
        end_saver(saver, state, why)

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
