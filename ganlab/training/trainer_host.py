"""The trainer's side of a remote run: a `Runner` in a worker process (or a Ray actor), driven by
calls from the app server's `RemoteRunner`.

What the runner would do to the server directly (give back its training slot when a run stops
by itself, autosave through a saver) becomes an event here: the server collects them with
`next_events` (a long poll of numbered events, each sent until a later poll says it was seen),
writes saves into its own runs folder and answers with `save_done`. Every experiment the
server sends comes with a number, so the server can tell which of its own copies the runner
is training now (`experiment_seq`).
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

import torch

from ganlab.kinds import kind_of
from ganlab.settings.config import Knobs
from ganlab.training.runner import Runner
from ganlab.training.runner_state import Snapshot

DEFAULT_RECOVERY_EVERY_S = 10.0  # how often a run without a saved folder leaves a restart point (as a saved one autosaves)
SAVE_ACK_TIMEOUT_S = 120.0
# What the server may call on a host, through a worker's pipe or a Ray actor.
CALLS = frozenset({
    "play", "pause", "step", "step_traced", "set_knobs", "reset", "restore", "set_save_every", "save_now", "snapshot",
    "state", "experiment_seq", "wait_idle", "export_state", "call", "timeline_since",
    "release", "next_events", "save_done",
})


class SaveRefused(RuntimeError):
    """The server could not write an autosave (its message is on the server's side)."""


def pick_device(experiment: Any, image_device: str = "auto") -> Any:
    """Image runs train on the GPU when there is one (`image_device` "auto"), 2D runs on the CPU."""
    if not kind_of(experiment).uses_accelerator or image_device == "cpu":
        return experiment
    if image_device == "auto" and not torch.cuda.is_available():
        return experiment
    device = "cuda" if image_device == "auto" else image_device
    return experiment.on_device(device)


class _SlotEvents:
    """Stands in for the server's training slots: the server takes the slot before Play reaches
    the runner; a run that stops (pause, divergence, error) tells the server to free it."""

    def __init__(self, host: "TrainerHost") -> None:
        self._host = host

    def acquire(self, holder: str, need: int = 0) -> None:
        pass

    def release(self, holder: str) -> None:
        if holder == self._host.runner.id:  # a Step's slot is the server's to take and give back
            self._host._post(("stopped", self._host._play_gen))


class TrainerHost:
    def __init__(self, experiment: Any, knobs: Knobs, seq: int = 0, *, eval_every: int = 100,
                 view_interval: float = 0.2, history_capacity: int = 2000, image_device: str = "auto") -> None:
        self._events: list[tuple[int, tuple]] = []  # (number, event) until the server says it has it
        self._event_count = 0
        self._cond = threading.Condition()
        self._save_seq = 0
        self._acks: dict[int, bool] = {}
        self._play_gen = 0
        self._image_device = image_device
        self._experiments: dict[int, Any] = {}
        self._recovery_every = DEFAULT_RECOVERY_EVERY_S
        self._saves_to_folder = False
        placed = self._register(seq, experiment)
        self.runner = Runner(placed, knobs, slots=_SlotEvents(self), eval_every=eval_every,
                             view_interval=view_interval, history_capacity=history_capacity,
                             saver=self._save, save_every=self._recovery_every)

    # ------------------------------------------------------------ the runner's calls
    def play(self, gen: int) -> Any:
        """Train; returns the state after (not RUNNING when the run is in error)."""
        self._play_gen = gen
        self.runner.play()
        return self.runner.state

    def pause(self) -> None:
        self.runner.pause()

    def step(self, which: str = "both", count: int = 1, evaluate: bool = True) -> None:
        self.runner.step(which, count, evaluate=evaluate)

    def step_traced(self, timeout: float = 30.0) -> Any:
        return self.runner.step_traced(timeout)

    def set_knobs(self, knobs: Knobs) -> None:
        self.runner.set_knobs(knobs)

    def reset(self, seq: int, experiment: Any | None, notice: str | None) -> None:
        placed = self._register(seq, experiment) if experiment is not None else None
        self.runner.reset(placed, notice)
        self.set_save_every(None)  # a fresh run has no folder (reset drops the saver); restart points go on

    def restore(self, seq: int, experiment: Any, state: Any, notice: str | None) -> None:
        self.runner.restore(self._register(seq, experiment), state, notice)

    def set_save_every(self, seconds: float | None) -> None:
        """`seconds` between the autosaves of a run with a folder to save into; None: the run has
        none, and its autosaves are only restart points (handed over without waiting)."""
        self._recovery_every = DEFAULT_RECOVERY_EVERY_S if seconds is None else seconds
        self._saves_to_folder = seconds is not None
        self.runner.set_saver(self._save, self._recovery_every)

    def save_now(self) -> None:
        self.runner.save_now()

    def snapshot(self, want_view: bool = False, wait_for_view: float = 0.0,
                 with_history: bool = True, view_range: tuple | None = None) -> tuple[Snapshot, int]:
        snap = self.runner.snapshot(want_view, wait_for_view, with_history=with_history, view_range=view_range)
        return snap, self.experiment_seq()

    def state(self) -> tuple[Any, int]:
        return self.runner.state, self.experiment_seq()

    def experiment_seq(self) -> int:
        current = self.runner.experiment
        return next((seq for seq, exp in self._experiments.items() if exp is current), -1)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        return self.runner.wait_idle(timeout)

    def export_state(self, timeout: float = 60.0) -> Any:
        return self.runner.export_state(timeout)

    def call(self, fn: Callable, timeout: float = 30.0, what: str = "the request") -> Any:
        return self.runner.call_on_thread(fn, timeout, what)

    def timeline_since(self, generation: int, after_step: int) -> tuple[int, list[int], list[Any]]:
        """(generation, the kept frames' steps, the frames after `after_step`); all frames when
        the timeline was cleared since `generation`."""
        timeline = getattr(self.runner.experiment, "timeline", None)
        if timeline is None:
            return 0, [], []
        frames = timeline.frames()
        gen = timeline.generation
        after = after_step if gen == generation else -1
        return gen, [f.step for f in frames], [f for f in frames if f.step > after]

    def release(self) -> None:
        self.runner.release()
        with self._cond:
            self._append(("released",))
            self._acks = {seq: False for seq in self._acks}
            self._cond.notify_all()

    # ----------------------------------------------------------------- events
    def next_events(self, timeout: float = 1.0, seen: int = 0) -> list[tuple[int, tuple]]:
        """The (number, event) pairs after number `seen`, waiting up to `timeout` s for one. An
        event is dropped only once a later call says it was seen: an answer lost to a timeout
        (a trainer stopped for a while, then going on) is sent again, so no "stopped" is lost
        and no training slot stays held for a run that no longer trains."""
        deadline = time.monotonic() + timeout
        with self._cond:
            self._events = [(n, e) for n, e in self._events if n > seen]
            while not self._events and (remaining := deadline - time.monotonic()) > 0:
                self._cond.wait(remaining)
            return list(self._events)

    def save_done(self, seq: int, ok: bool) -> None:
        with self._cond:
            if seq in self._acks:
                self._acks[seq] = ok
                self._cond.notify_all()

    # ------------------------------------------------------------------ inside
    def _register(self, seq: int, experiment: Any) -> Any:
        placed = pick_device(experiment, self._image_device)
        self._experiments = {s: e for s, e in self._experiments.items() if e is self._current_or_none()}
        self._experiments[seq] = placed
        return placed

    def _current_or_none(self) -> Any:
        runner = getattr(self, "runner", None)
        return runner.experiment if runner is not None else None

    def _post(self, event: tuple) -> None:
        with self._cond:
            self._append(event)

    def _append(self, event: tuple) -> None:
        """Number and queue `event` (the caller holds the lock)."""
        self._event_count += 1
        self._events.append((self._event_count, event))
        self._cond.notify_all()

    def _save(self, state: Any) -> None:
        """The runner's saver: hand the state (and the timeline it goes with) to the server; when it
        goes into a run folder, wait until the server has written it (a failed write is retried)."""
        timeline = getattr(self.runner.experiment, "timeline", None)
        frames = timeline.frames() if timeline is not None else ()
        with self._cond:
            self._save_seq += 1
            seq = self._save_seq
            if not self._saves_to_folder:  # a restart point: the newest replaces one not collected yet
                self._events = [(n, e) for n, e in self._events if e[0] != "save"]
                self._append(("save", seq, state, frames))
                return
            self._acks[seq] = None
            self._append(("save", seq, state, frames))
            deadline = time.monotonic() + SAVE_ACK_TIMEOUT_S
            while self._acks[seq] is None and (remaining := deadline - time.monotonic()) > 0:
                self._cond.wait(remaining)
            ok = self._acks.pop(seq)
        if not ok:
            raise SaveRefused("the server did not write this autosave")
