"""Page settings <-> short URL query parameters, like TensorFlow Playground's shareable state:
the 2D playground's (FIELDS) and the image page's (IMAGE_FIELDS); the live knobs share their keys.

Decoding never fails: each bad parameter is skipped with a message and its
default kept, so a mangled link still opens a working page.
"""

from __future__ import annotations

from typing import Any, Mapping

from ganlab.config import ConfigError, ImageStructure, Knobs, ToyStructure

# query key -> (path into the flattened settings, type)
KNOB_FIELDS: dict[str, tuple[tuple[str, ...], type]] = {
    "loss": (("knobs", "loss"), str),
    "ds": (("knobs", "d_steps"), int),
    "bs": (("knobs", "batch_size"), int),
    "gp": (("knobs", "gp_weight"), float),
    "r1": (("knobs", "r1_weight"), float),
    "ms": (("knobs", "ms_weight"), float),
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
    **KNOB_FIELDS,
}
# The image page. The number of classes is not here: it follows the dataset.
IMAGE_FIELDS: dict[str, tuple[tuple[str, ...], type]] = {
    "data": (("structure", "dataset"), str),
    "seed": (("structure", "seed"), int),
    "size": (("structure", "image_size"), int),
    "ch": (("structure", "channels"), int),
    "nd": (("structure", "noise_dim"), int),
    "w": (("structure", "width"), int),
    "gbn": (("structure", "g_batch_norm"), bool),
    "dbn": (("structure", "d_batch_norm"), bool),
    "dsn": (("structure", "d_spectral_norm"), bool),
    "cond": (("structure", "conditional"), bool),
    "xc": (("structure", "extra_conv"), bool),
    "ema": (("structure", "ema_decay"), float),
    **KNOB_FIELDS,
}


def _get(tree: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    for key in path:
        tree = tree[key]
    return tree


def _set(tree: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        tree = tree[key]
    tree[path[-1]] = value


class _Schema:
    """One page's settings: its URL fields and its structure class."""

    def __init__(self, fields: dict[str, tuple[tuple[str, ...], type]], structure_cls: type) -> None:
        self.fields, self.structure_cls = fields, structure_cls

    def flatten(self, structure: Any, knobs: Knobs) -> dict[str, Any]:
        tree = {"structure": structure.to_dict(), "knobs": knobs.to_dict()}
        return {key: _get(tree, path) for key, (path, _) in self.fields.items()}

    def unflatten(self, values: Mapping[str, Any], defaults: tuple[Any, Knobs] | None = None) -> tuple[Any, Knobs]:
        structure, knobs = defaults or (self.structure_cls(), Knobs())
        tree = {"structure": structure.to_dict(), "knobs": knobs.to_dict()}
        for key, value in values.items():
            if key in self.fields:
                _set(tree, self.fields[key][0], value)
        return self.structure_cls.from_dict(tree["structure"]), Knobs.from_dict(tree["knobs"])

    def encode(self, structure: Any, knobs: Knobs) -> dict[str, str]:
        return {key: _format(value) for key, value in self.flatten(structure, knobs).items()}

    def decode(self, params: Mapping[str, str], defaults: tuple[Any, Knobs] | None = None) -> tuple[Any, Knobs, list[str]]:
        defaults = defaults or (self.structure_cls(), Knobs())
        accepted: dict[str, Any] = {}
        problems: list[str] = []
        # The loss goes last: "wasserstein-gp" is only valid once a gp weight is in place.
        for key in sorted((k for k in params if k in self.fields), key=lambda k: k == "loss"):
            kind, raw = self.fields[key][1], params[key]
            try:
                value = _parse(kind, raw)
            except (TypeError, ValueError):
                problems.append(f"link setting {key}={raw!r} is not a valid {_KIND_NAMES.get(kind, kind.__name__)}; "
                                "kept the default")
                continue
            try:
                self.unflatten({**accepted, key: value}, defaults)
            except ConfigError as err:
                problems.append(f"link setting {key}={raw!r} ignored: {err}")
                continue
            accepted[key] = value
        structure, knobs = self.unflatten(accepted, defaults)
        return structure, knobs, problems


_KIND_NAMES = {bool: "true/false value"}
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _parse(kind: type, raw: str) -> Any:
    if kind is bool:
        text = str(raw).strip().lower()
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
        raise ValueError(raw)
    return kind(float(raw)) if kind is int else kind(raw)


def _format(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return format(value, ".6g") if isinstance(value, float) else str(value)


_TOY = _Schema(FIELDS, ToyStructure)
_IMAGE = _Schema(IMAGE_FIELDS, ImageStructure)


def flatten(structure: ToyStructure, knobs: Knobs) -> dict[str, Any]:
    """{short key: value} for every field in FIELDS (also the playground's widget keys)."""
    return _TOY.flatten(structure, knobs)


def unflatten(values: Mapping[str, Any], defaults: tuple[ToyStructure, Knobs] | None = None) -> tuple[ToyStructure, Knobs]:
    """The inverse of `flatten`, on top of `defaults`; raises ConfigError on bad values."""
    return _TOY.unflatten(values, defaults)


def encode(structure: ToyStructure, knobs: Knobs) -> dict[str, str]:
    return _TOY.encode(structure, knobs)


def decode(
    params: Mapping[str, str], defaults: tuple[ToyStructure, Knobs] | None = None
) -> tuple[ToyStructure, Knobs, list[str]]:
    """Settings from query parameters on top of `defaults`; unknown keys are ignored."""
    return _TOY.decode(params, defaults)


def flatten_image(structure: ImageStructure, knobs: Knobs) -> dict[str, Any]:
    """{short key: value} for every field in IMAGE_FIELDS (also the image page's widget keys)."""
    return _IMAGE.flatten(structure, knobs)


def unflatten_image(values: Mapping[str, Any], defaults: tuple[ImageStructure, Knobs] | None = None
                    ) -> tuple[ImageStructure, Knobs]:
    return _IMAGE.unflatten(values, defaults)


def encode_image(structure: ImageStructure, knobs: Knobs) -> dict[str, str]:
    return _IMAGE.encode(structure, knobs)


def decode_image(params: Mapping[str, str], defaults: tuple[ImageStructure, Knobs] | None = None
                 ) -> tuple[ImageStructure, Knobs, list[str]]:
    """Image-page settings from query parameters on top of `defaults`; bad ones reported and skipped."""
    return _IMAGE.decode(params, defaults)
