"""`ganlab train` settings: the --config file, the flags and the preset merged into a checked structure and knobs."""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path
from typing import Any, Mapping

from ganlab.cli.common import UsageError, image_data_names, image_preset_table
from ganlab.cli.fields import all_flag_dests, apply_flags, wrong_kind_flag
from ganlab.data.drawn import DRAWN_DATA
from ganlab.kinds import GanKind
from ganlab.kinds.image import IMAGE
from ganlab.kinds.toy import TOY
from ganlab.settings.config import Knobs
from ganlab.settings.presets import PRESETS, get_preset

MAX_STEPS = 10**9
# The run's own flags a --config file may set, with their defaults (None: not set); every
# field flag of ganlab.settings.fields may be set too (default None: the preset's). Flags on the command line win.
RUN_DEFAULTS: dict[str, Any] = {
    "data": None, "csv": None, "images": None, "preset": None, "steps": None, "out": None,
    "name": None, "force": False, "eval_every": 100, "save_every": 10.0, "device": "auto", "threads": 1,
    "quiet": False, "max_images": None,
}
TRAIN_DEFAULTS: dict[str, Any] = {**RUN_DEFAULTS, **{dest: None for dest in all_flag_dests()}}
PATH_FLAGS = ("csv", "images", "out")


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
    if not sources:
        args.data = _paper_row_data(args.preset)
    if args.out is not None and args.name is not None:
        raise UsageError("give --out or --name, not both")
    return structure, knobs


def _paper_row_data(preset: str | None) -> str | None:
    """The dataset an image preset for a paper's row brings (`--preset pacdcgan2-stacked` alone trains on
    Stacked MNIST), else None; data named on the command line wins (as for the 2D rows, resolve_config)."""
    if preset is None or preset in PRESETS:  # a 2D preset (its own data is resolve_config's)
        return None
    return getattr(image_preset_table().get(preset), "data", None)


def deep_merge(base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in changes.items():
        out[key] = deep_merge(out[key], value) if isinstance(value, Mapping) and isinstance(out.get(key), Mapping) else value
    return out


def apply_knob_flags(args: argparse.Namespace, knobs: Knobs) -> Knobs:
    """The knob flags given, over `knobs` (a resumed run's, or the preset's)."""
    return Knobs.from_dict(apply_flags(args, {"knobs": knobs.to_dict()}, TOY.name, live_only=True)["knobs"])


def _layered(args: argparse.Namespace, kind: GanKind, structure: Any, knobs: Knobs,
             structure_table: Mapping[str, Any] | None, knobs_table: Mapping[str, Any] | None) -> tuple[Any, Knobs]:
    """The preset's settings, then the --config tables (checked on their own, so a bad file is
    reported as such), then the flags (ganlab.cli.fields)."""
    structure_cls = kind.structure_class
    tree = {"structure": deep_merge(structure.to_dict(), structure_table or {}),
            "knobs": deep_merge(knobs.to_dict(), knobs_table or {})}
    structure_cls.from_dict(tree["structure"])
    Knobs.from_dict(tree["knobs"])
    apply_flags(args, tree, kind.name)
    return structure_cls.from_dict(tree["structure"]), Knobs.from_dict(tree["knobs"])


def resolve_config(args: argparse.Namespace, structure_table: Mapping[str, Any] | None = None,
                   knobs_table: Mapping[str, Any] | None = None):
    """2D runs: the preset for the chosen data and seed, the --config tables, then the flags.
    Returns (ToyStructure, Knobs). Raises ConfigError."""
    data = "csv" if args.csv is not None else (args.data or "ring")
    structure, knobs = get_preset(args.preset or "default").apply(data, seed=args.seed or 0)
    if args.csv is not None or args.data:  # data named on the command line wins over a paper row's own
        structure = dataclasses.replace(structure, data=data)
    structure, knobs = _layered(args, TOY, structure, knobs, structure_table, knobs_table)
    if structure.data == DRAWN_DATA and not structure.drawing:
        raise UsageError("--data drawn needs --drawing CODE: the draw= value of a playground link")
    return structure, knobs


def resolve_image_config(args: argparse.Namespace, dataset, structure_table: Mapping[str, Any] | None = None,
                         knobs_table: Mapping[str, Any] | None = None):
    """Image runs: the image preset (or the structure's defaults) fitted to the data, the
    --config tables, then the flags. Returns (ImageStructure, Knobs)."""
    from ganlab.settings.config import ImageStructure

    base = ImageStructure(dataset=dataset.name, image_size=dataset.image_size, channels=dataset.channels,
                          num_classes=dataset.num_classes, conditional=False, seed=args.seed or 0)
    presets = image_preset_table()
    name = args.preset or next(iter(presets), None)
    if name is not None and name not in presets:
        raise UsageError(f"unknown image preset {name!r}; choose one of {', '.join(presets) or '(none available)'}")
    if name is None:
        structure, knobs = base, Knobs(batch_size=64)
    else:
        from ganlab.settings.image_presets import DATA_FIELDS

        structure, knobs = presets[name].apply(base)
        # the data loaded wins over a paper's row's own: it is that row's data unless the command named other data
        structure = dataclasses.replace(structure, **{field: getattr(base, field) for field in DATA_FIELDS})
    return _layered(args, IMAGE, structure, knobs, structure_table, knobs_table)


def check_run_args(args: argparse.Namespace) -> None:
    if args.steps is None:
        raise UsageError("give the number of training steps (--steps N, or `steps` in --config)")
    if not 1 <= args.steps <= MAX_STEPS:
        raise UsageError(f"steps must be between 1 and {MAX_STEPS:,}, got {args.steps}")
    minutes = getattr(args, "minutes", None)
    if minutes is not None and not 0 < minutes <= 7 * 24 * 60:
        raise UsageError(f"--minutes must be above 0 and at most a week (10080), got {minutes:g}")
    if not 1 <= args.threads <= 1024:
        raise UsageError(f"--threads must be between 1 and 1024, got {args.threads}")
    if args.eval_every < 1:
        raise UsageError(f"--eval-every must be at least 1, got {args.eval_every}")
    if not 0 < args.save_every <= 86_400:
        raise UsageError(f"--save-every must be between 0 and 86400 seconds, got {args.save_every}")
    if args.max_images is not None and args.max_images < 1:
        raise UsageError(f"--max-images must be at least 1, got {args.max_images}")
    is_image = args.images is not None or (args.data in image_data_names())
    if args.resume is None:
        wrong = wrong_kind_flag(args, (IMAGE if is_image else TOY).name)
        if wrong:
            raise UsageError(f"--{wrong[0].replace('_', '-')} applies to {wrong[1]} runs only")
