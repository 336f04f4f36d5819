"""Lesson links: what a page's link hides and locks (`hide=` and `lock=`), as a frozen `PageShape`.

Both take comma-separated names: a setting's URL key (ganlab.settings.fields, the keys the links
already use) or one of the page's panels (the tables below, one per page). A hidden control is not
drawn, a locked one is drawn disabled; either way its value is the link's and stays in the link.
Hiding or locking a panel does that to every setting in it. Like the settings, parsing never fails:
each unknown name is named in a message (with the names it resembles) and skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from ganlab.settings import fields as F
from ganlab.settings.urlstate import near_names, shown_value, single_value, unknown_key_message

HIDE, LOCK = "hide", "lock"  # the link's keys
MAX_CHARS = 2_000  # of one hide= or lock= value read; the rest is cut (and said) before it is split
MAX_NAMES = 100  # names read from one value (a page has about 40 settings and panels)


@dataclass(frozen=True)
class Panel:
    """A part of a page that a link can hide as a whole (`name` in the link), and the settings in it."""

    name: str
    label: str
    keys: tuple[str, ...] = ()


def _keys(fields: Iterable[F.Field], *, live: bool | None = None, without: tuple[str, ...] = ()) -> tuple[str, ...]:
    return tuple(f.key for f in fields if (live is None or f.live == live) and f.key not in without)


# The data is a setting (hide=data), not a panel: its heading goes with it.
PLAYGROUND_PANELS: tuple[Panel, ...] = (
    Panel("presets", "Preset"),
    Panel("training", "Training (live)", _keys(F.KNOB_FIELDS)),
    Panel("structure", "Structure", _keys(F.TOY_FIELDS, live=False, without=("data", "draw"))),
    Panel("view_layers", "Layers of the view", ("layers",)),
    Panel("view_range", "View range"),
    Panel("model_graph", "Model graph"),
    Panel("slow_motion", "Slow motion"),
    Panel("charts", "History charts"),
)
IMAGES_PANELS: tuple[Panel, ...] = (
    Panel("presets", "Preset"),
    Panel("training", "Training (live)", _keys(F.KNOB_FIELDS)),
    Panel("structure", "Structure", _keys(F.IMAGE_FIELDS, live=False, without=("data",))),
    Panel("model_graph", "Model graph"),
    Panel("charts", "History charts"),
    Panel("quality", "Image quality"),
    Panel("timeline", "Timeline"),
    Panel("ask_d", "Ask the discriminator"),
)
DYNAMICS_PANELS: tuple[Panel, ...] = (
    Panel("cases", "Cases from the paper"),
    Panel("starts", "Start boxes and buttons"),
    Panel("curves", "Loss and distance curves"),
    Panel("explanation", "Explanation"),
)


@dataclass(frozen=True)
class PageShape:
    """What a page's link hides and locks: the names as the link gives them (setting keys and panel
    names, in the link's order, each once) and the page's panels, which say what a panel name covers."""

    hidden: tuple[str, ...] = ()
    locked: tuple[str, ...] = ()
    panels: tuple[Panel, ...] = ()

    def _covers(self, names: tuple[str, ...], key: str) -> bool:
        return key in names or any(p.name in names and key in p.keys for p in self.panels)

    def hides(self, key: str) -> bool:
        """The setting `key` is not drawn (named, or in a hidden panel)."""
        return self._covers(self.hidden, key)

    def locks(self, key: str) -> bool:
        """The setting `key` is drawn disabled (named, or in a locked panel), unless it is hidden."""
        return not self.hides(key) and self._covers(self.locked, key)

    def shows_panel(self, name: str) -> bool:
        return name not in self.hidden

    def held(self, keys: Iterable[str]) -> tuple[str, ...]:
        """The settings of `keys` whose value is the link's: the hidden and the locked ones."""
        return tuple(k for k in keys if self._covers(self.hidden, k) or self._covers(self.locked, k))

    def params(self) -> dict[str, str]:
        """The link's hide= and lock= ({} for a page that shows and frees everything)."""
        return {name: ",".join(names) for name, names in ((HIDE, self.hidden), (LOCK, self.locked)) if names}


def _names(param: str, raw: str, known: Mapping[str, tuple[str, ...]], problems: list[str]) -> tuple[str, ...]:
    if len(raw) > MAX_CHARS:
        problems.append(f"link setting {param}= is {len(raw):,} characters long; read only the first {MAX_CHARS:,}")
        raw = raw[:MAX_CHARS]
    words = [w.strip() for w in raw.split(",", MAX_NAMES)[:MAX_NAMES]]
    if raw.count(",") >= MAX_NAMES:
        problems.append(f"link setting {param}= names more than {MAX_NAMES}; read only the first {MAX_NAMES}")
    out: list[str] = []
    for word in words:
        if not word or word in out:  # "hide=a,,b" and "hide=a,a" are slips, not errors
            continue
        if word in known:
            out.append(word)
        else:
            problems.append(unknown_key_message(f"{param}={shown_value(word)}", near_names(word, known),
                                                "no such setting or panel on this page"))
    return tuple(out)


def parse_shape(params: Mapping[str, Any], fields: Iterable[F.Field],
                panels: tuple[Panel, ...]) -> tuple[PageShape, list[str]]:
    """The shape that `params` (a page's query parameters) give a page of `fields` and `panels`,
    and a message for each name in hide= or lock= that is neither."""
    known: dict[str, tuple[str, ...]] = {f.key: f.path for f in fields}
    known.update({p.name: () for p in panels})
    problems: list[str] = []
    hidden, locked = (_names(param, single_value(params[param]), known, problems) if param in params else ()
                      for param in (HIDE, LOCK))
    return PageShape(hidden, locked, panels), problems
