"""One widget per settings field (ganlab.settings.fields): its label, help, range or choices come from
the field, its key is the page's prefix + the field's URL key.

The page chooses only the presentation (a slider or a radio instead of the default, a
format function, a column to draw in); everything that describes the setting is the
table's, so the widget, the link, the CLI and config files cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable

import streamlit as st

from ganlab.settings.fields import Field
from ganlab.ui import page_shape


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def field_input(field: Field, prefix: str, where: Any = None, *, slider: bool = False, radio: bool = False,
                options: Iterable[Any] | None = None, **kwargs: Any) -> Any:
    """Draw `field`'s widget in `where` (a column, the sidebar; default: the current block).
    `slider` / `radio` pick that presentation; `options` replaces the field's choices (e.g.
    the image page's datasets and upload); other keyword arguments go to the widget. A setting the
    page's link hides is not drawn (its value is returned); one it locks is drawn disabled."""
    where = st if where is None else where
    kwargs.setdefault("help", _sentence(field.help))
    kwargs["key"] = prefix + field.key
    drawn, label = page_shape.widget_options(prefix, field.key, field.widget_label, kwargs)
    if not drawn:
        return st.session_state.get(kwargs["key"])
    if field.value_type is bool:
        return where.checkbox(label, **kwargs)
    choices = list(options) if options is not None else field.options()
    if choices is not None:
        if radio:
            kwargs.setdefault("horizontal", True)
            return where.radio(label, choices, **kwargs)
        return where.selectbox(label, choices, **kwargs)
    lo, hi = field.bounds if field.bounds is not None else (None, None)
    if field.value_type is int and lo is not None:
        lo, hi = int(lo), int(hi)
    if slider:
        return where.slider(label, lo, hi, **kwargs)
    if field.step is not None:
        kwargs.setdefault("step", field.value_type(field.step))
    if field.format is not None:
        kwargs.setdefault("format", field.format)
    return where.number_input(label, lo, hi, **kwargs)


def remaining_inputs(fields: Iterable[Field], prefix: str, drawn: Iterable[str]) -> None:
    """A widget for each field of `fields` whose key is not in `drawn`: a field added to the
    table gets a widget before anyone lays it out by hand."""
    done = set(drawn)
    for field in fields:
        if field.key not in done:
            field_input(field, prefix)


@dataclass(frozen=True)
class WidgetSettings:
    """A page's settings held in its widgets: session-state keys `prefix + field key`, turned into
    (structure, knobs) and back by the page's URL codec (`flatten` / `unflatten`)."""

    prefix: str
    keys: tuple[str, ...]
    flatten: Callable[[Any, Any], dict[str, Any]]
    unflatten: Callable[[dict[str, Any]], tuple[Any, Any]]

    def values(self) -> dict[str, Any]:
        return {key: st.session_state[self.prefix + key] for key in self.keys if self.prefix + key in st.session_state}

    def set(self, structure: Any, knobs: Any) -> None:
        """Put settings into the widgets (call before they are drawn, or from a callback)."""
        for key, value in self.flatten(structure, knobs).items():
            st.session_state[self.prefix + key] = value

    def current(self) -> tuple[Any, Any]:
        """(structure, knobs) of the widgets; raises ConfigError when a combination is invalid."""
        return self.unflatten(self.values())
