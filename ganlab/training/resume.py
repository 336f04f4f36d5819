"""Library work of saving, continuing and resuming runs (no Streamlit): saving a live runner as a
new run, the saver a runner autosaves into a run with (holding the run's lease, see
ganlab.storage.lease), and a saved image run's grids as timeline frames."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ganlab.gan.timeline import Frame
from ganlab.runs.store import snapshot_steps
from ganlab.runs.writer import RunWriter
from ganlab.storage import guard
from ganlab.storage.guard import mark_save_failed, save_error_text
from ganlab.storage.lease import RunLease, take
from ganlab.storage.paths import RunFormatError
from ganlab.training.runner import RunState


def save_runner_as(runner: Any, path: Path, saved_from: str, quality: Callable | None = None) -> tuple[RunWriter, Any]:
    """Save a live runner's training as a new run at `path` (paused): (its writer, the state saved).
    RunFormatError when a run of that name exists (nothing is overwritten)."""
    if Path(path).exists():
        raise RunFormatError(f"a run named “{Path(path).name}” already exists; choose another name")
    state = runner.export_state()
    writer = RunWriter(path, runner.experiment, extra={"saved_from": saved_from}, status="paused",
                       eval_every=runner.eval_every, quality=quality)
    writer.save(state)
    return writer, state


def autosave_into(runner: Any, writer: RunWriter, every_s: float, who: str = "a training on this server") -> None:
    """From now on `runner` saves into `writer`'s run every `every_s` seconds and on pause,
    holding the run's lease as `who` (RunBusy when someone else holds it)."""
    runner.set_saver(RunSaver(writer, take(writer.run_dir, who), {"runner": runner}), every_s)


class RunSaver:
    """A runner's saver into one run whose lease it holds: it autosaves with the runner's status
    ("training" / "paused"); `finish` is the last save when the run stops being trained here
    (its page released or reset, its trainer lost), with a status that says what happened, and
    gives the run back. `holder["runner"]` is the runner (it may be set after the saver: a new
    runner is built with its saver)."""

    def __init__(self, writer: RunWriter, lease: RunLease, holder: dict[str, Any]) -> None:
        self.writer, self.lease, self.holder = writer, lease, holder
        writer.lease = lease
        self._lock = threading.Lock()
        self.closed = False

    @property
    def run_dir(self) -> Path:
        return self.writer.run_dir

    def __call__(self, state: Any) -> None:
        with self._lock:
            if self.closed:  # an autosave on its way as the run ended here: the final save was the last word
                return
            runner = self.holder.get("runner")
            running = runner is not None and runner.state == RunState.RUNNING
            self.writer.save(state, status="training" if running else "paused")

    def finish(self, state: Any | None, status: str, message: str) -> None:
        """The final save of `state` (None: only the status and message, the last autosave is
        what the run keeps) with `status`, then the run is given back. Never raises."""
        with self._lock:
            if self.closed:
                return
            self.closed = True
            try:
                if state is not None:
                    self.writer.save(state, status=status, message=message)
                else:
                    self.writer.mark(status, message)
            except Exception as exc:  # the run keeps its last good save; say so in it
                mark_save_failed(self.run_dir, f"{message} The final save failed: {save_error_text(exc)}")
            finally:
                self.lease.release()

    def close(self) -> None:
        """Stop saving and give the run back without a new save (before it is renamed or deleted,
        or when another run replaces it); a run saved while training says "paused" from now on."""
        with self._lock:
            if self.closed:
                return
            self.closed = True
            try:
                if (guard.saved_config(self.run_dir) or {}).get("status") == "training":
                    self.writer.mark("paused", "Paused when the session that trained it stopped saving into it.")
            except (OSError, RunFormatError):
                pass  # the run keeps its last save; the lease goes back in any case
            finally:
                self.lease.release()

    def reopen(self) -> bool:
        """Hold the run again after `finish` (a restarted trainer goes on saving into it); False
        when another session or process took it meanwhile."""
        with self._lock:
            if not self.closed:
                return True
            if not self.lease.retake():
                return False
            self.closed = False
            return True


def saver_for(writer: RunWriter, holder: dict[str, Any], who: str = "a training on this server") -> RunSaver:
    """A RunSaver into `writer`'s run, taking its lease as `who` (RunBusy when another holds it)."""
    return RunSaver(writer, take(writer.run_dir, who), holder)


def timeline_frames(path: Path, structure: Any) -> list[Frame]:
    """The run's saved grids as timeline frames (image runs without EMA: a saved grid of an EMA
    run is the averaged generator's, which the page's timeline would label as the live one)."""
    if getattr(structure, "ema_decay", 0) > 0:
        return []
    from PIL import Image

    frames = []
    for step, file in snapshot_steps(path):
        if file.suffix != ".png":
            continue
        try:
            with Image.open(file) as img:
                pixels = np.asarray(img.convert("L" if structure.channels == 1 else "RGB"))
        except (OSError, ValueError):
            continue
        pixels = pixels[..., None] if pixels.ndim == 2 else pixels
        pixels = np.ascontiguousarray(pixels)
        pixels.setflags(write=False)
        frames.append(Frame(step, pixels))
    return frames
