"""The sidebar's page list (Streamlit's own would name the entry page after its file, "app")."""

from __future__ import annotations

import streamlit as st

from ganlab.ui.session import IMAGES, PLAYGROUND

TRAINING_PAGE_FILES = {PLAYGROUND: "pages/1_Playground.py", IMAGES: "pages/2_Images.py"}  # by page key
TRAINING_PAGE_LABELS = {PLAYGROUND: "2D playground", IMAGES: "Image GAN"}

PAGES = (
    ("app.py", "Home", ":material/home:"),
    (TRAINING_PAGE_FILES[PLAYGROUND], TRAINING_PAGE_LABELS[PLAYGROUND], ":material/scatter_plot:"),
    (TRAINING_PAGE_FILES[IMAGES], TRAINING_PAGE_LABELS[IMAGES], ":material/image:"),
    ("pages/3_Runs.py", "Runs", ":material/folder_open:"),
    ("pages/4_Latent.py", "Latent space", ":material/linear_scale:"),
    ("pages/5_Dynamics.py", "Dynamics", ":material/cyclone:"),
)


def sidebar_nav() -> None:
    with st.sidebar:
        for path, label, icon in PAGES:
            st.page_link(path, label=label, icon=icon)
        st.divider()
