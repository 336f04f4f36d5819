"""The sidebar's page list (Streamlit's own would name the entry page after its file, "app")."""

from __future__ import annotations

import streamlit as st

PAGES = (
    ("app.py", "Home", ":material/home:"),
    ("pages/1_Playground.py", "2D playground", ":material/scatter_plot:"),
    ("pages/2_Images.py", "Image GAN", ":material/image:"),
    ("pages/3_Runs.py", "Runs", ":material/folder_open:"),
    ("pages/4_Latent.py", "Latent space", ":material/linear_scale:"),
    ("pages/5_Dynamics.py", "Dynamics", ":material/cyclone:"),
)


def sidebar_nav() -> None:
    with st.sidebar:
        for path, label, icon in PAGES:
            st.page_link(path, label=label, icon=icon)
        st.divider()
