"""Library work of saving, continuing and resuming runs (no Streamlit): saving a live runner as a
new run, the saver a runner autosaves into a run with, and a saved image run's grids as
timeline frames."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np

from ganlab.storage.paths import RunFormatError
from ganlab.runs.store import snapshot_steps
from ganlab.runs.writer import RunWriter
from ganlab.training.runner import RunState
from ganlab.gan.timeline import Frame


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


def autosave_into(runner: Any, writer: RunWriter, every_s: float) -> None:
    """From now on `runner` saves into `writer`'s run every `every_s` seconds and on pause."""
    runner.set_saver(saver_for(writer, {"runner": runner}), every_s)


def saver_for(writer: RunWriter, holder: dict[str, Any]) -> Callable[[Any], None]:
    """Save into `writer`, with the status of the runner put into `holder["runner"]` (it may come
    after the saver: a new runner is built with its saver)."""

    def save(state) -> None:
        runner = holder.get("runner")
        running = runner is not None and runner.state == RunState.RUNNING
        writer.save(state, status="training" if running else "paused")

    return save


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
