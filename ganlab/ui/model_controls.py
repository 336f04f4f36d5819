"""The model choice both training pages draw under their data (the plain GAN or InfoGAN), with the
model's own structure settings beside it, and its live knob among the training knobs."""

from __future__ import annotations

from typing import Mapping

import streamlit as st

from ganlab.kinds.models import MODELS
from ganlab.settings.fields import KNOB_FIELDS, Field
from ganlab.ui.field_widgets import field_input

MODEL_KEYS = ("model", "icat", "icont")  # the structure fields drawn here
INFO_KNOB = next(f for f in KNOB_FIELDS if f.key == "info")


def _infogan(prefix: str) -> bool:
    return st.session_state.get(prefix + "model") == "infogan"


def model_inputs(prefix: str, fields: Mapping[str, Field]) -> None:
    """The Model select; for InfoGAN, its categorical and continuous codes (structure: a restart)."""
    field_input(fields["model"], prefix, format_func=lambda name: MODELS[name].label)
    if _infogan(prefix):
        c1, c2 = st.columns(2)
        field_input(fields["icat"], prefix, c1)
        field_input(fields["icont"], prefix, c2)


def model_knob_inputs(prefix: str) -> None:
    """The model's live knobs: InfoGAN's mutual-information weight (the plain GAN has none)."""
    if _infogan(prefix):
        field_input(INFO_KNOB, prefix)
