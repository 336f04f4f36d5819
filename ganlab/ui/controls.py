"""Sidebar widgets for the 2D playground: structure, live knobs and presets.

Every widget's key is "pg_" + its URL key (ganlab.settings.fields.TOY_FIELDS), so one
flat mapping serves the widgets, the shareable link and config validation.
The live-knob widgets are shared with the image page (ganlab.ui.knob_controls).
"""

from __future__ import annotations

import streamlit as st

from ganlab.data.drawn import DRAWN_DATA
from ganlab.data.points_csv import USER_DATA, PointsFileError, empirical_distribution, load_points_csv
from ganlab.data.toy import TOY_DISTRIBUTIONS, ToyDistribution, get_toy
from ganlab.settings.config import ConfigError, Knobs, ToyStructure
from ganlab.settings.fields import TOY_FIELDS
from ganlab.settings.presets import PRESETS, get_preset
from ganlab.settings.urlstate import FIELDS, flatten, unflatten
from ganlab.ui import draw_data, page_shape, restart
from ganlab.ui.field_widgets import WidgetSettings, field_input, remaining_inputs
from ganlab.ui.knob_controls import training_inputs
from ganlab.ui.model_controls import MODEL_KEYS, model_inputs

PREFIX = "pg_"
CSV_POINTS_KEY = "pg_csv_dataset"
ACTIVATION_LABELS = {"relu": "ReLU", "leaky_relu": "LeakyReLU", "tanh": "tanh"}
FIELD = {f.key: f for f in TOY_FIELDS}


SETTINGS = WidgetSettings(PREFIX, tuple(FIELDS), flatten, unflatten)
widget_values, set_widgets, current_settings = SETTINGS.values, SETTINGS.set, SETTINGS.current


def _apply_preset(keep_training: bool) -> None:
    """Put the preset into the widgets; unless `keep_training`, the run restarts from fresh
    weights so the recipe tells its story from step 0 (its learning-rate schedule counts steps)."""
    preset = get_preset(st.session_state["pg_preset"])
    structure, knobs = preset.apply(st.session_state[PREFIX + "data"], st.session_state[PREFIX + "seed"],
                                    st.session_state.get(draw_data.DRAW_KEY, ""))
    set_widgets(structure, knobs)
    if keep_training:
        st.session_state["pg_flash"] = (f"Preset “{preset.label}” applied to the running training, which keeps its "
                                        f"steps (a learning-rate schedule counts from this run's step 0).")
    else:  # the restart notice says it was applied; the sidebar shows its description, once
        restart.request_restart(PREFIX, f"Preset “{preset.label}” applied")


def _net_inputs(prefix: str, title: str) -> None:
    st.markdown(f"**{title}**")
    field_input(FIELD[prefix + "l"], PREFIX, slider=True)
    c1, c2 = st.columns(2)
    field_input(FIELD[prefix + "w"], PREFIX, c1)
    field_input(FIELD[prefix + "a"], PREFIX, c2, format_func=ACTIVATION_LABELS.get)


def _dataset_for(data: str) -> ToyDistribution | None:
    """The distribution named by `data`; for "csv", the uploaded points (None until a good file arrives)."""
    if data == DRAWN_DATA:
        return draw_data.drawn_dataset()
    if data != USER_DATA:
        return get_toy(data)
    upload = st.file_uploader("CSV with two numeric columns (x, y)", type=["csv", "txt"], key="pg_csv_file")
    if upload is not None:
        cached = st.session_state.get(CSV_POINTS_KEY)
        if cached is None or cached[0] != upload.file_id:
            try:
                loaded = load_points_csv(upload.getvalue())  # parsed as a stream: stops at the first limit
            except PointsFileError as err:
                st.error(f"Cannot use {upload.name}: {err}.")
                return cached[1] if cached else None
            # (file id, distribution, report of skipped rows or "")
            st.session_state[CSV_POINTS_KEY] = (upload.file_id, empirical_distribution(loaded.points, upload.name),
                                                f"{upload.name}: {loaded.summary()}" if loaded.bad else "")
    cached = st.session_state.get(CSV_POINTS_KEY)
    if cached is None:
        st.info("Upload a CSV file of 2D points to train on it. Links carry settings, not uploaded files: "
                "if this page was opened from a shared link, upload the same CSV file to train on its points.")
        return None
    if cached[2]:
        st.warning(cached[2])
    st.caption(cached[1].description)
    return cached[1]


def _structure_inputs() -> None:
    st.subheader("Structure (needs a restart)")
    c1, c2 = st.columns(2)
    field_input(FIELD["nd"], PREFIX, c1, slider=True)
    field_input(FIELD["noise"], PREFIX, c2, radio=True, format_func=str.capitalize)
    _net_inputs("g", "Generator")
    _net_inputs("d", "Discriminator")
    field_input(FIELD["pack"], PREFIX, slider=True)  # D's packing (PacGAN), under D's own settings
    field_input(FIELD["seed"], PREFIX)
    remaining_inputs((f for f in TOY_FIELDS if not f.live), PREFIX,
                     ("data", "draw", "nd", "noise", "gl", "gw", "ga", "dl", "dw", "da", "pack", "seed", *MODEL_KEYS))


def sidebar() -> tuple[ToyStructure, Knobs, ToyDistribution] | None:
    """Draw every control; returns the chosen settings, or None while they are unusable
    (the reason is shown next to the widgets)."""
    shape = page_shape.current(PREFIX)  # what this page's link hides (ganlab.settings.shaping.PLAYGROUND_PANELS)
    with st.sidebar:
        recipe_slot = restart.preset_section(PREFIX, PRESETS, _apply_preset, (
            "Load the recipe's networks and knobs (keeps your data and seed) and start from fresh weights at "
            "step 0; Undo brings the old run back")) if shape.shows_panel("presets") else None

        if not shape.hides("data"):
            st.subheader("Data")
        labels = {name: d.label for name, d in TOY_DISTRIBUTIONS.items()} | {USER_DATA: "Your CSV file…",
                                                                      DRAWN_DATA: "Draw your own…"}
        field_input(FIELD["data"], PREFIX, options=labels, format_func=labels.get)
        dataset = _dataset_for(st.session_state[PREFIX + "data"])
        model_inputs(PREFIX, FIELD)

        if shape.shows_panel("training"):
            training_inputs(PREFIX, "pg_flash")
        if shape.shows_panel("structure"):
            _structure_inputs()

        try:
            structure, knobs = current_settings()
        except ConfigError as err:
            st.error(f"Settings not applied: {err}.")
            return None
        if recipe_slot is not None:
            recipe = get_preset(st.session_state["pg_preset"]).apply(structure.data, structure.seed, structure.drawing)
            restart.recipe_note(recipe_slot, recipe == (structure, knobs))
    if dataset is None:
        return None
    return structure, knobs, dataset
