"""The playground's "Draw your own" data: a canvas in the sidebar whose strokes and clicks
become the data set (ganlab.data.drawn), with a brush that sets the noise around them.

The drawing's code is the "draw" settings field (session key `DRAW_KEY`), so it travels in
the link and the saved run like every other setting. The canvas (streamlit-drawable-canvas,
a fabric.js component bundled with its package: it works offline) shows that code; when the
code changes from outside (a link, Undo, Clear) the canvas is remounted with it.
"""

from __future__ import annotations

import io
import json

import streamlit as st
from PIL import Image, ImageDraw

from ganlab.data.drawn import (
    BOUNDS,
    SD_RANGE,
    Drawing,
    DrawingCodeError,
    data_to_pixels,
    decode,
    drawn_distribution,
    encode,
    pixel_scale,
)
from ganlab.data.drawn_canvas import canvas_problem, parse_canvas, to_canvas
from ganlab.data.toy import ToyDistribution
from ganlab.settings.fields import VIEW_FIELDS, by_key
from ganlab.settings.urlstate import decode_view
from ganlab.viz.raster import PALETTE

DRAW_KEY = "pg_draw"  # "pg_" + the field's URL key (ganlab.settings.fields)
LAST_KEY = "pg_draw_last"  # the last drawing, brought back when the data is switched back to drawn
DATASET_KEY = "pg_drawn_dataset"  # (code, distribution): one object per drawing, so the run keeps its data
CANVAS_PX = 228  # the canvas's side (the sidebar is ~235 px wide at 1024-1400 px); it spans BOUNDS, like the view
INK = PALETTE["real"]
MODES = {"Strokes": "freedraw", "Points": "point"}  # the radio's label -> the canvas's drawing mode
MODE_KEY = "pg_draw_mode"
MODE_FIELD = by_key(VIEW_FIELDS)["dm"]  # in the link as the label in lower case


@st.cache_data(max_entries=4, show_spinner=False)
def _grid_png(size: int) -> bytes:
    """A faint grid at whole data units, the axes darker: where a stroke lands in the plot."""
    image = Image.new("RGB", (size, size), "#ffffff")
    pen = ImageDraw.Draw(image)
    x0, x1, _, _ = BOUNDS
    for v in range(int(x0), int(x1) + 1):
        (px, py), = data_to_pixels([[v, v]], (size, size))
        colour = "#9a9a9a" if v == 0 else "#e4e4e4"
        pen.line([(px, 0), (px, size)], fill=colour)
        pen.line([(0, py), (size, py)], fill=colour)
        if v not in (int(x0), 0):
            pen.text((px + 2, data_to_pixels([[0, 0]], (size, size))[0, 1] + 1), str(v), fill="#8a8a8a")
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def _dataset(code: str) -> ToyDistribution:
    cached = st.session_state.get(DATASET_KEY)
    if cached is None or cached[0] != code:
        cached = (code, drawn_distribution(code))
        st.session_state[DATASET_KEY] = cached
    return cached[1]


def set_drawing(code: str) -> None:
    """The user's drawing (or "" when they cleared it) into the settings; call before the sidebar
    is drawn, or from a callback. Settings put into the widgets by other means (a run's, a
    preset's) leave the last drawing to come back when the data is switched back to drawn."""
    st.session_state[DRAW_KEY] = code
    st.session_state[LAST_KEY] = code


def _clear() -> None:
    set_drawing("")


def _canvas_key() -> str:
    return f"pg_canvas_{st.session_state.get('pg_canvas_gen', 0)}"


def _canvas_drawing(code: str) -> dict | None:
    """The canvas's initial drawing: the code's. Set anew (a new key: the canvas remounts) when the
    code changed from outside, and when the canvas was not on the page in the last run (it mounts
    afresh: the drawing must be the code's, strokes drawn since included). Never while the canvas
    stays mounted: a new initial drawing makes it reload, and a click that lands meanwhile was
    counted but never drawn (issue 22.5: the first point after switching from Strokes to Points)."""
    if st.session_state.get("pg_canvas_code") != code:
        st.session_state["pg_canvas_gen"] = st.session_state.get("pg_canvas_gen", 0) + 1
    if st.session_state.get("pg_canvas_code") != code or _canvas_key() not in st.session_state:
        st.session_state["pg_canvas_code"] = code
        drawing = decode(code) if code else Drawing(())
        st.session_state["pg_canvas_init"] = to_canvas(drawing, (CANVAS_PX, CANVAS_PX), INK)
    return st.session_state["pg_canvas_init"]


def _read_canvas(json_data: dict | None, init: dict | None, code: str) -> str:
    """The code of what the canvas now holds (`code` while it shows what it was given)."""
    objects = (json_data or {}).get("objects") or []
    if json.dumps(objects, sort_keys=True) == json.dumps((init or {}).get("objects") or [], sort_keys=True):
        return code
    drawing = parse_canvas(json_data, (CANVAS_PX, CANVAS_PX))
    if not drawing.strokes:
        return ""
    try:
        return encode(drawing)
    except DrawingCodeError as err:
        st.warning(f"The drawing was not applied: {err}. Undo a few strokes (the arrow under the canvas).")
        return code


def _mode_from_link() -> None:
    """The canvas mode from the link, when the radio has none (the first visit, or the canvas was
    off the page); a bad value is named and Strokes kept."""
    if MODE_KEY in st.session_state:
        return
    values, problems = decode_view({k: v for k, v in st.query_params.items() if k == MODE_FIELD.key}, (MODE_FIELD,))
    for problem in problems:
        st.warning(problem[0].upper() + problem[1:])
    chosen = values.get("draw_mode")
    st.session_state[MODE_KEY] = next((label for label in MODES if label.lower() == chosen), next(iter(MODES)))


def drawn_dataset() -> ToyDistribution | None:
    """Draw the canvas and its brush; the drawing's data set, or None until something is drawn."""
    # imported here: the component registers itself with a running Streamlit (a bare import fails)
    from streamlit_drawable_canvas import st_canvas

    code = st.session_state.get(DRAW_KEY) or ""
    if not code and st.session_state.get(LAST_KEY):
        code = st.session_state[LAST_KEY]
        st.session_state[DRAW_KEY] = code
    _mode_from_link()
    c1, c2 = st.columns([3, 2], vertical_alignment="bottom")
    mode = c1.radio("Draw", list(MODES), horizontal=True, key=MODE_KEY, help=MODE_FIELD.help)
    if st.query_params.get(MODE_FIELD.key) != mode.lower():
        st.query_params[MODE_FIELD.key] = mode.lower()
    c2.button("Clear", key="pg_draw_clear", on_click=_clear, width="stretch", help="Remove the whole drawing")
    brush = st.slider("Brush (noise sd)", *SD_RANGE, value=0.1, step=0.01, key="pg_brush",
                      help="How far the data spreads around what you draw next: the standard deviation of the "
                           "Gaussian noise, in plot units (the plot spans −3 to 3). The ink is two sd wide.")
    brush_px = brush / pixel_scale((CANVAS_PX, CANVAS_PX))
    init = _canvas_drawing(code)
    st.space(24)  # room for the canvas's toolbar, which floats above it
    result = st_canvas(
        stroke_width=max(1, round(2 * brush_px)) if MODES[mode] == "freedraw" else 0, stroke_color=INK,
        fill_color=INK, background_image=_grid_png(CANVAS_PX), height=CANVAS_PX, width=CANVAS_PX,
        drawing_mode=MODES[mode], point_display_radius=max(1, round(brush_px)), initial_drawing=init,
        key=_canvas_key(),
    )
    problem = canvas_problem(result.json_data)  # counted before anything is compared or parsed
    if problem is not None:
        st.warning(f"The drawing was not applied: {problem}. Undo a few strokes (the arrow under the canvas).")
        new = code
    else:
        new = _read_canvas(result.json_data, init, code)
    if new != code:
        code = new
        set_drawing(code)
        st.session_state["pg_canvas_code"] = code  # the canvas already shows it: no remount
    if not code:
        st.info("Draw on the canvas: drag for strokes, or pick Points and click. The data follows your ink, "
                "spread by the brush; the drawing travels in the page's link.")
        return None
    dataset = _dataset(code)
    st.caption(f"{dataset.description} The plot spans −3 to 3 on both axes, like the canvas.")
    return dataset
