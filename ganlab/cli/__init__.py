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

This module is the parser and the dispatch; the commands live in ganlab.cli.train (with
cli_settings and cli_progress) and ganlab.cli.runs, the shared pieces in ganlab.cli.common.
The structure and knob flags are built from the table of settings fields (ganlab.settings.fields) by
ganlab.cli.fields: each setting of the app is a flag, per net where the app is per net.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

import ganlab
from ganlab.cli.common import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_USAGE, UsageError, image_data_names, image_preset_table
from ganlab.cli.fields import add_field_flags
from ganlab.cli.runs import cmd_eval, cmd_export, cmd_runs, cmd_sample
from ganlab.cli.train import cmd_train
from ganlab.settings.config import ConfigError
from ganlab.settings.presets import PRESETS
from ganlab.storage.paths import RunFormatError


# ------------------------------------------------------------------ arguments
class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (`prog: error: ...`) and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _toy_names() -> list[str]:
    from ganlab.data.drawn import DRAWN_DATA
    from ganlab.data.toy import TOY_DISTRIBUTIONS

    return [*TOY_DISTRIBUTIONS, DRAWN_DATA]  # drawn: with --drawing CODE, a playground link's draw= value


def _train_epilog() -> str:
    from ganlab.data.image_sources import IMAGE_SOURCES
    from ganlab.data.toy import TOY_DISTRIBUTIONS

    presets = "\n".join(f"  {p.name:<14} {p.description}" for p in PRESETS.values())
    image_presets = "\n".join(f"  {p.name:<14} {p.label}" for p in image_preset_table().values()) or "  (none)"
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
    for add in (_add_train, _add_sample, _add_eval, _add_runs, _add_export):
        add(commands)
    return parser


def _add_train(commands: argparse._SubParsersAction) -> None:
    train = commands.add_parser(
        "train",
        help="train a GAN (2D toy data, your points, or images) and save the run",
        description="Train a GAN headlessly and write a run directory.\n"
        "Progress goes to stderr, the summary to stdout.",
        epilog=_train_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_run_flags(train.add_argument_group("run"))
    add_field_flags(train)  # every setting of both kinds of run (ganlab.settings.fields)
    train.set_defaults(handler=cmd_train)


def _add_run_flags(run: argparse._ArgumentGroup) -> None:
    """`ganlab train`'s flags other than the settings fields: the data, the length, where it is written."""
    run.add_argument("--config", type=Path, metavar="FILE", help="settings from a .json or .toml file")
    source = run.add_mutually_exclusive_group()
    source.add_argument("--data", choices=_toy_names() + image_data_names(), metavar="NAME",
                        help="2D distribution or image dataset: %(choices)s (default: ring)")
    source.add_argument("--csv", metavar="FILE", type=Path,
                        help="train on your own 2D points: a CSV with two numeric columns")
    source.add_argument("--images", metavar="PATH", type=Path,
                        help="train on your own images: a folder or a .zip (class subfolders = labels)")
    source.add_argument("--resume", metavar="RUN", help="continue a saved run (name or path) for --steps more steps")
    run.add_argument("--preset", metavar="NAME",
                     help=f"recipe to start from: 2D {', '.join(PRESETS)} (default: default); "
                          f"images: {', '.join(image_preset_table()) or 'none'}")
    run.add_argument("--steps", type=int, metavar="N",
                     help="training steps (each: --d-steps D updates, then one G update); required")
    run.add_argument("--minutes", type=float, metavar="M",
                     help="stop after M minutes of training even if fewer than --steps steps are done (a time "
                          "budget, e.g. to compare two recipes at the same training time)")
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

    run.add_argument("--max-images", type=int, metavar="N", help="images: train on a random subset of N images")


def _add_sample(commands: argparse._SubParsersAction) -> None:
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


def _add_eval(commands: argparse._SubParsersAction) -> None:
    evaluate = commands.add_parser("eval", help="measure a saved run's generator and print the metrics",
                                   description="Measure a saved run's weights with the metrics the app shows "
                                   "(needs the run's data: built-in, embedded in the run, or under $GANLAB_DATA_DIR).")
    _add_run_arg(evaluate)
    evaluate.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"), help="default: %(default)s")
    evaluate.add_argument("--json", action="store_true", help="print the metrics as one JSON object")
    evaluate.set_defaults(handler=cmd_eval)


def _add_runs(commands: argparse._SubParsersAction) -> None:
    runs = commands.add_parser("runs", help="list the saved runs",
                               description="List the runs folder ($GANLAB_RUNS_DIR, default ./runs), newest first.")
    runs.add_argument("--runs-dir", type=Path, metavar="DIR", help="the runs folder")
    runs.add_argument("--json", action="store_true", help="one JSON object per run")
    runs.set_defaults(handler=cmd_runs)


def _add_export(commands: argparse._SubParsersAction) -> None:
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
