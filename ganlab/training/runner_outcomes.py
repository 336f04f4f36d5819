"""How a Runner's thread ends what it does (a Runner mixin): a training slot given back, a
diverged or failed run stopped with a message for the page, and the evaluation a step earns.
They run under or beside the Runner's lock (`_cond`) and use its counters."""

from __future__ import annotations

import logging

from ganlab.gan.history import BoundedHistory
from ganlab.training.error_text import failure_text, public_traceback
from ganlab.training.runner_state import DIVERGENCE_ADVICE, RunState


class RunnerOutcomes:
    _message: str | None
    _evals: BoundedHistory | None
    _step_slot: str | None
    _error_detail: str | None

    def _release_slot(self) -> None:
        if self._slots is not None:
            self._slots.release(self.id)

    def _release_step_slot(self) -> None:
        """Give back a Step's slot (under `_cond`, once no command is left to run)."""
        if self._step_slot is not None and self._slots is not None:  # a Step's slot comes only from slots
            self._slots.release(self._step_slot)
            self._step_slot = None

    def _diverge(self, key: str, value: float) -> None:
        if self._state == RunState.RUNNING:
            self._release_slot()
        self._state = RunState.DIVERGED
        self._message = f"Step {self._step}: {key} became {value}. {DIVERGENCE_ADVICE}"

    def _evaluate(self) -> None:
        if self._evals is not None and self._last_eval_step == self._step:
            return
        assert self._parts is not None  # built by the first reset, before any command
        values = self._experiment.evaluate(self._parts)
        record_timeline = getattr(self._experiment, "record_timeline", None)  # image grids for the page's slider
        if record_timeline is not None:
            record_timeline(self._parts, self._step)
        with self._cond:
            if self._evals is None:
                self._evals = BoundedHistory(tuple(values), self._history_capacity)
            self._evals.append(self._step, values)
            self._latest_eval = values
            self._last_eval_step = self._step

    def _fail(self, exc: BaseException) -> None:
        with self._cond:
            if self._state == RunState.ERROR:  # e.g. the view of nets a failed step left: the first cause stays shown
                logging.getLogger(__name__).error("%s failed again while in error", self.id, exc_info=exc)
                self._commands.clear()
                return
            if self._state == RunState.RUNNING:
                self._release_slot()
            self._state = RunState.ERROR
            self._message = failure_text(exc, self._doing)
            self._error_detail = public_traceback(exc)  # no server paths; the full one is logged
            logging.getLogger(__name__).error("%s stopped with an error", self.id, exc_info=exc)
            self._commands.clear()
