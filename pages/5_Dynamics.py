"""Training dynamics: the Dirac-GAN's gradient field and trajectories (Mescheder et al. 2018)."""

import streamlit as st

from ganlab.ui.dynamics import dynamics_page
from ganlab.ui.lesson_panel import lesson_panel
from ganlab.ui.nav import sidebar_nav
from ganlab.ui.session import keep_live_runs_in_url

st.set_page_config(page_title="ganlab · Dynamics", page_icon="🧪", layout="wide")
sidebar_nav()
keep_live_runs_in_url()  # a refresh on this page keeps the session's live training
lesson_panel("Dynamics")  # before the page reads its settings: a lesson step opens it afresh
dynamics_page()
