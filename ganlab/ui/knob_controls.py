"""The live-knob widgets both training pages share: loss, D steps, batch, both optimizers,
the learning-rate decay and the regularizers.

Widget keys are `prefix + URL key` (ganlab.settings.fields.KNOB_FIELDS), so one page's knobs
never collide with another's while both keep the same link parameters.
"""

from __future__ import annotations

import streamlit as st

from ganlab.formatting import optimizer_label
from ganlab.gan.losses import LOSSES
from ganlab.settings.fields import KNOB_FIELDS
from ganlab.ui.field_widgets import field_input, remaining_inputs
from ganlab.ui.model_controls import MODEL_KNOBS, model_knob_inputs

KNOB = {f.key: f for f in KNOB_FIELDS}


def loss_changed(prefix: str, flash_key: str) -> None:
    """Wasserstein-GP is meaningless without its penalty: fill in the standard weight."""
    if LOSSES[st.session_state[prefix + "loss"]].needs_gradient_penalty and st.session_state[prefix + "gp"] <= 0:
        st.session_state[prefix + "gp"] = 10.0
        st.session_state[flash_key] = "Wasserstein-GP needs a gradient penalty: its weight was set to 10."


def optimizer_inputs(prefix: str, net: str, title: str) -> None:
    """`net` is "g" or "d" (the URL keys gopt, glr, ... / dopt, dlr, ...)."""
    st.markdown(f"**{title}**")
    field_input(KNOB[net + "opt"], prefix, format_func=optimizer_label)
    field_input(KNOB[net + "lr"], prefix)
    c1, c2 = st.columns(2)
    field_input(KNOB[net + "b1"], prefix, c1)
    field_input(KNOB[net + "b2"], prefix, c2)


def clip_input(prefix: str, where) -> None:
    """The weight clip, greyed out (and saying why) under a loss that does not clip weights."""
    loss = LOSSES[st.session_state[prefix + "loss"]]
    if loss.clips_weights:
        field_input(KNOB["clip"], prefix, where)
        return
    clipping = " or ".join(f"“{other.label}”" for other in LOSSES.values() if other.clips_weights)
    field_input(KNOB["clip"], prefix, where, disabled=True,
                help=f"Not used by the {loss.label} loss: only {clipping} clips D's weights.")


def training_inputs(prefix: str, flash_key: str, batch_step: int = 32) -> None:
    """Every live knob, under a "Training (live)" heading; a knob the layout below does not
    place yet is drawn at the end, so each one in ganlab.settings.fields has its widget."""
    st.subheader("Training (live)")
    field_input(KNOB["loss"], prefix, format_func=lambda n: LOSSES[n].label, on_change=loss_changed,
                args=(prefix, flash_key), help=LOSSES[st.session_state[prefix + "loss"]].help)
    c1, c2 = st.columns(2)
    field_input(KNOB["ds"], prefix, c1, slider=True)
    field_input(KNOB["bs"], prefix, c2, step=batch_step)
    optimizer_inputs(prefix, "g", "Generator optimizer")
    optimizer_inputs(prefix, "d", "Discriminator optimizer")
    c1, c2 = st.columns(2)
    field_input(KNOB["lrs"], prefix, c1)
    field_input(KNOB["lrh"], prefix, c2)
    st.markdown("**Regularizers**")
    c1, c2, c3 = st.columns(3)
    field_input(KNOB["gp"], prefix, c1)
    field_input(KNOB["r1"], prefix, c2)
    clip_input(prefix, c3)
    c1, _ = st.columns([2, 1])
    field_input(KNOB["ms"], prefix, c1)
    model_knob_inputs(prefix)
    placed = ("loss", "ds", "bs", "gopt", "glr", "gb1", "gb2", "dopt", "dlr", "db1", "db2", "lrs", "lrh", "gp", "r1",
              "clip", "ms", *MODEL_KNOBS)
    remaining_inputs(KNOB_FIELDS, prefix, placed)
