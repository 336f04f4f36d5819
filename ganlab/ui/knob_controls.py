"""The live-knob widgets both training pages share: loss, D steps, batch, both optimizers,
the learning-rate decay and the regularizers.

Widget keys are `prefix + URL key` (ganlab.urlstate.KNOB_FIELDS), so one page's knobs
never collide with another's while both keep the same link parameters.
"""

from __future__ import annotations

import streamlit as st

from ganlab.config import (
    BATCH_RANGE, BETA_RANGE, CLIP_RANGE, D_STEPS_RANGE, HALF_LIFE_RANGE, LR_RANGE, OPTIMIZERS, PENALTY_RANGE,
)
from ganlab.formatting import optimizer_label
from ganlab.losses import LOSSES


def loss_changed(prefix: str, flash_key: str) -> None:
    """Wasserstein-GP is meaningless without its penalty: fill in the standard weight."""
    if LOSSES[st.session_state[prefix + "loss"]].needs_gradient_penalty and st.session_state[prefix + "gp"] <= 0:
        st.session_state[prefix + "gp"] = 10.0
        st.session_state[flash_key] = "Wasserstein-GP needs a gradient penalty: its weight was set to 10."


def optimizer_inputs(prefix: str, net: str, title: str) -> None:
    """`net` is "g" or "d" (the URL keys gopt, glr, ... / dopt, dlr, ...)."""
    st.markdown(f"**{title}**")
    st.selectbox("Optimizer", OPTIMIZERS, key=prefix + net + "opt", format_func=optimizer_label)
    st.number_input("Learning rate", *LR_RANGE, step=1e-4, format="%.6f", key=prefix + net + "lr")
    c1, c2 = st.columns(2)
    c1.number_input("β1 / momentum", *BETA_RANGE, step=0.05, format="%.4f", key=prefix + net + "b1")
    c2.number_input("β2 / α", *BETA_RANGE, step=0.001, format="%.4f", key=prefix + net + "b2")


def training_inputs(prefix: str, flash_key: str, batch_step: int = 32) -> None:
    """Every live knob, under a "Training (live)" heading."""
    st.subheader("Training (live)")
    st.selectbox("Loss", list(LOSSES), key=prefix + "loss", format_func=lambda n: LOSSES[n].label,
                 on_change=loss_changed, args=(prefix, flash_key), help=LOSSES[st.session_state[prefix + "loss"]].help)
    c1, c2 = st.columns(2)
    c1.slider("D steps per G step", *D_STEPS_RANGE, key=prefix + "ds")
    c2.number_input("Batch size", *BATCH_RANGE, step=batch_step, key=prefix + "bs")
    optimizer_inputs(prefix, "g", "Generator optimizer")
    optimizer_inputs(prefix, "d", "Discriminator optimizer")
    c1, c2 = st.columns(2)
    c1.number_input("LR decay after (steps)", *HALF_LIFE_RANGE, step=500, key=prefix + "lrs",
                    help="Both learning rates stay as set for this many steps, then decay")
    c2.number_input("LR half-life (steps)", *HALF_LIFE_RANGE, step=100, key=prefix + "lrh",
                    help="After the start, both learning rates halve every this many steps; 0 = no decay")
    st.markdown("**Regularizers**")
    c1, c2, c3 = st.columns(3)
    c1.number_input("Grad. penalty", *PENALTY_RANGE, step=1.0, key=prefix + "gp",
                    help="WGAN-GP weight λ on E[(‖∇D(x̂)‖−1)²]")
    c2.number_input("R1 γ", *PENALTY_RANGE, step=0.1, key=prefix + "r1",
                    help="R1 weight γ on ½E[‖∇D(x)‖²] at real data")
    c3.number_input("Weight clip", *CLIP_RANGE, step=0.005, format="%.4f", key=prefix + "clip",
                    help="Used by the Wasserstein weight-clipping loss")
    c1, _ = st.columns([2, 1])
    c1.number_input("Mode seeking (G)", *PENALTY_RANGE, step=0.1, key=prefix + "ms",
                    help="Generator regularizer (MSGAN, Mao et al. 2019): weight λ on 1 / (image distance / noise "
                         "distance) between two half-batches with the same labels. Spreads G's samples out when "
                         "different noise gives the same image, e.g. one style per class in a conditional GAN. "
                         "The G loss chart shows the adversarial part only.")
