"""The model choice both training pages draw under their data (ganlab.kinds.models: the models that
train the page's data), with the chosen model's own structure settings under it, and its live
knobs among the training knobs."""

from __future__ import annotations

from typing import Mapping

import streamlit as st

from ganlab.kinds.models import MODELS
from ganlab.limits import MODEL_DATA
from ganlab.settings.config import default_domain_b
from ganlab.settings.fields import KNOB_FIELDS, Field
from ganlab.ui.field_widgets import field_input

MODEL_KEYS = ("model", "icat", "icont", "datab")  # the structure fields drawn here
_KNOB = {f.key: f for f in KNOB_FIELDS}
MODEL_KNOBS = ("info", "cyc", "idw")  # the models' live knobs, drawn here


def _model(prefix: str) -> str:
    return str(st.session_state.get(prefix + "model") or "gan")


def model_inputs(prefix: str, fields: Mapping[str, Field]) -> None:
    """The Model select; for InfoGAN its codes, for CycleGAN its domain B (structure: a restart)."""
    options = fields["model"].options() or ()
    field_input(fields["model"], prefix, options=[m for m in options if _offered(m, fields)],
                format_func=lambda name: MODELS[name].label)
    if _model(prefix) == "infogan":
        c1, c2 = st.columns(2)
        field_input(fields["icat"], prefix, c1)
        field_input(fields["icont"], prefix, c2)
    if _model(prefix) == "cyclegan" and "datab" in fields:
        from ganlab.data.toy import TOY_DISTRIBUTIONS

        key = prefix + "datab"
        if st.session_state.get(key) not in TOY_DISTRIBUTIONS:  # none named yet: the structure's default
            st.session_state[key] = default_domain_b(str(st.session_state.get(prefix + "data")))
        field_input(fields["datab"], prefix, format_func=lambda name: TOY_DISTRIBUTIONS[name].label)


def _offered(model: str, fields: Mapping[str, Field]) -> bool:
    """A page offers the models its data trains (the image page has no CycleGAN, the playground no style-based G)."""
    return ("image" if "size" in fields else "2D") in MODEL_DATA[model]


def model_knob_inputs(prefix: str) -> None:
    """The model's live knobs: InfoGAN's mutual-information weight, CycleGAN's cycle and identity weights."""
    if _model(prefix) == "infogan":
        field_input(_KNOB["info"], prefix)
    if _model(prefix) == "cyclegan":
        c1, c2 = st.columns(2)
        field_input(_KNOB["cyc"], prefix, c1)
        field_input(_KNOB["idw"], prefix, c2)
