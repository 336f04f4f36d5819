"""The headless `ganlab` command: train a 2D toy GAN from a terminal or a script.

    ganlab train --data grid --preset all-modes --steps 5000 --seed 0 --out runs/grid

Training goes through the same background `Runner` the app uses: the command
queues the run in chunks (`runner.step("both", count=chunk)` + `wait_idle`),
so the progress line updates a few times a second and Ctrl-C stops cleanly
between two chunks. The run directory holds:

- config.json  structure and knobs (`ToyStructure.to_dict` / `Knobs.to_dict`,
               loadable with `from_dict`), preset, ganlab version, step counts,
               timings, status and the final metrics;
- history.csv  one row per training step (`step` + every column the runner
               logs; an empty cell is a value that step did not compute, e.g.
               `wasserstein` for a non-Wasserstein loss, or a NaN);
- evals.csv    one row per evaluation (`step` + the eval metrics): step 0
               (fresh weights), every `--eval-every` steps and the last step.
               Join it to history.csv on `step`; the two are kept apart so each
               file is a plain table with no mostly-empty columns;
- samples.npy  the generator's 2,500 samples (float32, shape (2500, 2)) from the
               experiment's fixed eval noise at the end: the points the final
               metrics were measured on.

Exit status: 0 done, 1 training stopped with an error, 2 bad input,
3 training diverged, 130 interrupted (Ctrl-C). Whatever was trained is written
in every case but bad input.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import datetime as _dt
import json
import math
import os
import shutil
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any, Sequence, TextIO

import numpy as np

import ganlab
from ganlab.config import ACTIVATIONS, NOISE_KINDS, OPTIMIZERS, ConfigError, Knobs, ToyStructure
from ganlab.presets import PRESETS, get_preset

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_DIVERGED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
MAX_STEPS = 10**9
# history.csv holds one row per step up to this many steps; longer runs are
# averaged into buckets of 2, 4, ... steps (a row's `step` is its bucket's last step).
MAX_HISTORY_ROWS = 200_000
OUTPUT_FILES = ("config.json", "history.csv", "evals.csv", "samples.npy")


class UsageError(Exception):
    """Bad input: reported on one line, exit status 2."""


# ------------------------------------------------------------------ arguments
class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (`prog: error: ...`) and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _dataset_names() -> list[str]:
    from ganlab.data.toy import TOY_DISTRIBUTIONS

    return list(TOY_DISTRIBUTIONS)


def _loss_names() -> list[str]:
    from ganlab.losses import LOSSES

    return list(LOSSES)


def _train_epilog() -> str:
    from ganlab.data.toy import TOY_DISTRIBUTIONS

    presets = "\n".join(f"  {p.name:<14} {p.description}" for p in PRESETS.values())
    data = "\n".join(f"  {d.name:<14} {d.description}" for d in TOY_DISTRIBUTIONS.values())
    return f"""\
presets (structure + knobs; the flags above override them):
{presets}

datasets:
{data}
  (or --csv FILE: your own points, two numeric columns, optional header)

writes into --out:
  config.json   structure, knobs, preset, version, steps, timings, final metrics
  history.csv   one row per step: step + every logged loss/score (empty = not computed)
  evals.csv     one row per evaluation (step 0, every --eval-every, last): join on step
  samples.npy   2,500 generator samples from the fixed eval noise, float32 (2500, 2)

exit status: 0 done, 1 error while training, 2 bad input, 3 diverged, 130 interrupted
(the run directory is written in every case but bad input)

example:
  ganlab train --data grid --preset all-modes --steps 5000 --seed 0 --out runs/grid
"""


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="ganlab",
        description="ganlab: an interactive lab for Generative Adversarial Networks. "
        "The app runs with `streamlit run app.py`; this command trains without it.",
        epilog="Run `ganlab train --help` for the training options.",
    )
    parser.add_argument("--version", action="version", version=f"ganlab {ganlab.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    train = commands.add_parser(
        "train",
        help="train a GAN on a 2D toy distribution (or your CSV points) and save the run",
        description="Train a GAN on a 2D toy distribution headlessly and write a run directory.\n"
        "Progress goes to stderr, the summary to stdout.",
        epilog=_train_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run = train.add_argument_group("run")
    source = run.add_mutually_exclusive_group()
    source.add_argument("--data", choices=_dataset_names(), metavar="NAME",
                        help="toy distribution: %(choices)s (default: ring)")
    source.add_argument("--csv", metavar="FILE", type=Path,
                        help="train on your own 2D points: a CSV with two numeric columns")
    run.add_argument("--preset", default="default", choices=list(PRESETS), metavar="NAME",
                     help="recipe to start from: %(choices)s (default: %(default)s)")
    run.add_argument("--steps", type=int, required=True, metavar="N",
                     help="training steps (each: --d-steps D updates, then one G update)")
    run.add_argument("--seed", type=int, default=0, metavar="S", help="seed for weights and sampling (default: 0)")
    run.add_argument("--out", type=Path, required=True, metavar="DIR", help="run directory to write")
    run.add_argument("--force", action="store_true", help="write into DIR even if it is not empty")
    run.add_argument("--eval-every", type=int, default=100, metavar="N",
                     help="measure mode coverage and KL/JS every N steps (default: %(default)s)")
    run.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"),
                     help="where to train (default: auto = cuda when present, else cpu)")
    run.add_argument("--threads", type=int, default=1, metavar="N",
                     help="torch intra-op CPU threads for training (default: %(default)s, best for these small nets)")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress output")

    s = train.add_argument_group("structure (overrides the preset; changes the nets)")
    s.add_argument("--noise-dim", type=int, metavar="N", help="latent size")
    s.add_argument("--noise", choices=NOISE_KINDS, help="latent distribution")
    s.add_argument("--hidden-layers", type=int, metavar="N", help="hidden layers of G and D")
    s.add_argument("--width", type=int, metavar="N", help="units per hidden layer of G and D")
    s.add_argument("--activation", choices=ACTIVATIONS, help="activation of G and D")

    k = train.add_argument_group("knobs (overrides the preset)")
    k.add_argument("--loss", choices=_loss_names(), metavar="NAME", help="adversarial loss: %(choices)s")
    k.add_argument("--optimizer", choices=OPTIMIZERS, help="optimizer of G and D")
    k.add_argument("--g-lr", type=float, metavar="LR", help="generator learning rate")
    k.add_argument("--d-lr", type=float, metavar="LR", help="discriminator learning rate")
    k.add_argument("--beta1", type=float, metavar="B", help="Adam beta1 (momentum for SGD/RMSprop), G and D")
    k.add_argument("--beta2", type=float, metavar="B", help="Adam beta2 (RMSprop alpha), G and D")
    k.add_argument("--d-steps", type=int, metavar="N", help="D updates per G update")
    k.add_argument("--batch-size", type=int, metavar="N", help="batch size")
    k.add_argument("--gp-weight", type=float, metavar="W", help="gradient penalty weight (wasserstein-gp needs > 0)")
    k.add_argument("--r1-weight", type=float, metavar="W", help="R1 penalty weight")
    k.add_argument("--clip-value", type=float, metavar="C", help="weight clip for wasserstein-clip")
    train.set_defaults(handler=cmd_train)
    return parser


def resolve_config(args: argparse.Namespace) -> tuple[ToyStructure, Knobs]:
    """The preset for the chosen data and seed, with the flags applied. Raises ConfigError."""
    data = "csv" if args.csv is not None else (args.data or "ring")
    structure, knobs = get_preset(args.preset).apply(data, seed=args.seed)

    def shape(old):
        changes = {name: value for name, value in (
            ("hidden_layers", args.hidden_layers), ("width", args.width), ("activation", args.activation),
        ) if value is not None}
        return dataclasses.replace(old, **changes)

    s_changes: dict[str, Any] = {"generator": shape(structure.generator), "discriminator": shape(structure.discriminator)}
    if args.noise_dim is not None:
        s_changes["noise_dim"] = args.noise_dim
    if args.noise is not None:
        s_changes["noise"] = args.noise
    structure = dataclasses.replace(structure, **s_changes)

    def opt(old, lr):
        changes = {name: value for name, value in (
            ("name", args.optimizer), ("lr", lr), ("beta1", args.beta1), ("beta2", args.beta2),
        ) if value is not None}
        return dataclasses.replace(old, **changes)

    k_changes: dict[str, Any] = {"g_opt": opt(knobs.g_opt, args.g_lr), "d_opt": opt(knobs.d_opt, args.d_lr)}
    for name in ("loss", "d_steps", "batch_size", "gp_weight", "r1_weight", "clip_value"):
        value = getattr(args, name)
        if value is not None:
            k_changes[name] = value
    knobs = knobs.replace(**k_changes)
    return structure, knobs


def _check_run_args(args: argparse.Namespace) -> None:
    if not 1 <= args.steps <= MAX_STEPS:
        raise UsageError(f"steps must be between 1 and {MAX_STEPS:,}, got {args.steps}")
    if not 1 <= args.threads <= 1024:
        raise UsageError(f"--threads must be between 1 and 1024, got {args.threads}")
    if args.eval_every < 1:
        raise UsageError(f"--eval-every must be at least 1, got {args.eval_every}")
    out: Path = args.out
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file, not a directory")
    if out.is_dir() and any(out.iterdir()) and not args.force:
        raise UsageError(f"output directory {out} is not empty; choose another --out or pass --force to overwrite")


def _load_dataset(path: Path):
    from ganlab.data.points_csv import PointsFileError, empirical_distribution, read_points_csv

    try:
        content = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read --csv {path}: {exc.strerror or exc}") from None
    try:
        points = read_points_csv(content)
    except PointsFileError as exc:
        raise UsageError(f"--csv {path}: {exc}") from None
    return empirical_distribution(points, label=path.name)


def _pick_device(name: str) -> str:
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise UsageError("--device cuda: no CUDA device is available here")
    return name


# ------------------------------------------------------------------ progress
def _fmt_duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _fmt(value: float | None, spec: str = ".3f") -> str:
    return "-" if value is None or not math.isfinite(value) else format(value, spec)


class Progress:
    """A progress line on `stream`: redrawn with \\r on a terminal, plain lines
    (every 10% or 30 s) otherwise."""

    def __init__(self, total: int, stream: TextIO, modes_total: int | None, enabled: bool = True) -> None:
        self.total = total
        self.stream = stream
        self.modes_total = modes_total
        self.enabled = enabled
        self.tty = enabled and hasattr(stream, "isatty") and stream.isatty()
        self._drawn = 0
        self._next_mark = 0.1
        self._last_line = 0.0

    def _text(self, step: int, rate: float, latest: dict[str, float], latest_eval: dict[str, float], elapsed: float) -> str:
        share = step / self.total
        parts = [f"{step:>{len(f'{self.total:,}')},}/{self.total:,} steps", f"{share:4.0%}",
                 f"{_fmt(rate, ',.0f')} steps/s",
                 f"D {_fmt(latest.get('d_loss'))}", f"G {_fmt(latest.get('g_loss'))}"]
        if self.modes_total is not None and "modes_covered" in latest_eval:
            parts.append(f"modes {latest_eval['modes_covered']:.0f}/{self.modes_total}")
        elif "js_hist" in latest_eval:
            parts.append(f"JS {_fmt(latest_eval['js_hist'])}")
        if step < self.total and rate > 0:
            parts.append(f"ETA {_fmt_duration((self.total - step) / rate)}")
        else:
            parts.append(f"in {_fmt_duration(elapsed)}")
        text = "  ".join(parts)
        if self.tty:
            filled = int(20 * share)
            text = f"[{'#' * filled}{'.' * (20 - filled)}] {text}"
        return text

    def update(self, step: int, rate: float, latest: dict[str, float], latest_eval: dict[str, float],
               elapsed: float, final: bool = False) -> None:
        if not self.enabled:
            return
        text = self._text(step, rate, latest, latest_eval, elapsed)
        if self.tty:
            width = max(20, shutil.get_terminal_size((100, 24)).columns - 1)
            text = text[:width]
            self.stream.write("\r" + text + " " * max(0, self._drawn - len(text)) + ("\n" if final else ""))
            self._drawn = 0 if final else len(text)
        else:
            now = time.monotonic()
            if not (final or step / self.total >= self._next_mark or now - self._last_line >= 30):
                return
            while self._next_mark <= step / self.total:
                self._next_mark += 0.1
            self._last_line = now
            self.stream.write(text + "\n")
        self.stream.flush()

    def break_line(self) -> None:
        """End a half-drawn terminal line before printing a message."""
        if self.tty and self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = 0


# ------------------------------------------------------------------ writing
def _cell(value: float) -> str:
    value = float(value)
    return "" if math.isnan(value) else format(value, ".9g")


def write_table(path: Path, table: dict[str, np.ndarray]) -> int:
    """A {"step": ..., column: ...} table as CSV (NaN = empty cell); returns the row count."""
    columns = list(table)
    rows = len(table["step"]) if "step" in table else 0
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        for i in range(rows):
            writer.writerow([int(table[c][i]) if c == "step" else _cell(table[c][i]) for c in columns])
    return rows


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN / infinity
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    return value


def _empty_evals(columns: Sequence[str]) -> dict[str, np.ndarray]:
    return {"step": np.zeros(0, dtype=np.int64), **{c: np.zeros(0) for c in columns}}


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


def cmd_train(args: argparse.Namespace) -> int:
    import torch

    from ganlab.training.runner import Runner, RunState
    from ganlab.training.toy_experiment import EVAL_SAMPLES, ToyExperiment

    _check_run_args(args)
    structure, knobs = resolve_config(args)
    dataset = _load_dataset(args.csv) if args.csv is not None else None
    device = _pick_device(args.device)
    out: Path = args.out
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create --out {out}: {exc.strerror or exc}") from None

    torch.set_flush_denormal(True)
    experiment = ToyExperiment(structure, dataset=dataset, device=device)
    modes_total = len(experiment.dataset.centres) if experiment.dataset.has_modes else None
    capacity = max(4, min(MAX_HISTORY_ROWS, args.steps + args.steps % 2))
    runner = Runner(experiment, knobs, eval_every=args.eval_every, history_capacity=capacity,
                    torch_threads=args.threads)
    progress = Progress(args.steps, sys.stderr, modes_total, enabled=not args.quiet)
    target = 0.25 if progress.tty else 0.5

    status, message = "completed", None
    restore_sigterm = _sigterm_interrupts()
    started = time.monotonic()
    done, rate = 0, 0.0
    snap = None
    try:
        try:
            _wait(runner)  # the first reset builds the nets and measures step 0
            started = time.monotonic()
            while done < args.steps and runner.state not in (RunState.DIVERGED, RunState.ERROR):
                chunk = _choose_chunk(rate, target, args.steps - done)
                t0 = time.monotonic()
                runner.step("both", count=chunk, evaluate=False)  # evals at multiples of eval_every only
                _wait(runner)
                snap = runner.snapshot()
                chunk_rate = (snap.step - done) / max(time.monotonic() - t0, 1e-9)
                rate = chunk_rate if rate == 0 else 0.7 * rate + 0.3 * chunk_rate
                done = snap.step
                if snap.state in (RunState.DIVERGED, RunState.ERROR):
                    break
                progress.update(done, rate, snap.latest, snap.latest_eval, time.monotonic() - started,
                                final=done >= args.steps)
        except KeyboardInterrupt:
            status = "interrupted"
            progress.break_line()
            print(f"ganlab train: interrupted; writing what was trained so far to {out}", file=sys.stderr)
            _wait(runner)  # the chunk in flight is short; a second Ctrl-C aborts
        seconds = time.monotonic() - started
        if runner.state != RunState.ERROR:
            runner.step("both", count=0)  # no training: measures the final weights (once per step)
            _wait(runner)
        snap = runner.snapshot()
        if snap.state == RunState.DIVERGED:
            status = "diverged"
            bad = next((k for k, v in snap.latest.items() if not math.isfinite(v)), "a loss")
            value = snap.latest.get(bad, float("nan"))
            message = (f"training diverged at step {snap.step}: {bad} became {value}. Lower the learning rates "
                       f"(--g-lr, --d-lr) or add a penalty (--r1-weight 1, or --loss wasserstein-gp --gp-weight 10).")
        elif snap.state == RunState.ERROR:
            status, message = "error", snap.message or "training stopped with an error"
        samples = None
        if snap.state != RunState.ERROR:
            samples = np.asarray(runner.generate_eval_samples(), dtype=np.float32)
    finally:
        runner.release()
        restore_sigterm()

    progress.break_line()
    if message:
        print(f"ganlab train: {message}", file=sys.stderr)
        if snap.error_detail and os.environ.get("GANLAB_DEBUG"):
            print(snap.error_detail, file=sys.stderr)

    # ---- write the run directory
    history = snap.history
    evals = snap.evals or _empty_evals(())
    history_rows = write_table(out / "history.csv", history)
    write_table(out / "evals.csv", evals)
    written = ["config.json", "history.csv", "evals.csv"]
    if samples is not None:
        assert samples.shape == (EVAL_SAMPLES, 2), samples.shape
        np.save(out / "samples.npy", samples)
        written.append("samples.npy")
    elif (out / "samples.npy").exists():
        (out / "samples.npy").unlink()  # a stale file from an overwritten run would mislead

    final_metrics = dict(snap.latest_eval)
    if len(evals["step"]):
        final_metrics = {"step": int(evals["step"][-1]), **final_metrics}
    if modes_total is not None:
        final_metrics["modes_total"] = modes_total
    config = {
        "ganlab_version": ganlab.__version__,
        "kind": "toy",
        "status": status,
        "message": message,
        "preset": args.preset,
        "data": structure.data,
        "csv": str(args.csv.resolve()) if args.csv is not None else None,
        "structure": structure.to_dict(),
        "knobs": knobs.to_dict(),
        "steps": snap.step,
        "steps_requested": args.steps,
        "d_updates": snap.d_updates,
        "g_updates": snap.g_updates,
        "eval_every": args.eval_every,
        "device": device,
        "threads": args.threads,
        "seconds": round(seconds, 3),
        "train_seconds": round(snap.train_seconds, 3),
        "steps_per_sec": round(snap.step / seconds, 2) if seconds > 0 else None,
        "final_losses": dict(snap.latest),
        "final_metrics": final_metrics,
        "files": {"history": "history.csv", "history_rows": history_rows, "history_stride": _stride(history),
                  "evals": "evals.csv", "samples": "samples.npy" if samples is not None else None},
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    (out / "config.json").write_text(json.dumps(_json_safe(config), indent=2) + "\n")

    try:
        _print_summary(config, modes_total, out, written)
        sys.stdout.flush()
    except BrokenPipeError:  # `ganlab train ... | head -1`: the run is written, stay quiet
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return {"completed": EXIT_OK, "diverged": EXIT_DIVERGED, "error": EXIT_ERROR,
            "interrupted": EXIT_INTERRUPTED}[status]


def _stride(history: dict[str, np.ndarray]) -> int:
    steps = history.get("step")
    if steps is None or len(steps) < 2:
        return 1
    return int(steps[1] - steps[0])


def _print_summary(config: dict[str, Any], modes_total: int | None, out: Path, written: list[str]) -> None:
    rate = config["steps_per_sec"]
    head = "trained" if config["status"] == "completed" else f"{config['status']} after"
    print(f"{head} {config['steps']:,} steps in {config['seconds']:.1f} s "
          f"({_fmt(rate, ',.0f')} steps/s, {config['device']})")
    m = config["final_metrics"]
    parts = []
    if modes_total is not None and "modes_covered" in m:
        parts += [f"modes covered {m['modes_covered']:.0f}/{modes_total}",
                  f"high-quality {_fmt(m.get('high_quality'), '.1%')}",
                  f"mode KL {_fmt(m.get('mode_kl'))}"]
    parts += [f"KL {_fmt(m.get('kl_hist'))}", f"JS {_fmt(m.get('js_hist'))}"]
    at = f" (step {m['step']:,})" if "step" in m and m["step"] != config["steps"] else ""
    print("  " + "   ".join(parts) + at)
    print(f"  wrote {out}: {' '.join(written)}")


# ------------------------------------------------------------------ entry
def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    prog = f"ganlab {args.command}"
    try:
        return args.handler(args)
    except (ConfigError, UsageError) as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    raise SystemExit(main())
