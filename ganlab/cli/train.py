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
from pathlib import Path
from typing import Any, Mapping

from ganlab.cli.common import (EXIT_DIVERGED, EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, UsageError, _fmt, _image_names,
                               _image_presets, _pick_device)
from ganlab.cli.progress import Progress
from ganlab.cli.fields import structure_flags_given
from ganlab.cli.settings import (_apply_knob_flags, _check_run_args, _merge, merge_settings, resolve_config,
                                 resolve_image_config)
from ganlab.settings.config import Knobs
from ganlab.storage.paths import RunFormatError
from ganlab.kinds import kind_of

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


def _load_points(path: Path):
    from ganlab.data.points_csv import PointsFileError, empirical_distribution, load_points_csv

    try:
        with path.open("rb") as f:  # read as a stream: a huge file stops at the first limit
            loaded = load_points_csv(f)
    except OSError as exc:
        raise UsageError(f"cannot read --csv {path}: {exc.strerror or exc}") from None
    except PointsFileError as exc:
        raise UsageError(f"--csv {path}: {exc}") from None
    if loaded.bad:
        print(f"--csv {path}: {loaded.summary()}", file=sys.stderr)
    return empirical_distribution(loaded.points, label=path.name)


def _load_images(args: argparse.Namespace):
    """The image dataset the flags name, at --image-size / --channels (default: the data's own)."""
    from ganlab.data.image_files import ImageFilesError, load_image_folder, load_image_zip_file
    from ganlab.data.image_sources import IMAGE_SOURCES, DatasetUnavailable

    if args.images is None:
        src = IMAGE_SOURCES[args.data]
        try:
            return src.load(args.image_size, args.channels, max_images=args.max_images, seed=args.seed or 0)
        except DatasetUnavailable as exc:
            raise UsageError(str(exc)) from None
    path = Path(args.images)
    size, channels = args.image_size or 28, args.channels or 1
    try:
        if path.is_dir():
            dataset, report = load_image_folder(path, size, channels, name=f"{path.name} (folder)")
        elif path.suffix.lower() == ".zip" and path.is_file():
            dataset, report = load_image_zip_file(path, size, channels, name=f"{path.stem} (zip)")
        else:
            raise UsageError(f"--images {path}: not a folder or a .zip file")
    except (ImageFilesError, OSError) as exc:
        raise UsageError(f"--images {path}: {exc}") from None
    if report.skipped or report.note:
        print(f"--images {path}: {report.summary()}", file=sys.stderr)
    if args.max_images is not None and len(dataset) > args.max_images:
        import torch

        from ganlab.data.images import ImageDataset

        keep = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(args.seed or 0))[: args.max_images]
        dataset = ImageDataset(dataset.images[keep], None if dataset.labels is None else dataset.labels[keep],
                               name=dataset.name, class_names=dataset.class_names or None)
    return dataset


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
    from ganlab.storage.paths import resolve_run
    from ganlab.runs.store import load_run

    extra: dict[str, Any] = {}
    if args.resume is not None:
        out = resolve_run(args.resume, args.runs_dir)
        experiment, state, old = load_run(out, device)
        if writer_alive(old):
            raise UsageError(f"run {out.name} is still being written by process {old['writer']['pid']}")
        if structure_table or structure_flags_given(args) or args.max_images is not None:
            raise UsageError("--resume continues the saved nets: structure settings cannot change")
        knobs = Knobs.from_dict(_merge(state.knobs.to_dict(), knobs_table)) if knobs_table else state.knobs
        knobs = _apply_knob_flags(args, knobs)
        extra = {k: old[k] for k in ("preset", "csv", "images", "created") if k in old}
        wanted = min(MAX_HISTORY_ROWS, state.step + args.steps + 1)  # room for one row per step, as a fresh run
        for table in (state.history, state.evals):
            if table is not None and table["capacity"] < wanted:
                table["capacity"] = wanted + wanted % 2
        args.preset = old.get("preset")
    elif args.images is not None or args.data in _image_names():
        from ganlab.data.image_sources import DatasetMismatch, check_for_structure
        from ganlab.kinds.image_experiment import ImageExperiment

        dataset = _load_images(args)
        structure, knobs = resolve_image_config(args, dataset, structure_table, knobs_table)
        try:
            check_for_structure(dataset, structure)
        except DatasetMismatch as exc:
            raise UsageError(str(exc)) from None
        out = _out_dir(args)
        experiment, state = ImageExperiment(structure, dataset, device=device), None
        extra = {"preset": args.preset or next(iter(_image_presets()), None),
                 "images": str(Path(args.images).resolve()) if args.images is not None else None}
    else:
        from ganlab.kinds.toy_experiment import ToyExperiment

        structure, knobs = resolve_config(args, structure_table, knobs_table)
        dataset = _load_points(args.csv) if args.csv is not None else None
        out = _out_dir(args)
        experiment, state = ToyExperiment(structure, dataset=dataset, device=device), None
        extra = {"preset": args.preset or "default", "csv": str(Path(args.csv).resolve()) if args.csv is not None else None}
    modes_total = kind_of(experiment).modes_total(experiment)
    return experiment, knobs, state, out, extra, modes_total


def cmd_train(args: argparse.Namespace) -> int:
    import torch

    from ganlab.runs.writer import RunWriter
    from ganlab.cli.train_guard import TrainGuard, divergence_message, save_or_report
    from ganlab.training.error_text import for_the_command_line
    from ganlab.training.runner import Runner, RunState
    from ganlab.training.quality_monitor import measure_step, monitor_for_run

    structure_table, knobs_table = merge_settings(args)
    _check_run_args(args)
    device = _pick_device(args.device)
    torch.set_flush_denormal(True)
    experiment, knobs, resume_state, out, extra, modes_total = _prepare(args, structure_table, knobs_table, device)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create --out {out}: {exc.strerror or exc}") from None
    if resume_state is None and args.force:
        _clear_old_run(out)

    writer = RunWriter(out, experiment, extra=dict(extra, steps_requested=args.steps, device=device),
                       eval_every=args.eval_every)
    capacity = max(4, min(MAX_HISTORY_ROWS, args.steps + args.steps % 2))
    runner = Runner(experiment, knobs, eval_every=args.eval_every, history_capacity=capacity,
                    torch_threads=args.threads, saver=writer.save, save_every=args.save_every)
    monitor = monitor_for_run(runner, interval_s=args.save_every)  # the image page's Quality numbers
    if monitor is not None:
        writer.quality = monitor.history
        monitor.start()
    progress = Progress(args.steps, sys.stderr, modes_total, enabled=not args.quiet)
    guard = TrainGuard(runner, sys.stderr)
    target = 0.25 if progress.tty else 0.5

    status, message = "completed", None
    restore_sigterm = _sigterm_interrupts()
    started = time.monotonic()
    rate, start_step = 0.0, 0
    snap = None
    try:
        try:
            _wait(runner)  # the first reset builds the nets and measures step 0
            if resume_state is not None:
                runner.restore(experiment, resume_state)
                _wait(runner)  # before new knobs: queued with the restore, they were applied first and lost
                if knobs != resume_state.knobs:
                    runner.set_knobs(knobs)
                    _wait(runner)
            snap = runner.snapshot()
            if snap.state == RunState.ERROR:
                raise UsageError(f"cannot resume {out.name}: {for_the_command_line(snap.message or '')}")
            start_step = done = snap.step
            guard.keep()
            started = time.monotonic()
            while done - start_step < args.steps and runner.state not in (RunState.DIVERGED, RunState.ERROR):
                chunk = _choose_chunk(rate, target, args.steps - (done - start_step))
                t0 = time.monotonic()
                runner.step("both", count=chunk, evaluate=False)  # evals at multiples of eval_every only
                _wait(runner)
                snap = runner.snapshot()
                chunk_rate = (snap.step - done) / max(time.monotonic() - t0, 1e-9)
                rate = chunk_rate if rate == 0 else 0.7 * rate + 0.3 * chunk_rate
                done = snap.step
                if snap.state in (RunState.DIVERGED, RunState.ERROR):
                    break
                guard.after_chunk(healthy=True)
                progress.update(done - start_step, rate, snap.latest, snap.latest_eval, time.monotonic() - started,
                                final=done - start_step >= args.steps)
        except KeyboardInterrupt:
            status = "interrupted"
            progress.break_line()
            print(f"ganlab train: interrupted; writing what was trained so far to {out}", file=sys.stderr)
            _wait(runner)  # the chunk in flight is short; a second Ctrl-C aborts
        seconds = time.monotonic() - started
        runner.set_saver(None)  # the final save below is the last word
        if runner.state != RunState.ERROR:
            runner.step("both", count=0)  # no training: measures the final weights (once per step)
            _wait(runner)
        snap = runner.snapshot()
        state, kept = guard.finite_state(runner.export_state())
        if snap.state == RunState.DIVERGED:
            status = "diverged"
            bad = next((k for k, v in snap.latest.items() if not math.isfinite(v)), "a loss")
            value = snap.latest.get(bad, float("nan"))
            message = divergence_message(snap.step, bad, value, state.step if kept else None, out.name, knobs)
        elif snap.state == RunState.ERROR:
            status, message = "error", for_the_command_line(snap.message or "training stopped with an error")
        if monitor is not None and status not in ("error", "diverged"):  # the final weights' Quality numbers
            measure_step(monitor, snap.step)
        guard.report_save_error()
    finally:
        if monitor is not None:
            monitor.stop()
        runner.release()
        restore_sigterm()

    progress.break_line()
    if message:
        print(f"ganlab train: {message}", file=sys.stderr)
        if snap.error_detail and os.environ.get("GANLAB_DEBUG"):
            print(snap.error_detail, file=sys.stderr)

    # ---- the final save
    evals = snap.evals
    final_metrics = dict(snap.latest_eval)
    if evals and len(evals["step"]):
        final_metrics = {"step": int(evals["step"][-1]), **final_metrics}
    if modes_total is not None:
        final_metrics["modes_total"] = modes_total
    trained = state.step - start_step
    writer.extra.update({
        "steps": state.step, "steps_trained": trained, "threads": args.threads, "seconds": round(seconds, 3),
        "steps_per_sec": round(trained / seconds, 2) if seconds > 0 else None,
        "final_metrics": final_metrics,
        "files": {"history_rows": len(snap.history["step"]), "history_stride": _stride(snap.history)},
    })
    if not save_or_report(writer, state, status, message, sys.stderr):
        return EXIT_ERROR
    written = ["config.json", "weights.safetensors", "history.csv", "evals.csv", "snapshots/"]
    samples_file = kind_of(experiment).samples_file
    if samples_file is not None:
        if status == "error":
            (out / samples_file).unlink(missing_ok=True)  # weights after a failure are no result to sample
        else:
            written.append(samples_file)
    config = json.loads((out / "config.json").read_text())
    try:
        _print_summary(config, modes_total, out, written)
        sys.stdout.flush()
    except BrokenPipeError:  # `ganlab train ... | head -1`: the run is written, stay quiet
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return {"completed": EXIT_OK, "diverged": EXIT_DIVERGED, "error": EXIT_ERROR,
            "interrupted": EXIT_INTERRUPTED}[status]


def _stride(history: Mapping[str, Any]) -> int:
    steps = history.get("step")
    if steps is None or len(steps) < 2:
        return 1
    return int(steps[1] - steps[0])


def _metrics_line(m: Mapping[str, Any], modes_total: int | None) -> str:
    parts = []
    if modes_total is not None and m.get("modes_covered") is not None:
        parts += [f"modes covered {m['modes_covered']:.0f}/{modes_total}",
                  f"high-quality {_fmt(m.get('high_quality'), '.1%')}",
                  f"mode KL {_fmt(m.get('mode_kl'))}"]
    if "kl_hist" in m or "js_hist" in m:
        parts += [f"KL {_fmt(m.get('kl_hist'))}", f"JS {_fmt(m.get('js_hist'))}"]
    shown = {"modes_covered", "high_quality", "mode_kl", "kl_hist", "js_hist", "step", "modes_total"}
    if "classes_covered" in m:  # an image run's Quality numbers, labelled as the app shows them
        from ganlab.runs.evaluation import QUALITY_COLUMNS, ascii_text, line_text, metric_lines

        parts += [ascii_text(f"{label} {line_text(value, real)}")
                  for label, value, real in metric_lines({k: m[k] for k in QUALITY_COLUMNS if k in m})]
        shown |= set(QUALITY_COLUMNS)
    parts += [f"{k} {_fmt(v, '.4g')}" for k, v in m.items() if k not in shown and isinstance(v, (int, float))]
    return "   ".join(parts)


def _print_summary(config: dict[str, Any], modes_total: int | None, out: Path, written: list[str]) -> None:
    rate = config.get("steps_per_sec")
    head = "trained" if config["status"] == "completed" else f"{config['status']} after"
    resumed = f" (resumed; now at step {config['steps']:,})" if config["steps"] != config["steps_trained"] else ""
    print(f"{head} {config['steps_trained']:,} steps in {config['seconds']:.1f} s "
          f"({_fmt(rate, ',.0f')} steps/s, {config['device']}){resumed}")
    m = config["final_metrics"]
    at = f" (step {m['step']:,})" if "step" in m and m["step"] != config["steps"] else ""
    print("  " + _metrics_line(m, modes_total) + at)
    print(f"  wrote {out}: {' '.join(written)}")
