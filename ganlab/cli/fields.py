"""`ganlab train`'s structure and knob flags, built from the one table of fields (ganlab.settings.fields).

Every field of both kinds of run is a flag (`--g-beta1`, `--d-batch-norm`, ...); a flag two
kinds share (`--noise-dim`) is one flag, checked by the kind it lands in. Shorthands set
both nets (`--beta1`); a net's own flag, when also given, wins. The data source (`--data`)
is the run group's, not built here.
"""

from __future__ import annotations

import argparse
from typing import Any, Iterable, Mapping

from ganlab.kinds import KINDS, get_kind
from ganlab.settings import fields as F

SOURCE_KEYS = ("data",)  # --data is one of the mutually exclusive data sources (cli.build_parser)
_KINDS = {kind.name: kind.cli_label for kind in KINDS.values()}  # as the help names them


def _table(kind: str) -> tuple[tuple[F.Field, ...], tuple[F.Shorthand, ...]]:
    return get_kind(kind).fields()


def kind_flags(kind: str) -> set[str]:
    """Every flag dest (fields and shorthands) that applies to `kind` (a ganlab.kinds name)."""
    fields, shorthands = _table(kind)
    return {f.dest for f in fields if f.key not in SOURCE_KEYS} | {s.dest for s in shorthands}


def _lower_first(text: str) -> str:
    """Help as the other flags write it ("both learning rates ..."); "R1 weight ..." stays."""
    return text[0].lower() + text[1:] if text[1:2].islower() else text


def _range_text(field: F.Field) -> str:
    if field.bounds is not None:
        lo, hi = field.bounds
        return f"{lo:,g} to {hi:,g}" if field.value_type is float else f"{int(lo):,} to {int(hi):,}"
    return ""


def _argparse_kwargs(field: F.Field) -> dict[str, Any]:
    if field.value_type is bool:
        return {"action": argparse.BooleanOptionalAction, "default": None}
    kwargs: dict[str, Any] = {"type": field.value_type}
    options = field.options()
    if options is not None:
        kwargs["choices"] = options
        if field.value_type is str and len(options) > 4:
            kwargs["metavar"] = "NAME"
    else:
        kwargs["metavar"] = {int: "N", float: "X", str: "TEXT"}[field.value_type]
    return kwargs


def _help(entries: list[tuple[str, str]], all_kinds: int) -> str:
    """One help text for a flag the kinds in `entries` ((kind, text) pairs) share."""
    texts = {text for _, text in entries}
    if len(entries) == all_kinds and len(texts) == 1:
        return texts.pop()
    return "; ".join(f"{_KINDS[kind]}: {text}" for kind, text in entries)


def add_field_flags(parser: argparse.ArgumentParser) -> None:
    """A structure group and a knobs group holding one flag per field and shorthand of both kinds."""
    groups = {False: parser.add_argument_group("structure (overrides the preset; changes the nets)"),
              True: parser.add_argument_group("knobs (overrides the preset; --resume may change them)")}
    seen: dict[str, tuple[Any, dict[str, Any], list[tuple[str, str]]]] = {}
    order: list[str] = []
    for kind in _KINDS:
        fields, shorthands = _table(kind)
        by_key = F.by_key(fields)
        for sh in shorthands:
            live = by_key[sh.keys[0]].live
            kwargs = _argparse_kwargs(by_key[sh.keys[0]])
            _note(seen, order, sh.flag, live, kwargs, kind, sh.help)
        for f in fields:
            if f.key in SOURCE_KEYS:
                continue
            rng, text = _range_text(f), _lower_first(f.help)
            text = f"{text} ({rng})" if rng else text
            _note(seen, order, f.flag, f.live, _argparse_kwargs(f), kind, text)
    for flag in order:
        live, kwargs, entries = seen[flag]
        if "choices" in kwargs and kwargs.get("metavar") == "NAME":
            entries = [(k, t + ": %(choices)s") for k, t in entries]
        groups[live].add_argument(f"--{flag}", help=_help(entries, len(_KINDS)), **kwargs)


def _note(seen, order, flag, live, kwargs, kind, text) -> None:
    if flag not in seen:
        seen[flag] = (live, kwargs, [])
        order.append(flag)
    if "choices" in kwargs and "choices" in seen[flag][1] and kwargs["choices"] != seen[flag][1]["choices"]:
        seen[flag][1]["choices"] = tuple(dict.fromkeys((*seen[flag][1]["choices"], *kwargs["choices"])))
    entries, text = seen[flag][2], text.replace("%", "%%")  # argparse formats help with %
    if (kind, text) not in entries:
        entries.append((kind, text))


def apply_flags(args: argparse.Namespace, tree: dict[str, Any], kind: str, live_only: bool = False) -> dict[str, Any]:
    """Write the flags given into `tree` ({"structure": ..., "knobs": ...}): shorthands first,
    then each field's own flag. `live_only`: the knobs alone (a resumed run keeps its nets)."""
    fields, shorthands = _table(kind)
    by_key = F.by_key(fields)
    for sh in shorthands:
        value = getattr(args, sh.dest, None)
        if value is not None:
            for key in sh.keys:
                if by_key[key].live or not live_only:
                    F.put(tree, by_key[key].path, value)
    for f in fields:
        if f.key in SOURCE_KEYS or (live_only and not f.live):
            continue
        value = getattr(args, f.dest, None)
        if value is not None:
            F.put(tree, f.path, value)
    return tree


def structure_flags_given(args: argparse.Namespace, ignore: Iterable[str] = ("seed",)) -> list[str]:
    """The structure flags (of either kind) given, as `--flag` (the seed is not counted:
    a resumed run keeps its own RNG state, as before)."""
    dests = []
    for kind in _KINDS:
        fields, shorthands = _table(kind)
        by_key = F.by_key(fields)
        dests += [f.dest for f in fields if not f.live and f.key not in SOURCE_KEYS and f.dest not in ignore]
        dests += [s.dest for s in shorthands if not by_key[s.keys[0]].live]
    return ["--" + d.replace("_", "-") for d in dict.fromkeys(dests) if getattr(args, d, None) is not None]


def wrong_kind_flag(args: Mapping[str, Any] | argparse.Namespace, kind: str) -> tuple[str, str] | None:
    """(dest, the kind's label) of the first flag given that the run's kind has no use for, else None."""
    values = vars(args) if isinstance(args, argparse.Namespace) else args
    mine = kind_flags(kind)
    for other in KINDS.values():
        if other.name == kind:
            continue
        wrong = [d for d in _ordered(other.name) if d not in mine] + list(other.data_flags)
        for dest in wrong:
            if values.get(dest) is not None:
                return dest, other.label
    return None


def _ordered(kind: str) -> list[str]:
    fields, shorthands = _table(kind)
    return list(dict.fromkeys([s.dest for s in shorthands] + [f.dest for f in fields if f.key not in SOURCE_KEYS]))


def all_flag_dests() -> list[str]:
    """Every field and shorthand dest of both kinds: what a --config file may name besides the run flags."""
    return list(dict.fromkeys(d for kind in KINDS for d in _ordered(kind)))
