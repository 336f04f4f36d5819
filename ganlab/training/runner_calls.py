"""Running a caller's function on the runner thread: eval samples, copies of the nets and the
slow-motion step (a Runner mixin)."""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import torch

from ganlab.config import Knobs
from ganlab.training.step import GanParts
from ganlab.training.step_trace import StepRecorder


class RunnerCalls:
    """The Runner's methods that run a function between two steps on its thread and hand back
    the result; they use the Runner's lock (`_cond`) and command queue."""

    def call_on_thread(self, fn: Callable[[GanParts, Any, int], Any], timeout: float = 30.0,
                       what: str = "the request") -> Any:
        """`fn(parts, experiment, step)`, run on the runner thread between two steps (after
        the commands queued before it), so no tensor the thread mutates is touched from the
        caller's. Its exception is raised here, not counted as a training failure."""
        return self._queued_call(("call", fn), timeout, what)

    def _queued_call(self, command: tuple, timeout: float, what: str) -> Any:
        """Queue `command` + (box, done) for the thread and wait for what it puts in the box."""
        done = threading.Event()
        box: dict[str, Any] = {}
        with self._cond:
            self._check_open()
            self._commands.append((*command, box, done))
            self._cond.notify_all()
        if not done.wait(timeout):
            raise TimeoutError(f"the runner did not finish {what} in time (busy, reset or stopped)")
        if "error" in box:
            raise box["error"]
        return box["result"]

    def generate_eval_samples(self, timeout: float = 30.0) -> np.ndarray:
        """The generator's output on the experiment's fixed `eval_noise` (and `eval_labels`,
        for a conditional generator: the points the metrics are measured on), as numpy."""
        return self.call_on_thread(_eval_samples, timeout, "the samples")[1]

    def generate_eval_samples_at_step(self, timeout: float = 30.0) -> tuple[int, np.ndarray]:
        """`(step, samples)`: like `generate_eval_samples`, with the step the weights are at."""
        return self.call_on_thread(_eval_samples, timeout, "the samples")

    def step_traced(self, timeout: float = 30.0) -> Any:
        """One iteration (like `step()`), recorded for the slow-motion view: its `StepTrace`
        (ganlab.training.step_trace). The run changes exactly as with a Step."""
        return self._queued_call(("traced",), timeout, "the slow-motion step")

    def _traced_step(self, knobs: Knobs) -> Any:
        recorder = StepRecorder.for_experiment(self._parts, self._experiment, knobs)
        with self._cond:
            before = self._step
        self._train_once(knobs, "both", recorder)
        self._evaluate()  # as after a Step
        with self._cond:
            record = dict(self._latest)
        return recorder.trace(self._experiment, knobs, before, record)

    def timeline_frames(self) -> tuple:
        """The experiment's timeline frames (sample grids at earlier steps), oldest first."""
        timeline = getattr(self.experiment, "timeline", None)
        return timeline.frames() if timeline is not None else ()

    def copy_nets(self, timeout: float = 30.0) -> "NetsCopy":
        """CPU deep copies of G, D and (when kept) the averaged G, in eval mode with
        gradients off: a page can run them freely while training goes on."""
        return self.call_on_thread(_copy_nets, timeout, "copying the nets")


@dataclass(frozen=True)
class NetsCopy:
    """Detached copies of a runner's nets at `step` (see `Runner.copy_nets`)."""

    step: int
    generator: torch.nn.Module
    discriminator: torch.nn.Module
    ema_generator: torch.nn.Module | None
    experiment: Any


def _frozen_copy(module: torch.nn.Module) -> torch.nn.Module:
    clone = copy.deepcopy(module).to("cpu").eval()
    clone.requires_grad_(False)
    return clone


@torch.no_grad()
def _eval_samples(parts: GanParts, experiment: Any, step: int) -> tuple[int, np.ndarray]:
    labels = getattr(experiment, "eval_labels", None)  # a conditional G's classes
    return step, parts.generator(experiment.eval_noise, labels).cpu().numpy()


def _copy_nets(parts: GanParts, experiment: Any, step: int) -> NetsCopy:
    ema = getattr(parts, "ema", None)
    ema_module = getattr(ema, "module", None)
    return NetsCopy(step, _frozen_copy(parts.generator), _frozen_copy(parts.discriminator),
                    _frozen_copy(ema_module) if ema_module is not None else None, experiment)
