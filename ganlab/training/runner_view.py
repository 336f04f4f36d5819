"""What a page sees of a runner: its snapshot, and the view computed on request (a Runner mixin)."""

from __future__ import annotations

import time

from ganlab.settings.config import Knobs
from ganlab.training.runner_state import RunState, Snapshot


class RunnerView:
    """The Runner's `snapshot()` and the thread's side of it (a view when one is asked for and
    due); they use the Runner's lock (`_cond`) and counters."""

    def snapshot(self, want_view: bool = False, wait_for_view: float = 0.0, *, with_history: bool = True,
                 view_range: tuple[float, float, float, float] | None = None) -> Snapshot:
        """An immutable copy of the run. `want_view` asks the thread for a view of the
        current weights (computed between two steps, once per request: nobody watching,
        no cost), and waits up to `wait_for_view` seconds for it: while running, for a view
        at most `view_interval` old; otherwise for queued commands to finish and a view of
        the weights they left. Without `with_history` the history tables come back empty
        (a live view polled several times a second needs only the latest numbers). `view_range`
        (x0, x1, y0, y1) is the range a view request asks for (None: the experiment's own frame);
        a new one makes the view due again, paused or not."""
        with self._cond:
            if want_view and view_range != self._view_range:
                self._view_range = view_range
                self._version += 1  # what the view shows changed
            if want_view:
                self._view_requested = True
                self._cond.notify_all()
                deadline = time.monotonic() + wait_for_view
                while not self._stop and (remaining := deadline - time.monotonic()) > 0:
                    if self._state == RunState.RUNNING:
                        if self._view_version >= 0 and time.monotonic() - self._view_time < self.view_interval:
                            break
                    elif not (self._commands or self._busy or self._view_version != self._version):
                        break
                    self._cond.wait(remaining)
            return Snapshot(
                state=self._state, step=self._step, d_updates=self._d_updates, g_updates=self._g_updates,
                steps_per_sec=self._steps_per_sec, train_seconds=self._train_seconds,
                knobs=self._knobs, structure=self._experiment.structure,
                history=self._history.to_arrays() if with_history else {},
                evals=self._evals.to_arrays() if self._evals and with_history else {},
                latest=dict(self._latest), latest_eval=dict(self._latest_eval),
                view=self._view, view_step=self._view_step,
                message=self._message, notice=self._notice, error_detail=self._error_detail,
                device=str(getattr(self._experiment, "device", "cpu")),
                settled=self._state in (RunState.ERROR, RunState.RELEASED) or (
                    not self._commands and not self._busy and self._view_version == self._version),
            )

    def _view_due(self, last_view: float) -> bool:
        return (self._view_requested and self._view_version != self._version
                and time.monotonic() - last_view >= self.view_interval)

    def _compute_view(self, knobs: Knobs) -> None:
        with self._cond:
            version, step, bounds = self._version, self._step, self._view_range
            self._view_requested = False  # consumed even if the view fails (no retry loop)
        # only the 2D experiment takes a range (the image page never sends one)
        view = self._experiment.view(self._parts, knobs) if bounds is None else \
            self._experiment.view(self._parts, knobs, bounds=bounds)
        with self._cond:
            self._view, self._view_step, self._view_version = view, step, version
            self._view_time = time.monotonic()
            self._cond.notify_all()
