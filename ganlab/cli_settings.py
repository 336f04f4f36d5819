"""`ganlab train` settings: the --config file, the flags and the preset merged into a checked structure and knobs."""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path
from typing import Any, Mapping

from ganlab.cli_common import UsageError, _image_names, _image_presets
from ganlab.config import Knobs
from ganlab.presets import get_preset

MAX_STEPS = 10**9
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
