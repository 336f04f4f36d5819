"""Playground settings <-> short URL query parameters, like TensorFlow Playground's shareable state.

Decoding never fails: each bad parameter is skipped with a message and its
default kept, so a mangled link still opens a working page.
"""

from __future__ import annotations

from typing import Any, Mapping

from ganlab.config import ConfigError, Knobs, ToyStructure

# query key -> (path into the flattened settings, type)
FIELDS: dict[str, tuple[tuple[str, ...], type]] = {
    "data": (("structure", "data"), str),
    "seed": (("structure", "seed"), int),
    "nd": (("structure", "noise_dim"), int),
    "noise": (("structure", "noise"), str),
    "gl": (("structure", "generator", "hidden_layers"), int),
    "gw": (("structure", "generator", "width"), int),
    "ga": (("structure", "generator", "activation"), str),
    "dl": (("structure", "discriminator", "hidden_layers"), int),
    "dw": (("structure", "discriminator", "width"), int),
    "da": (("structure", "discriminator", "activation"), str),
    "loss": (("knobs", "loss"), str),
    "ds": (("knobs", "d_steps"), int),
    "bs": (("knobs", "batch_size"), int),
    "gp": (("knobs", "gp_weight"), float),
    "r1": (("knobs", "r1_weight"), float),
    "clip": (("knobs", "clip_value"), float),
    "lrs": (("knobs", "lr_decay_start"), int),
    "lrh": (("knobs", "lr_half_life"), int),
    "gopt": (("knobs", "g_opt", "name"), str),
    "glr": (("knobs", "g_opt", "lr"), float),
    "gb1": (("knobs", "g_opt", "beta1"), float),
    "gb2": (("knobs", "g_opt", "beta2"), float),
    "dopt": (("knobs", "d_opt", "name"), str),
    "dlr": (("knobs", "d_opt", "lr"), float),
    "db1": (("knobs", "d_opt", "beta1"), float),
    "db2": (("knobs", "d_opt", "beta2"), float),
}


def _get(tree: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    for key in path:
        tree = tree[key]
    return tree


def _set(tree: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        tree = tree[key]
    tree[path[-1]] = value


def flatten(structure: ToyStructure, knobs: Knobs) -> dict[str, Any]:
    """{short key: value} for every field in FIELDS (also the playground's widget keys)."""
    tree = {"structure": structure.to_dict(), "knobs": knobs.to_dict()}
    return {key: _get(tree, path) for key, (path, _) in FIELDS.items()}


def unflatten(values: Mapping[str, Any], defaults: tuple[ToyStructure, Knobs] | None = None) -> tuple[ToyStructure, Knobs]:
    """The inverse of `flatten`, on top of `defaults`; raises ConfigError on bad values."""
    structure, knobs = defaults or (ToyStructure(), Knobs())
    tree = {"structure": structure.to_dict(), "knobs": knobs.to_dict()}
    for key, value in values.items():
        if key in FIELDS:
            _set(tree, FIELDS[key][0], value)
    return ToyStructure.from_dict(tree["structure"]), Knobs.from_dict(tree["knobs"])


def _format(value: Any) -> str:
    return format(value, ".6g") if isinstance(value, float) else str(value)


def encode(structure: ToyStructure, knobs: Knobs) -> dict[str, str]:
    return {key: _format(value) for key, value in flatten(structure, knobs).items()}


def decode(
    params: Mapping[str, str], defaults: tuple[ToyStructure, Knobs] | None = None
) -> tuple[ToyStructure, Knobs, list[str]]:
    """Settings from query parameters on top of `defaults`; unknown keys are ignored."""
    defaults = defaults or (ToyStructure(), Knobs())
    accepted: dict[str, Any] = {}
    problems: list[str] = []
    # The loss goes last: "wasserstein-gp" is only valid once a gp weight is in place.
    for key in sorted((k for k in params if k in FIELDS), key=lambda k: k == "loss"):
        kind, raw = FIELDS[key][1], params[key]
        try:
            value = kind(float(raw)) if kind is int else kind(raw)
        except (TypeError, ValueError):
            problems.append(f"link setting {key}={raw!r} is not a valid {kind.__name__}; kept the default")
            continue
        try:
            unflatten({**accepted, key: value}, defaults)
        except ConfigError as err:
            problems.append(f"link setting {key}={raw!r} ignored: {err}")
            continue
        accepted[key] = value
    structure, knobs = unflatten(accepted, defaults)
    return structure, knobs, problems
