"""Sidebar widgets for the image page: preset, data, live knobs (shared with the
playground) and the structure.

Every widget's key is "im_" + its URL key (ganlab.settings.fields.IMAGE_FIELDS). The data is
loaded at the size and channels the structure asks for, so a dataset always fits its
nets; what cannot work (files missing, a bad zip, a conditional GAN on unlabelled
images) is said next to the widgets and the run keeps its last good settings.
"""

from __future__ import annotations

import dataclasses

import streamlit as st

from ganlab.data.image_files import ImageFilesError, LoadReport, load_image_zip
from ganlab.data.image_sources import IMAGE_SOURCES, DatasetUnavailable
from ganlab.data.images import ImageDataset
from ganlab.settings.config import ConfigError, ImageStructure, Knobs
from ganlab.settings.fields import IMAGE_FIELDS as IMAGE_TABLE
from ganlab.settings.image_presets import IMAGE_PRESETS, default_image_settings, get_image_preset
from ganlab.settings.urlstate import IMAGE_FIELDS, flatten_image, unflatten_image
from ganlab.ui import page_shape, restart
from ganlab.ui.field_widgets import WidgetSettings, field_input, remaining_inputs
from ganlab.ui.knob_controls import training_inputs
from ganlab.ui.model_controls import MODEL_KEYS, model_inputs

PREFIX = "im_"
UPLOAD = "upload"  # the dataset name for a zip of the user's own images
ZIP_KEY = "im_zip_dataset"  # (file id, size, channels, dataset, report) of the last good upload
CHANNEL_LABELS = {1: "Grey", 3: "Colour"}
FIELD = {f.key: f for f in IMAGE_TABLE}


# current_settings(): the widgets' settings (num_classes still the default); ConfigError when invalid
SETTINGS = WidgetSettings(PREFIX, tuple(IMAGE_FIELDS), flatten_image,
                          lambda values: unflatten_image(values, default_image_settings()))
widget_values, set_widgets, current_settings = SETTINGS.values, SETTINGS.set, SETTINGS.current


def dataset_labels() -> dict[str, str]:
    return {name: source.title for name, source in IMAGE_SOURCES.items()} | {UPLOAD: "Your images (zip)…"}


def _apply_preset(keep_training: bool) -> None:
    """Put the preset into the widgets; unless `keep_training`, the run restarts from fresh weights."""
    preset = get_image_preset(st.session_state["im_preset"])
    try:
        current, _ = current_settings()
    except ConfigError:
        current = default_image_settings()[0]
    structure, knobs = preset.apply(current)  # a paper's row brings its dataset, image size and channels
    set_widgets(structure, knobs)
    if keep_training:
        st.session_state["im_flash"] = f"Preset “{preset.label}” applied to the running training, which keeps its steps."
    else:  # the restart notice says it was applied; the sidebar shows its description, once
        restart.request_restart(PREFIX, f"Preset “{preset.label}” applied")


def _data_changed() -> None:
    """A named dataset comes at its own size and channels (the user may change them after)."""
    source = IMAGE_SOURCES.get(st.session_state[PREFIX + "data"])
    if source is not None:
        st.session_state[PREFIX + "size"] = source.native_size
        st.session_state[PREFIX + "ch"] = source.native_channels


@st.cache_resource(max_entries=6, show_spinner="Loading images…")
def load_source(name: str, image_size: int, channels: int) -> ImageDataset:
    """Shared by every session (read-only); a dataset is loaded once per size and channels."""
    return IMAGE_SOURCES[name].load(image_size, channels)


def _download(name: str) -> None:
    try:
        IMAGE_SOURCES[name].load(download=True)
    except DatasetUnavailable as err:
        st.session_state["im_flash_error"] = str(err)
    else:
        st.session_state["im_flash"] = f"{IMAGE_SOURCES[name].title} downloaded into the data folder."


def _named_dataset(name: str, image_size: int, channels: int) -> ImageDataset | None:
    try:
        return load_source(name, image_size, channels)
    except DatasetUnavailable as err:
        st.error(str(err))
        st.button(f"Download {IMAGE_SOURCES[name].title}", key="im_download", on_click=_download, args=(name,),
                  help="Fetch the files from the internet into the server's data folder (needs a connection)")
        return None


def _report(report: LoadReport) -> None:
    (st.warning if report.skipped or report.note else st.caption)(report.summary())


def _uploaded_dataset(image_size: int, channels: int) -> ImageDataset | None:
    upload = st.file_uploader("Zip of images (one subfolder per class for labels)", type=["zip"], key="im_zip")
    cached = st.session_state.get(ZIP_KEY)
    if upload is not None and (cached is None or cached[:3] != (upload.file_id, image_size, channels)):
        try:
            dataset, report = load_image_zip(upload.getvalue(), image_size, channels, name=upload.name)
        except ImageFilesError as err:
            st.error(f"Cannot use {upload.name}: {err}")
            return None
        cached = (upload.file_id, image_size, channels, dataset, report)
        st.session_state[ZIP_KEY] = cached
    if cached is None or upload is None:
        st.info("Upload a zip of PNG or JPEG images to train on them. Images are cropped to a square and "
                "resized to the image size below.")
        return None
    _report(cached[4])
    return cached[3]


def _structure_inputs() -> None:
    st.subheader("Structure (needs a restart)")
    c1, c2 = st.columns(2)
    field_input(FIELD["size"], PREFIX, c1, format_func=lambda s: f"{s}×{s} px")
    field_input(FIELD["ch"], PREFIX, c2, radio=True, format_func=CHANNEL_LABELS.get)
    c1, c2 = st.columns(2)
    field_input(FIELD["nd"], PREFIX, c1)
    field_input(FIELD["w"], PREFIX, c2)
    for key in ("gbn", "dbn", "dsn", "cond", "xc"):  # one a row: in half the sidebar "D spectr…" was cut
        field_input(FIELD[key], PREFIX)
    c1, c2 = st.columns(2)
    field_input(FIELD["ema"], PREFIX, c1)
    field_input(FIELD["seed"], PREFIX, c2)
    remaining_inputs((f for f in IMAGE_TABLE if not f.live), PREFIX,
                     ("data", "size", "ch", "nd", "w", "gbn", "dbn", "dsn", "cond", "xc", "ema", "seed", *MODEL_KEYS))


def sidebar() -> tuple[ImageStructure, Knobs, ImageDataset] | None:
    """Draw every control; the chosen settings and their dataset, or None while they are
    unusable (the reason is shown next to the widgets)."""
    shape = page_shape.current(PREFIX)  # what this page's link hides (ganlab.settings.shaping.IMAGES_PANELS)
    with st.sidebar:
        recipe_slot = restart.preset_section(PREFIX, IMAGE_PRESETS, _apply_preset, (
            "Load the recipe's networks and knobs (keeps your data, image size, channels and seed; a paper's row "
            "loads its own data) and start from fresh weights at step 0; Undo brings the old run back"
        )) if shape.shows_panel("presets") else None

        if not shape.hides("data"):
            st.subheader("Data")
        labels = dataset_labels()
        field_input(FIELD["data"], PREFIX, options=labels, format_func=labels.get, on_change=_data_changed)
        name = st.session_state[PREFIX + "data"]
        size, channels = st.session_state[PREFIX + "size"], st.session_state[PREFIX + "ch"]
        dataset = _uploaded_dataset(size, channels) if name == UPLOAD else _named_dataset(name, size, channels)
        model_inputs(PREFIX, FIELD)

        if shape.shows_panel("training"):
            training_inputs(PREFIX, "im_flash")
        if shape.shows_panel("structure"):
            _structure_inputs()

        try:
            structure, knobs = current_settings()
        except ConfigError as err:
            st.error(f"Settings not applied: {err}.")
            return None
        if recipe_slot is not None:
            restart.recipe_note(recipe_slot, get_image_preset(st.session_state["im_preset"]).apply(structure)
                                == (structure, knobs))
        if dataset is None:
            return None
        if structure.conditional and dataset.labels is None:
            st.error(f"Settings not applied: a conditional GAN needs labelled images and {dataset.name!r} has "
                     "none. Put each class in its own subfolder of the zip, or switch Conditional off.")
            return None
        try:
            structure = dataclasses.replace(structure, num_classes=dataset.num_classes)
        except ConfigError as err:  # e.g. a conditional GAN on data with a single class
            st.error(f"Settings not applied: {err}.")
            return None
    return structure, knobs, dataset
