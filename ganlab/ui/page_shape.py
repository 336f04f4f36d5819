"""The widget side of lesson links (ganlab.settings.shaping): each shaped page's fields and panels,
its shape for this session, and the values the link holds.

A page calls `establish` once a run, after its widgets got their first values and before it draws
them: the shape is read from the link (the first time, and whenever the link's hide= / lock=
change), the hidden and locked settings keep the value they had then (the link's), and hide= /
lock= stay in the link. `field_input` (ganlab.ui.field_widgets) asks `current` whether to draw a
field and whether to lock it; the code that draws a panel asks `current(prefix).shows_panel`.

What wins: the link. A preset, "Apply", a case from the paper or an undo changes only the free
settings; a held one is put back before the widgets draw, and the page says so once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import streamlit as st

from ganlab.dynamics import settings as dynamics_settings
from ganlab.settings.config import Knobs, ToyStructure
from ganlab.settings.fields import IMAGE_FIELDS, TOY_FIELDS, VIEW_FIELDS, Field, by_key
from ganlab.settings.image_presets import default_image_settings
from ganlab.settings.shaping import (
    DYNAMICS_PANELS,
    HIDE,
    IMAGES_PANELS,
    LOCK,
    PLAYGROUND_PANELS,
    PageShape,
    Panel,
    parse_shape,
)
from ganlab.settings.urlstate import encode, encode_image

SHAPES_KEY = "page_shapes"  # {widget prefix: Shaped} of the pages this session has open
LOCK_MARK = ":material/lock:"


@dataclass(frozen=True)
class ShapedPage:
    """A page whose link can hide and lock: its widget-key prefix, URL path, settings and panels."""

    prefix: str  # of its settings' widget keys ("" where the keys carry their own, as the Dynamics page's)
    url_path: str  # the page's path in the app's URL
    fields: tuple[Field, ...]  # every setting a link can hide or lock
    panels: tuple[Panel, ...]
    held_fields: tuple[Field, ...]  # those whose widget value the page holds (a view field holds its own)
    defaults: Callable[[], dict[str, str]]  # the link parameters of the page's default settings


_LAYERS = by_key(VIEW_FIELDS)["layers"]
PLAYGROUND_SHAPE = ShapedPage("pg_", "Playground", TOY_FIELDS + (_LAYERS,), PLAYGROUND_PANELS, TOY_FIELDS,
                              lambda: encode(ToyStructure(), Knobs()))
IMAGES_SHAPE = ShapedPage("im_", "Images", IMAGE_FIELDS, IMAGES_PANELS, IMAGE_FIELDS,
                          lambda: encode_image(*default_image_settings()))
DYNAMICS_SHAPE = ShapedPage("", "Dynamics", dynamics_settings.FIELDS, DYNAMICS_PANELS, dynamics_settings.FIELDS,
                            lambda: dynamics_settings.encode(dynamics_settings.DiracSettings()))
SHAPED_PAGES = {page.prefix: page for page in (PLAYGROUND_SHAPE, IMAGES_SHAPE, DYNAMICS_SHAPE)}


@dataclass(frozen=True)
class Shaped:
    """A page's shape in this session: the link's hide= / lock= it came from, and the held values."""

    link: dict[str, str]
    shape: PageShape
    held: dict[str, Any]  # widget key -> the link's value


def link_part(params: dict[str, Any]) -> dict[str, str]:
    return {key: params[key] for key in (HIDE, LOCK) if key in params}


def current(prefix: str) -> PageShape:
    """The shape of the page whose widget keys start with `prefix` (nothing hidden on other pages)."""
    shaped = st.session_state.get(SHAPES_KEY, {}).get(prefix)
    return shaped.shape if shaped is not None else PageShape()


def establish(prefix: str) -> list[str]:
    """This run's shape of the page of `prefix` (see the module's docstring); the link's problems
    with hide= / lock=, when it was read this run (the page shows them where it shows the others).
    A page without lesson links (not in SHAPED_PAGES) has nothing to establish."""
    page = SHAPED_PAGES.get(prefix)
    if page is None:
        return []
    shapes = st.session_state.setdefault(SHAPES_KEY, {})
    params = st.query_params.to_dict()
    link, shaped = link_part(params), shapes.get(prefix)
    problems: list[str] = []
    if shaped is None or (link and link != shaped.link):
        shape, problems = parse_shape(params, page.fields, page.panels)
        keys = [prefix + key for key in shape.held(f.key for f in page.held_fields)]
        shaped = Shaped(link, shape, {key: st.session_state[key] for key in keys if key in st.session_state})
        shapes[prefix] = shaped
    elif not link and shaped.shape.params():  # a page link dropped them: the link tells the shape
        st.query_params.update(shaped.shape.params())
    _hold(page, shaped)
    return problems


def _hold(page: ShapedPage, shaped: Shaped) -> None:
    """Put the held values back into their widgets; say once which ones a preset or a case tried to change."""
    fields = by_key(page.held_fields)
    moved = [fields[key[len(page.prefix):]].label for key, value in shaped.held.items()
             if key in st.session_state and st.session_state[key] != value]
    for key, value in shaped.held.items():
        st.session_state[key] = value
    if moved:
        st.toast(f"Kept as this page's link sets them: {', '.join(moved)}.", icon=LOCK_MARK)


def widget_options(prefix: str, key: str, label: str, options: dict[str, Any]) -> tuple[bool, str]:
    """(whether to draw the setting `key`, its label): a locked one is disabled with a lock mark
    and says why in its help (`options` are the widget's keyword arguments, changed in place)."""
    shape = current(prefix)
    if shape.hides(key):
        return False, label
    if shape.locks(key):
        options["disabled"] = True
        reason = "Locked by this page's link (a lesson keeps it as set)."
        options["help"] = f"{reason} {options['help']}" if options.get("help") else reason
        return True, f"{label} {LOCK_MARK}"
    return True, label
