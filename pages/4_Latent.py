"""The latent-space explorer: interpolate, move along directions, check for memorized
training images, and ask the discriminator."""

import streamlit as st

from ganlab.ui.latent import latent_page
from ganlab.ui.lesson_panel import lesson_panel
from ganlab.ui.nav import sidebar_nav
from ganlab.ui.session import keep_live_runs_in_url

st.set_page_config(page_title="ganlab · latent space", page_icon="🧪", layout="wide")
sidebar_nav()
keep_live_runs_in_url()  # a refresh on this page keeps the session's live training
lesson_panel("Latent")  # before the page reads its settings: a lesson step opens it afresh
st.title("Latent space explorer")
st.caption("Walk a trained generator's latent space: interpolate between two latents, slide along its principal "
           "directions, look for memorized training images, and ask the discriminator what it thinks of any input.")
latent_page()
