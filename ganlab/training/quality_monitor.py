"""Image-quality numbers measured in the background while a GAN trains.

`QualityMonitor` runs its own daemon thread (one torch intra-op thread, stopped by an
Event). Every `interval_s` seconds, or at once after `request()`, it asks a sample source
for `(step, images)` (images None: nothing new), and when the step is new, scores the
images with an evaluator (by default `ImageQualityEvaluator`: the metric classifier
against the shipped held-out real digits) and keeps the result in a bounded history keyed
by step. Training is not stalled: `runner_sample_source` copies the generator on the
runner's thread between two steps (milliseconds) and runs it, the classifier and the
statistics here. Pages read `snapshot()` (or `latest()` / `history()`), copies taken
under one lock. Errors (no samples, a missing classifier file, bad images) are kept as
`error`, a message for the page, and the thread keeps trying at the next interval; the
next success clears it.

Sample size: whatever the source hands out (the experiment's 256 fixed-noise samples);
the real-vs-real baselines are built for that same size (see `image_quality`).

    reason = unavailable_reason_for(structure)        # ganlab.metrics.classifier
    if reason is None:
        monitor = QualityMonitor(runner_sample_source(runner), ImageQualityEvaluator())
        monitor.start()
        ...
        snap = monitor.snapshot()  # .latest, .history, .error, .state
        monitor.stop()
"""

from __future__ import annotations

import functools
import itertools
import threading
import time
from dataclasses import dataclass
from enum import Enum
from typing import Any, Callable

import numpy as np
import torch

from ganlab.kinds import kind_of
from ganlab.metrics.evaluator import ImageQualityEvaluator, QualityResult  # noqa: F401  (re-exported)
from ganlab.training.error_text import ShownError, logged_reason
from ganlab.training.net_copies import NetWeights, capture_weights, live_modules, nets_from_weights

SampleSource = Callable[[], tuple[int, np.ndarray | None]]  # images None: nothing new since the last call
DEFAULT_INTERVAL_S = 5.0
DEFAULT_HISTORY = 500
_ids = itertools.count(1)


def copy_generator_for_scoring(parts: Any, experiment: Any, step: int, *, ema: bool,
                               unless_step: int | None) -> tuple[int, NetWeights | None, Any, Any]:
    """On the runner's thread: the weights of the (averaged, with `ema`) generator, with the eval
    noise and labels; nothing but the step when the weights are still at `unless_step`. Weights,
    not a module: they cross to the server from a trainer process (ganlab.training.net_copies)."""
    if step == unless_step:
        return step, None, None, None
    name = "ema" if ema else "generator"
    if name not in live_modules(parts):
        raise ShownError("this run keeps no averaged (EMA) generator")
    weights = capture_weights((name,), parts, experiment, step)
    labels = getattr(experiment, "eval_labels", None)
    return (step, weights, experiment.eval_noise.detach().cpu(), None if labels is None else labels.detach().cpu())


def runner_sample_source(runner: Any, *, ema: bool = False, timeout: float = 30.0) -> SampleSource:
    """A sample source on a `Runner`: `(step, images)` of its generator (or, with `ema`, its
    averaged generator) on the experiment's fixed eval noise (and balanced eval labels, for
    a conditional GAN). Only the generator's weights are copied on the runner thread, between
    two steps (a few milliseconds); they are loaded into this source's own CPU generator (built
    once per structure) and the forward pass runs on the caller's thread (the monitor's), so
    training is not held up by it. The copy keeps the live net's mode (train-mode batch norm,
    like `Runner.generate_eval_samples` and the preview grid); its running statistics are the
    copy's own, so the live net is never touched. While the step has not moved since the last
    images it handed out (a paused run), it copies nothing and returns `(step, None)`."""
    last: dict[str, Any] = {"step": None, "structure": None, "nets": None}

    def source() -> tuple[int, np.ndarray | None]:
        copy = functools.partial(copy_generator_for_scoring, ema=ema, unless_step=last["step"])
        step, weights, noise, labels = runner.call_on_thread(copy, timeout, "copying the generator")
        if weights is None:
            return step, None
        reuse = last["nets"] if last["structure"] == weights.structure else None
        nets = nets_from_weights(weights, into=reuse)
        last["structure"], last["nets"] = weights.structure, nets
        with torch.no_grad():
            images = nets[weights.nets[0]](noise, labels).float().numpy()
        last["step"] = step
        return step, images

    return source


class MonitorState(str, Enum):
    IDLE = "idle"  # made, not started
    RUNNING = "running"
    STOPPED = "stopped"


@dataclass(frozen=True)
class MonitorSnapshot:
    state: MonitorState
    latest: QualityResult | None
    history: tuple[QualityResult, ...]  # by step, oldest first
    error: str | None  # why the last attempt failed; None after a success
    evaluations: int  # results computed since start (history may hold fewer)
    checks: int  # times the source was asked for samples


class QualityMonitor:
    """See the module note. `evaluator(step, images) -> QualityResult`; `source() ->
    (step, images)`. A step lower than the last one means the run was reset: the history
    starts again."""

    def __init__(self, source: SampleSource, evaluator: Callable[[int, np.ndarray], QualityResult] | None = None,
                 *, interval_s: float = DEFAULT_INTERVAL_S, history_capacity: int = DEFAULT_HISTORY,
                 torch_threads: int | None = 1) -> None:
        if interval_s <= 0:
            raise ValueError(f"interval_s must be positive, got {interval_s}")
        if history_capacity < 1:
            raise ValueError(f"history_capacity must be at least 1, got {history_capacity}")
        self.id = f"quality-monitor-{next(_ids)}"
        self._source = source
        self._evaluator = evaluator if evaluator is not None else ImageQualityEvaluator()
        self.interval_s = interval_s
        self._capacity = history_capacity
        self._torch_threads = torch_threads
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._history: dict[int, QualityResult] = {}  # insertion order = step order
        self._error: str | None = None
        self._evaluations = 0
        self._checks = 0
        self._state = MonitorState.IDLE
        self._thread = threading.Thread(target=self._loop, name=self.id, daemon=True)

    # ------------------------------------------------------------- page side
    def start(self) -> None:
        """Start the thread (a second call does nothing; a stopped monitor cannot restart)."""
        with self._lock:
            if self._state == MonitorState.STOPPED:
                raise RuntimeError("this quality monitor was stopped; make a new one")
            if self._state == MonitorState.RUNNING:
                return
            self._state = MonitorState.RUNNING
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread for good (it finishes the measurement under way, if any)."""
        with self._lock:
            self._state = MonitorState.STOPPED
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    def request(self) -> None:
        """Measure as soon as possible instead of at the end of the interval."""
        self._wake.set()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    @property
    def state(self) -> MonitorState:
        with self._lock:
            return self._state

    @property
    def error(self) -> str | None:
        with self._lock:
            return self._error

    def latest(self) -> QualityResult | None:
        with self._lock:
            return next(reversed(self._history.values()), None)

    def history(self) -> tuple[QualityResult, ...]:
        with self._lock:
            return tuple(self._history.values())

    def snapshot(self) -> MonitorSnapshot:
        with self._lock:
            history = tuple(self._history.values())
            return MonitorSnapshot(self._state, history[-1] if history else None, history, self._error,
                                   self._evaluations, self._checks)

    # ----------------------------------------------------------- thread side
    def _loop(self) -> None:
        torch.set_flush_denormal(True)
        if self._torch_threads is not None:
            torch.set_num_threads(self._torch_threads)
        while not self._stop.is_set():
            self._wake.clear()
            self._measure_once()
            self._wake.wait(self.interval_s)

    def _measure_once(self) -> None:
        try:
            step, images = self._source()
        except Exception as exc:  # shown on the page; tried again next interval
            self._set_error(f"No samples for the quality numbers: {logged_reason(exc, 'quality samples')}; tried again shortly.")
            return
        finally:
            with self._lock:
                self._checks += 1
        with self._lock:
            last = next(reversed(self._history.values()), None)
        if images is None or (last is not None and last.step == step):
            return  # nothing new (paused): keep the CPU for training
        try:
            result = self._evaluator(int(step), np.asarray(images))
        except Exception as exc:
            self._set_error(f"The quality numbers failed at step {step}: {logged_reason(exc, 'quality numbers')}.")
            return
        with self._lock:
            if self._history and step < next(reversed(self._history)):
                self._history.clear()  # the run was reset: the old curve belongs to another run
            self._history[int(step)] = result
            while len(self._history) > self._capacity:
                del self._history[next(iter(self._history))]
            self._evaluations += 1
            self._error = None

    def _set_error(self, message: str) -> None:
        with self._lock:
            self._error = message


def monitor_for_run(runner: Any, interval_s: float = DEFAULT_INTERVAL_S) -> QualityMonitor | None:
    """A (not yet started) monitor scoring `runner`'s generator the way the image page's Quality
    panel does (the averaged one when the run keeps it); None when the metric classifier does
    not fit the run (2D runs, colour or non-digit images)."""
    from ganlab.metrics.classifier import unavailable_reason_for

    experiment = runner.experiment
    if not kind_of(experiment).scores_image_quality or unavailable_reason_for(experiment.structure) is not None:
        return None
    return QualityMonitor(runner_sample_source(runner, ema=experiment.structure.ema_decay > 0), interval_s=interval_s)


def measure_step(monitor: QualityMonitor, step: int, timeout: float = 60.0) -> bool:
    """Ask for a measurement now and wait (at most `timeout` s) until one of `step` is in; True when
    it is, False when it timed out or a measurement after the request failed (see `error`)."""
    monitor.request()
    checks = monitor.snapshot().checks
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and monitor.alive:
        snap = monitor.snapshot()
        if snap.latest is not None and snap.latest.step >= step:
            return True
        if snap.error is not None and snap.checks > checks + 1:  # a check that began after the request failed
            return False
        monitor.request()
        time.sleep(0.05)
    return False
