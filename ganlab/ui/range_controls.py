"""The playground's View range buttons: zoom and pan the 2D view while it trains.

The range is this session's choice (session state, kept per data frame); every view request
sends it, so the trainer draws D's surface, the points and the arrows over it on the next
refresh, and the live refresh keeps it. The buttons sit outside the 2 Hz fragment (a widget
re-sent every refresh costs the browser); a click reruns the page, training goes on. On the
paused plotly figure a dragged box sets the range as well: Streamlit reports box selections,
not plotly's own zoom (relayout), so a selection is the zoom that can carry into live training.
"""

from __future__ import annotations

from typing import Any, Callable

import streamlit as st

from ganlab.viz.view_range import PAN_STEP, ZOOM_STEP, Bounds, describe, from_box, is_full, pan, same, usable, zoom

KEY = "pg_view_range"  # (the data frame it was chosen on, the range; None: the whole frame)
CHART_KEY = "pg_view_chart"  # the paused view's plotly chart

Move = Callable[[Bounds, Bounds], Bounds]
# (key, label, tooltip, move): the labels are what a participant reads, and tests click by. No
# icons: with them the row had 9 px to spare at 1024 px (sidebar open); a 17 px scrollbar wraps it.
BUTTONS: tuple[tuple[str, str, str, Move], ...] = (
    ("in", "Zoom in", "Show half the width and height, about the same centre",
     lambda b, d: zoom(b, d, ZOOM_STEP)),
    ("out", "Zoom out", "Show twice the width and height",
     lambda b, d: zoom(b, d, 1 / ZOOM_STEP)),
    ("left", "←", "Pan left by a quarter of the view", lambda b, d: pan(b, d, -PAN_STEP, 0.0)),
    ("up", "↑", "Pan up by a quarter of the view", lambda b, d: pan(b, d, 0.0, PAN_STEP)),
    ("down", "↓", "Pan down by a quarter of the view", lambda b, d: pan(b, d, 0.0, -PAN_STEP)),
    ("right", "→", "Pan right by a quarter of the view", lambda b, d: pan(b, d, PAN_STEP, 0.0)),
    ("whole", "Whole data", "Back to the data's own frame", lambda b, d: d),
)


def _frame(data: Bounds) -> Bounds:
    return tuple(float(v) for v in data)  # type: ignore[return-value]


def chosen(data: Bounds) -> Bounds | None:
    """The range this session chose on the data frame `data` (None: the whole frame, also when
    the data changed since: a range chosen on other data means nothing here)."""
    kept = st.session_state.get(KEY)
    if not isinstance(kept, tuple) or len(kept) != 2 or kept[0] != _frame(data) or not usable(kept[1]):
        return None
    return kept[1]


def _choose(frame: Bounds, new: Bounds) -> None:
    st.session_state[KEY] = (frame, None if is_full(new, frame) else tuple(new))


def _apply(data: Bounds, move: Move) -> None:
    frame = _frame(data)
    _choose(frame, move(chosen(frame) or frame, frame))


def _from_selection(data: Bounds) -> None:
    event = st.session_state.get(CHART_KEY) or {}
    boxes = (event.get("selection") or {}).get("box") or []
    new = from_box(boxes[-1].get("x"), boxes[-1].get("y"), _frame(data)) if boxes else None
    if new is not None:
        _choose(_frame(data), new)


def paused_chart(fig: Any, data: Bounds) -> None:
    """The paused view as a plotly figure on which dragging a box sets the View range (Streamlit
    reports box selections, not plotly's own zoom, so this is the zoom that carries into live)."""
    fig.update_layout(dragmode="select")
    st.plotly_chart(fig, width="stretch", key=CHART_KEY, on_select=lambda: _from_selection(data),
                    selection_mode="box")
    st.caption("Drag a box on the view to zoom into it: the range stays when training runs.")


def follow(asked: Bounds | None, data: Bounds) -> None:
    """Inside the view fragment: redraw the whole page when a box on the paused figure chose a
    range other than the one this page run asked for (the buttons' row shows the old one)."""
    if chosen(_frame(data)) != asked:
        st.rerun(scope="app")


def controls(data: Bounds) -> None:
    """The row of View range buttons and the caption under it that names them and says what
    the view shows."""
    frame = _frame(data)
    shown = chosen(frame) or frame
    row = st.container(horizontal=True, vertical_alignment="center", gap="small")  # one row at 1024 px
    for key, label, tip, move in BUTTONS:
        row.button(label, help=tip, key="pg_range_" + key, on_click=_apply, args=(frame, move),
                   disabled=same(move(shown, frame), shown, frame))  # a click that would change nothing
    st.caption(describe(shown, frame))
