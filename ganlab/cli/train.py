"""The `ganlab train` command: load the data, run the background Runner in chunks, write the run directory."""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from ganlab.cli.common import (
    EXIT_DIVERGED,
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    UsageError,
    image_data_names,
    image_preset_table,
    pick_device,
)
from ganlab.cli.fields import structure_flags_given
from ganlab.cli.progress import Progress
from ganlab.cli.settings import apply_knob_flags, check_run_args, deep_merge, merge_settings, resolve_config, resolve_image_config
from ganlab.cli.train_data import load_images, load_points
from ganlab.cli.train_summary import print_summary
from ganlab.kinds import kind_of
from ganlab.settings.config import Knobs
from ganlab.storage.paths import RunFormatError

# history.csv holds one row per training step up to this many steps; longer runs are
# averaged into buckets of 2, 4, ... steps (a row's `step` is its bucket's last step).
MAX_HISTORY_ROWS = 200_000
OUTPUT_FILES = ("config.json", "weights.safetensors", "history.csv", "evals.csv", "snapshots", "samples.npy")


def _out_dir(args: argparse.Namespace) -> Path:
    """The run directory: --out, else --name (or a generated name) in the runs folder."""
    from ganlab.storage.paths import run_path

    if args.out is not None:
        out = Path(args.out)
    else:
        name = args.name
        if name is None:
            base = (args.data or ("csv" if args.csv is not None else None)
                    or (Path(args.images).stem if args.images is not None else None) or "ring")
            name = f"{base}-{time.strftime('%Y%m%d-%H%M%S')}"
        try:
            out = run_path(name, args.runs_dir)
        except RunFormatError as exc:
            raise UsageError(str(exc)) from None
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file, not a directory")
    if out.is_dir() and any(out.iterdir()) and not args.force:
        raise UsageError(f"output directory {out} is not empty; choose another --out or pass --force to overwrite")
    return out


# ------------------------------------------------------------------ training
def _choose_chunk(rate: float, target_seconds: float, remaining: int) -> int:
    if rate <= 0:
        return min(remaining, 10)
    return max(1, min(remaining, int(rate * target_seconds), 100_000))


def _wait(runner) -> None:
    while not runner.wait_idle(timeout=1.0):
        if not runner.alive:
            raise RuntimeError("the training thread stopped unexpectedly")


def _sigterm_interrupts():
    """Make SIGTERM stop training like Ctrl-C does (the run so far is written); returns an undo."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    return lambda: signal.signal(signal.SIGTERM, previous)


def _clear_old_run(out: Path) -> None:
    """--force over an old run: remove its run files (not the user's other files), so no stale
    snapshot or samples file outlives it."""
    for name in OUTPUT_FILES:
        path = out / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()


def _prepare(args: argparse.Namespace, structure_table, knobs_table, device: str):
    """(experiment, knobs, state to resume from or None, out dir, extra config, modes_total)."""
    from ganlab.runs.catalog import writer_alive
    from ganlab.runs.store import load_run
    from ganlab.storage.paths import resolve_run

    extra: dict[str, Any] = {}
    if args.resume is not None:
        out = resolve_run(args.resume, args.runs_dir)
        experiment, state, old = load_run(out, device)
        if writer_alive(old):
            raise UsageError(f"run {out.name} is still being written by process {old['writer']['pid']}")
        if structure_table or structure_flags_given(args) or args.max_images is not None:
            raise UsageError("--resume continues the saved nets: structure settings cannot change")
        knobs = Knobs.from_dict(deep_merge(state.knobs.to_dict(), knobs_table)) if knobs_table else state.knobs
        knobs = apply_knob_flags(args, knobs)
        extra = {k: old[k] for k in ("preset", "csv", "images", "created") if k in old}
        wanted = min(MAX_HISTORY_ROWS, state.step + args.steps + 1)  # room for one row per step, as a fresh run
        for table in (state.history, state.evals):
            if table is not None and table["capacity"] < wanted:
                table["capacity"] = wanted + wanted % 2
        args.preset = old.get("preset")
    elif args.images is not None or args.data in image_data_names():
        from ganlab.data.image_sources import DatasetMismatch, check_for_structure
        from ganlab.kinds.image_experiment import ImageExperiment

        dataset = load_images(args)
        structure, knobs = resolve_image_config(args, dataset, structure_table, knobs_table)
        try:
            check_for_structure(dataset, structure)
        except DatasetMismatch as exc:
            raise UsageError(str(exc)) from None
        out = _out_dir(args)
        experiment, state = ImageExperiment(structure, dataset, device=device), None
        extra = {"preset": args.preset or next(iter(image_preset_table()), None),
                 "images": str(Path(args.images).resolve()) if args.images is not None else None}
    else:
        from ganlab.kinds.toy_experiment import ToyExperiment

        structure, knobs = resolve_config(args, structure_table, knobs_table)
        dataset = load_points(args.csv) if args.csv is not None else None
        out = _out_dir(args)
        experiment, state = ToyExperiment(structure, dataset=dataset, device=device), None
        extra = {"preset": args.preset or "default", "csv": str(Path(args.csv).resolve()) if args.csv is not None else None}
    modes_total = kind_of(experiment).modes_total(experiment)
    return experiment, knobs, state, out, extra, modes_total


@dataclass
class _Training:
    """One `ganlab train` in progress: what its stages (start, train, stop, save) share."""

    args: argparse.Namespace
    experiment: Any
    knobs: Knobs
    out: Path
    modes_total: int | None
    writer: Any
    runner: Any
    monitor: Any
    progress: Progress
    guard: Any
    status: str = "completed"
    message: str | None = None
    snap: Any = None
    state: Any = None
    start_step: int = 0
    seconds: float = 0.0


def cmd_train(args: argparse.Namespace) -> int:
    import torch

    structure_table, knobs_table = merge_settings(args)
    check_run_args(args)
    device = pick_device(args.device)
    torch.set_flush_denormal(True)
    experiment, knobs, resume_state, out, extra, modes_total = _prepare(args, structure_table, knobs_table, device)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create --out {out}: {exc.strerror or exc}") from None
    lease = _take_run(out, "resume" if resume_state is not None else "train into")
    try:
        if resume_state is None and args.force:
            _clear_old_run(out)
        return _train_and_save(args, experiment, knobs, resume_state, out,
                               dict(extra, steps_requested=args.steps, device=device), modes_total, lease)
    finally:
        lease.release()


def _train_and_save(args: argparse.Namespace, experiment: Any, knobs: Knobs, resume_state: Any, out: Path,
                    extra: dict[str, Any], modes_total: int | None, lease: Any) -> int:
    run = _start(args, experiment, knobs, out, extra, modes_total, lease)
    restore_sigterm = _sigterm_interrupts()
    try:
        _train(run, resume_state)
        _stop(run)
    finally:
        if run.monitor is not None:
            run.monitor.stop()
        run.runner.release()
        restore_sigterm()
    run.progress.break_line()
    if run.message:
        print(f"ganlab train: {run.message}", file=sys.stderr)
        if run.snap.error_detail and os.environ.get("GANLAB_DEBUG"):
            print(run.snap.error_detail, file=sys.stderr)
    return _save(run)


def _take_run(out: Path, doing: str):
    """The run folder's lease for this command (ganlab.storage.lease): UsageError, touching nothing,
    when another process or a page's session writes the run."""
    from ganlab.runs.catalog import writer_alive
    from ganlab.storage.guard import saved_config
    from ganlab.storage.lease import RunBusy, busy_text, take

    old = saved_config(out) or {}
    if writer_alive(old):
        raise UsageError(f"run {out.name} is still being written by process {old['writer']['pid']}, so you "
                         f"cannot {doing} it now; wait until that training has ended, or train under another --name")
    try:
        return take(out, f"`ganlab train` (process {os.getpid()})")
    except RunBusy as exc:
        raise UsageError(busy_text(out.name, exc.holder, doing, offer_copy=False) + " Or train under another --name.") from None
    except RunFormatError as exc:
        raise UsageError(str(exc)) from None


def _start(args: argparse.Namespace, experiment: Any, knobs: Knobs, out: Path, extra: dict[str, Any],
           modes_total: int | None, lease: Any) -> _Training:
    """The run's writer (holding the run's lease), its Runner (saving into the writer), the Quality
    monitor, progress and guard."""
    from ganlab.cli.train_guard import TrainGuard
    from ganlab.runs.writer import RunWriter
    from ganlab.training.quality_monitor import monitor_for_run
    from ganlab.training.runner import Runner

    writer = RunWriter(out, experiment, extra=extra, eval_every=args.eval_every, lease=lease)
    capacity = max(4, min(MAX_HISTORY_ROWS, args.steps + args.steps % 2))
    runner = Runner(experiment, knobs, eval_every=args.eval_every, history_capacity=capacity,
                    torch_threads=args.threads, saver=writer.save, save_every=args.save_every)
    monitor = monitor_for_run(runner, interval_s=args.save_every)  # the image page's Quality numbers
    if monitor is not None:
        writer.quality = monitor.history
        monitor.start()
    progress = Progress(args.steps, sys.stderr, modes_total, enabled=not args.quiet)
    return _Training(args, experiment, knobs, out, modes_total, writer, runner, monitor, progress,
                     TrainGuard(runner, sys.stderr))


def _train(run: _Training, resume_state: Any) -> None:
    """Restore a resumed run, then train --steps in chunks of about a progress tick each; Ctrl-C
    (or SIGTERM) ends training early and keeps what was trained."""
    from ganlab.training.error_text import for_the_command_line
    from ganlab.training.runner import RunState

    runner = run.runner
    started = time.monotonic()
    try:
        _wait(runner)  # the first reset builds the nets and measures step 0
        if resume_state is not None:
            runner.restore(run.experiment, resume_state)
            _wait(runner)  # before new knobs: queued with the restore, they were applied first and lost
            if run.knobs != resume_state.knobs:
                runner.set_knobs(run.knobs)
                _wait(runner)
        run.snap = runner.snapshot()
        if run.snap.state == RunState.ERROR:
            raise UsageError(f"cannot resume {run.out.name}: {for_the_command_line(run.snap.message or '')}")
        run.start_step = run.snap.step
        run.guard.keep()
        started = time.monotonic()
        _train_chunks(run, started)
    except KeyboardInterrupt:
        run.status = "interrupted"
        run.progress.break_line()
        print(f"ganlab train: interrupted; writing what was trained so far to {run.out}", file=sys.stderr)
        _wait(runner)  # the chunk in flight is short; a second Ctrl-C aborts
    run.seconds = time.monotonic() - started


def _train_chunks(run: _Training, started: float) -> None:
    from ganlab.training.runner import RunState

    runner, steps = run.runner, run.args.steps
    target = 0.25 if run.progress.tty else 0.5
    rate, done = 0.0, run.start_step
    minutes = getattr(run.args, "minutes", None)
    budget = None if minutes is None else 60 * minutes  # --minutes: a time budget
    while done - run.start_step < steps and runner.state not in (RunState.DIVERGED, RunState.ERROR):
        if budget is not None and time.monotonic() - started >= budget:
            break
        chunk = _choose_chunk(rate, target, steps - (done - run.start_step))
        t0 = time.monotonic()
        runner.step("both", count=chunk, evaluate=False)  # evals at multiples of eval_every only
        _wait(runner)
        run.snap = snap = runner.snapshot()
        chunk_rate = (snap.step - done) / max(time.monotonic() - t0, 1e-9)
        rate = chunk_rate if rate == 0 else 0.7 * rate + 0.3 * chunk_rate
        done = snap.step
        if snap.state in (RunState.DIVERGED, RunState.ERROR):
            break
        run.guard.after_chunk(healthy=True)
        run.progress.update(done - run.start_step, rate, snap.latest, snap.latest_eval, time.monotonic() - started,
                            final=done - run.start_step >= steps)


def _stop(run: _Training) -> None:
    """Measure the final weights, keep the last finite state, and say why training stopped."""
    from ganlab.cli.train_guard import divergence_message
    from ganlab.training.error_text import for_the_command_line
    from ganlab.training.quality_monitor import measure_step
    from ganlab.training.runner import RunState

    runner = run.runner
    runner.set_saver(None)  # the final save is the last word
    if runner.state != RunState.ERROR:
        runner.step("both", count=0)  # no training: measures the final weights (once per step)
        _wait(runner)
    run.snap = snap = runner.snapshot()
    run.state, kept = run.guard.finite_state(runner.export_state())
    if snap.state == RunState.DIVERGED:
        run.status = "diverged"
        bad = next((k for k, v in snap.latest.items() if not math.isfinite(v)), "a loss")
        value = snap.latest.get(bad, float("nan"))
        run.message = divergence_message(snap.step, bad, value, run.state.step if kept else None, run.out.name,
                                         run.knobs)
    elif snap.state == RunState.ERROR:
        run.status, run.message = "error", for_the_command_line(snap.message or "training stopped with an error")
    if run.monitor is not None and run.status not in ("error", "diverged"):  # the final weights' Quality numbers
        measure_step(run.monitor, snap.step)
    run.guard.report_save_error()


def _save(run: _Training) -> int:
    """The final save, the summary on stdout, and the exit status."""
    from ganlab.cli.train_guard import save_or_report

    snap, state, out, modes_total = run.snap, run.state, run.out, run.modes_total
    final_metrics = dict(snap.latest_eval)
    if snap.evals and len(snap.evals["step"]):
        final_metrics = {"step": int(snap.evals["step"][-1]), **final_metrics}
    if modes_total is not None:
        final_metrics["modes_total"] = modes_total
    trained = state.step - run.start_step
    run.writer.extra.update({
        "steps": state.step, "steps_trained": trained, "threads": run.args.threads, "seconds": round(run.seconds, 3),
        "steps_per_sec": round(trained / run.seconds, 2) if run.seconds > 0 else None,
        "final_metrics": final_metrics,
        "files": {"history_rows": len(snap.history["step"]), "history_stride": _stride(snap.history)},
    })
    if not save_or_report(run.writer, state, run.status, run.message, sys.stderr):
        return EXIT_ERROR
    written = ["config.json", "weights.safetensors", "history.csv", "evals.csv", "snapshots/"]
    samples_file = kind_of(run.experiment).samples_file
    if samples_file is not None:
        if run.status == "error":
            (out / samples_file).unlink(missing_ok=True)  # weights after a failure are no result to sample
        else:
            written.append(samples_file)
    config = json.loads((out / "config.json").read_text())
    try:
        print_summary(config, modes_total, out, written)
        sys.stdout.flush()
    except BrokenPipeError:  # `ganlab train ... | head -1`: the run is written, stay quiet
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return {"completed": EXIT_OK, "diverged": EXIT_DIVERGED, "error": EXIT_ERROR,
            "interrupted": EXIT_INTERRUPTED}[run.status]


def _stride(history: Mapping[str, Any]) -> int:
    steps = history.get("step")
    if steps is None or len(steps) < 2:
        return 1
    return int(steps[1] - steps[0])
