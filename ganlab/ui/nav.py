"""The sidebar's page list (Streamlit's own would name the entry page after its file, "app")."""

from __future__ import annotations

import streamlit as st

from ganlab.ui.class_participant import broadcast_inbox
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
    ("pages/7_Side_by_side.py", "Side by side", ":material/compare:"),
)


# Streamlit's main column starts ~6rem down and its h1 is 2.75rem: at 1024x768 that pushed the
# training pages' live view below the first screen. An element's toolbar (the fullscreen button)
# shows ~1.6rem above it on hover: the status line keeps that room under it (ganlab.ui.training_page).
# A style-only st.html takes no room on the page.
PAGE_CSS = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 2.25rem; }
[data-testid="stMain"] h1 { font-size: 2rem; padding-top: 0; padding-bottom: 0.25rem; }
[class*="st-key-"][class*="_status_line"] { padding-bottom: 1.25rem; }
</style>"""


def sidebar_nav(participant: bool = True) -> None:
    """The page list in the sidebar, and the compact top of every page (each page calls this first).
    A participant's page also shows the host's broadcasts and reports its lesson step (the class
    view; /Class itself is not listed: participants have no use for it, the host knows its link)."""
    st.html(PAGE_CSS)
    with st.sidebar:
        for path, label, icon in PAGES:
            st.page_link(path, label=label, icon=icon)
        st.divider()
    if participant:
        broadcast_inbox(tuple(path for path, _, _ in PAGES))
