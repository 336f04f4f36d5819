"""The headless `ganlab` command: train 2D and image GANs from a terminal, and use saved runs.

    ganlab train --data grid --preset all-modes --steps 5000 --seed 0 --out runs/grid
    ganlab train --data digits --steps 2000 --name digits-1          # into $GANLAB_RUNS_DIR (./runs)
    ganlab train --config recipe.toml                                # flags override the file
    ganlab train --resume digits-1 --steps 1000                      # continue exactly where it stopped
    ganlab sample digits-1 -n 64 -o grid.png                         # .png grid / 2D scatter, or .npy
    ganlab eval digits-1                                             # the metrics of the saved weights
    ganlab runs                                                      # list the runs folder
    ganlab export digits-1 -n 1000 -o fakes.zip                      # PNGs (+ labels) or .npz

Training goes through the same background `Runner` the app uses: the command queues
the run in chunks (`runner.step("both", count=chunk)` + `wait_idle`), so the progress
line updates a few times a second and Ctrl-C stops cleanly between two chunks. The
runner autosaves the run directory every `--save-every` seconds (so the app's runs page
follows a headless run live) and the command saves it once more at the end. The run
directory is ganlab.runs' format (config.json, weights.safetensors, history.csv,
evals.csv, snapshots/, and for 2D runs samples.npy):

- config.json  format and ganlab version, structure and knobs (`from_dict`-loadable),
               preset, step counts, timings, status and the final metrics;
- history.csv  one row per training step (`step` + every column the runner logs; an
               empty cell is a value that step did not compute, or a NaN);
- evals.csv    one row per evaluation: step 0, every `--eval-every` steps and the last;
- samples.npy  2D runs: the generator's 2,500 samples (float32 (2500, 2)) from the
               experiment's fixed eval noise at the end: the points the final metrics
               were measured on.

Exit status: 0 done, 1 training stopped with an error, 2 bad input (including a corrupt,
foreign or unsafe run file), 3 training diverged, 130 interrupted (Ctrl-C). Whatever was
trained is written in every case but bad input.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import shutil
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any, Mapping, Sequence, TextIO

import ganlab
from ganlab.config import ACTIVATIONS, IMAGE_CHANNELS, IMAGE_SIZES, NOISE_KINDS, OPTIMIZERS, ConfigError, Knobs
from ganlab.metric_names import short_label
from ganlab.presets import PRESETS, get_preset
from ganlab.runs.paths import RunFormatError

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_DIVERGED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
MAX_STEPS = 10**9
# history.csv holds one row per training step up to this many steps; longer runs are
# averaged into buckets of 2, 4, ... steps (a row's `step` is its bucket's last step).
MAX_HISTORY_ROWS = 200_000
OUTPUT_FILES = ("config.json", "weights.safetensors", "history.csv", "evals.csv", "snapshots", "samples.npy")
# Flags a --config file may set, with their defaults (None: not set). Flags on the command line win.
TRAIN_DEFAULTS: dict[str, Any] = {
    "data": None, "csv": None, "images": None, "preset": None, "steps": None, "seed": 0, "out": None,
    "name": None, "force": False, "eval_every": 100, "save_every": 10.0, "device": "auto", "threads": 1,
    "quiet": False, "noise_dim": None, "noise": None, "hidden_layers": None, "width": None, "activation": None,
    "image_size": None, "channels": None, "conditional": None, "ema_decay": None, "extra_conv": None,
    "max_images": None,
    "loss": None, "optimizer": None, "g_lr": None, "d_lr": None, "beta1": None, "beta2": None, "d_steps": None,
    "batch_size": None, "gp_weight": None, "r1_weight": None, "ms_weight": None, "clip_value": None,
}
PATH_FLAGS = ("csv", "images", "out")
TOY_ONLY = ("noise", "hidden_layers", "activation")
IMAGE_ONLY = ("image_size", "channels", "conditional", "ema_decay", "extra_conv", "max_images")


class UsageError(Exception):
    """Bad input: reported on one line, exit status 2."""


# ------------------------------------------------------------------ arguments
class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (`prog: error: ...`) and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _toy_names() -> list[str]:
    from ganlab.data.toy import TOY_DISTRIBUTIONS

    return list(TOY_DISTRIBUTIONS)


def _image_names() -> list[str]:
    from ganlab.data.image_sources import IMAGE_SOURCES

    return list(IMAGE_SOURCES)


def _loss_names() -> list[str]:
    from ganlab.losses import LOSSES

    return list(LOSSES)


def _image_presets() -> dict[str, Any]:
    try:
        from ganlab.image_presets import IMAGE_PRESETS
    except ImportError:  # the image recipes are optional here: fall back to the structure's defaults
        return {}
    return dict(IMAGE_PRESETS)


def _train_epilog() -> str:
    from ganlab.data.image_sources import IMAGE_SOURCES
    from ganlab.data.toy import TOY_DISTRIBUTIONS

    presets = "\n".join(f"  {p.name:<14} {p.description}" for p in PRESETS.values())
    image_presets = "\n".join(f"  {p.name:<14} {p.label}" for p in _image_presets().values()) or "  (none)"
    data = "\n".join(f"  {d.name:<14} {d.description}" for d in TOY_DISTRIBUTIONS.values())
    images = "\n".join(f"  {d.name:<14} {d.title}" for d in IMAGE_SOURCES.values())
    return f"""\
2D presets (structure + knobs; the flags override them):
{presets}

image presets (default: the first):
{image_presets}

2D datasets:
{data}
  (or --csv FILE: your own points, two numeric columns, optional header)

image datasets (MNIST, Fashion-MNIST and CIFAR-10 are read from $GANLAB_DATA_DIR):
{images}
  (or --images DIR|ZIP: your own images; one subfolder per class makes them labelled)

--config FILE (.json or .toml): any of the flags above by their long name (`g-lr` or `g_lr`),
plus optional `structure` and `knobs` tables with the fields of config.json's own; flags given
on the command line win. Example recipe.toml:
  data = "grid"
  preset = "all-modes"
  steps = 5000
  [knobs]
  batch_size = 128

writes the run directory (--out DIR, or --name NAME in $GANLAB_RUNS_DIR, default ./runs):
  config.json          structure, knobs, preset, version, steps, timings, final metrics
  weights.safetensors  G, D, EMA G, optimizer and RNG state (what --resume continues from)
  history.csv          one row per step: step + every logged loss/score (empty = not computed)
  evals.csv            one row per evaluation (step 0, every --eval-every, last): join on step
  snapshots/           sample grids (PNG) or 2D samples (.npy) at the saved steps
  samples.npy          2D runs: 2,500 generator samples from the fixed eval noise, float32 (2500, 2)

exit status: 0 done, 1 error while training, 2 bad input, 3 diverged, 130 interrupted
(the run directory is written in every case but bad input)

examples:
  ganlab train --data grid --preset all-modes --steps 5000 --seed 0 --out runs/grid
  ganlab train --data digits --conditional --steps 3000 --name digits-cond
"""


def _add_run_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", metavar="RUN", help="a run name in the runs folder, or a path to a run directory")
    parser.add_argument("--runs-dir", type=Path, metavar="DIR",
                        help="the runs folder (default: $GANLAB_RUNS_DIR, else ./runs)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="ganlab",
        description="ganlab: an interactive lab for Generative Adversarial Networks. "
        "The app runs with `streamlit run app.py`; this command trains and uses runs without it.",
        epilog="Run `ganlab COMMAND --help` for each command's options.",
    )
    parser.add_argument("--version", action="version", version=f"ganlab {ganlab.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    train = commands.add_parser(
        "train",
        help="train a GAN (2D toy data, your points, or images) and save the run",
        description="Train a GAN headlessly and write a run directory.\n"
        "Progress goes to stderr, the summary to stdout.",
        epilog=_train_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run = train.add_argument_group("run")
    run.add_argument("--config", type=Path, metavar="FILE", help="settings from a .json or .toml file")
    source = run.add_mutually_exclusive_group()
    source.add_argument("--data", choices=_toy_names() + _image_names(), metavar="NAME",
                        help="2D distribution or image dataset: %(choices)s (default: ring)")
    source.add_argument("--csv", metavar="FILE", type=Path,
                        help="train on your own 2D points: a CSV with two numeric columns")
    source.add_argument("--images", metavar="PATH", type=Path,
                        help="train on your own images: a folder or a .zip (class subfolders = labels)")
    source.add_argument("--resume", metavar="RUN", help="continue a saved run (name or path) for --steps more steps")
    run.add_argument("--preset", metavar="NAME",
                     help=f"recipe to start from: 2D {', '.join(PRESETS)} (default: default); "
                          f"images: {', '.join(_image_presets()) or 'none'}")
    run.add_argument("--steps", type=int, metavar="N",
                     help="training steps (each: --d-steps D updates, then one G update); required")
    run.add_argument("--seed", type=int, metavar="S", help="seed for weights and sampling (default: 0)")
    where = run.add_mutually_exclusive_group()
    where.add_argument("--out", type=Path, metavar="DIR", help="run directory to write")
    where.add_argument("--name", metavar="NAME",
                       help="run name in the runs folder (default: the data and the time, e.g. grid-20261123-1550)")
    run.add_argument("--runs-dir", type=Path, metavar="DIR",
                     help="the runs folder for --name/--resume (default: $GANLAB_RUNS_DIR, else ./runs)")
    run.add_argument("--force", action="store_true", default=None, help="write into DIR even if it is not empty")
    run.add_argument("--eval-every", type=int, metavar="N",
                     help="measure the metrics every N steps (default: 100)")
    run.add_argument("--save-every", type=float, metavar="SECONDS",
                     help="save the run directory every SECONDS while training (default: 10), so the app "
                          "can follow it live; it is saved at the end in any case")
    run.add_argument("--device", choices=("auto", "cpu", "cuda"),
                     help="where to train (default: auto = cuda when present, else cpu)")
    run.add_argument("--threads", type=int, metavar="N",
                     help="torch intra-op CPU threads for training (default: 1, best for small nets)")
    run.add_argument("-q", "--quiet", action="store_true", default=None, help="no progress output")

    s = train.add_argument_group("structure (overrides the preset; changes the nets)")
    s.add_argument("--noise-dim", type=int, metavar="N", help="latent size")
    s.add_argument("--width", type=int, metavar="N", help="2D: units per hidden layer; images: the nets' base channels")
    s.add_argument("--noise", choices=NOISE_KINDS, help="2D: latent distribution")
    s.add_argument("--hidden-layers", type=int, metavar="N", help="2D: hidden layers of G and D")
    s.add_argument("--activation", choices=ACTIVATIONS, help="2D: activation of G and D")
    s.add_argument("--image-size", type=int, choices=IMAGE_SIZES, help="images: side in pixels (default: the data's)")
    s.add_argument("--channels", type=int, choices=IMAGE_CHANNELS, help="images: 1 grey, 3 colour (default: the data's)")
    s.add_argument("--conditional", action=argparse.BooleanOptionalAction, default=None,
                   help="images: condition G and D on the class labels")
    s.add_argument("--ema-decay", type=float, metavar="D", help="images: EMA of G's weights (0: off)")
    s.add_argument("--extra-conv", action=argparse.BooleanOptionalAction, default=None,
                   help="images: one more 3x3 convolution at the smallest map of G and D (on in the fast presets)")
    s.add_argument("--max-images", type=int, metavar="N", help="images: train on a random subset of N images")

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
    k.add_argument("--ms-weight", type=float, metavar="W",
                   help="mode-seeking weight, a generator regularizer against one output for many noises")
    k.add_argument("--clip-value", type=float, metavar="C", help="weight clip for wasserstein-clip")
    train.set_defaults(handler=cmd_train)

    sample = commands.add_parser("sample", help="draw samples from a saved run into a PNG or .npy",
                                 description="Draw samples from a saved run's generator (its EMA average when saved). "
                                 ".png: an 8-column grid (2D runs: a scatter over the real data); .npy: the raw "
                                 "samples, float32 (n, C, H, W) in [-1, 1] or (n, 2).")
    _add_run_arg(sample)
    sample.add_argument("-n", type=int, default=64, metavar="N", help="how many (default: %(default)s)")
    sample.add_argument("-o", "--output", type=Path, required=True, metavar="FILE", help="grid.png or samples.npy")
    sample.add_argument("--seed", type=int, default=0, metavar="S", help="noise seed (default: %(default)s)")
    sample.add_argument("--class", dest="label", type=int, metavar="K", help="conditional runs: only class K")
    sample.add_argument("--no-ema", action="store_true", help="use the live generator, not its EMA average")
    sample.set_defaults(handler=cmd_sample)

    evaluate = commands.add_parser("eval", help="measure a saved run's generator and print the metrics",
                                   description="Measure a saved run's weights with the metrics the app shows "
                                   "(needs the run's data: built-in, embedded in the run, or under $GANLAB_DATA_DIR).")
    _add_run_arg(evaluate)
    evaluate.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"), help="default: %(default)s")
    evaluate.add_argument("--json", action="store_true", help="print the metrics as one JSON object")
    evaluate.set_defaults(handler=cmd_eval)

    runs = commands.add_parser("runs", help="list the saved runs",
                               description="List the runs folder ($GANLAB_RUNS_DIR, default ./runs), newest first.")
    runs.add_argument("--runs-dir", type=Path, metavar="DIR", help="the runs folder")
    runs.add_argument("--json", action="store_true", help="one JSON object per run")
    runs.set_defaults(handler=cmd_runs)

    export = commands.add_parser("export", help="export generated samples for data augmentation (.zip or .npz)",
                                 description="Write N generated samples: .zip of PNGs (conditional runs: one folder "
                                 "per class and labels.csv) or .npz (images uint8 (N, H, W, C) + labels + class_names; "
                                 "2D runs: points float32 (N, 2)). Classes are drawn in turn.")
    _add_run_arg(export)
    export.add_argument("-n", type=int, required=True, metavar="N", help="how many samples")
    export.add_argument("-o", "--output", type=Path, required=True, metavar="FILE", help="out.zip or out.npz")
    export.add_argument("--seed", type=int, default=0, metavar="S", help="noise seed (default: %(default)s)")
    export.add_argument("--no-ema", action="store_true", help="use the live generator, not its EMA average")
    export.add_argument("--force", action="store_true", help="overwrite FILE")
    export.set_defaults(handler=cmd_export)
    return parser


# ------------------------------------------------------------------ settings
def read_settings_file(path: Path) -> dict[str, Any]:
    """A --config file as a dict: JSON, or TOML (tomllib on Python 3.11+, else tomli)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read --config {path}: {exc.strerror or exc}") from None
    suffix = path.suffix.lower()
    try:
        if suffix == ".json":
            data = json.loads(raw.decode("utf-8"))
        elif suffix == ".toml":
            try:
                import tomllib
            except ImportError:  # Python 3.10
                try:
                    import tomli as tomllib  # type: ignore[no-redef]
                except ImportError:
                    raise UsageError("--config: TOML needs Python 3.11+ or `pip install tomli`; "
                                     "or write the settings as JSON") from None
            data = tomllib.loads(raw.decode("utf-8"))
        else:
            raise UsageError(f"--config {path.name}: use a .json or .toml file")
    except UsageError:
        raise
    except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError and TOMLDecodeError are ValueErrors
        raise UsageError(f"--config {path}: not valid {suffix[1:].upper()}: {exc}") from None
    if not isinstance(data, dict):
        raise UsageError(f"--config {path}: expected a table of settings at the top")
    return data


def merge_settings(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, Any]]:
    """Fill the flags not given on the command line from --config, then the defaults.
    Returns the file's (structure, knobs) tables, applied over the preset later."""
    data = read_settings_file(args.config) if args.config is not None else {}
    structure, knobs = data.pop("structure", {}) or {}, data.pop("knobs", {}) or {}
    if not isinstance(structure, dict) or not isinstance(knobs, dict):
        raise UsageError("--config: `structure` and `knobs` must be tables")
    for key, value in data.items():
        dest = key.replace("-", "_")
        if dest not in TRAIN_DEFAULTS:
            raise UsageError(f"--config: unknown setting {key!r}")
        if dest in PATH_FLAGS and value is not None:
            value = Path(value)
        if getattr(args, dest, None) is None:
            setattr(args, dest, value)
    for dest, default in TRAIN_DEFAULTS.items():
        if getattr(args, dest, None) is None:
            setattr(args, dest, default)
    sources = [name for name in ("data", "csv", "images", "resume") if getattr(args, name, None) is not None]
    if len(sources) > 1:
        raise UsageError(f"choose one data source; got {', '.join('--' + s for s in sources)}")
    if args.out is not None and args.name is not None:
        raise UsageError("give --out or --name, not both")
    return structure, knobs


def _merge(base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in changes.items():
        out[key] = _merge(out[key], value) if isinstance(value, Mapping) and isinstance(out.get(key), Mapping) else value
    return out


def _apply_knob_flags(args: argparse.Namespace, knobs: Knobs) -> Knobs:
    def opt(old, lr):
        changes = {name: value for name, value in (
            ("name", args.optimizer), ("lr", lr), ("beta1", args.beta1), ("beta2", args.beta2),
        ) if value is not None}
        return dataclasses.replace(old, **changes)

    k_changes: dict[str, Any] = {"g_opt": opt(knobs.g_opt, args.g_lr), "d_opt": opt(knobs.d_opt, args.d_lr)}
    for name in ("loss", "d_steps", "batch_size", "gp_weight", "r1_weight", "ms_weight", "clip_value"):
        value = getattr(args, name)
        if value is not None:
            k_changes[name] = value
    return knobs.replace(**k_changes)


def resolve_config(args: argparse.Namespace, structure_table: Mapping[str, Any] | None = None,
                   knobs_table: Mapping[str, Any] | None = None):
    """2D runs: the preset for the chosen data and seed, the --config tables, then the flags.
    Returns (ToyStructure, Knobs). Raises ConfigError."""
    from ganlab.config import ToyStructure

    data = "csv" if args.csv is not None else (args.data or "ring")
    structure, knobs = get_preset(args.preset or "default").apply(data, seed=args.seed or 0)
    structure = ToyStructure.from_dict(_merge(structure.to_dict(), structure_table or {}))
    knobs = Knobs.from_dict(_merge(knobs.to_dict(), knobs_table or {}))

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
    return structure, _apply_knob_flags(args, knobs)


def resolve_image_config(args: argparse.Namespace, dataset, structure_table: Mapping[str, Any] | None = None,
                         knobs_table: Mapping[str, Any] | None = None):
    """Image runs: the image preset (or the structure's defaults) fitted to the data, the
    --config tables, then the flags. Returns (ImageStructure, Knobs)."""
    from ganlab.config import ImageStructure

    base = ImageStructure(dataset=dataset.name, image_size=dataset.image_size, channels=dataset.channels,
                          num_classes=dataset.num_classes, conditional=False, seed=args.seed or 0)
    presets = _image_presets()
    name = args.preset or next(iter(presets), None)
    if name is not None and name not in presets:
        raise UsageError(f"unknown image preset {name!r}; choose one of {', '.join(presets) or '(none available)'}")
    structure, knobs = presets[name].apply(base) if name is not None else (base, Knobs(batch_size=64))
    structure = ImageStructure.from_dict(_merge(structure.to_dict(), structure_table or {}))
    knobs = Knobs.from_dict(_merge(knobs.to_dict(), knobs_table or {}))
    changes = {field: getattr(args, flag) for field, flag in (
        ("noise_dim", "noise_dim"), ("width", "width"), ("conditional", "conditional"), ("ema_decay", "ema_decay"),
        ("extra_conv", "extra_conv"),
    ) if getattr(args, flag) is not None}
    structure = dataclasses.replace(structure, **changes)
    return structure, _apply_knob_flags(args, knobs)


def _check_run_args(args: argparse.Namespace) -> None:
    if args.steps is None:
        raise UsageError("give the number of training steps (--steps N, or `steps` in --config)")
    if not 1 <= args.steps <= MAX_STEPS:
        raise UsageError(f"steps must be between 1 and {MAX_STEPS:,}, got {args.steps}")
    if not 1 <= args.threads <= 1024:
        raise UsageError(f"--threads must be between 1 and 1024, got {args.threads}")
    if args.eval_every < 1:
        raise UsageError(f"--eval-every must be at least 1, got {args.eval_every}")
    if not 0 < args.save_every <= 86_400:
        raise UsageError(f"--save-every must be between 0 and 86400 seconds, got {args.save_every}")
    if args.max_images is not None and args.max_images < 1:
        raise UsageError(f"--max-images must be at least 1, got {args.max_images}")
    is_image = args.images is not None or (args.data in _image_names())
    if args.resume is None:
        wrong = [f for f in (IMAGE_ONLY if not is_image else TOY_ONLY) if getattr(args, f) is not None]
        if wrong:
            kind = "image" if not is_image else "2D"
            raise UsageError(f"--{wrong[0].replace('_', '-')} applies to {kind} runs only")


def _out_dir(args: argparse.Namespace) -> Path:
    """The run directory: --out, else --name (or a generated name) in the runs folder."""
    from ganlab.runs.paths import run_path

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
            return src.load(args.image_size, args.channels, max_images=args.max_images, seed=args.seed)
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

        keep = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(args.seed))[: args.max_images]
        dataset = ImageDataset(dataset.images[keep], None if dataset.labels is None else dataset.labels[keep],
                               name=dataset.name, class_names=dataset.class_names or None)
    return dataset


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
    from ganlab.runs.paths import resolve_run
    from ganlab.runs.store import load_run

    extra: dict[str, Any] = {}
    if args.resume is not None:
        out = resolve_run(args.resume, args.runs_dir)
        experiment, state, old = load_run(out, device)
        if writer_alive(old):
            raise UsageError(f"run {out.name} is still being written by process {old['writer']['pid']}")
        if structure_table or any(getattr(args, f) is not None for f in (*TOY_ONLY, *IMAGE_ONLY, "noise_dim", "width")):
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
        from ganlab.training.image_experiment import ImageExperiment

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
        from ganlab.training.toy_experiment import ToyExperiment

        structure, knobs = resolve_config(args, structure_table, knobs_table)
        dataset = _load_points(args.csv) if args.csv is not None else None
        out = _out_dir(args)
        experiment, state = ToyExperiment(structure, dataset=dataset, device=device), None
        extra = {"preset": args.preset or "default", "csv": str(Path(args.csv).resolve()) if args.csv is not None else None}
    modes_total = None
    if experiment.kind == "toy" and experiment.dataset.has_modes:
        modes_total = len(experiment.dataset.centres)
    return experiment, knobs, state, out, extra, modes_total


def cmd_train(args: argparse.Namespace) -> int:
    import torch

    from ganlab.runs.store import RunWriter
    from ganlab.train_guard import TrainGuard, divergence_message, save_or_report
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
    if experiment.kind == "toy":
        if status == "error":
            (out / "samples.npy").unlink(missing_ok=True)  # weights after a failure are no result to sample
        else:
            written.append("samples.npy")
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


def _fmt(value: float | None, spec: str = ".3f") -> str:
    from ganlab.formatting import format_number

    return format_number(value, spec, missing="-")  # plain ASCII for terminals


# ------------------------------------------------------------------ using runs
def _run_dir(args: argparse.Namespace) -> Path:
    from ganlab.runs.paths import resolve_run

    return resolve_run(args.run, args.runs_dir)


def cmd_sample(args: argparse.Namespace) -> int:
    from ganlab.runs.sampling import write_samples

    run = _run_dir(args)
    try:
        print(write_samples(run, args.n, args.output, seed=args.seed, prefer_ema=not args.no_ema, label=args.label))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from ganlab.runs.sampling import export_samples

    run = _run_dir(args)
    if args.output.exists() and not args.force:
        raise UsageError(f"{args.output} exists; pass --force to overwrite it")
    try:
        print(export_samples(run, args.n, args.output, seed=args.seed, prefer_ema=not args.no_ema))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    return EXIT_OK


def cmd_eval(args: argparse.Namespace) -> int:
    from ganlab.runs.sampling import evaluate_run

    run = _run_dir(args)
    metrics, config = evaluate_run(run, _pick_device(args.device))
    if args.json:
        print(json.dumps({"run": run.name, "step": config.get("step"), "metrics": metrics}))
        return EXIT_OK
    from ganlab.runs.evaluation import eval_report

    print(eval_report(run.name, metrics, config))
    return EXIT_OK


def _best_text(best: Mapping[str, float]) -> str:
    order = ("modes_covered", "high_quality", "js_hist", "classes_covered", "frechet", "inception_score", "fid")
    keys = [k for k in order if k in best] or list(best)[:2]
    return ", ".join(f"{short_label(k)} {_fmt(best[k], '.3g')}" for k in keys[:3]) or "-"


def cmd_runs(args: argparse.Namespace) -> int:
    from ganlab.runs.catalog import list_runs
    from ganlab.runs.paths import runs_root

    runs = list_runs(args.runs_dir)
    if args.json:
        for r in runs:
            print(json.dumps({"name": r.name, "kind": r.kind, "data": r.data, "loss": r.loss, "step": r.step,
                              "status": "training (live)" if r.live else r.status, "best": r.best,
                              "updated": r.updated, "error": r.error, "note": r.note}))
        return EXIT_OK
    if not runs:
        print(f"no runs in {runs_root(args.runs_dir)}")
        return EXIT_OK
    rows = [("NAME", "KIND", "DATA", "LOSS", "STEPS", "STATUS", "BEST")]
    for r in runs:
        if r.error:
            rows.append((r.name, "?", "?", "?", "?", "unreadable", r.error))
            continue
        status = "training (live)" if r.live else r.status + (" (view only)" if r.view_only else "")
        rows.append((r.name, r.kind, r.data, r.loss, f"{r.step:,}", status, _best_text(r.best)))
    widths = [max(len(row[i]) for row in rows) for i in range(6)]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row[:6], widths)) + "  " + row[6])
    return EXIT_OK


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
    except (ConfigError, UsageError, RunFormatError) as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except OSError as exc:  # a disk or folder problem: say it plainly (no traceback, no repr)
        print(f"{prog}: error: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    raise SystemExit(main())
