"""The Dynamics page's buttons for the cases of Mescheder et al.'s notebook: one row per way it runs
its GANs, one button per GAN, each drawn from the table in ganlab.dynamics.cases and setting every
setting and the start to that case (the button of the case shown is highlighted)."""

from __future__ import annotations

from typing import Callable

import streamlit as st

from ganlab.dynamics.cases import COMMON, MODELS, RUNS, Model, Run, case
from ganlab.dynamics.settings import DiracSettings

NOTEBOOK_URL = "https://github.com/LMescheder/GAN_stability/blob/master/notebooks/DiracGAN.ipynb"
LABEL_WIDTH = 170  # px: the run's name before its buttons


def button_key(model: Model, run: Run) -> str:
    """The widget key of the case's button, e.g. "dy_nb_altgd5_gan_instnoise"."""
    return f"dy_nb_{run.name}_{model.name}"


def _help(model: Model, run: Run) -> str:
    start = f"({COMMON.starts[0][0]:g}, {COMMON.starts[0][1]:g})".replace("-", "−")
    n = case(model, run).d_steps
    steps = "" if run.name == "simgd" else f", G first, then {n} D step{'s' * (n != 1)}"
    return (f"The notebook's {model.notebook} in {run.name}: {run.label.split(',')[0].lower()} updates{steps}, "
            f"h = {COMMON.lr:g}, {COMMON.iterations} steps from {start} (the notebook's (1, 1): its ψ is minus ours)")


def notebook_cases(apply: Callable[[DiracSettings], None], shown: DiracSettings) -> None:
    """The expander of buttons; a click calls `apply` with the case's settings (a callback, before the
    widgets draw)."""
    with st.expander("The paper's notebook: its 27 runs, one click each", icon=":material/menu_book:"):
        st.caption(f"Mescheder et al.'s [DiracGAN notebook]({NOTEBOOK_URL}) runs nine GANs three ways, from (1, 1) "
                   "(our (1, −1)) with h = 0.2 for 500 steps. Each button sets every setting as the notebook does.")
        for run in RUNS:
            row = st.container(horizontal=True, gap="small", vertical_alignment="center")
            row.markdown(f"**{run.label}**", width=LABEL_WIDTH)
            buttons = row.container(horizontal=True, gap="xsmall", width="content")  # below the label when narrow
            for model in MODELS:
                settings = case(model, run)
                buttons.button(model.label, key=button_key(model, run), on_click=apply, args=(settings,),
                           type="primary" if settings == shown else "secondary", help=_help(model, run))
