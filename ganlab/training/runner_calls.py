"""Running a caller's function on the runner thread: eval samples, copies of the nets and the
slow-motion step (a Runner mixin)."""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import torch

from ganlab.gan.packing import score_each
from ganlab.gan.step import GanParts
from ganlab.gan.step_trace import StepRecorder
from ganlab.kinds import kind_of
from ganlab.settings.config import Knobs
from ganlab.training.net_copies import NETS, NetWeights, capture_weights, nets_from_weights


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
        (ganlab.gan.step_trace). The run changes exactly as with a Step, and takes a slot as one does."""
        from ganlab.training.run_guard import held_step_slot

        with held_step_slot(getattr(self, "_slots", None), self.id):
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

    def score_images(self, images: np.ndarray, labels: np.ndarray | None = None, timeout: float = 30.0
                     ) -> tuple[int, list[float]]:
        """`(step, logits)`: D's raw output for each image ((n, channels, size, size) in [-1, 1],
        as the run's data; with `labels` for a conditional D, each image as that class), taken
        on the runner thread between two steps like every call. ValueError, with a message for
        the user, for images or labels that do not fit the run."""
        fn = functools.partial(_d_scores, np.asarray(images, dtype=np.float32),
                               None if labels is None else np.asarray(labels, dtype=np.int64))
        return self.call_on_thread(fn, timeout, "scoring the images")

    def net_weights(self, nets: tuple[str, ...] = NETS, timeout: float = 30.0) -> NetWeights:
        """The named nets' weights at this step, taken between two steps (CPU tensors: what
        crosses to a page from a trainer process or a Ray actor; see ganlab.training.net_copies)."""
        return self.call_on_thread(functools.partial(capture_weights, tuple(nets)), timeout, "copying the nets")

    def copy_nets(self, timeout: float = 30.0) -> "NetsCopy":
        """CPU copies of G, D and (when kept) the averaged G, in eval mode with gradients off,
        built here from the run's weights: a page can run them freely while training goes on.
        NetsChanged when the run was rebuilt (another structure) while they were copied."""
        weights = self.net_weights(NETS, timeout)
        experiment = self.experiment
        if experiment.structure != weights.structure:
            raise NetsChanged("the run was rebuilt while its nets were being copied")
        nets = {name: module.eval() for name, module in nets_from_weights(weights).items()}
        return NetsCopy(weights.step, nets["generator"], nets["discriminator"], nets.get("ema"), experiment)


@dataclass(frozen=True)
class NetsCopy:
    """Detached copies of a runner's nets at `step` (see `Runner.copy_nets`)."""

    step: int
    generator: torch.nn.Module
    discriminator: torch.nn.Module
    ema_generator: torch.nn.Module | None
    experiment: Any


class NetsChanged(RuntimeError):
    """The run's structure changed between copying its weights and building them (a reset)."""


@torch.no_grad()
def _eval_samples(parts: GanParts, experiment: Any, step: int) -> tuple[int, np.ndarray]:
    labels = getattr(experiment, "eval_labels", None)  # a conditional G's classes
    return step, parts.generator(experiment.eval_noise, labels).cpu().numpy()


MAX_SCORED = 256  # images per call


@torch.no_grad()
def _d_scores(images: np.ndarray, labels: np.ndarray | None, parts: GanParts, experiment: Any, step: int
              ) -> tuple[int, list[float]]:
    s = experiment.structure
    want = (s.channels, s.image_size, s.image_size)
    if not kind_of(experiment).samples_are_images:
        raise ValueError("only an image run's discriminator scores images")
    if images.ndim != 4 or tuple(images.shape[1:]) != want or not 1 <= len(images) <= MAX_SCORED:
        raise ValueError(f"images must be 1 to {MAX_SCORED} of shape {want}, got {tuple(images.shape)}")
    if not np.isfinite(images).all():
        raise ValueError("images must hold finite pixel values")
    k = s.net_classes
    if (labels is None) != (k == 0):
        raise ValueError("a conditional discriminator needs a class for each image" if k
                         else "this discriminator is not conditional: it takes no classes")
    if labels is not None and (labels.shape != (len(images),) or labels.min() < 0 or labels.max() >= k):
        raise ValueError(f"classes must be one per image, from 0 to {k - 1}")
    D = parts.discriminator
    was_training = D.training
    D.eval()  # no batch-norm statistics and no spectral-norm power step from a look at D
    try:
        x = torch.from_numpy(np.clip(images, -1.0, 1.0)).to(experiment.device)
        y = None if labels is None else torch.from_numpy(labels).to(experiment.device)
        logits = score_each(D, x, y)  # a packed D (PacGAN): each image packed with copies of itself
    finally:
        D.train(was_training)
    return step, [float(v) for v in logits.cpu()]
