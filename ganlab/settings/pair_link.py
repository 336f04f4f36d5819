"""The side-by-side page's link: the settings of two 2D runs, A and B, in one URL.

- A key without a prefix applies to both runs; it is a playground key (ganlab.settings.urlstate),
  e.g. `data=grid&seed=3`.
- `a.KEY` or `b.KEY` sets that run only and wins over the common value, e.g. `b.loss=hinge`.
- `preset=NAME`, `a.preset=NAME` or `b.preset=NAME` starts a run from a recipe
  (ganlab.settings.presets) on the link's data and seed; the other keys then apply on top.

Decoding never fails, as for the playground: a bad value or an unknown key (`c.loss`, `a.nope`)
is named in a message and its default kept. A link with no settings at all opens DEFAULT_LINK.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from ganlab.settings.config import Knobs, ToyStructure
from ganlab.settings.fields import TOY_FIELDS
from ganlab.settings.presets import PRESETS, Preset
from ganlab.settings.urlstate import decode, encode, shown_value

RUNS = ("a", "b")  # the runs' prefixes in the link ("a." and "b."), and their names on the page
PRESET_KEY = "preset"
Settings = tuple[ToyStructure, Knobs]

# Shortcuts: a pair of runs one setting group apart, as link settings (the page's buttons)
SHORTCUTS: dict[str, dict[str, str]] = {
    "Collapse vs cure": {"a.preset": "mode-collapse", "b.preset": "all-modes"},
}
DEFAULT_LINK = {"data": "grid", **SHORTCUTS["Collapse vs cure"]}  # what a link without settings opens
_LABELS = {f.key: f.label for f in TOY_FIELDS}


@dataclass(frozen=True)
class PairSettings:
    a: Settings
    b: Settings
    problems: tuple[str, ...]  # one message per bad or unknown link setting

    def runs(self) -> dict[str, Settings]:
        return {"a": self.a, "b": self.b}


def link_settings(params: Mapping[str, Any], ignore: Iterable[str] = ()) -> dict[str, Any]:
    """The parameters of a link that are settings (every key but those in `ignore`, the app's own)."""
    ignored = set(ignore)
    return {key: value for key, value in params.items() if key not in ignored}


def _split(params: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    common: dict[str, Any] = {}
    own: dict[str, dict[str, Any]] = {run: {} for run in RUNS}
    for key, value in params.items():
        head, dot, rest = str(key).partition(".")
        if dot and head in own and rest:
            own[head][rest] = value
        else:
            common[key] = value
    return common, own


def _preset(raw: Any, prefix: str, problems: list[str]) -> Preset | None:
    if raw is None:
        return None
    name = raw[-1] if isinstance(raw, (list, tuple)) and raw else raw
    if name in PRESETS:
        return PRESETS[name]
    problems.append(f"link setting {prefix}{PRESET_KEY}={shown_value(name)} not understood (choose from "
                    f"{', '.join(PRESETS)}), ignored")
    return None


def _add(problems: list[str], new: Iterable[str]) -> None:
    problems.extend(p for p in new if p not in problems)  # a common key's message once, not per run


def decode_pair(params: Mapping[str, Any], ignore: Iterable[str] = ()) -> PairSettings:
    """Both runs' settings from a link (see the module's docstring); `ignore` names the app's own
    keys (run tokens, lesson keys). A link without settings gives DEFAULT_LINK's pair."""
    settings = link_settings(params, ignore)
    common, own = _split(settings or DEFAULT_LINK)
    problems: list[str] = []
    common_preset = _preset(common.pop(PRESET_KEY, None), "", problems)
    decoded: list[Settings] = []
    for run in RUNS:
        preset = _preset(own[run].pop(PRESET_KEY, None), f"{run}.", problems) or common_preset
        base = None
        if preset is not None:  # the recipe on the data and seed this run gets from the link
            structure, _, _ = decode({**common, **own[run]})
            base = preset.apply(structure.data, structure.seed, structure.drawing)
        structure, knobs, common_problems = decode(common, base)
        structure, knobs, own_problems = decode(own[run], (structure, knobs), prefix=f"{run}.")
        _add(problems, common_problems)
        _add(problems, own_problems)
        decoded.append((structure, knobs))
    return PairSettings(decoded[0], decoded[1], tuple(problems))


def encode_pair(a: Settings, b: Settings) -> dict[str, str]:
    """The link of two runs: a setting both share once, one that differs as `a.KEY` and `b.KEY`."""
    first, second = encode(*a), encode(*b)
    out: dict[str, str] = {}
    for key, value in first.items():
        if second[key] == value:
            out[key] = value
        else:
            out[f"a.{key}"], out[f"b.{key}"] = value, second[key]
    return out


def differences(a: Settings, b: Settings) -> list[tuple[str, str, str]]:
    """(setting label, A's value, B's value) for each setting that differs, in the table's order."""
    first, second = encode(*a), encode(*b)
    return [(_LABELS[key], first[key], second[key]) for key in first if first[key] != second[key]]


def recipe_of(settings: Settings) -> Preset | None:
    """The preset whose recipe these settings are (on their own data and seed), or None."""
    structure, _ = settings
    for preset in PRESETS.values():
        if preset.apply(structure.data, structure.seed, structure.drawing) == settings:
            return preset
    return None
