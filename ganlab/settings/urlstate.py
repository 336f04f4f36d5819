"""Page settings <-> short URL query parameters, like TensorFlow Playground's shareable state:
the 2D playground's (FIELDS) and the image page's (IMAGE_FIELDS); the live knobs share their keys.

Decoding never fails: each bad parameter (not a finite number, not a whole one, out of
range, junk of any length) and each unknown key is skipped with a message and its default
kept, so a mangled link still opens a working page (tests/settings/test_urlstate_fuzz.py).
"""

from __future__ import annotations

import difflib
import math
from typing import Any, Iterable, Mapping

from ganlab.settings import fields as F
from ganlab.settings.config import ImageStructure, Knobs, ToyStructure


# query key -> (path into the flattened settings, type), from the one table (ganlab.settings.fields)
def _key_map(table: Iterable[F.Field]) -> dict[str, tuple[tuple[str, ...], type]]:
    return {f.key: (f.path, f.value_type) for f in table}


KNOB_FIELDS = _key_map(F.KNOB_FIELDS)
FIELDS = _key_map(F.TOY_FIELDS)
IMAGE_FIELDS = _key_map(F.IMAGE_FIELDS)  # the number of classes is not here: it follows the dataset
_get, _set = F.get, F.put


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
        structure_cls: Any = self.structure_cls  # a structure dataclass: it has from_dict
        return structure_cls.from_dict(tree["structure"]), Knobs.from_dict(tree["knobs"])

    def encode(self, structure: Any, knobs: Knobs) -> dict[str, str]:
        return {key: _format(value) for key, value in self.flatten(structure, knobs).items()}

    def decode(self, params: Mapping[str, Any], defaults: tuple[Any, Knobs] | None = None,
               ignore: Iterable[str] = (), prefix: str = "") -> tuple[Any, Knobs, list[str]]:
        defaults = defaults or (self.structure_cls(), Knobs())
        accepted: dict[str, Any] = {}
        problems: list[str] = []
        ignore = set(ignore)
        unknown = [k for k in params if k not in self.fields and k not in ignore]
        # The loss goes last: "wasserstein-gp" is only valid once a gp weight is in place;
        # the drawing after the data, which says whether it is used.
        for key in sorted((k for k in params if k in self.fields), key=lambda k: (k == "loss", k == "draw")):
            kind, raw = self.fields[key][1], _single(params[key])
            shown = f"{prefix}{key}={_shown(raw)}"
            try:
                value = _parse(kind, raw)
            except (TypeError, ValueError, ArithmeticError):
                problems.append(f"link setting {shown} is not {_KIND_NAMES[kind]}; kept the default")
                continue
            try:
                self.unflatten({**accepted, key: value}, defaults)
            except (TypeError, ValueError, ArithmeticError) as err:  # ConfigError is a ValueError
                problems.append(_clip(f"link setting {shown} ignored: {err}"))
                continue
            accepted[key] = value
        for key in unknown:
            problems.append(self._unknown_message(key, _single(params[key]), prefix))
        structure, knobs = self.unflatten(accepted, defaults)
        return structure, knobs, problems

    def _unknown_message(self, key: Any, raw: Any, prefix: str = "") -> str:
        near = [prefix + k for k in self.near_keys(str(key))]
        return unknown_key_message(f"{prefix}{_shown(key)}={_shown(raw)}", near, "no such setting")

    def near_keys(self, word: str) -> list[str]:
        """URL keys whose key or long name (e.g. "batch_size" for bs) resembles `word`."""
        return near_names(word, {key: path for key, (path, _) in self.fields.items()})


def near_names(word: str, keys: Mapping[str, tuple[str, ...]]) -> list[str]:
    """At most three of `keys` whose key or long name (its path's last part, or the path after its
    first part joined by "_") resembles `word`; `keys` maps a URL key to its path (() for a name
    without one, e.g. a page's panel)."""
    names: dict[str, list[str]] = {}
    for key, path in keys.items():
        for name in {key, *((path[-1], "_".join(path[1:])) if path else ())}:
            names.setdefault(name.lower(), []).append(key)
    found: list[str] = []
    for name in difflib.get_close_matches(word.lower()[:100], names, n=3, cutoff=0.6):
        found += [k for k in names[name] if k not in found]
    return found[:3]


def unknown_key_message(shown: str, near: list[str], why: str) -> str:
    """The message for a link word that names nothing (`shown`: "key=value" as the link has it)."""
    text = f"link setting {shown} not understood ({why}), ignored"
    if near:
        text += "; did you mean " + " or ".join(near) + "?"
    return _clip(text)


_KIND_NAMES = {bool: "true or false (1/0)", int: "a whole number", float: "a finite number", str: "text"}
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")
_SHOWN_CHARS = 40  # a link value longer than this is cut in messages
_MESSAGE_CHARS = 300


def _single(raw: Any) -> str:
    """One text value: a repeated key (a list) counts by its last value, like the browser's."""
    if isinstance(raw, (list, tuple)):
        raw = raw[-1] if raw else ""
    return raw if isinstance(raw, str) else str(raw)


def _shown(raw: Any) -> str:
    text = "".join(c if c.isprintable() else "?" for c in str(raw))
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 1] + "…"


def _clip(message: str) -> str:
    return message if len(message) <= _MESSAGE_CHARS else message[: _MESSAGE_CHARS - 1] + "…"


def _parse(kind: type, raw: str) -> Any:
    """`raw` as `kind`; ValueError unless it is one exactly (a finite number, a whole one for int)."""
    text = raw.strip()
    if kind is bool:
        if text.lower() in _TRUE or text.lower() in _FALSE:
            return text.lower() in _TRUE
        raise ValueError(raw)
    if kind is str:
        return raw
    if len(text) > 100:
        raise ValueError("too long for a number")
    if kind is int:
        try:
            return int(text)
        except ValueError:
            pass  # "1e3" or "64.0" are whole numbers too
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(raw)
    if kind is int:
        if not number.is_integer():
            raise ValueError(raw)
        return int(number)
    return number


def _format(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return format(value, ".6g") if isinstance(value, float) else str(value)


VIEW_KEYS = tuple(f.key for f in F.VIEW_FIELDS)
_NO_CHOICE = "none"  # a set-valued view field with nothing chosen (an empty value reads as a slip)


def encode_view(values: Mapping[str, Any]) -> dict[str, str]:
    """The link parameters of the view fields in `values` ({field key: choice, or chosen choices for a
    field with `many`}) whose value differs from the default (all choices; the first choice); {} for
    the defaults."""
    out: dict[str, str] = {}
    for field in F.VIEW_FIELDS:
        if field.key not in values:
            continue
        options = list(field.options() or ())
        if field.many:
            chosen = [c for c in options if c in set(values[field.key])]  # in the table's order
            if chosen != options:
                out[field.key] = ",".join(chosen) or _NO_CHOICE
        elif values[field.key] != options[0]:
            out[field.key] = _format(values[field.key])
    return out


def decode_view(params: Mapping[str, Any], table: Iterable[F.Field] = F.VIEW_FIELDS) -> tuple[dict[str, Any], list[str]]:
    """A page's view choices from query parameters, {path name: value} for the fields of `table`
    (ganlab.settings.fields.VIEW_FIELDS): a field with `many` always has its chosen choices (default
    all of them), another only when the link gives it a good value; a message for each bad one (its
    default kept; a set of which some names are bad keeps the good ones)."""
    values: dict[str, Any] = {}
    problems: list[str] = []
    for field in table:
        if field.many:
            values[field.path[-1]] = _decode_many(field, params, problems)
        elif field.key in params:
            _decode_one(field, _single(params[field.key]), values, problems)
    return values, problems


def _decode_many(field: F.Field, params: Mapping[str, Any], problems: list[str]) -> tuple[str, ...]:
    options = field.options() or ()
    if field.key not in params:
        return tuple(options)
    raw = _single(params[field.key])
    names = [] if raw.strip().lower() == _NO_CHOICE else [n.strip() for n in raw.split(",") if n.strip()]
    bad = [n for n in names if n not in options]
    if bad:
        problems.append(_clip(f"link setting {field.key}={_shown(raw)}: {', '.join(_shown(n) for n in bad)} "
                              f"not understood (choose from {', '.join(options)}), ignored"))
    good = tuple(o for o in options if o in names)
    return good if good or not bad else tuple(options)  # only junk: the default


def _decode_one(field: F.Field, raw: str, values: dict[str, Any], problems: list[str]) -> None:
    try:
        value = _parse(field.value_type, raw)
    except (TypeError, ValueError, ArithmeticError):
        problems.append(f"link setting {field.key}={_shown(raw)} is not {_KIND_NAMES[field.value_type]}; "
                        "kept the default")
        return
    options = field.options()
    if options is not None and value not in options:
        problems.append(_clip(f"link setting {field.key}={_shown(raw)} ignored: {field.noun} must be one of "
                              f"{', '.join(map(str, options))}"))
        return
    values[field.path[-1]] = value


# for pages with a small table of their own (ganlab.dynamics.settings): the same rules and messages
parse_value, format_value, shown_value, single_value, KIND_NAMES = _parse, _format, _shown, _single, _KIND_NAMES


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
    params: Mapping[str, Any], defaults: tuple[ToyStructure, Knobs] | None = None, ignore: Iterable[str] = (),
    prefix: str = "",
) -> tuple[ToyStructure, Knobs, list[str]]:
    """Settings from query parameters on top of `defaults`, and a message for each parameter
    that was bad or unknown (the keys in `ignore`, e.g. the app's run tokens, excepted); the
    messages name each key with `prefix` before it (the side-by-side page's "b.")."""
    return _TOY.decode(params, defaults, ignore, prefix)


def flatten_image(structure: ImageStructure, knobs: Knobs) -> dict[str, Any]:
    """{short key: value} for every field in IMAGE_FIELDS (also the image page's widget keys)."""
    return _IMAGE.flatten(structure, knobs)


def unflatten_image(values: Mapping[str, Any], defaults: tuple[ImageStructure, Knobs] | None = None
                    ) -> tuple[ImageStructure, Knobs]:
    return _IMAGE.unflatten(values, defaults)


def encode_image(structure: ImageStructure, knobs: Knobs) -> dict[str, str]:
    return _IMAGE.encode(structure, knobs)


def decode_image(params: Mapping[str, Any], defaults: tuple[ImageStructure, Knobs] | None = None,
                 ignore: Iterable[str] = ()) -> tuple[ImageStructure, Knobs, list[str]]:
    """Image-page settings from query parameters on top of `defaults`; bad and unknown ones reported."""
    return _IMAGE.decode(params, defaults, ignore)
