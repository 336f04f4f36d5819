"""The kinds of GAN ganlab trains, as objects (see `ganlab.kinds.base.GanKind`).

`kind_of(x)` answers for a kind's name, a structure, an experiment, an Explorer, a run
summary or a config.json dict; code outside this package asks the kind instead of testing
names. A new kind is a module here with a `GanKind` subclass, added to `KINDS`.
"""

from __future__ import annotations

from typing import Any, Mapping

from ganlab.kinds.base import NET_INIT_LOCK, GanKind, draw_noise
from ganlab.kinds.image import IMAGE
from ganlab.kinds.toy import TOY

KINDS: dict[str, GanKind] = {k.name: k for k in (TOY, IMAGE)}
KIND_LABELS = {kind.name: kind.label for kind in KINDS.values()}  # a run's kind as people say it

__all__ = ["KINDS", "KIND_LABELS", "NET_INIT_LOCK", "GanKind", "UnknownKind", "draw_noise", "get_kind", "kind_of"]


class UnknownKind(KeyError):
    """A name that is no kind of GAN ganlab knows; its text says which are known."""

    def __str__(self) -> str:
        return str(self.args[0])


def get_kind(name: Any) -> GanKind:
    try:
        return KINDS[name]
    except (KeyError, TypeError):
        known = " or ".join(KINDS)
        raise UnknownKind(f"unknown run kind {str(name)[:40]!r} (expected {known})") from None


def kind_of(thing: Any) -> GanKind:
    """The kind of a name, a config dict, a structure, or anything with a `kind` name or a
    `structure` (experiments, explorers, run summaries)."""
    if isinstance(thing, GanKind):
        return thing
    if isinstance(thing, str):
        return get_kind(thing)
    if isinstance(thing, Mapping):
        return get_kind(thing.get("kind"))
    for kind in KINDS.values():
        if type(thing) is kind.structure_class:
            return kind
    name = getattr(thing, "kind", None)
    if isinstance(name, str):
        return get_kind(name)
    structure = getattr(thing, "structure", None)
    if structure is not None:
        return kind_of(structure)
    raise UnknownKind(f"{type(thing).__name__} is not of a kind of GAN ganlab knows")
